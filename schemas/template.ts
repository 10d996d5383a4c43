/** Variables the runtime fills from the caller's identity; a model can never supply them. */
export const RESERVED_VARIABLES = ['member_id', 'member_email', 'member_roles', 'project_id', 'integration_id'] as const;
/** Reserved variables that only exist when the caller has a member session. */
export const MEMBER_VARIABLES = ['member_id', 'member_email', 'member_roles'] as const;

export type ReservedVariable = (typeof RESERVED_VARIABLES)[number];

/** A parsed template: literal text and `{name}` placeholders in order. */
export type TemplatePart = { text: string } | { variable: string };

/** Result of parsing one template string. */
export type ParsedTemplate =
  | { ok: true; parts: TemplatePart[]; variables: string[] }
  | { ok: false; message: string; offset: number };

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** True when `name` is a reserved variable. */
export function isReservedVariable(name: string): name is ReservedVariable {
  return (RESERVED_VARIABLES as readonly string[]).includes(name);
}

/**
 * Parses `{name}` placeholders; `{{` and `}}` stand for literal braces. Anything else with a brace is an error,
 * so a typo such as `{user id}` is caught at validate time instead of being sent upstream verbatim.
 */
export function parseTemplate(source: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const variables: string[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '{' && source[i + 1] === '{') {
      text += '{';
      i += 2;
    } else if (c === '}' && source[i + 1] === '}') {
      text += '}';
      i += 2;
    } else if (c === '{') {
      const end = source.indexOf('}', i + 1);
      if (end < 0) return { ok: false, message: 'unclosed "{"', offset: i };
      const name = source.slice(i + 1, end);
      if (!NAME.test(name)) return { ok: false, message: `invalid placeholder "{${name}}"`, offset: i };
      if (text) parts.push({ text });
      text = '';
      parts.push({ variable: name });
      if (!variables.includes(name)) variables.push(name);
      i = end + 1;
    } else if (c === '}') {
      return { ok: false, message: 'unmatched "}"', offset: i };
    } else {
      text += c;
      i += 1;
    }
  }
  if (text) parts.push({ text });
  return { ok: true, parts, variables };
}

/** If a body string is exactly one placeholder, its name (the value is then substituted with its JSON type). */
export function wholePlaceholder(source: string): string | undefined {
  const m = /^\{([A-Za-z_][A-Za-z0-9_]{0,63})\}$/.exec(source);
  return m?.[1];
}
