import { join } from 'node:path';
import type { Trained, TrainerEntry, TrainStep, Zod } from './trainer.js';

const schema = (z: Zod) => z.strictObject({ kind: z.literal('manual') });

/** The user trains: the run stops with the training set ready and goes on with `--trained-model`. */
export const manual = {
  description: 'nxt writes the training set and stops; you train and serve it, then continue with --trained-model',
  schema,
  fromFlags: () => ({ kind: 'manual' }),
  train: trainByHand,
} as const satisfies TrainerEntry<ReturnType<typeof schema>>;

async function trainByHand(
  _settings: unknown,
  { current, iterDir, trainFile, baseModel, deps }: TrainStep,
): Promise<Trained> {
  if (deps.trainedModel && current.phase === 'training') return { status: 'trained', model: deps.trainedModel };
  current.phase = 'training';
  return {
    status: 'waiting',
    message:
      `Iteration ${current.iteration}'s training set is ready: ${trainFile} (OpenAI chat format; ${join(iterDir, 'sft.hf.jsonl')} for TRL and similar).\n` +
      `Fine-tune the base model ${baseModel} on it, serve the result, then continue with:\n` +
      `  ${deps.resumeCommand ?? 'nxt selftrain --plan PLAN'} --trained-model MODEL_SPEC`,
  };
}
