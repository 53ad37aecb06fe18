"""Column checks: a batch's call columns read, validated and typed (:func:`_read` -> :class:`_Rows`).

Every problem names the column and the first bad row.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, get_args

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import AwareDatetime, TypeAdapter, ValidationError

from dncguard import geography
from dncguard._arrow import DATE_TIME_TEXT, trimmed
from dncguard._calendar import date_of, day_number, latest_date
from dncguard._fields import call_columns, near_miss
from dncguard.bulk._clock import local_clock
from dncguard.errors import ArgumentError, ArgumentTypeError, CallColumnError
from dncguard.facts import NO_DATE
from dncguard.models import (
    AT_RANGE,
    AT_RANGE_WORDS,
    EVIDENCE_COLUMNS,
    EVIDENCE_DATE_COLUMNS,
    Call,
    Caller,
    Channel,
    ConsentKind,
    Date,
    Line,
    Purpose,
)

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
        "channel",
        "automated",
    )
}


_EVIDENCE: Final = EVIDENCE_COLUMNS


_DATE_COLUMNS: Final = EVIDENCE_DATE_COLUMNS


_KNOWN: Final = frozenset({"to", "at", "seller", "attempts", *_SCALAR_DEFAULTS, *_EVIDENCE})


NAT: Final = np.datetime64("NaT", "D")
"""No date where the type is ``datetime64`` (day numbers use ``NO_DATE``, its bits)."""


# --------------------------------------------------------------------------------------------
# Reading and validating the input columns
# --------------------------------------------------------------------------------------------


def _bad(column: str, row: int, what: str) -> CallColumnError:
    return CallColumnError(what, column=column, row=row)


def _first(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.argmax(mask))


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_AT_RANGE_US: Final = tuple((t - _EPOCH) // dt.timedelta(microseconds=1) for t in AT_RANGE)
""":data:`dncguard.models.AT_RANGE` as UTC microseconds since 1970."""


def _check_at_range(
    micros: npt.NDArray[np.int64], column: str, row_of: npt.NDArray[np.int64] | None = None
) -> None:
    """Refuse a time outside :data:`~dncguard.models.AT_RANGE`, as a ``Call`` does (one pass
    for the least and greatest; the row looked for only when one is out). ``row_of``: the list
    offsets of a list column, whose value ``i`` is in the row ``searchsorted(row_of, i) - 1``."""
    if not len(micros) or (micros.min() >= _AT_RANGE_US[0] and micros.max() <= _AT_RANGE_US[1]):
        return
    i = _first((micros < _AT_RANGE_US[0]) | (micros > _AT_RANGE_US[1]))
    row = i if row_of is None else int(np.searchsorted(row_of, i, side="right")) - 1
    shown = f"{np.datetime64(int(micros[i]), 'us')}Z"
    raise _bad(column, row, f"{shown} is out of range: {AT_RANGE_WORDS}")


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
    if i < 0:
        return None
    col = batch.column(i)
    t = col.type
    # Text as views (Polars exports string_view) is read as plain text, as is a view dictionary.
    if pa.types.is_dictionary(t) and pa.types.is_string_view(t.value_type):
        return pa.DictionaryArray.from_arrays(col.indices, col.dictionary.cast(pa.string()))
    if pa.types.is_string_view(t):
        return col.cast(pa.string())
    return col


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
            raise ArgumentError(f"{name}={default!r}: expected one of {', '.join(allowed)}")
        return Codes.constant(default, n)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type) or pa.types.is_null(col.type)):
        col_t = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
        if not (pa.types.is_string(col_t) or pa.types.is_large_string(col_t)):
            raise CallColumnError(f"expected strings, got {col.type}", column=name)
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
            raise ArgumentError(f"{name}={default!r}: expected True or False")
        return np.full(n, default)
    if pa.types.is_null(col.type):
        return np.full(n, default)
    if not pa.types.is_boolean(col.type):
        raise CallColumnError(f"expected booleans, got {col.type}", column=name)
    return np.asarray(pc.fill_null(col, default).to_numpy(zero_copy_only=False), dtype=np.bool_)


_Fallback = tuple[str, Any]
"""How to find a call's local date in its own offset: ("const", minutes), ("zone", name) or
("rows", per-row minutes). Used only for calls with no candidate zone, as ``Guard`` does."""


def _at(batch: pa.RecordBatch, default: Any, n: int) -> tuple[npt.NDArray[np.int64], _Fallback]:
    """The ``at`` column as microseconds since the epoch (UTC); naive or missing values refused."""
    col = _column(batch, "at")
    if col is None:
        if default is None:
            raise CallColumnError("no 'at' column and no at= default: every call needs its start time")
        value = _aware(default, "at")
        micros = (value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
        _check_at_range(np.array([micros], np.int64), "at")
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
        fallback = _tz_name_fallback(col.type.tz)
        if col.null_count:
            raise _bad("at", _first(np.asarray(col.is_null())), "no start time: every call needs one")
        return _utc_micros(col, "at"), fallback
    elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        known = PARSED_TIMES.take(col)
        if known is not None:  # read and parsed already (the command line's reader)
            text, ts = col, known
        else:
            text = trimmed(col)
            try:
                ts = text.cast(pa.timestamp("us", tz="UTC"))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                ts = _first_bad_time(col)
        fallback = ("rows", _TextOffsets(text))
    else:
        raise CallColumnError(f"expected an aware timestamp or ISO 8601 text, got {col.type}", column="at")
    if ts.null_count:
        raise _bad("at", _first(np.asarray(ts.is_null())), "no start time: every call needs one")
    times = np.asarray(ts.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    _check_at_range(times, "at")
    return times, fallback


class ParsedTimes:
    """``at`` text columns whose times their maker has parsed already, so that bulk does not
    parse them again: the command line parses each ``at`` column as it reads it (to name a bad
    row), then hands the same text to bulk, which reads it as its times and its written UTC
    offsets.

    A column is known by its buffers, its offset and its length. An entry holds its column, so
    while it is kept no other live column has those buffers, and Arrow's buffers do not change:
    a column with that key is that text. Each entry is taken once; at most :attr:`kept` are kept
    (the oldest then forgotten: such a column is parsed again, with the same times). Only plain
    text without nulls is taken.
    """

    kept: Final = 8

    def __init__(self) -> None:
        self._known: dict[tuple[int, ...], tuple[pa.Array, pa.Array]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(text: pa.Array) -> tuple[int, ...] | None:
        if not pa.types.is_string(text.type) or text.null_count or not len(text):
            return None
        _, offsets, data = text.buffers()
        return (offsets.address, 0 if data is None else data.address, text.offset, len(text))

    def put(self, text: pa.Array, times: pa.Array) -> None:
        """Remember that ``text`` (an ``at`` column) reads as ``times`` (UTC microseconds, its
        row for row): what ``trimmed(text).cast(timestamp("us", tz="UTC"))`` gives."""
        key = self._key(text)
        if key is None or len(times) != len(text) or times.null_count:
            return
        times = times.cast(pa.timestamp("us", tz="UTC"))
        with self._lock:
            while len(self._known) >= self.kept:
                del self._known[next(iter(self._known))]
            self._known[key] = (text, times)

    def take(self, text: pa.Array) -> pa.Array | None:
        """The times of ``text`` when they were put (then forgotten), else None."""
        key = self._key(text)
        if key is None:
            return None
        with self._lock:
            found = self._known.pop(key, None)
        return None if found is None else found[1]


PARSED_TIMES: Final = ParsedTimes()
"""The ``at`` columns parsed already (:class:`ParsedTimes`), for every engine of the process."""


def _tz_fallback(tz: dt.tzinfo | None, when: dt.datetime) -> _Fallback:
    if isinstance(tz, zoneinfo.ZoneInfo):
        return ("zone", tz.key)
    offset = when.utcoffset()
    return ("const", 0 if offset is None else offset // dt.timedelta(minutes=1))


def _tz_name_fallback(name: str) -> _Fallback:
    """How a timestamp column's zone (``name``) dates a call: a UTC offset (``-05:00``,
    ``+0530``) or an IANA zone; a zone no time-zone database knows is refused by name (whether
    or not some row needs it: the answer does not depend on which numbers a table holds)."""
    text = name.strip()
    if text in ("UTC", "Z", "Etc/UTC", "GMT", "+00:00", "-00:00"):
        return ("const", 0)
    offset = re.fullmatch(r"([+-])(\d\d):?(\d\d)", text)
    if offset is not None:
        sign = -1 if offset[1] == "-" else 1
        return ("const", sign * (int(offset[2]) * 60 + int(offset[3])))
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise CallColumnError(
            f"the column's time zone {name!r} is not one dncguard knows: give an IANA time zone such"
            " as 'America/Chicago' or a UTC offset such as '-05:00'",
            column="at",
        ) from None
    return ("zone", text)


def _utc_micros(
    col: pa.Array, column: str, row_of: npt.NDArray[np.int64] | None = None
) -> npt.NDArray[np.int64]:
    """An aware timestamp column without nulls as UTC microseconds, a time outside
    :data:`~dncguard.models.AT_RANGE` refused naming its row (``row_of``: as for
    :func:`_check_at_range`). Seconds and milliseconds are checked before they are multiplied
    out, which would wrap a time of year 586,000 around to one in range; nanoseconds are
    truncated to microseconds, as a Python datetime holds them."""
    unit = col.type.unit
    if unit in ("s", "ms"):
        per = 1_000_000 if unit == "s" else 1_000
        raw = _ints(col)
        lo, hi = -(-_AT_RANGE_US[0] // per), _AT_RANGE_US[1] // per
        if len(raw) and (raw.min() < lo or raw.max() > hi):
            i = _first((raw < lo) | (raw > hi))
            row = i if row_of is None else int(np.searchsorted(row_of, i, side="right")) - 1
            raise _bad(column, row, f"{np.datetime64(int(raw[i]), unit)}Z is out of range: {AT_RANGE_WORDS}")
        micros = raw * per
    else:
        ts = pc.cast(col, pa.timestamp("us", tz="UTC"), safe=False)
        micros = np.asarray(ts.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    _check_at_range(micros, column, row_of)
    return micros


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
        # Trimmed here (the rows asked about only): the text may be given as written.
        if isinstance(rows, int | np.integer):
            return int(_text_offsets(trimmed(self.text.take(pa.array([int(rows)]))))[0])
        return _text_offsets(trimmed(self.text.take(pa.array(np.asarray(rows, dtype=np.int64)))))


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
            raise ArgumentError(f"{name}={value!r}: expected an ISO 8601 time with a UTC offset") from None
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise ArgumentError(f"{name}={value!r}: expected an aware datetime (a naive time is ambiguous)")
    return value


_DATE_ADAPTER: Final = TypeAdapter(Date)
"""A date as ``Call`` reads one (``dncguard.models.Date``)."""


def _to_date(value: Any, name: str) -> np.datetime64:
    """A keyword default for a date column, read as ``Call`` reads it."""
    if value is None:
        return NAT
    try:
        day = _DATE_ADAPTER.validate_python(value.strip() if isinstance(value, str) else value)
    except ValidationError:
        raise ArgumentError(f"{name}={value!r}: expected an ISO 8601 date") from None
    return np.datetime64(day, "D")


_EPOCH_DATE: Final = dt.date(1970, 1, 1)
_DAY_RANGE: Final = ((dt.date(1, 1, 1) - _EPOCH_DATE).days, (dt.date(9999, 12, 31) - _EPOCH_DATE).days)
"""The days a ``Call`` can hold (Python's dates: the years 1 to 9999), as day numbers."""
_DAY_RANGE_WORDS: Final = "dncguard reads the years 1 to 9999"
_PER_DAY: Final = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
_INT64: Final = np.iinfo(np.int64)


def _ints(values: pa.Array) -> npt.NDArray[np.int64]:
    """The whole numbers a date or timestamp column stores (0 where null), as int64."""
    width = pa.int32() if values.type.bit_width == 32 else pa.int64()
    stored = values.view(width)
    if stored.null_count:
        stored = pc.fill_null(stored, 0)
    return np.asarray(stored.to_numpy(zero_copy_only=False), dtype=np.int64)


def _first_outside(
    values: npt.NDArray[np.int64], valid: npt.NDArray[np.bool_] | None, lo: int, hi: int
) -> int:
    """The first row (of ``valid`` ones) whose value lies outside ``lo``..``hi``, or -1."""
    if not len(values):
        return -1
    outside = (values < lo) | (values > hi)
    if valid is not None:
        outside &= valid
    return _first(outside) if outside.any() else -1


def _valid(col: pa.Array) -> npt.NDArray[np.bool_] | None:
    return np.asarray(col.is_valid().to_numpy(zero_copy_only=False), bool) if col.null_count else None


def _date_range_error(name: str, row: int, shown: str) -> CallColumnError:
    return _bad(name, row, f"{shown} is out of range: {_DAY_RANGE_WORDS}")


def _timestamp_days(col: pa.Array, name: str) -> npt.NDArray[np.int64]:
    """A timestamp column as the day numbers of its dates in its own zone (as written when
    naive), as ``Call`` reads a datetime given for a date; outside the years 1 to 9999 refused."""
    t = col.type
    per_day = _PER_DAY[t.unit]
    valid = _valid(col)
    # Outside the years 1 to 9999 in any zone (a day's margin): refused before the zone's
    # arithmetic could overflow.
    lo = max((_DAY_RANGE[0] - 1) * per_day, _INT64.min)
    hi = min((_DAY_RANGE[1] + 2) * per_day - 1, _INT64.max)
    raw = _ints(col)
    bad = _first_outside(raw, valid, lo, hi)
    if bad >= 0:
        raise _date_range_error(name, bad, f"{np.datetime64(int(raw[bad]), t.unit)}")
    if t.tz is not None:
        try:
            col = pc.local_timestamp(col)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise CallColumnError(
                f"the column's time zone {t.tz!r} is not one dncguard knows: give an IANA time zone"
                " such as 'America/Chicago' or a UTC offset such as '-05:00'",
                column=name,
            ) from None
        raw = _ints(col)
    return raw // per_day


def _text_days(text: pa.Array, name: str) -> pa.Array:
    """Date text (trimmed; blank is no date) as a date32 column, read as ``Call`` reads it: a
    date, or a date-time standing for its date as written. Anything ``Call`` refuses is refused
    naming the first row that holds it."""
    enc = pc.dictionary_encode(text)
    values = enc.dictionary
    days = np.full(len(values), NO_DATE, np.int64)
    if len(values):
        shaped = np.asarray(
            pc.match_substring_regex(values, DATE_TIME_TEXT).to_numpy(zero_copy_only=False), bool
        )
        if shaped.any():
            picked = np.flatnonzero(shaped)
            heads = pc.utf8_slice_codeunits(values.take(pa.array(picked)), 0, 10)
            try:
                days[picked] = np.asarray(heads.cast(pa.date32()).cast(pa.int32()).to_numpy(), np.int64)
            except pa.ArrowInvalid:  # a day that is not in its month: read one by one below
                shaped[:] = False
        bad = np.zeros(len(values), bool)
        for k in np.flatnonzero(~shaped).tolist():
            value = values[k].as_py()
            if not value:
                continue  # blank text is no date
            try:
                days[k] = (_DATE_ADAPTER.validate_python(value) - _EPOCH_DATE).days
            except ValidationError:
                bad[k] = True
        indices = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), np.int64)
        if bad.any():
            row = _first(np.isin(indices, np.flatnonzero(bad)))
            raise _bad(name, row, f"{values[int(indices[row])].as_py()!r} is not an ISO 8601 date")
        out = np.where(indices >= 0, days[np.maximum(indices, 0)], NO_DATE)
    else:
        out = np.full(len(text), NO_DATE, np.int64)
    return pa.array(out.astype(np.int32), pa.date32(), mask=out == NO_DATE)


