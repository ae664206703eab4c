import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { NxtError } from '../shared/index.js';

/** How to start one server process. */
export interface ServerCommand {
  file: string;
  args: string[];
  cwd?: string;
  /** Bytes written to the server's fd 3 before the first request. */
  preamble?: Buffer;
}

/** The first message a server sends. */
export interface ServerHello {
  python: string;
  versionInfo: number[];
  pid: number;
  uid: number;
  /** Null when programs get a PID namespace of their own (or were not meant to); else why not. */
  programPidNamespace?: string | null;
  /** Null when programs get PID, mount and IPC namespaces and a fresh /tmp of their own (or were not meant to); else why not. */
  programNamespaces?: string | null;
  /** Null when programs run under the seccomp filter (or were not meant to); else why not. */
  syscallFilter?: string | null;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Raised for every request still unanswered when its server process dies. */
export class ServerDiedError extends NxtError {
  constructor(message: string) {
    super('sandbox-server-died', message);
    this.name = 'ServerDiedError';
  }
}

/** The judge failed on one request (a fault of nxt, not of the program): answered, never retried. */
export class JudgeFaultError extends NxtError {
  constructor(message: string) {
    super('sandbox-judge-fault', message);
    this.name = 'JudgeFaultError';
  }
}

const STDERR_KEEP = 4096;

/**
 * The longest answer line read, in characters: V8's strings end near 2^29 (a longer line threw
 * `Invalid string length` out of the stream handler and killed nxt). The server keeps its answers far
 * under this (python/nxt/protocol/requests.py); a longer one is skipped and fails its request as a judge
 * fault.
 */
export const MAX_ANSWER_CHARS = 256 * 1024 * 1024;

type Message = { id?: number; op?: string; ok?: boolean; result?: unknown; error?: string };

/**
 * One long-lived Python process speaking JSON lines: requests on its fd 3, answers on its fd 4.
 * Answers come in request order; each carries the request's id.
 */
export class ForkServer {
  readonly #process: ChildProcess;
  readonly #input: Writable;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  /** The unfinished last line, in the pieces it arrived in (joined once, when its newline comes). */
  #partial: string[] = [];
  #partialChars = 0;
  /** The unfinished line is over the limit: its characters are dropped until its newline. */
  #skipping = false;
  readonly #maxAnswerChars: number;
  #stderr = '';
  #hello: ServerHello | null = null;
  #dead: string | null = null;
  readonly ready: Promise<ServerHello>;
  onExit: ((reason: string) => void) | null = null;

