import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { DataStore, loadDataset, type RepairTask, writeTaskFile } from '../../src/tasks/index.js';
import { sharedDataDir } from '../support/shared-data.js';
import { improvingModel } from './script.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-selftrain-kill-'));
let train: RepairTask[];
let dev: RepairTask[];

beforeAll(async () => {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  const all = (await loadDataset('humanevalfix', store)) as RepairTask[];
  train = all.slice(0, 6);
  dev = all.slice(20, 25);
  await writeTaskFile(join(dir, 'train.jsonl'), train);
  await writeTaskFile(join(dir, 'dev.jsonl'), dev);
});

function start(server: TestServer, out: string): ChildProcess {
  const config = join(out.replace(/\/?$/, ''), '..', `${out.split('/').at(-1)}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      baseModel: `base@${server.url}`,
      trainTasks: join(dir, 'train.jsonl'),
      devTasks: join(dir, 'dev.jsonl'),
      samples: 4,
      hardThreshold: 0.3,
      iterations: 2,
      devSamples: 4,
      k: [1, 4],
      trainer: { kind: 'openai', pollIntervalMs: 150 },
      out,
    }),
  );
  return spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      join(import.meta.dirname, '../../src/cli/main.ts'),
      'selftrain',
      '--plan',
      config,
      '--cache',
      `${out}.sqlite`,
      '--workers',
      '2',
    ],
    { stdio: 'ignore' },
  );
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

function state(out: string): { iterations: { phase: string; job: string | null }[] } | null {
  try {
    return JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** What a finished run decided, without the model ids (they name jobs of this server). */
function outcome(out: string) {
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  return {
    hardSet: summary.hardSet,
    best: summary.best,
    baseDev: summary.baseDev,
    iterations: summary.iterations.map((iteration: Record<string, unknown>) => ({
      samplesDrawn: iteration['samplesDrawn'],
      accepted: iteration['accepted'],
      acceptedTasks: iteration['acceptedTasks'],
      trainFixRate: iteration['trainFixRate'],
      dev: iteration['dev'],
    })),
    sets: [0, 1].map((index) => readFileSync(join(out, `iter-${index}`, 'sft.hf.jsonl'), 'utf8')),
  };
}

const stages: { name: string; reached: (out: string) => boolean }[] = [
  { name: 'sampling', reached: (out) => existsSync(join(out, 'iter-0', 'train', 'results.jsonl')) },
  {
    name: 'training',
    reached: (out) => state(out)?.iterations[0]?.phase === 'training' && state(out)?.iterations[0]?.job !== null,
  },
  { name: 'evaluating', reached: (out) => state(out)?.iterations[1]?.phase === 'evaluating' },
];

describe('self-training killed with SIGKILL at each stage', () => {
  it('resumes to the same final state, without training twice', async () => {
    const reference = await startTestServer({ respond: improvingModel(train, dev), fineTunePolls: 4, latencyMs: 20 });
    const straight = join(dir, 'straight');
    expect(await exited(start(reference, straight))).toBe(0);
    await reference.close();
    const expected = outcome(straight);
    expect(expected.best).toBe(1);

    for (const stage of stages) {
      const server = await startTestServer({ respond: improvingModel(train, dev), fineTunePolls: 4, latencyMs: 20 });
      const out = join(dir, stage.name);
      const first = start(server, out);
      const deadline = Date.now() + 60_000;
      while (!stage.reached(out) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(stage.reached(out), `reached ${stage.name}`).toBe(true);
      first.kill('SIGKILL');
      await exited(first);
      expect(await exited(start(server, out))).toBe(0);
      expect(outcome(out), `after a kill while ${stage.name}`).toEqual(expected);
      const jobs = server.log.filter((entry) => entry.method === 'POST' && entry.path === '/fine_tuning/jobs');
      expect(jobs, `fine-tuning jobs after a kill while ${stage.name}`).toHaveLength(2);
      await server.close();
    }
  }, 300_000);
});

describe('the manual trainer, from the command line', () => {
  it('prints the command that continues the run, with the flags it was given', async () => {
    const { runCapture } = await import('../support/cli.js');
    const server = await startTestServer({ respond: improvingModel(train, dev) });
    try {
      const out = join(dir, 'manual-cli');
      const argv = [
        'selftrain',
        '--base-model',
        `base@${server.url}`,
        '--train-tasks',
        join(dir, 'train.jsonl'),
        '--dev-tasks',
        join(dir, 'dev.jsonl'),
        '--samples',
        '4',
        '--hard-threshold',
        '0.3',
        '--dev-samples',
        '1',
        '--k',
        '1',
        '--iterations',
        '1',
        '--trainer',
        'manual',
        '--out',
        out,
        '--workers',
        '1',
      ];
      const waiting = await runCapture(argv, { cwd: dir });
      expect(waiting.code, waiting.stderr).toBe(0);
      const command = /continue with:\n {2}(.*)/.exec(waiting.stdout)?.[1] ?? '';
      expect(command).toMatch(/^nxt selftrain --base-model base@http:\/\/127\.0\.0\.1:\d+\/v1 /);
      expect(command).toContain(`--trainer manual --out ${out} --workers 1`);
      expect(command.endsWith(' --trained-model MODEL_SPEC')).toBe(true);
      expect(command).not.toContain('PLAN');
    } finally {
      await server.close();
    }
  }, 120_000);

  it('reads --plan for the plan and --config for the nxt config file (its named models), as every command does', async () => {
    const { runCapture } = await import('../support/cli.js');
    const server = await startTestServer({ respond: improvingModel(train, dev) });
    try {
      const out = join(dir, 'named-model');
      writeFileSync(
        join(dir, 'nxt.json'),
        JSON.stringify({ models: { base: { model: 'base', baseUrl: server.url } } }),
      );
      const plan = {
        baseModel: 'base',
        trainTasks: join(dir, 'train.jsonl'),
        devTasks: join(dir, 'dev.jsonl'),
        samples: 4,
        hardThreshold: 0.3,
        devSamples: 1,
        k: [1],
        iterations: 1,
        trainer: { kind: 'manual' },
        out,
      };
      writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
      // 'base' is a name from nxt.json: without it, it would be an OpenAI model and need OPENAI_API_KEY.
      const waiting = await runCapture(['selftrain', '--plan', 'plan.json', '--config', 'nxt.json', '--workers', '1'], {
        cwd: dir,
      });
      expect(waiting.code, waiting.stderr).toBe(0);
      const command = /continue with:\n {2}(.*)/.exec(waiting.stdout)?.[1] ?? '';
      expect(command).toBe('nxt selftrain --plan plan.json --config nxt.json --workers 1 --trained-model MODEL_SPEC');
      // The old spelling, a plan as --config, is refused before anything runs, naming the new flag.
      expect(await runCapture(['selftrain', '--config', 'plan.json'], { cwd: dir })).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'nxt: plan.json is a self-training plan: give it with --plan plan.json (--config is the nxt config file with named models, on selftrain as on every command)\n',
      });
      expect(await runCapture(['selftrain', '--nxt-config', 'nxt.json'], { cwd: dir })).toMatchObject({
        code: 2,
        stderr: 'nxt: --nxt-config is now --config (the nxt config file, as everywhere)\n',
      });
    } finally {
      await server.close();
    }
  }, 120_000);
});
