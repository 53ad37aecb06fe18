"""CSV and Parquet call files, read in batches and checked column by column (no Python loop
over rows): :func:`read_table_batches` yields :class:`Batch` values whose ``calls`` table has the
typed columns ``Guard.scrub`` takes. Every problem is a :class:`CallColumnError` that names the
file, the 1-based data row (a CSV header is not a row) and the field:

>>> import pyarrow as pa
>>> raw = pa.table({"to": ["212-555-0143"], "at": ["2026-03-16T14:00:00"], "seller": ["acme"]})
>>> normalise(raw, path="calls.csv", first_row=1, defaults=Defaults())
Traceback (most recent call last):
...
dncguard.errors.CallColumnError: calls.csv, row 1, field 'at': '2026-03-16T14:00:00' has no UTC ...
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import functools
import os
import stat
import zoneinfo
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, get_args

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from dncguard import geography
from dncguard._arrow import _MAY_BE_SPACE, DATE_TIME_TEXT, trimmed
from dncguard._fields import call_columns
from dncguard.cli import _sizes
from dncguard.cli._budget import _Budget
from dncguard.cli._filetypes import (
    _KNOWN,
    _TABLE_SUFFIXES,
    AT_TYPE,
    Batch,
    Defaults,
    _check_suffix,
    _not_utf8,
    no_calls,
)
from dncguard.errors import CallColumnError
from dncguard.models import (
    AT_RANGE,
    AT_RANGE_WORDS,
    EVIDENCE_DATE_COLUMNS,
    Call,
    Caller,
    Channel,
    ConsentKind,
    Line,
    Purpose,
)

_CHOICES: Mapping[str, tuple[str, ...]] = {
    "caller": get_args(Caller),
    "purpose": get_args(Purpose),
    "line": get_args(Line),
    "consent_kind": get_args(ConsentKind),
    "channel": get_args(Channel),
}


_DATE_COLUMNS = (*EVIDENCE_DATE_COLUMNS, "reassigned_on")

_BOOL_COLUMNS = ("prerecorded", "automated")


def _csv_header(path: str) -> list[str]:
    """The header's names: the first line that is not empty (Arrow's reader skips empty lines)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        try:
            lines = csv.reader(f)
            for names in lines:
                if not names:
                    continue
                if any(name.strip() for name in names):
                    return names
                line = lines.line_num
                if any(any(value.strip() for value in row) for row in lines):
                    raise CallColumnError(
                        f"line {line} holds only spaces where the header row naming the columns"
                        " belongs: remove it",
                        path=path,
                    )
        except UnicodeDecodeError:
            raise _not_utf8(path, header=True) from None
    raise no_calls(path, "the file is empty or holds only blank lines, not even a header row")


def _csv_reader(
    name: str | _GatedFile, header: Sequence[str], *, threads: bool, invalid_row: Any = None
) -> Any:
    # Every column is read as text: a number column stays as written, and the typing below knows
    # which row of which column is wrong.
    return pa_csv.open_csv(
        name,
        read_options=pa_csv.ReadOptions(block_size=_sizes.csv_block(), use_threads=threads),
        # A quoted value may hold line ends: Arrow's reader then finds where a block ends by the
        # quotes too, where it would otherwise cut a block at a line end inside a quoted value
        # (a file past the first block refused by a row it made up, "expected 4 fields, found 1").
        parse_options=pa_csv.ParseOptions(invalid_row_handler=invalid_row, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
        ),
    )


_STALL_BLOCKS = 3
"""Blocks read and not yet parsed into a batch taken, below which the reader may lack a block to
give the next batch from: Arrow's reader gives a block's rows once it holds the block after it
(which says whether the block is the last, and completes its last row)."""


