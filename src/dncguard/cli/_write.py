"""Writing ``scrub``'s output: the decision columns' schema and an atomic CSV / Parquet writer."""

from __future__ import annotations

import datetime as dt
import os
import sys

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from dncguard.cli._callfile import _TABLE_SUFFIXES, AT_TYPE, _check_suffix

# --- writing ----------------------------------------------------------------------------------

DECISION_SCHEMA = pa.schema(
    [
        ("allowed", pa.bool_()),
        ("reason", pa.string()),
        ("reasons", pa.list_(pa.string())),
        ("next_allowed_at", AT_TYPE),
    ]
)


_ISO_YEARS = (
    int(dt.datetime(1000, 1, 1, tzinfo=dt.UTC).timestamp()),
    int(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp()),
)
"""The seconds whose ISO 8601 text has a four-digit year."""


def iso_utc(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Aware timestamps as ISO 8601 text in UTC, to the second (``2026-03-16T18:00:00Z``): what
    ``strftime("%Y-%m-%dT%H:%M:%SZ")`` writes, at a fraction of its cost (which is about 0.8 us
    a value). Each distinct second is written once when values repeat (``next_allowed_at``);
    nulls stay null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    seconds = pc.cast(values, pa.timestamp("s", tz="UTC"), safe=False)
    encoded = seconds.dictionary_encode()
    if 2 * len(encoded.dictionary) <= len(seconds):
        return pc.take(_iso_seconds(encoded.dictionary), encoded.indices)
    return _iso_seconds(seconds)


def _iso_seconds(seconds: pa.Array) -> pa.Array:
    numbers = seconds.cast(pa.int64())
    low, high = pc.min_max(numbers).values()
    if low.as_py() is None or low.as_py() < _ISO_YEARS[0] or high.as_py() > _ISO_YEARS[1]:
        return pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ")
    # A naive timestamp cast to text is "YYYY-MM-DD HH:MM:SS", without time zone lookups.
    text = pc.cast(numbers.cast(pa.timestamp("s")), pa.string())
    return pc.binary_join_element_wise(
        pc.utf8_replace_slice(text, start=10, stop=11, replacement="T"), "Z", ""
    )


_FORMULA_START = r"^[=+\-@\t\r]"
"""What a spreadsheet reads as the start of a formula (OWASP "CSV injection")."""


_FORMULA_BYTES = np.zeros(256, np.bool_)
_FORMULA_BYTES[np.frombuffer(b"=+-@\t\r", np.uint8)] = True


def _formula_start(values: pa.Array) -> npt.NDArray[np.bool_]:
    """Whether each cell of a string array starts with a formula character, from its first byte
    (they are all ASCII, so a UTF-8 first byte is exact): no regular expression per cell."""
    buffers = values.buffers()
    if len(values) == 0 or buffers[2] is None or len(buffers[2]) == 0:
        return np.zeros(len(values), np.bool_)
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    every: npt.NDArray[np.int64] = np.frombuffer(buffers[1], width).astype(np.int64, copy=False)
    offsets = every[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(buffers[2], np.uint8)
    starts = offsets[:-1]
    hit: npt.NDArray[np.bool_] = _FORMULA_BYTES[data[np.minimum(starts, len(data) - 1)]]
    nonempty: npt.NDArray[np.bool_] = offsets[1:] > starts  # an empty cell starts with nothing
    return hit & nonempty


_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"
"""A plain number (``+12125550143``, ``-5``, ``3.25``): a spreadsheet reads it as that number."""


def neutralise_formulas(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text cells made safe for a spreadsheet, a column at a time: a cell that starts with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe (shown by a
    spreadsheet, never evaluated), unless it is a plain number such as ``+12125550143`` or ``-5``
    (a cell a spreadsheet reads as that number: it stays as written). The rule of
    :func:`dncguard.ledger_cli.neutralise_formulas`, without a Python step per cell; a column
    without such a cell is returned as it is.
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    if not any(_formula_start(chunk).any() for chunk in chunks):
        return values  # the common case, at about 30 ms a million cells
    starts = pc.match_substring_regex(values, _FORMULA_START)
    risky = pc.and_(starts, pc.invert(pc.match_substring_regex(values, _PLAIN_NUMBER)))
    if not pc.any(risky).as_py():
        return values
    quote, nothing = pa.scalar("'", values.type), pa.scalar("", values.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, values, nothing), values)


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _for_csv(table: pa.Table) -> pa.Table:
    """CSV has no lists: ``reasons`` becomes codes joined by ``;``; times become ISO 8601 (UTC);
    text that a spreadsheet would evaluate as a formula is neutralised (:func:`neutralise_formulas`)."""
    columns = []
    for values in table.columns:
        if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
            values = pc.binary_join(values, ";")
        elif pa.types.is_timestamp(values.type) and values.type.tz is not None:
            values = iso_utc(values)
        elif pa.types.is_dictionary(values.type) and _is_text(values.type.value_type):
            values = values.cast(values.type.value_type)
        if _is_text(values.type):
            values = neutralise_formulas(values)
        columns.append(values)
    names = neutralise_formulas(pa.array(table.column_names, pa.string())).to_pylist()
    return pa.table(columns, names=names)


class OutputWriter:
    """Write tables to a ``.csv`` or ``.parquet`` file batch by batch, atomically.

    The rows go to a temporary file beside ``path``, flushed to disk (fsync) and renamed over it
    by :meth:`close`, then the directory is flushed: an interrupted run or a crash never leaves a
    half-written output. Use as a context manager.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.suffix = _check_suffix(path, _TABLE_SUFFIXES, "output")
        directory = os.path.dirname(os.path.abspath(self.path))
        # Created as open() creates a file (mode 0666 less the umask), not mkstemp's 0600: the
        # output is the user's file, for other programs to read.
        name = f".dncguard-{os.getpid()}-{os.urandom(4).hex()}{self.suffix}"
        self._tmp = os.path.join(directory, name)
        os.close(os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        self._writer: pa_csv.CSVWriter | pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        """Append ``table``'s rows (every call must have the same schema)."""
        if self.suffix == ".csv":
            table = _for_csv(table)
            if self._writer is None:
                self._writer = pa_csv.CSVWriter(self._tmp, table.schema)
        elif self._writer is None:
            self._writer = pq.ParquetWriter(self._tmp, table.schema)
        self._writer.write_table(table)

    def close(self, *, keep: bool = True) -> None:
        """Finish the file and move it into place (``keep=False``: discard it)."""
        if self._writer is not None:
            self._writer.close()
        if not keep:
            os.unlink(self._tmp)
            return
        # On disk before it is in place, as an index is: a crash leaves the old file or the new
        # one, never a renamed file whose rows were still in the page cache.
        fd = os.open(self._tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self._tmp, self.path)
        if sys.platform != "win32":  # pragma: no branch - directories cannot be fsynced on Windows
            fd = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.close(keep=exc_type is None)
