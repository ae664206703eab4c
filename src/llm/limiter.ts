/**
 * Concurrency that adapts to the server: it halves on a 429 and grows back by one slot per `limit`
 * successes (additive increase, multiplicative decrease), never above `max`.
 */
export class AdaptiveConcurrency {
  readonly max: number;
  #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(max: number) {
    this.max = max;
    this.#limit = max;
  }

  get limit(): number {
    return Math.floor(this.#limit);
  }

  get active(): number {
    return this.#active;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Waits for a slot; call the returned function to give it back. */
  async acquire(): Promise<() => void> {
    while (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active -= 1;
      this.#wake();
    };
  }

  throttled(): void {
    this.#limit = Math.max(1, this.#limit / 2);
  }

  succeeded(): void {
    if (this.#limit < this.max) {
      this.#limit = Math.min(this.max, this.#limit + 1 / this.#limit);
      this.#wake();
    }
  }

  #wake(): void {
    // Woken waiters re-check the limit themselves, so waking one too many is harmless.
    for (let free = this.limit - this.#active; free > 0 && this.#waiting.length > 0; free--) {
      (this.#waiting.shift() as () => void)();
    }
  }
}

/** A per-minute budget (requests or tokens) as a token bucket that refills continuously. */
export class PerMinuteBudget {
  readonly #perMs: number;
  readonly #capacity: number;
  #available: number;
  #stamp: number;
  readonly #now: () => number;

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMs = perMinute / 60_000;
    this.#capacity = perMinute;
    this.#available = perMinute;
    this.#now = now;
    this.#stamp = now();
  }

  #refill(): void {
    const now = this.#now();
    this.#available = Math.min(this.#capacity, this.#available + (now - this.#stamp) * this.#perMs);
    this.#stamp = now;
  }

  /** Waits until `amount` is available (amounts above the capacity wait for a full bucket), then takes it. */
  async take(amount: number, sleep: (ms: number) => Promise<void>): Promise<void> {
    const wanted = Math.min(amount, this.#capacity);
    for (;;) {
      this.#refill();
      if (this.#available >= wanted) {
        this.#available -= wanted;
        return;
      }
      await sleep(Math.max(1, Math.ceil((wanted - this.#available) / this.#perMs)));
    }
  }

  /** Gives back what was taken but not used (an estimate that proved too high). */
  refund(amount: number): void {
    this.#refill();
    this.#available = Math.min(this.#capacity, this.#available + amount);
  }
}
