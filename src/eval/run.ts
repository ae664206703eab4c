import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ChatMessage, LlmClient, SampleOutcome } from '../llm/index.js';
import {
  COMPLETION_STOP,
  chatPrompt,
  completionPrompt,
  EXEMPLARS,
  PROMPT_VERSION,
  type PromptInput,
  parseAnswer,
  promptHash,
  type Shot,
} from '../prompt/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { NxtError } from '../shared/index.js';
import type { RepairTask } from '../tasks/index.js';
import { fitTrace, PROMPT_TRACE_FORMATS, type TraceFormat } from '../trace/index.js';
import { judgeFix, limitsPolicy, unjudged } from './judge-fix.js';
import {
  appendRecords,
  type PromptRecord,
  PromptRecordSchema,
  type ResultRecord,
  ResultRecordSchema,
  RUN_SCHEMA_VERSION,
  readRecords,
  type SampleRecord,
  SampleRecordSchema,
  type TurnRecord,
  writeJsonAtomic,
} from './records.js';
import { STRATEGIES, STRATEGY_NAMES } from './strategies.js';
import { formatSummary, type Summary, summarize } from './summary.js';

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
  /** How to repair (strategies.ts): `nxt` answers once; multi-turn strategies answer feedback. */
  strategy: z.enum(STRATEGY_NAMES).default('nxt'),
  /** Most answers per sample (the first one included). */
  turns: z.number().int().min(1).max(10).default(1),
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
  sandbox: z.array(z.string()),
  /** Where the model was served: base URLs and the cache identity (missing in older runs). */
  endpoint: z.object({ baseUrls: z.array(z.string()), cacheKey: z.string().optional() }).optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export interface EvalProgress {
  done: number;
  total: number;
  passed: number;
  /** Samples whose model call failed in a way that may pass later (server down, 5xx, 429, budget). */
  missing: number;
  /** The last such failure's message. */
  lastFailure: string | null;
  /** Answers read from the sample cache instead of asked for, in this session. */
  cached: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
}

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
  /** What serves the model (recorded in the manifest). */
  endpoint?: { baseUrls: readonly string[]; cacheKey?: string };
}

const key = (taskId: string, mode: string, index: number) => `${taskId}\u0000${mode}\u0000${index}`;

/**
 * Whether a failed model call is the sample's final answer: a request the server refuses as such
 * (400 context length, 413, 422...) gets the same answer next time. A server that is down, overloaded
 * or rate limiting, or a spent budget, is not an answer: that sample is missing, and retried on resume.
 */
export function isFinalFailure(error: { status: number | null; code: string }): boolean {
  return error.status !== null && error.status >= 400 && error.status < 500 && ![408, 409, 429].includes(error.status);
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
    if (existing.data.prompt.hash !== shotHash) {
      throw new NxtError(
        'run',
        `${outDir} was run with another prompt (${existing.data.prompt.hash}, now ${shotHash}); choose another --out`,
      );
    }
    return;
  }
  const manifest: Manifest = {
    schemaVersion: RUN_SCHEMA_VERSION,
    kind: 'eval',
    createdAt: new Date().toISOString(),
    nxtVersion: deps.nxtVersion,
    config,
    dataset: { name: config.dataset, tasks: deps.tasks.length, files: deps.datasetFiles },
    prompt: { version: PROMPT_VERSION, hash: shotHash, form: config.api === 'chat' ? 'chat' : 'completion' },
    python: deps.sandbox.pythonVersion,
    sandbox: deps.sandbox.layers.filter((layer) => layer.active).map((layer) => layer.name),
    ...(deps.endpoint ? { endpoint: { ...deps.endpoint, baseUrls: [...deps.endpoint.baseUrls] } } : {}),
  };
  await writeJsonAtomic(path, manifest);
}

/** Renders the program the model sees: traced on its failing test with the run's renderer, within budget. */
async function traceText(
  program: string,
  tests: readonly string[],
  failingTest: number | null,
  config: Pick<EvalConfig, 'trace' | 'traceBudgetTokens'>,
  deps: Pick<EvalDeps, 'sandbox' | 'countTokens'>,
): Promise<string | null> {
  if (config.trace === 'none') return null;
  const result = await deps.sandbox.traceProgram(
    program,
    tests,
    failingTest === null ? {} : { testIndex: failingTest },
  );
  if (result.status !== 'traced') return null;
  return fitTrace(result.trace, config.trace as TraceFormat, {
    budgetTokens: config.traceBudgetTokens,
    countTokens: deps.countTokens,
  }).text;
}

