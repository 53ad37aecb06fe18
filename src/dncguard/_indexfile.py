"""Index files on disk: temporary names, stale temporaries, locks, the watch on an open file.

The helpers :class:`~dncguard.Registry` uses to save a file atomically, to lock it for
``update_file`` and to notice a file changed in place under a reader."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
import time
import weakref
import zlib
from collections.abc import Iterator
from typing import IO, Any, Final

import numpy as np
import numpy.typing as npt

from dncguard.errors import (
    IndexChangedError,
    IndexFileError,
    IndexLockedError,
)
from dncguard.index import _format as fmt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


_TEMP_SUFFIX: Final = ".dncg-tmp"


_HOST: Final = zlib.crc32(socket.gethostname().encode()) & 0xFFFFFFFF


def _temp_name(target: str) -> str:
    """``.<name>.<host>.<pid>.<random>.dncg-tmp`` beside ``target``: recognisable, with its owner."""
    directory, name = os.path.split(target)
    return os.path.join(directory, f".{name}.{_HOST:08x}.{os.getpid()}.{os.urandom(4).hex()}{_TEMP_SUFFIX}")


def _remove_stale_temps(target: str) -> None:
    """Remove temporary files of ``target`` whose writer (on this host) no longer runs: a writer
    killed mid-save (SIGKILL, power loss) cannot remove its own."""
    if sys.platform == "win32":  # pragma: no cover - no cheap liveness test of a PID there
        return
    directory, name = os.path.split(target)
    pattern = re.compile(
        re.escape(f".{name}.") + r"([0-9a-f]{8})\.(\d+)\.[0-9a-f]{8}" + re.escape(_TEMP_SUFFIX)
    )
    # the names earlier versions used (no host): ``.<name>.<pid>.<random>.tmp``
    earlier = re.compile(re.escape(f".{name}.") + r"(\d+)\.[0-9a-f]{8}\.tmp")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry)
        if m is not None and int(m.group(1), 16) == _HOST:
            pid = int(m.group(2))
        elif (m := earlier.fullmatch(entry)) is not None:
            pid = int(m.group(1))
        else:
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or not a PID we can ask about): leave its file
    return True


@contextlib.contextmanager
def _naming(path: str, doing: str, *, named_too: bool = False) -> Iterator[None]:
    """Re-raise an ``OSError`` that names no file (or, ``named_too``, any: a save names its
    target, not its temporary file) as :class:`IndexFileError` naming ``path``."""
    try:
        yield
    except IndexFileError:
        raise
    except OSError as e:
        if e.filename and not named_too:
            raise
        raise IndexFileError(
            f"cannot {doing} the index: {e.strerror or e}", path=e.filename or path, errno=e.errno
        ) from e


@contextlib.contextmanager
def _locked(lock_path: str, timeout: float | None) -> Iterator[None]:
    """An exclusive lock on ``lock_path`` (``fcntl.flock``; ``msvcrt.locking`` on Windows)."""
    with _naming(lock_path, "lock", named_too=True):
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not _try_lock(fd, blocking=deadline is None):
            if deadline is not None and time.monotonic() >= deadline:
                raise IndexLockedError(
                    f"another update holds the lock {lock_path} (waited {timeout} s): "
                    "try again when it has finished",
                    path=lock_path,
                )
            time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def _try_lock(fd: int, *, blocking: bool) -> bool:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _stamp(st: os.stat_result) -> tuple[int, ...]:
    # not st_ctime: replacing the file (unlinking this inode) changes it, and that is no change
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class _FileWatch:
    """The identity of an open index file (device, inode, size and modification time),
    checked on the descriptor the registry holds: ``check`` raises
    :class:`~dncguard.errors.IndexChangedError` once the file was changed in place."""

    __slots__ = ("__weakref__", "buf", "changed", "fd", "head", "path", "stamp")

    def __init__(self, fd: int, path: str, st: os.stat_result, buf: Any) -> None:
        self.fd = fd
        self.path = path
        self.stamp = _stamp(st)
        self.changed = False
        # the fixed header as mapped: it holds the header checksum, which covers every section's
        # checksum, so new content copied in place within one clock tick (same mtime) shows too
        self.buf = buf
        self.head = bytes(buf[: fmt.FIXED.size])
        weakref.finalize(self, os.close, fd)

    def check(self) -> None:
        # the size first: reading the mapped header of a truncated file would fault (SIGBUS)
        if self.changed or _stamp(os.fstat(self.fd)) != self.stamp or self.buf[: fmt.FIXED.size] != self.head:
            self.changed = True
            raise IndexChangedError(
                "the index file was changed in place while open (truncated or overwritten): "
                "its answers can no longer be trusted; open it again, and replace index files "
                "(save to a new name and rename) instead of overwriting them",
                path=self.path,
            )


def _read_all(fd: int, size: int, name: str) -> bytearray:
    buf = bytearray(size)
    with open(fd, "rb", buffering=0, closefd=False) as f, memoryview(buf) as view:
        got = 0
        while got < size:
            n = f.readinto(view[got:])
            if not n:
                raise IndexChangedError(f"the file shrank to {got} bytes while it was read", path=name)
            got += n
    return buf


def _write_array(f: IO[bytes], a: np.ndarray[Any, Any]) -> None:
    buf = np.ascontiguousarray(a).data.cast("B")
    step = 1 << 26
    for i in range(0, len(buf), step):
        f.write(buf[i : i + step])
    pad = fmt.align(len(buf)) - len(buf)
    if pad:
        f.write(bytes(pad))
