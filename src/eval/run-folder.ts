import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isNxtError, NxtError } from '../shared/index.js';
import { checkSamePython, RUN_SCHEMA_VERSION, readRunFile, ShardFields, writeJsonAtomic } from './records.js';
import { ManifestSchema as EvalManifestSchema } from './run.js';

/**
 * The run folder contract, shared by every kind of run. A run folder holds `manifest.json` (what
 * made it: `kind` and its settings), `results.jsonl` (one result per sample, keyed by task, mode and
 * index: the resume key), for eval runs `samples.jsonl` (the model's answers), and `summary.json`
 * (recomputed from the results, written atomically). Self-training folders hold `state.json` instead.
 */

const Common = {
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  createdAt: z.string(),
  nxtVersion: z.string(),
  python: z.string(),
  /** The interpreter's path (missing in older runs). */
  pythonExecutable: z.string().optional(),
  sandbox: z.array(z.string()),
  ...ShardFields,
};

/** A proxy run: a student model fixed the tasks from the rationales of run `from`. */
export const ProxyManifestSchema = z.object({
  ...Common,
  kind: z.literal('proxy'),
  from: z.string(),
  dataset: z.string(),
  student: z.string(),
  endpoint: z.object({ baseUrls: z.array(z.string()), cacheKey: z.string().optional() }).optional(),
});

/** An import: programs produced elsewhere (EvalPlus-style JSONL), judged like a run's. */
export const ImportManifestSchema = z.object({
  ...Common,
  kind: z.literal('import'),
  dataset: z.string(),
  file: z.string(),
  fileSha256: z.string(),
});

export const RunManifestSchema = z.discriminatedUnion('kind', [
  EvalManifestSchema,
  ProxyManifestSchema,
  ImportManifestSchema,
]);
export type RunManifest = z.infer<typeof RunManifestSchema>;

/** What lists and reports show of any run. */
export interface RunDescription {
  kind: RunManifest['kind'];
  dataset: string;
  model: string;
  trace: string;
  shots: string;
  samples: number | null;
  strategy: string;
}

export function describeRun(manifest: RunManifest): RunDescription {
  switch (manifest.kind) {
    case 'eval':
      return {
        kind: 'eval',
        dataset: manifest.config.dataset,
        model: manifest.config.model,
        trace: manifest.config.trace,
        shots: String(manifest.config.shots),
        samples: manifest.config.samples,
        strategy:
          manifest.config.strategy === 'nxt' ? 'nxt' : `${manifest.config.strategy} (${manifest.config.turns} turns)`,
      };
    case 'proxy':
      return {
        kind: 'proxy',
        dataset: manifest.dataset,
        model: manifest.student,
        trace: '-',
        shots: '-',
        samples: null,
        strategy: `proxy of ${manifest.from}`,
      };
    case 'import':
      return {
        kind: 'import',
        dataset: manifest.dataset,
        model: `imported: ${manifest.file}`,
        trace: '-',
        shots: '-',
        samples: null,
        strategy: 'import',
      };
  }
}

/** Whether `dir` is a run folder of any kind (the one answer view, report and compare use). */
export function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, 'manifest.json')) || existsSync(join(dir, 'state.json'));
}

/** The manifest of run folder `dir`; a `run` error saying what is wrong otherwise. */
export async function readManifest(dir: string): Promise<RunManifest> {
  // A link is refused (readRunFile says so), never followed out of the folder.
  const text = await readRunFile(join(dir, 'manifest.json')).catch((error: unknown) => {
    if (isNxtError(error)) throw error;
    return null;
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch {
    throw new NxtError('run', `${dir} is not an nxt run folder (no readable manifest.json)`);
  }
  const parsed = RunManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new NxtError('run', `${dir}/manifest.json is not an nxt run manifest:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * Creates run folder `dir` with `manifest`, or checks that the one there is the same run (`same`
 * compares what decides the results). A different run there is an error naming the folder.
 */
export async function openRunFolder<T extends RunManifest>(
  dir: string,
  manifest: T,
  same: (existing: RunManifest) => boolean,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (existsSync(join(dir, 'manifest.json'))) {
    const existing = await readManifest(dir);
    if (existing.kind !== manifest.kind || !same(existing)) {
      throw new NxtError(
        'run',
        `${dir} holds another run (${existing.kind}); resume it as it was made or choose another --out`,
      );
    }
    checkSamePython(dir, existing, manifest);
    return;
  }
  await writeJsonAtomic(join(dir, 'manifest.json'), manifest);
}

/** sha256 of a file, for manifests that name their input. */
export async function fileSha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}
