"""A tolerant streaming reader for the registries' XML: ``<ac val='416'>`` and ``<ph val='…'/>``.

The Canadian DNCL publishes ``<list type='full' level='ac' val='416'>`` with ``<ac val='416'>``
children holding ``<ph val='1234567' />`` elements; its own sample self-closes ``<list … />``
before the children, so it is not well-formed XML. The US XML is undocumented and may use the
same elements. This reader therefore does not parse XML: it scans tags with regular expressions,
keeps the enclosing ``ac`` (area code), change group (``<add>``/``<delete>``, or any element with
a ``type``/``flag``/``action`` attribute naming one) and ``date`` attribute, and collects ``ph``
values (attribute ``val`` or element text, 7 digits under an ``ac`` or 10/11 digits) in bulk
between structural tags.

>>> import io
>>> from dncguard.sources._read import Member
>>> doc = b"<list type='full' level='ac' val='416' /><ac val='416'><ph val='5550143' /></ac></list>"
>>> m = Member("dncl.xml", None, lambda: io.BytesIO(doc))
>>> [r.numbers.tolist() for r in xml_records(m)]
[[4165550143]]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dncguard.layers import Op
from dncguard.sources._nanp import parse_lines
from dncguard.sources._read import Block, Member, blocks, parse_date

__all__ = ["FLAGS", "XmlRecords", "looks_like_xml", "xml_records"]

#: Change-list flag spellings (case-insensitive) -> operation.
FLAGS: dict[str, Op] = {
    **dict.fromkeys(
        ["a", "add", "added", "adds", "addition", "additions", "i", "ins", "insert", "inserted", "inserts"],
        Op.ADD,
    ),
    **dict.fromkeys(["d", "del", "dels", "delete", "deleted", "deletes", "deletion", "deletions"], Op.DELETE),
}

_STRUCT = re.compile(
    rb"<\s*(/?)\s*(?!ph\b)([A-Za-z_][\w.:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)\s*(/?)\s*>", re.IGNORECASE
)
_ATTR = re.compile(rb"([A-Za-z_][\w.:-]*)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_PH_VAL = re.compile(rb"<\s*ph\b[^>]*?\bval\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
_PH_TEXT = re.compile(rb"<\s*ph\b(?![^>]*\bval\s*=)[^>]*(?<!/)>([^<]*)<", re.IGNORECASE)
_PH = re.compile(rb"<\s*ph\b", re.IGNORECASE)
_E7 = np.uint64(10_000_000)


def looks_like_xml(head: bytes) -> bool:
    """Whether a member's first bytes are XML (its first non-blank byte is ``<``)."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


@dataclass(frozen=True)
class XmlRecords:
    """Numbers found between two structural tags, with their context and a way to find lines."""

    numbers: npt.NDArray[np.uint64]
    op: Op | None
    date: dt.date | None
    line_of: Callable[[int], int]
    list_type: str | None


@dataclass
class _Open:
    name: str
    ac: int | None
    op: Op | None
    date: dt.date | None


def _attrs(raw: bytes) -> dict[str, str]:
    return {
        m.group(1).decode("ascii", "replace").lower(): (m.group(2) or m.group(3) or b"")
        .decode("utf-8", "replace")
        .strip()
        for m in _ATTR.finditer(raw)
    }


def xml_records(member: Member) -> Iterator[XmlRecords]:
    """The ``ph`` numbers of an XML member, in document order, grouped by their context."""
    stack: list[_Open] = []
    list_type: str | None = None
    for block in blocks(member, cut=b">"):
        data = block.data
        pos = 0
        for m in _STRUCT.finditer(data):
            yield from _segment(member, block, pos, m.start(), stack, list_type)
            pos = m.end()
            closing, name = m.group(1), m.group(2).decode("ascii", "replace").lower()
            if closing:
                for k in range(len(stack) - 1, -1, -1):  # tolerant: close up to the match
                    if stack[k].name == name:
                        del stack[k:]
                        break
                continue
            attrs = _attrs(m.group(3))
            top = stack[-1] if stack else _Open("", None, None, None)
            ac, op, date = top.ac, top.op, top.date
            if name == "list":
                list_type = attrs.get("type", list_type or "").lower() or list_type
                if attrs.get("level") == "ac" and attrs.get("val"):
                    ac = _area_code(member, block, m.start(), attrs["val"])
            elif name == "ac" and "val" in attrs:
                ac = _area_code(member, block, m.start(), attrs["val"])
            flag = name if name in FLAGS and len(name) > 1 else None
            for key in ("type", "flag", "action", "op"):
                if name != "list" and attrs.get(key, "").lower() in FLAGS:
                    flag = attrs[key].lower()
            if flag is not None:
                op = FLAGS[flag]
            if "date" in attrs:
                date = parse_date(attrs["date"].encode())
                if date is None:
                    raise member.error(
                        f"date {attrs['date']!r} does not parse: expected YYYY-MM-DD",
                        block.line_at(m.start()),
                    )
            # The DNCL sample's self-closed root <list level='ac' val='416' /> still sets the area code.
            if not m.group(4) or name == "list":
                stack.append(_Open(name, ac, op, date))
        yield from _segment(member, block, pos, len(data), stack, list_type)


def _area_code(member: Member, block: Block, at: int, val: str) -> int:
    if not (len(val) == 3 and val.isdigit() and val[0] in "23456789"):
        raise member.error(f"area code {val!r}: expected three digits, the first 2-9", block.line_at(at))
    return int(val)


def _segment(
    member: Member, block: Block, start: int, end: int, stack: list[_Open], list_type: str | None
) -> Iterator[XmlRecords]:
    if end <= start:
        return
    data = block.data
    vals = _PH_VAL.findall(data, start, end)
    texts = _PH_TEXT.findall(data, start, end)
    if len(vals) + len(texts) != len(_PH.findall(data, start, end)):  # never skip a <ph> silently
        seen = {m.start() for p in (_PH_VAL, _PH_TEXT) for m in p.finditer(data, start, end)}
        at = next(m.start() for m in _PH.finditer(data, start, end) if m.start() not in seen)
        raise member.error("expected <ph val='NNNNNNN'/> or <ph>NNNNNNNNNN</ph>", block.line_at(at))
    if not vals and not texts:
        return
    found = vals + texts

    def line_of(i: int) -> int:
        hits = [m.start() for m in _PH_VAL.finditer(data, start, end)]
        hits += [m.start() for m in _PH_TEXT.finditer(data, start, end)]
        return block.line_at(hits[i])

    raw = b"\n".join(found)
    parsed = parse_lines(raw + b"\n", local=True)
    if parsed.error is not None:
        k = raw.count(b"\n", 0, parsed.error_at)
        raise member.error(f"<ph> {found[k].decode('utf-8', 'replace')!r}: {parsed.error}", line_of(k))
    starts, local = parsed.starts, parsed.local
    assert starts is not None  # local=True always takes the general path
    assert local is not None

    def line_of_number(i: int) -> int:
        # Records without digits (an empty <ph/>) are no numbers: map back to the i-th match.
        return line_of(raw.count(b"\n", 0, int(starts[i])))

    top = stack[-1] if stack else _Open("", None, None, None)
    numbers = parsed.numbers
    if local.any():
        if top.ac is None:
            raise member.error(
                "a 7-digit <ph> outside an <ac val='NNN'> element: expected 10 digits",
                line_of_number(int(np.argmax(local))),
            )
        numbers = numbers + local.astype(np.uint64) * (np.uint64(top.ac) * _E7)

    yield XmlRecords(numbers, top.op, top.date, line_of_number, list_type)
