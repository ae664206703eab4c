import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { describeRun, type RunDescription, RunManifestSchema, type Summary, SummarySchema } from '../eval/index.js';
import { NxtError } from '../shared/index.js';
import { chartSvg } from './charts.js';
import { escapeHtml, percent } from './html.js';

interface EvalRun {
  kind: 'eval';
  name: string;
  /** What kind of run and with what settings (eval, proxy or import). */
  run: RunDescription;
  summary: Summary;
}

interface SelftrainRun {
  kind: 'selftrain';
  name: string;
  summary: {
    baseModel: string;
    baseDev: Record<string, number> | null;
    best: number | null;
    iterations: {
      iteration: number;
      accepted: number;
      dev: Record<string, number> | null;
      trainFixRate: number | null;
    }[];
  };
}

type Run = EvalRun | SelftrainRun;

async function loadRun(dir: string): Promise<Run> {
  const read = async (file: string) => JSON.parse(await readFile(join(dir, file), 'utf8'));
  if (existsSync(join(dir, 'manifest.json'))) {
    if (!existsSync(join(dir, 'summary.json')))
      throw new NxtError('usage', `${dir} has no summary.json yet: finish or resume the run first`);
    return {
      kind: 'eval',
      name: basename(dir),
      run: describeRun(RunManifestSchema.parse(await read('manifest.json'))),
      summary: SummarySchema.parse(await read('summary.json')),
    };
  }
  if (existsSync(join(dir, 'state.json')) && existsSync(join(dir, 'summary.json')))
    return { kind: 'selftrain', name: basename(dir), summary: await read('summary.json') };
  throw new NxtError('usage', `${dir} is not an nxt run folder (no manifest.json or self-training summary)`);
}

const ks = (runs: EvalRun[]) =>
  [
    ...new Set(
      runs.flatMap((run) => [
        ...Object.keys(run.summary['pass@k'].values),
        ...Object.keys(run.summary['pass@k'].omitted ?? {}),
      ]),
    ),
  ].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));

function passTable(runs: EvalRun[]): { html: string; markdown: string } {
  const columns = ks(runs);
  const cell = (run: EvalRun, k: string) => {
    const value = run.summary['pass@k'].values[k];
    const interval = run.summary['pass@k'].intervals[k];
    const omitted = run.summary['pass@k'].omitted?.[k];
    // pass@k is reported only when every task has n >= k: say why a cell is empty.
    if (value === undefined && omitted)
      return `not reported: ${omitted.tasksBelow} tasks have fewer than ${k.slice(5)} samples`;
    return value === undefined
      ? '-'
      : `${percent(value)}${interval ? ` [${(100 * interval[0]).toFixed(1)}, ${(100 * interval[1]).toFixed(1)}]` : ''}`;
  };
  const header = [
    'run',
    'kind',
    'dataset',
    'model',
    'strategy',
    'trace',
    'shots',
    'tasks',
    ...columns,
    'greedy pass@1',
    'sealed tests',
  ];
  const rows = runs.map((run) => [
    run.name,
    run.run.kind,
    run.summary.dataset,
    run.summary.model,
    run.run.strategy,
    run.run.trace,
    run.run.shots,
    String(run.summary.tasks),
    ...columns.map((k) => cell(run, k)),
    run.summary.greedy ? percent(run.summary.greedy['pass@1']) : '-',
    run.summary.sealing?.tests ? percent(run.summary.sealing.sealed / run.summary.sealing.tests) : '-',
  ]);
  const html = `<table><tr>${header.map((item) => `<th>${escapeHtml(item)}</th>`).join('')}</tr>${rows.map((row) => `<tr>${row.map((item) => `<td>${escapeHtml(item)}</td>`).join('')}</tr>`).join('')}</table>`;
  const markdown = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  return { html, markdown };
}

