import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countsByTask, runEval, taskPromptInput, type VerdictCache } from '../eval/index.js';
import { chatPrompt, formatAnswer } from '../prompt/index.js';
import {
  devRunDir,
  type IterationState,
  IterationStateSchema,
  readResults,
  readSelftrainState,
  type SelftrainState,
  type SelftrainSummary,
  type Summary,
  selftrainLayout,
  writeSelftrainState,
  writeSelftrainSummary,
} from '../runs/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { formatJsonLines, NxtError } from '../shared/index.js';
import type { RepairTask } from '../tasks/index.js';
import { type SelftrainConfig, type SelftrainConfigInput, SelftrainConfigSchema } from './config.js';
import { type TrainerDeps, train } from './trainers/index.js';

/** What the loop needs: the sandbox, tasks and token counting, and what trainers need (trainers/trainer.ts). */
export interface SelftrainDeps extends TrainerDeps {
  sandbox: Sandbox;
  loadTasks(name: string): Promise<RepairTask[]>;
  countTokens(text: string): number;
  nxtVersion: string;
  /** Verdicts and traces of identical programs are reused from it (across iterations too). */
  execCache?: VerdictCache | null;
}

export interface SelftrainResult {
  status: 'done' | 'waiting';
  message: string;
  state: SelftrainState;
}

const hashConfig = (config: SelftrainConfig) =>
  createHash('sha256')
    .update(JSON.stringify({ ...config, iterations: undefined, out: undefined }))
    .digest('hex')
    .slice(0, 16);

/** Per-task pass@1 from a run folder's results. */
async function passRates(dir: string): Promise<Map<string, number>> {
  const counts = countsByTask(await readResults(dir));
  return new Map([...counts].map(([id, entry]) => [id, entry.n > 0 ? entry.c / entry.n : 0]));
}

/**
 * Runs (or resumes) NExT self-training: iteration 0 samples every training task with the base model;
 * tasks whose pass@1 is below the threshold form the hard set, and those same samples are iteration
 * 0's. Each iteration keeps the samples whose fix passes every test, writes them as a chat SFT set,
 * fine-tunes the BASE model on it, and evaluates the new model on dev; the next iteration samples the
 * hard set with that model, zero-shot. State is saved after every step, so a killed run resumes where
 * it stopped without paying or training twice. The best iteration on dev is chosen at the end.
 */
