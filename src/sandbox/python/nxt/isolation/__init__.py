"""Linux isolation through ctypes: the server's own namespaces and root (jail), the system-call filter
(syscalls), prctl (libc). Used by the trusted processes, and by each child before its job arrives."""
