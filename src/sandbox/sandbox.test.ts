import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, mayHaveBeenStarved, type Sandbox } from './index.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 2 });
});

afterAll(async () => {
  await sandbox.close();
});

const INC = 'def inc(x):\n    return x + 1\n';

describe('judgeProgram', () => {
  it('judges each test on its own: a failing test does not stop the next', async () => {
    const verdict = await sandbox.judgeProgram(INC, [
      'assert inc(1) == 2',
      'assert inc(2) == 4',
      'assert inc("a")',
      'assert inc(0) == 1',
    ]);
    expect(verdict.status).toBe('fail');
    expect(verdict.tests.map((test) => test.status)).toEqual(['pass', 'fail', 'error', 'pass']);
    expect(verdict.tests[1]?.exception).toMatchObject({ type: 'AssertionError', line: 1, source: 'test' });
    expect(verdict.tests[2]?.exception).toMatchObject({ type: 'TypeError', line: 2, source: 'program' });
    expect(verdict.python).toMatch(/^3\.\d+\.\d+/);
  });

  it('stops at the first failure when asked', async () => {
    const verdict = await sandbox.judgeProgram(INC, ['assert inc(2) == 4', 'assert inc(1) == 2'], {
      stopAtFirstFailure: true,
    });
    expect(verdict.tests.map((test) => test.status)).toEqual(['fail', 'not_run']);
  });

  it('runs the tests after the program, in the same namespace, in order', async () => {
    const verdict = await sandbox.judgeProgram('items = []\n', [
      'items.append(1)',
      'items.append(2)',
      'assert items == [1, 2]',
    ]);
    expect(verdict.status).toBe('pass');
  });

  it('reports a program that does not load as an error with its line', async () => {
    const syntax = await sandbox.judgeProgram('def f(:\n    pass\n', ['assert True']);
    expect(syntax).toMatchObject({
      status: 'error',
      program: { status: 'error', exception: { type: 'SyntaxError', line: 1 } },
    });
    const raising = await sandbox.judgeProgram('x = 1\nraise ValueError("no")\n', ['assert True']);
    expect(raising.program.exception).toMatchObject({ type: 'ValueError', message: 'no', line: 2, source: 'program' });
    expect(raising.tests[0]?.status).toBe('not_run');
  });

  it('times out one test and still judges the tests after it', async () => {
    const verdict = await sandbox.judgeProgram(
      'def spin():\n    while True:\n        pass\n',
      ['assert 1 == 1', 'spin()', 'assert 2 == 2'],
      { testTimeoutMs: 300, programTimeoutMs: 5000 },
    );
    expect(verdict.status).toBe('timeout');
    expect(verdict.tests.map((test) => test.status)).toEqual(['pass', 'timeout', 'pass']);
  });

  it('ends everything at the program deadline', async () => {
    const verdict = await sandbox.judgeProgram('import time\n', ['time.sleep(0.2)', 'time.sleep(10)', 'assert True'], {
      testTimeoutMs: 10_000,
      programTimeoutMs: 600,
    });
    expect(verdict.status).toBe('timeout');
    expect(verdict.tests.map((test) => test.status)).toEqual(['pass', 'timeout', 'not_run']);
    expect(verdict.durationMs).toBeLessThan(3000);
  });

  it('accepts one timeout per test', async () => {
    const tests = ['import time; time.sleep(0.3)', 'import time; time.sleep(0.3)'];
    const verdict = await sandbox.judgeProgram('', tests, { testTimeoutMs: [2000, 100] });
    expect(verdict.tests.map((test) => test.status)).toEqual(['pass', 'timeout']);
    await expect(sandbox.judgeProgram('', tests, { testTimeoutMs: [2000] })).rejects.toThrow(/1 entries for 2 tests/);
  });

  it('captures output with a cap and says when it cut', async () => {
    const verdict = await sandbox.judgeProgram(
      'import sys\nprint("hello")\nprint("x" * 5000, file=sys.stderr)\n',
      ['print("from test")'],
      {
        maxOutputBytes: 1000,
      },
    );
    expect(verdict.status).toBe('pass');
    expect(verdict.stdout).toBe('hello\nfrom test\n');
    expect(verdict.stdoutTruncated).toBe(false);
    expect(verdict.stderr).toHaveLength(1000);
    expect(verdict.stderrTruncated).toBe(true);
  });

  it('gives each program an empty working directory and an empty environment', async () => {
    const verdict = await sandbox.judgeProgram('import os\n', [
      'assert os.listdir(".") == []',
      'assert dict(os.environ) == {}',
      'open("scratch.txt", "w").write("mine")',
      'assert open("scratch.txt").read() == "mine"',
    ]);
    expect(verdict.status).toBe('pass');
    const next = await sandbox.judgeProgram('import os\n', ['assert os.listdir(".") == []']);
    expect(next.status).toBe('pass');
  });

  it('applies the memory limit', async () => {
    const verdict = await sandbox.judgeProgram('', ['x = bytearray(300 * 1024 * 1024)'], {
      limits: { memoryBytes: 200 * 1024 * 1024 },
    });
    expect(verdict.tests[0]).toMatchObject({ status: 'error', exception: { type: 'MemoryError' } });
    const fine = await sandbox.judgeProgram('', ['x = bytearray(300 * 1024 * 1024)']);
    expect(fine.status).toBe('pass');
  });

  it('applies the file size limit', async () => {
    const verdict = await sandbox.judgeProgram('', ['open("big", "wb").write(b"x" * 2_000_000)'], {
      limits: { fileSizeBytes: 1_000_000 },
    });
    expect(verdict.tests[0]).toMatchObject({ status: 'error', exception: { type: 'OSError' } });
  });

  it('re-checks a timeout once when asked', async () => {
    const slow = 'import time\n';
    const verdict = await sandbox.judgeProgram(slow, ['time.sleep(5)'], { testTimeoutMs: 100, recheckTimeouts: true });
    expect(verdict).toMatchObject({ status: 'timeout', rechecked: true });
    const once = await sandbox.judgeProgram(slow, ['time.sleep(5)'], { testTimeoutMs: 100 });
    expect(once.rechecked).toBe(false);
    const passing = await sandbox.judgeProgram(INC, ['assert inc(1) == 2'], { recheckTimeouts: true });
    expect(passing.rechecked).toBe(false);
  });

  it('re-checks a timeout only when the program may have been starved, not when it computed all along', async () => {
    const waiting = await sandbox.judgeProgram('import time\n', ['time.sleep(5)'], {
      testTimeoutMs: 300,
      recheckTimeouts: true,
    });
    expect(waiting.timeoutCpuShare).toBeLessThan(0.5);
    expect(waiting.rechecked).toBe(true);
    const busy = await sandbox.judgeProgram('', ['while True:\n    pass'], {
      testTimeoutMs: 600,
      recheckTimeouts: true,
    });
    expect(busy.status).toBe('timeout');
    expect(busy.timeoutCpuShare).toBeGreaterThan(waiting.timeoutCpuShare ?? 1);
    // On a quiet machine a busy loop has the core to itself and pays its limit once; under load, twice.
    if (!busy.rechecked) expect(busy.timeoutCpuShare).toBeGreaterThanOrEqual(0.9);
    const passing = await sandbox.judgeProgram(INC, ['assert inc(1) == 2']);
    expect(passing.timeoutCpuShare).toBeNull();
    expect(mayHaveBeenStarved({ ...passing, status: 'timeout', timeoutCpuShare: 0.97 })).toBe(false);
    expect(mayHaveBeenStarved({ ...passing, status: 'timeout', timeoutCpuShare: 0.6 })).toBe(true);
  });

  it('rejects input that is not a program and tests', async () => {
    await expect(sandbox.judgeProgram(42 as unknown as string, [])).rejects.toThrow(/program must be a string/);
    await expect(sandbox.judgeProgram('', ['ok', 3] as unknown as string[])).rejects.toThrow(/tests must be an array/);
    await expect(sandbox.judgeProgram('', [], { programTimeoutMs: -1 })).rejects.toThrow(
      /^invalid judge options:\n✖ Too small: expected number to be >0\n {2}→ at programTimeoutMs$/,
    );
    await expect(sandbox.judgeProgram('', [], { timeout: 5 } as never)).rejects.toThrow(/Unrecognized key: "timeout"/);
  });
});

