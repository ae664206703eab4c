import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CliIo } from './io.js';
import type { OutputFile } from './option-kinds.js';

/**
 * Writes what a command produces to its file, or to standard output for `-`. Returns the file's name
 * for the command's "wrote ..." line, or null when it went to standard output (where that line would
 * be mixed into the output).
 */
export async function writeOutput(file: OutputFile, text: string, io: CliIo): Promise<string | null> {
  if (file.stdout) {
    io.stdout(text);
    return null;
  }
  await writeFile(resolve(io.cwd, file.path), text);
  return file.path;
}

/** JSON Lines: one line per item, each ending in a newline. */
export function jsonLines(items: readonly unknown[]): string {
  return items.map((item) => `${typeof item === 'string' ? item : JSON.stringify(item)}\n`).join('');
}
