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
process.exitCode = await runCli(argv, processIo());
