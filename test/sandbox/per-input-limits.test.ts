/**
 * EvalPlus's time rule for its tests: every input gets its own limit, max(floor, factor x the
 * reference's time on that input), instead of one limit for the whole batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeFix, limitsPolicy } from '../../src/eval/index.js';
import { type CaseBatch, createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { loadSharedTasks } from '../support/shared-data.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

const batch: CaseBatch = {
  kind: 'cases',
  function: 'double',
  inputs: '[[1], [2], [3], [4]]',
  expected: '[2, 4, 6, 8]',
  oracle: 'evalplus',
};

/** `double` that takes `seconds` on input `slow` (and no time on the others). */
const sleepy = (slow: number, seconds: number) =>
  `import time\ndef double(x):\n    if x == ${slow}:\n        time.sleep(${seconds})\n    return 2 * x\n`;

describe('per-input limits (EvalPlus)', () => {
  it("calibrates one limit per input from the reference's time on it", async () => {
    const slowReference = sleepy(3, 0.8);
    const calibration = await sandbox.calibrateCases(slowReference, batch, { floorMs: 2000, factor: 4 });
    expect(calibration.referenceMs).toHaveLength(4);
    // Input 3 took at least 0.8 s: its limit is 4 x that; the others (instant, even on a loaded
    // machine well under 0.5 s) keep the floor.
    expect(calibration.timeoutsMs[2]).toBeGreaterThanOrEqual(3200);
    expect(calibration.timeoutsMs.filter((ms) => ms === 2000)).toHaveLength(3);
    await expect(sandbox.calibrateCases('def double(x):\n    return x\n', batch)).rejects.toThrow(
      /reference does not pass its case batch/,
    );
  });

  it('fails an input that outlasts its own limit at once, and names it', async () => {
    const started = Date.now();
    const verdict = await sandbox.judgeProgram(sleepy(3, 30), [batch], {
      testTimeoutMs: 60_000,
      programTimeoutMs: 70_000,
      caseTimeoutsMs: { 0: [1000, 1000, 1000, 1000] },
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(verdict.status).toBe('timeout');
    expect(verdict.tests[0]?.cases).toMatchObject({ total: 4, passed: 2, timedOutInput: 2 });
    expect(verdict.tests[0]?.exception?.message).toBe('input 2 of 4 did not finish in time (its limit: 1.00 s)');
  });

  it('passes a slow input that stays within its limit', async () => {
    const verdict = await sandbox.judgeProgram(sleepy(2, 1.5), [batch], {
      testTimeoutMs: 60_000,
      programTimeoutMs: 70_000,
      caseTimeoutsMs: { 0: [4000, 4000, 4000, 4000] },
      caseTimes: true,
    });
    expect(verdict.status).toBe('pass');
    expect(verdict.tests[0]?.cases?.ms?.[1]).toBeGreaterThanOrEqual(1400);
  });

  it('a prime_fib that needs 20 s on one input passes HumanEval and fails HumanEval+ by the rule', async () => {
    const task = (await loadSharedTasks('humaneval-plus')).find((item) => item.id === 'HumanEval/39');
    if (!task) throw new Error('HumanEval/39 is missing');
    // Right, but trial division up to sqrt(p): fast for HumanEval's n <= 5, tens of seconds for n = 12.
    const naive = [
      'def prime_fib(n: int):',
      '    def is_prime(p):',
      '        if p < 2:',
      '            return False',
      '        k = 2',
      '        while k * k <= p:',
      '            if p % k == 0:',
      '                return False',
      '            k += 1',
      '        return True',
      '    a, b = 0, 1',
      '    while True:',
      '        a, b = b, a + b',
      '        if is_prime(a):',
      '            n -= 1',
      '            if n == 0:',
      '                return a',
      '',
    ].join('\n');
    const limits = await limitsPolicy(sandbox)(task);
    expect(limits.plusCaseTimeoutsMs?.length).toBe(task.plusTests?.inputs);
    expect(Math.min(...(limits.plusCaseTimeoutsMs ?? [0]))).toBe(4000);
    const started = Date.now();
    const verdict = await judgeFix(sandbox, task, naive, limits);
    expect(verdict.basePass).toBe(true);
    expect(verdict.pass).toBe(false);
    expect(verdict.plus?.status).toBe('timeout');
    // Two runs (the re-check) of about 4 s each, not two of the whole batch's 60 s.
    expect(Date.now() - started).toBeLessThan(40_000);
  }, 120_000);
});
