import type { ScriptedRequest } from '../../src/llm/testing/test-server.js';
import type { RepairTask } from '../../src/tasks/index.js';

/**
 * A model that gets better with each fine-tuned generation. Generation 0 is the base model; the n-th
 * distinct `ft:` model id seen is generation n. Per generation, which tasks it fixes, and on which of
 * the 4 samples (choices): 'all', 'even' (choices 0 and 2), 'first' (choice 0) or nothing.
 */
export function improvingModel(train: readonly RepairTask[], dev: readonly RepairTask[]) {
  const generations = new Map<string, number>();
  const generationOf = (model: string) => {
    if (!model.startsWith('ft:')) return 0;
    if (!generations.has(model)) generations.set(model, generations.size + 1);
    return generations.get(model) as number;
  };
  const id = (tasks: readonly RepairTask[], index: number) => tasks[index]?.id ?? '';
  const plan: Record<number, Record<string, 'all' | 'even' | 'first'>> = {
    0: { [id(train, 0)]: 'all', [id(train, 1)]: 'first', [id(train, 2)]: 'first', [id(dev, 0)]: 'first' },
    1: {
      [id(train, 1)]: 'even',
      [id(train, 2)]: 'even',
      [id(train, 3)]: 'even',
      [id(dev, 0)]: 'all',
      [id(dev, 1)]: 'all',
    },
    2: Object.fromEntries([
      ...[1, 2, 3, 4, 5].map((index) => [id(train, index), 'all']),
      ...[0, 1, 2, 3].map((index) => [id(dev, index), 'all']),
    ]),
  };
  const all = [...train, ...dev];
  return (request: ScriptedRequest): string => {
    const last = request.messages.at(-1)?.content ?? '';
    const task = all.find((item) => last.startsWith(`Task: ${item.description.trim()}`));
    if (!task) return 'no idea';
    const rule = plan[Math.min(2, generationOf(request.model))]?.[task.id];
    const right =
      rule === 'all' || (rule === 'even' && request.choice % 2 === 0) || (rule === 'first' && request.choice === 0);
    const program = right ? (task.reference ?? '') : task.buggyProgram;
    return `Step by step, the trace shows where ${task.entryPoint} goes wrong; the fix follows.\n\n\`\`\`python\n${program}\n\`\`\``;
  };
}
