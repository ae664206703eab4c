import { z } from 'zod';
import { NxtError, UsageError } from '../shared/index.js';
import { entryPointFields } from './entry-points.js';
import {
  CaseBatchSchema,
  type JudgeOptions,
  JudgeOptionsSchema,
  type JudgeTest,
  parseOptions,
  type ResolvedJudgeOptions,
  ResourceLimitsSchema,
} from './options.js';
import type { SandboxPool } from './pool.js';
import { judgeFaultVerdict, type RawResult, toVerdict, type Verdict } from './verdict.js';

/** Processes of the sandbox itself that share the programs' uid when nxt is not root. */
const SANDBOX_PROCESSES = 5;

/** A timed-out program that had at least this share of a core was computing, not starved by load. */
export const BUSY_CPU_SHARE = 0.9;

/**
 * The re-check policy: a timeout is judged again (and counts only if it happens again) unless the
 * program had a core almost to itself until it was stopped, in which case the machine's load cannot
 * be what stopped it. So a busy loop pays its limit once; a starved or waiting program twice.
 */
export function mayHaveBeenStarved(verdict: Verdict): boolean {
  return verdict.timeoutCpuShare === null || verdict.timeoutCpuShare < BUSY_CPU_SHARE;
}

/** What judging needs of a running sandbox. */
export interface JudgeHost {
  readonly pool: SandboxPool;
  readonly pythonVersion: string;
  /** Whether RLIMIT_NPROC bounds a program's processes (the process-limit layer is active). */
  readonly processLimit: boolean;
  /** Whether programs run under uids of their own (else they share one with the sandbox's processes). */
  readonly ownUids: boolean;
}

/** Tests as the server takes them: statements, or case batches with their defaults filled in. */
export function checkTests(tests: readonly JudgeTest[]): JudgeTest[] {
  if (!Array.isArray(tests)) throw new UsageError('tests must be an array of Python statements or case batches');
  return tests.map((test, index) => {
    if (typeof test === 'string') return test;
    if (typeof test !== 'object' || test === null || (test as { kind?: unknown }).kind !== 'cases') {
      throw new UsageError(
        `tests must be an array of Python statements (strings) or case batches; test ${index} is neither`,
      );
    }
    const parsed = CaseBatchSchema.safeParse(test);
    if (!parsed.success)
      throw new UsageError(`test ${index} is not a valid case batch:\n${z.prettifyError(parsed.error)}`);
    return parsed.data;
  });
}

function testTimeouts(options: ResolvedJudgeOptions, count: number): number[] {
  if (!Array.isArray(options.testTimeoutMs))
    return Array.from({ length: count }, () => options.testTimeoutMs as number);
  if (options.testTimeoutMs.length !== count) {
    throw new NxtError('usage', `testTimeoutMs has ${options.testTimeoutMs.length} entries for ${count} tests`);
  }
  return options.testTimeoutMs;
}

/** The rlimits of one program: with a process limit, all its processes together stay under the total. */
function programLimits(host: JudgeHost, judge: ResolvedJudgeOptions) {
  const limits = ResourceLimitsSchema.parse(judge.limits);
  let processes: number | null = null;
  let memoryBytes = limits.memoryBytes;
  if (host.processLimit) {
    // Keep all of the program's processes together under the total: fewer processes first, then
    // less memory per process when even one would not fit.
    const fit = Math.floor(limits.totalMemoryBytes / memoryBytes);
    processes = Math.max(1, Math.min(limits.processes, fit));
    if (fit < 1) memoryBytes = limits.totalMemoryBytes;
    // Without a uid of its own, RLIMIT_NPROC counts the uid's processes in the server's user
    // namespace: the server, the zygote, the next child, a test process and bubblewrap's init too.
    if (!host.ownUids) processes += SANDBOX_PROCESSES;
  }
  return {
    memoryBytes,
    fileSizeBytes: limits.fileSizeBytes,
    openFiles: limits.openFiles,
    processes,
    cpuSeconds: Math.ceil(judge.programTimeoutMs / 1000) + 1,
  };
}

/** One judge request to a fork-server (`extra`: e.g. the tracer's config); the raw result. */
export function runJudge(
  host: JudgeHost,
  program: string,
  tests: readonly JudgeTest[],
  judge: ResolvedJudgeOptions,
  extra: Record<string, unknown> = {},
): Promise<RawResult> {
  return host.pool.run({
    ...extra,
    op: 'judge',
    program,
    tests,
    sealing: judge.sealing !== 'off',
    ...entryPointFields(judge.entryPoint),
    ...(judge.reference ? { reference: judge.reference } : {}),
    programTimeoutMs: judge.programTimeoutMs,
    testTimeoutsMs: testTimeouts(judge, tests.length),
    ...(judge.caseTimeoutsMs ? { caseTimeoutsMs: judge.caseTimeoutsMs } : {}),
    ...(judge.caseTimes ? { caseTimes: true } : {}),
    stopAtFirstFailure: judge.stopAtFirstFailure,
    maxOutputBytes: judge.maxOutputBytes,
    captureOutput: judge.captureOutput,
    limits: programLimits(host, judge),
  });
}

async function judgeOnce(
  host: JudgeHost,
  program: string,
  tests: readonly JudgeTest[],
  judge: ResolvedJudgeOptions,
  rechecked: boolean,
): Promise<Verdict> {
  try {
    return toVerdict(await runJudge(host, program, tests, judge, {}), host.pythonVersion, rechecked);
  } catch (error) {
    // Whatever the program did, it gets a verdict: a fault of the judge is that program's error.
    if (error instanceof NxtError && error.code === 'sandbox-judge-fault') {
      return judgeFaultVerdict(tests.length, error.message, host.pythonVersion);
    }
    throw error;
  }
}

/** `Sandbox.judgeProgram`: checks its input, judges, and judges a timeout again if it may have been load. */
export async function judgeProgram(
  host: JudgeHost,
  program: string,
  tests: readonly JudgeTest[],
  judgeOptions: JudgeOptions = {},
): Promise<Verdict> {
  if (typeof program !== 'string') throw new NxtError('usage', 'the program must be a string of Python source');
  const checked = checkTests(tests);
  const judge = parseOptions(JudgeOptionsSchema, judgeOptions, 'judge options');
  const first = await judgeOnce(host, program, checked, judge, false);
  if (first.status !== 'timeout' || !judge.recheckTimeouts || !mayHaveBeenStarved(first)) return first;
  return judgeOnce(host, program, checked, judge, true);
}
