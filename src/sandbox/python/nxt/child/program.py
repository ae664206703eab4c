"""The child: sets itself up, loads one program, then carries out the server's commands.

A child is forked by the zygote (zygote.py) before any job exists, so its memory holds no test, no
expected value and no other program. It learns its job from fd 4 and answers on fd 3 (frames.py):
  call / cases   call a program function with plain-data arguments; send the result as plain data
                 (the server compares it: expected values never come here)
  callraw        the same for a call forwarded from the test process (the runner)
  stmt           run one test statement here (a test that could not be sealed), with pristine builtins
  trace          run one test statement under the tracer (tracer.py) and stream the trace; with
                 "phase": "load" in its config the statement is a program, run as `<program>` (the
                 child then holds an empty program: this is how a program that fails to load is traced)
A child forked as a runner holds the reference solution and runs test statements itself, forwarding
each call of the entry point to the program's child through the server (see `run_runner`).
"""

import builtins
import fcntl
import json
import marshal
import os
import resource
import sys
import time

from nxt.child import tracer
from nxt.isolation.libc import PR_SET_DUMPABLE, prctl
from nxt.protocol import frames, plain

RESULT_FD = 3
JOB_FD = 4
BROKEN_CHANNEL_EXIT = 86
MESSAGE_CHARS = 2000
DEFAULT_VALUE_LIMIT = 64 * 1024 * 1024

# Captured before any program runs: what a program rebinds later cannot change how the child reports.
_write = os.write
_read = os.read
_perf = time.perf_counter
_loads = marshal.loads
_dumps = marshal.dumps
_json = json.dumps
_BaseException = BaseException
_AssertionError = AssertionError
_settrace = sys.settrace
_setprofile = sys.setprofile
_gettrace = sys.gettrace
_getprofile = sys.getprofile
_compile = compile
_exec = exec
_len = len
_isinstance = isinstance
_type = type
_str = str
_encode = plain.encode
_NotPlain = plain.NotPlain
_TooLarge = plain.TooLarge
_digest_pack = plain.DIGEST.pack
_header_pack = frames.HEADER.pack
_MISSING = object()
_dict_clear = dict.clear
_dict_update = dict.update
_dict_setitem = dict.__setitem__
_dict_get = dict.get
_BUILTINS_MODULE = builtins
_WRAPPERS = {name: getattr(builtins, name) for name in (
    "list", "tuple", "set", "frozenset", "sorted", "dict", "str", "repr", "len", "bool", "int", "float", "sum",
    "min", "max", "any", "all", "abs", "round")}


def _truth_of(value):
    """bool(value) for what a test may only check the truth of: plain data, the standard library
    containers plain.encode accepts, and regex matches. An object of another class (its __bool__ is
    the program's to choose) is not plain data."""
    kind = _type(value)
    if kind in _TRUTH_TYPES:
        return _bool(value)
    plain.encode(value, 1 << 30)  # raises NotPlain with the reason, or accepts a Counter, a namedtuple...
    return _bool(value)


def _not_none(value):
    """EvalPlus's "not None" oracle: a bool as it is, anything else as whether it is None."""
    if value is None or _type(value) is bool:
        return value if value is not None else False
    _truth_of(value)
    return True


def _none_flag(value):
    if value is None:
        return None
    _truth_of(value)
    return True


_WRAPPERS["bool"] = _truth_of
_WRAPPERS["__not_none__"] = _not_none
_WRAPPERS["__none_flag__"] = _none_flag
_STATUS = frames.STATUS_NUMBERS
_bool = bool
_TRUTH_TYPES = frozenset((type(None), bool, int, float, complex, str, bytes, tuple, list, dict, set, frozenset,
                          type(__import__("re").match("", ""))))


class Reporter:
    """Writes each record at once: the next call may hang, and the server must already know this one
    (which test timed out, and that the one before it failed, depend on it)."""

    def __init__(self, nonce):
        self.nonce = nonce

    def record(self, kind, test=0, case=0, payload=b"", ms=0.0):
        data = _header_pack(self.nonce, kind, test, case, _len(payload), ms) + payload
        view = memoryview(data)
        while view:
            written = _write(RESULT_FD, view)
            view = view[written:]



