"""nxt sandbox server: judges untrusted Python programs against test statements.

Started by nxt as `python3 -I -S -c <this file's text> MODE`. Modes:
  serve      fork-server: requests on fd 3, responses on fd 4 (JSON lines). Each program runs in a
             forked child with its own session, resource limits, scrubbed environment, empty working
             directory and (when the server is root) an unprivileged uid. The server enforces every
             deadline from outside the child and kills the child's whole process group.
  inprocess  benchmark baseline only: same protocol, programs run in this process with no isolation.
  once       benchmark baseline only: one request on stdin, the response on stdout.

Child -> server records travel on a private pipe (fd 3 in the child), one per line, prefixed with a
random per-child nonce so that anything else written there is detected as tampering.
"""

import builtins
import fcntl
import gc
import json
import os
import re
import resource
import select
import signal
import sys
import time

# Modules most programs import, loaded once here so that forked children get them for free.
# Only light ones: every preloaded page makes each fork dearer (measured: bench/exec.ts, DESIGN.md §3).
PRELOAD = (
    "math", "re", "collections", "itertools", "functools", "heapq", "bisect", "string", "typing",
    "operator", "copy",
)
# Not threading: importing it registers an at-fork handler that costs every fork ~130 page faults.
for _name in PRELOAD:
    try:
        __import__(_name)
    except ImportError:
        pass

PROTO_IN = 3
PROTO_OUT = 4
CHILD_RESULT_FD = 3
CHILD_JOB_FD = 4
MESSAGE_CHARS = 2000
SWEEP_ROUNDS = 200
EXIT_GRACE_S = 0.2
DRAIN_READS = 64
# The child exits with this code when it can no longer report (its result channel was closed or broken).
BROKEN_CHANNEL_EXIT = 86

# Captured before any program runs, so that monkeypatching modules cannot change how we report.
_write = os.write
_dumps = json.dumps
_perf = time.perf_counter
_BaseException = BaseException
_AssertionError = AssertionError
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_settrace = sys.settrace
_setprofile = sys.setprofile
_gettrace = sys.gettrace
_getprofile = sys.getprofile
# The harness runs in the program's process after the program: it must not look up builtins the
# program can replace (builtins.len = ..., and so on).
_compile = compile
_exec = exec
_len = len
_range = range
_isinstance = isinstance
_type = type
_str = str


# --------------------------------------------------------------------------------------------
# The harness: runs inside the child (or in-process for the baselines). Emits records.
# --------------------------------------------------------------------------------------------

def _safe_text(fn, limit):
    try:
        text = fn()
        if not _isinstance(text, _str):
            text = _str(text)
    except _BaseException:  # a __str__ that raises must not break judging
        return "<unprintable>"
    if _len(text) > limit:
        return text[:limit] + "..."
    return text


def _describe_exception(exc):
    tb = exc.__traceback__
    line = None
    source = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name == "<program>" or name.startswith("<test"):
            line = tb.tb_lineno
            source = "program" if name == "<program>" else "test"
        tb = tb.tb_next
    if _isinstance(exc, SyntaxError) and _isinstance(exc.filename, _str) and exc.filename.startswith("<"):
        # A syntax error has no frame of its own: its place is in the exception.
        line = exc.lineno
        source = "program" if exc.filename == "<program>" else "test"
    return {
        "type": _safe_text(lambda: _type(exc).__name__, 200),
        "message": _safe_text(lambda: _str(exc), MESSAGE_CHARS),
        "line": line,
        "source": source,
    }


class _TraceGuard:
    """Notices a program that installs a trace or profile function: one can jump over a test's lines."""

    def __init__(self):
        self.used = False

    def install(self):
        # threading.settrace/setprofile reach new threads through sys.settrace/sys.setprofile.
        guard = self
        for name in ("settrace", "setprofile"):
            original = getattr(sys, name)

            def wrapped(function, _original=original):
                if function is not None:
                    guard.used = True
                return _original(function)

            setattr(sys, name, wrapped)
        return self


