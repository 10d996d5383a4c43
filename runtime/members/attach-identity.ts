import { jwkThumbprint } from '../../schemas/jwk-thumbprint.js';
import { generateKeyPairSync } from 'node:crypto';
import { loadRuntimeKeySet, type RuntimeKeySet } from '../keys/runtime-keys.js';
import type { RuntimeModel } from '../load/runtime-model.js';
import { RuntimeJwt } from './runtime-jwt.js';
import { SessionTokens } from './session-tokens.js';
import { AccessTokens } from '../oauth/access-tokens.js';

/** The token signing keys of this process, and whether they were made up for it. */
export interface TokenKeys {
  keySet: RuntimeKeySet;
  /** True when no runtime key set was given: a fresh in-memory key, for one development instance only. */
  ephemeral: boolean;
}

/**
 * The keys member sessions and OAuth access tokens are signed with. Without a runtime key set a fresh in-memory key
 * is made, which suits one development instance only (tokens die with the process and other instances cannot verify
 * them); boot logs a warning then. Resolved once per process, so a bundle reload keeps the tokens already issued.
 */
export async function resolveTokenKeys(keySet: RuntimeKeySet | undefined): Promise<TokenKeys> {
  return keySet === undefined ? { keySet: await ephemeralKeySet(), ephemeral: true } : { keySet, ephemeral: false };
}

/**
 * The serving model: `model` plus its token services (the runtime JWT signer, member sessions and OAuth access
 * tokens issued as `issuer`), as a new frozen object. The model is never changed after this, which is what lets a
 * hot reload swap one for another while calls in flight finish on the old one.
 */
export function withTokenServices(model: RuntimeModel, keys: RuntimeKeySet, issuer: string, now: () => number): RuntimeModel {
  const jwt = new RuntimeJwt(keys, () => Math.floor(now() / 1000));
  return Object.freeze({
    ...model,
    jwt,
    sessions: new SessionTokens(jwt, issuer, model.memberSessionTtlSeconds, now),
    // The audience of access tokens is the MCP endpoint (RFC 8707), the `resource` of the protected-resource metadata.
    accessTokens: new AccessTokens(jwt, issuer, `${issuer}/mcp`, model.accessTokenTtlSeconds, now),
    publicJwks: () => jwt.publicJwks(),
  });
}

async function ephemeralKeySet(): Promise<RuntimeKeySet> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const { d: _d, ...pub } = jwk;
  const kid = jwkThumbprint(pub);
  return loadRuntimeKeySet(JSON.stringify({ keys: [{ ...jwk, kid, use: 'sig', alg: 'ES256' }] }));
}
