"""Between the fork-server and the processes it forks: descriptors, framing, record kinds, limits.

Server -> child (the child's fd 4): u32 length, then a marshal'ed command. The child trusts these.
Child -> server (the child's fd 3): a 12-byte per-child nonce, a fixed header (kind, test, case,
payload length, milliseconds), then the payload. The server trusts nothing in them: it checks the
nonce, the kind, the indices and the length before it reads a payload, and decodes values only through
plain.decode, exception details only within INFO_BYTES.
"""

import marshal
import struct

# A child's descriptors: records out, commands in (0-2 are /dev/null or its output pipes).
RESULT_FD = 3
JOB_FD = 4
# A child's exit code when its channel broke (the program closed or replaced it): never a verdict.
BROKEN_CHANNEL_EXIT = 86

NONCE_BYTES = 12
HEADER = struct.Struct("<%dsBIIId" % NONCE_BYTES)
COMMAND_LENGTH = struct.Struct("<I")
MAX_PAYLOAD = 64 * 1024 * 1024  # a value over it is sent as its digest; a trace chunk is smaller

# Exception details (RAISED, PROGRAM_ERROR, TEST_END payloads): a dict of a type name, a message, a
# line and where the line is ("program" | "test"), as marshal v2; read only up to INFO_BYTES.
TYPE_CHARS = 200
MESSAGE_CHARS = 2000
LINE_END = 2 ** 31  # lines are 1 .. LINE_END - 1
INFO_BYTES = 16 * 1024  # a type and a message of at most MESSAGE_CHARS characters, as UTF-8
# Why a value is not plain data (NOT_PLAIN payloads): REASON_CHARS are shown, REASON_BYTES read.
REASON_CHARS = 500
REASON_BYTES = 2000

# Record kinds (child -> server).
PROGRAM_OK = 1
PROGRAM_ERROR = 2
VALUE = 3  # a sealed call returned: payload = marshal v2 of the value
RAISED = 4  # a sealed call raised: payload = exception info
NOT_PLAIN = 5  # a sealed call returned something that cannot cross: payload = the reason (str)
TEST_END = 6  # a statement (or runner) test ended: case = status code, payload = exception info or empty
TRACE = 7  # payload = JSON chunk of trace events
TRACE_END = 8  # payload = JSON of how the trace ended
DONE = 9
CALL = 10  # runner -> server: call a function; case = sequence number, payload = index, marshal (args, kwargs)
VALUE_DIGEST = 11  # a sealed call returned a value too large to send: payload = plain.DIGEST (size, sha256)
KINDS = frozenset(range(1, 12))

CALL_INDEX_BYTES = 2  # a CALL names the function by its index in the job's list, little-endian

STATUS_CODES = {0: "pass", 1: "fail", 2: "error", 3: "unsealable"}
STATUS_NUMBERS = {name: code for code, name in STATUS_CODES.items()}


def exception_info(kind, message, line=None, source=None):
    """Exception details as the server reports them (and as children send them)."""
    return {"type": kind, "message": message[:MESSAGE_CHARS], "line": line, "source": source}


def command(payload):
    data = marshal.dumps(payload)
    return COMMAND_LENGTH.pack(len(data)) + data


class RecordReader:
    """Incremental, linear parser of child records: feed bytes, take whole records."""

    def __init__(self, nonce, max_payload=MAX_PAYLOAD):
        self.nonce = nonce
        self.max_payload = max_payload
        self.buffer = bytearray()
        self.offset = 0

    def feed(self, chunk):
        self.buffer += chunk

    def records(self):
        """Yields (kind, test, case, ms, payload); raises ValueError on anything malformed."""
        size = HEADER.size
        while len(self.buffer) - self.offset >= size:
            nonce, kind, test, case, length, ms = HEADER.unpack_from(self.buffer, self.offset)
            if nonce != self.nonce or kind not in KINDS:
                raise ValueError("the program wrote to the judge's private result channel")
            if length > self.max_payload:
                raise ValueError("a record on the judge's result channel is too large")
            end = self.offset + size + length
            if end > len(self.buffer):
                break
            payload = bytes(self.buffer[self.offset + size:end])
            self.offset = end
            yield kind, test, case, ms, payload
        if self.offset > 65536 and self.offset * 2 > len(self.buffer):
            del self.buffer[:self.offset]
            self.offset = 0

    @property
    def pending(self):
        return len(self.buffer) - self.offset
