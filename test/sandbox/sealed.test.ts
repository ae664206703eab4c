/**
 * Sealed judging: what crosses from the program (plain data only), how it is compared (Python's
 * equality, EvalPlus's rules), how tests are planned, and that crafted results never crash the judge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaseBatch, createSandbox, type JudgeOptions, type Sandbox } from '../../src/sandbox/index.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 2 });
});
afterAll(async () => {
  await sandbox?.close();
});

const F = { entryPoint: 'f' } satisfies JudgeOptions;

async function judgeOne(program: string, test: string, options: JudgeOptions = F) {
  const verdict = await sandbox.judgeProgram(program, [test], options);
  const result = verdict.tests[0];
  if (!result) throw new Error('no test verdict');
  return { verdict, test: result };
}

describe('plain data', () => {
  it('compares plain values with Python equality', async () => {
    for (const [value, expected] of [
      ['1', '1.0'],
      ['True', '1'],
      ['-0.0', '0.0'],
      ['[1, (2, 3)]', '[1, (2, 3)]'],
      ['{1: "a", 2: "b"}', '{2: "b", 1: "a"}'],
      ['{1, 2, 3}', '{3, 2, 1}'],
      ['frozenset([1])', '{1}'],
      ['2 ** 200', '2 ** 200'],
      ['b"x"', 'b"x"'],
      ['1 + 2j', 'complex(1, 2)'],
    ]) {
      const { test } = await judgeOne(`def f():\n    return ${value}\n`, `assert f() == ${expected}`);
      expect(test, `${value} == ${expected}`).toMatchObject({ status: 'pass', sealed: true });
    }
    for (const [value, expected] of [
      ['[1, 2]', '(1, 2)'],
      ['float("nan")', 'float("nan")'],
      ['[float("nan")]', '[float("nan")]'],
      ['"1"', '1'],
    ]) {
      const { test } = await judgeOne(`def f():\n    return ${value}\n`, `assert f() == ${expected}`);
      expect(test, `${value} != ${expected}`).toMatchObject({ status: 'fail', sealed: true });
    }
  });

  it('reads Counter, OrderedDict, defaultdict and namedtuples as their base type', async () => {
    const program =
      'import collections\nP = collections.namedtuple("P", "x y")\n' +
      'def f(kind):\n    return {"c": collections.Counter("aab"), "o": collections.OrderedDict(a=2, b=1),\n' +
      '            "d": collections.defaultdict(int, a=2, b=1), "p": P(1, 2)}[kind]\n';
    const verdict = await sandbox.judgeProgram(
      program,
      [
        'assert f("c") == {"a": 2, "b": 1}',
        'assert f("o") == {"b": 1, "a": 2}',
        'assert f("d") == {"a": 2, "b": 1}',
        'assert f("p") == (1, 2)',
      ],
      F,
    );
    expect(verdict.tests.map((test) => test.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it('refuses subclasses, user objects and iterators, and says why', async () => {
    const cases: [string, string][] = [
      ['class MyInt(int):\n    pass\ndef f():\n    return MyInt(3)\n', 'returned a MyInt, not an int'],
      ['class P:\n    pass\ndef f():\n    return P()\n', 'returned a P object, which is not plain data'],
      ['def f():\n    return (x for x in [3])\n', 'returned a generator, which is not plain data'],
      ['def f():\n    return [print]\n', 'not plain data'],
    ];
    for (const [program, message] of cases) {
      const { test } = await judgeOne(program, 'assert f() == 3');
      expect(test.status).toBe('fail');
      expect(test.exception?.message).toContain(message);
    }
  });

  it('converting builtins around the call run on the real builtins in the child', async () => {
    const program = 'import builtins\nbuiltins.sorted = lambda x: [0]\ndef f():\n    return map(int, "321")\n';
    const { test } = await judgeOne(program, 'assert sorted(f()) == [1, 2, 3]');
    expect(test).toMatchObject({ status: 'pass', sealed: true });
  });

  it('judges only the truth of a result in `assert f(x)`, but not the truth an object claims', async () => {
    const match = await judgeOne('import re\ndef f(s):\n    return re.match("a", s)\n', 'assert f("abc")');
    expect(match.test).toMatchObject({ status: 'pass', sealed: true });
    const liar = await judgeOne(
      'class T:\n    def __bool__(self): return True\ndef f(s):\n    return T()\n',
      'assert f("abc")',
    );
    expect(liar.test.status).toBe('fail');
    expect(liar.test.exception?.message).toContain('returned a T object');
  });

  it('refuses a value that contains itself at once instead of walking it for ever', async () => {
    const program = 'def f():\n    res = []\n    for i in range(6):\n        res.append((res, i))\n    return res\n';
    const { verdict, test } = await judgeOne(program, 'assert f() == [(1, 2)]', { ...F, testTimeoutMs: 2000 });
    expect(test.status).toBe('fail');
    expect(test.exception?.message).toContain('contains itself');
    expect(verdict.durationMs).toBeLessThan(2000);
    const shared = await judgeOne(
      'def f():\n    a = [1]\n    for _ in range(80):\n        a = [a, a]\n    return a\n',
      'assert f() == 1',
    );
    expect(shared.test.exception?.message).toContain('too large');
  });

  it('compares a value larger than 64 MiB by the digest of its encoding', async () => {
    const size = 70 * 1024 * 1024;
    const batch: CaseBatch = {
      kind: 'cases',
      function: 'f',
      inputs: `[[${size}]]`,
      expected: null,
      reference: { source: 'def ref(n):\n    return "a" * n\n', function: 'ref' },
    };
    const options: JudgeOptions = {
      ...F,
      testTimeoutMs: 30_000,
      programTimeoutMs: 60_000,
      limits: { memoryBytes: 2 ** 31 },
    };
    const right = await sandbox.judgeProgram('def f(n):\n    return "a" * n\n', [batch], options);
    expect(right.status, right.reason).toBe('pass');
    const wrong = await sandbox.judgeProgram('def f(n):\n    return "a" * (n - 1) + "b"\n', [batch], options);
    expect(wrong.status).toBe('fail');
    expect(wrong.tests[0]?.exception?.message).toContain('compared by its exact encoding');
  }, 120_000);
});

describe('planning', () => {
  it('seals calls, runs loops in the test process, and leaves objects and unknown names to statements', async () => {
    const plans = await sandbox.planTests(
      [
        'assert f(1) == 2',
        'assert abs(f(1.5) - 2.5) < 1e-6',
        'assert not f(0)',
        'assert f(1) is None',
        'import math\nassert math.isclose(f(2), 3.0)',
        'lst = list(range(5))\ntotal = sum([i * i for i in lst])\nassert f(lst) == total, "sum of squares"',
        'for x in range(3):\n    assert f(x) == x + 1',
        'assert f(Node(1)) == 2',
        'import os\nassert os.getpid() > 0',
        { kind: 'cases', function: 'f', inputs: '[[1], [2]]', expected: '[2, 3]' },
      ],
      { entryPoint: 'f', reference: 'class Node:\n    def __init__(self, v):\n        self.v = v\n' },
    );
    expect(plans.map((plan) => plan.kind)).toEqual([
      'sealed',
      'sealed',
      'sealed',
      'sealed',
      'sealed',
      'sealed',
      'runner',
      'runner',
      'statement',
      'cases',
    ]);
  });

  it('with several entry points, seals the calls of each (named like a builtin too), in tests of one call or more', async () => {
    const tests = [
      'assert f(1) == 2',
      'assert g(1) == 2',
      'assert max([3, 5]) == 3',
      'for x in range(3):\n    assert g(x) == 2 * x',
      'for x in range(3):\n    assert f(x) == x + 1',
      'assert g(f(1)) == 4',
      'assert f(max([7, 9])) == 8',
      'max = [1]\nassert f(max) == 2',
    ];
    const plans = await sandbox.planTests(tests, { entryPoint: ['g', 'f', 'max'] });
    expect(plans.map((plan) => plan.kind)).toEqual([
      'sealed',
      'sealed',
      'sealed',
      'runner',
      'runner',
      'runner',
      'runner',
      'statement',
    ]);
    expect(plans[7]?.reason).toBe('the test rebinds max, a function of the program');
    // One entry point: `max` is the builtin, so that test calls no program function.
    expect((await sandbox.planTests(tests.slice(2, 3), { entryPoint: 'g' }))[0]?.reason).toBe(
      '0 calls of program functions',
    );
    // Judged: each call reaches the function it names, and a hack of either fails.
    const honest = 'def f(x):\n    return x + 1\ndef g(x):\n    return 2 * x\ndef max(xs):\n    return xs[0]\n';
    const judged = await sandbox.judgeProgram(honest, tests.slice(0, 7), { entryPoint: ['g', 'f', 'max'] });
    expect([judged.status, judged.tests.every((test) => test.sealed)]).toEqual(['pass', true]);
    const swapped = 'def f(x):\n    return 2 * x\ndef g(x):\n    return x + 1\ndef max(xs):\n    return xs[0]\n';
    const wrong = await sandbox.judgeProgram(swapped, tests.slice(5, 6), { entryPoint: ['g', 'f'] });
    expect(wrong.tests[0]).toMatchObject({ status: 'fail', sealed: true });
    const hack =
      'class Yes(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n' +
      'def f(x):\n    return Yes(0)\ndef g(x):\n    return Yes(0)\n';
    const hacked = await sandbox.judgeProgram(hack, ['assert f(1) == 2 and g(2) == 4', 'assert g(f(1)) == 4'], {
      entryPoint: ['g', 'f'],
    });
    expect(hacked.tests.map((test) => [test.status, test.sealed])).toEqual([
      ['fail', true],
      ['fail', true],
    ]);
  });

  it('a runner test that comes first waits for the program to load (it used to end first: a judge error)', async () => {
    const slow = 'import time\ntime.sleep(0.05)\ndef inc(x):\n    return x + 1\n';
    const verdict = await sandbox.judgeProgram(slow, ['for i in []:\n    inc(1)', 'assert inc(1) == 2'], {
      entryPoint: 'inc',
    });
    expect([verdict.status, verdict.problem, verdict.tests.map((test) => test.sealed)]).toEqual([
      'pass',
      null,
      [true, true],
    ]);
  });

  it("a program function named like a builtin is the program's when it is an entry point: sealed", async () => {
    const program = 'class Yes:\n    def __eq__(self, other):\n        return True\ndef max(xs):\n    return Yes()\n';
    const test = 'assert max([3, 5]) == 3';
    const unsealed = await sandbox.judgeProgram(program, [test], { entryPoint: 'f' });
    expect(unsealed.tests[0]).toMatchObject({ status: 'pass', sealed: false });
    const sealed = await sandbox.judgeProgram(program, [test], { entryPoint: ['f', 'max'] });
    expect(sealed.tests[0]).toMatchObject({ status: 'fail', sealed: true });
  });

  it('a test that refers to the entry point without calling it runs as a statement, with the function itself', async () => {
    const tests = ['assert callable(f)', 'assert f.__name__ == "f" and f.__doc__ == "Doc."', 'assert f(1) == 1'];
    const plans = await sandbox.planTests(tests, F);
    expect(plans.map((plan) => plan.kind)).toEqual(['statement', 'statement', 'sealed']);
    const verdict = await sandbox.judgeProgram('def f(x):\n    "Doc."\n    return x\n', tests, F);
    expect(verdict.tests.map((test) => [test.status, test.sealed])).toEqual([
      ['pass', false],
      ['pass', false],
      ['pass', true],
    ]);
  });

  it('a runner test whose arguments are objects runs as a statement and says so', async () => {
    const reference = 'class Node:\n    def __init__(self, v):\n        self.v = v\n';
    const program = `${reference}def f(node):\n    return node.v + 1\n`;
    const verdict = await sandbox.judgeProgram(program, ['assert f(Node(1)) == 2', 'assert f(Node(2)) == 3'], {
      entryPoint: 'f',
      reference,
    });
    expect(verdict.status).toBe('pass');
    expect(verdict.tests.map((test) => test.sealed)).toEqual([false, false]);
  });

  it('runner tests use the reference helpers, so rewriting a given helper does not help', async () => {
    const reference = 'def encode(s):\n    return s[::-1]\ndef decode(s):\n    return s[::-1]\n';
    const test =
      'import random\nfor _ in range(20):\n    s = "".join(random.choice("abc") for _ in range(8))\n    assert decode(encode(s)) == s';
    const options: JudgeOptions = { entryPoint: 'decode', reference };
    const honest = await sandbox.judgeProgram(reference, [test], options);
    expect(honest.tests[0]).toMatchObject({ status: 'pass', sealed: true });
    const identity = 'def encode(s):\n    return s\ndef decode(s):\n    return s\n';
    expect((await sandbox.judgeProgram(identity, [test], options)).status).toBe('fail');
    expect((await sandbox.judgeProgram(identity, [test], { sealing: 'off' })).status).toBe('pass');
  });

  it('a statement test starts with the real builtins', async () => {
    const program = 'import builtins\nbuiltins.len = lambda x: 0\ndef f():\n    return [1, 2]\n';
    const verdict = await sandbox.judgeProgram(program, ['import os\nassert len(f()) == 2 and os.sep'], {
      sealing: 'off',
    });
    expect(verdict.tests[0]).toMatchObject({ status: 'pass', sealed: false });
  });
});

describe('case batches', () => {
  const judgeBatch = (program: string, batch: Partial<CaseBatch>) =>
    sandbox.judgeProgram(
      program,
      [{ kind: 'cases', function: 'f', inputs: '[[1], [2]]', expected: '[1.0, 2.0]', ...batch }],
      { ...F, testTimeoutMs: 5000 },
    );

  it('follows EvalPlus: floats within 1e-6 pass, an int where a float is expected and differs does not', async () => {
    expect((await judgeBatch('def f(x):\n    return x + 1e-9\n', {})).status).toBe('pass');
    expect((await judgeBatch('def f(x):\n    return x\n', {})).status).toBe('pass'); // 1 == 1.0 exactly
    const off = await judgeBatch('def f(x):\n    return x + 1e-3\n', {});
    expect(off.status).toBe('fail');
    expect(off.tests[0]?.cases).toEqual({ total: 2, passed: 0 });
  });

  it('stops at the first failing input and counts the ones before it', async () => {
    const verdict = await judgeBatch('def f(x):\n    return 1.0 if x == 1 else 0.0\n', {});
    expect(verdict.tests[0]).toMatchObject({ status: 'fail', cases: { total: 2, passed: 1 } });
    expect(verdict.tests[0]?.exception?.message).toContain('input 1 of 2');
  });

  it('applies the special oracles (set equality, not None, a zero of the polynomial)', async () => {
    const sets = await judgeBatch('def f(x):\n    return [3, 1, 2]\n', {
      oracle: 'set-equal',
      expected: '[[1, 2, 3], [2, 3, 1]]',
    });
    expect(sets.status).toBe('pass');
    const regex = await judgeBatch('import re\ndef f(x):\n    return re.match("a", "a") if x == 1 else None\n', {
      oracle: 'not-none',
      expected: '[True, False]',
    });
    expect(regex.status).toBe('pass');
    const zero = await sandbox.judgeProgram(
      'def f(xs):\n    return -xs[0] / xs[1]\n',
      [
        {
          kind: 'cases',
          function: 'f',
          inputs: '[[[2, 4]], [[-3, 1]]]',
          expected: '[0, 0]',
          oracle: 'poly-zero',
          atol: 1e-4,
        },
      ],
      F,
    );
    expect(zero.status).toBe('pass');
  });

  it('refuses an unknown oracle', async () => {
    await expect(judgeBatch('def f(x):\n    return x\n', { oracle: 'nope' })).rejects.toThrow(/unknown oracle/);
  });
});

describe('crafted results', () => {
  // The program finds its record nonce in memory and writes its own results: any bytes it likes.
  const forge = (payload: string) =>
    'import gc, os, struct\n' +
    'def f():\n' +
    '    for obj in gc.get_objects():\n' +
    '        nonce = getattr(obj, "nonce", None)\n' +
    '        if isinstance(nonce, bytes) and len(nonce) == 12:\n' +
    `            data = ${payload}\n` +
    '            os.write(3, struct.pack("<12sBIIId", nonce, 3, 0, 0, len(data), 1.0) + data)\n' +
    '    import time\n' +
    '    time.sleep(2)\n';

  it('never crash the judge or pass', async () => {
    for (const payload of [
      'b"[" + struct.pack("<i", 2**31 - 1)', // a list of 2**31 items in 5 bytes
      'b"(" + struct.pack("<i", 1000000) + b"N" * 10',
      'b"c" + b"\\x00" * 40', // a code object
      'b"r" + struct.pack("<i", 0)', // a back-reference
      'b"[" + struct.pack("<i", 1) * 600 + b"N"', // 600 levels deep
      'os.urandom(200)',
      'b"l" + struct.pack("<i", -2**31)',
    ]) {
      const verdict = await sandbox.judgeProgram(forge(payload), ['assert f() == [1]'], { ...F, testTimeoutMs: 3000 });
      expect(verdict.status, payload).not.toBe('pass');
    }
    // The same servers judge an honest program afterwards.
    expect((await judgeOne('def f():\n    return [1]\n', 'assert f() == [1]')).verdict.status).toBe('pass');
  }, 120_000);
});