class _GatedFile:
    """A CSV call file as Arrow's reader reads it, a block at a time (``read_buffer``, called in
    Arrow's reading thread), each block read only once ``budget`` admits its bytes: Arrow's
    reader otherwise reads up to 32 blocks ahead of the parsing (a queue of its own, which no
    option sets), and more or fewer of them at the moment the rest of the pipeline holds its
    most. Arrow gives one batch a block, in order: :meth:`taken` says which bytes a batch came
    from. Over the budget, a block is admitted where the pipeline would stall without it (its
    last stage waits for rows, ``budget.starving``, and Arrow lacks the block that gives them)."""

    def __init__(self, name: str, budget: _Budget) -> None:
        self._file = open(name, "rb", buffering=0)  # noqa: SIM115 (closed by close)
        info = os.fstat(self._file.fileno())
        self._size = info.st_size if stat.S_ISREG(info.st_mode) else None
        self._pos = 0
        self.budget = budget
        self.blocks: collections.deque[int] = collections.deque()
        """The bytes of each block read whose batch is not yet taken (:meth:`taken`)."""
        self.closed = False

    def _stalled(self) -> bool:
        # Read under the budget's lock: no lock of its own to take here.
        return self.closed or (self.budget.starving and len(self.blocks) < _STALL_BLOCKS)

    def read_buffer(self, n: int) -> pa.Buffer:
        """Up to ``n`` bytes, once the budget admits them (none once closed: the end of the file)."""
        want = n
        if self._size is not None:
            # Past the size the file had, the end of the file is asked for, not waited for; were
            # the file to have grown, what is read is taken as it is (it is read all the same).
            want = max(min(n, self._size - self._pos), 0)
        if want:
            if not self.budget.acquire(want, self._stalled):  # closed
                return pa.py_buffer(b"")
            if self.closed:
                self.budget.release(want)
                return pa.py_buffer(b"")
        elif self.closed:
            return pa.py_buffer(b"")
        size = want or n
        try:
            buffer = pa.allocate_buffer(size, resizable=True)
            got = self._file.readinto(memoryview(buffer)) or 0
        except BaseException:
            self.budget.release(want)
            raise
        if got < size:
            buffer.resize(got)
        if got > want:
            self.budget.acquire(got - want, lambda: True)
        elif got < want:
            self.budget.release(want - got)
        if got:
            self.blocks.append(got)
            self._pos += got
        return buffer

    def read(self, n: int) -> bytes:
        return bytes(self.read_buffer(n).to_pybytes())

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._pos

    def taken(self) -> int:
        """The bytes of the block the batch just taken from Arrow's reader was parsed from."""
        n = self.blocks.popleft() if self.blocks else 0
        self.budget.poke()  # one block fewer waiting to be parsed: the pipeline may be stalled
        return n

    def stop(self) -> None:
        """Read nothing more (the end of the file for Arrow's reader)."""
        self.closed = True
        self.budget.poke()

    def close(self) -> None:
        self.stop()
        self._file.close()


def _bad_csv_row(name: str, header: Sequence[str], error: pa.ArrowInvalid) -> CallColumnError:
    """The error of a CSV file the threaded reader refused: read again on one thread, where the
    number of a row with the wrong count of fields is known."""
    ragged: list[Any] = []

    def invalid_row(row: Any) -> str:
        ragged.append(row)
        return "error"

    try:
        for _ in _csv_reader(name, header, threads=False, invalid_row=invalid_row):
            pass
    except pa.ArrowInvalid as e:
        error = e
    if ragged:
        bad = ragged[0]
        row = bad.number - 1 if bad.number is not None else None  # the header is row 0
        message = f"expected {bad.expected_columns} fields, found {bad.actual_columns}: {bad.text}"
        return CallColumnError(message, path=name, row=row)
    if "straddl" in str(error):
        long = _long_row(name)
        if long is not None:
            return long
    return CallColumnError(f"cannot read: {error}", path=name)


