"""Full national lists (FTC and DNCL): every member's numbers, with the area codes they cover.

Shared by :func:`dncguard.sources.ftc` and :func:`dncguard.sources.dncl`, which differ only in the
layer they fill. A member is flat text (one number per line in any NANP spelling, e.g.
``2125550143`` or ``416,5550143``; header lines without digits skipped; a trailer record count
checked) or XML (see :mod:`dncguard.sources._xml`).

Coverage, per source: the ``area_codes=`` given (a number outside them is a
:class:`~dncguard.errors.CoverageError`); otherwise, per zip member, the area code its name
declares (``212.txt``; a number of another area code in it is a ``CoverageError``), or else the
area codes present in its data. Every covered area code gets the ``obtained`` date.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import numpy.typing as npt

from dncguard.layers import Chunk, LayerKey, Op
from dncguard.sources._nanp import Parsed, area_code_counts, parse_lines
from dncguard.sources._read import (
    READ_ERRORS,
    Block,
    Member,
    blocks,
    members,
    open_member,
    split_trailer,
    unreadable,
)
from dncguard.sources._source import Batcher
from dncguard.sources._xml import looks_like_xml, xml_records

__all__ = ["member_area_code", "member_numbers", "read_full", "sniff"]

U64 = npt.NDArray[np.uint64]
_E7 = np.uint64(10_000_000)
_MEMBER_AC = re.compile(r"(?<![0-9])([2-9][0-9][0-9])(?![0-9])")


def member_area_code(name: str) -> int | None:
    """The area code an archive member's name declares (``212.txt``, ``ftc-212.csv``), if any.

    >>> [member_area_code(n) for n in ("dnc/212.txt", "list_2026-03-10_305.txt", "all.txt")]
    [212, 305, None]
    """
    stem = os.path.splitext(os.path.basename(name))[0]
    found = _MEMBER_AC.findall(stem)
    return int(found[0]) if len(found) == 1 else None


def sniff(member: Member) -> bytes:
    """The first bytes of a member (to tell XML from flat text)."""
    with open_member(member) as stream:
        try:
            return stream.read(512)
        except READ_ERRORS as e:
            raise unreadable(member, e) from e


LineOf = Callable[[int], int]


def member_numbers(member: Member) -> Iterator[tuple[U64, LineOf, str | None]]:
    """The numbers of one member, block by block, each with a record -> line function."""
    if looks_like_xml(sniff(member)):
        for rec in xml_records(member):
            yield rec.numbers, rec.line_of, rec.list_type
        return
    records = 0
    for raw in blocks(member):
        block, trailer = split_trailer(raw) if raw.last else (raw, None)
        parsed = parse_lines(block.data)
        if parsed.error is not None:
            at = parsed.error_at
            text = block.data[at : at + 80].splitlines()[0].decode("utf-8", "replace").strip()
            raise member.error(f"{parsed.error}; got {text!r}", block.line_at(at))
        records += parsed.numbers.size

        def line_of(i: int, block: Block = block, parsed: Parsed = parsed) -> int:
            return block.line_at(parsed.offset(i))

        yield parsed.numbers, line_of, None
        if trailer is not None:
            trailer.check(member, records)


def read_full(
    path: str, layer: LayerKey, obtained: dt.date, area_codes: frozenset[int] | None
) -> Iterator[Chunk]:
    """The ``replace`` chunks of a full download, with its coverage."""
    batch = Batcher(layer, Op.REPLACE, obtained=obtained, source=path)
    allowed: npt.NDArray[np.bool_] | None = None
    if area_codes is not None:
        allowed = np.zeros(1000, dtype=bool)
        allowed[list(area_codes)] = True
        yield from batch.add(np.empty(0, np.uint64), area_codes)
    for member in members(path):
        declared = None
        if allowed is None and member.name is not None:
            declared = member_area_code(member.name)
        for numbers, line_of, list_type in member_numbers(member):
            if list_type == "change":
                raise member.error(
                    "expected a full list, found a change list (type='change'): read it with ftc_changes()"
                )
            acs = (numbers // _E7).astype(np.intp)
            if allowed is not None:
                _check(member, numbers, line_of, ~allowed[acs], "the area codes given in area_codes=")
                cover: Iterable[int] = area_codes or ()  # every chunk states the whole coverage
            elif declared is not None:
                _check(member, numbers, line_of, acs != declared, f"area code {declared} its name declares")
                cover = (declared,)
            else:
                cover = np.flatnonzero(area_code_counts(numbers)).tolist()
            yield from batch.add(numbers, cover)
        if declared is not None:
            yield from batch.add(np.empty(0, np.uint64), (declared,))
    yield from batch.flush()


def _check(member: Member, numbers: U64, line_of: LineOf, outside: npt.NDArray[np.bool_], what: str) -> None:
    if outside.any():
        i = int(np.argmax(outside))
        raise member.coverage_error(int(numbers[i]), line_of(i), what)
