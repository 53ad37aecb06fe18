"""A tolerant streaming reader for the registries' XML: ``<ac val='416'>`` and ``<ph val='…'/>``.

The Canadian DNCL publishes ``<list type='full' level='ac' val='416'>`` with ``<ac val='416'>``
children holding ``<ph val='1234567' />`` elements; its own sample self-closes ``<list … />``
before the children, so it is not well-formed XML. The US XML is undocumented and may use the
same elements. This reader therefore does not parse XML: it scans tags, keeps the enclosing
``ac`` (area code), change group (``<add>``/``<delete>``, or any element with a
``type``/``flag``/``action`` attribute naming one) and ``date`` attribute, and collects ``ph``
values (attribute ``val`` or element text, 7 digits under an ``ac`` or 10/11 digits) in bulk
between structural tags. Element and attribute names are compared by their local name, so
``<d:ph val='…'/>`` is a ``ph``; comments, processing instructions and CDATA are skipped.

It runs in time linear in its input: every pattern is anchored at a ``<``, cannot run past the
next ``<`` and uses possessive quantifiers (no backtracking), and text that is carried to the
next block (an unfinished tag or comment) is bounded. A document must close: its records sit in
one root element (``<list>``) that ends with the file, so a download cut short is refused, not
read in part (docs/defaults.md#a-download-that-yields-nothing-is-an-error).

>>> import io
>>> from dncguard.sources._read import Member
>>> doc = b"<list type='full' level='ac' val='416' /><ac val='416'><ph val='5550143' /></ac></list>"
>>> m = Member("dncl.xml", None, lambda: io.BytesIO(doc))
>>> [r.numbers.tolist() for r in xml_records(m)]
[[4165550143]]
>>> m = Member("dncl.xml", None, lambda: io.BytesIO(doc[:-7]))
>>> [r.numbers.tolist() for r in xml_records(m)]
Traceback (most recent call last):
...
dncguard.errors.RegistryFormatError: dncl.xml, line 1: the XML document does not close (<list> is still...
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dncguard.layers import Op
from dncguard.sources._nanp import digits_value, parse_lines
from dncguard.sources._read import Budget, Member, blocks, count_lines, parse_date, say_bytes

__all__ = ["FLAGS", "XmlRecords", "looks_like_xml", "xml_records"]

#: Change-list flag spellings (case-insensitive) -> operation.
FLAGS: dict[str, Op] = {
    **dict.fromkeys(
        ["a", "add", "added", "adds", "addition", "additions", "i", "ins", "insert", "inserted", "inserts"],
        Op.ADD,
    ),
    **dict.fromkeys(["d", "del", "dels", "delete", "deleted", "deletes", "deletion", "deletions"], Op.DELETE),
}

# Names compare case-insensitively, written out as classes: faster than re.IGNORECASE.
_PH_NAME = rb"[pP][hH]"
_VAL_NAME = rb"[vV][aA][lL]"
_NAME = rb"(?:[\w.-]++:)?+[\w.-]++"  # an optionally prefixed name; no backtracking
_VALUE = rb"""(?:"[^"<]*+"|'[^'<]*+')"""
_OTHER_ATTR = rb"\s++(?:[\w.-]++:)?+(?!" + _VAL_NAME + rb"\s*+=)[\w.-]++\s*+=\s*+" + _VALUE
_PH = rb"<\s*+(?:[\w.-]++:)?+" + _PH_NAME
#: The next ``<`` that does not open or close a ``ph`` element.
_NEXT_STRUCT = re.compile(rb"<(?!\s*+/?+\s*+(?:[\w.-]++:)?+" + _PH_NAME + rb"(?![\w.:-]))")
#: A structural tag: closing slash, name, attributes (the ``/`` of a self-closed tag at their end).
_TAG = re.compile(rb"<\s*+(/?+)\s*+(" + _NAME + rb")((?:[^<>\"']++|" + _VALUE + rb")*+)>")
_ATTR = re.compile(rb"(" + _NAME + rb")\s*+=\s*+(?:\"([^\"<]*+)\"|'([^'<]*+)')")
#: ``<ph … val='…' …/>`` (or not self-closed): the value.
_PH_VAL = re.compile(
    _PH + rb"(?:" + _OTHER_ATTR + rb")*+\s++(?:[\w.-]++:)?+" + _VAL_NAME + rb"\s*+=\s*+[\"']([^\"'<>]*+)[\"']"
    rb"(?:" + _OTHER_ATTR + rb")*+\s*+/?+\s*+>"
)
#: ``<ph>text</ph>`` (attributes other than ``val`` allowed): the text.
_PH_TEXT = re.compile(
    _PH + rb"(?:" + _OTHER_ATTR + rb")*+\s*+>([^<]*+)<\s*+/\s*+(?:[\w.-]++:)?+" + _PH_NAME + rb"\s*+>"
)
#: Text with a digit after a self-closed or closing tag, in a run of ``ph`` elements.
_STRAY = re.compile(rb"(?:/\s*+>|<\s*+/[^<>]*+>)[^<\d]*+\d")
_PH_OPEN = re.compile(_PH + rb"(?![\w.:-])")
_CLOSE = re.compile(rb"<\s*+/")
_SKIP = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>", b"<!": b">"}
_E7 = np.uint64(10_000_000)
_SPACE = b" \t\r\n"
#: Elements other than ``ph`` per record: a change list may wrap each record in its own group
#: (``<add date='…'>`` and ``</add>``); a prologue of up to 4096 tags is allowed besides.
TAGS_PER_RECORD = 4
SLACK_TAGS = 4096
#: Registry XML nests four deep (``list``, ``ac``, a change group, ``ph``); 64 is never real.
MAX_DEPTH = 64


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


