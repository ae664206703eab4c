import { Command, CommanderError, Option } from 'commander';
import { describeError, NxtError, terminalSafe, UsageError } from '../shared/index.js';
import { type AnyCommand, COMMANDS, type Exits, GROUPS } from './commands.js';
import { addFlags, readFlags } from './flags.js';
import type { CliIo } from './io.js';
import { NXT_VERSION } from './version.js';

const EXIT_CODES = {
  ok: 'success',
  failed: 'a judged failure (a test failed), an incomplete run (run it again to complete it) or a spent --budget',
  usage: 'bad usage or configuration: the message says what to fix',
  internal: 'internal error: a bug in nxt (please report it with the message)',
  interrupted: 'interrupted (Ctrl-C); eval, selftrain and data commands continue where they stopped when run again',
};

function exitLines(codes: readonly (readonly [number, string])[]): string {
  return codes.map(([code, meaning]) => `  ${String(code).padEnd(4)} ${meaning}`).join('\n');
}

/** The exit codes as the root help lists them. */
function rootExitCodes(): string {
  return `\nExit codes (each command's --help says what they mean for it):\n${exitLines([
    [0, EXIT_CODES.ok],
    [1, EXIT_CODES.failed],
    [2, EXIT_CODES.usage],
    [70, EXIT_CODES.internal],
    [130, EXIT_CODES.interrupted],
  ])}`;
}

/** The exit codes of one command: which apply, and what they mean for it. */
export function commandExitCodes(exits: Exits): string {
  const codes: [number, string][] = [[0, exits.ok ?? EXIT_CODES.ok]];
  if (exits.failed) codes.push([1, exits.failed]);
  codes.push([2, exits.usage ?? EXIT_CODES.usage], [70, EXIT_CODES.internal]);
  if (exits.interrupt === 'resumes')
    codes.push([130, 'interrupted (Ctrl-C): run the same command again to continue where it stopped']);
  else if (exits.interrupt !== 'stops') codes.push([130, 'interrupted (Ctrl-C)']);
  return `\nExit codes:\n${exitLines(codes)}`;
}

function addCommand(parent: Command, spec: AnyCommand, io: CliIo, setCode: (code: number) => void): Command {
  const name = spec.path.at(-1) as string;
  const command = parent.command(name).description(spec.description);
  for (const arg of spec.args) command.argument(arg.name, arg.help);
  addFlags(command, spec.flags);
  for (const retired of spec.retired ?? []) {
    command.addOption(
      new Option(retired.flags).hideHelp().argParser(() => {
        throw new UsageError(retired.message);
      }),
    );
  }
  command.addHelpText('after', `${spec.after ? `\n${spec.after}\n` : ''}${commandExitCodes(spec.exits)}`);
  command.action(async (...values: unknown[]) => {
    const args = values.slice(0, spec.args.length) as Parameters<AnyCommand['run']>[0];
    // The table says which commands resume: only they promise, on Ctrl-C, that running again continues.
    if (spec.exits.interrupt === 'resumes') io.onResumable?.();
    setCode(await spec.run(args, readFlags(command, spec.flags), io));
  });
  return command;
}

function build(io: CliIo, setCode: (code: number) => void): Command {
  const program = new Command('nxt')
    .description('Execution-aware program repair for code LLMs (NExT): run, trace and judge Python programs')
    .version(NXT_VERSION)
    .exitOverride()
    // A command's options belong to it: `nxt eval import --out D` is import's --out, never eval's.
    .enablePositionalOptions()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Commander's own refusals (unknown option, missing argument) read like nxt's: `nxt: ...`.
      outputError: (text, write) => write(text.replace(/^error: /, 'nxt: ')),
    })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', rootExitCodes());
  // Commands in table order; a group (nxt llm, nxt data) where its first command is.
  const made = new Map<string, Command>();
  const parentOf = (path: readonly string[]): Command => {
    const [head] = path;
    if (path.length === 1 || head === undefined) return program;
    const group = GROUPS.find((item) => item.path[0] === head);
    if (!made.has(head) && group) made.set(head, program.command(head).description(group.description));
    const parent = made.get(head);
    if (!parent) throw new Error(`nxt ${path.join(' ')}: no command or group ${head} before it`);
    return parent;
  };
  for (const spec of COMMANDS as readonly AnyCommand[]) {
    const command = addCommand(parentOf(spec.path), spec, io, setCode);
    if (spec.path.length === 1) made.set(spec.path[0], command.enablePositionalOptions());
  }
  return program;
}

/**
 * What a command writes can hold a program's output, names and messages: control characters are
 * escaped on the way out (see terminalSafe), except nxt's own redrawn progress line.
 */
function safeIo(io: CliIo): CliIo {
  return {
    ...io,
    stdout: (text) => io.stdout(terminalSafe(text)),
    stderr: (text) => {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the one sequence nxt writes itself
      const redraw = /^\r([^\r]*)\u001b\[K(\n?)$/.exec(text);
      io.stderr(redraw ? `\r${terminalSafe(redraw[1] ?? '')}\u001b[K${redraw[2]}` : terminalSafe(text));
    },
  };
}

/** What the file system refused, said plainly (a path the user gave that cannot be read or written). */
const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};

function fileProblem(error: unknown): string | null {
  const { code, path, syscall } = (error ?? {}) as { code?: string; path?: string; syscall?: string };
  const problem = code ? FILE_PROBLEMS[code] : undefined;
  if (!problem || !path) return null;
  const verb = syscall && /open|write|mkdir|rename|copy/.test(syscall) ? 'cannot write or open' : 'cannot use';
  return `${verb} ${path}: ${problem}`;
}

/**
 * Runs the nxt command line with `argv` (without `node` and the script) and returns the exit code:
 * 0 success, 1 a judged failure, 2 bad usage or configuration, 70 an internal error (130, an
 * interruption, is main.ts's).
 */
export async function runCli(argv: readonly string[], rawIo: CliIo): Promise<number> {
  const io = safeIo(rawIo);
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
    const file = fileProblem(error);
    if (file) {
      io.stderr(`nxt: ${file}\n`);
      return 2;
    }
    io.stderr(`nxt: internal error: ${describeError(error)}\n${(error as Error).stack ?? ''}\n`);
    return 70;
  }
}
