import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ResultRecord, summarize } from '../../src/eval/index.js';
import type { SelftrainSummary } from '../../src/runs/index.js';

/** A judged result of `taskId` (sample `index`), passing or not: the least a results.jsonl line holds. */
export function resultRecord(taskId: string, index: number, pass: boolean): ResultRecord {
  return {
    schemaVersion: 1,
    taskId,
    mode: 'sample',
    index,
    outcome: 'judged',
    rationale: null,
    program: 'def f():\n    return 1\n',
    base: null,
    plus: null,
    pass,
    basePass: pass,
  };
}

/**
 * A run folder written by hand, as one copied or downloaded could be: an import manifest (with
 * `manifest` merged in), results.jsonl holding `results` then `tail` as written, and its summary.
 */
export function writeHandMadeRun(
  dir: string,
  results: readonly ResultRecord[],
  options: { manifest?: Record<string, unknown>; tail?: string; summary?: Record<string, unknown> } = {},
): string {
  mkdirSync(dir, { recursive: true });
  const manifest = {
    schemaVersion: 1,
    createdAt: '2026-12-01T00:00:00.000Z',
    nxtVersion: 'test',
    python: '3.11.2',
    sandbox: [],
    kind: 'import',
    dataset: 'humanevalfix',
    file: 'theirs.jsonl',
    fileSha256: 'ab',
    ...options.manifest,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const lines = results.map((result) => `${JSON.stringify(result)}\n`).join('');
  writeFileSync(join(dir, 'results.jsonl'), `${lines}${options.tail ?? ''}`);
  const summary = summarize({
    dataset: 'humanevalfix',
    model: 'imported',
    samplesPerTask: 2,
    k: [1, 2],
    results,
    labels: new Map(),
    hasPlus: false,
    tokens: { prompt: 0, completion: 0 },
    costUsd: null,
    expectedResults: results.length,
  });
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ ...summary, ...options.summary }));
  return dir;
}

/** Every file of a folder with its bytes, to check that a command left the folder as it was. */
export function folderBytes(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() || entry.isSymbolicLink())
      .map((entry) => [entry.name, entry.isFile() ? readFileSync(join(dir, entry.name), 'base64') : 'link']),
  );
}

/** What a report shows of a self-training run: the base model's dev score and each iteration's. */
interface ShownSelftrain {
  baseModel: string;
  baseDev: Record<string, number> | null;
  best: number | null;
  iterations: {
    iteration: number;
    accepted: number;
    trainFixRate: number | null;
    dev: Record<string, number> | null;
  }[];
}

/** A self-training summary.json as nxt writes it, from what a report shows (the other fields filled in). */
export function selftrainSummary(shown: ShownSelftrain): SelftrainSummary {
  return {
    schemaVersion: 1,
    hardSet: 2,
    trainTasks: 4,
    bestModel: shown.best === null ? null : `trained-${shown.best}`,
    ...shown,
    iterations: shown.iterations.map((iteration) => ({
      model: iteration.iteration === 0 ? shown.baseModel : `trained-${iteration.iteration - 1}`,
      samplesDrawn: 8,
      acceptedTasks: Math.min(2, iteration.accepted),
      acceptedPerTask: iteration.accepted / Math.max(1, Math.min(2, iteration.accepted)),
      trainedModel: `trained-${iteration.iteration}`,
      tokens: { prompt: 100, completion: 50 },
      costUsd: null,
      ...iteration,
    })),
  };
}
