"""Internal (entity-specific) do-not-call lists: the seller's own opt-out records.

Sellers must keep a list of the people who asked them not to call (TSR 16 CFR 310.4(b)(1)(iii)(A),
47 CFR 64.1200(d); docs/sources.md). dncguard reads it as CSV (or tab/semicolon separated) with a
header naming a ``number`` column (any common spelling of the number), an optional
``requested_on`` date column (``2026-03-10``, also with a time, or ``03/10/2026``; empty: no date,
the entry applies always) and, when one file holds several sellers, a ``seller`` column. Each
seller's list replaces its ``internal:<seller>`` layer.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "optouts.csv"
>>> _ = path.write_text("number,requested_on\\n(212) 555-0143,2026-03-01\\n305.555.0199,\\n")
>>> [(c.layer.name, c.numbers.tolist(), c.dates.tolist()) for c in internal(path, seller="acme")]
[('internal:acme', [2125550143, 3055550199], [datetime.date(2026, 3, 1), None])]
>>> list(internal(path))
Traceback (most recent call last):
...
dncguard.errors.RegistryFormatError: .../optouts.csv, line 1: no seller column: pass seller= or add...
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard._fields import near_miss, near_miss_advice
from dncguard._seller import normalize_seller
from dncguard.errors import ArgumentTypeError
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.sources._delimited import csv_batches, numbers_of, pick_number_column
from dncguard.sources._read import Member, Tuning, members, read_date, resolve
from dncguard.sources._source import Batcher, Source, existing_file, latest_date

__all__ = ["internal"]

_ROLES = ("requested_on", "seller")
"""The columns of an internal list besides its number."""

_ISO = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"


def internal(
    path: str | os.PathLike[str],
    *,
    seller: str | None = None,
    number_column: str | None = None,
    tuning: Tuning | None = None,
) -> Source:
    """A seller's internal do-not-call list (CSV with ``number``, ``requested_on``, ``seller``).

    With ``seller``, the file is that seller's list (a ``seller`` column, if any, must agree);
    without it, the file's ``seller`` column says whose list each row belongs to. The number
    column is found under any common spelling (``number``, ``phone``, ``Phone Number``,
    ``telephone``, ``tel``), preferring a phone-named column to one like ``Account Number``;
    ``number_column`` names it outright.
    ``tuning`` (a :class:`~dncguard.sources.Tuning`): block and chunk sizes, refusal bounds.
    """
    p = existing_file(path, "internal")
    if seller is not None and not isinstance(seller, str):
        raise ArgumentTypeError(f"internal(): seller= must be a str or None, got {seller!r}")
    if number_column is not None and not isinstance(number_column, str):
        raise ArgumentTypeError(f"internal(): number_column= must be a column name, got {number_column!r}")
    tune = resolve(tuning, "internal")
    layer = None if seller is None else LayerKey.internal(seller)
    return Source("internal", p, layer, None, _read=lambda: _read(p, seller, number_column, tune))


def _layout(
    seller: str | None, number_column: str | None
) -> Callable[[list[str] | None, list[str] | None], dict[str, int]]:
    def layout(header: list[str] | None, row: list[str] | None) -> dict[str, int]:
        if header is None:
            if row is None:
                return {"number": 0}  # an empty file: an empty list
            raise ValueError(
                "expected a header row naming the columns: number, and optionally requested_on and seller"
            )
        names = [h.strip().lower() for h in header]
        roles: dict[str, int] = {"number": pick_number_column(header, number_column)}
        roles.update({role: names.index(role) for role in _ROLES if role in names})
        for i, name in enumerate(header):
            # docs/defaults.md#near-miss-call-columns: a misspelt requested_on would drop every
            # request date (the list then applied always) and a misspelt seller the sellers
            close = None if i in roles.values() else near_miss(name.strip(), _ROLES)
            if close is not None:
                raise ValueError(f"column {name!r}: {near_miss_advice(close, 'column of an internal list')}")
        if seller is None and "seller" not in roles:
            raise ValueError("no seller column: pass seller= or add a 'seller' column")
        return roles

    return layout


def _read(path: str, seller: str | None, number_column: str | None, tuning: Tuning) -> Iterator[Chunk]:
    batches: dict[str, Batcher] = {}

    def batcher(name: str) -> Batcher:
        # One seller however written (docs/defaults.md): "Acme" and " acme " fill one list.
        key = normalize_seller(name)
        if key not in batches:
            batches[key] = Batcher(
                LayerKey.internal(name),
                Op.REPLACE,
                obtained=None,
                source=path,
                chunk_numbers=tuning.chunk_numbers,
            )
        return batches[key]

    if seller is not None:
        batcher(seller)
    for member in members(path, tuning):
        for b in csv_batches(member, _layout(seller, number_column)):
            numbers, rows = numbers_of(member, b.columns["number"], b.line_of, b.labels["number"])
            take = pa.array(rows, type=pa.int64())
            dates = _dates(member, b.columns.get("requested_on"), take, b.line_of)
            if "seller" not in b.columns:
                assert seller is not None
                yield from batcher(seller).add(numbers, dates=dates)
                continue
            names = pc.utf8_trim_whitespace(b.columns["seller"].take(take))
            if seller is not None:
                # One seller however written (docs/defaults.md): compare trimmed and case-folded.
                codes = pc.dictionary_encode(names)
                if isinstance(codes, pa.ChunkedArray):
                    codes = codes.combine_chunks()
                mine = normalize_seller(seller)
                same = np.array(
                    [not v or normalize_seller(v) == mine for v in codes.dictionary.to_pylist()],
                    dtype=bool,
                )
                other = ~same[codes.indices.to_numpy(zero_copy_only=False)]
                if other.any():
                    i = int(np.argmax(other))
                    raise member.error(
                        f"seller {names[i].as_py()!r} in a file read for seller {seller!r}",
                        b.line_of(int(rows[i])),
                    )
                yield from batcher(seller).add(numbers, dates=dates)
                continue
            codes = (
                pc.dictionary_encode(names).combine_chunks()
                if isinstance(names, pa.ChunkedArray)
                else (pc.dictionary_encode(names))
            )
            index = codes.indices.to_numpy(zero_copy_only=False)
            for k, name in enumerate(codes.dictionary.to_pylist()):
                pick = index == k
                if not name:
                    raise member.error("expected a seller name", b.line_of(int(rows[int(np.argmax(pick))])))
                yield from batcher(name).add(numbers[pick], dates=dates[pick])
    for batch in batches.values():
        yield from batch.flush()


def _dates(
    member: Member, column: pa.Array | None, take: pa.Array, line_of: Callable[[int], int]
) -> npt.NDArray[np.datetime64]:
    """Request dates of the kept rows (``NaT`` where empty): ISO dates vectorised, others one by one.

    A date after :func:`~dncguard.sources._source.latest_date` is refused (docs/defaults.md).
    """
    if column is None:
        return np.full(len(take), np.datetime64("NaT"), dtype="datetime64[D]")
    text = pc.utf8_trim_whitespace(column.take(take))
    empty = pc.equal(text, "")
    out: npt.NDArray[np.datetime64] | None = None
    if pc.all(pc.or_(empty, pc.match_substring_regex(text, _ISO))).as_py():
        day = pc.if_else(empty, pa.scalar(None, pa.string()), pc.utf8_slice_codeunits(text, 0, 10))
        with contextlib.suppress(pa.ArrowInvalid):  # 2026-02-30: found and named below
            out = pc.cast(day, pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    values = text.to_pylist()
    if out is None:
        out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
        for i, v in enumerate(values):
            if v:
                try:
                    d = read_date(v.encode())
                except ValueError as e:
                    raise member.error(f"requested_on {v!r}: {e}", line_of(int(take[i].as_py()))) from None
                out[i] = np.datetime64(d, "D")
    latest = np.datetime64(latest_date(), "D")
    late = out > latest  # NaT compares false
    if late.any():
        i = int(np.argmax(late))
        raise member.error(
            f"requested_on {values[i]!r} is in the future (today is "
            f"{latest - np.timedelta64(1, 'D')} in UTC): a request cannot be recorded before it is made",
            line_of(int(take[i].as_py())),
        )
    return out
