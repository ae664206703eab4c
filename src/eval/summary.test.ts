import { describe, expect, it } from 'vitest';
import type { ResultRecord } from './records.js';
import { summarize } from './summary.js';

function result(taskId: string, index: number, pass: boolean): ResultRecord {
  return {
    schemaVersion: 1,
    taskId,
    mode: 'sample',
    index,
    outcome: 'judged',
    rationale: '',
    program: '',
    base: null,
    plus: null,
    pass,
    basePass: pass,
  };
}

describe('summarize', () => {
  it('gives the same summary whatever order the results were written in', () => {
    // Every task a different fix rate (c of 10 for c = 0..9), so resampling order shows in the intervals.
    const results = Array.from({ length: 10 }, (_, task) =>
      Array.from({ length: 10 }, (_, index) => result(`T/${task}`, index, index < task)),
    ).flat();
    const input = {
      dataset: 'd',
      model: 'm',
      samplesPerTask: 10,
      k: [1, 2, 4],
      labels: new Map(),
      hasPlus: false,
      tokens: { prompt: 0, completion: 0 },
      costUsd: null,
    };
    const forward = summarize({ ...input, results });
    const shuffled = summarize({ ...input, results: [...results].reverse() });
    const interleaved = summarize({
      ...input,
      results: [...results.filter((_, i) => i % 2), ...results.filter((_, i) => i % 2 === 0)],
    });
    expect(shuffled).toEqual(forward);
    expect(interleaved).toEqual(forward);
  });
});
