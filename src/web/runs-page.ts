import { type Dirent, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  describeRun,
  isRunFolder,
  readRunManifest,
  readRunSummary,
  readSelftrainSummary,
  type Summary,
} from '../runs/index.js';
import { describeError, isNxtError } from '../shared/index.js';
import { escapeHtml, percent, problemsHtml } from './html.js';

/**
 * Run folders under `root` (a manifest.json or state.json, up to four levels down), by their relative
 * path. A link to a folder is not followed: what a link points to is not under `root`.
 */
export function findRuns(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (isRunFolder(dir)) found.push(relative(root, dir) || '.');
    if (depth >= 4) return;
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries)
      if (!entry.name.startsWith('.') && entry.isDirectory()) walk(join(dir, entry.name), depth + 1);
  };
  walk(root, 0);
  return found.sort();
}

/** What a page could not read, as a message naming the file; anything else is a fault and thrown. */
export function problemOf(error: unknown): string {
  if (isNxtError(error) || (error as NodeJS.ErrnoException | null)?.code !== undefined) return describeError(error);
  throw error;
}

/** A run's share of sealed tests, for the runs list. */
function sealedShare(summary: Summary | null): string {
  const sealing = summary?.sealing;
  if (!sealing || sealing.tests === 0) return '-';
  return percent(sealing.sealed / sealing.tests);
}

/** A self-training run's row: dev pass@1 and accepted samples per iteration; null while it has no summary. */
async function selftrainRow(name: string, dir: string): Promise<string | null> {
  const summary = await readSelftrainSummary(dir);
  if (!summary) return null;
  const curve = summary.iterations
    .map(
      (iteration) =>
        `it${iteration.iteration}: dev ${percent(iteration.dev?.['pass@1'])}, ${iteration.accepted} accepted`,
    )
    .join('; ');
  return `<tr><td>${escapeHtml(name)}</td><td>selftrain</td><td colspan="11">self-training: ${escapeHtml(curve)}; best iteration ${escapeHtml(summary.best ?? '-')}</td></tr>`;
}

/** One run's row of the runs list, from its manifest and summary (each checked against its schema). */
async function runRow(name: string, dir: string): Promise<string | null> {
  const manifest = await readRunManifest(dir);
  if (!manifest) return selftrainRow(name, dir);
  const summary = await readRunSummary(dir);
  const values = summary?.['pass@k'].values ?? {};
  const run = describeRun(manifest);
  const cells = [
    `<a href="/run/${encodeURIComponent(name)}">${escapeHtml(name)}</a>`,
    ...[run.kind, run.dataset, run.model, run.strategy, run.trace].map(escapeHtml),
  ].map((cell) => `<td>${cell}</td>`);
  const numbers = [
    run.shots,
    summary?.tasks ?? '-',
    run.samples ?? summary?.samplesPerTask ?? '-',
    ...['pass@1', 'pass@5', 'pass@10'].map((k) => percent(values[k])),
    sealedShare(summary),
  ].map((cell) => `<td class="num">${escapeHtml(cell)}</td>`);
  return `<tr>${[...cells, ...numbers].join('')}</tr>`;
}

const HEADER =
  '<tr><th>run</th><th>kind</th><th>dataset</th><th>model</th><th>strategy</th><th>trace</th><th>shots</th><th>tasks</th><th>samples</th><th>pass@1</th><th>pass@5</th><th>pass@10</th><th title="tests whose expected values never reached the program">sealed</th></tr>';

/** The runs list: every run folder under `root`, and what could not be read in them, named. */
export async function runsPage(root: string): Promise<string> {
  const rows: string[] = [];
  const problems: string[] = [];
  for (const name of findRuns(root)) {
    try {
      const row = await runRow(name, join(root, name));
      if (row) rows.push(row);
    } catch (error) {
      problems.push(problemOf(error));
      rows.push(`<tr><td>${escapeHtml(name)}</td><td colspan="12" class="problems">not shown: see below</td></tr>`);
    }
  }
  const body = rows.length
    ? `<table>${HEADER}${rows.join('')}</table>`
    : `<p>No runs under ${escapeHtml(root)} yet. Run <code>nxt eval</code> first.</p>`;
  return `${body}${problemsHtml(problems)}`;
}
