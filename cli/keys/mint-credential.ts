import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../schemas/bundle-format.js';
import { CliError } from '../io.js';

/** The kinds of credential `tengine keys` mints. */
export type CredentialKind = 'api_key' | 'client_secret' | 'connect_secret';

/** Prefix of each credential kind; secret scanners and humans recognise a Tengine credential by it. */
export const CREDENTIAL_PREFIXES: Readonly<Record<CredentialKind, string>> = {
  api_key: 'tengine_',
  client_secret: 'tng_cs_',
  connect_secret: 'tng_cn_',
};

/** A freshly minted credential: the plaintext (shown once) and the hash that goes into the config. */
export interface MintedCredential {
  kind: CredentialKind;
  secret: string;
  /** Lower-case hex SHA-256 of the whole `secret`, prefix included. */
  sha256: string;
}

/** Ids of projects and integrations, as config.schema.json constrains them. */
export const RESOURCE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * Mints a credential: the prefix plus 32 bytes from the CSPRNG in base64url (256 bits, so a plain SHA-256 is
 * enough to store it: there is nothing to brute-force, unlike a password that would need a slow hash).
 */
export function mintCredential(kind: CredentialKind): MintedCredential {
  const secret = `${CREDENTIAL_PREFIXES[kind]}${randomBytes(32).toString('base64url')}`;
  return { kind, secret, sha256: sha256Hex(secret) };
}

/** Checks a project or integration id from the command line; throws BAD_ARGUMENT with a hint when it cannot exist. */
export function assertResourceId(value: string | undefined, flag: '--project' | '--integration'): string {
  if (value === undefined || !RESOURCE_ID_PATTERN.test(value)) {
    throw new CliError(
      'BAD_ARGUMENT',
      `${flag} ${JSON.stringify(value ?? '')} is not a valid id`,
      'ids are 1-63 of a-z 0-9 _ -, starting with a letter or digit, exactly as in tengine.config.yaml',
    );
  }
  return value;
}

/** The YAML snippet to paste for a minted credential, indented as it sits under the integration. */
export function credentialYaml(cred: MintedCredential, name?: string): string {
  if (cred.kind === 'client_secret') return `client_secret_sha256: ${cred.sha256}\n`;
  if (cred.kind === 'connect_secret') return `connect_secret_sha256: ${cred.sha256}\n`;
  const lines = [`api_keys:`, `  - sha256: ${cred.sha256}`];
  if (name !== undefined) lines.push(`    name: ${yamlString(name)}`);
  return `${lines.join('\n')}\n`;
}

function yamlString(s: string): string {
  // A JSON string is a valid YAML double-quoted scalar, and quoting always avoids YAML's implicit typing.
  return JSON.stringify(s);
}
