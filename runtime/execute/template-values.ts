import { RESERVED_VARIABLES } from '../../schemas/template.js';
import type { CallerIdentity } from './types.js';

/**
 * A value a placeholder can take: `json` is the typed value (used by whole-placeholder body strings), `text` its
 * form inside a string, or undefined when it has none (objects, arrays and null from the model).
 */
export interface TemplateValue {
  json: unknown;
  text: string | undefined;
}

/** Looks a placeholder up; undefined means the value is missing (an optional argument not given, or no member). */
export type TemplateLookup = (name: string) => TemplateValue | undefined;

/**
 * The first reserved variable the model tried to pass as an argument. Only own properties count, so an argument
 * object can never reach a reserved name through its prototype chain.
 */
export function findReservedArgument(args: Record<string, unknown>): string | undefined {
  return RESERVED_VARIABLES.find((name) => Object.hasOwn(args, name));
}

/**
 * Builds the lookup for one call. Reserved variables come only from the authenticated caller (never from the
 * arguments, which findReservedArgument has already refused); everything else only from the arguments' own
 * properties, so `__proto__`, `constructor` or `toString` never resolve to something inherited.
 */
export function createLookup(args: Record<string, unknown>, caller: CallerIdentity): TemplateLookup {
  return (name) => {
    switch (name) {
      case 'project_id':
        return { json: caller.projectId, text: caller.projectId };
      case 'integration_id':
        return { json: caller.integrationId, text: caller.integrationId };
      case 'member_id':
        return caller.member ? { json: caller.member.id, text: caller.member.id } : undefined;
      case 'member_email':
        return caller.member?.email !== undefined ? { json: caller.member.email, text: caller.member.email } : undefined;
      case 'member_roles': {
        if (!caller.member) return undefined;
        const roles = caller.member.roles ?? [];
        // A list in a string is comma-joined, the same serialization as the X-Tengine-Member-Roles header.
        return { json: [...roles], text: roles.join(',') };
      }
    }
    if (!Object.hasOwn(args, name)) return undefined;
    const json = args[name];
    if (json === undefined) return undefined;
    return { json, text: scalarText(json) };
  };
}

/** The text of a string, finite number or boolean; undefined for anything else (null, objects, arrays). */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return undefined;
}
