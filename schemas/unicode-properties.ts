import { RE2JS } from 're2js';

/**
 * What an ECMAScript `\p{…}` names, in terms the linear engine (RE2 syntax) understands: a property name RE2 knows
 * with the same meaning, or explicit code point ranges. Anything else is refused rather than guessed at.
 */
export type Re2Property = { name: string } | { ranges: readonly (readonly [number, number])[] };

/** General_Category values, long names and aliases (Unicode PropertyValueAliases.txt) to the short names RE2 uses. */
const GENERAL_CATEGORY: Record<string, string> = {
  Other: 'C', Control: 'Cc', cntrl: 'Cc', Format: 'Cf', Unassigned: 'Cn', Private_Use: 'Co', Surrogate: 'Cs',
  Letter: 'L', Cased_Letter: 'LC', Lowercase_Letter: 'Ll', Modifier_Letter: 'Lm', Other_Letter: 'Lo', Titlecase_Letter: 'Lt', Uppercase_Letter: 'Lu',
  Mark: 'M', Combining_Mark: 'M', Spacing_Mark: 'Mc', Enclosing_Mark: 'Me', Nonspacing_Mark: 'Mn',
  Number: 'N', Decimal_Number: 'Nd', digit: 'Nd', Letter_Number: 'Nl', Other_Number: 'No',
  Punctuation: 'P', punct: 'P', Connector_Punctuation: 'Pc', Dash_Punctuation: 'Pd', Close_Punctuation: 'Pe', Final_Punctuation: 'Pf',
  Initial_Punctuation: 'Pi', Other_Punctuation: 'Po', Open_Punctuation: 'Ps',
  Symbol: 'S', Currency_Symbol: 'Sc', Modifier_Symbol: 'Sk', Math_Symbol: 'Sm', Other_Symbol: 'So',
  Separator: 'Z', Line_Separator: 'Zl', Paragraph_Separator: 'Zp', Space_Separator: 'Zs',
};
for (const short of new Set(Object.values(GENERAL_CATEGORY))) GENERAL_CATEGORY[short] = short;

/** Binary properties RE2 also has (same definition, from the Unicode data files), with their ECMAScript aliases. */
const BINARY: Record<string, string> = {
  Any: 'Any',
  ASCII_Hex_Digit: 'ASCII_Hex_Digit', AHex: 'ASCII_Hex_Digit',
  Alphabetic: 'Alphabetic', Alpha: 'Alphabetic',
  Dash: 'Dash',
  Emoji: 'Emoji',
  Emoji_Component: 'Emoji_Component', EComp: 'Emoji_Component',
  Emoji_Modifier: 'Emoji_Modifier', EMod: 'Emoji_Modifier',
  Emoji_Modifier_Base: 'Emoji_Modifier_Base', EBase: 'Emoji_Modifier_Base',
  Emoji_Presentation: 'Emoji_Presentation', EPres: 'Emoji_Presentation',
  Extended_Pictographic: 'Extended_Pictographic', ExtPict: 'Extended_Pictographic',
  Hex_Digit: 'Hex_Digit', Hex: 'Hex_Digit',
  Lowercase: 'Lowercase', Lower: 'Lowercase',
  Math: 'Math',
  Quotation_Mark: 'Quotation_Mark', QMark: 'Quotation_Mark',
  Terminal_Punctuation: 'Terminal_Punctuation', Term: 'Terminal_Punctuation',
  Uppercase: 'Uppercase', Upper: 'Uppercase',
  White_Space: 'White_Space', space: 'White_Space',
};

/** A script value as ECMAScript spells it; RE2 knows the long names (`Latin`) and refuses ISO 15924 codes (`Latn`). */
const SCRIPT = /^[A-Za-z_]+$/;

function re2Knows(name: string): boolean {
  try {
    RE2JS.compile(`\\p{${name}}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Maps the text inside `\p{…}` of an ECMAScript pattern (already known to be valid with the `u` flag) to RE2, or
 * returns undefined when the linear engine has no property with the same meaning (Script_Extensions, binary
 * properties RE2 lacks). Scripts go through by name: a script value valid in ECMAScript is a long name, which RE2
 * reads the same way, or an ISO 15924 code, which RE2 does not know (codes that equal a long name, such as `Thai`, name
 * the same script).
 */
export function re2Property(body: string): Re2Property | undefined {
  const eq = body.indexOf('=');
  if (eq < 0) {
    if (body === 'ASCII') return { ranges: [[0, 0x7f]] };
    const name = GENERAL_CATEGORY[body] ?? BINARY[body];
    return name ? { name } : undefined;
  }
  const [key, value] = [body.slice(0, eq), body.slice(eq + 1)];
  if (key === 'General_Category' || key === 'gc') {
    const name = GENERAL_CATEGORY[value];
    return name ? { name } : undefined;
  }
  if ((key === 'Script' || key === 'sc') && SCRIPT.test(value) && re2Knows(value)) return { name: value };
  return undefined;
}
