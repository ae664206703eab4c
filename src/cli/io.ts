/** Where a command writes and what it may read of its environment (injected so tests can capture it). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Whether stdout is a terminal (colours and progress only then). */
  isTty: boolean;
  /**
   * Called as a command that resumes (its table entry says `interrupt: 'resumes'`) starts: Ctrl-C then
   * says that running it again continues. Absent in tests.
   */
  onResumable?: () => void;
}

/** The process's real streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: Boolean(process.stdout.isTTY),
    onResumable: () => {
      process.once('SIGINT', () => {
        process.stderr.write(
          '\nnxt: interrupted. Nothing finished is lost: run the same command again to continue where this one stopped.\n',
        );
        process.exit(130);
      });
    },
  };
}
