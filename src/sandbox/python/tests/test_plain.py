"""plain: what may cross from a child (encode) and what the judge agrees to build (check_encoding,
decode) — malformed bytes, nesting depth, and the decode budget."""

import collections
import marshal
import unittest

from nxt.protocol import plain


def _dumps(value):
    return marshal.dumps(value, plain.VERSION)


def _nested_lists(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


class EncodeTest(unittest.TestCase):
    def test_plain_values_round_trip(self):
        for value in (None, True, 0, -(2 ** 80), 1.5, float("inf"), 2j, "é", b"\x00", (1, [2, {3: {4}}]),
                      frozenset((1, 2)), {"a": [1.0, None]}):
            with self.subTest(value=value):
                self.assertEqual(plain.decode(plain.encode(value, 1 << 20)), value)

    def test_one_value_always_has_the_same_bytes(self):
        shared = [1, 2]
        self.assertEqual(plain.encode([shared, shared], 1 << 20), plain.encode([[1, 2], [1, 2]], 1 << 20))

    def test_subclasses_and_objects_are_refused_with_the_reason(self):
        class MyInt(int):
            pass

        class Box:
            pass

        with self.assertRaisesRegex(plain.NotPlain, "returned a MyInt, not an int"):
            plain.encode(MyInt(3), 1 << 20)
        with self.assertRaisesRegex(plain.NotPlain, "a Box object, which is not plain data"):
            plain.encode([Box()], 1 << 20)
        with self.assertRaisesRegex(plain.NotPlain, "generator"):
            plain.encode((x for x in ()), 1 << 20)

    def test_standard_containers_are_read_as_their_base_type(self):
        point = collections.namedtuple("Point", "x y")
        self.assertEqual(plain.decode(plain.encode(collections.Counter("aab"), 1 << 20)), {"a": 2, "b": 1})
        self.assertEqual(plain.decode(plain.encode(point(1, 2), 1 << 20)), (1, 2))

    def test_a_namedtuple_that_changes_equality_is_refused(self):
        class Always(collections.namedtuple("Always", "x")):
            def __eq__(self, other):
                return True

        with self.assertRaises(plain.NotPlain):
            plain.encode(Always(1), 1 << 20)

    def test_values_that_contain_themselves_or_nest_too_deep_are_refused(self):
        loop = []
        loop.append(loop)
        with self.assertRaisesRegex(plain.NotPlain, "contains itself"):
            plain.encode(loop, 1 << 20)
        with self.assertRaisesRegex(plain.NotPlain, "nested more than"):
            plain.encode(_nested_lists(plain.MAX_DEPTH + 5), 1 << 20)
        plain.encode(_nested_lists(plain.MAX_DEPTH - 1), 1 << 20)

    def test_a_value_shared_into_a_huge_expansion_is_refused(self):
        value = [1]
        for _ in range(40):
            value = [value, value]
        with self.assertRaisesRegex(plain.NotPlain, "too large"):
            plain.encode(value, 1 << 20)

    def test_an_encoding_over_the_limit_is_sent_as_its_digest(self):
        with self.assertRaises(plain.TooLarge) as raised:
            plain.encode("x" * 100, 50)
        data = _dumps("x" * 100)
        self.assertEqual((raised.exception.size, raised.exception.digest), (len(data), plain.digest(data)))


class CheckEncodingTest(unittest.TestCase):
    def test_exactly_one_plain_value(self):
        self.assertTrue(plain.check_encoding(_dumps([1, "a", (None,)])))
        self.assertFalse(plain.check_encoding(b""))
        self.assertFalse(plain.check_encoding(_dumps(1) + _dumps(2)))  # trailing bytes
        self.assertFalse(plain.check_encoding(_dumps([1, 2, 3])[:-1]))  # cut short

    def test_codes_outside_plain_data_are_refused(self):
        self.assertFalse(plain.check_encoding(marshal.dumps(compile("1", "<x>", "eval"), 2)))  # code object
        shared = [1, 2]
        with_refs = marshal.dumps([shared, shared], 4)  # version 3+ marks objects it may refer back to
        self.assertEqual(with_refs[5], ord("[") | 0x80)
        self.assertFalse(plain.check_encoding(with_refs))
        self.assertFalse(plain.check_encoding(b"S"))  # StopIteration
        self.assertFalse(plain.check_encoding(b"\x00"))

    def test_lengths_must_fit_the_payload(self):
        self.assertFalse(plain.check_encoding(b"[" + (1000).to_bytes(4, "little") + b"N"))
        self.assertFalse(plain.check_encoding(b"[" + (-1).to_bytes(4, "little", signed=True)))
        self.assertFalse(plain.check_encoding(b"s" + (99).to_bytes(4, "little") + b"ab"))
        self.assertFalse(plain.check_encoding(b"s" + (-5).to_bytes(4, "little", signed=True)))
        self.assertFalse(plain.check_encoding(b"l" + (5).to_bytes(4, "little") + b"\x01\x00"))
        self.assertFalse(plain.check_encoding(b"{N"))  # a dict without its end

    def test_depth_is_bounded(self):
        self.assertTrue(plain.check_encoding(_dumps(_nested_lists(plain.MAX_DEPTH - 1))))
        self.assertFalse(plain.check_encoding(_dumps(_nested_lists(plain.MAX_DEPTH + 2))))
        def dicts(depth):  # {None: {None: ... None}}
            return b"{N" * depth + b"N" + b"0" * depth

        self.assertEqual(marshal.loads(dicts(2)), {None: {None: None}})
        self.assertTrue(plain.check_encoding(dicts(5)))
        self.assertFalse(plain.check_encoding(dicts(plain.MAX_DEPTH + 2)))

    def test_decode_refuses_what_the_check_refuses(self):
        with self.assertRaises(ValueError):
            plain.decode(marshal.dumps(compile("1", "<x>", "eval"), 2))


class DecodeBudgetTest(unittest.TestCase):
    def test_items(self):
        plain.decode(_dumps([None] * (plain.DECODE_ITEMS - 2)), budget=True)
        with self.assertRaises(plain.OverBudget):
            plain.decode(_dumps([None] * plain.DECODE_ITEMS), budget=True)
        self.assertEqual(len(plain.decode(_dumps([None] * plain.DECODE_ITEMS))), plain.DECODE_ITEMS)

    def test_nested_items_count_too(self):
        with self.assertRaises(plain.OverBudget):
            plain.decode(_dumps([[None] * 1000 for _ in range(plain.DECODE_ITEMS // 1000)]), budget=True)

    def test_estimated_bytes(self):
        size = plain.DECODE_BYTES // plain._PER_BYTE
        with self.assertRaises(plain.OverBudget) as raised:
            plain.check_encoding(_dumps("x" * size), budget=True)
        self.assertIn("too large to build", str(raised.exception))
        self.assertTrue(plain.check_encoding(_dumps("x" * (size // 2)), budget=True))

    def test_int_bits(self):
        self.assertTrue(plain.check_encoding(_dumps(1 << (plain.DECODE_INT_BITS - 100)), budget=True))
        with self.assertRaises(plain.OverBudget):
            plain.check_encoding(_dumps(1 << (plain.DECODE_INT_BITS + 100)), budget=True)

    def test_without_budget_nothing_is_over_budget(self):
        self.assertTrue(plain.check_encoding(_dumps(1 << (plain.DECODE_INT_BITS + 100))))


class HelpersTest(unittest.TestCase):
    def test_has_nan(self):
        self.assertTrue(plain.has_nan([1, {"a": (float("nan"),)}]))
        self.assertTrue(plain.has_nan(complex(0, float("nan"))))
        self.assertFalse(plain.has_nan([1.0, {"a": (float("inf"),)}]))

    def test_fast_bytes_only_for_values_equal_bytes_can_stand_for(self):
        self.assertEqual(plain.fast_bytes([1, "a"]), _dumps([1, "a"]))
        self.assertIsNone(plain.fast_bytes([float("nan")]))

    def test_short_repr_is_bounded(self):
        self.assertLess(len(plain.short_repr(list(range(10 ** 5)))), 200)
        self.assertLess(len(plain.short_repr("x" * 10 ** 5)), 200)


if __name__ == "__main__":
    unittest.main()
