/**
 * The options of each command, picked from the one table (options.ts), and the typed flags each
 * command module receives (`FlagsOf`). A command may give an option a more specific sentence or its
 * own default; spelling and kind are the table's.
 */

import { REPORT_FILE, RUN_FILES } from '../runs/files.js';
import { listChoices } from '../shared/index.js';
import { REPAIR_DATASET_NAMES } from '../tasks/catalog.js';
import type { FlagsOf } from './flags.js';
import { OPTIONS as O } from './options.js';

/** Every command that starts the sandbox. */
export const SANDBOX = { python: O.python, bubblewrap: O.bubblewrap, namespaces: O.namespaces, workers: O.workers };
/** Commands that judge one program need one fork-server. */
const ONE_WORKER = { workers: O.workers.describe('fork-servers in the pool').default(1) };
/** Every command that loads datasets by name. */
export const DATA = { dataDir: O.dataDir, dataCache: O.dataCache };

export const RUN = {
  test: O.test,
  testsFile: O.testsFile,
  timeoutMs: O.timeoutMs,
  entryPoint: O.entryPoint,
  json: O.json.describe('print the verdict as one JSON object'),
  ...SANDBOX,
  ...ONE_WORKER,
};

export const TRACE = {
  test: O.test.describe('the test statement to trace (repeatable; one named test is traced even if it passes)'),
  testsFile: O.testsFile,
  testIndex: O.testIndex,
  format: O.format.default('inline'),
  loopHead: O.loopHead,
  loopTail: O.loopTail,
  valueChars: O.valueChars,
  maxSteps: O.maxSteps,
  traceBudget: O.traceBudget.describe('shrink the rendering until it fits this many tokens, and say what was cut'),
  tokenizer: O.tokenizer.default('cl100k_base'),
  ...SANDBOX,
  ...ONE_WORKER,
};

export const PING = { model: O.model.require(), config: O.config };

export const SAMPLE = {
  model: O.model.require(),
  promptFile: O.promptFile.require(),
  samples: O.samples.describe('number of samples').default(1),
  temperature: O.temperature,
  maxTokens: O.maxTokens,
  seed: O.seed,
  budget: O.budget,
  json: O.json.describe('print one JSON outcome per line'),
  cache: O.cache,
  noCache: O.noCache,
  config: O.config,
};

export const CACHE = {
  cache: O.cache,
  config: O.config,
  model: O.model.describe('clear: only the samples of this model (its name as asked; see nxt cache stats)'),
  yes: O.yes,
};

export const DATA_SHOW = { noTrace: O.noTrace, ...DATA, ...SANDBOX };
export const DATA_EXPORT = { out: O.outFile.describe('the JSONL file to write (- for standard output)'), ...DATA };
export const DATA_CHECK = { noPlus: O.noPlus, json: O.json.describe('print the report as JSON'), ...DATA, ...SANDBOX };

export const DATA_BUILD = {
  problems: O.problems.default('mbpp'),
  seed: O.seed.describe('seed (synthetic: mutant order, default 0; mbpp-r: sampling seed)'),
  perProblem: O.perProblem,
  limit: O.limit.describe('only the first N problems'),
  out: O.out.describe(`the folder to write (tasks and ${RUN_FILES.manifest}; default: the kind of set)`),
  model: O.model.describe('mbpp-r: the model that writes the solutions'),
  samples: O.samples.describe('mbpp-r: samples per problem').default(32),
  temperature: O.temperature.describe('mbpp-r: sampling temperature').default(0.8),
  config: O.config,
  cache: O.cache,
  ...DATA,
  ...SANDBOX,
};

export const EVAL = {
  dataset: O.dataset
    .describe(`${listChoices(REPAIR_DATASET_NAMES)}, or a .jsonl repair set (mbpp-r, synthetic)`)
    .default('humanevalfix'),
  // Not commander-required: a parent's required option would be required by proxy and import too.
  model: O.model,
  samples: O.samples.default(5),
  temperature: O.temperature.default(0.8),
  greedy: O.greedy,
  trace: O.trace.default('inline'),
  shots: O.shots.default(3),
  strategy: O.strategy.default('nxt'),
  turns: O.turns,
  k: O.k.describe('the k of pass@k (default 1,5,10,25, those up to --samples)'),
  limit: O.limit,
  maxTokens: O.maxTokens.describe('longest answer, in tokens (default 1024)'),
  seed: O.seed,
  budget: O.budget.describe(
    "the most this command may spend, in dollars: a request whose worst case (prompt + --max-tokens) would pass it is not sent; exit 1 when samples were held back (needs the model's price)",
  ),
  traceBudget: O.traceBudget.describe('shrink each rendered trace to fit this many tokens (default 2048)'),
  minTimeLimit: O.minTimeLimit.describe('EvalPlus tests: the least time an input gets, in seconds (default 4)'),
  gtTimeLimitFactor: O.gtTimeLimitFactor.describe(
    "EvalPlus tests: an input gets this many times the reference's time (default 4)",
  ),
  out: O.out.describe('the run folder (default runs/DATASET-MODEL-TRACE-SHOTS); an existing one is resumed'),
  config: O.config,
  cache: O.cache,
  noCache: O.noCache,
  noExecCache: O.noExecCache,
  shard: O.shard,
  batch: O.batch,
  batchPoll: O.batchPoll,
  ...DATA,
  ...SANDBOX,
};

