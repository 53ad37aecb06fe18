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
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, cast

import numpy as np
import numpy.typing as npt

from dncguard._tuning import check_whole
from dncguard.errors import ArgumentError, ArgumentTypeError, CoverageError, RegistryFormatError
from dncguard.sources._source import CHUNK_NUMBERS

__all__ = [
    "AREA_CODE_NUMBERS",
    "BLOCK_BYTES",
    "MAX_LINE",
    "READ_ERRORS",
    "Block",
    "Budget",
    "Member",
    "Trailer",
    "Tuning",
    "blocks",
    "count_lines",
    "members",
    "open_member",
    "parse_date",
    "read_date",
    "resolve",
    "say_bytes",
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

#: The most numbers one area code can hold: its 10**7 seven-digit lines (8 million of them are
#: in service, exchanges 200-999; the round bound never refuses a real download).
AREA_CODE_NUMBERS = 10_000_000


@dataclass(frozen=True)
class Tuning:
    """How a reader divides its work, and how early it refuses (every reader's ``tuning=``).

    ``block_bytes``: bytes read at a time (default 4 MiB); ``chunk_numbers``: numbers per chunk
    handed to the index (default 4,194,304). Neither changes what is read: they trade speed for
    memory, and let tests cross block and chunk boundaries with small files. ``max_line``: the
    longest line (for XML, run without a ``>``) accepted (default 64 MiB); ``area_code_numbers``:
    the most records one area code may hold before a member is refused as not a registry file
    (default 10,000,000, the area code's lines). These two are refusal bounds: they can only be
    lowered, so a download is refused sooner, never accepted where the defaults refuse it.

    >>> Tuning(block_bytes=0)
    Traceback (most recent call last):
    ...
    dncguard.errors.ArgumentError: Tuning(block_bytes=0): expected a whole number, at least 1
    >>> Tuning(area_code_numbers=AREA_CODE_NUMBERS + 1)
    Traceback (most recent call last):
    ...
    dncguard.errors.ArgumentError: Tuning(area_code_numbers=10000001): a refusal bound can only be ...
    """

    block_bytes: int = BLOCK_BYTES
    chunk_numbers: int = CHUNK_NUMBERS
    max_line: int = MAX_LINE
    area_code_numbers: int = AREA_CODE_NUMBERS

    def __post_init__(self) -> None:
        check_whole(self, "block_bytes", "chunk_numbers", "max_line", "area_code_numbers")
        for name, most in (("max_line", MAX_LINE), ("area_code_numbers", AREA_CODE_NUMBERS)):
            if getattr(self, name) > most:
                raise ArgumentError(
                    f"Tuning({name}={getattr(self, name)!r}): a refusal bound can only be lowered, "
                    f"to at most {most}"
                )


DEFAULT: Tuning = Tuning()


def resolve(tuning: object, fn: str) -> Tuning:
    """``tuning`` as given to a reader: a :class:`Tuning`, or None for the defaults."""
    if tuning is None:
        return DEFAULT
    if not isinstance(tuning, Tuning):
        raise ArgumentTypeError(f"{fn}(): tuning= must be a dncguard.sources.Tuning or None, got {tuning!r}")
    return tuning


@dataclass(frozen=True)
class Member:
    """One text stream of a download: the file itself, or one member of its zip archive.

    ``size`` is the inflated size a zip member declares (``None`` for a bare or gzip file):
    zipfile never reads past it, so a check on it is a check on what will be read.
    """

    path: str
    name: str | None
    open: Callable[[], IO[bytes]]
    size: int | None = None
    tuning: Tuning = DEFAULT

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

    def empty_error(self, what: str = "number") -> RegistryFormatError:
        """The error for a member (or file) from which no record can be read (docs/defaults.md)."""
        it = "archive member" if self.name else "file"
        return self.error(
            f"no {what} can be read from this {it} (empty, blank or header lines only): a failed or "
            "truncated download covers nothing; fetch it again"
        )

    @property
    def basename(self) -> str:
        """The member's (or file's) name without folders."""
        return os.path.basename(self.name if self.name is not None else self.path)


#: Bytes of a member that are not records (headers, trailers, blank lines, XML prologue, comments)
#: accepted beyond its records' share: real headers are one line, so 1 MiB is generous.
SLACK_BYTES = 1 << 20

#: Deflate cannot compress better than about 1032:1; sorted registry numbers compress 3-10:1
#: (the last digits differ line to line). A member inflating more than 200 times its compressed
#: size, once past 64 MiB, is long runs of the same bytes: a zip bomb, not a registry file.
MAX_RATIO = 200
RATIO_FLOOR = 64 << 20


class Budget:
    """Refuses, early and in bounded memory, a member that is not a registry file.

    ``record_bytes`` is the longest legal record of the member's format (line end included). A
    member may hold at most ``record_bytes`` per record read plus :data:`SLACK_BYTES`: so gigabytes
    of blank lines are refused after the first block, not read to the end. :meth:`count` refuses
    a member holding more records for one area code than the area code has lines.
    """

    def __init__(self, member: Member, record_bytes: int) -> None:
        self.member, self.record_bytes = member, record_bytes
        self._counted = 0
        self._per_ac = np.zeros(1000, np.int64)

    def check(self, nbytes: int, records: int) -> None:
        """``nbytes`` read so far hold ``records`` records."""
        if nbytes > records * self.record_bytes + SLACK_BYTES:
            raise self.member.error(
                f"not a registry file: {nbytes} bytes hold only {records} records "
                f"(a registry line is at most {self.record_bytes} bytes); a damaged download or a "
                "zip bomb"
            )

    def count(self, area_codes: npt.NDArray[np.intp]) -> None:
        """Count records by area code (``numbers // 10**7``)."""
        most = self.member.tuning.area_code_numbers
        self._counted += area_codes.size
        self._per_ac += np.bincount(area_codes, minlength=1000)
        if self._counted > most:
            worst = int(np.argmax(self._per_ac))
            if self._per_ac[worst] > most:
                raise self.member.error(
                    f"not a registry file: more than {most} records for area code "
                    f"{worst}, more than the area code has numbers; a damaged download or a zip bomb"
                )

    def check_declared(self) -> None:
        """Refuse a zip member whose declared size exceeds what one area code could hold."""
        max_records = self.member.tuning.area_code_numbers
        size = self.member.size
        if size is not None and size > max_records * self.record_bytes + SLACK_BYTES:
            raise self.member.error(
                f"not a registry file: it inflates to {size} bytes, more than {max_records} records "
                f"of at most {self.record_bytes} bytes (what one area code could hold); a zip bomb"
            )


def _open_regular(path: str) -> IO[bytes]:
    """Open a regular file for reading; anything else (a FIFO, a directory) is refused unopened.

    ``O_NONBLOCK`` keeps the open of a FIFO that replaced the file from hanging.
    """
    from dncguard.sources._source import regular_file_error

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise RegistryFormatError(f"cannot be read: {e.strerror or e}", path=path) from e
    try:
        why = regular_file_error(path, os.fstat(fd).st_mode)
        if why is not None:
            raise RegistryFormatError(why, path=path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return open(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


class _Gzip(gzip.GzipFile):
    """A gzip stream over an open file, which it closes with itself."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        super().__init__(fileobj=raw, mode="rb")

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def members(path: str, tuning: Tuning = DEFAULT) -> Iterator[Member]:
    """The text members of a download, in archive order (directories and dot-files skipped).

    A download with no member to read (an empty zip, one holding only ``__MACOSX/`` entries or
    folders) is a :class:`RegistryFormatError` (docs/defaults.md#a-download-that-yields-nothing-is-an-error).
    """
    with _open_regular(path) as f:
        try:
            magic = f.read(4)
        except OSError as e:
            raise RegistryFormatError(f"cannot be read: {e.strerror or e}", path=path) from e
    if magic in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        try:
            archive = zipfile.ZipFile(path)
        # A damaged central directory can also surface as NotImplementedError (an "extract
        # version" byte flipped above 6.3), UnicodeDecodeError (a file name flagged UTF-8 that
        # is not) or another ValueError: all of them mean the download is damaged.
        except (zipfile.BadZipFile, OSError, NotImplementedError, ValueError, EOFError) as e:
            raise RegistryFormatError(f"not a readable zip archive ({e})", path=path) from e
        with archive:
            _check_directory(path, archive)
            found = 0
            for info in archive.infolist():
                base = info.filename.rsplit("/", 1)[-1]
                if info.is_dir() or not base or base.startswith(".") or "__MACOSX/" in info.filename:
                    _check_skipped(path, archive, info)
                    continue
                member = Member(path, info.filename, _zip_opener(archive, info), info.file_size, tuning)
                if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise member.error(
                        f"not a registry file: it inflates {info.file_size // max(info.compress_size, 1)} "
                        f"times ({info.compress_size} bytes to {info.file_size}); a zip bomb"
                    )
                found += 1
                yield member
            if not found:
                raise RegistryFormatError(
                    "the zip archive holds no registry file (empty, or only folders, dot-files and "
                    "__MACOSX/ entries): fetch the download again",
                    path=path,
                )
    elif magic[:2] == b"\x1f\x8b":
        yield Member(path, None, lambda: cast(IO[bytes], _Gzip(_open_regular(path))), tuning=tuning)
    else:
        yield Member(path, None, lambda: _open_regular(path), tuning=tuning)


def _check_directory(path: str, archive: zipfile.ZipFile) -> None:
    """Refuse a zip whose central directory lists fewer or more members than its end record says.

    zipfile reads the directory by its byte size and never counts its entries: one damaged
    length field (a member's comment length) swallows the next member's entry, which then is
    never read, and its numbers are lost.
    """
    end = getattr(zipfile, "_EndRecData", None)  # what zipfile itself read the directory by
    if end is None:
        return
    try:
        with open(path, "rb") as f:
            record = end(f)
    except (OSError, zipfile.BadZipFile, struct.error) as e:
        raise RegistryFormatError(f"not a readable zip archive ({e})", path=path) from e
    if record is None:
        return
    declared, listed = int(record[4]), len(archive.infolist())
    if declared != listed:
        raise RegistryFormatError(
            f"not a readable zip archive: its end record says {declared} members but its directory "
            f"lists {listed} (a damaged download; fetch it again)",
            path=path,
        )


def _check_skipped(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """A skipped entry (folder, dot-file, ``__MACOSX``) must be one in its local header too.

    A damaged name in the central directory (``.12.txt`` for ``212.txt``) would otherwise skip a
    registry file unread; opening the entry compares the two names (zipfile refuses a mismatch).
    """
    try:
        archive.open(info).close()
    except (*READ_ERRORS, NotImplementedError, RuntimeError, ValueError) as e:
        raise RegistryFormatError(
            f"not a readable zip archive: entry {info.filename!r} is damaged ({e}); fetch it again",
            path=path,
        ) from e


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
    # ValueError: a local header flagged UTF-8 whose name is not (UnicodeDecodeError).
    except (*READ_ERRORS, NotImplementedError, RuntimeError, ValueError) as e:
        raise unreadable(member, e) from e


def _reads(member: Member, size: int) -> Iterator[bytes]:
    """The member's bytes in pieces of ``size``, then ``b""``; read (and inflated) ahead by a thread.

    zlib releases the GIL, so inflating the next piece overlaps parsing this one (2 cores). The
    stream is opened and closed here, after the reader thread has stopped.
    """
    if member.size is not None and member.size < size:
        # A small zip member: read it here. A reader thread costs more than it saves, and a zip
        # of many tiny members would otherwise take a thread hand-off per member.
        with open_member(member) as stream:
            try:
                data = stream.read(size)
            except READ_ERRORS as e:
                raise unreadable(member, e) from e
        yield data
        if data:
            yield b""
        return
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
    last non-blank line (for :func:`split_trailer`) and may end without a line end. ``size``:
    bytes read at a time (default: the member's ``tuning.block_bytes``).
    """
    size = size or member.tuning.block_bytes
    max_line = member.tuning.max_line
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
        if end <= 0:
            if len(data) > max_line:  # keep memory bounded on a file that is not line-oriented
                raise member.error(
                    f"no line end in {say_bytes(max_line)}: expected one record per line", line + 1
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


def say_bytes(n: int) -> str:
    """``n`` bytes as a message says it: ``64 MiB``, or ``1000 bytes`` when not whole MiB."""
    return f"{n >> 20} MiB" if n % (1 << 20) == 0 else f"{n} bytes"


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


_MONTHS = {
    m: k
    for k, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_TIME = rb"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*+[AaPp][Mm])?(?:Z|\s*+[+-]\d{2}:?\d{2})?)?"
_MONTH = rb"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*+\.?"
#: The date layouts of US exports (each alternative's groups: see :func:`read_date`).
DATE_PATTERN = (
    rb"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"
    + _TIME  # 2026-03-11, 2026/03/11, 2026.03.11
    + rb"|(\d{1,2})([-/.])(\d{1,2})\6(\d{4})"
    + _TIME  # 03/11/2026 (US order), 11.03.2026 (ambiguous)
    + rb"|(\d{4})(\d{2})(\d{2})"  # 20260311
    + rb"|("
    + _MONTH
    + rb")[ -]?+(\d{1,2}),?+[ -]?+(\d{4})"
    + _TIME  # Mar 11 2026, March 11, 2026
    + rb"|(\d{1,2})[ -]?+("
    + _MONTH
    + rb"),?+[ -]?+(\d{4})"
    + _TIME  # 11 Mar 2026, 11-Mar-2026
)
_DATE = re.compile(DATE_PATTERN, re.IGNORECASE)


def read_date(text: bytes) -> dt.date:
    """A date as change lists and CSV exports write it; ``ValueError`` saying why it is not one.

    Accepted: ``2026-03-11`` (also with ``/`` or ``.``, and with a time such as
    ``T14:22:01``), ``03/11/2026`` and ``3/11/2026`` (US order, month first), ``20260311``,
    ``Mar 11 2026``, ``March 11, 2026``, ``11 Mar 2026`` and ``11-Mar-2026``. Day and month
    written with dots or dashes (``11.03.2026``) are read when only one order makes a date, and
    refused as ambiguous when both do.

    >>> read_date(b"2026-03-11 14:22:01"), read_date(b"3/11/2026"), read_date(b"Mar 11 2026")
    (datetime.date(2026, 3, 11), datetime.date(2026, 3, 11), datetime.date(2026, 3, 11))
    >>> read_date(b"13.03.2026")
    datetime.date(2026, 3, 13)
    >>> read_date(b"11.03.2026")
    Traceback (most recent call last):
    ...
    ValueError: date '11.03.2026' is ambiguous (11 March or November 3): write it as 2026-03-11
    """
    word = text.strip().decode("utf-8", "replace")
    m = _DATE.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"date {word!r} does not parse: expected a date like 2026-03-11")
    g = m.groups()
    try:
        if g[0]:
            if g[2][:1] == b"0" and len(g[3]) == 1:
                # A writer that pads the month pads the day: ``2026-03-1`` is ``2026-03-10`` cut
                # short, or with its last digit damaged into a space or a quote.
                raise ValueError(
                    f"date {word!r} pads the month but not the day (2026-03-01 pads both): a "
                    "damaged or cut date; fetch the file again"
                )
            return dt.date(int(g[0]), int(g[2]), int(g[3]))
        if g[4]:
            a, b, year = int(g[4]), int(g[6]), int(g[7])
            if g[5] == b"/":
                return dt.date(year, a, b)  # US order, as US exports write it
            if a <= 12 and b <= 12 and a != b:
                raise ValueError(
                    f"date {word!r} is ambiguous ({a} {_month_name(b)} or {_month_name(a)} {b}): "
                    f"write it as {year:04d}-{b:02d}-{a:02d}"
                )
            return dt.date(year, b, a) if a > 12 else dt.date(year, a, b)
        if g[8]:
            return dt.date(int(g[8]), int(g[9]), int(g[10]))
        if g[11]:
            return dt.date(int(g[13]), _MONTHS[g[11][:3].decode().lower()], int(g[12]))
        return dt.date(int(g[16]), _MONTHS[g[15][:3].decode().lower()], int(g[14]))
    except (ValueError, KeyError) as e:
        if "ambiguous" in str(e) or "pads the month" in str(e):
            raise
        raise ValueError(
            f"date {word!r} does not parse: no such day; expected a date like 2026-03-11"
        ) from None


def _month_name(k: int) -> str:
    return dt.date(2000, k, 1).strftime("%B")


def parse_date(text: bytes) -> dt.date | None:
    """:func:`read_date`, or ``None`` when the text is not a date.

    >>> parse_date(b"2026-03-10 14:22:01"), parse_date(b"03/10/2026"), parse_date(b"2026-02-30")
    (datetime.date(2026, 3, 10), datetime.date(2026, 3, 10), None)
    """
    try:
        return read_date(text)
    except ValueError:
        return None
