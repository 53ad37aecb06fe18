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
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pa_csv

from dncguard.sources._nanp import parse_spans
from dncguard.sources._read import Block, Budget, Member, blocks, split_trailer

__all__ = ["CsvBatch", "Layout", "csv_batches", "numbers_of", "pick_number_column", "split_fields"]

#: header fields (``None`` without a header), first data row (``None`` if none) -> role -> column;
#: a ``ValueError`` it raises becomes a ``RegistryFormatError`` naming the file and first line.
Layout = Callable[[list[str] | None, list[str] | None], dict[str, int]]


@dataclass(frozen=True)
class CsvBatch:
    """The wanted columns (role -> string array) of one block, and row -> line number."""

    columns: dict[str, pa.Array]
    line_of: Callable[[int], int]
    labels: dict[str, str]  # role -> how errors name the column (``column 'Phone'``)


#: The longest legal row of a delimited list, line end included: a state list carries a name, an
#: address and a number, and an internal list may be a wide CRM export (dozens of columns); 64 KiB
#: a row is more than any real export writes. A member averaging more bytes a row (gigabytes of
#: blank lines) is not a registry file (see ``_read.Budget``).
CSV_RECORD_BYTES = 64 << 10

# Column names by preference (compared after case-folding and dropping spaces, ``_``, ``-``, ``.``):
# an exact number name, then a name mentioning a phone, then one mentioning a number.
_EXACT = {
    "number", "phone", "phonenumber", "phoneno", "phonenum", "telephone", "telephonenumber", "tel",
    "telno", "telnumber", "mobile", "mobilenumber", "cell", "cellphone", "cellnumber", "msisdn",
    "dncnumber", "listednumber", "tn", "ani",
}  # fmt: skip
_PHONE_WORD = re.compile(r"phone|\btel(?:e|no|num|\b)|\bmobile|\bcell|msisdn")
_NUMBER_WORD = re.compile(r"number|\bnum\b|\bno\b")


def _fold(name: str) -> str:
    return re.sub(r"[\s_\-.#]+", "", name.casefold())


def _words(name: str) -> str:
    return re.sub(r"[\s_\-.#]+", " ", name.casefold())


def pick_number_column(header: list[str], explicit: str | None = None) -> int:
    """The index of the phone-number column of ``header``; ``ValueError`` naming the choice.

    ``explicit`` (the ``number_column=`` keyword) names it outright. Otherwise the one column
    whose name is a number's (``number``, ``phone``, ``Phone Number``, ``telephone``, ``tel``,
    ...) or mentions a phone (``Home Phone``) wins over one that only mentions a number
    (``Account Number``). Two columns of the same kind are ambiguous, and so are a phone number's
    name beside another that mentions a phone (``Cell Phone`` and ``Home Phone``): only one
    column is read, so the other's numbers would be dropped without a word.

    >>> pick_number_column(["Account Number", "Name", "Phone Number"])
    2
    >>> pick_number_column(["Home Phone", "Cell Phone"])
    Traceback (most recent call last):
    ...
    ValueError: two phone-number columns, 'Home Phone' and 'Cell Phone': only one is read; name the one...
    """
    if explicit is not None:
        for i, name in enumerate(header):
            if name.strip().casefold() == explicit.strip().casefold():
                return i
        raise ValueError(f"no column named {explicit!r} (number_column=) in the header {header}")
    ranks = [
        [i for i, h in enumerate(header) if _fold(h) in _EXACT or _PHONE_WORD.search(_words(h))],
        [i for i, h in enumerate(header) if _NUMBER_WORD.search(_words(h))],
    ]
    for hits in ranks:
        if len(hits) == 1:
            return hits[0]
        if hits:
            names = [header[i] for i in hits]
            both = " and ".join(repr(n) for n in names) if len(hits) == 2 else ", ".join(map(repr, names))
            raise ValueError(
                f"{'two' if len(hits) == 2 else len(hits)} phone-number columns, {both}: only one is "
                "read; name the one to read with number_column=, and give the numbers of the "
                "others as rows of their own"
            )
    raise ValueError(
        f"no phone-number column in the header {header}: expected one named number, phone, "
        "telephone or tel, or name it with number_column="
    )


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
    budget = Budget(member, CSV_RECORD_BYTES)
    labels: dict[str, str] = {}
    for raw in blocks(member):
        budget.check(raw.offset, records)
        if not names:
            raw, names, roles, delimiter, header = _start(member, raw, layout)
            labels = {
                role: repr(header[i]) if header is not None and i < len(header) else f"{i + 1}"
                for role, i in roles.items()
            }
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
            yield CsvBatch(cols, line_of, labels)
        if trailer is not None:
            trailer.check(member, records)


