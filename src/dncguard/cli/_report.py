"""The ``check`` report, written as the calls are decided: the pieces of decided rows in order
(their lines built by :mod:`._lines`, on two threads), the counts, the legend and the summary.

Text and JSON go to the output as each piece is decided. JUnit's opening elements carry the
counts: where the output is a regular file written at its end, the document goes straight to it,
its counts written in place at the end (:class:`_InPlace`); elsewhere (a pipe, a terminal) the
test cases go to a temporary file until the counts are known. Nothing is kept per call, so the
memory ``check`` takes does not grow with the file (the text summary's provenance is tallied as
the pieces go: the registry id, the oldest national copy, the sellers without a list).
"""

from __future__ import annotations

import codecs
import collections
import datetime as dt
import errno
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, Any, Protocol, TextIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from dncguard._arraymem import in_thread
from dncguard.cli import _sizes
from dncguard.cli._common import PROG, _Progress
from dncguard.cli._decide import _ByIdentity, _is_invalid, _Piece
from dncguard.cli._escape import _attr, _cdata, _strings
from dncguard.cli._lines import (
    _EPOCH,
    _Explainer,
    _failure_lines,
    _json_object,
    _Lines,
    _no_next,
    _registry_id,
)
from dncguard.models import Call, Consulted, Decision
from dncguard.policy import Verdict

if TYPE_CHECKING:
    from dncguard.guard import Guard


FORMATS = ("text", "json", "jsonl", "junit")
"""``check --format``: text (for people), json (one array), jsonl (a line a call), junit."""


class _Binary(Protocol):
    """Where :class:`_Sink` writes bytes: a binary file, or :class:`_InPlace`."""

    def write(self, data: bytes | memoryview, /) -> int: ...

    def flush(self) -> None: ...


class _Sink:
    """Writes text, and Arrow string arrays as their UTF-8 bytes, to a text stream, or to a
    binary file (``binary``)."""

    def __init__(self, out: TextIO | None, binary: _Binary | None = None) -> None:
        self.out = out
        self.buffer: _Binary | None = binary
        if out is not None:
            buffer = getattr(out, "buffer", None)
            encoding = getattr(out, "encoding", None) or ""
            utf8 = False
            if encoding:
                try:
                    utf8 = codecs.lookup(encoding).name == "utf-8"
                except LookupError:
                    utf8 = False
            self.buffer = buffer if utf8 and os.linesep == "\n" else None

    def text(self, text: str) -> None:
        if not text:
            return
        if self.out is None:
            assert self.buffer is not None
            self.buffer.write(text.encode("utf-8"))
        else:
            self.out.write(text)

    def lines(self, lines: pa.Array, skip: int = 0, trim: int = 0) -> None:
        """Write ``lines`` (all but their first ``skip`` bytes and their last ``trim``)."""
        if len(lines) == 0:
            return
        assert lines.null_count == 0
        if pa.types.is_large_string(lines.type):
            width: type[np.integer[Any]] = np.int64
        else:
            width = np.int32
        _, offsets_buf, data = lines.buffers()
        offsets = np.frombuffer(
            offsets_buf, width, count=len(lines) + 1, offset=lines.offset * np.dtype(width).itemsize
        )
        view = memoryview(data)[int(offsets[0]) + skip : int(offsets[-1]) - trim]
        if self.out is not None and self.buffer is None:
            self.out.write(bytes(view).decode("utf-8"))
            return
        if self.out is not None:
            self.out.flush()
        assert self.buffer is not None
        _write_in_steps(self.buffer, view)
        if self.out is not None:
            self.buffer.flush()

    def copy(self, spool: IO[bytes]) -> None:
        """Write what ``spool`` holds (UTF-8), from its start."""
        spool.seek(0)
        if self.out is None or self.buffer is not None:
            target = self.buffer
            assert target is not None
            if self.out is not None:
                self.out.flush()
            target.flush()
            if not _send(spool, target):
                shutil.copyfileobj(spool, target, 1 << 20)
            target.flush()
            return
        decoder = codecs.getincrementaldecoder("utf-8")()
        while chunk := spool.read(1 << 20):
            self.out.write(decoder.decode(chunk))
        self.out.write(decoder.decode(b"", final=True))


