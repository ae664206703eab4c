import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../runs/index.js';
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

  it('reports pass@k only when every task has n >= k, and says which k it left out and why', () => {
    // n = 10, 10 and 5: pass@10 over two tasks would be another benchmark than pass@10 over three.
    const results = [
      ...Array.from({ length: 10 }, (_, index) => result('T/0', index, index < 5)),
      ...Array.from({ length: 10 }, (_, index) => result('T/1', index, false)),
      ...Array.from({ length: 5 }, (_, index) => result('T/2', index, true)),
    ];
    const summary = summarize({
      dataset: 'd',
      model: 'm',
      samplesPerTask: 10,
      k: [1, 5, 10],
      labels: new Map([['T/2', 'a']]),
      hasPlus: false,
      tokens: { prompt: 0, completion: 0 },
      costUsd: null,
      results,
    });
    expect(Object.keys(summary['pass@k'].values)).toEqual(['pass@1', 'pass@5']);
    expect(summary['pass@k'].values['pass@1']).toBeCloseTo((0.5 + 0 + 1) / 3, 12);
    expect(summary['pass@k'].omitted).toEqual({ 'pass@10': { tasksBelow: 1, minSamples: 5 } });
    expect(summary.tasks).toBe(3);
    expect(summary.sampleCounts).toEqual({ min: 5, max: 10 });
    // A label whose tasks all have n >= k keeps its k: the rule is per set of tasks averaged over.
    expect(Object.keys(summary.byLabel.a?.values ?? {})).toEqual(['pass@1', 'pass@5']);
    const table = formatSummary(summary);
    expect(table).toContain('3 tasks × 5 to 10 samples');
    expect(table).toContain('pass@10 not reported: 1 of 3 tasks have fewer samples (the fewest: 5)');
  });
});
