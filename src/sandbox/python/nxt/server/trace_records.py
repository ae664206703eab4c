"""Trusted: the server's reading of the trace records a traced child sends (child/tracer.py writes them).

A program can forge records on its channel (decision 0002), so every record is untrusted input. A chunk
is kept only when the whole trace stays within what the tracer itself sends (`traces.limits`: bytes,
events, frames, and lists and dicts per chunk, which bound what parsing a chunk builds), it is JSON
without NaN or Infinity, and it has exactly the shape and ranges the tracer writes and nxt reads
(src/sandbox/trace-record.ts). Anything else is forged: the reader says why, and the supervisor ends the
session; the trace keeps the chunks read before and is marked "untraced".
"""

import json

from nxt.protocol import traces

_INDEX = 2 ** 31
_EVENT_KINDS = ("c", "l", "r", "y", "x")
_SOURCES = ("program", "test")
_TRUNCATIONS = (None, "steps", "events", "size", "time", "untraced", "fault", "stack")
_END_BYTES = 1024
_MAX_ENDS = 8  # the tracer sends two at most: when recording stops early, and when it added an exception after
MALFORMED = "the judge's result channel carried a malformed trace"
TOO_MUCH = "the judge's result channel carried more trace than the tracer sends"


def _refuse_constant(name):
    raise ValueError("%s in a trace" % name)


def _parse(payload):
    try:
        return json.loads(payload, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None


def _count(value, low=0):
    return type(value) is int and low <= value < _INDEX


def _texts(value, length):
    return type(value) is list and len(value) == length and all(type(item) is str for item in value)


def _frame(frame):
    """[call, function, depth, parent call or -1, source, defLine]."""
    return (type(frame) is list and len(frame) == 6 and _count(frame[0]) and type(frame[1]) is str
            and _count(frame[2]) and _count(frame[3], -1) and type(frame[4]) is str and frame[4] in _SOURCES
            and _count(frame[5], 1))


def _event(event):
    """[kind, call, line, step or -1, changes or None, extra]: extra is None, a repr, or [type, message, repr]."""
    if type(event) is not list or len(event) != 6:
        return False
    kind, call, line, step, changes, extra = event
    if type(kind) is not str or kind not in _EVENT_KINDS or not (_count(call) and _count(line) and _count(step, -1)):
        return False
    if changes is not None and not (type(changes) is list and all(_texts(change, 2) for change in changes)):
        return False
    return extra is None or type(extra) is str or _texts(extra, 3)


class TraceReader:
    """The trace of one traced run, read record by record. `chunk` and `closing` return None, or why
    the record is refused (the session then ends)."""

    def __init__(self, config):
        self.limits = traces.limits(config)
        self.frames = []
        self.events = []
        self.end = None
        self.bytes = 0
        self.ends = 0

    def chunk(self, payload):
        self.bytes += len(payload)
        if self.bytes > self.limits["bytes"]:
            return TOO_MUCH
        if payload.count(b"[") + payload.count(b"{") > self.limits["containers"]:
            return TOO_MUCH
        record = _parse(payload)
        if type(record) is not dict or record.get("k") != "trace":
            return MALFORMED
        frames, events = record.get("frames"), record.get("events")
        if type(frames) is not list or type(events) is not list or not (frames or events):
            return MALFORMED
        if len(self.frames) + len(frames) > self.limits["frames"] or \
                len(self.events) + len(events) > self.limits["events"]:
            return TOO_MUCH
        if not all(map(_frame, frames)) or not all(map(_event, events)):
            return MALFORMED
        self.frames.extend(frames)
        self.events.extend(events)
        return None

    def closing(self, payload):
        self.ends += 1
        if self.ends > _MAX_ENDS or len(payload) > _END_BYTES:
            return TOO_MUCH
        record = _parse(payload)
        if type(record) is not dict or record.get("k") != "trace_end":
            return MALFORMED
        truncated, steps, events = record.get("truncated"), record.get("steps"), record.get("events")
        if not ((truncated is None or type(truncated) is str) and truncated in _TRUNCATIONS and _count(steps)
                and _count(events)):
            return MALFORMED
        self.end = {"truncated": truncated, "steps": steps, "events": events}
        return None

    def untraced(self):
        """The program tampered with its channel: what was read is kept, and marked as such."""
        steps = max((event[3] for event in self.events), default=-1) + 1
        self.end = {"truncated": "untraced", "steps": steps, "events": len(self.events)}

    def result(self):
        return {"frames": self.frames, "events": self.events, "end": self.end}
