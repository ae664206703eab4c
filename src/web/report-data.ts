import { basename } from 'node:path';
import {
  describeRun,
  devRunDir,
  isRunFolder,
  RUN_FILES,
  type RunDescription,
  readRunManifest,
  readRunSummary,
  readSelftrainSummary,
  type SelftrainSummary,
  type Summary,
} from '../runs/index.js';
import { NxtError } from '../shared/index.js';

export interface EvalRun {
  kind: 'eval';
  name: string;
  /** What kind of run and with what settings (eval, proxy or import). */
  run: RunDescription;
  summary: Summary;
}

/** One row of a self-training table, and one point of its chart: the base model, then each iteration. */
export interface SelftrainRow {
  /** 'base', or the iteration's number: the table and the chart's axis name it alike. */
  iteration: string;
  accepted: number | null;
  trainFixRate: number | null;
  /** Dev pass@1 of the base model, or of the model trained in this iteration; null until evaluated. */
  devPass1: number | null;
  /** Its 95% interval, from the dev evaluation's own run folder when it is there. */
  devInterval: [number, number] | null;
}

export interface SelftrainRun {
  kind: 'selftrain';
  name: string;
  summary: SelftrainSummary;
  rows: SelftrainRow[];
}

export type Run = EvalRun | SelftrainRun;

/**
 * Reads a run folder for the report: an evaluation (eval, proxy, import) or a self-training run. Its
 * files are checked against their schemas; a link, or a file of the wrong shape, is an error naming it.
 */
export async function loadRun(dir: string): Promise<Run> {
  const manifest = await readRunManifest(dir);
  if (manifest) {
    const summary = await readRunSummary(dir);
    if (!summary) throw new NxtError('usage', `${dir} has no ${RUN_FILES.summary} yet: finish or resume the run first`);
    return { kind: 'eval', name: basename(dir), run: describeRun(manifest), summary };
  }
  // Without a manifest, a run folder is a self-training one.
  if (isRunFolder(dir)) {
    const summary = await readSelftrainSummary(dir);
    if (summary) return { kind: 'selftrain', name: basename(dir), summary, rows: await selftrainRows(dir, summary) };
  }
  throw new NxtError('usage', `${dir} is not an nxt run folder (no ${RUN_FILES.manifest} or self-training summary)`);
}

async function devInterval(runDir: string): Promise<[number, number] | null> {
  const summary = await readRunSummary(runDir);
  return summary?.['pass@k'].intervals['pass@1'] ?? null;
}

async function selftrainRows(dir: string, summary: SelftrainSummary): Promise<SelftrainRow[]> {
  const base: SelftrainRow = {
    iteration: 'base',
    accepted: null,
    trainFixRate: null,
    devPass1: summary.baseDev?.['pass@1'] ?? null,
    devInterval: await devInterval(devRunDir(dir, 'base')),
  };
  const iterations = summary.iterations.map(
    async (iteration): Promise<SelftrainRow> => ({
      iteration: String(iteration.iteration),
      accepted: iteration.accepted,
      trainFixRate: iteration.trainFixRate,
      devPass1: iteration.dev?.['pass@1'] ?? null,
      devInterval: await devInterval(devRunDir(dir, iteration.iteration)),
    }),
  );
  return [base, ...(await Promise.all(iterations))];
}
