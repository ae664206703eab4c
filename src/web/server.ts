import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import {
  describeRun,
  isRunFolder,
  PromptRecordSchema,
  RunManifestSchema,
  readRecords,
  type Summary,
  SummarySchema,
  sealingLine,
} from '../eval/index.js';
import type { Sandbox } from '../sandbox/index.js';
import type { RepairTask } from '../tasks/index.js';
import type { Trace } from '../trace/index.js';
import { escapeHtml, page, percent } from './html.js';
import { RATE_SCRIPT } from './rate-script.js';
import { type Agreement, agreement, appendRating, parseRating, ratingsCsv, readRatings } from './ratings.js';
import { RunIndex, readJson } from './run-index.js';
import { renderSamplePage } from './sample-page.js';

export interface ViewerOptions {
  runsDir: string;
  host?: string;
  port?: number;
  sandbox: Sandbox | null;
  loadTasks(dataset: string): Promise<RepairTask[]>;
}

export interface Viewer {
  url: string;
  token: string;
  close(): Promise<void>;
}

const PAGE_SIZE = 50;

/** Run folders under `root` (a manifest.json, up to four levels down), by their relative path. */
function findRuns(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (isRunFolder(dir)) found.push(relative(root, dir) || '.');
    if (depth >= 4) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (!name.startsWith('.') && statSync(path).isDirectory()) walk(path, depth + 1);
    }
  };
  if (existsSync(root)) walk(root, 0);
  return found.sort();
}

