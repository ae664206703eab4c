import { NxtError } from '../shared/index.js';

/** One failed call to a model server, classified once so every caller can branch on fields, not text. */
export class LlmApiError extends NxtError {
  /** HTTP status, or null for network errors and timeouts. */
  readonly status: number | null;
  /** Whether trying again may succeed (429, 408, 409, 5xx, network). */
  readonly isRetryable: boolean;
  /** What the server asked us to wait (Retry-After), if it did. */
  readonly retryAfterMs: number | null;

  constructor(
    message: string,
    fields: {
      status: number | null;
      isRetryable: boolean;
      retryAfterMs?: number | null;
      code?: string;
      cause?: unknown;
    },
  ) {
    super(fields.code ?? 'llm-api', message, { cause: fields.cause });
    this.name = 'LlmApiError';
    this.status = fields.status;
    this.isRetryable = fields.isRetryable;
    this.retryAfterMs = fields.retryAfterMs ?? null;
  }

  /** 401, 403 and 404 mean every request will fail the same way: the run should stop and say why. */
  get isFatal(): boolean {
    return this.status === 401 || this.status === 403 || this.status === 404;
  }
}

const RETRYABLE = new Set([408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529]);

/** Parses `retry-after-ms`, `Retry-After` in seconds, or `Retry-After` as an HTTP date. */
export function retryAfterMs(
  headers: { get(name: string): string | null } | undefined,
  now = Date.now(),
): number | null {
  if (!headers) return null;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function advice(status: number, model: string, baseUrl: string): string {
  if (status === 401)
    return `the server at ${baseUrl} rejected the API key: check the key variable named in the model spec (default OPENAI_API_KEY)`;
  if (status === 403)
    return `the server at ${baseUrl} refused access to ${model}: the key lacks permission for this model or endpoint`;
  return `model '${model}' was not found at ${baseUrl}: check the model name (nxt llm ping --model ${model} shows the models the server lists)`;
}

interface SdkErrorLike {
  status?: number;
  headers?: { get(name: string): string | null };
  message?: string;
  name?: string;
}

/** Turns whatever the SDK or fetch threw into an `LlmApiError`. */
export function classifyError(error: unknown, context: { model: string; baseUrl: string }): LlmApiError {
  if (error instanceof LlmApiError) return error;
  const sdk = error as SdkErrorLike;
  const status = typeof sdk?.status === 'number' ? sdk.status : null;
  const message = (sdk?.message ?? String(error)).split('\n')[0] ?? '';
  if (status === null) {
    const timeout = sdk?.name === 'APIConnectionTimeoutError' || /timed? ?out/i.test(message);
    return new LlmApiError(
      `${timeout ? 'request timed out' : 'network error'} talking to ${context.baseUrl}: ${message}`,
      {
        status: null,
        isRetryable: true,
        code: timeout ? 'llm-timeout' : 'llm-network',
        cause: error,
      },
    );
  }
  if (status === 401 || status === 403 || status === 404) {
    return new LlmApiError(advice(status, context.model, context.baseUrl), {
      status,
      isRetryable: false,
      cause: error,
    });
  }
  return new LlmApiError(`HTTP ${status} from ${context.baseUrl}: ${message}`, {
    status,
    isRetryable: RETRYABLE.has(status) || status >= 500,
    retryAfterMs: retryAfterMs(sdk.headers),
    cause: error,
  });
}
