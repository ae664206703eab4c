import type { RepairStrategy } from './feedback.js';

/** Single-shot NExT repair (the paper): one answer per sample, no feedback. */
export const nxt: RepairStrategy = {
  description: 'NExT: one answer per sample from the traced prompt, as in the paper',
  defaultTurns: 1,
  async feedback() {
    return null;
  },
};
