import type { Accounting } from './accounting.js';
import { type CallResult, type Endpoint, pickEndpoint, send } from './endpoint.js';
import { classifyError, LlmApiError } from './errors.js';
import { estimateTokens, worstCaseTokens } from './request-size.js';
import type { ModelSpec } from './spec.js';
import type { SampleRequest } from './types.js';

/** What the retry layer works with, resolved once per client. */
export interface RetryContext {
  readonly spec: ModelSpec;
  readonly accounting: Accounting;
  readonly endpoints: readonly Endpoint[];
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly random: () => number;
  /** The first fatal error (rejected key, unknown model): every later call throws it. */
  fatal: LlmApiError | null;
}

/**
 * One logical request through the one retry layer: the least loaded endpoint that is up, its
 * concurrency slot and rate limits, the request's worst-case cost held against the budget, then
 * backoff with jitter (and Retry-After) and failover until it succeeds, fails for good or runs out of
 * attempts. The slot and the held cost are kept through the backoff. Throws an `LlmApiError` with
 * `attempts`.
 */
export async function callWithRetries(
  context: RetryContext,
  request: SampleRequest,
  n: number,
  seed: number | undefined,
): Promise<CallResult> {
  for (let attempt = 1; ; attempt++) {
    if (context.fatal) throw context.fatal;
    const endpoint = pickEndpoint(context.endpoints, context.now());
    const release = await endpoint.concurrency.acquire();
    // Only requests about to be sent hold budget: one queued for a connection holds none.
    const worst = worstCaseTokens(request, n);
    const heldUsd = context.accounting.costOf(worst.promptTokens, worst.completionTokens);
    if (!(await context.accounting.reserve(heldUsd))) {
      release();
      throw new LlmApiError(budgetMessage(context.accounting, heldUsd), {
        status: null,
        isRetryable: false,
        code: 'budget',
      });
    }
    try {
      return await sendOnce(context, endpoint, request, n, seed);
    } catch (caught) {
      const error = noteFailure(context, endpoint, caught);
      if (!error.isRetryable || attempt >= context.spec.maxAttempts) {
        context.accounting.failedRequests += 1;
        throw Object.assign(error, { attempts: attempt });
      }
      context.accounting.retries += 1;
      await context.sleep(backoffMs(context, attempt, error));
    } finally {
      release();
      context.accounting.release(heldUsd);
    }
  }
}

/** One attempt on `endpoint`, within its rate limits; an answer without choices is a retryable error. */
async function sendOnce(
  context: RetryContext,
  endpoint: Endpoint,
  request: SampleRequest,
  n: number,
  seed: number | undefined,
): Promise<CallResult> {
  const estimate = estimateTokens(request, n);
  if (endpoint.requests) await endpoint.requests.take(1, context.sleep);
  if (endpoint.tokens) await endpoint.tokens.take(estimate, context.sleep);
  context.accounting.requests += 1;
  const result = await send(endpoint, context.spec, request, n, seed);
  if (result.choices.length === 0) {
    throw new LlmApiError(`${endpoint.baseUrl} answered with no choices`, {
      status: null,
      isRetryable: true,
      code: 'llm-empty',
    });
  }
  endpoint.tokens?.refund(Math.max(0, estimate - result.promptTokens - result.completionTokens));
  endpoint.concurrency.succeeded();
  endpoint.failures = 0;
  context.accounting.addUsage(result.promptTokens, result.completionTokens);
  return result;
}

/**
 * The failure as an `LlmApiError`, after what it says about the endpoint: a fatal one is kept and
 * thrown, a 429 shrinks the endpoint's concurrency, a server or network failure takes it out for a while.
 */
function noteFailure(context: RetryContext, endpoint: Endpoint, caught: unknown): LlmApiError {
  const error = classifyError(caught, { model: context.spec.model, baseUrl: endpoint.baseUrl });
  if (error.isFatal) {
    context.fatal = error;
    throw error;
  }
  if (error.status === 429) {
    context.accounting.throttled += 1;
    endpoint.concurrency.throttled();
  }
  if (error.status === null || (error.status >= 500 && error.status !== 529)) {
    const { baseBackoffMs, maxBackoffMs } = context.spec;
    endpoint.failures += 1;
    endpoint.downUntil = context.now() + Math.min(maxBackoffMs, baseBackoffMs * 2 ** endpoint.failures);
  }
  return error;
}

/** A random delay up to the exponential backoff of `attempt`, and never shorter than Retry-After. */
function backoffMs(context: RetryContext, attempt: number, error: LlmApiError): number {
  const { baseBackoffMs, maxBackoffMs } = context.spec;
  const backoff = context.random() * Math.min(maxBackoffMs, baseBackoffMs * 2 ** (attempt - 1));
  return Math.max(backoff, error.retryAfterMs ?? 0);
}

function budgetMessage(accounting: Accounting, heldUsd: number): string {
  const spent = `$${accounting.costUsd.toFixed(4)} spent and $${accounting.reservedUsd.toFixed(4)} held for requests in flight`;
  if (!Number.isFinite(heldUsd))
    return 'a request without max_tokens has no worst-case cost, so it cannot be sent under a budget';
  return `the budget of $${accounting.budgetUsd} cannot cover this request's worst case ($${heldUsd.toFixed(4)}) with ${spent}`;
}
