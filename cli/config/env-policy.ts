// Which environment variables `${env:NAME}` may read (TNG228). The resolved text is compiled into the bundle in
// clear, and validate, plan and build run where the CI secrets live (the bundle-signing key, deploy tokens). So a
// reference resolves only when the root config lists the name in `env_allowlist`, and some names are refused even
// when listed: those reserved for Tengine, the CI system and the host (schemas/reserved-env.ts, the list the
// runtime also applies to auth_secret_env), and names that say they hold a secret.
// docs/config.md §2.1 gives the same rule; keep the two in step.

import { reservedEnvName } from '../../schemas/reserved-env.js';

/**
 * Parts of a name that say it holds a secret, anywhere in the name and in any case: `DB_PASSWORD`, `GhToken`,
 * `AWS_SECRET_ACCESS_KEY`, `STRIPE_APIKEY`, `SSH_PRIVATE_KEY`, `GOOGLE_APPLICATION_CREDENTIALS`.
 */
export const SECRET_WORDS: readonly string[] = ['SECRET', 'TOKEN', 'PASSWORD', 'PASSWD', 'PASSPHRASE', 'PRIVATE', 'CREDENTIAL', 'APIKEY', 'API_KEY', 'ACCESS_KEY'];

/** Words that say a secret only when they stand alone between underscores (`KEY` in `STRIPE_KEY`, not in `KEYCLOAK_URL`). */
export const SECRET_NAME_PARTS: readonly string[] = ['KEY', 'KEYS', 'PAT', 'PWD', 'CREDS', 'COOKIE', 'JWT', 'DSN'];

/** Why `${env:NAME}` may never read `name`, whatever the allowlist says; undefined when it may be listed. */
export function refusedEnvName(name: string): string | undefined {
  const reserved = reservedEnvName(name);
  if (reserved) return reserved;
  const upper = name.toUpperCase();
  const word = SECRET_WORDS.find((w) => upper.includes(w));
  if (word) return `the name ${name} says it holds a secret (${word})`;
  const part = upper.split('_').find((p) => SECRET_NAME_PARTS.includes(p));
  if (part) return `the name ${name} says it holds a secret (${part})`;
  return undefined;
}

/** What `${env:NAME}` references may read: the root file's allowlist and the environment. */
export interface EnvPolicy {
  env: Record<string, string | undefined>;
  /** Names listed in the root `env_allowlist` that are not refused. */
  allowed: ReadonlySet<string>;
}

/**
 * The policy of one config: the names its root file lists in `env_allowlist`, plus `extra` (what `tengine plan`
 * carries over from the working config to its baseline), refused names excepted; and the refused entries, for
 * TNG228 at each.
 */
export function envPolicyFor(root: Record<string, unknown>, env: EnvPolicy['env'], extra: readonly string[] = []): { policy: EnvPolicy; refused: { index: number; reason: string }[] } {
  const { allowed, refused } = readEnvAllowlist(root);
  for (const name of extra) if (!refusedEnvName(name)) allowed.add(name);
  return { policy: { env, allowed }, refused };
}

/** The root file's `env_allowlist` read as written: the names it allows, and the entries refused with the reason. */
export function readEnvAllowlist(root: Record<string, unknown>): { allowed: Set<string>; refused: { index: number; reason: string }[] } {
  const allowed = new Set<string>();
  const refused: { index: number; reason: string }[] = [];
  const list = root.env_allowlist;
  if (!Array.isArray(list)) return { allowed, refused };
  list.forEach((name, index) => {
    // Anything that is not a plain name (a `${env:…}` included) fails the schema pattern and allows nothing.
    if (typeof name !== 'string' || !ENV_NAME.test(name)) return;
    const reason = refusedEnvName(name);
    if (reason) refused.push({ index, reason });
    else allowed.add(name);
  });
  return { allowed, refused };
}

/** A variable name as env_allowlist accepts it (the pattern of config.schema.json). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
