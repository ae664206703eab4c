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
  #stderr = '';
  #hello: ServerHello | null = null;
  #dead: string | null = null;
  readonly ready: Promise<ServerHello>;
  onExit: ((reason: string) => void) | null = null;

  /**
   * Starts the server; `command.preamble` is written to its fd 3 before any request (the module
   * bundle the bootstrap reads, see server-source.ts).
   */
  constructor(command: ServerCommand, startupTimeoutMs: number) {
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

  /** Splits answers on newlines, looking at each byte once however the answers are chunked. */
  #onData(chunk: string): void {
    let start = 0;
    let newline = chunk.indexOf('\n');
    while (newline >= 0) {
      this.#partial.push(chunk.slice(start, newline));
      const line = this.#partial.length === 1 ? (this.#partial[0] as string) : this.#partial.join('');
      this.#partial = [];
      if (line.trim()) this.#onMessage(line);
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) this.#partial.push(chunk.slice(start));
  }

  #onMessage(line: string): void {
    let message: { id?: number; op?: string; ok?: boolean; result?: unknown; error?: string };
    try {
      message = JSON.parse(line);
    } catch {
      this.#die(`the sandbox server sent a malformed answer: ${line.slice(0, 200)}`);
      this.kill();
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

  #die(reason: string): void {
    if (this.#dead !== null) return;
    this.#dead = `${reason}${this.#stderrNote()}`;
    const error = new ServerDiedError(this.#dead);
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.onExit?.(this.#dead);
  }
}
