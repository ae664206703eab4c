"""Linux namespaces without external tools: what bubblewrap does for nxt, done by the server itself.

`enter(spec)` runs first in the server process when bubblewrap is not used. It unshares the mount, PID,
network, IPC and UTS namespaces (and, when nxt is not root, a user namespace that maps only our own
uid, so no privilege is needed), builds a new root on a tmpfs from read-only binds of the system
directories and the interpreter's prefixes, adds a minimal /dev, private size-capped /tmp and /dev/shm,
pivots into it, forks, and returns in the child: the init of the new PID namespace, with a /proc of
its own. The process nxt started stays outside, waits for that init and exits as it did.

`fork_into_pid_namespace()` is how the zygote forks children when programs share the server's uid (nxt
is not root): each program runs as the init of a PID namespace of its own, where it cannot name
(signal, renice, stop) the server, the zygote or the child that waits for the next program.
"""

import ctypes
import os
import signal

from nxt.isolation.libc import PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, check, libc, prctl

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MNT_DETACH = 2

# statvfs flag -> the mount flag that must be kept when a bind is remounted in a user namespace
_LOCKED = ((1, MS_RDONLY), (2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC), (1024, MS_NOATIME),
           (2048, MS_NODIRATIME), (4096, MS_RELATIME))
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "ppc64": 203, "s390x": 217,
               "loongarch64": 41}
HIDDEN_PROC_FILES = ("/proc/keys", "/proc/key-users")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("null", "zero", "full", "random", "urandom")

def _bytes(text):
    return None if text is None else text.encode()


def unshare(flags):
    check(libc().unshare(flags), "unshare")


def mount(source, target, fstype, flags, data=None):
    check(libc().mount(_bytes(source), _bytes(target), _bytes(fstype), ctypes.c_ulong(flags), _bytes(data)),
           "mount %s" % target)


def _write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def map_own_ids(uid, gid):
    """In a user namespace just made: our uid and gid keep their numbers, nothing else is mapped."""
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", "%d %d 1" % (uid, uid))
    _write("/proc/self/gid_map", "%d %d 1" % (gid, gid))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities():
    """Empties our capability sets (in whatever user namespace we are) and forbids gaining new ones."""
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    check(libc().capset(ctypes.byref(header), data), "capset")
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def _locked_flags(path):
    have = os.statvfs(path).f_flag
    flags = 0
    for stat_flag, mount_flag in _LOCKED:
        if have & stat_flag:
            flags |= mount_flag
    return flags


def _bind_readonly(source, target, extra=MS_NOSUID | MS_NODEV):
    """A read-only bind; nosuid and nodev too (as bubblewrap does), so no setuid binary raises privileges."""
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | extra | _locked_flags(target))


def _makedirs(path):
    """Creates `path` and its missing parents with mode 0755 (a bound prefix under /root stays reachable)."""
    if os.path.isdir(path):
        return
    _makedirs(os.path.dirname(path))
    os.mkdir(path, 0o755)
    os.chmod(path, 0o755)


def _build_root(new, spec):
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path in SYSTEM_DIRS:
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if os.path.islink(path):
            os.symlink(os.readlink(path), new + path)
        elif os.path.isdir(path):
            os.mkdir(new + path, 0o755)
            _bind_readonly(path, new + path)
        del info
    for root in spec.get("readOnly", []):
        if any(root == d or root.startswith(d + "/") for d in SYSTEM_DIRS) or not os.path.isdir(root):
            continue
        _makedirs(new + root)
        _bind_readonly(root, new + root)
    os.mkdir(new + "/dev", 0o755)
    for name in DEVICES:
        target = new + "/dev/" + name
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o666))
        # Read-only (a device still reads and writes; its times and modes cannot change) and nosuid.
        _bind_readonly("/dev/" + name, target, MS_NOSUID | MS_NOEXEC)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, new + "/dev/" + name)
    for path, size in (("/dev/shm", spec["shmBytes"]), ("/tmp", spec["tmpBytes"])):
        os.mkdir(new + path, 0o755)
        mount("tmpfs", new + path, "tmpfs", MS_NOSUID | MS_NODEV, "size=%d,nr_inodes=65536,mode=1777" % size)
    os.mkdir(new + "/proc", 0o555)


