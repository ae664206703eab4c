import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { formatJsonLines, NxtError, parseJsonLines } from '../shared/index.js';
import { type Problem, ProblemSchema, type RepairTask, RepairTaskSchema } from './schema.js';

/** Writes tasks as JSONL, one task per line. */
export async function writeTaskFile(path: string, tasks: readonly (Problem | RepairTask)[]): Promise<void> {
  await writeFile(path, formatJsonLines(tasks));
}

/** Reads a JSONL task file (an export, a built MBPP-R or synthetic set); errors name the line. */
export async function readTaskFile(path: string): Promise<(Problem | RepairTask)[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new NxtError('data', `cannot read task file ${path}: ${(error as Error).message}`);
  }
  const sha256 = createHash('sha256').update(text).digest('hex');
  // A line is a repair task when it has a buggy program, else a problem; the fields it leaves out default.
  const { records } = parseJsonLines(text, (value, line) => taskLine(value, path, line, sha256), {
    from: path,
    code: 'data',
    what: 'task',
  });
  return records.map(({ record }) => record);
}

/** The schema of one task file line: its defaults (which name the line) filled in, then checked. */
function taskLine(value: unknown, path: string, line: number, sha256: string) {
  const schema = value && typeof value === 'object' && 'buggyProgram' in value ? RepairTaskSchema : ProblemSchema;
  return z.preprocess((raw) => withDefaults(raw, path, line, sha256), schema as z.ZodType<Problem | RepairTask>);
}

/**
 * A hand-written task needs only `id`, `description`, `entryPoint` and `tests` (and `buggyProgram` for a
 * repair task): the rest defaults to what a task without that part has, and its provenance is this file.
 */
function withDefaults(value: unknown, path: string, line: number, sha256: string): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const task = value as Record<string, unknown>;
  return {
    schemaVersion: 1,
    dataset: basename(path).replace(/\.jsonl$/, ''),
    promptTests: [],
    plusTests: null,
    reference: null,
    split: null,
    provenance: { file: basename(path), sha256, line, upstreamId: String(task['id'] ?? '') },
    ...('buggyProgram' in task ? { bugLabel: null, failingTest: null } : {}),
    ...task,
  };
}
