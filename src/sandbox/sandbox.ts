import { readFileSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { NxtError, UsageError } from '../shared/index.js';
import { type PythonInfo, probePython } from './interpreter.js';
import { findBubblewrap, type HostFacts, type IsolationLayer, planIsolation } from './isolation.js';
import {
  type JudgeOptions,
  JudgeOptionsSchema,
  type ResolvedJudgeOptions,
  ResourceLimitsSchema,
  type SandboxOptions,
  SandboxOptionsSchema,
} from './options.js';
import { SandboxPool } from './pool.js';
import { toVerdict, type Verdict } from './verdict.js';

const SERVER_SCRIPT = new URL('./python/server.py', import.meta.url);

const SplitAnswerSchema = z.union([
  z.object({ statements: z.array(z.string()) }),
  z.object({ error: z.string(), line: z.number().nullable() }),
]);

/** A running pool of sandboxed fork-servers that judges programs. Close it when done. */
export interface Sandbox {
  readonly python: PythonInfo;
  /** `sys.version` of the interpreter the programs run under. */
  readonly pythonVersion: string;
  readonly layers: readonly IsolationLayer[];
  readonly workers: number;
  /** Decisions worth telling the user, e.g. a fallback interpreter and why. */
  readonly notes: readonly string[];
  /** Judges `program` against `tests` (each an independent Python statement run after the program). */
  judgeProgram(program: string, tests: readonly string[], options?: JudgeOptions): Promise<Verdict>;
  /** Per-test timeouts from a reference solution: max(floor, factor × reference time), as EvalPlus does. */
  calibrateTimeouts(reference: string, tests: readonly string[], options?: CalibrationOptions): Promise<Calibration>;
  /**
   * Splits Python source into its top-level statements (parsing only, nothing runs).
   * Throws `UsageError` when the source does not parse.
   */
  splitStatements(source: string): Promise<string[]>;
  /** Servers started so far, replacements included. */
  readonly serversStarted: number;
  readonly serverPids: number[];
  /** Requests answered by each fork-server slot. */
  readonly answeredPerSlot: number[];
  close(): Promise<void>;
}

export interface CalibrationOptions {
  floorMs?: number;
  factor?: number;
  /** Timeout used while timing the reference itself. */
  referenceTimeoutMs?: number;
}

export interface Calibration {
  testTimeoutMs: number[];
  programTimeoutMs: number;
  referenceMs: number[];
}

/** Everything about the host that `createSandbox` would otherwise discover itself. */
export interface SandboxHost {
  isRoot?: boolean;
  bubblewrap?: HostFacts['bubblewrap'];
}

function isReadableByOthers(path: string): boolean {
  try {
    for (let dir = path; ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === '/') return true;
    }
  } catch {
    return false;
  }
}

/**
 * Programs that run under an unprivileged uid without bubblewrap must be able to read the interpreter's
 * standard library. A default `python3` that lives where they cannot (pyenv under /root, say) is
 * replaced by the system's /usr/bin/python3; an interpreter the user named explicitly is an error.
 */
async function readablePython(python: PythonInfo, isDefault: boolean): Promise<PythonInfo> {
  if (isDefault && python.executable !== '/usr/bin/python3') {
    const system = await probePython('/usr/bin/python3').catch(() => null);
    if (system?.prefixes.every(isReadableByOthers)) return system;
  }
  throw new NxtError(
    'python',
    `programs run under an unprivileged uid, but ${python.executable} lives where that uid cannot read it ` +
      `(${python.prefixes.join(', ')}). Install bubblewrap, choose another interpreter with --python, ` +
      'or make the directory readable (chmod o+rx on it and its parents).',
  );
}

function testTimeouts(options: ResolvedJudgeOptions, count: number): number[] {
  if (!Array.isArray(options.testTimeoutMs))
    return Array.from({ length: count }, () => options.testTimeoutMs as number);
  if (options.testTimeoutMs.length !== count) {
    throw new NxtError('usage', `testTimeoutMs has ${options.testTimeoutMs.length} entries for ${count} tests`);
  }
  return options.testTimeoutMs;
}

