/**
 * Every option of the nxt command line, declared once: spelling, kind (how its text is read and what a
 * refusal says), help and default. Commands pick their options from here (command-flags.ts); a command
 * may say a more specific sentence or default, never another spelling or kind. Loaded by `nxt --help`:
 * it imports only the small choice tables.
 */
import { STRATEGIES, STRATEGY_NAMES } from '../eval/strategies/index.js';
import { TRAINER_NAMES, TRAINERS } from '../selftrain/trainers/index.js';
import { describeChoices } from '../shared/index.js';
import { PROMPT_TRACE_FORMATS, TRACE_FORMAT_TABLE, TRACE_FORMATS } from '../trace/formats/index.js';
import { TOKEN_ENCODINGS } from '../trace/tokens.js';
import { negation, repeatable, toggle, value } from './flags.js';
import {
  cacheFile,
  choice,
  dataset,
  dollars,
  fileToRead,
  fileToWrite,
  folderToRead,
  folderToWrite,
  integerRange,
  modelSpec,
  nonNegativeInt,
  numberChoice,
  numberRange,
  positiveInt,
  positiveIntList,
  probability,
  seconds,
  shard,
  text,
} from './option-kinds.js';

/** How hard the sandbox insists on an isolation layer (--bubblewrap, --namespaces, and their variables). */
export const ISOLATION_MODES = ['auto', 'required', 'off'] as const;

/** The problems a synthetic repair set can be built from. */
export const SYNTHETIC_SOURCES = ['mbpp', 'humaneval'] as const;

