/**
 * A real OpenAI-compatible HTTP server on 127.0.0.1, answering from a script, with fault injection.
 * Every test and benchmark that talks to a model talks to this (no module mocks): chat and
 * completions (with `n`), models, files (multipart upload, content), batches and fine-tuning jobs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { seededRandom } from '../../shared/index.js';
import { completionRoute } from './completions.js';
import { apiError, readBody, send } from './http.js';
import { batchRoutes, fileRoutes, jobRoutes, modelsRoute } from './resources.js';
import type { LoggedRequest, TestServerOptions } from './script.js';
import type { Route, ServerState } from './server-state.js';

export type { FaultKind, LoggedRequest, ScriptedAnswer, ScriptedRequest, TestServerOptions } from './script.js';
export { defaultAnswer } from './script.js';

export interface TestServer {
  /** Base URL including `/v1`, as a client's baseURL. */
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly log: LoggedRequest[];
  /** Completion requests answered successfully. */
  completions(): LoggedRequest[];
  options: TestServerOptions;
  close(): Promise<void>;
}

/** Every route, in the order they are tried; a request none takes is a 404. */
const ROUTES: readonly Route[] = [completionRoute, modelsRoute, fileRoutes, batchRoutes, jobRoutes];

/** Reads, logs and checks the key of one request, then hands it to the first route that takes it. */
async function route(state: ServerState, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const path = url.pathname.replace(/^\/v1/, '');
  const raw = request.method === 'POST' ? await readBody(request) : Buffer.alloc(0);
  const isJson = (request.headers['content-type'] ?? '').includes('application/json');
  let body: unknown = null;
  if (isJson && raw.length > 0) {
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return apiError(response, 400, 'invalid JSON body', 'invalid_json');
    }
  }
  const method = request.method ?? 'GET';
  const entry: LoggedRequest = { method, path, body, at: Date.now(), fault: null, status: 200 };
  state.log.push(entry);
  if (state.options.apiKey && request.headers.authorization !== `Bearer ${state.options.apiKey}`) {
    entry.status = 401;
    return apiError(response, 401, 'Incorrect API key provided', 'invalid_api_key');
  }
  const context = {
    state,
    request,
    response,
    method,
    path,
    raw,
    object: (body ?? {}) as Record<string, unknown>,
    entry,
  };
  for (const take of ROUTES) if (await take(context)) return;
  entry.status = 404;
  return apiError(response, 404, `no route for ${request.method} ${path}`, 'not_found');
}

/** Starts the server on an ephemeral port of 127.0.0.1. */
export async function startTestServer(initial: TestServerOptions = {}): Promise<TestServer> {
  const state: ServerState = {
    options: initial,
    log: [],
    files: new Map(),
    batches: new Map(),
    jobs: new Map(),
    counter: 0,
    completionCount: 0,
    random: seededRandom(initial.faultSeed ?? 1),
    currentSeed: initial.faultSeed ?? 1,
  };
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    route(state, request, response).catch((error: Error) => {
      if (!response.headersSent) send(response, 500, { error: { message: error.message } });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    log: state.log,
    completions: () =>
      state.log.filter(
        (entry) =>
          (entry.path === '/chat/completions' || entry.path === '/completions') &&
          entry.status === 200 &&
          entry.fault === null,
      ),
    get options() {
      return state.options;
    },
    set options(value: TestServerOptions) {
      state.options = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
