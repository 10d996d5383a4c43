import { createHash, type JsonWebKey } from 'node:crypto';

/**
 * The RFC 7638 SHA-256 thumbprint of a public EC or OKP key's JWK (the key ids of bundle and runtime keys), as jose's
 * `calculateJwkThumbprint` computes it: the required members in lexicographic order, no whitespace. With
 * node:crypto, because loading jose for this alone was 30 ms of every runtime boot. Throws for other key types.
 */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const { kty, crv, x, y } = jwk;
  let members: Record<string, string>;
  if (kty === 'EC' && typeof crv === 'string' && typeof x === 'string' && typeof y === 'string') members = { crv, kty, x, y };
  else if (kty === 'OKP' && typeof crv === 'string' && typeof x === 'string') members = { crv, kty, x };
  else throw new TypeError(`no JWK thumbprint for a key of type ${String(kty)} without its public members`);
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}
