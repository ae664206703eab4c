"""The fork-server's side of judging: drives children, enforces deadlines, judges sealed results.

One judge request is one Job. A Job runs in one or more child sessions: the first loads the program
and works through the tests; when a test times out or the process dies, the next session (a fresh
child) starts at the following test. Commands go out as the plan allows: sealed calls and case batches
ahead of time (their arguments are not secret), a statement or a runner test only when every test
before it has finished, so no test is ever in the program's process before it runs.
"""

import math
import os
import select
import signal
import time

from nxt.protocol import frames, plain
from nxt.server import children, oracles, trace_records

_perf = time.perf_counter
DRAIN_READS = 64
EXIT_GRACE_MS = 200
COMPUTE_TIMEOUT_S = 120.0
STOP_GRACE_S = 0.1  # after the verdict is known: time for the child to flush its output and exit
CHUNK = 256  # inputs of a case batch per command; at most two chunks are unanswered at a time


_info = frames.exception_info


def _decode_info(payload):
    """Exception info sent by a child: a dict of plain strings and ints, checked field by field."""
    if len(payload) > frames.INFO_BYTES:
        return _info("JudgeError", "the program sent exception details of %d bytes, too large to read" % len(payload))
    try:
        info = plain.decode(payload, budget=True)
    except (ValueError, plain.OverBudget):
        return _info("JudgeError", "the program sent unreadable exception details")
    if type(info) is not dict:
        return _info("JudgeError", "the program sent unreadable exception details")
    line = info.get("line")
    source = info.get("source")
    return {
        "type": info.get("type")[:frames.TYPE_CHARS] if type(info.get("type")) is str else "Exception",
        "message": info.get("message")[:frames.MESSAGE_CHARS] if type(info.get("message")) is str else "",
        "line": line if type(line) is int and 0 < line < frames.LINE_END else None,
        "source": source if source in ("program", "test") else None,
    }


def _digest_matches(payload, expected_bytes):
    if expected_bytes is None or len(payload) != plain.DIGEST.size:
        return False
    size, digest = plain.DIGEST.unpack(payload)
    return size == len(expected_bytes) and digest == plain.digest(expected_bytes)


def _digest_size(payload):
    return plain.DIGEST.unpack(payload)[0] if len(payload) == plain.DIGEST.size else 0


def _reason(payload):
    """Why a program's value is not plain, as the child wrote it (bounded before it is decoded)."""
    return payload[:frames.REASON_BYTES].decode("utf-8", "replace")[:frames.REASON_CHARS]


def _large(size, comparable):
    if comparable:
        return "a value of %d bytes that is not the expected one (compared by its exact encoding)" % size
    return "a value of %d bytes, too large to judge with this assertion" % size


def _ms(value):
    return value if isinstance(value, float) and math.isfinite(value) and 0 <= value < 1e9 else 0.0


