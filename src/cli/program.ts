import { Command, CommanderError } from 'commander';
import { describeError, NxtError } from '../shared/index.js';
import type { CliIo } from './io.js';
import { addSandboxFlags } from './sandbox-flags.js';

const VERSION = '0.1.0';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function build(io: CliIo, setCode: (code: number) => void): Command {
  const program = new Command('nxt')
    .description('Execution-aware program repair for code LLMs (NExT): run, trace and judge Python programs')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  addSandboxFlags(
    program
      .command('run')
      .description('judge a Python program against test statements in the sandbox')
      .argument('<file>', 'the Python program')
      .option('--test <stmt>', 'a test statement, e.g. "assert f(1) == 2" (repeatable)', collect, [])
      .option('--tests-file <file>', 'tests: a .py file (one test per top-level statement) or a .json array of strings')
      .option('--timeout-ms <n>', 'wall-clock limit for the program and for each test')
      .option('--json', 'print the verdict as one JSON object')
      .addHelpText(
        'after',
        '\nExit code: 0 when every test passes, 1 on fail, error or timeout, 2 on bad usage.\n' +
          'Example:\n  nxt run examples/odd_even.py --tests-file examples/odd_even_tests.py',
      ),
  ).action(async (file: string, flags) => {
    const { runCommand } = await import('./run-command.js');
    setCode(await runCommand(file, flags, io));
  });

  addSandboxFlags(
    program
      .command('trace')
      .description('trace one test of a Python program and print the program annotated with what each line did')
      .argument('<file>', 'the Python program')
      .option(
        '--test <stmt>',
        'the test statement to trace (repeatable; one named test is traced even if it passes)',
        collect,
        [],
      )
      .option('--tests-file <file>', 'tests: a .py file (one test per top-level statement) or a .json array of strings')
      .option('--test-index <n>', 'trace this test (0-based) instead of the first failing one')
      .option('--format <format>', 'inline (NExT), scratchpad, ldb, json or none', 'inline')
      .option('--loop-head <n>', 'entries kept at the start of a line that ran many times (default 3)')
      .option('--loop-tail <n>', 'entries kept at its end (default 1)')
      .option('--value-chars <n>', 'longest value shown; longer ones end in ... (default 1000)')
      .option('--max-steps <n>', 'state changes recorded before tracing stops (default 1000)')
      .option('--budget-tokens <n>', 'shrink the rendering until it fits this many tokens, and say what was cut')
      .option('--tokenizer <name>', 'tokenizer for --budget-tokens: cl100k_base or o200k_base', 'cl100k_base')
      .addHelpText(
        'after',
        '\nBy default the first failing test is traced. Exit code: 0 when a trace is printed (whether the\n' +
          'test passed or failed), 2 on bad input (missing file, syntax error, nothing fails).\n' +
          'Example:\n  nxt trace examples/odd_even.py --tests-file examples/odd_even_tests.py',
      ),
  ).action(async (file: string, flags) => {
    const { traceCommand } = await import('./trace-command.js');
    setCode(await traceCommand(file, flags, io));
  });

  addSandboxFlags(
    program.command('doctor').description('show the Python interpreter and which sandbox isolation layers are active'),
  ).action(async (flags) => {
    const { doctorCommand } = await import('./doctor-command.js');
    setCode(await doctorCommand(flags, io));
  });
  return program;
}

/**
 * Runs the nxt command line with `argv` (without `node` and the script) and returns the exit code:
 * 0 success, 1 a judged failure, 2 bad usage or configuration, 70 an internal error.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = build(io, (value) => {
    code = value;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof NxtError) {
      io.stderr(`nxt: ${error.message}\n`);
      return 2;
    }
    io.stderr(`nxt: internal error: ${describeError(error)}\n${(error as Error).stack ?? ''}\n`);
    return 70;
  }
}