class Commands:
    """Reads the server's length-prefixed commands from fd 4."""

    def __init__(self):
        self.buffer = b""
        self.offset = 0

    def next(self):
        """The next command, or None at the end of the job (the server closed the pipe)."""
        size = frames.COMMAND_LENGTH.size
        while True:
            available = _len(self.buffer) - self.offset
            if available >= size:
                (length,) = frames.COMMAND_LENGTH.unpack_from(self.buffer, self.offset)
                if available >= size + length:
                    start = self.offset + size
                    self.offset = start + length
                    return _loads(self.buffer[start:self.offset])
            chunk = _read(JOB_FD, 1 << 20)
            if not chunk:
                return None
            self.buffer = self.buffer[self.offset:] + chunk
            self.offset = 0


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


def describe_exception(exc):
    tb = exc.__traceback__
    line = None
    source = None
    try:
        while tb is not None:
            name = tb.tb_frame.f_code.co_filename
            if name == "<program>" or name.startswith("<test"):
                line = tb.tb_lineno
                source = "program" if name == "<program>" else "test"
            tb = tb.tb_next
        if _isinstance(exc, SyntaxError) and _isinstance(exc.filename, _str) and exc.filename.startswith("<"):
            line = exc.lineno if _type(exc.lineno) is int else None  # a syntax error has no frame of its own
            source = "program" if exc.filename == "<program>" else "test"
    except _BaseException:
        line = source = None
    return {
        "type": _safe_text(lambda: _type(exc).__name__, 200),
        "message": _safe_text(lambda: _str(exc), MESSAGE_CHARS),
        "line": line if _type(line) is int and 0 < line < 2 ** 31 else None,
        "source": source,
    }


def _info_bytes(info):
    return _dumps(info, plain.VERSION)


class TraceGuard:
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


class Pristine:
    """The builtins as they were before the program: restored before each statement test.

    Made once by the server, before the zygote forks (see `prepare`): taking it in each child would
    touch the reference count of every builtin and copy their pages in every child. Restoring touches
    them too, which is why only builtins are restored (the preloaded modules' dicts as well would cost
    about 350 page faults, 2 ms, per statement test)."""

    def __init__(self):
        self.builtins = tuple(builtins.__dict__.items())
        self.dicts = (builtins.__dict__,)

    def restore(self, namespace):
        # No builtin may be looked up between the clear and the update: the captured methods only.
        target = self.dicts[0]
        _dict_clear(target)
        _dict_update(target, self.builtins)
        _dict_setitem(namespace, "__builtins__", _BUILTINS_MODULE)


PRISTINE = None


def prepare():
    """Called by the server once the modules children share are loaded, before the zygote forks."""
    global PRISTINE, _NXT_MODULES, _NXT_FINDER
    PRISTINE = Pristine()
    _NXT_MODULES = tuple(name for name in sys.modules if name == "nxt" or name.startswith("nxt."))
    # The bootstrap's import hook, which serves nxt from the bundle (none when nxt is a directory).
    finder = getattr(sys.modules["nxt"].__spec__, "loader", None)
    _NXT_FINDER = finder if any(entry is finder for entry in sys.meta_path) else None


_NXT_MODULES = ()
_NXT_FINDER = None


def _hide_harness():
    """The program sees an empty __main__, no nxt modules and cannot import one (they stay reachable
    to a determined program through frames and gc, which is why nothing secret is ever in this
    process). By name: iterating sys.modules would touch every key and copy its page (measured: 88
    page faults)."""
    modules = sys.modules
    modules["__main__"] = _type(sys)("__main__")
    for name in _NXT_MODULES:
        modules.pop(name, None)
    if _NXT_FINDER is not None:
        sys.meta_path[:] = [entry for entry in sys.meta_path if entry is not _NXT_FINDER]


def _set_limits(limits):
    def setlim(kind, value):
        if value is not None:
            resource.setrlimit(kind, (value, value))

    setlim(resource.RLIMIT_CORE, 0)
    setlim(resource.RLIMIT_AS, limits.get("memoryBytes"))
    cpu = limits.get("cpuSeconds")
    if cpu is not None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    setlim(resource.RLIMIT_FSIZE, limits.get("fileSizeBytes"))
    setlim(resource.RLIMIT_NOFILE, limits.get("openFiles"))
    setlim(resource.RLIMIT_NPROC, limits.get("processes"))


