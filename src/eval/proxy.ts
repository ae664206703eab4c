import { join } from 'node:path';
import type { LlmClient } from '../llm/index.js';
import { parseAnswer, stripCode } from '../prompt/index.js';
import type { Sandbox } from '../sandbox/index.js';
import type { RepairTask } from '../tasks/index.js';
import { DEFAULT_FIX_LIMITS, type FixLimits, judgeFix, limitsPolicy, unjudged } from './judge-fix.js';
import { appendRecords, type ResultRecord, ResultRecordSchema, RUN_SCHEMA_VERSION, readRecords } from './records.js';
import { writeSummary } from './run.js';
import { openRunFolder } from './run-folder.js';
import type { Summary } from './summary.js';

const SYSTEM =
  'You are a Python programmer. A colleague has analysed a bug; use the analysis to write the fixed program.';

/** What the student sees: the task, the buggy code, the tests and the teacher's rationale without its code. */
export function proxyPrompt(task: RepairTask, rationale: string) {
  const content = [
    `Task: ${task.description.trim()}`,
    '',
    'This program fails at least one of the tests below.',
    '```python',
    task.buggyProgram.trimEnd(),
    '```',
    '',
    'Tests:',
    '```python',
    task.promptTests.join('\n'),
    '```',
    '',
    "A colleague's analysis of the bug:",
    stripCode(rationale) || '(no analysis)',
    '',
    'Write the complete fixed program in one ```python block.',
  ].join('\n');
  return [
    { role: 'system' as const, content: SYSTEM },
    { role: 'user' as const, content },
  ];
}

export interface ProxyOptions {
  /** Written into the run's manifest. */
  nxtVersion?: string;
  temperature?: number;
  maxTokens?: number;
  testTimeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Proxy rationale quality: a student model writes a fix from each rationale of a run (code removed);
 * the student's pass@k over the same tasks measures how useful the rationales are. Results go to
 * `outDir` like any run's; a restarted proxy run skips what it already judged.
 */
export async function runProxy(
  fromDir: string,
  outDir: string,
  tasks: readonly RepairTask[],
  student: LlmClient,
  sandbox: Sandbox,
  options: ProxyOptions = {},
): Promise<Summary> {
  const teacher = (await readRecords(join(fromDir, 'results.jsonl'), ResultRecordSchema)).filter(
    (result) => result.mode === 'sample',
  );
  const dataset = tasks[0]?.dataset ?? '?';
  await openRunFolder(
    outDir,
    {
      schemaVersion: RUN_SCHEMA_VERSION,
      kind: 'proxy',
      createdAt: new Date().toISOString(),
      nxtVersion: options.nxtVersion ?? 'unknown',
      python: sandbox.pythonVersion,
      sandbox: sandbox.layers.filter((layer) => layer.active).map((layer) => layer.name),
      from: fromDir,
      dataset,
      student: student.spec.model,
      endpoint: {
        baseUrls: [...student.spec.baseUrls],
        ...(student.spec.cacheKey ? { cacheKey: student.spec.cacheKey } : {}),
      },
    },
    (existing) => existing.kind === 'proxy' && existing.from === fromDir && existing.student === student.spec.model,
  );
  const resultsPath = join(outDir, 'results.jsonl');
  const done = new Set(
    (await readRecords(resultsPath, ResultRecordSchema)).map((result) => `${result.taskId}#${result.index}`),
  );
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const limitsOf = limitsPolicy(sandbox, {
    testTimeoutMs: options.testTimeoutMs ?? (DEFAULT_FIX_LIMITS.testTimeoutMs as number),
    floorMs: 1000,
    plusTimeoutMs: DEFAULT_FIX_LIMITS.plusTimeoutMs,
  });
  const todo = teacher.filter((result) => byId.has(result.taskId) && !done.has(`${result.taskId}#${result.index}`));
  let finished = 0;
  const queue = [...todo];
  await Promise.all(
    Array.from({ length: Math.min(32, queue.length) }, async () => {
      for (let source = queue.shift(); source; source = queue.shift()) {
        const task = byId.get(source.taskId) as RepairTask;
        const record = await proxyOne(task, source, student, sandbox, options, await limitsOf(task));
        await appendRecords(resultsPath, [record]);
        finished += 1;
        options.onProgress?.(finished, todo.length);
      }
    }),
  );
  const samples = Math.max(0, ...[...countsOf(teacher).values()]);
  return writeSummary(
    outDir,
    { dataset: `${dataset} (proxy)`, model: student.spec.model, samples },
    tasks,
    student.stats().costUsd,
  );
}

function countsOf(results: readonly ResultRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const result of results) counts.set(result.taskId, (counts.get(result.taskId) ?? 0) + 1);
  return counts;
}

async function proxyOne(
  task: RepairTask,
  source: ResultRecord,
  student: LlmClient,
  sandbox: Sandbox,
  options: ProxyOptions,
  limits: FixLimits,
): Promise<ResultRecord> {
  // A teacher sample without a rationale gives the student nothing: it counts as a failure.
  if (source.outcome !== 'judged' || !source.rationale)
    return unjudged(task.id, 'sample', source.index, 'parse_error', source.rationale);
  const [outcome] = await student.sample({
    messages: proxyPrompt(task, source.rationale),
    n: 1,
    temperature: options.temperature ?? 0,
    maxTokens: options.maxTokens ?? 1024,
  });
  if (outcome?.status !== 'ok') return unjudged(task.id, 'sample', source.index, 'sample_failed', source.rationale);
  const parsed = parseAnswer(outcome.sample.text);
  if (parsed.status !== 'ok') return unjudged(task.id, 'sample', source.index, 'parse_error', source.rationale);
  const verdicts = await judgeFix(sandbox, task, parsed.program, limits);
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    taskId: task.id,
    mode: 'sample',
    index: source.index,
    outcome: 'judged',
    rationale: source.rationale,
    program: parsed.program,
    ...verdicts,
  };
}