def _long_row(name: str) -> CallColumnError | None:
    """The error naming the first row longer than a read block (:func:`._sizes.csv_block`), which
    Arrow's reader refuses without naming it ("straddles two block boundaries"): read again by
    Python's CSV reader, whose field limit is set to the block for the search (a value that long
    is refused at once, never held whole; a row is measured in UTF-8 bytes)."""
    block = _sizes.csv_block()
    limit = csv.field_size_limit(block)
    try:
        with open(name, encoding="utf-8-sig", newline="") as f:
            lines = csv.reader(f)
            row = -1  # the header is row 0
            start = 1
            try:
                for fields in lines:
                    if fields:
                        row += 1
                        if sum(len(v.encode()) for v in fields) + len(fields) > block:
                            break
                    start = lines.line_num + 1
                else:
                    return None
            except csv.Error:
                row += 1
    finally:
        csv.field_size_limit(limit)
    return CallColumnError(
        f"the row starting on line {start:,} is longer than {block >> 20} MiB, the most a row may"
        " hold: a quote opened and never closed takes in the lines after it (close it), or a"
        " field holds far more than a call needs (shorten it)",
        path=name,
        row=max(row, 0),
    )


def _check_closed(name: str, last: pa.Scalar, row: int) -> None:
    """Refuse a CSV file whose last value opened a quote never closed: Arrow's reader takes the
    rest of the file into that value, every row after it with it, and gives no error (a listed
    number's row after a stray quote was never decided). The last value of the last row holds a
    line end only when it was quoted, so the file then ends with its closing quote (and at most
    a line end); a value that runs to the end of the file does not."""
    value = last.as_py()
    if not isinstance(value, str) or ("\n" not in value and "\r" not in value):
        return
    with open(name, "rb") as f:
        f.seek(max(os.fstat(f.fileno()).st_size - 3, 0))
        tail = f.read()
    if tail.rstrip(b"\r\n").endswith(b'"'):
        return
    raise CallColumnError(
        "a quoted value is never closed: it runs to the end of the file, taking in every line"
        " after its opening quote; close the quote (a quote inside a quoted value is written twice)",
        path=name,
        row=row,
    )


def _raw_batches(path: str | os.PathLike[str], budget: _Budget | None = None) -> Iterator[pa.Table]:
    """The file's rows as read, in batches; a file without rows is refused (:func:`no_calls`).

    ``budget``: a CSV file is read a block at a time as the budget admits its bytes
    (:class:`_GatedFile`), each batch's bytes held until its rows are done with
    (:meth:`._Budget.charge`); without one, Arrow's reader reads ahead as it does."""
    name = os.fspath(path)
    suffix = _check_suffix(path, _TABLE_SUFFIXES, "table")
    empty = True
    if suffix == ".csv":
        header = _csv_header(name)
        gate = None if budget is None else _GatedFile(name, budget)
        reader = None
        try:
            # Parsed on every core; a file that does not parse is read again to name its bad row.
            reader = _csv_reader(name if gate is None else gate, header, threads=True)
            step = _sizes.batch_rows()  # a block holds more rows than that only when asked
            rows = 0
            last = None
            for batch in reader:
                if gate is not None:
                    gate.budget.charge(batch.num_rows, gate.taken())
                if batch.num_rows:
                    empty = False
                    rows += batch.num_rows
                    last = batch.column(batch.num_columns - 1)[batch.num_rows - 1]
                for lo in range(0, batch.num_rows, step):
                    yield pa.Table.from_batches([batch.slice(lo, step)])
            if gate is not None and (gate.closed or gate.budget.closed):
                return  # stopped part way: what was read is not the whole file
            if last is not None:
                _check_closed(name, last, rows)
        except pa.ArrowInvalid as e:
            if gate is not None and (gate.closed or gate.budget.closed):
                return  # stopped part way: what was read is not the whole file
            if "invalid UTF8" in str(e):
                raise _not_utf8(name, header=True) from None
            raise _bad_csv_row(name, header, e) from None
        finally:
            if gate is not None:
                gate.stop()  # a block Arrow's reader waits for is the end of the file
                if reader is not None:
                    reader.close()
                gate.close()
    else:
        try:
            parquet = pq.ParquetFile(name)
            for batch in parquet.iter_batches(batch_size=_sizes.read_rows()):
                empty = empty and not batch.num_rows
                yield pa.Table.from_batches([batch])
        except pa.ArrowInvalid as e:
            raise CallColumnError(f"cannot read: {e}", path=name) from None
    if empty:
        raise no_calls(name, "only a header row" if suffix == ".csv" else "the table has no rows")


