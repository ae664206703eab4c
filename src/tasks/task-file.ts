import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { NxtError } from '../shared/index.js';
import { type Problem, ProblemSchema, type RepairTask, RepairTaskSchema } from './schema.js';

/** Writes tasks as JSONL, one task per line. */
export async function writeTaskFile(path: string, tasks: readonly (Problem | RepairTask)[]): Promise<void> {
  await writeFile(path, tasks.map((task) => JSON.stringify(task)).join('\n') + (tasks.length ? '\n' : ''));
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
  const tasks: (Problem | RepairTask)[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new NxtError('data', `${path}:${index + 1}: not valid JSON (${(error as Error).message})`);
    }
    const schema = value && typeof value === 'object' && 'buggyProgram' in value ? RepairTaskSchema : ProblemSchema;
    const parsed = schema.safeParse(withDefaults(value, path, index + 1, sha256));
    if (!parsed.success)
      throw new NxtError('data', `${path}:${index + 1}: not a task:\n${z.prettifyError(parsed.error)}`);
    tasks.push(parsed.data);
  }
  return tasks;
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
