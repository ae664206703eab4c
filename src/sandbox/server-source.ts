import { readFileSync } from 'node:fs';

/**
 * nxt's Python modules, in load order (each imports only those before it). They load as the package
 * `nxt` inside the sandbox interpreter; see python/server.py for what each process does.
 */
const MODULES = [
  'jail',
  'syscalls',
  'plain',
  'frames',
  'oracles',
  'seal',
  'entry_points',
  'tracer',
  'trace_records',
  'mutate',
  'harness',
  'zygote',
  'supervisor',
  'baseline',
  'server',
] as const;

/**
 * The `python3 -c` program: reads the module bundle from fd 3 (a decimal length, a newline, then JSON
 * `[[name, source], ...]`), installs the modules and runs `nxt.server.main(argv)`. Requests follow the
 * bundle on the same descriptor.
 */
const BOOTSTRAP = `import os, sys
def _nxt_boot():
    head = b""
    while not head.endswith(b"\\n"):
        byte = os.read(3, 1)
        if not byte:
            raise SystemExit("nxt: the module bundle did not arrive on fd 3")
        head += byte
    remaining = int(head)
    chunks = []
    while remaining:
        chunk = os.read(3, min(remaining, 1 << 20))
        if not chunk:
            raise SystemExit("nxt: the module bundle was cut short")
        chunks.append(chunk)
        remaining -= len(chunk)
    import json, linecache
    package = type(sys)("nxt")
    package.__path__ = []
    sys.modules["nxt"] = package
    for name, source in json.loads(b"".join(chunks)):
        module = type(sys)("nxt." + name)
        module.__file__ = "<nxt/%s.py>" % name
        linecache.cache[module.__file__] = (len(source), None, source.splitlines(True), module.__file__)
        sys.modules[module.__name__] = module
        setattr(package, name, module)
        exec(compile(source, module.__file__, "exec"), module.__dict__)
    return sys.modules["nxt.server"]
_nxt_boot().main(sys.argv[1:])
`;

let bundle: Buffer | null = null;

/** The program passed to `python3 -I -S -c`. */
export function serverBootstrap(): string {
  return BOOTSTRAP;
}

/** The bytes to write on the server's fd 3 before any request. */
export function serverBundle(): Buffer {
  if (!bundle) {
    const modules = MODULES.map((name) => [
      name,
      readFileSync(new URL(`./python/${name}.py`, import.meta.url), 'utf8'),
    ]);
    const json = Buffer.from(JSON.stringify(modules), 'utf8');
    bundle = Buffer.concat([Buffer.from(`${json.length}\n`, 'ascii'), json]);
  }
  return bundle;
}