def _pivot(new):
    number = _PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError(0, "pivot_root: unknown system call number on %s" % os.uname().machine)
    os.chdir(new)
    os.mkdir(".old", 0o700)
    check(libc().syscall(ctypes.c_long(number), b".", b".old"), "pivot_root")
    os.chdir("/")
    check(libc().umount2(b"/.old", MNT_DETACH), "umount the old root")
    os.rmdir("/.old")
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def enter(spec):
    """Moves this process into fresh namespaces and a new root; returns in the new PID namespace's init.

    Raises OSError when the kernel does not allow it (nothing has changed for the caller then, unless
    the failure came after the unshare: the caller must then exit)."""
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID
    if uid != 0:
        flags |= CLONE_NEWUSER
    unshare(flags)
    if uid != 0:
        map_own_ids(uid, gid)
    # The mount point of the new root: /tmp exists everywhere, and is shadowed only in our namespace.
    new = "/tmp"
    _build_root(new, spec)
    name = b"nxt-sandbox"
    libc().sethostname(name, len(name))
    pid = os.fork()
    if pid:
        _wait_for_init(pid)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # The init of a PID namespace gets only the signals it handles from inside it: with Python's
    # SIGINT handler gone, no program can interrupt the server.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # proc shows the PID namespace of whoever mounts it, and the kernel lets a user namespace mount
    # one only while the host's /proc is still in view: so here, before the old root goes.
    mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # What /proc shows of every uid's keys (descriptions, counts): a program that shares the invoker's
    # uid (nxt not root) would read what the invoker keeps there. Covered, as bubblewrap's plan does.
    for path in HIDDEN_PROC_FILES:
        if os.path.exists(new + path):
            _bind_readonly(new + "/dev/null", new + path, MS_NOSUID | MS_NOEXEC)
    _pivot(new)
    # As a non-root user we keep the capabilities of our user namespace: the zygote needs
    # CAP_SYS_ADMIN in it to fork each child into a PID namespace of its own; children drop them all.


def _wait_for_init(pid):
    """The process nxt started: keeps nothing open, waits for the sandbox's init, exits as it did."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.closerange(3, 1 << 16)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


_SYS_CLONE = {"x86_64": 56, "aarch64": 220, "riscv64": 220, "loongarch64": 220}
SIGCHLD = 17
_pylib = None


# What each program gets of its own: processes (it is the init of its PID namespace), mounts (a fresh
# /tmp, /dev/shm and working directory, the rest read-only) and IPC (SysV objects, POSIX queues). The
# kernel drops all of it with the program's last process: nothing is left to clean or to read later.
PROGRAM_NAMESPACES = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC
PROGRAM_WORKDIR = "/tmp/work"


def fork_into_pid_namespace(extra=0):
    """os.fork(), but the child is the init of a new PID namespace (needs CAP_SYS_ADMIN in our user
    namespace: root, or the namespaces the server entered), and in new namespaces of the kinds in
    `extra`. Returns 0 in the child, its pid outside.

    The child cannot name (signal, stop, renice, trace) anything outside its namespace: not the
    server, not the zygote, not the child that waits for the next program. clone(2) straight from
    Python, wrapped in the interpreter's own before/after-fork hooks as os.fork does."""
    global _pylib
    number = _SYS_CLONE.get(os.uname().machine)
    if number is None:
        raise OSError(0, "clone: unknown argument order on %s" % os.uname().machine)
    if _pylib is None:
        _pylib = ctypes.PyDLL(None, use_errno=True)  # keeps the GIL across the call, like os.fork
    _pylib.PyOS_BeforeFork()
    ctypes.set_errno(0)
    flags = SIGCHLD | CLONE_NEWPID | extra
    pid = _pylib.syscall(ctypes.c_long(number), ctypes.c_ulong(flags), None, None, None, None)
    if pid == 0:
        _pylib.PyOS_AfterFork_Child()
        return 0
    number = ctypes.get_errno()
    _pylib.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(number, "clone: %s" % os.strerror(number))
    return pid


