import { describe, expect, it } from 'vitest';
import { parseRating } from './ratings.js';

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