def child_main(nonce, job_r, result_w, out_w, err_w, workdir, uid):
    """A pre-forked child: sets itself up, waits for its one job, runs it, exits.

    Until the job arrives it keeps the zygote's uid, so a program running meanwhile under the slot's
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
        os.dup2(result_w, RESULT_FD)
        os.dup2(job_r, JOB_FD)
        os.closerange(JOB_FD + 1, 1 << 20)
        if os.environ:  # nxt starts the server with an empty environment; clearing costs page faults
            os.environ.clear()
        sys.argv[:] = [""]
        commands = Commands()
        header = commands.next()
        if header is None:  # the server is shutting down
            os._exit(0)
        if not header.get("captureOutput", True):
            os.dup2(0, 1)
            os.dup2(0, 2)
        if uid is not None:
            os.chown(workdir, uid, uid)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        _set_limits(header.get("limits", {}))
        reporter = Reporter(nonce)
        if header.get("role") == "runner":
            prctl(PR_SET_DUMPABLE, 0)  # the program's process runs under the same uid: it must not read us
            run_runner(header, commands, reporter)
        else:
            run_program(header, commands, reporter)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except _BaseException:
                pass
        reporter.record(frames.DONE)
    except _BaseException:
        code = BROKEN_CHANNEL_EXIT
        try:  # what went wrong, on the program's stderr (the verdict shows it)
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
        except _BaseException:
            pass
    os._exit(code)


# ---------------------------------------------------------------------------------------------
# The program's process.
# ---------------------------------------------------------------------------------------------

class _Program:
    def __init__(self, header, reporter):
        self.reporter = reporter
        self.namespace = {"__name__": "__solution__", "__builtins__": builtins}
        self.limit = header.get("maxValueBytes", DEFAULT_VALUE_LIMIT)
        self.pristine = PRISTINE if PRISTINE is not None else Pristine()
        self.guard = TraceGuard().install() if header.get("guardTracing", True) else None
        self.source = header["program"]

    def load(self):
        t0 = _perf()
        try:
            _exec(_compile(self.source, "<program>", "exec"), self.namespace)
        except _BaseException as exc:  # SystemExit and KeyboardInterrupt included on purpose
            self.reporter.record(frames.PROGRAM_ERROR, payload=_info_bytes(describe_exception(exc)),
                                 ms=(_perf() - t0) * 1000)
            return False
        self.reporter.record(frames.PROGRAM_OK, ms=(_perf() - t0) * 1000)
        return True

    def function(self, name):
        value = _dict_get(self.namespace, name, _MISSING)
        if value is _MISSING:
            value = _dict_get(self.pristine.dicts[0], name, _MISSING)
        if value is _MISSING:
            raise NameError("name '%s' is not defined" % name)
        return value

    def call(self, test, case, name, args, kwargs, wrapper):
        _settrace(None)
        _setprofile(None)
        reporter = self.reporter
        t0 = _perf()
        try:
            value = _invoke(self.function(name), args, kwargs); _settrace(None); _setprofile(None)  # noqa: E702
            if wrapper is not None:
                value = _invoke(_WRAPPERS[wrapper[0]], (value,) + wrapper[1], wrapper[2]); _settrace(None)  # noqa: E702
        except _NotPlain as why:  # a wrapper refused the result: it is not something a test may check
            _settrace(None)
            reporter.record(frames.NOT_PLAIN, test, case, _safe_text(lambda: _str(why), 500).encode(),
                            (_perf() - t0) * 1000)
            return
        except _BaseException as exc:
            _settrace(None)
            _setprofile(None)
            info = describe_exception(exc)
            reporter.record(frames.RAISED, test, case, _info_bytes(info), (_perf() - t0) * 1000)
            return
        ms = (_perf() - t0) * 1000
        send_value(reporter, test, case, value, self.limit, ms)

    def statement(self, test, source):
        self.pristine.restore(self.namespace)
        _settrace(None)
        _setprofile(None)
        guard = self.guard
        if guard is not None:
            guard.used = False
        t0 = _perf()
        status = "pass"
        info = None
        try:
            _exec(_compile(source, "<test %d>" % test, "exec"), self.namespace)
        except _AssertionError as exc:
            status, info = "fail", describe_exception(exc)
        except _BaseException as exc:
            status, info = "error", describe_exception(exc)
        ms = (_perf() - t0) * 1000
        tampered = guard is not None and guard.used
        if status == "pass" and (tampered or _gettrace() is not None or _getprofile() is not None):
            # A program that installs a tracer can jump over the lines of a test; never a pass.
            status = "error"
            info = {"type": "TamperError", "line": None, "source": None,
                    "message": "the program installed a trace or profile function during the test"}
        self.reporter.record(frames.TEST_END, test, _STATUS[status], _info_bytes(info) if info else b"", ms)

    def traced(self, test, source, config):
        reporter = self.reporter
        limits = tracer.limits(config)
        room = [limits["bytes"]]

        def flush(record):
            """Sends a chunk (False: it would pass what the server reads of a trace, and is dropped) or
            the closing record."""
            data = _json(record).encode()
            if record.get("k") != "trace":
                reporter.record(frames.TRACE_END, test, 0, data)
                return True
            if _len(data) > room[0] or data.count(b"[") + data.count(b"{") > limits["containers"]:
                return False
            room[0] -= _len(data)
            reporter.record(frames.TRACE, test, 0, data)
            return True

        if config.get("phase") == "load":
            filename = "<program>"
            sources = {filename: _lines(source)}
        else:
            filename = "<test %d>" % test
            sources = {"<program>": _lines(self.source), filename: _lines(source)}
        self.pristine.restore(self.namespace)
        t0 = _perf()
        exc, closing = tracer.trace_test(self.namespace, source, filename, config, sources, flush)
        ms = (_perf() - t0) * 1000
        if exc is None:
            status, info = "pass", None
        elif _isinstance(exc, _AssertionError):
            status, info = "fail", describe_exception(exc)
        else:
            status, info = "error", describe_exception(exc)
        if self.guard is not None and self.guard.used and status == "pass":
            status = "error"
            info = {"type": "TamperError", "line": None, "source": None,
                    "message": "the program installed a trace or profile function during the test"}
        if closing is not None:
            flush(closing)
        reporter.record(frames.TEST_END, test, _STATUS[status], _info_bytes(info) if info else b"", ms)


# One line: a tracer the program installs on its caller's frame (this one) gets no line event here,
# and the caller turns tracing off on the line the call returns to.
def _invoke(function, args, kwargs): return function(*args, **kwargs)  # noqa: E704


def send_value(reporter, test, case, value, limit, ms):
    try:
        data = _encode(value, limit)
    except _TooLarge as large:
        reporter.record(frames.VALUE_DIGEST, test, case, _digest_pack(large.size, large.digest), ms)
        return
    except _NotPlain as why:
        reporter.record(frames.NOT_PLAIN, test, case, _safe_text(lambda: _str(why), 500).encode(), ms)
        return
    except _BaseException:
        reporter.record(frames.NOT_PLAIN, test, case, b"returned a value that could not be read", ms)
        return
    reporter.record(frames.VALUE, test, case, data, ms)


def _lines(text):
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def run_program(header, commands, reporter):
    program = _Program(header, reporter)
    _hide_harness()
    if not program.load():
        return
    while True:
        command = commands.next()
        if command is None:
            return
        op = command[0]
        if op == "call":
            _, test, case, name, args, kwargs, wrapper = command
            program.call(test, case, name, args, kwargs, wrapper)
        elif op == "cases":
            _, test, first, name, wrapper, inputs = command
            for offset, args in enumerate(inputs):
                program.call(test, first + offset, name, args, {}, wrapper)
        elif op == "callraw":
            _, test, case, name, payload = command
            args, kwargs = _loads(payload)
            program.call(test, case, name, args, kwargs, None)
        elif op == "stmt":
            program.statement(command[1], command[2])
        elif op == "trace":
            program.traced(command[1], command[2], command[3])


# ---------------------------------------------------------------------------------------------
# The test process (runner).
# ---------------------------------------------------------------------------------------------

class _Unsealable(BaseException):
    """A test passed a value that is not plain data: it has to run in the program's process."""


