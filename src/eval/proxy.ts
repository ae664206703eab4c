import type { LlmClient } from '../llm/index.js';
import { stripCode } from '../prompt/index.js';
import {
  differingFields,
  type EvalManifest,
  manifestBasics,
  openRunFolder,
  type ResultRecord,
  readManifest,
  readResults,
  type Shard,
  type Summary,
} from '../runs/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { UsageError } from '../shared/index.js';
import type { RepairTask } from '../tasks/index.js';
import { type AnswerSource, type EngineProgress, type Opening, runEngine } from './engine.js';
import type { VerdictCache } from './exec-cache.js';
import { DEFAULT_LIMITS_RULE } from './judge-fix.js';
import { shardTasks } from './shard.js';

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
  onProgress?: (progress: EngineProgress) => void;
  /** Most tasks worked on at once. */
  concurrency?: number;
  /** Only this shard of the tasks. */
  shard?: Shard;
  /** Verdicts of identical programs are reused from it; missing: every program is judged. */
  execCache?: VerdictCache | null;
}

/**
 * The manifest of the run whose rationales a proxy run reads, which must be an eval run: an import
 * holds programs without rationales, and a proxy run's rationales are its teacher's. Either is a
 * usage error saying so; a folder that is not a run is a `run` error naming what is wrong.
 */
export async function teacherManifest(fromDir: string): Promise<EvalManifest> {
  const manifest = await readManifest(fromDir);
  if (manifest.kind === 'import') {
    throw new UsageError(
      `${fromDir} is an import: it holds programs without rationales; eval proxy reads the rationales of an eval run (nxt eval)`,
    );
  }
  if (manifest.kind === 'proxy') {
    throw new UsageError(
      `${fromDir} is a proxy run: its rationales are those of ${manifest.from}; give that run with --from`,
    );
  }
  return manifest;
}

/**
 * Proxy rationale quality: a student model writes a fix from each rationale of a run (code removed);
 * the student's pass@k over the same tasks measures how useful the rationales are. A proxy run is a
 * run of the engine whose first answers are the student's: sample i of a task is the student's fix
 * from the teacher's sample i. A restarted proxy run skips what it already judged.
 */
export async function runProxy(
  fromDir: string,
  outDir: string,
  tasks: readonly RepairTask[],
  student: LlmClient,
  sandbox: Sandbox,
  options: ProxyOptions = {},
): Promise<Summary> {
  await teacherManifest(fromDir);
  const teacher = new Map<string, Map<number, ResultRecord>>();
  for (const result of await readResults(fromDir)) {
    if (result.mode !== 'sample') continue;
    const ofTask = teacher.get(result.taskId) ?? new Map<number, ResultRecord>();
    ofTask.set(result.index, result);
    teacher.set(result.taskId, ofTask);
  }
  const dataset = tasks[0]?.dataset ?? '?';
  const mine = shardTasks(
    tasks.filter((task) => teacher.has(task.id)),
    options.shard,
  );
  await openRunFolder(
    outDir,
    {
      ...manifestBasics(sandbox, options.nxtVersion ?? 'unknown'),
      kind: 'proxy',
      from: fromDir,
      dataset,
      student: student.spec.model,
      endpoint: {
        baseUrls: [...student.spec.baseUrls],
        ...(student.spec.cacheKey ? { cacheKey: student.spec.cacheKey } : {}),
      },
      ...(options.shard ? { shard: options.shard, taskIds: mine.map((task) => task.id) } : {}),
    },
    (existing) =>
      differingFields(existing, { from: fromDir, student: student.spec.model, shard: options.shard }, [
        'from',
        'student',
        'shard',
      ]),
  );
  const sampling = (temperature: number) => ({ temperature, maxTokens: options.maxTokens ?? 1024 });
  const temperature = options.temperature ?? 0;
  const source: AnswerSource<undefined, RepairTask> = {
    plan: (task) => [{ mode: 'sample', indexes: [...(teacher.get(task.id)?.keys() ?? [])] }],
    prepare: async () => undefined,
    open: (task, _mode, indexes) =>
      Promise.all(
        indexes.map(async (index): Promise<Opening> => {
          const rationale = teacher.get(task.id)?.get(index)?.rationale ?? null;
          // A teacher sample without a rationale gives the student nothing: it counts as a failure.
          if (!rationale) return { index, from: 'nothing', rationale };
          const conversation = { messages: proxyPrompt(task, rationale) };
          const [outcome] = await student.sample({ ...conversation, ...sampling(temperature), n: 1 });
          if (!outcome) throw new Error(`the student gave no outcome for ${task.id} sample ${index}`);
          return {
            index,
            from: 'model',
            outcome: { ...outcome, index },
            conversation,
            temperature,
            rationale,
          };
        }),
      ),
  };
  const samples = Math.max(0, ...[...teacher.values()].map((ofTask) => ofTask.size));
  return runEngine({
    outDir,
    tasks: mine,
    source,
    sandbox,
    client: student,
    limits: {
      ...DEFAULT_LIMITS_RULE,
      ...(options.testTimeoutMs === undefined ? {} : { testTimeoutMs: options.testTimeoutMs }),
    },
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.execCache ? { execCache: options.execCache } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    summary: { dataset: `${dataset} (proxy)`, model: student.spec.model, samples },
  });
}
