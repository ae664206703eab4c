import { choiceNames, isChoice } from '../shared/index.js';

/** The self-training flags a trainer reads (the rest of its settings come from the config file). */
export interface TrainerFlags {
  trainCommand?: string | undefined;
  trainedModelTemplate?: string | undefined;
}

/**
 * Every way to fine-tune between iterations, by the name `--trainer` takes: the one table of them.
 * `fromFlags` is the trainer's part of the configuration as flags give it; its schema is in
 * config.ts and its training step in loop.ts, one per name (the compiler checks both).
 */
export const TRAINERS = {
  openai: {
    description: 'the OpenAI fine-tuning API (the base model must be one it can tune)',
    fromFlags: () => ({ kind: 'openai' }),
  },
  command: {
    description:
      'your command (--train-command) trains, then nxt samples the model it names (--trained-model-template)',
    fromFlags: (flags: TrainerFlags) => ({
      kind: 'command',
      command: flags.trainCommand,
      model: flags.trainedModelTemplate,
    }),
  },
  manual: {
    description: 'nxt writes the training set and stops; you train and serve it, then continue with --trained-model',
    fromFlags: () => ({ kind: 'manual' }),
  },
} as const;

export type TrainerName = keyof typeof TRAINERS;
export const TRAINER_NAMES = choiceNames(TRAINERS);

export function isTrainerName(value: string): value is TrainerName {
  return isChoice(TRAINERS, value);
}
