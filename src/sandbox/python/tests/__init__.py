"""Direct tests of the sandbox's pure, security-critical functions (stdlib unittest, no pytest), run by
src/sandbox/python-tests.test.ts: python3 -m unittest discover -s tests -t . from src/sandbox/python."""
