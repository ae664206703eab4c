"""protocol.frames: the server's parser of what a child writes on its result channel, which a program
can write to as well (it has the nonce)."""

import unittest

from nxt.protocol import frames

NONCE = b"n" * frames.NONCE_BYTES


def record(kind, payload=b"", nonce=NONCE, length=None, test=0, case=0):
    size = len(payload) if length is None else length
    return frames.HEADER.pack(nonce, kind, test, case, size, 1.5) + payload


class RecordReaderTest(unittest.TestCase):
    def test_whole_records_in_any_pieces(self):
        data = record(frames.VALUE, b"abc", test=2, case=3) + record(frames.DONE)
        reader = frames.RecordReader(NONCE)
        got = []
        for index in range(len(data)):
            reader.feed(data[index:index + 1])
            got.extend(reader.records())
        self.assertEqual(got, [(frames.VALUE, 2, 3, 1.5, b"abc"), (frames.DONE, 0, 0, 1.5, b"")])
        self.assertEqual(reader.pending, 0)

    def test_another_nonce_or_kind_is_refused(self):
        for data in (record(frames.VALUE, b"x", nonce=b"m" * frames.NONCE_BYTES), record(99), record(0)):
            reader = frames.RecordReader(NONCE)
            reader.feed(data)
            with self.subTest(data=data[:16]), self.assertRaisesRegex(ValueError, "private result channel"):
                list(reader.records())

    def test_a_payload_over_the_limit_is_refused_before_it_is_read(self):
        reader = frames.RecordReader(NONCE)
        reader.feed(record(frames.VALUE, length=frames.MAX_PAYLOAD + 1))
        with self.assertRaisesRegex(ValueError, "too large"):
            list(reader.records())

    def test_commands_are_length_prefixed(self):
        data = frames.command(("call", 1, 0, "f", (1,), {}, None))
        (length,) = frames.COMMAND_LENGTH.unpack_from(data)
        self.assertEqual(length, len(data) - frames.COMMAND_LENGTH.size)

    def test_exception_info_is_bounded(self):
        info = frames.exception_info("ValueError", "x" * 10 ** 5, 3, "test")
        self.assertEqual(len(info["message"]), frames.MESSAGE_CHARS)
        self.assertEqual((info["type"], info["line"], info["source"]), ("ValueError", 3, "test"))


if __name__ == "__main__":
    unittest.main()