_WRITE_BYTES = 1 << 18
"""Bytes handed to the kernel a ``write`` at most (:func:`_write_in_steps`)."""


def _write_in_steps(target: _Binary, view: memoryview) -> None:
    """Write ``view`` to ``target`` :data:`_WRITE_BYTES` at a time.

    The same bytes as one ``write`` of the whole, for less of the kernel's time: measured on
    the project's machine (Linux, ext4), a slice of JSON Lines (some 8 MB) written into the page
    cache in one call took about twice the system time of the same bytes written 128-512 KiB a
    call (a 10-million-call JSON Lines report, 4.8 GB: 3.1-3.5 against 7.4-9.6 system seconds;
    1.4 GB of it alone, in a fresh process: 0.4 against 2.5, the copy into the page cache being
    the difference; 1 MiB or 2 MiB a call cost more than 256 KiB). Why is not known: written a
    second time by the same process, whole slices took no more CPU than steps (0.94 against
    1.02-1.07 s in all): a kernel matter (Linux 6.18, ext4), where steps lose at most 0.1 s."""
    for at in range(0, len(view), _WRITE_BYTES):
        target.write(view[at : at + _WRITE_BYTES])


def _send(spool: IO[bytes], target: _Binary) -> bool:
    """Copy the whole of ``spool`` to ``target`` in the kernel (``sendfile``: a file or a pipe
    on Linux), without passing the bytes through Python; False where that cannot be done (a
    stream without a file descriptor, a system whose ``sendfile`` takes only sockets) and nothing
    was written."""
    sendfile = getattr(os, "sendfile", None)
    try:
        out_fd, in_fd = getattr(target, "fileno")(), spool.fileno()  # noqa: B009 (not every target has one)
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return False
    if sendfile is None:
        return False
    spool.flush()
    size, done = os.fstat(in_fd).st_size, 0
    while done < size:
        try:
            sent = sendfile(out_fd, in_fd, done, min(size - done, 1 << 30))
        except OSError as e:
            if done == 0 and e.errno in (errno.EINVAL, errno.ENOSYS, errno.ENOTSOCK, errno.EOPNOTSUPP):
                return False
            raise
        if sent == 0:
            raise OSError(errno.EIO, f"the report's temporary file ended after {done} of {size} bytes")
        done += sent
    return True