_SYS_MOUNT_SETATTR = 442  # the same number on every architecture
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64), ("propagation", ctypes.c_uint64),
                ("userns_fd", ctypes.c_uint64)]


def seal_mounts():
    """Every mount of this process's (own, never the host's) mount namespace becomes read-only, nosuid
    and private: one mount_setattr(2) call, or a remount per mount point on kernels before 5.12. The
    server does it once when its children get namespaces of their own: they inherit copies."""
    attr = _MountAttr(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0, MS_PRIVATE, 0)
    result = libc().syscall(ctypes.c_long(_SYS_MOUNT_SETATTR), ctypes.c_int(AT_FDCWD), b"/",
                            ctypes.c_uint(AT_RECURSIVE), ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)))
    if result == 0:
        return
    if ctypes.get_errno() != 38:  # ENOSYS
        check(result, "mount_setattr")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    with open("/proc/self/mountinfo") as handle:
        points = [line.split()[4] for line in handle if len(line.split()) > 4]
    for point in points:
        point = point.encode().decode("unicode_escape")  # mountinfo escapes spaces as \040
        try:
            mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | _locked_flags(point))
        except OSError:
            pass


def enter_program_root(scratch):
    """In a child forked with PROGRAM_NAMESPACES, before it drops its privileges: a fresh tmpfs on /tmp
    (holding its working directory) and on /dev/shm, over the server's sealed (read-only) mounts, or
    over its own copies sealed here (`scratch["seal"]`). Returns the working directory."""
    if scratch.get("seal"):
        seal_mounts()
    for path, size in (("/tmp", scratch["tmpBytes"]), ("/dev/shm", scratch["shmBytes"])):
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=%d,nr_inodes=16384,mode=1777" % size)
    os.mkdir(PROGRAM_WORKDIR, 0o700)
    return PROGRAM_WORKDIR


_KEYCTL = {"x86_64": 250, "aarch64": 219, "riscv64": 219, "loongarch64": 219}
KEYCTL_JOIN_SESSION_KEYRING = 1


def new_session_keyring():
    """Subscribes this process to a new, empty, anonymous session keyring: the keyring of whoever
    started nxt is no longer this process's to use (possession), and nothing it holds is inherited."""
    number = _KEYCTL.get(os.uname().machine)
    if number is not None:
        libc().syscall(ctypes.c_long(number), ctypes.c_int(KEYCTL_JOIN_SESSION_KEYRING), None)


def probe_program_namespaces(scratch):
    """Whether children can be forked into PROGRAM_NAMESPACES with their own root: None, or why not."""
    read, write = os.pipe()
    try:
        pid = fork_into_pid_namespace(PROGRAM_NAMESPACES & ~CLONE_NEWPID)
    except OSError as exc:
        os.close(read)
        os.close(write)
        return str(exc)
    if pid == 0:
        os.close(read)
        why = b""
        try:
            enter_program_root(scratch)
            if os.getpid() != 1:
                why = b"the child was not the init of its PID namespace"
        except OSError as exc:
            why = str(exc).encode()[:500]
        os.write(write, why)
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


def probe_own_pid_namespace():
    """Whether fork_into_pid_namespace() works here: None, or why not (tried once)."""
    try:
        pid = fork_into_pid_namespace()
    except OSError as exc:
        return str(exc)
    if pid == 0:
        os._exit(0 if os.getpid() == 1 else 1)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return None
    return "the child was not the init of its namespace (status %d)" % status


def probe(spec):
    """For nxt doctor and the isolation plan: enters the namespaces in a throwaway process, reports."""
    try:
        enter(spec)
    except OSError as exc:
        return "no: %s" % exc
    return "ok"
