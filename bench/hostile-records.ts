/**
 * What a program's huge or forged records cost the judge: for each case of test/sandbox/hostile-records.ts,
 * the fork-server's CPU time and peak memory (VmHWM, reset before the case), nxt's own peak memory and
 * wall time, and what came back. Each case runs in a fresh nxt process with a one-server sandbox, so a
 * crash of nxt is one row (`crashed`), not the end of the benchmark.
 *
 *   npx tsx bench/hostile-records.ts [--only SUBSTRING]
 *
 * Needs root (to reset the server's peak memory through /proc/PID/clear_refs) and the default layers:
 * the server is the first python process below the one nxt starts (bubblewrap's, or python itself).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createSandbox } from '../src/sandbox/index.js';
import { forgedRecords, forgedTraces, hugeValues, type RecordCase } from '../test/sandbox/hostile-records.js';
import { descendantsOf } from '../test/support/processes.js';

const CASES: RecordCase[] = [...hugeValues(true), ...forgedRecords(true), ...forgedTraces(true)];
const { values } = parseArgs({ options: { only: { type: 'string' }, case: { type: 'string' } } });

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The fork-server: the first python process at or below the process nxt started. */
function serverPid(spawned: number): number {
  const found = [spawned, ...descendantsOf([spawned])].find(
    (pid) => comm(pid).startsWith('python') && !comm(parentOf(pid)).startsWith('python'),
  );
  if (found === undefined) throw new Error(`no python server below ${spawned}`);
  return found;
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024);
}

async function runCase(item: RecordCase): Promise<Record<string, unknown>> {
  const sandbox = await createSandbox({ workers: 1 });
  try {
    if (item.warmup) await sandbox.judgeProgram(item.warmup, item.tests, item.options);
    const server = serverPid(sandbox.serverPids[0] as number);
    writeFileSync(`/proc/${server}/clear_refs`, '5');
    const cpuBefore = cpuSeconds(server);
    const started = sandbox.serversStarted;
    const t0 = performance.now();
    let outcome: Record<string, unknown>;
    if (item.mode === 'judge') {
      const verdict = await sandbox.judgeProgram(item.program, item.tests, item.options);
      outcome = { status: verdict.status, judgeFault: verdict.judgeFault, reason: verdict.reason.slice(0, 160) };
    } else {
      const result = await sandbox.traceProgram(item.program, item.tests as string[], { testIndex: 0 });
      outcome =
        result.status === 'traced'
          ? { status: 'traced', events: result.trace.events.length, truncated: result.trace.truncated }
          : { status: result.status, reason: result.verdict.reason.slice(0, 160) };
    }
    const wallS = (performance.now() - t0) / 1000;
    const alive = sandbox.serversStarted === started;
    return {
      ...outcome,
      serverCpuS: alive ? +(cpuSeconds(server) - cpuBefore).toFixed(2) : null,
      serverPeakMiB: alive ? peakMiB(server) : null,
      serversRestarted: sandbox.serversStarted - started,
      wallS: +wallS.toFixed(2),
    };
  } finally {
    await sandbox.close();
  }
}

if (values.case !== undefined) {
  const item = CASES[Number(values.case)] as RecordCase;
  const row = await runCase(item);
  row['nxtPeakMiB'] = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${JSON.stringify(row)}\n`);
} else {
  for (const [index, item] of CASES.entries()) {
    if (values.only && !item.name.includes(values.only)) continue;
    const run = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string, '--case', String(index)], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    const line = run.stdout.trim().split('\n').at(-1) ?? '';
    const row =
      run.status === 0 && line.startsWith('{')
        ? line
        : JSON.stringify({
            crashed: run.status,
            stderr: run.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300),
          });
    process.stdout.write(`${item.mode} | ${item.name} | ${row}\n`);
  }
}
