"""The ``check`` report, one template per format (text, json, junit), written from decided
pieces: per verdict once, per row by Arrow string kernels.
"""

from __future__ import annotations

import codecs
import collections
import datetime as dt
import functools
import itertools
import json
import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard._arrow import trimmed
from dncguard.cli._callfile import Batch, Defaults, call_from_record
from dncguard.cli._common import PROG, _Progress
from dncguard.cli._decide import _is_invalid, _Piece
from dncguard.models import Call, Consulted, Decision, Reason
from dncguard.policy import Verdict

if TYPE_CHECKING:
    from dncguard.guard import Guard


# One policy, two front ends, one template per format: ``bulk.decide_batches`` decides the rows
# per distinct combination of facts; each verdict's text is built once and broadcast to its rows
# with Arrow's ``take``; only what varies per row (the row number, the number as written,
# ``next_allowed_at``, the called number in E.164) is formatted per row, by Arrow string kernels.
# Calls decided one by one (:func:`_write_decisions`) are written through the same templates.

_FORMAT_ROWS = 1 << 18
"""Rows formatted (and written) at a time: bounds the memory the output text takes."""


def _strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def _attr(text: str) -> str:
    """``text`` escaped as ElementTree escapes an attribute value."""
    for old, new in _ATTR_ESCAPES:
        text = text.replace(old, new)
    return text


def _cdata(text: str) -> str:
    """``text`` escaped as ElementTree escapes element text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ATTR_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\r", "&#13;"),
    ("\n", "&#10;"),
    ("\t", "&#09;"),
)


def _attr_column(values: pa.Array) -> pa.Array:
    """:func:`_attr` of every string (the kernels run only when some value needs escaping)."""
    if not pc.any(pc.match_substring_regex(values, '[&<>"\r\n\t]')).as_py():
        return values
    for old, new in _ATTR_ESCAPES:
        values = pc.replace_substring(values, old, new)
    return values


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


_MINUTE_US = 60_000_000


def _instant_text(utc_us: int, offset_seconds: int, *, json_style: bool) -> str:
    """An instant in a UTC offset, as ``Decision.next_allowed_at`` is written: ``isoformat()``
    (text, junit), or the Decision's JSON (json)."""
    tz = dt.timezone(dt.timedelta(seconds=offset_seconds))
    when = (_EPOCH + dt.timedelta(microseconds=utc_us)).astimezone(tz)
    if json_style:
        dumped = Decision(allowed=False, number="", next_allowed_at=when).model_dump(mode="json")
        return str(dumped["next_allowed_at"])
    return when.isoformat()


