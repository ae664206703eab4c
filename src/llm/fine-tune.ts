import type OpenAI from 'openai';
import { toFile } from 'openai';
import { NxtError } from '../shared/index.js';

export interface FineTuneJobRequest {
  model: string;
  trainingFileId: string;
  validationFileId?: string;
  suffix?: string;
  seed?: number;
  hyperparameters?: {
    n_epochs?: number | 'auto';
    batch_size?: number | 'auto';
    learning_rate_multiplier?: number | 'auto';
  };
}

export interface FineTuneEvent {
  createdAt: number;
  level: string;
  message: string;
}

/** The OpenAI fine-tuning API: upload, create, wait with events, cancel. */
export class FineTuner {
  readonly #sdk: OpenAI;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #pollIntervalMs: number;

  constructor(sdk: OpenAI, options: { pollIntervalMs?: number; sleep?: (ms: number) => Promise<void> } = {}) {
    this.#sdk = sdk;
    this.#pollIntervalMs = options.pollIntervalMs ?? 30_000;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Uploads a JSONL training (or validation) file; returns its file id. */
  async uploadFile(content: string | Buffer, filename = 'train.jsonl'): Promise<string> {
    const file = await this.#sdk.files.create({
      file: await toFile(Buffer.from(content), filename),
      purpose: 'fine-tune',
    });
    return file.id;
  }

  /** Creates a job; returns its id. */
  async createJob(request: FineTuneJobRequest): Promise<string> {
    const job = await this.#sdk.fineTuning.jobs.create({
      model: request.model,
      training_file: request.trainingFileId,
      ...(request.validationFileId ? { validation_file: request.validationFileId } : {}),
      ...(request.suffix ? { suffix: request.suffix } : {}),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      ...(request.hyperparameters ? { hyperparameters: request.hyperparameters } : {}),
    });
    return job.id;
  }

  /**
   * Polls until the job ends, passing each new event to `onEvent`; returns the fine-tuned model id.
   * Throws `NxtError('fine-tune')` when the job fails or is cancelled.
   */
  async waitForJob(jobId: string, onEvent?: (event: FineTuneEvent) => void): Promise<string> {
    const seen = new Set<string>();
    for (;;) {
      const job = await this.#sdk.fineTuning.jobs.retrieve(jobId);
      const events = await this.#sdk.fineTuning.jobs.listEvents(jobId, { limit: 100 });
      for (const event of [...events.data].reverse()) {
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        onEvent?.({ createdAt: event.created_at, level: event.level, message: event.message });
      }
      if (job.status === 'succeeded') {
        if (!job.fine_tuned_model) throw new NxtError('fine-tune', `job ${jobId} succeeded without a model id`);
        return job.fine_tuned_model;
      }
      if (job.status === 'failed' || job.status === 'cancelled') {
        const why = job.error?.message ? `: ${job.error.message}` : '';
        throw new NxtError('fine-tune', `fine-tuning job ${jobId} ${job.status}${why}`);
      }
      await this.#sleep(this.#pollIntervalMs);
    }
  }

  async cancel(jobId: string): Promise<void> {
    await this.#sdk.fineTuning.jobs.cancel(jobId);
  }
}
