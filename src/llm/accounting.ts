import type { Price } from './spec.js';

/** Counters for one client; `snapshot()` gives a plain copy for reports. */
export class Accounting {
  requests = 0;
  retries = 0;
  failedRequests = 0;
  throttled = 0;
  cacheHits = 0;
  cacheMisses = 0;
  /** Samples another identical request in flight was already fetching. */
  shared = 0;
  promptTokens = 0;
  completionTokens = 0;
  costUsd = 0;
  readonly #price: Price | undefined;
  readonly #budgetUsd: number | undefined;
  readonly #discount: number;

  constructor(options: { price?: Price | undefined; budgetUsd?: number | undefined; discount?: number } = {}) {
    this.#price = options.price;
    this.#budgetUsd = options.budgetUsd;
    this.#discount = options.discount ?? 1;
  }

  /** Records tokens; `discount` 0.5 for Batch API prices. */
  addUsage(promptTokens: number, completionTokens: number, discount = this.#discount): void {
    this.promptTokens += promptTokens;
    this.completionTokens += completionTokens;
    if (this.#price) {
      this.costUsd +=
        (discount * (promptTokens * this.#price.inputPerMTok + completionTokens * this.#price.outputPerMTok)) / 1e6;
    }
  }

  /** True once the spend reached the budget: no new requests go out. */
  get overBudget(): boolean {
    return this.#budgetUsd !== undefined && this.costUsd >= this.#budgetUsd;
  }

  get hasPrice(): boolean {
    return this.#price !== undefined;
  }

  snapshot() {
    return {
      requests: this.requests,
      retries: this.retries,
      failedRequests: this.failedRequests,
      throttled: this.throttled,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      shared: this.shared,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      costUsd: this.hasPrice ? this.costUsd : null,
    };
  }
}
export type AccountingSnapshot = ReturnType<Accounting['snapshot']>;
