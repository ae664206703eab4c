import { join } from 'node:path';
import { createLlmClient, type LlmClient, ModelSpecSchema, SampleCache } from '../../src/llm/index.js';
import { startTestServer } from '../../src/llm/testing/test-server.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { runSelftrain } from '../../src/selftrain/index.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { improvingModel } from '../selftrain/script.js';
import { sharedDataDir } from './shared-data.js';

/**
 * Builds a small real self-training run folder: two iterations on HumanEvalFix tasks 0-5, dev tasks
 * 20-24, with a scripted model that improves with each fine-tuned generation (the test server's
 * fine-tuning API trains it), for the report and its screenshot.
 */
export async function makeDemoSelftrain(sandbox: Sandbox, runsDir: string, name = 'selftrain'): Promise<string> {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  const all = (await loadDataset('humanevalfix', store)) as RepairTask[];
  const train = all.slice(0, 6);
  const dev = all.slice(20, 25);
  const server = await startTestServer({ respond: improvingModel(train, dev), fineTunePolls: 2 });
  const cache = SampleCache.open(':memory:');
  const clients = new Map<string, LlmClient>();
  const client = (spec: string) => {
    const [model, url] = spec.split('@');
    const made =
      clients.get(spec) ?? createLlmClient(ModelSpecSchema.parse({ model, baseUrls: [url], apiKey: 'sk' }), { cache });
    clients.set(spec, made);
    return made;
  };
  const out = join(runsDir, name);
  try {
    await runSelftrain(
      {
        baseModel: `base@${server.url}`,
        trainTasks: 'train',
        devTasks: 'dev',
        samples: 4,
        hardThreshold: 0.3,
        iterations: 2,
        devSamples: 4,
        k: [1, 4],
        trainer: { kind: 'openai', pollIntervalMs: 1 },
        out,
      },
      {
        sandbox,
        loadTasks: async (tasks) => (tasks === 'train' ? train : dev),
        client,
        derive: (base, model) => `${model}@${base.split('@')[1]}`,
        countTokens: (text) => Math.ceil(text.length / 4),
        nxtVersion: 'demo',
        log: () => {},
        pollIntervalMs: 1,
      },
    );
    return out;
  } finally {
    await server.close();
  }
}
