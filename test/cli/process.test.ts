/** nxt as a process of its own: what only a real process shows (pipes closed by the reader). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

describe('a reader that closes the pipe early', () => {
  it('ends nxt quietly, without an EPIPE stack', async () => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, 'eval', '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // As `nxt eval --help | head -1` does: the reader is gone before nxt writes.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
