import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultRecord } from '../../src/eval/index.js';
import type { RepairTask } from '../../src/tasks/index.js';
import { resultRecord, writeHandMadeRun } from './hand-made-run.js';

/**
 * Markup an attacker could put in any string of a run folder: elements marked `pwn`, script that sets
 * `__pwned`, a meta refresh and a base element that would take the page elsewhere, quotes that would
 * leave an attribute, and Markdown (table pipes, code, links, emphasis, entities, math, mentions).
 */
export const HOSTILE =
  `"'><b class="pwn">bold</b><img class="pwn" src=x onerror="window.__pwned=1">` +
  `<script class="pwn">window.__pwned=2</script><meta class="pwn" http-equiv="refresh" content="0;url=/pwned">` +
  `<base class="pwn" href="http://example.invalid/"><a class="pwn" href="javascript:window.__pwned=3">a</a>` +
  '\n| `code` [link](http://example.invalid) **bold** _em_ &amp; $x$ @team #1 \\';

/** The same for a folder name, which cannot hold a slash. */
export const HOSTILE_NAME = `"'><b class=pwn>b<b><img class=pwn src=x onerror=window.__pwned=4>\n| \`x\` [a](b) &amp;`;

const metrics = { tasks: 1, values: { 'pass@1': 0.5 }, intervals: { 'pass@1': [0, 1] } };

/**
 * Run folders under `root` with markup in every string field the viewer and the report read: an
 * eval run named `HOSTILE_NAME` (manifest, results, prompts, ratings, summary), a proxy and an
 * import run, and records that do not validate (a mode and an index carrying markup).
 */
export function writeHostileRuns(root: string): { evalRun: string; proxyRun: string; importRun: string } {
  const good = { ...resultRecord(HOSTILE, 0, true), rationale: HOSTILE, program: HOSTILE };
  const judged: ResultRecord = {
    ...good,
    index: 1,
    pass: false,
    basePass: false,
    error: HOSTILE,
    base: {
      status: 'fail',
      passed: 0,
      total: 1,
      reason: HOSTILE,
      tests: [{ status: HOSTILE, exception: HOSTILE, sealed: false }],
    },
    plus: { status: 'fail', passed: 0, total: 1, reason: HOSTILE, tests: [] },
    turns: [
      { turn: 1, feedback: null, completion: HOSTILE, program: HOSTILE, status: 'fail', pass: false },
      { turn: 2, feedback: HOSTILE, completion: HOSTILE, program: HOSTILE, status: 'fail', pass: false },
    ],
  };
  const summary = { dataset: HOSTILE, model: HOSTILE, byLabel: { [HOSTILE]: metrics } };
  const config = { dataset: HOSTILE, model: HOSTILE, api: 'chat', samples: 2, temperature: 0.8, trace: 'inline' };
  const evalRun = writeHandMadeRun(join(root, HOSTILE_NAME), [good, judged], {
    manifest: {
      kind: 'eval',
      config: { ...config, shots: 0 },
      dataset: { name: HOSTILE, tasks: 1, files: { [HOSTILE]: HOSTILE } },
      prompt: { version: HOSTILE, hash: HOSTILE, form: 'chat' },
      endpoint: { baseUrls: [HOSTILE] },
      file: undefined,
      fileSha256: undefined,
    },
    summary,
    // Records that do not validate: markup where a mode and an index belong, and a line that is not JSON.
    tail: `${JSON.stringify({ ...good, mode: HOSTILE, index: HOSTILE })}\n${HOSTILE}\n`,
  });
  const prompt = { schemaVersion: 1, taskId: HOSTILE, mode: 'sample', prompt: null };
  writeFileSync(
    join(evalRun, 'prompts.jsonl'),
    `${JSON.stringify({ ...prompt, messages: [{ role: HOSTILE, content: HOSTILE }] })}\n`,
  );
  const rating = { taskId: HOSTILE, mode: 'sample', index: 0, correctness: 1, helpfulness: 1, at: HOSTILE };
  writeFileSync(join(evalRun, 'ratings.jsonl'), `${JSON.stringify({ ...rating, rater: HOSTILE, comment: HOSTILE })}\n`);
  const proxyRun = writeHandMadeRun(join(root, 'proxy'), [good], {
    manifest: { kind: 'proxy', from: HOSTILE, student: HOSTILE, dataset: HOSTILE, file: undefined },
    summary,
  });
  const importRun = writeHandMadeRun(join(root, 'import'), [good], {
    manifest: { dataset: HOSTILE, file: HOSTILE },
    summary,
  });
  return { evalRun, proxyRun, importRun };
}

/** A self-training folder whose summary is not what nxt writes (markup where numbers belong). */
export function writeHostileSelftrain(root: string): string {
  const dir = join(root, 'selftrain');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), '{}');
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ baseModel: HOSTILE, best: HOSTILE, iterations: HOSTILE }));
  return dir;
}

/** A task whose every string is markup (task files are user input too). */
export function hostileTask(): RepairTask {
  return {
    schemaVersion: 1,
    id: HOSTILE,
    dataset: HOSTILE,
    description: HOSTILE,
    entryPoint: HOSTILE,
    promptTests: [HOSTILE],
    tests: [HOSTILE],
    plusTests: null,
    reference: HOSTILE,
    split: null,
    provenance: { file: HOSTILE, sha256: HOSTILE, line: 1, upstreamId: HOSTILE },
    prompt: null,
    buggyProgram: HOSTILE,
    bugLabel: { kind: 'model', value: HOSTILE },
    failingTest: 0,
  };
}
