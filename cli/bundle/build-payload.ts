import { canonicalize } from '../../schemas/canonical-json.js';
import { BUNDLE_FORMAT_VERSION, sha256Hex } from '../../schemas/bundle-format.js';
import type { BundlePayload, TengineConfig } from '../../schemas/config-types.js';

/** Build metadata that goes into a payload next to the config. */
export interface PayloadMeta {
  /** ISO 8601 UTC with seconds precision, e.g. `2024-05-01T12:00:00Z`. */
  createdAt: string;
  /** Git commit the config was built from, when known. */
  revision?: string;
  /** True when the config files differ from `revision`. */
  dirty?: boolean;
}

/** A payload and the canonical JSON of its config, which signing splices into the payload text as it is. */
export interface CanonicalPayload {
  payload: BundlePayload;
  /** canonicalJson(payload.config); payload.config is JSON.parse of exactly this text. */
  configText: string;
}

/**
 * Assembles the bundle payload from a normalized config. `include` is dropped because the includes are already
 * merged and the runtime must not look for files; the config is passed through canonical JSON so that undefined
 * members vanish and `config_digest` describes exactly what gets signed.
 */
export function buildPayload(config: TengineConfig, meta: PayloadMeta): BundlePayload {
  return buildCanonicalPayload(config, meta).payload;
}

/**
 * buildPayload, keeping the config's canonical text: `tengine build` signs it without serializing the config again
 * (on 10,000 tools each serialization of the config costs about 0.1 s).
 */
export function buildCanonicalPayload(config: TengineConfig, meta: PayloadMeta): CanonicalPayload {
  const { include: _include, ...rest } = config;
  const { text, value } = canonicalize(rest);
  const plain = value as BundlePayload['config'];
  const payload: BundlePayload = {
    format_version: BUNDLE_FORMAT_VERSION,
    created_at: meta.createdAt,
    // Same value as computeConfigDigest(plain), without serializing a large config a second time.
    config_digest: `sha256:${sha256Hex(text)}`,
    config: plain,
  };
  // A dirty flag without a revision says nothing a reader could check, so source appears only with a revision.
  if (meta.revision !== undefined) {
    payload.source = meta.dirty === undefined ? { revision: meta.revision } : { revision: meta.revision, dirty: meta.dirty };
  }
  return { payload, configText: text };
}