async function charts(runs: EvalRun[], selftrain: SelftrainRun[]): Promise<{ title: string; svg: string }[]> {
  const out: { title: string; svg: string }[] = [];
  const curve = runs.flatMap((run) =>
    Object.entries(run.summary['pass@k'].values).map(([k, value]) => ({ run: run.name, k: Number(k.slice(5)), value })),
  );
  if (curve.length) {
    out.push({
      title: 'pass@k against k',
      svg: await chartSvg({
        data: { values: curve },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'k', type: 'quantitative', scale: { type: 'log' }, title: 'k' },
          y: {
            field: 'value',
            type: 'quantitative',
            axis: { format: '%' },
            title: 'pass@k',
            scale: { domain: [0, 1] },
          },
          color: { field: 'run', type: 'nominal' },
        },
      } as TopLevelSpec),
    });
  }
  const labels = runs.flatMap((run) =>
    Object.entries(run.summary.byLabel).map(([label, metrics]) => ({
      run: run.name,
      label,
      value: metrics.values['pass@1'] ?? 0,
    })),
  );
  if (labels.length) {
    out.push({
      title: 'pass@1 by bug type or mutation kind',
      svg: await chartSvg({
        data: { values: labels },
        mark: 'bar',
        encoding: {
          y: { field: 'label', type: 'nominal', title: null },
          x: { field: 'value', type: 'quantitative', axis: { format: '%' }, title: 'pass@1' },
          yOffset: { field: 'run' },
          color: { field: 'run', type: 'nominal' },
        },
      } as TopLevelSpec),
    });
  }
  const plus = runs
    .filter((run) => run.summary.base)
    .flatMap((run) => [
      { run: run.name, tests: 'base', value: run.summary.base?.values['pass@1'] ?? 0 },
      { run: run.name, tests: 'base + EvalPlus', value: run.summary['pass@k'].values['pass@1'] ?? 0 },
    ]);
  if (plus.length) {
    out.push({
      title: 'base tests against base + EvalPlus tests (pass@1)',
      svg: await chartSvg({
        data: { values: plus },
        mark: 'bar',
        encoding: {
          x: { field: 'run', type: 'nominal', title: null },
          xOffset: { field: 'tests' },
          y: { field: 'value', type: 'quantitative', axis: { format: '%' }, title: 'pass@1' },
          color: { field: 'tests', type: 'nominal' },
        },
      } as TopLevelSpec),
    });
  }
  const traceGroups = new Map<string, { trace: string; value: number }[]>();
  for (const run of runs) {
    const group = `${run.summary.model} · ${run.summary.dataset} · ${run.run.shots}-shot`;
    traceGroups.set(group, [
      ...(traceGroups.get(group) ?? []),
      { trace: run.run.trace, value: run.summary['pass@k'].values['pass@1'] ?? 0 },
    ]);
  }
  const traceRows = [...traceGroups]
    .filter(([, items]) => new Set(items.map((item) => item.trace)).size > 1)
    .flatMap(([group, items]) => items.map((item) => ({ group, ...item })));
  if (traceRows.length) {
    out.push({
      title: 'with and without execution traces (pass@1)',
      svg: await chartSvg({
        data: { values: traceRows },
        mark: 'bar',
        encoding: {
          x: { field: 'group', type: 'nominal', title: null },
          xOffset: { field: 'trace' },
          y: { field: 'value', type: 'quantitative', axis: { format: '%' }, title: 'pass@1' },
          color: { field: 'trace', type: 'nominal' },
        },
      } as TopLevelSpec),
    });
  }
  const iterations = selftrain.flatMap((run) =>
    run.summary.iterations
      .filter((iteration) => iteration.dev)
      .map((iteration) => ({
        run: run.name,
        iteration: iteration.iteration + 1,
        value: iteration.dev?.['pass@1'] ?? 0,
      })),
  );
  if (iterations.length) {
    out.push({
      title: 'self-training: dev pass@1 of the model trained in each iteration',
      svg: await chartSvg({
        data: { values: iterations },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'iteration', type: 'ordinal', title: 'model (trained in iteration n-1)' },
          y: { field: 'value', type: 'quantitative', axis: { format: '%' }, title: 'dev pass@1' },
          color: { field: 'run', type: 'nominal' },
        },
      } as TopLevelSpec),
    });
  }
  return out;
}

/** A self-contained HTML report (tables and inline SVG charts) and a Markdown summary of run folders. */
export async function buildReport(dirs: readonly string[]): Promise<{ html: string; markdown: string }> {
  const runs = await Promise.all(dirs.map(loadRun));
  const evals = runs.filter((run): run is EvalRun => run.kind === 'eval');
  const selftrain = runs.filter((run): run is SelftrainRun => run.kind === 'selftrain');
  const table = passTable(evals);
  const figures = await charts(evals, selftrain);
  const selftrainMd = selftrain.map(
    (run) =>
      `\n### Self-training: ${run.name}\n\n| iteration | accepted | train fix rate | dev pass@1 |\n|---|---|---|---|\n${run.summary.iterations
        .map(
          (iteration) =>
            `| ${iteration.iteration} | ${iteration.accepted} | ${percent(iteration.trainFixRate)} | ${percent(iteration.dev?.['pass@1'])} |`,
        )
        .join('\n')}\n\nBest iteration on dev: ${run.summary.best ?? '-'}.`,
  );
  const markdown = `# nxt report\n\n${table.markdown}\n${selftrainMd.join('\n')}\n`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nxt report</title><style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330}table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #dde1e8;padding:4px 8px;text-align:left}th{background:#f0f2f5}
figure{display:inline-block;margin:12px 24px 12px 0;vertical-align:top}figcaption{font-weight:600;margin-bottom:4px}
</style></head><body><h1>nxt report</h1><p>${evals.length} evaluation runs, ${selftrain.length} self-training runs. Intervals are 95% bootstrap intervals over tasks.</p>
<h2>Fix rates</h2>${table.html}
<h2>Charts</h2>${figures.map((figure) => `<figure><figcaption>${escapeHtml(figure.title)}</figcaption>${figure.svg}</figure>`).join('')}
${selftrain.map((run) => `<h2>Self-training: ${escapeHtml(run.name)}</h2><table><tr><th>iteration</th><th>accepted</th><th>train fix rate</th><th>dev pass@1</th></tr>${run.summary.iterations.map((iteration) => `<tr><td>${iteration.iteration}</td><td>${iteration.accepted}</td><td>${percent(iteration.trainFixRate)}</td><td>${percent(iteration.dev?.['pass@1'])}</td></tr>`).join('')}</table><p>Best iteration on dev: ${escapeHtml(run.summary.best ?? '-')}.</p>`).join('')}
</body></html>`;
  return { html, markdown };
}
