"""isolation.libc: prctl is checked, so a security setting that did not take stops the process."""

import os
import unittest

from nxt.isolation import libc


class PrctlTest(unittest.TestCase):
    def test_a_refused_call_raises_naming_the_option(self):
        with self.assertRaises(OSError) as raised:
            libc.prctl(libc.PR_SET_DUMPABLE, 7)  # only 0 and 1 are valid
        self.assertEqual(raised.exception.errno, 22)
        self.assertIn("prctl(PR_SET_DUMPABLE)", str(raised.exception))

    def test_an_accepted_call_returns(self):
        pid = os.fork()
        if pid == 0:  # in a child: this process keeps its settings
            try:
                libc.prctl(libc.PR_SET_DUMPABLE, 0)
                libc.prctl(libc.PR_SET_NO_NEW_PRIVS, 1)
                code = 0
            except BaseException:
                code = 1
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        self.assertTrue(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)


if __name__ == "__main__":
    unittest.main()
