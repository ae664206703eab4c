import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggedRequest, TestServerOptions } from './script.js';

export interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  content: Buffer;
  createdAt: number;
}

export type StoredBatch = Record<string, unknown> & { polls: number };
export type StoredJob = Record<string, unknown> & { polls: number; events: Record<string, unknown>[] };

/** Everything the server remembers between requests. */
export interface ServerState {
  options: TestServerOptions;
  readonly log: LoggedRequest[];
  readonly files: Map<string, StoredFile>;
  readonly batches: Map<string, StoredBatch>;
  readonly jobs: Map<string, StoredJob>;
  /** The last id handed out (files, batches, jobs, completions, events share it). */
  counter: number;
  /** Completion requests that reached the fault decision. */
  completionCount: number;
  /** The fault generator, re-seeded when `options.faultSeed` changes. */
  random: () => number;
  currentSeed: number;
}

/** The next id of any kind. */
export function nextId(state: ServerState): number {
  state.counter += 1;
  return state.counter;
}

/** One request being routed: its path without `/v1`, its raw body, its JSON object and its log entry. */
export interface RouteContext {
  state: ServerState;
  request: IncomingMessage;
  response: ServerResponse;
  method: string;
  path: string;
  raw: Buffer;
  object: Record<string, unknown>;
  entry: LoggedRequest;
}

/** Answers the request and says true, or says false when the route is not its. */
export type Route = (context: RouteContext) => boolean | Promise<boolean>;
