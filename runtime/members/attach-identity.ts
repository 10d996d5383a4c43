import { calculateJwkThumbprint } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { loadRuntimeKeySet, type RuntimeKeySet } from '../keys/runtime-keys.js';
import type { RuntimeModel } from '../load/runtime-model.js';
import { RuntimeJwt } from './runtime-jwt.js';
import { SessionTokens } from './session-tokens.js';
import { AccessTokens } from '../oauth/access-tokens.js';

/**
 * Gives the model its token services: the runtime JWT signer, member sessions and OAuth access tokens issued as `issuer`. Without a
 * runtime key set a fresh in-memory key is used, which suits one development instance only (tokens die with the
 * process and other instances cannot verify them); boot logs a warning in that case.
 */
export async function attachIdentity(model: RuntimeModel, keySet: RuntimeKeySet | undefined, issuer: string, now: () => number): Promise<{ keySet: RuntimeKeySet; ephemeral: boolean }> {
  const ephemeral = keySet === undefined;
  const keys = keySet ?? (await ephemeralKeySet());
  const jwt = new RuntimeJwt(keys, () => Math.floor(now() / 1000));
  model.jwt = jwt;
  model.sessions = new SessionTokens(jwt, issuer, model.memberSessionTtlSeconds, now);
  // The audience of access tokens is the MCP endpoint (RFC 8707), the `resource` of the protected-resource metadata.
  model.accessTokens = new AccessTokens(jwt, issuer, `${issuer}/mcp`, model.accessTokenTtlSeconds, now);
  model.publicJwks = () => jwt.publicJwks();
  return { keySet: keys, ephemeral };
}

async function ephemeralKeySet(): Promise<RuntimeKeySet> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const { d: _d, ...pub } = jwk;
  const kid = await calculateJwkThumbprint(pub as Parameters<typeof calculateJwkThumbprint>[0]);
  return loadRuntimeKeySet(JSON.stringify({ keys: [{ ...jwk, kid, use: 'sig', alg: 'ES256' }] }));
}