describe('calibrateTimeouts', () => {
  it('derives per-test timeouts as max(floor, factor x reference time)', async () => {
    const reference = 'import time\ndef f(s):\n    time.sleep(s)\n    return s\n';
    const calibration = await sandbox.calibrateTimeouts(reference, ['assert f(0) == 0', 'assert f(0.3) == 0.3'], {
      floorMs: 200,
      factor: 3,
    });
    expect(calibration.testTimeoutMs[0]).toBe(200);
    expect(calibration.referenceMs[1]).toBeGreaterThanOrEqual(300);
    expect(calibration.testTimeoutMs[1]).toBe(Math.ceil(3 * (calibration.referenceMs[1] ?? 0)));
    const tooSlow = await sandbox.judgeProgram(
      reference.replace('time.sleep(s)', 'time.sleep(s * 5)'),
      ['assert f(0.3) == 0.3'],
      {
        testTimeoutMs: calibration.testTimeoutMs[1],
      },
    );
    expect(tooSlow.status).toBe('timeout');
  });

  it('refuses a reference that does not pass', async () => {
    await expect(sandbox.calibrateTimeouts(INC, ['assert inc(1) == 3'])).rejects.toThrow(
      /reference solution does not pass/,
    );
  });
});

describe('inferEntryPoints', () => {
  it('finds the functions the tests call that the program binds, and names that are no builtins', async () => {
    const program =
      'import math\nfrom itertools import permutations as perms\ndef f(x):\n    return x\n' +
      'async def af():\n    return 1\nsquare = lambda x: x * x\ndef max(xs):\n    return xs[0]\n' +
      'class Stack:\n    pass\ntry:\n    from math import comb\nexcept ImportError:\n    def comb(n, k):\n        return 0\n';
    const tests = [
      'assert square(f(2)) == 4',
      'for x in range(3):\n    assert max([x]) == x and len([x]) == 1',
      'assert Stack() is not None',
      'assert comb(4, 2) == 6 and af() and perms and math.sqrt(4) == 2',
      'assert made_by_exec(1) == 1',
      'def helper(x):\n    return x\nassert helper(1) == 1',
    ];
    expect(await sandbox.inferEntryPoints(program, tests)).toEqual({
      entryPoints: ['square', 'f', 'max', 'comb', 'af', 'made_by_exec'],
      called: ['square', 'f', 'range', 'max', 'len', 'Stack', 'comb', 'af', 'made_by_exec'],
      defined: ['Stack', 'af', 'comb', 'f', 'math', 'max', 'perms', 'square'],
      programError: null,
    });
  });

  it('still names what is no builtin when the program does not parse, and says why it does not', async () => {
    const found = await sandbox.inferEntryPoints('def f(:\n    return 1\n', ['assert f(1) == sum([1])']);
    expect(found).toEqual({
      entryPoints: ['f'],
      called: ['f', 'sum'],
      defined: null,
      programError: expect.stringMatching(/^SyntaxError: .+ at line 1$/),
    });
    expect((await sandbox.inferEntryPoints('x = 3\n', ['assert x == 3', 'assert (1 +'])).entryPoints).toEqual([]);
  });
});

describe('splitStatements', () => {
  it('splits source into top-level statements without running it', async () => {
    const source =
      'assert f(1) == 2; assert f(2) == 3\nx = [1,\n     2]\n@dec\ndef g():\n    return 1\nimport os; os._exit(1)\n';
    expect(await sandbox.splitStatements(source)).toEqual([
      'assert f(1) == 2',
      'assert f(2) == 3',
      'x = [1,\n     2]',
      '@dec\ndef g():\n    return 1',
      'import os',
      'os._exit(1)',
    ]);
  });

  it('says where the source does not parse', async () => {
    await expect(sandbox.splitStatements('assert (1 ==\n')).rejects.toThrow(/does not parse: .*line 1/);
  });
});
