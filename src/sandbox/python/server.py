"""nxt sandbox server: judges untrusted Python programs against tests.

Started by nxt as `python3 -I -S -c <bootstrap> MODE CONFIG`; the bootstrap reads nxt's modules from
fd 3 and calls `main`. Modes:
  serve      the fork-server: JSON-line requests on fd 3, answers on fd 4. Before it reads any request
             it forks the zygote (zygote.py), which forks every child, so no child ever holds what the
             server has seen. The server plans each job's tests (seal.py), drives the children
             (supervisor.py) and compares sealed results itself.
  inprocess  benchmark baseline only: same protocol, programs run in this process with no isolation.
  once       benchmark baseline only: one request on stdin, the answer on stdout.
"""

import collections
import gc
import json
import marshal
import os
import sys

# Modules most programs import, loaded here so that forked children get them for free.
# Only light ones: every preloaded page makes each fork dearer (measured: bench/exec.ts, DESIGN.md §3).
# Not threading: importing it registers an at-fork handler that costs every fork ~130 page faults.
PRELOAD = ("math", "re", "collections", "itertools", "functools", "heapq", "bisect", "string", "typing",
           "operator", "copy")
for _name in PRELOAD:
    try:
        __import__(_name)
    except ImportError:
        pass

from nxt import baseline, entry_points, harness, jail, mutate, plain, seal, supervisor, syscalls, zygote  # noqa: E402

PROTO_IN = 3
PROTO_OUT = 4
PLAN_CACHE_BYTES = 256 * 1024 * 1024
# An answer is one JSON line nxt reads as one string: well under what it accepts (fork-server.ts).
ANSWER_BYTES = 192 * 1024 * 1024
_dumps = json.dumps


class PlanCache:
    """Plans by test set, so a task's tests are parsed (and its EvalPlus literals read) once per server."""

    def __init__(self, capacity=PLAN_CACHE_BYTES):
        self.capacity = capacity
        self.size = 0
        self.entries = collections.OrderedDict()

    @staticmethod
    def _key(request):
        material = marshal.dumps((request["tests"], request.get("entryPoint"), request.get("reference"),
                                  bool(request.get("sealing", True)), request.get("entryPoints") or []))
        return plain.digest(material), len(material)

    def plans(self, request):
        key, weight = self._key(request)
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
            return entry[0]
        plans = seal.plan_tests(request["tests"], request.get("entryPoint"), request.get("reference"),
                                bool(request.get("sealing", True)), request.get("entryPoints") or ())
        self.entries[key] = (plans, weight)
        self.size += weight
        while self.size > self.capacity and len(self.entries) > 1:
            _, (_, dropped) = self.entries.popitem(last=False)
            self.size -= dropped
        return plans

    def mark_statement(self, request, index):
        """A runner test that turned out to pass objects: later jobs run it as a statement at once."""
        entry = self.entries.get(self._key(request)[0])
        if entry is not None:
            plans = entry[0]
            plans[index] = seal.Statement(plans[index].source, "an argument is not plain data")


