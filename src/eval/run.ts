import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { LlmClient } from '../llm/index.js';
import {
  COMPLETION_STOP,
  chatPrompt,
  completionPrompt,
  EXEMPLARS,
  PROMPT_VERSION,
  type PromptInput,
  promptHash,
  type Shot,
} from '../prompt/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { NxtError } from '../shared/index.js';
import type { RepairTask } from '../tasks/index.js';
import { fitTrace, PROMPT_TRACE_FORMATS, TraceSchema, traceFormatSpec } from '../trace/index.js';
import { type BatchRoundsOptions, inBatchRounds } from './batch-rounds.js';
import { type AnswerSource, type Conversation, type EngineProgress, runEngine, writeSummary } from './engine.js';
import { traceKey, type VerdictCache } from './exec-cache.js';
import {
  appendRecords,
  checkSamePython,
  manifestBasics,
  type PromptRecord,
  PromptRecordSchema,
  RUN_SCHEMA_VERSION,
  readRecords,
  ShardFields,
  ShardSchema,
  writeJsonAtomic,
} from './records.js';
import { STRATEGIES, STRATEGY_NAMES } from './strategies/index.js';
import { formatSummary, type Summary } from './summary.js';

/** Everything that decides what a run produces; a run folder holds exactly one of these. */
export const EvalConfigSchema = z.strictObject({
  dataset: z.string(),
  model: z.string(),
  api: z.enum(['chat', 'completions']),
  samples: z.number().int().positive(),
  temperature: z.number().min(0).max(2),
  topP: z.number().positive().max(1).optional(),
  maxTokens: z.number().int().positive().default(1024),
  greedy: z.boolean().default(false),
  trace: z.enum(PROMPT_TRACE_FORMATS),
  shots: z.union([z.literal(0), z.literal(3)]),
  /** Rendered traces are shrunk to fit this many tokens (cl100k_base). */
  traceBudgetTokens: z.number().int().positive().default(2048),
  seed: z.number().int().optional(),
  /** Per-test limit when a task has no reference to calibrate from (otherwise max(floor, 4 × reference)). */
  testTimeoutMs: z.number().int().positive().default(5000),
  /** Floor of the calibrated per-test limit, as EvalPlus does. */
  timeoutFloorMs: z.number().int().positive().default(1000),
  plusTimeoutMs: z.number().int().positive().default(60_000),
  /** EvalPlus tests: each input's limit is max(this, plusTimeLimitFactor x the reference's time on it). */
  plusMinTimeLimitMs: z.number().int().positive().default(4000),
  plusTimeLimitFactor: z.number().positive().default(4),
  /** How to repair (strategies.ts): `nxt` answers once; multi-turn strategies answer feedback. */
  strategy: z.enum(STRATEGY_NAMES).default('nxt'),
  /** Most answers per sample (the first one included). */
  turns: z.number().int().min(1).max(10).default(1),
  /** This run is one shard of a run split across machines (shard.ts); `nxt merge` joins the shards. */
  shard: ShardSchema.optional(),
});
export type EvalConfig = z.output<typeof EvalConfigSchema>;
export type EvalConfigInput = z.input<typeof EvalConfigSchema>;

export const ManifestSchema = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  kind: z.literal('eval'),
  createdAt: z.string(),
  nxtVersion: z.string(),
  config: EvalConfigSchema,
  dataset: z.object({ name: z.string(), tasks: z.number(), files: z.record(z.string(), z.string()) }),
  prompt: z.object({ version: z.string(), hash: z.string(), form: z.enum(['chat', 'completion']) }),
  python: z.string(),
  /** The interpreter's path (missing in older runs). */
  pythonExecutable: z.string().optional(),
  sandbox: z.array(z.string()),
  /** Where the model was served: base URLs and the cache identity (missing in older runs). */
  endpoint: z.object({ baseUrls: z.array(z.string()), cacheKey: z.string().optional() }).optional(),
  taskIds: ShardFields.taskIds,
  mergedFrom: ShardFields.mergedFrom,
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** How far a run is (the engine reports it for every kind of run). */
export type EvalProgress = EngineProgress;

