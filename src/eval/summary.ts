import type { Metrics, ResultRecord, Summary } from '../runs/index.js';
import { bootstrapInterval, mean, passAtK } from './stats.js';

/** Test verdicts in `results` and how many were sealed (results from before sealing count as unsealed). */
export function sealingOf(results: readonly ResultRecord[]): { tests: number; sealed: number } {
  let tests = 0;
  let sealed = 0;
  for (const result of results) {
    for (const judged of [result.base, result.plus]) {
      if (!judged) continue;
      tests += judged.tests.length;
      sealed += judged.tests.filter((test) => test.sealed === true).length;
    }
  }
  return { tests, sealed };
}

/**
 * Per-task counts: samples n and passing c (the fix passes) and cBase (base tests only), in task-id
 * order, so every statistic is the same whatever order the results were written in (a resumed run
 * writes them in another order than an uninterrupted one).
 */
export function countsByTask(results: readonly ResultRecord[], mode: 'sample' | 'greedy' = 'sample') {
  const counts = new Map<string, { n: number; c: number; cBase: number }>();
  for (const result of results) {
    if (result.mode !== mode) continue;
    const entry = counts.get(result.taskId) ?? { n: 0, c: 0, cBase: 0 };
    entry.n += 1;
    if (result.pass) entry.c += 1;
    if (result.basePass) entry.cBase += 1;
    counts.set(result.taskId, entry);
  }
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })));
}

function metrics(counts: { n: number; c: number }[], ks: readonly number[]): Metrics {
  const values: Record<string, number> = {};
  const intervals: Record<string, [number, number]> = {};
  const omitted: NonNullable<Metrics['omitted']> = {};
  if (counts.length === 0) return { tasks: 0, values, intervals };
  const minSamples = Math.min(...counts.map((entry) => entry.n));
  for (const k of ks) {
    const below = counts.filter((entry) => entry.n < k).length;
    if (below > 0) {
      omitted[`pass@${k}`] = { tasksBelow: below, minSamples };
      continue;
    }
    const perTask = counts.map((entry) => passAtK(entry.n, entry.c, k));
    values[`pass@${k}`] = mean(perTask);
    intervals[`pass@${k}`] = bootstrapInterval(perTask);
  }
  return { tasks: counts.length, values, intervals, ...(Object.keys(omitted).length ? { omitted } : {}) };
}

export interface SummaryInput {
  dataset: string;
  model: string;
  /** Default: repair. */
  kind?: 'repair' | 'generation';
  samplesPerTask: number;
  k: readonly number[];
  results: readonly ResultRecord[];
  /** Bug type or mutation kind of each task, for the per-label breakdown. */
  labels: ReadonlyMap<string, string>;
  hasPlus: boolean;
  tokens: { prompt: number; completion: number };
  costUsd: number | null;
  /** Results the run should have (tasks × samples, plus greedy ones); more than `results` means missing. */
  expectedResults?: number;
  /** Samples answered from the cache. */
  cachedSamples?: number;
}

/** Fix rate after each turn of multi-turn results (a sample counts from the turn its fix first passed). */
function byTurnOf(results: readonly ResultRecord[]): { byTurn?: number[] } {
  const sampled = results.filter((result) => result.mode === 'sample');
  if (!sampled.some((result) => result.turns)) return {};
  const most = Math.max(1, ...sampled.map((result) => result.turns?.length ?? 0));
  const tasks = new Map<string, number[]>();
  for (const result of sampled) {
    const turn = result.turns ? result.turns.findIndex((entry) => entry.pass) + 1 : result.pass ? 1 : 0;
    tasks.set(result.taskId, [...(tasks.get(result.taskId) ?? []), result.pass ? turn : 0]);
  }
  const byTurn = Array.from({ length: most }, (_, index) =>
    mean(
      [...tasks.values()].map((turns) => turns.filter((turn) => turn > 0 && turn <= index + 1).length / turns.length),
    ),
  );
  return { byTurn };
}

