/**
 * A real OpenAI-compatible HTTP server on 127.0.0.1, answering from a script, with fault injection.
 * Every test and benchmark that talks to a model talks to this (no module mocks): chat and
 * completions (with `n`), models, files (multipart upload, content), batches and fine-tuning jobs.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { seededRandom } from '../../shared/index.js';

export type FaultKind = '429' | '500' | 'context-length' | 'hang' | 'reset' | 'malformed' | 'empty-choices';

/** A completion request as the script sees it, once per choice. */
export interface ScriptedRequest {
  endpoint: 'chat' | 'completions';
  model: string;
  messages: { role: string; content: string }[];
  prompt: string;
  n: number;
  /** Which of the `n` choices is being written. */
  choice: number;
  temperature: number | null;
  seed: number | null;
  /** The raw JSON body. */
  body: Record<string, unknown>;
}

export interface ScriptedAnswer {
  text: string;
  finishReason?: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  body: unknown;
  at: number;
  fault: FaultKind | null;
  status: number;
}

export interface TestServerOptions {
  /** The script: an answer per choice. Default: a deterministic text derived from the request. */
  respond?: (request: ScriptedRequest) => string | ScriptedAnswer;
  /** Delay before each completion answer. */
  latencyMs?: number;
  /** Decides a fault per completion request (`null` for none). Overrides `faultRate`. */
  fault?: (request: { body: Record<string, unknown>; count: number }) => FaultKind | null;
  /** Share of completion requests that get a fault, picked by a seeded generator from `faultKinds`. */
  faultRate?: number;
  faultKinds?: FaultKind[];
  faultSeed?: number;
  /** Sent with a 429, in seconds (`Retry-After`) and milliseconds (`retry-after-ms`). */
  retryAfterMs?: number;
  /** A key the server requires (401 otherwise). */
  apiKey?: string;
  /** Models the server knows (404 for others); default: any. */
  models?: string[];
  /** Whether `n` is honoured; false answers one choice, as some servers do. Default true. */
  supportsN?: boolean;
  /** Polls of a batch before it completes, and of a fine-tuning job before it succeeds. */
  batchPolls?: number;
  /** Text added to the end of a batch's output file (a damaged line, as a broken server could send). */
  batchOutputTail?: string;
  fineTunePolls?: number;
  /** Make fine-tuning jobs fail instead of succeeding. */
  fineTuneFails?: boolean;
}

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

/** The default script: a stable text that names the request and the choice. */
export function defaultAnswer(request: ScriptedRequest): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([request.model, request.messages, request.prompt, request.temperature, request.seed]))
    .digest('hex')
    .slice(0, 12);
  return `answer ${digest} #${request.choice}`;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  content: Buffer;
  createdAt: number;
}

interface Part {
  name: string;
  filename: string | null;
  content: Buffer;
}

