#!/usr/bin/env node
import { processIo } from './io.js';
import { runCli } from './program.js';

const argv = process.argv.slice(2);
// A reader that stops early (`nxt eval export RUN --out - | head`) closes the pipe: stop quietly, as cat does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}
// Commands that write run folders resume where they stopped: say so on Ctrl-C (the viewer stops itself).
const RESUMABLE = new Set(['eval', 'selftrain', 'data']);
if (RESUMABLE.has(argv[0] ?? '')) {
  process.once('SIGINT', () => {
    process.stderr.write(
      '\nnxt: interrupted. Nothing finished is lost: run the same command again to continue where this one stopped.\n',
    );
    process.exit(130);
  });
}
process.exitCode = await runCli(argv, processIo());