def _dates(batch: pa.RecordBatch, name: str, default: Any, n: int) -> npt.NDArray[np.int64]:
    """A date column as day numbers (days since 1970-01-01; :data:`NO_DATE` for null).

    Read as ``Call`` reads a date: date columns; timestamps (the date in the column's own zone,
    or as written when naive); ISO 8601 date or datetime text (the date as written; blank text
    is no date). A null takes ``default`` when one is given. A date outside the years 1 to 9999
    (which no ``Call`` can hold) is refused naming the row.
    """
    col = _column(batch, name)
    if col is None:
        value = _to_date(default, name)
        return np.full(n, NO_DATE if np.isnat(value) else int(value.astype(np.int64)), np.int64)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    t = col.type
    if pa.types.is_null(t):
        col = pa.nulls(len(col), pa.date32())
    elif pa.types.is_date64(t):
        days = _ints(col) // _PER_DAY["ms"]
        col = pa.array(days, pa.int64(), mask=~col.is_valid().to_numpy(zero_copy_only=False))
    elif pa.types.is_timestamp(t):
        days = _timestamp_days(col, name)
        col = pa.array(days, pa.int64(), mask=~col.is_valid().to_numpy(zero_copy_only=False))
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        text = trimmed(col)
        try:
            # Plain YYYY-MM-DD everywhere (the common case) casts as it is.
            col = text.cast(pa.date32())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            col = _text_days(text, name)
    elif not pa.types.is_date32(t):
        raise CallColumnError(f"expected dates, got {t}", column=name)
    # The day numbers as stored (date32's int32, or int64), nulls as the range's first day while
    # the range is checked (the least and greatest; the row looked for only when one is out).
    stored = col.view(pa.int32() if col.type.bit_width == 32 else pa.int64())
    nulls = stored.null_count
    kept = pc.fill_null(stored, _DAY_RANGE[0]) if nulls else stored
    as_stored = np.asarray(kept.to_numpy(zero_copy_only=False))
    if len(as_stored) and (as_stored.min() < _DAY_RANGE[0] or as_stored.max() > _DAY_RANGE[1]):
        bad = _first((as_stored < _DAY_RANGE[0]) | (as_stored > _DAY_RANGE[1]))
        raise _date_range_error(name, bad, f"{np.datetime64(int(as_stored[bad]), 'D')}")
    days = as_stored.astype(np.int64)
    if nulls:
        fill = _to_date(default, name)
        days[_nulls(stored)] = NO_DATE if np.isnat(fill) else int(fill.astype(np.int64))
    return days


