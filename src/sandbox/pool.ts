import { NxtError } from '../shared/index.js';
import { ForkServer, JudgeFaultError, type ServerCommand, ServerDiedError, type ServerHello } from './fork-server.js';

export { JudgeFaultError };

import { type RawResult, RawResultSchema } from './verdict.js';

/** How to start the server of one pool slot. */
export type SlotCommand = (slot: number) => ServerCommand;

interface Job {
  message: Record<string, unknown>;
  attempts: number;
  parse(answer: unknown): unknown;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  index: number;
  server: ForkServer | null;
  inflight: Job[];
  failedStarts: number;
  answered: number;
}

const MAX_FAILED_STARTS = 3;
const RESPAWN_DELAY_MS = 50;

/** The answer recorded for a program whose server died while running it, twice. */
function crashResult(message: Record<string, unknown>, reason: string): RawResult {
  const tests = Array.isArray(message['tests']) ? message['tests'] : [];
  return {
    program: { status: 'error', ms: 0, exception: { type: 'Crash', message: reason, line: null, source: null } },
    tests: tests.map(() => ({ status: 'not_run', ms: 0, exception: null, sealed: false, cases: null })),
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    problem: `the sandbox server died twice while judging this program: ${reason.split('\n')[0]}`,
    wallMs: 0,
    forks: 0,
  };
}

/**
 * A pool of fork-servers. Jobs queue here and go to the first slot with room (`pipelineDepth`
 * requests in flight per server). A server that dies is replaced: the job it was running is retried
 * once, then recorded as a crash; the jobs queued behind it go back to the front of the queue.
 */
export class SandboxPool {
  readonly #slots: Slot[];
  readonly #queue: Job[] = [];
  readonly #command: SlotCommand;
  readonly #depth: number;
  readonly #startupTimeoutMs: number;
  #fatal: Error | null = null;
  #closed = false;
  #hello: ServerHello | null = null;
  /** Servers started, including replacements (observable for tests and `nxt doctor`). */
  serversStarted = 0;

