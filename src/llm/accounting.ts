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
  /** Worst-case cost of the requests in flight: held against the budget until each one is billed. */
  reservedUsd = 0;
  /** Requests not sent because the budget could not cover their worst case. */
  refusedForBudget = 0;
  readonly #price: Price | undefined;
  readonly #budgetUsd: number | undefined;
  readonly #discount: number;
  /** Reservations not yet released, and requests waiting for one of them to be released. */
  #holders = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(options: { price?: Price | undefined; budgetUsd?: number | undefined; discount?: number } = {}) {
    this.#price = options.price;
    this.#budgetUsd = options.budgetUsd;
    this.#discount = options.discount ?? 1;
  }

  /** Records tokens; `discount` 0.5 for Batch API prices. */
  addUsage(promptTokens: number, completionTokens: number, discount = this.#discount): void {
    this.promptTokens += promptTokens;
    this.completionTokens += completionTokens;
    this.costUsd += this.costOf(promptTokens, completionTokens, discount);
  }

  /** True once the spend reached the budget or a request was held back for it: no new requests go out. */
  get overBudget(): boolean {
    return this.#budgetUsd !== undefined && (this.costUsd >= this.#budgetUsd || this.refusedForBudget > 0);
  }

  /** True when the server billed more than the budget (usage beyond the requests' stated worst case). */
  get exceededBudget(): boolean {
    return this.#budgetUsd !== undefined && this.costUsd > this.#budgetUsd;
  }

  get budgetUsd(): number | undefined {
    return this.#budgetUsd;
  }

  /** Dollars for `promptTokens` in and `completionTokens` out at this client's price (0 without one). */
  costOf(promptTokens: number, completionTokens: number, discount = this.#discount): number {
    if (!this.#price) return 0;
    return (discount * (promptTokens * this.#price.inputPerMTok + completionTokens * this.#price.outputPerMTok)) / 1e6;
  }

  /**
   * Holds `worstCaseUsd` against the budget for a request about to be sent, so that requests in flight
   * never pass it together. While other requests hold budget they may not use, waits for them to be billed
   * before deciding. False (nothing held) once spent + held + this would pass the budget with nothing
   * left to come back; from then on every request is refused (the run stops, it does not pick smaller
   * requests). Without a budget every request may go. Pair a true with `release`.
   */
  async reserve(worstCaseUsd: number): Promise<boolean> {
    for (;;) {
      if (this.tryReserve(worstCaseUsd)) return true;
      if (this.refusedForBudget > 0) return false;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** `reserve` without waiting: false when it does not fit now (and, with nothing held, stops the run). */
  tryReserve(worstCaseUsd: number): boolean {
    if (this.#budgetUsd === undefined) return true;
    if (this.refusedForBudget > 0) return false;
    if (this.costUsd + this.reservedUsd + worstCaseUsd <= this.#budgetUsd) {
      this.reservedUsd += worstCaseUsd;
      this.#holders += 1;
      return true;
    }
    if (this.#holders === 0) this.refusedForBudget += 1;
    return false;
  }

  /** Returns a reservation once its request was billed (`addUsage`) or failed; wakes waiting requests. */
  release(worstCaseUsd: number): void {
    if (this.#budgetUsd === undefined) return;
    this.#holders -= 1;
    // Exactly zero when nothing is held, whatever the floating-point sum left over.
    this.reservedUsd = this.#holders === 0 ? 0 : this.reservedUsd - worstCaseUsd;
    for (const wake of this.#waiters.splice(0)) wake();
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
