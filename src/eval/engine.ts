import type { ChatMessage, LlmClient, SampleOutcome } from '../llm/index.js';
import { COMPLETION_STOP, continueCompletion, parseAnswer } from '../prompt/index.js';
import {
  type ResultRecord,
  RUN_SCHEMA_VERSION,
  readResults,
  readSamples,
  resultKey,
  resumeRunLogs,
  type SampleRecord,
  type Summary,
  sampleKey,
  type TurnRecord,
  writeRunSummary,
} from '../runs/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { isRepairTask, type Problem } from '../tasks/index.js';
import type { TraceFormat } from '../trace/index.js';
import { FixJudge, type VerdictCache } from './exec-cache.js';
import { DEFAULT_LIMITS_RULE, type LimitsRule, limitsPolicy, unjudged } from './judge-fix.js';
import type { RepairStrategy } from './strategies/index.js';
import { summarize } from './summary.js';

export type Mode = 'sample' | 'greedy';

/** The first turn of a sample's conversation: chat messages, or a completion prompt and its stops. */
export interface Conversation {
  messages?: ChatMessage[];
  prompt?: string;
  stop?: string[];
}

/** The first answer of one sample, as its source produced it. */
export type Opening =
  /** A model's answer (or failed call) to `conversation`; `rationale` replaces the one parsed from it. */
  | {
      index: number;
      from: 'model';
      outcome: SampleOutcome;
      conversation: Conversation;
      temperature: number;
      rationale?: string | null;
    }
  /** A program given as it is (an imported file): judged, never parsed. */
  | { index: number; from: 'given'; program: string }
  /** Nothing to judge (a proxy sample whose teacher wrote no rationale): a failure. */
  | { index: number; from: 'nothing'; rationale: string | null };

/**
 * Where a run's first answers come from: the NExT prompt (eval), a student reading a run's rationales
 * (proxy), a file of programs (import). Everything after the first answer (judging, feedback turns,
 * records, resume, progress, summary) is the engine's.
 */
export interface AnswerSource<Context = undefined, Task extends Problem = Problem> {
  /** The samples the run wants of `task`, by mode. */
  plan(task: Task): readonly { mode: Mode; indexes: readonly number[] }[];
  /** Once per task that still has work, before `open`: what its openings share (e.g. the prompt). */
  prepare(task: Task): Promise<Context>;
  /** The first answers of samples `indexes` of `task` (more may come back; those already judged are skipped). */
  open(task: Task, mode: Mode, indexes: readonly number[], context: Context): Promise<Opening[]>;
}

export interface EngineProgress {
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
  /** Programs judged in this session, and results answered by an identical program's verdict. */
  judged: number;
  reused: number;
}

/** How a multi-turn strategy goes on after a failing fix. */
export interface ConversationOptions {
  strategy: RepairStrategy;
  /** Most answers per sample, the first included. */
  turns: number;
  /** What feedback turns may show: the run's trace format and budget. */
  trace: TraceFormat;
  traceBudgetTokens: number;
  countTokens: (text: string) => number;
  /** Sampling options of a feedback turn at `temperature` (the first turn's). */
  sampling: (temperature: number) => { temperature: number; maxTokens: number; topP?: number; seed?: number };
}

export interface EngineOptions<Context, Task extends Problem> {
  outDir: string;
  /** Repair tasks (eval, proxy) or problems (import of code-generation samples). */
  tasks: readonly Task[];
  source: AnswerSource<Context, Task>;
  sandbox: Sandbox;
  /** The model that answers feedback turns, and whose spending is reported (null: no model). */
  client: LlmClient | null;
  /** The one judging-limits policy (judge-fix.ts): calibrated on the reference where there is one. */
  limits: LimitsRule;
  /** Feedback turns after a failing first answer; missing: one answer per sample. */
  conversation?: ConversationOptions;
  /** Most tasks worked on at once: one limit for prompting, sampling and judging. */
  concurrency?: number;
  /** Verdicts of identical programs are reused from it (exec-cache.ts); null or missing: judge every program. */
  execCache?: VerdictCache | null;
  onProgress?: (progress: EngineProgress) => void;
  /** What summary.json says the run is. */
  summary: { dataset: string; model: string; samples: number; k?: readonly number[] };
}

/**
 * Whether a failed model call is the sample's final answer: a request the server refuses as such
 * (400 context length, 413, 422...) gets the same answer next time. A server that is down, overloaded
 * or rate limiting, or a spent budget, is not an answer: that sample is missing, and retried on resume.
 */
export function isFinalFailure(error: { status: number | null; code: string }): boolean {
  return error.status !== null && error.status >= 400 && error.status < 500 && ![408, 409, 429].includes(error.status);
}

/**
 * The one run engine: for every task (a pool of `concurrency`), the source's first answers → judge
 * (the one limits policy) → the strategy's feedback turns → records. samples.jsonl and results.jsonl
 * are appended as samples complete; a restarted run skips every recorded result and replays
 * conversations from the LLM cache, so nothing is judged or paid for twice.
 */
