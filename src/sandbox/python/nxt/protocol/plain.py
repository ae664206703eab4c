"""Plain data: the only values that cross from a sandboxed program to the judge.

A value is plain when its type is exactly None, bool, int, float, complex, str, bytes, tuple, list,
dict, set or frozenset, nested. The child encodes with marshal version 2: no back-references and no
interning, so one value always gives the same bytes (up to dict and set order), and marshal refuses
every other type, subclasses of the builtin types included. The judge never unmarshals bytes it has
not first checked with `check_encoding` (pure Python, linear, bounded depth): marshal is not safe on
crafted input (huge preallocations, code objects), the checked subset is.

A few standard-library containers whose equality is their base type's (Counter, OrderedDict,
defaultdict, namedtuple classes) are sent as that base type, read through the base type's own
methods, so a program cannot fake their content. Everything else is refused with a reason.
"""

import collections as _collections
import itertools as _itertools
import marshal as _marshal
import operator
import struct
import sys
import math as _math

VERSION = 2
MAX_DEPTH = 400
# Items a value may have when written out in full (marshal v2 has no back-references: a part shared
# k times is written k times). EvalPlus's largest expected output (Mbpp/255) has about 1.3e8.
MAX_EXPANDED_ITEMS = 400_000_000
_dumps = _marshal.dumps
_loads = _marshal.loads
_type = type
_isinstance = isinstance
_len = len
_dict_items = dict.items
_list = list
_tuple = tuple
_EXACT = frozenset((type(None), bool, int, float, complex, str, bytes))
_CONTAINERS = frozenset((tuple, list, dict, set, frozenset))
_BUILTIN_NAMES = {type(None): "None", bool: "bool", int: "int", float: "float", complex: "complex", str: "str",
                  bytes: "bytes", tuple: "tuple", list: "list", dict: "dict", set: "set", frozenset: "frozenset"}
_STDLIB_DICTS = frozenset((_collections.Counter, _collections.OrderedDict, _collections.defaultdict))


class NotPlain(Exception):
    """Raised (child side) with a sentence saying why a value cannot be judged."""


class TooLarge(Exception):
    """Raised (child side) for a plain value whose encoding is over the limit: it is judged by the
    SHA-256 of its encoding instead (a program cannot aim at a digest it does not know)."""

    def __init__(self, size, digest):
        Exception.__init__(self, size)
        self.size = size
        self.digest = digest


DIGEST = struct.Struct("<Q32s")


def _builtin_base(kind):
    for base in kind.__mro__[1:]:
        if base in _BUILTIN_NAMES:
            return base
    return None


def _is_namedtuple(kind):
    return (kind.__bases__ == (tuple,) and _isinstance(getattr(kind, "_fields", None), tuple)
            and kind.__eq__ is tuple.__eq__ and kind.__iter__ is tuple.__iter__ and kind.__len__ is tuple.__len__)


def _article(word):
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def why_not_plain(value):
    """'returned a MyInt, not an int', 'returned a generator, which is not plain data': for messages."""
    kind = _type(value)
    name = str(getattr(kind, "__name__", "object"))[:80]
    base = _builtin_base(kind)
    if base is not None:
        return "returned %s, not %s" % (_article(name), _article(_BUILTIN_NAMES[base]))
    if kind.__module__ != "builtins":
        name += " object"
    return "returned %s, which is not plain data" % _article(name)


def _convert(value, depth, budget):
    kind = _type(value)
    if kind in _EXACT:
        return value
    if depth > MAX_DEPTH:
        raise NotPlain("returned a value nested more than %d levels deep" % MAX_DEPTH)
    budget[0] -= 1
    if budget[0] < 0:
        raise NotPlain("returned a value too large (or too shared) to read as plain data")
    depth += 1
    if kind is list:
        return [_convert(item, depth, budget) for item in value]
    if kind is tuple or (kind.__bases__ == (tuple,) and _is_namedtuple(kind)):
        return _tuple(_convert(item, depth, budget) for item in tuple.__iter__(value))
    if kind is dict or kind in _STDLIB_DICTS:
        return {_convert(k, depth, budget): _convert(v, depth, budget) for k, v in _dict_items(value)}
    if kind is set:
        return {_convert(item, depth, budget) for item in value}
    if kind is frozenset:
        return frozenset(_convert(item, depth, budget) for item in value)
    if kind in (bytearray, memoryview):
        return bytes(value)
    raise NotPlain(why_not_plain(value))