/** What the model is shown for `task` (the same input the eval prompts use), for building training sets. */
export async function taskPromptInput(
  task: RepairTask,
  config: Pick<EvalConfig, 'trace' | 'traceBudgetTokens'>,
  deps: Pick<EvalDeps, 'sandbox' | 'countTokens'>,
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
      rationale: config.trace === 'inline' ? exemplar.rationaleWithSteps : exemplar.rationale,
      fixedProgram: exemplar.fixedProgram,
    })),
  );
}

/**
 * Runs (or resumes) an evaluation into `outDir`: for each task, prompt → sample → parse → judge, with
 * samples.jsonl and results.jsonl appended as they complete. A restarted run skips every result already
 * recorded and re-reads samples from the LLM cache, so nothing is judged or paid for twice.
 */
export async function runEval(configInput: EvalConfigInput, deps: EvalDeps, outDir: string): Promise<Summary> {
  const config = EvalConfigSchema.parse(configInput);
  const shots = await buildShots(config, deps);
  const form = config.api === 'chat' ? 'chat' : 'completion';
  const hash = promptHash(shots, config.trace, form);
  await prepareRun(outDir, config, deps, hash);
  const samplesPath = join(outDir, 'samples.jsonl');
  const resultsPath = join(outDir, 'results.jsonl');
  const promptsPath = join(outDir, 'prompts.jsonl');
  const prompted = new Set(
    (await readRecords(promptsPath, PromptRecordSchema)).map((record) => `${record.taskId}\u0000${record.mode}`),
  );
  const previousSamples = await readRecords(samplesPath, SampleRecordSchema);
  const previousResults = await readRecords(resultsPath, ResultRecordSchema);
  const turnKey = (taskId: string, mode: string, index: number, turn: number) =>
    turn === 1 ? key(taskId, mode, index) : `${key(taskId, mode, index)}\u0000${turn}`;
  const sampled = new Set(
    previousSamples.map((record) => turnKey(record.taskId, record.mode, record.index, record.turn)),
  );
  const done = new Map(previousResults.map((record) => [key(record.taskId, record.mode, record.index), record]));
  const perTask = config.samples + (config.greedy ? 1 : 0);
  const progress: EvalProgress = {
    done: done.size,
    total: deps.tasks.length * perTask,
    passed: previousResults.filter((record) => record.pass).length,
    missing: 0,
    lastFailure: null,
    cached: 0,
    promptTokens: previousSamples.reduce((sum, record) => sum + record.promptTokens, 0),
    completionTokens: previousSamples.reduce((sum, record) => sum + record.completionTokens, 0),
    costUsd: null,
  };
  deps.onProgress?.(progress);

  // Per-task limits calibrated on the reference (EvalPlus-style): hanging fixes cost about a second.
  const limitsOf = limitsPolicy(deps.sandbox, {
    testTimeoutMs: config.testTimeoutMs,
    floorMs: config.timeoutFloorMs,
    plusTimeoutMs: config.plusTimeoutMs,
  });

  const handleTask = async (task: RepairTask) => {
    const wanted = (mode: string, count: number) =>
      Array.from({ length: count }, (_, index) => index).some((index) => !done.has(key(task.id, mode, index)));
    const modes: { mode: 'sample' | 'greedy'; n: number; temperature: number }[] = [
      { mode: 'sample', n: config.samples, temperature: config.temperature },
      ...(config.greedy ? [{ mode: 'greedy' as const, n: 1, temperature: 0 }] : []),
    ];
    if (!modes.some((entry) => wanted(entry.mode, entry.n))) return;
    await limitsOf(task);
    const input = await taskPromptInput(task, config, deps);
    for (const { mode, n, temperature } of modes) {
      if (!wanted(mode, n)) continue;
      const first: FirstPrompt =
        form === 'chat'
          ? { messages: chatPrompt(input, shots) }
          : { prompt: completionPrompt(input, shots), stop: [...COMPLETION_STOP] };
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
      const outcomes = await deps.client.sample({ ...first, ...sampling(temperature), n });
      await recordOutcomes(task, mode, outcomes, first, temperature);
    }
  };

  const sampling = (temperature: number) => ({
    temperature,
    maxTokens: config.maxTokens,
    ...(config.topP === undefined ? {} : { topP: config.topP }),
    ...(config.seed === undefined ? {} : { seed: config.seed }),
  });

  /** A sample record about to be written: it is sampled now, and its tokens and cache use count. */
  const noteSample = (record: SampleRecord) => {
    sampled.add(turnKey(record.taskId, record.mode, record.index, record.turn));
    progress.promptTokens += record.promptTokens;
    progress.completionTokens += record.completionTokens;
    if (record.cached) progress.cached += 1;
  };

  const recordOutcomes = async (
    task: RepairTask,
    mode: 'sample' | 'greedy',
    all: SampleOutcome[],
    first: FirstPrompt,
    temperature: number,
  ) => {
    // A call that may succeed later is recorded nowhere: the sample is missing and a rerun asks again.
    const outcomes = all.filter((outcome) => {
      if (outcome.status === 'ok' || isFinalFailure(outcome.error)) return true;
      progress.missing += 1;
      progress.lastFailure = outcome.error.message;
      return false;
    });
    const fresh = outcomes.filter((outcome) => !done.has(key(task.id, mode, outcome.index)));
    const sampleRecords = fresh
      .filter((outcome) => !sampled.has(key(task.id, mode, outcome.index)))
      .map((outcome) => sampleRecord(task.id, mode, outcome.index, outcome, 1));
    await appendRecords(samplesPath, sampleRecords);
    for (const record of sampleRecords) noteSample(record);
    const judged = await Promise.all(
      fresh.map(async (outcome) =>
        converse(task, mode, outcome, await judgeOutcome(task, mode, outcome), first, temperature),
      ),
    );
    const results = judged.filter((result): result is ResultRecord => result !== null);
    await appendRecords(resultsPath, results);
    for (const result of results) {
      done.set(key(task.id, mode, result.index), result);
      progress.done += 1;
      if (result.pass) progress.passed += 1;
    }
    progress.costUsd = deps.client.stats().costUsd;
    deps.onProgress?.(progress);
  };

  /**
   * Multi-turn strategies: while the fix does not pass and turns remain, the strategy's feedback is the
   * next user turn (earlier answers stay in the conversation) and the new answer is judged. Every
   * request is deterministic given the ones before, so a resumed conversation replays from the cache.
   * Null when a turn's model call failed in a way that may pass later: the sample is then missing.
   */
  const converse = async (
    task: RepairTask,
    mode: 'sample' | 'greedy',
    outcome: SampleOutcome,
    result: ResultRecord,
    first: FirstPrompt,
    temperature: number,
  ): Promise<ResultRecord | null> => {
    if (config.turns <= 1 || outcome.status !== 'ok') return result;
    const strategy = STRATEGIES[config.strategy];
    const turns: TurnRecord[] = [turnOf(1, null, outcome.sample.text, result)];
    let current = result;
    let lastText = outcome.sample.text;
    let messages = first.messages ? [...first.messages] : undefined;
    let prompt = first.prompt;
    for (let turn = 2; turn <= config.turns && !current.pass && current.outcome !== 'sample_failed'; turn++) {
      const feedback = await strategy.feedback({
        task,
        program: current.program,
        verdict: current.base,
        sandbox: deps.sandbox,
        countTokens: deps.countTokens,
        trace: config.trace,
        traceBudgetTokens: config.traceBudgetTokens,
      });
      if (feedback === null) break;
      if (messages) {
        messages = [...messages, { role: 'assistant', content: lastText }, { role: 'user', content: feedback }];
      } else {
        prompt = `${prompt}${lastText}\n\n### Feedback\n${feedback}\n\n### Answer\n`;
      }
      const [next] = await deps.client.sample({
        ...(messages ? { messages } : { prompt: prompt as string, stop: first.stop ?? [...COMPLETION_STOP] }),
        ...sampling(temperature),
        n: 1,
        salt: `${mode}#${outcome.index}#${turn}`,
      });
      if (!next) return null;
      if (next.status === 'failed' && !isFinalFailure(next.error)) {
        progress.missing += 1;
        progress.lastFailure = next.error.message;
        return null;
      }
      if (!sampled.has(turnKey(task.id, mode, outcome.index, turn))) {
        const record = sampleRecord(task.id, mode, outcome.index, next, turn);
        noteSample(record);
        await appendRecords(samplesPath, [record]);
      }
      current = await judgeOutcome(task, mode, { ...next, index: outcome.index });
      turns.push(turnOf(turn, feedback, next.status === 'ok' ? next.sample.text : null, current));
      if (next.status === 'ok') lastText = next.sample.text;
    }
    return { ...current, turns };
  };

  const judgeOutcome = async (
    task: RepairTask,
    mode: 'sample' | 'greedy',
    outcome: SampleOutcome,
  ): Promise<ResultRecord> => {
    if (outcome.status === 'failed') {
      return { ...unjudged(task.id, mode, outcome.index, 'sample_failed'), error: outcome.error.message };
    }
    const parsed = parseAnswer(outcome.sample.text);
    if (parsed.status === 'parse_error') return unjudged(task.id, mode, outcome.index, 'parse_error');
    const verdicts = await judgeFix(deps.sandbox, task, parsed.program, await limitsOf(task));
    return {
      schemaVersion: RUN_SCHEMA_VERSION,
      taskId: task.id,
      mode,
      index: outcome.index,
      outcome: 'judged',
      rationale: parsed.rationale,
      program: parsed.program,
      ...verdicts,
    };
  };

  const queue = [...deps.tasks];
  await Promise.all(
    Array.from({ length: Math.min(deps.concurrency ?? 32, queue.length) }, async () => {
      for (let task = queue.shift(); task; task = queue.shift()) await handleTask(task);
    }),
  );
  deps.onProgress?.(progress);
  return writeSummary(
    outDir,
    { ...config, ...(deps.k ? { k: deps.k } : {}) },
    deps.tasks,
    deps.client.stats().costUsd,
    {
      expectedResults: deps.tasks.length * perTask,
    },
  );
}