/** A run's share of sealed tests, for the runs list. */
function sealedShare(summary: Summary | null): string {
  const sealing = summary?.sealing;
  if (!sealing || sealing.tests === 0) return '-';
  return percent(sealing.sealed / sealing.tests);
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

/** What the viewer's routes need besides the options: the launch token and the Host values that are ours. */
export interface ViewerSecurity {
  token: string;
  /** `host:port` values a request may name (known once the server listens). */
  allowedHosts: () => ReadonlySet<string>;
}

/**
 * The viewer's routes over the run folders in `options.runsDir`, as a Hono app (`startViewer` serves
 * it; tests call `app.request()`).
 */
export function createViewerApp(options: Omit<ViewerOptions, 'host' | 'port'>, security: ViewerSecurity): Hono {
  const root = resolve(options.runsDir);
  const { token } = security;
  const indexes = new Map<string, RunIndex>();
  const taskCache = new Map<string, Promise<Map<string, RepairTask>>>();
  const traceCache = new Map<string, Promise<Trace | null>>();

  const runDir = (name: string) => {
    const dir = resolve(root, name);
    if (dir !== root && !dir.startsWith(`${root}/`)) return null;
    return isRunFolder(dir) ? dir : null;
  };
  const indexOf = async (dir: string) => {
    let index = indexes.get(dir);
    if (!index) {
      index = new RunIndex(dir);
      indexes.set(dir, index);
    }
    await index.refresh();
    return index;
  };
  const tasksOf = (dataset: string) => {
    let tasks = taskCache.get(dataset);
    if (!tasks) {
      tasks = options.loadTasks(dataset).then((list) => new Map(list.map((task) => [task.id, task])));
      taskCache.set(dataset, tasks);
    }
    return tasks;
  };
  const traceOf = (program: string, tests: readonly string[], testIndex: number | undefined) => {
    const key = JSON.stringify([program, tests, testIndex]);
    let trace = traceCache.get(key);
    if (!trace && options.sandbox) {
      trace = options.sandbox
        .traceProgram(program, tests, testIndex === undefined ? {} : { testIndex })
        .then((result) => (result.status === 'traced' ? result.trace : null))
        .catch(() => null);
      traceCache.set(key, trace);
    }
    return trace ?? Promise.resolve(null);
  };

  const app = new Hono();
  // A web page in the same browser must not read or write through this server: the Host must be ours
  // (no DNS rebinding), a cross-site Origin is refused, and writes carry the per-launch token.
  app.use('*', async (c, next) => {
    const hostHeader = c.req.header('host') ?? '';
    const origin = c.req.header('origin');
    const allowedHosts = security.allowedHosts();
    if (
      !allowedHosts.has(hostHeader) ||
      (origin !== undefined && !allowedHosts.has(origin.replace(/^https?:\/\//, '')))
    ) {
      return c.text('forbidden: foreign Host or Origin', 403);
    }
    await next();
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
    );
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    return undefined;
  });

  app.get('/', async (c) => {
    const rows: string[] = [];
    for (const name of findRuns(root)) {
      const dir = join(root, name);
      const manifest = RunManifestSchema.safeParse(await readJson(join(dir, 'manifest.json')));
      const summary = SummarySchema.safeParse(await readJson(join(dir, 'summary.json')));
      if (manifest.success) {
        const values = summary.success ? summary.data['pass@k'].values : {};
        const run = describeRun(manifest.data);
        const samples = run.samples ?? (summary.success ? summary.data.samplesPerTask : '-');
        rows.push(
          `<tr><td><a href="/run/${encodeURIComponent(name)}">${escapeHtml(name)}</a></td><td>${escapeHtml(run.kind)}</td><td>${escapeHtml(run.dataset)}</td><td>${escapeHtml(run.model)}</td><td>${escapeHtml(run.strategy)}</td><td>${escapeHtml(run.trace)}</td><td class="num">${escapeHtml(run.shots)}</td><td class="num">${summary.success ? summary.data.tasks : '-'}</td><td class="num">${escapeHtml(samples)}</td>${['pass@1', 'pass@5', 'pass@10'].map((k) => `<td class="num">${percent(values[k])}</td>`).join('')}<td class="num">${sealedShare(summary.success ? summary.data : null)}</td></tr>`,
        );
      } else {
        const selftrain = (await readJson(join(dir, 'summary.json'))) as {
          iterations?: { iteration: number; dev: Record<string, number> | null; accepted: number }[];
          best?: number;
        } | null;
        if (selftrain?.iterations) {
          const curve = selftrain.iterations
            .map(
              (iteration) =>
                `it${iteration.iteration}: dev ${percent(iteration.dev?.['pass@1'])}, ${iteration.accepted} accepted`,
            )
            .join('; ');
          rows.push(
            `<tr><td>${escapeHtml(name)}</td><td>selftrain</td><td colspan="10">self-training: ${escapeHtml(curve)}; best iteration ${escapeHtml(selftrain.best ?? '-')}</td></tr>`,
          );
        }
      }
    }
    const body = rows.length
      ? `<table><tr><th>run</th><th>kind</th><th>dataset</th><th>model</th><th>strategy</th><th>trace</th><th>shots</th><th>tasks</th><th>samples</th><th>pass@1</th><th>pass@5</th><th>pass@10</th><th title="tests whose expected values never reached the program">sealed</th></tr>${rows.join('')}</table>`
      : `<p>No runs under ${escapeHtml(root)} yet. Run <code>nxt eval</code> first.</p>`;
    return c.html(page('runs', body));
  });

  app.get('/run/:name', async (c) => {
    const name = c.req.param('name');
    const dir = runDir(name);
    if (!dir) return c.html(page('not found', '<p>No such run.</p>'), 404);
    const manifest = RunManifestSchema.safeParse(await readJson(join(dir, 'manifest.json')));
    if (!manifest.success) return c.html(page('not found', '<p>Not a run folder with a manifest.</p>'), 404);
    const run = describeRun(manifest.data);
    const index = await indexOf(dir);
    const tasks = await tasksOf(run.dataset).catch(() => new Map<string, RepairTask>());
    const filter = c.req.query('filter') ?? 'all';
    const label = c.req.query('label') ?? '';
    const search = (c.req.query('q') ?? '').toLowerCase();
    const pageNumber = Math.max(1, Number(c.req.query('page') ?? 1) || 1);
    const labels = [...new Set([...tasks.values()].map((task) => task.bugLabel?.value ?? '').filter(Boolean))].sort();
    const rows = [...index.tasks()]
      .filter(([id, stats]) => {
        if (search && !id.toLowerCase().includes(search)) return false;
        if (label && tasks.get(id)?.bugLabel?.value !== label) return false;
        if (filter === 'pass') return stats.c > 0;
        if (filter === 'fail') return stats.c === 0;
        if (filter === 'parse_error') return stats.parseErrors > 0;
        return true;
      })
      .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
    const shown = rows.slice((pageNumber - 1) * PAGE_SIZE, pageNumber * PAGE_SIZE);
    const link = (params: Record<string, string | number>) => {
      const query = new URLSearchParams({
        filter,
        label,
        q: c.req.query('q') ?? '',
        page: String(pageNumber),
        ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
      });
      return `/run/${encodeURIComponent(name)}?${escapeHtml(query.toString())}`;
    };
    const ratings = await readRatings(dir);
    const agree = agreement(ratings);
    const summary = SummarySchema.safeParse(await readJson(join(dir, 'summary.json')));
    const sealing = summary.success ? summary.data.sealing : undefined;
    const body = [
      `<h2>${escapeHtml(name)}</h2><p class="muted">${escapeHtml(run.kind)} · ${escapeHtml(run.dataset)} · ${escapeHtml(run.model)} · ${escapeHtml(run.strategy)} · trace ${escapeHtml(run.trace)} · ${escapeHtml(run.shots)}-shot · ${index.entries.length} results</p>`,
      sealing ? `<p id="sealing" class="muted">${escapeHtml(sealingLine(sealing))}</p>` : '',
      `<form class="filters" method="get" action="/run/${encodeURIComponent(name)}"><label>show <select name="filter" id="filter">${[
        'all',
        'pass',
        'fail',
        'parse_error',
      ]
        .map(
          (value) =>
            `<option value="${value}"${value === filter ? ' selected' : ''}>${value === 'pass' ? 'fixed at least once' : value === 'fail' ? 'never fixed' : value === 'parse_error' ? 'with parse errors' : 'all tasks'}</option>`,
        )
        .join('')}</select></label><label>bug type <select name="label" id="label"><option value="">any</option>${labels
        .map(
          (value) =>
            `<option value="${escapeHtml(value)}"${value === label ? ' selected' : ''}>${escapeHtml(value)}</option>`,
        )
        .join(
          '',
        )}</select></label><label>task <input name="q" id="q" value="${escapeHtml(c.req.query('q') ?? '')}" placeholder="search ids"></label><button type="submit" id="apply">apply</button></form>`,
      `<table id="tasks"><tr><th>task</th><th>bug type</th><th>samples</th><th>fixed</th><th>fix rate</th><th>parse errors</th></tr>${shown
        .map(
          ([id, stats]) =>
            `<tr><td><a class="task" href="/run/${encodeURIComponent(name)}/task/${encodeURIComponent(id)}">${escapeHtml(id)}</a></td><td>${escapeHtml(tasks.get(id)?.bugLabel?.value ?? '')}</td><td class="num">${stats.n}</td><td class="num">${stats.c}</td><td class="num">${percent(stats.n ? stats.c / stats.n : 0)}</td><td class="num">${stats.parseErrors}</td></tr>`,
        )
        .join('')}</table>`,
      `<p class="pager">${pageNumber > 1 ? `<a href="${link({ page: pageNumber - 1 })}">previous</a>` : ''}page ${pageNumber} of ${Math.max(1, Math.ceil(rows.length / PAGE_SIZE))} (${rows.length} tasks)${pageNumber * PAGE_SIZE < rows.length ? ` <a href="${link({ page: pageNumber + 1 })}">next</a>` : ''}</p>`,
      `<h3>Ratings</h3><p>${ratings.length} ratings; ${agree.samples} samples rated by several raters. ${agreementHtml(agree)} <a href="/run/${encodeURIComponent(name)}/ratings.jsonl">JSONL</a> · <a href="/run/${encodeURIComponent(name)}/ratings.csv">CSV</a></p>`,
    ].join('');
    return c.html(page(name, body));
  });

  app.get('/run/:name/task/:task', async (c) => {
    const name = c.req.param('name');
    const dir = runDir(name);
    if (!dir) return c.html(page('not found', '<p>No such run.</p>'), 404);
    const taskId = c.req.param('task');
    const index = await indexOf(dir);
    const entries = index.entries.filter((entry) => entry.taskId === taskId);
    const rows = entries
      .map(
        (entry) =>
          `<tr><td><a class="sample" href="/run/${encodeURIComponent(name)}/sample/${encodeURIComponent(taskId)}/${entry.mode}/${entry.index}">${entry.mode} ${entry.index}</a></td><td class="${entry.pass ? 'pass' : 'fail'}">${entry.pass ? 'fixed' : 'not fixed'}</td><td>${escapeHtml(entry.outcome)}</td></tr>`,
      )
      .join('');
    return c.html(
      page(
        `${name} · ${taskId}`,
        `<h2>${escapeHtml(taskId)}</h2><table><tr><th>sample</th><th>verdict</th><th>outcome</th></tr>${rows}</table>`,
      ),
    );
  });

  app.get('/run/:name/sample/:task/:mode/:index', async (c) => {
    const name = c.req.param('name');
    const dir = runDir(name);
    if (!dir) return c.html(page('not found', '<p>No such run.</p>'), 404);
    const taskId = c.req.param('task');
    const mode = c.req.param('mode');
    const sampleIndex = Number(c.req.param('index'));
    const index = await indexOf(dir);
    const entry = index.entries.find(
      (item) => item.taskId === taskId && item.mode === mode && item.index === sampleIndex,
    );
    if (!entry) return c.html(page('not found', '<p>No such sample.</p>'), 404);
    const result = await index.read(entry);
    const manifest = RunManifestSchema.safeParse(await readJson(join(dir, 'manifest.json')));
    if (!manifest.success) return c.html(page('not found', '<p>Not a run folder with a manifest.</p>'), 404);
    const task = (await tasksOf(describeRun(manifest.data).dataset).catch(() => new Map<string, RepairTask>())).get(
      taskId,
    );
    const prompts = await readRecords(join(dir, 'prompts.jsonl'), PromptRecordSchema).catch(() => []);
    const prompt = prompts.find((record) => record.taskId === taskId && record.mode === mode) ?? null;
    return c.html(
      page(
        `${taskId} · ${mode} ${sampleIndex}`,
        await renderSamplePage({ runName: name, task, result, prompt, traceOf }),
        { token },
      ),
    );
  });

  app.get('/static/rate.js', (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body(RATE_SCRIPT);
  });

  app.post('/run/:name/rate', async (c) => {
    if (c.req.header('x-nxt-token') !== token) return c.json({ error: 'missing or wrong token' }, 403);
    const dir = runDir(c.req.param('name'));
    if (!dir) return c.json({ error: 'no such run' }, 404);
    const parsed = parseRating(await c.req.json().catch(() => null));
    if (parsed.error !== null) return c.json({ error: parsed.error }, 400);
    return c.json(await appendRating(dir, parsed.rating));
  });

  const exportRatings = (format: 'jsonl' | 'csv') => async (c: Context) => {
    const dir = runDir(c.req.param('name') ?? '');
    if (!dir) return c.text('no such run', 404);
    const ratings = await readRatings(dir);
    if (format === 'csv') {
      c.header('Content-Type', 'text/csv; charset=utf-8');
      return c.body(ratingsCsv(ratings));
    }
    c.header('Content-Type', 'application/x-ndjson; charset=utf-8');
    return c.body(ratings.map((rating) => JSON.stringify(rating)).join('\n') + (ratings.length ? '\n' : ''));
  };
  app.get('/run/:name/ratings.jsonl', exportRatings('jsonl'));
  app.get('/run/:name/ratings.csv', exportRatings('csv'));
  return app;
}

/** Starts the viewer over the run folders in `runsDir`. Binds 127.0.0.1 unless told otherwise. */
export async function startViewer(options: ViewerOptions): Promise<Viewer> {
  const host = options.host ?? '127.0.0.1';
  const token = randomBytes(24).toString('hex');
  let port = options.port ?? 0;
  let allowedHosts = new Set<string>();
  const app = createViewerApp(options, { token, allowedHosts: () => allowedHosts });

  // A port in use or an address that is not ours is an error for the caller (with its code), not a crash.
  const server = await new Promise<ReturnType<typeof serve>>((resolveServer, rejectServer) => {
    const started = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      port = info.port;
      resolveServer(started);
    });
    started.once('error', rejectServer);
  });
  const names =
    host === '0.0.0.0' || host === '::'
      ? ['127.0.0.1', 'localhost']
      : [host, ...(host === '127.0.0.1' ? ['localhost'] : [])];
  allowedHosts = new Set(names.map((name) => `${name.includes(':') ? `[${name}]` : name}:${port}`));
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${port}`,
    token,
    close: () => new Promise<void>((resolveClose) => server.close(() => resolveClose())),
  };
}
