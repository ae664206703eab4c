"""A forked child. `start` sets it up before its job arrives (trusted code, no program yet); the job
makes it the program's process (`program`, with `tracer`: untrusted, the program runs here) or the test
process (`runner`: trusted code holding the reference and the tests, under the program's uid)."""