function parseMultipart(body: Buffer, contentType: string): Part[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) return [];
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts: Part[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? '';
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1] ?? null;
    parts.push({ name, filename, content: part.subarray(split + 4) });
    start = next;
  }
  return parts;
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** Starts the server on an ephemeral port of 127.0.0.1. */
export async function startTestServer(initial: TestServerOptions = {}): Promise<TestServer> {
  const log: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, Record<string, unknown> & { polls: number }>();
  const jobs = new Map<string, Record<string, unknown> & { polls: number; events: Record<string, unknown>[] }>();
  let counter = 0;
  const nextId = () => {
    counter += 1;
    return counter;
  };
  let completionCount = 0;
  const state = { options: initial };
  let random = seededRandom(initial.faultSeed ?? 1);
  let currentSeed = initial.faultSeed ?? 1;

  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(text);
  };
  const apiError = (response: ServerResponse, status: number, message: string, code: string) =>
    send(response, status, { error: { message, type: 'invalid_request_error', code } });

  function answer(kind: 'chat' | 'completions', body: Record<string, unknown>, choice: number): ScriptedAnswer {
    const request: ScriptedRequest = {
      endpoint: kind,
      model: String(body['model'] ?? ''),
      messages: (body['messages'] as { role: string; content: string }[] | undefined) ?? [],
      prompt: typeof body['prompt'] === 'string' ? body['prompt'] : '',
      n: typeof body['n'] === 'number' ? body['n'] : 1,
      choice,
      temperature: typeof body['temperature'] === 'number' ? body['temperature'] : null,
      seed: typeof body['seed'] === 'number' ? body['seed'] : null,
      body,
    };
    const scripted = (state.options.respond ?? defaultAnswer)(request);
    return typeof scripted === 'string' ? { text: scripted } : scripted;
  }

  function completion(kind: 'chat' | 'completions', body: Record<string, unknown>): Record<string, unknown> {
    const requested = typeof body['n'] === 'number' ? body['n'] : 1;
    const n = state.options.supportsN === false ? 1 : requested;
    const answers = Array.from({ length: n }, (_, choice) => answer(kind, body, choice));
    const promptText =
      kind === 'chat'
        ? ((body['messages'] as { content: string }[] | undefined) ?? []).map((message) => message.content).join('\n')
        : String(body['prompt'] ?? '');
    const usage = {
      prompt_tokens: tokens(promptText),
      completion_tokens: answers.reduce((sum, item) => sum + tokens(item.text), 0),
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    counter += 1;
    const common = {
      id: `cmpl-${counter}`,
      created: Math.floor(Date.now() / 1000),
      model: String(body['model']),
      usage,
    };
    if (kind === 'chat') {
      return {
        ...common,
        object: 'chat.completion',
        choices: answers.map((item, index) => ({
          index,
          message: { role: 'assistant', content: item.text },
          finish_reason: item.finishReason ?? 'stop',
          logprobs: null,
        })),
      };
    }
    return {
      ...common,
      object: 'text_completion',
      choices: answers.map((item, index) => ({
        index,
        text: item.text,
        finish_reason: item.finishReason ?? 'stop',
        logprobs: null,
      })),
    };
  }

  function pickFault(body: Record<string, unknown>): FaultKind | null {
    const options = state.options;
    if ((options.faultSeed ?? 1) !== currentSeed) {
      currentSeed = options.faultSeed ?? 1;
      random = seededRandom(currentSeed);
    }
    if (options.fault) return options.fault({ body, count: completionCount });
    if (!options.faultRate) return null;
    const roll = random();
    const kinds = options.faultKinds ?? ['429', '500', 'hang', 'reset', 'malformed', 'empty-choices'];
    if (roll >= options.faultRate) return null;
    return kinds[Math.floor(random() * kinds.length)] ?? null;
  }

  async function handleCompletion(
    kind: 'chat' | 'completions',
    body: Record<string, unknown>,
    response: ServerResponse,
    entry: LoggedRequest,
  ) {
    const options = state.options;
    if (options.models && !options.models.includes(String(body['model']))) {
      entry.status = 404;
      return apiError(response, 404, `The model '${body['model']}' does not exist`, 'model_not_found');
    }
    completionCount += 1;
    const fault = pickFault(body);
    entry.fault = fault;
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    const retryAfter = options.retryAfterMs ?? 10;
    switch (fault) {
      case '429':
        entry.status = 429;
        return send(
          response,
          429,
          { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
          {
            'retry-after': String(Math.ceil(retryAfter / 1000)),
            'retry-after-ms': String(retryAfter),
          },
        );
      case '500':
        entry.status = 500;
        return send(response, 500, { error: { message: 'The server had an error', type: 'server_error' } });
      case 'context-length':
        entry.status = 400;
        return apiError(
          response,
          400,
          "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens.",
          'context_length_exceeded',
        );
      case 'hang':
        entry.status = 0;
        return; // never answered: the client's timeout must fire
      case 'reset': {
        entry.status = 0;
        const text = JSON.stringify(completion(kind, body));
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
        response.write(text.slice(0, Math.floor(text.length / 2)));
        setTimeout(() => response.socket?.destroy(), 5);
        return;
      }
      case 'malformed':
        entry.status = 200;
        return send(response, 200, '{"id": "cmpl-x", "choices": [ {"index": 0, "message": ');
      case 'empty-choices':
        entry.status = 200;
        return send(response, 200, {
          id: 'cmpl-empty',
          object: 'chat.completion',
          created: 0,
          model: body['model'],
          choices: [],
        });
      default:
        entry.status = 200;
        return send(response, 200, completion(kind, body));
    }
  }

  function processBatch(batch: Record<string, unknown>): void {
    const input = files.get(String(batch['input_file_id']));
    const lines = (input?.content.toString('utf8') ?? '').split('\n').filter((line) => line.trim() !== '');
    const output = lines.map((line) => {
      const item = JSON.parse(line) as { custom_id: string; url: string; body: Record<string, unknown> };
      const kind = item.url.endsWith('/chat/completions') ? 'chat' : 'completions';
      counter += 1;
      return JSON.stringify({
        id: `batch_req_${counter}`,
        custom_id: item.custom_id,
        response: { status_code: 200, request_id: `req_${counter}`, body: completion(kind, item.body) },
        error: null,
      });
    });
    const id = `file-${nextId()}`;
    files.set(id, {
      id,
      filename: 'batch_output.jsonl',
      purpose: 'batch_output',
      content: Buffer.from(`${output.join('\n')}\n${state.options.batchOutputTail ?? ''}`),
      createdAt: Date.now(),
    });
    Object.assign(batch, {
      status: 'completed',
      output_file_id: id,
      completed_at: Math.floor(Date.now() / 1000),
      request_counts: { total: lines.length, completed: lines.length, failed: 0 },
    });
  }

  function fileObject(file: StoredFile) {
    return {
      id: file.id,
      object: 'file',
      bytes: file.content.length,
      created_at: Math.floor(file.createdAt / 1000),
      filename: file.filename,
      purpose: file.purpose,
      status: 'processed',
    };
  }

  function advanceJob(job: Record<string, unknown> & { polls: number; events: Record<string, unknown>[] }): void {
    if (['succeeded', 'failed', 'cancelled'].includes(String(job['status']))) return;
    job.polls += 1;
    const event = (message: string) =>
      job.events.push({
        id: `ftevent-${nextId()}`,
        object: 'fine_tuning.job.event',
        created_at: Math.floor(Date.now() / 1000),
        level: 'info',
        message,
        type: 'message',
      });
    const needed = state.options.fineTunePolls ?? 2;
    if (job.polls === 1) {
      job['status'] = 'running';
      event('Fine-tuning job started');
    } else if (job.polls >= needed) {
      if (state.options.fineTuneFails) {
        job['status'] = 'failed';
        job['error'] = {
          code: 'invalid_training_file',
          message: 'The training file is invalid',
          param: 'training_file',
        };
        event('Fine-tuning job failed');
      } else {
        job['status'] = 'succeeded';
        job['fine_tuned_model'] = `ft:${job['model']}:nxt:${job['suffix'] ?? 'run'}:${String(job['id']).slice(6)}`;
        job['finished_at'] = Math.floor(Date.now() / 1000);
        event(`New fine-tuned model created: ${job['fine_tuned_model']}`);
      }
    } else {
      event(`Step ${job.polls}: training loss=${(1 / job.polls).toFixed(3)}`);
    }
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
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
    const entry: LoggedRequest = {
      method: request.method ?? 'GET',
      path,
      body,
      at: Date.now(),
      fault: null,
      status: 200,
    };
    log.push(entry);
    if (state.options.apiKey && request.headers.authorization !== `Bearer ${state.options.apiKey}`) {
      entry.status = 401;
      return apiError(response, 401, 'Incorrect API key provided', 'invalid_api_key');
    }
    const object = (body ?? {}) as Record<string, unknown>;
    if (request.method === 'POST' && path === '/chat/completions')
      return handleCompletion('chat', object, response, entry);
    if (request.method === 'POST' && path === '/completions')
      return handleCompletion('completions', object, response, entry);
    if (request.method === 'GET' && path === '/models') {
      const models = state.options.models ?? ['test-model'];
      return send(response, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'nxt-test' })),
      });
    }
    if (request.method === 'POST' && path === '/files') {
      const parts = parseMultipart(raw, request.headers['content-type'] ?? '');
      const filePart = parts.find((part) => part.name === 'file');
      const id = `file-${nextId()}`;
      const file = {
        id,
        filename: filePart?.filename ?? 'upload',
        purpose: parts.find((part) => part.name === 'purpose')?.content.toString('utf8') ?? '',
        content: filePart?.content ?? Buffer.alloc(0),
        createdAt: Date.now(),
      };
      files.set(id, file);
      entry.body = { filename: file.filename, purpose: file.purpose, bytes: file.content.length };
      return send(response, 200, fileObject(file));
    }
    const fileMatch = /^\/files\/([^/]+)(\/content)?$/.exec(path);
    if (request.method === 'GET' && fileMatch) {
      const file = files.get(fileMatch[1] as string);
      if (!file) return apiError(response, 404, 'No such file', 'file_not_found');
      if (fileMatch[2]) {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void response.end(file.content);
      }
      return send(response, 200, fileObject(file));
    }
    if (request.method === 'POST' && path === '/batches') {
      if (!files.has(String(object['input_file_id'])))
        return apiError(response, 400, 'input file not found', 'invalid_file');
      const id = `batch_${nextId()}`;
      const batch = {
        id,
        object: 'batch',
        endpoint: object['endpoint'],
        input_file_id: object['input_file_id'],
        completion_window: object['completion_window'],
        status: 'validating',
        output_file_id: null,
        error_file_id: null,
        created_at: Math.floor(Date.now() / 1000),
        request_counts: { total: 0, completed: 0, failed: 0 },
        metadata: object['metadata'] ?? null,
        polls: 0,
      };
      batches.set(id, batch);
      const { polls: _polls, ...visible } = batch;
      return send(response, 200, visible);
    }
    const batchMatch = /^\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    if (batchMatch) {
      const batch = batches.get(batchMatch[1] as string);
      if (!batch) return apiError(response, 404, 'No such batch', 'batch_not_found');
      if (batchMatch[2]) batch['status'] = 'cancelled';
      else if (batch['status'] !== 'completed' && batch['status'] !== 'cancelled') {
        batch.polls += 1;
        if (batch.polls >= (state.options.batchPolls ?? 2)) processBatch(batch);
        else batch['status'] = 'in_progress';
      }
      const { polls: _polls, ...visible } = batch;
      return send(response, 200, visible);
    }
    if (request.method === 'POST' && path === '/fine_tuning/jobs') {
      if (!files.has(String(object['training_file'])))
        return apiError(response, 400, 'training file not found', 'invalid_file');
      const id = `ftjob-${nextId()}`;
      const job = {
        id,
        object: 'fine_tuning.job',
        model: object['model'],
        training_file: object['training_file'],
        validation_file: object['validation_file'] ?? null,
        suffix: object['suffix'] ?? null,
        status: 'validating_files',
        fine_tuned_model: null,
        created_at: Math.floor(Date.now() / 1000),
        finished_at: null,
        error: null,
        hyperparameters: object['hyperparameters'] ?? {},
        result_files: [],
        seed: 0,
        trained_tokens: null,
        organization_id: 'org-test',
        polls: 0,
        events: [] as Record<string, unknown>[],
      };
      jobs.set(id, job);
      const { polls: _polls, events: _events, ...visible } = job;
      return send(response, 200, visible);
    }
    const jobMatch = /^\/fine_tuning\/jobs\/([^/]+)(\/cancel|\/events)?$/.exec(path);
    if (jobMatch) {
      const job = jobs.get(jobMatch[1] as string);
      if (!job) return apiError(response, 404, 'No such job', 'job_not_found');
      if (jobMatch[2] === '/events') {
        return send(response, 200, { object: 'list', data: [...job.events].reverse(), has_more: false });
      }
      if (jobMatch[2] === '/cancel') job['status'] = 'cancelled';
      else advanceJob(job);
      const { polls: _polls, events: _events, ...visible } = job;
      return send(response, 200, visible);
    }
    entry.status = 404;
    return apiError(response, 404, `no route for ${request.method} ${path}`, 'not_found');
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: Error) => {
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
    log,
    completions: () =>
      log.filter(
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
