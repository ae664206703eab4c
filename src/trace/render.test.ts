import { describe, expect, it } from 'vitest';
import { elide } from './elide.js';
import { TRACE_FORMATS, traceFormatSpec } from './formats/index.js';
import { tracePhase } from './phase.js';
import { fitTrace, renderTrace } from './render.js';
import { type Trace, type TraceEvent, TraceSchema } from './schema.js';
import { createTokenCounter } from './tokens.js';

const program = 'def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n';

function event(
  kind: TraceEvent['kind'],
  line: number,
  step: number | null,
  changes: [string, string][] = [],
  call = 1,
): TraceEvent {
  return { kind, call, line, step, changes: changes.map(([name, value]) => ({ name, value })) };
}

/** total(list(range(n))) traced by hand: the loop line and the body line each run n times. */
function loopTrace(n: number): Trace {
  const xs = `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
  const events: TraceEvent[] = [event('call', 1, 0, [['xs', xs]]), event('line', 2, 1, [['s', '0']])];
  let step = 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    events.push(event('line', 3, step++, [['x', String(i)]]));
    sum += i;
    events.push(event('line', 4, step++, [['s', String(sum)]]));
  }
  events.push({ ...event('return', 5, step++), value: String(sum) });
  events.push({
    ...event('exception', 1, step++, [], 0),
    exception: { type: 'AssertionError', message: '', repr: 'AssertionError()' },
  });
  return {
    schemaVersion: 1,
    python: '3.11.7',
    program,
    test: `assert total(${xs}) == -1`,
    testIndex: 0,
    outcome: {
      status: 'fail',
      durationMs: 1,
      exception: { type: 'AssertionError', message: '', line: 1, source: 'test' },
    },
    truncated: null,
    steps: step,
    frames: [
      { call: 0, function: '<module>', depth: 0, parent: null, source: 'test', defLine: 1 },
      { call: 1, function: 'total', depth: 1, parent: 0, source: 'program', defLine: 1 },
    ],
    events,
  };
}

/** `x = 1; y = [x, 2]; z = y[3]` traced while it loads: the program's own frame, ending in IndexError. */
function loadTrace(): Trace {
  const failure = {
    type: 'IndexError',
    message: 'list index out of range',
    repr: "IndexError('list index out of range')",
  };
  return {
    schemaVersion: 1,
    python: '3.11.7',
    program: 'x = 1\ny = [x, 2]\nz = y[3]\n',
    phase: 'load',
    test: 'assert z == 3',
    testIndex: 0,
    outcome: {
      status: 'error',
      durationMs: 1,
      exception: { type: 'IndexError', message: failure.message, line: 3, source: 'program' },
    },
    truncated: null,
    steps: 3,
    frames: [{ call: 0, function: '<module>', depth: 0, parent: null, source: 'program', defLine: 1 }],
    events: [
      event('line', 1, 0, [['x', '1']], 0),
      event('line', 2, 1, [['y', '[1, 2]']], 0),
      { ...event('exception', 3, 2, [], 0), exception: failure },
    ],
  };
}

describe('elide', () => {
  it('keeps the first head and last tail items around one marker', () => {
    expect(elide([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { head: 3, tail: 1 })).toEqual([1, 2, 3, null, 10]);
    expect(elide([1, 2, 3, 4], { head: 3, tail: 1 })).toEqual([1, 2, 3, 4]);
  });

  it('never lets the marker stand for a single item', () => {
    expect(elide([1, 2, 3, 4, 5], { head: 3, tail: 1 })).toEqual([1, 2, null, 5]);
    expect(elide([1, 2, 3], { head: 1, tail: 1 })).toEqual([1, 2, 3]);
  });
});

describe('renderTrace', () => {
  it('renders the inline trace with every entry ending in ; but the last', () => {
    expect(renderTrace(loopTrace(3), 'inline')).toMatchInlineSnapshot(`
      "def total(xs):  # (0) xs=[0, 1, 2];
          s = 0  # (1) s=0;
          for x in xs:  # (2) x=0; (4) x=1; (6) x=2;
              s += x  # (3) s=0; (5) s=1; (7) s=3;
          return s  # (8) __return__=3;

      assert total([0, 1, 2]) == -1  # (9) __exception__ = AssertionError()
      "
    `);
  });

  it('elides long loop lines and cuts long values', () => {
    const text = renderTrace(loopTrace(30), 'inline', { loopHead: 2, loopTail: 1, valueChars: 12 });
    expect(text.split('\n')[0]).toBe('def total(xs):  # (0) xs=[0, 1, 2, 3,...;');
    expect(text.split('\n')[2]).toBe('    for x in xs:  # (2) x=0; (4) x=1; ...; (60) x=29;');
  });

  it('can leave the test line out, or show it without entries', () => {
    expect(renderTrace(loopTrace(1), 'inline', { testLine: 'never' })).not.toContain('assert');
    const quiet = { ...loopTrace(1), events: loopTrace(1).events.filter((item) => item.kind !== 'exception') };
    expect(renderTrace(quiet, 'inline')).not.toContain('assert');
    expect(renderTrace(quiet, 'inline', { testLine: 'always' })).toContain('\n\nassert total([0]) == -1\n');
  });

  it('says when recording stopped early', () => {
    const text = renderTrace({ ...loopTrace(2), truncated: 'steps' }, 'inline');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '# nxt: trace incomplete after 8 steps: recording stopped at the step limit.',
    );
  });

  it('renders the scratchpad as the whole state after each line', () => {
    expect(renderTrace(loopTrace(2), 'scratchpad')).toMatchInlineSnapshot(`
      "def total(xs):
          s = 0
          for x in xs:
              s += x
          return s

      assert total([0, 1]) == -1

      # Execution, the state after each executed line:
      # total, line 1: called with xs=[0, 1]
      # total, line 2: xs=[0, 1], s=0
      # total, line 3: xs=[0, 1], s=0, x=0
      # total, line 4: xs=[0, 1], s=0, x=0
      # total, line 3: xs=[0, 1], s=0, x=1
      # total, line 4: xs=[0, 1], s=1, x=1
      # total, line 5: returns 1
      # test, line 1: raises AssertionError()
      "
    `);
  });

  it('renders LDB blocks with the state at the end of each', () => {
    expect(renderTrace(loopTrace(2), 'ldb')).toMatchInlineSnapshot(`
      "def total(xs):
          s = 0
          for x in xs:
              s += x
          return s

      assert total([0, 1]) == -1

      # Execution by basic block, the variables at the end of each:
      # [call] total line 1: xs=[0, 1]
      # [block] total lines 2-4: xs=[0, 1], s=0, x=0
      # [block] total lines 3-4: xs=[0, 1], s=1, x=1
      # [return] total line 5: 1
      # [exception] test line 1: AssertionError()
      "
    `);
  });

  it('says the run ran out of stack', () => {
    const text = renderTrace({ ...loopTrace(2), truncated: 'stack' }, 'inline');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '# nxt: trace incomplete after 8 steps: the stack ran out (RecursionError), so the deepest calls are not shown.',
    );
  });

  it("shows a trace of the program's loading without the test that never ran, and says what it is", () => {
    const note =
      '# nxt: the program failed while loading, before any test ran: this is the trace of its top-level code.';
    expect(renderTrace(loadTrace(), 'inline', { testLine: 'always' })).toBe(
      `x = 1  # (0) x=1;\ny = [x, 2]  # (1) y=[1, 2];\nz = y[3]  # (2) __exception__ = IndexError('list index out of range')\n${note}\n`,
    );
    expect(renderTrace(loadTrace(), 'scratchpad')).toMatchInlineSnapshot(`
      "x = 1
      y = [x, 2]
      z = y[3]

      # Execution, the state after each executed line:
      # <module>, line 1: x=1
      # <module>, line 2: x=1, y=[1, 2]
      # <module>, line 3: raises IndexError('list index out of range')
      # nxt: the program failed while loading, before any test ran: this is the trace of its top-level code.
      "
    `);
    expect(renderTrace(loadTrace(), 'ldb')).toMatchInlineSnapshot(`
      "x = 1
      y = [x, 2]
      z = y[3]

      # Execution by basic block, the variables at the end of each:
      # [block] <module> lines 1-2: x=1, y=[1, 2]
      # [exception] <module> line 3: IndexError('list index out of range')
      # nxt: the program failed while loading, before any test ran: this is the trace of its top-level code.
      "
    `);
    const both = renderTrace({ ...loadTrace(), truncated: 'steps' }, 'inline')
      .trimEnd()
      .split('\n');
    expect(both.slice(-2)).toEqual([
      note,
      '# nxt: trace incomplete after 3 steps: recording stopped at the step limit.',
    ]);
    expect(renderTrace(loadTrace(), 'none')).toBe(loadTrace().program);
  });

  it('reads a trace written before phases as the trace of a test', () => {
    const { phase: _phase, ...old } = loadTrace();
    expect(TraceSchema.parse(old).phase).toBeUndefined();
    expect(tracePhase(TraceSchema.parse(old))).toBe('test');
    expect(tracePhase(loadTrace())).toBe('load');
  });

  it('renders json as the structured trace and none as the bare program', () => {
    const trace = loopTrace(2);
    expect(JSON.parse(renderTrace(trace, 'json'))).toEqual(trace);
    expect(renderTrace(trace, 'none')).toBe(program);
  });
});

