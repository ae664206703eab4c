"""seal: the bounded evaluator of constant expressions (its step, size and time budgets, and what it
refuses to touch) and how tests are planned."""

import ast
import time
import unittest
from unittest import mock

from nxt.server import seal


def evaluate(text, env=None, modules=(), deadline=None):
    return seal.ConstantEvaluator(env, modules, deadline).eval(ast.parse(text, mode="eval").body)


class ConstantEvaluatorTest(unittest.TestCase):
    def test_constants_arithmetic_and_comprehensions(self):
        self.assertEqual(evaluate("[x * 2 for x in range(4) if x]"), [2, 4, 6])
        self.assertEqual(evaluate("{k: v for k, v in zip('ab', (1, 2))}"), {"a": 1, "b": 2})
        self.assertEqual(evaluate("sorted({3, 1}) + [abs(-2)]"), [1, 3, 2])
        self.assertEqual(evaluate("f'{1 + 1}!r'"), "2!r")
        self.assertAlmostEqual(evaluate("math.sqrt(2) ** 2", modules={"math"}), 2.0)

    @mock.patch.object(seal, "STEP_BUDGET", 10_000)  # the mechanism, without two million steps
    def test_the_step_budget(self):
        with self.assertRaisesRegex(seal.Unsealable, "too much work"):
            evaluate("sum(x for x in range(10000))")
        with self.assertRaisesRegex(seal.Unsealable, "too much work"):
            evaluate("[[y for y in range(100)] for x in range(100)]")
        with self.assertRaisesRegex(seal.Unsealable, "too much work"):
            evaluate("[*range(20000)]")
        self.assertEqual(evaluate("sum(x for x in range(1000))"), 499500)

    def test_sizes(self):
        with self.assertRaisesRegex(seal.Unsealable, "range too long"):
            evaluate("range(%d)" % (seal.MAX_ITEMS + 1))
        with self.assertRaisesRegex(seal.Unsealable, "power too large"):
            evaluate("10 ** 10 ** 7")
        with self.assertRaisesRegex(seal.Unsealable, "power too large"):
            evaluate("pow(3, 10 ** 7)")
        with self.assertRaisesRegex(seal.Unsealable, "shift too large"):
            evaluate("1 << %d" % (seal.MAX_INT_BITS + 1))
        with self.assertRaisesRegex(seal.Unsealable, "repetition too large"):
            evaluate("'ab' * %d" % seal.MAX_ITEMS)
        with self.assertRaisesRegex(seal.Unsealable, "repetition too large"):
            evaluate("[0] * 10 ** 9")
        with self.assertRaisesRegex(seal.Unsealable, "factorial too large"):
            evaluate("math.factorial(10 ** 6)", modules={"math"})

    def test_the_deadline_when_judging_a_result(self):
        with self.assertRaisesRegex(seal.Unsealable, "took more than"):
            evaluate("[1, 2, 3]", deadline=time.perf_counter() - 1)
        evaluate("[1, 2, 3]", deadline=time.perf_counter() + 10)

    def test_nothing_outside_the_allowed_names_and_methods(self):
        for text in ("open('x')", "__import__('os')", "eval('1')", "getattr(1, 'real')", "(1).__class__",
                     "'a'.__class__", "type(1)", "[].append(1)", "lambda: 1",
                     "os.system('true')", "math.sqrt(4)", "sys.modules"):
            with self.subTest(text=text), self.assertRaises((seal.Unsealable, AttributeError)):
                evaluate(text)

    def test_module_names_need_their_import(self):
        self.assertEqual(evaluate("math.floor(2.5)", modules={"math"}), 2)
        with self.assertRaises(seal.Unsealable):
            evaluate("math.floor(2.5)")
        with self.assertRaises(seal.Unsealable):
            evaluate("math.system", modules={"math"})


class PlanTest(unittest.TestCase):
    def kinds(self, tests, entry="f", reference=None):
        return [plan.kind for plan in seal.plan_tests(tests, entry, reference)]

    def test_shapes(self):
        self.assertEqual(self.kinds([
            "assert f(1) == 2",
            "assert abs(f(1.5) - 2.5) < 1e-6",
            "assert not f(0)",
            "x = [1, 2]\nassert f(x) == sorted(x)",
            "for i in range(3):\n    assert f(i) == i + 1",
            "assert f(f(1)) == 3",
            "assert f(Box()) == 1",
        ]), ["sealed", "sealed", "sealed", "sealed", "runner", "runner", "statement"])

    def test_a_sealed_call_judges_the_returned_value_on_the_trusted_side(self):
        (plan,) = seal.plan_tests(["assert f(2) == [1, 2]"], "f")
        self.assertEqual((plan.function, plan.args, plan.expected), ("f", (2,), [1, 2]))
        self.assertIsNone(plan.judge([1, 2]))
        status, info = plan.judge([2, 1])
        self.assertEqual((status, info["type"]), ("fail", "AssertionError"))

    @mock.patch.object(seal, "STEP_BUDGET", 10_000)
    def test_an_evaluation_over_budget_is_an_error_never_a_pass(self):
        (plan,) = seal.plan_tests(["assert sum(x for x in f(1)) == 0"], "f", None)
        self.assertEqual(plan.kind, "sealed")
        status, info = plan.judge([0] * 20_000)
        self.assertEqual(status, "error")
        self.assertIn("could not be evaluated", info["message"])

    def test_plans_do_not_depend_on_the_clock(self):
        tests = ["assert f(%d) == %d" % (i, i) for i in range(50)] + ["assert f(1) in [x for x in range(10 ** 4)]"]
        first = [(p.kind, getattr(p, "args", None)) for p in seal.plan_tests(tests, "f")]
        second = [(p.kind, getattr(p, "args", None)) for p in seal.plan_tests(tests, "f")]
        self.assertEqual(first, second)

    def test_case_batches(self):
        (plan,) = seal.plan_tests([{"function": "f", "inputs": "[[1], [2]]", "expected": "[1.0, inf]"}])
        self.assertEqual((plan.kind, plan.inputs, plan.expected), ("cases", [(1,), (2,)], [1.0, float("inf")]))
        with self.assertRaises(ValueError):
            seal.plan_tests([{"function": "f", "inputs": "[[1]]", "expected": "[1, 2]"}])
        with self.assertRaises(ValueError):
            seal.plan_tests([{"function": "f", "inputs": "__import__('os')", "expected": "[]"}])


if __name__ == "__main__":
    unittest.main()