/** Computes the run summary from its results. */
export function summarize(input: SummaryInput): Summary {
  const counts = countsByTask(input.results);
  const all = [...counts.values()];
  const byLabel: Record<string, Metrics> = {};
  const groups = new Map<string, { n: number; c: number }[]>();
  for (const [taskId, entry] of counts) {
    const label = input.labels.get(taskId);
    if (label) groups.set(label, [...(groups.get(label) ?? []), entry]);
  }
  for (const [label, entries] of [...groups].sort(([a], [b]) => a.localeCompare(b)))
    byLabel[label] = metrics(entries, input.k);
  const greedy = countsByTask(input.results, 'greedy');
  const outcome = (name: ResultRecord['outcome']) =>
    input.results.filter((result) => result.mode === 'sample' && result.outcome === name).length;
  return {
    schemaVersion: 1,
    dataset: input.dataset,
    model: input.model,
    ...(input.kind === 'generation' ? { kind: 'generation' as const } : {}),
    tasks: counts.size,
    samplesPerTask: input.samplesPerTask,
    ...(all.length
      ? {
          sampleCounts: {
            min: Math.min(...all.map((entry) => entry.n)),
            max: Math.max(...all.map((entry) => entry.n)),
          },
        }
      : {}),
    'pass@k': metrics(all, input.k),
    base: input.hasPlus
      ? metrics(
          all.map((entry) => ({ n: entry.n, c: entry.cBase })),
          input.k,
        )
      : null,
    greedy:
      greedy.size > 0
        ? { 'pass@1': mean([...greedy.values()].map((entry) => entry.c / entry.n)), tasks: greedy.size }
        : null,
    byLabel,
    outcomes: {
      judged: outcome('judged'),
      parse_error: outcome('parse_error'),
      sample_failed: outcome('sample_failed'),
      passed: input.results.filter((result) => result.mode === 'sample' && result.pass).length,
      judge_fault: input.results.filter(
        (result) => result.mode === 'sample' && (result.base?.judgeFault === true || result.plus?.judgeFault === true),
      ).length,
    },
    tokens: input.tokens,
    costUsd: input.costUsd,
    sealing: sealingOf(input.results),
    ...(input.cachedSamples === undefined ? {} : { cachedSamples: input.cachedSamples }),
    ...byTurnOf(input.results),
    ...(input.expectedResults === undefined
      ? {}
      : { missing: Math.max(0, input.expectedResults - input.results.length) }),
  };
}

const percent = (value: number | undefined) =>
  value === undefined ? '   -  ' : `${(100 * value).toFixed(1).padStart(5)}%`;

/** The summary as a table for the terminal. */
export function formatSummary(summary: Summary): string {
  const ks = Object.keys(summary['pass@k'].values);
  const counts = summary.sampleCounts;
  const samples =
    counts && counts.min !== counts.max
      ? `${counts.min} to ${counts.max} samples`
      : `${summary.samplesPerTask} samples`;
  const lines = [`${summary.dataset} · ${summary.model} · ${summary.tasks} tasks × ${samples}`];
  const row = (name: string, metrics: Metrics) => {
    const cells = ks.map((key) => {
      const interval = metrics.intervals[key];
      return `${percent(metrics.values[key])}${interval ? ` [${(100 * interval[0]).toFixed(1)}, ${(100 * interval[1]).toFixed(1)}]` : ''}`;
    });
    return `${name.padEnd(22)} ${cells.map((cell) => cell.padEnd(24)).join('')}`.trimEnd();
  };
  lines.push(`${''.padEnd(22)} ${ks.map((key) => key.padEnd(24)).join('')}`.trimEnd());
  const rate = summary.kind === 'generation' ? 'pass rate' : 'fix rate';
  lines.push(row(summary.base ? `${rate} (base+plus)` : rate, summary['pass@k']));
  if (summary.base) lines.push(row('base tests only', summary.base));
  for (const [label, metrics] of Object.entries(summary.byLabel))
    lines.push(row(`  ${label} (${metrics.tasks})`, metrics));
  if (summary.greedy) lines.push(`greedy pass@1          ${percent(summary.greedy['pass@1'])}`);
  const { judged, parse_error: parseErrors, sample_failed: failed, judge_fault: faults = 0 } = summary.outcomes;
  const faultNote = faults > 0 ? ` (${faults} judge faults: nxt failed, not the program; see their results)` : '';
  lines.push(
    `samples: ${judged} judged${faultNote}, ${parseErrors} unparseable, ${failed} failed calls${summary.cachedSamples ? ` (${summary.cachedSamples} answers from the cache)` : ''}; tokens ${summary.tokens.prompt} in / ${summary.tokens.completion} out${summary.costUsd === null ? '' : `; $${summary.costUsd.toFixed(4)}`}`,
  );
  if (summary.sealing && summary.sealing.tests > 0) lines.push(sealingLine(summary.sealing));
  if (summary.byTurn) {
    lines.push(
      `fix rate by turn       ${summary.byTurn.map((rate, index) => `${index + 1}: ${percent(rate).trim()}`).join('  ')}`,
    );
  }
  for (const [key, { tasksBelow, minSamples }] of Object.entries(summary['pass@k'].omitted ?? {})) {
    lines.push(
      `${key} not reported: ${tasksBelow} of ${summary.tasks} tasks have fewer samples (the fewest: ${minSamples}); pass@k needs n >= k for every task`,
    );
  }
  if (summary.missing) {
    lines.push(
      `INCOMPLETE: ${summary.missing} samples missing (their model calls failed); the rates above leave them out. Run the same command again to complete them.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** "tests sealed: 1,204 of 1,210 (99.5%)", the line the table, the viewer and the report share. */
export function sealingLine(sealing: { tests: number; sealed: number }): string {
  const share = sealing.tests > 0 ? ` (${((100 * sealing.sealed) / sealing.tests).toFixed(1)}%)` : '';
  return `tests sealed: ${sealing.sealed.toLocaleString('en')} of ${sealing.tests.toLocaleString('en')}${share}`;
}
