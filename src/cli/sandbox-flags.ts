import { type Command, Option } from 'commander';
import type { SandboxOptions } from '../sandbox/index.js';
import { UsageError } from '../shared/index.js';

/** Flags shared by every command that starts the sandbox. */
export function addSandboxFlags(command: Command): Command {
  return command
    .option(
      '--python <path>',
      'the interpreter that runs the programs: --python, else $NXT_PYTHON, else python3 on PATH, for every command and isolation mode (one exception: as root with neither bubblewrap nor namespaces, a default python3 the sandbox uid cannot read gives way to /usr/bin/python3, and nxt says so); judging commands print it, and a run folder is resumed only under the Python it was judged with',
    )
    .addOption(
      new Option('--bubblewrap <mode>', 'use bubblewrap: auto (when it works), required, or off')
        .choices(['auto', 'required', 'off'])
        .default(undefined),
    )
    .addOption(
      new Option(
        '--namespaces <mode>',
        'without bubblewrap, the sandbox enters user, mount, PID, network and IPC namespaces itself: auto (where the kernel allows it), required, or off',
      )
        .choices(['auto', 'required', 'off'])
        .default(undefined),
    )
    .option('--workers <n>', 'fork-servers in the pool (default: one per core)');
}

export interface SandboxFlagValues {
  python?: string;
  bubblewrap?: 'auto' | 'required' | 'off';
  namespaces?: 'auto' | 'required' | 'off';
  workers?: string;
}

/** Parses a positive integer flag, or throws a `UsageError` naming the flag. */
export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new UsageError(`${flag} must be a positive integer, got '${value}'`);
  return parsed;
}

/** Flags < environment: the sandbox options for this invocation. */
export function sandboxOptions(
  flags: SandboxFlagValues,
  env: Readonly<Record<string, string | undefined>>,
): SandboxOptions {
  const python = flags.python ?? env['NXT_PYTHON'];
  const workers = positiveInt(flags.workers, '--workers');
  const bubblewrap = flags.bubblewrap ?? env['NXT_BUBBLEWRAP'];
  if (bubblewrap !== undefined && !['auto', 'required', 'off'].includes(bubblewrap)) {
    throw new UsageError(`NXT_BUBBLEWRAP must be auto, required or off, got '${bubblewrap}'`);
  }
  const namespaces = flags.namespaces ?? env['NXT_NAMESPACES'];
  if (namespaces !== undefined && !['auto', 'required', 'off'].includes(namespaces)) {
    throw new UsageError(`NXT_NAMESPACES must be auto, required or off, got '${namespaces}'`);
  }
  return {
    ...(python ? { python } : {}),
    ...(namespaces ? { namespaces: namespaces as 'auto' | 'required' | 'off' } : {}),
    ...(workers ? { workers } : {}),
    ...(bubblewrap ? { bubblewrap: bubblewrap as 'auto' | 'required' | 'off' } : {}),
  };
}