class _InPlace:
    """The JUnit document written straight into the regular file ``check``'s output is, from
    where the file ends, with no temporary copy: the opening part first, its counts left as room
    (:func:`_junit_head` of no calls, as long as of any counts), then the test cases as they are
    decided, then (:meth:`finish`) the real opening part written over the first, in place.
    :meth:`discard` cuts the file back to where the report began (a bad row far into the file,
    exit 2): as with a temporary copy, no part of a document is left, and nothing of what the
    file held before is lost.

    Writing the cases once instead of twice (a copy of 840 MB for 10 million calls of which
    15% are blocked, then the copy written out, after the last call is decided) is worth having
    where writing to the page cache is dear; :meth:`of` says where it is safe."""

    def __init__(self, fd: int, start: int) -> None:
        self.fd, self.start = fd, start

    @classmethod
    def of(cls, out: TextIO) -> _InPlace | None:
        """The file behind ``out`` to write in place, or None where the document must be put
        together first: a pipe, a terminal, a device; a file opened to append (every write goes
        to its end, the counts' place too) or written short of its end (cutting it back on an
        error would cut what follows); one that stderr also writes to (a warning would land
        amid the test cases); a stream that is not UTF-8 or has no file descriptor; a system
        without ``fcntl`` (Windows)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return None
        buffer = getattr(out, "buffer", None)
        if _Sink(out).buffer is None or buffer is None:  # not UTF-8 bytes
            return None
        try:
            fd = out.fileno()
            out.flush()
            buffer.flush()
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode) or fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
                return None
            start = os.lseek(fd, 0, os.SEEK_CUR)
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
            return None
        if start != status.st_size or _same_file(status, 2) or _same_file(status, sys.stderr):
            return None
        return cls(fd, start)

    def write(self, data: bytes | memoryview, /) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):  # at most _WRITE_BYTES a call (see _write_in_steps)
            done += os.write(self.fd, view[done : done + _WRITE_BYTES])
        return done

    def flush(self) -> None:
        pass

    def finish(self, head: bytes) -> None:
        """Write ``head`` over the opening part written first."""
        done = 0
        while done < len(head):
            done += os.pwrite(self.fd, head[done:], self.start + done)

    def discard(self) -> None:
        """Cut the file back to where the report began, and go on writing from there."""
        os.ftruncate(self.fd, self.start)
        os.lseek(self.fd, self.start, os.SEEK_SET)


def _same_file(status: os.stat_result, other: int | TextIO) -> bool:
    """Whether ``other`` (a file descriptor or a stream) writes to the file of ``status``."""
    try:
        theirs = os.fstat(other if isinstance(other, int) else other.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return (theirs.st_dev, theirs.st_ino) == (status.st_dev, status.st_ino)


_COUNT_WIDTH = 20
"""Characters each count of JUnit's opening part has room for: any count below 10**20 (a file
of that many calls would be 100 exabytes). A count written with fewer digits is followed by as
many spaces, inside its tag, so the opening part is as long whatever the counts are."""


def _room(*counts: int) -> str:
    """The spaces that follow ``counts`` in their tag."""
    for count in counts:
        if not 0 <= count < 10**_COUNT_WIDTH:
            raise OverflowError(f"a JUnit report has room for counts below 10**{_COUNT_WIDTH}, not {count}")
    return " " * sum(_COUNT_WIDTH - len(str(count)) for count in counts)


def _junit_head(path: str, classname: str, calls: int, blocked: int, *, every: bool) -> str:
    """JUnit's opening part, up to the blocked calls' test cases: the suites with their counts,
    the counts as properties and (without ``every``) the allowed calls as one test case.

    Its length does not depend on the counts (:data:`_COUNT_WIDTH`): each count is followed by
    spaces before the end of its tag; where there is no allowed call to count (all blocked, or
    none), the room of that test case is spaces before the ``>`` of ``</properties>``. So the
    document can be written before the counts are known and its opening part written again
    once they are (:class:`_InPlace`), and a report is the same bytes whatever it was written to."""
    allowed = calls - blocked
    aggregate = not every and allowed > 0
    cases = calls if every else blocked + aggregate
    counts = f'tests="{cases}" failures="{blocked}" errors="0" skipped="0"{_room(cases, blocked)}'
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="{_attr(PROG + " check")}" {counts}>\n'
        f'  <testsuite name="{_attr(path)}" {counts}>\n'
        "    <properties>\n"
        f'      <property name="calls" value="{calls}"{_room(calls)} />\n'
        f'      <property name="allowed" value="{allowed}"{_room(allowed)} />\n'
        f'      <property name="blocked" value="{blocked}"{_room(blocked)} />\n'
        "    </properties"
    )
    if every:
        return head + ">\n"
    case = (
        f'    <testcase classname="{classname}" name="{allowed} allowed calls" time="0"{_room(allowed)} />\n'
    )
    if aggregate:
        return head + ">\n" + case
    return head + " " * len(case.encode("utf-8")) + ">\n"


_JUNIT_TAIL = "  </testsuite>\n</testsuites>\n"


def _junit_legend(cited: Iterable[tuple[str, str, str]]) -> str:
    """The suite's ``<system-out>``: the citation of each reason the failures name, once, as the
    text report's legend gives them (a failure names ``code [jurisdiction]`` and its message);
    nothing when no call is blocked."""
    lines = [f"  {code} [{where}]: {rule}\n" for code, where, rule in sorted(cited)]
    if not lines:
        return ""
    legend = _cdata("citations:\n" + "".join(lines))
    return f"    <system-out>{legend}</system-out>\n"


_Kind = tuple[bool, tuple[str, ...], tuple[tuple[str, str, str], ...]]
"""What the counts and the legend read of a verdict (``_Report._kind``)."""


_KINDS_HELD = 1 << 13
"""Verdict objects the counts' table of kinds holds before it starts afresh (``_Report._kinds_of``)."""


_AHEAD = 3
"""Slices of the pieces before that may still be in flight when a piece is handed over."""