export interface EvalDeps {
  client: LlmClient;
  sandbox: Sandbox;
  tasks: readonly RepairTask[];
  /** sha256 of each dataset file, for the manifest. */
  datasetFiles: Record<string, string>;
  countTokens: (text: string) => number;
  nxtVersion: string;
  onProgress?: (progress: EvalProgress) => void;
  /** Most tasks worked on at once (prompting, sampling and judging overlap across tasks). */
  concurrency?: number;
  /** The k of pass@k reported (those above the sample count are left out). */
  k?: readonly number[];
  /** Verdicts of identical programs are reused from it (exec-cache.ts); missing: every program is judged. */
  execCache?: VerdictCache | null;
  /** Sample through the Batch API, one batch per round (batch-rounds.ts); missing: one request at a time. */
  batch?: BatchRoundsOptions;
  /** What serves the model (recorded in the manifest). */
  endpoint?: { baseUrls: readonly string[]; cacheKey?: string };
}

async function prepareRun(outDir: string, config: EvalConfig, deps: EvalDeps, shotHash: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, 'manifest.json');
  if (existsSync(path)) {
    const existing = ManifestSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!existing.success) throw new NxtError('run', `${path} is not an nxt run manifest; choose another --out`);
    const differs = Object.keys({ ...existing.data.config, ...config }).filter(
      (name) =>
        JSON.stringify(existing.data.config[name as keyof EvalConfig]) !==
        JSON.stringify(config[name as keyof EvalConfig]),
    );
    if (differs.length > 0) {
      throw new NxtError(
        'run',
        `${outDir} holds a run with different settings (${differs.join(', ')}); resume it with the same flags or choose another --out`,
      );
    }
    checkSamePython(outDir, existing.data, manifestBasics(deps.sandbox, deps.nxtVersion));
    if (existing.data.prompt.hash !== shotHash) {
      throw new NxtError(
        'run',
        `${outDir} was run with another prompt (${existing.data.prompt.hash}, now ${shotHash}); choose another --out`,
      );
    }
    return;
  }
  const manifest: Manifest = {
    ...manifestBasics(deps.sandbox, deps.nxtVersion),
    kind: 'eval',
    config,
    dataset: { name: config.dataset, tasks: deps.tasks.length, files: deps.datasetFiles },
    prompt: { version: PROMPT_VERSION, hash: shotHash, form: config.api === 'chat' ? 'chat' : 'completion' },
    ...(deps.endpoint ? { endpoint: { ...deps.endpoint, baseUrls: [...deps.endpoint.baseUrls] } } : {}),
    ...(config.shard ? { taskIds: deps.tasks.map((task) => task.id) } : {}),
  };
  await writeJsonAtomic(path, manifest);
}

/** Renders the program the model sees: traced on its failing test with the run's renderer, within budget. */
async function traceText(
  program: string,
  tests: readonly string[],
  failingTest: number | null,
  config: Pick<EvalConfig, 'trace' | 'traceBudgetTokens'>,
  deps: Pick<EvalDeps, 'sandbox' | 'countTokens' | 'execCache'>,
): Promise<string | null> {
  if (config.trace === 'none') return null;
  // A buggy program's trace is the same in every run, iteration and format: traced once, kept with verdicts.
  const key = deps.execCache ? traceKey(deps.sandbox, program, tests, failingTest) : null;
  const known = key ? TraceSchema.safeParse(deps.execCache?.getTrace(key)) : null;
  let trace = known?.success ? known.data : null;
  if (!trace) {
    const result = await deps.sandbox.traceProgram(
      program,
      tests,
      failingTest === null ? {} : { testIndex: failingTest },
    );
    if (result.status !== 'traced') return null;
    trace = result.trace;
    if (key) deps.execCache?.putTrace(key, trace);
  }
  return fitTrace(trace, config.trace, {
    budgetTokens: config.traceBudgetTokens,
    countTokens: deps.countTokens,
  }).text;
}

/** What the model is shown for `task` (the same input the eval prompts use), for building training sets. */
export async function taskPromptInput(
  task: RepairTask,
  config: Pick<EvalConfig, 'trace' | 'traceBudgetTokens'>,
  deps: Pick<EvalDeps, 'sandbox' | 'countTokens' | 'execCache'>,
): Promise<PromptInput> {
  return {
    description: task.description,
    buggyProgram: task.buggyProgram,
    tests: task.promptTests,
    trace: await traceText(task.buggyProgram, task.promptTests, task.failingTest, config, deps),
    traceFormat: config.trace,
  };
}

