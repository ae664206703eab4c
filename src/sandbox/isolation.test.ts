import { describe, expect, it } from 'vitest';
import { findBubblewrap } from './bubblewrap.js';
import { probePython } from './interpreter.js';
import { planIsolation } from './isolation.js';

const installedBubblewrap = await findBubblewrap();

import { SandboxOptionsSchema } from './options.js';

const python = await probePython('python3');
const defaults = SandboxOptionsSchema.parse({});

function layer(plan: Awaited<ReturnType<typeof planIsolation>>, name: string) {
  return plan.layers.find((item) => item.name === name);
}

describe('planIsolation', () => {
  it('without root, bubblewrap or namespaces keeps the per-program limits, and says what that exposes', async () => {
    const plan = await planIsolation(defaults, python, { isRoot: false, bubblewrap: null, namespaces: 'EPERM here' });
    expect(plan.layers.filter((item) => item.active).map((item) => item.name)).toEqual([
      'rlimits',
      'process-limit',
      'syscall-filter',
      'total-memory',
    ]);
    expect(layer(plan, 'bubblewrap')?.detail).toMatch(/not installed/);
    expect(layer(plan, 'namespaces')).toMatchObject({ active: false, detail: expect.stringContaining('EPERM here') });
    expect(layer(plan, 'namespaces')?.risk).toMatch(/network/);
    expect(layer(plan, 'clean-slate')?.active).toBe(false);
    expect(layer(plan, 'program-namespaces')).toMatchObject({
      active: false,
      risk: expect.stringMatching(/leave state/),
    });
    expect(plan.childUidBase).toBeNull();
    expect(plan.sandboxWorkRoot).toBeNull();
    expect(plan.serverConfig).toEqual({ privateTmp: false, programPidNamespace: true, syscallFilter: true });
    expect(plan.command('SRC', 'serve', '{}')).toEqual({
      file: python.executable,
      args: ['-I', '-S', '-c', 'SRC', 'serve', '{}'],
    });
  });

  it('without bubblewrap has the server enter namespaces itself where the kernel allows it', async () => {
    const plan = await planIsolation(defaults, python, { isRoot: false, bubblewrap: null, namespaces: null });
    expect(layer(plan, 'namespaces')).toMatchObject({
      active: true,
      detail: expect.stringMatching(/user, mount, PID, network/),
    });
    expect(plan.serverConfig['namespaces']).toMatchObject({ tmpBytes: defaults.tmpfsBytes });
    expect(plan.sandboxWorkRoot).toBe('/tmp');
    expect(layer(plan, 'clean-slate')?.active).toBe(true);
    expect(layer(plan, 'program-namespaces')?.active).toBe(true);
    expect(plan.serverConfig).toMatchObject({
      programNamespaces: true,
      programScratch: { tmpBytes: defaults.tmpfsBytes, shmBytes: 64 * 1024 * 1024 },
      syscallFilter: true,
    });
    await expect(
      planIsolation({ ...defaults, namespaces: 'required' }, python, {
        isRoot: false,
        bubblewrap: null,
        namespaces: 'no',
      }),
    ).rejects.toThrow(/namespaces are required but the kernel refuses them here: no/);
    const off = await planIsolation({ ...defaults, namespaces: 'off' }, python, { isRoot: true, bubblewrap: null });
    expect(layer(off, 'namespaces')).toMatchObject({ active: false, detail: 'disabled by namespaces=off' });
    expect(off.serverConfig['namespaces']).toBeUndefined();
  });

  it('probes the kernel for real: the server enters its namespaces here', async (context) => {
    const { probeNamespaces } = await import('./isolation.js');
    const spec = { readOnly: python.prefixes, tmpBytes: 1 << 24, shmBytes: 1 << 24 };
    const why = await probeNamespaces(python, spec);
    if (why !== null) context.skip(`this kernel refuses namespaces: ${why}`);
    expect(why).toBeNull();
  });

  it('as root gives each slot its own uid', async () => {
    const plan = await planIsolation({ ...defaults, uidBase: 123_456 }, python, { isRoot: true, bubblewrap: null });
    expect(plan.childUidBase).toBe(123_456);
    expect(layer(plan, 'unprivileged-uid')?.active).toBe(true);
    expect(layer(plan, 'process-limit')?.active).toBe(true);
    const off = await planIsolation({ ...defaults, dropPrivileges: 'off' }, python, { isRoot: true, bubblewrap: null });
    expect(off.childUidBase).toBeNull();
    expect(layer(off, 'unprivileged-uid')?.detail).toMatch(/dropPrivileges=off/);
  });

  it('reports a bubblewrap that cannot start and goes on without it, unless it is required', async () => {
    const broken = { path: '/nonexistent/bwrap', version: '0.0' };
    const plan = await planIsolation(defaults, python, { isRoot: false, bubblewrap: broken });
    expect(layer(plan, 'bubblewrap')).toMatchObject({ active: false, detail: expect.stringMatching(/cannot start/) });
    expect(plan.bubblewrap).toBeNull();
    await expect(
      planIsolation({ ...defaults, bubblewrap: 'required' }, python, { isRoot: false, bubblewrap: broken }),
    ).rejects.toThrow(/required but cannot start/);
    await expect(
      planIsolation({ ...defaults, bubblewrap: 'required' }, python, { isRoot: false, bubblewrap: null }),
    ).rejects.toThrow(/required but not installed: apt-get install bubblewrap/);
  });

  it.skipIf(!installedBubblewrap)(
    `wraps the server in bubblewrap with no network and read-only system directories${installedBubblewrap ? '' : ': skipped, bubblewrap is not installed (apt-get install bubblewrap)'}`,
    async (context) => {
      const bubblewrap = installedBubblewrap;
      const plan = await planIsolation(defaults, python, { isRoot: process.getuid?.() === 0, bubblewrap });
      if (!plan.bubblewrap) context.skip(`bubblewrap cannot start here: ${layer(plan, 'bubblewrap')?.detail}`);
      const { file, args } = plan.command('SRC', 'serve', '{}');
      expect(file).toBe(bubblewrap?.path);
      expect(args).toContain('--die-with-parent');
      expect(args.join(' ')).toMatch(/--unshare-(net|all)/);
      expect(args.join(' ')).toContain('--ro-bind /usr /usr');
      expect(args.slice(args.indexOf('--'))).toEqual(['--', python.executable, '-I', '-S', '-c', 'SRC', 'serve', '{}']);
    },
  );
});