class _Ordered:
    """Slices of the report built on two threads and written in order, each by the thread that
    built it where it is its turn (its lines still in that core's cache), else by the thread
    writing the slice before it.

    ``check``'s own thread hands a piece's slices over (:meth:`submit`) and goes back to
    deciding; before the next piece's, it waits until at most a few of the last piece's are
    left (:meth:`wait`): the report runs at most a piece behind. It used to wait for each
    piece's last slice and write every slice itself, while bulk's threads, their batches
    decided, waited for it. However many slices are queued, a slice is built only once the
    slices from ``_AHEAD`` before it are written, so at most that many slices' lines are held,
    as before. Once a slice fails (built or written), no later slice is written, and the error
    is raised to the caller by :meth:`wait`, :meth:`drain` or :meth:`close`."""

    def __init__(self, build: Callable[..., pa.Array], write: Callable[[pa.Array], None]) -> None:
        self._build, self._write = build, write
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="dncguard-format", initializer=in_thread)
        self._pending: collections.deque[Future[None]] = collections.deque()
        self._lock = threading.Lock()
        self._written = threading.Condition(self._lock)
        self._ready: dict[int, pa.Array | None] = {}
        """Built slices not yet written, by number (None: one whose building failed)."""
        self._submitted = self._turn = 0
        self._writing = self._failed = False

    def wait(self, most: int) -> None:
        """Wait until at most ``most`` slices are in flight (raising the first error met)."""
        while len(self._pending) > most:
            self._pending.popleft().result()

    def submit(self, *args: Any) -> None:
        """Build ``build(*args)`` and write it after the slices submitted before."""
        number = self._submitted
        self._submitted += 1
        self._pending.append(self._pool.submit(self._run, number, args))

    def drain(self) -> None:
        """Wait until every slice submitted is written (raising the first error met)."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Wait for the slices in flight (written, unless one failed), then stop the threads;
        their errors are raised unless an error is already on its way (the caller's)."""
        try:
            if sys.exc_info()[1] is None:
                self.drain()
            else:
                for future in self._pending:
                    future.exception()  # waited for; the caller's error is the one raised
                self._pending.clear()
        finally:
            self._pool.shutdown(wait=True)

    def _run(self, number: int, args: tuple[Any, ...]) -> None:
        with self._written:  # the slice ``_AHEAD`` before is written (by the other thread)
            self._written.wait_for(lambda: number - self._turn < _AHEAD)
        try:
            lines: pa.Array | None = self._build(*args)
        except BaseException:
            self._put(number, None)
            raise
        self._put(number, lines)

    def _put(self, number: int, lines: pa.Array | None) -> None:
        """Leave slice ``number``'s lines, then write every slice whose turn it is, unless
        another thread is writing (it writes them after its own)."""
        with self._lock:
            self._ready[number] = lines
        while True:
            with self._lock:
                if self._writing or self._turn not in self._ready:
                    return
                self._writing = True
                lines = self._ready.pop(self._turn)
                failed = self._failed = self._failed or lines is None
            try:
                if not failed:
                    assert lines is not None
                    self._write(lines)
            except BaseException:
                with self._lock:
                    self._failed = True
                raise
            finally:
                del lines
                with self._lock:
                    self._turn += 1
                    self._writing = False
                    self._written.notify_all()


