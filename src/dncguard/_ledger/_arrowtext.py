"""Arrow helpers for recording tables of calls column by column (``record_columns``): the JSON
text of each row's values as pydantic writes it, built with Arrow compute, no Python per row."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from dncguard._ledger._chain import Quoted, Stamps
from dncguard._ledger._format import CALL_JSON, EPOCH, Times, dumps, json_str
from dncguard.bulk._columns import _SCALAR_DEFAULTS
from dncguard.errors import ArgumentError
from dncguard.models import EVIDENCE_COLUMNS, Call, Decision

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

_PLAIN_TEXT: Final = r"^[ !#-\[\]-~]*$"
"""Text whose JSON is itself in quotes: printable ASCII without ``"`` or ``\\``."""
# The scalar call fields and evidence columns of a flat table: the bulk reader's own lists, so a
# field added to calls (channel, automated, ...) is recorded, never silently left at its default.
_SCALARS: Final = tuple(_SCALAR_DEFAULTS)
_FLAT: Final = frozenset({"to", "at", "seller", *_SCALARS, *EVIDENCE_COLUMNS})
_PROTOTYPE_AT: Final = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _join(parts: Sequence[Any]) -> pa.Array:
    """Row-wise concatenation of Arrow string arrays and constant strings (no nulls)."""
    import pyarrow.compute as pc

    merged: list[Any] = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif not (isinstance(p, str) and not p):
            merged.append(p)
    return pc.binary_join_element_wise(*merged, "")


def _fill(parts: Sequence[str | tuple[str]], values: Mapping[str, Any]) -> list[Any]:
    return [values[p[0]] if isinstance(p, tuple) else p for p in parts]


def _bad_row(column: str, row: int, what: str) -> ArgumentError:
    return ArgumentError(f"column {column!r}, row {row}: {what}")


