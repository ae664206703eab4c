import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from './index.js';

const OK = 'def ok():\n    return 1\n';
let sandbox: Sandbox | null = null;

afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the fork-server pool', () => {
  it('replaces a server that dies while idle', async () => {
    sandbox = await createSandbox({ workers: 1 });
    const [pid] = sandbox.serverPids;
    process.kill(pid as number, 'SIGKILL');
    await waitFor(() => sandbox?.serversStarted === 2 && sandbox.serverPids.length === 1);
    const verdict = await sandbox.judgeProgram(OK, ['assert ok() == 1']);
    expect(verdict.status).toBe('pass');
    expect(sandbox.serverPids[0]).not.toBe(pid);
  });

  it('retries the program a server was running when it died, on the replacement', async () => {
    sandbox = await createSandbox({ workers: 1 });
    const [pid] = sandbox.serverPids;
    const pending = sandbox.judgeProgram(`import time\ntime.sleep(0.5)\n${OK}`, ['assert ok() == 1']);
    const queued = sandbox.judgeProgram(OK, ['assert ok() == 2']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    process.kill(pid as number, 'SIGKILL');
    expect((await pending).status).toBe('pass');
    expect((await queued).status).toBe('fail');
    expect(sandbox.serversStarted).toBe(2);
  });

  it('records a program that kills its server twice as an error, and carries on', async () => {
    // Without privilege separation a program can reach its server; the pool must survive that.
    sandbox = await createSandbox({ workers: 1, dropPrivileges: 'off', bubblewrap: 'off' });
    const killer = 'import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n';
    const verdict = await sandbox.judgeProgram(killer, ['assert True']);
    expect(verdict.status).toBe('error');
    expect(verdict.problem).toMatch(/died twice/);
    expect((await sandbox.judgeProgram(OK, ['assert ok() == 1'])).status).toBe('pass');
    expect(sandbox.serversStarted).toBe(3);
  });

  it('spreads work over every server', async () => {
    sandbox = await createSandbox({ workers: 2 });
    const before = sandbox.answeredPerSlot;
    await Promise.all(Array.from({ length: 6 }, () => sandbox?.judgeProgram(OK, ['assert ok() == 1'])));
    const answered = sandbox.answeredPerSlot.map((count, slot) => count - (before[slot] ?? 0));
    // The first four go out two per server at once; the last two to whichever frees up first.
    expect(answered.every((count) => count >= 2)).toBe(true);
    expect(answered.reduce((sum, count) => sum + count, 0)).toBe(6);
  });

  it('fails clearly when Python cannot start', async () => {
    await expect(createSandbox({ python: '/nonexistent/python3' })).rejects.toThrow(
      /cannot run the Python interpreter '\/nonexistent\/python3'.*--python PATH/,
    );
  });

  it('rejects work after close', async () => {
    sandbox = await createSandbox({ workers: 1 });
    await sandbox.close();
    await expect(sandbox.judgeProgram(OK, [])).rejects.toThrow(/closed/);
  });
});
