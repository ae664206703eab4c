"""The zygote: the one process that forks children, forked by the server before it reads any request.

Children must not inherit the server's memory: the server holds every job it has seen (programs, tests,
expected values), and a child that could read them (gc, ctypes, its own heap) could pass without
computing anything. The zygote's memory holds only the preloaded modules and nxt's own code.

Protocol over a SOCK_SEQPACKET socket with the server (one message per request, answers in order):
  b"F"                fork a child: answers pid, nonce and workdir, with the server's ends of the
                      child's pipes (job, result, stdout, stderr) passed as SCM_RIGHTS
  b"K" + pid + grace  finish a child: wait up to `grace` ms for it to exit by itself, then kill its
                      process group, reap it, kill and reap anything it left behind (the zygote is a
                      child subreaper), clean its working directory; answers how it ended
"""

import _socket
import array
import gc
import os
import signal
import struct
import time

from nxt.child import program
from nxt.isolation import jail, syscalls
from nxt.isolation.libc import (PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, libc,
                                 prctl)

FORKED = struct.Struct("<i%dsH" % 12)
FINISH = struct.Struct("<ciI")
FINISHED = struct.Struct("<iBiid")  # pid, exited by itself, exit code (-1), signal (-1), cpu seconds
SWEEP_ROUNDS = 200


class ZygoteGone(Exception):
    """The zygote died (a program may kill it when nothing separates their uids): the server cannot
    fork any more and must be replaced."""


def start(config):
    """Forks the zygote; returns (pid, the server's socket)."""
    # _socket, not socket: socket.py brings selectors and enum classes into every child's memory.
    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            ours.close()
            Zygote(theirs, config).serve()
        except BaseException:
            code = 1
        os._exit(code)
    theirs.close()
    return pid, ours


def _kill_group(pid):
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _names(fd):
    try:
        return os.listdir(fd)
    except OSError:
        return []


def _remove_entry(fd, name):
    """Unlinks a file or removes an empty directory in directory `fd`; True when it is gone."""
    for attempt in (0, 1):
        try:
            os.unlink(name, dir_fd=fd)
            return True
        except IsADirectoryError:
            try:
                os.rmdir(name, dir_fd=fd)
                return True
            except OSError:
                return False
        except FileNotFoundError:
            return True
        except PermissionError:
            if attempt == 0:  # the program took away our write permission on the directory
                try:
                    os.fchmod(fd, 0o700)
                except OSError:
                    return False
        except OSError:
            return False
    return False


def _open_dir(fd, name):
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except PermissionError:  # a directory the program made unreadable (mode 000): ours to open again
        os.chmod(name, 0o700, dir_fd=fd, follow_symlinks=True)
        return os.open(name, _DIR_FLAGS, dir_fd=fd)


def empty_dir(path):
    """Removes everything inside `path`, whatever the depth, names, lengths or modes a program chose.

    Iterative and by descriptor (one open at a time, climbing back through ".."): a chain of thousands
    of directories, or paths longer than PATH_MAX, neither overflow a stack nor exhaust descriptors.
    Run only when the program's processes are gone, so nothing moves underneath."""
    try:
        fd = os.open(path, _DIR_FLAGS)
    except OSError:
        return
    depth = 0
    seen = set()
    while True:
        child = None
        for name in _names(fd):
            if _remove_entry(fd, name):
                continue
            try:
                sub = _open_dir(fd, name)
            except OSError:
                continue
            info = os.fstat(sub)
            key = (info.st_dev, info.st_ino)
            if key in seen:  # visited and still not removable: leave it
                os.close(sub)
                continue
            seen.add(key)
            child = sub
            break
        if child is not None:
            os.close(fd)
            fd, depth = child, depth + 1
            continue
        if depth == 0:
            os.close(fd)
            return
        try:
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
        except OSError:
            os.close(fd)
            return
        os.close(fd)
        fd, depth = parent, depth - 1


def remove_tree(path):
    """Removes what a program left behind, whatever modes it set (we own or override them)."""
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    empty_dir(path)
    try:
        os.rmdir(path)
    except OSError:
        pass


