/** What a model's answer contained. */
export type ParsedAnswer =
  | { status: 'ok'; rationale: string; program: string }
  | { status: 'parse_error'; reason: string };

const FENCE = /```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g;
const CODE_START = /^(def |async def |class |import |from \S+ import |@)/;
const NOT_PYTHON = new Set(['text', 'txt', 'output', 'console', 'bash', 'sh', 'shell', 'json', 'plaintext']);

/**
 * Splits an answer into its rationale and the fixed program: the last Python code block (fenced, or an
 * unclosed fence at the end), else the code that starts at the first `def`/`class`/`import` line of
 * unfenced text, with prose after it dropped. No code at all is a `parse_error`.
 */
export function parseAnswer(text: string): ParsedAnswer {
  const blocks = [...text.matchAll(FENCE)].filter(
    (match) => !NOT_PYTHON.has((match[1] ?? '').toLowerCase()) && (match[2] ?? '').trim() !== '',
  );
  const last = blocks[blocks.length - 1];
  if (last && last.index !== undefined) {
    return { status: 'ok', rationale: text.slice(0, last.index).trim(), program: `${(last[2] ?? '').trimEnd()}\n` };
  }
  const lines = text.split('\n');
  const start = lines.findIndex((line) => CODE_START.test(line));
  if (start < 0)
    return { status: 'parse_error', reason: 'the answer holds no Python code block and no def, class or import line' };
  let end = lines.length;
  for (let index = start + 1; index < lines.length; index++) {
    const line = lines[index] as string;
    const previous = lines[index - 1] as string;
    // Prose after the code: an unindented line that reads like a sentence, after a blank line.
    if (
      previous.trim() === '' &&
      /^[A-Z][^=(]*[a-z][.:!]?\s*$/.test(line) &&
      !CODE_START.test(line) &&
      / \w+ /.test(line)
    ) {
      end = index;
      break;
    }
  }
  const program = lines.slice(start, end).join('\n').trimEnd();
  return { status: 'ok', rationale: lines.slice(0, start).join('\n').trim(), program: `${program}\n` };
}

/** A rationale with its code removed (for the proxy student): fenced blocks become `[code removed]`. */
export function stripCode(rationale: string): string {
  return rationale
    .replace(/```[\s\S]*?(```|$)/g, '[code removed]')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
