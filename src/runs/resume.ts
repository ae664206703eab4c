import type { z } from 'zod';
import { runFile } from './files.js';
import { appendRecords, readRecords } from './io.js';
import {
  type PromptRecord,
  PromptRecordSchema,
  type ResultRecord,
  ResultRecordSchema,
  type SampleRecord,
  SampleRecordSchema,
} from './records.js';

/**
 * Resume keys, built here only. A result is one sample (task, mode, index); an answer is one turn of
 * one sample; a prompt is one task and mode. A restarted run skips every key it has recorded.
 */
export function resultKey(taskId: string, mode: string, index: number): string {
  return `${taskId}\u0000${mode}\u0000${index}`;
}

/** The key of turn `turn` of a sample's answers (turn 1's is the sample's own key). */
export function sampleKey(taskId: string, mode: string, index: number, turn = 1): string {
  return turn === 1 ? resultKey(taskId, mode, index) : `${resultKey(taskId, mode, index)}\u0000${turn}`;
}

export function promptKey(taskId: string, mode: string): string {
  return `${taskId}\u0000${mode}`;
}

/**
 * One record file of a run that is running: what it recorded before it was stopped (read after
 * repairing what a kill left), the keys of its records, and appends that keep the keys up to date.
 * Only the run that owns the folder opens one.
 */
export class RecordLog<T> {
  readonly path: string;
  /** The records written before this run started, in file order. */
  readonly recorded: readonly T[];
  readonly #keyOf: (record: T) => string;
  readonly #keys: Set<string>;

  private constructor(path: string, recorded: readonly T[], keyOf: (record: T) => string) {
    this.path = path;
    this.recorded = recorded;
    this.#keyOf = keyOf;
    this.#keys = new Set(recorded.map(keyOf));
  }

  /** Opens the log at `path` for a run about to append to it: a torn last line is cut first. */
  static async resume<S extends z.ZodType>(
    path: string,
    schema: S,
    keyOf: (record: z.output<S>) => string,
  ): Promise<RecordLog<z.output<S>>> {
    return new RecordLog(path, await readRecords(path, schema, { repair: true }), keyOf);
  }

  /** Whether a record with `key` was written (before, or by an append of this run). */
  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** Appends `records` (queued, whole lines); their keys count as written from this call on. */
  append(records: readonly T[]): Promise<void> {
    for (const record of records) this.#keys.add(this.#keyOf(record));
    return appendRecords(this.path, records);
  }
}

/** The logs a run appends to as it goes: answers and results, with what it recorded before. */
export interface RunLogs {
  samples: RecordLog<SampleRecord>;
  results: RecordLog<ResultRecord>;
}

/** Opens run folder `dir`'s answers and results to resume the run: what a kill left torn is repaired first. */
export async function resumeRunLogs(dir: string): Promise<RunLogs> {
  return {
    samples: await RecordLog.resume(runFile(dir, 'samples'), SampleRecordSchema, (record) =>
      sampleKey(record.taskId, record.mode, record.index, record.turn),
    ),
    results: await RecordLog.resume(runFile(dir, 'results'), ResultRecordSchema, (record) =>
      resultKey(record.taskId, record.mode, record.index),
    ),
  };
}

/** Opens run folder `dir`'s prompts to resume an eval run: each task and mode's first prompt, written once. */
export function resumePromptLog(dir: string): Promise<RecordLog<PromptRecord>> {
  return RecordLog.resume(runFile(dir, 'prompts'), PromptRecordSchema, (record) =>
    promptKey(record.taskId, record.mode),
  );
}
