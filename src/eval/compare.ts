import { describeRun, type RunDescription, readManifest, readResults } from '../runs/index.js';
import { pairedBootstrap } from './stats.js';
import { countsByTask } from './summary.js';

export interface Comparison {
  /** What each run is (kind, dataset, model...), from its manifest. */
  a: RunDescription;
  b: RunDescription;
  tasks: number;
  /** Mean per-task fix rate (c / n) of each run over the shared tasks. */
  rateA: number;
  rateB: number;
  difference: number;
  interval: [number, number];
  pValue: number;
  /** Tasks that A fixed at least once and B never, and the reverse. */
  onlyA: string[];
  onlyB: string[];
  /** Tasks present in one run only. */
  unmatched: string[];
}

/** Per-task paired comparison of two runs' fix rates, with a paired bootstrap, and the tasks that flipped. */
export async function compareRuns(dirA: string, dirB: string): Promise<Comparison> {
  // Two run folders of any kind (eval, proxy, import): a path that is not one is a mistake, not 0%.
  const [manifestA, manifestB] = [await readManifest(dirA), await readManifest(dirB)];
  const a = countsByTask(await readResults(dirA));
  const b = countsByTask(await readResults(dirB));
  const shared = [...a.keys()].filter((id) => b.has(id)).sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
  const unmatched = [...a.keys(), ...b.keys()].filter((id) => !(a.has(id) && b.has(id)));
  const rate = (entry: { n: number; c: number } | undefined) => (entry && entry.n > 0 ? entry.c / entry.n : 0);
  const ratesA = shared.map((id) => rate(a.get(id)));
  const ratesB = shared.map((id) => rate(b.get(id)));
  const paired = pairedBootstrap(ratesA, ratesB);
  return {
    a: describeRun(manifestA),
    b: describeRun(manifestB),
    tasks: shared.length,
    rateA: ratesA.reduce((sum, value) => sum + value, 0) / Math.max(1, shared.length),
    rateB: ratesB.reduce((sum, value) => sum + value, 0) / Math.max(1, shared.length),
    difference: paired.difference,
    interval: paired.interval,
    pValue: paired.pValue,
    onlyA: shared.filter((id) => (a.get(id)?.c ?? 0) > 0 && (b.get(id)?.c ?? 0) === 0),
    onlyB: shared.filter((id) => (b.get(id)?.c ?? 0) > 0 && (a.get(id)?.c ?? 0) === 0),
    unmatched: [...new Set(unmatched)],
  };
}
