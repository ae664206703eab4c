/** What several dataset loaders share: upstream record shapes, provenance, and EvalPlus's HumanEval+ tests. */
import { z } from 'zod';
import { NxtError } from '../../shared/index.js';
import { toPlusTest } from '../plus.js';
import { readRecords } from '../records.js';
import type { MbppSplit } from '../schema.js';
import type { DataStore, LoadedFile } from '../store.js';

export const HumanEvalRecord = z.object({
  task_id: z.string(),
  prompt: z.string(),
  canonical_solution: z.string(),
  test: z.string(),
  entry_point: z.string(),
});
const PlusOriginRecord = z.object({
  task_id: z.string(),
  test: z.string(),
  canonical_solution: z.string(),
  prompt: z.string(),
});
/** The one field nxt reads from EvalPlus's own format (its OriginFmt test for HumanEval/32 does not state it). */
const PlusToleranceRecord = z.object({ task_id: z.string(), atol: z.number().nonnegative() });

/** MBPP's standard splits by task id. */
export function mbppSplit(id: number): MbppSplit {
  if (id <= 10) return 'prompt';
  if (id <= 510) return 'test';
  if (id <= 600) return 'validation';
  return 'train';
}

export function provenance(loaded: LoadedFile, line: number, upstreamId: string) {
  return { file: loaded.file.path, sha256: loaded.sha256, line, upstreamId };
}

/** The docstring of a HumanEval prompt: the problem in words (and its examples). */
export function docstring(prompt: string): string {
  const match = /("""|''')([\s\S]*?)\1/.exec(prompt.slice(prompt.lastIndexOf('def ')));
  return (match?.[2] ?? '')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
}

/** EvalPlus's HumanEval+ tests by task id: the OriginFmt records, and the `atol` EvalPlus's evaluator uses. */
export interface HumanEvalPlusFiles {
  origin: Map<string, z.infer<typeof PlusOriginRecord>>;
  atol: Map<string, number>;
}

export async function humanEvalPlusFiles(store: DataStore): Promise<HumanEvalPlusFiles> {
  const origin = readRecords(await store.load('humanevalPlus'), PlusOriginRecord);
  const stated = readRecords(await store.load('humanevalPlusEvalplusFormat'), PlusToleranceRecord, {
    pythonNonFinite: true,
  });
  return {
    origin: new Map(origin.map(({ record }) => [record.task_id, record])),
    atol: new Map(stated.map(({ record }) => [record.task_id, record.atol])),
  };
}

export function plusFor(files: HumanEvalPlusFiles, upstreamId: string, entryPoint: string) {
  const record = files.origin.get(upstreamId);
  const atol = files.atol.get(upstreamId);
  if (!record || atol === undefined) throw new NxtError('data', `no EvalPlus tests for ${upstreamId}`);
  const header = `${record.prompt}${record.canonical_solution}`;
  return { source: 'evalplus HumanEval+ v0.1.10', ...toPlusTest(record.test, entryPoint, upstreamId, header, atol) };
}

/** The function a test calls: the first `name(` after `assert` that the reference defines. */
export function entryPointOf(code: string, test: string): string {
  const defined = [...code.matchAll(/^\s*def\s+([A-Za-z_]\w*)\s*\(/gm)].map((match) => match[1] as string);
  const called = [...test.matchAll(/([A-Za-z_]\w*)\s*\(/g)].map((match) => match[1] as string);
  return called.find((name) => defined.includes(name)) ?? defined[0] ?? 'solution';
}
