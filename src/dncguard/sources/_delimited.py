"""Delimited lists (state and internal lists): columns of text, read block by block with pyarrow.

A member is CSV (or tab-, semicolon- or pipe-separated, sniffed from its first line) with an
optional header: the first non-blank line is a header when it has no digits. Each block of whole
lines is parsed by ``pyarrow.csv`` into string columns; the number column is then turned into
numbers by the vectorised NANP-shape parser working directly on the Arrow buffers. Rows map back
to line numbers only on the error path.

>>> import io
>>> from dncguard.sources._read import Member
>>> m = Member("tx.csv", None, lambda: io.BytesIO(b"name,phone\\nAl,512-555-0143\\n\\nBo,(512) 555-0199\\n"))
>>> [b] = csv_batches(m, lambda header, row: {"number": 1})
>>> numbers_of(m, b.columns["number"], b.line_of)[0].tolist()
[5125550143, 5125550199]
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pa_csv

from dncguard.sources._nanp import parse_spans
from dncguard.sources._read import Block, Member, blocks, split_trailer

__all__ = ["CsvBatch", "Layout", "csv_batches", "numbers_of", "split_fields"]

#: header fields (``None`` without a header), first data row (``None`` if none) -> role -> column;
#: a ``ValueError`` it raises becomes a ``RegistryFormatError`` naming the file and first line.
Layout = Callable[[list[str] | None, list[str] | None], dict[str, int]]


@dataclass(frozen=True)
class CsvBatch:
    """The wanted columns (role -> string array) of one block, and row -> line number."""

    columns: dict[str, pa.Array]
    line_of: Callable[[int], int]


def split_fields(line: bytes, delimiter: str) -> list[str]:
    """One CSV line's fields."""
    return next(csv.reader([line.decode("utf-8", "replace")], delimiter=delimiter), [])


def _sniff(line: bytes) -> str:
    counts = {d: len(split_fields(line, d)) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 1 else ","


def _rows(block: Block) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of the rows pyarrow sees: every line but the empty ones."""
    for k, line in enumerate(block.data.splitlines()):
        if line:
            yield block.line + k + 1, line


def csv_batches(member: Member, layout: Layout) -> Iterator[CsvBatch]:
    """The wanted columns of a delimited member, block by block."""
    names: list[str] = []
    roles: dict[str, int] = {}
    delimiter = ","
    records = 0
    for raw in blocks(member):
        if not names:
            raw, names, roles, delimiter = _start(member, raw, layout)
        block, trailer = split_trailer(raw) if raw.last else (raw, None)
        if (
            trailer is not None
            and len(names) > 1
            and len(split_fields(trailer.text, delimiter)) == len(names)
        ):
            block, trailer = raw, None  # a regular row (a name and a ZIP code), not a trailer
        if block.data.strip():
            table = _read_block(member, block, names, delimiter, list(roles.values()))

            def line_of(i: int, block: Block = block) -> int:
                for n, (line, _) in enumerate(_rows(block)):
                    if n == i:
                        return line
                return block.line + 1

            cols = {role: table.column(names[i]).combine_chunks() for role, i in roles.items()}
            records += table.num_rows
            yield CsvBatch(cols, line_of)
        if trailer is not None:
            trailer.check(member, records)


_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n|$)")


def _start(member: Member, block: Block, layout: Layout) -> tuple[Block, list[str], dict[str, int], str]:
    """Read the header (if any) of the first block: the data after it, column names, roles, delimiter."""
    lines = (m for m in _LINE.finditer(block.data) if m.group().strip())
    first = next(lines, None)

    def roles(header: list[str] | None, row: list[str] | None) -> dict[str, int]:
        try:
            return layout(header, row)
        except ValueError as e:
            raise member.error(str(e), None if first is None else block.line_at(first.start())) from None

    if first is None:
        found = roles(None, None)
        return block, [f"c{i}" for i in range(max(found.values(), default=0) + 1)], found, ","
    text = first.group().strip()
    delimiter = _sniff(text)
    fields = split_fields(text, delimiter)
    names = [f"c{i}" for i in range(len(fields))]
    if any(48 <= c <= 57 for c in text):
        return block, names, roles(None, fields), delimiter
    second = next(lines, None)
    row = None if second is None else split_fields(second.group().strip(), delimiter)
    cut = first.end()
    rest = Block(block.data[cut:], block.offset + cut, block.line_at(cut) - 1, block.last)
    return rest, names, roles([f.strip() for f in fields], row), delimiter


def _read_block(
    member: Member, block: Block, names: list[str], delimiter: str, wanted: list[int]
) -> pa.Table:
    try:
        return pa_csv.read_csv(
            pa.BufferReader(block.data),
            read_options=pa_csv.ReadOptions(column_names=names),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=[names[i] for i in wanted],
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as e:
        for line, text in _rows(block):
            got = len(split_fields(text, delimiter))
            if got != len(names):
                raise member.error(
                    f"expected {len(names)} fields like the first row, got {got}: "
                    f"{text.decode('utf-8', 'replace')[:80]!r}",
                    line,
                ) from e
        raise member.error(f"cannot be read as delimited text: {e}") from e


def numbers_of(
    member: Member, column: pa.Array, line_of: Callable[[int], int]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp]]:
    """The numbers of a string column and the rows they came from (rows without digits skipped)."""
    n = len(column)
    if n == 0:
        return np.empty(0, np.uint64), np.empty(0, np.intp)
    _, offsets_buf, data_buf = column.buffers()
    width = np.int64 if pa.types.is_large_string(column.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=width)[column.offset : column.offset + n + 1].astype(np.int64)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.empty(0, np.uint8)
    data = data[: int(offsets[-1])]
    starts, ends = offsets[:-1], offsets[1:]
    parsed = parse_spans(data, starts, ends)
    if parsed.error is not None:
        row = int(np.searchsorted(starts, parsed.error_at, side="right") - 1)
        raise member.error(f"{parsed.error}; got {column[row].as_py()!r}", line_of(row))
    assert parsed.starts is not None
    rows = np.searchsorted(starts, parsed.starts, side="right") - 1
    return parsed.numbers, rows