/** The three exemplars as shots for this run's renderer (their traces come from our tracer). */
async function buildShots(config: EvalConfig, deps: EvalDeps): Promise<Shot[]> {
  if (config.shots === 0) return [];
  return Promise.all(
    EXEMPLARS.map(async (exemplar) => ({
      input: {
        description: exemplar.description,
        buggyProgram: exemplar.buggyProgram,
        tests: exemplar.tests,
        trace: await traceText(exemplar.buggyProgram, exemplar.tests, exemplar.failingTest, config, deps),
        traceFormat: config.trace,
      },
      rationale: traceFormatSpec(config.trace).hasStepNumbers ? exemplar.rationaleWithSteps : exemplar.rationale,
      fixedProgram: exemplar.fixedProgram,
    })),
  );
}

/**
 * Runs (or resumes) an evaluation into `outDir`: the NExT prompt of each task is the first turn of
 * every sample's conversation (prompts.jsonl), and the engine does the rest (engine.ts).
 */
export async function runEval(configInput: EvalConfigInput, deps: EvalDeps, outDir: string): Promise<Summary> {
  if (deps.batch) {
    const { batch, ...direct } = deps;
    return inBatchRounds(deps.client, (client) => runEval(configInput, { ...direct, client }, outDir), batch);
  }
  const config = EvalConfigSchema.parse(configInput);
  const shots = await buildShots(config, deps);
  const form = config.api === 'chat' ? 'chat' : 'completion';
  await prepareRun(outDir, config, deps, promptHash(shots, config.trace, form));
  const promptsPath = join(outDir, 'prompts.jsonl');
  const prompted = new Set(
    (await readRecords(promptsPath, PromptRecordSchema, { repair: true })).map(
      (record) => `${record.taskId}\u0000${record.mode}`,
    ),
  );
  const sampling = (temperature: number) => ({
    temperature,
    maxTokens: config.maxTokens,
    ...(config.topP === undefined ? {} : { topP: config.topP }),
    ...(config.seed === undefined ? {} : { seed: config.seed }),
  });
  const indexes = (count: number) => Array.from({ length: count }, (_, index) => index);
  const source: AnswerSource<Conversation, RepairTask> = {
    plan: () => [
      { mode: 'sample', indexes: indexes(config.samples) },
      ...(config.greedy ? [{ mode: 'greedy' as const, indexes: [0] }] : []),
    ],
    async prepare(task) {
      const input = await taskPromptInput(task, config, deps);
      return form === 'chat'
        ? { messages: chatPrompt(input, shots) }
        : { prompt: completionPrompt(input, shots), stop: [...COMPLETION_STOP] };
    },
    async open(task, mode, _indexes, first) {
      if (!prompted.has(`${task.id}\u0000${mode}`)) {
        // What the model was asked, once per task and mode: the first turn of every sample's conversation.
        prompted.add(`${task.id}\u0000${mode}`);
        await appendRecords(promptsPath, [
          {
            schemaVersion: RUN_SCHEMA_VERSION,
            taskId: task.id,
            mode,
            messages: first.messages ?? null,
            prompt: first.prompt ?? null,
          } satisfies PromptRecord,
        ]);
      }
      const temperature = mode === 'greedy' ? 0 : config.temperature;
      const n = mode === 'greedy' ? 1 : config.samples;
      const outcomes = await deps.client.sample({ ...first, ...sampling(temperature), n });
      return outcomes.map((outcome) => ({
        index: outcome.index,
        from: 'model' as const,
        outcome,
        conversation: first,
        temperature,
      }));
    },
  };
  return runEngine({
    outDir,
    tasks: deps.tasks,
    source,
    sandbox: deps.sandbox,
    client: deps.client,
    limits: {
      testTimeoutMs: config.testTimeoutMs,
      floorMs: config.timeoutFloorMs,
      plusTimeoutMs: config.plusTimeoutMs,
    },
    conversation: {
      strategy: STRATEGIES[config.strategy],
      turns: config.turns,
      trace: config.trace,
      traceBudgetTokens: config.traceBudgetTokens,
      countTokens: deps.countTokens,
      sampling,
    },
    ...(deps.concurrency === undefined ? {} : { concurrency: deps.concurrency }),
    ...(deps.execCache ? { execCache: deps.execCache } : {}),
    ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
    summary: {
      dataset: config.dataset,
      model: config.model,
      samples: config.samples,
      ...(deps.k ? { k: deps.k } : {}),
    },
  });
}

export { formatSummary, writeSummary };
