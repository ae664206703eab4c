/** HumanEval, and HumanEval+ (the same problems judged also on EvalPlus's tests). */
import { NxtError } from '../../shared/index.js';
import { splitCheckTests } from '../check-split.js';
import { readRecords } from '../records.js';
import { type Problem, TASK_SCHEMA_VERSION } from '../schema.js';
import type { DataStore } from '../store.js';
import { docstring, HumanEvalRecord, humanEvalPlusFiles, plusFor, provenance } from './common.js';

/** HumanEval; with `plus`, judged also on EvalPlus's HumanEval+ tests, with EvalPlus's prompt and reference. */
export async function loadHumanEval(store: DataStore, plus: boolean): Promise<Problem[]> {
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