_SYSV = (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl"))


def sysv_ids():
    """SysV IPC objects in our IPC namespace: [(kind, id)] from /proc/sysvipc."""
    found = []
    for kind, _ in _SYSV:
        try:
            with open("/proc/sysvipc/" + kind) as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 1 and fields[1].isdigit():
                found.append((kind, int(fields[1])))
    return found


def remove_sysv(found):
    calls = dict(_SYSV)
    for kind, number in found:
        function = getattr(libc(), calls[kind])
        if kind == "sem":
            function(number, 0, 0)  # IPC_RMID
        else:
            function(number, 0, None)


class Zygote:
    def __init__(self, sock, config):
        self.sock = sock
        self.uid = config.get("childUid")
        self.workroot = config.get("workRoot") or "/tmp"
        self.pid_namespace = bool(config.get("pidNamespace"))
        # Namespaces of the program's own (jail.PROGRAM_NAMESPACES) with a fresh /tmp and /dev/shm:
        # nothing to clean after a program, nothing of one program for the next to find.
        self.scratch = config.get("programScratch") if config.get("programNamespaces") else None
        self.private_tmp = bool(config.get("privateTmp"))
        self.filter = bool(config.get("syscallFilter"))
        self.children = {}  # pid -> workdir (None: the child's own, gone with its mount namespace)

    def serve(self):
        prctl(PR_SET_CHILD_SUBREAPER, 1)  # what a program leaves behind becomes ours to sweep
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the server
        prctl(PR_SET_DUMPABLE, 0)  # the programs' uid must not read or trace us
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # No program gains privileges through exec (a setuid binary), whatever is mounted where; and
        # every child runs under the system-call filter, installed once here (children inherit it).
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        if self.filter and syscalls.install() is not None:
            raise ZygoteGone("the system-call filter could not be installed")
        gc.collect()
        gc.freeze()  # children never touch (and copy) the pages of these objects
        while True:
            try:
                message = self.sock.recv(64)
            except InterruptedError:
                continue
            if not message:
                break
            if message[:1] == b"F":
                self._fork()
            elif message[:1] == b"K":
                _, pid, grace = FINISH.unpack(message)
                self.sock.send(self._finish(pid, grace))
        for pid in list(self.children):
            _kill_group(pid)
        self._sweep(keep=())

    def _new_workdir(self):
        """A new directory for one program (never one another program used: its times, mode and
        extended attributes would carry what that program left)."""
        path = os.path.join(self.workroot, "nxt-" + os.urandom(6).hex())
        os.mkdir(path, 0o700)
        return path

    def _fork(self):
        nonce = os.urandom(12)
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        workdir = None if self.scratch is not None else self._new_workdir()
        if self.scratch is not None:
            pid = jail.fork_into_pid_namespace(jail.PROGRAM_NAMESPACES)
        else:
            pid = jail.fork_into_pid_namespace() if self.pid_namespace else os.fork()
        if pid == 0:
            self.sock.close()
            for fd in (job_w, result_r, out_r, err_r):
                os.close(fd)
            try:
                if self.scratch is not None:
                    workdir = jail.enter_program_root(self.scratch)
                if self.pid_namespace:
                    jail.drop_capabilities()  # ours are the user namespace's: no program may have them
            except BaseException:
                os._exit(program.BROKEN_CHANNEL_EXIT)
            program.child_main(nonce, job_r, result_w, out_w, err_w, workdir, self.uid)
            os._exit(program.BROKEN_CHANNEL_EXIT)
        for fd in (job_r, result_w, out_w, err_w):
            os.close(fd)
        self.children[pid] = workdir
        workdir = workdir or jail.PROGRAM_WORKDIR
        encoded = workdir.encode()
        fds = array.array("i", (job_w, result_r, out_r, err_r))
        self.sock.sendmsg([FORKED.pack(pid, nonce, len(encoded)) + encoded],
                          [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        for fd in fds:
            os.close(fd)

    def _finish(self, pid, grace_ms):
        workdir = self.children.pop(pid, None)
        status = usage = None
        by_itself = False
        give_up = time.monotonic() + grace_ms / 1000.0
        while True:
            try:
                waited, status, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                waited = -1
            if waited == pid or waited == -1 or time.monotonic() >= give_up:
                break
            time.sleep(0.0005)
        if waited == pid:
            by_itself = True
        _kill_group(pid)
        if waited == 0:
            try:
                _, status, usage = os.wait4(pid, 0)
            except ChildProcessError:
                status = None
        self._sweep(keep=self.children)
        if workdir is not None:
            remove_tree(workdir)
        if self.private_tmp and self.scratch is None:
            self._clean_slate()
        code = signum = -1
        if status is not None:
            if os.WIFSIGNALED(status):
                signum = os.WTERMSIG(status)
            elif os.WIFEXITED(status):
                code = os.WEXITSTATUS(status)
        cpu = usage.ru_utime + usage.ru_stime if usage is not None else 0.0
        return FINISHED.pack(pid, 1 if by_itself else 0, code, signum, cpu)

    def _clean_slate(self):
        """The server's /tmp, /dev/shm and IPC namespace are its own: after a program, empty them of
        everything but the working directories of the children still waiting (emptied too: a program
        that shares their uid could have written there). No program finds another's leftovers, and a
        full /tmp lasts only until its program ends."""
        live = set(self.children.values())
        for name in _names(self.workroot):
            path = os.path.join(self.workroot, name)
            if path in live:
                empty_dir(path)
            else:
                try:
                    os.unlink(path)
                except IsADirectoryError:
                    remove_tree(path)
                except OSError:
                    pass
        empty_dir("/dev/shm")
        found = sysv_ids()
        if found:
            self._remove_sysv(found)

    def _remove_sysv(self, found):
        """Removing needs the owner's uid (or privileges the server may lack under bubblewrap)."""
        if self.uid is None:
            remove_sysv(found)
            return
        pid = os.fork()
        if pid == 0:
            try:
                os.setresgid(self.uid, self.uid, self.uid)
                os.setresuid(self.uid, self.uid, self.uid)
                remove_sysv(found)
            finally:
                os._exit(0)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        remove_sysv(sysv_ids())  # what is left had other owners: root may remove them itself

    def _sweep(self, keep):
        """Kills and reaps every process that ended up as our child, but the waiting children."""
        for _ in range(SWEEP_ROUNDS):
            stray = [p for p in _children_of_self() if p not in keep]
            if not stray:
                break
            for p in stray:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            for p in stray:
                try:
                    os.waitpid(p, 0)
                except ChildProcessError:
                    pass


def _children_of_self():
    pid = os.getpid()
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as handle:
            return [int(x) for x in handle.read().split()]
    except OSError:
        return []


class ZygoteClient:
    """The server's side of the protocol."""

    def __init__(self, config):
        self.pid, self.sock = start(config)
        self.asked = 0  # fork requests whose answers have not been read
        self.forked = []  # answers read while waiting for something else

    def request_fork(self):
        try:
            self.sock.send(b"F")
        except OSError as error:
            raise ZygoteGone(str(error))
        self.asked += 1

    def receive_fork(self):
        """(pid, nonce, workdir, job_w, result_r, out_r, err_r) of a child asked for by request_fork."""
        if self.forked:
            return self.forked.pop(0)
        if self.asked == 0:
            self.request_fork()
        self.asked -= 1
        return self._read_fork()

    def _read_fork(self):
        try:
            data, ancillary, _flags, _addr = self.sock.recvmsg(4096, _socket.CMSG_LEN(4 * 4))
        except OSError as error:
            raise ZygoteGone(str(error))
        if not data:
            raise ZygoteGone("the zygote closed its socket")
        pid, nonce, size = FORKED.unpack_from(data)
        workdir = data[FORKED.size:FORKED.size + size].decode()
        fds = array.array("i")
        for level, kind, payload in ancillary:
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
        if len(fds) != 4:
            raise ZygoteGone("the zygote sent %d descriptors" % len(fds))
        return (pid, nonce, workdir) + tuple(fds)

    def finish(self, pid, grace_ms=0):
        """Ends a child; returns (exited by itself, exit code or None, signal or None, cpu seconds)."""
        try:
            self.sock.send(FINISH.pack(b"K", pid, grace_ms))
            while self.asked:  # answers come in order: forks asked for before this one come first
                self.asked -= 1
                self.forked.append(self._read_fork())
            data = self.sock.recv(64)
        except OSError as error:
            raise ZygoteGone(str(error))
        if len(data) != FINISHED.size:
            raise ZygoteGone("the zygote closed its socket")
        _, by_itself, code, signum, cpu = FINISHED.unpack(data)
        return bool(by_itself), None if code < 0 else code, None if signum < 0 else signum, cpu

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
