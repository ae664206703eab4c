"""The test process (a runner): trusted code in a forked child that runs under the program's uid.

It holds the reference solution and the tests that are more than one call of the program (decision
0009): it runs each such test itself, and every call of one of the program's functions goes to the
program's process through the server as plain data (a CALL record), the answer coming back as plain
data. Nothing of the program ever runs here, and the program cannot read this process (it is not
dumpable). Forked also to compute expected outputs from a reference function (`compute`), holding
only that function.
"""

import builtins
import marshal
import time

from nxt.child.channel import describe_exception, info_bytes, send_value
from nxt.protocol import frames, plain

_perf = time.perf_counter


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
    program's child as plain data (CALL record: the function's index in the job's list, then the marshalled
    arguments), and the answer comes back as plain data."""

    def __init__(self, name, index, test, commands, reporter, calls):
        self.__name__ = name
        self.index = index.to_bytes(frames.CALL_INDEX_BYTES, "little")
        self.test = test
        self.commands = commands
        self.reporter = reporter
        self.calls = calls
        self.unsealable = False

    def __call__(self, *args, **kwargs):
        try:
            payload = plain.encode((args, kwargs), frames.MAX_PAYLOAD)
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
            return marshal.loads(data)
        if kind == "raised":
            raise _rebuild(marshal.loads(data))
        raise _NotPlainResult("%s %s" % (self.__name__, data.decode("utf-8", "replace")))


def _rebuild(info):
    kind = getattr(builtins, str(info.get("type")), None)
    if not (isinstance(kind, type) and issubclass(kind, BaseException)) or issubclass(kind, (SystemExit,
                                                                                             KeyboardInterrupt)):
        kind = RuntimeError
    try:
        return kind(info.get("message", ""))
    except Exception:
        return RuntimeError(info.get("message", ""))


def run(header, commands, reporter):
    """The test process: loads the reference, then runs the tests and computations it is sent."""
    entries = header.get("entries") or [header["entry"]]
    base = {"__name__": "__nxt_test__", "__builtins__": builtins}
    reference = header.get("reference")
    t0 = _perf()
    if reference:
        try:
            exec(compile(reference, "<reference>", "exec"), base)
        except BaseException as exc:
            reporter.record(frames.PROGRAM_ERROR, payload=info_bytes(describe_exception(exc)))
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
        status, info = "fail", frames.exception_info("AssertionError", str(why))
    except AssertionError as exc:
        status, info = "fail", describe_exception(exc)
    except BaseException as exc:
        status, info = "error", describe_exception(exc)
    if any(remote.unsealable for remote in remotes):
        status, info = "unsealable", None
    ms = (_perf() - t0) * 1000
    reporter.record(frames.TEST_END, test, frames.STATUS_NUMBERS[status], info_bytes(info) if info else b"", ms)


def _compute(base, test, name, inputs, reporter):
    """Expected outputs from a reference function (EvalPlus tasks whose outputs are not stored)."""
    function = base[name]
    for case, args in enumerate(inputs):
        t0 = _perf()
        try:
            value = function(*args)
        except BaseException as exc:
            reporter.record(frames.RAISED, test, case, info_bytes(describe_exception(exc)), (_perf() - t0) * 1000)
            continue
        send_value(reporter, test, case, value, frames.MAX_PAYLOAD, (_perf() - t0) * 1000)
        value = None
