import { sealingLine } from '../eval/index.js';
import { type Rating, RUN_FILES, type RunDescription, type RunIndex, type Summary } from '../runs/index.js';
import type { RepairTask } from '../tasks/index.js';
import { escapeHtml, percent, problemsHtml } from './html.js';
import { type Agreement, agreement } from './ratings.js';

const PAGE_SIZE = 50;

/** The run page's query: which tasks to show. */
export interface RunQuery {
  filter: string;
  label: string;
  q: string;
  page: number;
}

export interface RunPageInput {
  name: string;
  run: RunDescription;
  /** Null when results.jsonl could not be read (the reason is among `problems`). */
  index: RunIndex | null;
  tasks: ReadonlyMap<string, RepairTask>;
  query: RunQuery;
  ratings: readonly Rating[];
  summary: Summary | null;
  /** What could not be read, each naming its file (and line). */
  problems: readonly string[];
}

/** Agreement between raters, always with the number of pairs it is over; a dash while there is none. */
function agreementHtml(agree: Agreement): string {
  const pairs = `${agree.pairs} ${agree.pairs === 1 ? 'pair' : 'pairs'}`;
  const { correctness, helpfulness } = agree;
  const text =
    correctness && helpfulness
      ? `Agreement (${pairs}): correctness exact ${percent(correctness.exact)}, within one ${percent(correctness.withinOne)}; helpfulness exact ${percent(helpfulness.exact)}.`
      : `Agreement: — (${pairs}: no sample rated by two raters yet).`;
  return `<span id="agreement">${text}</span>`;
}

const FILTERS = [
  ['all', 'all tasks'],
  ['pass', 'fixed at least once'],
  ['fail', 'never fixed'],
  ['parse_error', 'with parse errors'],
] as const;

function filtersForm(input: RunPageInput, labels: readonly string[]): string {
  const { name, query } = input;
  const filters = FILTERS.map(
    ([value, text]) => `<option value="${value}"${value === query.filter ? ' selected' : ''}>${text}</option>`,
  ).join('');
  const options = labels
    .map(
      (value) =>
        `<option value="${escapeHtml(value)}"${value === query.label ? ' selected' : ''}>${escapeHtml(value)}</option>`,
    )
    .join('');
  return `<form class="filters" method="get" action="/run/${encodeURIComponent(name)}"><label>show <select name="filter" id="filter">${filters}</select></label><label>bug type <select name="label" id="label"><option value="">any</option>${options}</select></label><label>task <input name="q" id="q" value="${escapeHtml(query.q)}" placeholder="search ids"></label><button type="submit" id="apply">apply</button></form>`;
}

/** The tasks the query asks for, in id order. */
function matchingTasks(input: RunPageInput) {
  const { tasks, query } = input;
  const search = query.q.toLowerCase();
  return [...(input.index?.tasks() ?? [])]
    .filter(([id, stats]) => {
      if (search && !id.toLowerCase().includes(search)) return false;
      if (query.label && tasks.get(id)?.bugLabel?.value !== query.label) return false;
      if (query.filter === 'pass') return stats.c > 0;
      if (query.filter === 'fail') return stats.c === 0;
      if (query.filter === 'parse_error') return stats.parseErrors > 0;
      return true;
    })
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
}

function tasksTable(input: RunPageInput, rows: ReturnType<typeof matchingTasks>): string {
  const { name, query, tasks } = input;
  const shown = rows.slice((query.page - 1) * PAGE_SIZE, query.page * PAGE_SIZE);
  const link = (page: number) => {
    const params = new URLSearchParams({ filter: query.filter, label: query.label, q: query.q, page: String(page) });
    return `/run/${encodeURIComponent(name)}?${escapeHtml(params.toString())}`;
  };
  const body = shown
    .map(
      ([id, stats]) =>
        `<tr><td><a class="task" href="/run/${encodeURIComponent(name)}/task/${encodeURIComponent(id)}">${escapeHtml(id)}</a></td><td>${escapeHtml(tasks.get(id)?.bugLabel?.value ?? '')}</td><td class="num">${stats.n}</td><td class="num">${stats.c}</td><td class="num">${percent(stats.n ? stats.c / stats.n : 0)}</td><td class="num">${stats.parseErrors}</td></tr>`,
    )
    .join('');
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const previous = query.page > 1 ? `<a href="${link(query.page - 1)}">previous</a>` : '';
  const next = query.page * PAGE_SIZE < rows.length ? ` <a href="${link(query.page + 1)}">next</a>` : '';
  return `<table id="tasks"><tr><th>task</th><th>bug type</th><th>samples</th><th>fixed</th><th>fix rate</th><th>parse errors</th></tr>${body}</table><p class="pager">${previous}page ${query.page} of ${pages} (${rows.length} tasks)${next}</p>`;
}

/** A run's page: what it is, its tasks (filtered, paged), its ratings, and what could not be read, named. */
export function renderRunPage(input: RunPageInput): string {
  const { name, run, tasks, ratings, summary } = input;
  const labels = [...new Set([...tasks.values()].map((task) => task.bugLabel?.value ?? '').filter(Boolean))].sort();
  const agree = agreement(ratings);
  const runLink = `/run/${encodeURIComponent(name)}`;
  const described = [run.kind, run.dataset, run.model, run.strategy, `trace ${run.trace}`, `${run.shots}-shot`];
  return [
    `<h2>${escapeHtml(name)}</h2><p class="muted">${described.map(escapeHtml).join(' · ')} · ${input.index?.entries.length ?? 0} results</p>`,
    summary?.sealing ? `<p id="sealing" class="muted">${escapeHtml(sealingLine(summary.sealing))}</p>` : '',
    filtersForm(input, labels),
    tasksTable(input, matchingTasks(input)),
    `<h3>Ratings</h3><p>${ratings.length} ratings; ${agree.samples} samples rated by several raters. ${agreementHtml(agree)} <a href="${runLink}/${RUN_FILES.ratings}">JSONL</a> · <a href="${runLink}/ratings.csv">CSV</a></p>`,
    problemsHtml(input.problems),
  ].join('');
}