export async function runSelftrain(configInput: SelftrainConfigInput, deps: SelftrainDeps): Promise<SelftrainResult> {
  const config = SelftrainConfigSchema.parse(configInput);
  const dir = config.out;
  await mkdir(dir, { recursive: true });
  const configHash = hashConfig(config);
  let state = await readSelftrainState(dir);
  if (state && state.configHash !== configHash) {
    throw new NxtError(
      'run',
      `${dir} holds a self-training run with other settings; resume it with the same configuration or choose another out`,
    );
  }
  const trainAll = (await deps.loadTasks(config.trainTasks)).slice(0, config.limitTrain);
  const dev = (await deps.loadTasks(config.devTasks)).slice(0, config.limitDev);
  state ??= {
    schemaVersion: 1,
    configHash,
    hardSet: null,
    trainTasks: trainAll.length,
    baseDev: null,
    iterations: [],
    waiting: null,
    best: null,
  };
  const save = async () => writeSelftrainState(dir, state as SelftrainState);
  await save();

  const evaluate = async (
    model: string,
    tasks: readonly RepairTask[],
    out: string,
    samples: number,
    shots: 0 | 3,
    dataset: string,
  ): Promise<Summary> =>
    runEval(
      {
        dataset,
        model,
        api: deps.client(model).spec.api,
        samples,
        temperature: config.temperature,
        trace: config.trace,
        traceBudgetTokens: config.traceBudgetTokens,
        shots,
      },
      {
        client: deps.client(model),
        sandbox: deps.sandbox,
        tasks,
        datasetFiles: {},
        countTokens: deps.countTokens,
        nxtVersion: deps.nxtVersion,
        k: config.k,
        ...(deps.execCache ? { execCache: deps.execCache } : {}),
        ...(config.batch ? { batch: { ...(deps.pollIntervalMs ? { pollIntervalMs: deps.pollIntervalMs } : {}) } } : {}),
      },
      out,
    );

  for (let index = 0; index < config.iterations; index++) {
    const previous = state.iterations[index - 1];
    if (index > 0 && !previous?.trainedModel) break;
    const current: IterationState =
      state.iterations[index] ??
      IterationStateSchema.parse({
        iteration: index,
        model: index === 0 ? config.baseModel : previous?.trainedModel,
        phase: 'sampling',
      });
    state.iterations[index] = current;
    const layout = selftrainLayout(dir).iteration(index);
    const iterDir = layout.dir;
    await mkdir(iterDir, { recursive: true });

    if (current.phase === 'sampling') {
      deps.log(
        `iteration ${index}: sampling ${index === 0 ? trainAll.length : state.hardSet?.length} tasks with ${current.model}`,
      );
      const tasks = index === 0 ? trainAll : trainAll.filter((task) => state?.hardSet?.includes(task.id));
      const summary = await evaluate(
        current.model,
        tasks,
        layout.train,
        config.samples,
        index === 0 ? config.shots : 0,
        config.trainTasks,
      );
      const rates = await passRates(layout.train);
      if (index === 0)
        state.hardSet = trainAll
          .filter((task) => (rates.get(task.id) ?? 0) < config.hardThreshold)
          .map((task) => task.id);
      const hard = new Set(state.hardSet ?? []);
      const hardRates = [...rates].filter(([id]) => hard.has(id)).map(([, rate]) => rate);
      current.samplesDrawn = summary.outcomes.judged + summary.outcomes.parse_error + summary.outcomes.sample_failed;
      current.trainFixRate = hardRates.length
        ? hardRates.reduce((sum, rate) => sum + rate, 0) / hardRates.length
        : null;
      current.tokens = summary.tokens;
      current.costUsd = summary.costUsd;
      const accepted = await writeTrainingSet(
        layout,
        trainAll.filter((task) => hard.has(task.id)),
        config,
        deps,
        index,
      );
      current.accepted = accepted.samples;
      current.acceptedTasks = accepted.tasks;
      current.phase = 'filtered';
      await save();
    }

    if (current.phase === 'filtered' || current.phase === 'training') {
      if (current.accepted === 0) {
        // Say why: an empty hard set (the base model already fixes the tasks) is not the same as a
        // hard set where no sample passed.
        const why =
          (state.hardSet?.length ?? 0) === 0
            ? `the hard set is empty: ${current.model} reaches pass@1 >= ${config.hardThreshold} on all ${trainAll.length} training tasks, so none is hard (raise hardThreshold or use harder tasks)`
            : `none of the ${current.samplesDrawn ?? 0} samples on the ${state.hardSet?.length} hard tasks passed its tests (more samples, a higher temperature or a stronger base model may find some)`;
        deps.log(`iteration ${index}: nothing to train on: ${why}`);
        current.phase = 'done';
        await save();
        break;
      }
      const trainFile = join(iterDir, 'sft.openai.jsonl');
      const step = { current, iterDir, trainFile, baseModel: config.baseModel, deps, save };
      const trained = await train(config.trainer, step);
      if (trained.status === 'waiting') {
        state.waiting = `iteration ${current.iteration}`;
        await save();
        return { status: 'waiting', message: trained.message, state };
      }
      current.trainedModel = trained.model;
      current.phase = 'trained';
      state.waiting = null;
      await save();
    }

    if (current.phase === 'trained' || current.phase === 'evaluating') {
      current.phase = 'evaluating';
      await save();
      deps.log(`iteration ${index}: evaluating ${current.trainedModel} on ${dev.length} dev tasks`);
      const summary = await evaluate(
        current.trainedModel as string,
        dev,
        devRunDir(dir, index),
        config.devSamples,
        0,
        config.devTasks,
      );
      current.dev = summary['pass@k'].values;
      current.phase = 'done';
      await save();
    }
  }

  if (!state.baseDev) {
    deps.log(`evaluating the base model ${config.baseModel} on dev (${config.shots}-shot)`);
    const summary = await evaluate(
      config.baseModel,
      dev,
      devRunDir(dir, 'base'),
      config.devSamples,
      config.shots,
      config.devTasks,
    );
    state.baseDev = summary['pass@k'].values;
  }
  const scored = state.iterations.filter((iteration) => iteration.dev !== null);
  state.best = scored.length
    ? (scored.reduce((best, iteration) =>
        (iteration.dev?.['pass@1'] ?? 0) > (best.dev?.['pass@1'] ?? 0) ? iteration : best,
      ).iteration ?? null)
    : null;
  await save();
  await writeSelftrainSummary(dir, summaryOf(state, config));
  return { status: 'done', message: formatSelftrain(state, config), state };
}

