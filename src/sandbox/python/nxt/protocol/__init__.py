"""What crosses between nxt's processes, defined once: nxt and the server (JSON lines), the server
and the zygote (fork and finish messages), the server and each child (commands and records, plain
data, trace limits). Imported by every process; holds no state."""
