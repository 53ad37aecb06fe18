"""What every call file shares: the suffixes that say its kind, the defaults of ``--at``,
``--seller`` and ``--purpose``, a batch of table rows, and the error of a file that is not UTF-8.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from dncguard.errors import CallColumnError
from dncguard.models import AT_RANGE, EVIDENCE_COLUMNS, Call

_KNOWN = frozenset(Call.model_fields) | frozenset(EVIDENCE_COLUMNS)
"""The names a call file's column or JSON key may have: a call field or a flat evidence column."""


_TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


_RECORD_SUFFIXES = (".jsonl", ".ndjson", ".json")


def at_out_of_range(at: dt.datetime) -> bool:
    """Whether the aware instant ``at`` lies outside :data:`dncguard.models.AT_RANGE` (a CSV or
    Parquet ``at`` column is held to the same range, column by column)."""
    return not AT_RANGE[0] <= at <= AT_RANGE[1]


# Instants: ``next_allowed_at`` as scrub writes it, and what an ``at`` text must parse to.
AT_TYPE = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Defaults:
    """Values for records that lack ``at``, ``seller`` or ``purpose`` (``--at`` and friends)."""

    at: dt.datetime | None = None
    seller: str | None = None
    purpose: str | None = None

    def fill(self, record: dict[str, Any]) -> None:
        """Set the missing (absent or null) defaulted fields of ``record`` in place."""
        for name in ("at", "seller", "purpose"):
            value = getattr(self, name)
            if value is not None and record.get(name) is None:
                record[name] = value


def is_table_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a CSV or Parquet file (read in batches), judged by its suffix."""
    return Path(path).suffix.lower() in _TABLE_SUFFIXES


def _check_suffix(path: str | os.PathLike[str], allowed: Sequence[str], what: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise CallColumnError(
            f"unknown {what} format {suffix or '(no suffix)'!r}: expected one of {', '.join(allowed)}",
            path=os.fspath(path),
        )
    return suffix


def no_calls(path: str, what: str) -> CallColumnError:
    """The error of a call file that holds no call (``what`` says what it holds instead): every
    format says it alike, for ``check`` and ``scrub``. A call list that came out empty (an export
    that failed, the wrong file) is not "every call allowed"."""
    return CallColumnError(
        f"no calls: {what}; a call file holds one call per row (is it the file you meant?)", path=path
    )


# --- decoding --------------------------------------------------------------------------------


def _not_utf8(path: str, *, header: bool) -> CallColumnError:
    """The error for a call file that is not UTF-8 text, naming the first byte that is not: its
    byte offset (from 0), its line and the data row there (a CSV ``header`` is not a row, blank
    lines of JSON Lines are not rows). Called once a read has failed: a pass over the bytes."""
    offset = 0
    row = 0
    with open(path, "rb") as f:
        for line_no, line in enumerate(f, start=1):
            if line_no > 1 or not header:
                row += bool(line.strip())
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as e:
                at = offset + e.start
                byte = line[e.start : e.start + 1].hex()
                return CallColumnError(
                    f"the encoding is not UTF-8: byte 0x{byte} at byte offset {at:,} (line {line_no}) "
                    "is not valid UTF-8; save the file as UTF-8",
                    path=path,
                    row=row or None,
                )
            offset += len(line)
    return CallColumnError("the encoding is not UTF-8: save the file as UTF-8", path=path)


@dataclass(frozen=True)
class Batch:
    """A slice of a CSV/Parquet call file.

    ``raw``: the rows as read (CSV: every column a string), for writing back out.
    ``calls``: the call columns typed and checked as ``Guard.scrub`` takes them (``to`` string,
    ``at`` ISO 8601 text or an aware timestamp, as given; dates ``date32``; ``prerecorded``
    bool), defaults filled.
    ``first_row``: the 1-based data row of the batch's first row.
    ``at_times``: the ``at`` column of ``calls`` read as UTC instants, row for row, where it is
    text the reader has parsed (to check it) and holds no null; else None.
    """

    raw: pa.Table
    calls: pa.Table
    first_row: int
    at_times: pa.Array | None = None

    def records(self, indices: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """Rows (all, or those at ``indices``) as dicts for :func:`call_from_record`."""
        calls = self.calls if indices is None else self.calls.take(pa.array(indices, pa.int64()))
        rows: list[dict[str, Any]] = calls.to_pylist()
        return rows
