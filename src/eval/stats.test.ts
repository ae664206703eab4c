import { describe, expect, it } from 'vitest';
import { bootstrapInterval, pairedBootstrap, passAtK } from './stats.js';

/** pass@k by brute force: the share of all k-subsets of the n samples that hold at least one pass. */
function bruteForce(n: number, c: number, k: number): number {
  let hits = 0;
  let total = 0;
  const choose = (start: number, left: number, passes: number) => {
    if (left === 0) {
      total += 1;
      if (passes > 0) hits += 1;
      return;
    }
    for (let index = start; index <= n - left; index++) choose(index + 1, left - 1, passes + (index < c ? 1 : 0));
  };
  choose(0, k, 0);
  return hits / total;
}

describe('passAtK', () => {
  it('equals brute-force enumeration for every n <= 12, c <= n, k <= n', () => {
    for (let n = 1; n <= 12; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) expect(passAtK(n, c, k)).toBeCloseTo(bruteForce(n, c, k), 12);
      }
    }
  });

  it('refuses k above n', () => {
    expect(() => passAtK(3, 1, 5)).toThrow('pass@5 needs at least 5 samples, got 3');
  });
});

describe('bootstrap', () => {
  it('brackets the mean and is repeatable with a seed', () => {
    const values = [0, 1, 1, 0, 1, 0.5, 0.25, 1, 0, 1];
    const [low, high] = bootstrapInterval(values);
    expect(low).toBeLessThan(0.575);
    expect(high).toBeGreaterThan(0.575);
    expect(bootstrapInterval(values)).toEqual([low, high]);
    expect(bootstrapInterval([1, 1, 1])).toEqual([1, 1]);
  });

  it('finds a clear paired difference and none between equal runs', () => {
    const a = Array.from({ length: 40 }, (_, index) => (index % 4 === 0 ? 0 : 1));
    const b = Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? 0 : 1));
    const clear = pairedBootstrap(a, b);
    expect(clear.difference).toBeCloseTo(0.25);
    expect(clear.interval[0]).toBeGreaterThan(0);
    expect(clear.pValue).toBeLessThan(0.05);
    expect(pairedBootstrap(a, a)).toMatchObject({ difference: 0, pValue: 1 });
  });
});