def _nulls(values: pa.Array) -> npt.NDArray[np.bool_]:
    """Where ``values`` (with some null) is null, read from its validity bitmap."""
    bitmap = values.buffers()[0]
    if bitmap is None:  # every value null
        return np.ones(len(values), bool)
    bits = np.unpackbits(np.frombuffer(bitmap, np.uint8), bitorder="little")
    out: npt.NDArray[np.bool_] = bits[values.offset : values.offset + len(values)] == 0
    return out


def _check_defaults(defaults: Mapping[str, Any]) -> None:
    unknown = sorted(set(defaults) - _KNOWN)
    if unknown:
        hints = [near_miss(name, tuple(sorted(_KNOWN))) for name in unknown]
        said = ", ".join(
            n if h is None else f"{n} (did you mean {h}=?)" for n, h in zip(unknown, hints, strict=True)
        )
        raise ArgumentTypeError(f"scrub() got unknown column default(s): {said}")


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
    channel: Codes
    automated: npt.NDArray[np.bool_]
    attempts: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None
    """``(offsets, micros)``: row ``i``'s earlier calls are ``micros[offsets[i]:offsets[i + 1]]``
    (UTC microseconds); ``None``: no ``attempts`` column."""


# The values a column may hold: the Call model's own Literal types (one definition for Call,
# Guard.scrub and the command line).
_CALLERS: Final = get_args(Caller)
_PURPOSES: Final = get_args(Purpose)
_LINES: Final = get_args(Line)
_CONSENTS: Final = get_args(ConsentKind)
_CHANNELS: Final = get_args(Channel)


