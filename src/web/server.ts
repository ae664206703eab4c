import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import {
  appendRating,
  describeRun,
  isRunFolder,
  RUN_FILES,
  RunIndex,
  readPrompts,
  readRatings,
  readRunManifest,
  readRunSummary,
} from '../runs/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { formatJsonLines } from '../shared/index.js';
import type { RepairTask } from '../tasks/index.js';
import type { Trace } from '../trace/index.js';
import { escapeHtml, page, problemsHtml, STYLE_SOURCE } from './html.js';
import { RATE_SCRIPT } from './rate-script.js';
import { parseRating, ratingsCsv } from './ratings.js';
import { renderRunPage } from './run-page.js';
import { problemOf, runsPage } from './runs-page.js';
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

/** What the viewer's routes need besides the options: the launch token and the Host values that are ours. */
export interface ViewerSecurity {
  token: string;
  /** `host:port` values a request may name (known once the server listens). */
  allowedHosts: () => ReadonlySet<string>;
}

/**
 * No script but the viewer's own file, no style but the page's own element, no plugins, frames, base
 * URL or form target elsewhere, and no framing by other sites. Run content never becomes markup (every
 * field is escaped); this is the second line.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src ${STYLE_SOURCE}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Whether `path` is `root` or inside it. */
function isInside(root: string, path: string): boolean {
  const rest = relative(root, path);
  return rest === '' || (!rest.startsWith('..') && !isAbsolute(rest));
}

/** The viewer's reading of the run folders under one root: which names are runs, and their indexes, tasks and traces. */
class RunFolders {
  readonly root: string;
  readonly #options: Omit<ViewerOptions, 'host' | 'port'>;
  readonly #indexes = new Map<string, RunIndex>();
  readonly #tasks = new Map<string, Promise<Map<string, RepairTask>>>();
  readonly #traces = new Map<string, Promise<Trace | null>>();

  constructor(options: Omit<ViewerOptions, 'host' | 'port'>) {
    this.root = resolve(options.runsDir);
    this.#options = options;
  }

  /** The run folder named `name` under the root; null when there is none, or it is reached through a link out. */
  dir(name: string): string | null {
    const dir = resolve(this.root, name);
    if (!isInside(this.root, dir) || !isRunFolder(dir)) return null;
    try {
      return isInside(realpathSync(this.root), realpathSync(dir)) ? dir : null;
    } catch {
      return null;
    }
  }

  /** The index of a run's results, brought up to date (a `run` error when results.jsonl cannot be read). */
  async index(dir: string): Promise<RunIndex> {
    let index = this.#indexes.get(dir);
    if (!index) {
      index = new RunIndex(dir);
      this.#indexes.set(dir, index);
    }
    await index.refresh();
    return index;
  }

  /** A dataset's repair tasks by id (none when the dataset cannot be loaded). */
  tasks(dataset: string): Promise<Map<string, RepairTask>> {
    let tasks = this.#tasks.get(dataset);
    if (!tasks) {
      tasks = this.#options
        .loadTasks(dataset)
        .then((list) => new Map(list.map((task) => [task.id, task])))
        .catch(() => new Map<string, RepairTask>());
      this.#tasks.set(dataset, tasks);
    }
    return tasks;
  }

  readonly traceOf = (program: string, tests: readonly string[], testIndex: number | undefined) => {
    const key = JSON.stringify([program, tests, testIndex]);
    let trace = this.#traces.get(key);
    const sandbox = this.#options.sandbox;
    if (!trace && sandbox) {
      trace = sandbox
        .traceProgram(program, tests, testIndex === undefined ? {} : { testIndex })
        .then((result) => (result.status === 'traced' ? result.trace : null))
        .catch(() => null);
      this.#traces.set(key, trace);
    }
    return trace ?? Promise.resolve(null);
  };
}

/** Collects what a page could not read (each a message naming the file) while it reads the rest. */
function problemList() {
  const problems: string[] = [];
  const attempt = async <T>(read: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      problems.push(problemOf(error));
      return fallback;
    }
  };
  return { problems, attempt };
}

const notFound = (c: Context, what: string, problems: readonly string[] = []) =>
  c.html(page('not found', `<p>${escapeHtml(what)}</p>${problemsHtml(problems)}`), 404);

/** A run's page: its manifest, results index, tasks, ratings and summary, each read as far as it can be. */
async function runRoute(c: Context, folders: RunFolders) {
  const name = c.req.param('name') ?? '';
  const dir = folders.dir(name);
  if (!dir) return notFound(c, 'No such run.');
  const { problems, attempt } = problemList();
  const manifest = await attempt(() => readRunManifest(dir), null);
  if (!manifest) return notFound(c, 'Not a run folder with a manifest.', problems);
  const run = describeRun(manifest);
  const index = await attempt(() => folders.index(dir), null);
  problems.push(...(index?.allProblems() ?? []));
  const html = renderRunPage({
    name,
    run,
    index,
    tasks: await folders.tasks(run.dataset),
    query: {
      filter: c.req.query('filter') ?? 'all',
      label: c.req.query('label') ?? '',
      q: c.req.query('q') ?? '',
      page: Math.max(1, Number(c.req.query('page') ?? 1) || 1),
    },
    ratings: await attempt(() => readRatings(dir), []),
    summary: await attempt(() => readRunSummary(dir), null),
    problems,
  });
  return c.html(page(name, html));
}