export async function runEngine<Context, Task extends Problem>(
  options: EngineOptions<Context, Task>,
): Promise<Summary> {
  const { outDir, tasks, source, sandbox, client } = options;
  // This run owns the folder and is about to append: a line a kill left torn is repaired first.
  const logs = await resumeRunLogs(outDir);
  const previousSamples = logs.samples.recorded;
  const previousResults = logs.results.recorded;
  const expected = tasks.reduce(
    (sum, task) => sum + source.plan(task).reduce((count, entry) => count + entry.indexes.length, 0),
    0,
  );
  const taskIds = new Set(tasks.map((task) => task.id));
  const counted = previousResults.filter((record) => taskIds.has(record.taskId));
  const progress: EngineProgress = {
    done: counted.length,
    total: expected,
    passed: counted.filter((record) => record.pass).length,
    missing: 0,
    lastFailure: null,
    cached: 0,
    promptTokens: previousSamples.reduce((sum, record) => sum + record.promptTokens, 0),
    completionTokens: previousSamples.reduce((sum, record) => sum + record.completionTokens, 0),
    costUsd: null,
    judged: 0,
    reused: 0,
  };
  options.onProgress?.(progress);
  const limitsOf = limitsPolicy(sandbox, options.limits);
  const judge = new FixJudge(sandbox, options.execCache ?? null, { ...DEFAULT_LIMITS_RULE, ...options.limits });

  const noteMissing = (message: string) => {
    progress.missing += 1;
    progress.lastFailure = message;
  };

  /** A sample record being written: its tokens and cache use count. */
  const noteSample = (record: SampleRecord) => {
    progress.promptTokens += record.promptTokens;
    progress.completionTokens += record.completionTokens;
    if (record.cached) progress.cached += 1;
  };

  const judgeProgram = async (
    task: Task,
    mode: Mode,
    index: number,
    program: string,
    rationale: string | null,
  ): Promise<ResultRecord> => {
    const { verdict, reused } = await judge.judge(task, program, () => limitsOf(task));
    if (reused) progress.reused += 1;
    else progress.judged += 1;
    return {
      schemaVersion: RUN_SCHEMA_VERSION,
      taskId: task.id,
      mode,
      index,
      outcome: 'judged',
      rationale,
      program,
      ...verdict,
      ...(reused ? { reused: true } : {}),
    };
  };

  const judgeOutcome = async (
    task: Task,
    mode: Mode,
    outcome: SampleOutcome,
    rationale?: string | null,
  ): Promise<ResultRecord> => {
    if (outcome.status === 'failed') {
      return { ...unjudged(task.id, mode, outcome.index, 'sample_failed', rationale), error: outcome.error.message };
    }
    const parsed = parseAnswer(outcome.sample.text);
    if (parsed.status === 'parse_error') return unjudged(task.id, mode, outcome.index, 'parse_error', rationale);
    return judgeProgram(
      task,
      mode,
      outcome.index,
      parsed.program,
      rationale === undefined ? parsed.rationale : rationale,
    );
  };

  /**
   * Multi-turn strategies: while the fix does not pass and turns remain, the strategy's feedback is the
   * next user turn (earlier answers stay in the conversation) and the new answer is judged. Every
   * request is deterministic given the ones before, so a resumed conversation replays from the cache.
   * Null when a turn's model call failed in a way that may pass later: the sample is then missing.
   */
  const converse = async (
    task: Task,
    mode: Mode,
    opening: Extract<Opening, { from: 'model' }>,
    result: ResultRecord,
  ): Promise<ResultRecord | null> => {
    const { outcome, conversation, temperature } = opening;
    const talk = options.conversation;
    if (!talk || talk.turns <= 1 || outcome.status !== 'ok' || !client) return result;
    const turns: TurnRecord[] = [turnOf(1, null, outcome.sample.text, result)];
    let current = result;
    let lastText = outcome.sample.text;
    let messages = conversation.messages ? [...conversation.messages] : undefined;
    let prompt = conversation.prompt;
    for (let turn = 2; turn <= talk.turns && !current.pass && current.outcome !== 'sample_failed'; turn++) {
      const feedback = await talk.strategy.feedback({
        task,
        program: current.program,
        verdict: current.base,
        sandbox,
        countTokens: talk.countTokens,
        trace: talk.trace,
        traceBudgetTokens: talk.traceBudgetTokens,
      });
      if (feedback === null) break;
      if (messages) {
        messages = [...messages, { role: 'assistant', content: lastText }, { role: 'user', content: feedback }];
      } else {
        prompt = continueCompletion(prompt ?? '', lastText, feedback);
      }
      const [next] = await client.sample({
        ...(messages ? { messages } : { prompt: prompt as string, stop: conversation.stop ?? [...COMPLETION_STOP] }),
        ...talk.sampling(temperature),
        n: 1,
        salt: `${mode}#${outcome.index}#${turn}`,
      });
      if (!next) return null;
      if (next.status === 'failed' && !isFinalFailure(next.error)) {
        noteMissing(next.error.message);
        return null;
      }
      if (!logs.samples.has(sampleKey(task.id, mode, outcome.index, turn))) {
        const record = sampleRecord(task.id, mode, outcome.index, next, turn);
        noteSample(record);
        await logs.samples.append([record]);
      }
      current = await judgeOutcome(task, mode, { ...next, index: outcome.index }, opening.rationale);
      turns.push(turnOf(turn, feedback, next.status === 'ok' ? next.sample.text : null, current));
      if (next.status === 'ok') lastText = next.sample.text;
    }
    return { ...current, turns };
  };

  /** One opening to its final result (null: the sample is missing and a rerun asks again). */
  const finish = async (task: Task, mode: Mode, opening: Opening): Promise<ResultRecord | null> => {
    if (opening.from === 'given') return judgeProgram(task, mode, opening.index, opening.program, null);
    if (opening.from === 'nothing') return unjudged(task.id, mode, opening.index, 'parse_error', opening.rationale);
    return converse(task, mode, opening, await judgeOutcome(task, mode, opening.outcome, opening.rationale));
  };

  const handleTask = async (task: Task) => {
    const plan = source
      .plan(task)
      .map((entry) => ({
        mode: entry.mode,
        indexes: entry.indexes.filter((index) => !logs.results.has(resultKey(task.id, entry.mode, index))),
      }))
      .filter((entry) => entry.indexes.length > 0);
    if (plan.length === 0) return;
    const context = await source.prepare(task);
    for (const { mode, indexes } of plan) {
      const wanted = new Set(indexes);
      const openings = (await source.open(task, mode, indexes, context)).filter((opening) => {
        if (!wanted.has(opening.index) || logs.results.has(resultKey(task.id, mode, opening.index))) return false;
        // A call that may succeed later is recorded nowhere: the sample is missing and a rerun asks again.
        if (opening.from === 'model' && opening.outcome.status === 'failed' && !isFinalFailure(opening.outcome.error)) {
          noteMissing(opening.outcome.error.message);
          return false;
        }
        return true;
      });
      const sampleRecords = openings.flatMap((opening) =>
        opening.from === 'model' && !logs.samples.has(sampleKey(task.id, mode, opening.index))
          ? [sampleRecord(task.id, mode, opening.index, opening.outcome, 1)]
          : [],
      );
      await logs.samples.append(sampleRecords);
      for (const record of sampleRecords) noteSample(record);
      const results = (await Promise.all(openings.map((opening) => finish(task, mode, opening)))).filter(
        (result): result is ResultRecord => result !== null,
      );
      await logs.results.append(results);
      for (const result of results) {
        progress.done += 1;
        if (result.pass) progress.passed += 1;
      }
      progress.costUsd = client?.stats().costUsd ?? null;
      options.onProgress?.(progress);
    }
  };

  const queue = [...tasks];
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency ?? 32, queue.length) }, async () => {
      for (let task = queue.shift(); task; task = queue.shift()) await handleTask(task);
    }),
  );
  options.onProgress?.(progress);
  return writeSummary(outDir, options.summary, tasks, client?.stats().costUsd ?? null, { expectedResults: expected });
}