/** Starts the sandbox: probes Python, decides the isolation layers and starts one fork-server per worker. */
export async function createSandbox(options: SandboxOptions = {}, host: SandboxHost = {}): Promise<Sandbox> {
  const resolved = SandboxOptionsSchema.parse(options);
  const isRoot = host.isRoot ?? process.getuid?.() === 0;
  const bubblewrap =
    host.bubblewrap !== undefined ? host.bubblewrap : resolved.bubblewrap === 'off' ? null : await findBubblewrap();
  const dropping = isRoot && resolved.dropPrivileges === 'auto';
  const notes: string[] = [];
  let python = await probePython(resolved.python);
  let plan = await planIsolation(resolved, python, { isRoot, bubblewrap });
  if (!plan.bubblewrap && dropping && !python.prefixes.every(isReadableByOthers)) {
    const unreadable = python.executable;
    python = await readablePython(python, options.python === undefined);
    notes.push(`using ${python.executable}: programs run under an unprivileged uid that cannot read ${unreadable}`);
    plan = await planIsolation(resolved, python, { isRoot, bubblewrap });
  }
  const script = readFileSync(SERVER_SCRIPT, 'utf8');
  let hostWorkRoot: string | null = null;
  if (!plan.sandboxWorkRoot) {
    hostWorkRoot = await mkdtemp(join(tmpdir(), 'nxt-sandbox-'));
    await chmod(hostWorkRoot, dropping ? 0o711 : 0o700);
  }
  const workRoot = plan.sandboxWorkRoot ?? hostWorkRoot;
  const workers = resolved.workers ?? availableParallelism();
  let pool: SandboxPool;
  try {
    pool = await SandboxPool.start(
      workers,
      (slot) => {
        const config = JSON.stringify({
          childUid: plan.childUidBase === null ? null : plan.childUidBase + slot,
          workRoot,
        });
        return { ...plan.command(script, 'serve', config), ...(hostWorkRoot ? { cwd: hostWorkRoot } : {}) };
      },
      resolved.pipelineDepth,
      resolved.startupTimeoutMs,
    );
  } catch (error) {
    if (hostWorkRoot) await rm(hostWorkRoot, { recursive: true, force: true });
    throw error;
  }
  const pythonVersion = pool.hello.python;

  async function judgeOnce(program: string, tests: readonly string[], judge: ResolvedJudgeOptions, rechecked: boolean) {
    const limits = ResourceLimitsSchema.parse(judge.limits);
    const raw = await pool.run({
      op: 'judge',
      program,
      tests,
      programTimeoutMs: judge.programTimeoutMs,
      testTimeoutsMs: testTimeouts(judge, tests.length),
      stopAtFirstFailure: judge.stopAtFirstFailure,
      maxOutputBytes: judge.maxOutputBytes,
      captureOutput: judge.captureOutput,
      limits: {
        memoryBytes: limits.memoryBytes,
        fileSizeBytes: limits.fileSizeBytes,
        openFiles: limits.openFiles,
        processes: dropping ? limits.processes : null,
        cpuSeconds: Math.ceil(judge.programTimeoutMs / 1000) + 1,
      },
    });
    return toVerdict(raw, pythonVersion, rechecked);
  }

  const sandbox: Sandbox = {
    python,
    pythonVersion,
    layers: plan.layers,
    workers,
    notes,
    get serversStarted() {
      return pool.serversStarted;
    },
    get serverPids() {
      return pool.serverPids;
    },
    get answeredPerSlot() {
      return pool.answeredPerSlot;
    },
    async judgeProgram(program, tests, judgeOptions = {}) {
      if (typeof program !== 'string') throw new NxtError('usage', 'the program must be a string of Python source');
      if (!Array.isArray(tests) || tests.some((test) => typeof test !== 'string')) {
        throw new NxtError('usage', 'tests must be an array of Python statements (strings)');
      }
      const judge = JudgeOptionsSchema.parse(judgeOptions);
      const first = await judgeOnce(program, tests, judge, false);
      if (first.status !== 'timeout' || !judge.recheckTimeouts) return first;
      return judgeOnce(program, tests, judge, true);
    },
    async splitStatements(source) {
      const answer = await pool.ask({ op: 'split', source }, (raw) => SplitAnswerSchema.parse(raw));
      if ('error' in answer) throw new UsageError(`the Python source does not parse: ${answer.error}`);
      return answer.statements;
    },
    async calibrateTimeouts(reference, tests, calibration = {}) {
      const floorMs = calibration.floorMs ?? 1000;
      const factor = calibration.factor ?? 4;
      const referenceTimeoutMs = calibration.referenceTimeoutMs ?? 60_000;
      const verdict = await sandbox.judgeProgram(reference, tests, {
        programTimeoutMs: referenceTimeoutMs,
        testTimeoutMs: referenceTimeoutMs,
      });
      if (verdict.status !== 'pass') {
        throw new NxtError(
          'calibration',
          `cannot calibrate timeouts: the reference solution does not pass (${verdict.reason})`,
        );
      }
      const referenceMs = verdict.tests.map((test) => test.durationMs);
      const testTimeoutMs = referenceMs.map((ms) => Math.ceil(Math.max(floorMs, factor * ms)));
      const loadMs = Math.ceil(Math.max(floorMs, factor * verdict.program.durationMs));
      return { testTimeoutMs, programTimeoutMs: loadMs + testTimeoutMs.reduce((sum, ms) => sum + ms, 0), referenceMs };
    },
    async close() {
      await pool.close();
      if (hostWorkRoot) await rm(hostWorkRoot, { recursive: true, force: true });
    },
  };
  return sandbox;
}
