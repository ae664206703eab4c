import { describe, expect, it } from 'vitest';
import type { Rating } from '../runs/index.js';
import { agreement, parseRating } from './ratings.js';

const sample = { taskId: 'Python/3', mode: 'sample', index: 0 } as const;

describe('parseRating', () => {
  it('accepts a rating whose scores were chosen', () => {
    const parsed = parseRating({ ...sample, rater: 'ann', correctness: 4, helpfulness: 2 });
    expect(parsed.error).toBeNull();
    expect(parsed.rating).toMatchObject({ rater: 'ann', correctness: 4, helpfulness: 2, comment: '' });
  });

  it('refuses a rating with a score missing or out of range, naming each field to fix', () => {
    expect(parseRating({ ...sample, rater: 'ann', helpfulness: 3 }).error).toMatchInlineSnapshot(
      `"rating not saved: correctness: choose a score from 1 to 5"`,
    );
    expect(parseRating({ ...sample, rater: 'ann', correctness: null, helpfulness: 0 }).error).toMatchInlineSnapshot(
      `"rating not saved: correctness: choose a score from 1 to 5; helpfulness: choose a score from 1 to 5"`,
    );
    expect(parseRating({ ...sample, rater: ' ', correctness: 2, helpfulness: 2 }).error).toMatchInlineSnapshot(
      `"rating not saved: rater: give your name"`,
    );
  });
});

describe('agreement', () => {
  const rating = (rater: string, index: number, correctness: number): Rating => ({
    ...sample,
    index,
    rater,
    correctness,
    helpfulness: 3,
    comment: '',
    at: '2026-01-01T00:00:00.000Z',
  });

  it('is none, not 0%, while no sample has two raters', () => {
    expect(agreement([])).toMatchObject({ samples: 0, pairs: 0, correctness: null, helpfulness: null });
    expect(agreement([rating('ann', 0, 4), rating('ben', 1, 4)])).toMatchObject({ pairs: 0, correctness: null });
  });

  it("counts each pair of raters on one sample, with each rater's latest rating", () => {
    const result = agreement([rating('ann', 0, 1), rating('ann', 0, 4), rating('ben', 0, 4), rating('cy', 0, 2)]);
    expect(result.samples).toBe(1);
    expect(result.pairs).toBe(3);
    // ann 4 / ben 4 agree exactly; 4 / 2 twice differ by two.
    expect(result.correctness).toEqual({ exact: 1 / 3, withinOne: 1 / 3, meanAbsoluteDifference: 4 / 3 });
  });
});
