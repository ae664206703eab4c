/**
 * End-to-end evaluation throughput: HumanEvalFix, 164 tasks × 25 samples, against the loopback test
 * server with no latency (a scripted model answering half right, half wrong). Prints samples/s and
 * where the time goes: prompting (tracing + rendering), sampling, judging, writing.
 *
 *   npm run bench:eval -- [--samples N] [--limit N] [--workers N] [--base-dir CHECKOUT] [--rounds N]
 *
 * With --base-dir (a checkout of another commit, e.g. `git worktree add /tmp/base COMMIT`), that
 * commit's runEval and this one's then run the same workload side by side, in alternating rounds, with
 * the same sandbox and model server and a fresh cache each time; the ratio of their best rounds is printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runEval, VerdictCache } from '../src/eval/index.js';
import { createLlmClient, type LlmClient, ModelSpecSchema, SampleCache } from '../src/llm/index.js';
import { startTestServer } from '../src/llm/testing/test-server.js';
import { createSandbox, type Sandbox } from '../src/sandbox/index.js';
import { DataStore, loadDataset, type RepairTask } from '../src/tasks/index.js';
import { createTokenCounter } from '../src/trace/index.js';
import { sharedDataDir } from '../test/support/shared-data.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '25' },
    limit: { type: 'string' },
    workers: { type: 'string' },
    'base-dir': { type: 'string' },
    rounds: { type: 'string', default: '3' },
    distinct: { type: 'string' },
    'exec-cache': { type: 'boolean', default: false },
  },
});
const store = new DataStore({ dataDir: sharedDataDir, cacheDir: join(tmpdir(), 'nxt-bench-data'), fetch: null });
const tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(
  0,
  values.limit ? Number(values.limit) : undefined,
);
const byDescription = tasks.map((task) => [`Task: ${task.description.trim()}`, task] as const);
const server = await startTestServer({
  respond: (request) => {
    const last = request.messages.at(-1)?.content ?? '';
    const task = byDescription.find(([prefix]) => last.startsWith(prefix))?.[1];
    return `The trace shows where the value goes wrong; the fix follows.\n\n\`\`\`python\n${answer(task, request.choice)}\n\`\`\``;
  },
});

/**
 * Sample `choice`'s program. Default: the reference for even choices, the buggy program for odd ones.
 * With --distinct D, the choices cycle over D distinct programs (the reference, the buggy program,
 * then the reference with a harmless extra statement), each always the same text, as a model repeats a
 * program it samples often (the execution cache reuses a verdict only for the same text): the share of
 * samples whose program repeats is 1 - D / samples.
 */
function answer(task: RepairTask | undefined, choice: number): string {
  const reference = task?.reference ?? '';
  const buggy = task?.buggyProgram ?? '';
  if (!values.distinct) return choice % 2 === 0 ? reference : buggy;
  const variant = choice % Number(values.distinct);
  return variant === 0 ? reference : variant === 1 ? buggy : `${reference}\n_variant = ${variant}\n`;
}

const busy = { prompting: 0, sampling: 0, judging: 0 };
const inside = { judgingMs: 0, timeoutMs: 0, timeouts: 0, judged: 0 };
function timed<T extends object>(target: T, method: keyof T, bucket: keyof typeof busy): T {
  const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
  return new Proxy(target, {
    get(object, property, receiver) {
      if (property !== method) return Reflect.get(object, property, receiver);
      return async (...args: unknown[]) => {
        const start = performance.now();
        try {
          return await original(...args);
        } finally {
          busy[bucket] += performance.now() - start;
        }
      };
    },
  });
}

const dir = mkdtempSync(join(tmpdir(), 'nxt-bench-eval-'));
const rawSandbox = await createSandbox(values.workers ? { workers: Number(values.workers) } : {});
const counting: Sandbox = new Proxy(rawSandbox, {
  get(object, property, receiver) {
    if (property !== 'judgeProgram') return Reflect.get(object, property, receiver);
    return async (...args: Parameters<Sandbox['judgeProgram']>) => {
      const verdict = await object.judgeProgram(...args);
      inside.judged += 1;
      inside.judgingMs += verdict.durationMs;
      if (verdict.status === 'timeout') {
        inside.timeouts += 1;
        inside.timeoutMs += verdict.durationMs;
      }
      return verdict;
    };
  },
});
let sandbox: Sandbox = timed(counting, 'judgeProgram', 'judging');
sandbox = timed(sandbox, 'traceProgram', 'prompting');
const client: LlmClient = timed(
  createLlmClient(ModelSpecSchema.parse({ model: 'scripted', baseUrls: [server.url], apiKey: 'sk', concurrency: 64 }), {
    cache: SampleCache.open(join(dir, 'cache.sqlite')),
  }),
  'sample',
  'sampling',
);
const samples = Number(values.samples);
const start = performance.now();
const summary = await runEval(
  { dataset: 'humanevalfix', model: 'scripted', api: 'chat', samples, temperature: 0.8, trace: 'inline', shots: 3 },
  {
    client,
    sandbox,
    tasks,
    datasetFiles: {},
    countTokens: await createTokenCounter(),
    nxtVersion: 'bench',
    k: [1, 5, 10, 25],
  },
  join(dir, 'run'),
);
const seconds = (performance.now() - start) / 1000;
const total = tasks.length * samples;
console.log(
  `HumanEvalFix: ${tasks.length} tasks × ${samples} samples = ${total} samples in ${seconds.toFixed(1)} s: ${(total / seconds).toFixed(0)} samples/s end to end`,
);
console.log(
  `sandbox: ${rawSandbox.workers} workers; pass@1 of the scripted model ${(100 * (summary['pass@k'].values['pass@1'] ?? 0)).toFixed(1)}% (half its answers are the reference)`,
);
console.log('time waiting on each stage, summed over concurrent work (queueing for the sandbox included):');
const sum = busy.prompting + busy.sampling + busy.judging;
for (const [stage, ms] of Object.entries(busy))
  console.log(
    `  ${stage.padEnd(10)} ${(ms / 1000).toFixed(1).padStart(8)} s  ${((100 * ms) / sum).toFixed(0).padStart(3)}%`,
  );
