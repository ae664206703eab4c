"""Standard-library modules most programs import, loaded by the server before it forks the zygote, so
that every child gets them for free.

Only light ones: every preloaded page makes each fork dearer (measured: bench/exec.ts, DESIGN.md §3).
Not threading: importing it registers an at-fork handler that costs every fork ~130 page faults.
"""

MODULES = ("math", "re", "collections", "itertools", "functools", "heapq", "bisect", "string", "typing",
           "operator", "copy")


def load():
    for name in MODULES:
        try:
            __import__(name)
        except ImportError:
            pass
