import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { NxtError } from '../shared/index.js';
import { type Sample, SampleSchema } from './types.js';

const require = createRequire(import.meta.url);

export interface CacheStats {
  samples: number;
  requests: number;
  batches: number;
  path: string;
  /** Samples per model name (as asked; rows from before names were stored use the server's answer). */
  models: { model: string; samples: number }[];
}

/** The model a row belongs to: the name it was asked under, else (older rows) the name the server answered with. */
const ROW_MODEL = "COALESCE(model, json_extract(sample, '$.model'), '?')";

/** A batch job remembered so that a crash while polling resumes the same batch. */
export interface BatchRecord {
  jobKey: string;
  batchId: string;
  status: string;
  createdAt: number;
}

/**
 * Sample cache in SQLite (WAL, busy timeout: several processes may share it). Rows are written as soon
 * as a sample arrives, so a process killed at any moment loses only requests still in flight.
 */
export class SampleCache {
  readonly path: string;
  readonly #db: BetterSqlite3.Database;
  readonly #get: BetterSqlite3.Statement;
  readonly #put: BetterSqlite3.Statement;
  readonly #getBatch: BetterSqlite3.Statement;
  readonly #putBatch: BetterSqlite3.Statement;

  private constructor(path: string, db: BetterSqlite3.Database) {
    this.path = path;
    this.#db = db;
    this.#get = db.prepare('SELECT sample FROM samples WHERE key = ? AND idx = ?');
    this.#put = db.prepare(
      'INSERT OR IGNORE INTO samples (key, idx, sample, created_at, model) VALUES (?, ?, ?, ?, ?)',
    );
    this.#getBatch = db.prepare('SELECT job_key, batch_id, status, created_at FROM batches WHERE job_key = ?');
    this.#putBatch = db.prepare(
      'INSERT INTO batches (job_key, batch_id, status, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(job_key) DO UPDATE SET batch_id = excluded.batch_id, status = excluded.status',
    );
  }

  /** Opens (creating if needed) the cache at `path`; `:memory:` for a private in-memory cache. */
  static open(path: string): SampleCache {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    let db: BetterSqlite3.Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 10000');
      db.pragma('synchronous = NORMAL');
      db.exec(`
        CREATE TABLE IF NOT EXISTS samples (key TEXT NOT NULL, idx INTEGER NOT NULL, sample TEXT NOT NULL,
          created_at INTEGER NOT NULL, model TEXT, PRIMARY KEY (key, idx)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS batches (job_key TEXT PRIMARY KEY, batch_id TEXT NOT NULL, status TEXT NOT NULL,
          created_at INTEGER NOT NULL);
      `);
      addModelColumn(db);
    } catch (error) {
      throw new NxtError('cache', `cannot open the sample cache at ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new SampleCache(path, db);
  }

  get(key: string, index: number): Sample | undefined {
    const row = this.#get.get(key, index) as { sample: string } | undefined;
    if (!row) return undefined;
    const parsed = SampleSchema.safeParse(JSON.parse(row.sample));
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * Stores samples of `model` (the name they were asked under) in one transaction; a sample already
   * there is kept (first writer wins).
   */
  put(key: string, samples: readonly Sample[], model: string): void {
    const now = Date.now();
    this.#db.transaction(() => {
      for (const sample of samples) this.#put.run(key, sample.index, JSON.stringify(sample), now, model);
    })();
  }

  getBatch(jobKey: string): BatchRecord | undefined {
    const row = this.#getBatch.get(jobKey) as
      | { job_key: string; batch_id: string; status: string; created_at: number }
      | undefined;
    return row
      ? { jobKey: row.job_key, batchId: row.batch_id, status: row.status, createdAt: row.created_at }
      : undefined;
  }

  putBatch(record: Omit<BatchRecord, 'createdAt'>): void {
    this.#putBatch.run(record.jobKey, record.batchId, record.status, Date.now());
  }

  stats(): CacheStats {
    const samples = (this.#db.prepare('SELECT COUNT(*) AS n FROM samples').get() as { n: number }).n;
    const requests = (this.#db.prepare('SELECT COUNT(DISTINCT key) AS n FROM samples').get() as { n: number }).n;
    const batches = (this.#db.prepare('SELECT COUNT(*) AS n FROM batches').get() as { n: number }).n;
    const models = this.#db
      .prepare(`SELECT ${ROW_MODEL} AS model, COUNT(*) AS samples FROM samples GROUP BY 1 ORDER BY 2 DESC, 1`)
      .all() as { model: string; samples: number }[];
    return { samples, requests, batches, path: this.path, models };
  }

  /** Deletes the samples of `model` (every sample and batch record without one); returns how many. */
  clear(model?: string): number {
    const removed =
      model === undefined
        ? this.#db.prepare('DELETE FROM samples').run().changes
        : this.#db.prepare(`DELETE FROM samples WHERE ${ROW_MODEL} = ?`).run(model).changes;
    if (model === undefined) this.#db.prepare('DELETE FROM batches').run();
    this.#db.exec('VACUUM');
    return removed;
  }

  close(): void {
    this.#db.close();
  }
}

/** Caches written before samples carried their model gain the column; another process may add it first. */
function addModelColumn(db: BetterSqlite3.Database): void {
  const columns = db.prepare('PRAGMA table_info(samples)').all() as { name: string }[];
  if (columns.some((column) => column.name === 'model')) return;
  try {
    db.exec('ALTER TABLE samples ADD COLUMN model TEXT');
  } catch (error) {
    if (!/duplicate column/i.test((error as Error).message)) throw error;
  }
}
