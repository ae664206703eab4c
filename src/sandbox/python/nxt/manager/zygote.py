"""The zygote: the one process that forks children, forked by the server before it reads any request.

Children must not inherit the server's memory: the server holds every job it has seen (programs, tests,
expected values), and a child that could read them (gc, ctypes, its own heap) could pass without
computing anything. The zygote's memory holds only the preloaded modules and the code of the
manager, the children, the isolation and the protocol (the server imports its own judging code later).

It answers the server's fork and finish requests (protocol/forks.py; the server's side is
server/zygote_client.py). It is a child subreaper: what a program leaves behind becomes its child, to
be killed and reaped when the program is finished.
"""

import _socket
import array
import gc
import os
import signal
import time

from nxt.child import start
from nxt.isolation import jail, syscalls
from nxt.isolation.libc import PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, prctl
from nxt.manager.cleanup import empty_dir, names, remove_sysv, remove_tree, sysv_ids
from nxt.protocol import forks, frames

SWEEP_ROUNDS = 200


def _kill_group(pid):
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


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
            raise OSError("the system-call filter could not be installed")
        gc.collect()
        gc.freeze()  # children never touch (and copy) the pages of these objects
        while True:
            try:
                message = self.sock.recv(forks.REQUEST_BYTES)
            except InterruptedError:
                continue
            if not message:
                break
            if message[:1] == forks.FORK:
                self._fork()
            elif message[:1] == forks.FINISH_OP:
                _, pid, grace = forks.FINISH.unpack(message)
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
        nonce = os.urandom(frames.NONCE_BYTES)
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
                os._exit(frames.BROKEN_CHANNEL_EXIT)
            start.child_main(nonce, job_r, result_w, out_w, err_w, workdir, self.uid)
            os._exit(frames.BROKEN_CHANNEL_EXIT)
        for fd in (job_r, result_w, out_w, err_w):
            os.close(fd)
        self.children[pid] = workdir
        workdir = workdir or jail.PROGRAM_WORKDIR
        encoded = workdir.encode()
        fds = array.array("i", (job_w, result_r, out_r, err_r))
        self.sock.sendmsg([forks.FORKED.pack(pid, nonce, len(encoded)) + encoded],
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
        return forks.FINISHED.pack(pid, 1 if by_itself else 0, code, signum, cpu)

    def _clean_slate(self):
        """The server's /tmp, /dev/shm and IPC namespace are its own: after a program, empty them of
        everything but the working directories of the children still waiting (emptied too: a program
        that shares their uid could have written there). No program finds another's leftovers, and a
        full /tmp lasts only until its program ends."""
        live = set(self.children.values())
        for name in names(self.workroot):
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