def read_table_batches(
    path: str | os.PathLike[str], *, defaults: Defaults, budget: _Budget | None = None
) -> Iterator[Batch]:
    """Read a CSV or Parquet call file in batches, each typed and checked by :func:`normalise`
    (``budget``: the bytes of a CSV file in flight, see :func:`_raw_batches`)."""
    name = os.fspath(path)
    first_row = 1
    for raw in _raw_batches(path, budget):
        calls, at_times = _typed(raw, path=name, first_row=first_row, defaults=defaults)
        yield Batch(raw, calls, first_row, at_times)
        first_row += raw.num_rows


def _first_failure(values: pa.Array, convert: Callable[[pa.Array], object]) -> int:
    """The index of the first value that ``convert`` rejects (a bisection over slices)."""
    lo, hi = 0, len(values)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            convert(values.slice(lo, mid - lo))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            hi = mid
        else:
            lo = mid
    return lo


def _bad(message: str, *, path: str, row: int | None, column: str) -> CallColumnError:
    return CallColumnError(message, path=path, row=row, column=column)


def _one_chunk(values: pa.ChunkedArray) -> pa.Array:
    """``values`` as one array (its one chunk as it is: a batch read from a file has one)."""
    return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()


def _as_string(values: pa.ChunkedArray, *, path: str, first_row: int, column: str) -> pa.Array:
    arr = _one_chunk(values)
    if pa.types.is_string(arr.type):
        return arr
    if pa.types.is_large_string(arr.type):
        return arr.cast(pa.string())
    if pa.types.is_integer(arr.type) or pa.types.is_dictionary(arr.type):
        return arr.cast(pa.string())
    raise _bad(f"expected text, found a column of {arr.type}", path=path, row=None, column=column)


_DATE_RANGE = (dt.date(1, 1, 1), dt.date(9999, 12, 31))


def _check_range(
    values: pa.Array,
    low: object,
    high: object,
    *,
    path: str,
    first_row: int,
    column: str,
    text: pa.Array,
    words: str = "dncguard reads the years 1 to 9999",
) -> None:
    """Refuse a value outside ``low``..``high`` (year 0, year 10000) by file, row and field."""
    # The least and greatest values first (one pass); the row is searched for only when one is out.
    least, greatest = pc.min_max(values).values()
    if not least.is_valid:
        return
    # Dates and instants compared as the whole numbers they are stored as (days, microseconds):
    # no Arrow call per bound.
    low_value, high_value = _stored(low, values.type), _stored(high, values.type)
    if not (least.value < low_value or greatest.value > high_value):
        return
    outside = pc.or_(
        pc.less(values, pa.scalar(low, values.type)), pc.greater(values, pa.scalar(high, values.type))
    )
    bad = _first_true(outside)
    if bad is not None:
        value = text[bad].as_py()
        shown = repr(value) if isinstance(value, str) else "the value"
        raise _bad(
            f"{shown} is out of range: {words}",
            path=path,
            row=first_row + bad,
            column=column,
        )


@functools.lru_cache(maxsize=16)
def _stored(value: object, type_: pa.DataType) -> Any:
    """``value`` as a column of ``type_`` stores it (a date32's days, a timestamp's count of its
    unit since the epoch): what ``.value`` of the column's scalars gives."""
    return pa.scalar(value, type_).value