class _Report:
    """The report of one ``check``: decided pieces written in order as they come (formatted on
    two threads), the counts kept, and the summary (text), the closing bracket (json) or the
    whole document around the spooled test cases (junit) written by :meth:`finish`.

    JUnit's ``<testsuite>`` carries its counts in its opening tag, before the test cases, which
    is where every consumer reads them. Where the output is a regular file written at its end,
    the document is written straight into it and its counts written in place once known
    (:class:`_InPlace`); elsewhere the test cases go to a temporary file first (disk, not
    memory) and the document is put together once the counts are known. Either way a bad input
    met late in the file (exit 2) leaves no JUnit document at all, rather than a wrong one."""

    def __init__(
        self, explainer: _Explainer, *, fmt: str, path: str, out: TextIO, every: bool = False
    ) -> None:
        self.fmt, self.path, self.every = fmt, path, every
        self.builder = _Lines(fmt, explainer, path, every=every)
        self.out = _Sink(out)
        self.spool: IO[bytes] | None = None
        self.in_place: _InPlace | None = None
        self.finished = False
        self.sink = self.out
        if fmt == "junit":
            self.in_place = _InPlace.of(out)
            if self.in_place is not None:
                self.sink = _Sink(None, self.in_place)
                try:
                    self.sink.text(self._junit_head(0, 0))  # the counts' room, written over by finish
                except BaseException:
                    self.in_place.discard()
                    raise
            else:
                self.spool = tempfile.TemporaryFile(prefix="dncguard-check-")  # noqa: SIM115 (closed by close)
                self.sink = _Sink(None, self.spool)
        self.calls = self.blocked = 0
        self.reasons: collections.Counter[str] = collections.Counter()
        self.cited: dict[tuple[str, str, str], None] = {}
        self.sources = _Sources()
        self._kinds: list[_Kind] = []
        self._kind_numbers: dict[_Kind, int] = {}
        self._held: list[Verdict] = []
        self._known_ids: npt.NDArray[np.uint64] = np.zeros(0, np.uint64)
        self._known_kinds: npt.NDArray[np.intp] = np.zeros(0, np.intp)
        self.started = False
        self.rows_written = 0
        self.progress = _Progress()
        self.step = _sizes.format_rows(fmt)
        """Rows formatted (and written) at a time: bounds the memory the output text takes."""
        self.ordered: _Ordered | None = None

    def _count(self, piece: _Piece) -> None:
        if self.fmt == "text":
            self.sources.add(piece.registry_id, piece.consulted[0])
        # The rows of each verdict, summed per kind of verdict (what the counts and the legend
        # read of it: :meth:`_kind`, worked out once per verdict object, the same objects coming
        # again from batch to batch): a loop over the few kinds, not over the verdicts.
        verdicts = piece.verdicts
        counts = np.bincount(piece.inverse, minlength=len(verdicts))
        kinds = self._kinds_of(verdicts)
        per_kind = np.bincount(kinds, weights=counts, minlength=len(self._kinds))
        for k in np.flatnonzero(per_kind).tolist():
            count = int(per_kind[k])
            allowed, codes, cited = self._kinds[k]
            self.calls += count
            if allowed:
                if self.every and self.fmt == "text":  # text --all names the exemptions; junit does not
                    self.cited.update(dict.fromkeys(cited))
                continue
            self.blocked += count
            for code in codes:
                self.reasons[code] += count
            self.cited.update(dict.fromkeys(cited))

    def _kinds_of(self, verdicts: Sequence[Verdict]) -> npt.NDArray[np.intp]:
        """The kind of each verdict: looked up by the objects' ids in a sorted table (one numpy
        search for a piece's some thousand verdicts, most of them met in the pieces before),
        :meth:`_kind` worked out only for an object not in it. The table holds the objects it
        numbers (an id is not reused while its object lives), at most :data:`_KINDS_HELD`."""
        ids = np.fromiter(map(id, verdicts), np.uint64, len(verdicts))
        kinds = np.empty(len(ids), np.intp)
        known = self._known_ids
        if len(known):
            at = np.minimum(np.searchsorted(known, ids), len(known) - 1)
            hit = known[at] == ids
            kinds[hit] = self._known_kinds[at[hit]]
            missing = np.flatnonzero(~hit)
        else:
            missing = np.arange(len(ids))
        if not len(missing):
            return kinds
        # Each object once (one met twice in the piece), in the order of their ids.
        _, first = np.unique(ids[missing], return_index=True)
        new = missing[first]
        objects = [verdicts[i] for i in new.tolist()]
        new_kinds = np.fromiter(map(self._kind, objects), np.intp, len(objects))
        if len(self._held) + len(objects) > _KINDS_HELD:
            self._held, known, self._known_kinds = [], known[:0], self._known_kinds[:0]
        self._held.extend(objects)
        ids_all = np.concatenate([known, ids[new]])
        kinds_all = np.concatenate([self._known_kinds, new_kinds])
        order = np.argsort(ids_all, kind="stable")
        self._known_ids, self._known_kinds = ids_all[order], kinds_all[order]
        kinds[missing] = new_kinds[np.searchsorted(ids[new], ids[missing])]
        return kinds

    def _kind(self, verdict: Verdict) -> int:
        """The number of ``verdict``'s kind: whether it allows the call, its reasons' codes and
        the citations it adds to the legend (its reasons', or an allowed call's exemptions')."""
        kind: _Kind
        if verdict.allowed:
            kind = (True, (), tuple((e.code.value, e.jurisdiction, e.rule) for e in verdict.exemptions))
        else:
            cited = tuple((r.code.value, r.jurisdiction, r.rule) for r in verdict.reasons)
            kind = (False, tuple(c[0] for c in cited), cited)
        number = self._kind_numbers.get(kind)
        if number is None:
            number = self._kind_numbers[kind] = len(self._kinds)
            self._kinds.append(kind)
        return number

    def write(self, pieces: Sequence[_Piece]) -> None:
        """Count ``pieces`` and hand their slices to the formatting threads, which write them in
        order (:class:`_Ordered`); return once they are handed over, so that the caller decides
        the next piece while these are written (first waiting until at most three slices of the
        pieces before are left)."""
        if not pieces:
            return
        for piece in pieces:
            self._count(piece)
        step = self.step
        prepared = [self.builder.prepare(p) for p in pieces]  # once a piece, not once a slice
        if self.ordered is None:
            self.ordered = _Ordered(self.builder.lines, self._write)
        for piece, prep in zip(pieces, prepared, strict=True):
            self.ordered.wait(_AHEAD)
            for lo in range(0, len(piece.inverse), step):
                self.ordered.submit(piece, lo, min(lo + step, len(piece.inverse)), prep)

    def _drain(self) -> None:
        """Wait until every slice handed over is written (raising the first error met)."""
        if self.ordered is not None:
            self.ordered.drain()

    def _write(self, lines: pa.Array) -> None:
        if not len(lines):
            return
        if self.fmt == "json":
            # Each object is followed by ``,`` and a line feed: the last of a slice's are written
            # before the next slice's objects (the first slice opens the array), or left out.
            self.sink.text(",\n" if self.started else "[\n")
            self.started = True
            self.sink.lines(lines, trim=2)
        else:
            self.started = True
            self.sink.lines(lines)
        self.builder.release(lines)  # written: its buffers serve the next slices
        self.rows_written += len(lines)
        self.progress.show(f"{self.path}: wrote {self.rows_written:,} calls")

    def finish(self) -> None:
        """Write what follows the calls (and, for junit, the whole document); flush."""
        self._drain()
        if self.fmt == "text":
            self.out.text(self._legend() + self._summary())
        elif self.fmt == "json":
            self.out.text("\n]\n" if self.started else "[]\n")
        elif self.in_place is not None:
            self.sink.text(_junit_legend(self.cited) + _JUNIT_TAIL)
            self.in_place.finish(self._junit_head(self.calls, self.blocked).encode("utf-8"))
        elif self.fmt == "junit":
            assert self.spool is not None
            self.out.text(self._junit_head(self.calls, self.blocked))
            self.out.copy(self.spool)
            self.out.text(_junit_legend(self.cited) + _JUNIT_TAIL)
            self.spool.close()
        if self.out.out is not None:
            self.out.out.flush()
        self.finished = True
        self.progress.done()

    def close(self) -> None:
        """Stop the formatting threads, once what was handed over is written (after an error in
        the caller, as it was before the error; after one of their own, nothing more), and drop
        the spool (after an error: nothing of a junit document is written) or, for a junit
        document written in place that was not finished, cut the file back to where it began."""
        try:
            if self.ordered is not None:
                self.ordered.close()
        finally:
            if self.spool is not None:
                self.spool.close()
            if self.in_place is not None and not self.finished:
                self.in_place.discard()

    def _legend(self) -> str:
        if not self.cited:
            return ""
        lines = [f"  {code} [{where}]: {rule}\n" for code, where, rule in sorted(self.cited)]
        return "\ncitations:\n" + "".join(lines) + "\n"

    def _summary(self) -> str:
        """The provenance lines (when there are calls), the counts, and the count per reason."""
        n, blocked = self.calls, self.blocked
        counts = sorted(self.reasons.items(), key=lambda item: (-item[1], item[0]))
        provenance = self.sources.summary() if n else ""
        return f"{provenance}{n} calls: {n - blocked} allowed, {blocked} blocked\n" + "".join(
            f"  {code}: {count}\n" for code, count in counts
        )

    def _junit_head(self, calls: int, blocked: int) -> str:
        return _junit_head(self.path, self.builder.classname, calls, blocked, every=self.every)


