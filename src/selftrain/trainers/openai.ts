import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { Trained, TrainerEntry, TrainStep, Zod } from './trainer.js';

const schema = (z: Zod) =>
  z.strictObject({
    kind: z.literal('openai'),
    suffix: z.string().default('nxt'),
    epochs: z.number().int().positive().optional(),
    pollIntervalMs: z.number().int().positive().default(30_000),
  });
type OpenAiSettings = z.output<ReturnType<typeof schema>>;

/** OpenAI's fine-tuning API: upload, create the job (its id saved before waiting), poll until done. */
export const openai = {
  description: 'the OpenAI fine-tuning API (the base model must be one it can tune)',
  schema,
  fromFlags: () => ({ kind: 'openai' }),
  train: trainWithOpenAi,
} as const satisfies TrainerEntry<ReturnType<typeof schema>>;

async function trainWithOpenAi(settings: OpenAiSettings, step: TrainStep): Promise<Trained> {
  const { current, deps } = step;
  // Loaded here, not at the top: `nxt --help` reads this file and must not load the OpenAI SDK.
  const { FineTuner } = await import('../../llm/index.js');
  const base = deps.client(step.baseModel);
  const tuner = new FineTuner(base.sdk, { pollIntervalMs: deps.pollIntervalMs ?? settings.pollIntervalMs });
  if (!current.job) {
    const fileId = await tuner.uploadFile(await readFile(step.trainFile), `nxt-iter-${current.iteration}.jsonl`);
    current.phase = 'training';
    current.job = await tuner.createJob({
      model: base.spec.model,
      trainingFileId: fileId,
      suffix: settings.suffix,
      ...(settings.epochs ? { hyperparameters: { n_epochs: settings.epochs } } : {}),
    });
    await step.save();
  }
  deps.log(`iteration ${current.iteration}: waiting for fine-tuning job ${current.job}`);
  const model = await tuner.waitForJob(current.job, (event) => deps.log(`  ${event.message}`));
  return { status: 'trained', model: deps.derive(step.baseModel, model) };
}