def run_harness(job, start, emit, propagate=()):
    """Runs the program, then tests[start:], emitting records. Raises only the `propagate` types."""
    tests = job["tests"]
    count = _len(tests)
    stop_first = job.get("stopAtFirstFailure", False)
    namespace = {"__name__": "__solution__", "__builtins__": builtins}
    guard = _TraceGuard().install() if job.get("guardTracing", True) else None
    t0 = _perf()
    try:
        _exec(_compile(job["program"], "<program>", "exec"), namespace)
        emit({"k": "program", "status": "ok", "ms": (_perf() - t0) * 1000})
    except _BaseException as exc:  # SystemExit and KeyboardInterrupt included on purpose
        if _isinstance(exc, propagate):
            raise
        emit({"k": "program", "status": "error", "ms": (_perf() - t0) * 1000,
              "exception": _describe_exception(exc)})
        return
    trace = job.get("trace")
    if trace is not None:
        _run_traced(job, namespace, trace, emit, guard)
        return
    for index in _range(start, count):
        _settrace(None)
        _setprofile(None)
        if guard is not None:
            guard.used = False
        emit({"k": "start", "i": index})
        t0 = _perf()
        status = "pass"
        exception = None
        try:
            _exec(_compile(tests[index], "<test %d>" % index, "exec"), namespace)
        except _AssertionError as exc:
            status, exception = "fail", _describe_exception(exc)
        except _BaseException as exc:
            if _isinstance(exc, propagate):
                raise
            status, exception = "error", _describe_exception(exc)
        ms = (_perf() - t0) * 1000
        tampered = guard is not None and guard.used
        if status == "pass" and (tampered or _gettrace() is not None or _getprofile() is not None):
            # A program that installs a tracer can jump over the lines of a test; never a pass.
            status = "error"
            exception = {"type": "TamperError", "line": None, "source": None,
                         "message": "the program installed a trace or profile function during the test"}
        emit({"k": "end", "i": index, "status": status, "ms": ms, "exception": exception})
        if stop_first and status != "pass":
            break


def _outcome(exc):
    if exc is None:
        return "pass", None
    if _isinstance(exc, _AssertionError):
        return "fail", _describe_exception(exc)
    return "error", _describe_exception(exc)


def _source_lines(text):
    return _LINE_BREAK.split(text)


def _run_traced(job, namespace, trace, emit, guard):
    """Runs one test under the tracer (tracer.py); its trace goes out in chunks before the test's end."""
    index = trace["testIndex"]
    test = job["tests"][index]
    sources = {"<program>": _source_lines(job["program"]), "<test %d>" % index: _source_lines(test)}
    emit({"k": "start", "i": index})
    t0 = _perf()
    exc, closing = trace_test(namespace, test, index, trace, sources, emit)
    ms = (_perf() - t0) * 1000
    status, exception = _outcome(exc)
    if guard is not None and guard.used and status == "pass":
        status = "error"
        exception = {"type": "TamperError", "line": None, "source": None,
                     "message": "the program installed a trace or profile function during the test"}
    if closing is not None:
        emit(closing)
    emit({"k": "end", "i": index, "status": status, "ms": ms, "exception": exception})


# --------------------------------------------------------------------------------------------
# The child: isolation setup, then the harness.
# --------------------------------------------------------------------------------------------

def _set_limits(limits):
    def setlim(kind, value):
        if value is None:
            return
        resource.setrlimit(kind, (value, value))

    setlim(resource.RLIMIT_CORE, 0)
    setlim(resource.RLIMIT_AS, limits.get("memoryBytes"))
    cpu = limits.get("cpuSeconds")
    if cpu is not None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    setlim(resource.RLIMIT_FSIZE, limits.get("fileSizeBytes"))
    setlim(resource.RLIMIT_NOFILE, limits.get("openFiles"))
    setlim(resource.RLIMIT_NPROC, limits.get("processes"))


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def child_main(nonce, job_r, result_w, out_w, err_w, workdir, uid):
    """A pre-forked child: sets itself up, waits for its one job, runs it, exits.

    Until the job arrives it keeps the server's uid, so a program running meanwhile under the slot's
    unprivileged uid can neither signal nor trace the child that will run the next program.
    """
    code = 0
    try:
        os.setsid()
        os.chdir(workdir)
        # Lift our descriptors above the target numbers first, so no dup2 below overwrites one of them.
        devnull, job_r, result_w, out_w, err_w = (
            fcntl.fcntl(fd, fcntl.F_DUPFD, 16)
            for fd in (os.open("/dev/null", os.O_RDWR), job_r, result_w, out_w, err_w)
        )
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.dup2(result_w, CHILD_RESULT_FD)
        os.dup2(job_r, CHILD_JOB_FD)
        os.closerange(CHILD_JOB_FD + 1, 1 << 20)
        os.environ.clear()
        sys.argv[:] = [""]
        data = _read_all(CHILD_JOB_FD)
        if not data:  # the server is shutting down
            os._exit(0)
        os.close(CHILD_JOB_FD)
        message = json.loads(data)
        job = message["job"]
        if not job.get("captureOutput", True):
            os.dup2(0, 1)
            os.dup2(0, 2)
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        _set_limits(job.get("limits", {}))
        prefix = nonce + b"\t"

        def emit(record):
            _write(CHILD_RESULT_FD, prefix + _dumps(record).encode() + b"\n")

        run_harness(job, message["start"], emit)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except _BaseException:
                pass
        emit({"k": "done"})
    except _BaseException:
        code = BROKEN_CHANNEL_EXIT
    os._exit(code)


