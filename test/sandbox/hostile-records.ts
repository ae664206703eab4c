/**
 * Programs that make the judge work: values that are huge or costly to decode, compare and describe,
 * and records forged on the judge's private result channel (the program reads the nonce out of the
 * harness, as decision 0002 says a program written against nxt can). Shared by the tests
 * (hostile-records.test.ts: every one gets its verdict, the server survives, work is capped; sizes just
 * over the judge's budgets) and the benchmark of the server's time and memory on each
 * (bench/hostile-records.ts; sizes near the 64 MiB value limit).
 */
import { readFileSync } from 'node:fs';
import type { JudgeOptions, JudgeTest, VerdictStatus } from '../../src/sandbox/index.js';

/** The forging helpers: `forge(kind, test, case, payload, ms)` and the record kinds. */
export const FORGE = readFileSync(new URL('./__fixtures__/forge.py', import.meta.url), 'utf8');

export interface RecordCase {
  name: string;
  /** `judge`: judged (with `options`); `trace`: test 0 traced with the default caps. */
  mode: 'judge' | 'trace';
  program: string;
  tests: JudgeTest[];
  options?: JudgeOptions;
  /** A program judged first on the same tests (so a reference's outputs are computed before measuring). */
  warmup?: string;
  /**
   * The verdict a judged case must get, and what its reason or its first test's exception says (that
   * work over a budget was not done).
   */
  expect?: { status: VerdictStatus; message?: RegExp };
}

const MiB = 1024 * 1024;
const CHECK = ['assert ok() == 1'];
/** Time for an honest program to build a huge value and send it (encoding 64 MiB takes seconds). */
const SLOW: JudgeOptions = { testTimeoutMs: 20_000, programTimeoutMs: 30_000 };
/** Just over the judge's decode budget of a million items (python/nxt/protocol/plain.py). */
const OVER_ITEMS = 1_500_000;
const EXACT_ONLY = /compared by its exact encoding/;

/** A program whose `ok()` runs `body` (Python, with the forging helpers) and then returns 1. */
export function forging(body: string): string {
  const indented = body
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `${FORGE}\nimport json as _json, marshal as _marshal\n\ndef ok():\n${indented}\n    return 1\n`;
}

/** Forges one trace chunk (the tracer's `{"k": "trace", ...}` record); both parts are Python str expressions. */
function traceChunk(frames: string, events: string): string {
  return `forge(TRACE, None, 0, ('{"k": "trace", "frames": ' + ${frames} + ', "events": ' + ${events} + '}').encode())`;
}

/**
 * Honest programs whose return values are large or costly for the judge (within the 64 MiB value
 * limit). `full`: the benchmark's sizes; else sizes just over the judge's budgets.
 */
export function hugeValues(full: boolean): RecordCase[] {
  const size = (bench: number, test: number) => (full ? bench : test);
  const floats = size(7 * MiB, OVER_ITEMS);
  return [
    {
      name: `returns ${size(40, 1.5)} M None`,
      program: `def ok():\n    return [None] * ${size(40 * MiB, OVER_ITEMS)}\n`,
      expect: { status: 'fail', message: EXACT_ONLY },
    },
    {
      name: `returns one empty dict ${size(32, 1.5)} M times (as many dicts on the judge's side)`,
      program: `def ok():\n    d = {}\n    return [d] * ${size(32 * MiB - 8, OVER_ITEMS)}\n`,
      expect: { status: 'fail', message: EXACT_ONLY },
    },
    {
      name: `returns ${size(12, 1.5)} M distinct ints`,
      program: `def ok():\n    return list(range(${size(12 * MiB, OVER_ITEMS)}))\n`,
      expect: { status: 'fail', message: EXACT_ONLY },
    },
    {
      name: `returns a set of ${size(4, 1.5)} M ints`,
      program: `def ok():\n    return set(range(${size(4 * MiB, OVER_ITEMS)}))\n`,
      expect: { status: 'fail', message: EXACT_ONLY },
    },
    {
      name: `returns a ${size(4, 1.5)} M-bit int to a test that takes its square root`,
      program: `def ok():\n    return 1 << ${size(1 << 22, 1_500_000)}\n`,
      tests: ['import math\nassert math.isqrt(ok()) == 1'],
      expect: { status: 'fail', message: /too large to judge with this assertion/ },
    },
    {
      name: 'returns 100 ints of a million bits to a test that takes the square root of each',
      program: 'def ok():\n    return [(1 << 990_000) + i for i in range(100)]\n',
      tests: ['import math\nassert all(math.isqrt(x) < 2 for x in ok())'],
      expect: { status: 'fail', message: /took more than 2 s on this result/ },
    },
    {
      name: `returns ${size(7, 1.5)} M floats within a tolerance of the expected ones (a case batch)`,
      program: 'def ok(n):\n    return [0.5 + 1e-12] * n\n',
      warmup: 'def ok(n):\n    return [0.5] * n\n',
      tests: [
        {
          kind: 'cases',
          function: 'ok',
          inputs: `[[${floats}]]`,
          expected: null,
          reference: { source: 'def ref(n):\n    return [0.5] * n\n', function: 'ref' },
          atol: 1e-6,
        },
      ],
      expect: { status: 'fail', message: EXACT_ONLY },
    },
  ].map((item) => ({ mode: 'judge', tests: CHECK, options: SLOW, ...item }) as RecordCase);
}