def _default(defaults: Mapping[str, Any], name: str) -> Any:
    return defaults[name] if name in defaults else _SCALAR_DEFAULTS.get(name)


def _read(batch: pa.RecordBatch, defaults: Mapping[str, Any]) -> _Rows:
    """One batch's call columns, read, validated and typed (``defaults``: the keyword defaults
    of ``scrub``), column by column: ``to``, ``at``, ``seller``, ``callee_region``,
    ``callee_timezone``, the evidence dates and consent, then the call's kinds."""
    call_columns(batch.schema.names)  # a near miss of a call field is an error (docs/defaults.md)
    n = batch.num_rows
    to = _to_column(batch, defaults, n)
    micros, fallback = _at(batch, defaults.get("at"), n)
    seller = _seller_column(batch, defaults.get("seller"), n)
    region = _region_column(batch, defaults, n)
    zone = _zone_column(batch, defaults, n)
    dates, kind = _evidence_columns(batch, defaults, n)
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
        channel=_enum(batch, "channel", _CHANNELS, _default(defaults, "channel"), n),
        automated=_bool(batch, "automated", _default(defaults, "automated"), n),
        attempts=_attempts(batch, n, defaults.get("attempts")),
    )


def _to_column(batch: pa.RecordBatch, defaults: Mapping[str, Any], n: int) -> pa.Array:
    """The called numbers as a string column (integers read as their digits); none may be null."""
    to = _column(batch, "to")
    if to is None:
        if "to" not in defaults:
            raise CallColumnError("no 'to' column: every call needs the called number")
        to = _to_default(defaults["to"], n)
    if pa.types.is_dictionary(to.type):
        to = to.dictionary_decode()
    if pa.types.is_integer(to.type) or pa.types.is_large_string(to.type):
        to = to.cast(pa.string())
    elif not (pa.types.is_string(to.type) or pa.types.is_null(to.type)):
        raise CallColumnError(f"expected text or integers, got {to.type}", column="to")
    if to.null_count:
        raise _bad("to", _first(np.asarray(to.is_null())), "no number: every call needs the called number")
    return to


