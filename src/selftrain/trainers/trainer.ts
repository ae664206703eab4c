import type { z } from 'zod';
import type { LlmClient } from '../../llm/index.js';
import type { IterationState } from '../../runs/index.js';

/**
 * zod, handed to a trainer's `schema`: trainer files never import it, so `nxt --help` (which reads the
 * trainer table for `--trainer`) does not load it.
 */
export type Zod = typeof z;

/** The self-training flags a trainer reads (the rest of its settings come from the plan file). */
export interface TrainerFlags {
  trainCommand?: string | undefined;
  trainedModelTemplate?: string | undefined;
}

/** What a training step may use of the self-training run's dependencies. */
export interface TrainerDeps {
  /** A client for a model spec (sharing the LLM cache). */
  client(spec: string): LlmClient;
  /** The spec of a model named `model` served where `baseSpec` is (for a fine-tuned model id). */
  derive(baseSpec: string, model: string): string;
  log(message: string): void;
  /** Runs a trainer command; resolves with its exit code. Default: /bin/sh -c, output to `logFile`. */
  runCommand?: (command: string, cwd: string, logFile: string) => Promise<number>;
  /** Poll interval for the OpenAI trainer (tests shorten it). */
  pollIntervalMs?: number;
  /** The model a manual trainer produced for the iteration that is waiting for one. */
  trainedModel?: string;
  /** The command that continues this run, as the user would type it (the manual trainer prints it). */
  resumeCommand?: string;
}

/** One iteration's training, as the loop hands it to its trainer. */
export interface TrainStep {
  /** The iteration: a trainer sets `phase` to `training` and records its `job` before waiting on it. */
  current: IterationState;
  /** The iteration's folder. */
  iterDir: string;
  /** The training set in OpenAI chat format (`sft.openai.jsonl`; `sft.hf.jsonl` lies beside it). */
  trainFile: string;
  /** The model every iteration fine-tunes. */
  baseModel: string;
  deps: TrainerDeps;
  /** Saves the run's state: called once a job is recorded, so a killed run never starts it twice. */
  save(): Promise<void>;
}

/** A trained model's spec, or what the user must do before the run can go on. */
export type Trained = { status: 'trained'; model: string } | { status: 'waiting'; message: string };

/**
 * One way to fine-tune between iterations: its settings' schema (the plan's `trainer` object, told apart
 * by `kind`), those settings as the flags give them, and the training step. Adding a trainer is a file
 * in this folder exporting one of these and an entry in `TRAINERS` (index.ts).
 */
export interface TrainerEntry<Schema extends z.ZodObject> {
  /** What it does, for `--help`. */
  readonly description: string;
  /** The settings' schema, built from the zod it is given (see `Zod`). */
  schema(zod: Zod): Schema;
  /** Its settings as `--trainer NAME` and the flags give them (the schema checks them). */
  fromFlags(flags: TrainerFlags): { kind: string } & Record<string, unknown>;
  train(settings: z.output<Schema>, step: TrainStep): Promise<Trained>;
}
