import { describe, expect, it } from 'vitest';
import { TrainerSchema } from '../config.js';
import { TRAINER_NAMES, TRAINERS } from './index.js';

describe('the trainer table', () => {
  it("is the plan's trainer schema: every entry's flags give settings of its kind, and no other kind passes", () => {
    const flags = { trainCommand: 'train {train_file}', trainedModelTemplate: 'nxt-{iteration}@http://gpu:8000/v1' };
    for (const name of TRAINER_NAMES) {
      const parsed = TrainerSchema.safeParse(TRAINERS[name].fromFlags(flags));
      expect(parsed.success && parsed.data.kind).toBe(name);
    }
    expect(TrainerSchema.safeParse({ kind: 'axolotl' }).success).toBe(false);
    expect(TrainerSchema.safeParse(TRAINERS.command.fromFlags({})).success).toBe(false);
  });
});
