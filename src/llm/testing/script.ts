import { createHash } from 'node:crypto';

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

/** The default script: a stable text that names the request and the choice. */
export function defaultAnswer(request: ScriptedRequest): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([request.model, request.messages, request.prompt, request.temperature, request.seed]))
    .digest('hex')
    .slice(0, 12);
  return `answer ${digest} #${request.choice}`;
}
