import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NxtError, UsageError } from '../shared/index.js';
import type { Problem } from '../tasks/index.js';
import { writeSummary } from './engine.js';
import { ResultRecordSchema, readRecords, type Shard, writeJsonAtomic } from './records.js';
import { readManifest } from './run-folder.js';
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

/**
 * Merges the shard run folders `dirs` of one run into `out`: checks they belong together (the same
 * manifest but for the shard, every shard of N present once, no task in two), concatenates their
 * records and writes the summary an unsharded run would have. `loadTasks` gives the run's tasks
 * from its manifest's dataset.
 */
export async function mergeShards(
  out: string,
  dirs: readonly string[],
  loadTasks: (dataset: string) => Promise<readonly Problem[]>,
): Promise<Summary> {
  if (dirs.length < 2) throw new UsageError('give the shard run folders to merge: nxt merge OUT DIR DIR...');
  const manifests = await Promise.all(dirs.map((dir) => readManifest(dir)));
  const shards = manifests.map((manifest, position) => {
    const shard = 'config' in manifest ? manifest.config.shard : manifest.shard;
    if (!shard) throw new NxtError('run', `${dirs[position]} is not a shard (it was run without --shard)`);
    return shard;
  });
  const first = manifests[0] as (typeof manifests)[number];
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
  const order = [...dirs.keys()].sort((a, b) => (shards[a] as Shard).index - (shards[b] as Shard).index);
  const summaries: Summary[] = [];
  const taskIds: string[] = [];
  let expected = 0;
  for (const position of order) {
    const dir = dirs[position] as string;
    const summaryPath = join(dir, 'summary.json');
    if (!existsSync(summaryPath)) throw new NxtError('run', `${dir} has no summary.json: finish that shard first`);
    const summary = SummarySchema.parse(JSON.parse(await readFile(summaryPath, 'utf8')));
    summaries.push(summary);
    const ids = (manifests[position] as { taskIds?: string[] }).taskIds ?? [];
    const overlap = ids.filter((id) => taskIds.includes(id));
    if (overlap.length > 0)
      throw new NxtError('run', `${dir} has tasks another shard has: ${overlap.slice(0, 5).join(', ')}`);
    taskIds.push(...ids);
    const results = await readRecords(join(dir, 'results.jsonl'), ResultRecordSchema);
    expected += results.length + (summary.missing ?? 0);
  }
  await mkdir(out, { recursive: true });
  if (existsSync(join(out, 'manifest.json')))
    throw new UsageError(`${out} already holds a run; merge into a new folder`);
  for (const file of ['prompts.jsonl', 'samples.jsonl', 'results.jsonl', 'ratings.jsonl']) {
    const parts = await Promise.all(
      order.map(async (position) => {
        const path = join(dirs[position] as string, file);
        return existsSync(path) ? readFile(path, 'utf8') : '';
      }),
    );
    if (parts.some((part) => part.length > 0)) await writeFile(join(out, file), parts.join(''));
  }
  const merged: Record<string, unknown> = { ...first, taskIds, mergedFrom: order.map((position) => dirs[position]) };
  delete merged['shard'];
  if ('config' in first) {
    const { shard: _shard, ...config } = first.config;
    merged['config'] = config;
    merged['dataset'] = { ...first.dataset, tasks: taskIds.length };
  }
  await writeJsonAtomic(join(out, 'manifest.json'), merged);
  const dataset = 'config' in first ? first.config.dataset : first.dataset;
  const wanted = new Set(taskIds);
  const tasks = (await loadTasks(dataset)).filter((task) => wanted.has(task.id));
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
