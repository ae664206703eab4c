import type { Sandbox, SandboxOptions } from '../sandbox/index.js';
import type { CliIo } from './io.js';

/**
 * The judging interpreter in words: version, path, and the name it was found under. The rule that picks
 * it is the sandbox's (see `--python` in the help): the same for every command.
 */
export function describePython(sandbox: Pick<Sandbox, 'python' | 'pythonVersion'>): string {
  const { executable, requested } = sandbox.python;
  const found = requested !== executable ? `, found as '${requested}'` : '';
  return `Python ${sandbox.pythonVersion.split(' ')[0]} (${executable}${found})`;
}

/**
 * Starts the sandbox for a command. Commands that judge many programs (`announce`) say on stderr which
 * interpreter judges them; every command passes on the sandbox's notes (an interpreter it had to replace).
 */
export async function startSandbox(options: SandboxOptions, io: CliIo, announce: boolean): Promise<Sandbox> {
  const { createSandbox } = await import('../sandbox/index.js');
  const sandbox = await createSandbox(options);
  if (announce) io.stderr(`nxt: judging with ${describePython(sandbox)}\n`);
  for (const note of sandbox.notes) io.stderr(`nxt: note: ${note}\n`);
  return sandbox;
}