class Session:
    """One child working through tests[start:] (or one traced test), with an optional runner beside it."""

    def __init__(self, supervisor, job, start, deadline, out, err):
        self.supervisor = supervisor
        self.job = job
        self.plans = job.plans
        self.deadline = deadline
        self.out = out
        self.err = err
        self.start = start
        self.outcomes = {}
        self.program = None
        self.running = "program"  # 'program', a test index, or None between tests
        self.ended = None  # done | exited | deadline | test_timeout | violation | stopped
        self.violation = None
        self.exit_code = None
        self.signal = None
        self.cpu_limited = False
        self.cpu_share = None
        self.child_started = None
        self.trace = trace_records.TraceReader(job.trace) if job.trace is not None else None
        self.next_test = start  # the first test whose commands are not queued yet
        self.current = start  # the first test that has not finished
        self.case = 0  # results received for the current test (case batches, runner calls)
        self.passed_cases = 0
        self.test_deadline = None  # the running test's deadline: its own, or its current input's if sooner
        self.test_limit = None  # the running test's own deadline
        self.case_ms = []  # how long each answered input of the running case batch took in the child
        self.test_started = None
        self.runner = None
        self.runner_test = None
        self.runner_sequence = 0
        self.fallback = set()  # runner tests that turned out to need the program's process
        self.sending = None  # (test, next input) of a case batch whose inputs are not all sent
        self.stale = None  # a case batch that ended at a failing input: its later answers are dropped
        self.stopping = None  # when stopping early: the time the child is killed if it has not exited

    # -- life cycle --------------------------------------------------------------------------

    def run(self):
        supervisor = self.supervisor
        self.child = children.Process(supervisor.take_child())
        self.child_started = _perf()
        job = self.job
        header = {"role": "program", "program": job.program, "limits": job.limits,
                  "captureOutput": job.capture, "guardTracing": job.guard_tracing, "maxValueBytes": frames.MAX_PAYLOAD}
        self.child.send(header)
        supervisor.zygote.request_fork()  # the next child forks while this one works
        if job.trace is not None:
            index = job.trace["testIndex"]
            self.current = self.next_test = index
            self.child.send(("trace", index, job.trace_source, job.trace))
            self.next_test = index + 1
            self.child.close_when_sent = True
        else:
            # What may go out before the program has loaded goes with the job (no round trip): calls,
            # whose arguments are no secret, and the first test. The first test's clock starts when the
            # program has loaded, whatever is already in the pipe.
            self._advance()
        self.child.pump()
        try:
            self._watch()
        finally:
            self._drain()
            self.child.close_all()
            self._finish_child()
            if self.runner is not None:
                self.runner.close_all()
                supervisor.zygote.finish(self.runner.pid)
        return self

    def _finish_child(self):
        grace = EXIT_GRACE_MS if self.ended == "exited" else 0
        by_itself, code, signum, cpu = self.supervisor.zygote.finish(self.child.pid, grace)
        # How much of a core the child had over its life: near 1 for a program that computed until it
        # was stopped, far less for one that waited or was starved by a loaded machine.
        self.cpu_share = round(cpu / max(_perf() - self.child_started, 1e-3), 3)
        cpu_limit = self.job.limits.get("cpuSeconds")
        self.cpu_limited = cpu_limit is not None and cpu >= cpu_limit
        if self.ended == "exited":
            if not by_itself:
                self.ended = "violation"
                self.violation = "the program closed the judge's private result channel"
            elif code == frames.BROKEN_CHANNEL_EXIT:
                self.ended = "violation"
                self.violation = "the program closed or broke the judge's private result channel"
        self.exit_code = code
        self.signal = signum

    # -- the event loop ----------------------------------------------------------------------

    def _watch(self):
        watch = self.watch = children.Watch()
        child = self.child
        self.streams = {child.out_r: self.out, child.err_r: self.err}
        if self.out is None:
            os.close(child.out_r)
            os.close(child.err_r)
            child.out_r = child.err_r = None
            self.streams = {}
        watch.read(child.result_r, self._child_bytes)
        for fd in self.streams:
            watch.read(fd, lambda chunk, fd=fd: self._output(fd, chunk))
        while self.ended is None:
            watch.want_writes((child, self.runner))
            if self.runner is not None and not self.runner.watched:
                watch.read(self.runner.result_r, self._runner_bytes)
                self.runner.watched = True
            now = _perf()
            if self.stopping is not None:
                if now >= self.stopping:
                    self.ended = "stopped"
                    return
                limit = self.stopping
            else:
                limit = self._limit()
            if now >= limit:
                self.ended = "deadline" if limit == self.deadline else "test_timeout"
                return
            watch.wait(limit - now, self._has_ended)

    def _has_ended(self):
        return self.ended is not None

    def _output(self, fd, chunk):
        if chunk:
            self.streams[fd].add(chunk)
        else:
            self.watch.forget(fd)
            del self.streams[fd]

    def _child_bytes(self, chunk):
        if not chunk:
            self.ended = "stopped" if self.stopping is not None else "exited"
            return
        self._feed(self.child, chunk, self._on_child)

    def _runner_bytes(self, chunk):
        if not chunk:
            self._runner_died()
            self.watch.forget(self.runner.result_r)
            return
        self._feed(self.runner, chunk, self._on_runner)

    def _limit(self):
        return self.deadline if self.test_deadline is None else min(self.deadline, self.test_deadline)

    def _feed(self, process, chunk, handle):
        process.reader.feed(chunk)
        try:
            for kind, test, case, ms, payload in process.reader.records():
                handle(kind, test, case, _ms(ms), payload)
                if self.ended is not None:
                    return
                # Judging a record takes time too: past the deadline, the watch loop ends the session.
                if self.stopping is None and _perf() >= self._limit():
                    return
        except ValueError as why:
            self._violate(str(why))

    def _drain(self):
        """Reads what the child already printed, without waiting for more (bounded: a writer may never stop)."""
        for fd, capture in getattr(self, "streams", {}).items():
            for _ in range(DRAIN_READS):
                if not select.select([fd], [], [], 0)[0]:
                    break
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                capture.add(chunk)

    def _violate(self, why):
        self.ended = "violation"
        self.violation = why

    # -- sending -----------------------------------------------------------------------------

    def _advance(self):
        """Queues the commands that may go out now. Sealed calls and case batches go ahead of their
        turn (unless judging stops at the first failure: then one test at a time, so nothing runs after
        a failing test); a statement or a runner test only when every test before it has finished."""
        job = self.job
        child = self.child
        if job.trace is not None or self.stopping is not None:
            return
        count = len(self.plans)
        while True:
            if self.sending is not None:
                index, sent = self.sending
                inputs = self.plans[index].inputs
                answered = self.case if self.current == index else 0
                if sent < len(inputs) and sent - answered < 2 * CHUNK:
                    chunk = inputs[sent:sent + CHUNK]
                    plan = self.plans[index]
                    child.send(("cases", index, sent, plan.function, plan.wrapper, chunk))
                    self.sending = (index, sent + len(chunk))
                    continue
                if sent < len(inputs):
                    break
                self.sending = None
            if self.next_test >= count:
                break
            index = self.next_test
            if job.stop_first and index != self.current:
                break
            plan = self.plans[index]
            if plan.kind == "sealed":
                child.send(("call", index, 0, plan.function, plan.args, plan.kwargs, plan.wrapper))
            elif plan.kind == "cases":
                self.sending = (index, 0)
            elif index != self.current:
                break
            elif plan.kind == "runner" and index not in self.fallback:
                if self.running == "program":
                    break  # it runs in another process: not before the program has loaded
                self._start_runner_test(index, plan)
                self.next_test += 1
                break  # its calls reach the child while it runs: nothing may be queued behind them
            else:
                child.send(("stmt", index, plan.source))
            self.next_test += 1
        if self.next_test >= count and self.sending is None and self.runner_test is None:
            child.close_when_sent = True
        child.pump()

    def _stop(self):
        """The verdict is known: no more commands; the child may flush its output and exit."""
        self.stopping = _perf() + STOP_GRACE_S
        self.test_deadline = self.test_limit = None
        self.child.outgoing = bytearray()
        self.child.close_input()
        if self.runner is not None:
            self.runner.close_input()

    def _begin_test(self, index):
        self.running = index
        self.case = 0
        self.passed_cases = 0
        self.case_ms = []
        self.test_started = _perf()
        if index < len(self.plans):
            self.test_deadline = self.test_limit = self.test_started + self.job.test_timeouts[index] / 1000.0
            self._input_deadline(self.test_started)

    def _input_deadline(self, now):
        """EvalPlus's rule: each input of a case batch has its own limit, counted from when it is its turn."""
        limits = self.job.case_timeouts.get(self.running)
        if limits and self.case < len(limits) and self.test_limit is not None:
            self.test_deadline = min(self.test_limit, now + limits[self.case] / 1000.0)

    def _end_test(self, index, status, ms, exception, sealed, cases=None):
        self.outcomes[index] = {"status": status, "ms": ms, "exception": exception, "sealed": sealed,
                                "cases": cases}
        self.running = None
        self.test_deadline = self.test_limit = None
        self.current = index + 1
        if self.sending is not None and self.sending[0] == index:
            self.sending = None  # a batch that failed early: the rest of its inputs are not sent
        if status != "pass" and self.job.stop_first:
            self._stop()
            return
        if self.current >= len(self.plans) or self.job.trace is not None:
            self.running = None
            self.child.close_when_sent = True
            self.child.pump()
            if self.runner is not None:
                self.runner.close_input()
            return
        self._begin_test(self.current)
        self._advance()

    # -- records from the program's child ----------------------------------------------------

    def _on_child(self, kind, test, case, ms, payload):
        if self.stopping is not None:
            if kind == frames.DONE:
                self.ended = "stopped"
            return None  # the verdict is known; what the child still says does not change it
        if self.stale is not None and test == self.stale and kind in (frames.VALUE, frames.RAISED, frames.NOT_PLAIN,
                                                                     frames.VALUE_DIGEST):
            return None
        if kind in (frames.PROGRAM_OK, frames.PROGRAM_ERROR):
            if self.running != "program":
                return self._violate("the judge's result channel carried a second program record")
            exception = _decode_info(payload) if kind == frames.PROGRAM_ERROR else None
            self.program = {"status": "ok" if kind == frames.PROGRAM_OK else "error", "ms": ms,
                            "exception": exception}
            self.running = None
            if kind == frames.PROGRAM_OK:
                if self.job.trace is not None:
                    self._begin_test(self.job.trace["testIndex"])
                elif self.current < len(self.plans):
                    self._begin_test(self.current)
                    self._advance()
                else:
                    self.child.close_when_sent = True
                    self.child.pump()
            return None
        if kind == frames.DONE:
            failed_to_load = self.program is not None and self.program["status"] == "error"
            if not failed_to_load and (self.running is not None
                                       or self.current < len(self.plans) and self.job.trace is None):
                return self._violate("the judge's result channel carried an early end")
            self.ended = "done"
            return None
        if kind in (frames.TRACE, frames.TRACE_END):
            return self._on_trace(kind, test, payload)
        if test != self.current or self.running != test:
            return self._violate("the judge's result channel carried a record for another test")
        plan = self.plans[test]
        if kind == frames.TEST_END:
            return self._on_statement_end(test, case, ms, payload, plan)
        if kind not in (frames.VALUE, frames.RAISED, frames.NOT_PLAIN, frames.VALUE_DIGEST):
            return self._violate("the judge's result channel carried an unexpected record")
        if self.runner_test == test:
            return self._relay_to_runner(kind, case, payload)
        if plan.kind == "sealed" and case == 0:
            return self._on_sealed(test, plan, kind, ms, payload)
        if plan.kind == "cases" and case == self.case:
            return self._on_case(test, plan, kind, case, ms, payload)
        return self._violate("the judge's result channel carried a record out of order")

    def _on_statement_end(self, test, code, ms, payload, plan):
        runs_here = plan.kind == "statement" or test in self.fallback or self.job.trace is not None
        if not runs_here or code not in (0, 1, 2):
            return self._violate("the judge's result channel carried an unexpected test result")
        exception = _decode_info(payload) if payload else None
        return self._end_test(test, frames.STATUS_CODES[code], ms, exception, sealed=False)

    def _on_sealed(self, test, plan, kind, ms, payload):
        if kind == frames.RAISED:
            info = _decode_info(payload)
            return self._end_test(test, "fail" if info["type"] == "AssertionError" else "error", ms, info, True)
        if kind == frames.NOT_PLAIN:
            why = _reason(payload)
            return self._end_test(test, "fail", ms, _info("AssertionError", "%s %s" % (plan.call_text, why),
                                                          plan.line, "test"), True)
        if kind == frames.VALUE_DIGEST:
            matches = _digest_matches(payload, plan.expected_bytes)
            if matches:
                return self._end_test(test, "pass", ms, None, True)
            return self._too_large(test, plan, ms, _digest_size(payload))
        if plan.expected_bytes is not None and payload == plan.expected_bytes:
            return self._end_test(test, "pass", ms, None, True)
        try:
            value = plain.decode(payload, budget=True)
        except plain.OverBudget:
            return self._too_large(test, plan, ms, len(payload))
        except ValueError as why:
            return self._end_test(test, "fail", ms, _info("AssertionError", "%s %s" % (plan.call_text, why),
                                                          plan.line, "test"), True)
        verdict = plan.judge(value)
        if verdict is None:
            return self._end_test(test, "pass", ms, None, True)
        status, info = verdict
        return self._end_test(test, status, ms, info, True)

    def _too_large(self, test, plan, ms, size):
        """A value judged only by its exact encoding (sent as its digest, or over the decode budget)
        that is not the expected one: the test fails."""
        return self._end_test(test, "fail", ms, _info("AssertionError", "%s returned %s" % (
            plan.call_text, _large(size, plan.expected_bytes is not None)), plan.line, "test"), True)

    def _on_case(self, test, plan, kind, case, ms, payload):
        self.case += 1
        self.case_ms.append(round(ms, 3))
        total = len(plan.inputs)
        failure = None
        if kind == frames.RAISED:
            info = _decode_info(payload)
            info["message"] = "input %d of %d: %s" % (case, total, info["message"])
            failure = ("fail" if info["type"] == "AssertionError" else "error", info)
        elif kind == frames.NOT_PLAIN:
            if plan.oracle not in oracles.ACCEPTS_ANY_OUTPUT:
                failure = ("fail", _info("AssertionError", "input %d of %d: %s %s" % (case, total, plan.function,
                                                                                        _reason(payload))))
        elif plan.oracle in oracles.ACCEPTS_ANY_OUTPUT:
            failure = None
        elif kind == frames.VALUE_DIGEST or isinstance(plan.expected[case], plain.Digest):
            failure = self._compare_large(plan, case, total, kind, payload)
        elif plan.expected_bytes is None or payload != plan.expected_bytes[case]:
            failure = self._compare_case(plan, case, total, payload)
        if failure is not None:
            # Like EvalPlus's fast check (and the statement form): a batch ends at its first failing input.
            status, info = failure
            self.stale = test
            return self._end_test(test, status, (_perf() - self.test_started) * 1000, info, True,
                                  self._case_count(total))
        self.passed_cases += 1
        if self.case == total:
            return self._end_test(test, "pass", (_perf() - self.test_started) * 1000, None, True,
                                  self._case_count(total))
        self._input_deadline(_perf())
        self._advance()  # tops up the unanswered inputs
        return None

    @staticmethod
    def _compare_large(plan, case, total, kind, payload):
        """A value too large to send, or an expected value known by its digest: equal encodings only."""
        expected = plan.expected[case]
        if isinstance(expected, plain.Digest):
            target = expected.digest
        else:
            encoded = plan.expected_bytes[case] if plan.expected_bytes else None
            target = plain.digest(encoded) if encoded is not None else None
        if kind == frames.VALUE_DIGEST:
            got = plain.DIGEST.unpack(payload)[1] if len(payload) == plain.DIGEST.size else None
        else:
            got = plain.digest(payload)  # bytes with the expected digest are the expected encoding
        if target is not None and got == target:
            return None
        return Session._not_expected(plan, case, total)

    @staticmethod
    def _not_expected(plan, case, total):
        return "fail", _info("AssertionError", "input %d of %d: %s returned a value that is not the expected one "
                             "(a value this large is compared by its exact encoding)" % (case, total, plan.function))

    @staticmethod
    def _compare_case(plan, case, total, payload):
        try:
            value = plain.decode(payload, budget=True)
        except plain.OverBudget:
            return Session._not_expected(plan, case, total)
        except ValueError as why:
            return "fail", _info("AssertionError", "input %d of %d: %s" % (case, total, why))
        try:
            oracles.check_case(plan.oracle, value, plan.expected[case], plan.atol, plan.inputs[case])
        except oracles.Mismatch as why:
            return "fail", _info("AssertionError", "input %d of %d: %s(%s) returned %s: %s" % (
                case, total, plan.function, plain.short_repr(list(plan.inputs[case]))[1:-1],
                plain.short_repr(value), why))
        return None

    def _on_trace(self, kind, test, payload):
        if self.trace is None or test != self.job.trace["testIndex"]:
            return self._violate("the judge's result channel carried an unexpected trace")
        why = self.trace.chunk(payload) if kind == frames.TRACE else self.trace.closing(payload)
        return None if why is None else self._violate(why)

    # -- the runner ----------------------------------------------------------------------------

    def _start_runner_test(self, index, plan):
        if self.runner is None:
            self.runner = children.Process(self.supervisor.take_child())
            self.runner.send({"role": "runner", "entry": self.job.entry, "entries": self.job.functions,
                              "reference": self.job.reference,
                              "limits": self.job.limits, "captureOutput": False})
        self.runner_test = index
        self.runner_sequence = 0
        self.runner.send(("rtest", index, plan.source))
        self.runner.pump()

    def _on_runner(self, kind, test, case, ms, payload):
        if kind == frames.PROGRAM_OK:
            self.runner_ready = True
            return None
        if kind == frames.PROGRAM_ERROR:
            info = _decode_info(payload)
            return self._runner_fault("the reference solution does not load in the test process: %s: %s"
                                      % (info["type"], info["message"]))
        if kind == frames.DONE:
            return None
        if self.runner_test is None or test != self.runner_test:
            return self._runner_fault("the test process sent a record for another test")
        if kind == frames.CALL:
            if case != self.runner_sequence + 1:
                return self._runner_fault("the test process sent calls out of order")
            width = frames.CALL_INDEX_BYTES
            index = int.from_bytes(payload[:width], "little") if len(payload) >= width else len(self.job.functions)
            if index >= len(self.job.functions):
                return self._runner_fault("the test process called a function the program was not asked for")
            self.runner_sequence = case
            self.child.send(("callraw", test, case, self.job.functions[index], payload[width:]))
            self.child.pump()
            return None
        if kind == frames.TEST_END:
            index = self.runner_test
            self.runner_test = None
            status = frames.STATUS_CODES.get(case)
            if status == "unsealable":
                # An argument was not plain data: this test runs in the program's process after all.
                self.fallback.add(index)
                self.job.unsealable_at_run_time(index)
                self.child.send(("stmt", index, self.plans[index].source))
                self.child.pump()
                return None
            if status is None:
                return self._runner_fault("the test process sent an unknown status")
            exception = _decode_info(payload) if payload else None
            return self._end_test(index, status, ms, exception, True)
        return self._runner_fault("the test process sent an unexpected record")

    def _relay_to_runner(self, kind, case, payload):
        if case != self.runner_sequence:
            return self._violate("the judge's result channel carried an answer to a call not made")
        if kind == frames.VALUE:
            reply = ("reply", case, "value", payload)
            try:
                if not plain.check_encoding(payload, budget=True):
                    reply = ("reply", case, "notplain", b"returned a value that is not plain data")
            except plain.OverBudget:
                reply = ("reply", case, "notplain", b"returned a value too large to pass to the test")
        elif kind == frames.RAISED:
            reply = ("reply", case, "raised", plain.fast_bytes(_decode_info(payload)) or b"")
        elif kind == frames.VALUE_DIGEST:
            reply = ("reply", case, "notplain", b"returned a value too large to pass to the test")
        else:
            reply = ("reply", case, "notplain", payload[:frames.REASON_CHARS])
        self.runner.send(reply)
        self.runner.pump()
        return None

    def _runner_fault(self, why):
        """The test process failed (it runs trusted code only, but the program may kill it): the test
        is an error, never a pass."""
        if self.runner_test is not None:
            index = self.runner_test
            self.runner_test = None
            self._end_test(index, "error", 0, _info("JudgeError", why), True)
        if self.runner is not None:
            self.runner.close_input()
        return None

    def _case_count(self, total, timed_out=None):
        count = {"total": total, "passed": self.passed_cases}
        if self.job.case_times:
            count["ms"] = list(self.case_ms)
        if timed_out is not None:
            count["timedOutInput"] = timed_out
        return count

    def _runner_died(self):
        self._runner_fault("the test process ended during the test")


