import type { RuleId } from './rule-catalogue.js';

/** What a change is about. `runtime` changes have no project. */
export type Subject = 'runtime' | 'project' | 'tool' | 'integration' | 'api_key' | 'assertion_key';

/** What happened to the subject. A rename is a tool whose identity stayed while its name changed. */
export type Action = 'add' | 'remove' | 'change' | 'rename';

/** How much a change matters: breaks callers, matters to a security reviewer, or neither. */
export type Severity = 'breaking' | 'security' | 'benign';

/**
 * What changed inside one field. `added`, `removed` and `changed` apply to any field (and to items of lists such
 * as `scopes` or `redirect_uris`); the others describe JSON Schema changes in `input_schema` and `output_schema`.
 */
export type FieldChangeKind =
  | 'added'
  | 'removed'
  | 'changed'
  | 'property_added'
  | 'property_removed'
  | 'required_added'
  | 'required_removed'
  | 'type_changed'
  | 'enum_values_added'
  | 'enum_values_removed'
  | 'variant_added'
  | 'variant_removed'
  | 'constraint_changed'
  | 'text_changed'
  | 'keyword_changed';

/** One field-level change. Values are display values: secrets and hashes are already masked. */
export interface FieldChange {
  /** The field of the subject: `base_url`, `input_schema`, `redirect_uris`, `inject_member_identity`, ... */
  field: string;
  /** JSON pointer inside the field's value (a schema node, a template key); `''` for the field itself. */
  pointer: string;
  kind: FieldChangeKind;
  /** The JSON Schema keyword (`maxLength`, `pattern`, ...) or the sub-key (usage limit `per`) that changed. */
  keyword?: string;
  before?: unknown;
  after?: unknown;
  /** A short explanation for people, e.g. the token estimate of a description. */
  note?: string;
}

/** One change found by `diffConfigs`, before classification. */
export interface PlanChange {
  /** Project id; `null` for runtime settings. */
  project: string | null;
  subject: Subject;
  action: Action;
  /** Display name: tool name (the new one for a rename), integration id, masked key hash, `kid`, project id. */
  name: string;
  /** The old tool name of a rename; otherwise `null`. */
  previous_name: string | null;
  /** Tool identity (`id`, or the name when there is no `id`); `null` for other subjects. */
  identity: string | null;
  /** The integration an API key belongs to; otherwise `null`. */
  parent: string | null;
  /** Changed fields only (unchanged fields are folded away); for additions, the notable fields of the new item. */
  fields: FieldChange[];
}

/** A rule that matched a change. */
export interface RuleHit {
  rule: RuleId;
  severity: Severity;
  message: string;
  /** The field (and pointer inside it) the rule is about; `null` when it is about the whole subject. */
  field: string | null;
  pointer: string | null;
  /** True when an entry of the ignore file accepts this hit; it then no longer counts for `--fail-on`. */
  accepted: boolean;
  /** The ignore entry's reason when accepted; otherwise `null`. */
  reason: string | null;
}

/** A change with the rules it matched. */
export interface ClassifiedChange extends PlanChange {
  rules: RuleHit[];
  /** The highest severity among the hits that are not accepted (`benign` when all are accepted). */
  severity: Severity;
  /** True when every breaking or security hit of the change is accepted by the ignore file (and there was one). */
  accepted: boolean;
}

/** A non-fatal problem found while planning (an expired or unused ignore entry). */
export interface PlanWarning {
  code: string;
  message: string;
}

/** A fatal problem (an unreadable or invalid ignore file). */
export interface PlanError {
  code: string;
  message: string;
}

/** Counts for the closing line and for machines. `breaking` and `security` may both count one change. */
export interface PlanSummary {
  add: number;
  change: number;
  remove: number;
  rename: number;
  /** Changes with at least one breaking hit that is not accepted. */
  breaking: number;
  /** Changes with at least one security hit that is not accepted. */
  security: number;
  /** Changes with only benign hits. */
  benign: number;
  /** Changes whose breaking and security hits are all accepted by the ignore file. */
  accepted: number;
}

/** What `tengine plan` computed: the renderers turn it into human, JSON or markdown text. */
export interface Plan {
  format_version: 1;
  /** The date (YYYY-MM-DD) deprecation sunsets and ignore-entry expiries were compared with. */
  today: string;
  /** Labels of what was compared (e.g. `git:origin/main`, `./`), when the caller gave them. */
  sources: { before: string | null; after: string | null };
  changes: ClassifiedChange[];
  warnings: PlanWarning[];
  summary: PlanSummary;
}
