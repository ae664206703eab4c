import { resolve } from 'node:path';
import type { EvalProgress } from '../eval/index.js';
import type { Accounting } from '../llm/index.js';
import { formatDuration, listChoices, UsageError } from '../shared/index.js';
import { isRepairTask, REPAIR_DATASET_NAMES, type RepairTask } from '../tasks/index.js';
import { cachePath, checkBudget, execCachePath, listPriceNote, loadConfig, resolveModel } from './config.js';
import { type DataFlags, loadTasks } from './data-command.js';
import type { CliIo } from './io.js';
import { positiveInt, type SandboxFlagValues, sandboxOptions } from './sandbox-flags.js';
import { startSandbox } from './sandbox-start.js';

const VERSION = '0.1.0';

export interface EvalFlags extends DataFlags, SandboxFlagValues {
  dataset: string;
  model?: string;
  samples: string;
  temperature: string;
  greedy?: boolean;
  trace: string;
  shots: string;
  k?: string;
  limit?: string;
  out?: string;
  maxTokens?: string;
  seed?: string;
  budget?: string;
  traceBudget?: string;
  config?: string;
  cache?: string | false;
  strategy: string;
  turns?: string;
  minTimeLimit?: string;
  gtTimeLimitFactor?: string;
  execCache?: boolean;
  shard?: string;
  batch?: boolean;
  batchPoll?: string;
}

/** A dataset's name for folder names: a task file's name without its folder and .jsonl. */
function datasetName(dataset: string): string {
  return dataset.endsWith('.jsonl') ? (dataset.split('/').pop() ?? dataset).replace(/\.jsonl$/, '') : dataset;
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-|-$/g, '');
}

function numberFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max)
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got '${value}'`);
  return parsed;
}

async function repairTasks(
  dataset: string,
  flags: DataFlags,
  io: CliIo,
  limit: number | undefined,
): Promise<RepairTask[]> {
  const tasks = await loadTasks(dataset, flags, io);
  const repair = tasks.filter(isRepairTask);
  if (repair.length === 0)
    throw new UsageError(
      `${dataset} has no repair tasks (no buggy programs): use ${listChoices(REPAIR_DATASET_NAMES)}, or a built mbpp-r / synthetic set`,
    );
  return repair.slice(0, limit);
}

function progressPrinter(io: CliIo, label = 'eval') {
  const started = Date.now();
  let first: number | null = null;
  let last = 0;
  return (progress: EvalProgress) => {
    first ??= progress.done;
    const now = Date.now();
    if (now - last < 1000 && progress.done < progress.total) return;
    last = now;
    const fresh = progress.done - first;
    const eta = fresh > 0 ? ((now - started) / fresh) * (progress.total - progress.done) : null;
    const rate = progress.done > 0 ? `${((100 * progress.passed) / progress.done).toFixed(1)}%` : '-';
    const cost = progress.costUsd === null ? '' : `, $${progress.costUsd.toFixed(3)}`;
    const cached = progress.cached > 0 ? `, ${progress.cached} from the cache` : '';
    const reused = progress.reused > 0 ? `, ${progress.reused} verdicts reused` : '';
    const text = `${label}: ${progress.done}/${progress.total} samples${eta === null || progress.done >= progress.total ? '' : `, ${formatDuration(eta)} left`}, fix rate ${rate}${cached}${reused}, tokens ${Math.round(progress.promptTokens)} in / ${Math.round(progress.completionTokens)} out${cost}`;
    io.stderr(io.isTty ? `\r${text}\u001b[K${progress.done >= progress.total ? '\n' : ''}` : `${text}\n`);
  };
}

/** `nxt eval`: sample repairs from a model, judge them, and report pass@k. */
export async function evalCommand(flags: EvalFlags, io: CliIo): Promise<number> {
  if (!flags.model) throw new UsageError('give the model to evaluate with --model SPEC (see nxt llm ping --help)');
  const samples = positiveInt(flags.samples, '--samples') as number;
  const temperature = numberFlag(flags.temperature, '--temperature', 0, 2) as number;
  const { createTokenCounter, isPromptTraceFormat, PROMPT_TRACE_FORMATS } = await import('../trace/index.js');
  const trace = flags.trace;
  if (!isPromptTraceFormat(trace))
    throw new UsageError(`--trace must be one of ${listChoices(PROMPT_TRACE_FORMATS)}, got '${trace}'`);
  if (flags.shots !== '0' && flags.shots !== '3') throw new UsageError(`--shots must be 3 or 0, got '${flags.shots}'`);
  const k = (flags.k ?? '1,5,10,25').split(',').map((item) => positiveInt(item.trim(), '--k') as number);
  const limit = positiveInt(flags.limit, '--limit');
  const maxTokens = positiveInt(flags.maxTokens, '--max-tokens');
  const traceBudget = positiveInt(flags.traceBudget, '--trace-budget');
  const seed = numberFlag(flags.seed, '--seed', 0, Number.MAX_SAFE_INTEGER);
  const budget = numberFlag(flags.budget, '--budget', 0, Number.MAX_SAFE_INTEGER);
  const batchPoll = numberFlag(flags.batchPoll, '--batch-poll', 0.01, 3600);
  if (flags.batch && flags.cache === false) throw new UsageError('--batch needs the sample cache: drop --no-cache');
  const plusFloor = numberFlag(flags.minTimeLimit, '--min-time-limit', 0.001, 3600);
  const plusFactor = numberFlag(flags.gtTimeLimitFactor, '--gt-time-limit-factor', 1, 1000);
  const config = loadConfig(flags.config, io.cwd, io.env);
  const spec = resolveModel(flags.model, config, io.env);
  checkBudget(budget, spec, maxTokens ?? 1024); // eval always caps answers (default 1024)
  const priceNote = listPriceNote(spec, config);
  if (priceNote) io.stderr(`nxt: ${priceNote}\n`);
  const { formatSummary, isStrategyName, runEval, STRATEGIES, STRATEGY_NAMES } = await import('../eval/index.js');
  const strategy = flags.strategy;
  if (!isStrategyName(strategy)) {
    throw new UsageError(`--strategy must be one of ${listChoices(STRATEGY_NAMES)}, got '${strategy}'`);
  }
  const turns = positiveInt(flags.turns, '--turns') ?? STRATEGIES[strategy].defaultTurns;
  if (turns > 10) throw new UsageError(`--turns must be at most 10, got ${turns}`);
  if (strategy === 'nxt' && turns > 1) {
    const multiTurn = STRATEGY_NAMES.filter((name) => STRATEGIES[name].defaultTurns > 1);
    throw new UsageError(`--turns needs a multi-turn strategy: --strategy ${listChoices(multiTurn)}`);
  }
  const { parseShard, shardTasks } = await import('../eval/index.js');
  const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
  const tasks = shardTasks(await repairTasks(flags.dataset, flags, io, limit), shard);
  const multiTurn = strategy === 'nxt' ? '' : `-${strategy}-${turns}turns`;
  const sharded = shard ? `-shard-${shard.index}-of-${shard.count}` : '';
  const out = resolve(
    io.cwd,
    flags.out ??
      `runs/${slug(datasetName(flags.dataset))}-${slug(spec.model)}-${flags.trace}-${flags.shots}shot${multiTurn}${sharded}`,
  );
  // Asked for explicitly and not possible: say so (the default list is cut to --samples silently).
  const dropped = flags.k === undefined ? [] : k.filter((value) => value > samples);
  if (dropped.length > 0) {
    io.stderr(
      `nxt: pass@${dropped.join(', pass@')} need${dropped.length === 1 ? 's' : ''} more than ${samples} samples per task: reporting pass@${k.filter((value) => value <= samples).join(', pass@') || '-'} (raise --samples, or set --k)\n`,
    );
  }
  const { createLlmClient, SampleCache } = await import('../llm/index.js');
  // --no-cache: every sample is asked for (and nothing is stored).
  const cache = flags.cache === false ? null : SampleCache.open(cachePath(flags.cache, config, io.env, io.cwd));
  const execCache = await openExecCache(
    flags.execCache,
    typeof flags.cache === 'string' ? flags.cache : undefined,
    io,
    flags.config,
  );
  const sandbox = await startSandbox(sandboxOptions(flags, io.env), io, true);
  try {
    const client = createLlmClient(spec, {
      ...(cache ? { cache } : {}),
      ...(budget === undefined ? {} : { budgetUsd: budget }),
    });
    const printProgress = progressPrinter(io);
    let lastFailure: string | null = null;
    io.stderr(
      `nxt: ${tasks.length} tasks × ${samples} samples from ${spec.model}, trace ${flags.trace}, ${flags.shots}-shot → ${out}\n`,
    );
    const summary = await runEval(
      {
        dataset: flags.dataset,
        model: spec.model,
        api: spec.api,
        samples,
        temperature,
        greedy: Boolean(flags.greedy),
        trace,
        shots: Number(flags.shots) as 0 | 3,
        strategy,
        turns,
        ...(maxTokens === undefined ? {} : { maxTokens }),
        ...(traceBudget === undefined ? {} : { traceBudgetTokens: traceBudget }),
        ...(seed === undefined ? {} : { seed }),
        ...(plusFloor === undefined ? {} : { plusMinTimeLimitMs: Math.round(plusFloor * 1000) }),
        ...(plusFactor === undefined ? {} : { plusTimeLimitFactor: plusFactor }),
        ...(shard ? { shard } : {}),
      },
      {
        client,
        sandbox,
        tasks,
        datasetFiles: Object.fromEntries(
          [...new Set(tasks.map((task) => task.provenance.file))].map((file) => [
            file,
            tasks.find((task) => task.provenance.file === file)?.provenance.sha256 ?? '',
          ]),
        ),
        countTokens: await createTokenCounter('cl100k_base'),
        nxtVersion: VERSION,
        ...(execCache ? { execCache } : {}),
        ...(flags.batch
          ? {
              batch: {
                ...(batchPoll === undefined ? {} : { pollIntervalMs: batchPoll * 1000 }),
                onRound: (round: number, requests: number) =>
                  io.stderr(`nxt: batch round ${round}: ${requests} requests sent as one batch; waiting for it\n`),
              },
            }
          : {}),
        endpoint: { baseUrls: spec.baseUrls, ...(spec.cacheKey ? { cacheKey: spec.cacheKey } : {}) },
        onProgress: (progress) => {
          lastFailure = progress.lastFailure;
          printProgress(progress);
        },
        k,
      },
      out,
    );
    io.stdout(formatSummary(summary));
    const budgetProblem = budget === undefined ? null : describeBudget(client.accounting, budget);
    if (budgetProblem) io.stderr(`nxt: ${budgetProblem}\n`);
    if (client.accounting.exceededBudget) return 1;
    if (summary.missing) {
      io.stderr(
        `nxt: ${summary.missing} samples are missing, so this run is not complete (last failure: ${lastFailure ?? 'unknown'}). Run the same command again to complete them.\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    cache?.close();
    execCache?.close();
    await sandbox.close();
  }
}