_CONTAINER_TYPES = frozenset((list, tuple, dict, set, frozenset))
_is_container_type = _CONTAINER_TYPES.__contains__
_is_dict_type = frozenset((dict,)).__contains__
_chain = _itertools.chain.from_iterable
_compress = _itertools.compress
_dict_values = dict.values
_refcount = sys.getrefcount
_not = operator.not_


def _level_items(level, has_dicts=True):
    """Every item of the containers in `level` (dict keys and values), read with C iterators."""
    if not has_dicts:
        return _list(_chain(level))
    is_dict = _list(map(_is_dict_type, map(_type, level)))
    if not any(is_dict):
        return _list(_chain(level))
    dicts = _list(_compress(level, is_dict))
    others = _list(_compress(level, map(_not, is_dict)))
    return _list(_itertools.chain(_chain(others), _chain(dicts), _chain(map(_dict_values, dicts))))


def _next_level(items):
    """The non-empty containers among `items` (an empty one can neither nest nor grow), and whether
    there are dicts among them; None when there are no containers."""
    kinds = set(map(_type, items))
    if kinds.isdisjoint(_CONTAINER_TYPES):
        return None, False
    level = items if kinds <= _CONTAINER_TYPES else _compress(items, map(_is_container_type, map(_type, items)))
    return _list(filter(None, level)), dict in kinds


def _unshared_refcount():
    probe = [[[0]], [[0]]]
    level, _ = _next_level(_level_items([probe]))
    return max(map(_refcount, level))


def check_shape(value):
    """Refuses (NotPlain) a value that contains itself, nests more than MAX_DEPTH levels, or would be too
    large written out; marshal v2 would otherwise walk it forever. Linear in the value's size: each
    level is read with C iterators. A part referenced from more than one place (shared, or part of a
    cycle) switches to an exact count by object."""
    level = [value]
    has_dicts = _type(value) is dict
    total = 0
    depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            raise NotPlain("returned a value nested more than %d levels deep" % MAX_DEPTH)
        items = _level_items(level, has_dicts)
        total += _len(items)
        if total > MAX_EXPANDED_ITEMS:
            raise NotPlain("returned a value too large to judge (more than %d items)" % MAX_EXPANDED_ITEMS)
        level, has_dicts = _next_level(items)
        del items
        if not level:
            return
        if max(map(_refcount, level)) > _UNSHARED:
            _expanded_size(value, {}, set(), 0)
            return


def _expanded_size(value, sizes, open_ids, depth):
    key = id(value)
    if key in sizes:
        return sizes[key]
    if key in open_ids:
        raise NotPlain("returned a value that contains itself")
    if depth > MAX_DEPTH:
        raise NotPlain("returned a value nested more than %d levels deep" % MAX_DEPTH)
    open_ids.add(key)
    items = _level_items([value])
    size = _len(items)
    for item in items:
        if _type(item) in _CONTAINER_TYPES:
            size += _expanded_size(item, sizes, open_ids, depth + 1)
            if size > MAX_EXPANDED_ITEMS:
                raise NotPlain("returned a value too large to judge (more than %d items written out)"
                               % MAX_EXPANDED_ITEMS)
    open_ids.discard(key)
    sizes[key] = size
    return size


_UNSHARED = _unshared_refcount()


