"""Trusted comparisons of a program's output (plain data) with an expected value.

Follows EvalPlus's evaluator (evalplus/eval/__init__.py, `unsafe_execute`): exact equality first;
for floats (or when the task gives an `atol`) the output must have the expected type (and length,
for sequences) and be numerically close with rtol 1e-7, as numpy.allclose decides. Special oracles
for the tasks EvalPlus treats specially are written here from their definitions. Nothing in this
module runs program code: every argument is plain data decoded by plain.decode.
"""

import math

RTOL = 1e-07


class Mismatch(Exception):
    """An output that is not what the oracle accepts; the message says why."""


def _is_floats(value):
    if type(value) is float:
        return True
    if type(value) in (list, tuple) and value:
        return all(type(item) is float for item in value)
    return False


def _number(value):
    if type(value) in (int, float, bool, complex):
        return value
    raise Mismatch("%s is not a number" % type(value).__name__)


def _close(out, exp, atol, depth=0):
    """numpy.allclose(out, exp, rtol=1e-7, atol) for plain numbers and same-shaped nested sequences."""
    if type(exp) in (list, tuple):
        if type(out) not in (list, tuple) or len(out) != len(exp) or depth > 64:
            return False
        return all(_close(o, e, atol, depth + 1) for o, e in zip(out, exp))
    if type(out) in (list, tuple):
        return len(out) > 0 and all(_close(o, exp, atol, depth + 1) for o in out)  # numpy broadcasts a scalar
    a, b = _number(out), _number(exp)
    if isinstance(a, complex) or isinstance(b, complex):
        a, b = complex(a), complex(b)
        if any(math.isnan(x) for x in (a.real, a.imag, b.real, b.imag)):
            return False
        if any(math.isinf(x) for x in (a.real, a.imag, b.real, b.imag)):
            return a == b
        return abs(a - b) <= atol + RTOL * abs(b)
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return False
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + RTOL * abs(b)


def evalplus_assert(out, exp, atol, exact=None):
    """EvalPlus's final check; `exact` is what a special oracle decided about exact equality."""
    exact_match = (out == exp) if exact is None else exact
    if atol == 0 and _is_floats(exp):
        atol = 1e-6
    if not exact_match and atol != 0:
        if type(out) != type(exp):
            raise Mismatch("returned %s where %s was expected" % (type(out).__name__, type(exp).__name__))
        if isinstance(exp, (list, tuple)) and len(out) != len(exp):
            raise Mismatch("returned %d items, expected %d" % (len(out), len(exp)))
        if not _close(out, exp, atol):
            raise Mismatch("not within atol %g (rtol 1e-7) of the expected value" % atol)
        return
    if not exact_match:
        raise Mismatch("not equal to the expected value")


def poly(xs, x):
    """Value of the polynomial with coefficients xs (lowest degree first) at x."""
    return sum(coefficient * math.pow(x, power) for power, coefficient in enumerate(xs))


def _pyramid_surface(base_edge, height):
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 2 * base_edge * slant)


def _digit_distance(a, b):
    left, right = str(a), str(b)
    width = max(len(left), len(right))
    return sum(abs(int(x) - int(y)) for x, y in zip(left.zfill(width), right.zfill(width)))


def _zero_of_polynomial(out, exp, atol, inp):
    if abs(poly(inp[0], _number(out))) > atol:
        raise Mismatch("the polynomial is not zero (within %g) at the returned point" % atol)


def _any_output(out, exp, atol, inp):
    return None


def _zero_or_expected(out, exp, atol, inp):
    evalplus_assert(out, exp, atol, exact=(out == exp) or out == 0)


def _pyramid(out, exp, atol, inp):
    exact = out == exp
    if not exact:
        try:
            exact = abs(_number(out) - _pyramid_surface(*inp)) <= atol
        except (Mismatch, TypeError, ValueError, OverflowError):
            exact = False
    evalplus_assert(out, exp, atol, exact=exact)


def _digits(out, exp, atol, inp):
    exact = out == exp
    if not exact:
        try:
            exact = out == _digit_distance(*inp)
        except (TypeError, ValueError):
            exact = False
    evalplus_assert(out, exp, atol, exact=exact)


def _same_set(out, exp, atol, inp):
    try:
        exact = set(out) == set(exp)
    except TypeError as error:
        raise Mismatch("its items cannot be compared as a set (%s)" % error)
    evalplus_assert(out, exp, atol, exact=exact)


def _not_none(out, exp, atol, inp):
    exact = (out == exp) if type(out) is bool else (exp == (out is not None))
    evalplus_assert(out, exp, atol, exact=exact)


def _plain(out, exp, atol, inp):
    evalplus_assert(out, exp, atol)


# Oracles by name, as tasks name them (see tasks/plus.ts for which task uses which).
ORACLES = {
    "evalplus": _plain,
    "poly-zero": _zero_of_polynomial,
    "any": _any_output,
    "zero-or-expected": _zero_or_expected,
    "pyramid-surface": _pyramid,
    "digit-distance": _digits,
    "set-equal": _same_set,
    "not-none": _not_none,
}

# Oracles that accept an output a program cannot send as plain data (EvalPlus never looks at it).
ACCEPTS_ANY_OUTPUT = frozenset(("any",))


def check_case(oracle, out, exp, atol, inp):
    """Raises Mismatch when `out` fails the oracle for input `inp` with expected `exp`."""
    try:
        ORACLES[oracle](out, exp, atol, inp)
    except Mismatch:
        raise
    except RecursionError:
        raise Mismatch("the value is nested too deeply to compare")
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, AttributeError) as error:
        raise Mismatch("%s: %s" % (type(error).__name__, error))
