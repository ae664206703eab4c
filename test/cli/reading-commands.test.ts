/**
 * Commands that read run folders (compare, eval export, eval proxy --from, report) treat them as
 * untrusted input: they never change them, never follow a link out of them, and refuse what they
 * cannot verify, naming the file and line.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCapture } from '../support/cli.js';
import { folderBytes, resultRecord, writeHandMadeRun } from '../support/hand-made-run.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-reading-'));
const results = [
  resultRecord('Python/0', 0, true),
  resultRecord('Python/0', 1, false),
  resultRecord('Python/1', 0, true),
];
const other = writeHandMadeRun(join(dir, 'other'), results);

const cli = (...argv: string[]) => runCapture(argv, { cwd: dir });

describe('reading commands', () => {
  it('refuse a torn last line with its file and line, and leave the folder as it was', async () => {
    const run = writeHandMadeRun(join(dir, 'torn'), results, { tail: '{"schemaVersion":1,"taskId":"Pyth' });
    const before = folderBytes(run);
    for (const argv of [
      ['compare', run, other],
      ['eval', 'export', run, '--out', '-'],
    ]) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(`${join(run, 'results.jsonl')}:4: the last line is incomplete`);
      expect(folderBytes(run)).toEqual(before);
    }
  });

  it('read a whole last record that lacks its newline, without adding one', async () => {
    const run = writeHandMadeRun(join(dir, 'unended'), results.slice(0, 2), {
      tail: JSON.stringify(results[2]),
    });
    const before = folderBytes(run);
    const exported = await cli('eval', 'export', run, '--out', '-');
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split('\n')).toHaveLength(3);
    const compared = await cli('compare', run, other, '--json');
    expect(compared.code, compared.stderr).toBe(0);
    expect(JSON.parse(compared.stdout).tasks).toBe(2);
    expect(folderBytes(run)).toEqual(before);
  });

  it('refuse a record of the wrong shape, naming its file and line', async () => {
    const bad = { ...resultRecord('Python/2', 0, true), mode: '<b>greedy</b>' };
    const run = writeHandMadeRun(join(dir, 'wrong'), results, { tail: `${JSON.stringify(bad)}\n` });
    const result = await cli('compare', run, other);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${join(run, 'results.jsonl')}:4: not a valid record`);
  });

  it('eval proxy reads the manifest as every reader does, and says which run an import or a proxy run is not', async () => {
    const student = ['--student', 'x@http://127.0.0.1:9/v1'];
    const imported = await cli('eval', 'proxy', '--from', other, ...student);
    expect(imported.code).toBe(2);
    expect(imported.stderr).toBe(
      `nxt: ${other} is an import: it holds programs without rationales; eval proxy reads the rationales of an eval run (nxt eval)\n`,
    );
    const teacher = join(dir, 'teacher-run');
    const proxy = writeHandMadeRun(join(dir, 'proxy-run'), results, {
      manifest: { kind: 'proxy', from: teacher, student: 'small', file: undefined, fileSha256: undefined },
    });
    const proxied = await cli('eval', 'proxy', '--from', proxy, ...student);
    expect(proxied.code).toBe(2);
    expect(proxied.stderr).toBe(
      `nxt: ${proxy} is a proxy run: its rationales are those of ${teacher}; give that run with --from\n`,
    );
  });

  it('refuse a file that is a symbolic link instead of reading where it points', async () => {
    const outside = writeHandMadeRun(join(dir, 'outside'), results);
    const secret = join(dir, 'secret.json');
    writeFileSync(secret, '{"token": "do-not-print"}');
    const cases: { file: string; target: string; argv: (run: string) => string[] }[] = [
      { file: 'results.jsonl', target: join(outside, 'results.jsonl'), argv: (run) => ['compare', run, other] },
      { file: 'results.jsonl', target: '/etc/passwd', argv: (run) => ['eval', 'export', run, '--out', '-'] },
      { file: 'manifest.json', target: join(outside, 'manifest.json'), argv: (run) => ['compare', other, run] },
      { file: 'summary.json', target: join(outside, 'summary.json'), argv: (run) => ['report', run, '--out', '-'] },
      { file: 'manifest.json', target: secret, argv: (run) => ['report', run, '--out', '-'] },
      {
        file: 'manifest.json',
        target: secret,
        argv: (run) => ['eval', 'proxy', '--from', run, '--student', 'x@http://127.0.0.1:9/v1'],
      },
    ];
    for (const [position, { file, target, argv }] of cases.entries()) {
      const run = writeHandMadeRun(join(dir, `linked-${position}`), results);
      rmSync(join(run, file));
      symlinkSync(target, join(run, file));
      const result = await cli(...argv(run));
      expect(result.code, `${argv(run).join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(
        `${join(run, file)} is a symbolic link: nxt does not follow links in a run folder`,
      );
      expect(result.stdout).not.toContain('do-not-print');
      expect(result.stdout).not.toContain('root:');
    }
  });
});
