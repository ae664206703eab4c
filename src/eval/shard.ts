import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { NxtError, UsageError } from '../shared/index.js';
import type { Problem } from '../tasks/index.js';
import { writeSummary } from './engine.js';
import { RatingRecordSchema } from './rating-record.js';
import {
  PromptRecordSchema,
  ResultRecordSchema,
  readRecords,
  readRunFile,
  readRunJson,
  SampleRecordSchema,
  type Shard,
  writeJsonAtomic,
} from './records.js';
import { type RunManifest, readManifest } from './run-folder.js';
import { type Summary, SummarySchema } from './summary.js';

/**
 * The tasks of one shard: every count-th task of the run's list, from position index. Deterministic
 * for a given list (the dataset's order after --limit), and balanced to within one task.
 */
export function shardTasks<Task>(tasks: readonly Task[], shard: Shard | undefined): Task[] {
  return shard ? tasks.filter((_, position) => position % shard.count === shard.index) : [...tasks];
}

/** The manifest fields that must agree between the shards of one run (everything but the shard itself). */
function identity(manifest: Record<string, unknown>): string {
  // Where the interpreter lives may differ between machines; its version (`python`) may not.
  const { createdAt: _created, shard: _shard, taskIds: _ids, pythonExecutable: _path, ...rest } = manifest;
  // Shards sampled from replicas of one model (a common cacheKey) may name different servers.
  const endpoint = rest['endpoint'] as { cacheKey?: string } | undefined;
  if (endpoint?.cacheKey) rest['endpoint'] = { cacheKey: endpoint.cacheKey };
  const dataset = rest['dataset'];
  if (dataset && typeof dataset === 'object') {
    // An eval manifest's dataset counts the shard's tasks.
    const { tasks: _tasks, ...others } = dataset as Record<string, unknown>;
    rest['dataset'] = others;
  }
  const config = rest['config'];
  if (config && typeof config === 'object') {
    const { shard: _configShard, ...others } = config as Record<string, unknown>;
    rest['config'] = others;
  }
  return JSON.stringify(rest);
}

/** The fields in which two manifests differ, named for the error message. */
function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const flat = (value: Record<string, unknown>) => JSON.parse(identity(value)) as Record<string, unknown>;
  const [x, y] = [flat(a), flat(b)];
  const names = new Set([...Object.keys(x), ...Object.keys(y)]);
  const out: string[] = [];
  for (const name of names) {
    const [left, right] = [x[name], y[name]];
    if (JSON.stringify(left) === JSON.stringify(right)) continue;
    if (left && right && typeof left === 'object' && typeof right === 'object' && !Array.isArray(left)) {
      for (const key of new Set([...Object.keys(left), ...Object.keys(right as object)])) {
        const l = (left as Record<string, unknown>)[key];
        const r = (right as Record<string, unknown>)[key];
        if (JSON.stringify(l) !== JSON.stringify(r)) out.push(`${name}.${key}`);
      }
    } else out.push(name);
  }
  return out;
}

/** The record files a merge joins, each checked against its schema before a byte of it is copied. */
const RECORD_FILES = [
  ['prompts.jsonl', PromptRecordSchema],
  ['samples.jsonl', SampleRecordSchema],
  ['results.jsonl', ResultRecordSchema],
  ['ratings.jsonl', RatingRecordSchema],
] as const;

const TaskOf = z.object({ taskId: z.string() });

/** Which shard each folder is, refusing folders that are not shards of one run or an incomplete set; in shard order. */
function shardOrder(dirs: readonly string[], manifests: readonly RunManifest[]): number[] {
  const shards = manifests.map((manifest, position) => {
    const shard = manifest.kind === 'eval' ? manifest.config.shard : manifest.shard;
    if (!shard) throw new NxtError('run', `${dirs[position]} is not a shard (it was run without --shard)`);
    return shard;
  });
  const first = manifests[0] as RunManifest;
  for (const [position, manifest] of manifests.entries()) {
    const differ = differences(first as Record<string, unknown>, manifest as Record<string, unknown>);
    if (differ.length > 0) {
      const hint = differ.includes('endpoint.baseUrls')
        ? ' (shards served by different replicas of one model: give the model a common "cacheKey" in nxt.config.json)'
        : '';
      throw new NxtError(
        'run',
        `${dirs[position]} is not a shard of the same run as ${dirs[0]}: ${differ.join(', ')} differ${hint}`,
      );
    }
  }
  const count = (shards[0] as Shard).count;
  const seen = new Map<number, string>();
  for (const [position, shard] of shards.entries()) {
    if (shard.count !== count) {
      throw new NxtError('run', `${dirs[position]} is shard ${shard.index}/${shard.count}, the others are of ${count}`);
    }
    const earlier = seen.get(shard.index);
    if (earlier)
      throw new NxtError('run', `${earlier} and ${dirs[position]} are the same shard (${shard.index}/${count})`);
    seen.set(shard.index, dirs[position] as string);
  }
  const absent = Array.from({ length: count }, (_, index) => index).filter((index) => !seen.has(index));
  if (absent.length > 0) {
    throw new NxtError(
      'run',
      `shards ${absent.map((index) => `${index}/${count}`).join(', ')} are missing: a merge needs all ${count}`,
    );
  }
  return [...dirs.keys()].sort((a, b) => (shards[a] as Shard).index - (shards[b] as Shard).index);
}