/** The samples.jsonl record of one answer (or failed call) of sample `index`, turn `turn`. */
function sampleRecord(
  taskId: string,
  mode: 'sample' | 'greedy',
  index: number,
  outcome: SampleOutcome,
  turn: number,
): SampleRecord {
  const ok = outcome.status === 'ok';
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    taskId,
    mode,
    index,
    status: outcome.status,
    text: ok ? outcome.sample.text : null,
    finishReason: ok ? outcome.sample.finishReason : null,
    promptTokens: ok ? outcome.sample.usage.promptTokens : 0,
    completionTokens: ok ? outcome.sample.usage.completionTokens : 0,
    cached: ok && outcome.cached,
    error: outcome.status === 'failed' ? outcome.error.message : null,
    turn,
  };
}

/** The first prompt of a sample's conversation: chat messages, or a completion prompt and its stops. */
interface FirstPrompt {
  messages?: ChatMessage[];
  prompt?: string;
  stop?: string[];
}

function turnOf(turn: number, feedback: string | null, completion: string | null, result: ResultRecord): TurnRecord {
  return {
    turn,
    feedback,
    completion,
    program: result.program,
    status: result.outcome === 'judged' ? (result.base?.status ?? 'error') : result.outcome,
    pass: result.pass,
  };
}

