"""Bulk scrubbing: decide whole Arrow tables of calls with the same policy as ``Guard.check``.

A pipeline asks about millions of rows; a dialer about one call. Both must get the same answer,
so this module holds no law: it computes, for whole columns at once with numpy and pyarrow, the
same *facts* that ``Guard.check`` computes for one call (the number and its area code, which
layers list it, how old the registry copy is, the local weekday and minute in every candidate
zone, which relationship, consent or request applies), reduces the rows to the few distinct
decision-relevant combinations of facts, asks the policy once per combination, and broadcasts
the answers back to the rows. No Python runs per row.

Input columns (``shared/design/API.md`` §5): ``to`` (string or integer), any scalar
:class:`~dncguard.Call` field (``at``, ``seller``, ``caller``, ``purpose``, ``line``,
``prerecorded``, ``callee_region``, ``callee_timezone``, ``reassigned_on``) and the evidence as
flat nullable columns (``last_purchase``, ``last_inquiry``, ``contract_on``, ``contract_ends``,
``consent_kind``, ``consent_on``, ``consent_revoked_on``, ``dnc_requested_on``), all of it the
call's seller's. A missing column takes the keyword default given to ``scrub``, else the Call
default; a null cell in a column with a default takes that default too. ``seller`` and ``at``
have no Call default. Output: the input columns plus ``allowed``, ``reason`` (the first blocking
code, null when allowed), ``reasons`` and ``next_allowed_at`` (UTC).

>>> import datetime as dt, numpy as np
>>> from dncguard.guard import Guard
>>> from dncguard.layers import Chunk, LayerKey, Op
>>> from dncguard.registry import Registry
>>> ftc = Chunk(LayerKey.national("US"), Op.REPLACE, np.array([2125550143], dtype=np.uint64),
...             coverage={212: dt.date(2026, 3, 10)}, obtained=dt.date(2026, 3, 10))
>>> guard = Guard(Registry.build([[ftc]]))
>>> calls = pa.table({
...     "to": ["(212) 555-0143", "212-555-0199", "212 555 0198", "876-555-0100"],
...     "at": ["2026-03-16T14:00:00-04:00", "2026-03-16T14:00:00-04:00",
...            "2026-03-16T21:30:00-04:00", "2026-03-16T14:00:00-04:00"],
... })
>>> out = guard.scrub(calls, seller="acme")
>>> out.column("allowed").to_pylist()
[False, True, False, False]
>>> out.column("reason").to_pylist()
['national_registry', None, 'calling_hours', 'invalid_number']
>>> out.column("next_allowed_at")[2].as_py().isoformat()
'2026-03-17T12:00:00+00:00'
>>> guard.scrub(pa.table({"to": ["212-555-0199"], "purpose": ["robbery"]}), at=dt.datetime(
...     2026, 3, 16, 18, tzinfo=dt.UTC), seller="acme")
Traceback (most recent call last):
...
ValueError: column 'purpose', row 0: 'robbery' is not one of sale, donation, ...
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import itertools
import os
import threading
import weakref
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard import geography, policy
from dncguard._arrow import trimmed
from dncguard.errors import StaleRegistryError
from dncguard.facts import (
    ALL_DAYS,
    FAR_FUTURE,
    FAR_PAST,
    HORIZON,
    NO_DAYS,
    SEARCH_DAYS,
    Anniversary,
    CallFacts,
    day_number,
    span_mask,
    time_rule,
    time_rule_passes,
    window_end,
)
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import Jurisdiction, Window
from dncguard.models import EVIDENCE_COLUMNS, EVIDENCE_DATE_COLUMNS, Call, ReasonCode
from dncguard.numbers import parse_numbers
from dncguard.policy import Verdict, decide, hour_rules, invalid_number, next_allowed_at

if TYPE_CHECKING:
    from dncguard.guard import Guard

__all__ = [
    "DECISION_FIELDS",
    "NO_NEXT",
    "Decided",
    "coalesce",
    "decide_batches",
    "decision_schema",
    "factorize",
    "local_clock",
    "scrub",
    "scrub_batches",
]

DECISION_FIELDS: Final = (
    pa.field("allowed", pa.bool_(), nullable=False),
    pa.field("reason", pa.string()),
    pa.field("reasons", pa.list_(pa.string()), nullable=False),
    pa.field("next_allowed_at", pa.timestamp("us", tz="UTC")),
)
"""The columns ``scrub`` appends to its input, in this order."""

_DECISION_NAMES: Final = frozenset(f.name for f in DECISION_FIELDS)

# Call fields that a column (or a keyword default) may give, with the Call default. ``to``,
# ``at`` and ``seller`` have none.
_SCALAR_DEFAULTS: Final[Mapping[str, Any]] = {
    name: Call.model_fields[name].default
    for name in (
        "caller",
        "purpose",
        "line",
        "prerecorded",
        "callee_region",
        "callee_timezone",
        "reassigned_on",
    )
}
_EVIDENCE: Final = EVIDENCE_COLUMNS
_DATE_COLUMNS: Final = EVIDENCE_DATE_COLUMNS
_KNOWN: Final = frozenset({"to", "at", "seller", *_SCALAR_DEFAULTS, *_EVIDENCE})

_BATCH_ROWS: Final = 1 << 20
"""Rows per unit of work: large enough to amortise numpy calls, small enough to bound memory."""

NAT: Final = np.datetime64("NaT", "D")
NONE: Final = np.iinfo(np.int64).min
"""The day number of an absent date in the columns bulk reads."""


def decision_schema(schema: pa.Schema) -> pa.Schema:
    """The schema of ``scrub``'s output for an input of ``schema``: input + decision columns.

    >>> decision_schema(pa.schema([("to", pa.string())])).names
    ['to', 'allowed', 'reason', 'reasons', 'next_allowed_at']
    """
    kept = [f for f in schema if f.name not in _DECISION_NAMES]
    return pa.schema([*kept, *DECISION_FIELDS], metadata=schema.metadata)


# --------------------------------------------------------------------------------------------
# Reading and validating the input columns
# --------------------------------------------------------------------------------------------


def _bad(column: str, row: int, what: str) -> ValueError:
    return ValueError(f"column {column!r}, row {row}: {what}")


def _first(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.argmax(mask))


@dataclass(frozen=True)
class Codes:
    """A low-cardinality column as integer codes into its distinct values.

    ``codes[i]`` indexes ``values``; ``values`` holds Python values (``None`` for a null).
    """

    codes: npt.NDArray[np.int32]
    values: tuple[Any, ...]

    @classmethod
    def constant(cls, value: Any, n: int) -> Codes:
        """``n`` rows of one value."""
        return cls(np.zeros(n, np.int32), (value,))


def _codes(column: pa.Array | pa.ChunkedArray, null_value: Any = None) -> Codes:
    """Dictionary-encode ``column``: one hash pass in C++, then Python sees only distinct values."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    enc = pc.dictionary_encode(column, null_encoding="encode")
    values = [null_value if v is None else v for v in enc.dictionary.to_pylist()]
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    return Codes(codes, tuple(values))


def _column(batch: pa.RecordBatch, name: str) -> pa.Array | None:
    i = batch.schema.get_field_index(name)
    return None if i < 0 else batch.column(i)


def _enum(
    batch: pa.RecordBatch,
    name: str,
    allowed: Iterable[str],
    default: Any,
    n: int,
    *,
    optional: bool = False,
    check: bool = True,
) -> Codes:
    """A string column whose values must be one of ``allowed``; nulls take ``default``."""
    col = _column(batch, name)
    allowed = tuple(allowed)
    if col is None:
        if check and default is not None and default not in allowed:
            raise ValueError(f"{name}={default!r}: expected one of {', '.join(allowed)}")
        return Codes.constant(default, n)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type) or pa.types.is_null(col.type)):
        col_t = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
        if not (pa.types.is_string(col_t) or pa.types.is_large_string(col_t)):
            raise ValueError(f"column {name!r}: expected strings, got {col.type}")
    codes = _codes(col, default)
    for k, v in enumerate(codes.values):
        if not check or (v is None and optional):
            continue
        if v not in allowed:
            row = _first(codes.codes == k)
            raise _bad(name, row, f"{v!r} is not one of {', '.join(allowed)}")
    return codes


def _bool(batch: pa.RecordBatch, name: str, default: bool, n: int) -> npt.NDArray[np.bool_]:
    col = _column(batch, name)
    if col is None:
        if not isinstance(default, bool):
            raise ValueError(f"{name}={default!r}: expected True or False")
        return np.full(n, default)
    if pa.types.is_null(col.type):
        return np.full(n, default)
    if not pa.types.is_boolean(col.type):
        raise ValueError(f"column {name!r}: expected booleans, got {col.type}")
    return np.asarray(pc.fill_null(col, default).to_numpy(zero_copy_only=False), dtype=np.bool_)


_Fallback = tuple[str, Any]
"""How to find a call's local date in its own offset: ("const", minutes), ("zone", name) or
("rows", per-row minutes). Used only for calls with no candidate zone, as ``Guard`` does."""


