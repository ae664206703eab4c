import { type Rating, type RatingInput, RatingSchema, resultKey } from '../runs/index.js';

/** Validates a rating sent by the viewer's form; the message names each field to fix ("correctness: choose ..."). */
export function parseRating(input: unknown): { rating: RatingInput; error: null } | { rating: null; error: string } {
  const parsed = RatingSchema.safeParse(input);
  if (parsed.success) return { rating: parsed.data, error: null };
  const problems = parsed.error.issues.map((issue) =>
    issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
  );
  return { rating: null, error: `rating not saved: ${problems.join('; ')}` };
}

const csvCell = (value: unknown) => {
  const text = String(value ?? '');
  // Quoted, and a leading formula character neutralised so spreadsheets do not evaluate it.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
};

export function ratingsCsv(ratings: readonly Rating[]): string {
  const header = ['task_id', 'mode', 'index', 'rater', 'correctness', 'helpfulness', 'comment', 'at'];
  const rows = ratings.map((rating) =>
    [
      rating.taskId,
      rating.mode,
      rating.index,
      rating.rater,
      rating.correctness,
      rating.helpfulness,
      rating.comment,
      rating.at,
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[header.join(','), ...rows].join('\n')}\n`;
}

export interface ScoreAgreement {
  exact: number;
  withinOne: number;
  meanAbsoluteDifference: number;
}

export interface Agreement {
  /** Samples rated by at least two raters. */
  samples: number;
  /** Pairs of ratings of one sample by two raters: what the shares below are over. */
  pairs: number;
  /** Null when there is no pair to compare (no agreement, not 0% agreement). */
  correctness: ScoreAgreement | null;
  helpfulness: ScoreAgreement | null;
}

/** Agreement between raters on the samples several of them rated (each rater's latest rating counts). */
export function agreement(ratings: readonly Rating[]): Agreement {
  const latest = new Map<string, Map<string, Rating>>();
  for (const rating of ratings) {
    const sample = resultKey(rating.taskId, rating.mode, rating.index);
    const byRater = latest.get(sample) ?? new Map<string, Rating>();
    byRater.set(rating.rater, rating);
    latest.set(sample, byRater);
  }
  const pairs: [Rating, Rating][] = [];
  let samples = 0;
  for (const byRater of latest.values()) {
    const list = [...byRater.values()];
    if (list.length < 2) continue;
    samples += 1;
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) pairs.push([list[i] as Rating, list[j] as Rating]);
  }
  const stats = (field: 'correctness' | 'helpfulness'): ScoreAgreement | null => {
    if (pairs.length === 0) return null;
    const differences = pairs.map(([a, b]) => Math.abs(a[field] - b[field]));
    return {
      exact: differences.filter((value) => value === 0).length / pairs.length,
      withinOne: differences.filter((value) => value <= 1).length / pairs.length,
      meanAbsoluteDifference: differences.reduce((sum, value) => sum + value, 0) / pairs.length,
    };
  };
  return { samples, pairs: pairs.length, correctness: stats('correctness'), helpfulness: stats('helpfulness') };
}
