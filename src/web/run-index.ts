import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ResultRecord, ResultRecordSchema } from '../eval/index.js';

/** Where one result lives in results.jsonl, with the little needed to list and filter it. */
export interface IndexEntry {
  offset: number;
  length: number;
  taskId: string;
  mode: 'sample' | 'greedy';
  index: number;
  pass: boolean;
  outcome: ResultRecord['outcome'];
}

/**
 * An index of a run's results.jsonl: byte offsets and a few fields per line, built by streaming the file
 * (and extended when it grows), so a 100k-sample run is listed and paged without holding its records.
 */
export class RunIndex {
  readonly path: string;
  entries: IndexEntry[] = [];
  #scanned = 0;

  constructor(runDir: string) {
    this.path = join(runDir, 'results.jsonl');
  }

  /** Reads whatever was appended since the last call. */
  async refresh(): Promise<void> {
    if (!existsSync(this.path)) return;
    const size = statSync(this.path).size;
    if (size < this.#scanned) {
      this.entries = [];
      this.#scanned = 0;
    }
    if (size === this.#scanned) return;
    let offset = this.#scanned;
    let pending: Buffer = Buffer.alloc(0);
    for await (const chunk of createReadStream(this.path, { start: this.#scanned })) {
      pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
      let newline = pending.indexOf(10);
      while (newline >= 0) {
        const line = pending.subarray(0, newline);
        this.#add(line, offset);
        offset += newline + 1;
        pending = pending.subarray(newline + 1);
        newline = pending.indexOf(10);
      }
    }
    this.#scanned = offset;
  }

  #add(line: Buffer, offset: number): void {
    if (line.length === 0) return;
    try {
      const record = JSON.parse(line.toString('utf8')) as ResultRecord;
      this.entries.push({
        offset,
        length: line.length,
        taskId: record.taskId,
        mode: record.mode,
        index: record.index,
        pass: record.pass,
        outcome: record.outcome,
      });
    } catch {
      // a line being written right now: it is read on the next refresh
    }
  }

  /** Reads one full record by its index entry. */
  async read(entry: IndexEntry): Promise<ResultRecord> {
    const handle = await open(this.path, 'r');
    try {
      const buffer = Buffer.alloc(entry.length);
      await handle.read(buffer, 0, entry.length, entry.offset);
      return ResultRecordSchema.parse(JSON.parse(buffer.toString('utf8')));
    } finally {
      await handle.close();
    }
  }

  /** Per-task aggregates: samples, passes, parse errors. */
  tasks(): Map<string, { n: number; c: number; parseErrors: number }> {
    const tasks = new Map<string, { n: number; c: number; parseErrors: number }>();
    for (const entry of this.entries) {
      if (entry.mode !== 'sample') continue;
      const task = tasks.get(entry.taskId) ?? { n: 0, c: 0, parseErrors: 0 };
      task.n += 1;
      if (entry.pass) task.c += 1;
      if (entry.outcome === 'parse_error') task.parseErrors += 1;
      tasks.set(entry.taskId, task);
    }
    return tasks;
  }
}

/** Reads a small JSON file of a run (manifest, summary), or null. */
export async function readJson(path: string): Promise<unknown | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}