def _at(batch: pa.RecordBatch, default: Any, n: int) -> tuple[npt.NDArray[np.int64], _Fallback]:
    """The ``at`` column as microseconds since the epoch (UTC); naive or missing values refused."""
    col = _column(batch, "at")
    if col is None:
        if default is None:
            raise ValueError("no 'at' column and no at= default: every call needs its start time")
        value = _aware(default, "at")
        micros = (value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
        return np.full(n, micros, np.int64), _tz_fallback(value.tzinfo, value)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    fallback: _Fallback
    if pa.types.is_timestamp(col.type):
        if col.type.tz is None:
            raise _bad(
                "at",
                0,
                "a timestamp without a time zone is ambiguous across the called party's zones; "
                "give the column a time zone (e.g. cast to timestamp[us, tz=UTC])",
            )
        # Nanoseconds are truncated to microseconds, as a Python datetime holds them.
        ts = pc.cast(col, pa.timestamp("us", tz="UTC"), safe=False)
        fallback = _tz_name_fallback(col.type.tz)
    elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        text = trimmed(col)
        try:
            ts = text.cast(pa.timestamp("us", tz="UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            ts = _first_bad_time(col)
        fallback = ("rows", _TextOffsets(text))
    else:
        raise ValueError(f"column 'at': expected an aware timestamp or ISO 8601 text, got {col.type}")
    if ts.null_count:
        raise _bad("at", _first(np.asarray(ts.is_null())), "no start time: every call needs one")
    return np.asarray(ts.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64), fallback


def _tz_fallback(tz: dt.tzinfo | None, when: dt.datetime) -> _Fallback:
    if isinstance(tz, zoneinfo.ZoneInfo):
        return ("zone", tz.key)
    offset = when.utcoffset()
    return ("const", 0 if offset is None else offset // dt.timedelta(minutes=1))


def _tz_name_fallback(name: str) -> _Fallback:
    text = name.strip()
    if text in ("UTC", "Z", "Etc/UTC", "GMT", "+00:00", "-00:00"):
        return ("const", 0)
    if text[:1] in "+-" and len(text) == 6 and text[3] == ":":
        sign = -1 if text[0] == "-" else 1
        return ("const", sign * (int(text[1:3]) * 60 + int(text[4:6])))
    return ("zone", text)


def _text_offsets(text: pa.Array) -> npt.NDArray[np.int64]:
    """The UTC offset, in minutes, written at the end of each ISO 8601 time."""
    parts = pc.extract_regex(text, r"(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2})?$")
    sign = pc.struct_field(parts, "sign")
    hh = pc.struct_field(parts, "hh")
    mm = pc.struct_field(parts, "mm")
    hours = pc.cast(pc.if_else(pc.equal(hh, ""), "0", hh), pa.int64())
    mins = pc.cast(pc.if_else(pc.equal(mm, ""), "0", mm), pa.int64())
    total = pc.add(pc.multiply(hours, 60), mins)
    total = pc.if_else(pc.equal(sign, "-"), pc.negate(total), total)
    return np.asarray(pc.fill_null(total, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


class _TextOffsets:
    """The UTC offsets written in an ``at`` text column, read only for the rows asked about
    (those without a candidate zone: few, so the whole column is not searched)."""

    def __init__(self, text: pa.Array | pa.ChunkedArray) -> None:
        self.text = text

    def __getitem__(self, rows: Any) -> Any:
        if isinstance(rows, int | np.integer):
            return int(_text_offsets(self.text.take(pa.array([int(rows)])))[0])
        return _text_offsets(self.text.take(pa.array(np.asarray(rows, dtype=np.int64))))


def _fallback_days(
    fallback: _Fallback, minutes: npt.NDArray[np.int64], rows: npt.NDArray[np.intp]
) -> npt.NDArray[np.int64]:
    kind, value = fallback
    m = minutes[rows]
    if kind == "const":
        shift: Any = value
    elif kind == "rows":
        shift = value[rows]
    else:
        return local_clock(m, value)[0]
    out: npt.NDArray[np.int64] = (m + shift) // 1440
    return out


def _first_bad_time(col: pa.Array) -> pa.Array:
    """Find and report the first string that is not an ISO 8601 time with an offset (error path)."""
    for row, value in enumerate(col.to_pylist()):
        if value is None:
            continue
        try:
            pa.array([value.strip()]).cast(pa.timestamp("us", tz="UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise _bad(
                "at",
                row,
                f"{value!r} is not an ISO 8601 time with a UTC offset, e.g. 2026-03-16T14:00:00-04:00",
            ) from None
    raise AssertionError("unreachable: the column failed to parse as a whole")


def _aware(value: Any, name: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{name}={value!r}: expected an ISO 8601 time with a UTC offset") from None
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise ValueError(f"{name}={value!r}: expected an aware datetime (a naive time is ambiguous)")
    return value


def _to_date(value: Any, name: str) -> np.datetime64:
    """A keyword default for a date column, read as ``Call`` reads it."""
    if value is None:
        return NAT
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (
                dt.datetime.fromisoformat(text).date()
                if ("T" in text or " " in text)
                else dt.date.fromisoformat(text)
            )
        except ValueError:
            raise ValueError(f"{name}={value!r}: expected an ISO 8601 date") from None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise ValueError(f"{name}={value!r}: expected a date")
    return np.datetime64(value, "D")


def _dates(batch: pa.RecordBatch, name: str, default: Any, n: int) -> npt.NDArray[np.int64]:
    """A date column as day numbers (days since 1970-01-01; :data:`NONE` for null).

    Read as ``Call`` reads a date: date columns; timestamps (the date in the column's own zone,
    or as written when naive); ISO 8601 date or datetime text (the date as written). A null
    takes ``default`` when one is given.
    """
    col = _column(batch, name)
    if col is None:
        value = _to_date(default, name)
        return np.full(n, NONE if np.isnat(value) else int(value.astype(np.int64)), np.int64)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    t = col.type
    if pa.types.is_null(t):
        out = pa.nulls(len(col), pa.date32())
    elif pa.types.is_date(t):
        out = col.cast(pa.date32())
    elif pa.types.is_timestamp(t):
        local = pc.local_timestamp(col) if t.tz is not None else col
        out = local.cast(pa.timestamp("s")).cast(pa.date32())
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        text = pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(col), 0, 10)
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        try:
            out = text.cast(pa.date32())
        except pa.ArrowInvalid:
            for row, value in enumerate(col.to_pylist()):
                if value is None or not value.strip():
                    continue
                try:
                    _to_date(value, name)
                except ValueError:
                    raise _bad(name, row, f"{value!r} is not an ISO 8601 date") from None
            raise
    else:
        raise ValueError(f"column {name!r}: expected dates, got {t}")
    if not out.null_count:
        return np.asarray(out.cast(pa.int32()).to_numpy(zero_copy_only=False)).astype(np.int64)
    fill = _to_date(default, name)
    fill_day: int = NONE if np.isnat(fill) else int(fill.astype(np.int64))
    marker = np.iinfo(np.int32).min
    days = np.asarray(pc.fill_null(out.cast(pa.int32()), marker).to_numpy(zero_copy_only=False)).astype(
        np.int64
    )
    days[days == marker] = fill_day
    return days


# --------------------------------------------------------------------------------------------
# Local clocks: UTC instants to local calendar day and minute, per IANA zone, vectorised
# --------------------------------------------------------------------------------------------

_SAMPLE: Final = 6 * 3600  # no zone changes its offset twice within six hours


@functools.lru_cache(maxsize=4096)
def _year_transitions(zone: str, year: int) -> tuple[tuple[int, int], ...]:
    """The UTC offsets of ``zone`` during ``year``: ((start second, offset seconds), ...).

    Sampled every six hours through zoneinfo, then each change located to the second by bisection, so a
    transition at any second (Newfoundland's 02:00 local is 05:30 UTC) is exact.
    """
    zi = zoneinfo.ZoneInfo(zone)
    lo = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
    hi = int(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC).timestamp())

    def offset(t: int) -> int:
        off = dt.datetime.fromtimestamp(t, zi).utcoffset()
        assert off is not None
        return int(off.total_seconds())

    current = offset(lo)
    out = [(lo, current)]
    prev = lo
    for t in [*range(lo + _SAMPLE, hi, _SAMPLE), hi - 1]:
        now = offset(t)
        if now != current:
            a, b = prev, t  # offset(a) is the old one, offset(b) the new: find its first second
            while b - a > 1:
                mid = (a + b) // 2
                if offset(mid) == current:
                    a = mid
                else:
                    b = mid
            out.append((b, now))
            current = now
        prev = t
    return tuple(out)


def _offset_table(zone: str, lo: int, hi: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Transition instants (UTC minutes) and the offset (minutes) in force from each, over [lo, hi].

    Only the transitions that matter inside the range are returned; the first entry is in force
    at ``lo``.
    """
    y0 = dt.datetime.fromtimestamp(lo * 60, dt.UTC).year
    y1 = dt.datetime.fromtimestamp(hi * 60, dt.UTC).year
    pairs = [p for y in range(y0, y1 + 1) for p in _year_transitions(zone, y)]
    # Every NANP zone changes offset on a whole minute; the minute grid is then exact.
    assert all(p[0] % 60 == 0 and p[1] % 60 == 0 for p in pairs), zone
    starts = np.array([p[0] // 60 for p in pairs], np.int64)
    offsets = np.array([p[1] // 60 for p in pairs], np.int64)
    i0 = int(np.searchsorted(starts, lo, side="right")) - 1
    i1 = int(np.searchsorted(starts, hi, side="right"))
    return starts[i0:i1], offsets[i0:i1]


def local_clock(
    minutes: npt.NDArray[np.int64], zone: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Local calendar day (days since 1970-01-01) and minute after midnight of UTC ``minutes``.

    ``minutes``: instants as whole minutes since 1970-01-01T00:00Z (calling hours are checked at
    minute resolution, RULES §6.7).

    >>> t = int(dt.datetime(2026, 3, 16, 18, 0, tzinfo=dt.UTC).timestamp()) // 60
    >>> day, minute = local_clock(np.array([t]), "America/New_York")
    >>> str(np.datetime64(int(day[0]), "D")), int(minute[0]) // 60, int(minute[0]) % 60
    ('2026-03-16', 14, 0)
    >>> day, minute = local_clock(np.array([t]), "America/St_Johns")
    >>> int(minute[0]) // 60, int(minute[0]) % 60
    (15, 30)
    """
    if len(minutes) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty
    starts, offsets = _offset_table(zone, int(minutes.min()), int(minutes.max()))
    if len(starts) == 1:
        local = minutes + offsets[0]
    else:
        local = minutes + offsets[np.searchsorted(starts, minutes, side="right") - 1]
    day = local // 1440
    return day, local - day * 1440


# --------------------------------------------------------------------------------------------
# Distinct combinations
# --------------------------------------------------------------------------------------------


def factorize(
    keys: Sequence[npt.NDArray[np.integer[Any]]],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Group rows by the tuple of small non-negative integer ``keys``.

    Returns ``(inverse, first)``: ``first[g]`` is a row of group ``g`` and ``inverse[i]`` the
    group of row ``i``. Keys are packed into one ``int64`` by mixed radix where they fit and
    hashed by Arrow's dictionary encoder (one C++ pass, no sort) otherwise.

    >>> inv, first = factorize([np.array([1, 2, 1, 2]), np.array([0, 0, 0, 5])])
    >>> inv.tolist(), first.tolist()
    ([0, 1, 0, 2], [0, 1, 3])
    """
    n = len(keys[0]) if keys else 0
    if n == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    packed: npt.NDArray[np.int64] | None = None
    radix = 1
    for k in keys:
        k64 = k.astype(np.int64, copy=False)
        span = int(k64.max()) + 1 if len(k64) else 1
        if packed is None:
            packed, radix = k64.copy(), span
        elif radix * span < (1 << 62):
            packed = packed * span + k64
            radix *= span
        else:
            inv, _ = _encode(packed)
            packed, radix = inv.astype(np.int64) * span + k64, (int(inv.max()) + 1) * span
    assert packed is not None
    return _encode(packed)


def _encode(packed: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    top = int(packed.max())
    if top < max(2 * len(packed), 1 << 16):
        # Small keys: address a table directly (no hashing).
        present = np.zeros(top + 1, bool)
        present[packed] = True
        ids = np.cumsum(present, dtype=np.intp) - 1
        inverse = ids[packed]
        groups = int(ids[-1]) + 1
    else:
        enc = pc.dictionary_encode(pa.array(packed))
        inverse = enc.indices.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
        groups = len(enc.dictionary)
    first = np.full(groups, len(inverse), np.intp)
    # Rows in reverse: each group's slot ends holding its first row.
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1, dtype=np.intp)
    return inverse, first


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _append(batch: pa.RecordBatch, columns: Sequence[pa.Array]) -> pa.RecordBatch:
    keep = [i for i, f in enumerate(batch.schema) if f.name not in _DECISION_NAMES]
    arrays = [batch.column(i) for i in keep] + list(columns)
    return pa.RecordBatch.from_arrays(arrays, schema=decision_schema(batch.schema))


def _batches(data: pa.Table | pa.RecordBatch) -> list[pa.RecordBatch]:
    """Units of work of about ``_BATCH_ROWS`` rows: large chunks split, runs of small ones joined."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if not isinstance(data, pa.Table):
        raise TypeError(f"scrub() takes a pyarrow.Table or RecordBatch, not {type(data).__name__}")
    out: list[pa.RecordBatch] = []
    run: list[pa.RecordBatch] = []
    size = 0
    for batch in data.to_batches(max_chunksize=_BATCH_ROWS):
        if size + batch.num_rows > _BATCH_ROWS and run:
            out.append(coalesce(run))
            run, size = [], 0
        run.append(batch)
        size += batch.num_rows
    if run:
        out.append(coalesce(run))
    return out or [pa.RecordBatch.from_pylist([], schema=data.schema)]


def coalesce(batches: Sequence[pa.RecordBatch]) -> pa.RecordBatch:
    """One record batch holding ``batches`` (of one schema) in order; no copy for a single one."""
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _check_defaults(defaults: Mapping[str, Any]) -> None:
    unknown = sorted(set(defaults) - _KNOWN)
    if unknown:
        raise TypeError(f"scrub() got unknown column default(s): {', '.join(unknown)}")


# --------------------------------------------------------------------------------------------
# The engine: columns -> facts -> one policy call per distinct combination -> columns
# --------------------------------------------------------------------------------------------

_CODES: Final = tuple(sorted(JURISDICTIONS))
_BIT: Final[Mapping[str, int]] = {code: i for i, code in enumerate(_CODES)}
_MASK_BITS: Final = HORIZON + 1  # bits of one DayMask
_ALL_CODE_BITS: Final = (1 << len(_CODES)) - 1
_MINUTE_US: Final = 60_000_000
_SEARCH_MINUTES: Final = SEARCH_DAYS * 1440
_NO_ROW: Final = np.iinfo(np.int64).max
NO_NEXT: Final = _NO_ROW
"""``Decided.next_at`` of a row without a ``next_allowed_at``."""


@dataclass(frozen=True)
class _Place:
    """Where a call goes: what the area code, callee_region, callee_timezone and the state lists
    holding the number give (the same derivation as ``Guard.facts``), computed once per distinct
    combination. ``valid`` is false for an area code outside the US and Canada."""

    valid: bool
    npa: int = 0
    country: str = ""
    codes: tuple[str, ...] = ()
    zones: tuple[zoneinfo.ZoneInfo, ...] = ()
    national_obtained: int | None = None
    states: tuple[tuple[str, int], ...] = ()
    """(region, first day the loaded list binds) for each state list holding the number."""

    @property
    def covered(self) -> bool:
        """Whether the loaded national list of the number's country covers its area code."""
        return self.national_obtained is not None


class _Engine:
    """Everything about a Guard that bulk needs, derived once and reused across batches."""

    def __init__(self, guard: Guard) -> None:
        # A weak reference: _ENGINES holds engines weakly by their guard, and a strong one here
        # would keep every guard used in bulk (and its mapped index) alive for good.
        self.guard: Guard = weakref.proxy(guard)
        self.registry: Any = guard.registry
        self.jurisdictions = guard.jurisdictions
        self.anniversary = guard.ebr_anniversary
        layers = tuple(self.registry.layers)
        self.layers = layers
        self.national_bit: dict[str, int] = {}
        self.state_layers: list[tuple[int, str, int]] = []  # (bit, region, binding-from day)
        self.internal: dict[str, int] = {}
        for i, layer in enumerate(layers):
            if layer.kind == "national" and layer.jurisdiction is not None:
                self.national_bit.setdefault(layer.jurisdiction, i)
            elif layer.kind == "state" and layer.jurisdiction is not None:
                start = FAR_PAST if layer.obtained is None else day_number(layer.obtained)
                self.state_layers.append((i, layer.jurisdiction, start))
            elif layer.kind == "internal" and layer.seller is not None:
                self.internal.setdefault(layer.seller, i)
        self.state_bits = np.uint64(sum(1 << b for b, _, _ in self.state_layers))
        # Layers are ordered national, state, internal: the state bits are contiguous.
        self.state_shift = min((b for b, _, _ in self.state_layers), default=0)
        # Per area code: whether Guard knows it, and the national-layer bit of its country.
        self.area_ok = np.zeros(1000, bool)
        self.nat_mask = np.zeros(1000, np.uint64)
        for npa in range(200, 1000):
            area = guard._area(npa)
            if area is not None:
                self.area_ok[npa] = True
                bit = self.national_bit.get(area.country)
                if bit is not None:
                    self.nat_mask[npa] = np.uint64(1 << bit)
        self.places: dict[tuple[int, str | None, str | None, int], _Place] = {}
        self.groups: dict[_GroupKey, _Group] = {}
        self.lock = threading.Lock()

    def place(self, npa: int, region: str | None, zone: str | None, state_mask: int) -> _Place:
        key = (npa, region, zone, state_mask)
        found = self.places.get(key)
        if found is not None:
            return found
        area = self.guard._area(npa) if self.area_ok[npa] else None
        if area is None:
            place = _Place(False)
        else:
            listed = [(r, start) for b, r, start in self.state_layers if state_mask >> b & 1]
            zones = area.zones
            codes = area.codes
            extra = [r for r in (region, *(r for r, _ in listed)) if r and r not in area.regions]
            if extra or zone:
                names = {z.key for z in zones}
                more = [z for r in extra for z in geography.region_zones(r)]
                if zone:
                    more.append(zone)
                zones = zones + tuple(zoneinfo.ZoneInfo(z) for z in sorted(set(more) - names))
                extra_codes = [
                    c for r in extra for c in (geography.region_country(r), r) if c in JURISDICTIONS
                ]
                unique = set([*codes, *extra_codes])
                codes = tuple(sorted(unique, key=lambda c: (c != area.country, "-" in c, c)))
            place = _Place(True, npa, area.country, codes, zones, area.national_obtained, tuple(listed))
        self.places[key] = place
        return place


@dataclass
class _Rows:
    """One batch's columns, validated and typed."""

    n: int
    micros: npt.NDArray[np.int64]
    fallback_day: Any  # rows -> the local date in the call's own offset (used without zones)
    seller: Codes
    caller: Codes
    purpose: Codes
    line: Codes
    prerecorded: npt.NDArray[np.bool_]
    region: Codes
    zone: Codes
    dates: dict[str, npt.NDArray[np.int64]]
    consent_kind: Codes
    to: pa.Array


_CALLERS: Final = ("seller", "telemarketer", "charity")
_PURPOSES: Final = ("sale", "donation", "political", "survey", "newspaper_subscription", "informational")
_LINES: Final = ("residential", "wireless", "business", "unknown")
_CONSENTS: Final = ("written", "electronic", "recorded_verbal", "verbal")


def _default(defaults: Mapping[str, Any], name: str) -> Any:
    return defaults[name] if name in defaults else _SCALAR_DEFAULTS.get(name)


def _read(batch: pa.RecordBatch, defaults: Mapping[str, Any]) -> _Rows:
    n = batch.num_rows
    to = _column(batch, "to")
    if to is None:
        if "to" not in defaults:
            raise ValueError("no 'to' column: every call needs the called number")
        to = pa.array([defaults["to"]] * n, pa.string())
    if pa.types.is_dictionary(to.type):
        to = to.dictionary_decode()
    if pa.types.is_integer(to.type) or pa.types.is_large_string(to.type):
        to = to.cast(pa.string())
    elif not (pa.types.is_string(to.type) or pa.types.is_null(to.type)):
        raise ValueError(f"column 'to': expected text or integers, got {to.type}")
    if to.null_count:
        raise _bad("to", _first(np.asarray(to.is_null())), "no number: every call needs the called number")
    micros, fallback = _at(batch, defaults.get("at"), n)

    seller_default = defaults.get("seller")
    seller = _codes(_column(batch, "seller")) if _column(batch, "seller") is not None else None
    if seller is None:
        if seller_default is None:
            raise ValueError(
                "no 'seller' column and no seller= default: name the party on whose behalf the calls are made"
            )
        seller = Codes.constant(seller_default, n)
    for k, v in enumerate(seller.values):
        value = seller_default if v is None else v
        if value is None:
            raise _bad("seller", _first(seller.codes == k), "no seller: name the party the call is made for")
        if not isinstance(value, str) or not value.strip():
            raise _bad("seller", _first(seller.codes == k), f"{value!r}: expected the seller's name")
    seller = Codes(seller.codes, tuple(seller_default if v is None else v for v in seller.values))

    region = _enum(
        batch, "callee_region", (), _default(defaults, "callee_region"), n, optional=True, check=False
    )
    fixed: list[str | None] = []
    for k, v in enumerate(region.values):
        if v is None:
            fixed.append(None)
            continue
        r = v.strip().upper() if isinstance(v, str) else v
        try:  # Call's rule: ISO 3166-2 of a US or Canadian subdivision dncguard knows
            if not isinstance(r, str) or len(r) < 4 or r[2] != "-" or r[:2] not in ("US", "CA"):
                raise ValueError("expected ISO 3166-2 such as 'US-GA' or 'CA-ON'")
            geography.region_zones(r)
        except ValueError as e:
            raise _bad("callee_region", _first(region.codes == k), f"{v!r}: {e}") from None
        fixed.append(r)
    region = Codes(region.codes, tuple(fixed))

    zone = _enum(
        batch, "callee_timezone", (), _default(defaults, "callee_timezone"), n, optional=True, check=False
    )
    for k, v in enumerate(zone.values):
        if v is None:
            continue
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            raise _bad(
                "callee_timezone",
                _first(zone.codes == k),
                f"{v!r} is not an IANA time zone such as 'America/Chicago'",
            ) from None

    dates = {
        name: _dates(batch, name, defaults.get(name), n)
        for name in _DATE_COLUMNS
        if defaults.get(name) is not None or _column(batch, name) is not None
    }
    kind = _enum(batch, "consent_kind", _CONSENTS, defaults.get("consent_kind"), n, optional=True)
    has_kind = np.array([v is not None for v in kind.values], bool)[kind.codes]
    has_on = dates["consent_on"] != NONE if "consent_on" in dates else np.zeros(n, bool)
    for need, have, lacking in (("consent_on", has_kind, ~has_on), ("consent_kind", has_on, ~has_kind)):
        bad = have & lacking
        if bad.any():
            other = "consent_kind" if need == "consent_on" else "consent_on"
            raise _bad(need, _first(bad), f"missing: required where {other} is set")
    return _Rows(
        n=n,
        micros=micros,
        fallback_day=fallback,
        seller=seller,
        caller=_enum(batch, "caller", _CALLERS, _default(defaults, "caller"), n),
        purpose=_enum(batch, "purpose", _PURPOSES, _default(defaults, "purpose"), n),
        line=_enum(batch, "line", _LINES, _default(defaults, "line"), n),
        prerecorded=_bool(batch, "prerecorded", _default(defaults, "prerecorded"), n),
        region=region,
        zone=zone,
        dates=dates,
        consent_kind=kind,
        to=to,
    )


def _span(lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out: npt.NDArray[np.int64] = span_mask(lo, hi)
    return out


def _evidence_masks(
    j: Jurisdiction,
    anniversary: Anniversary,
    today: npt.NDArray[np.int64],
    d: Mapping[str, npt.NDArray[np.int64]],
    consent_ok: npt.NDArray[np.bool_],
    requests: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
) -> npt.NDArray[np.int64]:
    """:func:`dncguard.facts.evidence_masks` for whole columns, packed ``p | i<<11 | c<<22 | k<<33``.

    The flat columns hold at most one purchase, inquiry, contract, consent and request each (plus
    the registry's internal-list entry); ``NONE`` marks an absent date.
    """
    r1, r2 = requests  # FAR_FUTURE: no request; FAR_PAST: an undated internal-list entry
    first_request = np.minimum(r1, r2)
    reassigned = d["reassigned_on"]
    since = np.where(reassigned == NONE, FAR_PAST, reassigned)
    zero = np.zeros(len(today), np.int64)
    purchase = inquiry = contract = zero
    ebr = j.ebr
    if ebr is not None:

        def relationship(on: npt.NDArray[np.int64], window: Window | None) -> npt.NDArray[np.int64]:
            if window is None:
                return zero
            ok = (on != NONE) & (on >= since)
            anchor = np.where(ok, on, 0)
            end = np.minimum(_window_ends(anchor, ok, window, anniversary), first_request)
            return np.where(ok, _span(anchor - today, end - today), 0)

        purchase = relationship(d["last_purchase"], ebr.purchase)
        inquiry = relationship(d["last_inquiry"], ebr.inquiry)
        if ebr.contract is not None:
            start, ends = d["contract_on"], d["contract_ends"]
            ok = (start != NONE) & (start >= since)
            s0 = np.where(ok, start, 0)
            dated = ends != NONE
            end = np.where(dated, _window_ends(ends, dated, ebr.contract, anniversary), FAR_FUTURE)
            contract = np.where(ok, _span(s0 - today, np.minimum(end, first_request) - today), 0)
    given = d["consent_on"]
    ok = consent_ok & (given != NONE) & (given >= since) & (r1 != FAR_PAST) & (r2 != FAR_PAST)
    g0 = np.where(ok, given, 0)
    revoked = d["consent_revoked_on"]
    end = np.where(revoked == NONE, FAR_FUTURE, revoked)
    for r in (r1, r2):
        end = np.where(r >= g0, np.minimum(end, r), end)
    consent = np.where(ok, _span(g0 - today, end - today), 0)
    return purchase | inquiry << 11 | contract << 22 | consent << 33


_END_TABLE_DAYS: Final = 4096


def _window_ends(
    on: npt.NDArray[np.int64], where: npt.NDArray[np.bool_], window: Window, anniversary: Anniversary
) -> npt.NDArray[np.int64]:
    """``window_end`` of ``on`` where ``where`` holds (0 elsewhere), read from tables of whole
    runs of days (``window_end`` is per day, and most batches see the same few hundred days)."""
    out = np.zeros(len(on), np.int64)
    rows = np.flatnonzero(where)
    if not len(rows):
        return out
    days = on[rows]
    lo = int(days.min()) // _END_TABLE_DAYS
    hi = int(days.max()) // _END_TABLE_DAYS
    if hi - lo > 4:  # dates far apart: no table
        out[rows] = window_end(days, window, anniversary)
        return out
    out[rows] = _window_end_table(window, anniversary, lo, hi)[days - lo * _END_TABLE_DAYS]
    return out


@functools.lru_cache(maxsize=256)
def _window_end_table(window: Window, anniversary: Anniversary, lo: int, hi: int) -> npt.NDArray[np.int64]:
    """``window_end`` of every day from ``lo * _END_TABLE_DAYS`` to the end of run ``hi``."""
    days = np.arange(lo * _END_TABLE_DAYS, (hi + 1) * _END_TABLE_DAYS, dtype=np.int64)
    table: npt.NDArray[np.int64] = np.asarray(window_end(days, window, anniversary), np.int64)
    table.setflags(write=False)
    return table


def _unpack(packed: int) -> tuple[int, int, int, int]:
    m = (1 << _MASK_BITS) - 1
    return (packed & m, packed >> 11 & m, packed >> 22 & m, packed >> 33 & m)


@functools.lru_cache(maxsize=8192)
def _day_clock(zone: str, utc_day: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Local day and minute in ``zone`` of each of the 1440 UTC minutes of ``utc_day`` (cached)."""
    day, minute = local_clock(np.arange(utc_day * 1440, utc_day * 1440 + 1440, dtype=np.int64), zone)
    day.setflags(write=False)
    minute.setflags(write=False)
    return day, minute


@functools.lru_cache(maxsize=65536)
def _day_passes(zone: str, code: str, utc_day: int) -> npt.NDArray[np.int64]:
    """Bit ``_BIT[code]`` set on each UTC minute of ``utc_day`` at which ``code``'s calling hours,
    day and holiday bans pass in ``zone`` (cached)."""
    day, minute = _day_clock(zone, utc_day)
    bits = np.asarray(time_rule_passes(time_rule(code), day, minute), np.int64) << _BIT[code]
    bits.setflags(write=False)
    return bits


def _zone_days(
    zone: str, codes: Iterable[str], days: Sequence[int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Over the UTC ``days`` (their minutes, concatenated): local days in ``zone``, and the bits of
    the ``codes`` whose time rules pass there."""
    codes = tuple(codes)
    local = np.concatenate([_day_clock(zone, d)[0] for d in days])
    passes = np.zeros(len(local), np.int64)
    for code in codes:
        passes |= np.concatenate([_day_passes(zone, code, d) for d in days])
    return local, passes


def _use_tables(n: int, slots: int, zones: int, minutes: npt.NDArray[np.int64]) -> bool:
    """Whether per-zone minute tables cost less than converting each row's time."""
    if n >= 4096:
        return True
    utc_days = len(np.unique(minutes // 1440))
    return n * max(slots, 1) * 8 >= zones * utc_days * 1440


class _ZoneTables:
    """Per candidate zone, over the UTC days the calls fall on: the local day, and which
    jurisdictions' time rules pass (bit ``_BIT[code]``), minute by minute. Rows read them with a
    gather instead of converting each time."""

    def __init__(self, zone_codes: Mapping[str, Iterable[str]], minutes: npt.NDArray[np.int64]) -> None:
        self.index = {z: i for i, z in enumerate(zone_codes)}
        self.days: list[int] = []
        if not len(minutes):
            self.span = 0
            self.local = self.passes = self.row_base = np.zeros(0, np.int64)
            return
        utc_day = minutes // 1440
        self.minute_of_day = minutes - utc_day * 1440
        d0 = int(utc_day.min()) if len(utc_day) else 0
        d1 = int(utc_day.max()) if len(utc_day) else 0
        present = np.zeros(d1 - d0 + 1, bool)
        present[utc_day - d0] = True
        self.days = (np.flatnonzero(present) + d0).tolist()
        position = np.cumsum(present) - 1
        self.row_base = position[utc_day - d0] * 1440 + self.minute_of_day
        self.span = len(self.days) * 1440
        local = [np.zeros(0, np.int64)]
        passes = [np.zeros(0, np.int64)]
        for zone, codes in zone_codes.items():
            zl, zp = _zone_days(zone, codes, self.days)
            local.append(zl)
            passes.append(zp)
        self.local = np.concatenate(local)
        self.passes = np.concatenate(passes)


class _Packer:
    """Packs small non-negative integer columns into as few ``int64`` key columns as fit."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.columns: list[npt.NDArray[np.int64]] = []
        self.used = 62  # start a new column on the first add

    def add(self, values: npt.NDArray[Any], bound: int) -> None:
        """Add ``values``, all in ``0..bound`` (nothing to add when ``bound`` is 0)."""
        if bound <= 0:
            return
        bits = int(bound).bit_length()
        v = values.astype(np.int64, copy=False)
        if self.used + bits > 62:
            self.columns.append(v.copy() if v is values else v)
            self.used = bits
        else:
            self.columns[-1] |= v << self.used
            self.used += bits

    def keys(self) -> list[npt.NDArray[np.int64]]:
        """The key columns (one of zeros when every column added was constant)."""
        return self.columns or [np.zeros(self.n, np.int64)]


def _fresh_end(place: _Place) -> int:
    """The first day on which the national copy of the place's area code is too old (0: none)."""
    if place.national_obtained is None:
        return 0
    fresh_days = JURISDICTIONS[place.country].fresh_days
    return place.national_obtained + (fresh_days or 0) + 1


def _clip_offset(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Day offsets clamped to ``0..HORIZON+1``, the range a :data:`~dncguard.facts.DayMask` sees."""
    out: npt.NDArray[np.int64] = np.clip(days, 0, HORIZON + 1)
    return out


def _from(lo: int) -> int:
    """The day mask of offsets ``lo..HORIZON``."""
    return ((1 << (HORIZON + 1)) - 1) ^ ((1 << lo) - 1)


@dataclass(frozen=True)
class Decided:
    """One decided batch: its output, and the per-group answers behind it (for explaining rows).

    ``output``: the input columns plus the decision columns (what ``scrub_batches`` yields).
    ``verdicts``: the policy's answer for each distinct combination of facts; ``inverse[i]`` is
    the one of row ``i``. Invalid numbers share one verdict with a generic message.
    ``next_at``: ``next_allowed_at`` per row in UTC microseconds (:data:`NO_NEXT`: none).
    ``numbers``: the called number per row as ``numbers.parse_numbers`` reads it (0: invalid).
    """

    output: pa.RecordBatch
    verdicts: tuple[Verdict, ...]
    inverse: npt.NDArray[np.intp]
    next_at: npt.NDArray[np.int64]
    numbers: npt.NDArray[np.uint64]


def _scrub_batch(
    engine: _Engine,
    batch: pa.RecordBatch,
    defaults: Mapping[str, Any],
    parse_threads: int | None = None,
    with_columns: bool = True,
) -> Decided:
    """Decide one batch. ``parse_threads``: for ``parse_numbers`` (1 when batches already run
    on every thread; None: its own choice). ``with_columns``: append the decision columns."""
    rows = _read(batch, defaults)
    n = rows.n
    numbers, _ = parse_numbers(rows.to, threads=parse_threads)  # 0 where invalid: area code 0 is no area
    npa = (numbers // np.uint64(10_000_000)).astype(np.intp)
    known = engine.area_ok[npa]
    if known.all():
        masks = engine.registry.membership(numbers)
    else:
        masks = np.zeros(n, np.uint64)
        live = np.flatnonzero(known)
        if len(live):
            masks[live] = engine.registry.membership(numbers[live])

    # Internal lists: the seller's request date for the number (FAR_PAST: undated entry).
    reg_request: npt.NDArray[np.int64] | None = None
    for k, seller in enumerate(rows.seller.values):
        bit = engine.internal.get(seller)
        if bit is None:
            continue
        hit = np.flatnonzero(masks & np.uint64(1 << bit))
        if len(rows.seller.values) > 1:
            hit = hit[rows.seller.codes[hit] == k]
        if len(hit):
            if reg_request is None:
                reg_request = np.full(n, FAR_FUTURE, np.int64)
            when = engine.registry.request_dates(numbers[hit], bit)
            reg_request[hit] = np.where(
                np.isnat(when), FAR_PAST, when.astype("datetime64[D]").astype(np.int64)
            )

    # Places: (area code, callee_region, callee_timezone, state lists holding the number).
    state_shift = engine.state_shift
    state_code = (
        ((masks & engine.state_bits) >> np.uint64(state_shift)).astype(np.intp)
        if engine.state_layers
        else None
    )
    place_keys: list[npt.NDArray[Any]] = [npa]
    if len(rows.region.values) > 1:
        place_keys.append(rows.region.codes)
    if len(rows.zone.values) > 1:
        place_keys.append(rows.zone.codes)
    if state_code is not None and state_code.any():
        place_keys.append(state_code)
    place_inv, place_first = factorize(place_keys)
    places = [
        engine.place(
            int(npa[r]),
            rows.region.values[rows.region.codes[r]],
            rows.zone.values[rows.zone.codes[r]],
            0 if state_code is None else int(state_code[r]) << state_shift,
        )
        for r in place_first.tolist()
    ]
    place_valid = np.array([p.valid for p in places], bool)
    ok = place_valid[place_inv]
    # What the policy sees of a place (zones only as "known or not"): many area codes share it.
    seen: dict[tuple[Any, ...], int] = {}
    decision_place = np.array(
        [
            seen.setdefault((p.valid, p.country, p.codes, p.covered, p.states, bool(p.zones)), len(seen))
            for p in places
        ],
        np.intp,
    )

    # Clocks: UTC minutes; per candidate zone the local day and the time rules that pass.
    minutes = rows.micros // _MINUTE_US
    zone_codes: dict[str, set[str]] = {}
    for p in places:
        for z in p.zones:
            zone_codes.setdefault(z.key, set()).update(p.codes)
    all_codes = sorted({c for p in places for c in p.codes})
    zone_codes_sorted = {z: sorted(c) for z, c in sorted(zone_codes.items())}
    slots = max((len(p.zones) for p in places), default=0)
    today = np.full(n, np.iinfo(np.int64).min, np.int64)
    passes = np.full(n, _ALL_CODE_BITS, np.int64)
    if not _use_tables(n, slots, len(zone_codes), minutes):
        # Few rows over many days: convert each row's time (tables would cost more).
        for zone, codes in zone_codes_sorted.items():
            holder = np.array([any(z.key == zone for z in p.zones) for p in places], bool)
            idx_rows = np.flatnonzero(holder[place_inv])
            day, minute = local_clock(minutes[idx_rows], zone)
            today[idx_rows] = np.maximum(today[idx_rows], day)
            bits = np.full(len(idx_rows), _ALL_CODE_BITS, np.int64)
            for code in codes:
                ok_code = np.asarray(time_rule_passes(time_rule(code), day, minute), bool)
                bits &= np.where(ok_code, _ALL_CODE_BITS, _ALL_CODE_BITS ^ (1 << _BIT[code]))
            passes[idx_rows] &= bits
        tables = _ZoneTables({}, minutes[:0])
        tables.index = {z: i for i, z in enumerate(zone_codes_sorted)}
    else:
        tables = _ZoneTables(zone_codes_sorted, minutes)
        zone_slot = np.full((max(slots, 1), len(places)), -1, np.int64)
        for pi, p in enumerate(places):
            for s, z in enumerate(p.zones):
                zone_slot[s, pi] = tables.index[z.key]
        for s in range(slots):
            zid = zone_slot[s][place_inv]
            if s == 0 and (zid >= 0).all():
                flat = zid * tables.span + tables.row_base
                today = tables.local[flat]
                passes = tables.passes[flat]
                continue
            idx_rows = np.flatnonzero(zid >= 0)
            flat = zid[idx_rows] * tables.span + tables.row_base[idx_rows]
            today[idx_rows] = np.maximum(today[idx_rows], tables.local[flat])
            passes[idx_rows] &= tables.passes[flat]
    no_zone = np.flatnonzero(today == np.iinfo(np.int64).min)
    if len(no_zone):
        today[no_zone] = _fallback_days(rows.fallback_day, minutes, no_zone)

    # Registry facts, as day offsets: a DayMask is a prefix (fresh) or a suffix (requested).
    place_codes = np.array([sum(1 << _BIT[c] for c in p.codes) for p in places], np.int64)
    failed_bits = place_codes[place_inv] & ~passes
    nat_mask = np.array([engine.nat_mask[p.npa] if p.valid else 0 for p in places], np.uint64)
    national_listed = (masks & nat_mask[place_inv]) != 0
    fresh_end = np.array([_fresh_end(p) for p in places], np.int64)
    fresh_len = _clip_offset(fresh_end[place_inv] - today)
    dnc = rows.dates.get("dnc_requested_on")
    col_request = None if dnc is None else np.where(dnc == NONE, FAR_FUTURE, dnc)
    if reg_request is None and col_request is None:
        request_lo = np.full(n, HORIZON + 1, np.int64)
    elif reg_request is None or col_request is None:
        only = reg_request if col_request is None else col_request
        assert only is not None
        request_lo = _clip_offset(only - today)
    else:
        request_lo = _clip_offset(np.minimum(reg_request, col_request) - today)

    # Evidence and state listings: only for the rows that have some, folded into one key.
    d = rows.dates
    kind = rows.consent_kind
    has_ev = np.zeros(n, bool)
    for name in ("last_purchase", "last_inquiry", "contract_on"):
        if name in d:
            has_ev |= d[name] != NONE
    if len(kind.values) > 1 or kind.values[0] is not None:
        has_ev |= np.array([v is not None for v in kind.values], bool)[kind.codes]
    has_ev &= ok
    has_state = (state_code != 0) & ok if state_code is not None else np.zeros(n, bool)
    special = np.flatnonzero(has_ev | has_state)
    extra = np.zeros(n, np.int64)
    code_slots = max((len(p.codes) for p in places), default=0)
    sub_state: list[npt.NDArray[np.int64]] = []
    sub_ev: list[npt.NDArray[np.int64]] = []
    n_extra = 0
    if len(special):
        sub_today = today[special]
        sub_place = place_inv[special]
        for bit, _, start in engine.state_layers:
            on = (masks[special] & np.uint64(1 << bit)) != 0
            sub_state.append(np.where(on, _clip_offset(start - sub_today) + 1, 0))
        ev_here = has_ev[special]
        sub_ev = [np.zeros(len(special), np.int64) for _ in range(code_slots)]
        if ev_here.any():
            sub = {
                name: (d[name][special] if name in d else np.full(len(special), NONE))
                for name in _DATE_COLUMNS
            }
            sub_kind = kind.codes[special]
            none_ = np.full(len(special), FAR_FUTURE, np.int64)
            requests = (
                none_ if reg_request is None else reg_request[special],
                none_ if col_request is None else col_request[special],
            )
            # Jurisdictions with the same windows and consent kinds give the same masks.
            by_signature: dict[tuple[Any, ...], list[str]] = {}
            for code in all_codes:
                j = JURISDICTIONS[code]
                by_signature.setdefault((j.ebr, j.consent_kinds), []).append(code)
            for codes in by_signature.values():
                j = JURISDICTIONS[codes[0]]
                slots_of = [
                    np.array([p.codes.index(c) if c in p.codes else -1 for p in places], np.int64)[sub_place]
                    for c in codes
                ]
                in_play = np.flatnonzero(ev_here & np.logical_or.reduce([sl >= 0 for sl in slots_of]))
                if not len(in_play):
                    continue
                kinds_ok = np.array([v in j.consent_kinds for v in kind.values], bool)[sub_kind[in_play]]
                packed = _evidence_masks(
                    j,
                    engine.anniversary,
                    sub_today[in_play],
                    {name: col[in_play] for name, col in sub.items()},
                    kinds_ok,
                    (requests[0][in_play], requests[1][in_play]),
                )
                for sl in slots_of:
                    slot = sl[in_play]
                    for k in range(code_slots):
                        here = slot == k
                        if here.any():
                            sub_ev[k][in_play[here]] = packed[here]
        sub_inv, _ = factorize([*sub_state, ev_here.astype(np.int64), *sub_ev])
        extra[special] = sub_inv + 1
        n_extra = int(sub_inv.max()) + 1

    # Distinct combinations of facts.
    packer = _Packer(n)
    # Bounds are exact maxima: a column that can only be 0 adds nothing.
    packer.add(decision_place[place_inv], len(seen) - 1)
    packer.add(rows.purpose.codes, len(rows.purpose.values) - 1)
    packer.add(rows.caller.codes, len(rows.caller.values) - 1)
    packer.add(rows.line.codes, len(rows.line.values) - 1)
    packer.add(rows.prerecorded, int(rows.prerecorded.any()))
    packer.add(national_listed, 1)
    packer.add(fresh_len, HORIZON + 1)
    packer.add(request_lo, HORIZON + 1)
    packer.add(extra, n_extra)
    packer.add(failed_bits, _ALL_CODE_BITS)
    inverse, first_rows = factorize(packer.keys())

    # One policy call per distinct combination of facts, cached across batches: its first row's
    # values, read once as lists, make a key from which the facts follow.
    jset = engine.jurisdictions
    fr = first_rows
    n_groups = len(fr)
    ev_at = np.minimum(np.searchsorted(special, fr), max(len(special) - 1, 0))
    ev_rows: list[list[int]] = (
        np.stack([a[ev_at] for a in sub_ev], axis=1).tolist() if sub_ev and len(special) else [[]] * n_groups
    )
    groups: list[_Group] = []
    cache = engine.groups
    if len(cache) > _GROUP_CACHE:
        cache.clear()
    columns = zip(
        ok[fr].tolist(),
        place_inv[fr].tolist(),
        today[fr].tolist(),
        extra[fr].tolist(),
        has_ev[fr].tolist(),
        rows.purpose.codes[fr].tolist(),
        rows.caller.codes[fr].tolist(),
        rows.line.codes[fr].tolist(),
        rows.prerecorded[fr].tolist(),
        national_listed[fr].tolist(),
        fresh_len[fr].tolist(),
        request_lo[fr].tolist(),
        failed_bits[fr].tolist(),
        ev_rows,
        strict=True,
    )
    purposes, callers, lines = rows.purpose.values, rows.caller.values, rows.line.values
    for (
        valid,
        pi,
        t,
        ext,
        ev,
        purpose_code,
        caller_code,
        line_code,
        pre,
        listed,
        fresh,
        lo,
        fail,
        evs,
    ) in columns:
        if not valid:
            groups.append(_INVALID_GROUP)
            continue
        p = places[pi]
        ev_key = tuple(evs[: len(p.codes)]) if ext and ev else None
        key = (
            id(p),
            purposes[purpose_code],
            callers[caller_code],
            lines[line_code],
            pre,
            listed,
            fresh,
            lo,
            fail,
            ev_key,
            t if ext and p.states else None,
        )
        group = cache.get(key)
        if group is None:
            group = cache[key] = _Group(_facts(p, key, jset), jset)
        groups.append(group)
    verdicts = [g.verdict for g in groups]

    if engine.guard.on_stale == "raise":
        for g, v in enumerate(verdicts):
            if any(reason.code is ReasonCode.STALE_REGISTRY for reason in v.reasons):
                row = int(np.argmax(inverse == g))
                raise StaleRegistryError(
                    f"row {row}: the national registry copy for area code {int(npa[row])} is too old for a"
                    " call at that time: download a fresh copy"
                )
    next_at = _next_allowed(engine, rows, inverse, groups, places, place_inv, today, minutes)
    output = _append(batch, _decision_columns(verdicts, inverse, next_at)) if with_columns else batch
    return Decided(output, tuple(verdicts), inverse, next_at, numbers)


def _decision_columns(
    verdicts: Sequence[Verdict], inverse: npt.NDArray[np.intp], next_at: npt.NDArray[np.int64]
) -> list[pa.Array]:
    """The four decision columns: per-group answers gathered to the rows by Arrow's ``take``."""
    codes = [[r.code.value for r in v.reasons] for v in verdicts]
    rows = pa.array(inverse.astype(np.int32, copy=False), pa.int32())
    return [
        _bools(np.array([v.allowed for v in verdicts], bool)[inverse]),
        pc.take(pa.array([c[0] if c else None for c in codes], pa.string()), rows),
        pc.take(pa.array(codes, pa.list_(pa.string())), rows),
        pa.array(next_at, pa.int64(), mask=next_at == _NO_ROW).cast(pa.timestamp("us", tz="UTC")),
    ]


def _bools(values: npt.NDArray[np.bool_]) -> pa.Array:
    """A numpy bool array as an Arrow one, bit-packed directly (``pa.array`` is slow for this)."""
    bitmap = np.packbits(values, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bitmap)])


def _strings(index: npt.NDArray[np.intp], values: Sequence[str]) -> pa.Array:
    """``values[index[i]]`` for each ``i`` as an Arrow string array (null where ``index`` < 0)."""
    positions = pa.array(index.astype(np.int32), pa.int32(), mask=index < 0)
    return pc.take(pa.array(values, pa.string()), positions)


_INVALID: Final = invalid_number("", "not a US or Canadian number")

_GROUP_CACHE: Final = 1 << 16
"""Distinct fact combinations an engine remembers across batches (then it starts afresh)."""

_GroupKey = tuple[Any, ...]
"""What a combination's facts follow from: (id of its place, purpose, caller, line, prerecorded,
national listed, fresh days, first requested day offset, failed time rule bits, packed evidence
masks per jurisdiction or None, the call's day if state lists hold the number or None)."""


def _facts(p: _Place, key: _GroupKey, jset: frozenset[str] | None) -> CallFacts:
    """The facts of a combination of ``key`` at place ``p`` (the same as ``Guard.facts``)."""
    _, purpose, caller, line, pre, listed, fresh, lo, fail, ev_key, t = key
    exemptions: tuple[tuple[str, tuple[int, int, int, int]], ...] = ()
    if ev_key is not None:
        exemptions = tuple((code, _unpack(v)) for code, v in zip(p.codes, ev_key, strict=True))
    states: tuple[tuple[str, int], ...] = ()
    if t is not None:
        states = tuple(sorted((region, span_mask(start - t, FAR_FUTURE)) for region, start in p.states))
    return CallFacts(
        country=p.country,
        jurisdictions=p.codes,
        purpose=purpose,
        caller=caller,
        line=line,
        prerecorded=pre,
        national_listed=listed,
        national_covered=p.covered,
        national_fresh=(1 << fresh) - 1 if p.covered else 0,
        state_listed=states,
        requested=_from(lo),
        exemptions=exemptions,
        location_known=bool(p.zones),
        hours_failed=frozenset(c for c in hour_rules(p.codes, purpose, jset) if fail >> _BIT[c] & 1),
    )


class _Group:
    """One distinct combination of facts: the policy's verdict, and for a blocked call what
    ``next_allowed_at`` needs (computed on first use)."""

    __slots__ = ("_open", "facts", "hour_bits", "jset", "verdict")

    def __init__(
        self, facts: CallFacts | None, jset: frozenset[str] | None, verdict: Verdict | None = None
    ) -> None:
        self.facts = facts
        self.jset = jset
        if verdict is None:
            assert facts is not None
            verdict = decide(facts, jset)
        self.verdict = verdict
        self._open: int | None = None if facts is not None else 0
        self.hour_bits = 0

    @property
    def open_days(self) -> int:
        """The policy's open days when only the clock may block (bit mask; 0: allowed, invalid
        or blocked on every day); sets ``hour_bits``, the time rules that then apply."""
        if self._open is None:
            facts = self.facts
            assert facts is not None
            found = 0 if self.verdict.allowed else _open_day_bits(facts, self.jset)
            if found:
                codes = hour_rules(facts.jurisdictions, facts.purpose, self.jset)
                self.hour_bits = sum(1 << _BIT[c] for c in codes)
            self._open = found
        return self._open


_INVALID_GROUP: Final = _Group(None, None, _INVALID)


def _open_day_bits(facts: CallFacts, jurisdictions: frozenset[str] | None) -> int:
    """The policy's open days of a call (every rule but the clock passes) as a bit mask."""
    base = dataclasses.replace(facts, hours_failed=frozenset(), location_known=True)
    return _open_days_of(base, jurisdictions)


@functools.lru_cache(maxsize=65536)
def _open_days_of(base: CallFacts, jurisdictions: frozenset[str] | None) -> int:
    masks = [base.national_fresh, base.requested, *(m for _, m in base.state_listed)]
    masks += [m for _, four in base.exemptions for m in four]
    if all(m in (NO_DAYS, ALL_DAYS) for m in masks):
        # Facts that read the same on every day (the policy sees dates only through day masks):
        # one decision answers for all of them.
        return ALL_DAYS if decide(base, jurisdictions).allowed else NO_DAYS
    return sum(1 << d for d in policy.open_days(base, jurisdictions))


def _next_allowed(
    engine: _Engine,
    rows: _Rows,
    inverse: npt.NDArray[np.intp],
    groups: Sequence[_Group],
    places: Sequence[_Place],
    place_inv: npt.NDArray[np.intp],
    today: npt.NDArray[np.int64],
    minutes: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """``policy.next_allowed_at`` for every blocked row, in UTC microseconds (``_NO_ROW``: none).

    It is the first minute after the call's minute, up to 8 days after the call, at which every
    time rule passes in every candidate zone and the call's local day is one on which the rest of
    the rules pass (the policy's open days). Per distinct (zones, time rules, open days, call
    day), the answer for every minute of the range is one reverse running minimum over a minute
    grid; the rows read theirs with one gather from these grids laid end to end.
    """
    out = np.full(len(inverse), _NO_ROW, np.int64)
    group_open = np.array([g.open_days for g in groups], np.int64)
    wanted = np.flatnonzero((group_open != 0)[inverse])
    if not len(wanted):
        return out
    group_bits = np.array([g.hour_bits for g in groups], np.int64)
    zonesets: dict[tuple[str, ...], int] = {}
    zoneset_of_place = np.array(
        [zonesets.setdefault(tuple(z.key for z in p.zones), len(zonesets)) for p in places], np.intp
    )
    names_of_zoneset = list(zonesets)
    g_w = inverse[wanted]
    zs_w = zoneset_of_place[place_inv[wanted]]
    no_zone = zonesets.get(())
    if no_zone is not None:
        unplaced = zs_w == no_zone
        if unplaced.any():
            # Location unknown: no minute can pass the time rules; without any (rare), the date
            # in the call's own offset decides: ask the policy per row.
            python = unplaced & (group_bits[g_w] == 0)
            if python.any():
                g_inv, g_first = factorize([g_w[python]])
                members_of = wanted[python]
                for k, i in enumerate(g_first.tolist()):
                    facts = groups[int(g_w[python][i])].facts
                    assert facts is not None
                    _next_allowed_python(engine, rows, members_of[g_inv == k], facts, out)
            keep = ~unplaced
            wanted, g_w, zs_w = wanted[keep], g_w[keep], zs_w[keep]
            if not len(wanted):
                return out
    # Schedules: distinct (zones, time rules, open days); then per schedule and call day, a grid.
    rule_inv, _ = factorize([*_small(group_bits), group_open])
    day_w = today[wanted]
    t_min = int(day_w.min())
    sub_inv, sub_first = factorize([zs_w, rule_inv[g_w], day_w - t_min])
    minute_w = minutes[wanted]
    start = minute_w + 1 - (day_w - 1) * 1440  # the search starts at the minute after the call's
    width = _HEAD_MINUTES if int(start.min()) >= 0 and int(start.max()) < _HEAD_MINUTES else _GRID_MINUTES
    firsts = sub_first.tolist()
    heads = [
        _next_open_minutes(names_of_zoneset[z], bits, open_days, t0)[:width]
        for z, bits, open_days, t0 in zip(
            zs_w[firsts].tolist(),
            group_bits[g_w[firsts]].tolist(),
            group_open[g_w[firsts]].tolist(),
            day_w[firsts].tolist(),
            strict=True,
        )
    ]
    grid = np.concatenate(heads) if len(heads) > 1 else heads[0]
    ahead = grid[sub_inv * width + start]
    has = ahead != _NEVER
    when = (minute_w + 1 + np.where(has, ahead, 0).astype(np.int64)) * _MINUTE_US
    has &= when <= rows.micros[wanted] + SEARCH_DAYS * 86400 * 1_000_000
    out[wanted] = np.where(has, when, _NO_ROW)
    return out


def _small(values: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """``values`` (non-negative, below 2**62) as 31-bit pieces, for :func:`factorize`."""
    return [values >> 31, values & ((1 << 31) - 1)]


_GRID_MINUTES: Final = 12 * 1440
"""Minutes of one ``_next_open_minutes`` grid: UTC days ``t0 - 1 .. t0 + 10``."""
_HEAD_MINUTES: Final = 3 * 1440 + 1
"""The grid's minutes a call of local day ``t0`` starts its search at: its UTC minute + 1 lies
within UTC days ``t0 - 1 .. t0 + 1`` (no zone is more than 14 hours from UTC)."""


_NEVER: Final = np.iinfo(np.uint16).max


@functools.lru_cache(maxsize=2048)  # 34 KB each
def _next_open_minutes(
    zones: tuple[str, ...], code_bits: int, open_days: int, t0: int
) -> npt.NDArray[np.uint16]:
    """For each UTC minute from the start of UTC day ``t0 - 1``: how many minutes until the first
    minute (at or after it) at which the time rules ``code_bits`` pass in every zone and the
    call's local day (the latest over the zones) is ``t0 + d`` for an open day ``d``; ``_NEVER``
    if none does within the range.

    A call on local day ``t0`` starts within UTC days ``t0 - 1 .. t0 + 1`` (no zone is more than
    14 hours from UTC), and its search ends 8 days later: UTC days ``t0 - 1 .. t0 + 10`` cover it.
    Cached: every batch over the same days and places asks the same questions.
    """
    days = list(range(t0 - 1, t0 + 11))
    hour_codes = [c for c in _CODES if code_bits >> _BIT[c] & 1]
    pass_all = np.ones(len(days) * 1440, bool)
    call_day = np.full(len(days) * 1440, np.iinfo(np.int64).min, np.int64)
    for zone in zones:
        local, bits = _zone_days(zone, hour_codes, days)
        pass_all &= (bits & code_bits) == code_bits
        np.maximum(call_day, local, out=call_day)
    offset = call_day - t0
    inside = (offset >= 0) & (offset < SEARCH_DAYS + 2)
    day_ok = inside & ((open_days >> np.clip(offset, 0, SEARCH_DAYS + 1)) & 1).astype(bool)
    never = np.iinfo(np.int64).max
    index = np.arange(len(pass_all), dtype=np.int64)
    nxt = np.minimum.accumulate(np.where(pass_all & day_ok, index, never)[::-1])[::-1]
    wait = np.where(nxt == never, _NEVER, nxt - index).astype(np.uint16)
    wait.setflags(write=False)
    return wait


def _next_allowed_python(
    engine: _Engine, rows: _Rows, members: npt.NDArray[np.intp], facts: CallFacts, out: npt.NDArray[np.int64]
) -> None:
    """Calls with no candidate zone and no calling hours (rare): ask the policy per row."""
    kind, value = rows.fallback_day
    for r in members.tolist():
        at = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(rows.micros[r]))
        if kind == "zone":
            tz: dt.tzinfo = zoneinfo.ZoneInfo(value)
        else:
            tz = dt.timezone(dt.timedelta(minutes=int(value if kind == "const" else value[r])))
        found = next_allowed_at(facts, at.astimezone(tz), (), engine.jurisdictions)
        if found is not None:
            out[r] = (found - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------

_ENGINES: Final[weakref.WeakKeyDictionary[Any, _Engine]] = weakref.WeakKeyDictionary()
_ENGINES_LOCK: Final = threading.Lock()


def _engine(guard: Guard) -> _Engine:
    """The bulk view of ``guard``, built on first use and kept while the guard lives."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(guard)
        if engine is None or engine.registry is not guard.registry:
            engine = _ENGINES[guard] = _Engine(guard)
        return engine


def _threads(threads: int | None) -> int:
    if threads is None:
        return min(2, os.cpu_count() or 1)
    if threads < 1:
        raise ValueError(f"threads={threads}: expected 1 or more")
    return threads


def scrub(
    guard: Guard, data: pa.Table | pa.RecordBatch, *, threads: int | None = None, **defaults: Any
) -> pa.Table | pa.RecordBatch:
    """Decide every row of ``data``: its columns plus ``allowed``, ``reason``, ``reasons``,
    ``next_allowed_at``. Returns the same kind it was given (a Table or a RecordBatch).

    ``defaults`` give values for missing columns (and null cells), e.g. ``seller="acme"``.
    ``threads``: batches decided at once (default: up to 2). Raises ``ValueError`` naming the
    column and the first bad row for invalid input.
    """
    _check_defaults(defaults)
    batches = _batches(data)
    out = list(scrub_batches(guard, batches, threads=threads, **defaults))
    if isinstance(data, pa.RecordBatch):
        if len(out) == 1:
            return out[0]
        return pa.Table.from_batches(out).combine_chunks().to_batches()[0]
    return pa.Table.from_batches(out, schema=decision_schema(data.schema))


def scrub_batches(
    guard: Guard, batches: Iterable[pa.RecordBatch], *, threads: int | None = None, **defaults: Any
) -> Iterator[pa.RecordBatch]:
    """Decide a stream of record batches, yielding one output batch per input batch, in order.

    Memory stays bounded: at most ``threads`` batches are in flight (plus one waiting), so a
    stream of any length can be scrubbed batch by batch. Batches larger than about a million
    rows are decided in slices.
    """
    return (d.output for d in decide_batches(guard, batches, threads=threads, **defaults))


def decide_batches(
    guard: Guard,
    batches: Iterable[pa.RecordBatch],
    *,
    threads: int | None = None,
    columns: bool = True,
    **defaults: Any,
) -> Iterator[Decided]:
    """:func:`scrub_batches`, yielding each output with its per-group verdicts (:class:`Decided`).

    One output per input batch, except that batches over about a million rows are decided (and
    yielded) in slices of that size. ``columns=False``: each ``output`` is its input batch as
    given, without the decision columns (for callers that read the verdicts instead).
    """
    _check_defaults(defaults)
    engine = _engine(guard)
    n_threads = _threads(threads)

    def pieces() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if isinstance(batch, pa.Table):
                yield from _batches(batch)
            elif batch.num_rows > _BATCH_ROWS:
                for start in range(0, batch.num_rows, _BATCH_ROWS):
                    yield batch.slice(start, _BATCH_ROWS)
            else:
                yield batch

    stream = pieces()
    head = list(itertools.islice(stream, 2))
    if n_threads == 1 or len(head) < 2:  # one batch: no threads to start (but parsing may)
        for batch in itertools.chain(head, stream):
            yield _scrub_batch(engine, batch, defaults, 1 if n_threads == 1 else None, columns)
        return
    with ThreadPoolExecutor(n_threads, thread_name_prefix="dncguard-scrub") as pool:
        pending: collections.deque[Future[Decided]] = collections.deque()
        for batch in itertools.chain(head, stream):
            # Batches on every thread: each parses on its own (no threads within threads).
            pending.append(pool.submit(_scrub_batch, engine, batch, defaults, 1, columns))
            if len(pending) > n_threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