class _NotPlainResult(BaseException):
    """The program returned something that cannot cross: the test fails."""


class _ProgramGone(BaseException):
    pass


class _Calls:
    """The sequence numbers of one runner test's calls, shared by the stand-ins of every function."""

    def __init__(self):
        self.sequence = 0


class _Remote:
    """Stands for one of the program's functions inside the test process: each call goes to the
    program's child as plain data (CALL record: a 2-byte index into the job's functions, then the
    marshalled arguments), and the answer comes back as plain data."""

    def __init__(self, name, index, test, commands, reporter, calls):
        self.__name__ = name
        self.index = index.to_bytes(2, "little")
        self.test = test
        self.commands = commands
        self.reporter = reporter
        self.calls = calls
        self.unsealable = False

    def __call__(self, *args, **kwargs):
        try:
            payload = plain.encode((args, kwargs), DEFAULT_VALUE_LIMIT)
        except (plain.NotPlain, plain.TooLarge):
            self.unsealable = True
            raise _Unsealable()
        self.calls.sequence += 1
        sequence = self.calls.sequence
        self.reporter.record(frames.CALL, self.test, sequence, self.index + payload)
        reply = self.commands.next()
        if reply is None or reply[0] != "reply" or reply[1] != sequence:
            raise _ProgramGone()
        kind, data = reply[2], reply[3]
        if kind == "value":
            return _loads(data)
        if kind == "raised":
            raise _rebuild(_loads(data))
        raise _NotPlainResult("%s %s" % (self.__name__, data.decode("utf-8", "replace")))