def encode(value, limit):
    """Child side: the value as marshal v2 bytes. Raises NotPlain with the reason it cannot cross, or
    TooLarge when it is plain but its encoding is over `limit`."""
    kind = _type(value)
    if kind in _CONTAINER_TYPES:
        check_shape(value)
    try:
        data = _dumps(value, VERSION)
    except BaseException:
        data = None
    if data is None or (kind not in _EXACT and kind not in _CONTAINERS):
        # Slow path: convert what may cross, name the first thing that may not.
        try:
            data = _dumps(_convert(value, 0, [10_000_000]), VERSION)
        except NotPlain:
            raise
        except RecursionError:
            raise NotPlain("returned a value nested too deeply to judge")
        except BaseException as exc:
            raise NotPlain("returned a value that could not be read as plain data (%s)" % _type(exc).__name__)
    if _len(data) > limit:
        raise TooLarge(_len(data), digest(data))
    return data


# ---------------------------------------------------------------------------------------------
# Trusted side.
# ---------------------------------------------------------------------------------------------

_INT32 = 4


def _int32(data, pos):
    return int.from_bytes(data[pos:pos + 4], "little", signed=True)


# What the judge spends on one value a program sends is bounded: a value is built (and then compared,
# evaluated, described) only when it is small enough to do so in about a second and a bounded amount of
# memory, whatever the program sent. A larger value is judged by its exact encoding only: equal bytes
# pass, anything else fails (as for a value over the 64 MiB limit, sent as its digest). For `==` on
# plain data this loses little: only a value equal to the expected one in another dict or set order, or
# within a float tolerance, needs building. Measured with bench/hostile-records.ts.
DECODE_ITEMS = 1_000_000  # values of every kind, nested ones included
DECODE_BYTES = 128 * 1024 * 1024  # the built value's estimated size (see _COSTS)
DECODE_INT_BITS = 1_000_000  # per int: a test may take its square root (superlinear in its size)
# Estimated bytes a decoded item costs on 64-bit CPython: its slot in the container and its object.
# Strings and bytes count 16 per byte: a test may split them into many small objects.
_COSTS = {0x4E: 8, 0x54: 8, 0x46: 8, 0x69: 40, 0x67: 32, 0x79: 40, 0x6C: 40, 0x73: 48, 0x75: 64,
          0x28: 64, 0x5B: 80, 0x3C: 232, 0x3E: 232, 0x7B: 88}
_PER_BYTE = 16
# Extra estimated bytes per item of a container beyond its slot (hash table entries).
_ITEM_COSTS = {0x28: 0, 0x5B: 0, 0x3C: 40, 0x3E: 40}
_DICT_ITEM_COST = 24
_LONG_BITS_PER_DIGIT = 15


class OverBudget(Exception):
    """Raised (judge side) for data that would cost more to build than the decode budget allows. It may
    or may not be plain: such a value is judged only by whether its bytes are the expected ones."""

    def __init__(self, size):
        Exception.__init__(self, "a value of %d bytes, too large to build on the judge's side" % size)
        self.size = size


