import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, type TraceOptions } from '../../src/sandbox/index.js';
import { renderTrace, type Trace } from '../../src/trace/index.js';

// Every failing program gets a trace that ends in its failure: one that fails while loading, one that
// runs out of stack, and the choice of the test to trace when a timeout comes before a failure.
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 2 });
});

afterAll(async () => {
  await sandbox.close();
});

async function traced(program: string, tests: string[], options: TraceOptions = {}): Promise<Trace> {
  const result = await sandbox.traceProgram(program, tests, options);
  if (result.status !== 'traced') throw new Error(`not traced: ${result.status}`);
  expect(result.testIndex).toBe(result.trace.testIndex);
  return result.trace;
}

const RECURSION = /RecursionError\('maximum recursion depth exceeded[^']*'\)/;

describe('a program that fails while loading', () => {
  const program = 'def f(x):\n    y = x * 2\n    return y + 1\n\na = f(1)\nassert f(a) == 4\nb = 5\n';
  const tests = ['assert f(0) == 1', 'assert f(1) == 3'];

  it('is traced up to the failing line: its top-level lines and the functions they call', async () => {
    const trace = await traced(program, tests);
    expect(trace).toMatchObject({
      phase: 'load',
      test: tests[0],
      testIndex: 0,
      truncated: null,
      outcome: { status: 'fail', exception: { type: 'AssertionError', line: 6, source: 'program' } },
    });
    expect(renderTrace(trace, 'inline')).toMatchInlineSnapshot(`
      "def f(x):  # (0) x=1; (4) x=3;
          y = x * 2  # (1) y=2; (5) y=6;
          return y + 1  # (2) __return__=3; (6) __return__=7;

      a = f(1)  # (3) a=3;
      assert f(a) == 4  # (7) __exception__ = AssertionError()
      b = 5
      # nxt: the program failed while loading, before any test ran: this is the trace of its top-level code.
      "
    `);
    expect(trace.events.at(-1)).toMatchObject({ kind: 'exception', call: 0, line: 6 });
    expect(trace.frames.map((frame) => [frame.function, frame.source])).toEqual([
      ['<module>', 'program'],
      ['f', 'program'],
      ['f', 'program'],
    ]);
  });

  it('is traced the same way when a test is named, and says which test it was for', async () => {
    const trace = await traced(program, tests, { testIndex: 1 });
    expect(trace).toMatchObject({ phase: 'load', test: tests[1], testIndex: 1 });
    expect(trace.events.at(-1)).toMatchObject({ kind: 'exception', line: 6 });
  });

  it('ends on a top-level statement that raises, after the assignments before it', async () => {
    const trace = await traced('n = 3\nitems = [n, n + 1]\nx = [1][3]\ny = 4\n', ['assert y == 4']);
    expect(trace.outcome).toMatchObject({ status: 'error', exception: { type: 'IndexError', line: 3 } });
    expect(renderTrace(trace, 'inline')).toMatchInlineSnapshot(`
      "n = 3  # (0) n=3;
      items = [n, n + 1]  # (1) items=[3, 4];
      x = [1][3]  # (2) __exception__ = IndexError('list index out of range')
      y = 4
      # nxt: the program failed while loading, before any test ran: this is the trace of its top-level code.
      "
    `);
  });

  it('is not traced when nothing of it ran: it does not compile', async () => {
    for (const source of ['def f(:\n    pass\n', 'def f():\nreturn 1\n', 'x = 1\nreturn x\n']) {
      const result = await sandbox.traceProgram(source, ['assert True']);
      expect([source, result.status]).toEqual([source, 'program-failed']);
      const named = await sandbox.traceProgram(source, ['assert True'], { testIndex: 0 });
      expect([source, named.status]).toEqual([source, 'program-failed']);
    }
  });
});

