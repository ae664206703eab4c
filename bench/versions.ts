/**
 * Sandbox throughput of this checkout against another commit, side by side in one run (see
 * version-compare.ts).
 *
 *   npx tsx bench/versions.ts --base COMMIT [--bubblewrap auto|off] [--rounds N] [--workers N] [--python PATH]
 *   npx tsx bench/versions.ts --base-dir CHECKOUT ...   (a checkout of the base made beforehand)
 *
 * The base commit is checked out into a temporary git worktree sharing this node_modules.
 * NXT_BENCH_THIS='{"namespaces":"off"}' gives this checkout's sandbox extra options.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { compareVersions } from './version-compare.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    'base-dir': { type: 'string' },
    python: { type: 'string' },
    bubblewrap: { type: 'string', default: 'auto' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: String(availableParallelism()) },
  },
});
if (!values.base && !values['base-dir']) throw new Error('give the commit to compare with: --base COMMIT');
await compareVersions({
  ...(values.base ? { base: values.base } : {}),
  ...(values['base-dir'] ? { baseDir: values['base-dir'] } : {}),
  rounds: Number(values.rounds),
  options: {
    workers: Number(values.workers),
    bubblewrap: values.bubblewrap as 'auto' | 'off',
    ...(values.python ? { python: values.python } : {}),
  },
  thisOptions: process.env['NXT_BENCH_THIS'] ? JSON.parse(process.env['NXT_BENCH_THIS']) : {},
});