export const PROXY = {
  from: O.from.require(),
  student: O.student.require(),
  out: O.out.describe('the run folder (default: DIR/proxy-STUDENT); an existing one is resumed'),
  config: O.config,
  cache: O.cache,
  noExecCache: O.noExecCache,
  shard: O.shard,
  ...DATA,
  ...SANDBOX,
};

export const IMPORT = {
  dataset: O.dataset.describe('the dataset they answer: a dataset name or a .jsonl task file').require(),
  samplesFile: O.samplesFile.require(),
  noExecCache: O.noExecCache,
  shard: O.shard,
  k: O.k.describe('the k of pass@k (reported when every task has at least k samples)').default([1, 10, 100]),
  minTimeLimit: O.minTimeLimit.default(4),
  gtTimeLimitFactor: O.gtTimeLimitFactor.default(4),
  out: O.out.require(),
  ...DATA,
  ...SANDBOX,
};

export const EXPORT_RUN = { out: O.outFile.describe('the JSONL file to write (- for standard output)') };
export const COMPARE = {
  json: O.json.describe('print the comparison as JSON (both runs described, every number, the flipped tasks)'),
};

export const SELFTRAIN = {
  plan: O.plan,
  baseModel: O.baseModel,
  trainTasks: O.trainTasks,
  devTasks: O.devTasks,
  samples: O.samples.describe('samples per task (default 32)'),
  temperature: O.temperature.describe('sampling temperature (default 0.8)'),
  hardThreshold: O.hardThreshold,
  iterations: O.iterations,
  shots: O.shots.describe('shots for iteration 0 (default 3; fine-tuned models get 0)'),
  trace: O.trace.describe(`${O.trace.spec.help} (default inline)`),
  traceBudget: O.traceBudget.describe('shrink each rendered trace to fit this many tokens (default 2048)'),
  devSamples: O.devSamples,
  k: O.k.describe('the k of dev pass@k (default 1,5)'),
  maxPerTask: O.maxPerTask,
  noDedup: O.noDedup,
  limitTrain: O.limitTrain,
  limitDev: O.limitDev,
  trainer: O.trainer,
  trainCommand: O.trainCommand,
  trainedModelTemplate: O.trainedModelTemplate,
  trainedModel: O.trainedModel,
  config: O.config,
  cache: O.cache,
  noExecCache: O.noExecCache.describe('judge every program and trace every buggy program again'),
  ...DATA,
  out: O.out.describe('the run folder (default runs/selftrain); an existing one is resumed'),
  ...SANDBOX,
};

export const VIEW = {
  port: O.port,
  host: O.host,
  exposeOnNetwork: O.exposeOnNetwork,
  ...DATA,
  ...SANDBOX,
  ...ONE_WORKER,
};

export const REPORT = {
  out: O.outFile.describe('the HTML report (- for standard output)').default({ stdout: false, path: REPORT_FILE }),
  markdown: O.markdown.describe(
    'the Markdown summary (- for standard output; default: next to the HTML, none when the HTML goes to standard output)',
  ),
};

export type SandboxFlags = FlagsOf<typeof SANDBOX>;
export type DataFlags = FlagsOf<typeof DATA>;
export type RunFlags = FlagsOf<typeof RUN>;
export type TraceFlags = FlagsOf<typeof TRACE>;
export type PingFlags = FlagsOf<typeof PING>;
export type SampleFlags = FlagsOf<typeof SAMPLE>;
export type CacheFlags = FlagsOf<typeof CACHE>;
export type ShowFlags = FlagsOf<typeof DATA_SHOW>;
export type ExportFlags = FlagsOf<typeof DATA_EXPORT>;
export type CheckFlags = FlagsOf<typeof DATA_CHECK>;
export type BuildFlags = FlagsOf<typeof DATA_BUILD>;
export type EvalFlags = FlagsOf<typeof EVAL>;
export type ProxyFlags = FlagsOf<typeof PROXY>;
export type ImportFlags = FlagsOf<typeof IMPORT>;
export type ExportRunFlags = FlagsOf<typeof EXPORT_RUN>;
export type CompareFlags = FlagsOf<typeof COMPARE>;
export type SelftrainFlags = FlagsOf<typeof SELFTRAIN>;
export type ViewFlags = FlagsOf<typeof VIEW>;
export type ReportFlags = FlagsOf<typeof REPORT>;
