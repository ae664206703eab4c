import type { TopLevelSpec } from 'vega-lite';
import { chartSvg } from './charts.js';
import type { EvalRun, SelftrainRun } from './report-data.js';

/** The report's figures as inline SVG: pass@k, by label, EvalPlus, traces, self-training. */
export async function reportCharts(
  runs: EvalRun[],
  selftrain: SelftrainRun[],
  labelOf: (name: string) => string,
): Promise<{ title: string; svg: string }[]> {
  const out: { title: string; svg: string }[] = [];
  const curve = runs.flatMap((run) =>
    Object.entries(run.summary['pass@k'].values).map(([k, value]) => ({
      run: labelOf(run.name),
      k: Number(k.slice(5)),
      value,
    })),
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
      run: labelOf(run.name),
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
      { run: labelOf(run.name), tests: 'base', value: run.summary.base?.values['pass@1'] ?? 0 },
      { run: labelOf(run.name), tests: 'base + EvalPlus', value: run.summary['pass@k'].values['pass@1'] ?? 0 },
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
        run: labelOf(run.name),
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