def check_encoding(data, max_depth=MAX_DEPTH, budget=False):
    """True when `data` is exactly one plain value in marshal v2 form (checked without building it).
    With `budget`, raises OverBudget as soon as building it would exceed DECODE_ITEMS, DECODE_BYTES or
    DECODE_INT_BITS (so the check itself costs at most that many items)."""
    end = _len(data)
    pos = 0
    items = DECODE_ITEMS if budget else -1
    room = DECODE_BYTES if budget else -1
    stack = [[0, 1, 0]]  # [kind, remaining, extra cost per item]: kind 0 = sequence, 1 = dict key, 2 = dict value
    while stack:
        frame = stack[-1]
        if frame[0] == 0:
            if frame[1] == 0:
                stack.pop()
                continue
            frame[1] -= 1
        elif frame[0] == 1:
            if pos < end and data[pos] == 0x30:  # '0' ends a dict
                pos += 1
                stack.pop()
                continue
            frame[0] = 2
        else:
            frame[0] = 1
        if pos >= end:
            return False
        code = data[pos]
        pos += 1
        if items >= 0:
            items -= 1
            room -= _COSTS.get(code, 0) + frame[2]
            if items < 0 or room < 0:
                raise OverBudget(end)
        if code in (0x4E, 0x54, 0x46):  # N T F
            continue
        if code == 0x69:  # i
            pos += 4
        elif code == 0x67:  # g
            pos += 8
        elif code == 0x79:  # y
            pos += 16
        elif code == 0x6C:  # l: signed digit count, then 15-bit digits
            if pos + 4 > end:
                return False
            digits = abs(_int32(data, pos))
            pos += 4 + 2 * digits
            if room >= 0:
                room -= 2 * digits
                if room < 0 or digits * _LONG_BITS_PER_DIGIT > DECODE_INT_BITS:
                    raise OverBudget(end)
        elif code in (0x73, 0x75):  # s u
            if pos + 4 > end:
                return False
            size = _int32(data, pos)
            if size < 0:
                return False
            pos += 4 + size
            if room >= 0:
                room -= _PER_BYTE * size
                if room < 0:
                    raise OverBudget(end)
        elif code in (0x28, 0x5B, 0x3C, 0x3E):  # ( [ < >
            if pos + 4 > end:
                return False
            count = _int32(data, pos)
            pos += 4
            if count < 0 or count > end - pos or _len(stack) > max_depth:
                return False
            stack.append([0, count, _ITEM_COSTS[code]])
        elif code == 0x7B:  # {
            if _len(stack) > max_depth:
                return False
            stack.append([1, 0, _DICT_ITEM_COST])
        else:
            return False
        if pos > end:
            return False
    return pos == end


def decode(data, budget=False):
    """Builds a checked value. Raises ValueError when the bytes are not plain data, and with `budget`
    OverBudget when the value is too large to build (see check_encoding)."""
    if not check_encoding(data, budget=budget):
        raise ValueError("the value is not plain data")
    try:
        return _loads(data)
    except (ValueError, EOFError, TypeError, OverflowError, MemoryError, RecursionError) as exc:
        raise ValueError("the value is not plain data (%s)" % type(exc).__name__)


def has_nan(value, depth=0):
    """True when a NaN hides in a plain value (then equal bytes do not mean equal values)."""
    kind = type(value)
    if kind is float:
        return value != value
    if kind is complex:
        return value != value
    if depth > MAX_DEPTH:
        return True
    if kind in (list, tuple, set, frozenset):
        return any(has_nan(item, depth + 1) for item in value)
    if kind is dict:
        return any(has_nan(k, depth + 1) or has_nan(v, depth + 1) for k, v in value.items())
    return False


def digest(data):
    # Imported here: hashlib maps OpenSSL, which would make every fork and exit of every child dearer.
    import hashlib

    return hashlib.sha256(data).digest()


class Digest:
    """An expected value known only by the size and SHA-256 of its encoding (it was too large)."""

    def __init__(self, size, value_digest):
        self.size = size
        self.digest = value_digest

    def __repr__(self):
        return "<a value of %d bytes>" % self.size


def fast_bytes(expected):
    """The bytes that, when a program sends exactly them, mean it returned the expected value; or None."""
    try:
        if has_nan(expected):
            return None
        return _dumps(expected, VERSION)
    except (ValueError, RecursionError):
        return None


_SHORT = None


def short_repr(value):
    """A bounded repr of a plain value, for messages (judge side only)."""
    global _SHORT
    if _SHORT is None:
        import reprlib

        _SHORT = reprlib.Repr()
        _SHORT.maxstring = 120
        _SHORT.maxother = 120
        _SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxfrozenset = _SHORT.maxdict = 12
        _SHORT.maxlevel = 4
        _SHORT.maxlong = 60
    try:
        return _SHORT.repr(value)
    except (ValueError, RecursionError):
        if type(value) is int:
            return "<an int of %d bits>" % value.bit_length()
        return "<%s>" % type(value).__name__


def isclose(a, b, rel_tol=1e-09, abs_tol=0.0):
    return _math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