  private constructor(size: number, command: SlotCommand, depth: number, startupTimeoutMs: number) {
    this.#command = command;
    this.#depth = depth;
    this.#startupTimeoutMs = startupTimeoutMs;
    this.#slots = Array.from({ length: size }, (_, index) => ({
      index,
      server: null,
      inflight: [],
      failedStarts: 0,
      answered: 0,
    }));
  }

  /** Starts `size` servers and waits until each has said hello. Throws `NxtError('sandbox')`. */
  static async start(
    size: number,
    command: SlotCommand,
    depth: number,
    startupTimeoutMs: number,
  ): Promise<SandboxPool> {
    const pool = new SandboxPool(size, command, depth, startupTimeoutMs);
    try {
      await Promise.all(pool.#slots.map((slot) => pool.#spawn(slot)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** What the servers report about their interpreter. */
  get hello(): ServerHello {
    if (!this.#hello) throw new NxtError('sandbox', 'the sandbox pool has not started');
    return this.#hello;
  }

  /** Requests answered by each slot, in slot order. */
  get answeredPerSlot(): number[] {
    return this.#slots.map((slot) => slot.answered);
  }

  /** Process ids of the live servers (for tests that kill one). */
  get serverPids(): number[] {
    return this.#slots.flatMap((slot) => (slot.server?.pid === undefined ? [] : [slot.server.pid]));
  }

  /** Queues one judge request; resolves with the server's validated answer. */
  run(message: Record<string, unknown>): Promise<RawResult> {
    return this.#enqueue(message, (answer) => {
      const parsed = RawResultSchema.safeParse(answer);
      if (parsed.success) return parsed.data;
      throw new JudgeFaultError(`the sandbox server answered in an unexpected shape: ${parsed.error.message}`);
    });
  }

  /** Queues a request that is not a judgement (e.g. `split`); `parse` validates the answer. */
  ask<T>(message: Record<string, unknown>, parse: (answer: unknown) => T): Promise<T> {
    return this.#enqueue(message, parse);
  }

  #enqueue<T>(message: Record<string, unknown>, parse: (answer: unknown) => T): Promise<T> {
    if (this.#closed) return Promise.reject(new NxtError('sandbox', 'the sandbox was closed'));
    if (this.#fatal) return Promise.reject(this.#fatal);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ message, attempts: 0, parse, resolve: resolve as (value: unknown) => void, reject });
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const error = new NxtError('sandbox', 'the sandbox was closed before this program was judged');
    for (const job of this.#queue.splice(0)) job.reject(error);
    await Promise.all(
      this.#slots.map(async (slot) => {
        const server = slot.server;
        slot.server = null;
        for (const job of slot.inflight.splice(0)) job.reject(error);
        if (server) {
          server.onExit = null;
          await server.close();
        }
      }),
    );
  }

  async #spawn(slot: Slot): Promise<void> {
    const server = new ForkServer(this.#command(slot.index), this.#startupTimeoutMs);
    this.serversStarted += 1;
    slot.server = server;
    server.onExit = (reason) => this.#onServerExit(slot, server, reason);
    try {
      const hello = await server.ready;
      this.#hello ??= hello;
      slot.failedStarts = 0;
    } catch (error) {
      slot.failedStarts += 1;
      server.onExit = null;
      server.kill();
      if (slot.server === server) slot.server = null;
      throw error;
    }
    this.#pump();
  }

  #respawn(slot: Slot): void {
    if (this.#closed || this.#fatal) return;
    setTimeout(() => {
      if (this.#closed) return;
      this.#spawn(slot).catch((error: Error) => {
        if (slot.failedStarts >= MAX_FAILED_STARTS) this.#fail(error);
        else this.#respawn(slot);
      });
    }, RESPAWN_DELAY_MS);
  }

  #fail(error: Error): void {
    this.#fatal = new NxtError('sandbox', `the sandbox cannot start a server any more: ${error.message}`, {
      cause: error,
    });
    for (const job of this.#queue.splice(0)) job.reject(this.#fatal);
  }

  #onServerExit(slot: Slot, server: ForkServer, reason: string): void {
    if (slot.server !== server) return;
    slot.server = null;
    if (!server.hello) return; // died while starting: #spawn's caller handles it
    const [running, ...waiting] = slot.inflight.splice(0);
    this.#queue.unshift(...waiting);
    if (running) {
      running.attempts += 1;
      if (running.attempts >= 2) {
        if (running.message['op'] === 'judge') running.resolve(crashResult(running.message, reason));
        else running.reject(new NxtError('sandbox', `the sandbox server died twice on this request: ${reason}`));
      } else this.#queue.unshift(running);
    }
    this.#respawn(slot);
    this.#pump();
  }

  /** Hands queued jobs to the least busy live servers, up to `pipelineDepth` each. */
  #pump(): void {
    while (this.#queue.length > 0) {
      let best: Slot | null = null;
      for (const slot of this.#slots) {
        if (!slot.server?.hello || !slot.server.isAlive || slot.inflight.length >= this.#depth) continue;
        if (!best || slot.inflight.length < best.inflight.length) best = slot;
      }
      if (!best?.server) return;
      this.#send(best, best.server, this.#queue.shift() as Job);
    }
  }

  #send(slot: Slot, server: ForkServer, job: Job): void {
    slot.inflight.push(job);
    server.request<unknown>(job.message).then(
      (answer) => {
        const index = slot.inflight.indexOf(job);
        if (index >= 0) slot.inflight.splice(index, 1);
        slot.answered += 1;
        try {
          job.resolve(job.parse(answer));
        } catch (error) {
          job.reject(error as Error);
        }
        this.#pump();
      },
      (error: Error) => {
        if (error instanceof ServerDiedError) return; // #onServerExit requeues it
        const index = slot.inflight.indexOf(job);
        if (index >= 0) slot.inflight.splice(index, 1);
        job.reject(error);
        this.#pump();
      },
    );
  }
}