class Warm:
    """A forked child waiting for its job, with the server's ends of its pipes."""

    def __init__(self, pid, job_w, result_r, out_r, err_r, workdir, nonce):
        self.pid = pid
        self.job_w = job_w
        self.result_r = result_r
        self.out_r = out_r
        self.err_r = err_r
        self.workdir = workdir
        self.nonce = nonce


# --------------------------------------------------------------------------------------------
# The supervisor: forks children, enforces deadlines, collects records and output.
# --------------------------------------------------------------------------------------------

class Capture:
    def __init__(self, limit):
        self.limit = limit
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk):
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        if len(chunk) > room:
            self.truncated = True

    def text(self):
        return self.data.decode("utf-8", "replace")


class ChildRun:
    def __init__(self):
        self.program = None
        self.tests = {}
        self.running = "program"  # 'program', a test index, or None between tests
        self.ended = None  # done | exited | deadline | test_timeout | violation
        self.violation = None
        self.exit_code = None
        self.signal = None
        self.cpu_limited = False
        self.reaped = False
        self.trace = {"frames": [], "events": [], "end": None}


def _kill_group(pid):
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def _children_of_self():
    pid = os.getpid()
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as handle:
            return [int(x) for x in handle.read().split()]
    except OSError:
        return []


def sweep_orphans(keep=()):
    """Kills and reaps every process that ended up as our child (we are a subreaper)."""
    for _ in range(SWEEP_ROUNDS):
        stray = [p for p in _children_of_self() if p not in keep]
        if not stray:
            return
        for p in stray:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        for p in stray:
            try:
                os.waitpid(p, 0)
            except ChildProcessError:
                pass
    # Reap anything that died meanwhile.
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _enable_subreaper():
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except Exception:
        return False


def _remove_tree(path):
    """Removes what a program left behind, whatever modes it set (we own or override them)."""
    try:
        os.chmod(path, 0o700)
        entries = list(os.scandir(path))
    except OSError:
        entries = []
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                _remove_tree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            pass
    try:
        os.rmdir(path)
    except OSError:
        pass


