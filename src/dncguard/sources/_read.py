"""Containers and lines: the bytes of a registry download, member by member, in blocks of whole lines.

A download is a bare file, a ``.gz`` file or a ``.zip`` with one or many members (nested folders
too); the container is recognised by its magic bytes, not its name. Each member is UTF-8 text with
or without a byte-order mark and LF, CRLF or CR line ends. :func:`members` lists the members;
:func:`blocks` reads one member as blocks that end on a line end (or, for XML, after a ``>``), so
that a parser can work on a whole block at once, vectorised, in constant memory.

Line numbers are only needed when something is wrong, so they are computed on the error path:
each block knows how many lines precede it, and :meth:`Block.line_at` counts line ends up to a
byte offset.

>>> import io
>>> member = Member("ftc.txt", None, lambda: io.BytesIO(b"\\xef\\xbb\\xbf212,5550143\\r\\n305,5550199\\r\\n"))
>>> bs = list(blocks(member, size=8))
>>> b"".join(b.data for b in bs)
b'212,5550143\\r\\n305,5550199\\r\\n'
>>> bs[-1].line_at(len(bs[-1].data) - 2)
2
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import queue
import re
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, cast

from dncguard.errors import CoverageError, RegistryFormatError

__all__ = [
    "BLOCK_BYTES",
    "MAX_LINE",
    "READ_ERRORS",
    "Block",
    "Member",
    "Trailer",
    "blocks",
    "count_lines",
    "members",
    "open_member",
    "parse_date",
    "split_trailer",
    "unreadable",
]

#: Bytes read per block. Small enough that a block's numpy temporaries stay in cache, large
#: enough that the per-block Python work is noise (see benchmarks/bench_sources.py).
BLOCK_BYTES = 4 << 20

#: The longest line (or, for XML, run without a ``>``) accepted.
MAX_LINE = 64 << 20

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: What a damaged archive member or gzip stream raises while being read.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError)
_OPEN_PH = re.compile(rb"<\s*ph\b[^>/]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Member:
    """One text stream of a download: the file itself, or one member of its zip archive."""

    path: str
    name: str | None
    open: Callable[[], IO[bytes]]

    def error(self, message: str, line: int | None = None) -> RegistryFormatError:
        """A :class:`RegistryFormatError` naming this file, member and (when given) line."""
        return RegistryFormatError(message, path=self.path, member=self.name, line=line)

    def coverage_error(self, number: int, line: int | None, what: str) -> CoverageError:
        """A :class:`CoverageError`: ``number`` (at ``line``) is outside the coverage ``what``."""
        loc = ":".join(p for p in (self.path, self.name) if p)
        if line is not None:
            loc += f", line {line}"
        return CoverageError(
            f"{loc}: {number} is outside {what}; pass area_codes= listing every area code "
            "the download covers",
            number=number,
            path=self.path,
        )

    @property
    def basename(self) -> str:
        """The member's (or file's) name without folders."""
        return os.path.basename(self.name if self.name is not None else self.path)


def members(path: str) -> Iterator[Member]:
    """The text members of a download, in archive order (directories and dot-files skipped)."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise RegistryFormatError(f"cannot be read: {e.strerror or e}", path=path) from e
    if magic in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            raise RegistryFormatError(f"not a readable zip archive ({e})", path=path) from e
        with archive:
            for info in archive.infolist():
                base = info.filename.rsplit("/", 1)[-1]
                if info.is_dir() or not base or base.startswith(".") or "__MACOSX/" in info.filename:
                    continue
                yield Member(path, info.filename, _zip_opener(archive, info))
    elif magic[:2] == b"\x1f\x8b":
        yield Member(path, None, lambda: cast(IO[bytes], gzip.GzipFile(path, "rb")))
    else:
        yield Member(path, None, lambda: open(path, "rb"))  # noqa: SIM115 (opened by the reader)


def _zip_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(info)


@dataclass(frozen=True)
class Block:
    """Whole lines of one member: ``data`` starts at byte ``offset`` after ``line`` earlier lines."""

    data: bytes
    offset: int
    line: int
    last: bool

    def line_at(self, pos: int) -> int:
        """The 1-based line number of the byte at ``pos`` in ``data``."""
        return self.line + count_lines(self.data[:pos]) + 1


def count_lines(data: bytes) -> int:
    """How many line ends (LF, CRLF or CR) ``data`` holds."""
    n = data.count(b"\n")
    cr = data.count(b"\r")
    return n + cr - data.count(b"\r\n") if cr else n


def unreadable(member: Member, e: BaseException) -> RegistryFormatError:
    """The error for a member that cannot be read: damaged, truncated, encrypted."""
    what = "archive member" if member.name else "file"
    return member.error(f"unreadable {what}: {e} (damaged or truncated download; fetch it again)")


def open_member(member: Member) -> IO[bytes]:
    """Open a member; a damaged, encrypted or unsupported one is a ``RegistryFormatError``."""
    try:
        return member.open()
    except (*READ_ERRORS, NotImplementedError, RuntimeError) as e:
        raise unreadable(member, e) from e


