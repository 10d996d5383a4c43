import { describe, expect, it } from 'vitest';
import type { Integration, TengineConfig, Tool } from '../../schemas/config-types.js';
import { computePlan } from './plan.js';
import { renderPlanHuman } from './render-human.js';
import { renderPlanJson } from './render-json.js';
import { renderPlanMarkdown } from './render-markdown.js';
import type { Plan } from './types.js';

const hex = (c: string) => c.repeat(64);
const KEYS = { keep: hex('1'), revoked: hex('2'), added: hex('3'), secretOld: hex('4'), secretNew: hex('5'), dropped: hex('6') };
const JWE_OLD = 'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00ifQ.b2xkLWtleQ.b2xkLWl2.b2xkLWNpcGhlcnRleHQtU0VDUkVU.b2xkLXRhZw';
const JWE_NEW = 'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00ifQ.bmV3LWtleQ.bmV3LWl2.bmV3LWNpcGhlcnRleHQtU0VDUkVU.bmV3LXRhZw';
const JWE_ADDED = 'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00ifQ.YWRkZWQ.YWRkZWQ.YWRkZWQtY2lwaGVydGV4dA.YWRkZWQ';

const tool = (name: string, extra: Partial<Tool> = {}): Tool => ({
  name,
  description: 'A tool.',
  input_schema: { type: 'object', properties: {} },
  base_url: 'https://api.example.com',
  http_method: 'GET',
  endpoint_path: '/v1/x',
  ...extra,
});

function config(side: 'before' | 'after'): TengineConfig {
  const b = side === 'before';
  const integrations: Integration[] = [
    { id: 'backend', kind: 'api_key', api_keys: [{ sha256: KEYS.keep }, { sha256: b ? KEYS.revoked : KEYS.added, name: 'rotating' }] },
    { id: 'claude', kind: 'oauth', client_id: 'claude-connector', client_secret_sha256: b ? KEYS.secretOld : KEYS.secretNew, redirect_uris: ['https://claude.ai/cb'] },
    ...(b ? [{ id: 'public', kind: 'oauth' as const, client_id: 'public-client', client_secret_sha256: KEYS.dropped, redirect_uris: ['https://x.example.com/cb'] as [string] }] : []),
    ...(b ? [] : [{ id: 'gone', kind: 'oauth' as const, client_id: 'new-client-id', client_secret_sha256: KEYS.dropped, redirect_uris: ['https://y.example.com/cb'] as [string] }]),
  ];
  return {
    version: 1,
    projects: [
      {
        id: 'shop',
        integrations,
        tools: [
          tool('rotated', { auth_strategy: 'static_bearer', encrypted_auth_secret: b ? JWE_OLD : JWE_NEW }),
          ...(b ? [tool('removed', { auth_strategy: 'hmac_signature', encrypted_auth_secret: JWE_OLD })] : [tool('added', { auth_strategy: 'hmac_signature', encrypted_auth_secret: JWE_ADDED })]),
          tool('secret-dropped', b ? { auth_strategy: 'static_bearer', encrypted_auth_secret: JWE_ADDED } : { auth_strategy: 'static_bearer', auth_secret_env: 'TOKEN' }),
        ],
      },
    ],
  };
}

const outputs = (p: Plan) => [renderPlanHuman(p, false), renderPlanHuman(p, true), renderPlanJson(p), renderPlanMarkdown(p)];
const SECRETS = [...Object.values(KEYS), JWE_OLD, JWE_NEW, JWE_ADDED];

describe('masking: no whole hash or secret ever appears in any output', () => {
  for (const [name, before, after] of [
    ['before → after', config('before'), config('after')],
    ['after → before', config('after'), config('before')],
  ] as const) {
    it(`${name}: API key hashes, client secret hashes and encrypted secrets are masked in human, JSON and markdown`, () => {
      const p = computePlan(before, after, { today: '2025-06-01' });
      // The plan does report every one of those changes...
      const rules = p.changes.flatMap((c) => c.rules.map((h) => h.rule));
      expect(rules).toEqual(expect.arrayContaining(['API_KEY_ADDED', 'API_KEY_REVOKED', 'SECRET_CHANGED']));
      for (const text of outputs(p)) {
        for (const s of SECRETS) {
          expect(text).not.toContain(s);
          // ...and no recognisable piece of it: not the JWE's ciphertext, not more than 4+4 hex digits of a hash.
          if (s.includes('.')) expect(text).not.toContain(s.split('.')[3]!);
        }
        expect(text).not.toMatch(/[0-9a-f]{9,}/);
      }
    });
  }

  it('API keys show as sha256:<first 4>…<last 4>, secrets as (redacted)', () => {
    const p = computePlan(config('before'), config('after'), { today: '2025-06-01' });
    const text = renderPlanHuman(p, false);
    expect(text).toContain('API key sha256:3333…3333 (rotating) of backend');
    expect(text).toContain('client_secret_sha256: "sha256:4444…4444" → "sha256:5555…5555"');
    expect(text).toContain('encrypted_auth_secret: "(redacted)" → "(redacted)"');
  });
});
