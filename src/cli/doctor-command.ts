import { createSandbox } from '../sandbox/index.js';
import type { SandboxFlags } from './command-flags.js';
import type { CliIo } from './io.js';
import { sandboxOptions } from './sandbox-flags.js';

/** `nxt doctor`: which Python, which isolation layers are active (and why not), and a self-test. */
export async function doctorCommand(flags: SandboxFlags, io: CliIo): Promise<number> {
  const sandbox = await createSandbox(sandboxOptions(flags, io.env));
  try {
    const lines = [`python     ${sandbox.python.executable} (${sandbox.pythonVersion.split(' ')[0]})`];
    if (sandbox.python.requested !== sandbox.python.executable && !sandbox.python.requested.includes('/')) {
      lines.push(`           found as '${sandbox.python.requested}'`);
    }
    lines.push(`workers    ${sandbox.workers} fork-servers`, 'isolation');
    for (const layer of sandbox.layers) {
      lines.push(`  ${layer.active ? 'on ' : 'off'}  ${layer.name.padEnd(21)} ${layer.detail}`);
    }
    const program = 'def answer():\n    return 42\n';
    const [good, bad] = await Promise.all([
      sandbox.judgeProgram(program, ['assert answer() == 42']),
      sandbox.judgeProgram(program, ['assert answer() == 41']),
    ]);
    const ok = good.status === 'pass' && bad.status === 'fail';
    lines.push(
      ok
        ? `self-test  ok: a correct program passed and a wrong one failed (${Math.round(good.durationMs)} ms)`
        : `self-test  FAILED: expected pass and fail, got ${good.status} (${good.reason}) and ${bad.status} (${bad.reason})`,
    );
    for (const note of sandbox.notes) lines.push(`note       ${note}`);
    for (const layer of sandbox.layers.filter((item) => !item.active && item.risk))
      lines.push(`warning    ${layer.name} off: ${layer.risk}`);
    io.stdout(`${lines.join('\n')}\n`);
    return ok ? 0 : 1;
  } finally {
    await sandbox.close();
  }
}
