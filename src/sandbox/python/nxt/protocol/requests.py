"""Between nxt (Node) and a server: JSON lines. Requests arrive on fd 3 after the module bundle,
answers go out on fd 4, the first of them the hello. Answers are bounded (fork-server.ts reads each
line as one string) and never hold a NaN or an infinity (JSON has neither)."""

import json
import os
import sys

REQUESTS_FD = 3
ANSWERS_FD = 4
# An answer is one JSON line nxt reads as one string: well under what it accepts (fork-server.ts).
ANSWER_BYTES = 192 * 1024 * 1024
_dumps = json.dumps


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
    """The first answer: which interpreter and process nxt talks to."""
    return {"op": "hello", "python": sys.version, "versionInfo": list(sys.version_info[:3]),
            "executable": sys.executable, "pid": os.getpid(), "uid": os.getuid()}
