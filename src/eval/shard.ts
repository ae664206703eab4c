import { mergeShardFolders, type Shard, type Summary } from '../runs/index.js';
import type { Problem } from '../tasks/index.js';
import { writeSummary } from './engine.js';

/**
 * The tasks of one shard: every count-th task of the run's list, from position index. Deterministic
 * for a given list (the dataset's order after --limit), and balanced to within one task.
 */
export function shardTasks<Task>(tasks: readonly Task[], shard: Shard | undefined): Task[] {
  return shard ? tasks.filter((_, position) => position % shard.count === shard.index) : [...tasks];
}

/**
 * Merges the shard run folders `dirs` of one run into `out` (runs/ checks they belong together and
 * joins their records, reading the shards and never changing them) and writes the summary an
 * unsharded run would have. `loadTasks` gives the run's tasks from its manifest's dataset.
 */
export async function mergeShards(
  out: string,
  dirs: readonly string[],
  loadTasks: (dataset: string) => Promise<readonly Problem[]>,
): Promise<Summary> {
  const merged = await mergeShardFolders(out, dirs);
  const dataset = merged.manifest.kind === 'eval' ? merged.manifest.config.dataset : merged.manifest.dataset;
  const wanted = new Set(merged.taskIds);
  const tasks = (await loadTasks(dataset)).filter((task) => wanted.has(task.id));
  return writeMergedSummary(out, merged.summaries, tasks, merged.expectedResults);
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
