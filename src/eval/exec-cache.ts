import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { z } from 'zod';
import { JudgedSchema } from '../runs/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { NxtError } from '../shared/index.js';
import type { Problem } from '../tasks/index.js';
import { type FixLimits, judgeFix, type LimitsRule } from './judge-fix.js';

const require = createRequire(import.meta.url);

/**
 * Bumped whenever what a cached verdict means changes (judging, limits, the sandbox's rules, the key).
 * 2: keyed by the program's exact text (1 keyed by its syntax tree without positions).
 */
export const EXEC_CACHE_VERSION = 2;

const JudgedFixSchema = z.object({
  base: JudgedSchema.nullable(),
  plus: JudgedSchema.nullable(),
  pass: z.boolean(),
  basePass: z.boolean(),
});
export type JudgedFix = z.infer<typeof JudgedFixSchema>;

/**
 * Verdicts of fixed programs in SQLite (WAL, busy timeout: several nxt processes may share it, like
 * the sample cache beside it). A row is written as soon as a program is judged.
 */
export class VerdictCache {
  readonly path: string;
  readonly #db: BetterSqlite3.Database;
  readonly #get: BetterSqlite3.Statement;
  readonly #put: BetterSqlite3.Statement;
  readonly #getTrace: BetterSqlite3.Statement;
  readonly #putTrace: BetterSqlite3.Statement;

  private constructor(path: string, db: BetterSqlite3.Database) {
    this.path = path;
    this.#db = db;
    this.#get = db.prepare('SELECT verdict FROM verdicts WHERE key = ?');
    this.#put = db.prepare('INSERT OR IGNORE INTO verdicts (key, verdict, created_at) VALUES (?, ?, ?)');
    this.#getTrace = db.prepare('SELECT trace FROM traces WHERE key = ?');
    this.#putTrace = db.prepare('INSERT OR IGNORE INTO traces (key, trace, created_at) VALUES (?, ?, ?)');
  }

  /** Opens (creating if needed) the cache at `path`; `:memory:` for one private to this process. */
  static open(path: string): VerdictCache {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 10000');
      db.pragma('synchronous = NORMAL');
      db.exec(
        'CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, verdict TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID',
      );
      db.exec(
        'CREATE TABLE IF NOT EXISTS traces (key TEXT PRIMARY KEY, trace TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID',
      );
      return new VerdictCache(path, db);
    } catch (error) {
      throw new NxtError('cache', `cannot open the execution cache ${path}: ${(error as Error).message}`);
    }
  }

  get(key: string): JudgedFix | null {
    const row = this.#get.get(key) as { verdict: string } | undefined;
    if (!row) return null;
    const parsed = JudgedFixSchema.safeParse(JSON.parse(row.verdict));
    return parsed.success ? parsed.data : null; // a row from another schema: judged again
  }

  put(key: string, verdict: JudgedFix): void {
    this.#put.run(key, JSON.stringify(verdict), Date.now());
  }

  /** A trace stored under `key` (see `traceKey`), or null. */
  getTrace(key: string): unknown {
    const row = this.#getTrace.get(key) as { trace: string } | undefined;
    return row ? JSON.parse(row.trace) : null;
  }

  putTrace(key: string, trace: unknown): void {
    this.#putTrace.run(key, JSON.stringify(trace), Date.now());
  }

  /** Verdicts stored. */
  size(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM verdicts').get() as { n: number }).n;
  }

  close(): void {
    this.#db.close();
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The key of a program's trace on a test: the program's exact text (a trace shows its lines), the
 * tests, the test traced (null: the one the choice rule picks) and the judge identity.
 */
export function traceKey(
  sandbox: Pick<Sandbox, 'judgeIdentity'>,
  program: string,
  tests: readonly string[],
  testIndex: number | null,
): string {
  return sha256(JSON.stringify([EXEC_CACHE_VERSION, 'trace', sandbox.judgeIdentity, program, tests, testIndex]));
}

/**
 * Judges fixed programs, each distinct one once. Two programs are the same only when their texts are,
 * byte for byte: a program can read its own line numbers (`f_lineno`, tracebacks), columns
 * (`co_positions`) and source text (the loader's frame holds it), so the same syntax tree laid out or
 * commented differently may behave differently; and a verdict's messages name its program's lines. The
 * key also holds the task's tests (their content), the limits rule and the sandbox's judge identity (its
 * judging code, Python version and isolation layers), so a changed judge never answers from an old one's
 * verdicts. Within a run, identical programs judged at the same time share one judgement; across runs
 * and commands the cache answers. Verdicts the judge itself failed on are never stored; timeouts are
 * stored as judged, after the re-check policy confirmed them (judge-fix.ts). Without a cache, every
 * program is judged.
 */
export class FixJudge {
  /** Programs really judged, and results answered by an identical program's verdict. */
  readonly counts = { judged: 0, reused: 0 };
  readonly #sandbox: Sandbox;
  readonly #cache: VerdictCache | null;
  readonly #context: string;
  readonly #inFlight = new Map<string, Promise<JudgedFix>>();
  readonly #tasks = new WeakMap<Problem, string>();

  constructor(sandbox: Sandbox, cache: VerdictCache | null, rule: LimitsRule) {
    this.#sandbox = sandbox;
    this.#cache = cache;
    this.#context = JSON.stringify([EXEC_CACHE_VERSION, sandbox.judgeIdentity, rule]);
  }

  #taskKey(task: Problem): string {
    let key = this.#tasks.get(task);
    if (!key) {
      key = sha256(JSON.stringify([task.tests, task.plusTests, task.entryPoint, task.reference]));
      this.#tasks.set(task, key);
    }
    return key;
  }

  /** The verdict of `program` on `task`, and whether it came from an identical program's judgement. */
  async judge(
    task: Problem,
    program: string,
    limits: () => Promise<FixLimits>,
  ): Promise<{ verdict: JudgedFix; reused: boolean }> {
    if (!this.#cache) {
      this.counts.judged += 1;
      return { verdict: await judgeFix(this.#sandbox, task, program, await limits()), reused: false };
    }
    const key = sha256(`${this.#context}\u0000${this.#taskKey(task)}\u0000${program}`);
    const running = this.#inFlight.get(key);
    if (running) {
      this.counts.reused += 1;
      return { verdict: await running, reused: true };
    }
    const known = this.#cache.get(key);
    if (known) {
      this.counts.reused += 1;
      return { verdict: known, reused: true };
    }
    const judging = (async () => {
      const verdict = await judgeFix(this.#sandbox, task, program, await limits());
      if (!verdict.base?.judgeFault && !verdict.plus?.judgeFault) this.#cache?.put(key, verdict);
      return verdict;
    })();
    this.#inFlight.set(key, judging);
    this.counts.judged += 1;
    try {
      return { verdict: await judging, reused: false };
    } finally {
      this.#inFlight.delete(key);
    }
  }
}
