"""The source object every reader returns, argument checks, and grouping numbers into chunks.

A *source* is a re-iterable stream of :class:`~dncguard.layers.Chunk` values: iterating it opens
the download and reads it again, lazily, so the index can consume it in constant memory.

>>> import datetime as dt
>>> check_obtained(None, "ftc")
Traceback (most recent call last):
...
dncguard.errors.ArgumentTypeError: ftc(): obtained= must be the datetime.date the download was obtained, ...
>>> sorted(check_area_codes(["212", 305]))
[212, 305]
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from dncguard._calendar import latest_date
from dncguard.errors import ArgumentError, ArgumentTypeError, RegistryFormatError
from dncguard.layers import Chunk, LayerKey, LayerKind, Op

__all__ = [
    "CHUNK_NUMBERS",
    "Batcher",
    "Source",
    "check_area_codes",
    "check_obtained",
    "check_path",
    "existing_file",
    "latest_date",
    "regular_file_error",
]

#: Numbers per chunk (32 MiB of uint64): memory stays constant whatever the download's size.
CHUNK_NUMBERS = 1 << 22

U64 = npt.NDArray[np.uint64]


@dataclass(frozen=True, eq=False)
class Source:
    """A registry download, ready to be read: iterate it for its chunks (again and again).

    ``layer`` is the layer it fills (``None`` for an internal list whose ``seller`` column names
    several sellers); ``op`` is ``replace`` for full lists and ``add``/``delete`` (both) for
    change lists; ``format`` is the reader's name, such as ``"ftc"``.
    """

    format: str
    path: str
    layer: LayerKey | None
    obtained: dt.date | None
    published: dt.date | None = None
    area_codes: frozenset[int] | None = None
    _read: Callable[[], Iterator[Chunk]] = field(default=lambda: iter(()), repr=False)

    def __iter__(self) -> Iterator[Chunk]:
        """Read the download from the start, yielding its chunks; errors surface here."""
        return self._read()


def check_path(path: str | os.PathLike[str], fn: str) -> str:
    """The path as a string; ``TypeError`` for anything that is not a path."""
    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(f"{fn}(): path must be a str or os.PathLike, got {type(path).__name__}")
    return os.fspath(path)


def regular_file_error(path: str, mode: int) -> str | None:
    """Why a path whose ``st_mode`` is ``mode`` is not a download to read, or ``None`` for a file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a registry download: give the downloaded file (a .zip, .txt, .xml ...)"
    what = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
    )
    return f"is not a regular file ({what}): save the download to a file and give that file"


def existing_file(path: str | os.PathLike[str], fn: str) -> str:
    """The path of an existing regular file, checked when the source is made (not when it is read).

    A directory or a FIFO is called what it is (a FIFO is never opened: reading one could hang).
    """
    p = check_path(path, fn)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{fn}(): no such registry download: {p}") from None
    except OSError as e:
        raise RegistryFormatError(f"cannot be read: {e.strerror or e}", path=p) from e
    why = regular_file_error(p, mode)
    if why is not None:
        raise RegistryFormatError(why, path=p)
    return p


def check_obtained(obtained: object, fn: str, path: str | None = None) -> dt.date:
    """``obtained`` must be a date, not in the future: a download without its date is refused."""
    if isinstance(obtained, dt.datetime) or not isinstance(obtained, dt.date):
        raise ArgumentTypeError(
            f"{fn}(): obtained= must be the datetime.date the download was obtained, got {obtained!r}"
        )
    latest = latest_date()
    if obtained > latest:
        raise RegistryFormatError(
            f"{fn}(): obtained={obtained.isoformat()} is in the future (today is "
            f"{(latest - dt.timedelta(days=1)).isoformat()} in UTC): give the date the download was obtained",
            path=path,
        )
    return obtained


def check_date(value: object, fn: str, name: str) -> dt.date | None:
    """An optional date argument."""
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ArgumentTypeError(f"{fn}(): {name}= must be a datetime.date or None, got {value!r}")
    return value


def check_area_codes(area_codes: Iterable[int | str] | None) -> frozenset[int] | None:
    """Area codes given by the caller: three digits, the first 2-9."""
    if area_codes is None:
        return None
    if isinstance(area_codes, (str, bytes, int)):
        raise ArgumentTypeError(f"area_codes= must be a collection of area codes, got {area_codes!r}")
    out = set()
    for ac in area_codes:
        s = str(ac).strip()
        if not (len(s) == 3 and s.isascii() and s.isdigit() and s[0] in "23456789"):
            raise ArgumentError(f"area code {ac!r}: expected three digits, the first 2-9, like 212")
        out.add(int(s))
    return frozenset(out)


class Batcher:
    """Collects the numbers of one layer and operation into chunks of about ``chunk_numbers``."""

    def __init__(
        self,
        layer: LayerKey,
        op: Op,
        *,
        obtained: dt.date | None,
        source: str,
        published: dt.date | None = None,
        chunk_numbers: int = CHUNK_NUMBERS,
    ) -> None:
        self.layer, self.op, self.obtained, self.source = layer, op, obtained, source
        self.chunk_numbers = chunk_numbers
        self.published = published
        self._parts: list[U64] = []
        self._dates: list[npt.NDArray[np.datetime64]] = []
        self._size = 0
        self._coverage: set[int] = set()
        self.emitted = 0

    def add(
        self, numbers: U64, coverage: Iterable[int] = (), dates: npt.NDArray[np.datetime64] | None = None
    ) -> Iterator[Chunk]:
        """Add numbers (and the area codes they cover); yield a chunk when one is full."""
        self._coverage.update(coverage)
        if numbers.size:
            self._parts.append(numbers)
            if dates is not None:
                self._dates.append(dates)
            self._size += numbers.size
        if self._size >= self.chunk_numbers:
            yield self._chunk()

    def flush(self) -> Iterator[Chunk]:
        """Yield what is left; always at least one chunk per batcher, so an empty list counts."""
        if self._size or self._coverage or not self.emitted:
            yield self._chunk()

    def _chunk(self) -> Chunk:
        numbers = np.concatenate(self._parts) if self._parts else np.empty(0, np.uint64)
        dates = None
        if self._dates:
            dates = np.concatenate(self._dates)
        elif self.layer.seller is not None:
            dates = np.full(numbers.size, np.datetime64("NaT"), dtype="datetime64[D]")
        cov = {} if self.obtained is None else dict.fromkeys(sorted(self._coverage), self.obtained)
        chunk = Chunk(
            self.layer,
            self.op,
            numbers,
            coverage=cov if self.layer.kind is LayerKind.NATIONAL else {},
            dates=dates,
            obtained=self.obtained,
            published=self.published,
            source=self.source,
        )
        self._parts, self._dates, self._size, self._coverage = [], [], 0, set()
        self.emitted += 1
        return chunk
