"""The server's side of the children it drives: each child's pipes, pending commands and record reader
(Process), what it printed (Capture), and the one poll loop that drives them all (Watch)."""

import fcntl
import os
import select

from nxt.protocol import frames


class Capture:
    """A child's stdout or stderr, kept up to `limit` bytes."""

    def __init__(self, limit):
        self.limit = limit
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk):
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        if len(chunk) > room:
            self.truncated = True

    def text(self):
        return self.data.decode("utf-8", "replace")


class Process:
    """A forked child as the server sees it: its pipes, its record parser, its pending commands."""

    def __init__(self, forked):
        self.pid, self.nonce, self.workdir, self.job_w, self.result_r, self.out_r, self.err_r = forked
        self.reader = frames.RecordReader(self.nonce)
        self.outgoing = bytearray()
        self.input_open = True
        self.close_when_sent = False
        self.watched = False
        flags = fcntl.fcntl(self.job_w, fcntl.F_GETFL)
        fcntl.fcntl(self.job_w, fcntl.F_SETFL, flags | os.O_NONBLOCK)

    def send(self, command):
        if self.input_open:
            self.outgoing += frames.command(command)

    def pump(self):
        """Writes what the pipe takes now; closes the job pipe once everything asked for is out."""
        while self.outgoing and self.input_open:
            try:
                written = os.write(self.job_w, self.outgoing[:1 << 20])
            except BlockingIOError:
                return
            except OSError:
                self.outgoing = bytearray()
                self.close_input()
                return
            del self.outgoing[:written]
        if self.close_when_sent and not self.outgoing:
            self.close_input()

    def close_input(self):
        if self.input_open:
            self.input_open = False
            try:
                os.close(self.job_w)
            except OSError:
                pass

    def close_all(self):
        self.close_input()
        for fd in (self.result_r, self.out_r, self.err_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _never():
    return False


class Watch:
    """The poll loop over children's pipes: sends each process the commands it has pending as its job
    pipe takes them, and hands what each read end gives to its reader, for up to a deadline."""

    def __init__(self):
        self._poller = select.poll()
        self._readers = {}  # fd -> reader(chunk), chunk b"" at the end of the stream
        self._writing = set()  # job pipes polled for writing
        self._processes = ()

    def read(self, fd, reader):
        """Hands each chunk read from `fd` to `reader`, and b"" at its end (then `forget` it)."""
        self._poller.register(fd, select.POLLIN)
        self._readers[fd] = reader

    def forget(self, fd):
        self._poller.unregister(fd)
        del self._readers[fd]

    def want_writes(self, processes):
        """Polls the job pipes of `processes` (None entries skipped) that have commands pending, and
        no others. Before registering a new reader: a closed job pipe's number may be reused."""
        self._processes = [process for process in processes if process is not None]
        for process in self._processes:
            wants = bool(process.outgoing) and process.input_open
            if wants and process.job_w not in self._writing:
                self._poller.register(process.job_w, select.POLLOUT)
                self._writing.add(process.job_w)
            elif not wants and process.job_w in self._writing:
                self._poller.unregister(process.job_w)
                self._writing.discard(process.job_w)

    def wait(self, seconds, stopped=_never):
        """Polls once for up to `seconds`, then pumps the writable job pipes and reads the readable
        ends, one event at a time until `stopped()`."""
        for fd, _mask in self._poller.poll(max(1, int(seconds * 1000) + 1)):
            if stopped():
                return
            if fd in self._writing:
                for process in self._processes:
                    if process.job_w == fd:
                        process.pump()
                continue
            reader = self._readers.get(fd)
            if reader is None:
                continue
            try:
                chunk = os.read(fd, 1 << 20)
            except OSError:
                chunk = b""
            reader(chunk)