/**
 * One shard's record files as text, each line checked against its file's schema (a torn last line,
 * a record of the wrong shape or a link is refused, naming the file) and, when the shard lists its
 * tasks, belonging to one of them. Each text ends with a newline, so joined texts never join lines.
 */
async function readShardRecords(dir: string, taskIds: readonly string[] | undefined) {
  const texts = new Map<string, string>();
  let results = 0;
  const own = taskIds ? new Set(taskIds) : null;
  for (const [file, schema] of RECORD_FILES) {
    const path = join(dir, file);
    const records = await readRecords(path, schema);
    if (file === 'results.jsonl') results = records.length;
    const text = (await readRunFile(path)) ?? '';
    for (const [index, line] of text.split('\n').entries()) {
      if (line.trim() === '' || !own) continue;
      const { taskId } = TaskOf.parse(JSON.parse(line));
      if (!own.has(taskId))
        throw new NxtError('run', `${path}:${index + 1}: task ${taskId} is not one of this shard's tasks`);
    }
    texts.set(file, text === '' || text.endsWith('\n') ? text : `${text}\n`);
  }
  return { texts, results };
}

/** The real path of `path`, or of its nearest existing parent joined with the rest (a folder yet to be made). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}

/**
 * A merge writes a new folder of its own: never into a shard, even through a link (the merge would
 * change its input), and never over files already there (it would write through a link among them).
 */
function checkOut(out: string, dirs: readonly string[]): void {
  for (const dir of dirs) {
    const inside = relative(realPath(dir), realPath(out));
    if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside)))
      throw new UsageError(`${out} is inside shard ${dir}: merge into a folder of its own`);
  }
  if (existsSync(join(out, 'manifest.json')))
    throw new UsageError(`${out} already holds a run; merge into a new folder`);
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new UsageError(`${out} is not empty: merge into a new folder`);
}

/**
 * Merges the shard run folders `dirs` of one run into `out`: checks they belong together (the same
 * manifest but for the shard, every shard of N present once, no task in two, every record valid and
 * of its shard's tasks), concatenates their records and writes the summary an unsharded run would
 * have. The shards are read, never changed. `loadTasks` gives the run's tasks from its manifest's dataset.
 */
export async function mergeShards(
  out: string,
  dirs: readonly string[],
  loadTasks: (dataset: string) => Promise<readonly Problem[]>,
): Promise<Summary> {
  if (dirs.length < 2) throw new UsageError('give the shard run folders to merge: nxt merge OUT DIR DIR...');
  checkOut(out, dirs);
  const manifests = await Promise.all(dirs.map((dir) => readManifest(dir)));
  const order = shardOrder(dirs, manifests);
  const summaries: Summary[] = [];
  const taskIds: string[] = [];
  const parts: Map<string, string>[] = [];
  let expected = 0;
  for (const position of order) {
    const dir = dirs[position] as string;
    const summary = await readRunJson(join(dir, 'summary.json'), SummarySchema);
    if (!summary) throw new NxtError('run', `${dir} has no summary.json: finish that shard first`);
    summaries.push(summary);
    const ids = manifests[position]?.taskIds;
    const overlap = (ids ?? []).filter((id) => taskIds.includes(id));
    if (overlap.length > 0)
      throw new NxtError('run', `${dir} has tasks another shard has: ${overlap.slice(0, 5).join(', ')}`);
    taskIds.push(...(ids ?? []));
    const { texts, results } = await readShardRecords(dir, ids);
    parts.push(texts);
    expected += results + (summary.missing ?? 0);
  }
  await mkdir(out, { recursive: true });
  for (const [file] of RECORD_FILES) {
    const text = parts.map((texts) => texts.get(file) ?? '').join('');
    if (text.length > 0) await writeFile(join(out, file), text);
  }
  const first = manifests[0] as RunManifest;
  const merged: Record<string, unknown> = { ...first, taskIds, mergedFrom: order.map((position) => dirs[position]) };
  delete merged['shard'];
  if (first.kind === 'eval') {
    const { shard: _shard, ...config } = first.config;
    merged['config'] = config;
    merged['dataset'] = { ...first.dataset, tasks: taskIds.length };
  }
  await writeJsonAtomic(join(out, 'manifest.json'), merged);
  const dataset = first.kind === 'eval' ? first.config.dataset : first.dataset;
  const wanted = new Set(taskIds);
  const tasks = (await loadTasks(dataset)).filter((task) => wanted.has(task.id));
  return writeMergedSummary(out, summaries, tasks, expected);
}

/** The merged run's summary, computed from its records as an unsharded run's would be. */
function writeMergedSummary(out: string, summaries: Summary[], tasks: readonly Problem[], expected: number) {
  const one = summaries[0] as Summary;
  const ks = [...Object.keys(one['pass@k'].values), ...Object.keys(one['pass@k'].omitted ?? {})]
    .map((key) => Number(key.slice(5)))
    .sort((a, b) => a - b);
  const costs = summaries.map((summary) => summary.costUsd);
  return writeSummary(
    out,
    {
      dataset: one.dataset,
      model: one.model,
      samples: Math.max(...summaries.map((summary) => summary.samplesPerTask)),
      k: ks,
    },
    tasks,
    costs.every((cost) => cost === null) ? null : costs.reduce<number>((sum, cost) => sum + (cost ?? 0), 0),
    { expectedResults: expected },
  );
}