describe('fitTrace', () => {
  const characters = (text: string) => text.length;

  it('returns the full rendering when it fits', () => {
    const fitted = fitTrace(loopTrace(3), 'inline', { budgetTokens: 10_000, countTokens: characters });
    expect(fitted).toMatchObject({ fits: true, cuts: [] });
    expect(fitted.text).toBe(renderTrace(loopTrace(3), 'inline'));
  });

  it('shrinks loops, then values, and says what it cut', () => {
    const trace = loopTrace(40);
    const full = renderTrace(trace, 'inline').length;
    const fitted = fitTrace(trace, 'inline', { budgetTokens: full - 40, countTokens: characters });
    expect(fitted.fits).toBe(true);
    expect(fitted.tokens).toBeLessThanOrEqual(full - 40);
    expect(fitted.options.loopHead).toBeLessThan(3);
    expect(fitted.text.trimEnd().split('\n').at(-1)).toMatch(
      /^# nxt: trace shortened to fit \d+ tokens: lines run many times keep their first \d and last 1 entries \(not 3\)/,
    );
    const smallest = renderTrace(trace, 'inline', { loopHead: 1, valueChars: 20 }).length;
    const tight = fitTrace(trace, 'inline', { budgetTokens: smallest + 150, countTokens: characters });
    expect(tight.fits).toBe(true);
    expect(tight.cuts.some((cut) => /^values cut to (20|50) characters$/.test(cut))).toBe(true);
  });

  it('shrinks every format of the table by its own ladder, or shows it whole', () => {
    const trace = loopTrace(40);
    const fitted = Object.fromEntries(
      TRACE_FORMATS.map((format) => {
        const full = renderTrace(trace, format).length;
        return [format, fitTrace(trace, format, { budgetTokens: full - 1, countTokens: characters }).cuts];
      }),
    );
    for (const format of TRACE_FORMATS)
      expect(fitted[format]?.length === 0).toBe(traceFormatSpec(format).shrink === null);
    expect(fitted).toMatchInlineSnapshot(`
      {
        "inline": [
          "lines run many times keep their first 1 and last 1 entries (not 3)",
          "values cut to 20 characters",
        ],
        "json": [],
        "ldb": [
          "at most 20 blocks",
        ],
        "none": [],
        "scratchpad": [
          "at most 50 state lines",
        ],
      }
    `);
  });

  it('drops the trace when nothing else fits, and says so', () => {
    const fitted = fitTrace(loopTrace(40), 'scratchpad', { budgetTokens: 200, countTokens: characters });
    expect(fitted.cuts).toEqual(['trace dropped']);
    expect(fitted.text).toContain('# nxt: the execution trace was dropped');
    expect(fitted.text.startsWith(program)).toBe(true);
  });
});

describe('createTokenCounter', () => {
  it('counts with a real BPE tokenizer', async () => {
    const count = await createTokenCounter('cl100k_base');
    expect(count('hello world')).toBe(2);
    expect(count('def f(x):  # (0) x=1;')).toBeGreaterThan(5);
    const o200k = await createTokenCounter('o200k_base');
    expect(o200k('hello world')).toBe(2);
  });
});
