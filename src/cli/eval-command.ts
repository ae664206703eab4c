import { resolve } from 'node:path';
import type { EvalConfigInput, EvalProgress } from '../eval/index.js';
import type { Accounting, ModelSpec } from '../llm/index.js';
import { formatDuration, listChoices, UsageError } from '../shared/index.js';
import { isRepairTask, REPAIR_DATASET_NAMES, type RepairTask } from '../tasks/index.js';
import type { CompareFlags, DataFlags, EvalFlags, ExportRunFlags, ImportFlags, ProxyFlags } from './command-flags.js';
import { cachePath, checkBudget, execCachePath, listPriceNote, loadConfig, resolveModel } from './config.js';
import { loadTasks } from './data-command.js';
import type { CliIo } from './io.js';
import { jsonLines, writeOutput } from './output.js';
import { sandboxOptions } from './sandbox-flags.js';
import { startSandbox } from './sandbox-start.js';
import { NXT_VERSION } from './version.js';

/** A dataset's name for folder names: a task file's name without its folder and .jsonl. */
function datasetName(dataset: string): string {
  return dataset.endsWith('.jsonl') ? (dataset.split('/').pop() ?? dataset).replace(/\.jsonl$/, '') : dataset;
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-|-$/g, '');
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

/** `--turns`, or the strategy's default; refused above 1 for a single-turn strategy. */
async function evalTurns(flags: EvalFlags): Promise<number> {
  const { STRATEGIES, STRATEGY_NAMES } = await import('../eval/index.js');
  const turns = flags.turns ?? STRATEGIES[flags.strategy].defaultTurns;
  if (flags.strategy === 'nxt' && turns > 1) {
    const multiTurn = STRATEGY_NAMES.filter((name) => STRATEGIES[name].defaultTurns > 1);
    throw new UsageError(`--turns needs a multi-turn strategy: --strategy ${listChoices(multiTurn)}`);
  }
  return turns;
}

/** The run folder: `--out`, or one named after the dataset, model, trace, shots, strategy and shard. */
function evalOut(flags: EvalFlags, model: string, turns: number, cwd: string): string {
  const { trace, shots, strategy, shard } = flags;
  const multiTurn = strategy === 'nxt' ? '' : `-${strategy}-${turns}turns`;
  const sharded = shard ? `-shard-${shard.index}-of-${shard.count}` : '';
  return resolve(
    cwd,
    flags.out ?? `runs/${slug(datasetName(flags.dataset))}-${slug(model)}-${trace}-${shots}shot${multiTurn}${sharded}`,
  );
}

/** Says which of the k asked for with --k need more samples than --samples (the default list is cut silently). */
function warnUnreachableK(flags: EvalFlags, k: readonly number[], io: CliIo): void {
  const { samples } = flags;
  const dropped = flags.k === undefined ? [] : k.filter((value) => value > samples);
  if (dropped.length > 0) {
    io.stderr(
      `nxt: pass@${dropped.join(', pass@')} need${dropped.length === 1 ? 's' : ''} more than ${samples} samples per task: reporting pass@${k.filter((value) => value <= samples).join(', pass@') || '-'} (raise --samples, or set --k)\n`,
    );
  }
}

/** The run's configuration from the flags (what the manifest records). */
function evalConfig(flags: EvalFlags, spec: ModelSpec, turns: number): EvalConfigInput {
  const { samples, temperature, trace, shots, strategy, maxTokens, traceBudget, seed, shard } = flags;
  const { minTimeLimit: plusFloor, gtTimeLimitFactor: plusFactor } = flags;
  return {
    dataset: flags.dataset,
    model: spec.model,
    api: spec.api,
    samples,
    temperature,
    greedy: Boolean(flags.greedy),
    trace,
    shots,
    strategy,
    turns,
    ...(maxTokens === undefined ? {} : { maxTokens }),
    ...(traceBudget === undefined ? {} : { traceBudgetTokens: traceBudget }),
    ...(seed === undefined ? {} : { seed }),
    ...(plusFloor === undefined ? {} : { plusMinTimeLimitMs: Math.round(plusFloor * 1000) }),
    ...(plusFactor === undefined ? {} : { plusTimeLimitFactor: plusFactor }),
    ...(shard ? { shard } : {}),
  };
}

