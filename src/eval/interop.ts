import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import {
  differingFields,
  manifestBasics,
  openRunFolder,
  readResults,
  type Shard,
  type Summary,
} from '../runs/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { NxtError, parseJsonLines } from '../shared/index.js';
import type { Problem } from '../tasks/index.js';
import { type AnswerSource, type EngineProgress, runEngine } from './engine.js';
import type { VerdictCache } from './exec-cache.js';
import { DEFAULT_LIMITS_RULE, type LimitsRule } from './judge-fix.js';
import { shardTasks } from './shard.js';

/**
 * One sample line: EvalPlus's `{task_id, solution}` (a whole program) or human-eval's `{task_id,
 * completion}` (the rest of the task's prompt, which is prepended, as both harnesses do). When a line
 * has both, the solution counts, as in EvalPlus. Other fields (completion_id, ...) are ignored.
 */
const SampleLineSchema = z.union([
  z.object({ task_id: z.union([z.string(), z.number()]), solution: z.string() }),
  z.object({ task_id: z.union([z.string(), z.number()]), completion: z.string() }),
]);

/** The benchmark families whose task ids tools spell differently: HumanEval/N, Python/N (HumanEvalFix); Mbpp/N, MBPP/N. */
const ID_FAMILIES: Record<string, string> = { humaneval: 'humaneval', python: 'humaneval', mbpp: 'mbpp' };

function familyKey(taskId: string): string | null {
  const match = /^([A-Za-z]+)\/(\d+)$/.exec(taskId.trim());
  const family = match ? ID_FAMILIES[(match[1] as string).toLowerCase()] : undefined;
  return match && family ? `${family}/${Number(match[2])}` : null;
}

/**
 * Our task for a sample's task id, whichever tool wrote it: the id itself, or the same benchmark
 * problem in another spelling (HumanEval/3 = Python/3 of HumanEvalFix; Mbpp/2 = MBPP/2; a bare MBPP
 * number). Undefined when the dataset has no such task.
 */
export function taskResolver(tasks: readonly Problem[]): (taskId: string | number) => Problem | undefined {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const byFamily = new Map<string, Problem>();
  for (const task of tasks) {
    const key = familyKey(task.id);
    if (key) byFamily.set(key, task);
  }
  return (taskId) => {
    if (typeof taskId === 'number') return byFamily.get(`mbpp/${taskId}`);
    const key = familyKey(taskId);
    return byId.get(taskId) ?? (key ? byFamily.get(key) : undefined);
  };
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
  /** Verdicts of identical programs are reused from it; missing: every program is judged. */
  execCache?: VerdictCache | null;
  /** Judge only this shard of the tasks (lines of other tasks are left to the other shards). */
  shard?: Shard;
  /** Judging limits (default: DEFAULT_LIMITS_RULE, EvalPlus's defaults for its tests). */
  limits?: Partial<LimitsRule>;
}

/**
 * Judges programs produced elsewhere: JSONL lines `{"task_id", "solution"}` (EvalPlus) or `{"task_id",
 * "completion"}` (human-eval; the task's prompt is prepended), several per task allowed, indexed in
 * file order, become results in `outDir`, like an nxt run's. Repair datasets and code-generation
 * datasets (humaneval, humaneval-plus, mbpp, mbpp-plus) alike. An import is a run of the engine whose
 * first answers are the file's programs, judged as they are.
 */
export async function importSamples(
  file: string,
  outDir: string,
  tasks: readonly Problem[],
  sandbox: Sandbox,
  options: ImportOptions = {},
): Promise<Summary> {
  const all = await readSampleFile(file, tasks);
  const mine = shardTasks(
    tasks.filter((task) => all.has(task.id)),
    options.shard,
  );
  const samples = new Map(mine.map((task) => [task.id, all.get(task.id) ?? []]));
  // The folder is this file's run: importing it again resumes (nothing is judged twice); another
  // file (or the same name with other content) is refused.
  const sha256 = await fileSha256(file);
  await openRunFolder(
    outDir,
    {
      ...manifestBasics(sandbox, options.nxtVersion ?? 'unknown'),
      kind: 'import',
      dataset: tasks[0]?.dataset ?? '?',
      file,
      fileSha256: sha256,
      ...(options.shard ? { shard: options.shard, taskIds: mine.map((task) => task.id) } : {}),
    },
    (existing) => differingFields(existing, { fileSha256: sha256, shard: options.shard }, ['fileSha256', 'shard']),
  );
  const source: AnswerSource<undefined> = {
    plan: (task) => [{ mode: 'sample', indexes: (samples.get(task.id) ?? []).map((_, index) => index) }],
    prepare: async () => undefined,
    open: async (task, _mode, indexes) =>
      indexes.map((index) => ({ index, from: 'given', program: samples.get(task.id)?.[index] ?? '' })),
  };
  return runEngine({
    outDir,
    tasks: mine,
    source,
    sandbox,
    client: null,
    limits: { ...DEFAULT_LIMITS_RULE, ...options.limits },
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.execCache ? { execCache: options.execCache } : {}),
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
async function readSampleFile(file: string, tasks: readonly Problem[]): Promise<Map<string, string[]>> {
  const resolve = taskResolver(tasks);
  const dataset = tasks[0]?.dataset ?? 'the dataset';
  const samples = new Map<string, string[]>();
  const { records } = parseJsonLines(await readFile(file, 'utf8'), SampleLineSchema, {
    from: file,
    code: 'data',
    what: 'sample: expected {"task_id": ..., "solution": ...} (EvalPlus) or {"task_id": ..., "completion": ...} (human-eval)',
  });
  for (const { record, line } of records) {
    const where = `${file}:${line}`;
    const task = resolve(record.task_id);
    if (!task) throw new NxtError('data', `${where}: ${dataset} has no task ${record.task_id}`);
    let program: string;
    if ('solution' in record) program = record.solution;
    else if (task.prompt === null) {
      throw new NxtError(
        'data',
        `${where}: ${task.dataset} has no prompt a completion continues; give whole programs as {"task_id", "solution"}`,
      );
    } else program = `${task.prompt}${record.completion}`;
    const programs = samples.get(task.id) ?? [];
    programs.push(program);
    samples.set(task.id, programs);
  }
  return samples;
}

/** A run's programs as EvalPlus-style sample lines (`task_id`, `solution`), one per sample. */
export async function sampleLines(runDir: string): Promise<string[]> {
  const results = (await readResults(runDir)).filter((result) => result.mode === 'sample');
  return results.map((result) => JSON.stringify({ task_id: result.taskId, solution: result.program ?? '' }));
}

/** Writes a run's programs as EvalPlus-style samples to `file`; returns how many. */
export async function exportSamples(runDir: string, file: string): Promise<number> {
  const lines = await sampleLines(runDir);
  await writeFile(file, lines.length ? `${lines.join('\n')}\n` : '');
  return lines.length;
}

/** sha256 of a file, for the manifest of the run that imports it. */
async function fileSha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}
