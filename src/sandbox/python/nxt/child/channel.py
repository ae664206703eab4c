"""A child's end of its channels with the server (protocol/frames.py): commands in on JOB_FD, records
out on RESULT_FD, each record behind the child's nonce. Used by both kinds of child.

Every function this module calls is bound when it loads, in the server before the zygote forks: what
a program rebinds later (os.write, marshal, str...) cannot change how its child reports.
"""

import marshal
import os

from nxt.protocol import frames, plain

_write = os.write
_read = os.read
_loads = marshal.loads
_dumps = marshal.dumps
_BaseException = BaseException
_len = len
_isinstance = isinstance
_type = type
_str = str
_encode = plain.encode
_NotPlain = plain.NotPlain
_TooLarge = plain.TooLarge
_digest_pack = plain.DIGEST.pack
_header_pack = frames.HEADER.pack
_command_length = frames.COMMAND_LENGTH
_RESULT_FD = frames.RESULT_FD
_JOB_FD = frames.JOB_FD


class Reporter:
    """Writes each record at once: the next call may hang, and the server must already know this one
    (which test timed out, and that the one before it failed, depend on it)."""

    def __init__(self, nonce):
        self.nonce = nonce

    def record(self, kind, test=0, case=0, payload=b"", ms=0.0):
        data = _header_pack(self.nonce, kind, test, case, _len(payload), ms) + payload
        view = memoryview(data)
        while view:
            written = _write(_RESULT_FD, view)
            view = view[written:]


class Commands:
    """Reads the server's length-prefixed commands from JOB_FD."""

    def __init__(self):
        self.buffer = b""
        self.offset = 0

    def next(self):
        """The next command, or None at the end of the job (the server closed the pipe)."""
        size = _command_length.size
        while True:
            available = _len(self.buffer) - self.offset
            if available >= size:
                (length,) = _command_length.unpack_from(self.buffer, self.offset)
                if available >= size + length:
                    start = self.offset + size
                    self.offset = start + length
                    return _loads(self.buffer[start:self.offset])
            chunk = _read(_JOB_FD, 1 << 20)
            if not chunk:
                return None
            self.buffer = self.buffer[self.offset:] + chunk
            self.offset = 0


def safe_text(fn, limit):
    """str of what `fn` returns, cut to `limit` characters; never raises (a __str__ may)."""
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
    """Exception details (frames.exception_info's shape), the line taken from the deepest frame of the
    program or a test."""
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
        "type": safe_text(lambda: _type(exc).__name__, frames.TYPE_CHARS),
        "message": safe_text(lambda: _str(exc), frames.MESSAGE_CHARS),
        "line": line if _type(line) is int and 0 < line < frames.LINE_END else None,
        "source": source,
    }


def info_bytes(info):
    return _dumps(info, plain.VERSION)


def send_value(reporter, test, case, value, limit, ms):
    """A call's result as a VALUE record, or VALUE_DIGEST when it is over `limit`, or NOT_PLAIN with
    the reason it cannot cross."""
    try:
        data = _encode(value, limit)
    except _TooLarge as large:
        reporter.record(frames.VALUE_DIGEST, test, case, _digest_pack(large.size, large.digest), ms)
        return
    except _NotPlain as why:
        reporter.record(frames.NOT_PLAIN, test, case, safe_text(lambda: _str(why), frames.REASON_CHARS).encode(), ms)
        return
    except _BaseException:
        reporter.record(frames.NOT_PLAIN, test, case, b"returned a value that could not be read", ms)
        return
    reporter.record(frames.VALUE, test, case, data, ms)
