/**
 * Sandbox throughput of this checkout against another commit, side by side in one run: both sandboxes
 * start, then judge the same programs in alternating rounds (base first in even rounds, this first in odd ones), best of
 * --rounds each; prints the ratio of the best rounds and the median of the per-round ratios. Programs: the HumanEvalFix-Plus references and buggy programs with their split base
 * tests, judged as `nxt eval` judges them (entry point and reference given, so sealed).
 *
 *   npx tsx bench/versions.ts --base COMMIT [--bubblewrap auto|off] [--rounds N] [--workers N] [--python PATH]
 *   npx tsx bench/versions.ts --base-dir CHECKOUT ...   (a checkout of the base made beforehand)
 *
 * The base commit is checked out into a temporary git worktree sharing this node_modules.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSandbox, type Sandbox } from '../src/sandbox/index.js';
import { isRepairTask } from '../src/tasks/index.js';
import { loadSharedTasks } from '../test/support/shared-data.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    'base-dir': { type: 'string' },
    python: { type: 'string' },
    bubblewrap: { type: 'string', default: 'auto' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: String(availableParallelism()) },
  },
});
if (!values.base && !values['base-dir']) throw new Error('give the commit to compare with: --base COMMIT');
const repo = join(import.meta.dirname, '..');
// --base-dir: an existing checkout of the base (e.g. when running as a user who cannot write the repo).
const worktree = values['base-dir'] ?? mkdtempSync(join(tmpdir(), 'nxt-base-'));
if (!values['base-dir']) {
  rmSync(worktree, { recursive: true });
  execFileSync('git', ['-C', repo, 'worktree', 'add', '--detach', worktree, values.base as string], {
    stdio: 'ignore',
  });
  symlinkSync(join(repo, 'node_modules'), join(worktree, 'node_modules'));
}

type Create = typeof createSandbox;
const options = {
  workers: Number(values.workers),
  bubblewrap: values.bubblewrap as 'auto' | 'off',
  ...(values.python ? { python: values.python } : {}),
};
const thisOptions = { ...options, ...(process.env['NXT_BENCH_THIS'] ? JSON.parse(process.env['NXT_BENCH_THIS']) : {}) };
const items = (await loadSharedTasks('humanevalfix-plus')).flatMap((task) => {
  if (!isRepairTask(task) || task.reference === null) return [];
  const judge = {
    entryPoint: task.entryPoint,
    reference: task.reference,
    stopAtFirstFailure: true,
    testTimeoutMs: 1000,
  };
  return [
    { program: task.reference, tests: task.tests, judge },
    { program: task.buggyProgram, tests: task.tests, judge },
  ];
});

async function round(sandbox: Sandbox): Promise<{ seconds: number; statuses: string[] }> {
  const started = performance.now();
  const verdicts = await Promise.all(items.map((item) => sandbox.judgeProgram(item.program, item.tests, item.judge)));
  return { seconds: (performance.now() - started) / 1000, statuses: verdicts.map((verdict) => verdict.status) };
}

try {
  const baseModule = (await import(join(worktree, 'src', 'sandbox', 'index.ts'))) as { createSandbox: Create };
  const sandboxes = {
    base: await baseModule.createSandbox(options),
    this: await createSandbox(thisOptions),
  };
  const best = { base: Number.POSITIVE_INFINITY, this: Number.POSITIVE_INFINITY };
  let differ = 0;
  const ratios: number[] = [];
  for (let index = 0; index < Number(values.rounds); index++) {
    // Alternate which goes first: a round can warm the machine (or the page cache) for the next.
    const first = index % 2 === 0 ? 'base' : 'this';
    const results = { [first]: await round(sandboxes[first]) } as Record<
      'base' | 'this',
      Awaited<ReturnType<typeof round>>
    >;
    const second = first === 'base' ? 'this' : 'base';
    results[second] = await round(sandboxes[second]);
    const { base, this: current } = results;
    best.base = Math.min(best.base, base.seconds);
    best.this = Math.min(best.this, current.seconds);
    differ = base.statuses.filter((status, at) => status !== current.statuses[at]).length;
    ratios.push(base.seconds / current.seconds);
  }
  for (const [name, sandbox] of Object.entries(sandboxes)) {
    const active = sandbox.layers.filter((layer) => layer.active).map((layer) => layer.name);
    console.log(
      `${name.padEnd(5)} ${(items.length / best[name as 'base']).toFixed(1).padStart(7)} programs/s  layers: ${active.join(', ')}`,
    );
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  console.log(`per-round this/base: ${ratios.map((ratio) => ratio.toFixed(3)).join(' ')}`);
  console.log(
    `${items.length} programs × ${values.rounds} rounds, bubblewrap ${values.bubblewrap}: this/base throughput ${(best.base / best.this).toFixed(3)} (best of each), ${median.toFixed(3)} (median round); verdicts that differ: ${differ}`,
  );
  await Promise.all(Object.values(sandboxes).map((sandbox) => sandbox.close()));
} finally {
  if (!values['base-dir'])
    execFileSync('git', ['-C', repo, 'worktree', 'remove', '--force', worktree], { stdio: 'ignore' });
}