/** Recomputes summary.json (and returns it) from the run folder's results. */
export async function writeSummary(
  outDir: string,
  config: Pick<EvalConfig, 'dataset' | 'model' | 'samples'> & { k?: readonly number[] },
  tasks: readonly RepairTask[],
  costUsd: number | null,
  extra: { expectedResults?: number } = {},
): Promise<Summary> {
  const results = await readRecords(join(outDir, 'results.jsonl'), ResultRecordSchema);
  const samples = await readRecords(join(outDir, 'samples.jsonl'), SampleRecordSchema);
  const taskIds = new Set(tasks.map((task) => task.id));
  const summary = summarize({
    dataset: config.dataset,
    model: config.model,
    samplesPerTask: config.samples,
    k: (config.k ?? [1, 5, 10, 25]).filter((k) => k <= config.samples),
    results: results.filter((result) => taskIds.has(result.taskId)),
    labels: new Map(tasks.flatMap((task) => (task.bugLabel ? [[task.id, task.bugLabel.value] as const] : []))),
    hasPlus: tasks.some((task) => task.plusTests !== null),
    tokens: {
      prompt: Math.round(samples.reduce((sum, record) => sum + record.promptTokens, 0)),
      completion: Math.round(samples.reduce((sum, record) => sum + record.completionTokens, 0)),
    },
    costUsd,
    cachedSamples: samples.filter((record) => record.cached && taskIds.has(record.taskId)).length,
    ...extra,
  });
  await writeJsonAtomic(join(outDir, 'summary.json'), summary);
  return summary;
}

export { formatSummary };
