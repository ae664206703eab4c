import { z } from 'zod';
import { NxtError } from '../shared/index.js';
import type { LoadedFile } from './store.js';

/** Parses a JSONL file record by record; a bad line is an error that names the file and the line. */
export function readRecords<T extends z.ZodType>(
  loaded: LoadedFile,
  schema: T,
): { record: z.output<T>; line: number }[] {
  const out: { record: z.output<T>; line: number }[] = [];
  // Split on \n only: some upstream strings contain U+2028, which other splitters treat as line breaks.
  const lines = loaded.text.split('\n');
  lines.forEach((text, index) => {
    if (text.trim() === '') return;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
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
