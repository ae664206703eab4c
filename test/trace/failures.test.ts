import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, type TraceOptions } from '../../src/sandbox/index.js';
import { renderTrace, type Trace } from '../../src/trace/index.js';

// Every failing program gets a trace that ends in its failure, even one that runs out of stack; the
// test traced when none is named is a definite failure rather than a timeout that comes before it.
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
      `# nxt: trace incomplete after ${trace.steps} steps: the program ran out of stack (RecursionError), so its deepest calls are not shown.`,
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

  it('shows how the test ended when the program catches the RecursionError and goes on', async () => {
    const program =
      'def f(n):\n    return f(n + 1)\n\ndef g():\n    try:\n        return f(0)\n    except RecursionError:\n        return -1\n';
    const trace = await traced(program, ['assert g() == 1'], { testIndex: 0 });
    expect(trace).toMatchObject({ truncated: 'stack', outcome: { status: 'fail' } });
    expect(renderTrace(trace, 'inline')).toMatch(
      /\nassert g\(\) == 1 {2}# \(\d+\) __exception__ = AssertionError\(\)\n/,
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
