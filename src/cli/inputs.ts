import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../shared/index.js';
import type { CliIo } from './io.js';

/** Reads a user's file, turning every failure into a `UsageError` that names the file. */
export async function readText(path: string, cwd: string, what: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new UsageError(`cannot read ${what} '${path}': ${why}`);
  }
}

/** Test statements from a file: a JSON array of strings, or Python source split into top-level statements. */
export async function readTestsFile(
  path: string,
  io: CliIo,
  split: (source: string) => Promise<string[]>,
): Promise<string[]> {
  const text = await readText(path, io.cwd, 'tests file');
  if (path.endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`tests file '${path}' is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== 'string')) {
      throw new UsageError(`tests file '${path}' must hold a JSON array of Python statements (strings)`);
    }
    return parsed as string[];
  }
  try {
    return await split(text);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`tests file '${path}': ${error.message}`);
    throw error;
  }
}
