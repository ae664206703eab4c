import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Sandbox } from '../sandbox/index.js';
import { NxtError } from '../shared/index.js';
import type { RepairTask } from '../tasks/index.js';
import { judgeFix, limitsPolicy } from './judge-fix.js';
import { appendRecords, type ResultRecord, ResultRecordSchema, RUN_SCHEMA_VERSION, readRecords } from './records.js';
import { fileSha256, openRunFolder } from './run-folder.js';

const EvalPlusSampleSchema = z.object({ task_id: z.string(), solution: z.string() });

/** Maps an EvalPlus/HumanEval task id to ours: HumanEval/N is HumanEvalFix's Python/N; others as they are. */
function ourId(taskId: string, ids: ReadonlySet<string>): string {
  if (ids.has(taskId)) return taskId;
  const number = /^HumanEval\/(\d+)$/.exec(taskId)?.[1];
  if (number !== undefined && ids.has(`Python/${number}`)) return `Python/${number}`;
  return taskId;
}

/**
 * Judges programs produced elsewhere: EvalPlus-style JSONL lines `{"task_id", "solution"}` (several per
 * task allowed, indexed in file order) become results in `outDir`, like an nxt run's.
 */
export async function importSamples(
  file: string,
  outDir: string,
  tasks: readonly RepairTask[],
  sandbox: Sandbox,
  nxtVersion = 'unknown',
): Promise<number> {
  // The folder is this file's run: importing it again resumes (nothing is judged twice); another
  // file (or the same name with other content) is refused.
  const sha256 = await fileSha256(file);
  await openRunFolder(
    outDir,
    {
      schemaVersion: RUN_SCHEMA_VERSION,
      kind: 'import',
      createdAt: new Date().toISOString(),
      nxtVersion,
      python: sandbox.pythonVersion,
      sandbox: sandbox.layers.filter((layer) => layer.active).map((layer) => layer.name),
      dataset: tasks[0]?.dataset ?? '?',
      file,
      fileSha256: sha256,
    },
    (existing) => existing.kind === 'import' && existing.fileSha256 === sha256,
  );
  const resultsPath = join(outDir, 'results.jsonl');
  const done = new Set(
    (await readRecords(resultsPath, ResultRecordSchema)).map((result) => `${result.taskId}#${result.index}`),
  );
  const ids = new Set(tasks.map((task) => task.id));
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const lines = (await readFile(file, 'utf8')).split('\n');
  const samples: { taskId: string; solution: string; index: number }[] = [];
  const seen = new Map<string, number>();
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
    if (!byId.has(taskId)) throw new NxtError('data', `${file}:${number + 1}: unknown task ${parsed.data.task_id}`);
    const index = seen.get(taskId) ?? 0;
    seen.set(taskId, index + 1);
    samples.push({ taskId, solution: parsed.data.solution, index });
  }
  const todo = samples.filter((sample) => !done.has(`${sample.taskId}#${sample.index}`));
  const limitsOf = limitsPolicy(sandbox);
  const results: ResultRecord[] = await Promise.all(
    todo.map(async (sample) => ({
      schemaVersion: RUN_SCHEMA_VERSION,
      taskId: sample.taskId,
      mode: 'sample' as const,
      index: sample.index,
      outcome: 'judged' as const,
      rationale: null,
      program: sample.solution,
      ...(await (async () => {
        const task = byId.get(sample.taskId) as RepairTask;
        return judgeFix(sandbox, task, sample.solution, await limitsOf(task));
      })()),
    })),
  );
  await appendRecords(resultsPath, results);
  return Math.max(0, ...seen.values());
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