export const OPTIONS = {
  // The sandbox
  python: value(
    '--python',
    text('<path>'),
    'the interpreter that runs the programs: --python, else $NXT_PYTHON, else python3 on PATH, for every command and isolation mode (one exception: as root with neither bubblewrap nor namespaces, a default python3 the sandbox uid cannot read gives way to /usr/bin/python3, and nxt says so); judging commands print it, and a run folder is resumed only under the Python it was judged with',
  ),
  bubblewrap: value(
    '--bubblewrap',
    choice(ISOLATION_MODES, '<mode>'),
    'use bubblewrap: auto (when it works), required, or off (or $NXT_BUBBLEWRAP)',
  ),
  namespaces: value(
    '--namespaces',
    choice(ISOLATION_MODES, '<mode>'),
    'without bubblewrap, the sandbox enters user, mount, PID, network and IPC namespaces itself: auto (where the kernel allows it), required, or off (or $NXT_NAMESPACES)',
  ),
  workers: value('--workers', positiveInt(), 'fork-servers in the pool (default: one per core)'),

  // Datasets
  dataDir: value(
    '--data-dir',
    folderToRead(),
    "read dataset files from this folder (laid out like nxt's data folder), or $NXT_DATA_DIR",
  ),
  dataCache: value(
    '--data-cache',
    folderToWrite(),
    'where downloaded dataset files are kept (default $NXT_CACHE_DIR/data, else ~/.cache/nxt/data)',
  ),
  dataset: value('--dataset', dataset(), 'a dataset name or a .jsonl task file'),
  limit: value('--limit', positiveInt(), 'only the first N tasks'),

  // Programs and tests
  test: repeatable('--test', text('<stmt>'), 'a test statement, e.g. "assert f(1) == 2" (repeatable)'),
  testsFile: value(
    '--tests-file',
    fileToRead(),
    'tests: a .py file (one test per top-level statement) or a .json array of strings',
  ),
  timeoutMs: value('--timeout-ms', positiveInt('<ms>'), 'wall-clock limit for the program and for each test, in ms'),
  entryPoint: value(
    '--entry-point',
    text('<name>'),
    'the function (defined by the program) that tests of more than one call, such as loops, may call sealed; default: the one that seals most of them',
  ),
  json: toggle('--json', 'print the result as JSON'),

  // Traces
  testIndex: value('--test-index', nonNegativeInt(), 'trace this test (0-based) instead of the first failing one'),
  format: value('--format', choice(TRACE_FORMATS, '<format>'), describeChoices(TRACE_FORMAT_TABLE)),
  trace: value(
    '--trace',
    choice(PROMPT_TRACE_FORMATS, '<format>'),
    `what the model sees of the execution: ${describeChoices(TRACE_FORMAT_TABLE, PROMPT_TRACE_FORMATS)}`,
  ),
  loopHead: value(
    '--loop-head',
    nonNegativeInt(),
    'entries kept at the start of a line that ran many times (default 3)',
  ),
  loopTail: value('--loop-tail', nonNegativeInt(), 'entries kept at its end (default 1)'),
  valueChars: value('--value-chars', positiveInt(), 'longest value shown; longer ones end in ... (default 1000)'),
  maxSteps: value('--max-steps', positiveInt(), 'state changes recorded before tracing stops (default 1000)'),
  traceBudget: value('--trace-budget', positiveInt('<tokens>'), 'shrink each rendered trace to fit this many tokens'),
  tokenizer: value('--tokenizer', choice(TOKEN_ENCODINGS, '<name>'), 'the tokenizer that counts --trace-budget'),

  // Models and sampling
  model: value(
    '--model',
    modelSpec(),
    'NAME (uses $OPENAI_BASE_URL/$OPENAI_API_KEY), NAME@URL[,URL...], or a name from the config file',
  ),
  config: value(
    '--config',
    fileToRead(),
    'the nxt config file: named models, prices, cache folder (default ./nxt.config.json, or $NXT_CONFIG)',
  ),
  cache: value(
    '--cache',
    cacheFile(),
    'the LLM sample cache (default ~/.cache/nxt/llm.sqlite, or $NXT_CACHE_DIR); the execution cache is beside it',
  ),
  noCache: negation('--no-cache', 'ask the model for every sample, reading and storing nothing in the cache'),
  noExecCache: negation('--no-exec-cache', 'judge every program, even one identical to a program judged before'),
  promptFile: value(
    '--prompt-file',
    fileToRead(),
    'the prompt: a user message (chat models) or the raw prompt (completions)',
  ),
  samples: value('--samples', positiveInt(), 'samples per task', '-n'),
  temperature: value('--temperature', numberRange(0, 2, '<t>'), 'sampling temperature'),
  maxTokens: value('--max-tokens', positiveInt(), 'longest answer, in tokens'),
  seed: value('--seed', nonNegativeInt(), 'sampling seed (sample i of a fanned-out request uses seed + i)'),
  budget: value(
    '--budget',
    dollars(),
    "the most this command may spend, in dollars: a request whose worst case (prompt + --max-tokens) would pass it is not sent (needs the model's price)",
  ),
  yes: toggle('--yes', 'clear: really delete the samples (they were paid for)'),

  // Evaluation
  greedy: toggle('--greedy', 'also take one greedy (temperature 0) sample per task and report its pass@1'),
  shots: value('--shots', numberChoice([3, 0]), '3 (worked examples, for untuned models) or 0 (fine-tuned models)'),
  strategy: value('--strategy', choice(STRATEGY_NAMES), `how to repair: ${describeChoices(STRATEGIES)}`),
  turns: value(
    '--turns',
    integerRange(1, 10),
    'most answers per sample for multi-turn strategies (default: 3 for them, 1 for nxt)',
  ),
  k: value('--k', positiveIntList(), 'the k of pass@k'),
  minTimeLimit: value(
    '--min-time-limit',
    seconds(0.001, 3600),
    "EvalPlus tests: the least time an input gets, in seconds (EvalPlus's flag)",
  ),
  gtTimeLimitFactor: value(
    '--gt-time-limit-factor',
    numberRange(1, 1000, '<f>'),
    "EvalPlus tests: an input gets this many times the reference's time on it (EvalPlus's flag)",
  ),
  out: value('--out', folderToWrite(), 'the run folder to write; an existing one is resumed'),
  outFile: value('--out', fileToWrite(), 'the file to write (- for standard output)'),
  shard: value(
    '--shard',
    shard(),
    'only shard I of N of the tasks (0-based), into its own run folder; join the shards with nxt merge',
  ),
  batch: toggle(
    '--batch',
    'sample through the Batch API (half price, up to 24 h): one batch per turn; rerun to resume',
  ),
  batchPoll: value('--batch-poll', seconds(0.01, 3600), 'seconds between polls of a running batch (default 30)'),
  from: value('--from', folderToRead(), 'the run whose rationales are used'),
  student: value('--student', modelSpec(), 'the student model'),
  samplesFile: value('--samples-file', fileToRead(), 'the JSONL samples file'),

  // Building datasets
  noTrace: negation('--no-trace', 'show the buggy program without running it'),
  noPlus: negation('--no-plus', 'skip the EvalPlus tests'),
  problems: value('--problems', choice(SYNTHETIC_SOURCES), 'synthetic: the problems whose references are mutated'),
  perProblem: value('--per-problem', positiveInt(), 'most tasks kept per problem'),

  // Self-training
  plan: value(
    '--plan',
    fileToRead(),
    'the self-training plan (JSON, see the README); every field can also be given as a flag, which wins',
  ),
  baseModel: value('--base-model', modelSpec(), 'the base model'),
  trainTasks: value(
    '--train-tasks',
    dataset(),
    'training tasks: a repair dataset or task file (MBPP-R train, synthetic)',
  ),
  devTasks: value('--dev-tasks', dataset(), 'dev tasks'),
  hardThreshold: value('--hard-threshold', probability(), 'hard set: tasks with base pass@1 below this (default 0.1)'),
  iterations: value('--iterations', positiveInt(), 'iterations (default 2)'),
  devSamples: value('--dev-samples', positiveInt(), 'samples per dev task (default 5)'),
  maxPerTask: value('--max-per-task', positiveInt(), 'keep at most N accepted samples per task'),
  noDedup: negation('--no-dedup', 'keep accepted samples whose program repeats'),
  limitTrain: value('--limit-train', positiveInt(), 'only the first N training tasks'),
  limitDev: value('--limit-dev', positiveInt(), 'only the first N dev tasks'),
  trainer: value('--trainer', choice(TRAINER_NAMES, '<kind>'), describeChoices(TRAINERS)),
  trainCommand: value(
    '--train-command',
    text('<template>'),
    'command trainer: {train_file} {base_model} {output_dir} {iteration}',
  ),
  trainedModelTemplate: value(
    '--trained-model-template',
    modelSpec(),
    'command trainer: the trained model, e.g. nxt-{iteration}@http://gpu:8000/v1',
  ),
  trainedModel: value(
    '--trained-model',
    modelSpec(),
    'manual trainer: the model you trained for the waiting iteration',
  ),

  // The viewer and reports
  port: value('--port', integerRange(1, 65_535), 'port (default: any free port)'),
  host: value('--host', text('<host>'), 'address to listen on (default 127.0.0.1)'),
  exposeOnNetwork: toggle('--expose-on-network', 'allow a --host other machines can reach'),
  markdown: value('--markdown', fileToWrite(), 'the Markdown summary (- for standard output)'),
} as const;

export type OptionName = keyof typeof OPTIONS;
