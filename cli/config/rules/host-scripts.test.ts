import { describe, expect, it } from 'vitest';
import { findMixedScriptLabel, labelScripts } from './host-scripts.js';

/** The host as the URL parser hands it to the rule (punycode for IDNs). */
const host = (h: string) => new URL(`https://${h}`).hostname;

describe('findMixedScriptLabel (Unicode TS #39 "highly restrictive", per label)', () => {
  it.each([
    ['аpi.example.com', 'аpi', ['Cyrillic', 'Latin']],
    ['xn--pi-6kc.example.com', 'аpi', ['Cyrillic', 'Latin']],
    ['pаypal.com', 'pаypal', ['Latin', 'Cyrillic']],
    ['αpple.com', 'αpple', ['Greek', 'Latin']],
    ['api.gооgle.com', 'gооgle', ['Latin', 'Cyrillic']],
    ['вxод.рф', 'вxод', ['Cyrillic', 'Latin']],
    ['例子ж.com', '例子ж', ['Han', 'Cyrillic']],
    ['한국어ひらがな.kr', '한국어ひらがな', ['Hangul', 'Hiragana']],
  ])('%s mixes scripts in label %s', (h, label, scripts) => {
    expect(findMixedScriptLabel(host(h))).toEqual({ label, scripts });
  });

  it.each([
    'api.example.com',
    'пример.рф',
    'пример.example.com',
    '例子.测试',
    'ドメイン名例.jp',
    '日本語のドメインabc.jp',
    '中文ㄅㄆ.tw',
    '한국어abc.kr',
    'παράδειγμα.δοκιμή',
    'münchen.de',
    'xn--mnchen-3ya.de',
    'ab-12.example.com',
  ])('%s passes (one script per label, or an allowed CJK combination)', (h) => {
    expect(findMixedScriptLabel(host(h))).toBeUndefined();
  });

  it('digits, hyphens and combining marks belong to no script', () => {
    expect(labelScripts('abc-123')).toEqual(['Latin']);
    expect(labelScripts('ラーメン')).toEqual(['Katakana']);
    expect(labelScripts('e\u0301')).toEqual(['Latin']);
    expect(labelScripts('--')).toEqual([]);
  });
});
