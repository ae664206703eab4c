import { type EntryPointInference, notRunReasons, type Verdict } from '../sandbox/index.js';
import { formatBytes, formatDuration, lineNotInMessage, UsageError } from '../shared/index.js';
import type { RunFlags } from './command-flags.js';
import { readTestsFile, readText } from './inputs.js';
import type { CliIo } from './io.js';
import { sandboxOptions } from './sandbox-flags.js';
import { startSandbox } from './sandbox-start.js';

const DEFAULT_TEST_TIMEOUT_MS = 3_000;

function firstLine(text: string, width = 72): string {
  const line = text.split('\n')[0] ?? '';
  const more = text.includes('\n') ? ' ...' : '';
  return line.length > width ? `${line.slice(0, width - 3)}...` : `${line}${more}`;
}

/** The human-readable verdict. */
export function formatVerdict(file: string, tests: readonly string[], verdict: Verdict): string {
  const out: string[] = [];
  const head = verdict.status === 'pass' ? 'PASS' : verdict.status.toUpperCase();
  out.push(`${head}  ${file}${verdict.reason ? `: ${verdict.reason}` : ''}`);
  if (verdict.program.status !== 'ok' && verdict.program.exception) {
    const { type, message } = verdict.program.exception;
    const line = lineNotInMessage(message, verdict.program.exception.line);
    out.push(`  program: ${type}: ${firstLine(message)}${line ? ` (program line ${line})` : ''}`);
  }
  for (const test of verdict.tests) {
    const mark = test.status === 'pass' ? 'ok  ' : test.status === 'not_run' ? 'not run' : test.status;
    out.push(`  ${mark.padEnd(7)} ${String(test.index).padStart(2)}  ${firstLine(tests[test.index] ?? '')}`);
    if (test.exception) {
      const { type, message, source } = test.exception;
      const line = lineNotInMessage(message, test.exception.line);
      out.push(
        `               ${type}${message ? `: ${firstLine(message, 100)}` : ''}${line ? ` at ${source} line ${line}` : ''}`,
      );
    }
  }
  // One line for the tests not run; the verdict's own reason is already the first line.
  const notRun = notRunReasons(verdict).find((reason) => reason !== null);
  if (notRun) out.push(`  (not run: ${notRun === verdict.reason ? 'see the first line' : notRun})`);
  for (const [name, text, truncated] of [
    ['stdout', verdict.stdout, verdict.stdoutTruncated],
    ['stderr', verdict.stderr, verdict.stderrTruncated],
  ] as const) {
    if (!text) continue;
    out.push(`${name}${truncated ? ` (cut at ${formatBytes(Buffer.byteLength(text))})` : ''}:`);
    out.push(text.replace(/\n$/, ''));
  }
  if (verdict.problem) out.push(`judge: ${verdict.problem}`);
  const passed = verdict.tests.filter((test) => test.status === 'pass').length;
  const unsealed = verdict.tests.filter((test) => !test.sealed).map((test) => test.index);
  out.push(
    `${passed}/${verdict.tests.length} tests passed · ${formatDuration(verdict.durationMs)} · Python ${verdict.python.split(' ')[0]}${verdict.rechecked ? ' · timeout re-checked' : ''}`,
  );
  if (unsealed.length > 0) {
    out.push(
      `unsealed (ran inside the program's process, where a program can interfere): test${unsealed.length > 1 ? 's' : ''} ${unsealed.join(', ')}`,
    );
  }
  return `${out.join('\n')}\n`;
}

/** The functions the tests are about, and where they came from (`--json` prints this beside the verdict). */
export interface EntryPoints {
  /** The first is the one tests that are more than one call may call in nxt's test process. */
  names: string[];
  source: 'flag' | 'inferred' | 'none';
  /** Why none were found; null when some were. */
  why: string | null;
}

/**
 * `--entry-point` first (it must be a name the program binds, when the program parses), then the
 * functions inferred from the tests. Throws `UsageError` for an entry point the program does not define.
 */
export function chooseEntryPoints(flag: string | undefined, found: EntryPointInference): EntryPoints {
  if (flag !== undefined) {
    if (found.defined !== null && !found.defined.includes(flag)) {
      const some = found.defined.slice(0, 12).join(', ') + (found.defined.length > 12 ? ', ...' : '');
      throw new UsageError(
        `--entry-point ${flag}: the program does not define '${flag}' at module level${some ? ` (it defines ${some})` : ''}`,
      );
    }
    return { names: [flag, ...found.entryPoints.filter((name) => name !== flag)], source: 'flag', why: null };
  }
  if (found.entryPoints.length > 0) return { names: found.entryPoints, source: 'inferred', why: null };
  let why = `the tests call no function of the program, only builtins or its classes (${found.called.join(', ')})`;
  if (found.programError !== null) why = `the program does not parse (${found.programError})`;
  else if (found.called.length === 0) why = 'the tests call no function';
  return { names: [], source: 'none', why };
}

/** `nxt run FILE`: judges one program. Exit code 0 on pass, 1 otherwise. */
export async function runCommand(file: string, flags: RunFlags, io: CliIo): Promise<number> {
  const { timeoutMs } = flags;
  const program = await readText(file, io.cwd, 'program');
  if (flags.test.length === 0 && !flags.testsFile) {
    throw new UsageError('nothing to judge the program against: give --test STMT (repeatable) or --tests-file FILE');
  }
  const options = sandboxOptions(flags, io.env);
  const sandbox = await startSandbox(options, io, false);
  try {
    const tests = [...flags.test];
    if (flags.testsFile)
      tests.push(...(await readTestsFile(flags.testsFile, io, (source) => sandbox.splitStatements(source))));
    if (tests.length === 0) throw new UsageError(`tests file '${flags.testsFile}' holds no statements`);
    const entryPoints = chooseEntryPoints(flags.entryPoint, await sandbox.inferEntryPoints(program, tests));
    if (entryPoints.why) io.stderr(`nxt: note: no entry point, so tests run unsealed: ${entryPoints.why}\n`);
    const verdict = await sandbox.judgeProgram(program, tests, {
      ...(entryPoints.names.length > 0 ? { entryPoint: entryPoints.names } : {}),
      programTimeoutMs: timeoutMs ?? Math.max(10_000, DEFAULT_TEST_TIMEOUT_MS * tests.length),
      testTimeoutMs: Math.min(timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS, DEFAULT_TEST_TIMEOUT_MS * 100),
    });
    io.stdout(flags.json ? `${JSON.stringify({ ...verdict, entryPoints })}\n` : formatVerdict(file, tests, verdict));
    return verdict.status === 'pass' ? 0 : 1;
  } finally {
    await sandbox.close();
  }
}
