import type { ServerResponse } from 'node:http';
import { seededRandom } from '../../shared/index.js';
import { apiError, send } from './http.js';
import {
  defaultAnswer,
  type FaultKind,
  type LoggedRequest,
  type ScriptedAnswer,
  type ScriptedRequest,
} from './script.js';
import type { Route, ServerState } from './server-state.js';

type Kind = 'chat' | 'completions';

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function answer(state: ServerState, kind: Kind, body: Record<string, unknown>, choice: number): ScriptedAnswer {
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

function usageOf(kind: Kind, body: Record<string, unknown>, answers: readonly ScriptedAnswer[]) {
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
  return usage;
}

/** A completion response (chat or text) with the script's answers, `n` of them when the server honours n. */
export function completion(state: ServerState, kind: Kind, body: Record<string, unknown>): Record<string, unknown> {
  const requested = typeof body['n'] === 'number' ? body['n'] : 1;
  const n = state.options.supportsN === false ? 1 : requested;
  const answers = Array.from({ length: n }, (_, choice) => answer(state, kind, body, choice));
  const usage = usageOf(kind, body, answers);
  state.counter += 1;
  const common = {
    id: `cmpl-${state.counter}`,
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

function pickFault(state: ServerState, body: Record<string, unknown>): FaultKind | null {
  const options = state.options;
  if ((options.faultSeed ?? 1) !== state.currentSeed) {
    state.currentSeed = options.faultSeed ?? 1;
    state.random = seededRandom(state.currentSeed);
  }
  if (options.fault) return options.fault({ body, count: state.completionCount });
  if (!options.faultRate) return null;
  const roll = state.random();
  const kinds = options.faultKinds ?? ['429', '500', 'hang', 'reset', 'malformed', 'empty-choices'];
  if (roll >= options.faultRate) return null;
  return kinds[Math.floor(state.random() * kinds.length)] ?? null;
}

/** Answers with `fault` instead of the completion (or with the completion when there is none). */
function answerWithFault(
  state: ServerState,
  fault: FaultKind | null,
  retryAfter: number,
  kind: Kind,
  body: Record<string, unknown>,
  response: ServerResponse,
  entry: LoggedRequest,
) {
  switch (fault) {
    case '429':
      entry.status = 429;
      return send(
        response,
        429,
        { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
        { 'retry-after': String(Math.ceil(retryAfter / 1000)), 'retry-after-ms': String(retryAfter) },
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
      const text = JSON.stringify(completion(state, kind, body));
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
      return send(response, 200, completion(state, kind, body));
  }
}

async function handleCompletion(kind: Kind, { state, object: body, response, entry }: Parameters<Route>[0]) {
  const options = state.options;
  if (options.models && !options.models.includes(String(body['model']))) {
    entry.status = 404;
    return apiError(response, 404, `The model '${body['model']}' does not exist`, 'model_not_found');
  }
  state.completionCount += 1;
  const fault = pickFault(state, body);
  entry.fault = fault;
  if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
  answerWithFault(state, fault, options.retryAfterMs ?? 10, kind, body, response, entry);
}

/** POST /chat/completions and /completions, with the scripted faults. */
export const completionRoute: Route = async (context) => {
  if (context.method !== 'POST') return false;
  if (context.path === '/chat/completions') await handleCompletion('chat', context);
  else if (context.path === '/completions') await handleCompletion('completions', context);
  else return false;
  return true;
};