_NATIONAL_LAYERS = ("us-ftc", "ca-dncl")


class _Sources:
    """What the text summary says the calls were decided on, tallied piece by piece from each
    piece's distinct ``consulted`` values (nothing kept per call): the registry id, the oldest
    national copy used, and the sellers whose internal list is not loaded when the registry
    holds others'."""

    def __init__(self) -> None:
        self.registry_id = ""
        self.oldest: tuple[dt.date, str] | None = None
        self.unlisted: set[str] = set()
        # Each value tallied once: the batches share most of them, as the same objects (bulk's
        # ``ProvenanceRows.distinct`` keeps them across batches).
        self._tally = _ByIdentity(self._tally_value)

    def add(self, registry_id: str, consulted: Sequence[Sequence[Consulted]]) -> None:
        if not self.registry_id:
            self.registry_id = registry_id
        for value in consulted:
            self._tally(value)

    def _tally_value(self, value: Sequence[Consulted]) -> None:
        for c in value:
            if c.layer in _NATIONAL_LAYERS and c.obtained is not None:
                if self.oldest is None or (c.obtained, c.layer) < self.oldest:
                    self.oldest = (c.obtained, c.layer)
            elif c.layer.startswith("internal:") and c.listed is None:
                self.unlisted.add(c.layer.removeprefix("internal:"))

    def summary(self) -> str:
        if self.oldest is None:
            copy = "no national copy used"
        else:
            obtained, layer = self.oldest
            copy = f"oldest national copy used: {layer} obtained {obtained.isoformat()}"
        lines = f"registry {self.registry_id or '(no id)'}; {copy}\n"
        if self.unlisted:  # repr escapes any control character a seller's name holds
            names = ", ".join(repr(name) for name in sorted(self.unlisted))
            plural = "s" if len(self.unlisted) > 1 else ""
            lines += f"no internal list loaded for seller{plural} {names}\n"
        return lines