def _next_texts(
    next_at: npt.NDArray[np.int64],
    at: pa.Array,
    *,
    json_style: bool,
    before: str = "",
    after: str = "",
    none: str | None = None,
) -> pa.Array:
    """``next_allowed_at`` of each row as the per-call path writes ``Decision.next_allowed_at``:
    in the UTC offset of the call's own ``at`` (``policy.next_allowed_at`` returns
    ``t.astimezone(at.tzinfo)``).

    ``next_at``: UTC microseconds, ``bulk.NO_NEXT`` where none (null in the result). ``at``: the
    calls' ``at`` column as read: ISO 8601 text keeps its written offset; an aware timestamp
    column has its time zone, whose offset at the instant itself applies. The rows share few
    distinct (instant, offset) pairs (the next opening of a rule, per zone and day): each pair
    is written once, in Python, exactly as ``check``'s decision writes it, between ``before``
    and ``after``; a row without one gets ``none``.
    """
    from dncguard import bulk

    n = len(next_at)
    has = next_at != bulk.NO_NEXT
    rows = np.flatnonzero(has)
    if not len(rows):
        return pa.repeat(pa.scalar(none, pa.string()), n)
    utc = next_at[rows]
    picked = at.take(pa.array(rows))
    if pa.types.is_timestamp(picked.type):
        instants = pa.array(utc, pa.int64()).cast(pa.timestamp("us", tz=picked.type.tz or "UTC"))
        local = np.asarray(pc.local_timestamp(instants).cast(pa.int64()).to_numpy(zero_copy_only=False))
        offsets = (local.astype(np.int64) - utc) // 1_000_000
    else:
        offsets = _text_offsets(picked.cast(pa.string())) * 60
    if np.any(utc % _MINUTE_US) or np.any(np.abs(offsets) >= 1 << 20):
        keys = np.arange(len(rows), dtype=np.int64)  # never from the minute search: one by one
    else:
        keys = (utc // _MINUTE_US) << 21 | (offsets + (1 << 20))
    encoded = pa.array(keys).dictionary_encode()
    first = np.asarray(pc.index_in(encoded.dictionary, value_set=pa.array(keys)))
    texts = [
        f"{before}{_instant_text(int(utc[i]), int(offsets[i]), json_style=json_style)}{after}" for i in first
    ]
    positions = np.full(n, len(texts), np.int32)  # the last entry: ``none`` (None: null)
    positions[rows] = np.asarray(encoded.indices)
    return pc.take(_strings([*texts, none]), pa.array(positions))


def _text_offsets(text: pa.Array) -> npt.NDArray[np.int64]:
    """The UTC offset, in minutes, written in each ISO 8601 time (``Z``: 0).

    The text's wall-clock part read as a naive time, less the instant it stands for; a text whose
    first 19 characters are not ``YYYY-MM-DDTHH:MM:SS`` (no seconds, say) is read by a pattern.
    """
    text = trimmed(text)
    instants = text.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    try:
        wall = pc.utf8_slice_codeunits(text, 0, 19).cast(pa.timestamp("us")).cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _pattern_offsets(text)
    utc = np.asarray(instants.to_numpy(zero_copy_only=False), dtype=np.int64)
    local = np.asarray(wall.to_numpy(zero_copy_only=False), dtype=np.int64)
    return (local - (utc - utc % 1_000_000)) // _MINUTE_US


def _pattern_offsets(text: pa.Array) -> npt.NDArray[np.int64]:
    parts = pc.extract_regex(text, r"(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2})?$")
    sign, hh, mm = (pc.struct_field(parts, name) for name in ("sign", "hh", "mm"))
    hours = pc.cast(pc.if_else(pc.equal(hh, ""), "0", hh), pa.int64())
    minutes = pc.cast(pc.if_else(pc.equal(mm, ""), "0", mm), pa.int64())
    total = pc.add(pc.multiply(hours, 60), minutes)
    total = pc.if_else(pc.equal(sign, "-"), pc.negate(total), total)
    return np.asarray(pc.fill_null(total, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


class _Explainer:
    """The rows whose number is invalid: bulk gives them one generic verdict, ``check`` a message
    naming the number and why. Each is explained alone (they are few), from the texts of
    ``policy.invalid_number`` itself filled in per row; a number that parses but whose area code
    is not a US or Canadian one (rarer still) is decided by ``check``."""

    _TO, _WHY, _ROW, _NUMBER = "\x00to\x00", "\x00why\x00", "\x00row\x00", "\x00number\x00"

    def __init__(self, guard: Guard, *, path: str) -> None:
        from dncguard.policy import invalid_number

        self.guard, self.path = guard, path
        self.calls: pa.Table | None = None  # every call, for check (set once the file is read)
        template = invalid_number(self._TO, self._WHY)
        (reason,) = template.reasons
        self._message = reason.message
        self._junit = f"{reason.code.value} ({reason.jurisdiction}, {reason.rule}): "
        decision = Decision(
            allowed=False,
            reasons=template.reasons,
            exemptions=(),
            number=self._NUMBER,
            registry_id=_registry_id(guard),
        )
        line = _json_line(0, decision).replace('"row": 0', f'"row": {json.dumps(self._ROW)}', 1)
        marks = {
            "row": json.dumps(self._ROW),
            "message": json.dumps(reason.message),
            "number": json.dumps(self._NUMBER),
        }
        self._order = sorted(marks, key=lambda name: line.index(marks[name]))
        self._json: list[str] = []
        for name in self._order:
            before, line = line.split(marks[name], 1)
            self._json.append(before)
        self._json.append(line)

    @staticmethod
    def _why(to: str) -> str | None:
        """Why the number as written does not parse (None: it parses)."""
        from dncguard.errors import InvalidNumberError
        from dncguard.numbers import parse_number

        try:
            parse_number(to)
        except InvalidNumberError as e:
            return e.why
        return None

    def explain(self, fmt: str, tos: Sequence[str], indices: Sequence[int]) -> list[str | None]:
        """The junit failure texts or json lines of invalid rows (0-based ``indices`` of the file,
        numbers ``tos`` as written); None where ``check`` must say (see :meth:`resolve`)."""
        out: list[str | None] = []
        for to, index in zip(tos, indices, strict=True):
            why = self._why(to)
            if why is None:
                out.append(None)
            elif fmt == "junit":
                out.append(_cdata(self._junit + self._message_of(to, why)))
            else:
                out.append(self._json_line(to, why, index))
        return out

    def resolve(self, fmt: str, index: int) -> str:
        """:meth:`explain` of row ``index`` by ``check``."""
        decision = self.decision(index)
        if fmt == "junit":
            return _cdata(_failure_lines(decision.reasons))
        return _json_line(index + 1, decision)

    def _message_of(self, to: str, why: str) -> str:
        return self._message.replace(repr(self._TO), repr(to)).replace(self._WHY, why)

    def decision(self, index: int) -> Decision:
        """``check``'s decision of row ``index`` (0-based)."""
        assert self.calls is not None
        record = self.calls.slice(index, 1).to_pylist()[0]
        call = call_from_record(record, path=self.path, row=index + 1, defaults=Defaults())
        return self.guard.check(call)

    def _json_line(self, to: str, why: str, index: int) -> str:
        values = {
            "row": str(index + 1),
            "message": json.dumps(self._message_of(to, why)),
            "number": json.dumps(to),
        }
        parts = [self._json[0]]
        for k, name in enumerate(self._order):
            parts += [values[name], self._json[k + 1]]
        return "".join(parts)


def _failure_lines(reasons: Sequence[Reason]) -> str:
    return "\n".join(f"{r.code.value} ({r.jurisdiction}, {r.rule}): {r.message}" for r in reasons)


class _Lines:
    """Builds the output of one format for slices of decided rows (see :meth:`lines`)."""

    def __init__(self, fmt: str, calls: pa.Table, explainer: _Explainer, path: str) -> None:
        self.fmt, self.calls, self.explainer, self.path = fmt, calls, explainer, path
        n = calls.num_rows
        self.row_width = len(str(n))
        self.width = pc.max(pc.utf8_length(calls.column("to"))).as_py() or 0
        self.escape_to = fmt == "junit" and _needs_escaping(calls.column("to"))
        self.blocked = 0  # set before head() (junit) and tail() are asked for
        self.provenance = ""  # the text summary's provenance lines, set before tail()
        self.classname = _attr(os.path.splitext(os.path.basename(path))[0])

    def head(self) -> str:
        if self.fmt != "junit":
            return ""
        n = self.calls.num_rows
        counts = f'tests="{n}" failures="{self.blocked}" errors="0" skipped="0"'
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="{_attr(PROG + " check")}" {counts}>\n'
            f'  <testsuite name="{_attr(self.path)}" {counts}{" />" if n == 0 else ">"}\n'
        )

    def tail(self) -> str:
        n = self.calls.num_rows
        if self.fmt == "text":
            return f"{self.provenance}{n} calls: {n - self.blocked} allowed, {self.blocked} blocked\n"
        if self.fmt == "junit":
            return "</testsuites>\n" if n == 0 else "  </testsuite>\n</testsuites>\n"
        return ""

    def lines(self, piece: _Piece, lo: int, hi: int) -> pa.Array:
        """The output of rows ``lo .. hi`` of ``piece`` (indices within it), one string a call."""
        verdicts = piece.verdicts
        inverse = piece.inverse[lo:hi]
        take = pa.array(inverse)
        start = piece.start + lo
        calls = self.calls.slice(start, hi - lo)
        to = calls.column("to").combine_chunks()
        allowed_v = np.array([v.allowed for v in verdicts], bool)
        allowed = allowed_v[inverse]
        next_at = np.where(allowed, np.int64(_no_next()), piece.next_at[lo:hi])
        rows = pa.array(np.arange(start + 1, start + 1 + (hi - lo), dtype=np.int64)).cast(pa.string())
        if self.fmt == "text":
            return self._text(verdicts, take, to, allowed, rows, next_at, calls)
        within = (piece.invalid >= lo) & (piece.invalid < hi)
        invalid = piece.invalid[within] - lo
        texts = piece.explained.result() if piece.explained is not None else [None] * len(piece.invalid)
        explained = [
            text if text is not None else self.explainer.resolve(self.fmt, start + int(i))
            for i, text in zip(invalid, itertools.compress(texts, within), strict=True)
        ]
        if self.fmt == "junit":
            return self._junit(
                verdicts, take, to, pa.array(allowed), rows, next_at, calls, invalid, explained
            )
        return self._json(piece, lo, hi, take, rows, next_at, calls, invalid, explained)

    def _text(
        self,
        verdicts: Sequence[Verdict],
        take: pa.Array,
        to: pa.Array,
        allowed: npt.NDArray[np.bool_],
        rows: pa.Array,
        next_at: npt.NDArray[np.int64],
        calls: pa.Table,
    ) -> pa.Array:
        head = pc.if_else(pa.array(allowed), "ALLOWED  row ", "BLOCKED  row ")
        # What follows the number as written: for a blocked call, the spaces that pad it to the
        # file's widest number and its verdict's reasons; built once per (verdict, padding) met.
        pad = np.where(allowed, 0, self.width - np.asarray(pc.utf8_length(to), np.int64))
        keys = pa.array(np.asarray(take, np.int64) * (self.width + 1) + pad).dictionary_encode()
        reasons: dict[int, str] = {}  # per verdict here: a cache hit compares Reason models
        suffixes = []
        for key in keys.dictionary.to_pylist():
            verdict, spaces = divmod(key, self.width + 1)
            v = verdicts[verdict]
            if v.allowed:
                suffixes.append("")
                continue
            if verdict not in reasons:
                reasons[verdict] = _reason_text_of(v.reasons)
            suffixes.append(" " * spaces + "  " + reasons[verdict])
        when = _next_texts(
            next_at,
            calls.column("at").combine_chunks(),
            json_style=False,
            before="  next allowed ",
            after="\n",
            none="\n",
        )
        return pc.binary_join_element_wise(
            head,
            pc.utf8_rpad(rows, width=self.row_width, padding=" "),
            "  ",
            to,
            pc.take(_strings(suffixes), keys.indices),
            when,
            "",
        )

    def _junit(
        self,
        verdicts: Sequence[Verdict],
        take: pa.Array,
        to: pa.Array,
        allowed: pa.Array,
        rows: pa.Array,
        next_at: npt.NDArray[np.int64],
        calls: pa.Table,
        invalid: npt.NDArray[np.intp],
        explained: Sequence[str],
    ) -> pa.Array:
        opening, failure, closing, next_label = [], [], [], []
        for v in verdicts:
            codes = [r.code.value for r in v.reasons]
            if v.allowed:
                opening.append('" time="0" />\n')
                failure.append("")
                closing.append("")
            else:
                opening.append('" time="0">\n      <failure message="')
                kind = codes[0] if codes else "blocked"
                failure.append(_attr(f" blocked: {', '.join(codes)}") + f'" type="{_attr(kind)}">')
                closing.append("</failure>\n    </testcase>\n")
            next_label.append("\nnext allowed at " if v.reasons else "next allowed at ")
        # The failure's opening and text: per verdict, and per row for the invalid numbers.
        head = [
            f + (_cdata(_failure_lines(v.reasons)) if not v.allowed else "")
            for f, v in zip(failure, verdicts, strict=True)
        ]
        head += [
            failure[int(inverse)] + text
            for inverse, text in zip(np.asarray(take)[invalid], explained, strict=True)
        ]
        to_attr = _attr_column(to) if self.escape_to else to
        when = _next_texts(next_at, calls.column("at").combine_chunks(), json_style=False)
        when = pc.fill_null(pc.binary_join_element_wise(pc.take(_strings(next_label), take), when, ""), "")
        return pc.binary_join_element_wise(
            f'    <testcase classname="{self.classname}" name="row ',
            rows,
            ": ",
            to_attr,
            pc.take(_strings(opening), take),
            pc.if_else(allowed, "", to_attr),
            pc.take(_strings(head), _extended(take, invalid, len(verdicts))),
            when,
            pc.take(_strings(closing), take),
            "",
        )

    def _json(
        self,
        piece: _Piece,
        lo: int,
        hi: int,
        take: pa.Array,
        rows: pa.Array,
        next_at: npt.NDArray[np.int64],
        calls: pa.Table,
        invalid: npt.NDArray[np.intp],
        explained: Sequence[str],
    ) -> pa.Array:
        verdicts, numbers = piece.verdicts, piece.numbers[lo:hi]
        values, which = piece.consulted
        consulted = pc.take(_strings([consulted_json(v) for v in values]), pa.array(which[lo:hi]))
        templates = [_json_template(v) for v in verdicts]
        order = templates[0][0]
        pieces = [_strings([t[1][k] for t in templates]) for k in range(len(order) + 1)]
        when = _next_texts(
            next_at, calls.column("at").combine_chunks(), json_style=True, before='"', after='"', none="null"
        )
        slots = {
            "row": rows,
            "next_allowed_at": when,
            "number": pc.binary_join_element_wise('"+1', pa.array(numbers).cast(pa.string()), '"', ""),
            "registry_id": pa.repeat(pa.scalar(json.dumps(piece.registry_id), pa.string()), hi - lo),
            "consulted": consulted,
        }
        index = take
        if len(invalid):
            # An invalid number's whole line (its message names the number) is the first piece.
            mask = np.zeros(len(numbers), bool)
            mask[invalid] = True
            blank = pa.array(mask)
            slots = {name: pc.if_else(blank, "", values) for name, values in slots.items()}
            pieces = [pa.concat_arrays([pieces[0], _strings(explained)])] + [
                pa.concat_arrays([p, _strings([""] * len(explained))]) for p in pieces[1:]
            ]
            index = _extended(take, invalid, len(verdicts))
        parts: list[Any] = [pc.take(pieces[0], index)]
        for k, name in enumerate(order):
            parts += [slots[name], pc.take(pieces[k + 1], index)]
        return pc.binary_join_element_wise(*parts, "")


def _extended(take: pa.Array, rows: npt.NDArray[np.intp], base: int) -> pa.Array:
    """``take`` with ``rows`` pointing past the ``base`` per-verdict entries, to their own."""
    if not len(rows):
        return take
    index = np.array(take, np.int32)
    index[rows] = base + np.arange(len(rows), dtype=np.int32)
    return pa.array(index)


_ESCAPED = np.zeros(256, bool)
_ESCAPED[[ord(c) for c in '&<>"\r\n\t']] = True


def _needs_escaping(values: pa.ChunkedArray) -> bool:
    """Whether any value holds a character an XML attribute escapes (a scan of the bytes)."""
    for chunk in values.chunks:
        data = chunk.buffers()[2]
        if data is not None and _ESCAPED[np.frombuffer(data, np.uint8)].any():
            return True
    return False


def _no_next() -> int:
    from dncguard import bulk

    return int(bulk.NO_NEXT)


def decision_record(decision: Decision) -> dict[str, Any]:
    """A decision as the command line prints it in JSON: every field, provenance included
    (``registry_id``, ``consulted``), as ``Decision.model_dump(mode="json")`` gives them. The one
    decision-to-JSON mapping of every JSON format."""
    return decision.model_dump(mode="json")


def consulted_json(consulted: Sequence[Consulted]) -> str:
    """The JSON text of a decision's ``consulted`` field, as :func:`decision_record` writes it."""
    return json.dumps([c.model_dump(mode="json") for c in consulted])


def provenance_summary(registry_id: str, consulted: Sequence[Sequence[Consulted]]) -> str:
    """The text summary's provenance lines: the registry id and the oldest national copy the
    calls were decided on, and the sellers whose internal list is not loaded when the registry
    holds others' (``consulted``: the calls' distinct ``consulted`` values)."""
    national = [
        c for value in consulted for c in value if c.obtained is not None and c.layer in ("us-ftc", "ca-dncl")
    ]
    if national:
        oldest = min(national, key=lambda c: (c.obtained, c.layer))
        copy = f"oldest national copy used: {oldest.layer} obtained {oldest.obtained}"
    else:
        copy = "no national copy used"
    lines = f"registry {registry_id or '(no id)'}; {copy}\n"
    missing = sorted(
        {
            c.layer.removeprefix("internal:")
            for value in consulted
            for c in value
            if c.layer.startswith("internal:") and c.listed is None
        }
    )
    if missing:
        names = ", ".join(repr(name) for name in missing)
        lines += f"no internal list loaded for seller{'s' if len(missing) > 1 else ''} {names}\n"
    return lines


def _registry_id(guard: Any) -> str:
    """The ``Registry.id`` of a guard's registry (``""``: a registry-like without one)."""
    from dncguard._provenance import provenance

    context = getattr(guard, "context", None)
    return "" if context is None else provenance(context).registry_id


def _json_line(row: int, decision: Decision) -> str:
    return json.dumps({"row": row, **decision_record(decision)}) + "\n"


_SLOTS = ("row", "next_allowed_at", "number", "registry_id", "consulted")


@functools.lru_cache(maxsize=4096)
def _json_template(verdict: Verdict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A verdict's JSON line split around the per-row values: (slot names in order, the text
    before, between and after them), from :func:`_json_line` itself."""
    marks = {name: f"\x00{name}\x00" for name in _SLOTS}
    decision = Decision(
        allowed=verdict.allowed,
        reasons=verdict.reasons,
        exemptions=verdict.exemptions,
        number="",
        jurisdictions=verdict.jurisdictions,
    )
    record: dict[str, Any] = {"row": marks["row"], **decision_record(decision)}
    for name in _SLOTS[1:]:
        record[name] = marks[name]
    text = json.dumps(record) + "\n"
    quoted = {name: json.dumps(mark) for name, mark in marks.items()}
    order = tuple(sorted(_SLOTS, key=lambda name: text.index(quoted[name])))
    between: list[str] = []
    for name in order:
        before, text = text.split(quoted[name], 1)
        between.append(before)
    between.append(text)
    return order, tuple(between)


@functools.lru_cache(maxsize=4096)
def _reason_text_of(reasons: tuple[Reason, ...]) -> str:
    return "; ".join(f"{r.code.value} [{r.jurisdiction}, {r.rule}]" for r in reasons)


class _Sink:
    """Writes text, and Arrow string arrays as their UTF-8 bytes, to a text stream."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        buffer = getattr(out, "buffer", None)
        encoding = getattr(out, "encoding", None) or ""
        utf8 = False
        if encoding:
            try:
                utf8 = codecs.lookup(encoding).name == "utf-8"
            except LookupError:
                utf8 = False
        self.buffer = buffer if utf8 and os.linesep == "\n" else None

    def text(self, text: str) -> None:
        if text:
            self.out.write(text)

    def lines(self, lines: pa.Array) -> None:
        if len(lines) == 0:
            return
        assert lines.null_count == 0
        if pa.types.is_large_string(lines.type):
            width: type[np.integer[Any]] = np.int64
        else:
            width = np.int32
        _, offsets_buf, data = lines.buffers()
        offsets = np.frombuffer(
            offsets_buf, width, count=len(lines) + 1, offset=lines.offset * np.dtype(width).itemsize
        )
        view = memoryview(data)[int(offsets[0]) : int(offsets[-1])]
        if self.buffer is None:
            self.out.write(bytes(view).decode("utf-8"))
            return
        self.out.flush()
        self.buffer.write(view)
        self.buffer.flush()


class _PieceWriter:
    """Writes decided pieces in order, formatted on two threads."""

    def __init__(self, explainer: _Explainer, calls: pa.Table, *, fmt: str, path: str, out: TextIO) -> None:
        self.fmt, self.path, self.out = fmt, path, out
        self.calls = explainer.calls = calls
        self.builder = _Lines(fmt, calls, explainer, path)
        self.sink = _Sink(out)
        self.pieces_written = 0
        self.rows_written = 0
        self.progress = _Progress()
        self.started = False

    def _start(self, blocked: int) -> None:
        if not self.started:
            self.started = True
            self.builder.blocked = blocked
            self.sink.text(self.builder.head())

    def write(self, pieces: Sequence[_Piece], blocked: int = 0) -> None:
        if not pieces:
            return
        self._start(blocked)
        slices = [
            (p, lo, min(lo + _FORMAT_ROWS, len(p.inverse)))
            for p in pieces
            for lo in range(0, len(p.inverse), _FORMAT_ROWS)
        ]
        with ThreadPoolExecutor(2, thread_name_prefix="dncguard-format") as pool:
            pending: collections.deque[Future[pa.Array]] = collections.deque()
            for piece, lo, hi in slices:
                pending.append(pool.submit(self.builder.lines, piece, lo, hi))
                if len(pending) > 2:
                    self._write(pending.popleft().result())
            while pending:
                self._write(pending.popleft().result())
        self.pieces_written += len(pieces)

    def _write(self, lines: pa.Array) -> None:
        self.sink.lines(lines)
        self.rows_written += len(lines)
        self.progress.show(f"{self.path}: wrote {self.rows_written:,} calls")

    def finish(self, pieces: Sequence[_Piece], blocked: int) -> None:
        self._start(blocked)
        self.write(pieces[self.pieces_written :], blocked)
        self.builder.blocked = blocked
        if self.fmt == "text" and self.calls.num_rows:
            registry_id = next((p.registry_id for p in pieces if p.registry_id), "")
            self.builder.provenance = provenance_summary(
                registry_id, [v for p in pieces for v in p.consulted[0]]
            )
        self.sink.text(self.builder.tail())
        self.out.flush()
        self.progress.done()


def _calls_table(batches: Sequence[Batch]) -> pa.Table:
    """The calls of a table file's batches, as one table (the report reads ``to`` and ``at``)."""
    return pa.concat_tables([b.calls for b in batches], promote_options="default")


def _write_decisions(
    guard: Guard,
    calls: Sequence[Call],
    tos: Sequence[str],
    decisions: Sequence[Decision],
    *,
    fmt: str,
    path: str,
    out: TextIO,
) -> None:
    """Report calls decided one by one (JSON records whose evidence the flat columns cannot
    hold) with the same templates as calls decided in bulk: the decisions become one piece of
    distinct verdicts, each invalid number's text taken from its own decision."""
    n = len(decisions)
    index: dict[Verdict, int] = {}
    inverse = np.empty(n, np.int32)
    next_at = np.full(n, _no_next(), np.int64)
    numbers = np.zeros(n, np.uint64)
    at: list[str] = []
    invalid: list[int] = []
    explained: list[str | None] = []
    consulted: dict[tuple[Consulted, ...], int] = {}
    which = np.zeros(n, np.intp)
    for i, (call, d) in enumerate(zip(calls, decisions, strict=True)):
        verdict = Verdict(d.allowed, d.reasons, d.exemptions, d.jurisdictions)
        inverse[i] = index.setdefault(verdict, len(index))
        which[i] = consulted.setdefault(d.consulted, len(consulted))
        when = d.next_allowed_at
        if when is not None:
            next_at[i] = (when - _EPOCH) // dt.timedelta(microseconds=1)
        at.append((when or call.at).isoformat())  # the offset next_allowed_at is written in
        if _is_invalid(verdict):
            invalid.append(i)
            explained.append(_json_line(i + 1, d) if fmt == "json" else _cdata(_failure_lines(d.reasons)))
        else:
            numbers[i] = int(d.number.removeprefix("+1"))
    done: Future[list[str | None]] = Future()
    done.set_result(explained)
    piece = _Piece(
        0,
        tuple(index),
        inverse,
        next_at,
        np.array(invalid, np.intp),
        numbers,
        done,
        registry_id=decisions[0].registry_id if decisions else _registry_id(guard),
        consulted=(tuple(consulted), which),
    )
    table = pa.table({"to": _strings(list(tos)), "at": _strings(at)})
    writer = _PieceWriter(_Explainer(guard, path=path), table, fmt=fmt, path=path, out=out)
    writer.finish([piece], int(np.count_nonzero(~np.array([d.allowed for d in decisions], bool))))
