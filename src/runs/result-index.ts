import type { FileHandle } from 'node:fs/promises';
import { checkJsonLine, jsonLineBytes, NxtError } from '../shared/index.js';
import { runFile } from './files.js';
import { openRunFile } from './io.js';
import { type Mode, type ResultRecord, ResultRecordSchema } from './records.js';

/** Where one result lives in results.jsonl, with the little needed to list and filter it. */
export interface IndexEntry {
  offset: number;
  length: number;
  /** 1-based line in results.jsonl, for messages. */
  line: number;
  taskId: string;
  mode: Mode;
  index: number;
  pass: boolean;
  outcome: ResultRecord['outcome'];
}

/** The fields the index keeps, checked as the full record checks them. */
const IndexFieldsSchema = ResultRecordSchema.pick({ taskId: true, mode: true, index: true, pass: true, outcome: true });

/** Lines that are not results, kept for the run page (the first few: a damaged file can have many). */
const MAX_PROBLEMS = 20;

/**
 * An index of a run's results.jsonl: byte offsets and a few fields per line, built by streaming the file
 * (and extended when it grows), so a 100k-sample run is listed and paged without holding its records.
 * A line that is not a result record is never listed: it is a problem named by file and line. The file
 * is only read (never through a link), and a last line still being written is read once it is whole.
 */
export class RunIndex {
  readonly path: string;
  entries: IndexEntry[] = [];
  /** Lines that are not result records, each as `results.jsonl:LINE: why` (the first MAX_PROBLEMS). */
  problems: string[] = [];
  /** Lines that are not result records, all of them. */
  problemCount = 0;
  /** An incomplete last line (being written, or torn by a run that stopped), named; null when there is none. */
  incomplete: string | null = null;
  #scanned = 0;
  #lines = 0;

  constructor(runDir: string) {
    this.path = runFile(runDir, 'results');
  }

  /** Reads whatever was appended since the last call; a link or a file that is not a regular one is a `run` error. */
  async refresh(): Promise<void> {
    const handle = await openRunFile(this.path);
    if (!handle) return;
    try {
      const { size } = await handle.stat();
      if (size < this.#scanned) this.#reset();
      this.incomplete = null;
      if (size > this.#scanned) await this.#scan(handle, size);
    } finally {
      await handle.close();
    }
  }

  /** The file shrank (rewritten): index it again from the start. */
  #reset(): void {
    this.entries = [];
    this.problems = [];
    this.problemCount = 0;
    this.#scanned = 0;
    this.#lines = 0;
  }

  async #scan(handle: FileHandle, size: number): Promise<void> {
    for await (const { bytes, offset, ended } of jsonLineBytes(handle, this.#scanned, size)) {
      if (ended) {
        this.#add(bytes, offset, true);
        this.#lines += 1;
        this.#scanned = offset + bytes.length + 1;
      } else if (this.#add(bytes, offset, false)) {
        // A last line without its newline is read when it is a whole record...
        this.#scanned = offset + bytes.length;
      } else {
        // ...else named, and read again next time.
        this.incomplete = `${this.path}:${this.#lines + 1}: the last line is incomplete`;
      }
    }
  }

  /** Indexes one line; false when it is not a result record (a whole line then counts as a problem). */
  #add(line: Buffer, offset: number, whole: boolean): boolean {
    const text = line.toString('utf8');
    if (text.trim() === '') return true;
    const number = this.#lines + 1;
    const checked = checkJsonLine(text, number, IndexFieldsSchema, { what: 'result' });
    if (checked.success) {
      this.entries.push({ offset, length: line.length, line: number, ...checked.data });
      return true;
    }
    if (!whole) return false;
    this.problemCount += 1;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(`${this.path}:${number}: ${checked.problem}`);
    return false;
  }

  /** Reads one full record by its index entry; a record of the wrong shape is a `run` error naming its line. */
  async read(entry: IndexEntry): Promise<ResultRecord> {
    const handle = await openRunFile(this.path);
    if (!handle) throw new NxtError('run', `${this.path} is gone`);
    try {
      const buffer = Buffer.alloc(entry.length);
      await handle.read(buffer, 0, entry.length, entry.offset);
      const checked = checkJsonLine(buffer.toString('utf8'), entry.line, ResultRecordSchema, { what: 'result' });
      if (!checked.success) throw new NxtError('run', `${this.path}:${entry.line}: ${checked.problem}`);
      return checked.data;
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

  /** Every line the run page cannot show, named: records of the wrong shape, then an incomplete last line. */
  allProblems(): string[] {
    const more = this.problemCount - this.problems.length;
    return [
      ...this.problems,
      ...(more > 0 ? [`${this.path}: ${more} more lines that are not valid results`] : []),
      ...(this.incomplete ? [this.incomplete] : []),
    ];
  }
}
