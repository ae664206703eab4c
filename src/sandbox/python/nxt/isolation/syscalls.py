"""The system calls a program may not make: a seccomp filter every child installs before its job.

Namespaces scope most of what the kernel keeps (files, IPC, processes; see jail.py). What they cannot
scope is refused here, for the program and everything it starts (a filter is inherited and can never
be removed):

  keyrings      add_key, request_key, keyctl: keys live per uid in the user namespace (the user and
                user-session keyrings, the persistent keyring) and outlive every process; no namespace
                nxt can make scopes them. Container runtimes refuse them for the same reason.
  namespaces    a new user namespace (clone or unshare with CLONE_NEWUSER) would give a program every
                capability inside it; unshare of any namespace, setns and clone3 (its flags cannot be
                inspected, so ENOSYS: glibc falls back to clone) are refused too. Other namespaces
                need CAP_SYS_ADMIN, which no program has: the kernel refuses them to programs, while
                the zygote (which installs this filter once, for itself and every child it forks)
                still forks each child into namespaces of its own.
  network       socket() of any family but AF_UNIX: there is no network, and IP sockets leave state in
                the server's network namespace (TIME_WAIT entries, port choices, protocol counters).
  io_uring      its requests make system calls this filter never sees (sockets among them).
  observers     file locks, inotify and fanotify on the read-only files every program shares would let
                two programs running at once signal each other. Taking a lock (flock, fcntl record and
                OFD locks) succeeds and locks nothing: a program alone in its namespaces has only its
                own processes to exclude, and sqlite on a file in /tmp, say, must still work (it waits
                for ever on a refused lock). Testing a lock asks the kernel (nothing holds one). Leases,
                dnotify, inotify and fanotify are refused; perf_event_open, bpf, userfaultfd and syslog
                observe or reach the host.
  page cache    preadv2/pwritev2 with RWF_NOWAIT, which tells exactly whether a page is cached.

Every refusal is an errno the program can handle (EPERM, EAFNOSUPPORT...), never a kill; a lock is
"done" by returning 0 (SECCOMP_RET_ERRNO with errno 0 skips the call and reports success).
Architectures other than x86_64 and aarch64 get no filter, and `install` says so.
"""

import ctypes
import errno
import os

from nxt.isolation.libc import PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, libc, prctl

# struct seccomp_data offsets
_NR = 0
_ARCH = 4
_ARG_LOW = 16  # args[i] low 32 bits at 16 + 8 * i (little endian)

_LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET = 0x06  # BPF_RET | BPF_K

_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000

SECCOMP_MODE_FILTER = 2

AF_UNIX = 1
RWF_NOWAIT = 0x8
# fcntl commands that take locks (F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW): done as no-ops
LOCK_COMMANDS = (6, 7, 37, 38)
# fcntl commands that take leases or watch directories (F_SETLEASE, F_NOTIFY): refused
WATCH_COMMANDS = (1024, 1026)
# clone(2): a new user namespace; unshare(2): any namespace (CLONE_NEWTIME, 0x80, is unshare's only)
CLONE_NEWUSER = 0x10000000
UNSHARE_NAMESPACES = 0x7E020000 | 0x80

_TABLES = {
    "x86_64": (0xC000003E, {
        "socket": 41, "fcntl": 72, "flock": 73, "syslog": 103, "add_key": 248, "request_key": 249,
        "keyctl": 250, "inotify_init": 253, "unshare": 272, "inotify_init1": 294, "perf_event_open": 298,
        "fanotify_init": 300, "setns": 308, "bpf": 321, "userfaultfd": 323, "preadv2": 327, "pwritev2": 328,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "clone": 56, "clone3": 435,
    }),
    "aarch64": (0xC00000B7, {
        "socket": 198, "fcntl": 25, "flock": 32, "syslog": 116, "add_key": 217, "request_key": 218,
        "keyctl": 219, "unshare": 97, "inotify_init1": 26, "perf_event_open": 241, "fanotify_init": 262,
        "setns": 268, "bpf": 280, "userfaultfd": 282, "preadv2": 286, "pwritev2": 287,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "clone": 220, "clone3": 435,
    }),
}

_REFUSED = (
    ("add_key", errno.EPERM), ("request_key", errno.EPERM), ("keyctl", errno.EPERM),
    ("setns", errno.EPERM), ("clone3", errno.ENOSYS),
    ("io_uring_setup", errno.EPERM), ("io_uring_enter", errno.EPERM), ("io_uring_register", errno.EPERM),
    ("flock", 0), ("inotify_init", errno.EPERM), ("inotify_init1", errno.EPERM),
    ("fanotify_init", errno.EPERM), ("perf_event_open", errno.EPERM), ("bpf", errno.EPERM),
    ("userfaultfd", errno.EPERM), ("syslog", errno.EPERM),
)


