import { z } from 'zod';
import { runFile } from './files.js';
import { appendRecords, readRecords } from './io.js';
import { ModeSchema } from './records.js';

/** A score the rater chose: 1 to 5, never a default standing in for a choice not made. */
const score = () => {
  const error = 'choose a score from 1 to 5';
  return z.number({ error }).int({ error }).min(1, { error }).max(5, { error });
};

/** A rating of one sample's rationale, as the viewer's form sends it. */
export const RatingSchema = z.strictObject({
  taskId: z.string().min(1).max(200),
  mode: ModeSchema,
  index: z.number().int().nonnegative(),
  rater: z.string({ error: 'give your name' }).trim().min(1, { error: 'give your name' }).max(80),
  correctness: score(),
  helpfulness: score(),
  comment: z.string().max(4000).default(''),
});
export type RatingInput = z.infer<typeof RatingSchema>;

/** A line of a run's ratings.jsonl: a rating and when it was given. */
export const RatingRecordSchema = RatingSchema.extend({ at: z.string() });
export type Rating = z.infer<typeof RatingRecordSchema>;

/**
 * Adds a rating to the run's ratings.jsonl (through the one JSONL writer: whole lines, never
 * interleaved). The viewer writes that file, so it first repairs what a stopped write left (a torn
 * last line is cut, a whole one ended); a damaged line elsewhere or a link is a `run` error, and
 * nothing is written.
 */
export async function appendRating(runDir: string, rating: RatingInput): Promise<Rating> {
  const path = runFile(runDir, 'ratings');
  await readRecords(path, RatingRecordSchema, { repair: true });
  const stored = { ...rating, at: new Date().toISOString() };
  await appendRecords(path, [stored]);
  return stored;
}

/** Every rating of a run, oldest first; a damaged line (a torn last one too) or a link is an error naming it. */
export function readRatings(runDir: string): Promise<Rating[]> {
  return readRecords(runFile(runDir, 'ratings'), RatingRecordSchema);
}