class Supervisor:
    def __init__(self, config):
        self.uid = config.get("childUid")
        self.workroot = config.get("workRoot") or "/tmp"
        self.subreaper = _enable_subreaper()
        self.spare_dirs = []
        self.warm = None

    def _take_workdir(self):
        if self.spare_dirs:
            return self.spare_dirs.pop()
        path = os.path.join(self.workroot, "nxt-" + os.urandom(6).hex())
        os.mkdir(path, 0o700)
        return path

    def _return_workdir(self, path):
        """Keeps an empty working directory for the next program; removes one the program used."""
        try:
            if not os.listdir(path):
                if self.uid is not None:
                    os.chown(path, 0, 0)
                os.chmod(path, 0o700)
                self.spare_dirs.append(path)
                return
        except OSError:
            pass
        _remove_tree(path)

    def prefork(self):
        """Forks the child for the next program ahead of time, so its fork cost overlaps other work."""
        nonce = os.urandom(12).hex().encode()
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        workdir = self._take_workdir()
        pid = os.fork()
        if pid == 0:
            child_main(nonce, job_r, result_w, out_w, err_w, workdir, self.uid)
        for fd in (job_r, result_w, out_w, err_w):
            os.close(fd)
        self.warm = Warm(pid, job_w, result_r, out_r, err_r, workdir, nonce)

    def shutdown(self):
        warm, self.warm = self.warm, None
        if warm is not None:
            for fd in (warm.job_w, warm.result_r, warm.out_r, warm.err_r):
                os.close(fd)
            _kill_group(warm.pid)
            try:
                os.waitpid(warm.pid, 0)
            except ChildProcessError:
                pass

    def judge(self, job):
        count = len(job["tests"])
        outcomes = [None] * count
        cap = job.get("maxOutputBytes", 16384)
        capture = job.get("captureOutput", True)
        out = Capture(cap) if capture else None
        err = Capture(cap) if capture else None
        started = _perf()
        deadline = started + job["programTimeoutMs"] / 1000.0
        program = None
        problem = None  # why judging could not finish normally, if it could not
        forks = 0
        start = 0
        traced = None
        while True:
            run = self._run_child(job, start, deadline, job["testTimeoutsMs"], out, err)
            forks += 1
            if job.get("trace") is not None:
                traced = run.trace
            for index, record in run.tests.items():
                outcomes[index] = record
            first = program is None
            if first:
                program = run.program or self._failure(run)
            if run.violation:
                problem = run.violation
                break
            if run.ended == "done":
                break
            if run.running == "program":
                if not first:
                    problem = "the program failed when it was run again for the tests after a timeout or exit"
                break
            if run.running is None:
                problem = "the process ended between two tests"
                break
            index = run.running
            outcomes[index] = self._failure(run)
            if run.ended == "deadline" or job.get("stopAtFirstFailure") or index + 1 >= count or traced:
                break
            start = index + 1
        for index in range(count):
            if outcomes[index] is None:
                outcomes[index] = {"status": "not_run", "ms": 0, "exception": None}
        return {
            "program": program,
            "tests": outcomes,
            "stdout": out.text() if out else "",
            "stderr": err.text() if err else "",
            "stdoutTruncated": bool(out and out.truncated),
            "stderrTruncated": bool(err and err.truncated),
            "problem": problem,
            "wallMs": (_perf() - started) * 1000,
            "forks": forks,
            "trace": traced,
        }

    @staticmethod
    def _death(run):
        if run.ended in ("deadline", "test_timeout"):
            return "timeout", None
        if run.signal is not None:
            name = signal.Signals(run.signal).name if run.signal in signal.Signals._value2member_map_ else str(run.signal)
            if run.signal == signal.SIGXCPU or (run.signal == signal.SIGKILL and run.cpu_limited):
                return "timeout", None
            hint = " (a C stack overflow, often from deep recursion)" if run.signal == signal.SIGSEGV else ""
            return "error", {"type": "Crash", "line": None, "source": None,
                             "message": "the process was killed by %s%s" % (name, hint)}
        return "error", {"type": "ProcessExit", "line": None, "source": None,
                         "message": "the program ended the process (exit code %s) before judging finished"
                         % run.exit_code}

    def _failure(self, run):
        status, exception = self._death(run)
        return {"status": status, "ms": 0, "exception": exception}

    def _run_child(self, job, start, deadline, test_timeouts, out, err):
        run = ChildRun()
        if self.warm is None:
            self.prefork()
        child, self.warm = self.warm, None
        if self.uid is not None:
            os.chown(child.workdir, self.uid, self.uid)
        try:
            _send(child.job_w, {"job": job, "start": start})
        except OSError:
            pass  # the child is gone; collecting will say how it ended
        os.close(child.job_w)
        self.prefork()
        limits = job.get("limits", {})
        capture = out is not None
        if not capture:
            os.close(child.out_r)
            os.close(child.err_r)
        try:
            self._collect(run, child.pid, child.nonce, child.result_r, child.out_r if capture else None,
                          child.err_r if capture else None, out, err, deadline, test_timeouts, limits)
        finally:
            for fd in (child.result_r, child.out_r, child.err_r) if capture else (child.result_r,):
                try:
                    os.close(fd)
                except OSError:
                    pass
            _kill_group(child.pid)
            self._reap(run, child.pid, limits)
            if self.subreaper:
                sweep_orphans(keep=(self.warm.pid,))
            self._return_workdir(child.workdir)
        return run

    @staticmethod
    def _reap(run, pid, limits, block=True):
        """Waits for the child; records how it ended unless that is already known. True once reaped."""
        if run.reaped:
            return True
        try:
            waited, status, usage = os.wait4(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            run.reaped = True
            return True
        if waited != pid:
            return False
        run.reaped = True
        cpu = limits.get("cpuSeconds")
        run.cpu_limited = cpu is not None and usage.ru_utime + usage.ru_stime >= cpu
        if os.WIFSIGNALED(status):
            run.signal = os.WTERMSIG(status)
        elif os.WIFEXITED(status):
            run.exit_code = os.WEXITSTATUS(status)
        return True

    def _collect(self, run, pid, nonce, result_r, out_r, err_r, out, err, deadline, test_timeouts, limits):
        streams = {}
        try:
            self._watch(run, pid, nonce, result_r, out_r, err_r, out, err, deadline, test_timeouts, limits, streams)
        finally:
            self._drain(streams)

    def _watch(self, run, pid, nonce, result_r, out_r, err_r, out, err, deadline, test_timeouts, limits, streams):
        poller = select.poll()
        poller.register(result_r, select.POLLIN)
        for fd, capture in ((out_r, out), (err_r, err)):
            if fd is not None:
                streams[fd] = capture
                poller.register(fd, select.POLLIN)
        pending = b""
        test_deadline = None
        prefix = nonce + b"\t"
        while True:
            now = _perf()
            limit = deadline if test_deadline is None else min(deadline, test_deadline)
            if now >= limit:
                run.ended = "deadline" if limit == deadline else "test_timeout"
                return
            events = poller.poll(max(1, int((limit - now) * 1000) + 1))
            for fd, _mask in events:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if fd != result_r:
                    if chunk:
                        streams[fd].add(chunk)
                    else:
                        poller.unregister(fd)
                    continue
                if not chunk:
                    self._result_closed(run, pid, limits)
                    return
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if not line.startswith(prefix):
                        run.ended = "violation"
                        run.violation = "the program wrote to the judge's private result channel"
                        return
                    try:
                        record = json.loads(line[len(prefix):])
                    except ValueError:
                        run.ended = "violation"
                        run.violation = "the judge's result channel carried a malformed record"
                        return
                    test_deadline = self._apply(run, record, test_timeouts, test_deadline)
                    if run.ended is not None:
                        return

    @staticmethod
    def _drain(streams):
        """Reads what the child already printed, without waiting for more (bounded: a writer may never stop)."""
        for fd, capture in streams.items():
            for _ in range(DRAIN_READS):
                ready = select.select([fd], [], [], 0)[0]
                if not ready:
                    break
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                capture.add(chunk)

    def _apply(self, run, record, test_timeouts, test_deadline):
        if not self._valid(record, len(test_timeouts)):
            run.ended = "violation"
            run.violation = "the judge's result channel carried an invalid record"
            return None
        kind = record.get("k")
        if kind == "program":
            run.program = {"status": record["status"], "ms": record["ms"], "exception": record.get("exception")}
            run.running = None
            return None
        if kind == "start":
            index = record["i"]
            run.running = index
            return _perf() + test_timeouts[index] / 1000.0
        if kind == "end":
            run.tests[record["i"]] = {"status": record["status"], "ms": record["ms"],
                                      "exception": record.get("exception")}
            run.running = None
            return None
        if kind == "done":
            run.ended = "done"
            return None
        if kind == "trace":
            run.trace["frames"].extend(record["frames"])
            run.trace["events"].extend(record["events"])
            return test_deadline
        if kind == "trace_end":
            run.trace["end"] = {"truncated": record.get("truncated"), "steps": record.get("steps"),
                                "events": record.get("events")}
            return test_deadline
        run.ended = "violation"
        run.violation = "the judge's result channel carried an unknown record"
        return None

    @staticmethod
    def _valid(record, count):
        if not isinstance(record, dict):
            return False
        kind = record.get("k")
        if kind in ("start", "end"):
            index = record.get("i")
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
                return False
        if kind == "end" and record.get("status") not in ("pass", "fail", "error"):
            return False
        if kind == "program" and record.get("status") not in ("ok", "error"):
            return False
        if kind == "trace":
            return isinstance(record.get("frames"), list) and isinstance(record.get("events"), list)
        return kind in ("program", "start", "end", "done", "trace_end")

    def _result_closed(self, run, pid, limits):
        """The child closed its result channel: it exited, or closed the descriptor itself."""
        give_up = _perf() + EXIT_GRACE_S
        while _perf() < give_up:
            if self._reap(run, pid, limits, block=False):
                run.ended = "exited"
                if run.exit_code == BROKEN_CHANNEL_EXIT:
                    run.ended = "violation"
                    run.violation = "the program closed or broke the judge's private result channel"
                return
            time.sleep(0.0005)
        run.ended = "violation"
        run.violation = "the program closed the judge's private result channel"


# --------------------------------------------------------------------------------------------
# Serving loops.
# --------------------------------------------------------------------------------------------

def split_statements(source):
    """Top-level statements of `source` as source text (parsing only: nothing is executed)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return {"error": "%s (line %s)" % (exc.msg, exc.lineno), "line": exc.lineno}
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


def _read_requests(fd):
    buffer = b""
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except InterruptedError:
            continue
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if line.strip():
                yield json.loads(line)


def _send(fd, message):
    data = (_dumps(message) + "\n").encode()
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _hello():
    return {"op": "hello", "python": sys.version, "versionInfo": list(sys.version_info[:3]),
            "executable": sys.executable, "pid": os.getpid(), "uid": os.getuid()}


def serve(config):
    supervisor = Supervisor(config)
    hello = _hello()
    hello["subreaper"] = supervisor.subreaper
    hello["childUid"] = supervisor.uid
    _send(PROTO_OUT, hello)
    gc.collect()
    gc.freeze()  # children then never touch (and copy) the pages of the server's own objects
    supervisor.prefork()
    try:
        _serve_requests(supervisor)
    finally:
        supervisor.shutdown()


def _serve_requests(supervisor):
    for request in _read_requests(PROTO_IN):
        op = request.get("op")
        if op == "judge":
            try:
                result = supervisor.judge(request)
                _send(PROTO_OUT, {"id": request["id"], "ok": True, "result": result})
            except Exception as exc:  # a fault of the judge itself, reported to nxt
                _send(PROTO_OUT, {"id": request["id"], "ok": False, "error": "%s: %s" % (type(exc).__name__, exc)})
        elif op == "split":
            _send(PROTO_OUT, {"id": request["id"], "ok": True, "result": split_statements(request["source"])})
        elif op == "mutate":
            _send(PROTO_OUT, {"id": request["id"], "ok": True, "result": mutants(request["source"])})
        elif op == "normalize":
            _send(PROTO_OUT, {"id": request["id"], "ok": True, "result": [normalize(item) for item in request["sources"]]})
        elif op == "ping":
            _send(PROTO_OUT, {"id": request["id"], "ok": True, "result": "pong"})
        elif op == "exit":
            return


class _Deadline(BaseException):
    pass


def assemble(records, count, timed_out, wall_ms):
    """Builds the fork-server's result shape from harness records (baselines only)."""
    program = None
    outcomes = [None] * count
    running = "program"
    for record in records:
        kind = record["k"]
        if kind == "program":
            program = {"status": record["status"], "ms": record["ms"], "exception": record.get("exception")}
            running = None
        elif kind == "start":
            running = record["i"]
        elif kind == "end":
            outcomes[record["i"]] = {"status": record["status"], "ms": record["ms"],
                                     "exception": record.get("exception")}
            running = None
    if timed_out:
        timeout = {"status": "timeout", "ms": 0, "exception": None}
        if running == "program":
            program = timeout
        elif running is not None:
            outcomes[running] = timeout
    for index in range(count):
        if outcomes[index] is None:
            outcomes[index] = {"status": "not_run", "ms": 0, "exception": None}
    return {"program": program, "tests": outcomes, "stdout": "", "stderr": "", "stdoutTruncated": False,
            "stderrTruncated": False, "problem": None, "wallMs": wall_ms, "forks": 0}


def _in_process(job):
    """Baseline without isolation: same harness, timeouts by SIGALRM, nothing contained."""
    records = []

    def on_alarm(_sig, _frame):
        raise _Deadline()

    started = _perf()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, job["programTimeoutMs"] / 1000.0)
    timed_out = False
    try:
        run_harness(job, 0, records.append, propagate=(_Deadline,))
    except _Deadline:
        timed_out = True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return assemble(records, len(job["tests"]), timed_out, (_perf() - started) * 1000)


def serve_in_process():
    _send(PROTO_OUT, _hello())
    for request in _read_requests(PROTO_IN):
        if request.get("op") == "exit":
            return
        _send(PROTO_OUT, {"id": request["id"], "ok": True, "result": _in_process(request)})


def once():
    request = json.loads(sys.stdin.read())
    reply = os.dup(1)
    devnull = os.open("/dev/null", os.O_WRONLY)
    os.dup2(devnull, 1)  # the program's own prints must not mix with the reply
    _send(reply, {"id": request.get("id"), "ok": True, "result": _in_process(request)})


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "serve"
    config = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    if mode == "serve":
        serve(config)
    elif mode == "inprocess":
        serve_in_process()
    elif mode == "once":
        once()
    else:
        sys.stderr.write("unknown mode %s\n" % mode)
        sys.exit(2)


main()
