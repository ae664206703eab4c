import type { z } from 'zod';
import { choiceNames, isChoice, nonEmpty } from '../../shared/index.js';
import { command } from './command.js';
import { manual } from './manual.js';
import { openai } from './openai.js';
import type { Trained, TrainStep, Zod } from './trainer.js';

export type { Trained, TrainerDeps, TrainerEntry, TrainerFlags, TrainStep, Zod } from './trainer.js';

/**
 * Every way to fine-tune between iterations, by the name `--trainer` takes: the one table of them.
 * Adding a trainer is a file in this folder (its settings' schema, its flags, its training step) and an
 * entry here; the CLI's choices and help, the plan's schema and the loop follow. Read by `nxt --help`:
 * nothing here loads zod or the OpenAI SDK.
 */
export const TRAINERS = { openai, command, manual } as const;

export type TrainerName = keyof typeof TRAINERS;
export const TRAINER_NAMES = choiceNames(TRAINERS);

export function isTrainerName(value: string): value is TrainerName {
  return isChoice(TRAINERS, value);
}

type SettingsOf = { [Name in TrainerName]: z.output<ReturnType<(typeof TRAINERS)[Name]['schema']>> };
type TrainSteps = { [Name in TrainerName]: { train(settings: SettingsOf[Name], step: TrainStep): Promise<Trained> } };
const TRAIN_STEPS: TrainSteps = TRAINERS;

/** The schema of each trainer's settings, in table order (for the plan's `trainer` union). */
export function trainerSchemas(zod: Zod) {
  return nonEmpty(TRAINER_NAMES.map((name) => TRAINERS[name].schema(zod)));
}

/** Trains one iteration with the trainer its settings name. */
export function train<Name extends TrainerName>(settings: SettingsOf[Name] & { kind: Name }, step: TrainStep) {
  const trainer: TrainSteps[Name] = TRAIN_STEPS[settings.kind];
  return trainer.train(settings, step);
}
