import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';

/** Runs the nxt command line in-process with captured output. */
export async function runCapture(
  argv: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
    cwd: options.cwd,
    isTty: false,
  };
  return { code: await runCli(argv, io), stdout, stderr };
}
