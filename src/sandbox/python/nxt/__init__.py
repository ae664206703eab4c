"""nxt's sandbox: the Python that judges untrusted programs, laid out by the process it runs in and
how far that process is trusted (src/sandbox/README.md has the table).

  protocol   what crosses between processes: framing, plain data, limits (every process)
  isolation  namespaces, the system-call filter, prctl (the trusted processes, and each child before
             its job arrives)
  server     the fork-server: requests, test plans, comparisons, driving children (trusted)
  manager    the zygote: forks, reaps and sweeps every child (trusted, holds no job)
  child      a forked child: the program's process (untrusted) or the test process (trusted code
             under the program's uid)
  tools      parse-only helpers for dataset builders, served by the server; not judge code
  bench      benchmark baselines; never shipped to a judging server

nxt sends the package to the interpreter on fd 3 and an import hook serves it (server-source.ts).
"""
