"""The server's side of the zygote (manager/zygote.py): forks it before any request, then asks it for
children and to finish them (protocol/forks.py). Runs in the server."""

import _socket
import array
import os

from nxt.manager import zygote
from nxt.protocol import forks


class ZygoteGone(Exception):
    """The zygote died (a program may kill it when nothing separates their uids): the server cannot
    fork any more and must be replaced."""


def _start(config):
    """Forks the zygote; returns (pid, the server's socket)."""
    # _socket, not socket: socket.py brings selectors and enum classes into every child's memory.
    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:  # the zygote, for its whole life (no frame more: programs get the stack they always had)
        code = 0
        try:
            ours.close()
            zygote.Zygote(theirs, config).serve()
        except BaseException:
            code = 1
        os._exit(code)
    theirs.close()
    return pid, ours


class ZygoteClient:
    """The server's side of the protocol: forks the zygote, asks it for children, finishes them."""

    def __init__(self, config):
        self.pid, self.sock = _start(config)
        self.asked = 0  # fork requests whose answers have not been read
        self.forked = []  # answers read while waiting for something else

    def request_fork(self):
        try:
            self.sock.send(forks.FORK)
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
            data, ancillary, _flags, _addr = self.sock.recvmsg(forks.FORKED_BYTES, _socket.CMSG_LEN(forks.PIPES * 4))
        except OSError as error:
            raise ZygoteGone(str(error))
        if not data:
            raise ZygoteGone("the zygote closed its socket")
        pid, nonce, size = forks.FORKED.unpack_from(data)
        workdir = data[forks.FORKED.size:forks.FORKED.size + size].decode()
        fds = array.array("i")
        for level, kind, payload in ancillary:
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
        if len(fds) != forks.PIPES:
            raise ZygoteGone("the zygote sent %d descriptors" % len(fds))
        return (pid, nonce, workdir) + tuple(fds)

    def finish(self, pid, grace_ms=0):
        """Ends a child; returns (exited by itself, exit code or None, signal or None, cpu seconds)."""
        try:
            self.sock.send(forks.FINISH.pack(forks.FINISH_OP, pid, grace_ms))
            while self.asked:  # answers come in order: forks asked for before this one come first
                self.asked -= 1
                self.forked.append(self._read_fork())
            data = self.sock.recv(forks.REQUEST_BYTES)
        except OSError as error:
            raise ZygoteGone(str(error))
        if len(data) != forks.FINISHED.size:
            raise ZygoteGone("the zygote closed its socket")
        _, by_itself, code, signum, cpu = forks.FINISHED.unpack(data)
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