class _Program:
    """A tiny BPF assembler: instructions with symbolic jump targets, resolved at the end."""

    def __init__(self):
        self.code = []
        self.labels = {}

    def load(self, offset):
        self.code.append((_LD_ABS, None, None, offset))

    def jump(self, op, value, if_true, if_false=None):
        self.code.append((op, if_true, if_false, value))

    def ret(self, value):
        self.code.append((_RET, None, None, value))

    def label(self, name):
        self.labels[name] = len(self.code)

    def assemble(self):
        out = []
        for index, (op, if_true, if_false, value) in enumerate(self.code):
            jt = jf = 0
            if if_true is not None:
                jt = self.labels[if_true] - index - 1
            if if_false is not None:
                jf = self.labels[if_false] - index - 1
            if not (0 <= jt < 256 and 0 <= jf < 256):
                raise ValueError("seccomp: jump out of range")
            out.append((op, jt, jf, value & 0xFFFFFFFF))
        return out


def build(machine):
    """The filter's instructions for `machine` (os.uname().machine), or None when we have no table."""
    table = _TABLES.get(machine)
    if table is None:
        return None
    arch, numbers = table
    program = _Program()
    program.load(_ARCH)
    program.jump(_JEQ, arch, None, "foreign")
    program.load(_NR)
    if machine == "x86_64":
        program.jump(_JGE, 0x40000000, "foreign")  # the x32 ABI's numbers
    for name, number in _REFUSED:
        if name in numbers:
            program.jump(_JEQ, numbers[name], "errno-%d" % number)
    program.jump(_JEQ, numbers["socket"], "socket")
    program.jump(_JEQ, numbers["fcntl"], "fcntl")
    program.jump(_JEQ, numbers["clone"], "clone")
    program.jump(_JEQ, numbers["unshare"], "unshare")
    program.jump(_JEQ, numbers["preadv2"], "rwf")
    program.jump(_JEQ, numbers["pwritev2"], "rwf")
    program.ret(_ALLOW)

    program.label("socket")
    program.load(_ARG_LOW)
    program.jump(_JEQ, AF_UNIX, "allow", "errno-%d" % errno.EAFNOSUPPORT)
    program.label("fcntl")
    program.load(_ARG_LOW + 8)
    for command in LOCK_COMMANDS:
        program.jump(_JEQ, command, "errno-0")
    for command in WATCH_COMMANDS:
        program.jump(_JEQ, command, "errno-%d" % errno.EPERM)
    program.ret(_ALLOW)
    program.label("clone")
    program.load(_ARG_LOW)
    program.jump(_JSET, CLONE_NEWUSER, "errno-%d" % errno.EPERM, "allow")
    program.label("unshare")
    program.load(_ARG_LOW)
    program.jump(_JSET, UNSHARE_NAMESPACES, "errno-%d" % errno.EPERM, "allow")
    program.label("rwf")
    program.load(_ARG_LOW + 8 * 5)
    program.jump(_JSET, RWF_NOWAIT, "errno-%d" % errno.EOPNOTSUPP, "allow")

    program.label("allow")
    program.ret(_ALLOW)
    program.label("foreign")
    program.ret(_ERRNO | errno.ENOSYS)
    for code in sorted({number for _, number in _REFUSED} | {0, errno.EAFNOSUPPORT, errno.EPERM, errno.EOPNOTSUPP}):
        program.label("errno-%d" % code)
        program.ret(_ERRNO | code)
    return program.assemble()


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


_compiled = None


def prepare():
    """Assembles the filter once (in the server, before the zygote forks): children only install it."""
    global _compiled
    instructions = build(os.uname().machine)
    if instructions is None:
        _compiled = "no seccomp table for %s" % os.uname().machine
        return
    array = (_Instruction * len(instructions))(*[_Instruction(*item) for item in instructions])
    _compiled = (array, _Fprog(len(instructions), array))


def install():
    """Sets no_new_privs and installs the filter on this process (and so on every process it forks
    after). Returns None, or why it could not. Installing costs about 0.35 ms (the kernel compiles the
    filter), which is why the zygote installs it once rather than each child."""
    if _compiled is None:
        prepare()
    try:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        if isinstance(_compiled, str):
            return _compiled
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(_compiled[1]))
    except OSError as exc:
        return exc.strerror
    return None


def probe():
    """Whether a forked process can install the filter here: None, or why not (tried once)."""
    if _compiled is None:
        prepare()
    if isinstance(_compiled, str):
        return _compiled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        why = install()
        if why is None:  # check that it bites: keyctl(KEYCTL_GET_KEYRING_ID, user keyring) is refused
            result = libc().syscall(ctypes.c_long(_TABLES[os.uname().machine][1]["keyctl"]), 0, -4, 0)
            if result != -1 or ctypes.get_errno() != errno.EPERM:
                why = "the filter was installed but keyctl was not refused"
        os.write(write, (why or "").encode()[:500])
        os._exit(0)
    os.close(write)
    answer = b""
    while True:
        chunk = os.read(read, 512)
        if not chunk:
            break
        answer += chunk
    os.close(read)
    os.waitpid(pid, 0)
    return answer.decode("utf-8", "replace") or None
