/**
 * Cold start of the CLI: `nxt --help` from the built dist/, against a bare `node -e 0` in the same run.
 *
 *   npm run build && npm run bench:startup -- [--runs N]
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
const entry = new URL('../dist/cli/main.js', import.meta.url).pathname;
if (!existsSync(entry)) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(2);
}

function median(args: string[]): number {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const bare = median(['-e', '0']);
const help = median([entry, '--help']);
const runHelp = median([entry, 'run', '--help']);
console.log(`node -e 0         ${bare.toFixed(0).padStart(5)} ms (median of ${runs})`);
console.log(`nxt --help        ${help.toFixed(0).padStart(5)} ms  (${(help / bare).toFixed(2)}x bare node)`);
console.log(`nxt run --help    ${runHelp.toFixed(0).padStart(5)} ms  (${(runHelp / bare).toFixed(2)}x bare node)`);
console.log(`target: nxt --help under 300 ms: ${help < 300 ? 'met' : 'NOT met'}`);
