import type { OpenApiSource } from '../../schemas/config-types.js';
import type { Diagnostic } from '../../schemas/diagnostics.js';
import type { OpenApiVersion } from './convert-schema.js';
import type { DocNode, DocumentSet } from './refs.js';

/** What the mapping of one document's operations shares. */
export interface MapContext {
  docs: DocumentSet;
  version: OpenApiVersion;
  /** The root document object. */
  root: DocNode;
  source: OpenApiSource;
  /** `components.securitySchemes` (3.x) or `securityDefinitions` (2.0). */
  securitySchemes: Record<string, unknown>;
  report(d: Diagnostic): void;
}

/** A subtree of a generated tool that came from a place in a document: diagnostics under it point there. */
export interface ToolMount {
  /** Pointer inside the tool, e.g. `/input_schema/properties/body`. */
  at: string;
  node: DocNode;
}

/** True for a non-null, non-array object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
