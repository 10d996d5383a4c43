import { createPublicKey, type KeyObject } from 'node:crypto';
import { eachProject, entriesOf, isObject, type RuleContext } from './context.js';

/** What each assertion algorithm requires of the key, so a key can never be used with another algorithm. */
const REQUIRED: Record<string, { type: string; curve?: string; label: string }> = {
  ES256: { type: 'ec', curve: 'prime256v1', label: 'an EC P-256 key' },
  ES384: { type: 'ec', curve: 'secp384r1', label: 'an EC P-384 key' },
  EdDSA: { type: 'ed25519', label: 'an Ed25519 key' },
  Ed25519: { type: 'ed25519', label: 'an Ed25519 key' },
  RS256: { type: 'rsa', label: 'an RSA key of at least 2048 bits' },
};

/** Assertion keys parse as public keys of the type their `alg` pins, and kids are unique per project. */
export function checkAssertionKeys(ctx: RuleContext): void {
  for (const { project, pointer: pp } of eachProject(ctx)) {
    const kids = new Map<string, string>();
    for (const [ki, key] of entriesOf(project.assertion_keys)) {
      const kp = `${pp}/assertion_keys/${ki}`;
      if (!isObject(key)) continue;
      if (typeof key.kid === 'string' && ctx.isClean(`${kp}/kid`)) {
        const first = kids.get(key.kid);
        if (first) ctx.report('TNG211', `kid "${key.kid}" is already used in project "${project.id}"`, `${kp}/kid`);
        else kids.set(key.kid, `${kp}/kid`);
      }
      // The key is checked against alg, so both must be what the schema allows.
      if (typeof key.public_key !== 'string' || typeof key.alg !== 'string' || !ctx.isClean(`${kp}/public_key`) || !ctx.isClean(`${kp}/alg`)) continue;
      const problem = keyProblem(key.public_key, key.alg);
      if (problem) ctx.report('TNG210', problem, `${kp}/public_key`);
    }
  }
}

/** Why a PEM public key cannot be used with `alg`, or undefined when it can. */
export function keyProblem(pem: string, alg: string): string | undefined {
  if (/PRIVATE KEY/.test(pem)) return 'public_key holds a PRIVATE key; paste only the public half (never commit the private key)';
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) return 'public_key is not a PEM public key (-----BEGIN PUBLIC KEY-----)';
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return 'public_key could not be parsed as a PEM public key';
  }
  const need = REQUIRED[alg];
  if (!need) return `alg "${alg}" is not supported`;
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const ok = type === need.type && (!need.curve || details.namedCurve === need.curve) && (type !== 'rsa' || (details.modulusLength ?? 0) >= 2048);
  return ok ? undefined : `alg ${alg} needs ${need.label}, but public_key is ${describeKey(type, details)}`;
}

function describeKey(type: string | undefined, d: { namedCurve?: string; modulusLength?: number }): string {
  if (type === 'ec') return `an EC ${d.namedCurve === 'prime256v1' ? 'P-256' : d.namedCurve === 'secp384r1' ? 'P-384' : d.namedCurve ?? ''} key`;
  if (type === 'rsa') return `an RSA ${d.modulusLength ?? '?'}-bit key`;
  return `an ${type ?? 'unknown'} key`;
}
