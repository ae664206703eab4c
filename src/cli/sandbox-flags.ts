import type { SandboxOptions } from '../sandbox/index.js';
import { listChoices, UsageError } from '../shared/index.js';
import type { SandboxFlags } from './command-flags.js';
import { ISOLATION_MODES } from './options.js';

type IsolationMode = (typeof ISOLATION_MODES)[number];

/** An isolation mode from the environment (flags are checked when they are read). */
function modeFromEnv(name: string, text: string | undefined): IsolationMode | undefined {
  if (text === undefined) return undefined;
  const mode = ISOLATION_MODES.find((item) => item === text);
  if (!mode) throw new UsageError(`${name} must be ${listChoices(ISOLATION_MODES)}, got '${text}'`);
  return mode;
}

/** Flags < environment: the sandbox options for this invocation. */
export function sandboxOptions(flags: SandboxFlags, env: Readonly<Record<string, string | undefined>>): SandboxOptions {
  const python = flags.python ?? env['NXT_PYTHON'];
  const bubblewrap = flags.bubblewrap ?? modeFromEnv('NXT_BUBBLEWRAP', env['NXT_BUBBLEWRAP']);
  const namespaces = flags.namespaces ?? modeFromEnv('NXT_NAMESPACES', env['NXT_NAMESPACES']);
  return {
    ...(python ? { python } : {}),
    ...(namespaces ? { namespaces } : {}),
    ...(flags.workers ? { workers: flags.workers } : {}),
    ...(bubblewrap ? { bubblewrap } : {}),
  };
}
