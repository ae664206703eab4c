/**
 * Every nxt command: its place, help, arguments, options (command-flags.ts), exit codes, and the
 * module that runs it, imported only when it runs so that `nxt --help` stays fast.
 */
import { listChoices } from '../shared/index.js';
import { DATASET_NAMES } from '../tasks/catalog.js';
import * as F from './command-flags.js';
import type { FlagSet, FlagsOf } from './flags.js';
import type { CliIo } from './io.js';

export interface Arg {
  /** `<name>`, `[name]` (optional) or `<name...>` (one or more). */
  readonly name: string;
  readonly help: string;
}

type ArgValue<Name extends string> = Name extends `<${string}...>`
  ? string[]
  : Name extends `[${string}]`
    ? string | undefined
    : string;
type ArgsOf<Args extends readonly Arg[]> = { -readonly [Index in keyof Args]: ArgValue<Args[Index]['name']> };

/** What the exit codes mean for one command, where it says more than the general list. */
export interface Exits {
  readonly ok?: string;
  /** When the command exits 1 (absent: it never does). */
  readonly failed?: string;
  readonly usage?: string;
  /** Ctrl-C: `resumes` (exit 130; the same command continues), `stops` (the viewer: exit 0). */
  readonly interrupt?: 'resumes' | 'stops';
}

/** A flag spelling a command no longer takes: it is refused with `message`, which names the new one. */
export interface Retired {
  readonly flags: string;
  readonly message: string;
}

export interface CommandSpec<Args extends readonly Arg[] = readonly Arg[], Set extends FlagSet = FlagSet> {
  readonly path: readonly [string, ...string[]];
  readonly description: string;
  readonly args: Args;
  readonly flags: Set;
  readonly retired?: readonly Retired[];
  readonly exits: Exits;
  readonly after?: string;
  run(args: ArgsOf<Args>, flags: FlagsOf<Set>, io: CliIo): Promise<number>;
}

/** A command that only holds others (`nxt llm`, `nxt data`). */
export interface GroupSpec {
  readonly path: readonly [string];
  readonly description: string;
}

function command<const Args extends readonly Arg[], Set extends FlagSet>(
  spec: CommandSpec<Args, Set>,
): CommandSpec<Args, Set> {
  return spec;
}

const DATASET_ARG = { name: '<dataset>', help: `${listChoices(DATASET_NAMES)}, or a .jsonl task file` };
const PROGRAM_ARG = { name: '<file>', help: 'the Python program' };

export const GROUPS: readonly GroupSpec[] = [
  { path: ['llm'], description: 'talk to a model server: check it, sample from it' },
  { path: ['data'], description: 'datasets: list, show, export, check, and build repair sets' },
];

