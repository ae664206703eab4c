import type { TopLevelSpec } from 'vega-lite';
import type { Summary } from '../runs/index.js';
import { chartSvg } from './charts.js';
import type { EvalRun, SelftrainRun } from './report-data.js';

export interface Figure {
  title: string;
  svg: string;
}

type Metrics = Summary['pass@k'];

/** A value and its 95% interval (null ends when the summary has none: no bar is drawn). */
interface Estimate {
  value: number;
  lo: number | null;
  hi: number | null;
}

function estimate(metrics: Metrics | null | undefined, key: string): Estimate | null {
  const value = metrics?.values[key];
  if (value === undefined) return null;
  const interval = metrics?.intervals[key];
  return { value, lo: interval?.[0] ?? null, hi: interval?.[1] ?? null };
}

interface IntervalChart {
  values: object[];
  /** How each value is drawn: bars, or a line with points. */
  mark: 'bar' | 'line';
  /** What the value and its interval share: categories, offsets, colour. */
  encoding: Record<string, unknown>;
  /** The axis the values run along, and its title. */
  along: 'x' | 'y';
  title: string;
}

/**
 * A chart of fractions, each with its 95% interval as an error bar. Over bars the error bars are dark
 * (a bar's own colour would hide them); over a line they take their series' colour.
 */
function intervalChart(chart: IntervalChart): TopLevelSpec {
  const scale = { type: 'quantitative', axis: { format: '.0%' }, title: chart.title, scale: { domain: [0, 1] } };
  const end = chart.along === 'x' ? 'x2' : 'y2';
  const mark = chart.mark === 'line' ? { type: 'line', point: true } : 'bar';
  return {
    data: { values: chart.values },
    encoding: chart.encoding,
    layer: [
      { mark, encoding: { [chart.along]: { ...scale, field: 'value' } } },
      {
        mark: { type: 'errorbar', ticks: { size: 10 } },
        encoding: {
          [chart.along]: { ...scale, field: 'lo' },
          [end]: { field: 'hi' },
          ...(chart.mark === 'bar' ? { color: { value: '#1d2330' } } : {}),
        },
      },
    ],
  } as TopLevelSpec;
}

async function passAtKFigure(runs: EvalRun[], labelOf: (name: string) => string): Promise<Figure | null> {
  const values = runs.flatMap((run) =>
    Object.keys(run.summary['pass@k'].values).map((k) => ({
      run: labelOf(run.name),
      k: Number(k.slice(5)),
      ...estimate(run.summary['pass@k'], k),
    })),
  );
  if (!values.length) return null;
  const encoding = {
    x: { field: 'k', type: 'quantitative', scale: { type: 'log' }, title: 'k' },
    color: { field: 'run', type: 'nominal' },
  };
  return {
    title: 'pass@k against k',
    svg: await chartSvg(intervalChart({ values, mark: 'line', encoding, along: 'y', title: 'pass@k' })),
  };
}

async function byLabelFigure(runs: EvalRun[], labelOf: (name: string) => string): Promise<Figure | null> {
  const values = runs.flatMap((run) =>
    Object.entries(run.summary.byLabel).flatMap(([label, metrics]) => {
      const pass1 = estimate(metrics, 'pass@1');
      return pass1 ? [{ run: labelOf(run.name), label, ...pass1 }] : [];
    }),
  );
  if (!values.length) return null;
  const encoding = {
    y: { field: 'label', type: 'nominal', title: null },
    yOffset: { field: 'run' },
    color: { field: 'run', type: 'nominal' },
  };
  return {
    title: 'pass@1 by bug type or mutation kind',
    svg: await chartSvg(intervalChart({ values, mark: 'bar', encoding, along: 'x', title: 'pass@1' })),
  };
}

async function plusFigure(runs: EvalRun[], labelOf: (name: string) => string): Promise<Figure | null> {
  const values = runs
    .filter((run) => run.summary.base)
    .flatMap((run) => [
      { run: labelOf(run.name), tests: 'base', ...estimate(run.summary.base, 'pass@1') },
      { run: labelOf(run.name), tests: 'base + EvalPlus', ...estimate(run.summary['pass@k'], 'pass@1') },
    ]);
  if (!values.length) return null;
  const encoding = {
    x: { field: 'run', type: 'nominal', title: null },
    xOffset: { field: 'tests' },
    color: { field: 'tests', type: 'nominal' },
  };
  return {
    title: 'base tests against base + EvalPlus tests (pass@1)',
    svg: await chartSvg(intervalChart({ values, mark: 'bar', encoding, along: 'y', title: 'pass@1' })),
  };
}

/** Runs of one model, dataset and shots that differ in their trace format, side by side. */
async function tracesFigure(runs: EvalRun[]): Promise<Figure | null> {
  const groups = new Map<string, { trace: string }[]>();
  for (const run of runs) {
    const group = `${run.summary.model} · ${run.summary.dataset} · ${run.run.shots}-shot`;
    groups.set(group, [
      ...(groups.get(group) ?? []),
      { trace: run.run.trace, ...estimate(run.summary['pass@k'], 'pass@1') },
    ]);
  }
  const values = [...groups]
    .filter(([, items]) => new Set(items.map((item) => item.trace)).size > 1)
    .flatMap(([group, items]) => items.map((item) => ({ group, ...item })));
  if (!values.length) return null;
  const encoding = {
    x: { field: 'group', type: 'nominal', title: null },
    xOffset: { field: 'trace' },
    color: { field: 'trace', type: 'nominal' },
  };
  return {
    title: 'with and without execution traces (pass@1)',
    svg: await chartSvg(intervalChart({ values, mark: 'bar', encoding, along: 'y', title: 'pass@1' })),
  };
}

/** Dev pass@1 of the base model and of each iteration's model, on an axis named as the table names them. */
async function selftrainFigure(selftrain: SelftrainRun[], labelOf: (name: string) => string): Promise<Figure | null> {
  const values = selftrain.flatMap((run) =>
    run.rows.flatMap((row) =>
      row.devPass1 === null
        ? []
        : [
            {
              run: labelOf(run.name),
              iteration: row.iteration,
              value: row.devPass1,
              lo: row.devInterval?.[0] ?? null,
              hi: row.devInterval?.[1] ?? null,
            },
          ],
    ),
  );
  if (!values.length) return null;
  // Every row of the tables, evaluated yet or not, in table order ('base' first).
  const order = [...new Set(selftrain.flatMap((run) => run.rows.map((row) => row.iteration)))];
  const encoding = {
    x: {
      field: 'iteration',
      type: 'ordinal',
      sort: order,
      scale: { domain: order },
      axis: { labelAngle: 0 },
      title: 'iteration',
    },
    color: { field: 'run', type: 'nominal' },
  };
  return {
    title: 'self-training: dev pass@1 of the base model and of the model trained in each iteration',
    svg: await chartSvg(intervalChart({ values, mark: 'line', encoding, along: 'y', title: 'dev pass@1' })),
  };
}

/**
 * The report's figures as inline SVG: pass@k, by label, EvalPlus, traces, self-training; every fix
 * rate with its 95% interval (the summaries' bootstrap intervals over tasks).
 */
export async function reportCharts(
  runs: EvalRun[],
  selftrain: SelftrainRun[],
  labelOf: (name: string) => string,
): Promise<Figure[]> {
  const figures = [
    await passAtKFigure(runs, labelOf),
    await byLabelFigure(runs, labelOf),
    await plusFigure(runs, labelOf),
    await tracesFigure(runs),
    await selftrainFigure(selftrain, labelOf),
  ];
  return figures.filter((figure): figure is Figure => figure !== null);
}