/** The samples.jsonl record of one answer (or failed call) of sample `index`, turn `turn`. */
function sampleRecord(taskId: string, mode: Mode, index: number, outcome: SampleOutcome, turn: number): SampleRecord {
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
  config: { dataset: string; model: string; samples: number; k?: readonly number[] },
  tasks: readonly Problem[],
  costUsd: number | null,
  extra: { expectedResults?: number } = {},
): Promise<Summary> {
  const results = await readResults(outDir);
  const samples = await readSamples(outDir);
  const taskIds = new Set(tasks.map((task) => task.id));
  const summary = summarize({
    dataset: config.dataset,
    model: config.model,
    ...(tasks.length > 0 && !tasks.some(isRepairTask) ? { kind: 'generation' as const } : {}),
    samplesPerTask: config.samples,
    k: (config.k ?? [1, 5, 10, 25]).filter((k) => k <= config.samples),
    results: results.filter((result) => taskIds.has(result.taskId)),
    labels: new Map(
      tasks.flatMap((task) => {
        const label = isRepairTask(task) ? task.bugLabel : null;
        return label ? [[task.id, label.value] as const] : [];
      }),
    ),
    hasPlus: tasks.some((task) => task.plusTests !== null),
    tokens: {
      prompt: Math.round(samples.reduce((sum, record) => sum + record.promptTokens, 0)),
      completion: Math.round(samples.reduce((sum, record) => sum + record.completionTokens, 0)),
    },
    costUsd,
    cachedSamples: samples.filter((record) => record.cached && taskIds.has(record.taskId)).length,
    ...extra,
  });
  await writeRunSummary(outDir, summary);
  return summary;
}
