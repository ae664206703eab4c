"""Parse-only helpers for dataset builders and self-training (AST mutants, normalized trees). Served
by the server on request, loaded only then; no verdict depends on them, so they are not part of the
judge's identity."""
