/** MBPP+ v0.2.0: EvalPlus's MBPP problems with its base and plus inputs. */
import { z } from 'zod';
import { toPlusTest } from '../plus.js';
import { readRecords } from '../records.js';
import { type Problem, TASK_SCHEMA_VERSION } from '../schema.js';
import type { DataStore } from '../store.js';
import { entryPointOf, mbppSplit, provenance } from './common.js';

const MbppPlusOriginRecord = z.object({
  task_id: z.number().int(),
  test: z.string(),
  code: z.string(),
  prompt: z.string(),
  test_list: z.array(z.string()),
  test_imports: z.array(z.string()),
});

/**
 * The prompt EvalPlus gives MBPP+ completions (its own file's `prompt`): the problem without its
 * source links, and the first test, as a docstring. Checked against EvalPlus's file in the tests.
 */
export function mbppPlusPrompt(text: string, firstTest: string): string {
  return `"""\n${text.replace(/https?:\/\/\S+/g, '')}\n${firstTest}\n"""\n`;
}

export async function loadMbppPlus(store: DataStore): Promise<Problem[]> {
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
