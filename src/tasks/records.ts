import { z } from 'zod';
import { NxtError } from '../shared/index.js';
import type { LoadedFile } from './store.js';

/**
 * A JSON line as Python's json module writes it: NaN, Infinity and -Infinity stand bare where JSON has
 * no such tokens. Outside strings they become null (records read this way must not need them).
 */
function withoutNonFinite(text: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    const token = ['NaN', 'Infinity', '-Infinity'].find((word) => text.startsWith(word, index));
    if (!token) continue;
    out += `${text.slice(from, index)}null`;
    index += token.length - 1;
    from = index + 1;
  }
  return out + text.slice(from);
}

/**
 * Parses a JSONL file record by record; a bad line is an error that names the file and the line.
 * `pythonNonFinite`: the file was written by Python, whose bare NaN and infinities are read as null.
 */
export function readRecords<T extends z.ZodType>(
  loaded: LoadedFile,
  schema: T,
  options: { pythonNonFinite?: boolean } = {},
): { record: z.output<T>; line: number }[] {
  const out: { record: z.output<T>; line: number }[] = [];
  // Split on \n only: some upstream strings contain U+2028, which other splitters treat as line breaks.
  const lines = loaded.text.split('\n');
  lines.forEach((text, index) => {
    if (text.trim() === '') return;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(options.pythonNonFinite ? withoutNonFinite(text) : text);
    } catch (error) {
      throw new NxtError('data', `${loaded.from}:${line}: not valid JSON (${(error as Error).message})`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new NxtError('data', `${loaded.from}:${line}: unexpected record:\n${z.prettifyError(parsed.error)}`);
    }
    out.push({ record: parsed.data, line });
  });
  if (out.length !== loaded.file.records) {
    throw new NxtError('data', `${loaded.from} holds ${out.length} records, expected ${loaded.file.records}`);
  }
  return out;
}
