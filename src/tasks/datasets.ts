import { z } from 'zod';
import { NxtError } from '../shared/index.js';
import { DATASET_NAMES, type DatasetName, isDatasetName } from './catalog.js';
import { splitCheckTests } from './check-split.js';
import { toPlusTest } from './plus.js';
import { readRecords } from './records.js';
import { type MbppSplit, type Problem, type RepairTask, TASK_SCHEMA_VERSION } from './schema.js';
import type { DataStore, LoadedFile } from './store.js';

const HumanEvalRecord = z.object({
  task_id: z.string(),
  prompt: z.string(),
  canonical_solution: z.string(),
  test: z.string(),
  entry_point: z.string(),
});
const HumanEvalPackRecord = HumanEvalRecord.extend({
  declaration: z.string(),
  buggy_solution: z.string(),
  bug_type: z.string(),
  docstring: z.string(),
});
const MbppRecord = z.object({
  task_id: z.number().int(),
  text: z.string(),
  code: z.string(),
  test_list: z.array(z.string()).length(3),
  test_setup_code: z.string(),
  challenge_test_list: z.array(z.string()),
});
const PlusOriginRecord = z.object({
  task_id: z.string(),
  test: z.string(),
  canonical_solution: z.string(),
  prompt: z.string(),
});
/** The one field nxt reads from EvalPlus's own format (its OriginFmt test for HumanEval/32 does not state it). */
const PlusToleranceRecord = z.object({ task_id: z.string(), atol: z.number().nonnegative() });
const MbppPlusOriginRecord = z.object({
  task_id: z.number().int(),
  test: z.string(),
  code: z.string(),
  prompt: z.string(),
  test_list: z.array(z.string()),
  test_imports: z.array(z.string()),
});

/** MBPP's standard splits by task id. */
export function mbppSplit(id: number): MbppSplit {
  if (id <= 10) return 'prompt';
  if (id <= 510) return 'test';
  if (id <= 600) return 'validation';
  return 'train';
}

function provenance(loaded: LoadedFile, line: number, upstreamId: string) {
  return { file: loaded.file.path, sha256: loaded.sha256, line, upstreamId };
}

