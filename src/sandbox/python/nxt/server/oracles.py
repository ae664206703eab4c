"""Trusted comparisons of a program's output (plain data) with an expected value.

Follows EvalPlus's evaluator (evalplus/eval/__init__.py, `unsafe_execute`): exact equality first;
for floats (or when the task gives an `atol`) the output must have the expected type (and length,
for sequences) and be numerically close with rtol 1e-7, as numpy.allclose decides. Special oracles
for the tasks EvalPlus treats specially are written here from their definitions. Nothing in this
module runs program code: every argument is plain data decoded by plain.decode.
"""

import math

RTOL = 1e-07
_INT64_MIN = -(2 ** 63)
_UINT64_END = 2 ** 64
_MAX_DIMENSIONS = 64


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


def _shape(value, depth=0):
    """The shape numpy gives nested lists and tuples (anything else is one element), or None when
    numpy refuses to make one array of them (sublists of different lengths, a list beside a number,
    more than numpy's 64 dimensions)."""
    if type(value) not in (list, tuple):
        return ()
    if depth >= _MAX_DIMENSIONS:
        return None
    shape = None
    for item in value:
        inner = _shape(item, depth + 1)
        if inner is None or (shape is not None and inner != shape):
            return None
        shape = inner
    return (len(value),) + (shape if shape is not None else ())


def _elements(value):
    if type(value) not in (list, tuple):
        yield value
        return
    for item in value:
        yield from _elements(item)


def _close_number(a, b, atol):
    """numpy.isclose(a, b, rtol=1e-7, atol) for two numbers: a NaN is close to nothing, an infinity
    only to itself."""
    a, b = _number(a), _number(b)
    if type(a) is complex or type(b) is complex:
        a, b = complex(a), complex(b)
        parts = (a.real, a.imag, b.real, b.imag)
    else:
        a, b = float(a), float(b)
        parts = (a, b)
    if any(math.isnan(x) for x in parts):
        return False
    if any(math.isinf(x) for x in parts):
        return a == b
    return abs(a - b) <= atol + RTOL * abs(b)


def _close(out, exp, atol):
    """numpy.allclose(out, exp, rtol=1e-7, atol) for values of one shape. Values numpy cannot make
    one array of are never close (numpy raises); values of two different shapes are not close either,
    where numpy would broadcast one against the other (see docs/decisions/0013)."""
    shape = _shape(exp)
    if shape is None or _shape(out) != shape:
        return False
    if shape and any(type(e) is int and not _INT64_MIN <= e < _UINT64_END for e in _elements(exp)):
        return False  # numpy keeps such an expected list as Python objects, and its check then raises
    return all(_close_number(o, e, atol) for o, e in zip(_elements(out), _elements(exp)))


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
    """Mbpp/581's surface, height taken as the apex's distance from the base; the lateral area is
    computed as 4 * (edge * slant) / 2, in EvalPlus's order, so overflow happens where it does there."""
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 4 * (base_edge * slant) / 2)


def _digit_distance(a, b):
    left, right = str(a), str(b)
    width = max(len(left), len(right))
    return sum(abs(int(x) - int(y)) for x, y in zip(left.zfill(width), right.zfill(width)))


def _zero_of_polynomial(out, exp, atol, inp):
    # EvalPlus judges find_zero by the polynomial alone (not the expected root), within the task's
    # atol; `not <=` so that a NaN, which compares false with everything, is not a zero.
    value = abs(poly(inp[0], _number(out)))
    if not value <= atol:
        raise Mismatch("the polynomial is %r, not zero within %g, at the returned point" % (value, atol))


def _any_output(out, exp, atol, inp):
    return None


def _zero_or_expected(out, exp, atol, inp):
    evalplus_assert(out, exp, atol, exact=(out == exp) or out == 0)


def _pyramid(out, exp, atol, inp):
    # As in EvalPlus, the formula is consulted only when the output is not the expected one, and an
    # error while consulting it (an output that is not a number, an overflow) fails the input.
    exact = out == exp or abs(_number(out) - _pyramid_surface(*inp)) <= atol
    evalplus_assert(out, exp, atol, exact=exact)


def _digits(out, exp, atol, inp):
    exact = out == exp or out == _digit_distance(*inp)  # an input the formula cannot read fails
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

# Oracles for which equality with the expected output proves nothing: the output is checked on its
# own (a root of the polynomial), so the judge may not pass it for having the expected bytes.
NOT_BY_EQUALITY = frozenset(("poly-zero",))


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
