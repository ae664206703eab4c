import { describe, expect, it } from 'vitest';
import { terminalSafe } from './format.js';

/** Invisible characters that reorder, hide or join what a terminal shows (Unicode Cf, and the line/paragraph separators). */
const INVISIBLE = [
  '\u00ad', // soft hyphen
  '\u061c', // Arabic letter mark
  '\u180e', // Mongolian vowel separator
  '\u200b',
  '\u200c',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u2028', // line separator
  '\u2029', // paragraph separator
  '\u202a',
  '\u202e',
  '\u2060',
  '\u2064',
  '\u2066',
  '\u2069',
  '\u206f',
  '\ufeff',
  '\ufff9',
  '\ufffb',
  '\u{e0001}', // language tag
  '\u{e0041}', // tag LATIN CAPITAL LETTER A: hidden text
  '\u{e007f}', // cancel tag
];

describe('terminalSafe', () => {
  it('shows every invisible format character as a visible escape', () => {
    for (const char of INVISIBLE) {
      const shown = terminalSafe(`a${char}b`);
      expect(shown, `U+${char.codePointAt(0)?.toString(16)}`).toMatch(/^a(\\u[0-9a-f]{4})+b$/);
    }
    expect(terminalSafe('\u2028')).toBe('\\u2028');
    expect(terminalSafe('\u{e0041}')).toBe('\\udb40\\udc41');
  });

  it('leaves visible text alone: letters of every script, emoji, tab and newline', () => {
    const text = 'naïve café — 東京 مرحبا 🙂\tx\n';
    expect(terminalSafe(text)).toBe(text);
  });

  it('keeps JSON output equal: the escape inside a JSON string means the same character', () => {
    const value = { name: `x${INVISIBLE.join('')}\u001b[31m\\${'\u202e'}y`, list: INVISIBLE };
    const json = terminalSafe(JSON.stringify(value));
    expect(JSON.parse(json)).toEqual(value);
    expect(json).not.toMatch(/[\p{Cf}\u2028\u2029]/u);
  });
});
