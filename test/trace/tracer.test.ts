import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, type TraceOptions } from '../../src/sandbox/index.js';
import { renderTrace, type Trace } from '../../src/trace/index.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 2 });
});

afterAll(async () => {
  await sandbox.close();
});

/** Characters (code points) of values a trace holds: what changed, what returned or yielded. */
function valueChars(trace: Trace): number {
  const length = (text: string) => [...text].length;
  return trace.events.reduce(
    (sum, event) => sum + length(event.value ?? '') + event.changes.reduce((n, change) => n + length(change.value), 0),
    0,
  );
}

async function trace(program: string, test: string, options: TraceOptions = {}): Promise<Trace> {
  const result = await sandbox.traceProgram(program, [test], { testIndex: 0, ...options });
  if (result.status !== 'traced') throw new Error(`not traced: ${result.status}`);
  return result.trace;
}

describe('the tracer', () => {
  it('puts every frame of a recursion on the same lines, in step order', async () => {
    const result = await trace(
      'def fact(n):\n    if n <= 1:\n        return 1\n    return n * fact(n - 1)\n',
      'assert fact(3) == 7',
    );
    expect(renderTrace(result, 'inline')).toMatchInlineSnapshot(`
      "def fact(n):  # (0) n=3; (1) n=2; (2) n=1;
          if n <= 1:
              return 1  # (3) __return__=1;
          return n * fact(n - 1)  # (4) __return__=2; (5) __return__=6;

      assert fact(3) == 7  # (6) __exception__ = AssertionError()
      "
    `);
    expect(result.frames.map((frame) => [frame.function, frame.depth])).toEqual([
      ['<module>', 0],
      ['fact', 1],
      ['fact', 2],
      ['fact', 3],
    ]);
  });

  it('shows an exception where it is raised and where it ends the test', async () => {
    const result = await trace('def div(a, b):\n    q = a / b\n    return q\n', 'assert div(1, 0) == 0');
    expect(renderTrace(result, 'inline')).toMatchInlineSnapshot(`
      "def div(a, b):  # (0) a=1, b=0;
          q = a / b  # (1) __exception__ = ZeroDivisionError('division by zero');
          return q

      assert div(1, 0) == 0  # (2) __exception__ = ZeroDivisionError('division by zero')
      "
    `);
    expect(result.outcome).toMatchObject({ status: 'error', exception: { type: 'ZeroDivisionError' } });
  });

  it('caps an infinite loop, says so, and still reports the timeout', async () => {
    const result = await trace('def spin(n):\n    i = 0\n    while True:\n        i += 1\n', 'spin(3)', {
      maxSteps: 20,
      testTimeoutMs: 500,
    });
    expect(result.truncated).toBe('steps');
    expect(result.steps).toBe(20);
    expect(result.outcome.status).toBe('timeout');
    expect(renderTrace(result, 'inline')).toMatchInlineSnapshot(`
      "def spin(n):  # (0) n=3;
          i = 0  # (1) i=0;
          while True:
              i += 1  # (2) i=1; (3) i=2; (4) i=3; ...; (19) i=18
      # nxt: trace incomplete after 20 steps: recording stopped at the step limit.
      "
    `);
  });

  it('marks a trace cut short by the event cap', async () => {
    const result = await trace(
      'def count(n):\n    total = 0\n    for i in range(n):\n        pass\n    return total\n',
      'count(10**6)',
      {
        maxEvents: 300,
      },
    );
    expect(result.truncated).toBe('events');
    expect(result.outcome.status).toBe('pass');
    expect(result.events.length).toBeLessThanOrEqual(300);
  });

  it('follows generators and comprehensions', async () => {
    const program =
      'def squares(n):\n    for i in range(n):\n        yield i * i\n\ndef total(n):\n    evens = [x for x in squares(n) if x % 2 == 0]\n    return sum(evens)\n';
    expect(renderTrace(await trace(program, 'assert total(4) == 5'), 'inline')).toMatchInlineSnapshot(`
      "def squares(n):  # (1) n=4;
          for i in range(n):  # (2) i=0; (5) i=1; (8) i=2; (11) i=3;
              yield i * i  # (3) __yield__=0; (6) __yield__=1; (9) __yield__=4; (12) __yield__=9;

      def total(n):  # (0) n=4;
          evens = [x for x in squares(n) if x % 2 == 0]  # (4) x=0; (7) x=1; ...; (14) evens=[0, 4];
          return sum(evens)  # (15) __return__=4;

      assert total(4) == 5  # (16) __exception__ = AssertionError()
      "
    `);
  });

  it('traces methods and classes', async () => {
    const program =
      'class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, x):\n        self.items.append(x)\n        return len(self.items)\n\ndef use():\n    s = Stack()\n    s.push(1)\n    return s.push(2)\n';
    const result = await trace(program, 'assert use() == 3');
    expect(renderTrace(result, 'inline')).toMatchInlineSnapshot(`
      "class Stack:
          def __init__(self):  # (0) self=<__solution__.Stack object>;
              self.items = []  # (1) __return__=None;

          def push(self, x):  # (3) self=<__solution__.Stack object>, x=1; (5) self=<__solution__.Stack object>, x=2;
              self.items.append(x)
              return len(self.items)  # (4) __return__=1; (6) __return__=2;

      def use():
          s = Stack()  # (2) s=<__solution__.Stack object>;
          s.push(1)
          return s.push(2)  # (7) __return__=2;

      assert use() == 3  # (8) __exception__ = AssertionError()
      "
    `);
    expect(result.frames.map((frame) => frame.function)).toContain('Stack.push');
  });

  it('shows a function changing a global', async () => {
    const program = 'counter = 0\n\ndef bump(k):\n    global counter\n    counter += k\n    return counter\n';
    expect(renderTrace(await trace(program, 'assert bump(2) == 3'), 'inline')).toMatchInlineSnapshot(`
      "counter = 0

      def bump(k):  # (0) k=2;
          global counter
          counter += k  # (1) counter=2;
          return counter  # (2) __return__=2;

      assert bump(2) == 3  # (3) counter=2; (4) __exception__ = AssertionError()
      "
    `);
  });

  it('shows every name of an aliased object change with it', async () => {
    const program = 'def f():\n    a = []\n    b = a\n    b.append(1)\n    return a\n';
    const result = await trace(program, 'assert f() == []');
    const appended = result.events.find((event) => event.kind === 'line' && event.line === 4);
    expect(appended?.changes).toEqual([
      { name: 'a', value: '[1]' },
      { name: 'b', value: '[1]' },
    ]);
  });

  it('records a tuple swap as one step with both names', async () => {
    const program = 'def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n';
    expect(renderTrace(await trace(program, 'assert fib(5) == 6'), 'inline')).toMatchInlineSnapshot(`
      "def fib(n):  # (0) n=5;
          a, b = 0, 1  # (1) a=0, b=1;
          for _ in range(n):  # (2) _=0; (4) _=1; ...; (10) _=4;
              a, b = b, a + b  # (3) a=1; (5) b=2; ...; (11) a=5, b=8;
          return a  # (12) __return__=5;

      assert fib(5) == 6  # (13) __exception__ = AssertionError()
      "
    `);
  });

  it('bounds huge values in length and in work', async () => {
    const program =
      'def big():\n    xs = list(range(10**6))\n    s = "x" * 10**6\n    n = 7 ** 100000\n    return len(xs)\n';
    const result = await trace(program, 'assert big() == 0', { valueChars: 200 });
    const values = result.events.flatMap((event) => event.changes.map((change) => change.value));
    expect(values.every((value) => value.length <= 203)).toBe(true);
    expect(values.find((value) => value.startsWith('[0, 1, 2'))).toMatch(/\.\.\.]?\.{0,3}$/);
    expect(values).toContain('<int of 280736 bits>');
  });

  it('keeps unicode intact', async () => {
    const program = 'def greet(name):\n    msg = "héllo, " + name + " ✓"\n    return msg\n';
    expect(renderTrace(await trace(program, 'assert greet("世界") == ""'), 'inline')).toMatchInlineSnapshot(`
      "def greet(name):  # (0) name='世界';
          msg = "héllo, " + name + " ✓"  # (1) msg='héllo, 世界 ✓';
          return msg  # (2) __return__='héllo, 世界 ✓';

      assert greet("世界") == ""  # (3) __exception__ = AssertionError()
      "
    `);
  });

  it('never runs a __repr__ the program wrote: one that raises is not called', async () => {
    const program =
      'class Bad:\n    def __repr__(self):\n        raise ValueError("no")\n\ndef make():\n    b = Bad()\n    return 1\n';
    const result = await trace(program, 'assert make() == 2');
    expect(result.events.flatMap((event) => event.changes)).toContainEqual({
      name: 'b',
      value: '<Bad object>',
    });
    expect(result.outcome.status).toBe('fail');
  });

  it('never runs a __repr__ the program wrote: a very slow one costs nothing', async () => {
    const program =
      'import time\nclass Slow:\n    def __repr__(self):\n        time.sleep(30)\n        return "Slow()"\n\ndef make():\n    s = Slow()\n    return 1\n';
    const started = performance.now();
    const result = await trace(program, 'assert make() == 2');
    expect(performance.now() - started).toBeLessThan(4000);
    expect(result.events.flatMap((event) => event.changes)).toContainEqual({
      name: 's',
      value: '<Slow object>',
    });
    expect(result.outcome.status).toBe('fail');
  });

  it('never shows memory addresses, so traces are stable across runs', async () => {
    const program = 'class P:\n    pass\n\ndef make():\n    p = P()\n    return [p, object()]\n';
    const first = renderTrace(await trace(program, 'assert make() is None'), 'inline');
    const second = renderTrace(await trace(program, 'assert make() is None'), 'inline');
    expect(first).toBe(second);
    expect(first).not.toMatch(/0x[0-9a-f]+/);
  });

  it('does not trace the standard library, but does trace program code it calls back', async () => {
    const program = 'import functools\ndef key(x):\n    return -x\n\ndef order(xs):\n    return sorted(xs, key=key)\n';
    const result = await trace(program, 'assert order([1, 2]) == [1, 2]');
    expect(new Set(result.frames.map((frame) => frame.function))).toEqual(new Set(['<module>', 'order', 'key']));
  });

  it('shows what the test statement itself assigns', async () => {
    const result = await trace('def inc(x):\n    return x + 1\n', 'y = inc(1)\nassert y == 3');
    expect(renderTrace(result, 'inline')).toMatchInlineSnapshot(`
      "def inc(x):  # (0) x=1;
          return x + 1  # (1) __return__=2;

      y = inc(1)  # (2) y=2;
      assert y == 3  # (3) __exception__ = AssertionError()
      "
    `);
  });

  it('traces the first failing test by default, or the one named', async () => {
    const program = 'def inc(x):\n    return x + 1\n';
    const tests = ['assert inc(1) == 2', 'assert inc(2) == 4', 'assert inc(3) == 5'];
    const first = await sandbox.traceProgram(program, tests);
    expect(first.status === 'traced' && first.testIndex).toBe(1);
    const named = await sandbox.traceProgram(program, tests, { testIndex: 0 });
    expect(named.status === 'traced' && named.trace.outcome.status).toBe('pass');
    expect((await sandbox.traceProgram(program, ['assert inc(0) == 1'])).status).toBe('nothing-failed');
    expect((await sandbox.traceProgram('def f(:\n', ['assert True'])).status).toBe('program-failed');
    await expect(sandbox.traceProgram(program, tests, { testIndex: 3 })).rejects.toThrow(/out of range/);
  });

  it('keeps a program that installs its own tracer from passing', async () => {
    const program = 'import sys\ndef f():\n    sys.settrace(lambda *args: None)\n    return 1\n';
    const result = await trace(program, 'assert f() == 1');
    expect(result.outcome).toMatchObject({ status: 'error', exception: { type: 'TamperError' } });
    const harmless = await trace('import sys\ndef f():\n    sys.settrace(None)\n    return 1\n', 'assert f() == 1');
    expect(harmless.outcome.status).toBe('pass');
  });
  it('marks a trace the program cut short by removing the tracer, instead of ending it silently', async () => {
    const program = 'import sys\ndef f(x):\n    y = x + 1\n    sys.settrace(None)\n    z = y * 2\n    return z\n';
    const result = await trace(program, 'assert f(1) == 5');
    expect(result.truncated).toBe('untraced');
    expect(renderTrace(result, 'inline')).toContain('removed or replaced the tracer');
  });

  it('traces a program the same way it is judged: no program code runs inside the tracer', async () => {
    const programs = {
      // isinstance() would call this __class__ and raise inside the traced program
      raisingClass:
        'class Evil:\n    @property\n    def __class__(self):\n        raise RuntimeError("gotcha")\ndef f(x):\n    e = Evil()\n    return x + 1\n',
      // showing r would run this __repr__ and change what f returns
      sideEffectRepr:
        'count = [0]\nclass R:\n    def __repr__(self):\n        count[0] += 1\n        return "R"\ndef f(x):\n    r = R()\n    return x + 1 + count[0]\n',
      raisingStr:
        'class E(Exception):\n    def __str__(self):\n        raise RuntimeError("no")\ndef f(x):\n    try:\n        raise E(x)\n    except E:\n        return x + 1\n',
    };
    for (const [name, program] of Object.entries(programs)) {
      const verdict = await sandbox.judgeProgram(program, ['assert f(1) == 2'], { entryPoint: 'f' });
      const traced = await trace(program, 'assert f(1) == 2');
      expect([name, traced.outcome.status, traced.truncated]).toEqual([name, verdict.tests[0]?.status, null]);
    }
    const shown = await trace(programs.sideEffectRepr, 'assert f(1) == 2');
    expect(renderTrace(shown, 'inline')).toContain('r=<R object>');
  });

  it('counts yielded values against the character cap', async () => {
    const program =
      "def gen():\n    while True:\n        yield 'x' * 900\n\ndef f():\n    return sum(1 for _ in zip(range(5000), gen()))\n";
    const result = await trace(program, 'assert f() == 0', { maxChars: 50_000, maxSteps: 100_000 });
    expect(result.truncated).toBe('size');
    expect(valueChars(result)).toBeLessThan(52_000);
  });

  it('ends a line that changes more than the character cap holds at the cap', async () => {
    const names = Array.from({ length: 100 }, (_, index) => `v${index}`).join(', ');
    const program = `def f():\n    ${names} = ['x' * 900] * 100\n    return v0\n`;
    const result = await trace(program, 'assert f() == 0', { maxChars: 10_000 });
    expect(result.truncated).toBe('size');
    expect(valueChars(result)).toBeLessThan(11_000);
  });

  it('cuts a trace at its bytes before the server would refuse it (values of emoji: 12 bytes each as JSON)', async () => {
    const program = 'def f():\n    for i in range(100000):\n        s = chr(0x1F600 + i % 64) * 1000\n    return 0\n';
    const result = await trace(program, 'assert f() == 1', { maxSteps: 100_000 });
    expect(result.truncated).toBe('size');
    expect(result.outcome.exception?.type).toBe('AssertionError');
    // The trace's bytes (4 per character of the 4 M character cap, 64 per event and 1 MiB) run out
    // at about 1.6 M characters of emoji; a whole chunk (2,000 events, 1 M characters here) that
    // would pass them is dropped.
    expect(valueChars(result)).toBeLessThan(2_000_000);
  });

  it('drops a chunk with more brackets than the server parses, even inside a name', async () => {
    const program = "def f():\n    globals()['[' * 5_000_000] = 1\n    return 0\n";
    const result = await trace(program, 'assert f() == 1');
    expect(result.truncated).toBe('size');
    expect(result.outcome.exception?.type).toBe('AssertionError');
  });

  it('counts function names against the caps: a 4,000-character name called 25,000 times', async () => {
    const program = `exec("def ${'g'.repeat(4000)}():\\n    return 1")\ndef f():\n    call = globals()["${'g'.repeat(4000)}"]\n    return sum(call() for _ in range(25000))\n`;
    const started = Date.now();
    const result = await trace(program, 'assert f() == 0', { maxChars: 200_000 });
    expect(result.truncated).not.toBeNull();
    expect(Math.max(...result.frames.map((frame) => frame.function.length))).toBeLessThanOrEqual(200);
    expect(result.frames.length).toBeLessThan(2000);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
