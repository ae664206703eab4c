import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { Sandbox } from '../sandbox/index.js';
import { NxtError } from '../shared/index.js';
import type { RepairTask } from '../tasks/index.js';
import { type AnswerSource, type EngineProgress, runEngine } from './engine.js';
import { DEFAULT_FIX_LIMITS } from './judge-fix.js';
import { ResultRecordSchema, RUN_SCHEMA_VERSION, readRecords } from './records.js';
import { fileSha256, openRunFolder } from './run-folder.js';
import { STRATEGIES } from './strategies/index.js';
import type { Summary } from './summary.js';

const EvalPlusSampleSchema = z.object({ task_id: z.string(), solution: z.string() });

/** Maps an EvalPlus/HumanEval task id to ours: HumanEval/N is HumanEvalFix's Python/N; others as they are. */
function ourId(taskId: string, ids: ReadonlySet<string>): string {
  if (ids.has(taskId)) return taskId;
  const number = /^HumanEval\/(\d+)$/.exec(taskId)?.[1];
  if (number !== undefined && ids.has(`Python/${number}`)) return `Python/${number}`;
  return taskId;
}

export interface ImportOptions {
  nxtVersion?: string;
  /** What summary.json calls the dataset and the model (default: the tasks' dataset, `imported:FILE`). */
  dataset?: string;
  model?: string;
  onProgress?: (progress: EngineProgress) => void;
  concurrency?: number;
  /** The k of pass@k reported. */
  k?: readonly number[];
}

/**
 * Judges programs produced elsewhere: EvalPlus-style JSONL lines `{"task_id", "solution"}` (several per
 * task allowed, indexed in file order) become results in `outDir`, like an nxt run's. An import is a
 * run of the engine whose first answers are the file's programs, judged as they are.
 */
export async function importSamples(
  file: string,
  outDir: string,
  tasks: readonly RepairTask[],
  sandbox: Sandbox,
  options: ImportOptions = {},
): Promise<Summary> {
  const samples = await readSampleFile(file, tasks);
  // The folder is this file's run: importing it again resumes (nothing is judged twice); another
  // file (or the same name with other content) is refused.
  const sha256 = await fileSha256(file);
  await openRunFolder(
    outDir,
    {
      schemaVersion: RUN_SCHEMA_VERSION,
      kind: 'import',
      createdAt: new Date().toISOString(),
      nxtVersion: options.nxtVersion ?? 'unknown',
      python: sandbox.pythonVersion,
      sandbox: sandbox.layers.filter((layer) => layer.active).map((layer) => layer.name),
      dataset: tasks[0]?.dataset ?? '?',
      file,
      fileSha256: sha256,
    },
    (existing) => existing.kind === 'import' && existing.fileSha256 === sha256,
  );
  const source: AnswerSource<undefined> = {
    plan: (task) => [{ mode: 'sample', indexes: (samples.get(task.id) ?? []).map((_, index) => index) }],
    prepare: async () => undefined,
    open: async (task, _mode, indexes) =>
      indexes.map((index) => ({ index, from: 'given', program: samples.get(task.id)?.[index] ?? '' })),
  };
  return runEngine({
    outDir,
    tasks: tasks.filter((task) => samples.has(task.id)),
    source,
    sandbox,
    client: null,
    limits: {
      testTimeoutMs: DEFAULT_FIX_LIMITS.testTimeoutMs as number,
      floorMs: 1000,
      plusTimeoutMs: DEFAULT_FIX_LIMITS.plusTimeoutMs,
    },
    strategy: STRATEGIES.nxt,
    turns: 1,
    trace: 'none',
    traceBudgetTokens: 0,
    countTokens: () => 0,
    sampling: (temperature) => ({ temperature, maxTokens: 0 }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    summary: {
      dataset: options.dataset ?? tasks[0]?.dataset ?? '?',
      model: options.model ?? `imported:${basename(file)}`,
      samples: Math.max(0, ...[...samples.values()].map((programs) => programs.length)),
      ...(options.k ? { k: options.k } : {}),
    },
  });
}

/** The file's programs by our task id, in file order; a line that is not a sample of a known task is an error. */
async function readSampleFile(file: string, tasks: readonly RepairTask[]): Promise<Map<string, string[]>> {
  const ids = new Set(tasks.map((task) => task.id));
  const samples = new Map<string, string[]>();
  const lines = (await readFile(file, 'utf8')).split('\n');
  for (const [number, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new NxtError('data', `${file}:${number + 1}: not valid JSON`);
    }
    const parsed = EvalPlusSampleSchema.safeParse(value);
    if (!parsed.success)
      throw new NxtError('data', `${file}:${number + 1}: expected {"task_id": ..., "solution": ...}`);
    const taskId = ourId(parsed.data.task_id, ids);
    if (!ids.has(taskId)) throw new NxtError('data', `${file}:${number + 1}: unknown task ${parsed.data.task_id}`);
    const programs = samples.get(taskId) ?? [];
    programs.push(parsed.data.solution);
    samples.set(taskId, programs);
  }
  return samples;
}

/** Writes a run's programs as EvalPlus-style samples (`task_id`, `solution`), one per judged sample. */
export async function exportSamples(runDir: string, file: string): Promise<number> {
  const results = (await readRecords(join(runDir, 'results.jsonl'), ResultRecordSchema)).filter(
    (result) => result.mode === 'sample',
  );
  const lines = results.map((result) => JSON.stringify({ task_id: result.taskId, solution: result.program ?? '' }));
  await writeFile(file, lines.length ? `${lines.join('\n')}\n` : '');
  return lines.length;
}