def _parse_at(arr: pa.Array, *, path: str, first_row: int) -> tuple[pa.Array, pa.Array | None]:
    """Check the ``at`` column; return it as given (text trimmed), and the instants the text
    reads as (None for timestamps).

    The written UTC offset is kept, not converted away: where the called party's zone is unknown
    it is the caller's calendar that dates the call, in ``check`` and ``scrub`` alike.
    """
    if pa.types.is_timestamp(arr.type):
        if arr.type.tz is None:
            valid = pc.indices_nonzero(arr.is_valid())
            row = first_row + (valid[0].as_py() if len(valid) else 0)
            raise _bad(
                "a timestamp without a time zone is ambiguous: store aware timestamps (UTC)",
                path=path,
                row=row,
                column="at",
            )
        _check_range(
            arr.cast(AT_TYPE),
            *AT_RANGE,
            path=path,
            first_row=first_row,
            column="at",
            text=arr,
            words=AT_RANGE_WORDS,
        )
        return arr, None
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise _bad(
            f"expected an ISO 8601 date-time, found a column of {arr.type}", path=path, row=None, column="at"
        )
    text = arr.cast(pa.string())

    def convert(a: pa.Array) -> pa.Array:
        return a.cast(AT_TYPE)

    try:
        # Arrow parses no value with outer white space: text that parses as it is needs no trim.
        parsed = convert(text)
    except pa.ArrowInvalid:
        parsed = None
    if parsed is None:
        text = trimmed(text)
        try:
            parsed = convert(text)
        except pa.ArrowInvalid:
            parsed = None
    if parsed is None:
        i = _first_failure(text, convert)
        value = text[i].as_py()
        try:
            pa.array([value]).cast(pa.timestamp("us"))
            why = "has no UTC offset: a naive time is ambiguous, write e.g. 2026-03-16T14:00:00-04:00"
        except pa.ArrowInvalid:
            why = "is not an ISO 8601 date-time with a UTC offset such as 2026-03-16T14:00:00-04:00"
        raise _bad(f"{value!r} {why}", path=path, row=first_row + i, column="at") from None
    _check_range(
        parsed, *AT_RANGE, path=path, first_row=first_row, column="at", text=text, words=AT_RANGE_WORDS
    )
    return text, parsed


def _may_be_blank(values: pa.Array) -> bool:
    """Whether some value of a string array may be blank: one is empty, or starts with a byte
    that may be (or begin) whitespace. A look at each value's length and first byte, where the
    kernels that say it for sure read every character."""
    if not pa.types.is_string(values.type) or not len(values):
        return True
    _, offsets_buf, data = values.buffers()
    offsets = np.frombuffer(offsets_buf, np.int32, count=len(values) + 1, offset=values.offset * 4)
    start, end = offsets[:-1], offsets[1:]
    filled = end > start
    if values.null_count:
        empty = ~filled
        empty &= np.asarray(values.is_valid().to_numpy(zero_copy_only=False), bool)
        if empty.any():
            return True
        start = start[filled]
    elif not filled.all():
        return True
    if data is None:
        return False  # every value null
    # ``take``, not indexing: numpy indexes by a column of small integers some 3x slower.
    return bool(_MAY_BE_SPACE.take(np.frombuffer(data, np.uint8).take(start)).any())


def _blank_as_null(values: pa.Array) -> pa.Array:
    """Blank text (empty or only spaces) as absent: the same test as an empty trimmed value,
    without a copy when there is none."""
    if not _may_be_blank(values):
        return values
    blank = pc.or_(pc.utf8_is_space(values), pc.equal(pc.binary_length(values), 0))
    if pc.any(blank).as_py():
        return pc.if_else(blank, pa.scalar(None, values.type), values)
    return values


def _parse_date(arr: pa.Array, *, path: str, first_row: int, column: str) -> pa.Array:
    dates = _parse_any_date(arr, path=path, first_row=first_row, column=column)
    _check_range(dates, *_DATE_RANGE, path=path, first_row=first_row, column=column, text=arr)
    return dates


