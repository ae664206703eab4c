/**
 * Tracing cost and trace size, on two sets: HumanEvalFix buggy programs with their failing test (short
 * runs: the first assert fails), and HumanEval canonical solutions with their whole passing check()
 * (long runs, large states):
 *   - untraced judging vs nxt's traced run (target: traced ≥ 0.5× untraced throughput),
 *   - nxt's tracer vs a naive tracer that formats every local with a full repr on every line, as
 *     PySnooper does (target: nxt ≥ 20× faster),
 *   - the share of traces that fit 2,048 tokens rendered inline vs as a scratchpad.
 * All through the same sandbox pool and workers, best of --rounds.
 *
 *   npm run bench:trace -- [--workers N] [--rounds N] [--budget 2048]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { createSandbox } from '../src/sandbox/index.js';
import { createTokenCounter, renderTrace, type Trace } from '../src/trace/index.js';
import { humanEvalCanonical, humanEvalFixBuggy, type ProgramCase } from '../test/support/shared-data.js';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: String(availableParallelism()) },
    rounds: { type: 'string', default: '3' },
    budget: { type: 'string', default: '2048' },
    'naive-timeout-ms': { type: 'string', default: '10000' },
  },
});
const rounds = Number(values.rounds);
const budget = Number(values.budget);

// A PySnooper-style tracer: every line of program or test code, every local, full repr, no caps.
const NAIVE = `import sys as _naive_sys
_naive_log = []
def _naive_tracer(frame, event, arg):
    name = frame.f_code.co_filename
    if name != '<program>' and not name.startswith('<test'):
        return None
    if event in ('line', 'return', 'exception'):
        state = ', '.join('%s=%r' % (key, value) for key, value in frame.f_locals.items() if not key.startswith('__'))
        _naive_log.append('%s:%d %s %s' % (frame.f_code.co_name, frame.f_lineno, event, state))
    return _naive_tracer
_naive_sys.settrace(_naive_tracer)
try:
`;

function naiveTest(test: string): string {
  const body = test
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `${NAIVE}${body}\nfinally:\n    _naive_sys.settrace(None)\n`;
}

const sandbox = await createSandbox({ workers: Number(values.workers) });
const limits = { testTimeoutMs: 20_000, programTimeoutMs: 30_000 };
const naiveLimits = {
  testTimeoutMs: Number(values['naive-timeout-ms']),
  programTimeoutMs: Number(values['naive-timeout-ms']) + 5000,
};
const count = await createTokenCounter('cl100k_base');

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  let best = Number.POSITIVE_INFINITY;
  let value: T | undefined;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    value = await fn();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return { seconds: best, value: value as T };
}

const sum = (list: number[]) => list.reduce((total, value) => total + value, 0);
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;

async function measure(title: string, all: ProgramCase[]): Promise<void> {
  // Programs that hang untraced cost every variant the same timeout; they are left out.
  const first = await Promise.all(
    all.map((item) => sandbox.judgeProgram(item.program, item.tests, { testTimeoutMs: 3000 })),
  );
  const cases = all.filter((_, index) => first[index]?.status !== 'timeout');
  console.log(
    `\n${title}: ${cases.length} of ${all.length} programs (${all.length - cases.length} hang and are left out)`,
  );
  const untraced = await timed(() =>
    Promise.all(cases.map((item) => sandbox.judgeProgram(item.program, item.tests, limits))),
  );
  const traced = await timed(() =>
    Promise.all(cases.map((item) => sandbox.traceProgram(item.program, item.tests, { ...limits, testIndex: 0 }))),
  );
  const naive = await timed(() =>
    Promise.all(
      cases.map((item) => sandbox.judgeProgram(item.program, [naiveTest(item.tests[0] as string)], naiveLimits)),
    ),
  );
  const rate = (seconds: number) => (cases.length / seconds).toFixed(1).padStart(7);
  console.log(`  untraced judging  ${rate(untraced.seconds)} programs/s`);
  console.log(
    `  nxt tracer        ${rate(traced.seconds)} programs/s   traced/untraced ${(untraced.seconds / traced.seconds).toFixed(2)} (target ≥ 0.5)`,
  );
  console.log(
    `  naive tracer      ${rate(naive.seconds)} programs/s   nxt/naive ${(naive.seconds / traced.seconds).toFixed(1)}x (target ≥ 20x)`,
  );
  const naiveTimeouts = naive.value.filter((verdict) => verdict.status === 'timeout').length;
  const naiveErrors = naive.value.filter((verdict) => verdict.tests[0]?.exception?.type === 'MemoryError').length;
  if (naiveTimeouts + naiveErrors > 0) {
    console.log(
      `  the naive tracer hit the ${naiveLimits.testTimeoutMs / 1000} s limit on ${naiveTimeouts} and ran out of memory on ${naiveErrors} programs: its rate is an upper bound`,
    );
  }
  // Time inside the tests themselves, without the per-program process costs all variants share.
  const testMs = {
    untraced: sum(untraced.value.map((verdict) => verdict.tests[0]?.durationMs ?? 0)),
    traced: sum(traced.value.map((result) => (result.status === 'traced' ? result.trace.outcome.durationMs : 0))),
    naive: sum(naive.value.map((verdict) => verdict.tests[0]?.durationMs || naiveLimits.testTimeoutMs)),
  };
  console.log(
    `  inside the tests: untraced ${testMs.untraced.toFixed(0)} ms, nxt ${testMs.traced.toFixed(0)} ms (${(testMs.traced / testMs.untraced).toFixed(1)}x), naive ${testMs.naive.toFixed(0)} ms (${(testMs.naive / testMs.untraced).toFixed(1)}x): nxt ${(testMs.naive / testMs.traced).toFixed(1)}x faster than naive`,
  );
  const traces = traced.value.flatMap((result) => (result.status === 'traced' ? [result.trace] : []));
  const capped = traces.filter((trace: Trace) => trace.truncated !== null).length;
  const sizes = { inline: [] as number[], scratchpad: [] as number[] };
  for (const trace of traces) {
    sizes.inline.push(count(renderTrace(trace, 'inline')));
    sizes.scratchpad.push(count(renderTrace(trace, 'scratchpad', { maxLines: Number.MAX_SAFE_INTEGER })));
  }
  console.log(`  ${traces.length} traces (${capped} stopped at a cap); cl100k_base tokens:`);
  for (const format of ['inline', 'scratchpad'] as const) {
    const fit = sizes[format].filter((tokens) => tokens <= budget).length;
    console.log(
      `    ${format.padEnd(10)} fit ${budget}: ${fit}/${traces.length} (${((100 * fit) / traces.length).toFixed(1)}%), median ${median(sizes[format])} tokens`,
    );
  }
}

console.log(`python ${sandbox.pythonVersion.split(' ')[0]}; ${sandbox.workers} workers; best of ${rounds}`);
await measure('HumanEvalFix buggy programs, failing test', humanEvalFixBuggy());
await measure('HumanEval canonical solutions, whole check()', humanEvalCanonical());
await sandbox.close();
