import { appendFile, type FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { NxtError } from './errors.js';

/**
 * The one JSONL reader and writer. Lines are split on `\n` only (some upstream strings hold U+2028,
 * which other splitters take for a line break); blank lines are skipped; every line is checked
 * against a schema and one that does not parse or validate is an error naming its file and line.
 */

/** What each line is checked against: one schema, or one chosen by the line's value and number. */
export type LineSchema<T extends z.ZodType> = T | ((value: unknown, line: number) => T);

export interface JsonLinesOptions {
  /** Names the file in messages: `FROM:LINE: ...`. */
  from: string;
  /** The `NxtError` code of a bad line: `data` for inputs, `run` for run folders. */
  code: string;
  /** What a line should hold, for messages ("not a valid task"); default `record`. */
  what?: string;
  /** The file was written by Python, whose bare NaN and infinities are read as null. */
  pythonNonFinite?: boolean;
  /**
   * A last line without its newline that is not a valid record: a bad line like any other
   * (`invalid`, the default: inputs), or a write that stopped halfway (`torn`: refused as incomplete,
   * the file's readers) that its owner cuts (`repairable`: returned as `torn`).
   */
  lastLine?: 'invalid' | 'torn' | 'repairable';
}

/** A record and the 1-based line it was read from. */
export interface JsonLine<T> {
  record: T;
  line: number;
}

/** One line checked: its record, or why it is not one (`not valid JSON (...)`, `not a valid record:\n...`). */
export type LineCheck<T> = { success: true; data: T } | { success: false; problem: string };

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

/** Parses line `line` of a file and checks it against `schema`; never throws on what the line holds. */
export function checkJsonLine<T extends z.ZodType>(
  text: string,
  line: number,
  schema: LineSchema<T>,
  options: Pick<JsonLinesOptions, 'what' | 'pythonNonFinite'> = {},
): LineCheck<z.output<T>> {
  let value: unknown;
  try {
    value = JSON.parse(options.pythonNonFinite ? withoutNonFinite(text) : text);
  } catch (error) {
    return { success: false, problem: `not valid JSON (${(error as Error).message})` };
  }
  const parsed = (typeof schema === 'function' ? schema(value, line) : schema).safeParse(value);
  if (parsed.success) return { success: true, data: parsed.data };
  return { success: false, problem: `not a valid ${options.what ?? 'record'}:\n${z.prettifyError(parsed.error)}` };
}

/**
 * Reads JSONL text record by record. A bad line is an `NxtError` (`options.code`) naming the file and
 * line; the last line without its newline is read by `options.lastLine`. `torn`: the line number of a
 * torn last line left for the caller to cut (`repairable` only), else null.
 */
export function parseJsonLines<T extends z.ZodType>(
  text: string,
  schema: LineSchema<T>,
  options: JsonLinesOptions,
): { records: JsonLine<z.output<T>>[]; torn: number | null } {
  const lines = text.split('\n');
  const records: JsonLine<z.output<T>>[] = [];
  for (const [index, body] of lines.entries()) {
    if (body.trim() === '') continue;
    const line = index + 1;
    const checked = checkJsonLine(body, line, schema, options);
    if (checked.success) {
      records.push({ record: checked.data, line });
      continue;
    }
    // Only the last element of the split lacks its newline.
    const unended = index === lines.length - 1;
    if (!unended || (options.lastLine ?? 'invalid') === 'invalid') {
      throw new NxtError(options.code, `${options.from}:${line}: ${checked.problem}`);
    }
    if (options.lastLine === 'repairable') return { records, torn: line };
    const hint = 'the command that writes this file repairs it when it runs again';
    throw new NxtError(
      options.code,
      `${options.from}:${line}: the last line is incomplete (a write stopped halfway); ${hint}`,
    );
  }
  return { records, torn: null };
}

/**
 * Reads the JSONL file open at `handle` (read and write with `repair`): a torn last line is refused
 * with its file and line, a whole last record without its newline is read. With `repair` (only the
 * writer that owns the file, before it appends), the torn line is cut instead, and a whole last
 * record missing its newline is ended, so the next append starts a line of its own.
 */
export async function readJsonLines<T extends z.ZodType>(
  handle: FileHandle,
  schema: LineSchema<T>,
  options: Omit<JsonLinesOptions, 'lastLine'> & { repair?: boolean },
): Promise<JsonLine<z.output<T>>[]> {
  const bytes = await handle.readFile();
  const text = bytes.toString('utf8');
  const { records, torn } = parseJsonLines(text, schema, {
    ...options,
    lastLine: options.repair ? 'repairable' : 'torn',
  });
  // Byte offsets from the bytes read (a decoded text can differ in length where bytes are not UTF-8).
  if (torn !== null) await handle.truncate(bytes.lastIndexOf(10) + 1);
  else if (options.repair && !text.endsWith('\n') && text.trim() !== '') await handle.write('\n', bytes.length);
  return records;
}

/**
 * The lines of the file open at `handle` between byte offsets `start` and `end`, read in chunks (a
 * file of any size, never held whole): each line's bytes without its newline and its offset; the
 * last one has `ended` false when the range ends before its newline.
 */
export async function* jsonLineBytes(
  handle: FileHandle,
  start: number,
  end: number,
): AsyncGenerator<{ bytes: Buffer; offset: number; ended: boolean }> {
  const buffer = Buffer.alloc(1 << 16);
  let offset = start;
  let position = start;
  let pending: Buffer = Buffer.alloc(0);
  while (position < end) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position), position);
    if (bytesRead === 0) break;
    position += bytesRead;
    pending = Buffer.concat([pending, buffer.subarray(0, bytesRead)]);
    for (let newline = pending.indexOf(10); newline >= 0; newline = pending.indexOf(10)) {
      yield { bytes: pending.subarray(0, newline), offset, ended: true };
      offset += newline + 1;
      pending = pending.subarray(newline + 1);
    }
  }
  if (pending.length > 0) yield { bytes: pending, offset, ended: false };
}

/** Records as JSONL text: one line each, every line ending in a newline (empty for none). */
export function formatJsonLines(records: readonly unknown[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join('');
}

/** The last append queued for each file: appends to one file run one after another. */
const appending = new Map<string, Promise<void>>();

/**
 * Appends records as JSON lines. Appends to the same file are queued, one at a time: a large batch is
 * written in several chunks, and two concurrent batches would otherwise interleave their chunks and
 * corrupt each other's lines. A kill leaves at most a torn last line (see `readJsonLines`' repair).
 * `flag`: how the file is opened (default append, creating it).
 */
export function appendJsonLines(
  path: string,
  records: readonly unknown[],
  options: { flag?: number | string } = {},
): Promise<void> {
  if (records.length === 0) return Promise.resolve();
  const text = formatJsonLines(records);
  const append = () => appendFile(path, text, { flag: options.flag ?? 'a' });
  const previous = appending.get(path) ?? Promise.resolve();
  const next = previous.then(append, append);
  appending.set(path, next);
  const settled = () => {
    if (appending.get(path) === next) appending.delete(path);
  };
  next.then(settled, settled);
  return next;
}
