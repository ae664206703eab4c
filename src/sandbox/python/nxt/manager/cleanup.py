"""Removing what a program left where the zygote must clean (its work directory, and where the server
has no namespaces of its own for programs, /tmp, /dev/shm and SysV IPC): whatever names, depths and
modes the program chose, by descriptor, never following a link."""

import os

from nxt.isolation.libc import libc

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def names(fd):
    try:
        return os.listdir(fd)
    except OSError:
        return []


def _remove_entry(fd, name):
    """Unlinks a file or removes an empty directory in directory `fd`; True when it is gone."""
    for attempt in (0, 1):
        try:
            os.unlink(name, dir_fd=fd)
            return True
        except IsADirectoryError:
            try:
                os.rmdir(name, dir_fd=fd)
                return True
            except OSError:
                return False
        except FileNotFoundError:
            return True
        except PermissionError:
            if attempt == 0:  # the program took away our write permission on the directory
                try:
                    os.fchmod(fd, 0o700)
                except OSError:
                    return False
        except OSError:
            return False
    return False


def _open_dir(fd, name):
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except PermissionError:  # a directory the program made unreadable (mode 000): ours to open again
        os.chmod(name, 0o700, dir_fd=fd, follow_symlinks=True)
        return os.open(name, _DIR_FLAGS, dir_fd=fd)


def empty_dir(path):
    """Removes everything inside `path`, whatever the depth, names, lengths or modes a program chose.

    Iterative and by descriptor (one open at a time, climbing back through ".."): a chain of thousands
    of directories, or paths longer than PATH_MAX, neither overflow a stack nor exhaust descriptors.
    Run only when the program's processes are gone, so nothing moves underneath."""
    try:
        fd = os.open(path, _DIR_FLAGS)
    except OSError:
        return
    depth = 0
    seen = set()
    while True:
        child = None
        for name in names(fd):
            if _remove_entry(fd, name):
                continue
            try:
                sub = _open_dir(fd, name)
            except OSError:
                continue
            info = os.fstat(sub)
            key = (info.st_dev, info.st_ino)
            if key in seen:  # visited and still not removable: leave it
                os.close(sub)
                continue
            seen.add(key)
            child = sub
            break
        if child is not None:
            os.close(fd)
            fd, depth = child, depth + 1
            continue
        if depth == 0:
            os.close(fd)
            return
        try:
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
        except OSError:
            os.close(fd)
            return
        os.close(fd)
        fd, depth = parent, depth - 1


def remove_tree(path):
    """Removes what a program left behind, whatever modes it set (we own or override them)."""
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    empty_dir(path)
    try:
        os.rmdir(path)
    except OSError:
        pass


_SYSV = (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl"))


def sysv_ids():
    """SysV IPC objects in our IPC namespace: [(kind, id)] from /proc/sysvipc."""
    found = []
    for kind, _ in _SYSV:
        try:
            with open("/proc/sysvipc/" + kind) as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 1 and fields[1].isdigit():
                found.append((kind, int(fields[1])))
    return found


def remove_sysv(found):
    calls = dict(_SYSV)
    for kind, number in found:
        function = getattr(libc(), calls[kind])
        if kind == "sem":
            function(number, 0, 0)  # IPC_RMID
        else:
            function(number, 0, None)