_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n|$)")


def _start(
    member: Member, block: Block, layout: Layout
) -> tuple[Block, list[str], dict[str, int], str, list[str] | None]:
    """Read the header (if any) of the first block: the data after it, column names, roles,
    delimiter and the header's fields."""
    lines = (m for m in _LINE.finditer(block.data) if m.group().strip())
    first = next(lines, None)

    def roles(header: list[str] | None, row: list[str] | None) -> dict[str, int]:
        try:
            return layout(header, row)
        except ValueError as e:
            raise member.error(str(e), None if first is None else block.line_at(first.start())) from None

    if first is None:
        found = roles(None, None)
        return block, [f"c{i}" for i in range(max(found.values(), default=0) + 1)], found, ",", None
    text = first.group().strip()
    delimiter = _sniff(text)
    fields = split_fields(text, delimiter)
    names = [f"c{i}" for i in range(len(fields))]
    if any(48 <= c <= 57 for c in text):
        return block, names, roles(None, fields), delimiter, None
    second = next(lines, None)
    row = None if second is None else split_fields(second.group().strip(), delimiter)
    cut = first.end()
    rest = Block(block.data[cut:], block.offset + cut, block.line_at(cut) - 1, block.last)
    header = [f.strip() for f in fields]
    return rest, names, roles(header, row), delimiter, header


def _read_block(
    member: Member, block: Block, names: list[str], delimiter: str, wanted: list[int]
) -> pa.Table:
    try:
        table = pa_csv.read_csv(
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
    data = block.data
    # A row a line (the common case, told by a count of line ends), or else as many rows as the
    # lines _rows gives (pyarrow skips the empty ones): a value over several lines took them in.
    if table.num_rows != data.count(b"\n") + (not data.endswith(b"\n")):
        lines = data.splitlines()
        if table.num_rows != len(lines) - lines.count(b""):
            _refuse_multiline(member, block, delimiter)
    return table


def _refuse_multiline(member: Member, block: Block, delimiter: str) -> None:
    """Refuse the first row that runs over more than one line: a quote opened and not closed
    (``"Al``), or one opening a field that is closed lines later (``x"`` then ``"y``), takes the
    lines after it into one value, and the numbers on them were lost. A list row is one line."""
    text = block.data.decode("utf-8", "replace")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for _ in rows:
            if rows.line_num > start:
                break
            start = rows.line_num + 1
    except csv.Error:
        pass
    raise member.error(
        f"a quoted value runs from this line over {rows.line_num - start} more: a quote opened and"
        " never closed, or a quote starting a field, takes the lines after it into one value and"
        " their numbers would be lost; remove or close the quote (a list row is one line, a quote"
        " inside a quoted value is written twice)",
        block.line + start,
    )


def numbers_of(
    member: Member, column: pa.Array, line_of: Callable[[int], int], label: str | None = None
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
    parsed = parse_spans(data, starts, ends, other_digits=False)  # refused below, naming the column
    if parsed.error is not None:
        row = int(np.searchsorted(starts, parsed.error_at, side="right") - 1)
        where = "" if label is None else f"column {label}: "
        raise member.error(f"{where}{parsed.error}; got {column[row].as_py()!r}", line_of(row))
    assert parsed.starts is not None
    rows = np.searchsorted(starts, parsed.starts, side="right") - 1
    if len(rows) < n:
        _refuse_other_digits(member, column, data, starts, ends, rows, line_of, label)
    return parsed.numbers, rows


def _refuse_other_digits(
    member: Member,
    column: pa.Array,
    data: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    rows: npt.NDArray[np.intp],
    line_of: Callable[[int], int],
    label: str | None,
) -> None:
    """Refuse a record skipped for holding no digit 0-9 that holds digits of another script
    (``２１２５５５０１４３`` full width, ``٢١٢٥٥٥٠١٤٣``): not a blank or a header, but a number
    that would be dropped without a word."""
    skipped = np.ones(len(starts), bool)
    skipped[rows] = False
    for i in np.flatnonzero(skipped & (ends > starts)):
        if not (data[starts[i] : ends[i]] >= 0x80).any():
            continue
        value = column[int(i)].as_py()
        if isinstance(value, str) and any(ch.isdecimal() for ch in value):
            where = "" if label is None else f"column {label}: "
            raise member.error(
                f"{where}digits other than 0-9 in {value!r}: write the number in the digits 0-9",
                line_of(int(i)),
            )
