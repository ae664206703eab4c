import type { z } from 'zod';
import { type LineSchema, NxtError, parseJsonLines } from '../shared/index.js';
import type { LoadedFile } from './store.js';

/**
 * Parses a dataset file record by record (through the one JSONL reader); a bad line is a `data` error
 * naming the file and the line, and a file with another number of records than pinned is refused.
 * `pythonNonFinite`: the file was written by Python, whose bare NaN and infinities are read as null.
 */
export function readRecords<T extends z.ZodType>(
  loaded: LoadedFile,
  schema: LineSchema<T>,
  options: { pythonNonFinite?: boolean } = {},
): { record: z.output<T>; line: number }[] {
  const { records } = parseJsonLines(loaded.text, schema, { from: loaded.from, code: 'data', ...options });
  if (records.length !== loaded.file.records) {
    throw new NxtError('data', `${loaded.from} holds ${records.length} records, expected ${loaded.file.records}`);
  }
  return records;
}
