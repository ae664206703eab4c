import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { NxtError, parseJsonLines, UsageError } from '../shared/index.js';
import { RUN_FILES, type RunFileName, runFile } from './files.js';
import { readManifest, readRunSummary } from './folder.js';
import { readRunFile, writeJsonAtomic } from './io.js';
import type { RunManifest } from './manifest.js';
import { RatingRecordSchema } from './ratings.js';
import { PromptRecordSchema, ResultRecordSchema, SampleRecordSchema, type Shard } from './records.js';
import type { Summary } from './summary-schema.js';

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
  ['prompts', PromptRecordSchema],
  ['samples', SampleRecordSchema],
  ['results', ResultRecordSchema],
  ['ratings', RatingRecordSchema],
] as const;

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
  const texts = new Map<RunFileName, string>();
  let results = 0;
  const own = taskIds ? new Set(taskIds) : null;
  for (const [file, schema] of RECORD_FILES) {
    const path = runFile(dir, file);
    // One read: the records checked are the bytes copied.
    const text = (await readRunFile(path)) ?? '';
    const { records } = parseJsonLines(text, schema, { from: path, code: 'run', lastLine: 'torn' });
    if (file === 'results') results = records.length;
    for (const { record, line } of records) {
      if (own && !own.has(record.taskId))
        throw new NxtError('run', `${path}:${line}: task ${record.taskId} is not one of this shard's tasks`);
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
  if (existsSync(runFile(out, 'manifest'))) throw new UsageError(`${out} already holds a run; merge into a new folder`);
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new UsageError(`${out} is not empty: merge into a new folder`);
}

/** What `mergeShardFolders` made: the merged manifest, the shards' summaries, and the results an unsharded run would expect. */
export interface MergedShards {
  manifest: RunManifest;
  /** The shards' summaries, in shard order. */
  summaries: Summary[];
  /** Every task of the merged run: the shards' task lists joined. */
  taskIds: string[];
  /** Results the merged run should have: the shards' results and the samples they miss. */
  expectedResults: number;
}

/**
 * Merges the shard run folders `dirs` of one run into `out`: checks they belong together (the same
 * manifest but for the shard, every shard of N present once, no task in two, every record valid and
 * of its shard's tasks), concatenates their records and writes the merged manifest; its summary is
 * the caller's to compute from the merged records. The shards are read, never changed.
 */
export async function mergeShardFolders(out: string, dirs: readonly string[]): Promise<MergedShards> {
  if (dirs.length < 2) throw new UsageError('give the shard run folders to merge: nxt merge OUT DIR DIR...');
  checkOut(out, dirs);
  const manifests = await Promise.all(dirs.map((dir) => readManifest(dir)));
  const order = shardOrder(dirs, manifests);
  const summaries: Summary[] = [];
  const taskIds: string[] = [];
  const parts: Map<RunFileName, string>[] = [];
  let expectedResults = 0;
  for (const position of order) {
    const dir = dirs[position] as string;
    const summary = await readRunSummary(dir);
    if (!summary) throw new NxtError('run', `${dir} has no ${RUN_FILES.summary}: finish that shard first`);
    summaries.push(summary);
    const ids = manifests[position]?.taskIds;
    const overlap = (ids ?? []).filter((id) => taskIds.includes(id));
    if (overlap.length > 0)
      throw new NxtError('run', `${dir} has tasks another shard has: ${overlap.slice(0, 5).join(', ')}`);
    taskIds.push(...(ids ?? []));
    const { texts, results } = await readShardRecords(dir, ids);
    parts.push(texts);
    expectedResults += results + (summary.missing ?? 0);
  }
  await mkdir(out, { recursive: true });
  for (const [file] of RECORD_FILES) {
    const text = parts.map((texts) => texts.get(file) ?? '').join('');
    if (text.length > 0) await writeFile(runFile(out, file), text);
  }
  const manifest = mergedManifest(
    manifests[0] as RunManifest,
    taskIds,
    order.map((position) => dirs[position] as string),
  );
  await writeJsonAtomic(runFile(out, 'manifest'), manifest);
  return { manifest, summaries, taskIds, expectedResults };
}

/** The first shard's manifest as the merged run's: no shard, every task, the shards it came from. */
function mergedManifest(first: RunManifest, taskIds: string[], mergedFrom: string[]): RunManifest {
  if (first.kind === 'eval') {
    const { shard: _shard, ...config } = first.config;
    return { ...first, config, dataset: { ...first.dataset, tasks: taskIds.length }, taskIds, mergedFrom };
  }
  const { shard: _shard, ...rest } = first;
  return { ...rest, taskIds, mergedFrom };
}