def _rebuild(info):
    kind = getattr(builtins, str(info.get("type")), None)
    if not (_isinstance(kind, type) and issubclass(kind, BaseException)) or issubclass(kind, (SystemExit,
                                                                                             KeyboardInterrupt)):
        kind = RuntimeError
    try:
        return kind(info.get("message", ""))
    except Exception:
        return RuntimeError(info.get("message", ""))


def run_runner(header, commands, reporter):
    entries = header.get("entries") or [header["entry"]]
    base = {"__name__": "__nxt_test__", "__builtins__": builtins}
    reference = header.get("reference")
    t0 = _perf()
    if reference:
        try:
            _exec(_compile(reference, "<reference>", "exec"), base)
        except BaseException as exc:
            reporter.record(frames.PROGRAM_ERROR, payload=_info_bytes(describe_exception(exc)))
            return
    reporter.record(frames.PROGRAM_OK, ms=(_perf() - t0) * 1000)
    while True:
        command = commands.next()
        if command is None:
            return
        if command[0] == "rtest":
            _runner_test(base, entries, command[1], command[2], commands, reporter)
        elif command[0] == "compute":
            _, test, name, inputs = command
            _compute(base, test, name, inputs, reporter)


def _runner_test(base, entries, test, source, commands, reporter):
    namespace = dict(base)
    calls = _Calls()
    remotes = [_Remote(name, index, test, commands, reporter, calls) for index, name in enumerate(entries)]
    for remote in remotes:
        namespace[remote.__name__] = remote
    t0 = _perf()
    status, info = "pass", None
    try:
        exec(compile(source, "<test %d>" % test, "exec"), namespace)
    except _ProgramGone:
        raise
    except _Unsealable:
        status = "unsealable"
    except _NotPlainResult as why:
        status, info = "fail", {"type": "AssertionError", "message": str(why), "line": None, "source": None}
    except AssertionError as exc:
        status, info = "fail", describe_exception(exc)
    except BaseException as exc:
        status, info = "error", describe_exception(exc)
    if any(remote.unsealable for remote in remotes):
        status, info = "unsealable", None
    ms = (_perf() - t0) * 1000
    reporter.record(frames.TEST_END, test, _STATUS[status], _info_bytes(info) if info else b"", ms)


def _compute(base, test, name, inputs, reporter):
    """Expected outputs from a reference function (EvalPlus tasks whose outputs are not stored)."""
    function = base[name]
    for case, args in enumerate(inputs):
        t0 = _perf()
        try:
            value = function(*args)
        except BaseException as exc:
            reporter.record(frames.RAISED, test, case, _info_bytes(describe_exception(exc)), (_perf() - t0) * 1000)
            continue
        send_value(reporter, test, case, value, DEFAULT_VALUE_LIMIT, (_perf() - t0) * 1000)
        value = None
