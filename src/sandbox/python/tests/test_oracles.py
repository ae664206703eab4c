"""oracles: EvalPlus's comparison rule on plain data — tolerances, NaN and infinities, types and shapes,
and the special oracles."""

import math
import unittest

from nxt.server import oracles

NAN = float("nan")
INF = float("inf")


def passes(out, exp, atol=0.0, oracle="evalplus", inp=()):
    try:
        oracles.check_case(oracle, out, exp, atol, inp)
    except oracles.Mismatch:
        return False
    return True


class ToleranceTest(unittest.TestCase):
    def test_exact_equality_needs_no_tolerance(self):
        self.assertTrue(passes([1, "a"], [1, "a"]))
        self.assertFalse(passes([1, "a"], [1, "b"]))
        self.assertFalse(passes(1.0000001, 1))  # an int expected: exact only

    def test_floats_get_an_atol_of_1e_6_and_rtol_1e_7(self):
        self.assertTrue(passes(1.0 + 5e-7, 1.0))
        self.assertFalse(passes(1.0 + 5e-6, 1.0))
        self.assertTrue(passes(1e9 + 50, 1e9))  # rtol 1e-7 of the expected value
        self.assertFalse(passes(1e9 + 200, 1e9))
        self.assertTrue(passes([1.0, 2.0 + 1e-7], [1.0, 2.0]))

    def test_the_tasks_atol(self):
        self.assertTrue(passes(1.05, 1.0, atol=0.1))
        self.assertFalse(passes(1.2, 1.0, atol=0.1))
        self.assertTrue(passes(3, 2, atol=1))  # ints are compared numerically under an atol

    def test_nan_is_close_to_nothing_and_infinity_only_to_itself(self):
        self.assertFalse(passes(NAN, 1.0))
        self.assertFalse(passes(1.0, NAN))
        self.assertFalse(passes(NAN, NAN))
        self.assertTrue(passes(INF, INF))
        self.assertFalse(passes(INF, -INF))
        self.assertFalse(passes(1e308, INF, atol=1.0))
        # Decoded values are distinct objects (list equality would take one NaN object as equal to itself).
        self.assertFalse(passes([1.0, float("nan")], [1.0, float("nan")]))

    def test_types_must_match_under_a_tolerance(self):
        with self.assertRaisesRegex(oracles.Mismatch, "returned int where float was expected"):
            oracles.check_case("evalplus", 1, 1.5, 0.0, ())
        with self.assertRaisesRegex(oracles.Mismatch, "returned list where tuple was expected"):
            oracles.check_case("evalplus", [1.0], (1.5,), 0.0, ())
        self.assertFalse(passes("1.0", 1.0))
        self.assertFalse(passes(True, 1.5))

    def test_lengths_and_shapes(self):
        with self.assertRaisesRegex(oracles.Mismatch, "returned 1 items, expected 2"):
            oracles.check_case("evalplus", [1.0], [1.0, 2.0], 0.0, ())
        self.assertFalse(passes([[1.0], [2.0, 3.0]], [[1.0, 5.0], [2.0, 3.0]], atol=1e-3))  # ragged
        self.assertFalse(passes([[1.0, 2.0]], [[1.0], [2.0]], atol=1e-3))  # no broadcasting
        self.assertTrue(passes([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0 + 1e-9]], atol=1e-3))

    def test_complex_numbers(self):
        self.assertTrue(passes(1 + 1j, 1 + 1j + 1e-9j, atol=1e-6))
        self.assertFalse(passes(1 + 1j, 1 + 2j, atol=1e-6))
        self.assertFalse(passes(complex(NAN, 0), complex(NAN, 0), atol=1e-6))

    def test_huge_ints_never_count_as_close(self):
        big = 2 ** 70
        self.assertFalse(passes([big + 1], [big], atol=1e30))

    def test_errors_while_comparing_are_mismatches(self):
        with self.assertRaises(oracles.Mismatch):
            oracles.check_case("evalplus", [1.0, "a"], [1.0, 2.0], 0.0, ())
        deep = [1.0]
        for _ in range(10 ** 5):
            deep = [deep]
        with self.assertRaises(oracles.Mismatch):
            oracles.check_case("evalplus", deep, [2.0], 0.0, ())


class SpecialOraclesTest(unittest.TestCase):
    def test_poly_zero_judges_by_the_polynomial(self):
        coefficients = [-2.0, 1.0]  # x - 2
        self.assertTrue(passes(2.0, 999.0, 1e-6, "poly-zero", (coefficients,)))
        self.assertFalse(passes(2.1, 2.0, 1e-6, "poly-zero", (coefficients,)))
        self.assertFalse(passes(NAN, 2.0, 1e-6, "poly-zero", (coefficients,)))
        self.assertFalse(passes("2", 2.0, 1e-6, "poly-zero", (coefficients,)))
        self.assertIn("poly-zero", oracles.NOT_BY_EQUALITY)

    def test_any_set_equal_and_not_none(self):
        self.assertTrue(passes(object(), 1, oracle="any"))
        self.assertTrue(passes([2, 1, 1], [1, 2], oracle="set-equal"))
        self.assertFalse(passes([1, 3], [1, 2], oracle="set-equal"))
        self.assertFalse(passes([[1]], [[1]], oracle="set-equal"))  # unhashable items
        self.assertTrue(passes("match", True, oracle="not-none"))
        self.assertFalse(passes(None, True, oracle="not-none"))

    def test_zero_or_expected_pyramid_and_digits(self):
        self.assertTrue(passes(0, 7, oracle="zero-or-expected"))
        self.assertFalse(passes(1, 7, oracle="zero-or-expected"))
        self.assertTrue(passes(oracles._pyramid_surface(3, 4), -1, oracle="pyramid-surface", inp=(3, 4)))
        self.assertTrue(passes(9, -1, oracle="digit-distance", inp=(123, 456)))
        self.assertFalse(passes(8, -1, oracle="digit-distance", inp=(123, 456)))
        self.assertFalse(passes("x", -1, oracle="pyramid-surface", inp=(3, 4)))

    def test_unknown_oracle_is_a_fault(self):
        with self.assertRaises(KeyError):
            oracles.check_case("nope", 1, 1, 0.0, ())

    def test_poly_matches_math(self):
        self.assertEqual(oracles.poly([1, 2, 3], 2.0), 1 + 4 + 12)
        self.assertTrue(math.isnan(oracles.poly([NAN], 1.0)))


if __name__ == "__main__":
    unittest.main()
