"""Between the server and the zygote: one message per request on a SOCK_SEQPACKET socket, answers in
the order asked.

  FORK                    fork a child: answers FORKED (pid, nonce, the workdir's length) and the
                          workdir, with the server's ends of the child's PIPES (job, result, stdout,
                          stderr) passed as SCM_RIGHTS
  FINISH (K, pid, grace)  finish a child: wait up to `grace` ms for it to exit by itself, then kill
                          its process group, reap it, kill and reap anything it left behind, clean its
                          working directory; answers FINISHED (how it ended)
"""

import struct

from nxt.protocol import frames

FORK = b"F"
FINISH_OP = b"K"
FORKED = struct.Struct("<i%dsH" % frames.NONCE_BYTES)
FINISH = struct.Struct("<ciI")
FINISHED = struct.Struct("<iBiid")  # pid, exited by itself, exit code (-1), signal (-1), cpu seconds
PIPES = 4
REQUEST_BYTES = 64  # a FORK or FINISH message, and a FINISHED answer, fit
FORKED_BYTES = 4096  # a FORKED answer with its workdir fits