/** Records a program forges on the judge's channel while it is judged. */
export function forgedRecords(full: boolean): RecordCase[] {
  const size = (bench: number, test: number) => (full ? bench : test);
  return [
    {
      name: `forges a value record of ${size(200, 80)} MiB of None (over the 64 MiB a record may carry)`,
      program: forging(
        `n = ${size(200 * MiB, 80 * MiB)}\nforge(VALUE, 0, 0, b"[" + n.to_bytes(4, "little") + b"N" * n)`,
      ),
      expect: { status: 'error', message: /a record on the judge's result channel is too large/ },
    },
    {
      name: `forges a value record of ${size(32, 1.5)} M empty dicts`,
      program: forging(
        `n = ${size(32 * MiB - 8, OVER_ITEMS)}\nforge(VALUE, 0, 0, b"[" + n.to_bytes(4, "little") + b"{0" * n)`,
      ),
      expect: { status: 'error', message: EXACT_ONLY },
    },
    {
      name: `forges exception details of ${size(32, 1.5)} M empty dicts`,
      program: forging(
        `forge(RAISED, 0, 0, _marshal.dumps({"type": "E", "message": [{}] * ${size(32 * MiB - 64, OVER_ITEMS)}}, 2))`,
      ),
      expect: { status: 'error', message: /exception details of \d+ bytes, too large to read/ },
    },
    {
      name: `forges a ${size(200, 10)} MB reason why its value is not plain`,
      program: forging(`forge(NOT_PLAIN, 0, 0, b"x" * ${size(200 * MiB, 10 * MiB)})`),
      expect: { status: 'error' },
    },
    {
      name: 'forges a value record whose time is NaN and a program record whose time is infinite',
      program: forging(
        'forge(VALUE, 0, 0, _marshal.dumps(1, 2), float("nan"))\nforge(PROGRAM_OK, 0, 0, b"", float("inf"))',
      ),
      expect: { status: 'error' },
    },
  ].map((item) => ({ mode: 'judge', tests: CHECK, ...item }) as RecordCase);
}

/**
 * The body of a function that forges `megabytes` trace chunks of one 1 MB value each (600 of them
 * made an answer too long for a JavaScript string, and nxt died).
 */
export function traceFlood(megabytes: number): string {
  return `chunk = _json.dumps({"k": "trace", "frames": [], "events": [["l", 0, 1, -1, [["v", "x" * ${MiB}]], None]]}).encode()\nfor _ in range(${megabytes}):\n    forge(TRACE, None, 0, chunk)`;
}

/** Records a program forges while one of its tests is traced. */
export function forgedTraces(full: boolean): RecordCase[] {
  const size = (bench: number, test: number) => (full ? bench : test);
  const megabytes = size(600, 60);
  const chunks = size(2000, 100);
  return [
    { name: `floods the trace channel with ${megabytes} values of 1 MB`, program: forging(traceFlood(megabytes)) },
    {
      name: `floods the trace channel with ${chunks * 2000} events`,
      program: forging(
        `chunk = _json.dumps({"k": "trace", "frames": [], "events": [["l", 0, 1, -1, None, None]] * 2000}).encode()\nfor _ in range(${chunks}):\n    forge(TRACE, None, 0, chunk)`,
      ),
    },
    {
      name: 'a trace event whose step is NaN',
      program: forging(traceChunk("'[]'", `'[["l", 0, 1, NaN, null, null]]'`)),
    },
    {
      name: 'a trace event whose line is an integer of 400 digits',
      program: forging(traceChunk("'[]'", `'[["l", 0, ' + '9' * 400 + ', -1, null, null]]'`)),
    },
    { name: 'a trace frame of the wrong shape', program: forging(traceChunk(`'[["a"]]'`, "'[]'")) },
    {
      name: 'a trace event with changes of the wrong types',
      program: forging(traceChunk("'[]'", `'[["l", 0, 1, 3, [[1, {"a": 2}]], [1, 2]]]'`)),
    },
    {
      name: 'a trace chunk of 4.2 M empty lists (about the most lists a chunk may hold)',
      program: forging(traceChunk("'[]'", "'[' + '[],' * 4200000 + '[]]'")),
    },
    {
      name: 'a trace nested 100,000 lists deep',
      program: forging(traceChunk("'[]'", `'[' * 100000 + ']' * 100000`)),
    },
    {
      name: 'ends its trace with negative steps, then says its test passed',
      program: forging(
        'forge(TRACE_END, None, 0, b\'{"k": "trace_end", "truncated": "nonsense", "steps": -5, "events": 1e300}\')\nforge(TEST_END, None, 0, b"")\nforge(DONE, 0, 0, b"")\n_os._exit(0)',
      ),
    },
  ].map((item) => ({ mode: 'trace', tests: CHECK, ...item }) as RecordCase);
}
