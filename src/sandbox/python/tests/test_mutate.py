"""tools.mutate: the synthetic dataset's mutants and the normalized trees used to deduplicate programs
must be the same on every run and every machine (datasets are rebuilt and compared)."""

import subprocess
import sys
import unittest

from nxt.tools import mutate

SOURCE = '''def f(xs, k):
    total = 0
    for i, x in enumerate(xs):
        if x > k and i % 2 == 0:
            total += x * 2
        elif not x:
            continue
    return total - 1
'''

_IN_FRESH_PROCESS = "import json, sys; from nxt.tools import mutate; print(json.dumps(mutate.mutants(sys.stdin.read())))"


class MutantsTest(unittest.TestCase):
    def test_the_same_mutants_in_the_same_order_every_time(self):
        first = mutate.mutants(SOURCE)
        self.assertGreater(len(first), 10)
        self.assertEqual(mutate.mutants(SOURCE), first)

    def test_the_same_in_another_process_whatever_its_hash_seed(self):
        import json

        outputs = set()
        for seed in ("0", "1", "12345"):
            result = subprocess.run([sys.executable, "-B", "-c", _IN_FRESH_PROCESS], input=SOURCE,
                                    capture_output=True, text=True, env={"PYTHONHASHSEED": seed},
                                    cwd=_package_root(), check=True)
            outputs.add(result.stdout)
        self.assertEqual(len(outputs), 1)
        self.assertEqual(json.loads(outputs.pop()), mutate.mutants(SOURCE))

    def test_each_mutant_is_one_change_that_parses(self):
        import ast

        original = mutate.normalize(SOURCE)
        for mutant in mutate.mutants(SOURCE):
            with self.subTest(kind=mutant["kind"]):
                ast.parse(mutant["program"])
                self.assertNotEqual(mutate.normalize(mutant["program"]), original)

    def test_no_mutants_of_what_does_not_parse(self):
        self.assertEqual(mutate.mutants("def f(:\n"), [])


class NormalizeTest(unittest.TestCase):
    def test_formatting_and_comments_do_not_count(self):
        self.assertEqual(mutate.normalize("x=1 # one\n"), mutate.normalize("x = 1\n\n"))
        self.assertNotEqual(mutate.normalize("x = 1\n"), mutate.normalize("x = 2\n"))

    def test_none_when_it_does_not_parse(self):
        self.assertIsNone(mutate.normalize("def f(:\n"))
        self.assertIsNone(mutate.normalize("\0"))


def _package_root():
    import os

    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


if __name__ == "__main__":
    unittest.main()
