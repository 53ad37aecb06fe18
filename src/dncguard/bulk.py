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
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["DECISION_FIELDS", "decision_schema", "factorize", "local_clock"]

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
    "caller": "seller",
    "purpose": "sale",
    "line": "unknown",
    "prerecorded": False,
    "callee_region": None,
    "callee_timezone": None,
    "reassigned_on": None,
}
_EVIDENCE: Final = (
    "last_purchase",
    "last_inquiry",
    "contract_on",
    "contract_ends",
    "consent_kind",
    "consent_on",
    "consent_revoked_on",
    "dnc_requested_on",
)
_DATE_COLUMNS: Final = (
    "reassigned_on",
    "last_purchase",
    "last_inquiry",
    "contract_on",
    "contract_ends",
    "consent_on",
    "consent_revoked_on",
    "dnc_requested_on",
)
_KNOWN: Final = frozenset({"to", "at", "seller", *_SCALAR_DEFAULTS, *_EVIDENCE})

_BATCH_ROWS: Final = 1 << 20
"""Rows per unit of work: large enough to amortise numpy calls, small enough to bound memory."""

NAT: Final = np.datetime64("NaT", "D")


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
        return cls(np.zeros(n, np.int32), (value,))

    def take(self, rows: npt.NDArray[np.intp]) -> list[Any]:
        return [self.values[c] for c in self.codes[rows].tolist()]


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
    batch: pa.RecordBatch, name: str, allowed: Iterable[str], default: Any, n: int, *, optional: bool = False
) -> Codes:
    """A string column whose values must be one of ``allowed``; nulls take ``default``."""
    col = _column(batch, name)
    allowed = tuple(allowed)
    if col is None:
        if default is not None and default not in allowed:
            raise ValueError(f"{name}={default!r}: expected one of {', '.join(allowed)}")
        return Codes.constant(default, n)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type) or pa.types.is_null(col.type)):
        col_t = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
        if not (pa.types.is_string(col_t) or pa.types.is_large_string(col_t)):
            raise ValueError(f"column {name!r}: expected strings, got {col.type}")
    codes = _codes(col, default)
    for k, v in enumerate(codes.values):
        if v is None and optional:
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


def _utc_micros(batch: pa.RecordBatch, default: Any, n: int) -> npt.NDArray[np.int64]:
    """The ``at`` column as microseconds since the epoch, UTC; naive or missing values refused."""
    col = _column(batch, "at")
    if col is None:
        if default is None:
            raise ValueError("no 'at' column and no at= default: every call needs its start time")
        value = _aware(default, "at")
        micros = (value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
        return np.full(n, micros, np.int64)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if pa.types.is_timestamp(col.type):
        if col.type.tz is None:
            raise _bad(
                "at",
                0,
                "a timestamp without a time zone is ambiguous across the called party's zones; "
                "give the column a time zone (e.g. cast to timestamp[us, tz=UTC])",
            )
        ts = col.cast(pa.timestamp("us", tz="UTC"))
    elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        try:
            ts = pc.utf8_trim_whitespace(col).cast(pa.timestamp("us", tz="UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            ts = _first_bad_time(col)
    else:
        raise ValueError(f"column 'at': expected an aware timestamp or ISO 8601 text, got {col.type}")
    if ts.null_count:
        raise _bad("at", _first(np.asarray(ts.is_null())), "no start time")
    return np.asarray(ts.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


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


def _dates(batch: pa.RecordBatch, name: str, default: Any, n: int) -> npt.NDArray[np.datetime64]:
    """A date column as ``datetime64[D]`` (``NaT`` for null), read as ``Call`` reads a date.

    Accepts date columns, timestamps (the date in the column's own zone, or as written when
    naive) and ISO 8601 date or datetime text (the date as written).
    """
    col = _column(batch, name)
    if col is None:
        return np.full(n, _to_date(default, name), "datetime64[D]")
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
        try:
            out = text.cast(pa.date32())
        except pa.ArrowInvalid:
            for row, value in enumerate(col.to_pylist()):
                try:
                    _to_date(value, name)
                except ValueError:
                    raise _bad(name, row, f"{value!r} is not an ISO 8601 date") from None
            raise
    else:
        raise ValueError(f"column {name!r}: expected dates, got {t}")
    days = np.asarray(out.cast(pa.int32()).fill_null(np.iinfo(np.int32).min).to_numpy(zero_copy_only=False))
    result = days.astype("datetime64[D]")
    result[days == np.iinfo(np.int32).min] = NAT
    if default is not None and out.null_count:
        result[np.isnat(result)] = _to_date(default, name)
    return result


# --------------------------------------------------------------------------------------------
# Local clocks: UTC instants to local calendar day and minute, per IANA zone, vectorised
# --------------------------------------------------------------------------------------------

_HOUR: Final = 3600
_YEAR_SECONDS: Final = 366 * 86400


@functools.lru_cache(maxsize=4096)
def _year_transitions(zone: str, year: int) -> tuple[tuple[int, int], ...]:
    """The UTC offsets of ``zone`` during ``year``: ((start second, offset seconds), ...).

    Sampled hourly through zoneinfo, then each change located to the second by bisection, so a
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
    for t in [*range(lo + _HOUR, hi, _HOUR), hi - 1]:
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
    """Sorted transition instants and the offset in force from each, covering ``[lo, hi]``."""
    y0 = dt.datetime.fromtimestamp(lo, dt.UTC).year
    y1 = dt.datetime.fromtimestamp(hi, dt.UTC).year
    pairs = [p for y in range(y0, y1 + 1) for p in _year_transitions(zone, y)]
    starts = np.array([p[0] for p in pairs], np.int64)
    offsets = np.array([p[1] for p in pairs], np.int64)
    return starts, offsets


def local_clock(
    seconds: npt.NDArray[np.int64], zone: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Local calendar day (days since 1970-01-01) and minute after midnight of UTC ``seconds``.

    >>> t = int(dt.datetime(2026, 3, 16, 18, 0, tzinfo=dt.UTC).timestamp())
    >>> day, minute = local_clock(np.array([t]), "America/New_York")
    >>> str(np.datetime64(int(day[0]), "D")), int(minute[0]) // 60, int(minute[0]) % 60
    ('2026-03-16', 14, 0)
    >>> day, minute = local_clock(np.array([t]), "America/St_Johns")
    >>> int(minute[0]) // 60, int(minute[0]) % 60
    (15, 30)
    """
    if len(seconds) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty
    lo, hi = int(seconds.min()), int(seconds.max())
    starts, offsets = _offset_table(zone, lo, hi)
    if len(starts) == 1:
        local = seconds + offsets[0]
    else:
        local = seconds + offsets[np.searchsorted(starts, seconds, side="right") - 1]
    day = local // 86400
    minute = (local - day * 86400) // 60
    return day, minute


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
    if isinstance(data, pa.RecordBatch):
        return (
            [data] if data.num_rows <= _BATCH_ROWS else pa.Table.from_batches([data]).to_batches(_BATCH_ROWS)
        )
    if isinstance(data, pa.Table):
        out = data.to_batches(max_chunksize=_BATCH_ROWS)
        return out or [pa.RecordBatch.from_pylist([], schema=data.schema)]
    raise TypeError(f"scrub() takes a pyarrow.Table or RecordBatch, not {type(data).__name__}")


def _check_defaults(defaults: Mapping[str, Any]) -> None:
    unknown = sorted(set(defaults) - _KNOWN)
    if unknown:
        raise TypeError(f"scrub() got unknown column default(s): {', '.join(unknown)}")
