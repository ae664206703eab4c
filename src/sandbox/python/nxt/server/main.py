"""nxt sandbox server: judges untrusted Python programs against tests.

Started by nxt as `python3 -I -S -c <bootstrap> MODE CONFIG`; the bootstrap serves the package nxt from
fd 3 and calls `main`. Modes:
  serve  the fork-server: JSON-line requests on fd 3, answers on fd 4 (protocol/requests.py). Before it
         reads any request it forks the zygote (manager/zygote.py), which forks every child, so no child
         ever holds what the server has seen. The server plans each job's tests (seal.py), drives the
         children (supervisor.py) and compares sealed results itself.
  probe  enters the namespaces of CONFIG["namespaces"] and says on stdout whether it could.
"""

import gc
import json
import os
import sys

from nxt.child import preload, program
from nxt.isolation import jail, syscalls
from nxt.isolation.libc import PR_SET_DUMPABLE, prctl
from nxt.protocol import requests
from nxt.server import zygote_client


def _probe_children(config):
    """Tries once what the zygote will do for every child; the hello says what works (None) or why not."""
    found = {"programPidNamespace": None, "programNamespaces": None, "syscallFilter": None}
    if config.get("programPidNamespace"):
        found["programPidNamespace"] = jail.probe_own_pid_namespace()
        config["pidNamespace"] = found["programPidNamespace"] is None
    if config.get("programNamespaces"):
        # Everything but each child's own /tmp and /dev/shm is read-only and nosuid for programs: sealed
        # once here, or in each child's own mount namespace where the kernel refuses it here (the
        # server's mounts can belong to a user namespace above ours, as under bubblewrap as non-root).
        scratch = config["programScratch"]
        try:
            jail.seal_mounts()
        except OSError:
            scratch["seal"] = True
        found["programNamespaces"] = jail.probe_program_namespaces(scratch)
        config["programNamespaces"] = found["programNamespaces"] is None
    if config.get("syscallFilter"):
        syscalls.prepare()
        found["syscallFilter"] = syscalls.probe()
        config["syscallFilter"] = found["syscallFilter"] is None
    return found


def serve(config):
    # Whoever started nxt keeps their session keyring; the sandbox's processes start from an empty one.
    jail.new_session_keyring()
    found = _probe_children(config)
    preload.load()
    program.prepare()
    client = zygote_client.ZygoteClient(config)  # before any request: its memory must never hold one
    prctl(PR_SET_DUMPABLE, 0)  # the programs' uid must not read or trace the server
    # Imported once the zygote is forked: neither it nor any child holds the judge's own code.
    from nxt.server import answers

    answering = answers.Answers(client)
    message = requests.hello()
    message["childUid"] = config.get("childUid")
    message["zygotePid"] = client.pid
    message.update(found)
    requests.send(requests.ANSWERS_FD, message)
    gc.collect()
    try:
        for request in requests.read_requests(requests.REQUESTS_FD):
            if request.get("op") == "exit":
                return
            requests.write(requests.ANSWERS_FD, answering.answer(request))
    finally:
        client.close()


def main(argv):
    mode = argv[0] if argv else "serve"
    config = json.loads(argv[1]) if len(argv) > 1 else {}
    if config.get("namespaces"):
        if mode == "probe":
            try:
                jail.enter(config["namespaces"])
            except OSError as exc:
                requests.send(1, {"ok": False, "error": str(exc)})
                return
            requests.send(1, {"ok": True, "uid": os.getuid(), "pid": os.getpid()})
            return
        jail.enter(config["namespaces"])
    if mode == "serve":
        serve(config)
    else:
        sys.stderr.write("unknown mode %s\n" % mode)
        sys.exit(2)