def split_statements(source):
    """Top-level statements of `source` as source text (parsing only: nothing is executed)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        line = exc.lineno if type(exc.lineno) is int else None
        return {"error": "%s (line %s)" % (exc.msg, line), "line": line}
    except (ValueError, RecursionError, MemoryError) as exc:
        return {"error": "%s: %s" % (type(exc).__name__, exc), "line": None}
    statements = []
    for node in tree.body:
        text = ast.get_source_segment(source, node)
        decorators = getattr(node, "decorator_list", None) or []
        if decorators:
            text = "".join("@%s\n" % ast.get_source_segment(source, d) for d in decorators) + text
        statements.append(text)
    return {"statements": statements}


def read_requests(fd):
    """JSON lines from `fd`; linear in the input (a huge request is never rescanned per chunk)."""
    pending = []
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except InterruptedError:
            continue
        if not chunk:
            return
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            if newline < 0:
                pending.append(chunk[start:])
                break
            pending.append(chunk[start:newline])
            line = b"".join(pending)
            pending = []
            start = newline + 1
            if line.strip():
                yield json.loads(line)


def answer_line(message):
    """A message as one JSON line. Raises ValueError for a NaN or an infinity (JSON has neither, and
    nxt would not read the line) or a line over ANSWER_BYTES."""
    data = (_dumps(message, allow_nan=False) + "\n").encode()
    if len(data) > ANSWER_BYTES:
        raise ValueError("the answer would be %d bytes, over the %d an answer may have" % (len(data), ANSWER_BYTES))
    return data


def send(fd, message):
    write(fd, answer_line(message))


def write(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def hello():
    return {"op": "hello", "python": sys.version, "versionInfo": list(sys.version_info[:3]),
            "executable": sys.executable, "pid": os.getpid(), "uid": os.getuid()}


def _probe_children(config):
    """Tries once what the zygote will do for every child; the hello says what works (None) or why not."""
    found = {"programPidNamespace": None, "programNamespaces": None, "syscallFilter": None}
    if config.get("programPidNamespace"):
        found["programPidNamespace"] = jail.probe_own_pid_namespace()
        config["pidNamespace"] = found["programPidNamespace"] is None
    if config.get("programNamespaces"):
        # Everything but each child's own /tmp and /dev/shm is read-only and nosuid for programs: sealed
        # once here, or in each child's own mount namespace where the kernel refuses it here (the
        # server's mounts can belong to a user namespace above ours, as under bubblewrap as non-root).
        scratch = config["programScratch"]
        try:
            jail.seal_mounts()
        except OSError:
            scratch["seal"] = True
        found["programNamespaces"] = jail.probe_program_namespaces(scratch)
        config["programNamespaces"] = found["programNamespaces"] is None
    if config.get("syscallFilter"):
        syscalls.prepare()
        found["syscallFilter"] = syscalls.probe()
        config["syscallFilter"] = found["syscallFilter"] is None
    return found


def serve(config):
    # Whoever started nxt keeps their session keyring; the sandbox's processes start from an empty one.
    jail.new_session_keyring()
    found = _probe_children(config)
    harness.prepare()
    client = zygote.ZygoteClient(config)  # before any request: its memory must never hold one
    zygote._prctl(4, 0)  # PR_SET_DUMPABLE 0: the programs' uid must not read or trace the server
    judge = supervisor.Supervisor(client, PlanCache())
    message = hello()
    message["childUid"] = config.get("childUid")
    message["zygotePid"] = client.pid
    message.update(found)
    send(PROTO_OUT, message)
    gc.collect()
    try:
        for request in read_requests(PROTO_IN):
            if not _answer(judge, request):
                return
    finally:
        client.close()


def _answer(judge, request):
    op = request.get("op")
    if op == "exit":
        return False
    try:
        if op == "judge":
            result = judge.judge(request)
        elif op == "plan":
            plans = seal.plan_tests(request["tests"], request.get("entryPoint"), request.get("reference"), True,
                                    request.get("entryPoints") or ())
            result = [{"kind": plan.kind, "reason": getattr(plan, "reason", None)} for plan in plans]
        elif op == "entry-points":
            result = entry_points.infer(request["program"], request["tests"])
        elif op == "split":
            result = split_statements(request["source"])
        elif op == "mutate":
            result = mutate.mutants(request["source"])
        elif op == "normalize":
            result = [mutate.normalize(item) for item in request["sources"]]
        elif op == "ping":
            result = "pong"
        else:
            raise ValueError("unknown request %r" % (op,))
        data = answer_line({"id": request["id"], "ok": True, "result": result})
    except zygote.ZygoteGone as exc:
        # Nothing can be judged without the zygote: exit, so nxt starts a new server and retries.
        sys.stderr.write("nxt: the zygote died (%s)\n" % exc)
        os._exit(3)
    except Exception as exc:  # a fault of the judge itself, reported to nxt
        error = ("%s: %s" % (type(exc).__name__, exc))[:2000]
        data = answer_line({"id": request.get("id"), "ok": False, "error": error})
    write(PROTO_OUT, data)
    return True


def main(argv):
    mode = argv[0] if argv else "serve"
    config = json.loads(argv[1]) if len(argv) > 1 else {}
    if config.get("namespaces"):
        if mode == "probe":
            try:
                jail.enter(config["namespaces"])
            except OSError as exc:
                send(1, {"ok": False, "error": str(exc)})
                return
            send(1, {"ok": True, "uid": os.getuid(), "pid": os.getpid()})
            return
        jail.enter(config["namespaces"])
    if mode == "serve":
        serve(config)
    elif mode == "inprocess":
        baseline.serve_in_process(read_requests, send, hello)
    elif mode == "once":
        baseline.once(send)
    else:
        sys.stderr.write("unknown mode %s\n" % mode)
        sys.exit(2)
