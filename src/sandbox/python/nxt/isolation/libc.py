"""The C library through ctypes, for the trusted processes: one handle, and calls that raise OSError
when they fail (a security setting that silently did not take is worse than a process that stops)."""

import ctypes
import os

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
_PRCTL_NAMES = {PR_SET_PDEATHSIG: "PR_SET_PDEATHSIG", PR_SET_DUMPABLE: "PR_SET_DUMPABLE",
                PR_SET_SECCOMP: "PR_SET_SECCOMP", PR_SET_CHILD_SUBREAPER: "PR_SET_CHILD_SUBREAPER",
                PR_SET_NO_NEW_PRIVS: "PR_SET_NO_NEW_PRIVS"}

_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def check(result, what):
    """Raises OSError (errno, "what: strerror") when a libc call returned anything but 0."""
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, "%s: %s" % (what, os.strerror(number)))


def prctl(option, *args):
    """prctl(2) with up to four arguments: ints (passed as unsigned long) or ctypes objects (a pointer).
    Raises OSError naming the option when the kernel refuses."""
    values = [ctypes.c_ulong(value) if type(value) is int else value for value in args]
    values += [ctypes.c_ulong(0)] * (4 - len(values))
    check(libc().prctl(ctypes.c_int(option), *values), "prctl(%s)" % _PRCTL_NAMES.get(option, option))
