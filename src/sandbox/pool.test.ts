import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from './index.js';
import { JudgeFaultError, SandboxPool } from './pool.js';

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

  it('records a program whose server dies twice under it as an error, and carries on', async () => {
    sandbox = await createSandbox({ workers: 1 });
    const verdict = sandbox.judgeProgram(`import time\ntime.sleep(3)\n${OK}`, ['assert ok() == 1']);
    for (let kill = 1; kill <= 2; kill++) {
      await waitFor(() => sandbox?.serversStarted === kill && sandbox.serverPids.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the program is running now
      process.kill(sandbox.serverPids[0] as number, 'SIGKILL');
    }
    expect((await verdict).status).toBe('error');
    expect((await verdict).problem).toMatch(/died twice/);
    expect((await sandbox.judgeProgram(OK, ['assert ok() == 1'])).status).toBe('pass');
    expect(sandbox.serversStarted).toBe(3);
  });

  it('keeps a program that runs as root (dropPrivileges off) away from its server and zygote', async () => {
    sandbox = await createSandbox({ workers: 1, dropPrivileges: 'off' });
    const killer = `import os, signal
for pid in (os.getppid(), 1, -1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
`;
    const verdict = await sandbox.judgeProgram(killer, ['assert True']);
    expect(verdict.problem ?? '').not.toMatch(/died/);
    expect((await sandbox.judgeProgram(OK, ['assert ok() == 1'])).status).toBe('pass');
    expect(sandbox.serversStarted).toBe(1);
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
  it('answers a fault of the server on one request as a judge fault, and keeps the server', async () => {
    // A real process speaking the protocol, whose judging fails the way an nxt bug would.
    const server = `import json, os
os.write(4, (json.dumps({"op": "hello", "python": "3", "versionInfo": [3], "pid": os.getpid(), "uid": 0}) + "\\n").encode())
pending = b""
while True:
    chunk = os.read(3, 65536)
    if not chunk:
        break
    pending += chunk
    while b"\\n" in pending:
        line, pending = pending.split(b"\\n", 1)
        request = json.loads(line)
        if request.get("op") == "exit":
            raise SystemExit(0)
        if request["program"] == "shape":
            answer = {"id": request["id"], "ok": True, "result": {"nonsense": 1}}
        else:
            answer = {"id": request["id"], "ok": False, "error": "KeyError: 'plan'"}
        os.write(4, (json.dumps(answer) + "\\n").encode())
`;
    const pool = await SandboxPool.start(1, () => ({ file: 'python3', args: ['-c', server] }), 2, 10_000);
    try {
      await expect(pool.run({ op: 'judge', program: 'fault' })).rejects.toThrow(JudgeFaultError);
      await expect(pool.run({ op: 'judge', program: 'fault' })).rejects.toThrow(/KeyError: 'plan'/);
      await expect(pool.run({ op: 'judge', program: 'shape' })).rejects.toThrow(/unexpected shape/);
      expect(pool.serversStarted).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
