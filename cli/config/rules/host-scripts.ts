import { domainToUnicode } from 'node:url';

// Unicode scripts (Unicode 15.1 long names). A name this Node's regex engine does not know is dropped at load;
// a letter of a script missing here counts as a script of its own ("Unknown"), so it can only make a label
// look more mixed, never less.
const SCRIPT_NAMES = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Nko', 'Samaritan', 'Mandaic',
  'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala',
  'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Georgian', 'Hangul', 'Ethiopic', 'Cherokee', 'Canadian_Aboriginal', 'Ogham',
  'Runic', 'Tagalog', 'Hanunoo', 'Buhid', 'Tagbanwa', 'Khmer', 'Mongolian', 'Limbu', 'Tai_Le', 'New_Tai_Lue',
  'Buginese', 'Tai_Tham', 'Balinese', 'Sundanese', 'Batak', 'Lepcha', 'Ol_Chiki', 'Glagolitic', 'Coptic', 'Tifinagh',
  'Hiragana', 'Katakana', 'Bopomofo', 'Han', 'Yi', 'Lisu', 'Vai', 'Bamum', 'Syloti_Nagri', 'Phags_Pa', 'Saurashtra',
  'Kayah_Li', 'Rejang', 'Javanese', 'Cham', 'Tai_Viet', 'Meetei_Mayek', 'Linear_B', 'Lycian', 'Carian', 'Old_Italic',
  'Gothic', 'Old_Permic', 'Ugaritic', 'Old_Persian', 'Deseret', 'Shavian', 'Osmanya', 'Osage', 'Elbasan',
  'Caucasian_Albanian', 'Vithkuqi', 'Linear_A', 'Cypriot', 'Imperial_Aramaic', 'Palmyrene', 'Nabataean', 'Hatran',
  'Phoenician', 'Lydian', 'Meroitic_Hieroglyphs', 'Meroitic_Cursive', 'Kharoshthi', 'Old_South_Arabian',
  'Old_North_Arabian', 'Manichaean', 'Avestan', 'Inscriptional_Parthian', 'Inscriptional_Pahlavi', 'Psalter_Pahlavi',
  'Old_Turkic', 'Old_Hungarian', 'Hanifi_Rohingya', 'Yezidi', 'Old_Sogdian', 'Sogdian', 'Old_Uyghur', 'Chorasmian',
  'Elymaic', 'Brahmi', 'Kaithi', 'Sora_Sompeng', 'Chakma', 'Mahajani', 'Sharada', 'Khojki', 'Multani', 'Khudawadi',
  'Grantha', 'Newa', 'Tirhuta', 'Siddham', 'Modi', 'Takri', 'Ahom', 'Dogra', 'Warang_Citi', 'Dives_Akuru',
  'Nandinagari', 'Zanabazar_Square', 'Soyombo', 'Pau_Cin_Hau', 'Bhaiksuki', 'Marchen', 'Masaram_Gondi',
  'Gunjala_Gondi', 'Makasar', 'Kawi', 'Cuneiform', 'Cypro_Minoan', 'Egyptian_Hieroglyphs', 'Anatolian_Hieroglyphs',
  'Mro', 'Tangsa', 'Bassa_Vah', 'Pahawh_Hmong', 'Medefaidrin', 'Miao', 'Tangut', 'Khitan_Small_Script', 'Nushu',
  'Duployan', 'SignWriting', 'Nyiakeng_Puachue_Hmong', 'Toto', 'Wancho', 'Nag_Mundari', 'Mende_Kikakui', 'Adlam',
  'Braille',
];

const SCRIPTS: readonly { name: string; re: RegExp }[] = SCRIPT_NAMES.flatMap((name) => {
  try {
    return [{ name, re: new RegExp(`^\\p{Script=${name}}$`, 'u') }];
  } catch {
    return [];
  }
});

/** Characters that belong to no script of their own (digits, hyphen, punctuation, combining marks). */
const NEUTRAL = /^[\p{Script=Common}\p{Script=Inherited}]$/u;

/**
 * Script sets a single label may combine, from Unicode TS #39 §5.2 "Highly Restrictive": besides one script,
 * Latin with the scripts written together in Japanese, Chinese (with Bopomofo) and Korean.
 */
const ALLOWED_COMBINATIONS: readonly ReadonlySet<string>[] = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

const cache = new Map<string, string | undefined>();

function scriptOf(ch: string): string | undefined {
  if (/^[A-Za-z]$/.test(ch)) return 'Latin';
  if (cache.has(ch)) return cache.get(ch);
  const script = NEUTRAL.test(ch) ? undefined : (SCRIPTS.find((s) => s.re.test(ch))?.name ?? 'Unknown');
  if (cache.size < 10_000) cache.set(ch, script);
  return script;
}

/** The scripts of a label's letters, in order of first appearance (neutral characters do not count). */
export function labelScripts(label: string): string[] {
  const seen: string[] = [];
  for (const ch of label) {
    const s = scriptOf(ch);
    if (s && !seen.includes(s)) seen.push(s);
  }
  return seen;
}

/** A label that mixes scripts, as Unicode, with its scripts. */
export interface MixedScriptLabel {
  label: string;
  scripts: string[];
}

/**
 * The first label of `hostname` (as the URL parser gives it: ASCII, punycode for IDNs) that mixes scripts beyond
 * what Unicode TS #39 "Highly Restrictive" allows, or undefined. Each label is judged on its own, as browsers do:
 * `пример.example.com` (a Cyrillic label under Latin ones) is fine, `аpi.example.com` (Cyrillic а, Latin pi) is not.
 * A label written in one script that imitates another (all-Cyrillic `аре`) is not detected.
 */
export function findMixedScriptLabel(hostname: string): MixedScriptLabel | undefined {
  // Plain ASCII hosts cannot mix scripts; only punycode labels need decoding.
  if (!/(^|\.)xn--/i.test(hostname)) return undefined;
  const unicode = domainToUnicode(hostname);
  for (const label of (unicode || hostname).split('.')) {
    const scripts = labelScripts(label);
    if (scripts.length <= 1) continue;
    if (ALLOWED_COMBINATIONS.some((allowed) => scripts.every((s) => allowed.has(s)))) continue;
    return { label, scripts };
  }
  return undefined;
}
