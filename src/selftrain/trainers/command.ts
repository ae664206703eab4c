import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { NxtError } from '../../shared/index.js';
import type { Trained, TrainerEntry, TrainStep, Zod } from './trainer.js';

const schema = (z: Zod) =>
  z.strictObject({
    kind: z.literal('command'),
    /** Shell command; {train_file} {base_model} {output_dir} {iteration} are filled in. */
    command: z.string().min(1),
    /** The model spec of the trained model, e.g. `nxt-{iteration}@http://gpu1:8000/v1` (same placeholders). */
    model: z.string().min(1),
  });
type CommandSettings = z.output<ReturnType<typeof schema>>;

/** The user's command trains (a template run by /bin/sh), then nxt samples the model it names. */
export const command = {
  description: 'your command (--train-command) trains, then nxt samples the model it names (--trained-model-template)',
  schema,
  fromFlags: (flags) => ({ kind: 'command', command: flags.trainCommand, model: flags.trainedModelTemplate }),
  train: trainWithCommand,
} as const satisfies TrainerEntry<ReturnType<typeof schema>>;

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

function defaultRunCommand(line: string, cwd: string, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn('/bin/sh', ['-c', line], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('exit', (code) => {
      log.end();
      resolve(code ?? 1);
    });
  });
}

async function trainWithCommand(settings: CommandSettings, step: TrainStep): Promise<Trained> {
  const { current, iterDir, deps } = step;
  const outputDir = join(iterDir, 'model');
  await mkdir(outputDir, { recursive: true });
  const values = {
    train_file: step.trainFile,
    base_model: step.baseModel,
    output_dir: outputDir,
    iteration: String(current.iteration + 1),
  };
  current.phase = 'training';
  current.job = fill(settings.command, values);
  await step.save();
  deps.log(`iteration ${current.iteration}: training with: ${current.job}`);
  const code = await (deps.runCommand ?? defaultRunCommand)(current.job, iterDir, join(iterDir, 'train.log'));
  if (code !== 0)
    throw new NxtError('train', `the training command exited with code ${code}; see ${join(iterDir, 'train.log')}`);
  return { status: 'trained', model: fill(settings.model, values) };
}