def _reads(member: Member, size: int) -> Iterator[bytes]:
    """The member's bytes in pieces of ``size``, then ``b""``; read (and inflated) ahead by a thread.

    zlib releases the GIL, so inflating the next piece overlaps parsing this one (2 cores). The
    stream is opened and closed here, after the reader thread has stopped.
    """
    pieces: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item: bytes | BaseException) -> bool:
        while not stop.is_set():
            try:
                pieces.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work(stream: IO[bytes]) -> None:
        try:
            while True:
                piece = stream.read(size)
                if not put(piece) or not piece:
                    return
        except BaseException as e:  # handed to the consumer, which raises it
            put(e)

    with open_member(member) as stream:
        worker = threading.Thread(target=work, args=(stream,), name="dncguard-read", daemon=True)
        worker.start()
        try:
            while True:
                item = pieces.get()
                if isinstance(item, READ_ERRORS):
                    raise unreadable(member, item) from item
                if isinstance(item, BaseException):
                    raise item
                yield item
                if not item:
                    return
        finally:
            stop.set()
            worker.join()


def blocks(member: Member, *, size: int | None = None, cut: bytes = b"\n") -> Iterator[Block]:
    """Read a member as blocks of whole lines (``cut=b">"``: blocks ending after a tag).

    A byte-order mark is dropped; a CRLF is never split between blocks; the last block holds the
    last non-blank line (for :func:`split_trailer`) and may end without a line end.
    """
    size = size or BLOCK_BYTES
    reads = _reads(member, max(size, len(_BOM)))
    buf = next(reads)
    if buf.startswith(_BOM):
        buf = buf[len(_BOM) :]
    elif buf.startswith(_UTF16_BOMS):
        raise member.error("expected UTF-8 text, found a UTF-16 byte-order mark")
    carry = b""
    offset = line = 0
    held: Block | None = None  # one block held back, so the last block holds the last non-blank line
    while True:
        nxt = next(reads) if buf else b""
        data = carry + buf if carry else buf
        if not nxt:
            if held is not None and not data.strip():
                yield Block(held.data + data, held.offset, held.line, last=True)
                return
            if held is not None:
                yield held
            yield Block(data, offset, line, last=True)
            return
        end = data.rfind(cut) + 1
        if cut == b"\n" and end == 0:
            end = data.rfind(b"\r") + 1
            if end == len(data):  # a CR at the very end may be the first half of a CRLF
                end -= 1
        elif cut == b">" and end > 0:
            lt = data.rfind(b"<", 0, end)
            if lt >= 0 and _OPEN_PH.fullmatch(data, lt, end):  # keep <ph>text</ph> in one block
                end = lt
        if end <= 0:
            if len(data) > MAX_LINE:  # keep memory bounded on a file that is not line-oriented
                raise member.error(
                    f"no line end in {MAX_LINE >> 20} MiB: expected one record per line", line + 1
                )
            carry, buf = data, nxt
            continue
        block = data[:end]
        if held is not None:
            yield held
        held = Block(block, offset, line, last=False)
        offset += end
        line += count_lines(block)
        carry, buf = data[end:], nxt


@dataclass(frozen=True)
class Trailer:
    """A final ``Total records: N`` line: the record count it states, where it is, its text."""

    count: int
    line: int
    text: bytes

    def check(self, member: Member, records: int) -> None:
        """Refuse a member whose trailer's count is not the number of records read."""
        if records != self.count:
            raise member.error(
                f"the trailer says {self.count} records but the file has {records}: "
                "the download is incomplete; fetch it again",
                self.line,
            )


# A trailer has a letter and exactly one run of at most 9 digits: a 10-digit number never is one.
_TRAILER = re.compile(rb"[^\d]*[A-Za-z][^\d]*(\d{1,9})[^\d]*|[^\d]*(\d{1,9})[^\d]*[A-Za-z][^\d]*")


def split_trailer(block: Block) -> tuple[Block, Trailer | None]:
    """Take a trailer record count off the last block of a member, if there is one."""
    data = block.data
    end = len(data.rstrip())
    start = max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end)) + 1
    m = _TRAILER.fullmatch(data, start, end)
    if m is None:
        return block, None
    count = int(m.group(1) or m.group(2))
    trailer = Trailer(count, block.line_at(start), data[start:end])
    return Block(data[:start], block.offset, block.line, block.last), trailer


_DATE = re.compile(
    rb"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    rb"|(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})(\d{2})(\d{2})"
)


def parse_date(text: bytes) -> dt.date | None:
    """A date as change lists and CSV exports write it; ``None`` when it does not parse.

    Accepted: ``2026-03-10`` (also with ``/`` or ``.``, and with a time such as ``T14:22:01``),
    ``03/10/2026`` (US order) and ``20260310``.

    >>> parse_date(b"2026-03-10 14:22:01"), parse_date(b"03/10/2026"), parse_date(b"2026-02-30")
    (datetime.date(2026, 3, 10), datetime.date(2026, 3, 10), None)
    """
    m = _DATE.fullmatch(text.strip())
    if m is None:
        return None
    g = m.groups()
    y, mo, d = (g[0], g[1], g[2]) if g[0] else (g[5], g[3], g[4]) if g[5] else (g[6], g[7], g[8])
    try:
        return dt.date(int(y), int(mo), int(d))
    except ValueError:
        return None
