"""A child from its fork until its job says what it is: the program's process or the test process.

A child is forked by the zygote (manager/zygote.py) before any job exists, so its memory holds no
test, no expected value and no other program. Until the job arrives it keeps the zygote's uid, so a
program running meanwhile under the slot's unprivileged uid can neither signal nor trace it; it holds
nothing but its nonce and its pipes. Trusted code: no program has run in this process yet.
"""

import fcntl
import os
import resource
import sys

from nxt.child import program, runner
from nxt.child.channel import Commands, Reporter
from nxt.isolation.libc import PR_SET_DUMPABLE, prctl
from nxt.protocol import frames

_BaseException = BaseException


def _set_limits(limits):
    def setlim(kind, value):
        if value is not None:
            resource.setrlimit(kind, (value, value))

    setlim(resource.RLIMIT_CORE, 0)
    setlim(resource.RLIMIT_AS, limits.get("memoryBytes"))
    cpu = limits.get("cpuSeconds")
    if cpu is not None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    setlim(resource.RLIMIT_FSIZE, limits.get("fileSizeBytes"))
    setlim(resource.RLIMIT_NOFILE, limits.get("openFiles"))
    setlim(resource.RLIMIT_NPROC, limits.get("processes"))


def child_main(nonce, job_r, result_w, out_w, err_w, workdir, uid):
    """A pre-forked child: sets itself up, waits for its one job, runs it, exits."""
    code = 0
    try:
        os.setsid()
        os.chdir(workdir)
        # Lift our descriptors above the target numbers first, so no dup2 below overwrites one of them.
        devnull, job_r, result_w, out_w, err_w = (
            fcntl.fcntl(fd, fcntl.F_DUPFD, 16)
            for fd in (os.open("/dev/null", os.O_RDWR), job_r, result_w, out_w, err_w)
        )
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.dup2(result_w, frames.RESULT_FD)
        os.dup2(job_r, frames.JOB_FD)
        os.closerange(frames.JOB_FD + 1, 1 << 20)
        if os.environ:  # nxt starts the server with an empty environment; clearing costs page faults
            os.environ.clear()
        sys.argv[:] = [""]
        commands = Commands()
        header = commands.next()
        if header is None:  # the server is shutting down
            os._exit(0)
        if not header.get("captureOutput", True):
            os.dup2(0, 1)
            os.dup2(0, 2)
        if uid is not None:
            os.chown(workdir, uid, uid)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        _set_limits(header.get("limits", {}))
        reporter = Reporter(nonce)
        if header.get("role") == "runner":
            prctl(PR_SET_DUMPABLE, 0)  # the program's process runs under the same uid: it must not read us
            runner.run(header, commands, reporter)
        else:
            program.run(header, commands, reporter)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except _BaseException:
                pass
        reporter.record(frames.DONE)
    except _BaseException:
        code = frames.BROKEN_CHANNEL_EXIT
        try:  # what went wrong, on the program's stderr (the verdict shows it)
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
        except _BaseException:
            pass
    os._exit(code)
