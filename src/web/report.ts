import { escapeHtml, percent } from './html.js';
import { legendLabels } from './legend-labels.js';
import { reportCharts } from './report-charts.js';
import { type EvalRun, loadRun, type SelftrainRun } from './report-data.js';

const ks = (runs: EvalRun[]) =>
  [
    ...new Set(
      runs.flatMap((run) => [
        ...Object.keys(run.summary['pass@k'].values),
        ...Object.keys(run.summary['pass@k'].omitted ?? {}),
      ]),
    ),
  ].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));

/**
 * A name from a run folder as Markdown text: every character that could start markup (code, links,
 * emphasis, HTML, entities, math, mentions, a table cell's end) is backslash-escaped, and line breaks
 * become spaces, so a name stays one cell of one row and shows as written.
 */
function markdownText(value: string): string {
  return value.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ').replace(/[\\`*_{}[\]<>|&$@#~]/g, '\\$&');
}

/** A fraction as a percentage, with its 95% interval in percent when there is one: `41.7% [25.0, 50.0]`. */
function withInterval(value: number | null | undefined, interval: readonly number[] | null | undefined): string {
  if (value === null || value === undefined) return '-';
  const [lo, hi] = interval ?? [];
  return lo === undefined || hi === undefined
    ? percent(value)
    : `${percent(value)} [${(100 * lo).toFixed(1)}, ${(100 * hi).toFixed(1)}]`;
}

/** A self-training run's table: the base model's dev score, then each iteration's. */
function selftrainTable(run: SelftrainRun): { html: string; markdown: string } {
  const header = ['iteration', 'accepted', 'train fix rate', 'dev pass@1'];
  const rows = run.rows.map((row) => [
    row.iteration,
    row.accepted === null ? '-' : String(row.accepted),
    percent(row.trainFixRate),
    withInterval(row.devPass1, row.devInterval),
  ]);
  const best = `Best iteration on dev: ${run.summary.best ?? '-'}.`;
  const html = `<h2>Self-training: ${escapeHtml(run.name)}</h2><table class="selftrain"><tr>${header.map((item) => `<th>${escapeHtml(item)}</th>`).join('')}</tr>${rows.map((row) => `<tr>${row.map((item) => `<td>${escapeHtml(item)}</td>`).join('')}</tr>`).join('')}</table><p>${escapeHtml(best)}</p>`;
  const markdown = [
    `\n### Self-training: ${markdownText(run.name)}\n`,
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    `\n${best}`,
  ].join('\n');
  return { html, markdown };
}

function passTable(runs: EvalRun[]): { html: string; markdown: string } {
  const columns = ks(runs);
  const cell = (run: EvalRun, k: string) => {
    const value = run.summary['pass@k'].values[k];
    const interval = run.summary['pass@k'].intervals[k];
    const omitted = run.summary['pass@k'].omitted?.[k];
    // pass@k is reported only when every task has n >= k: say why a cell is empty.
    if (value === undefined && omitted)
      return `not reported: ${omitted.tasksBelow} tasks have fewer than ${k.slice(5)} samples`;
    return withInterval(value, interval);
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
  // Names come from run folders (anything); the numbers are ours.
  const names = (run: EvalRun) => [
    run.name,
    run.run.kind,
    run.summary.dataset,
    run.summary.model,
    run.run.strategy,
    run.run.trace,
    run.run.shots,
  ];
  const rows = runs.map((run) => [
    ...names(run),
    String(run.summary.tasks),
    ...columns.map((k) => cell(run, k)),
    run.summary.greedy ? percent(run.summary.greedy['pass@1']) : '-',
    run.summary.sealing?.tests ? percent(run.summary.sealing.sealed / run.summary.sealing.tests) : '-',
  ]);
  const html = `<table><tr>${header.map((item) => `<th>${escapeHtml(item)}</th>`).join('')}</tr>${rows.map((row) => `<tr>${row.map((item) => `<td>${escapeHtml(item)}</td>`).join('')}</tr>`).join('')}</table>`;
  const markdown = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...runs.map((run, position) => {
      const row = rows[position] as string[];
      return `| ${[...names(run).map(markdownText), ...row.slice(names(run).length)].join(' | ')} |`;
    }),
  ].join('\n');
  return { html, markdown };
}

/** A self-contained HTML report (tables and inline SVG charts) and a Markdown summary of run folders. */
export async function buildReport(dirs: readonly string[]): Promise<{ html: string; markdown: string }> {
  const runs = await Promise.all(dirs.map(loadRun));
  const evals = runs.filter((run): run is EvalRun => run.kind === 'eval');
  const selftrain = runs.filter((run): run is SelftrainRun => run.kind === 'selftrain');
  const table = passTable(evals);
  const labels = legendLabels(runs.map((run) => run.name));
  const figures = await reportCharts(evals, selftrain, labels.labelOf);
  const legendNote = labels.prefix
    ? `<p class="note">Legends leave out the start every run name shares: <code>${escapeHtml(labels.prefix)}</code>.</p>`
    : '';
  const selftrainTables = selftrain.map(selftrainTable);
  const markdown = `# nxt report\n\n${table.markdown}\n${selftrainTables.map((item) => item.markdown).join('\n')}\n`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nxt report</title><style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330}table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #dde1e8;padding:4px 8px;text-align:left}th{background:#f0f2f5}
figure{display:inline-block;margin:12px 24px 12px 0;vertical-align:top}figcaption{font-weight:600;margin-bottom:4px}
</style></head><body><h1>nxt report</h1><p>${evals.length} evaluation runs, ${selftrain.length} self-training runs. Intervals are 95% bootstrap intervals over tasks.</p>
<h2>Fix rates</h2>${table.html}
<h2>Charts</h2>${legendNote}${figures.map((figure) => `<figure><figcaption>${escapeHtml(figure.title)}</figcaption>${figure.svg}</figure>`).join('')}
${selftrainTables.map((item) => item.html).join('')}
</body></html>`;
  return { html, markdown };
}