/** The sha256 of each dataset file the tasks come from (for the manifest). */
function datasetFiles(tasks: readonly RepairTask[]): Record<string, string> {
  return Object.fromEntries(
    [...new Set(tasks.map((task) => task.provenance.file))].map((file) => [
      file,
      tasks.find((task) => task.provenance.file === file)?.provenance.sha256 ?? '',
    ]),
  );
}

/** `--batch`: sampling through the Batch API, saying when each round's batch goes out. */
function batchOptions(flags: EvalFlags, io: CliIo) {
  if (!flags.batch) return {};
  const { batchPoll } = flags;
  return {
    batch: {
      ...(batchPoll === undefined ? {} : { pollIntervalMs: batchPoll * 1000 }),
      onRound: (round: number, requests: number) =>
        io.stderr(`nxt: batch round ${round}: ${requests} requests sent as one batch; waiting for it\n`),
    },
  };
}

/** The exit code of a finished eval: 1 when the budget was passed or samples are missing (said why). */
function evalExitCode(
  summary: { missing?: number | undefined },
  accounting: Accounting,
  budget: number | undefined,
  lastFailure: string | null,
  io: CliIo,
): number {
  const budgetProblem = budget === undefined ? null : describeBudget(accounting, budget);
  if (budgetProblem) io.stderr(`nxt: ${budgetProblem}\n`);
  if (accounting.exceededBudget) return 1;
  if (summary.missing) {
    io.stderr(
      `nxt: ${summary.missing} samples are missing, so this run is not complete (last failure: ${lastFailure ?? 'unknown'}). Run the same command again to complete them.\n`,
    );
    return 1;
  }
  return 0;
}