async function writeTrainingSet(
  layout: ReturnType<ReturnType<typeof selftrainLayout>['iteration']>,
  hardTasks: readonly RepairTask[],
  config: SelftrainConfig,
  deps: SelftrainDeps,
  iteration: number,
): Promise<{ samples: number; tasks: number }> {
  const results = (await readResults(layout.train))
    .filter((result) => result.pass && result.mode === 'sample' && result.program !== null)
    .sort((a, b) => a.taskId.localeCompare(b.taskId, 'en', { numeric: true }) || a.index - b.index);
  const openai: { messages: unknown[] }[] = [];
  const hf: Record<string, unknown>[] = [];
  const perTask = new Map<string, number>();
  for (const task of hardTasks) {
    const mine = results.filter((result) => result.taskId === task.id);
    if (mine.length === 0) continue;
    const trees = config.dedup
      ? await deps.sandbox.normalize(mine.map((result) => result.program as string))
      : mine.map((_, index) => String(index));
    const seen = new Set<string | null>();
    // The training prompt is the one the model was sampled with (same trace format and budget).
    const input = await taskPromptInput(
      task,
      { trace: config.trace, traceBudgetTokens: config.traceBudgetTokens },
      deps,
    );
    const prompt = chatPrompt(input, []);
    for (const [position, result] of mine.entries()) {
      if (seen.has(trees[position] ?? null)) continue;
      if (config.maxPerTask !== undefined && (perTask.get(task.id) ?? 0) >= config.maxPerTask) break;
      seen.add(trees[position] ?? null);
      perTask.set(task.id, (perTask.get(task.id) ?? 0) + 1);
      const answer = formatAnswer(result.rationale ?? '', result.program as string);
      const messages = [...prompt, { role: 'assistant' as const, content: answer }];
      openai.push({ messages });
      hf.push({ messages, task_id: task.id, iteration, sample: result.index });
    }
  }
  await writeFile(layout.sftOpenai, formatJsonLines(openai));
  await writeFile(layout.sftHf, formatJsonLines(hf));
  return { samples: openai.length, tasks: perTask.size };
}

/** The per-iteration table as data (what summary.json holds). */
export function summaryOf(state: SelftrainState, config: SelftrainConfig): SelftrainSummary {
  return {
    schemaVersion: 1,
    baseModel: config.baseModel,
    hardSet: state.hardSet?.length ?? 0,
    trainTasks: state.trainTasks,
    baseDev: state.baseDev,
    best: state.best,
    bestModel: state.best === null ? null : (state.iterations[state.best]?.trainedModel ?? null),
    iterations: state.iterations.map((iteration) => ({
      iteration: iteration.iteration,
      model: iteration.model,
      samplesDrawn: iteration.samplesDrawn,
      trainFixRate: iteration.trainFixRate,
      accepted: iteration.accepted,
      acceptedTasks: iteration.acceptedTasks,
      acceptedPerTask: iteration.acceptedTasks ? iteration.accepted / iteration.acceptedTasks : 0,
      trainedModel: iteration.trainedModel,
      dev: iteration.dev,
      tokens: iteration.tokens,
      costUsd: iteration.costUsd,
    })),
  };
}

/** The per-iteration table for the terminal. */
export function formatSelftrain(state: SelftrainState, config: SelftrainConfig): string {
  const pct = (value: number | null | undefined) =>
    value === null || value === undefined ? '    -' : `${(100 * value).toFixed(1).padStart(5)}%`;
  const ks = config.k.map((k) => `pass@${k}`);
  const lines = [
    `self-training ${config.baseModel}: hard set ${state.hardSet?.length ?? 0} of ${state.trainTasks} training tasks (base pass@1 < ${config.hardThreshold})`,
    `base model on dev: ${ks.map((k) => `${k} ${pct(state.baseDev?.[k])}`).join(', ')}`,
    `iter  samples  train-fix  accepted  per-task  ${ks.map((k) => `dev ${k}`.padEnd(11)).join('')} tokens in/out      model`,
  ];
  for (const iteration of state.iterations) {
    const perTask = iteration.acceptedTasks ? (iteration.accepted / iteration.acceptedTasks).toFixed(1) : '-';
    lines.push(
      `${String(iteration.iteration).padEnd(5)} ${String(iteration.samplesDrawn).padStart(7)}  ${pct(iteration.trainFixRate).padStart(9)}  ${String(iteration.accepted).padStart(8)}  ${perTask.padStart(8)}  ${ks.map((k) => pct(iteration.dev?.[k]).padEnd(11)).join('')} ${`${iteration.tokens.prompt}/${iteration.tokens.completion}`.padEnd(18)} ${iteration.trainedModel ?? '-'}`,
    );
  }
  lines.push(
    state.best === null
      ? 'no iteration evaluated on dev yet'
      : `best on dev: iteration ${state.best} (${state.iterations[state.best]?.trainedModel})`,
  );
  return `${lines.join('\n')}\n`;
}
