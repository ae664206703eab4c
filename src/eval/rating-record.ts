import { z } from 'zod';

/** A score the rater chose: 1 to 5, never a default standing in for a choice not made. */
const score = () => {
  const error = 'choose a score from 1 to 5';
  return z.number({ error }).int({ error }).min(1, { error }).max(5, { error });
};

/** A rating of one sample's rationale, as the viewer's form sends it. */
export const RatingSchema = z.strictObject({
  taskId: z.string().min(1).max(200),
  mode: z.enum(['sample', 'greedy']),
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
