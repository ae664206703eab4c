import { readdirSync, readFileSync } from 'node:fs';

/**
 * nxt's Python package (python/nxt), laid out by process and trust (see the README's table). It reaches
 * the sandbox interpreter as a bundle on fd 3, where an import hook serves it: a module loads when it
 * is first imported, so the load order is the imports' own.
 */
const PACKAGE = new URL('./python/', import.meta.url);

/**
 * Which bundle a file of the package goes to, by its sub-package: `bench` (benchmark baselines) only
 * to the benchmark's servers; `tools` (parse-only helpers for dataset builders) to every server, but
 * outside the judge's identity, since no verdict depends on them; everything else is the judge.
 */
type Part = 'judge' | 'tools' | 'bench';
const PARTS: Readonly<Record<string, Part>> = { bench: 'bench', tools: 'tools' };

interface SourceFile {
  /** Relative to python/, with `/`: `nxt/server/main.py`. */
  path: string;
  source: string;
  part: Part;
}

/**
 * The `python3 -c` program: reads the bundle from fd 3 (a decimal length, a newline, then JSON
 * `[[path, source], ...]`), installs an import hook that serves the package `nxt` from it (a module
 * runs when first imported, under the file name `<nxt/...py>`) and runs `<entry>.main(argv)`. Requests
 * follow the bundle on the same descriptor.
 */
function bootstrap(entry: string): string {
  return `import os, sys
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
    from _frozen_importlib import ModuleSpec

    class Bundle:
        """Finds and loads the modules of the package nxt in the bundle (PEP 451)."""

        def __init__(self, files):
            self.modules = {}
            for path, source in files:
                name = path[:-3].replace("/", ".")
                package = name.endswith(".__init__")
                self.modules[name[:-9] if package else name] = (path, source, package)

        def find_spec(self, name, path=None, target=None):
            found = self.modules.get(name)
            if found is None:
                return None
            return ModuleSpec(name, self, origin="<%s>" % found[0], is_package=found[2])

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            path, source, _ = self.modules[module.__name__]
            module.__file__ = filename = "<%s>" % path
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            exec(compile(source, filename, "exec"), module.__dict__)

    sys.meta_path.insert(0, Bundle(json.loads(b"".join(chunks))))
    __import__("${entry}")
    return sys.modules["${entry}"]
_nxt_boot().main(sys.argv[1:])
`;
}

const SERVER_BOOTSTRAP = bootstrap('nxt.server.main');
const BENCH_BOOTSTRAP = bootstrap('nxt.bench.main');

let files: SourceFile[] | null = null;

/** The package's Python files, sorted by path (the judge's identity must not depend on directory order). */
function packageFiles(): SourceFile[] {
  if (!files) {
    files = readdirSync(new URL('./nxt/', PACKAGE), { recursive: true, encoding: 'utf8' })
      .map((name) => `nxt/${name.split('\\').join('/')}`)
      .filter((path) => path.endsWith('.py') && !path.includes('/__pycache__/'))
      .sort()
      .map((path) => ({
        path,
        source: readFileSync(new URL(path, PACKAGE), 'utf8'),
        part: PARTS[path.split('/')[1] ?? ''] ?? 'judge',
      }));
  }
  return files;
}

function bundleOf(parts: readonly Part[]): Buffer {
  const chosen = packageFiles().filter((file) => parts.includes(file.part));
  const json = Buffer.from(JSON.stringify(chosen.map((file) => [file.path, file.source])), 'utf8');
  return Buffer.concat([Buffer.from(`${json.length}\n`, 'ascii'), json]);
}

let serverBytes: Buffer | null = null;
let judgeBytes: Buffer | null = null;

/** The program passed to `python3 -I -S -c`. */
export function serverBootstrap(): string {
  return SERVER_BOOTSTRAP;
}

/** The bytes to write on the server's fd 3 before any request: the judge and the tools. */
export function serverBundle(): Buffer {
  serverBytes ??= bundleOf(['judge', 'tools']);
  return serverBytes;
}

/**
 * What decides a verdict, for the judge's identity (hashed with the bootstrap): the judge's modules,
 * without the tools and the benchmark baselines, so that editing those keeps cached verdicts.
 */
export function judgeSource(): Buffer {
  judgeBytes ??= bundleOf(['judge']);
  return judgeBytes;
}

/**
 * The benchmark's baseline server (bench/exec.ts): `python3 -I -S -c bootstrap MODE` with `bundle` on
 * fd 3, MODE `inprocess` (the fork-server protocol, programs run in that process with no isolation)
 * or `once` (one request on stdin, the answer on stdout).
 */
export function benchServer(): { bootstrap: string; bundle: Buffer } {
  return { bootstrap: BENCH_BOOTSTRAP, bundle: bundleOf(['judge', 'bench']) };
}
