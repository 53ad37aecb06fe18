"""Full national lists (FTC and DNCL): every member's numbers, with the area codes they cover.

Shared by :func:`dncguard.sources.ftc` and :func:`dncguard.sources.dncl`, which differ only in the
layer they fill. A member is flat text (one number per line in any NANP spelling, e.g.
``2125550143`` or ``416,5550143``; header lines without digits skipped; a trailer record count
checked) or XML (see :mod:`dncguard.sources._xml`).

Coverage, per source: the ``area_codes=`` given (a number outside them is a
:class:`~dncguard.errors.CoverageError`, and one of them without a number in the download is a
:class:`~dncguard.errors.RegistryFormatError`: no data arrived for it); otherwise, per zip
member, the area code its name declares (``212.txt``; a number of another area code in it is a
``CoverageError``), or else the area codes present in its data. Every covered area code gets the
``obtained`` date.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import numpy.typing as npt

from dncguard import geography
from dncguard.errors import CoverageError, RegistryFormatError
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.sources._nanp import Parsed, area_code_counts, parse_lines
from dncguard.sources._read import (
    READ_ERRORS,
    Block,
    Budget,
    Member,
    Tuning,
    blocks,
    members,
    open_member,
    split_trailer,
    unreadable,
)
from dncguard.sources._source import Batcher
from dncguard.sources._xml import looks_like_xml, xml_records

__all__ = [
    "foreign",
    "foreign_error",
    "implied_op",
    "member_area_code",
    "member_numbers",
    "read_full",
    "sniff",
]

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


_ADD_NAME = re.compile(r"(?<![a-z])(adds?|added|additions?|ins|inserts?|inserted)(?![a-z])", re.I)
_DEL_NAME = re.compile(r"(?<![a-z])(dels?|deletes?|deleted|deletions?)(?![a-z])", re.I)


def implied_op(name: str) -> Op | None:
    """The operation a separate addition or deletion file's name implies.

    >>> implied_op("ftc/additions_2026-03-11.txt"), implied_op("DEL.csv"), implied_op("changes.txt")
    (<Op.ADD: 'add'>, <Op.DELETE: 'delete'>, None)
    """
    stem = os.path.splitext(os.path.basename(name))[0]
    add, delete = _ADD_NAME.search(stem), _DEL_NAME.search(stem)
    if bool(add) == bool(delete):  # both: a file of flagged records, or no such name
        return None
    return Op.ADD if add else Op.DELETE


def sniff(member: Member) -> bytes:
    """The first bytes of a member (to tell XML from flat text); an archive inside is refused."""
    with open_member(member) as stream:
        try:
            head = stream.read(512)
        except READ_ERRORS as e:
            raise unreadable(member, e) from e
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b")):
        kind = "zip" if head.startswith(b"PK") else "gzip"
        raise member.error(f"is itself a {kind} archive: extract it and give the download inside")
    return head


LineOf = Callable[[int], int]

#: A record with a date and an add/delete flag: a change list given as a full list.
_CHANGE_RECORD = re.compile(
    r"\d{4}[-/.]?\d{2}[-/.]?\d{2}.*\b(?:[AD]|ADD|DEL|ADDED|DELETED|I)\b|\b(?:[AD]|ADD|DEL|ADDED|DELETED|I)\b.*\d{8}",
    re.IGNORECASE,
)

#: The longest legal line of a flat list, line end included: the FTC and DNCL write 11-12 bytes
#: (``2125550143``, ``212,5550143``); the longest spelling accepted, ``"+1 (212) 555-0143"`` with
#: a CRLF, is 21. Twice that and more leaves room for padding; a member averaging more bytes a
#: record is not a registry file (see :class:`~dncguard.sources._read.Budget`).
FLAT_RECORD_BYTES = 64

#: The same for XML: ``<ph val='5550143' />`` is 22 bytes, a namespaced, indented element with
#: a 10-digit value about 40; structural elements (``<ac>``) are shared by many records.
XML_RECORD_BYTES = 128


def member_numbers(member: Member, budget: Budget) -> Iterator[tuple[U64, LineOf, str | None]]:
    """The numbers of one member, block by block, each with a record -> line function."""
    if looks_like_xml(sniff(member)):
        budget.record_bytes = XML_RECORD_BYTES
        for rec in xml_records(member, budget):
            if rec.op is not None:  # a change list whose type='change' was lost (or not written)
                raise member.error(
                    f"a change record (inside an <{rec.op.value}> group) in a full download: read a "
                    "change list with sources.ftc_changes(...)",
                    rec.line_of(0),
                )
            yield rec.numbers, rec.line_of, rec.list_type
        return
    records = 0
    for raw in blocks(member):
        # A record has 10 digits: a block of line ends and spaces is refused before it is parsed
        # (parsing a block of blank lines takes memory in proportion to its line count).
        most = (len(raw.data) - raw.data.count(b"\n")) // 10
        budget.check(raw.offset + len(raw.data), records + most)
        block, trailer = split_trailer(raw) if raw.last else (raw, None)
        parsed = parse_lines(block.data)
        if parsed.error is not None:
            at = parsed.error_at
            text = block.data[at : at + 80].splitlines()[0].decode("utf-8", "replace").strip()
            hint = ""
            if _CHANGE_RECORD.search(text):
                hint = " (this looks like a change list: read it with sources.ftc_changes(...))"
            raise member.error(f"{parsed.error}; got {text!r}{hint}", block.line_at(at))
        records += parsed.numbers.size
        budget.check(raw.offset + len(raw.data), records)

        def line_of(i: int, block: Block = block, parsed: Parsed = parsed) -> int:
            return block.line_at(parsed.offset(i))

        yield parsed.numbers, line_of, None
        if trailer is not None:
            trailer.check(member, records)


#: Per national layer: the country whose numbers it holds, and the reader for the other country.
_COUNTRY = {"US": (1, "Canadian", "dncl", "the FTC registry"), "CA": (2, "US", "ftc", "the National DNCL")}


def foreign(layer: LayerKey, acs: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
    """Which area codes belong to the other country than the national ``layer``'s.

    A Canadian area code (geographic or not) is foreign to the US; a geographic US area code
    (a state, DC or a territory) is foreign to Canada. Toll-free and other non-geographic codes
    are shared by the two countries, and codes the numbering plan does not know are left to the
    list (a new overlay may postdate the plan data).
    """
    out: npt.NDArray[np.bool_]
    if layer.jurisdiction == "US":
        out = geography.COUNTRY[acs] == 2
    else:
        out = (geography.COUNTRY[acs] == 1) & geography.GEOGRAPHIC[acs]
    return out


def foreign_error(member: Member, layer: LayerKey, number: int, line: int | None) -> CoverageError:
    """A number of the other country in a national list: name it and the reader it belongs to."""
    _, country, other, registry = _COUNTRY[layer.jurisdiction or "US"]
    loc = ":".join(p for p in (member.path, member.name) if p)
    if line is not None:
        loc += f", line {line}"
    return CoverageError(
        f"{loc}: {number} is a {country} number (area code {number // 10_000_000}); "
        f"{registry} holds {'US' if layer.jurisdiction == 'US' else 'Canadian'} numbers only: "
        f"read this download with sources.{other}(...)",
        number=number,
        path=member.path,
        suggested_source=other,
    )


def read_full(
    path: str, layer: LayerKey, obtained: dt.date, area_codes: frozenset[int] | None, tuning: Tuning
) -> Iterator[Chunk]:
    """The ``replace`` chunks of a full download, with its coverage.

    Every member must yield at least one number: an empty member covers nothing (docs/defaults.md).
    """
    batch = Batcher(layer, Op.REPLACE, obtained=obtained, source=path, chunk_numbers=tuning.chunk_numbers)
    allowed: npt.NDArray[np.bool_] | None = None
    if area_codes is not None:
        allowed = np.zeros(1000, dtype=bool)
        allowed[list(area_codes)] = True
        yield from batch.add(np.empty(0, np.uint64), area_codes)
    seen = np.zeros(1000, dtype=bool)
    for member in members(path, tuning):
        name = member.basename
        stem = os.path.splitext(name)[0]
        if _ADD_NAME.search(stem) or _DEL_NAME.search(stem):
            # read as a full list, a day's additions (and deletions, as listed!) would replace
            # every number of the area codes they touch
            raise member.error(
                f"{name!r} is named as a change list's additions or deletions, not a full download: "
                "a full download replaces the area codes it covers, so it would drop every number "
                "not in it; read a change list with sources.ftc_changes(...)"
            )
        declared = None
        if allowed is None and member.name is not None:
            declared = member_area_code(member.name)
        budget = Budget(member, FLAT_RECORD_BYTES)
        if declared is not None:
            budget.check_declared()
        read = 0
        for numbers, line_of, list_type in member_numbers(member, budget):
            if list_type == "change":
                raise member.error(
                    "expected a full list, found a change list (type='change'): read it with ftc_changes()"
                )
            acs = (numbers // _E7).astype(np.intp)
            seen[acs] = True
            budget.count(acs)
            read += numbers.size
            _check(member, numbers, line_of, foreign(layer, acs), layer=layer)
            if allowed is not None:
                _check(member, numbers, line_of, ~allowed[acs], "the area codes given in area_codes=")
                cover: Iterable[int] = area_codes or ()  # every chunk states the whole coverage
            elif declared is not None:
                _check(member, numbers, line_of, acs != declared, f"area code {declared} its name declares")
                cover = (declared,)
            else:
                cover = np.flatnonzero(area_code_counts(numbers)).tolist()
            yield from batch.add(numbers, cover)
        if not read:
            raise member.empty_error()
    if area_codes is not None:
        missing = sorted(ac for ac in area_codes if not seen[ac])
        if missing:  # covered only by data that arrived for it (docs/defaults.md)
            raise RegistryFormatError(
                f"no number of area code{'s' if len(missing) > 1 else ''} "
                f"{', '.join(map(str, missing))} (given in area_codes=) is in the download: an area "
                "code is covered only by data that arrived for it; fetch its file again or leave "
                "it out of area_codes=",
                path=path,
            )
    yield from batch.flush()


def _check(
    member: Member,
    numbers: U64,
    line_of: LineOf,
    outside: npt.NDArray[np.bool_],
    what: str = "",
    *,
    layer: LayerKey | None = None,
) -> None:
    if outside.any():
        i = int(np.argmax(outside))
        if layer is not None:
            raise foreign_error(member, layer, int(numbers[i]), line_of(i))
        raise member.coverage_error(int(numbers[i]), line_of(i), what)
