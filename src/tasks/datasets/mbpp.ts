/** MBPP: 974 problems with three asserts each, in its standard splits. */
import { z } from 'zod';
import { readRecords } from '../records.js';
import { type Problem, TASK_SCHEMA_VERSION } from '../schema.js';
import type { DataStore } from '../store.js';
import { entryPointOf, mbppSplit, provenance } from './common.js';

const MbppRecord = z.object({
  task_id: z.number().int(),
  text: z.string(),
  code: z.string(),
  test_list: z.array(z.string()).length(3),
  test_setup_code: z.string(),
  challenge_test_list: z.array(z.string()),
});

export async function loadMbpp(store: DataStore): Promise<Problem[]> {
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
