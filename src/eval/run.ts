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
import {
  differingFields,
  type EvalManifest,
  EvalManifestSchema,
  manifestBasics,
  openRunFolder,
  type PromptRecord,
  promptKey,
  RUN_SCHEMA_VERSION,
  RunConfigSchema,
  resumePromptLog,
  type Summary,
} from '../runs/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { NxtError } from '../shared/index.js';
import type { RepairTask } from '../tasks/index.js';
import { fitTrace, PROMPT_TRACE_FORMATS, TraceSchema, traceFormatSpec } from '../trace/index.js';
import { type BatchRoundsOptions, inBatchRounds } from './batch-rounds.js';
import { type AnswerSource, type Conversation, type EngineProgress, runEngine, writeSummary } from './engine.js';
import { traceKey, type VerdictCache } from './exec-cache.js';
import { STRATEGIES, STRATEGY_NAMES } from './strategies/index.js';
import { formatSummary } from './summary.js';

/**
 * Everything that decides what a run produces; a run folder holds exactly one of these (its manifest's
 * `config`). The folder records the trace format and the strategy by name; here they must be names
 * in the tables of trace formats and strategies.
 */
export const EvalConfigSchema = RunConfigSchema.extend({
  trace: z.enum(PROMPT_TRACE_FORMATS),
  /** How to repair (strategies/): `nxt` answers once; multi-turn strategies answer feedback. */
  strategy: z.enum(STRATEGY_NAMES).default('nxt'),
});
export type EvalConfig = z.output<typeof EvalConfigSchema>;
export type EvalConfigInput = z.input<typeof EvalConfigSchema>;

/** An eval run's manifest, its config checked against the tables (runs/ reads it with names as recorded). */
export const ManifestSchema = EvalManifestSchema.extend({ config: EvalConfigSchema });
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

/**
 * Creates or resumes the run folder: a folder holding a run with other settings (config keys named),
 * another Python or another prompt is refused.
 */
async function prepareRun(outDir: string, config: EvalConfig, deps: EvalDeps, shotHash: string): Promise<void> {
  const manifest: EvalManifest = {
    ...manifestBasics(deps.sandbox, deps.nxtVersion),
    kind: 'eval',
    config,
    dataset: { name: config.dataset, tasks: deps.tasks.length, files: deps.datasetFiles },
    prompt: { version: PROMPT_VERSION, hash: shotHash, form: config.api === 'chat' ? 'chat' : 'completion' },
    ...(deps.endpoint ? { endpoint: { ...deps.endpoint, baseUrls: [...deps.endpoint.baseUrls] } } : {}),
    ...(config.shard ? { taskIds: deps.tasks.map((task) => task.id) } : {}),
  };
  // A name (strategy, trace format) recorded that is not in today's tables differs from the config's.
  const existing = await openRunFolder(outDir, manifest, (recorded) => differingFields(recorded.config, config));
  if (existing && existing.prompt.hash !== shotHash) {
    throw new NxtError(
      'run',
      `${outDir} was run with another prompt (${existing.prompt.hash}, now ${shotHash}); choose another --out`,
    );
  }
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
  const prompts = await resumePromptLog(outDir);
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
      if (!prompts.has(promptKey(task.id, mode))) {
        // What the model was asked, once per task and mode: the first turn of every sample's conversation.
        await prompts.append([
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
      plusFloorMs: config.plusMinTimeLimitMs,
      plusFactor: config.plusTimeLimitFactor,
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
