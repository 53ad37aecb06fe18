"""Internal (entity-specific) do-not-call lists: the seller's own opt-out records.

Sellers must keep a list of the people who asked them not to call (TSR 16 CFR 310.4(b)(1)(iii)(A),
47 CFR 64.1200(d); RULES.md §1.7). dncguard reads it as CSV (or tab/semicolon separated) with a
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

import os
import re
from collections.abc import Callable, Iterator

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard.layers import Chunk, LayerKey, Op
from dncguard.sources._delimited import csv_batches, numbers_of
from dncguard.sources._read import Member, members, parse_date
from dncguard.sources._source import Batcher, Source, existing_file

__all__ = ["internal"]

_ISO = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"


def internal(path: str | os.PathLike[str], *, seller: str | None = None) -> Source:
    """A seller's internal do-not-call list (CSV with ``number``, ``requested_on``, ``seller``).

    With ``seller``, the file is that seller's list (a ``seller`` column, if any, must agree);
    without it, the file's ``seller`` column says whose list each row belongs to.
    """
    p = existing_file(path, "internal")
    if seller is not None and not isinstance(seller, str):
        raise TypeError(f"internal(): seller= must be a str or None, got {seller!r}")
    layer = None if seller is None else LayerKey.internal(seller)
    return Source("internal", p, layer, None, _read=lambda: _read(p, seller))


def _layout(seller: str | None) -> Callable[[list[str] | None, list[str] | None], dict[str, int]]:
    def layout(header: list[str] | None, row: list[str] | None) -> dict[str, int]:
        if header is None:
            if row is None:
                return {"number": 0}  # an empty file: an empty list
            raise ValueError(
                "expected a header row naming the columns: number, and optionally requested_on and seller"
            )
        names = [h.strip().lower() for h in header]
        if "number" not in names:
            raise ValueError(f"no 'number' column in the header {header}")
        roles: dict[str, int] = {
            role: names.index(role) for role in ("number", "requested_on", "seller") if role in names
        }
        if seller is None and "seller" not in roles:
            raise ValueError("no seller column: pass seller= or add a 'seller' column")
        return roles

    return layout


def _read(path: str, seller: str | None) -> Iterator[Chunk]:
    batches: dict[str, Batcher] = {}

    def batcher(name: str) -> Batcher:
        if name not in batches:
            batches[name] = Batcher(LayerKey.internal(name), Op.REPLACE, obtained=None, source=path)
        return batches[name]

    if seller is not None:
        batcher(seller)
    for member in members(path):
        for b in csv_batches(member, _layout(seller)):
            numbers, rows = numbers_of(member, b.columns["number"], b.line_of)
            take = pa.array(rows, type=pa.int64())
            dates = _dates(member, b.columns.get("requested_on"), take, b.line_of)
            if "seller" not in b.columns:
                assert seller is not None
                yield from batcher(seller).add(numbers, dates=dates)
                continue
            names = pc.utf8_trim_whitespace(b.columns["seller"].take(take))
            if seller is not None:
                other = pc.and_(pc.not_equal(names, ""), pc.not_equal(names, seller))
                if pc.any(other).as_py():
                    i = int(np.argmax(other.to_numpy(zero_copy_only=False)))
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
    """Request dates of the kept rows (``NaT`` where empty): ISO dates vectorised, others one by one."""
    if column is None:
        return np.full(len(take), np.datetime64("NaT"), dtype="datetime64[D]")
    text = pc.utf8_trim_whitespace(column.take(take))
    empty = pc.equal(text, "")
    if pc.all(pc.or_(empty, pc.match_substring_regex(text, _ISO))).as_py():
        day = pc.if_else(empty, pa.scalar(None, pa.string()), pc.utf8_slice_codeunits(text, 0, 10))
        try:
            out: npt.NDArray[np.datetime64] = pc.cast(day, pa.date32()).to_numpy(zero_copy_only=False)
            return out.astype("datetime64[D]")
        except pa.ArrowInvalid:
            pass  # an impossible date such as 2026-02-30: found and named below
    values = text.to_pylist()
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    for i, v in enumerate(values):
        if v:
            d = parse_date(v.encode())
            if d is None or not re.fullmatch(r"[\d\-/.:TZ+ ]+", v):
                raise member.error(
                    f"requested_on {v!r} does not parse: expected a date like 2026-03-10",
                    line_of(int(take[i].as_py())),
                )
            out[i] = np.datetime64(d, "D")
    return out
