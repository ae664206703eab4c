/**
 * Programs that try to leave state for later programs (or signal programs running beside them), and
 * the programs that look for it. Every kind of kernel and file-system state that is not bound to a
 * program's own processes is tried: see docs/decisions/0016-nothing-outlives-a-program.md.
 */

/** Shared by writer and reader: system-call numbers and small helpers. */
const PRELUDE = `import ctypes, errno, fcntl, os, socket, time
libc = ctypes.CDLL(None, use_errno=True)
ADD_KEY, REQUEST_KEY, KEYCTL = {'x86_64': (248, 249, 250), 'aarch64': (217, 218, 219)}[os.uname().machine]
MARK_NS = 1234567890123456789
SHARED_FILE = os.__file__  # files every program can read (and does not open again: imports read .pyc)
WATCHED_FILE = socket.__file__
def call(number, *args):
    return libc.syscall(ctypes.c_long(number), *args)
def add_key(name, ring):
    return call(ADD_KEY, b'user', name.encode(), b'1', ctypes.c_size_t(1), ctypes.c_int(ring))
def request_key(name):
    return call(REQUEST_KEY, b'user', name.encode(), None, ctypes.c_int(0))
try:
    mq_open = ctypes.CDLL('librt.so.1', use_errno=True).mq_open
except OSError:
    mq_open = libc.mq_open
`;

/** Leaves a mark in every place it can; f() says which marks it made. */
export const WRITER = `${PRELUDE}
made = []
for name, ring in (('user', -4), ('user-session', -5), ('session', -3)):
    if add_key('nxt-mark-' + name, ring) > 0:
        made.append('keyring ' + name)
persistent = call(KEYCTL, ctypes.c_int(22), ctypes.c_int(-1), ctypes.c_int(-4))  # KEYCTL_GET_PERSISTENT
if persistent > 0 and add_key('nxt-mark-persistent', persistent) > 0:
    made.append('keyring persistent')
if mq_open(b'/nxt-mark', os.O_CREAT | os.O_RDWR, 0o666, None) >= 0:
    made.append('message queue')
if libc.shmget(0x6e7874, 4096, 0o1666) >= 0:
    made.append('sysv segment')
for _ in range(20):  # ids carry a per-namespace sequence number
    libc.shmctl(libc.shmget(0, 4096, 0o1600), 0, None)
for path in ('/tmp/nxt-mark', '/dev/shm/nxt-mark', 'nxt-mark', '/var/tmp/nxt-mark', '/nxt-mark'):
    try:
        with open(path, 'w') as handle:
            handle.write('1')
        made.append('file ' + path)
    except OSError:
        pass
for number in range(50):  # inode numbers of a file system count up
    open('/tmp/count-%d' % number, 'w').close()
for place in ('.', '/tmp', '/dev/shm', '/dev/null', '/', '/usr'):
    try:
        os.setxattr(place, 'user.nxt-mark', b'1')
        made.append('xattr ' + place)
    except OSError:
        pass
    try:
        os.utime(place)  # to now: needs only write access
        made.append('times ' + place)
        os.utime(place, ns=(MARK_NS, MARK_NS))
        made.append('chosen times ' + place)
    except OSError:
        pass
    if place not in ('/dev/null',):
        try:
            os.chmod(place, 0o700)
            made.append('mode ' + place)
        except OSError:
            pass
for _ in range(40):  # process ids count up
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
try:
    server = socket.socket()
    server.bind(('127.0.0.1', 47913))
    server.listen()
    client = socket.create_connection(('127.0.0.1', 47913))
    accepted, _ = server.accept()
    client.close()  # the side that closes first keeps TIME_WAIT
    accepted.close()
    server.close()
    made.append('tcp time-wait')
except OSError:
    pass
try:
    socket.sethostname('nxt-mark')
    made.append('hostname')
except OSError:
    pass
if os.fork() == 0:  # a daemon that would hold an abstract socket and a lock for later programs
    try:
        os.setsid()
        keeper = socket.socket(socket.AF_UNIX)
        keeper.bind(b'\\0nxt-mark')
        keeper.listen()
        lock = open(SHARED_FILE)
        fcntl.flock(lock, fcntl.LOCK_EX)
    except OSError:
        pass
    time.sleep(60)
    os._exit(0)
time.sleep(0.2)
def f():
    return made
`;

