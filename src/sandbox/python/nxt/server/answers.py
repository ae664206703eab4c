"""The server's answers to nxt's requests (trusted): judging, test plans, entry points, splitting test
files, and the tools' requests. Imported by the server only after it has forked the zygote, so neither
the zygote nor any child holds this code."""

import ast
import collections
import marshal
import os
import sys

from nxt.protocol import plain, requests
from nxt.server import entry_points, seal, supervisor, zygote_client

PLAN_CACHE_BYTES = 256 * 1024 * 1024


class PlanCache:
    """Plans by test set, so a task's tests are parsed (and its EvalPlus literals read) once per server."""

    def __init__(self, capacity=PLAN_CACHE_BYTES):
        self.capacity = capacity
        self.size = 0
        self.entries = collections.OrderedDict()

    @staticmethod
    def _key(request):
        material = marshal.dumps((request["tests"], request.get("entryPoint"), request.get("reference"),
                                  bool(request.get("sealing", True)), request.get("entryPoints") or []))
        return plain.digest(material), len(material)

    def plans(self, request):
        key, weight = self._key(request)
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
            return entry[0]
        plans = seal.plan_tests(request["tests"], request.get("entryPoint"), request.get("reference"),
                                bool(request.get("sealing", True)), request.get("entryPoints") or ())
        self.entries[key] = (plans, weight)
        self.size += weight
        while self.size > self.capacity and len(self.entries) > 1:
            _, (_, dropped) = self.entries.popitem(last=False)
            self.size -= dropped
        return plans

    def mark_statement(self, request, index):
        """A runner test that turned out to pass objects: later jobs run it as a statement at once."""
        entry = self.entries.get(self._key(request)[0])
        if entry is not None:
            plans = entry[0]
            plans[index] = seal.Statement(plans[index].source, "an argument is not plain data")


def split_statements(source):
    """Top-level statements of `source` as source text (parsing only: nothing is executed)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        line = exc.lineno if type(exc.lineno) is int else None
        return {"error": "%s (line %s)" % (exc.msg, line), "line": line}
    except (ValueError, RecursionError, MemoryError) as exc:
        return {"error": "%s: %s" % (type(exc).__name__, exc), "line": None}
    statements = []
    for node in tree.body:
        text = ast.get_source_segment(source, node)
        decorators = getattr(node, "decorator_list", None) or []
        if decorators:
            text = "".join("@%s\n" % ast.get_source_segment(source, d) for d in decorators) + text
        statements.append(text)
    return {"statements": statements}


class Answers:
    """Answers one request at a time."""

    def __init__(self, zygote):
        self.plans = PlanCache()
        self.supervisor = supervisor.Supervisor(zygote, self.plans)

    def answer(self, request):
        """The answer as the JSON line to send: the result, or the judge's own fault (ok: false).
        Exits the process when the zygote is gone. One frame between the request loop and the judge,
        as before the package had zones: the Python stack a program gets must not change."""
        op = request.get("op")
        try:
            if op == "judge":
                result = self.supervisor.judge(request)
            elif op == "plan":
                plans = seal.plan_tests(request["tests"], request.get("entryPoint"), request.get("reference"), True,
                                        request.get("entryPoints") or ())
                result = [{"kind": plan.kind, "reason": getattr(plan, "reason", None)} for plan in plans]
            elif op == "entry-points":
                result = entry_points.infer(request["program"], request["tests"])
            elif op == "split":
                result = split_statements(request["source"])
            elif op == "mutate":
                result = _tools().mutants(request["source"])
            elif op == "normalize":
                result = [_tools().normalize(item) for item in request["sources"]]
            elif op == "ping":
                result = "pong"
            else:
                raise ValueError("unknown request %r" % (op,))
            return requests.answer_line({"id": request["id"], "ok": True, "result": result})
        except zygote_client.ZygoteGone as exc:
            # Nothing can be judged without the zygote: exit, so nxt starts a new server and retries.
            sys.stderr.write("nxt: the zygote died (%s)\n" % exc)
            os._exit(3)
        except Exception as exc:  # a fault of the judge itself, reported to nxt
            error = ("%s: %s" % (type(exc).__name__, exc))[:2000]
            return requests.answer_line({"id": request.get("id"), "ok": False, "error": error})


def _tools():
    from nxt.tools import mutate  # loaded on the first request for it: dataset builders' code, no verdict's

    return mutate
