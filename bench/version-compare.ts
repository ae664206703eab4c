/**
 * Sandbox throughput of this checkout against another commit, side by side in one run: both sandboxes
 * start, then judge the same programs in alternating rounds (base first in even rounds, this first in
 * odd ones); prints programs/s of the best rounds, the ratio of the best rounds and the median of the
 * per-round ratios, and how many verdicts differ. Programs: the HumanEvalFix-Plus references and buggy
 * programs with their split base tests, judged as `nxt eval` judges them (entry point and reference
 * given, so sealed). Used by bench/versions.ts and by `npm run bench:exec -- --base COMMIT`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, type Sandbox, type SandboxOptions } from '../src/sandbox/index.js';
import { isRepairTask } from '../src/tasks/index.js';
import { loadSharedTasks } from '../test/support/shared-data.js';

export interface VersionComparison {
  /** A commit to check out into a temporary worktree, or `baseDir`: a checkout made beforehand. */
  base?: string;
  baseDir?: string;
  rounds: number;
  options: SandboxOptions;
  /** Options for this checkout's sandbox only (to measure one setting against the base). */
  thisOptions?: SandboxOptions;
}

async function programs() {
  return (await loadSharedTasks('humanevalfix-plus')).flatMap((task) => {
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
}

type Items = Awaited<ReturnType<typeof programs>>;

async function round(sandbox: Sandbox, items: Items): Promise<{ seconds: number; statuses: string[] }> {
  const started = performance.now();
  const verdicts = await Promise.all(items.map((item) => sandbox.judgeProgram(item.program, item.tests, item.judge)));
  return { seconds: (performance.now() - started) / 1000, statuses: verdicts.map((verdict) => verdict.status) };
}

/** Runs the comparison and prints it; returns the median per-round ratio of this/base throughput. */
export async function compareVersions(setup: VersionComparison): Promise<number> {
  const repo = join(import.meta.dirname, '..');
  const worktree = setup.baseDir ?? mkdtempSync(join(tmpdir(), 'nxt-base-'));
  if (!setup.baseDir) {
    if (!setup.base) throw new Error('give the commit to compare with');
    rmSync(worktree, { recursive: true });
    execFileSync('git', ['-C', repo, 'worktree', 'add', '--detach', worktree, setup.base], { stdio: 'ignore' });
    symlinkSync(join(repo, 'node_modules'), join(worktree, 'node_modules'));
  }
  try {
    const items = await programs();
    const baseModule = (await import(join(worktree, 'src', 'sandbox', 'index.ts'))) as {
      createSandbox: typeof createSandbox;
    };
    const sandboxes = {
      base: await baseModule.createSandbox(setup.options),
      this: await createSandbox({ ...setup.options, ...setup.thisOptions }),
    };
    const best = { base: Number.POSITIVE_INFINITY, this: Number.POSITIVE_INFINITY };
    let differ = 0;
    const ratios: number[] = [];
    for (let index = 0; index < setup.rounds; index++) {
      // Alternate which goes first: a round can warm the machine (or the page cache) for the next.
      const first = index % 2 === 0 ? 'base' : 'this';
      const second = first === 'base' ? 'this' : 'base';
      const results = { [first]: await round(sandboxes[first], items) } as Record<
        'base' | 'this',
        Awaited<ReturnType<typeof round>>
      >;
      results[second] = await round(sandboxes[second], items);
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
      `${items.length} programs × ${setup.rounds} rounds, bubblewrap ${setup.options.bubblewrap ?? 'auto'}: this/base throughput ${(best.base / best.this).toFixed(3)} (best of each), ${median.toFixed(3)} (median round); verdicts that differ: ${differ}`,
    );
    await Promise.all(Object.values(sandboxes).map((sandbox) => sandbox.close()));
    return median;
  } finally {
    if (!setup.baseDir)
      execFileSync('git', ['-C', repo, 'worktree', 'remove', '--force', worktree], { stdio: 'ignore' });
  }
}
