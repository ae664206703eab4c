import { z } from 'zod';
import type { Sandbox } from '../sandbox/index.js';
import { NxtError } from '../shared/index.js';
import { RUN_SCHEMA_VERSION, ShardFields, ShardSchema } from './records.js';

/**
 * What decides what an eval run produces, as its manifest records it. The trace format and the
 * strategy are recorded by name: eval checks them against its tables (`EvalConfigSchema` there), and
 * a folder made with another name than a resumed run's is another run.
 */
export const RunConfigSchema = z.strictObject({
  dataset: z.string(),
  model: z.string(),
  api: z.enum(['chat', 'completions']),
  samples: z.number().int().positive(),
  temperature: z.number().min(0).max(2),
  topP: z.number().positive().max(1).optional(),
  maxTokens: z.number().int().positive().default(1024),
  greedy: z.boolean().default(false),
  /** The trace format's name (trace/'s table). */
  trace: z.string(),
  shots: z.union([z.literal(0), z.literal(3)]),
  /** Rendered traces are shrunk to fit this many tokens (cl100k_base). */
  traceBudgetTokens: z.number().int().positive().default(2048),
  seed: z.number().int().optional(),
  /** Per-test limit when a task has no reference to calibrate from (otherwise max(floor, 4 × reference)). */
  testTimeoutMs: z.number().int().positive().default(5000),
  /** Floor of the calibrated per-test limit, as EvalPlus does. */
  timeoutFloorMs: z.number().int().positive().default(1000),
  plusTimeoutMs: z.number().int().positive().default(60_000),
  /** EvalPlus tests: each input's limit is max(this, plusTimeLimitFactor x the reference's time on it). */
  plusMinTimeLimitMs: z.number().int().positive().default(4000),
  plusTimeLimitFactor: z.number().positive().default(4),
  /** How to repair, by name (eval's strategies): `nxt` answers once; multi-turn strategies answer feedback. */
  strategy: z.string().default('nxt'),
  /** Most answers per sample (the first one included). */
  turns: z.number().int().min(1).max(10).default(1),
  /** This run is one shard of a run split across machines; `nxt merge` joins the shards. */
  shard: ShardSchema.optional(),
});
export type RunConfig = z.output<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

/** An eval run: a model prompted with NExT (or another strategy) on a dataset. */
export const EvalManifestSchema = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  kind: z.literal('eval'),
  createdAt: z.string(),
  nxtVersion: z.string(),
  config: RunConfigSchema,
  dataset: z.object({ name: z.string(), tasks: z.number(), files: z.record(z.string(), z.string()) }),
  prompt: z.object({ version: z.string(), hash: z.string(), form: z.enum(['chat', 'completion']) }),
  python: z.string(),
  /** The interpreter's path (missing in older runs). */
  pythonExecutable: z.string().optional(),
  sandbox: z.array(z.string()),
  /** Where the model was served: base URLs and the cache identity (missing in older runs). */
  endpoint: z.object({ baseUrls: z.array(z.string()), cacheKey: z.string().optional() }).optional(),
  taskIds: ShardFields.taskIds,
  mergedFrom: ShardFields.mergedFrom,
});
export type EvalManifest = z.infer<typeof EvalManifestSchema>;

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

/** The manifest of any run folder but a self-training one, by its `kind`. */
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

/** What a run is, for lists, reports and comparisons. */
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

/** The fields every run manifest opens with: when, by which nxt, judged under which Python and isolation. */
export function manifestBasics(sandbox: Pick<Sandbox, 'pythonVersion' | 'layers' | 'python'>, nxtVersion: string) {
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    nxtVersion,
    python: sandbox.pythonVersion,
    pythonExecutable: sandbox.python.executable,
    sandbox: sandbox.layers.filter((layer) => layer.active).map((layer) => layer.name),
  };
}

/**
 * Refuses to resume a run folder under another Python than the one that judged its first results: a
 * run's verdicts come from one interpreter. Folders written before the interpreter was recorded pass.
 */
export function checkSamePython(outDir: string, recorded: RecordedPython, current: RecordedPython): void {
  const version = (text: string) => text.split(' ')[0];
  if (version(recorded.python) === version(current.python)) return;
  const named = (python: RecordedPython) =>
    `Python ${version(python.python)}${python.pythonExecutable ? ` (${python.pythonExecutable})` : ''}`;
  throw new NxtError(
    'run',
    `${outDir} was judged with ${named(recorded)}, but this command would judge with ${named(current)}; ` +
      `resume it with --python ${recorded.pythonExecutable ?? 'PATH'} or choose another --out`,
  );
}

/** The interpreter fields of a run manifest. */
interface RecordedPython {
  python: string;
  pythonExecutable?: string | undefined;
}
