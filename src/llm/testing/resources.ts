import { completion } from './completions.js';
import { apiError, parseMultipart, send } from './http.js';
import {
  nextId,
  type Route,
  type ServerState,
  type StoredBatch,
  type StoredFile,
  type StoredJob,
} from './server-state.js';

/** GET /models. */
export const modelsRoute: Route = ({ state, method, path, response }) => {
  if (method !== 'GET' || path !== '/models') return false;
  const models = state.options.models ?? ['test-model'];
  send(response, 200, {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'nxt-test' })),
  });
  return true;
};

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

/** POST /files (multipart upload), GET /files/ID and /files/ID/content. */
export const fileRoutes: Route = ({ state, request, method, path, raw, response, entry }) => {
  if (method === 'POST' && path === '/files') {
    const parts = parseMultipart(raw, request.headers['content-type'] ?? '');
    const filePart = parts.find((part) => part.name === 'file');
    const id = `file-${nextId(state)}`;
    const file = {
      id,
      filename: filePart?.filename ?? 'upload',
      purpose: parts.find((part) => part.name === 'purpose')?.content.toString('utf8') ?? '',
      content: filePart?.content ?? Buffer.alloc(0),
      createdAt: Date.now(),
    };
    state.files.set(id, file);
    entry.body = { filename: file.filename, purpose: file.purpose, bytes: file.content.length };
    send(response, 200, fileObject(file));
    return true;
  }
  const fileMatch = /^\/files\/([^/]+)(\/content)?$/.exec(path);
  if (method !== 'GET' || !fileMatch) return false;
  const file = state.files.get(fileMatch[1] as string);
  if (!file) apiError(response, 404, 'No such file', 'file_not_found');
  else if (fileMatch[2]) {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    response.end(file.content);
  } else send(response, 200, fileObject(file));
  return true;
};

/** Completes a batch: every line of its input answered as the completion endpoints would. */
function processBatch(state: ServerState, batch: StoredBatch): void {
  const input = state.files.get(String(batch['input_file_id']));
  const lines = (input?.content.toString('utf8') ?? '').split('\n').filter((line) => line.trim() !== '');
  const output = lines.map((line) => {
    const item = JSON.parse(line) as { custom_id: string; url: string; body: Record<string, unknown> };
    const kind = item.url.endsWith('/chat/completions') ? 'chat' : 'completions';
    state.counter += 1;
    return JSON.stringify({
      id: `batch_req_${state.counter}`,
      custom_id: item.custom_id,
      response: { status_code: 200, request_id: `req_${state.counter}`, body: completion(state, kind, item.body) },
      error: null,
    });
  });
  const id = `file-${nextId(state)}`;
  state.files.set(id, {
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

function createBatch(state: ServerState, object: Record<string, unknown>): StoredBatch {
  const id = `batch_${nextId(state)}`;
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
  state.batches.set(id, batch);
  return batch;
}

/** POST /batches, GET /batches/ID (each poll brings it closer to done), POST /batches/ID/cancel. */
export const batchRoutes: Route = ({ state, method, path, object, response }) => {
  let batch: StoredBatch | undefined;
  const batchMatch = /^\/batches\/([^/]+)(\/cancel)?$/.exec(path);
  if (method === 'POST' && path === '/batches') {
    if (!state.files.has(String(object['input_file_id']))) {
      apiError(response, 400, 'input file not found', 'invalid_file');
      return true;
    }
    batch = createBatch(state, object);
  } else if (batchMatch) {
    batch = state.batches.get(batchMatch[1] as string);
    if (!batch) {
      apiError(response, 404, 'No such batch', 'batch_not_found');
      return true;
    }
    if (batchMatch[2]) batch['status'] = 'cancelled';
    else if (batch['status'] !== 'completed' && batch['status'] !== 'cancelled') {
      batch.polls += 1;
      if (batch.polls >= (state.options.batchPolls ?? 2)) processBatch(state, batch);
      else batch['status'] = 'in_progress';
    }
  } else return false;
  const { polls: _polls, ...visible } = batch;
  send(response, 200, visible);
  return true;
};

/** One poll of a fine-tuning job: started, then steps, then succeeded (or failed, when the options say). */
function advanceJob(state: ServerState, job: StoredJob): void {
  if (['succeeded', 'failed', 'cancelled'].includes(String(job['status']))) return;
  job.polls += 1;
  const event = (message: string) =>
    job.events.push({
      id: `ftevent-${nextId(state)}`,
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
      job['error'] = { code: 'invalid_training_file', message: 'The training file is invalid', param: 'training_file' };
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

function createJob(state: ServerState, object: Record<string, unknown>): StoredJob {
  const id = `ftjob-${nextId(state)}`;
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
  state.jobs.set(id, job);
  return job;
}

/** POST /fine_tuning/jobs, GET /fine_tuning/jobs/ID (each poll advances it), its /events and /cancel. */
export const jobRoutes: Route = ({ state, method, path, object, response }) => {
  let job: StoredJob | undefined;
  const jobMatch = /^\/fine_tuning\/jobs\/([^/]+)(\/cancel|\/events)?$/.exec(path);
  if (method === 'POST' && path === '/fine_tuning/jobs') {
    if (!state.files.has(String(object['training_file']))) {
      apiError(response, 400, 'training file not found', 'invalid_file');
      return true;
    }
    job = createJob(state, object);
  } else if (jobMatch) {
    job = state.jobs.get(jobMatch[1] as string);
    if (!job) {
      apiError(response, 404, 'No such job', 'job_not_found');
      return true;
    }
    if (jobMatch[2] === '/events') {
      send(response, 200, { object: 'list', data: [...job.events].reverse(), has_more: false });
      return true;
    }
    if (jobMatch[2] === '/cancel') job['status'] = 'cancelled';
    else advanceJob(state, job);
  } else return false;
  const { polls: _polls, events: _events, ...visible } = job;
  send(response, 200, visible);
  return true;
};
