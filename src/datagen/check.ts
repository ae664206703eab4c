import type { JudgeTest, Sandbox, Verdict, VerdictStatus } from '../sandbox/index.js';
import { isRepairTask, PLUS_MEMORY_BYTES, type Problem, plusTestOf, type RepairTask } from '../tasks/index.js';

export interface CheckedProgram {
  id: string;
  status: VerdictStatus;
  reason: string;
}

/** Verdict counts of one kind of program, and every program whose verdict was not the expected one. */
export interface CheckGroup {
  expected: 'pass' | 'fail';
  counts: Record<VerdictStatus, number>;
  unexpected: CheckedProgram[];
  /** Programs that failed as expected but by timeout or crash rather than a failed assert, worth knowing. */
  notable: CheckedProgram[];
}

/** A test that ran as a statement in the program's process (not sealed), and why. */
export interface UnsealedTest {
  id: string;
  /** Index among the task's base tests, or `plus` for its EvalPlus tests. */
  test: number | 'plus';
  reason: string;
}

export interface CheckReport {
  tasks: number;
  reference: CheckGroup;
  buggy: CheckGroup | null;
  referencePlus: CheckGroup | null;
  buggyPlus: CheckGroup | null;
  /** The references' test verdicts (base and EvalPlus): how many were sealed, and which were not. */
  sealing: { tests: number; sealed: number; unsealed: UnsealedTest[] };
}