def _json_texts(arr: pa.Array) -> pa.Array:
    """The JSON of each text of ``arr`` (no nulls), as ``json.dumps`` writes it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    quoted = pc.binary_join_element_wise('"', arr, '"', "")
    _, data = _string_bytes(arr)
    if _plain_bytes()[data].all():  # every text plain (one pass over the bytes): no escapes
        return quoted
    plain = pc.match_substring_regex(arr, _PLAIN_TEXT)
    if plain.false_count:
        other = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
        fixed = [json_str(v) for v in arr.take(pa.array(other)).to_pylist()]
        quoted = pc.replace_with_mask(quoted, pc.invert(plain), pa.array(fixed, pa.string()))
    return quoted


def _json_piece(arr: pa.Array) -> pa.Array | Quoted:
    """:func:`_json_texts` as a piece for the join: the texts themselves, quoted there, where
    every one is plain (no copy here); else their JSON texts."""
    _, data = _string_bytes(arr)
    if _plain_bytes()[data].all():
        return Quoted(arr)
    return _json_texts(arr)


def _string_bytes(arr: pa.Array) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    """A string array's value offsets (``len(arr) + 1``, from its first value's) and the bytes
    of its values, one after the other (numpy views of its buffers, no copy)."""
    import numpy as np

    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], np.int32)[arr.offset : arr.offset + len(arr) + 1]
    if buffers[2] is None or not len(arr):
        return offsets, np.zeros(0, np.uint8)
    return offsets, np.frombuffer(buffers[2], np.uint8)[int(offsets[0]) : int(offsets[-1])]


@functools.cache
def _plain_bytes() -> npt.NDArray[np.bool_]:
    """Bytes that :data:`_PLAIN_TEXT` allows (by value)."""
    import numpy as np

    table = np.zeros(256, bool)
    table[0x20:0x7F] = True
    table[[ord('"'), ord("\\")]] = False
    return table


def _distinct(arr: pa.Array) -> tuple[list[Any], pa.Array]:
    """``arr``'s distinct values (None for null) and each row's index into them."""
    import pyarrow as pa

    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    encoded = arr.dictionary_encode(null_encoding="encode")
    return encoded.dictionary.to_pylist(), encoded.indices


def _take(values: Sequence[str], indices: pa.Array) -> pa.Array:
    import pyarrow as pa

    return pa.array(values, pa.string()).take(indices)


def _first_row(indices: pa.Array, k: int) -> int:
    import numpy as np

    return int(np.argmax(indices.to_numpy(zero_copy_only=False) == k))


def _validated(name: str, value: Any) -> Any:
    """The JSON value a Call holds for field ``name`` given ``value`` (pydantic's own rules)."""
    fields: dict[str, Any] = {"to": "0", "at": _PROTOTYPE_AT, "seller": "x", name: value}
    call = Call.model_validate(fields)
    return CALL_JSON(call, mode="json", include={name})[name]


def _zone_offsets(micros: npt.NDArray[Any], zone: str) -> npt.NDArray[Any]:
    """The UTC offset (seconds) of ``zone`` at each instant (UTC microseconds), as Python's
    ``zoneinfo`` has it (which is what pyarrow's datetimes carry): one look-up per distinct hour,
    and per row only in an hour where the offset changes."""
    import zoneinfo

    import numpy as np

    fixed = re.fullmatch(r"([+-])(\d\d):(\d\d)", zone)
    if fixed or zone.upper() in ("UTC", "Z", "ETC/UTC"):
        seconds = 0 if not fixed else int(fixed.group(2)) * 3600 + int(fixed.group(3)) * 60
        return np.full(len(micros), -seconds if fixed and fixed.group(1) == "-" else seconds, np.int64)
    zi = zoneinfo.ZoneInfo(zone)

    def offset(us: int) -> int:
        off = (EPOCH + dt.timedelta(microseconds=us)).astimezone(zi).utcoffset()
        assert off is not None
        return int(off.total_seconds())

    hours, inverse = np.unique(micros // 3_600_000_000, return_inverse=True)
    start = np.array([offset(int(h) * 3_600_000_000) for h in hours.tolist()], np.int64)
    end = np.array([offset(int(h) * 3_600_000_000 + 3_599_999_999) for h in hours.tolist()], np.int64)
    out = start[inverse]
    changing = np.flatnonzero((start != end)[inverse])
    if len(changing):
        out[changing] = [offset(int(u)) for u in micros[changing].tolist()]
    return out


def _timestamp_json(col: pa.Array, times: Times) -> pa.Array:
    """Aware timestamps (no nulls) as pydantic's JSON of the datetimes pyarrow gives for them:
    the wall time in the column's zone, then the offset (``Z`` for UTC)."""
    return _timestamp_stamps(col, times).arrow()


def _timestamp_stamps(col: pa.Array, times: Times, valid: Any = None) -> Stamps:
    """:func:`_timestamp_json` as a piece for the join (null where ``valid`` is False)."""
    import pyarrow as pa

    col = col.cast(pa.timestamp("us", tz=col.type.tz))  # safe: refuses to drop nanoseconds
    micros = col.cast(pa.int64()).to_numpy(zero_copy_only=False)
    return _stamps(micros, _zone_offsets(micros, col.type.tz), times, valid)


def _offset_json(micros: npt.NDArray[Any], offsets: npt.NDArray[Any], times: Times) -> pa.Array:
    """UTC microseconds as pydantic's JSON of aware datetimes at the given UTC offsets (seconds,
    one per row): the wall time at that offset, then the offset (``Z`` for UTC)."""
    return _stamps(micros, offsets, times).arrow()


_DAY: Final = 86_400


def _offset_groups(offsets: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """UTC offsets (seconds, under a day either way) grouped as ``np.unique(offsets,
    return_inverse=True)`` groups them (sorted distinct values, each row's index), by a table of
    the day's seconds rather than a sort or a hash (numpy's unique of integers hashes, slowly)."""
    import numpy as np

    offsets = np.asarray(offsets, np.int64)
    if not len(offsets) or int(np.abs(offsets).max()) >= _DAY:
        distinct, inverse = np.unique(offsets, return_inverse=True)
        return distinct, inverse.reshape(-1).astype(np.int64)
    at = offsets + _DAY
    present = np.zeros(2 * _DAY, bool)
    present[at] = True
    distinct = np.flatnonzero(present)
    index = np.zeros(2 * _DAY, np.int64)  # only the distinct values' slots written (no cumsum)
    index[distinct] = np.arange(len(distinct))
    return distinct - _DAY, index[at]


def _stamps(micros: npt.NDArray[Any], offsets: npt.NDArray[Any], times: Times, valid: Any = None) -> Stamps:
    """:func:`_offset_json` as a piece for the join (null where ``valid`` is False): each row's
    offset text found by a table of the day's seconds (no sort, no hash)."""
    import numpy as np

    offsets = np.asarray(offsets, np.int64)
    if len(offsets) and int(np.abs(offsets).max()) >= _DAY:
        raise ValueError("a UTC offset of a day or more")
    first = int(offsets[0]) if len(offsets) else 0
    if not len(offsets) or (offsets == first).all():
        suffixes = [times.suffix(dt.timedelta(seconds=first))]
        index: Any = np.zeros(len(offsets), np.int64)
    else:
        distinct, index = _offset_groups(offsets)
        suffixes = [times.suffix(dt.timedelta(seconds=o)) for o in distinct.tolist()]
    return Stamps(micros, offsets, suffixes, index, valid)


_ISO_AT: Final = (
    r"^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
"""ISO 8601 times that Arrow and pydantic read alike (others are read one by one as Call does)."""


def _text_times(at: pa.Array, times: Times) -> tuple[Quoted | Stamps, pa.Array, npt.NDArray[Any]] | None:
    """A text ``at`` column read column by column: each row's JSON (as the Call it stands for
    writes it; a piece for the join), UTC microseconds and written UTC offset (seconds); None
    unless every row is an ISO 8601 time of :data:`_ISO_AT`'s plain form. The usual shape is
    checked with numpy (:func:`_fixed_times`), any other by regular expression
    (:func:`_regex_times`): the same answer."""
    if at.null_count:
        return None
    fixed = _fixed_times(at, times)
    return fixed if fixed is not None else _regex_times(at, times)


def _regex_times(at: pa.Array, times: Times) -> tuple[Stamps, pa.Array, npt.NDArray[Any]] | None:
    """:func:`_text_times` by regular expression (any row of :data:`_ISO_AT`'s forms; no nulls)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pc.all(pc.match_substring_regex(at, _ISO_AT)).as_py():
        return None
    try:
        micros = at.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. February 30th: read one by one
        return None
    parts = pc.extract_regex(at, r"(?P<sign>[+-])(?P<hh>\d\d):(?P<mm>\d\d)$|Z$")
    written, idx = _distinct(
        pc.binary_join_element_wise(
            pc.struct_field(parts, "sign"), pc.struct_field(parts, "hh"), pc.struct_field(parts, "mm"), ""
        )
    )
    seconds = []
    for text in written:
        if not text:  # Z
            seconds.append(0)
        else:
            sign = -1 if text[0] == "-" else 1
            seconds.append(sign * (int(text[1:3]) * 3600 + int(text[3:5]) * 60))
    offsets = np.asarray(seconds, np.int64)[idx.to_numpy(zero_copy_only=False)]
    us = micros.to_numpy(zero_copy_only=False)
    return _stamps(us, offsets, times), micros, offsets


_DIGITS: Final = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)
"""Where ``YYYY-MM-DDTHH:MM:SS`` has its digits."""


def _fixed_times(at: pa.Array, times: Times) -> tuple[Quoted | Stamps, pa.Array, npt.NDArray[Any]] | None:
    """:func:`_text_times` for the usual shape, checked byte by byte (in C where built, else
    with numpy: the same answer) rather than by regular expression: every row
    ``YYYY-MM-DDTHH:MM:SS`` then ``Z`` or ``+HH:MM`` / ``-HH:MM`` (each row either, mixed or
    not), with the ranges :data:`_ISO_AT` allows. None for any other shape (then the regular
    expression decides)."""
    import numpy as np
    import pyarrow as pa

    from dncguard._ledger import _chain

    n = len(at)
    offsets, data = _string_bytes(at)
    if not n:
        return None
    in_c = _chain.iso_times_in_c()
    shape = _fixed_shape(offsets, data, n) if in_c is None else in_c(offsets, data)
    if shape is None:
        return None
    seconds = np.frombuffer(shape[0], np.int64)
    zulu = np.frombuffer(shape[1], np.bool_)
    # Each row's UTC microseconds, read in the same pass (what Arrow's cast of the text to a UTC
    # timestamp gives; a day its month lacks, February 30th, is no usual shape: read one by one).
    us = np.frombuffer(shape[2], np.int64)
    micros = pa.array(us, pa.int64())
    # The JSON is the text itself where pydantic writes each offset as written (``-05:00``, and
    # ``Z``; a zero offset written ``+00:00`` it writes ``Z``, so such a row is rewritten).
    every_zulu = bool(zulu.all())
    written = seconds if every_zulu or not zulu.any() else seconds[~zulu]
    distinct = _offset_groups(written)[0].tolist() if len(written) else []
    if times.suffix(dt.timedelta(0)) == "Z" and (
        every_zulu or all(o and times.suffix(dt.timedelta(seconds=o)) == _offset_text(o) for o in distinct)
    ):
        return Quoted(at), micros, seconds
    return _stamps(us, seconds, times), micros, seconds


def _fixed_shape(
    offsets: npt.NDArray[Any], data: npt.NDArray[Any], n: int
) -> tuple[bytes, bytes, bytes] | None:
    """The numpy twin of the C ``iso_times``: each row's UTC offset (seconds, int64), whether
    it is written ``Z`` (one byte a row) and its time as UTC microseconds (int64), as bytes;
    None unless every row is of the usual shape (:func:`_fixed_times`), its day one its month
    has."""
    import numpy as np

    if len(data) in (20 * n, 25 * n):
        width = len(data) // n
        if not (np.diff(offsets) == width).all():
            return None
        m = data.reshape(n, width)
        zulu = np.full(n, width == 20)
    else:  # rows of both widths: each row's 25 bytes from its start (past the end: 0, not read)
        lengths = np.diff(offsets)
        zulu = lengths == 20
        if not (zulu | (lengths == 25)).all():
            return None
        starts = (offsets[:-1] - offsets[0]).astype(np.int64)
        padded = np.zeros(len(data) + 5, np.uint8)
        padded[: len(data)] = data
        m = np.lib.stride_tricks.sliding_window_view(padded, 25)[starts]
    d = m[:, _DIGITS] - np.uint8(48)  # a non-digit wraps past 9
    if not (d <= 9).all():
        return None
    d = d.astype(np.int16)

    def two(k: int) -> npt.NDArray[Any]:
        return d[:, k] * 10 + d[:, k + 1]

    month, day, hour, minute, second = two(4), two(6), two(8), two(10), two(12)
    ok = (
        (m[:, 4] == 45)
        & (m[:, 7] == 45)
        & (m[:, 10] == 84)
        & (m[:, 13] == 58)
        & (m[:, 16] == 58)
        & (d[:, 0] >= 1)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= 31)
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 59)
    )
    if m.shape[1] == 20:
        ok &= m[:, 19] == 90  # Z
        seconds = np.zeros(n, np.int64)
    else:
        z = m[:, 20:25].astype(np.int16) - 48
        sign = m[:, 19]
        off_hour, off_minute = z[:, 0] * 10 + z[:, 1], z[:, 3] * 10 + z[:, 4]
        written = (
            ((sign == 43) | (sign == 45))
            & (z[:, [0, 1, 3, 4]] >= 0).all(axis=1)
            & (z[:, [0, 1, 3, 4]] <= 9).all(axis=1)
            & (m[:, 22] == 58)
            & (off_hour <= 23)
            & (off_minute <= 59)
        )
        ok &= np.where(zulu, sign == 90, written)
        seconds = np.where(sign == 45, -1, 1) * (off_hour.astype(np.int64) * 3600 + off_minute * 60)
        seconds[zulu] = 0
    year = (two(0).astype(np.int64) * 100 + two(2)).astype(np.int64)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    ok &= day <= np.asarray(_MONTH_DAYS, np.int16)[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    if not ok.all():
        return None
    # Days since 1970 of the proleptic Gregorian calendar (years 1000-9999 here).
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month.astype(np.int64) + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    days = era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
    wall = ((days * 24 + hour) * 60 + minute) * 60 + second
    micros = (wall - seconds.astype(np.int64)) * 1_000_000
    return seconds.astype(np.int64).tobytes(), zulu.astype(np.uint8).tobytes(), micros.tobytes()


_MONTH_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _offset_text(seconds: int) -> str:
    """A UTC offset of whole minutes as ISO 8601 writes it: ``-05:00``."""
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{'-' if seconds < 0 else '+'}{hours:02d}:{minutes:02d}"


def _call_zone_json(
    col: pa.Array,
    zone_tz: str | None,
    zones: Sequence[dt.tzinfo | None],
    zone_idx: Any,
    times: Times,
    valid: Any = None,
) -> Stamps:
    """Timestamps (no nulls) as pydantic's JSON of each row's datetime in its call's zone:
    ``zone_tz`` where ``zone_idx`` is -1, else ``zones[zone_idx]`` (a piece for the join; null
    where ``valid`` is False)."""
    import numpy as np
    import pyarrow as pa

    col = col.cast(pa.timestamp("us", tz=col.type.tz))  # safe: refuses to drop nanoseconds
    micros = col.cast(pa.int64()).to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(micros), np.int64)
    column_rows = zone_idx < 0
    if zone_tz is not None and column_rows.any():
        offsets[column_rows] = _zone_offsets(micros[column_rows], zone_tz)
    # A fixed offset (what text with an offset reads as) is one number; a named zone's depends
    # on the instant, and is asked row by row.
    fixed = np.zeros(len(zones), np.int64)
    named = np.zeros(len(zones), bool)
    for k, zone in enumerate(zones):
        off = None if zone is None else zone.utcoffset(None)
        if off is None:
            named[k] = zone is not None
        else:
            fixed[k] = int(off.total_seconds())
    own = np.flatnonzero(~column_rows)
    if len(own):
        offsets[own] = fixed[zone_idx[own]]
        for i in own[named[zone_idx[own]]].tolist():
            zone = zones[int(zone_idx[i])]
            off = (EPOCH + dt.timedelta(microseconds=int(micros[i]))).astimezone(zone).utcoffset()
            assert off is not None
            offsets[i] = int(off.total_seconds())
    return _stamps(micros, offsets, times, valid)


def _consent_kind(value: Any) -> Any:
    from dncguard.models import Consent

    return Consent.model_validate({"kind": value, "on": dt.date(2000, 1, 1)}).model_dump(mode="json")["kind"]


def _first_error(e: ValueError) -> str:
    from pydantic import ValidationError

    if isinstance(e, ValidationError):
        return str(e.errors()[0]["msg"])
    return str(e)


def _aware_default(value: Any) -> dt.datetime:
    t = Call.model_validate({"to": "0", "at": value, "seller": "x"}).at
    return t


def _as_call(call: Call | Mapping[str, Any]) -> Call:
    return call if isinstance(call, Call) else Call.model_validate(call)


def _as_decision(decision: Decision | Mapping[str, Any]) -> Decision:
    return decision if isinstance(decision, Decision) else Decision.model_validate(decision)


def _per_row(name: str, values: Any, n: int) -> Any:
    """A per-row argument of record_columns as an Arrow array or numpy array of ``n`` values."""
    import numpy as np
    import pyarrow as pa

    if values is None:
        return None
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if pa.types.is_large_string(values.type):
            values = values.cast(pa.string())
        if not (pa.types.is_string(values.type) or pa.types.is_integer(values.type)):
            raise ArgumentError(f"{name}: expected text or 10-digit integers, got {values.type}")
        out: Any = values if pa.types.is_string(values.type) else values.to_numpy(zero_copy_only=False)
    else:
        array = np.asarray(values)
        out = pa.array(array.tolist(), pa.string()) if array.dtype.kind in "UO" else array
    if len(out) != n:
        raise ArgumentError(f"{name}: expected {n} values, one per row, got {len(out)}")
    return out


def _next_column(values: Any, n: int) -> pa.Array | None:
    """next_allowed_at per row as an Arrow timestamp array (null: none)."""
    import numpy as np
    import pyarrow as pa

    if values is None:
        return None
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if not pa.types.is_timestamp(values.type) or values.type.tz is None:
            raise ArgumentError(f"next_allowed_at: expected aware timestamps, got {values.type}")
        col = values
    else:
        array = np.asarray(values)
        if array.dtype.kind == "M":
            us = array.astype("datetime64[us]")
            col = pa.array(us.astype(np.int64), pa.int64(), mask=np.isnat(us)).cast(
                pa.timestamp("us", tz="UTC")
            )
        elif array.dtype.kind in "iu":
            from dncguard.bulk import NO_NEXT

            ints = array.astype(np.int64)
            col = pa.array(ints, pa.int64(), mask=ints == NO_NEXT).cast(pa.timestamp("us", tz="UTC"))
        else:
            raise ArgumentError(
                f"next_allowed_at: expected timestamps or UTC microseconds, got {array.dtype}"
            )
    if len(col) != n:
        raise ArgumentError(f"next_allowed_at: expected {n} values, one per row, got {len(col)}")
    return col


def _cut(obj: Mapping[str, Any], holes: Iterable[str]) -> list[str | tuple[str]]:
    """The canonical JSON of ``obj`` as constant text and ``(key,)`` holes for the values of ``holes``."""
    wanted = set(holes)
    parts: list[str | tuple[str]] = []
    text = "{"
    for i, key in enumerate(sorted(obj)):
        text += ("," if i else "") + dumps(key) + ":"
        if key in wanted:
            parts += [text, (key,)]
            text = ""
        else:
            text += dumps(obj[key])
    parts.append(text + "}")
    return parts