def _to_default(value: Any, n: int) -> pa.Array:
    """``to=``: the number every row without a ``to`` column calls (an integer read as its
    digits, as ``Call`` reads it)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ArgumentError(f"to={value!r}: expected the called number as text or an integer")
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, np.int32)))


def _seller_column(batch: pa.RecordBatch, seller_default: Any, n: int) -> Codes:
    """The sellers (a null cell takes ``seller=``); every row needs one."""
    seller = _codes(_column(batch, "seller")) if _column(batch, "seller") is not None else None
    if seller is None:
        if seller_default is None:
            raise ArgumentError(
                "no 'seller' column and no seller= default: name the party on whose behalf the calls are made"
            )
        seller = Codes.constant(seller_default, n)
    for k, v in enumerate(seller.values):
        value = seller_default if v is None else v
        if value is None:
            raise _bad("seller", _first(seller.codes == k), "no seller: name the party the call is made for")
        if not isinstance(value, str) or not value.strip():
            raise _bad("seller", _first(seller.codes == k), f"{value!r}: expected the seller's name")
    return Codes(seller.codes, tuple(seller_default if v is None else v for v in seller.values))


def _region_column(batch: pa.RecordBatch, defaults: Mapping[str, Any], n: int) -> Codes:
    """``callee_region`` as Call reads it: ISO 3166-2 of a US or Canadian subdivision dncguard
    knows, trimmed and upper-cased."""
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
    return Codes(region.codes, tuple(fixed))


def _zone_column(batch: pa.RecordBatch, defaults: Mapping[str, Any], n: int) -> Codes:
    """``callee_timezone``: IANA zone names."""
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
    return zone


def _evidence_columns(
    batch: pa.RecordBatch, defaults: Mapping[str, Any], n: int
) -> tuple[dict[str, npt.NDArray[np.int64]], Codes]:
    """The evidence dates as day numbers (only the columns given) and the consent kinds; a
    consent needs both its kind and its date."""
    dates = {
        name: _dates(batch, name, defaults.get(name), n)
        for name in _DATE_COLUMNS
        if defaults.get(name) is not None or _column(batch, name) is not None
    }
    latest = day_number(latest_date())
    for name, days in dates.items():
        # Evidence is a record of what happened (Call refuses the same dates); a contract's end
        # may be ahead (docs/defaults.md#nothing-is-dated-in-the-future).
        late = days > latest  # NO_DATE is below every day
        if name != "contract_ends" and late.any():
            row = _first(late)
            raise _bad(
                name,
                row,
                f"{date_of(int(days[row])).isoformat()} is in the future (today is "
                f"{date_of(latest - 1).isoformat()} in UTC): evidence cannot be dated before it happened",
            )
    kind = _enum(batch, "consent_kind", _CONSENTS, defaults.get("consent_kind"), n, optional=True)
    has_kind = np.array([v is not None for v in kind.values], bool)[kind.codes]
    has_on = dates["consent_on"] != NO_DATE if "consent_on" in dates else np.zeros(n, bool)
    for need, have, lacking in (("consent_on", has_kind, ~has_on), ("consent_kind", has_on, ~has_kind)):
        bad = have & lacking
        if bad.any():
            other = "consent_kind" if need == "consent_on" else "consent_on"
            raise _bad(need, _first(bad), f"missing: required where {other} is set")
    return dates, kind


_ATTEMPTS_ADAPTER: Final = TypeAdapter(tuple[AwareDatetime, ...])
"""A list of earlier calls as ``Call.attempts`` reads one (aware times)."""


def _attempts_default(default: Any) -> npt.NDArray[np.int64] | None:
    """``attempts=``, the earlier calls of every row without its own, as UTC microseconds (read
    as ``Call`` reads them; ``None``: none given)."""
    if default is None:
        return None
    try:
        times = _ATTEMPTS_ADAPTER.validate_python(default)
    except ValidationError:
        raise ArgumentError(
            f"attempts={default!r}: expected a list of times with a UTC offset (a naive time is ambiguous)"
        ) from None
    micros = np.array([(t - _EPOCH) // dt.timedelta(microseconds=1) for t in times], np.int64)
    try:
        _check_at_range(micros, "attempts")
    except CallColumnError as e:
        raise ArgumentError(f"attempts={default!r}: {e.detail}") from None
    return micros


def _with_default(
    row_of: npt.NDArray[np.int64],
    micros: npt.NDArray[np.int64],
    null_rows: npt.NDArray[np.bool_],
    fill: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The lists ``(row_of, micros)`` with ``fill`` in the ``null_rows``."""
    counts = np.diff(row_of)
    counts[null_rows] = len(fill)
    offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(counts)])
    row = np.repeat(np.arange(len(counts)), counts)  # each output value's row
    within = np.arange(int(offsets[-1])) - offsets[row]
    own = ~null_rows[row]
    out = np.empty(int(offsets[-1]), np.int64)
    out[own] = micros[row_of[row[own]] + within[own]]
    out[~own] = fill[within[~own]]
    return offsets, out


