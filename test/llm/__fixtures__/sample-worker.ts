// Samples `count` prompts through the cache, 8 at a time: the process the kill-and-resume test kills.
import { createLlmClient, ModelSpecSchema, SampleCache } from '../../../src/llm/index.js';

const [url, cachePath, count] = process.argv.slice(2);
const client = createLlmClient(
  ModelSpecSchema.parse({ model: 'test-model', baseUrls: [url], apiKey: 'sk', concurrency: 8 }),
  {
    cache: SampleCache.open(cachePath as string),
  },
);
const prompts = Array.from({ length: Number(count) }, (_, index) => `prompt ${index}`);
let next = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < prompts.length) {
      const prompt = prompts[next++] as string;
      const [outcome] = await client.sample({ messages: [{ role: 'user', content: prompt }], n: 1, temperature: 0.8 });
      if (outcome?.status !== 'ok') throw new Error(`failed: ${prompt}`);
    }
  }),
);
process.stdout.write('done\n');
