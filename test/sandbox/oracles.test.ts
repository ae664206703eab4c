/**
 * EvalPlus's comparison and its special oracles, as the judge applies them to case batches: each case
 * here was judged by EvalPlus's own evaluator (evalplus/eval/__init__.py, numpy 2) with the same
 * output, expected value and atol, and the test asserts EvalPlus's verdict unless decision 0013 lists
 * the case as an intended difference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaseBatch, createSandbox, type Sandbox } from '../../src/sandbox/index.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 2 });
});
afterAll(async () => {
  await sandbox?.close();
});

/**
 * The verdict of `f` returning `value` (Python source) on one input whose expected output is `expected`
 * (a Python literal, where EvalPlus's files write infinities and NaN as bare `inf` and `nan`).
 */
async function verdictOf(value: string, expected: string, batch: Partial<CaseBatch> = {}) {
  const verdict = await sandbox.judgeProgram(
    `import math\ndef f(*args):\n    return ${value}\n`,
    [{ kind: 'cases', function: 'f', inputs: '[[0]]', expected: `[${expected}]`, ...batch }],
    { entryPoint: 'f', testTimeoutMs: 5000 },
  );
  return { status: verdict.status, message: verdict.tests[0]?.exception?.message ?? '' };
}

describe("HumanEval/32's oracle: a zero of the polynomial", () => {
  // xs = [-2, 1]: the polynomial x - 2, whose zero is 2.
  const zero = (value: string, atol = 1e-4) =>
    verdictOf(value, '2.0', { inputs: '[[[-2, 1]]]', oracle: 'poly-zero', atol });

  it('passes a point where |poly| is within the atol, and fails one outside it', async () => {
    expect((await zero('2.00005')).status).toBe('pass');
    expect((await zero('2')).status).toBe('pass'); // an int is a point too (math.pow takes it)
    expect((await zero('2.00005', 1e-5)).status).toBe('fail');
    expect((await zero('2.0002')).status).toBe('fail');
  });

  it('fails NaN, infinities and what is not a real number', async () => {
    const nan = await zero('float("nan")');
    expect(nan.status).toBe('fail');
    expect(nan.message).toContain('the polynomial is nan, not zero within 0.0001');
    for (const value of ['float("inf")', '-float("inf")', '2 + 0j', '"2"', '[2.0]', 'None', '10 ** 400']) {
      expect((await zero(value)).status, value).toBe('fail');
    }
  });

  it('never passes an output for equalling the expected one: only the polynomial decides', async () => {
    // The expected output here is not a zero; an output with the same bytes must still fail.
    const wrong = await verdictOf('3.0', '3.0', { inputs: '[[[-2, 1]]]', oracle: 'poly-zero', atol: 1e-4 });
    expect(wrong.status).toBe('fail');
  });
});

describe("EvalPlus's float rule (numpy.allclose, rtol 1e-7)", () => {
  it('compares values of one shape element by element; NaN is close to nothing, an infinity to itself', async () => {
    expect((await verdictOf('[1.0, 2.0 + 1e-9]', '[1.0, 2.0]')).status).toBe('pass');
    expect((await verdictOf('[(1.0, 2.0 + 1e-9)]', '[[1.0, 2.0]]', { atol: 1e-4 })).status).toBe('pass');
    expect((await verdictOf('[math.inf, 1.0 + 1e-9]', '[inf, 1.0]')).status).toBe('pass');
    expect((await verdictOf('[-math.inf, 1.0]', '[inf, 1.0]')).status).toBe('fail');
    expect((await verdictOf('math.nan', 'nan')).status).toBe('fail');
    expect((await verdictOf('[math.nan, 1.0]', '[1.0, 1.0]')).status).toBe('fail');
    expect((await verdictOf('[1 + 1e-9j]', '[1.0]', { atol: 1e-4 })).status).toBe('pass');
    expect((await verdictOf('["1.0"]', '[1.0]')).status).toBe('fail');
  });

  it('fails values numpy cannot make one array of: sublists of other lengths, a list beside a number, huge ints', async () => {
    // Before, nxt read [[1.0], 2.0] as close to [1.0, 2.0] (it broadcast the inner list by hand).
    expect((await verdictOf('[[1.0], 2.0]', '[1.0, 2.0]')).status).toBe('fail');
    expect((await verdictOf('[[1.0], [2.0, 3.0 + 1e-9]]', '[[1.0], [2.0, 3.0]]', { atol: 1e-4 })).status).toBe('fail');
    // numpy stores an int beyond 64 bits as a Python object, and allclose then raises: EvalPlus fails it.
    expect(
      (await verdictOf('[10 ** 30 + 1, 1.5]', '[1000000000000000000000000000000, 1.5]', { atol: 1e-4 })).status,
    ).toBe('fail');
    expect((await verdictOf('[2 ** 63 + 1, 1.5]', '[9223372036854775808, 1.5]', { atol: 1e-4 })).status).toBe('pass');
  });

  it('fails a value of another shape, where numpy would broadcast it (decision 0013: on purpose)', async () => {
    // numpy: [[1.0], [2.0]] against [1.0, 2.0] broadcasts to 2x2 and is not close; EvalPlus fails it.
    expect((await verdictOf('[[1.0], [2.0]]', '[1.0, 2.0]')).status).toBe('fail');
    // numpy: each row of [[1.0, 2.0], [1.0, 2.0]] is close to [1.0, 2.0], so EvalPlus passes it; nxt does not.
    expect((await verdictOf('[[1.0, 2.0], [1.0, 2.0]]', '[1.0, 2.0]')).status).toBe('fail');
  });

  it("gives a float-valued input's 1e-6 to that input only (decision 0013: on purpose)", async () => {
    // EvalPlus's evaluator keeps the widened atol for the inputs after it, and passes 10000001 here.
    const verdict = await sandbox.judgeProgram(
      'def f(x):\n    return 1.5 if x == 0 else 10000001\n',
      [{ kind: 'cases', function: 'f', inputs: '[[0], [1]]', expected: '[1.5, 10000000]' }],
      { entryPoint: 'f', testTimeoutMs: 5000 },
    );
    expect(verdict.tests[0]).toMatchObject({ status: 'fail', cases: { total: 2, passed: 1 } });
  });
});

describe("MBPP+'s formula oracles (surface_Area, digit_distance_nums)", () => {
  it("pass the formula's answer, and fail an input the formula cannot read unless the output is the expected one", async () => {
    // The pyramid of base edge 3 and height 4: round(9 + 4 * (3 * sqrt(1.5² + 4²)) / 2) = 35.
    expect((await verdictOf('35', '2.0', { inputs: '[[3, 4]]', oracle: 'pyramid-surface' })).status).toBe('pass');
    // EvalPlus reads -5's digits with int() and fails on '-'; before, nxt fell back to the float rule.
    const digits = { inputs: '[[-5, 0]]', oracle: 'digit-distance' } as const;
    expect((await verdictOf('2.0000001', '2.0', digits)).status).toBe('fail');
    expect((await verdictOf('2.0', '2.0', digits)).status).toBe('pass');
    const pyramid = { inputs: '[[nan, 1]]', oracle: 'pyramid-surface' } as const;
    expect((await verdictOf('2.0000001', '2.0', pyramid)).status).toBe('fail'); // round(nan) raises in EvalPlus
  });
});