export const COMMANDS = [
  command({
    path: ['run'],
    description: 'judge a Python program against test statements in the sandbox',
    args: [PROGRAM_ARG],
    flags: F.RUN,
    exits: { ok: 'every test passes', failed: 'a test fails, raises or times out (or the program does)' },
    after:
      "Tests are sealed: only calls of the program's functions reach the program, their results come back as\n" +
      'plain data and nxt checks the assertion, so a program cannot fake a pass. Those functions are the names\n' +
      'the tests call that are no builtins, or that the program defines (--entry-point names one itself; --json\n' +
      "shows entryPoints). A test that is more than one call (a loop, g(f(x)) == x) runs in nxt's own test\n" +
      "process, which hands each call to the program. Tests of the program's variables run inside its process\n" +
      'and are marked unsealed; when the tests call no function of the program, nxt says so on stderr.\n' +
      'Example:\n  nxt run examples/odd_even.py --tests-file examples/odd_even_tests.py',
    run: async ([file], flags, io) => (await import('./run-command.js')).runCommand(file, flags, io),
  }),
  command({
    path: ['trace'],
    description: 'trace one test of a Python program and print the program annotated with what each line did',
    args: [PROGRAM_ARG],
    flags: F.TRACE,
    retired: [{ flags: '--budget-tokens <n>', message: '--budget-tokens is now --trace-budget (as on eval)' }],
    exits: {
      ok: 'a trace is printed, whether the test passed or failed',
      usage: 'bad input: a missing file, a program that does not parse, tests of which none fails',
    },
    after:
      'By default the first test that fails or raises is traced (else the first that times out). A program\n' +
      'that fails while loading is traced up to the failure instead.\n' +
      'Example:\n  nxt trace examples/odd_even.py --tests-file examples/odd_even_tests.py',
    run: async ([file], flags, io) => (await import('./trace-command.js')).traceCommand(file, flags, io),
  }),
  command({
    path: ['llm', 'ping'],
    description: 'check each base URL of a model: reachable, key accepted, model answers; prints latency',
    args: [],
    flags: F.PING,
    exits: { failed: 'a base URL does not answer' },
    run: async (_args, flags, io) => (await import('./llm-command.js')).pingCommand(flags, io),
  }),
  command({
    path: ['llm', 'sample'],
    description: 'sample a prompt file n times (through the cache) and print the samples',
    args: [],
    flags: F.SAMPLE,
    retired: [{ flags: '--n <n>', message: '--n is now --samples (or -n)' }],
    exits: { failed: 'a sample failed after its retries' },
    run: async (_args, flags, io) => (await import('./llm-command.js')).sampleCommand(flags, io),
  }),
  command({
    path: ['cache'],
    description: 'show or clear the sample cache',
    args: [{ name: '<action>', help: 'stats or clear' }],
    flags: F.CACHE,
    exits: {},
    run: async ([action], flags, io) => (await import('./llm-command.js')).cacheCommand(action, flags, io),
  }),
  command({
    path: ['data', 'list'],
    description: 'the datasets nxt knows and where their files are',
    args: [],
    flags: F.DATA,
    exits: {},
    run: async (_args, flags, io) => (await import('./data-command.js')).listCommand(flags, io),
  }),
  command({
    path: ['data', 'show'],
    description: 'one task: description, buggy program with its inline trace, tests',
    args: [DATASET_ARG, { name: '<id>', help: 'the task id, e.g. Python/0 or MBPP/12' }],
    flags: F.DATA_SHOW,
    exits: {},
    run: async ([dataset, id], flags, io) => (await import('./data-command.js')).showCommand(dataset, id, flags, io),
  }),
  command({
    path: ['data', 'export'],
    description: 'write a dataset as JSONL tasks',
    args: [DATASET_ARG],
    flags: F.DATA_EXPORT,
    exits: {},
    run: async ([dataset], flags, io) => (await import('./data-command.js')).exportCommand(dataset, flags, io),
  }),
  command({
    path: ['data', 'check'],
    description: 'run every reference (must pass) and buggy program (must fail); report counts and exceptions',
    args: [DATASET_ARG],
    flags: F.DATA_CHECK,
    exits: { failed: 'a reference fails or a buggy program passes' },
    run: async ([dataset], flags, io) => (await import('./data-command.js')).checkCommand(dataset, flags, io),
  }),
  command({
    path: ['data', 'build'],
    description: 'build a repair set: mbpp-r (from model samples) or synthetic (AST mutations)',
    args: [{ name: '<kind>', help: 'mbpp-r or synthetic' }],
    flags: F.DATA_BUILD,
    retired: [{ flags: '--from <dataset>', message: '--from is now --problems (e.g. --problems mbpp)' }],
    exits: { interrupt: 'resumes' },
    run: async ([kind], flags, io) => (await import('./data-command.js')).buildCommand(kind, flags, io),
  }),
  command({
    path: ['eval'],
    description: 'evaluate a model on a repair dataset: sample fixes, judge them, report pass@k',
    args: [],
    flags: F.EVAL,
    exits: {
      failed: 'the run is incomplete (samples are missing: run it again) or --budget held samples back',
      interrupt: 'resumes',
    },
    after:
      'Subcommands: nxt eval proxy | import | export (see nxt eval proxy --help).\n' +
      'Example:\n  nxt eval --dataset humanevalfix --model gpt-4o-mini --samples 25 --temperature 0.8 --k 1,5,10,25',
    run: async (_args, flags, io) => (await import('./eval-command.js')).evalCommand(flags, io),
  }),
  command({
    path: ['eval', 'proxy'],
    description: "proxy rationale quality: a student model fixes the bugs from a run's rationales (code removed)",
    args: [],
    flags: F.PROXY,
    exits: { failed: 'student samples are missing: run it again', interrupt: 'resumes' },
    run: async (_args, flags, io) => (await import('./eval-command.js')).proxyCommand(flags, io),
  }),
  command({
    path: ['eval', 'import'],
    description:
      'judge programs produced elsewhere: JSONL lines {"task_id", "solution"} (EvalPlus) or {"task_id", "completion"} (human-eval, the prompt is prepended)',
    args: [],
    flags: F.IMPORT,
    retired: [
      { flags: '--samples <file>', message: '--samples is now --samples-file (--samples is a count everywhere else)' },
    ],
    exits: { interrupt: 'resumes' },
    run: async (_args, flags, io) => (await import('./eval-command.js')).importCommand(flags, io),
  }),
  command({
    path: ['eval', 'export'],
    description: "write a run's programs as EvalPlus-style JSONL {task_id, solution}",
    args: [{ name: '<dir>', help: 'the run folder' }],
    flags: F.EXPORT_RUN,
    exits: {},
    run: async ([dir], flags, io) => (await import('./eval-command.js')).exportRunCommand(dir, flags, io),
  }),
  command({
    path: ['merge'],
    description: 'join the shard run folders of one run (--shard I/N) into one run folder, as if unsharded',
    args: [
      { name: '<out>', help: 'the run folder to write (new)' },
      { name: '<dirs...>', help: 'the shard run folders, all N of them' },
    ],
    flags: F.DATA,
    exits: {},
    after:
      'The shards must be of the same run (same command but --shard), all present, none twice. The\n' +
      "merged summary equals the unsharded run's. Example (a Slurm array of 4):\n" +
      '  nxt eval ... --shard $SLURM_ARRAY_TASK_ID/4 --out runs/big-$SLURM_ARRAY_TASK_ID\n' +
      '  nxt merge runs/big runs/big-0 runs/big-1 runs/big-2 runs/big-3',
    run: async ([out, dirs], flags, io) => (await import('./eval-command.js')).mergeCommand(out, dirs, flags, io),
  }),
  command({
    path: ['compare'],
    description: 'compare two runs task by task (paired bootstrap) and list the tasks that flipped',
    args: [
      { name: '<a>', help: 'run folder A' },
      { name: '<b>', help: 'run folder B' },
    ],
    flags: F.COMPARE,
    exits: {},
    run: async ([a, b], flags, io) => (await import('./eval-command.js')).compareCommand(a, b, flags, io),
  }),
  command({
    path: ['selftrain'],
    description: 'NExT self-training: sample, keep passing fixes, fine-tune the base model, evaluate, repeat',
    args: [],
    flags: F.SELFTRAIN,
    retired: [
      { flags: '--nxt-config <file>', message: '--nxt-config is now --config (the nxt config file, as everywhere)' },
    ],
    exits: { ok: 'done, or waiting for the model you train (manual trainer)', interrupt: 'resumes' },
    after:
      'Example:\n  nxt selftrain --plan selftrain.json --config nxt.config.json\n' +
      '--plan is the self-training plan; --config is the nxt config file (named models), as on every command.',
    run: async (_args, flags, io) => (await import('./selftrain-command.js')).selftrainCommand(flags, io),
  }),
  command({
    path: ['view'],
    description: 'open the local viewer over run folders: samples, traces, diffs, ratings',
    args: [{ name: '[runs-dir]', help: 'folder holding run folders (default: runs)' }],
    flags: F.VIEW,
    exits: { ok: 'the viewer was stopped (Ctrl-C)', interrupt: 'stops' },
    run: async ([runsDir], flags, io) => {
      const { viewCommand } = await import('./view-command.js');
      const stop = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      return viewCommand(runsDir, flags, io, stop);
    },
  }),
  command({
    path: ['report'],
    description: 'write a self-contained HTML report (tables, SVG charts) and a Markdown summary of runs',
    args: [{ name: '<dirs...>', help: 'run folders (evaluation or self-training)' }],
    flags: F.REPORT,
    exits: {},
    run: async ([dirs], flags, io) => (await import('./view-command.js')).reportCommand(dirs, flags, io),
  }),
  command({
    path: ['doctor'],
    description: 'show the Python interpreter and which sandbox isolation layers are active',
    args: [],
    flags: F.SANDBOX,
    exits: { failed: 'the self-test failed' },
    run: async (_args, flags, io) => (await import('./doctor-command.js')).doctorCommand(flags, io),
  }),
];

/** A command of the table with its own types forgotten (what program.ts and the tests walk). */
export type AnyCommand = CommandSpec<readonly Arg[], FlagSet>;
