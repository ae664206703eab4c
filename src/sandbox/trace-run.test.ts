import { describe, expect, it } from 'vitest';
import { JudgeFaultError } from './fork-server.js';
import { RawTraceSchema } from './trace-record.js';
import { type TraceHost, traceProgram } from './trace-run.js';
import type { RawResult } from './verdict.js';

/** What a fork-server answers for a traced run whose program loaded and whose one test failed. */
function answer(trace: unknown): RawResult {
  return {
    program: { status: 'ok', ms: 1, exception: null },
    tests: [
      {
        status: 'fail',
        ms: 1,
        exception: { type: 'AssertionError', message: '', line: 1, source: 'test' },
        sealed: false,
        cases: null,
      },
    ],
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    problem: null,
    wallMs: 2,
    forks: 1,
    trace: trace as RawResult['trace'],
  };
}

/** A sandbox whose traced runs answer `run()`: the server's answer, or its fault. */
function host(run: () => Promise<RawResult>): TraceHost {
  return {
    pythonVersion: '3.11.7',
    judgeProgram: () => Promise.reject(new Error('not used: the test is named')),
    runTraced: run,
  };
}

const PROGRAM = 'def f():\n    return 1\n';
const TESTS = ['assert f() == 2'];
const GOOD = { frames: [[0, '<module>', 0, -1, 'test', 1]], events: [['l', 0, 1, -1, null, null]], end: null };

describe('traceProgram when the judge fails on the traced run', () => {
  it('gives the program a judge-fault verdict when the server answers with a fault', async () => {
    const failing = host(() => Promise.reject(new JudgeFaultError('the sandbox server failed: MemoryError: ')));
    const result = await traceProgram(failing, PROGRAM, TESTS, { testIndex: 0 });
    expect(result.status).toBe('program-failed');
    expect(result.verdict).toMatchObject({ status: 'error', judgeFault: true, tests: [{ status: 'not_run' }] });
    expect(result.verdict?.problem).toContain('MemoryError');
  });

  it('gives the program a judge-fault verdict for a trace that does not make a Trace', async () => {
    const negative = { ...GOOD, end: { truncated: null, steps: -5, events: 1 } };
    const result = await traceProgram(
      host(() => Promise.resolve(answer(negative))),
      PROGRAM,
      TESTS,
      { testIndex: 0 },
    );
    expect(result).toMatchObject({ status: 'program-failed', verdict: { judgeFault: true } });
    expect(result.verdict?.problem).toMatch(/a trace nxt cannot read/);
  });

  it('traces when the trace is well formed', async () => {
    const result = await traceProgram(
      host(() => Promise.resolve(answer(GOOD))),
      PROGRAM,
      TESTS,
      { testIndex: 0 },
    );
    expect(result.status === 'traced' && result.trace.events).toHaveLength(1);
  });
});

describe('RawTraceSchema', () => {
  it('refuses numbers a Trace cannot hold: fractions, negatives, numbers past 2^31, infinities', () => {
    const event = (line: number, step: number) => ({ ...GOOD, events: [['l', 0, line, step, null, null]] });
    expect(RawTraceSchema.safeParse(event(1, -1)).success).toBe(true);
    for (const [line, step] of [
      [1.5, -1],
      [-1, -1],
      [1, -2],
      [2 ** 31, -1],
      [Number.POSITIVE_INFINITY, -1],
      [1, Number.NaN],
    ] as const) {
      expect(RawTraceSchema.safeParse(event(line, step)).success, `${line} ${step}`).toBe(false);
    }
    expect(RawTraceSchema.safeParse({ ...GOOD, frames: [[0, '<module>', 0, -1, 'test', 0]] }).success).toBe(false);
  });
});