/** `nxt eval`: sample repairs from a model, judge them, and report pass@k. */
export async function evalCommand(flags: EvalFlags, io: CliIo): Promise<number> {
  if (!flags.model) throw new UsageError('give the model to evaluate with --model SPEC (see nxt llm ping --help)');
  const { samples, trace, shots, limit, maxTokens, budget } = flags;
  const k = flags.k ?? [1, 5, 10, 25];
  const { createTokenCounter } = await import('../trace/index.js');
  if (flags.batch && flags.noCache) throw new UsageError('--batch needs the sample cache: drop --no-cache');
  const config = loadConfig(flags.config, io.cwd, io.env);
  const spec = resolveModel(flags.model, config, io.env);
  checkBudget(budget, spec, maxTokens ?? 1024); // eval always caps answers (default 1024)
  const priceNote = listPriceNote(spec, config);
  if (priceNote) io.stderr(`nxt: ${priceNote}\n`);
  const { formatSummary, runEval } = await import('../eval/index.js');
  const turns = await evalTurns(flags);
  const { shardTasks } = await import('../eval/index.js');
  const tasks = shardTasks(await repairTasks(flags.dataset, flags, io, limit), flags.shard);
  const out = evalOut(flags, spec.model, turns, io.cwd);
  warnUnreachableK(flags, k, io);
  const { createLlmClient, SampleCache } = await import('../llm/index.js');
  // --no-cache: every sample is asked for (and nothing is stored).
  const cache = flags.noCache ? null : SampleCache.open(cachePath(flags.cache, config, io.env, io.cwd));
  const execCache = await openExecCache(flags.noExecCache, flags.cache, io, flags.config);
  const sandbox = await startSandbox(sandboxOptions(flags, io.env), io, true);
  try {
    const client = createLlmClient(spec, {
      ...(cache ? { cache } : {}),
      ...(budget === undefined ? {} : { budgetUsd: budget }),
    });
    const printProgress = progressPrinter(io);
    let lastFailure: string | null = null;
    io.stderr(
      `nxt: ${tasks.length} tasks × ${samples} samples from ${spec.model}, trace ${trace}, ${shots}-shot → ${out}\n`,
    );
    const summary = await runEval(
      evalConfig(flags, spec, turns),
      {
        client,
        sandbox,
        tasks,
        datasetFiles: datasetFiles(tasks),
        countTokens: await createTokenCounter('cl100k_base'),
        nxtVersion: NXT_VERSION,
        ...(execCache ? { execCache } : {}),
        ...batchOptions(flags, io),
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
    return evalExitCode(summary, client.accounting, budget, lastFailure, io);
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

/** The execution cache unless `--no-exec-cache`. */
async function openExecCache(noExecCache: boolean, llmCache: string | undefined, io: CliIo, configFile?: string) {
  if (noExecCache) return null;
  const { VerdictCache } = await import('../eval/index.js');
  return VerdictCache.open(execCachePath(llmCache, loadConfig(configFile, io.cwd, io.env), io.env, io.cwd));
}

/** `nxt eval proxy`: the student's pass@k from a run's rationales, next to the run's own. */
export async function proxyCommand(flags: ProxyFlags, io: CliIo): Promise<number> {
  const { formatSummary, runProxy, teacherManifest } = await import('../eval/index.js');
  const { readRunSummary, RUN_FILES } = await import('../runs/index.js');
  const from = resolve(io.cwd, flags.from);
  const manifest = await teacherManifest(from);
  const original = await readRunSummary(from);
  if (!original) throw new UsageError(`${from} has no ${RUN_FILES.summary} yet: finish or resume that run first`);
  const config = loadConfig(flags.config, io.cwd, io.env);
  const spec = resolveModel(flags.student, config, io.env);
  const tasks = await repairTasks(manifest.config.dataset, flags, io, undefined);
  const out = resolve(io.cwd, flags.out ?? `${from}/proxy-${slug(spec.model)}`);
  const { createLlmClient, SampleCache } = await import('../llm/index.js');
  const cache = SampleCache.open(cachePath(flags.cache, config, io.env, io.cwd));
  const execCache = await openExecCache(flags.noExecCache, flags.cache, io, flags.config);
  const sandbox = await startSandbox(sandboxOptions(flags, io.env), io, true);
  try {
    const summary = await runProxy(from, out, tasks, createLlmClient(spec, { cache }), sandbox, {
      nxtVersion: NXT_VERSION,
      onProgress: progressPrinter(io, 'proxy'),
      ...(flags.shard === undefined ? {} : { shard: flags.shard }),
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
export async function compareCommand(dirA: string, dirB: string, flags: CompareFlags, io: CliIo): Promise<number> {
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
export async function importCommand(flags: ImportFlags, io: CliIo): Promise<number> {
  const { k, minTimeLimit: plusFloor, gtTimeLimitFactor: plusFactor, shard } = flags;
  const { importSamples, formatSummary } = await import('../eval/index.js');
  // Any dataset: repair sets (a fix per task) and code-generation benchmarks (a solution per problem).
  const tasks = await loadTasks(flags.dataset, flags, io);
  const out = resolve(io.cwd, flags.out);
  const sandbox = await startSandbox(sandboxOptions(flags, io.env), io, true);
  const execCache = await openExecCache(flags.noExecCache, undefined, io);
  try {
    const summary = await importSamples(resolve(io.cwd, flags.samplesFile), out, tasks, sandbox, {
      nxtVersion: NXT_VERSION,
      dataset: flags.dataset,
      model: `imported:${flags.samplesFile}`,
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

export async function exportRunCommand(dir: string, flags: ExportRunFlags, io: CliIo): Promise<number> {
  if (!flags.out) throw new UsageError('give the output file with --out FILE (or --out - for standard output)');
  const { sampleLines } = await import('../eval/index.js');
  const { readManifest } = await import('../runs/index.js');
  await readManifest(resolve(io.cwd, dir)); // a folder that is not a run is an error, not an empty export
  const lines = await sampleLines(resolve(io.cwd, dir));
  const wrote = await writeOutput(flags.out, jsonLines(lines), io);
  if (wrote) io.stderr(`nxt: wrote ${lines.length} samples to ${wrote}\n`);
  return 0;
}
