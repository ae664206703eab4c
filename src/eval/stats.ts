import { seededRandom } from '../shared/index.js';

/**
 * The unbiased pass@k estimator (Chen et al. 2021) for n samples of which c passed:
 * 1 - C(n-c, k) / C(n, k), computed as a product so it stays exact for large n.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (k > n) throw new RangeError(`pass@${k} needs at least ${k} samples, got ${n}`);
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** The mean of `values`, 0 for none. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** A 95% percentile bootstrap interval of the mean over `values` (tasks resampled with replacement). */
export function bootstrapInterval(values: readonly number[], resamples = 1000, seed = 1): [number, number] {
  if (values.length === 0) return [0, 0];
  const random = seededRandom(seed);
  const means: number[] = [];
  for (let round = 0; round < resamples; round++) {
    let sum = 0;
    for (let index = 0; index < values.length; index++) sum += values[Math.floor(random() * values.length)] as number;
    means.push(sum / values.length);
  }
  means.sort((a, b) => a - b);
  return [means[Math.floor(0.025 * resamples)] as number, means[Math.ceil(0.975 * resamples) - 1] as number];
}

/**
 * Paired bootstrap of the mean difference a - b over the same tasks: the observed difference, its 95%
 * interval, and a two-sided p-value (twice the share of resamples on the other side of zero).
 */
export function pairedBootstrap(a: readonly number[], b: readonly number[], resamples = 2000, seed = 1) {
  if (a.length !== b.length) throw new RangeError('paired samples must have the same length');
  const differences = a.map((value, index) => value - (b[index] as number));
  const observed = mean(differences);
  const random = seededRandom(seed);
  const means: number[] = [];
  for (let round = 0; round < resamples; round++) {
    let sum = 0;
    for (let index = 0; index < differences.length; index++)
      sum += differences[Math.floor(random() * differences.length)] as number;
    means.push(sum / Math.max(1, differences.length));
  }
  means.sort((x, y) => x - y);
  const below = means.filter((value) => value <= 0).length / resamples;
  const above = means.filter((value) => value >= 0).length / resamples;
  return {
    difference: observed,
    interval: [means[Math.floor(0.025 * resamples)] ?? 0, means[Math.ceil(0.975 * resamples) - 1] ?? 0] as [
      number,
      number,
    ],
    pValue: Math.min(1, 2 * Math.min(below, above)),
  };
}
