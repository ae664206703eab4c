import { createSandbox } from '../sandbox/index.js';
import type { SandboxFlags } from './command-flags.js';
import type { CliIo } from './io.js';
import { sandboxOptions } from './sandbox-flags.js';
import { describePython } from './sandbox-start.js';

/** Which part of the one rule (--python, $NXT_PYTHON, python3 on PATH) chose the interpreter. */
function chosenBy(named: string | undefined, source: string, requested: string): string {
  if (named) return source;
  if (requested === 'python3') return 'python3 on PATH (neither --python nor $NXT_PYTHON given)';
  return `${requested} in place of python3 on PATH (see the note below)`;
}

/** `nxt doctor`: which Python, which isolation layers are active (and why not), and a self-test. */
export async function doctorCommand(flags: SandboxFlags, io: CliIo): Promise<number> {
  const sandbox = await createSandbox(sandboxOptions(flags, io.env));
  try {
    const lines = [
      `python     ${describePython(sandbox)}`,
      `           chosen by: ${chosenBy(flags.python ?? io.env['NXT_PYTHON'], flags.python ? '--python' : '$NXT_PYTHON', sandbox.python.requested)}`,
    ];
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