export interface CheckOptions {
  /** Per test, for references (they must pass, and a few are slow). */
  testTimeoutMs?: number;
  /** Per test, for buggy programs (they only have to not pass; some hang). */
  buggyTimeoutMs?: number;
  /** EvalPlus tests run thousands of inputs: references get a long limit (some need 30 s)... */
  plusTimeoutMs?: number;
  /** ... buggy programs a shorter one: they only have to not pass, and many of them hang. */
  buggyPlusTimeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

function group(expected: 'pass' | 'fail'): CheckGroup {
  return { expected, counts: { pass: 0, fail: 0, error: 0, timeout: 0 }, unexpected: [], notable: [] };
}

function record(target: CheckGroup, checked: CheckedProgram): void {
  target.counts[checked.status] += 1;
  const passed = checked.status === 'pass';
  if (passed !== (target.expected === 'pass')) target.unexpected.push(checked);
  else if (!passed && checked.status !== 'fail') target.notable.push(checked);
}

type Timeouts = Required<Omit<CheckOptions, 'onProgress'>>;

/** One program to judge against one set of tests, and the group its verdict counts in. */
interface CheckJob {
  target: CheckGroup;
  id: string;
  program: string;
  tests: JudgeTest[];
  entryPoint: string;
  reference: string | null;
  timeoutMs: number;
  /** The EvalPlus tests (judged with EvalPlus's memory limit). */
  plus: boolean;
}

function timeoutsOf(options: CheckOptions): Timeouts {
  return {
    testTimeoutMs: options.testTimeoutMs ?? 10_000,
    buggyTimeoutMs: options.buggyTimeoutMs ?? 5_000,
    plusTimeoutMs: options.plusTimeoutMs ?? 120_000,
    buggyPlusTimeoutMs: options.buggyPlusTimeoutMs ?? 10_000,
  };
}

/** A report with a group for each kind of program the tasks have, nothing counted yet. */
function emptyReport(tasks: readonly (Problem | RepairTask)[]): CheckReport {
  const hasBuggy = tasks.some(isRepairTask);
  const hasPlus = tasks.some((task) => task.plusTests !== null);
  return {
    tasks: tasks.length,
    reference: group('pass'),
    buggy: hasBuggy ? group('fail') : null,
    referencePlus: hasPlus ? group('pass') : null,
    buggyPlus: hasPlus && hasBuggy ? group('fail') : null,
    sealing: { tests: 0, sealed: 0, unsealed: [] },
  };
}

/** A task's jobs: its reference and its buggy program, on its base tests and on its EvalPlus tests. */
function jobsOf(task: Problem | RepairTask, report: CheckReport, timeouts: Timeouts): CheckJob[] {
  const job = (
    target: CheckGroup | null,
    program: string | null,
    tests: JudgeTest[],
    timeoutMs: number,
    plus = false,
  ): CheckJob[] =>
    target && program !== null
      ? [
          {
            target,
            id: task.id,
            program,
            tests,
            entryPoint: task.entryPoint,
            reference: task.reference,
            timeoutMs,
            plus,
          },
        ]
      : [];
  const buggy = isRepairTask(task) ? task.buggyProgram : null;
  const plus = task.plusTests ? [plusTestOf(task.plusTests)] : null;
  return [
    ...job(report.reference, task.reference, task.tests, timeouts.testTimeoutMs),
    ...job(report.buggy, buggy, task.tests, timeouts.buggyTimeoutMs),
    ...(plus ? job(report.referencePlus, task.reference, plus, timeouts.plusTimeoutMs, true) : []),
    ...(plus ? job(report.buggyPlus, buggy, plus, timeouts.buggyPlusTimeoutMs, true) : []),
  ];
}

function judgeJob(sandbox: Sandbox, job: CheckJob) {
  return sandbox.judgeProgram(job.program, job.tests, {
    entryPoint: job.entryPoint,
    reference: job.reference,
    testTimeoutMs: job.timeoutMs,
    programTimeoutMs: job.timeoutMs * Math.max(1, Math.min(job.tests.length, 10)),
    captureOutput: false,
    // Only pass or not matters here: a failing program stops at its first failing test.
    stopAtFirstFailure: true,
    // The re-check policy of all judging: a timeout counts only when it happens again.
    recheckTimeouts: true,
    ...(job.plus ? { limits: { memoryBytes: PLUS_MEMORY_BYTES } } : {}),
  });
}

/** Counts a verdict in its group; a reference's tests also count towards sealing. */
function noteVerdict(report: CheckReport, job: CheckJob, verdict: Verdict): void {
  record(job.target, { id: job.id, status: verdict.status, reason: verdict.reason });
  if (job.target !== report.reference && job.target !== report.referencePlus) return;
  report.sealing.tests += verdict.tests.length;
  for (const test of verdict.tests) {
    if (test.sealed) report.sealing.sealed += 1;
    else report.sealing.unsealed.push({ id: job.id, test: job.plus ? 'plus' : test.index, reason: '' });
  }
}

/**
 * Runs every reference (it must pass) and every buggy program (it must fail) of a dataset, on the base
 * tests and on EvalPlus tests where the dataset has them.
 */
export async function checkDataset(
  tasks: readonly (Problem | RepairTask)[],
  sandbox: Sandbox,
  options: CheckOptions = {},
): Promise<CheckReport> {
  const timeouts = timeoutsOf(options);
  const report = emptyReport(tasks);
  const jobs = tasks.flatMap((task) => jobsOf(task, report, timeouts));
  let done = 0;
  await Promise.all(
    jobs.map(async (job) => {
      noteVerdict(report, job, await judgeJob(sandbox, job));
      done += 1;
      options.onProgress?.(done, jobs.length);
    }),
  );
  await explainUnsealed(report.sealing.unsealed, new Map(tasks.map((task) => [task.id, task])), sandbox);
  for (const target of [report.reference, report.buggy, report.referencePlus, report.buggyPlus]) {
    target?.unexpected.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    target?.notable.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }
  return report;
}

/** Fills in why each unsealed test could not be sealed (from the judge's plan of its task's tests). */
async function explainUnsealed(
  unsealed: UnsealedTest[],
  byId: ReadonlyMap<string, Problem | RepairTask>,
  sandbox: Sandbox,
): Promise<void> {
  const plans = new Map<string, Awaited<ReturnType<Sandbox['planTests']>>>();
  for (const item of unsealed) {
    const task = byId.get(item.id);
    if (!task) continue;
    if (item.test === 'plus') {
      item.reason = 'task file without EvalPlus cases: the tests run as one statement';
      continue;
    }
    if (!plans.has(item.id)) {
      plans.set(
        item.id,
        await sandbox.planTests(task.tests, { entryPoint: task.entryPoint, reference: task.reference }),
      );
    }
    const plan = plans.get(item.id)?.[item.test];
    item.reason =
      plan?.kind === 'runner'
        ? 'an argument or a result is not plain data (an object of a class the task defines, say)'
        : (plan?.reason ?? 'unknown');
  }
  unsealed.sort(
    (a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }) || String(a.test).localeCompare(String(b.test)),
  );
}