  /**
   * Starts the server; `command.preamble` is written to its fd 3 before any request (the module
   * bundle the bootstrap reads, see server-source.ts).
   */
  constructor(command: ServerCommand, startupTimeoutMs: number, maxAnswerChars = MAX_ANSWER_CHARS) {
    this.#maxAnswerChars = maxAnswerChars;
    this.#process = spawn(command.file, command.args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      env: {},
      ...(command.cwd ? { cwd: command.cwd } : {}),
    });
    const [, , stderr, input, output] = this.#process.stdio as unknown as [null, null, Readable, Writable, Readable];
    this.#input = input;
    input.on('error', () => {}); // a dead server is reported through 'exit'
    if (command.preamble) input.write(command.preamble);
    stderr.setEncoding('utf8');
    stderr.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEEP);
    });
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => this.#onData(chunk));
    this.ready = new Promise<ServerHello>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new NxtError(
            'sandbox',
            `the sandbox server did not start within ${startupTimeoutMs} ms${this.#stderrNote()}`,
          ),
        );
        this.kill();
      }, startupTimeoutMs);
      this.#pending.set(0, {
        resolve: (hello) => {
          clearTimeout(timer);
          this.#hello = hello as ServerHello;
          resolve(this.#hello);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    this.ready.catch(() => {});
    this.#process.on('error', (error) => this.#die(`cannot start the sandbox server: ${error.message}`));
    this.#process.on('exit', (code, signal) => {
      // Let the last answers on the pipe arrive before failing what is still pending.
      output.once('end', () => this.#die(`the sandbox server exited (${signal ?? `code ${code}`})`));
      if (output.readableEnded) this.#die(`the sandbox server exited (${signal ?? `code ${code}`})`);
    });
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  get isAlive(): boolean {
    return this.#dead === null;
  }

  get hello(): ServerHello | null {
    return this.#hello;
  }

  /** Sends one request; resolves with the server's `result`, rejects if it answers `ok: false` or dies. */
  request<T>(message: Record<string, unknown>): Promise<T> {
    if (this.#dead !== null) return Promise.reject(new ServerDiedError(this.#dead));
    const id = this.#nextId++;
    const answer = new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    this.#input.write(`${JSON.stringify({ ...message, id })}\n`);
    return answer;
  }

  /** Asks the server to exit; kills it if it has not within `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    if (this.#dead !== null) return;
    const exited = new Promise<void>((resolve) => this.#process.once('exit', () => resolve()));
    this.#input.end(`${JSON.stringify({ op: 'exit' })}\n`);
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.#process.exitCode === null && this.#process.signalCode === null) this.#process.kill('SIGKILL');
  }

  #stderrNote(): string {
    const tail = this.#stderr.trim();
    return tail ? `; its stderr ends with:\n${tail}` : '';
  }

  /**
   * Splits answers on newlines, looking at each byte once however the answers are chunked. A line over
   * the limit is dropped as it comes and fails the request it answers.
   */
  #onData(chunk: string): void {
    let start = 0;
    let newline = chunk.indexOf('\n');
    while (newline >= 0) {
      if (this.#take(chunk.slice(start, newline))) {
        const line = this.#partial.length === 1 ? (this.#partial[0] as string) : this.#partial.join('');
        if (line.trim()) this.#onMessage(line);
      } else {
        this.#skipping = false;
        this.#failOldest(`the sandbox server's answer was over ${this.#maxAnswerChars} characters`);
      }
      this.#partial = [];
      this.#partialChars = 0;
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) this.#take(chunk.slice(start));
  }

  /** Adds a piece to the unfinished line; false once the line is over the limit (its pieces are dropped). */
  #take(piece: string): boolean {
    if (this.#skipping) return false;
    this.#partialChars += piece.length;
    if (this.#partialChars > this.#maxAnswerChars) {
      this.#skipping = true;
      this.#partial = [];
      return false;
    }
    this.#partial.push(piece);
    return true;
  }

  #onMessage(line: string): void {
    let message: Message;
    try {
      message = JSON.parse(line);
    } catch {
      this.#failOldest(`the sandbox server sent a malformed answer: ${line.slice(0, 200)}`);
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.#failOldest(`the sandbox server sent an answer that is not an object: ${line.slice(0, 200)}`);
      return;
    }
    const id = message.op === 'hello' ? 0 : (message.id ?? -1);
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (message.op === 'hello') pending.resolve(message);
    else if (message.ok) pending.resolve(message.result);
    else pending.reject(new JudgeFaultError(`the sandbox server failed: ${message.error ?? 'no reason given'}`));
  }

  /**
   * An answer nxt cannot read: answers come in request order, so it was the oldest pending request's,
   * which fails as a judge fault; the server goes on. Before the server's hello, the server is broken.
   */
  #failOldest(reason: string): void {
    if (this.#pending.has(0)) {
      this.#die(reason);
      this.kill();
      return;
    }
    const oldest = this.#pending.keys().next();
    if (oldest.done) return;
    const pending = this.#pending.get(oldest.value) as Pending;
    this.#pending.delete(oldest.value);
    pending.reject(new JudgeFaultError(reason));
  }

  #die(reason: string): void {
    if (this.#dead !== null) return;
    this.#dead = `${reason}${this.#stderrNote()}`;
    const error = new ServerDiedError(this.#dead);
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.onExit?.(this.#dead);
  }
}
