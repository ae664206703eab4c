# Forges records on the judge's private result channel (fd 3), as a program written against nxt's
# harness can: the per-child nonce is read from the harness's Reporter, found in a caller's frame.
import os as _os
import struct as _struct
import sys as _sys

_HEADER = _struct.Struct("<12sBIIId")
PROGRAM_OK, PROGRAM_ERROR, VALUE, RAISED, NOT_PLAIN, TEST_END, TRACE, TRACE_END, DONE = range(1, 10)


def _harness():
    """The nonce, and the test the harness is running (its `test` argument in a caller's frame)."""
    frame = _sys._getframe(2)
    test = None
    while frame is not None:
        if test is None and type(frame.f_locals.get("test")) is int:
            test = frame.f_locals["test"]
        for value in list(frame.f_locals.values()):
            if type(value).__name__ == "Reporter":
                return value.nonce, test or 0
        frame = frame.f_back
    raise RuntimeError("no Reporter in any caller's frame")


def forge(kind, test, case, payload, ms=0.0):
    """Writes one record; `test` None: the test being run (or traced)."""
    nonce, running = _harness()
    data = _HEADER.pack(nonce, kind, running if test is None else test, case, len(payload), ms) + payload
    view = memoryview(data)
    while view:
        view = view[_os.write(3, view):]