describe('a run that exhausts the stack', () => {
  it('ends with the RecursionError where the trace last saw it and on the test line, marked', async () => {
    const trace = await traced('def f(n):\n    return f(n + 1)\n', ['assert f(0) == 1'], { testIndex: 0 });
    expect(trace.truncated).toBe('stack');
    expect(trace.outcome).toMatchObject({ status: 'error', exception: { type: 'RecursionError', source: 'program' } });
    const lines = renderTrace(trace, 'inline').split('\n');
    expect(lines[0]).toMatch(/^def f\(n\): {2}# \(0\) n=0; \(1\) n=1; \(2\) n=2; \.\.\.; \(\d+\) n=\d+;$/);
    expect(lines[1]).toMatch(
      new RegExp(`^ {4}return f\\(n \\+ 1\\) {2}# \\(\\d+\\) __exception__ = ${RECURSION.source};$`),
    );
    expect(lines[3]).toMatch(new RegExp(`^assert f\\(0\\) == 1 {2}# \\(\\d+\\) __exception__ = ${RECURSION.source}$`));
    expect(lines[4]).toBe(
      `# nxt: trace incomplete after ${trace.steps} steps: the stack ran out (RecursionError), so the deepest calls are not shown.`,
    );
    // Bounded: one frame per level the stack held, and two exception events, not one per frame.
    expect(trace.frames.length).toBeLessThanOrEqual(1000);
    expect(trace.events.filter((event) => event.kind === 'exception')).toHaveLength(2);
    expect(JSON.stringify(trace).length).toBeLessThan(400_000);
  });

  it('shows a QuixBugs-style gcd without a base case the same way', async () => {
    const gcd = 'def gcd(a, b):\n    if b == 0:\n        return a\n    else:\n        return gcd(a % b, b)\n';
    const trace = await traced(gcd, ['assert gcd(35, 21) == 7'], { testIndex: 0 });
    expect(trace.truncated).toBe('stack');
    const text = renderTrace(trace, 'inline');
    expect(text).toMatch(
      new RegExp(`\\n {8}return gcd\\(a % b, b\\) {2}# \\(\\d+\\) __exception__ = ${RECURSION.source};\\n`),
    );
    expect(text).toMatch(
      new RegExp(`\\nassert gcd\\(35, 21\\) == 7 {2}# \\(\\d+\\) __exception__ = ${RECURSION.source}\\n`),
    );
  });

  it('still ends with the exception when the step limit stopped recording first', async () => {
    const program = 'def f(n):\n    m = n * 2\n    return f(m + 1)\n';
    const trace = await traced(program, ['f(0)'], { testIndex: 0, maxSteps: 30 });
    expect(trace.truncated).toBe('steps');
    const last = trace.events.slice(-2).map((event) => [event.kind, event.line, event.exception?.type]);
    expect(last).toEqual([
      ['exception', 3, 'RecursionError'],
      ['exception', 1, 'RecursionError'],
    ]);
  });

  it('marks a deep recursion that fits the stack untraced, but not the tracer too, and lets it pass', async () => {
    const program = 'def depth(n):\n    if n == 0:\n        return 0\n    return 1 + depth(n - 1)\n';
    const test = 'assert depth(985) == 985';
    expect((await sandbox.judgeProgram(program, [test])).status).toBe('pass');
    const trace = await traced(program, [test], { testIndex: 0 });
    expect(trace).toMatchObject({ truncated: 'stack', outcome: { status: 'pass' } });
  });

  it('shows how the test ended when the program catches the RecursionError and goes on', async () => {
    const program =
      'def f(n):\n    return f(n + 1)\n\ndef g():\n    try:\n        return f(0)\n    except RecursionError:\n        return -1\n';
    const trace = await traced(program, ['assert g() == 1'], { testIndex: 0 });
    expect(trace).toMatchObject({ truncated: 'stack', outcome: { status: 'fail' } });
    expect(renderTrace(trace, 'inline')).toMatch(
      /\nassert g\(\) == 1 {2}# \(\d+\) __exception__ = AssertionError\(\)\n/,
    );
  });

  it('is traced while loading when the recursion runs at the top level', async () => {
    const trace = await traced('def f(n):\n    return f(n + 1)\n\nf(0)\n', ['assert True']);
    expect(trace).toMatchObject({
      phase: 'load',
      truncated: 'stack',
      outcome: { exception: { type: 'RecursionError' } },
    });
    expect(renderTrace(trace, 'inline').split('\n')[3]).toMatch(
      new RegExp(`^f\\(0\\) {2}# \\(\\d+\\) __exception__ = ${RECURSION.source}$`),
    );
  });
});

describe('the test traced when none is named', () => {
  it('is a definite failure rather than a timeout that comes before it', async () => {
    const program = 'def spin():\n    while True:\n        pass\n\ndef inc(x):\n    return x + 1\n';
    const tests = ['spin()', 'assert inc(1) == 3', 'assert inc(1) == 4'];
    const result = await sandbox.traceProgram(program, tests, { testTimeoutMs: 300 });
    expect(result.status).toBe('traced');
    if (result.status !== 'traced') return;
    expect(result.testIndex).toBe(1);
    expect(result.verdict?.tests.map((test) => test.status)).toEqual(['timeout', 'fail', 'fail']);
  });

  it('is the first timeout when no test fails', async () => {
    const program = 'def spin():\n    while True:\n        pass\n';
    const result = await sandbox.traceProgram(program, ['assert True', 'spin()'], { testTimeoutMs: 300, maxSteps: 5 });
    expect(result.status === 'traced' && [result.testIndex, result.trace.outcome.status]).toEqual([1, 'timeout']);
  });
});
