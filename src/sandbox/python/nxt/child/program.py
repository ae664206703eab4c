"""The program's process (untrusted: the program runs here): loads one program, then carries out the
server's commands, read from JOB_FD (protocol/frames.py), answering on RESULT_FD:
  call / cases   call a program function with plain-data arguments; send the result as plain data
                 (the server compares it: expected values never come here)
  callraw        the same for a call forwarded from the test process (child/runner.py)
  stmt           run one test statement here (a test that could not be sealed), with pristine builtins
  trace          run one test statement under the tracer (tracer.py) and stream the trace; with
                 "phase": "load" in its config the statement is a program, run as `<program>` (the
                 child then holds an empty program: this is how a program that fails to load is traced)
What this module calls is bound before any program runs (as in channel.py): what a program rebinds
later cannot change how the child reports. A program can still reach this code through frames and gc,
which is why nothing secret is ever in this process.
"""

import builtins
import json
import marshal
import sys
import time

from nxt.child import tracer
from nxt.protocol import traces
from nxt.child.channel import describe_exception, info_bytes, safe_text, send_value
from nxt.protocol import frames, plain

_perf = time.perf_counter
_loads = marshal.loads
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
_NotPlain = plain.NotPlain
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


class _Program:
    def __init__(self, header, reporter):
        self.reporter = reporter
        self.namespace = {"__name__": "__solution__", "__builtins__": builtins}
        self.limit = header.get("maxValueBytes", frames.MAX_PAYLOAD)
        self.pristine = PRISTINE if PRISTINE is not None else Pristine()
        self.guard = TraceGuard().install() if header.get("guardTracing", True) else None
        self.source = header["program"]

    def load(self):
        t0 = _perf()
        try:
            _exec(_compile(self.source, "<program>", "exec"), self.namespace)
        except _BaseException as exc:  # SystemExit and KeyboardInterrupt included on purpose
            self.reporter.record(frames.PROGRAM_ERROR, payload=info_bytes(describe_exception(exc)),
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
            reporter.record(frames.NOT_PLAIN, test, case, safe_text(lambda: _str(why), frames.REASON_CHARS).encode(),
                            (_perf() - t0) * 1000)
            return
        except _BaseException as exc:
            _settrace(None)
            _setprofile(None)
            info = describe_exception(exc)
            reporter.record(frames.RAISED, test, case, info_bytes(info), (_perf() - t0) * 1000)
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
        self.reporter.record(frames.TEST_END, test, _STATUS[status], info_bytes(info) if info else b"", ms)

    def traced(self, test, source, config):
        reporter = self.reporter
        limits = traces.limits(config)
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
        reporter.record(frames.TEST_END, test, _STATUS[status], info_bytes(info) if info else b"", ms)


# One line: a tracer the program installs on its caller's frame (this one) gets no line event here,
# and the caller turns tracing off on the line the call returns to.
def _invoke(function, args, kwargs): return function(*args, **kwargs)  # noqa: E704


def _lines(text):
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def run(header, commands, reporter):
    """The program's process: loads the program, then runs the server's commands until the job ends."""
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