def provenance_summary(registry_id: str, consulted: Sequence[Sequence[Consulted]]) -> str:
    """The text summary's provenance lines for calls decided on registry ``registry_id`` whose
    distinct ``consulted`` values are ``consulted``."""
    sources = _Sources()
    sources.add(registry_id, consulted)
    return sources.summary()


def _decisions_piece(
    guard: Guard,
    start: int,
    calls: Sequence[Call],
    tos: Sequence[str],
    decisions: Sequence[Decision],
    *,
    fmt: str,
) -> _Piece:
    """Calls decided one by one (JSON records whose evidence the flat columns cannot hold), rows
    ``start + 1 ..`` of the file, as a piece the templates write as they write calls decided in
    bulk: the decisions' distinct verdicts (and distinct ``consulted`` values), each invalid
    number's text taken from its own decision."""
    n = len(decisions)
    index: dict[Verdict, int] = {}
    consulted: dict[tuple[Consulted, ...], int] = {}
    which = np.zeros(n, np.intp)
    inverse = np.empty(n, np.int32)
    next_at = np.full(n, _no_next(), np.int64)
    numbers = np.zeros(n, np.uint64)
    at: list[str] = []
    invalid: list[int] = []
    explained: list[str | None] = []
    for i, (call, d) in enumerate(zip(calls, decisions, strict=True)):
        verdict = Verdict(d.allowed, d.reasons, d.exemptions, d.jurisdictions)
        inverse[i] = index.setdefault(verdict, len(index))
        which[i] = consulted.setdefault(d.consulted, len(consulted))
        when = d.next_allowed_at
        if when is not None:
            next_at[i] = (when - _EPOCH) // dt.timedelta(microseconds=1)
        at.append((when or call.at).isoformat())  # the offset next_allowed_at is written in
        if _is_invalid(verdict):
            invalid.append(i)
            row = start + i + 1
            explained.append(_cdata(_failure_lines(d.reasons)) if fmt == "junit" else _json_object(row, d))
        else:
            numbers[i] = int(d.number.removeprefix("+1"))
    done: Future[list[str | None]] = Future()
    done.set_result(explained)
    return _Piece(
        start,
        tuple(index),
        inverse,
        next_at,
        np.array(invalid, np.intp),
        numbers,
        pa.table({"to": _strings(list(tos)), "at": _strings(at)}),
        done,
        registry_id=decisions[0].registry_id if decisions else _registry_id(guard),
        consulted=(tuple(consulted), which),
    )