/** Looks for every mark the writer may have left; f() lists what it found. */
export const READER = `${PRELUDE}
found = []
for name in ('user', 'user-session', 'session', 'persistent'):
    if request_key('nxt-mark-' + name) > 0:
        found.append('keyring ' + name)
persistent = call(KEYCTL, ctypes.c_int(22), ctypes.c_int(-1), ctypes.c_int(0))
if persistent > 0 and call(KEYCTL, ctypes.c_int(10), ctypes.c_int(persistent), b'user', b'nxt-mark-persistent', 0) > 0:
    found.append('keyring persistent (searched)')
if request_key('nxt-invoker-secret') > 0:
    found.append("the invoker's session keyring")
try:
    with open('/proc/keys') as handle:
        keys = handle.read()
    if 'nxt-mark' in keys or 'nxt-invoker' in keys:
        found.append('/proc/keys')
except OSError:
    pass
if mq_open(b'/nxt-mark', os.O_RDWR, 0, None) >= 0:
    found.append('message queue')
if libc.shmget(0x6e7874, 0, 0) >= 0:
    found.append('sysv segment')
segment = libc.shmget(0, 4096, 0o1600)
if segment > 0:
    found.append('sysv id sequence (%d)' % segment)
libc.shmctl(segment, 0, None)
for path in ('/tmp/nxt-mark', '/dev/shm/nxt-mark', 'nxt-mark', '/var/tmp/nxt-mark', '/nxt-mark'):
    if os.path.exists(path):
        found.append('file ' + path)
with open('/tmp/nxt-probe', 'w') as handle:
    inode = os.fstat(handle.fileno()).st_ino
if inode > 20:
    found.append('inode counter (%d)' % inode)
for place in ('.', '/tmp', '/dev/shm'):
    info = os.stat(place)
    if 'user.nxt-mark' in os.listxattr(place):
        found.append('xattr ' + place)
    if MARK_NS in (info.st_mtime_ns, info.st_atime_ns):
        found.append('times ' + place)
    if place != '.' and info.st_mode & 0o7777 != 0o1777:
        found.append('mode %s (%o)' % (place, info.st_mode & 0o7777))
    if place == '.' and info.st_mode & 0o777 != 0o700:
        found.append('mode . (%o)' % (info.st_mode & 0o777))
others = sorted(set(os.listdir('/tmp')) - {os.path.basename(os.getcwd()), 'nxt-probe'})
if others:
    found.append('other entries in /tmp: %s' % others[:5])
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
if pid > 10:
    found.append('process id counter (%d)' % pid)
try:
    probe = socket.socket(socket.AF_UNIX)
    probe.connect(b'\\0nxt-mark')
    found.append('abstract socket')
except OSError:
    pass
try:
    with open(SHARED_FILE) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError as exc:
    if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
        found.append('lock on a shared file')
try:
    socket.socket().bind(('127.0.0.1', 47913))
except OSError as exc:
    if exc.errno == errno.EADDRINUSE:
        found.append('tcp time-wait')
if socket.gethostname() == 'nxt-mark':
    found.append('hostname')
def f():
    return found
`;

/**
 * No task logic: remembers its guesses in every channel it knows, and takes "the next call arrived" as
 * "my answer to the previous one passed" (judging stops at the first failing test). Against tests
 * `f(3) == 7` and `f(5) == 2` it passes within a dozen judgements wherever any channel survives.
 */
export const LEARNER = `${PRELUDE}
import json
STORE_FILES = ('/tmp/nxt-learner', '/dev/shm/nxt-learner', '/var/tmp/nxt-learner')
buffer = ctypes.create_string_buffer(4096)
def load():
    for ring in (-4, -5, -3):
        key = call(KEYCTL, ctypes.c_int(10), ctypes.c_int(ring), b'user', b'nxt-learner', 0)  # KEYCTL_SEARCH
        if key > 0:
            size = call(KEYCTL, ctypes.c_int(11), ctypes.c_int(key), buffer, ctypes.c_size_t(4096))  # KEYCTL_READ
            if 0 < size <= 4096:
                return json.loads(buffer.raw[:size])
    for path in STORE_FILES:
        try:
            with open(path) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            pass
    return {'known': {}, 'tried': {}}
def save(memory):
    data = json.dumps(memory).encode()
    for ring in (-4, -5, -3):
        call(ADD_KEY, b'user', b'nxt-learner', data, ctypes.c_size_t(len(data)), ctypes.c_int(ring))
    for path in STORE_FILES:
        try:
            with open(path, 'w') as handle:
                handle.write(data.decode())
        except OSError:
            pass
memory = load()
pending = None
def f(x):
    global pending
    key = str(x)
    if pending is not None:  # the previous call passed: its test was not the last to run
        memory['known'][pending[0]] = pending[1]
        pending = None
    if key in memory['known']:
        save(memory)
        return memory['known'][key]
    guess = memory['tried'].get(key, -1) + 1
    memory['tried'][key] = guess
    pending = (key, guess)
    save(memory)
    return guess
`;

export const LEARNER_TESTS = ['assert f(3) == 7', 'assert f(5) == 2'];

/** Holds a lock on a file every program can read, and opens another again and again, for 1.5 s. */
export const HOLDER = `${PRELUDE}
held = []
try:
    lock = open(SHARED_FILE)
    fcntl.flock(lock, fcntl.LOCK_EX)
    held.append('lock')
except OSError:
    pass
end = time.time() + 1.5
while time.time() < end:
    open(WATCHED_FILE).close()
    time.sleep(0.01)
def f():
    return held
`;

/** Judged while HOLDER runs in the other slot: what of it can it see? */
export const PROBER = `${PRELUDE}
import select, struct
seen = []
watch = None
try:
    watch = libc.inotify_init1(os.O_NONBLOCK)
    if watch < 0 or libc.inotify_add_watch(watch, WATCHED_FILE.encode(), 0x20 | 0x01) < 0:  # IN_OPEN | IN_ACCESS
        watch = None
except AttributeError:
    watch = None
end = time.time() + 1.5
while time.time() < end:
    try:
        with open(SHARED_FILE) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK) and 'lock' not in seen:
            seen.append('lock')
    if watch is not None:
        try:
            if os.read(watch, 4096) and 'inotify' not in seen:
                seen.append('inotify')
        except OSError:
            pass
    time.sleep(0.01)
def f():
    return seen
`;
