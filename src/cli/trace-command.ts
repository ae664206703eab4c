import type { Verdict } from '../sandbox/index.js';
import { lineNotInMessage, UsageError } from '../shared/index.js';
import {
  createTokenCounter,
  fitTrace,
  type RenderOptions,
  renderTrace,
  type Trace,
  tracePhase,
} from '../trace/index.js';
import type { TraceFlags } from './command-flags.js';
import { readTestsFile, readText } from './inputs.js';
import type { CliIo } from './io.js';
import { sandboxOptions } from './sandbox-flags.js';
import { startSandbox } from './sandbox-start.js';

function renderOptions(flags: TraceFlags): Partial<RenderOptions> {
  const { loopHead, loopTail, valueChars } = flags;
  return {
    ...(loopHead === undefined ? {} : { loopHead }),
    ...(loopTail === undefined ? {} : { loopTail }),
    ...(valueChars === undefined ? {} : { valueChars }),
  };
}

const PARSE_ERRORS: readonly string[] = ['SyntaxError', 'IndentationError', 'TabError'];

/** Why a program has no trace at all: it does not compile, or it could not be run or traced. */
function programFailure(verdict: Verdict): UsageError {
  if (verdict.judgeFault) return new UsageError(`the judge could not trace this program (${verdict.problem})`);
  const exception = verdict.program.exception;
  if (verdict.program.status === 'timeout')
    return new UsageError('the program timed out while loading, before any test ran');
  if (exception && PARSE_ERRORS.includes(exception.type)) {
    const line = lineNotInMessage(exception.message, exception.line);
    return new UsageError(`the program does not parse: ${exception.message}${line ? ` (line ${line})` : ''}`);
  }
  const where = exception?.line ? ` at line ${exception.line}` : '';
  return new UsageError(
    `the program raised ${exception?.type ?? 'an error'}${where} before any test ran (${exception?.message ?? ''}); there is no test to trace`,
  );
}

/** The one line on stderr that says what was traced and how it ended. */
function tracedLine(trace: Trace): string {
  const { status, exception } = trace.outcome;
  if (tracePhase(trace) === 'load') {
    const where = exception?.line ? ` at line ${exception.line}` : '';
    const what = status === 'timeout' ? 'timed out' : `failed (${exception?.type ?? status}${where})`;
    return `nxt: the program ${what} while loading, before any test ran, so the trace is of its loading: ${trace.steps} steps`;
  }
  const raised = exception ? ` (${exception.type})` : '';
  return `nxt: traced test ${trace.testIndex}: ${status}${raised}, ${trace.steps} steps`;
}

/**
 * `nxt trace FILE`: traces one test of the program and prints the annotated program (or the structured
 * trace with --format json); a program that fails while loading is traced up to its failure instead.
 * Exit 0 whenever a trace is printed, whether the test passed or not; 2 when there is nothing to trace.
 */
export async function traceCommand(file: string, flags: TraceFlags, io: CliIo): Promise<number> {
  const { format, tokenizer, maxSteps, traceBudget: budget } = flags;
  if (flags.test.length === 0 && !flags.testsFile) {
    throw new UsageError('nothing to trace: give --test STMT or --tests-file FILE');
  }
  const options = renderOptions(flags);
  let testIndex = flags.testIndex;
  const program = await readText(file, io.cwd, 'program');
  const sandbox = await startSandbox(sandboxOptions(flags, io.env), io, false);
  try {
    const tests = [...flags.test];
    if (flags.testsFile)
      tests.push(...(await readTestsFile(flags.testsFile, io, (source) => sandbox.splitStatements(source))));
    if (tests.length === 0) throw new UsageError(`tests file '${flags.testsFile}' holds no statements`);
    // A single named test is traced whatever its outcome.
    if (testIndex === undefined && tests.length === 1 && flags.test.length === 1) testIndex = 0;
    const result = await sandbox.traceProgram(program, tests, {
      ...(testIndex === undefined ? {} : { testIndex }),
      ...(maxSteps === undefined ? {} : { maxSteps }),
      ...(options.valueChars === undefined ? {} : { valueChars: Math.max(options.valueChars, 1000) }),
    });
    if (result.status === 'program-failed') throw programFailure(result.verdict);
    if (result.status === 'nothing-failed') {
      throw new UsageError(
        `every test passes (${tests.length}), so there is no failing test to trace: name one with --test-index N or --test STMT`,
      );
    }
    const { trace } = result;
    let text: string;
    if (budget === undefined) text = renderTrace(trace, format, options);
    else {
      const countTokens = await createTokenCounter(tokenizer);
      const fitted = fitTrace(trace, format, { budgetTokens: budget, countTokens, options });
      text = fitted.text;
      if (!fitted.fits)
        io.stderr(`nxt: even the bare program is ${fitted.tokens} tokens, over the budget of ${budget}\n`);
    }
    io.stdout(text);
    io.stderr(`${tracedLine(trace)}\n`);
    return 0;
  } finally {
    await sandbox.close();
  }
}