def _attempts(
    batch: pa.RecordBatch, n: int, default: Any = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """The ``attempts`` column (a list of aware timestamps per row; null: none, or ``default``)
    as offsets and UTC microseconds; ``default`` (``attempts=``) also fills a missing column."""
    col = _column(batch, "attempts")
    fill = _attempts_default(default)
    if col is None or pa.types.is_null(col.type):
        if fill is None:
            return None if col is None else (np.zeros(n + 1, np.int64), np.zeros(0, np.int64))
        return np.arange(n + 1, dtype=np.int64) * len(fill), np.tile(fill, n)
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if not (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)) or not pa.types.is_timestamp(
        col.type.value_type
    ):
        raise CallColumnError(
            f"expected a list of timestamps with a time zone per row, got {col.type}", column="attempts"
        )
    if col.type.value_type.tz is None:
        raise _bad(
            "attempts",
            0,
            "timestamps without a time zone are ambiguous; give the list's timestamps a time zone",
        )
    filled = pc.fill_null(col, pa.scalar([], col.type))
    offsets = np.asarray(filled.offsets.to_numpy(zero_copy_only=False), np.int64)
    values = filled.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
    row_of = offsets - offsets[0]
    if values.null_count:
        i = _first(np.asarray(values.is_null()))
        row = int(np.searchsorted(row_of, i, side="right")) - 1
        raise _bad("attempts", row, "an earlier call without a time: every attempt needs one")
    micros = _utc_micros(values, "attempts", row_of)
    if fill is not None and col.null_count:
        return _with_default(row_of, micros, np.asarray(col.is_null()), fill)
    return row_of, micros
