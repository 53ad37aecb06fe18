"""A column of strings to national numbers and validity (:func:`parse_numbers`): RE2 over the
Arrow array, digits read straight from its buffers with numpy, in blocks, on two threads when a
core is idle; the rows no rule covers go to :func:`~dncguard.numbers.parse_number`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard._arraymem import in_thread
from dncguard.errors import ArgumentError, ArgumentTypeError, InvalidNumberError
from dncguard.numbers._plan import _MAX_INPUT_CHARS, _TWO_NUMBER_DIGITS, _plan
from dncguard.numbers._scalar import _EXTENSION_ROW, _PLAIN_ROW, _PREFIXES_PLAIN, _PREFIXES_PLUS, parse_number

# ---------------------------------------------------------------------------------------------
# The vectorised parser.
# ---------------------------------------------------------------------------------------------

# Sure refusals among the other rows: ASCII without a digit; ASCII without ";" "/" "\\" whose
# last digit is followed by three or more letters (a spelling: no extension can follow).
_NO_DIGITS_ROW: Final = r"^[\x00-\x2f\x3a-\x7f]*$"
_TRAILING_LETTERS_ROW: Final = (
    r"^[\x00-\x2e\x30-\x3a\x3c-\x5b\x5d-\x7f]*[0-9](?:[^0-9;/\\\x{80}-\x{10ffff}]*[A-Za-z]){3}"
    r"[^0-9;/\\\x{80}-\x{10ffff}]*$"
)
_HEAD_WEIGHTS: Final = 10 ** np.arange(4, -1, -1, dtype=np.int64)
_THREADS_FROM_ROWS: Final = 20_000
_BLOCK_ROWS: Final = 65_536  # rows per block: its arrays stay in cache, and memory stays bounded


def _eight_digits(word: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """The values of 8 ASCII digits packed in little-endian uint64s, and of their first 4."""
    x = word - np.uint64(0x3030303030303030)
    x = (x * np.uint64(10) + (x >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    x = (x * np.uint64(100) + (x >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    four = (x & np.uint64(0xFFFF)).astype(np.int32)
    x = (x * np.uint64(10000) + (x >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return x.astype(np.int64), four


def _row_counts(
    digits: npt.NDArray[np.bool_],
    others: npt.NDArray[np.bool_],
    starts: npt.NDArray[np.integer[Any]],
    lengths: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """How many bytes of each row are marked in ``digits`` and in ``others`` (rows start at
    ``starts``, ``lengths`` bytes long; the masks cover the rows' bytes back to back).

    One ``reduceat`` (its cost is per row) sums both as the two bytes of a ``uint16`` when no
    row is longer than 255 bytes; the sums get one 0 past the end, so that every start (an empty
    last row starts at the end) is a valid index, and an empty row, for which ``reduceat`` gives
    the value at its start, is reset to 0.
    """
    empty = lengths == 0
    if len(lengths) and int(lengths.max()) <= 255:
        both = np.zeros(len(digits) + 1, dtype=np.uint16)
        np.left_shift(others, 8, out=both[:-1], dtype=np.uint16)
        both[:-1] |= digits
        sums = np.add.reduceat(both, starts)
        sums[empty] = 0
        return (sums & 0xFF).astype(np.int64), (sums >> 8).astype(np.int64)
    out = []
    for marked in (digits, others):
        padded = np.zeros(len(marked) + 1, dtype=np.uint8)
        padded[:-1] = marked
        one = np.add.reduceat(padded, starts, dtype=np.int64)
        one[empty] = 0
        out.append(one)
    return out[0], out[1]


def _matches(arr: pa.Array, pattern: str) -> npt.NDArray[np.bool_]:
    """Where the RE2 ``pattern`` matches (False for nulls)."""
    found: npt.NDArray[np.bool_] = pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(
        zero_copy_only=False
    )
    return found


def _parse_slice(arr: pa.Array) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
    """Vectorised :func:`parse_number` on one Arrow array: (numbers, valid, rows left to it).

    In steps: where each row's digits are (:func:`_digit_runs`), which rule covers it
    (:func:`_covering_rule`), how long its extension is (:func:`_extension_digits`), and its
    national number read from the digits and checked against the plan (:func:`_read_numbers`).
    """
    n = len(arr)
    numbers = np.zeros(n, dtype=np.uint64)
    valid = np.zeros(n, dtype=bool)
    present = arr.is_valid().to_numpy(zero_copy_only=False)
    offset_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=offset_type)[arr.offset : arr.offset + n + 1].astype(np.int64)
    lengths = offsets[1:] - offsets[:-1]
    base = int(offsets[0])
    if data_buf is None or offsets[-1] == base:
        return numbers, valid, np.zeros(0, dtype=np.intp)
    data = np.frombuffer(data_buf, dtype=np.uint8)[base : int(offsets[-1])]
    runs = _digit_runs(data, offsets[:-1] - base, lengths)
    plain, extension, refused = _covering_rule(arr, present, lengths, runs)
    fast = plain | extension
    if len(runs.where) == 0:  # no digit anywhere: every row is refused or left to parse_number
        return numbers, valid, np.flatnonzero(~fast & ~refused)
    ext_digits = _extension_digits(extension, runs)
    in_number = runs.counts - ext_digits
    ok = fast & (in_number >= 10) & (in_number <= 15) & (ext_digits < _TWO_NUMBER_DIGITS)
    idx = np.flatnonzero(ok)
    if len(idx):
        nn, good = _read_numbers(data, runs, idx, in_number[idx])
        numbers[idx] = np.where(good, nn, 0).astype(np.uint64)
        valid[idx] = good
    return numbers, valid, np.flatnonzero(~fast & ~refused)


class _Runs(NamedTuple):
    """Where a slice's digits (and "+" signs) are, per row."""

    where: npt.NDArray[np.intp]
    """Positions of the digits and "+" signs in the slice's bytes."""
    first: npt.NDArray[np.int64]
    """Per row, the index in ``where`` of its first digit (after a leading "+")."""
    counts: npt.NDArray[np.int64]
    """Per row, its digits (a leading "+" not counted)."""
    plus: npt.NDArray[np.bool_]
    """The row's digits follow a "+"."""
    others_in_row: npt.NDArray[np.int64]
    """Per row, its characters other than digits and " ().-/"."""


def _digit_runs(
    data: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
) -> _Runs:
    """Where the digits (and "+" signs) are, and per row the index of its first one among them.
    In a covered row, a "+" can only be the one just before the number's first digit."""
    digits = ((data - ord("0")) < 10) | (data == ord("+"))
    where = np.flatnonzero(digits)
    # Characters other than digits, " ().-/", and "+" (any "+": only the one before the number's
    # first digit may be there; "(" ")" "+" "-" "." "/" and digits are 0, 1, 3 and 5 to 17).
    shifted = data - ord("(")
    others = ((shifted >= 18) | ((shifted - 2) <= 2)) & (data != ord(" "))
    counts, others_in_row = _row_counts(digits, others, starts, lengths)
    first = np.cumsum(counts) - counts
    plus = (
        (counts > 0) & (data[where[np.minimum(first, len(where) - 1)]] == ord("+"))
        if len(where)
        else counts > 0
    )
    return _Runs(where, first + plus, counts - plus, plus, others_in_row)


def _covering_rule(
    arr: pa.Array, present: npt.NDArray[np.bool_], lengths: npt.NDArray[np.int64], runs: _Runs
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Which rule covers each row: ``(plain, extension, refused)`` spellings, or none (left to
    parse_number). Rows of only digits, " ().-/" and one "+" before the digits are plain
    spellings without asking RE2 (the cheap, common case)."""
    n = len(arr)
    sized = present & (lengths > 0) & (lengths <= _MAX_INPUT_CHARS)
    plain = sized & (runs.others_in_row == runs.plus) & (runs.counts > 0)
    extension = np.zeros(n, dtype=bool)
    refused = ~present | (lengths == 0)
    rest = np.flatnonzero(sized & ~plain)
    if len(rest):
        others = arr.take(pa.array(rest))
        plain[rest] = found = _matches(others, _PLAIN_ROW)
        if not found.all():
            rest, others = rest[~found], others.filter(pa.array(~found))
            extension[rest] = found = _matches(others, _EXTENSION_ROW)
        if not found.all():
            rest, others = rest[~found], others.filter(pa.array(~found))
            refused[rest] = _matches(others, _NO_DIGITS_ROW) | _matches(others, _TRAILING_LETTERS_ROW)
    return plain, extension, refused


def _extension_digits(extension: npt.NDArray[np.bool_], runs: _Runs) -> npt.NDArray[np.int64]:
    """Per row, the length of its extension, up to 7: the row's last run of digits (7 or more
    digits make it a second number)."""
    ext_digits = np.zeros(len(extension), dtype=np.int64)
    ext_rows = np.flatnonzero(extension)
    if len(ext_rows):
        where, counts = runs.where, runs.counts
        last = (runs.first[ext_rows] + counts[ext_rows] - 1)[:, None]
        back = np.arange(1, _TWO_NUMBER_DIGITS)[None, :]
        adjacent = where[np.maximum(last - back, 0)] == where[last] - back
        adjacent &= back < counts[ext_rows][:, None]
        ext_digits[ext_rows] = 1 + np.minimum.accumulate(adjacent, axis=1).sum(axis=1)
    return ext_digits


def _read_numbers(
    data: npt.NDArray[np.uint8], runs: _Runs, idx: npt.NDArray[np.intp], in_number: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The national numbers of rows ``idx`` (``in_number``: their digits before any extension),
    and whether each is one of ours: its prefix digits one of phonenumbers' forms, its area code
    and exchange in the plan."""
    # Each row's number digits end at ``end`` in ``codes`` (the digits and "+" signs of the
    # slice, back to back): the last 8 read as one little-endian uint64 at any byte offset,
    # the two before them one by one (a row has at least 10).
    codes = np.take(data, runs.where)
    end = runs.first[idx] + in_number
    lanes: npt.NDArray[np.uint64] = np.ndarray((len(codes) - 7,), dtype="<u8", buffer=codes, strides=(1,))
    eight, four = _eight_digits(lanes[end - 8])  # int(d7..d14), int(d7..d10)
    d5d6 = (np.take(codes, end - 10).astype(np.int32) - ord("0")) * 10 + (np.take(codes, end - 9) - ord("0"))
    nn = d5d6.astype(np.int64) * 10**8 + eight
    prefix = d5d6 * 10**4 + four
    # The k digits before the national number must be one of _PREFIXES_PLAIN (after a "+":
    # _PREFIXES_PLUS), phonenumbers' country code, trunk prefix and "011" forms.
    k = in_number - 10
    after_plus = runs.plus[idx]
    good = np.zeros(len(idx), dtype=bool)
    prefixed = np.flatnonzero(k > 0)
    head = np.zeros(len(idx), dtype=np.int64)
    if len(prefixed):
        # d0..d4, the 5 digits before the national number: those before the row's first
        # (another row's, or clipped at the start) are dropped by the modulo.
        before = np.maximum(end[prefixed][:, None] - np.arange(15, 10, -1)[None, :], 0)
        digits_before = np.take(codes, before).astype(np.int64) - ord("0")
        head[prefixed] = (digits_before @ _HEAD_WEIGHTS) % 10 ** k[prefixed]  # this row's k only
    for form in _PREFIXES_PLAIN:
        fits = (k == len(form)) & (head == int(form or "0"))
        good |= fits if form in _PREFIXES_PLUS else fits & ~after_plus
    bits = _plan().valid_bits
    good &= ((bits[prefix >> 3] >> (prefix & 7).astype(np.uint8)) & 1).astype(bool)
    return nn, good


def _as_arrow(values: object) -> pa.Array | pa.ChunkedArray:
    """The input as an Arrow string array (or chunked array)."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        arr = values
    elif isinstance(values, np.ndarray):
        if values.dtype.kind not in "UO":
            raise ArgumentTypeError(f"parse_numbers() takes strings; got a numpy array of {values.dtype}")
        items = values.tolist() if values.dtype.kind == "O" else values
        arr = pa.array(items, type=pa.string(), from_pandas=True)
    elif isinstance(values, Sequence) and not isinstance(values, str | bytes):
        arr = pa.array(list(values), type=pa.string())
    else:
        raise ArgumentTypeError(
            "parse_numbers() takes a pyarrow string array, a numpy array of str, or a sequence of "
            f"str; got {type(values).__name__}"
        )
    if pa.types.is_null(arr.type):  # all nulls (what pyarrow infers for [] or [None, ...])
        arr = arr.cast(pa.string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise ArgumentTypeError(f"parse_numbers() takes strings; got an Arrow column of {arr.type}")
    return arr


_Column: TypeAlias = (
    pa.Array | pa.ChunkedArray | npt.NDArray[np.str_] | npt.NDArray[np.object_] | Sequence[str | None]
)


def parse_numbers(
    values: _Column, *, threads: int | None = None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    """Vectorised :func:`parse_number`: a column of strings to numbers and a validity mask.

    ``values`` is a pyarrow ``string``/``large_string`` array or chunked array (nulls allowed),
    a numpy array of ``str`` or ``object`` (``None`` is null), or a sequence of ``str``.
    Returns ``(numbers, valid)``: ``uint64`` national numbers (0 where invalid) and where each
    row is valid. Row for row it agrees with :func:`parse_number`; null and empty rows are
    invalid. The common spellings are parsed without a Python loop, over the Arrow buffers, in
    blocks of rows; the rare rows those rules do not cover (non-ASCII characters, commas or tabs
    inside the number, ...) go through :func:`parse_number` one by one.

    ``threads`` is how many threads share the blocks (numpy and pyarrow release the GIL). The
    default, None, uses two when the machine has a core to spare (1-minute load average at
    most the core count minus one) and one otherwise: on a busy machine a second thread only
    competes for the same core and its cache. The result does not depend on it.

    >>> numbers, valid = parse_numbers(["+1 416 555 0143", "212-555-CALL", ""])
    >>> numbers.tolist(), valid.tolist()
    ([4165550143, 0, 0], [True, False, False])
    """
    if threads is None:
        cores = os.cpu_count() or 1
        threads = 2 if cores >= 2 and os.getloadavg()[0] <= cores - 1 else 1
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ArgumentError(f"threads must be a positive int or None, not {threads!r}")
    arr = _as_arrow(values)
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    parts = [_parse_array(chunk, threads) for chunk in chunks]
    if not parts:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=bool)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _parse_array(arr: pa.Array, threads: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    """parse_numbers on one Arrow array: blocks of rows, shared by ``threads`` threads."""
    _plan()  # build the table once, before the threads need it
    n = len(arr)
    pieces = [arr.slice(i, _BLOCK_ROWS) for i in range(0, n, _BLOCK_ROWS)]
    if threads > 1 and len(pieces) == 1 and n >= _THREADS_FROM_ROWS:
        pieces = [arr.slice(0, n // 2), arr.slice(n // 2)]
    if threads > 1 and len(pieces) > 1:
        with ThreadPoolExecutor(max_workers=threads, initializer=in_thread) as pool:
            parts = list(pool.map(_parse_slice, pieces))
    else:
        parts = [_parse_slice(piece) for piece in pieces]
    numbers = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.uint64)
    valid = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=bool)
    starts = np.cumsum([0] + [len(piece) for piece in pieces])[:-1].tolist()
    for start, part in zip(starts, parts, strict=True):
        for i in (part[2] + start).tolist():
            try:
                numbers[i] = parse_number(arr[i].as_py())
                valid[i] = True
            except InvalidNumberError:
                pass
    return numbers, valid
