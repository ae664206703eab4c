import { constants } from 'node:fs';
import { type FileHandle, open, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { appendJsonLines, NxtError, readJsonLines } from '../shared/index.js';

/**
 * How a run folder's files are read and written. A folder may have been copied, downloaded or edited
 * by hand (decision 0017): no link is followed, every record is checked against its schema, and only
 * the run that owns a file repairs what a kill left in it.
 */

/** A run folder's file is never reached through a link: a copied or downloaded folder could point anywhere. */
function linkRefused(path: string): NxtError {
  return new NxtError(
    'run',
    `${path} is a symbolic link: nxt does not follow links in a run folder (put the file itself there)`,
  );
}

async function openNoFollow(path: string, flags: number): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO in a run folder must not hang the reader before it is refused below.
    handle = await open(path, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw linkRefused(path);
    throw error;
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new NxtError('run', `${path} is not a regular file: a run folder holds only files nxt wrote`);
  }
  return handle;
}

/**
 * Opens a run folder's file for reading without following a symbolic link; null when there is none.
 * A link, or anything but a regular file, is a `run` error naming it.
 */
export function openRunFile(path: string): Promise<FileHandle | null> {
  return openNoFollow(path, constants.O_RDONLY);
}

/**
 * The text of a run folder's file (manifest, summary, records), or null when it does not exist. A
 * symbolic link or anything but a regular file is refused (a `run` error naming it), never followed.
 */
export async function readRunFile(path: string): Promise<string | null> {
  const handle = await openRunFile(path);
  if (!handle) return null;
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * A run folder's JSON file (manifest, summary) checked against `schema`; null when it does not exist.
 * A link, bad JSON or the wrong shape is a `run` error naming the file and what is wrong.
 */
export async function readRunJson<T extends z.ZodType>(path: string, schema: T): Promise<z.output<T> | null> {
  const text = await readRunFile(path);
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new NxtError('run', `${path} is not valid JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new NxtError('run', `${path} is not what nxt wrote:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * Appends records as JSON lines through the one JSONL writer (appends to one file are queued, whole
 * records per write). A kill leaves at most a partial last line (repaired by the run's own
 * `readRecords(..., { repair: true })` when it resumes). A symbolic link is refused, never written through.
 */
export async function appendRecords(path: string, records: readonly unknown[]): Promise<void> {
  const flag = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
  await appendJsonLines(path, records, { flag }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ELOOP' ? linkRefused(path) : error;
  });
}

/**
 * Reads a JSONL file of records; none when it does not exist. Every line must be a valid record: a
 * bad one is an error naming the file and line. Readers never change the file: a torn last line (a
 * run stopped mid-write) is refused. Only the run that owns the file passes `repair` before it
 * appends: a torn last line is then cut, and a whole last record missing its newline is ended.
 * A symbolic link is refused, never followed.
 */
export async function readRecords<T extends z.ZodType>(
  path: string,
  schema: T,
  options: { repair?: boolean } = {},
): Promise<z.output<T>[]> {
  const handle = await openNoFollow(path, options.repair ? constants.O_RDWR : constants.O_RDONLY);
  if (!handle) return [];
  try {
    const lines = await readJsonLines(handle, schema, { from: path, code: 'run', ...options });
    return lines.map((line) => line.record);
  } finally {
    await handle.close();
  }
}

/** Writes `value` as JSON to `path` atomically (a temporary file renamed over it): never half a file. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, path);
}
