/** HumanEvalFix (HumanEvalPack, Python), and HumanEvalFix-Plus (judged also on EvalPlus's HumanEval+ tests). */
import { z } from 'zod';
import { splitCheckTests } from '../check-split.js';
import { readRecords } from '../records.js';
import { type RepairTask, TASK_SCHEMA_VERSION } from '../schema.js';
import type { DataStore } from '../store.js';
import { HumanEvalRecord, humanEvalPlusFiles, plusFor, provenance } from './common.js';

const HumanEvalPackRecord = HumanEvalRecord.extend({
  declaration: z.string(),
  buggy_solution: z.string(),
  bug_type: z.string(),
  docstring: z.string(),
});

export async function loadHumanEvalFix(store: DataStore, plus: boolean): Promise<RepairTask[]> {
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
