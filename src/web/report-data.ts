import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describeRun, type RunDescription, RunManifestSchema, type Summary, SummarySchema } from '../eval/index.js';
import { NxtError } from '../shared/index.js';

export interface EvalRun {
  kind: 'eval';
  name: string;
  /** What kind of run and with what settings (eval, proxy or import). */
  run: RunDescription;
  summary: Summary;
}

export interface SelftrainRun {
  kind: 'selftrain';
  name: string;
  summary: {
    baseModel: string;
    baseDev: Record<string, number> | null;
    best: number | null;
    iterations: {
      iteration: number;
      accepted: number;
      dev: Record<string, number> | null;
      trainFixRate: number | null;
    }[];
  };
}

export type Run = EvalRun | SelftrainRun;

/** Reads a run folder for the report: an evaluation (eval, proxy, import) or a self-training run. */
export async function loadRun(dir: string): Promise<Run> {
  const read = async (file: string) => JSON.parse(await readFile(join(dir, file), 'utf8'));
  if (existsSync(join(dir, 'manifest.json'))) {
    if (!existsSync(join(dir, 'summary.json')))
      throw new NxtError('usage', `${dir} has no summary.json yet: finish or resume the run first`);
    return {
      kind: 'eval',
      name: basename(dir),
      run: describeRun(RunManifestSchema.parse(await read('manifest.json'))),
      summary: SummarySchema.parse(await read('summary.json')),
    };
  }
  if (existsSync(join(dir, 'state.json')) && existsSync(join(dir, 'summary.json')))
    return { kind: 'selftrain', name: basename(dir), summary: await read('summary.json') };
  throw new NxtError('usage', `${dir} is not an nxt run folder (no manifest.json or self-training summary)`);
}