/** What the budget did to this run, or null when it held nothing back and was not passed. */
function describeBudget(accounting: Accounting, budgetUsd: number): string | null {
  const spent = `$${accounting.costUsd.toFixed(4)} of the --budget $${budgetUsd}`;
  if (accounting.exceededBudget)
    return `spent ${spent}: the server billed more than the requests' max tokens allow, so the budget was passed`;
  if (accounting.overBudget)
    return `stopped sending requests before passing the budget (${spent} spent; the next request's worst case did not fit). Run again with a larger --budget to finish`;
  return null;
}

/** The execution cache unless `--no-exec-cache` (commander's `execCache: false`). */
async function openExecCache(
  enabled: boolean | undefined,
  llmCache: string | undefined,
  io: CliIo,
  configFile?: string,
) {
  if (enabled === false) return null;
  const { VerdictCache } = await import('../eval/index.js');
  return VerdictCache.open(execCachePath(llmCache, loadConfig(configFile, io.cwd, io.env), io.env, io.cwd));
}

export interface ProxyFlags extends DataFlags, SandboxFlagValues {
  from: string;
  student: string;
  out?: string;
  config?: string;
  cache?: string;
  execCache?: boolean;
  shard?: string;
}

/** `nxt eval proxy`: the student's pass@k from a run's rationales, next to the run's own. */
export async function proxyCommand(flags: ProxyFlags, io: CliIo): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const { ManifestSchema, SummarySchema, formatSummary, parseShard, runProxy } = await import('../eval/index.js');
  const from = resolve(io.cwd, flags.from);
  const manifest = ManifestSchema.parse(
    JSON.parse(
      await readFile(`${from}/manifest.json`, 'utf8').catch(() => {
        throw new UsageError(`${from} is not a run folder (no manifest.json)`);
      }),
    ),
  );
  const original = SummarySchema.parse(JSON.parse(await readFile(`${from}/summary.json`, 'utf8')));
  const config = loadConfig(flags.config, io.cwd, io.env);
  const spec = resolveModel(flags.student, config, io.env);
  const tasks = await repairTasks(manifest.config.dataset, flags, io, undefined);
  const out = resolve(io.cwd, flags.out ?? `${from}/proxy-${slug(spec.model)}`);
  const { createLlmClient, SampleCache } = await import('../llm/index.js');
  const cache = SampleCache.open(cachePath(flags.cache, config, io.env, io.cwd));
  const execCache = await openExecCache(flags.execCache, flags.cache, io, flags.config);
  const sandbox = await startSandbox(sandboxOptions(flags, io.env), io, true);
  try {
    const summary = await runProxy(from, out, tasks, createLlmClient(spec, { cache }), sandbox, {
      nxtVersion: VERSION,
      onProgress: progressPrinter(io, 'proxy'),
      ...(flags.shard === undefined ? {} : { shard: parseShard(flags.shard) }),
      ...(execCache ? { execCache } : {}),
    });
    io.stdout(
      `original (${original.model}):\n${formatSummary(original)}\nproxy (student ${spec.model} writing fixes from the rationales):\n${formatSummary(summary)}`,
    );
    if (summary.missing) {
      io.stderr(
        `nxt: ${summary.missing} student samples are missing (their calls failed and may pass later), so this proxy run is not complete. Run the same command again to complete them.\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    cache.close();
    execCache?.close();
    await sandbox.close();
  }
}

/** `nxt merge OUT DIR...`: the shards of one run joined into one run folder. */
export async function mergeCommand(out: string, dirs: string[], flags: DataFlags, io: CliIo): Promise<number> {
  const { formatSummary, mergeShards } = await import('../eval/index.js');
  const summary = await mergeShards(
    resolve(io.cwd, out),
    dirs.map((dir) => resolve(io.cwd, dir)),
    (dataset) => loadTasks(dataset, flags, io),
  );
  io.stdout(formatSummary(summary));
  io.stderr(`nxt: merged ${dirs.length} shards into ${out}\n`);
  return 0;
}

/** `nxt compare A B`: paired per-task comparison. */
export async function compareCommand(
  dirA: string,
  dirB: string,
  flags: { json?: boolean },
  io: CliIo,
): Promise<number> {
  const { compareRuns } = await import('../eval/index.js');
  const result = await compareRuns(resolve(io.cwd, dirA), resolve(io.cwd, dirB));
  if (result.tasks === 0) {
    throw new UsageError(`${dirA} and ${dirB} share no task with results: there is nothing to compare`);
  }
  if (result.a.dataset !== result.b.dataset) {
    io.stderr(
      `nxt: WARNING: the runs are on different datasets (${result.a.dataset}, ${result.b.dataset}); only the ${result.tasks} tasks with the same ids are compared\n`,
    );
  }
  if (flags.json) {
    const { a, b, ...comparison } = result;
    io.stdout(`${JSON.stringify({ a: { dir: dirA, ...a }, b: { dir: dirB, ...b }, ...comparison }, null, 2)}\n`);
    return 0;
  }
  const pct = (value: number) => `${(100 * value).toFixed(1)}%`;
  const name = (dir: string, run: typeof result.a) =>
    `${dir} (${run.kind}, ${run.dataset}, ${run.model}${run.strategy === 'nxt' ? '' : `, ${run.strategy}`}, trace ${run.trace})`;
  const lines = [
    `A = ${name(dirA, result.a)}`,
    `B = ${name(dirB, result.b)}`,
    `${result.tasks} shared tasks: A ${pct(result.rateA)}, B ${pct(result.rateB)} (mean per-task fix rate)`,
    `A - B = ${pct(result.difference)}, 95% paired bootstrap interval [${pct(result.interval[0])}, ${pct(result.interval[1])}], p = ${result.pValue.toFixed(3)}`,
    `fixed only by A (${result.onlyA.length}): ${result.onlyA.join(', ') || '-'}`,
    `fixed only by B (${result.onlyB.length}): ${result.onlyB.join(', ') || '-'}`,
  ];
  if (result.unmatched.length > 0)
    lines.push(`in one run only (${result.unmatched.length}): ${result.unmatched.slice(0, 20).join(', ')}`);
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

/** `nxt eval import` and `nxt eval export`: EvalPlus-style samples in and out. */
export async function importCommand(
  flags: DataFlags &
    SandboxFlagValues & {
      dataset: string;
      samples: string;
      out: string;
      k: string;
      minTimeLimit: string;
      gtTimeLimitFactor: string;
      execCache?: boolean;
      shard?: string;
    },
  io: CliIo,
): Promise<number> {
  const k = flags.k.split(',').map((item) => positiveInt(item.trim(), '--k') as number);
  const plusFloor = numberFlag(flags.minTimeLimit, '--min-time-limit', 0.001, 3600) as number;
  const plusFactor = numberFlag(flags.gtTimeLimitFactor, '--gt-time-limit-factor', 1, 1000) as number;
  const { importSamples, formatSummary, parseShard } = await import('../eval/index.js');
  const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
  // Any dataset: repair sets (a fix per task) and code-generation benchmarks (a solution per problem).
  const tasks = await loadTasks(flags.dataset, flags, io);
  const out = resolve(io.cwd, flags.out);
  const sandbox = await startSandbox(sandboxOptions(flags, io.env), io, true);
  const execCache = await openExecCache(flags.execCache, undefined, io);
  try {
    const summary = await importSamples(resolve(io.cwd, flags.samples), out, tasks, sandbox, {
      nxtVersion: VERSION,
      dataset: flags.dataset,
      model: `imported:${flags.samples}`,
      onProgress: progressPrinter(io, 'import'),
      k,
      limits: { plusFloorMs: Math.round(plusFloor * 1000), plusFactor },
      ...(execCache ? { execCache } : {}),
      ...(shard ? { shard } : {}),
    });
    io.stdout(formatSummary(summary));
    return 0;
  } finally {
    execCache?.close();
    await sandbox.close();
  }
}

export async function exportRunCommand(dir: string, flags: { out?: string }, io: CliIo): Promise<number> {
  if (!flags.out) throw new UsageError('give the output file with --out FILE (or --out - for standard output)');
  const { exportSamples, readManifest, sampleLines } = await import('../eval/index.js');
  await readManifest(resolve(io.cwd, dir)); // a folder that is not a run is an error, not an empty export
  if (flags.out === '-') {
    for (const line of await sampleLines(resolve(io.cwd, dir))) io.stdout(`${line}\n`);
    return 0;
  }
  const count = await exportSamples(resolve(io.cwd, dir), resolve(io.cwd, flags.out));
  io.stderr(`nxt: wrote ${count} samples to ${flags.out}\n`);
  return 0;
}
