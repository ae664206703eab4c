import { Command, CommanderError } from 'commander';
import { STRATEGIES } from '../eval/strategies/index.js';
import { TRAINERS } from '../selftrain/trainers.js';
import { describeChoices, describeError, listChoices, NxtError, terminalSafe } from '../shared/index.js';
import { DATASET_NAMES, REPAIR_DATASET_NAMES } from '../tasks/catalog.js';
import { PROMPT_TRACE_FORMATS, TRACE_FORMAT_TABLE } from '../trace/formats.js';
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
    // A command's options belong to it: `nxt eval import --out D` is import's --out, never eval's.
    .enablePositionalOptions()
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
      .option(
        '--entry-point <name>',
        'the function the tests are about: tests that are more than one call of it (loops, random inputs) are then sealed too',
      )
      .option('--json', 'print the verdict as one JSON object')
      .addHelpText(
        'after',
        '\nTests of the form `assert f(...) == value` (and similar) are sealed: only the call reaches the program,\n' +
          'its result comes back as plain data and nxt checks the assertion, so a program cannot fake a pass.\n' +
          "Other tests run inside the program's process and are marked unsealed.\n" +
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
      .option('--format <format>', describeChoices(TRACE_FORMAT_TABLE), 'inline')
      .option('--loop-head <n>', 'entries kept at the start of a line that ran many times (default 3)')
      .option('--loop-tail <n>', 'entries kept at its end (default 1)')
      .option('--value-chars <n>', 'longest value shown; longer ones end in ... (default 1000)')
      .option('--max-steps <n>', 'state changes recorded before tracing stops (default 1000)')
      .option('--budget-tokens <n>', 'shrink the rendering until it fits this many tokens, and say what was cut')
      .option('--tokenizer <name>', 'tokenizer for --budget-tokens: cl100k_base or o200k_base', 'cl100k_base')
      .addHelpText(
        'after',
        '\nBy default the first test that fails or raises is traced (else the first that times out). A program\n' +
          'that fails while loading is traced up to the failure instead. Exit code: 0 when a trace is printed\n' +
          '(whether the test passed or failed), 2 on bad input (missing file, syntax error, nothing fails).\n' +
          'Example:\n  nxt trace examples/odd_even.py --tests-file examples/odd_even_tests.py',
      ),
  ).action(async (file: string, flags) => {
    const { traceCommand } = await import('./trace-command.js');
    setCode(await traceCommand(file, flags, io));
  });

  const llm = program.command('llm').description('talk to a model server: check it, sample from it');
  llm
    .command('ping')
    .description('check each base URL of a model: reachable, key accepted, model answers; prints latency')
    .requiredOption(
      '--model <spec>',
      'NAME (uses $OPENAI_BASE_URL/$OPENAI_API_KEY), NAME@URL[,URL...], or a name from the config file',
    )
    .option('--config <file>', 'config file (default ./nxt.config.json, or $NXT_CONFIG)')
    .action(async (flags) => {
      const { pingCommand } = await import('./llm-command.js');
      setCode(await pingCommand(flags, io));
    });
  llm
    .command('sample')
    .description('sample a prompt file n times (through the cache) and print the samples')
    .requiredOption('--model <spec>', 'NAME, NAME@URL[,URL...], or a name from the config file')
    .requiredOption('--prompt-file <file>', 'the prompt: a user message (chat models) or the raw prompt (completions)')
    .option('-n, --n <n>', 'number of samples', '1')
    .option('--temperature <t>', 'sampling temperature')
    .option('--max-tokens <n>', 'longest answer')
    .option('--seed <n>', 'sampling seed (sample i of a fanned-out request uses seed + i)')
    .option(
      '--budget <usd>',
      "the most this command may spend, in dollars: a request whose worst case (prompt + --max-tokens) would pass it is not sent (needs the model's price)",
    )
    .option('--json', 'print one JSON outcome per line')
    .option('--no-cache', 'do not read or write the sample cache')
    .option('--cache <file>', 'the cache file (default ~/.cache/nxt/llm.sqlite, or $NXT_CACHE_DIR)')
    .option('--config <file>', 'config file (default ./nxt.config.json, or $NXT_CONFIG)')
    .action(async (flags) => {
      const { sampleCommand } = await import('./llm-command.js');
      setCode(
        await sampleCommand(
          {
            ...flags,
            cache: typeof flags.cache === 'string' ? flags.cache : undefined,
            noCache: flags.cache === false,
          },
          io,
        ),
      );
    });
  program
    .command('cache')
    .description('show or clear the sample cache')
    .argument('<action>', 'stats or clear')
    .option('--cache <file>', 'the cache file (default ~/.cache/nxt/llm.sqlite, or $NXT_CACHE_DIR)')
    .option('--config <file>', 'config file (default ./nxt.config.json, or $NXT_CONFIG)')
    .option('--model <name>', 'clear: only the samples of this model (its name as asked; see nxt cache stats)')
    .option('--yes', 'clear: really delete the samples (they were paid for)')
    .action(async (action: string, flags) => {
      const { cacheCommand } = await import('./llm-command.js');
      setCode(await cacheCommand(action, flags, io));
    });

  const data = program.command('data').description('datasets: list, show, export, check, and build repair sets');
  const dataFlags = (command: Command) =>
    command
      .option(
        '--data-dir <dir>',
        "read dataset files from this folder (laid out like nxt's data folder), or $NXT_DATA_DIR",
      )
      .option(
        '--data-cache <dir>',
        'where downloaded dataset files are kept (default $NXT_CACHE_DIR/data, else ~/.cache/nxt/data)',
      );
  dataFlags(data.command('list').description('the datasets nxt knows and where their files are')).action(
    async (flags) => {
      const { listCommand } = await import('./data-command.js');
      setCode(await listCommand(flags, io));
    },
  );
  addSandboxFlags(
    dataFlags(
      data
        .command('show')
        .description('one task: description, buggy program with its inline trace, tests')
        .argument('<dataset>', `${listChoices(DATASET_NAMES)}, or a .jsonl task file`)
        .argument('<id>', 'the task id, e.g. Python/0 or MBPP/12')
        .option('--no-trace', 'show the buggy program without running it'),
    ),
  ).action(async (dataset: string, id: string, flags) => {
    const { showCommand } = await import('./data-command.js');
    setCode(await showCommand(dataset, id, flags, io));
  });
  dataFlags(
    data
      .command('export')
      .description('write a dataset as JSONL tasks')
      .argument('<dataset>', `${listChoices(DATASET_NAMES)}, or a .jsonl task file`)
      .option('--out <file>', 'the JSONL file to write'),
  ).action(async (dataset: string, flags) => {
    const { exportCommand } = await import('./data-command.js');
    setCode(await exportCommand(dataset, flags, io));
  });
  addSandboxFlags(
    dataFlags(
      data
        .command('check')
        .description('run every reference (must pass) and buggy program (must fail); report counts and exceptions')
        .argument('<dataset>', `${listChoices(DATASET_NAMES)}, or a .jsonl task file`)
        .option('--no-plus', 'skip the EvalPlus tests')
        .option('--json', 'print the report as JSON'),
    ),
  ).action(async (dataset: string, flags) => {
    const { checkCommand } = await import('./data-command.js');
    setCode(await checkCommand(dataset, flags, io));
  });
  addSandboxFlags(
    dataFlags(
      data
        .command('build')
        .description('build a repair set: mbpp-r (from model samples) or synthetic (AST mutations)')
        .argument('<kind>', 'mbpp-r or synthetic')
        .option('--from <dataset>', 'synthetic: mbpp or humaneval', 'mbpp')
        .option('--seed <n>', 'seed (synthetic: mutant order; mbpp-r: sampling seed)')
        .option('--per-problem <n>', 'most tasks kept per problem')
        .option('--limit <n>', 'only the first N problems')
        .option('--out <dir>', 'output folder (tasks and manifest.json)')
        .option('--model <spec>', 'mbpp-r: the model that writes the solutions')
        .option('--samples <k>', 'mbpp-r: samples per problem (default 32)')
        .option('--temperature <t>', 'mbpp-r: sampling temperature (default 0.8)')
        .option('--config <file>', 'config file (default ./nxt.config.json)')
        .option('--cache <file>', 'the LLM sample cache'),
    ),
  ).action(async (kind: string, flags) => {
    const { buildCommand } = await import('./data-command.js');
    setCode(await buildCommand(kind, flags, io));
  });

  const evalCommandLine = addSandboxFlags(
    dataFlags(
      program
        .command('eval')
        .description('evaluate a model on a repair dataset: sample fixes, judge them, report pass@k')
        .option(
          '--dataset <name>',
          `${listChoices(REPAIR_DATASET_NAMES)}, or a .jsonl repair set (mbpp-r, synthetic)`,
          'humanevalfix',
        )
        .option('--model <spec>', 'NAME, NAME@URL[,URL...], or a name from the config file')
        .option('--samples <n>', 'samples per task', '5')
        .option('--temperature <t>', 'sampling temperature', '0.8')
        .option('--greedy', 'also take one greedy (temperature 0) sample per task and report its pass@1')
        .option(
          '--trace <format>',
          `what the model sees of the execution: ${describeChoices(TRACE_FORMAT_TABLE, PROMPT_TRACE_FORMATS)}`,
          'inline',
        )
        .option('--shots <n>', '3 (worked examples, for untuned models) or 0 (fine-tuned models)', '3')
        .option('--strategy <name>', `how to repair: ${describeChoices(STRATEGIES)}`, 'nxt')
        .option('--turns <n>', 'most answers per sample for multi-turn strategies (default: 3 for them, 1 for nxt)')
        .option('--k <list>', 'the k of pass@k (default 1,5,10,25, those up to --samples)')
        .option('--limit <n>', 'only the first N tasks')
        .option('--max-tokens <n>', 'longest answer (default 1024)')
        .option('--seed <n>', 'sampling seed')
        .option(
          '--budget <usd>',
          "the most this command may spend, in dollars: a request whose worst case (prompt + --max-tokens) would pass it is not sent; exit 1 when samples were held back (needs the model's price)",
        )
        .option('--trace-budget <tokens>', 'shrink each rendered trace to fit this many tokens (default 2048)')
        .option('--min-time-limit <s>', 'EvalPlus tests: the least time an input gets, in seconds (default 4)')
        .option(
          '--gt-time-limit-factor <f>',
          "EvalPlus tests: an input gets this many times the reference's time (default 4)",
        )
        .option('--out <dir>', 'run folder (default runs/DATASET-MODEL-TRACE-SHOTS); an existing one is resumed')
        .option('--config <file>', 'config file (default ./nxt.config.json)')
        .option('--cache <file>', 'the LLM sample cache (keyed by model, server and request)')
        .option('--no-cache', 'ask the model for every sample, reading and storing nothing in the cache')
        .option('--no-exec-cache', 'judge every program, even one identical to a program judged before')
        .option(
          '--shard <i/n>',
          'only shard I of N of the tasks (0-based), into its own folder; join them with nxt merge',
        )
        .option('--batch', 'sample through the Batch API (half price, up to 24 h): one batch per turn; rerun to resume')
        .option('--batch-poll <s>', 'seconds between polls of a running batch (default 30)')
        .addHelpText(
          'after',
          '\nSubcommands: nxt eval proxy | import | export (see nxt eval proxy --help).\n' +
            'Example:\n  nxt eval --dataset humanevalfix --model gpt-4o-mini --samples 25 --temperature 0.8 --k 1,5,10,25',
        ),
    ),
  )
    .enablePositionalOptions()
    .action(async (flags) => {
      const { evalCommand } = await import('./eval-command.js');
      setCode(await evalCommand(flags, io));
    });
  addSandboxFlags(
    dataFlags(
      evalCommandLine
        .command('proxy')
        .description("proxy rationale quality: a student model fixes the bugs from a run's rationales (code removed)")
        .requiredOption('--from <dir>', 'the run whose rationales are used')
        .requiredOption('--student <spec>', 'the student model')
        .option('--out <dir>', 'default: DIR/proxy-STUDENT')
        .option('--config <file>', 'config file')
        .option('--cache <file>', 'the LLM sample cache (the execution cache is beside it)')
        .option('--no-exec-cache', 'judge every program, even one identical to a program judged before')
        .option('--shard <i/n>', 'only shard I of N of the tasks (0-based); join the shards with nxt merge'),
    ),
  ).action(async (flags) => {
    const { proxyCommand } = await import('./eval-command.js');
    setCode(await proxyCommand(flags, io));
  });
  addSandboxFlags(
    dataFlags(
      evalCommandLine
        .command('import')
        .description(
          'judge programs produced elsewhere: JSONL lines {"task_id", "solution"} (EvalPlus) or {"task_id", "completion"} (human-eval, the prompt is prepended)',
        )
        .requiredOption(
          '--dataset <name>',
          `the dataset they answer: ${listChoices(DATASET_NAMES)}, or a .jsonl task file`,
        )
        .requiredOption('--samples <file>', 'the JSONL file')
        .option('--no-exec-cache', 'judge every program, even one identical to a program judged before')
        .option('--shard <i/n>', 'only shard I of N of the tasks (0-based); join the shards with nxt merge')
        .option('--k <list>', 'the k of pass@k (reported when every task has at least k samples)', '1,10,100')
        .option(
          '--min-time-limit <s>',
          "EvalPlus tests: the least time an input gets, in seconds (EvalPlus's flag)",
          '4',
        )
        .option(
          '--gt-time-limit-factor <f>',
          "EvalPlus tests: an input gets this many times the reference's time on it (EvalPlus's flag)",
          '4',
        )
        .requiredOption('--out <dir>', 'run folder to write'),
    ),
  ).action(async (flags) => {
    const { importCommand } = await import('./eval-command.js');
    setCode(await importCommand(flags, io));
  });
  evalCommandLine
    .command('export')
    .description("write a run's programs as EvalPlus-style JSONL {task_id, solution}")
    .argument('<dir>', 'the run folder')
    .option('--out <file>', 'the JSONL file to write')
    .action(async (dir: string, flags) => {
      const { exportRunCommand } = await import('./eval-command.js');
      setCode(await exportRunCommand(dir, flags, io));
    });
  dataFlags(
    program
      .command('merge')
      .description('join the shard run folders of one run (--shard I/N) into one run folder, as if unsharded')
      .argument('<out>', 'the run folder to write (new)')
      .argument('<dirs...>', 'the shard run folders, all N of them'),
  )
    .addHelpText(
      'after',
      '\nThe shards must be of the same run (same command but --shard), all present, none twice. The\n' +
        "merged summary equals the unsharded run's. Example (a Slurm array of 4):\n" +
        '  nxt eval ... --shard $SLURM_ARRAY_TASK_ID/4 --out runs/big-$SLURM_ARRAY_TASK_ID\n' +
        '  nxt merge runs/big runs/big-0 runs/big-1 runs/big-2 runs/big-3',
    )
    .action(async (out: string, dirs: string[], flags) => {
      const { mergeCommand } = await import('./eval-command.js');
      setCode(await mergeCommand(out, dirs, flags, io));
    });
  program
    .command('compare')
    .description('compare two runs task by task (paired bootstrap) and list the tasks that flipped')
    .argument('<a>', 'run folder A')
    .argument('<b>', 'run folder B')
    .option('--json', 'print the comparison as JSON (both runs described, every number, the flipped tasks)')
    .action(async (a: string, b: string, flags: { json?: boolean }) => {
      const { compareCommand } = await import('./eval-command.js');
      setCode(await compareCommand(a, b, flags, io));
    });

  addSandboxFlags(
    dataFlags(
      program
        .command('selftrain')
        .description('NExT self-training: sample, keep passing fixes, fine-tune the base model, evaluate, repeat')
        .option('--config <file>', 'self-training configuration (JSON); every field can also be a flag')
        .option('--base-model <spec>', 'the base model')
        .option('--train-tasks <dataset>', 'training tasks: a repair dataset or task file (MBPP-R train, synthetic)')
        .option('--dev-tasks <dataset>', 'dev tasks')
        .option('--samples <n>', 'samples per task (default 32)')
        .option('--temperature <t>', 'sampling temperature (default 0.8)')
        .option('--hard-threshold <p>', 'hard set: tasks with base pass@1 below this (default 0.1)')
        .option('--iterations <n>', 'iterations (default 2)')
        .option('--shots <n>', 'shots for iteration 0 (default 3; fine-tuned models get 0)')
        .option('--trace <format>', `${describeChoices(TRACE_FORMAT_TABLE, PROMPT_TRACE_FORMATS)} (default inline)`)
        .option('--trace-budget <tokens>', 'shrink each rendered trace to fit this many tokens (default 2048)')
        .option('--dev-samples <n>', 'samples per dev task (default 5)')
        .option('--k <list>', 'the k of dev pass@k (default 1,5)')
        .option('--max-per-task <n>', 'keep at most N accepted samples per task')
        .option('--no-dedup', 'keep accepted samples whose program repeats')
        .option('--limit-train <n>', 'only the first N training tasks')
        .option('--limit-dev <n>', 'only the first N dev tasks')
        .option('--trainer <kind>', describeChoices(TRAINERS))
        .option('--train-command <template>', 'command trainer: {train_file} {base_model} {output_dir} {iteration}')
        .option(
          '--trained-model-template <spec>',
          'command trainer: the trained model, e.g. nxt-{iteration}@http://gpu:8000/v1',
        )
        .option('--trained-model <spec>', 'manual trainer: the model you trained for the waiting iteration')
        .option('--out <dir>', 'run folder (default runs/selftrain); an existing one is resumed')
        .option('--nxt-config <file>', 'the nxt config file with named models (default ./nxt.config.json)')
        .option('--cache <file>', 'the LLM sample cache (the execution cache is beside it)')
        .option('--no-exec-cache', 'judge every program and trace every buggy program again'),
    ),
  ).action(async (flags) => {
    const { selftrainCommand } = await import('./selftrain-command.js');
    setCode(await selftrainCommand(flags, io));
  });

  addSandboxFlags(
    dataFlags(
      program
        .command('view')
        .description('open the local viewer over run folders: samples, traces, diffs, ratings')
        .argument('[runs-dir]', 'folder holding run folders', 'runs')
        .option('--port <n>', 'port (default: any free port)')
        .option('--host <host>', 'address to listen on (default 127.0.0.1)')
        .option('--expose-on-network', 'allow a --host other machines can reach'),
    ),
  ).action(async (runsDir: string, flags) => {
    const { viewCommand } = await import('./view-command.js');
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    setCode(await viewCommand(runsDir, flags, io, stop));
  });
  program
    .command('report')
    .description('write a self-contained HTML report (tables, SVG charts) and a Markdown summary of runs')
    .argument('<dirs...>', 'run folders (evaluation or self-training)')
    .option('--out <file>', 'the HTML file (default report.html)')
    .option('--markdown <file>', 'the Markdown file (default next to the HTML)')
    .action(async (dirs: string[], flags) => {
      const { reportCommand } = await import('./view-command.js');
      setCode(await reportCommand(dirs, flags, io));
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
