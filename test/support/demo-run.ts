import { join } from 'node:path';
import { runEval } from '../../src/eval/index.js';
import { createLlmClient, ModelSpecSchema, SampleCache } from '../../src/llm/index.js';
import { type ScriptedRequest, startTestServer } from '../../src/llm/testing/test-server.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { sharedDataDir } from './shared-data.js';

/** A rationale written to attack the viewer: it must show up as text and do nothing. */
export const HOSTILE_RATIONALE =
  'The loop <script>window.__pwned = 1</script> stops early <img src=x onerror="window.__pwned = 2"> so I fix the bound.';

/**
 * Builds a small real run folder (HumanEvalFix tasks 0-5, 2 samples each, inline traces) with a scripted
 * model: right on even choices, and one hostile rationale, for the viewer and report tests.
 */
export async function makeDemoRun(
  sandbox: Sandbox,
  runsDir: string,
  name = 'demo',
  multiTurn = false,
): Promise<{ dir: string; tasks: RepairTask[] }> {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  const tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(0, 6);
  const server = await startTestServer({
    respond: (request: ScriptedRequest) => {
      const conversation = request.messages.map((message) => message.content).join('\n');
      const task = tasks.find((item) => conversation.includes(`Task: ${item.description.trim()}`));
      if (!task) return 'no idea';
      // Multi-turn: wrong at first, right once told the fix still fails.
      const told = request.messages.some((message) => message.content.startsWith('Your fixed program is still wrong.'));
      const right = multiTurn ? told : request.choice % 2 === 0 && task.id !== 'Python/5';
      const rationale =
        task.id === 'Python/1'
          ? HOSTILE_RATIONALE
          : `The trace shows where ${task.entryPoint} goes wrong, so I change that line.`;
      return `${rationale}\n\n\`\`\`python\n${right ? task.reference : task.buggyProgram}\n\`\`\``;
    },
  });
  try {
    const dir = join(runsDir, name);
    const client = createLlmClient(ModelSpecSchema.parse({ model: 'scripted', baseUrls: [server.url], apiKey: 'sk' }), {
      cache: SampleCache.open(':memory:'),
    });
    await runEval(
      {
        dataset: 'humanevalfix',
        model: 'scripted',
        api: 'chat',
        samples: 2,
        temperature: 0.8,
        trace: 'inline',
        shots: 0,
        ...(multiTurn ? { strategy: 'self-debug' as const, turns: 2 } : {}),
      },
      {
        client,
        sandbox,
        tasks,
        datasetFiles: {},
        countTokens: (text) => Math.ceil(text.length / 4),
        nxtVersion: 'test',
        k: [1, 2],
      },
      dir,
    );
    return { dir, tasks };
  } finally {
    await server.close();
  }
}