/** A task's samples in one run. */
async function taskRoute(c: Context, folders: RunFolders) {
  const name = c.req.param('name') ?? '';
  const dir = folders.dir(name);
  if (!dir) return notFound(c, 'No such run.');
  const taskId = c.req.param('task') ?? '';
  const { problems, attempt } = problemList();
  const index = await attempt(() => folders.index(dir), null);
  const base = `/run/${encodeURIComponent(name)}/sample/${encodeURIComponent(taskId)}`;
  const rows = (index?.entries ?? [])
    .filter((entry) => entry.taskId === taskId)
    .map(
      (entry) =>
        `<tr><td><a class="sample" href="${base}/${encodeURIComponent(entry.mode)}/${encodeURIComponent(entry.index)}">${escapeHtml(entry.mode)} ${escapeHtml(entry.index)}</a></td><td class="${entry.pass ? 'pass' : 'fail'}">${entry.pass ? 'fixed' : 'not fixed'}</td><td>${escapeHtml(entry.outcome)}</td></tr>`,
    )
    .join('');
  const table = `<table><tr><th>sample</th><th>verdict</th><th>outcome</th></tr>${rows}</table>`;
  return c.html(page(`${name} · ${taskId}`, `<h2>${escapeHtml(taskId)}</h2>${table}${problemsHtml(problems)}`));
}

/** One sample: its record (checked in full), its task, the prompt it answered. */
async function sampleRoute(c: Context, folders: RunFolders, token: string) {
  const name = c.req.param('name') ?? '';
  const dir = folders.dir(name);
  if (!dir) return notFound(c, 'No such run.');
  const taskId = c.req.param('task') ?? '';
  const mode = c.req.param('mode') ?? '';
  const sampleIndex = Number(c.req.param('index'));
  const { problems, attempt } = problemList();
  const manifest = await attempt(() => readRunManifest(dir), null);
  const index = manifest ? await attempt(() => folders.index(dir), null) : null;
  const entry = index?.entries.find(
    (item) => item.taskId === taskId && item.mode === mode && item.index === sampleIndex,
  );
  if (!manifest || !entry) return notFound(c, 'No such sample.', problems);
  const result = await attempt(() => index?.read(entry) ?? Promise.resolve(null), null);
  const title = `${taskId} · ${mode} ${sampleIndex}`;
  if (!result) return c.html(page(title, problemsHtml(problems)), 500);
  const task = (await folders.tasks(describeRun(manifest).dataset)).get(taskId);
  const prompts = await attempt(() => readPrompts(dir), []);
  const prompt = prompts.find((record) => record.taskId === taskId && record.mode === mode) ?? null;
  const html = await renderSamplePage({ runName: name, task, result, prompt, traceOf: folders.traceOf });
  return c.html(page(title, `${html}${problemsHtml(problems)}`, { token }));
}

/** Ratings: saved with the launch token (never through a link, never after a damaged line), and exported. */
function ratingRoutes(app: Hono, folders: RunFolders, token: string): void {
  app.post('/run/:name/rate', async (c) => {
    if (c.req.header('x-nxt-token') !== token) return c.json({ error: 'missing or wrong token' }, 403);
    const dir = folders.dir(c.req.param('name'));
    if (!dir) return c.json({ error: 'no such run' }, 404);
    const parsed = parseRating(await c.req.json().catch(() => null));
    if (parsed.error !== null) return c.json({ error: parsed.error }, 400);
    try {
      return c.json(await appendRating(dir, parsed.rating));
    } catch (error) {
      return c.json({ error: `rating not saved: ${problemOf(error)}` }, 409);
    }
  });
  const exportRatings = (format: 'jsonl' | 'csv') => async (c: Context) => {
    const dir = folders.dir(c.req.param('name') ?? '');
    if (!dir) return c.text('no such run', 404);
    const { problems, attempt } = problemList();
    const ratings = await attempt(() => readRatings(dir), null);
    if (!ratings) return c.text(problems.join('\n'), 409);
    if (format === 'csv') {
      c.header('Content-Type', 'text/csv; charset=utf-8');
      return c.body(ratingsCsv(ratings));
    }
    c.header('Content-Type', 'application/x-ndjson; charset=utf-8');
    return c.body(formatJsonLines(ratings));
  };
  // The JSONL export is the run's ratings file as validated records: it has its name.
  app.get(`/run/:name/${RUN_FILES.ratings}`, exportRatings('jsonl'));
  app.get('/run/:name/ratings.csv', exportRatings('csv'));
}

/**
 * The viewer's routes over the run folders in `options.runsDir`, as a Hono app (`startViewer` serves
 * it; tests call `app.request()`). Reading a page changes no file; only a rating writes one.
 */
export function createViewerApp(options: Omit<ViewerOptions, 'host' | 'port'>, security: ViewerSecurity): Hono {
  const folders = new RunFolders(options);
  const app = new Hono();
  // A web page in the same browser must not read or write through this server: the Host must be ours
  // (no DNS rebinding), a cross-site Origin is refused, and writes carry the per-launch token.
  app.use('*', async (c, next) => {
    const allowedHosts = security.allowedHosts();
    const origin = c.req.header('origin');
    if (
      !allowedHosts.has(c.req.header('host') ?? '') ||
      (origin !== undefined && !allowedHosts.has(origin.replace(/^https?:\/\//, '')))
    ) {
      return c.text('forbidden: foreign Host or Origin', 403);
    }
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    return undefined;
  });
  app.get('/', async (c) => c.html(page('runs', await runsPage(folders.root))));
  app.get('/run/:name', (c) => runRoute(c, folders));
  app.get('/run/:name/task/:task', (c) => taskRoute(c, folders));
  app.get('/run/:name/sample/:task/:mode/:index', (c) => sampleRoute(c, folders, security.token));
  app.get('/static/rate.js', (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body(RATE_SCRIPT);
  });
  ratingRoutes(app, folders, security.token);
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