#: Attributes that hold a number in registry XML; on an element other than ``ph`` they mean
#: a damaged or unknown layout (a flipped bit turns ``<ph val=…>`` into ``<qh val=…>``).
_NUMBER_ATTRS = frozenset({"val", "value", "number", "phone", "tel", "tn"})


def _digits(text: bytes) -> int:
    """How many ASCII digits ``text`` holds (at C speed: a tag may be megabytes long)."""
    return len(text) - len(text.translate(None, b"0123456789"))


def _looks_like_number(text: bytes) -> bool:
    """Seven digits or more that are not a date: a phone number written where none is read."""
    return _digits(text) >= 7 and (len(text) > 64 or parse_date(text.strip()) is None)


def _broken_tag(text: bytes) -> bool:
    """Text with a digit and markup (``=ph val='5550100' />``): a tag whose ``<`` was damaged.

    Text holding a short number (a count, a date) is tolerated between tags; with ``=``, a quote
    or ``/>`` beside it, it is the remains of an element, and a record in it would be lost.
    """
    return bool(_digits(text)) and any(c in text for c in (b"=", b"'", b'"', b"/", b">"))


def _local(name: bytes) -> str:
    return name.rsplit(b":", 1)[-1].decode("ascii", "replace").lower()


def _attrs(raw: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _ATTR.finditer(raw):
        key = m.group(1)
        if key.lower().startswith(b"xmlns"):
            continue
        out[_local(key)] = (m.group(2) or m.group(3) or b"").decode("utf-8", "replace").strip()
    return out


class _Scanner:
    """The state of one member's scan: open elements, carried bytes and their line."""

    def __init__(self, member: Member, budget: Budget | None) -> None:
        self.member, self.budget = member, budget
        self.tags = 0
        self.stack: list[_Open] = []
        self.list_type: str | None = None
        self.rooted = False  # a root element was opened
        self.closed = False  # ... and closed again
        self.carry = b""  # an unfinished tail, read again with the next block
        self.records = 0

    def error(self, message: str, data: bytes, base: int, at: int) -> Exception:
        return self.member.error(message, base + count_lines(data[:at]) + 1)

    def feed(self, data: bytes, base: int, offset: int, final: bool) -> Iterator[XmlRecords]:
        """Scan ``data`` (at byte ``offset``, after ``base`` line ends); keep an unfinished tail."""
        pos, n = 0, len(data)
        while pos < n:
            lt = data.find(b"<", pos)
            if lt >= 0 and self.stack and _PH_OPEN.match(data, lt):
                fixed = self._fixed(data, base, lt, n)
                if fixed is not None:
                    yield fixed[0]
                    pos = fixed[1]
                    continue
            m = _NEXT_STRUCT.search(data, pos)
            end = n if m is None else m.start()
            if m is None and not final:
                end = self._safe_end(data, pos, n)
            if end > pos:
                yield from self._run(data, base, pos, end)
            if m is None:
                pos = end
                break
            at = m.start()
            skip = next((k for k in _SKIP if data.startswith(k, at)), None)
            if skip == b"<!" and self.rooted:
                # A declaration (``<!DOCTYPE …>``) belongs before the root; inside it, ``<!h val=…/>``
                # is a ``<ph>`` whose name was damaged, and skipping it would lose its number.
                raise self.error(
                    "a declaration (<!…>) inside the root element: a damaged tag; fetch the download again",
                    data,
                    base,
                    at,
                )
            if skip is not None:
                stop = data.find(_SKIP[skip], at + len(skip))
                if stop < 0:
                    pos = at  # unfinished: wait for more (or, at the end, it is truncated)
                    break
                pos = stop + len(_SKIP[skip])
                continue
            t = _TAG.match(data, at)
            if t is None:
                if data.find(b">", at) < 0 or (not final and data.find(b"<", at + 1) < 0):
                    pos = at  # unfinished: wait for more (or, at the end, it is truncated)
                    break
                raise self.error(
                    "expected an XML tag like <list>, <ac val='416'> or <ph val='…'/>", data, base, at
                )
            self._tag(t, data, base)
            pos = t.end()
            self.tags += 1
            if not self.tags % 1024:  # tags without records cost time too: refuse early
                if self.tags > TAGS_PER_RECORD * self.records + SLACK_TAGS:
                    raise self.error(
                        f"not a registry file: {self.tags} elements hold only {self.records} records",
                        data,
                        base,
                        pos,
                    )
                if self.budget is not None:
                    self.budget.check(offset + pos, self.records)
        tail = data[pos:]
        if final:
            if tail.strip(_SPACE):
                raise self.error(
                    "the XML document ends inside a tag or comment: the download is truncated; fetch it "
                    "again",
                    data,
                    base,
                    pos,
                )
            if not self.rooted or self.stack:
                what = f"<{self.stack[0].name}> is still open" if self.stack else "no root element"
                raise self.error(
                    f"the XML document does not close ({what}): the download is truncated; fetch it again",
                    data,
                    base,
                    n,
                )
            return
        if len(tail) > self.member.tuning.max_line:
            raise self.error(
                f"no end of tag in {say_bytes(self.member.tuning.max_line)}: not a registry XML file",
                data,
                base,
                pos,
            )
        self.carry = tail

    def _fixed(self, data: bytes, base: int, first: int, end: int) -> tuple[XmlRecords, int] | None:
        """The uniform rows of ``ph`` elements from ``first`` (see :func:`_fixed_rows`), and their end."""
        fixed = _fixed_rows(data, first, end)
        if fixed is None:
            return None
        numbers, rows, width, local = fixed
        top = self.stack[-1]
        if local:
            if top.ac is None:
                return None  # 7-digit values outside an <ac>: the general path names the line
            numbers += np.uint64(top.ac) * _E7
        per_row = count_lines(data[first : first + width])

        def row_line(i: int) -> int:
            return base + count_lines(data[:first]) + 1 + i * per_row

        self._check_ac(numbers, row_line)
        self.records += numbers.size
        return XmlRecords(numbers, top.op, top.date, row_line, self.list_type), first + rows * width

    @staticmethod
    def _safe_end(data: bytes, pos: int, n: int) -> int:
        """Where a run of ``ph`` tags that reaches the block's end can be cut: before an open ``<ph>``."""
        lt = data.rfind(b"<", pos, n)
        if lt < 0:
            return n
        gt = data.find(b">", lt)
        if gt < 0:
            return lt  # an unfinished tag
        if _CLOSE.match(data, lt) or data[lt:gt].rstrip(_SPACE).endswith(b"/"):
            return n  # ends after a closing or self-closed tag
        return lt  # an open <ph>: its text and closing tag are still to come

    def _tag(self, t: re.Match[bytes], data: bytes, base: int) -> None:
        closing, name = t.group(1), _local(t.group(2))
        if closing:
            for k in range(len(self.stack) - 1, -1, -1):  # tolerant: close up to the match
                if self.stack[k].name == name:
                    del self.stack[k:]
                    break
            else:
                # A closing tag of no open element: a damaged tag before it (``<delete>`` read
                # as ``<eelete>`` would leave its numbers in the ``<add>`` still open).
                raise self.error(
                    f"</{name}> closes no open element: the XML is damaged; fetch the download again",
                    data,
                    base,
                    t.start(),
                )
            if self.rooted and not self.stack:
                self.closed = True
            return
        if self.closed:
            raise self.error(
                f"<{name}> after the end of the root element: expected one root element (<list>) "
                "holding every record",
                data,
                base,
                t.start(),
            )
        raw = t.group(3)
        selfclosed = raw.rstrip(_SPACE).endswith(b"/")
        attrs = _attrs(raw)
        if name not in ("list", "ac") and _digits(t.group(0)):
            rest = _ATTR.sub(b"", raw) + b" ".join(
                v.encode() for k, v in attrs.items() if k != "date" and _looks_like_number(v.encode())
            )
            # ``<qh val='=550100'/>``: a ``<ph>`` with its name and a digit damaged holds too few
            # digits to look like a number, but a number attribute on another element is one.
            held = any(k in _NUMBER_ATTRS and _digits(v.encode()) for k, v in attrs.items())
            if name[:2] == "ph" or held or _looks_like_number(t.group(2) + rest):
                raise self.error(
                    f"{t.group(0)[:60].decode('utf-8', 'replace')!r}: a number outside a <ph> element "
                    "(expected <ph val='…'/>); a damaged or unknown XML layout",
                    data,
                    base,
                    t.start(),
                )
        top = self.stack[-1] if self.stack else _Open("", None, None, None)
        ac, op, date = top.ac, top.op, top.date
        if name == "list":
            self.list_type = attrs.get("type", self.list_type or "").lower() or self.list_type
            if attrs.get("level") == "ac" and attrs.get("val"):
                ac = self._area_code(attrs["val"], data, base, t.start())
        elif name == "ac" and "val" in attrs:
            ac = self._area_code(attrs["val"], data, base, t.start())
        flag = name if name in FLAGS and len(name) > 1 else None
        for key in ("type", "flag", "action", "op"):
            if name != "list" and attrs.get(key, "").lower() in FLAGS:
                flag = attrs[key].lower()
        if flag is not None:
            if top.op is not None:
                # A change group inside another is never written: the outer group's closing tag
                # was damaged (``</add>`` read as ``=/add>``), and the inner group's records
                # would take its date, or its flag, from the group left open.
                raise self.error(
                    f"<{name}> opens a change group inside another (<{top.name}> is still open): "
                    "a damaged closing tag; fetch the download again",
                    data,
                    base,
                    t.start(),
                )
            op = FLAGS[flag]
        if "date" in attrs:
            date = parse_date(attrs["date"].encode())
            if date is None:
                raise self.error(
                    f"date {attrs['date']!r} does not parse: expected YYYY-MM-DD", data, base, t.start()
                )
        # The DNCL sample's self-closed root <list level='ac' val='416' /> still sets the area code.
        if not selfclosed or name == "list":
            if len(self.stack) >= MAX_DEPTH:
                raise self.error(
                    f"elements nested more than {MAX_DEPTH} deep: not a registry XML file",
                    data,
                    base,
                    t.start(),
                )
            self.stack.append(_Open(name, ac, op, date))
            self.rooted = True

    def _area_code(self, val: str, data: bytes, base: int, at: int) -> int:
        if not (len(val) == 3 and val.isdigit() and val[0] in "23456789"):
            raise self.error(f"area code {val!r}: expected three digits, the first 2-9", data, base, at)
        return int(val)

    def _run(self, data: bytes, base: int, start: int, end: int) -> Iterator[XmlRecords]:
        """The ``ph`` elements between two structural tags, in bulk."""
        n_lt = data.count(b"<", start, end)
        if not n_lt:  # text between structural tags: no number may hide there
            text = data[start:end]
            if len(text) < 4096 and text.strip(_SPACE) and (_looks_like_number(text) or _broken_tag(text)):
                raise self.error(
                    f"{text.strip(_SPACE).decode('utf-8', 'replace')[:40]!r}: a number outside a <ph> "
                    "element (expected <ph>NNNNNNNNNN</ph>); a damaged or unknown XML layout",
                    data,
                    base,
                    start + len(text) - len(text.lstrip(_SPACE)),
                )
            return
        member = self.member
        if not self.stack:
            at = data.find(b"<", start, end)
            where = "after the end of the root element" if self.closed else "outside a root element"
            raise self.error(
                f"<ph> {where}: expected one root element (<list>) holding every record", data, base, at
            )
        vals = _PH_VAL.findall(data, start, end)
        texts = _PH_TEXT.findall(data, start, end)
        n_open = n_lt - len(_CLOSE.findall(data, start, end))
        if n_open != len(vals) + len(texts):  # never skip a <ph> silently
            for m in _PH_OPEN.finditer(data, start, end):
                if not (_PH_VAL.match(data, m.start()) or _PH_TEXT.match(data, m.start())):
                    at = m.start()
                    break
            else:
                at = start
            raise self.error("expected <ph val='NNNNNNN'/> or <ph>NNNNNNNNNN</ph>", data, base, at)
        lead = data.find(b"<", start, end)
        stray = _STRAY.search(data, start, end)
        if stray is not None or _digits(data[start:lead]):
            at = start if stray is None else stray.end() - 1
            raise self.error(
                "text with digits outside a <ph> element: expected <ph val='NNNNNNN'/> or "
                "<ph>NNNNNNNNNN</ph>; a damaged or unknown XML layout",
                data,
                base,
                at,
            )
        if not vals and not texts:
            return
        found = vals + texts

        def line_of(i: int) -> int:
            hits = [m.start() for m in _PH_VAL.finditer(data, start, end)]
            hits += [m.start() for m in _PH_TEXT.finditer(data, start, end)]
            return base + count_lines(data[: hits[i]]) + 1

        raw = b"\n".join(found)
        if raw.count(b"\n") + raw.count(b"\r") != len(found) - 1:  # a value spread over lines
            found = [f.replace(b"\r", b" ").replace(b"\n", b" ") for f in found]
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

        top = self.stack[-1]
        numbers = parsed.numbers
        if local.any():
            if top.ac is None:
                raise member.error(
                    "a 7-digit <ph> outside an <ac val='NNN'> element: expected 10 digits",
                    line_of_number(int(np.argmax(local))),
                )
            numbers = numbers + local.astype(np.uint64) * (np.uint64(top.ac) * _E7)
        self._check_ac(numbers, line_of_number)
        self.records += numbers.size
        yield XmlRecords(numbers, top.op, top.date, line_of_number, self.list_type)

    def _check_ac(self, numbers: npt.NDArray[np.uint64], line_of: Callable[[int], int]) -> None:
        """A 10-digit ``<ph>`` inside ``<ac val='416'>`` must be of area code 416."""
        ac = self.stack[-1].ac
        if ac is None or not numbers.size:
            return
        other = numbers // _E7 != np.uint64(ac)
        if other.any():
            i = int(np.argmax(other))
            raise self.member.coverage_error(int(numbers[i]), line_of(i), f"its <ac val='{ac}'> element")


def _fixed_rows(data: bytes, first: int, end: int) -> tuple[npt.NDArray[np.uint64], int, int, bool] | None:
    """The fast path: the ``ph`` elements from ``first`` on that have the layout of the first one.

    A row is the distance between the first two ``ph`` openings; a row whose bytes, other than
    the digits of the first row's value, are those of the first row, and whose value columns are
    digits, is the same element with another value (and the same spacing after it: a row holding
    any other tag never takes this path). The longest
    run of such rows is read by a reshape and a Horner pass. Returns the numbers, how many rows,
    the row width and whether the values are 7-digit local numbers (area code still to add);
    ``None`` when fewer than 8 rows qualify (the general path then reads or names them).
    """
    nxt = _PH_OPEN.search(data, first + 1, min(end, first + 4096))
    if nxt is None:
        return None
    width = nxt.start() - first
    rows = (end - first) // width
    if rows < 8:
        return None
    m = _PH_VAL.match(data, first, first + width) or _PH_TEXT.match(data, first, first + width)
    if m is None or data[m.end() : first + width].strip(_SPACE):
        return None  # only spacing may follow the element in a row: no other tag is skipped
    row = np.frombuffer(data, np.uint8, count=width, offset=first)
    is_digit = (row - np.uint8(48)) <= np.uint8(9)
    dcols = np.flatnonzero(is_digit)
    lo, hi = m.span(1)
    if dcols.size not in (7, 10, 11) or dcols[0] < lo - first or dcols[-1] >= hi - first:
        return None
    if dcols.size == 11:
        if row[dcols[0]] != 49:
            return None
        is_digit[dcols[0]] = False
        dcols = dcols[1:]
    grid = np.frombuffer(data, np.uint8, count=rows * width, offset=first).reshape(rows, width)
    other = np.flatnonzero(~is_digit)
    d = grid[:, dcols] - np.uint8(48)
    ok = (grid[:, other] == row[other]).all(axis=1) & (d <= 9).all(axis=1)
    ok &= d[:, 0] >= 2 if dcols.size == 7 else (d[:, 0] >= 2) & (d[:, 3] >= 2)
    if not ok.all():
        rows = int(np.argmin(ok))
        if rows < 8:
            return None
        d = d[:rows]
    if dcols.size == 7:
        pad = np.zeros((rows, 10), np.uint8)
        pad[:, 3:] = d
        return digits_value(pad), rows, width, True
    return digits_value(d), rows, width, False


def xml_records(member: Member, budget: Budget | None = None) -> Iterator[XmlRecords]:
    """The ``ph`` numbers of an XML member, in document order, grouped by their context.

    A document that does not close, or that holds a tag the reader cannot read, is a
    :class:`~dncguard.errors.RegistryFormatError` naming the line. ``budget`` (see
    :class:`~dncguard.sources._read.Budget`) refuses a member that is not a registry file early.
    """
    scan = _Scanner(member, budget)
    for block in blocks(member, cut=b">"):
        if scan.carry:  # the carried tail precedes the block: count its lines back
            data, base = scan.carry + block.data, block.line - count_lines(scan.carry)
        else:
            data, base = block.data, block.line
        offset = block.offset - len(scan.carry)
        scan.carry = b""
        yield from scan.feed(data, base, offset, block.last)
        if budget is not None:
            budget.check(block.offset + len(block.data) - len(scan.carry), scan.records)