class Job:
    def __init__(self, request, plans):
        self.program = request["program"]
        self.tests = request["tests"]
        self.plans = plans
        self.count = len(plans)
        self.test_timeouts = request["testTimeoutsMs"]
        self.case_timeouts = {int(index): limits for index, limits in (request.get("caseTimeoutsMs") or {}).items()}
        self.case_times = bool(request.get("caseTimes"))
        self.stop_first = request.get("stopAtFirstFailure", False)
        self.capture = request.get("captureOutput", True)
        self.limits = request.get("limits", {})
        self.guard_tracing = request.get("guardTracing", True)
        self.entry = request.get("entryPoint")
        # The functions runner tests may call, the entry point first (the test process calls them by index).
        self.functions = [self.entry] + [name for name in request.get("entryPoints") or () if name != self.entry]
        self.reference = request.get("reference")
        self.trace = request.get("trace")
        self.trace_source = None
        if self.trace is not None:
            test = self.tests[self.trace["testIndex"]]
            self.trace_source = test if isinstance(test, str) else ""
        self.on_unsealable = None

    def unsealable_at_run_time(self, index):
        if self.on_unsealable is not None:
            self.on_unsealable(index)


class Supervisor:
    def __init__(self, zygote, planner):
        self.zygote = zygote
        self.planner = planner

    def take_child(self):
        return self.zygote.receive_fork()

    def judge(self, request):
        plans = self.planner.plans(request)
        job = Job(request, plans)
        job.on_unsealable = lambda index: self.planner.mark_statement(request, index)
        self._prepare_expected(job)
        count = job.count
        outcomes = [None] * count
        cap = request.get("maxOutputBytes", 16384)
        out = children.Capture(cap) if job.capture else None
        err = children.Capture(cap) if job.capture else None
        started = _perf()
        deadline = started + request["programTimeoutMs"] / 1000.0
        program = None
        problem = None
        forks = 0
        start = 0
        traced = None
        timeout_share = None
        while True:
            session = Session(self, job, start, deadline, out, err).run()
            forks += 1
            if job.trace is not None:
                traced = self._trace_of(session)
            for index, record in session.outcomes.items():
                outcomes[index] = record
            first = program is None
            if first:
                program = session.program or self._failure(session)
                if program["status"] == "timeout":
                    timeout_share = session.cpu_share
            if session.violation:
                problem = session.violation
                break
            if session.ended in ("done", "stopped"):
                break
            if session.running == "program":
                if not first:
                    problem = "the program failed when it was run again for the tests after a timeout or exit"
                break
            if session.running is None:
                if session.current < count and job.trace is None:
                    problem = "the process ended between two tests"
                break
            index = session.running
            outcomes[index] = self._failure(session, plans[index])
            if outcomes[index]["status"] == "timeout":
                timeout_share = session.cpu_share
            if session.ended == "deadline" or job.stop_first or index + 1 >= count or traced:
                break
            start = index + 1
        for index in range(count):
            if outcomes[index] is None:
                outcomes[index] = {"status": "not_run", "ms": 0, "exception": None,
                                   "sealed": plans[index].kind != "statement", "cases": None}
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
            "timeoutCpuShare": timeout_share,
        }

    @staticmethod
    def _trace_of(session):
        """A traced session's trace. When the program tampered with its channel, what was read is kept,
        marked untraced, and the traced test (if it was running) is an error that says what happened."""
        if session.violation:
            session.trace.untraced()
            if type(session.running) is int:
                session.outcomes[session.running] = {
                    "status": "error", "ms": 0, "exception": _info("TamperError", session.violation),
                    "sealed": False, "cases": None}
        return session.trace.result()

    @staticmethod
    def _death(session):
        if session.ended in ("deadline", "test_timeout"):
            return "timeout", None
        if session.signal is not None:
            number = session.signal
            name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
            if number == signal.SIGXCPU or (number == signal.SIGKILL and session.cpu_limited):
                return "timeout", None
            # The init of a PID namespace ignores the SIGABRT abort() sends itself; glibc then faults.
            hint = " (a C stack overflow, often from deep recursion, or abort())" if number == signal.SIGSEGV else ""
            return "error", _info("Crash", "the process was killed by %s%s" % (name, hint))
        return "error", _info("ProcessExit", "the program ended the process (exit code %s) before judging finished"
                              % session.exit_code)

    def _failure(self, session, plan=None):
        status, exception = self._death(session)
        cases = None
        if plan is not None and plan.kind == "cases":
            total = len(plan.inputs)
            cases = session._case_count(total, session.case if status == "timeout" and session.case < total else None)
            if status == "timeout" and session.case < total:
                limits = session.job.case_timeouts.get(session.running)
                own = " (its limit: %.2f s)" % (limits[session.case] / 1000.0) if limits and session.case < len(limits) \
                    else ""
                exception = _info("TimeoutError", "input %d of %d did not finish in time%s" % (session.case, total, own))
        return {"status": status, "ms": 0, "exception": exception,
                "sealed": plan is not None and plan.kind != "statement", "cases": cases}

    def _prepare_expected(self, job):
        """Case batches whose expected outputs come from a reference function get them computed once."""
        for index, plan in enumerate(job.plans):
            if plan.kind == "cases" and plan.expected is None:
                plan.expected = self._compute(plan, index)
                plan.prepare_fast()

    def _compute(self, plan, index):
        """Runs a case batch's reference function on every input in a child holding only that function."""
        child = children.Process(self.take_child())
        try:
            child.send({"role": "runner", "entry": None, "reference": plan.reference["source"],
                        "limits": {"memoryBytes": 4 * 1024 ** 3, "cpuSeconds": int(COMPUTE_TIMEOUT_S) + 1},
                        "captureOutput": False})
            child.send(("compute", index, plan.reference["function"], plan.inputs))
            child.close_when_sent = True
            for fd in (child.out_r, child.err_r):
                os.close(fd)
            child.out_r = child.err_r = None
            outputs = _ReferenceOutputs(child, index, len(plan.inputs))
            deadline = _perf() + COMPUTE_TIMEOUT_S
            watch = children.Watch()
            watch.read(child.result_r, outputs.add)
            while outputs.received < len(outputs.results):
                child.pump()
                watch.want_writes((child,))
                left = deadline - _perf()
                if left <= 0:
                    raise RuntimeError("the reference outputs of test %d took longer than %d s" % (
                        index, COMPUTE_TIMEOUT_S))
                watch.wait(left)
            return outputs.results
        finally:
            child.close_all()
            self.zygote.finish(child.pid)


class _ReferenceOutputs:
    """The expected outputs a reference function computes in its child, read record by record."""

    def __init__(self, child, index, count):
        self.child = child
        self.index = index
        self.results = [None] * count
        self.seen = [False] * count
        self.received = 0

    def add(self, chunk):
        index = self.index
        if not chunk:
            raise RuntimeError("the reference function of test %d could not run" % index)
        self.child.reader.feed(chunk)
        for kind, _test, case, _ms, payload in self.child.reader.records():
            if kind == frames.PROGRAM_ERROR:
                info = _decode_info(payload)
                raise RuntimeError("the reference function of test %d does not load: %s: %s" % (
                    index, info["type"], info["message"]))
            if kind in (frames.VALUE, frames.VALUE_DIGEST) and 0 <= case < len(self.results) and not self.seen[case]:
                if kind == frames.VALUE:
                    self.results[case] = plain.decode(payload)
                else:
                    self.results[case] = plain.Digest(*plain.DIGEST.unpack(payload))
                self.seen[case] = True
                self.received += 1
            elif kind in (frames.RAISED, frames.NOT_PLAIN):
                raise RuntimeError("the reference function of test %d fails on input %d" % (index, case))