const capacity = seconds * rawSandbox.workers * 1000;
console.log(
  `the sandbox itself: ${inside.judged} judgements, ${(inside.judgingMs / 1000).toFixed(1)} s of program time = ${((100 * inside.judgingMs) / capacity).toFixed(0)}% of the ${rawSandbox.workers} workers over the run; ` +
    `${inside.timeouts} timed out, costing ${(inside.timeoutMs / 1000).toFixed(1)} s (${((100 * inside.timeoutMs) / Math.max(1, inside.judgingMs)).toFixed(0)}% of it)`,
);

/**
 * One timed run of `engine` on the bench's workload, in a fresh folder with a fresh sample cache (and
 * a fresh execution cache with `useExecCache`); seconds.
 */
async function timedRun(engine: typeof runEval, useExecCache: boolean): Promise<number> {
  const folder = mkdtempSync(join(tmpdir(), 'nxt-bench-eval-round-'));
  const fresh = createLlmClient(
    ModelSpecSchema.parse({ model: 'scripted', baseUrls: [server.url], apiKey: 'sk', concurrency: 64 }),
    { cache: SampleCache.open(join(folder, 'cache.sqlite')) },
  );
  const verdicts = useExecCache ? VerdictCache.open(join(folder, 'exec.sqlite')) : null;
  const began = performance.now();
  try {
    await engine(
      { dataset: 'humanevalfix', model: 'scripted', api: 'chat', samples, temperature: 0.8, trace: 'inline', shots: 3 },
      {
        client: fresh,
        sandbox: rawSandbox,
        tasks,
        datasetFiles: {},
        countTokens: await createTokenCounter(),
        nxtVersion: 'bench',
        k: [1],
        ...(verdicts ? { execCache: verdicts } : {}),
      },
      join(folder, 'run'),
    );
    return (performance.now() - began) / 1000;
  } finally {
    verdicts?.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

if (values['base-dir']) {
  type RunEval = typeof runEval;
  const base = (await import(join(values['base-dir'], 'src', 'eval', 'index.ts'))) as { runEval: RunEval };
  const engines: [string, RunEval][] = [
    ['base', base.runEval],
    ['this', runEval],
  ];
  const best = new Map<string, number>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [name, engine] of round % 2 === 0 ? engines : [...engines].reverse()) {
      const took = await timedRun(engine, false);
      best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, took));
    }
  }
  const [baseSeconds, thisSeconds] = [best.get('base') ?? 0, best.get('this') ?? 0];
  console.log(
    `side by side, best of ${values.rounds}: base ${(total / baseSeconds).toFixed(0)} samples/s, this ${(total / thisSeconds).toFixed(0)} samples/s; this/base ${(baseSeconds / thisSeconds).toFixed(3)}`,
  );
}

if (values['exec-cache']) {
  // The same workload with and without the execution cache, alternating, each with fresh caches.
  const best = new Map<string, number>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const useCache of round % 2 === 0 ? [false, true] : [true, false]) {
      const took = await timedRun(runEval, useCache);
      const name = useCache ? 'with' : 'without';
      best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, took));
    }
  }
  const [without, withCache] = [best.get('without') ?? 0, best.get('with') ?? 0];
  const distinct = values.distinct ? Math.min(Number(values.distinct), samples) : Math.min(2, samples);
  console.log(
    `execution cache, best of ${values.rounds}: ${distinct} distinct programs in ${samples} samples per task (${(100 * (1 - distinct / samples)).toFixed(0)}% repeats); without ${(total / without).toFixed(1)} samples/s, with ${(total / withCache).toFixed(1)} samples/s; with/without ${(without / withCache).toFixed(2)}`,
  );
}

await rawSandbox.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
