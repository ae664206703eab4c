"""The fork-server (trusted): reads nxt's requests, plans tests, holds expected values, drives the
children through the zygote and compares their results. Never runs program code."""
