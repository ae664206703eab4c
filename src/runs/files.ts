import { join } from 'node:path';

/**
 * The file names of a run folder, spelled here and nowhere else. Plain data without heavy imports,
 * so the CLI's help text reads it directly.
 */
export const RUN_FILES = {
  /** What made the run: its kind and settings (written atomically). */
  manifest: 'manifest.json',
  /** Each task's first prompt as sent, once per task and mode (eval runs). */
  prompts: 'prompts.jsonl',
  /** The model's answers, one per sample and turn (eval and proxy runs). */
  samples: 'samples.jsonl',
  /** One result per sample: the resume key is (task, mode, index). */
  results: 'results.jsonl',
  /** Raters' scores of rationales, appended by the viewer. */
  ratings: 'ratings.jsonl',
  /** Recomputed from the results (written atomically). */
  summary: 'summary.json',
  /** A self-training run's progress (written atomically after every step); such a folder has no manifest. */
  state: 'state.json',
} as const;

export type RunFileName = keyof typeof RUN_FILES;

/** Where `nxt report` writes its HTML unless told otherwise (outside any run folder; its Markdown goes next to it). */
export const REPORT_FILE = 'report.html';

/** The path of run folder `dir`'s file `name`. */
export function runFile(dir: string, name: RunFileName): string {
  return join(dir, RUN_FILES[name]);
}

/**
 * The layout of a self-training folder: `state.json` and `summary.json` at its top, per iteration
 * `iter-I/` with the training samples' run folder (`train/`), the training sets, the trainer's output
 * and log, and the dev evaluation's run folder (`dev/`); the base model's dev run in `base-dev/`.
 */
export function selftrainLayout(dir: string) {
  return {
    baseDev: join(dir, 'base-dev'),
    iteration(iteration: number) {
      const at = join(dir, `iter-${iteration}`);
      return {
        dir: at,
        train: join(at, 'train'),
        dev: join(at, 'dev'),
        /** The training set in OpenAI's chat format, and with task ids for TRL and similar. */
        sftOpenai: join(at, 'sft.openai.jsonl'),
        sftHf: join(at, 'sft.hf.jsonl'),
        /** A command trainer's output folder and log. */
        model: join(at, 'model'),
        trainLog: join(at, 'train.log'),
      };
    },
  };
}

/**
 * The run folder of a dev evaluation inside a self-training run: the base model's, or the model trained
 * in iteration `iteration` (its summary.json holds the dev pass@k with intervals).
 */
export function devRunDir(dir: string, iteration: number | 'base'): string {
  const layout = selftrainLayout(dir);
  return iteration === 'base' ? layout.baseDev : layout.iteration(iteration).dev;
}