def _parse_any_date(arr: pa.Array, *, path: str, first_row: int, column: str) -> pa.Array:
    if pa.types.is_date(arr.type):
        return arr.cast(pa.date32())
    if pa.types.is_timestamp(arr.type):
        # A datetime stands for its own calendar date (as dncguard.models reads it).
        if arr.type.tz is not None:
            arr = pc.local_timestamp(arr)
        return arr.cast(pa.date32())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise _bad(f"expected a date, found a column of {arr.type}", path=path, row=None, column=column)

    def convert(a: pa.Array) -> pa.Array:
        a = pc.utf8_trim_whitespace(a)
        # "2026-03-16T10:00:00-04:00" stands for 2026-03-16, as in dncguard.models.
        # Only a whole date-time is cut to its date: "2025-12-01 junk" is refused, not read as a date.
        is_datetime = pc.match_substring_regex(a, DATE_TIME_TEXT)
        return pc.if_else(is_datetime, pc.utf8_slice_codeunits(a, 0, 10), a).cast(pa.date32())

    if arr.null_count == len(arr):
        return pa.nulls(len(arr), pa.date32())
    try:
        # Plain YYYY-MM-DD everywhere (the common case) casts as is: then no value is blank
        # either (blank text does not cast).
        return arr.cast(pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # Blank text is no date, as an empty CSV field (a Parquet file may hold ""); nulled before
    # the cast, which is no test: a failing cast costs ~0.3 us a row.
    arr = _blank_as_null(arr)
    try:
        # Plain YYYY-MM-DD everywhere (the common case) casts as is; anything else (spaces, a
        # date-time standing for its date) goes through convert, which gives the same dates.
        return arr.cast(pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:
        return convert(arr)
    except pa.ArrowInvalid:
        i = _first_failure(arr, convert)
        raise _bad(
            f"{arr[i].as_py()!r} is not a date: write YYYY-MM-DD", path=path, row=first_row + i, column=column
        ) from None


def _parse_bool(arr: pa.Array, *, path: str, first_row: int, column: str) -> pa.Array:
    if pa.types.is_boolean(arr.type):
        return arr
    if pa.types.is_integer(arr.type):
        return pc.not_equal(arr, 0)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise _bad(f"expected true/false, found a column of {arr.type}", path=path, row=None, column=column)
    text = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
    truthy = pc.is_in(text, value_set=pa.array(["true", "1", "yes", "y", "t"]))
    falsy = pc.is_in(text, value_set=pa.array(["false", "0", "no", "n", "f"]))
    bad = pc.and_(arr.is_valid(), pc.invert(pc.or_(truthy, falsy)))
    if pc.any(bad).as_py():
        i = pc.indices_nonzero(bad)[0].as_py()
        raise _bad(f"{arr[i].as_py()!r} is not true or false", path=path, row=first_row + i, column=column)
    return pc.if_else(arr.is_valid(), truthy, pa.scalar(None, pa.bool_()))


def _attempts(arr: pa.Array, *, path: str, first_row: int) -> pa.Array:
    """The ``attempts`` column: a list of aware timestamps per row (Parquet), handed to bulk as it
    is. Text (a CSV file) cannot say a list of times: refused where a row gives one, never
    ignored (the earlier calls count against a frequency cap)."""
    if pa.types.is_null(arr.type) or arr.null_count == len(arr):
        return pa.nulls(len(arr), pa.list_(AT_TYPE))
    if (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)) and pa.types.is_timestamp(
        arr.type.value_type
    ):
        return arr
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        bad = _first_true(pc.invert(pc.or_(arr.is_null(), pc.or_(pc.utf8_is_space(arr), pc.equal(arr, "")))))
        if bad is None:
            return pa.nulls(len(arr), pa.list_(AT_TYPE))
        raise _bad(
            f"{arr[bad].as_py()!r}: earlier calls cannot be given in a CSV cell; give them in a JSON call"
            " file (a list of ISO 8601 times) or a Parquet list of timestamps, or record placed calls in"
            " the ledger (--ledger)",
            path=path,
            row=first_row + bad,
            column="attempts",
        )
    raise _bad(
        f"expected a list of timestamps with a time zone, found a column of {arr.type}",
        path=path,
        row=None,
        column="attempts",
    )


def _first_true(mask: pa.Array) -> int | None:
    if not pc.any(mask).as_py():  # nulls are skipped: all null or none true is None / False
        return None
    return int(pc.indices_nonzero(pc.fill_null(mask, False))[0].as_py())


def _repeat(value: str, n: int) -> pa.Array:
    """``value`` ``n`` times, as a dictionary column: a byte a row, not a copy of the text each
    row (``Guard.scrub`` and Arrow's kernels read it as the text). Its indices (all 0, the one
    value) need no check that they are in range."""
    zeros = pa.Array.from_buffers(pa.int8(), n, [None, pa.py_buffer(bytes(n))])
    return pa.DictionaryArray.from_arrays(zeros, pa.array([value], pa.string()), safe=False)


def _separator_hint(names: Sequence[str]) -> str:
    """A hint when the header looks split by another separator than the comma CSV uses."""
    for separator, word in ((";", "semicolon"), ("\t", "tab"), ("|", "bar")):
        if any(separator in name for name in names):
            return (
                f" (the header {','.join(names)!r} holds a {word}: the separator may be wrong; "
                "a .csv call file is comma-separated)"
            )
    return ""


def normalise(raw: pa.Table, *, path: str, first_row: int, defaults: Defaults) -> pa.Table:
    """Type and check the call columns of ``raw`` (see :class:`Batch`); raise :class:`CallColumnError`.

    Columns are matched by name, ignoring case and outer spaces. Absent or null ``at``/``seller``/
    ``purpose`` take ``defaults``; a null ``caller``/``purpose``/``line`` takes the Call default;
    a null ``prerecorded`` or ``automated`` is false, a null ``channel`` voice. Columns that are not
    call fields are left out.
    """
    return _typed(raw, path=path, first_row=first_row, defaults=defaults)[0]


def _typed(
    raw: pa.Table, *, path: str, first_row: int, defaults: Defaults
) -> tuple[pa.Table, pa.Array | None]:
    """:func:`normalise`, and the instants of its ``at`` column where that is text parsed here
    without a null (see :attr:`Batch.at_times`), else None."""
    # A near miss of a call field (or two columns giving one) is an error (docs/defaults.md).
    call_columns(raw.column_names, fold_case=True, path=path)
    by_name: dict[str, pa.ChunkedArray] = {}
    for name, values in zip(raw.column_names, raw.columns, strict=True):
        key = name.strip().lower()
        if key in _KNOWN and key not in by_name:
            by_name[key] = values
    n = raw.num_rows
    constant: set[str] = set()  # columns the file lacks, filled with one default for every row
    if "to" not in by_name:
        raise _bad(
            "no such column: the called number is required" + _separator_hint(raw.column_names),
            path=path,
            row=None,
            column="to",
        )
    out: dict[str, pa.Array] = {}
    at_times: pa.Array | None = None
    for column in (
        "to",
        "at",
        "seller",
        *_CHOICES,
        *_BOOL_COLUMNS,
        "callee_region",
        "callee_timezone",
        *_DATE_COLUMNS,
        "attempts",
    ):
        given = by_name.get(column)
        if column == "at":
            if given is None:
                values = pa.nulls(n, pa.string())
            else:
                values, at_times = _parse_at(_one_chunk(given), path=path, first_row=first_row)
                if values.null_count:  # the filled rows are not parsed here
                    at_times = None
            if defaults.at is not None:
                default_at = defaults.at.isoformat() if pa.types.is_string(values.type) else defaults.at
                values = pc.fill_null(values, pa.scalar(default_at, values.type))
        elif column in _DATE_COLUMNS:
            if given is None:
                continue
            values = _parse_date(_one_chunk(given), path=path, first_row=first_row, column=column)
        elif column in _BOOL_COLUMNS:
            if given is None:
                continue
            values = _parse_bool(_one_chunk(given), path=path, first_row=first_row, column=column)
            values = pc.fill_null(values, False)
        elif column == "attempts":
            if given is None:
                continue
            values = _attempts(_one_chunk(given), path=path, first_row=first_row)
        else:
            default: str | None = None
            if column == "seller":
                default = defaults.seller
            elif column == "purpose":
                default = defaults.purpose or Call.model_fields["purpose"].default
            elif column in ("caller", "line") or (column == "channel" and given is not None):
                default = Call.model_fields[column].default
            if given is None:
                if default is None:
                    if column in ("callee_region", "callee_timezone", "consent_kind", "channel"):
                        continue
                    values = pa.nulls(n, pa.string())
                else:
                    values = _repeat(default, n)
                    constant.add(column)
            else:
                values = _as_string(given, path=path, first_row=first_row, column=column)
                values = _blank_as_null(values)
                if default is not None:
                    values = pc.fill_null(values, default)
        out[column] = values

    for column in ("to", "at", "seller"):
        if not out[column].null_count:
            continue
        missing = _first_true(out[column].is_null())
        if missing is not None:
            hint = f" (or give --{column})" if column != "to" else ""
            raise _bad(
                f"missing: every call needs it{hint}", path=path, row=first_row + missing, column=column
            )
    for column, allowed in _CHOICES.items():
        if column not in out:
            continue
        values = out[column].slice(0, 1).dictionary_decode() if column in constant else out[column]
        bad = _first_true(
            pc.and_(values.is_valid(), pc.invert(pc.is_in(values, value_set=pa.array(allowed))))
        )
        if bad is not None:
            value = out[column][bad].as_py()
            raise _bad(
                f"{value!r} is not one of {', '.join(allowed)}", path=path, row=first_row + bad, column=column
            )
    if "callee_region" in out:
        region = pc.utf8_upper(pc.utf8_trim_whitespace(out["callee_region"]))
        bad = _first_true(pc.invert(pc.match_substring_regex(region, r"^(US|CA)-.")))
        if bad is not None:
            value = out["callee_region"][bad].as_py()
            raise _bad(
                f"{value!r} is not ISO 3166-2 such as 'US-GA' or 'CA-ON'",
                path=path,
                row=first_row + bad,
                column="callee_region",
            )
        for value in pc.unique(region.drop_null()).to_pylist():
            try:
                geography.region_zones(value)
            except ValueError as e:
                row = first_row + int(pc.index(region, value).as_py())
                raise _bad(str(e), path=path, row=row, column="callee_region") from None
        out["callee_region"] = region
    if "callee_timezone" in out:
        zones = out["callee_timezone"]
        for zone in pc.unique(zones.drop_null()).to_pylist():
            try:
                zoneinfo.ZoneInfo(zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                row = first_row + int(pc.index(zones, zone).as_py())
                raise _bad(
                    f"{zone!r} is not an IANA time zone such as 'America/Chicago'",
                    path=path,
                    row=row,
                    column="callee_timezone",
                ) from None
    has_on, has_kind = "consent_on" in out, "consent_kind" in out
    if has_on or has_kind:
        on = out["consent_on"] if has_on else pa.nulls(n, pa.date32())
        kind = out["consent_kind"] if has_kind else pa.nulls(n, pa.string())
        for need, have in (("consent_on", kind), ("consent_kind", on)):
            other = "consent_kind" if need == "consent_on" else "consent_on"
            lacking = on if need == "consent_on" else kind
            bad = _first_true(pc.and_(have.is_valid(), lacking.is_null()))
            if bad is not None:
                raise _bad(
                    f"missing: required when {other} is set", path=path, row=first_row + bad, column=need
                )
    sellers = out["seller"].slice(0, 1).dictionary_decode() if "seller" in constant else out["seller"]
    seller_blank = _first_true(pc.equal(pc.utf8_trim_whitespace(sellers), ""))
    if seller_blank is not None:
        raise _bad(
            "empty: name the party on whose behalf the call is made",
            path=path,
            row=first_row + seller_blank,
            column="seller",
        )
    return pa.table(out), at_times
