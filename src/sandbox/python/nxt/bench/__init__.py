"""Benchmark baselines only (bench/exec.ts): judging with no isolation at all. Never part of the
bundle a judging server reads, nor of the judge's identity."""
