import { describe, expect, it } from 'vitest';
import type { ResultRecord } from './records.js';
import { formatSummary, summarize } from './summary.js';

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
  it('counts samples the judge itself failed on apart from the programs that failed', () => {
    const fault = {
      ...result('T/0', 0, false),
      base: {
        status: 'error' as const,
        passed: 0,
        total: 1,
        reason: 'judge fault: the sandbox server failed: KeyError',
        judgeFault: true,
        tests: [{ status: 'not_run', exception: null }],
      },
    };
    const summary = summarize({
      dataset: 'd',
      model: 'm',
      samplesPerTask: 2,
      k: [1],
      labels: new Map(),
      hasPlus: false,
      tokens: { prompt: 0, completion: 0 },
      costUsd: null,
      results: [fault, result('T/0', 1, true)],
    });
    expect(summary.outcomes).toMatchObject({ judged: 2, passed: 1, judge_fault: 1 });
    expect(formatSummary(summary)).toContain('2 judged (1 judge faults: nxt failed, not the program');
  });
});