/** The docstring of a HumanEval prompt: the problem in words (and its examples). */
function docstring(prompt: string): string {
  const match = /("""|''')([\s\S]*?)\1/.exec(prompt.slice(prompt.lastIndexOf('def ')));
  return (match?.[2] ?? '')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
}

/** EvalPlus's HumanEval+ tests by task id: the OriginFmt records, and the `atol` EvalPlus's evaluator uses. */
interface HumanEvalPlusFiles {
  origin: Map<string, z.infer<typeof PlusOriginRecord>>;
  atol: Map<string, number>;
}

async function humanEvalPlusFiles(store: DataStore): Promise<HumanEvalPlusFiles> {
  const origin = readRecords(await store.load('humanevalPlus'), PlusOriginRecord);
  const stated = readRecords(await store.load('humanevalPlusEvalplusFormat'), PlusToleranceRecord, {
    pythonNonFinite: true,
  });
  return {
    origin: new Map(origin.map(({ record }) => [record.task_id, record])),
    atol: new Map(stated.map(({ record }) => [record.task_id, record.atol])),
  };
}

function plusFor(files: HumanEvalPlusFiles, upstreamId: string, entryPoint: string) {
  const record = files.origin.get(upstreamId);
  const atol = files.atol.get(upstreamId);
  if (!record || atol === undefined) throw new NxtError('data', `no EvalPlus tests for ${upstreamId}`);
  const header = `${record.prompt}${record.canonical_solution}`;
  return { source: 'evalplus HumanEval+ v0.1.10', ...toPlusTest(record.test, entryPoint, upstreamId, header, atol) };
}

/** HumanEval; with `plus`, judged also on EvalPlus's HumanEval+ tests, with EvalPlus's prompt and reference. */
async function humanEval(store: DataStore, plus: boolean): Promise<Problem[]> {
  const loaded = await store.load('humaneval');
  const files = plus ? await humanEvalPlusFiles(store) : null;
  return readRecords(loaded, HumanEvalRecord).map(({ record, line }) => {
    const tests = splitCheckTests(record.test, record.entry_point);
    const evalplus = files?.origin.get(record.task_id);
    if (files && !evalplus) throw new NxtError('data', `no EvalPlus tests for ${record.task_id}`);
    const prompt = evalplus?.prompt ?? record.prompt;
    return {
      schemaVersion: TASK_SCHEMA_VERSION,
      id: record.task_id,
      dataset: plus ? 'humaneval-plus' : 'humaneval',
      description: docstring(prompt),
      entryPoint: record.entry_point,
      promptTests: tests,
      tests,
      plusTests: files ? plusFor(files, record.task_id, record.entry_point) : null,
      reference: `${prompt}${evalplus?.canonical_solution ?? record.canonical_solution}`,
      split: null,
      provenance: provenance(loaded, line, record.task_id),
      prompt,
    };
  });
}

async function humanEvalFix(store: DataStore, plus: boolean): Promise<RepairTask[]> {
  const loaded = await store.load('humanevalpack');
  const files = plus ? await humanEvalPlusFiles(store) : null;
  return readRecords(loaded, HumanEvalPackRecord).map(({ record, line }) => {
    const tests = splitCheckTests(record.test, record.entry_point);
    const number = record.task_id.split('/')[1];
    return {
      schemaVersion: TASK_SCHEMA_VERSION,
      id: record.task_id,
      dataset: plus ? 'humanevalfix-plus' : 'humanevalfix',
      description: record.docstring.trim(),
      entryPoint: record.entry_point,
      promptTests: tests,
      tests,
      plusTests: files ? plusFor(files, `HumanEval/${number}`, record.entry_point) : null,
      // EvalPlus corrected some HumanEval references (HumanEval/32's bisection misses its |poly(x)| <= 1e-4
      // oracle): with EvalPlus tests, EvalPlus's reference is the one that must pass.
      reference: `${record.declaration}${files?.origin.get(`HumanEval/${number}`)?.canonical_solution ?? record.canonical_solution}`,
      split: null,
      provenance: provenance(loaded, line, record.task_id),
      buggyProgram: `${record.declaration}${record.buggy_solution}`,
      bugLabel: { kind: 'humanevalfix-bug-type', value: record.bug_type },
      failingTest: null,
      prompt: record.prompt,
    };
  });
}

/** The function a test calls: the first `name(` after `assert` that the reference defines. */
function entryPointOf(code: string, test: string): string {
  const defined = [...code.matchAll(/^\s*def\s+([A-Za-z_]\w*)\s*\(/gm)].map((match) => match[1] as string);
  const called = [...test.matchAll(/([A-Za-z_]\w*)\s*\(/g)].map((match) => match[1] as string);
  return called.find((name) => defined.includes(name)) ?? defined[0] ?? 'solution';
}

async function mbpp(store: DataStore): Promise<Problem[]> {
  const loaded = await store.load('mbpp');
  return readRecords(loaded, MbppRecord).map(({ record, line }) => {
    const setup = record.test_setup_code.trim();
    const tests = record.test_list.map((test) => (setup ? `${setup}\n${test}` : test));
    return {
      schemaVersion: TASK_SCHEMA_VERSION,
      id: `MBPP/${record.task_id}`,
      dataset: 'mbpp',
      description: record.text.trim(),
      entryPoint: entryPointOf(record.code, record.test_list[0] ?? ''),
      promptTests: tests,
      tests,
      plusTests: null,
      reference: record.code.replace(/\r\n/g, '\n'),
      split: mbppSplit(record.task_id),
      provenance: provenance(loaded, line, String(record.task_id)),
      // MBPP has no prompt a completion continues: its samples are whole programs.
      prompt: null,
    };
  });
}

/**
 * The prompt EvalPlus gives MBPP+ completions (its own file's `prompt`): the problem without its
 * source links, and the first test, as a docstring. Checked against EvalPlus's file in the tests.
 */
export function mbppPlusPrompt(text: string, firstTest: string): string {
  return `"""\n${text.replace(/https?:\/\/\S+/g, '')}\n${firstTest}\n"""\n`;
}

async function mbppPlus(store: DataStore): Promise<Problem[]> {
  const loaded = await store.load('mbppPlus');
  return readRecords(loaded, MbppPlusOriginRecord).map(({ record, line }) => {
    // The function EvalPlus's own loop calls: `assertion(NAME(*inp), exp, atol)`.
    const called = /assertion\(\s*([A-Za-z_]\w*)\(\*inp\)/.exec(record.test)?.[1];
    const entryPoint = called ?? entryPointOf(record.code, record.test_list[0] ?? '');
    const imports = record.test_imports.join('\n');
    const tests = record.test_list.map((test) => (imports ? `${imports}\n${test}` : test));
    const id = `Mbpp/${record.task_id}`;
    return {
      schemaVersion: TASK_SCHEMA_VERSION,
      id,
      dataset: 'mbpp-plus',
      description: record.prompt.trim(),
      entryPoint,
      promptTests: tests,
      tests,
      plusTests: {
        source: 'evalplus MBPP+ v0.2.0',
        ...toPlusTest(record.test, entryPoint, id, `${record.code}\n${imports}`),
      },
      reference: record.code,
      split: mbppSplit(record.task_id),
      provenance: provenance(loaded, line, id),
      prompt: mbppPlusPrompt(record.prompt, record.test_list[0] ?? ''),
    };
  });
}

/** How each named dataset is read (catalog.ts has the table of names). */
const LOADERS = {
  humanevalfix: (store) => humanEvalFix(store, false),
  'humanevalfix-plus': (store) => humanEvalFix(store, true),
  humaneval: (store) => humanEval(store, false),
  'humaneval-plus': (store) => humanEval(store, true),
  mbpp,
  'mbpp-plus': mbppPlus,
} satisfies Record<DatasetName, (store: DataStore) => Promise<(Problem | RepairTask)[]>>;

/** Loads a named dataset. Throws `NxtError('data')` for an unknown name, a missing file or a bad record. */
export async function loadDataset(name: string, store: DataStore): Promise<(Problem | RepairTask)[]> {
  if (!isDatasetName(name)) {
    throw new NxtError(
      'data',
      `unknown dataset '${name}': known are ${DATASET_NAMES.join(', ')}, or a .jsonl file of tasks`,
    );
  }
  return LOADERS[name](store);
}

export function isRepairTask(task: Problem | RepairTask): task is RepairTask {
  return 'buggyProgram' in task;
}
