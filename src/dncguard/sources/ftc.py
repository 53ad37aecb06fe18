"""The FTC National Do Not Call Registry: full downloads and change lists.

Subscribers download, per area code, per state or for the whole registry, either the full list
or the changes (additions and deletions) since their last download, as flat text or XML, in a
zip (https://telemarketing.donotcall.gov; formats in docs/sources.md). The flat full list has
one number per line, ``2125550143`` or ``212,5550143``. A change list has, per record, the
number, a date (optionally with a time) and a flag in any order and with any separator; flags
are ``A``/``D``, ``ADD``/``DEL``, ``added``/``deleted`` or ``I``/``D`` in any case, or are implied
by separate addition and deletion files (``additions.txt``, ``deletions.txt``). Dates are read in
the layouts US exports write (``2026-03-11``, ``03/11/2026``, ``20260311``, ``Mar 11 2026``); a
day and month that could be either order (``11.03.2026``) are refused as ambiguous.

A full download replaces the ``us-ftc`` layer for the area codes it covers; a change list adds
and deletes, and refreshes only the area codes it covers (given, or present in it: fail closed).
Change records are applied in date order (equal dates keep file order), so each number ends in
the state of its latest record.

>>> import datetime as dt, pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "212.txt").write_text("2125550143\\n212,5550199\\n")
>>> [(c.op.value, c.numbers.tolist(), c.coverage) for c in ftc(d / "212.txt", obtained=dt.date(2026, 3, 10))]
[('replace', [2125550143, 2125550199], {212: datetime.date(2026, 3, 10)})]
>>> _ = (d / "changes.txt").write_text("2125550143,2026-03-11,D\\nA,2026-03-10,2125550143\\n")
>>> [(c.op.value, c.numbers.tolist()) for c in ftc_changes(d / "changes.txt", obtained=dt.date(2026, 3, 11))]
[('delete', [2125550143]), ('add', [])]
>>> _ = (d / "bad.txt").write_text("2125550143\\n212555014\\n")
>>> list(ftc(d / "bad.txt", obtained=dt.date(2026, 3, 10)))
Traceback (most recent call last):
...
dncguard.errors.RegistryFormatError: .../bad.txt, line 2: expected a 10-digit number...
>>> ftc(d / "212.txt", obtained=None)
Traceback (most recent call last):
...
dncguard.errors.ArgumentTypeError: ftc(): obtained= must be the datetime.date the download was obtained, ...
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator

import numpy as np
import numpy.typing as npt

from dncguard import geography
from dncguard._calendar import NO_DATE
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.sources._full import XML_RECORD_BYTES, foreign, foreign_error, implied_op, read_full, sniff
from dncguard.sources._read import (
    DATE_PATTERN,
    Budget,
    Member,
    Tuning,
    blocks,
    members,
    read_date,
    resolve,
    split_trailer,
)
from dncguard.sources._source import (
    Batcher,
    Source,
    check_area_codes,
    check_obtained,
    existing_file,
    latest_date,
)
from dncguard.sources._xml import FLAGS, looks_like_xml, xml_records

__all__ = ["ftc", "ftc_changes"]

_E7 = 10_000_000
_US = LayerKey.national("US")
#: The longest legal change record, line end included: a number, an ISO date-time with a zone
#: and a word flag (``2125550143,2026-03-11T08:15:00.000000+00:00,DELETED``) is about 55 bytes.
CHANGE_RECORD_BYTES = 128


def ftc(
    path: str | os.PathLike[str],
    *,
    obtained: dt.date,
    area_codes: Iterable[int | str] | None = None,
    tuning: Tuning | None = None,
) -> Source:
    """An FTC full download (zip of per-area-code or whole-registry files, or a bare file).

    ``obtained`` is the date the download was obtained: it dates every covered area code.
    ``area_codes`` are the area codes it covers; by default those named by the zip members
    (``212.txt``), or else those present in the data.
    ``tuning`` (a :class:`~dncguard.sources.Tuning`): block and chunk sizes, refusal bounds.
    """
    p = existing_file(path, "ftc")
    ob = check_obtained(obtained, "ftc", p)
    acs = check_area_codes(area_codes)
    tune = resolve(tuning, "ftc")
    layer = LayerKey.national("US")
    return Source("ftc", p, layer, ob, area_codes=acs, _read=lambda: read_full(p, layer, ob, acs, tune))


def ftc_changes(
    path: str | os.PathLike[str],
    *,
    obtained: dt.date,
    area_codes: Iterable[int | str] | None = None,
    tuning: Tuning | None = None,
) -> Source:
    """An FTC change list: additions and deletions since the last download.

    Yields one ``delete`` and one ``add`` chunk (or more for very large lists) holding, for each
    number, its final state after applying the records in date order. Coverage is
    ``area_codes`` when given (a number outside them is a ``CoverageError``), else the area codes
    present in the list. Records without a date count as older than any dated record. The whole
    list is held in memory while it is sorted (change lists are small: about 13,000 additions a
    day).
    ``tuning`` (a :class:`~dncguard.sources.Tuning`): block and chunk sizes, refusal bounds.
    """
    p = existing_file(path, "ftc_changes")
    ob = check_obtained(obtained, "ftc_changes", p)
    acs = check_area_codes(area_codes)
    tune = resolve(tuning, "ftc_changes")
    layer = LayerKey.national("US")
    return Source(
        "ftc_changes", p, layer, ob, area_codes=acs, _read=lambda: _read_changes(p, layer, ob, acs, tune)
    )


_DATE_IN = re.compile(rb"(?<![0-9A-Za-z])(?:" + DATE_PATTERN + rb")(?![0-9A-Za-z])", re.IGNORECASE)
#: Something written as a date that no accepted layout reads (``03/11/26``): the date is blamed.
_DATE_LIKE = re.compile(rb"(?<![0-9])\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?![0-9])")
_WORD = re.compile(rb"[A-Za-z]+")
_NOT_NUMBER = re.compile(rb"[^0-9 \t,;\-()+.\"'|]")
_UNICODE_DIGIT = re.compile(r"\d")
_FLAG_HELP = "expected A/D, ADD/DEL, ADDED/DELETED or I/D"


#: Change records of one member, in file order: numbers, dates (days since 1970), is-add flags.
_Records = tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]


def _flat_changes(member: Member, implied: Op | None, acs: frozenset[int] | None) -> _Records:
    """One flat change-list member, line by line (change lists are small; errors name the line)."""
    numbers: list[int] = []
    days: list[int] = []
    adds: list[bool] = []
    records = 0
    budget = Budget(member, CHANGE_RECORD_BYTES)
    for raw in blocks(member):
        budget.check(raw.offset, records)  # before the line loop: blank gigabytes stop here
        block, trailer = split_trailer(raw) if raw.last else (raw, None)
        for k, line in enumerate(block.data.splitlines()):
            lineno = block.line + k + 1
            if not any(48 <= c <= 57 for c in line):
                if max(line, default=0) >= 0x80 and _UNICODE_DIGIT.search(line.decode("utf-8", "replace")):
                    # full-width or Arabic-Indic digits: a record, not a header line to skip
                    raise member.error(
                        "expected a change record in the digits 0-9, got other digits: "
                        f"{line.decode('utf-8', 'replace').strip()[:60]!r}",
                        lineno,
                    )
                continue  # blank, header: no digits
            records += 1
            number, day, op = _change_record(member, line, lineno, implied)
            if acs is not None and number // _E7 not in acs:
                raise member.coverage_error(number, lineno, "the area codes given in area_codes=")
            if geography.COUNTRY[number // _E7] == 2:
                raise foreign_error(member, _US, number, lineno)
            numbers.append(number)
            days.append(day)
            adds.append(op is Op.ADD)
        if trailer is not None:
            trailer.check(member, records)
    if not records:
        raise member.empty_error("change record")
    return (
        np.array(numbers, dtype=np.uint64),
        np.array(days, dtype=np.int64),
        np.array(adds, dtype=bool),
    )


def _change_record(member: Member, line: bytes, lineno: int, implied: Op | None) -> tuple[int, int, Op]:
    text = line.decode("utf-8", "replace").strip()
    day = NO_DATE
    m = _DATE_IN.search(line) or _DATE_LIKE.search(line)
    if m is not None:
        try:
            date = read_date(m.group(0))
        except ValueError as e:
            raise member.error(str(e), lineno) from None
        _check_not_future(member, date, lineno)
        day = (date - dt.date(1970, 1, 1)).days
        line = line[: m.start()] + b" " + line[m.end() :]
    words = _WORD.findall(line)
    if len(words) > 1:
        raise member.error(f"expected one add/delete flag ({_FLAG_HELP}), got {text!r}", lineno)
    op = implied
    if words:
        word = words[0].decode().lower()
        if word not in FLAGS:
            raise member.error(f"unknown flag {words[0].decode()!r}: {_FLAG_HELP}", lineno)
        op = FLAGS[word]
        if implied is not None and op is not implied:
            raise member.error(f"flag {words[0].decode()!r} in a file of {implied.value}s", lineno)
        line = _WORD.sub(b" ", line)
    if op is None:
        raise member.error(f"expected an add/delete flag ({_FLAG_HELP}), got {text!r}", lineno)
    digits = bytes(c for c in line if 48 <= c <= 57)
    if _NOT_NUMBER.search(line) or not (
        (len(digits) == 10 or (len(digits) == 11 and digits[0] == 49))
        and digits[-10] >= 50
        and digits[-7] >= 50
    ):
        raise member.error(
            "expected a 10-digit number (or 11 starting with 1), area code and exchange starting 2-9, "
            f"a date and a flag; got {text!r}",
            lineno,
        )
    return int(digits[-10:]), day, op


def _check_not_future(member: Member, date: dt.date, lineno: int) -> None:
    """A change record dated after today is a typo or a wrong clock (docs/defaults.md): as the
    latest record of its number it would outrank every real one, so it is refused, never applied."""
    latest = latest_date()
    if date > latest:
        raise member.error(
            f"date {date.isoformat()} is in the future (today is "
            f"{(latest - dt.timedelta(days=1)).isoformat()} in UTC): a change cannot be recorded "
            "before it is made; fetch the download again",
            lineno,
        )


def _read_changes(
    path: str, layer: LayerKey, obtained: dt.date, acs: frozenset[int] | None, tuning: Tuning
) -> Iterator[Chunk]:
    parts: list[_Records] = []
    dated = False
    undated: tuple[Member, int] | None = None  # the first XML record without a date
    for member in members(path, tuning):
        implied = implied_op(member.name if member.name is not None else member.path)
        if not looks_like_xml(sniff(member)):
            parts.append(_flat_changes(member, implied, acs))
            continue
        found = 0
        for rec in xml_records(member, Budget(member, XML_RECORD_BYTES)):
            found += rec.numbers.size
            acs_of = (rec.numbers // np.uint64(_E7)).astype(np.intp)
            bad = foreign(_US, acs_of)
            if bad.any():
                i = int(np.argmax(bad))
                raise foreign_error(member, _US, int(rec.numbers[i]), rec.line_of(i))
            op = rec.op or implied
            if op is None:
                raise member.error(
                    "expected the change records inside an <add> or <delete> element", rec.line_of(0)
                )
            if acs is not None:
                outside = [int(n) // _E7 not in acs for n in rec.numbers]  # change lists are small
                if any(outside):
                    i = outside.index(True)
                    what = "the area codes given in area_codes="
                    raise member.coverage_error(int(rec.numbers[i]), rec.line_of(i), what)
            if rec.date is not None:
                _check_not_future(member, rec.date, rec.line_of(0))
                dated = True
            elif undated is None:
                undated = (member, rec.line_of(0))
            if dated and undated is not None:
                # Some records dated and some not: a record that lost its date (a damaged
                # ``date=`` attribute) would sort before every dated one, and an addition of the
                # latest day could lose to an older deletion.
                raise undated[0].error(
                    "a change record without a date among dated ones: every <add> or <delete> needs"
                    " its date='YYYY-MM-DD' (a damaged download? fetch it again)",
                    undated[1],
                )
            day = NO_DATE if rec.date is None else (rec.date - dt.date(1970, 1, 1)).days
            size = rec.numbers.size
            parts.append((rec.numbers, np.full(size, day, np.int64), np.full(size, op is Op.ADD)))
        if not found:
            raise member.empty_error("change record")
    numbers = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.uint64)
    days = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.int64)
    adds = np.concatenate([p[2] for p in parts]) if parts else np.empty(0, bool)
    # The latest record of each number decides its final state: sort by number, date, file order.
    order = np.lexsort((np.arange(numbers.size), days, numbers))
    numbers, adds = numbers[order], adds[order]
    last = np.ones(numbers.size, dtype=bool)
    last[:-1] = numbers[1:] != numbers[:-1]
    numbers, adds = numbers[last], adds[last]
    cover = (
        sorted(acs)
        if acs is not None
        else np.flatnonzero(np.bincount((numbers // np.uint64(_E7)).astype(np.intp), minlength=1000)).tolist()
    )
    for op, pick in ((Op.DELETE, ~adds), (Op.ADD, adds)):
        batch = Batcher(layer, op, obtained=obtained, source=path, chunk_numbers=tuning.chunk_numbers)
        yield from batch.add(numbers[pick], cover)
        yield from batch.flush()
