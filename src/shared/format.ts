const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * Control characters a terminal acts on (C0 but newline and tab, DEL, C1), the line and paragraph
 * separators, and every format character (Unicode category Cf): bidi marks, overrides and isolates
 * that reorder what is shown (U+061C, U+200E, U+202A-U+202E, U+2066-U+2069...), and invisible ones
 * that hide or join text (U+00AD, U+200B-U+200D, U+2060-U+2064, U+FEFF, tag characters...).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\p{Cf}]/gu;

/** `\u001b`-style escapes of each UTF-16 unit: a character beyond U+FFFF becomes its surrogate pair, as JSON writes it. */
function escaped(char: string): string {
  const units = Array.from({ length: char.length }, (_, index) => char.charCodeAt(index));
  return units.map((unit) => `\\u${unit.toString(16).padStart(4, '0')}`).join('');
}

/**
 * Text as a terminal may show it: every control character a program could use to repaint, move the
 * cursor, set the title or write the clipboard (ESC, CSI, OSC 52, carriage return...), and every
 * invisible character that could reorder or hide what is read, becomes a visible `\u001b`-style
 * escape. Inside JSON strings the escape means the same character, so JSON output stays valid and equal.
 */
export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_CONTROLS, escaped);
}

/** Formats a byte count with binary units: `1 GiB`, `16 MiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1 && value % 1024 === 0) {
    value /= 1024;
    unit += 1;
  }
  if (value >= 1024 && unit < UNITS.length - 1) {
    return `${(value / 1024).toFixed(1)} ${UNITS[unit + 1]}`;
  }
  return `${value} ${UNITS[unit]}`;
}

/** Formats a duration in milliseconds: `850 ms`, `2.4 s`, `3 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

/**
 * A Python exception's line worth adding after its message, or null when there is none or the message
 * names it already (a SyntaxError reads `invalid syntax (<program>, line 3)`).
 */
export function lineNotInMessage(message: string, line: number | null | undefined): number | null {
  if (!line || new RegExp(`\\bline ${line}\\b`).test(message.split('\n')[0] ?? '')) return null;
  return line;
}
