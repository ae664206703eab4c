/**
 * Huge values and forged records (hostile-records.ts): each program gets its verdict from the same
 * server, work over the judge's budgets is not done (the verdict says the value was compared by its
 * exact encoding, or the record was refused), and a trace holds no more than the tracer's caps allow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { forgedRecords, forgedTraces, hugeValues } from './hostile-records.js';

let sandbox: Sandbox;
const OK = 'def ok():\n    x = 1\n    return x\n';

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 1 });
});
afterAll(async () => {
  await sandbox?.close();
});

/** The same server still judges and traces an honest program. */
async function stillServes(started: number): Promise<void> {
  expect((await sandbox.judgeProgram(OK, ['assert ok() == 1'])).status).toBe('pass');
  const traced = await sandbox.traceProgram(OK, ['assert ok() == 2'], { testIndex: 0 });
  expect(traced.status === 'traced' && traced.trace.events.length).toBeGreaterThan(0);
  expect(sandbox.serversStarted, 'the fork-server survived').toBe(started);
}

describe('huge and forged values get their verdict, within the judge budgets', () => {
  for (const item of [...hugeValues(false), ...forgedRecords(false)]) {
    it(item.name, async () => {
      const started = sandbox.serversStarted;
      if (item.warmup) await sandbox.judgeProgram(item.warmup, item.tests, item.options);
      const verdict = await sandbox.judgeProgram(item.program, item.tests, item.options);
      const said = `${verdict.reason}\n${verdict.tests[0]?.exception?.message ?? ''}`;
      expect(verdict.status, said).toBe(item.expect?.status);
      expect(verdict.judgeFault).toBe(false);
      if (item.expect?.message) expect(said).toMatch(item.expect.message);
      await stillServes(started);
    }, 60_000);
  }
});

describe('forged trace records end the trace, marked untraced, within the caps', () => {
  for (const item of forgedTraces(false)) {
    it(item.name, async () => {
      const started = sandbox.serversStarted;
      const result = await sandbox.traceProgram(item.program, item.tests as string[], { testIndex: 0 });
      expect(result.status).toBe('traced');
      if (result.status !== 'traced') return;
      expect(result.trace.truncated).toBe('untraced');
      expect(result.trace.outcome.exception?.type).toBe('TamperError');
      // Within the default caps: 50,000 events (and the two that close an exception), about 20 MB of
      // trace (4 M characters of values, each up to 4 bytes as JSON; python/nxt/protocol/traces.py's limits).
      expect(result.trace.events.length).toBeLessThanOrEqual(50_002);
      expect(JSON.stringify(result.trace).length).toBeLessThan(32 * 1024 * 1024);
      await stillServes(started);
    }, 60_000);
  }
});
