import { describe, expect, it } from 'vitest';
import { judgeFaultVerdict, notRunReasons, type RawResult, toVerdict, VerdictSchema } from './verdict.js';

function raw(parts: Partial<RawResult> & { testStatuses?: string[] }): RawResult {
  const { testStatuses = ['pass'], ...rest } = parts;
  return {
    program: { status: 'ok', ms: 1, exception: null },
    tests: testStatuses.map((status) => ({ status, ms: 1, exception: null, sealed: true })),
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    problem: null,
    wallMs: 3,
    forks: 1,
    ...rest,
  };
}

describe('toVerdict', () => {
  it('passes only when the program loaded and every test passed', () => {
    expect(toVerdict(raw({ testStatuses: ['pass', 'pass'] }), '3.11').status).toBe('pass');
    expect(toVerdict(raw({ testStatuses: ['pass', 'not_run'] }), '3.11').status).toBe('fail');
    expect(toVerdict(raw({ testStatuses: ['pass', 'fail'] }), '3.11').status).toBe('fail');
    expect(toVerdict(raw({ testStatuses: ['error', 'pass'] }), '3.11').status).toBe('fail');
  });

  it('reports a timeout when a test timed out, even after another test failed', () => {
    const verdict = toVerdict(raw({ testStatuses: ['fail', 'timeout'] }), '3.11');
    expect(verdict.status).toBe('timeout');
    expect(verdict.reason).toBe('test 1 timed out');
  });

  it('makes any judge problem an error whatever the tests say', () => {
    const verdict = toVerdict(raw({ problem: 'the program closed the channel', testStatuses: ['pass'] }), '3.11');
    expect(verdict.status).toBe('error');
    expect(verdict.reason).toBe('the program closed the channel');
  });

  it('separates a program that does not load from one that loads too slowly', () => {
    const failed = raw({
      program: {
        status: 'error',
        ms: 0,
        exception: { type: 'SyntaxError', message: 'invalid syntax', line: 2, source: 'program' },
      },
      testStatuses: ['not_run'],
    });
    expect(toVerdict(failed, '3.11')).toMatchObject({
      status: 'error',
      reason: 'the program failed to load: SyntaxError: invalid syntax',
    });
    const slow = raw({ program: { status: 'timeout', ms: 0, exception: null }, testStatuses: ['not_run'] });
    expect(toVerdict(slow, '3.11').status).toBe('timeout');
  });

  it('names the first failing test and its exception in the reason', () => {
    const verdict = toVerdict(
      raw({
        tests: [
          { status: 'pass', ms: 1, exception: null, sealed: true },
          {
            status: 'error',
            ms: 1,
            sealed: true,
            exception: { type: 'TypeError', message: 'bad operand\nmore', line: 3, source: 'program' },
          },
        ],
      }),
      '3.11',
    );
    expect(verdict.reason).toBe('test 1 errored (TypeError: bad operand)');
  });

  it('maps statuses it does not know to error rather than trusting them', () => {
    const verdict = toVerdict(raw({ testStatuses: ['passed'] }), '3.11');
    expect(verdict.tests[0]?.status).toBe('error');
    expect(verdict.status).toBe('fail');
  });
  it('gives a program the judge failed on an error verdict that says so, in the verdict schema', () => {
    const verdict = judgeFaultVerdict(2, 'the sandbox server failed: KeyError', '3.11');
    expect(VerdictSchema.parse(verdict)).toEqual(verdict);
    expect(verdict).toMatchObject({
      status: 'error',
      judgeFault: true,
      reason: 'judge fault: the sandbox server failed: KeyError',
    });
    expect(verdict.tests.map((test) => test.status)).toEqual(['not_run', 'not_run']);
    expect(toVerdict(raw({}), '3.11').judgeFault).toBe(false);
  });
});

describe('notRunReasons', () => {
  const reasons = (parts: Parameters<typeof raw>[0]) => notRunReasons(toVerdict(raw(parts), '3.11'));

  it('says a test was not run because the batch stopped at the test before it', () => {
    expect(reasons({ testStatuses: ['pass', 'fail', 'not_run', 'not_run'] })).toEqual([
      null,
      null,
      'stopped after test 1 failed',
      'stopped after test 1 failed',
    ]);
    expect(reasons({ testStatuses: ['error', 'not_run'] })[1]).toBe('stopped after test 0 raised an error');
    expect(reasons({ testStatuses: ['pass', 'pass', 'timeout', 'not_run'] })[3]).toBe('stopped after test 2 timed out');
  });

  it("gives the verdict's reason when no test ran, or the one before passed", () => {
    const exception = { type: 'NameError', message: "name 'x' is not defined", line: 1, source: 'program' as const };
    expect(reasons({ program: { status: 'error', ms: 0, exception }, testStatuses: ['not_run', 'not_run'] })).toEqual([
      "the program failed to load: NameError: name 'x' is not defined",
      "the program failed to load: NameError: name 'x' is not defined",
    ]);
    expect(reasons({ program: { status: 'timeout', ms: 0, exception: null }, testStatuses: ['not_run'] })).toEqual([
      'the program timed out while loading',
    ]);
    // A failure earlier in the batch is not why: the test just before this one passed.
    expect(
      reasons({ problem: 'the process ended between two tests', testStatuses: ['fail', 'pass', 'not_run'] })[2],
    ).toBe('the process ended between two tests');
    expect(notRunReasons(judgeFaultVerdict(1, 'the sandbox server failed', '3.11'))).toEqual([
      'judge fault: the sandbox server failed',
    ]);
  });
});
