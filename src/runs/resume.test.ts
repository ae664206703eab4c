import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResults } from './folder.js';
import type { ResultRecord, SampleRecord } from './records.js';
import { promptKey, resultKey, resumePromptLog, resumeRunLogs, sampleKey } from './resume.js';

const result = (taskId: string, index: number): ResultRecord => ({
  schemaVersion: 1,
  taskId,
  mode: 'sample',
  index,
  outcome: 'parse_error',
  rationale: null,
  program: null,
  base: null,
  plus: null,
  pass: false,
  basePass: false,
});
const sample = (taskId: string, index: number, turn: number): SampleRecord => ({
  schemaVersion: 1,
  taskId,
  mode: 'sample',
  index,
  status: 'ok',
  text: 'x',
  finishReason: 'stop',
  promptTokens: 1,
  completionTokens: 1,
  cached: false,
  error: null,
  turn,
});

describe('resume keys', () => {
  it('tell samples, turns, modes and prompts apart, whatever a task id holds', () => {
    const keys = [
      resultKey('a/1', 'sample', 0),
      resultKey('a/1', 'sample', 1),
      resultKey('a/1', 'greedy', 0),
      resultKey('a/10', 'sample', 0),
      sampleKey('a/1', 'sample', 0, 2),
      promptKey('a/1', 'sample'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    // Turn 1's answer has the sample's own key: a result and its first answer are found alike.
    expect(sampleKey('a/1', 'sample', 0)).toBe(resultKey('a/1', 'sample', 0));
  });
});

describe('resumeRunLogs', () => {
  it('repairs what a kill left, knows what is recorded, and counts appends from the call on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nxt-resume-'));
    writeFileSync(join(dir, 'results.jsonl'), `${JSON.stringify(result('t', 0))}\n{"schemaVersion":1,"ta`);
    writeFileSync(join(dir, 'samples.jsonl'), JSON.stringify(sample('t', 0, 2)));
    const logs = await resumeRunLogs(dir);
    expect(logs.results.recorded).toEqual([result('t', 0)]);
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(`${JSON.stringify(result('t', 0))}\n`);
    expect(readFileSync(join(dir, 'samples.jsonl'), 'utf8')).toBe(`${JSON.stringify(sample('t', 0, 2))}\n`);
    expect(logs.results.has(resultKey('t', 'sample', 0))).toBe(true);
    expect(logs.samples.has(sampleKey('t', 'sample', 0, 2))).toBe(true);
    expect(logs.samples.has(sampleKey('t', 'sample', 0, 1))).toBe(false);
    const appended = logs.results.append([result('t', 1)]);
    expect(logs.results.has(resultKey('t', 'sample', 1))).toBe(true);
    await appended;
    expect(await readResults(dir)).toEqual([result('t', 0), result('t', 1)]);
  });

  it('opens prompts by task and mode, in a folder that has none yet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nxt-resume-'));
    const prompts = await resumePromptLog(dir);
    expect(prompts.recorded).toEqual([]);
    await prompts.append([{ schemaVersion: 1, taskId: 't', mode: 'greedy', messages: null, prompt: 'p' }]);
    expect((await resumePromptLog(dir)).has(promptKey('t', 'greedy'))).toBe(true);
    expect((await resumePromptLog(dir)).has(promptKey('t', 'sample'))).toBe(false);
  });
});
