import { afterEach, describe, expect, it } from 'vitest';
import { ForkServer, JudgeFaultError } from './fork-server.js';

/**
 * A stand-in server (a real process speaking the protocol: requests on fd 3, answers on fd 4) whose
 * answers are what nxt must survive: too long, not JSON, not an object.
 */
const SERVER = `
const fs = require('node:fs');
function write(text) {
  const data = Buffer.from(text);
  for (let at = 0; at < data.length; ) at += fs.writeSync(4, data, at);
}
write(JSON.stringify({ op: 'hello', python: 'fake', versionInfo: [3, 11, 0], pid: process.pid, uid: 0 }) + '\\n');
let pending = '';
fs.createReadStream(null, { fd: 3 }).on('data', (chunk) => {
  pending += chunk;
  for (let newline = pending.indexOf('\\n'); newline >= 0; newline = pending.indexOf('\\n')) {
    const request = JSON.parse(pending.slice(0, newline));
    pending = pending.slice(newline + 1);
    if (request.op === 'exit') process.exit(0);
    else if (request.op === 'long') write('{"id": ' + request.id + ', "ok": true, "result": "' + 'x'.repeat(request.chars) + '"}\\n');
    else if (request.op === 'nan') write('{"id": ' + request.id + ', "ok": true, "result": NaN}\\n');
    else if (request.op === 'null') write('null\\n');
    else write(JSON.stringify({ id: request.id, ok: true, result: request.op }) + '\\n');
  }
});
`;

let server: ForkServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(maxAnswerChars: number): Promise<ForkServer> {
  server = new ForkServer({ file: process.execPath, args: ['-e', SERVER] }, 10_000, maxAnswerChars);
  await server.ready;
  return server;
}

describe('a fork-server answer nxt cannot read', () => {
  it('fails only its own request when it is over the length limit, however it is chunked', async () => {
    const live = await start(100_000);
    const pid = live.pid;
    const answers = [
      live.request({ op: 'long', chars: 2_000_000 }),
      live.request({ op: 'ping' }),
      live.request({ op: 'long', chars: 99_000 }),
    ];
    await expect(answers[0]).rejects.toThrow(JudgeFaultError);
    await expect(answers[0]).rejects.toThrow(/answer was over 100000 characters/);
    await expect(answers[1]).resolves.toBe('ping');
    await expect(answers[2]).resolves.toHaveLength(99_000);
    expect(live.isAlive).toBe(true);
    expect(live.pid).toBe(pid);
  });

  it('fails only its own request when it is not JSON (a NaN) or not an object', async () => {
    const live = await start(100_000);
    const answers = [live.request({ op: 'nan' }), live.request({ op: 'null' }), live.request({ op: 'ping' })];
    await expect(answers[0]).rejects.toThrow(/malformed answer: \{"id": 1, "ok": true, "result": NaN\}/);
    await expect(answers[1]).rejects.toThrow(/not an object: null/);
    await expect(answers[2]).resolves.toBe('ping');
    expect(live.isAlive).toBe(true);
  });
});
