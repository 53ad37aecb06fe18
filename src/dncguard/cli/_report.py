"""The ``check`` report, one template per format (text, json, jsonl, junit), written as the
calls are decided: per verdict once, per row by Arrow string kernels.

Text and JSON go to the output as each piece is decided; JUnit, whose opening element carries the
counts, goes to a temporary file until the counts are known. Nothing is kept per call, so the
memory ``check`` takes does not grow with the file (the text summary's provenance is tallied as
the pieces go: the registry id, the oldest national copy, the sellers without a list).
"""

from __future__ import annotations

import codecs
import collections
import dataclasses
import datetime as dt
import functools
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, Any, TextIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard._arrow import trimmed
from dncguard.cli._callfile import Defaults, call_from_record
from dncguard.cli._common import PROG, _Progress
from dncguard.cli._decide import _is_invalid, _Piece
from dncguard.models import Call, Consulted, Decision, Reason
from dncguard.policy import Verdict

if TYPE_CHECKING:
    from dncguard.guard import Guard


# One policy, two front ends, one template per format: ``bulk.decide_batches`` decides the rows
# per distinct combination of facts; each verdict's text is built once and broadcast to its rows
# with Arrow's ``take``; only what varies per row (the row number, the number as written,
# ``next_allowed_at``, the called number in E.164, the registry id and the lists consulted) is
# formatted per row, by Arrow string kernels.
# Calls decided one by one (:func:`_decisions_piece`) are written through the same templates.

FORMATS = ("text", "json", "jsonl", "junit")
"""``check --format``: text (for people), json (one array), jsonl (a line a call), junit."""

_FORMAT_ROWS = 1 << 18
"""Rows formatted (and written) at a time: bounds the memory the output text takes."""


# --- what the input may hold that the output must not pass on -------------------------------

_TERMINAL_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters the text report shows escaped: C0 and C1 controls (ANSI escapes start with one),
DEL, line separators and the bidirectional overrides (which reorder what a terminal shows)."""

_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""Characters XML 1.0 cannot hold at all, not even as a character reference."""


def _escaped_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _terminal_text(text: str) -> str:
    """``text`` with every character of :data:`_TERMINAL_UNSAFE` written as ``\\xNN`` / ``\\uNNNN``."""
    return _TERMINAL_UNSAFE.sub(_escaped_char, text)


def _xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 forbids written as ``\\xNN`` / ``\\uNNNN``."""
    return _XML_UNSAFE.sub(_escaped_char, text)


def _byte_table(values: Sequence[int]) -> npt.NDArray[np.bool_]:
    table = np.zeros(256, bool)
    table[list(values)] = True
    return table


# The UTF-8 bytes that start (or are) an unsafe character: a value holding none needs no look.
_TERMINAL_BYTES = _byte_table([*range(0x20), 0x7F, 0xC2, 0xE2])
_XML_BYTES = _byte_table([b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D)] + [0xED, 0xEF])


def _safe_column(values: pa.Array, pattern: re.Pattern[str], starts: npt.NDArray[np.bool_]) -> pa.Array:
    """``values`` with the characters of ``pattern`` escaped (a scan of the bytes first: the
    values are rewritten in Python only when some byte may start such a character)."""
    data = values.buffers()[2] if len(values) else None
    if data is None or not starts[np.frombuffer(data, np.uint8)].any():
        return values
    texts = values.to_pylist()
    return _strings([None if t is None else pattern.sub(_escaped_char, t) for t in texts])


def _strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def _attr(text: str) -> str:
    """``text`` escaped as ElementTree escapes an attribute value (after :func:`_xml_text`)."""
    text = _xml_text(text)
    for old, new in _ATTR_ESCAPES:
        text = text.replace(old, new)
    return text


def _cdata(text: str) -> str:
    """``text`` escaped as ElementTree escapes element text (after :func:`_xml_text`)."""
    return _xml_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
    values = _safe_column(values, _XML_UNSAFE, _XML_BYTES)
    if not len(values) or not pc.any(pc.match_substring_regex(values, '[&<>"\r\n\t]')).as_py():
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
    is not a US or Canadian one (rarer still) is decided by ``check``.

    ``defaults``: the values ``bulk`` was given for the columns the file leaves out (they are
    not in a piece's rows)."""

    _TO, _WHY, _ROW, _NUMBER = "\x00to\x00", "\x00why\x00", "\x00row\x00", "\x00number\x00"

    def __init__(self, guard: Guard, *, path: str, defaults: dict[str, Any] | None = None) -> None:
        from dncguard.policy import invalid_number

        self.guard, self.path, self.defaults = guard, path, dict(defaults or {})
        template = invalid_number(self._TO, self._WHY)
        (reason,) = template.reasons
        self._message = reason.message
        self._junit = f"{reason.code.value} ({reason.jurisdiction}, {reason.rule}): "
        # An invalid number consults no list (``consulted`` empty), as ``Guard.check`` says.
        decision = Decision(
            allowed=False,
            reasons=template.reasons,
            exemptions=(),
            number=self._NUMBER,
            registry_id=_registry_id(guard),
        )
        line = _json_object(0, decision).replace('"row": 0', f'"row": {json.dumps(self._ROW)}', 1)
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
        """The junit failure texts or JSON objects of invalid rows (0-based ``indices`` of the
        file, numbers ``tos`` as written); None where ``check`` must say (see :meth:`resolve`)."""
        out: list[str | None] = []
        for to, index in zip(tos, indices, strict=True):
            why = self._why(to)
            if why is None:
                out.append(None)
            elif fmt == "junit":
                out.append(_cdata(self._junit + self._message_of(to, why)))
            else:
                out.append(self._json_object(to, why, index))
        return out

    def resolve(self, fmt: str, calls: pa.Table | pa.RecordBatch, i: int, row: int) -> str:
        """:meth:`explain` of row ``i`` of ``calls`` (data row ``row`` of the file) by ``check``."""
        decision = self.decision(calls, i, row)
        if fmt == "junit":
            return _cdata(_failure_lines(decision.reasons))
        return _json_object(row, decision)

    def _message_of(self, to: str, why: str) -> str:
        return self._message.replace(repr(self._TO), repr(to)).replace(self._WHY, why)

    def decision(self, calls: pa.Table | pa.RecordBatch, i: int, row: int) -> Decision:
        """``check``'s decision of row ``i`` of ``calls`` (data row ``row`` of the file)."""
        record = calls.slice(i, 1).to_pylist()[0]
        for name, value in self.defaults.items():
            if record.get(name) is None:
                record[name] = value
        call = call_from_record(record, path=self.path, row=row, defaults=Defaults())
        return self.guard.check(call)

    def _json_object(self, to: str, why: str, index: int) -> str:
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


@dataclasses.dataclass(frozen=True)
class _Rows:
    """The rows of a piece a format lists (all, or the blocked ones), as the templates take them."""

    verdicts: Sequence[Verdict]
    take: pa.Array
    """Each row's verdict (an index into ``verdicts``)."""
    allowed: npt.NDArray[np.bool_]
    rows: pa.Array
    """The data rows (from 1), as text."""
    to: pa.Array
    at: pa.Array
    next_at: npt.NDArray[np.int64]
    numbers: npt.NDArray[np.uint64]
    invalid: npt.NDArray[np.intp]
    """The positions (among these rows) of the invalid numbers."""
    explained: Sequence[str]
    """Their junit text or JSON object."""
    registry_id: str = ""
    """The ``Registry.id`` the rows were decided on (json, jsonl)."""
    consulted: tuple[Sequence[tuple[Consulted, ...]], npt.NDArray[np.intp]] | None = None
    """The distinct ``consulted`` values and each row's index into them (json, jsonl; None for
    text and junit)."""


class _Lines:
    """Builds the output of one format for slices of decided rows (see :meth:`lines`).

    ``every``: list every call (``--all``; json and jsonl always do), else the blocked ones."""

    def __init__(self, fmt: str, explainer: _Explainer, path: str, *, every: bool = False) -> None:
        self.fmt, self.explainer, self.path = fmt, explainer, path
        self.every = every or fmt in ("json", "jsonl")
        self.classname = _attr(os.path.splitext(os.path.basename(path))[0])

    def lines(self, piece: _Piece, lo: int, hi: int) -> pa.Array:
        """The output of the rows listed among rows ``lo .. hi`` of ``piece`` (indices within
        it), one string a call."""
        allowed_v = np.array([v.allowed for v in piece.verdicts], bool)
        picked = np.arange(lo, hi) if self.every else lo + np.flatnonzero(~allowed_v[piece.inverse[lo:hi]])
        if not len(picked):
            return _strings([])
        inverse = piece.inverse[picked]
        allowed = allowed_v[inverse]
        next_at = np.where(allowed, np.int64(_no_next()), piece.next_at[picked])
        if self.every:  # every row of the slice: a slice, not a copy
            calls = piece.calls.select(["to", "at"]).slice(lo, hi - lo)
        else:
            calls = piece.calls.select(["to", "at"]).take(pa.array(picked))
        rows = pa.array(piece.start + 1 + picked.astype(np.int64)).cast(pa.string())
        invalid: npt.NDArray[np.intp] = np.zeros(0, np.intp)
        explained: list[str] = []
        if self.fmt != "text":
            within = (piece.invalid >= lo) & (piece.invalid < hi)
            inside = piece.invalid[within]
            invalid = np.searchsorted(picked, inside).astype(np.intp)
            texts = piece.explained.result() if piece.explained is not None else [None] * len(piece.invalid)
            explained = [
                text
                if text is not None
                else self.explainer.resolve(self.fmt, piece.calls, int(i), piece.start + int(i) + 1)
                for i, text in zip(inside, itertools.compress(texts, within), strict=True)
            ]
        consulted: tuple[Sequence[tuple[Consulted, ...]], npt.NDArray[np.intp]] | None = None
        if self.fmt in ("json", "jsonl"):
            values, which = piece.consulted
            consulted = (values, which[picked])
        chosen = _Rows(
            piece.verdicts,
            pa.array(inverse),
            allowed,
            rows,
            calls.column("to").combine_chunks() if isinstance(calls, pa.Table) else calls.column("to"),
            calls.column("at").combine_chunks() if isinstance(calls, pa.Table) else calls.column("at"),
            next_at,
            piece.numbers[picked],
            invalid,
            explained,
            piece.registry_id,
            consulted,
        )
        if self.fmt == "text":
            return self._text(chosen)
        if self.fmt == "junit":
            return self._junit(chosen)
        return self._json(chosen)

    def _text(self, r: _Rows) -> pa.Array:
        head = pc.if_else(pa.array(r.allowed), "ALLOWED  row ", "BLOCKED  row ")
        suffixes = [_text_suffix(v) for v in r.verdicts]
        when = _next_texts(r.next_at, r.at, json_style=False, before="  next allowed ", after="\n", none="\n")
        return pc.binary_join_element_wise(
            head,
            r.rows,
            "  ",
            _safe_column(r.to, _TERMINAL_UNSAFE, _TERMINAL_BYTES),
            pc.take(_strings(suffixes), r.take),
            when,
            "",
        )

    def _junit(self, r: _Rows) -> pa.Array:
        opening, failure, closing, next_label = [], [], [], []
        for v in r.verdicts:
            codes = [x.code.value for x in v.reasons]
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
            for f, v in zip(failure, r.verdicts, strict=True)
        ]
        head += [
            failure[int(inverse)] + text
            for inverse, text in zip(np.asarray(r.take)[r.invalid], r.explained, strict=True)
        ]
        to_attr = _attr_column(r.to)
        when = _next_texts(r.next_at, r.at, json_style=False)
        when = pc.fill_null(pc.binary_join_element_wise(pc.take(_strings(next_label), r.take), when, ""), "")
        return pc.binary_join_element_wise(
            f'    <testcase classname="{self.classname}" name="row ',
            r.rows,
            ": ",
            to_attr,
            pc.take(_strings(opening), r.take),
            pc.if_else(pa.array(r.allowed), "", to_attr),
            pc.take(_strings(head), _extended(r.take, r.invalid, len(r.verdicts))),
            when,
            pc.take(_strings(closing), r.take),
            "",
        )

    def _json(self, r: _Rows) -> pa.Array:
        """Each row's JSON object (:func:`_decision_record`) with its line end (jsonl: ``\\n``
        after it; json: ``,\\n`` before it, the first comma left out by the writer).

        The text that is the same for every row of one verdict and one ``consulted`` value (all
        but the row, ``next_allowed_at`` and the number) is one template per such combination,
        taken per row; the rows' own values are joined in between by one Arrow kernel."""
        assert r.consulted is not None
        values, which = r.consulted
        n = len(r.numbers)
        combos, per_row = _combinations(np.asarray(r.take, np.int64), which, len(values))
        before, after = (",\n", "") if self.fmt == "json" else ("", "\n")
        slots: tuple[str, ...] = ()
        segments: list[list[str]] = []
        for v, c in combos:
            slots, texts = _json_segments(r.verdicts[v], r.registry_id, values[c])
            segments.append([before + texts[0], *texts[1:-1], texts[-1] + after])
        columns = {
            "row": r.rows,
            "next_allowed_at": _next_texts(
                r.next_at, r.at, json_style=True, before='"', after='"', none="null"
            ),
            "number": pa.array(r.numbers).cast(pa.string()),
        }
        if len(r.invalid):
            # An invalid number's object is its own (its message names the number as written):
            # the first segment of a template of its own, the rest and the row's values blank.
            per_row[r.invalid] = len(segments) + np.arange(len(r.invalid), dtype=np.int32)
            segments += [[before + text + after] + [""] * len(slots) for text in r.explained]
            blanked = np.arange(n, dtype=np.int32)
            blanked[r.invalid] = n
            columns = {
                name: pc.take(pa.concat_arrays([values, _strings([""])]), pa.array(blanked))
                for name, values in columns.items()
            }
        index = pa.array(per_row)
        parts: list[Any] = [pc.take(_strings([t[0] for t in segments]), index)]
        for k, name in enumerate(slots):
            parts += [columns[name], pc.take(_strings([t[k + 1] for t in segments]), index)]
        return pc.binary_join_element_wise(*parts, "")


def _combinations(
    verdict: npt.NDArray[np.int64], consulted: npt.NDArray[np.intp], n_consulted: int
) -> tuple[list[tuple[int, int]], npt.NDArray[np.int32]]:
    """The distinct (verdict, consulted) pairs of the rows, and each row's index into them."""
    key = verdict * max(n_consulted, 1) + consulted
    encoded = pa.array(key).dictionary_encode()
    width = max(n_consulted, 1)
    pairs = [(int(k) // width, int(k) % width) for k in np.asarray(encoded.dictionary)]
    return pairs, np.array(encoded.indices, np.int32)  # a copy: the caller writes to it


_VARYING = ("row", "next_allowed_at", "number")
"""The slots of a JSON object written per row; the others are the same for a verdict and a
``consulted`` value."""


@functools.lru_cache(maxsize=4096)
def _json_segments(
    verdict: Verdict, registry_id: str, consulted: tuple[Consulted, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A verdict's JSON object with its ``registry_id`` and ``consulted`` filled in, split around
    the slots of :data:`_VARYING`: (those slots in order, the text before, between and after
    them). The number's slot takes the ten digits (``"+1`` before it, ``"`` after)."""
    order, between = _json_template(verdict)
    filled = {"registry_id": json.dumps(registry_id), "consulted": _consulted_json(consulted)}
    slots: list[str] = []
    texts: list[str] = []
    current = between[0]
    for k, name in enumerate(order):
        if name in filled:
            current += filled[name] + between[k + 1]
            continue
        if name == "number":
            current += '"+1'
        texts.append(current)
        slots.append(name)
        current = ('"' if name == "number" else "") + between[k + 1]
    texts.append(current)
    assert tuple(sorted(slots)) == tuple(sorted(_VARYING))
    return tuple(slots), tuple(texts)


def _extended(take: pa.Array, rows: npt.NDArray[np.intp], base: int) -> pa.Array:
    """``take`` with ``rows`` pointing past the ``base`` per-verdict entries, to their own."""
    if not len(rows):
        return take
    index = np.array(take, np.int32)
    index[rows] = base + np.arange(len(rows), dtype=np.int32)
    return pa.array(index)


def _no_next() -> int:
    from dncguard import bulk

    return int(bulk.NO_NEXT)


def _decision_record(row: int | str, decision: Decision) -> dict[str, Any]:
    """A decision as the JSON object ``check --format json`` / ``jsonl`` writes for it: the data
    row, then every field of the decision, provenance included (``registry_id``, ``consulted``),
    as ``Decision.model_dump(mode="json")`` gives them. The one place that says what the object
    holds: every JSON path (bulk templates, invalid numbers, calls decided one by one) is built
    from it."""
    return {"row": row, **decision.model_dump(mode="json")}


def _json_object(row: int, decision: Decision) -> str:
    return json.dumps(_decision_record(row, decision))


@functools.lru_cache(maxsize=4096)
def _consulted_json(consulted: tuple[Consulted, ...]) -> str:
    """The JSON text of a decision's ``consulted`` field, as :func:`_decision_record` writes it."""
    return json.dumps(
        _decision_record(0, Decision(allowed=False, number="", consulted=consulted))["consulted"]
    )


def _registry_id(guard: Any) -> str:
    """The ``Registry.id`` of a guard's registry (``""``: a registry-like without one)."""
    from dncguard._provenance import provenance

    context = getattr(guard, "context", None)
    return "" if context is None else provenance(context).registry_id


_SLOTS = ("row", "next_allowed_at", "number", "registry_id", "consulted")


@functools.lru_cache(maxsize=4096)
def _json_template(verdict: Verdict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A verdict's JSON object split around the per-row values: (slot names in order, the text
    before, between and after them), from :func:`_decision_record` itself."""
    marks = {name: f"\x00{name}\x00" for name in _SLOTS}
    decision = Decision(
        allowed=verdict.allowed,
        reasons=verdict.reasons,
        exemptions=verdict.exemptions,
        number="",
        jurisdictions=verdict.jurisdictions,
    )
    record = _decision_record(marks["row"], decision)
    for name in _SLOTS[1:]:
        assert name in record, name  # every slot is a field of the decision's object
        record[name] = marks[name]
    text = json.dumps(record)
    quoted = {name: json.dumps(mark) for name, mark in marks.items()}
    order = tuple(sorted(_SLOTS, key=lambda name: text.index(quoted[name])))
    between: list[str] = []
    for name in order:
        before, text = text.split(quoted[name], 1)
        between.append(before)
    between.append(text)
    return order, tuple(between)


@functools.lru_cache(maxsize=4096)
def _text_suffix(verdict: Verdict) -> str:
    """What follows the number in a text line: a blocked call's reasons, an allowed call's
    exemptions, each as ``code [jurisdiction]`` (the citations are in the legend)."""
    if verdict.allowed:
        items = [f"{e.code.value} [{e.jurisdiction}]" for e in verdict.exemptions]
    else:
        items = [f"{r.code.value} [{r.jurisdiction}]" for r in verdict.reasons]
    return "  " + "; ".join(items) if items else ""


class _Sink:
    """Writes text, and Arrow string arrays as their UTF-8 bytes, to a text stream, or to a
    binary file (``binary``)."""

    def __init__(self, out: TextIO | None, binary: IO[bytes] | None = None) -> None:
        self.out = out
        self.buffer: IO[bytes] | None = binary
        if out is not None:
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
        if not text:
            return
        if self.out is None:
            assert self.buffer is not None
            self.buffer.write(text.encode("utf-8"))
        else:
            self.out.write(text)

    def lines(self, lines: pa.Array, skip: int = 0) -> None:
        """Write ``lines`` (all but their first ``skip`` bytes)."""
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
        view = memoryview(data)[int(offsets[0]) + skip : int(offsets[-1])]
        if self.out is None:
            assert self.buffer is not None
            self.buffer.write(view)
            return
        if self.buffer is None:
            self.out.write(bytes(view).decode("utf-8"))
            return
        self.out.flush()
        self.buffer.write(view)
        self.buffer.flush()

    def copy(self, spool: IO[bytes]) -> None:
        """Write what ``spool`` holds (UTF-8), from its start."""
        spool.seek(0)
        if self.out is None or self.buffer is not None:
            target = self.buffer
            assert target is not None
            if self.out is not None:
                self.out.flush()
            shutil.copyfileobj(spool, target, 1 << 20)
            target.flush()
            return
        decoder = codecs.getincrementaldecoder("utf-8")()
        while chunk := spool.read(1 << 20):
            self.out.write(decoder.decode(chunk))
        self.out.write(decoder.decode(b"", final=True))


class _Report:
    """The report of one ``check``: decided pieces written in order as they come (formatted on
    two threads), the counts kept, and the summary (text), the closing bracket (json) or the
    whole document around the spooled test cases (junit) written by :meth:`finish`.

    JUnit's ``<testsuite>`` carries its counts in its opening tag, before the test cases, which
    is where every consumer reads them; so the test cases go to a temporary file first (disk,
    not memory) and the document is put together once the counts are known. A bad input met
    late in the file (exit 2) then leaves no JUnit document at all, rather than a wrong one."""

    def __init__(
        self, explainer: _Explainer, *, fmt: str, path: str, out: TextIO, every: bool = False
    ) -> None:
        self.fmt, self.path, self.every = fmt, path, every
        self.builder = _Lines(fmt, explainer, path, every=every)
        self.out = _Sink(out)
        self.spool: IO[bytes] | None = None
        self.sink = self.out
        if fmt == "junit":
            self.spool = tempfile.TemporaryFile(prefix="dncguard-check-")  # noqa: SIM115 (closed by close)
            self.sink = _Sink(None, self.spool)
        self.calls = self.blocked = 0
        self.reasons: collections.Counter[str] = collections.Counter()
        self.cited: dict[tuple[str, str, str], None] = {}
        self.sources = _Sources()
        self.started = False
        self.rows_written = 0
        self.progress = _Progress()

    def _count(self, piece: _Piece) -> None:
        if self.fmt == "text":
            self.sources.add(piece.registry_id, piece.consulted[0])
        counts = np.bincount(piece.inverse, minlength=len(piece.verdicts)).tolist()
        for v, count in zip(piece.verdicts, counts, strict=True):
            if not count:
                continue
            self.calls += count
            if v.allowed:
                if self.every:
                    self.cited.update(((e.code.value, e.jurisdiction, e.rule), None) for e in v.exemptions)
                continue
            self.blocked += count
            for r in v.reasons:
                self.reasons[r.code.value] += count
                self.cited[(r.code.value, r.jurisdiction, r.rule)] = None

    def write(self, pieces: Sequence[_Piece]) -> None:
        if not pieces:
            return
        for piece in pieces:
            self._count(piece)
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

    def _write(self, lines: pa.Array) -> None:
        if not len(lines):
            return
        skip = 0
        if not self.started:
            self.started = True
            if self.fmt == "json":
                self.sink.text("[")
                skip = 1  # the comma before the first element
        self.sink.lines(lines, skip)
        self.rows_written += len(lines)
        self.progress.show(f"{self.path}: wrote {self.rows_written:,} calls")

    def finish(self) -> None:
        """Write what follows the calls (and, for junit, the whole document); flush."""
        if self.fmt == "text":
            self.out.text(self._legend() + self._summary())
        elif self.fmt == "json":
            self.out.text("\n]\n" if self.started else "[]\n")
        elif self.fmt == "junit":
            assert self.spool is not None
            self.out.text(self._junit_head())
            self.out.copy(self.spool)
            self.out.text("  </testsuite>\n</testsuites>\n")
            self.spool.close()
        if self.out.out is not None:
            self.out.out.flush()
        self.progress.done()

    def close(self) -> None:
        """Drop the spool (after an error: nothing of a junit document is written)."""
        if self.spool is not None:
            self.spool.close()

    def _legend(self) -> str:
        if not self.cited:
            return ""
        lines = [f"  {code} [{where}]: {rule}\n" for code, where, rule in sorted(self.cited)]
        return "\ncitations:\n" + "".join(lines) + "\n"

    def _summary(self) -> str:
        """The provenance lines (when there are calls), the counts, and the count per reason."""
        n, blocked = self.calls, self.blocked
        counts = sorted(self.reasons.items(), key=lambda item: (-item[1], item[0]))
        provenance = self.sources.summary() if n else ""
        return f"{provenance}{n} calls: {n - blocked} allowed, {blocked} blocked\n" + "".join(
            f"  {code}: {count}\n" for code, count in counts
        )

    def _junit_head(self) -> str:
        n, blocked = self.calls, self.blocked
        allowed = n - blocked
        aggregate = not self.every and allowed > 0
        cases = n if self.every else blocked + aggregate
        counts = f'tests="{cases}" failures="{blocked}" errors="0" skipped="0"'
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="{_attr(PROG + " check")}" {counts}>\n'
            f'  <testsuite name="{_attr(self.path)}" {counts}>\n'
            "    <properties>\n"
            f'      <property name="calls" value="{n}" />\n'
            f'      <property name="allowed" value="{allowed}" />\n'
            f'      <property name="blocked" value="{blocked}" />\n'
            "    </properties>\n"
        )
        if aggregate:
            head += (
                f'    <testcase classname="{self.builder.classname}" '
                f'name="{allowed} allowed calls" time="0" />\n'
            )
        return head


_NATIONAL_LAYERS = ("us-ftc", "ca-dncl")


class _Sources:
    """What the text summary says the calls were decided on, tallied piece by piece from each
    piece's distinct ``consulted`` values (nothing kept per call): the registry id, the oldest
    national copy used, and the sellers whose internal list is not loaded when the registry
    holds others'."""

    def __init__(self) -> None:
        self.registry_id = ""
        self.oldest: tuple[dt.date, str] | None = None
        self.unlisted: set[str] = set()

    def add(self, registry_id: str, consulted: Sequence[Sequence[Consulted]]) -> None:
        if not self.registry_id:
            self.registry_id = registry_id
        for value in consulted:
            for c in value:
                if c.layer in _NATIONAL_LAYERS and c.obtained is not None:
                    if self.oldest is None or (c.obtained, c.layer) < self.oldest:
                        self.oldest = (c.obtained, c.layer)
                elif c.layer.startswith("internal:") and c.listed is None:
                    self.unlisted.add(c.layer.removeprefix("internal:"))

    def summary(self) -> str:
        if self.oldest is None:
            copy = "no national copy used"
        else:
            obtained, layer = self.oldest
            copy = f"oldest national copy used: {layer} obtained {obtained.isoformat()}"
        lines = f"registry {self.registry_id or '(no id)'}; {copy}\n"
        if self.unlisted:  # repr escapes any control character a seller's name holds
            names = ", ".join(repr(name) for name in sorted(self.unlisted))
            plural = "s" if len(self.unlisted) > 1 else ""
            lines += f"no internal list loaded for seller{plural} {names}\n"
        return lines


def provenance_summary(registry_id: str, consulted: Sequence[Sequence[Consulted]]) -> str:
    """The text summary's provenance lines for calls decided on registry ``registry_id`` whose
    distinct ``consulted`` values are ``consulted``."""
    sources = _Sources()
    sources.add(registry_id, consulted)
    return sources.summary()


def _decisions_piece(
    guard: Guard,
    start: int,
    calls: Sequence[Call],
    tos: Sequence[str],
    decisions: Sequence[Decision],
    *,
    fmt: str,
) -> _Piece:
    """Calls decided one by one (JSON records whose evidence the flat columns cannot hold), rows
    ``start + 1 ..`` of the file, as a piece the templates write as they write calls decided in
    bulk: the decisions' distinct verdicts (and distinct ``consulted`` values), each invalid
    number's text taken from its own decision."""
    n = len(decisions)
    index: dict[Verdict, int] = {}
    consulted: dict[tuple[Consulted, ...], int] = {}
    which = np.zeros(n, np.intp)
    inverse = np.empty(n, np.int32)
    next_at = np.full(n, _no_next(), np.int64)
    numbers = np.zeros(n, np.uint64)
    at: list[str] = []
    invalid: list[int] = []
    explained: list[str | None] = []
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
            row = start + i + 1
            explained.append(_cdata(_failure_lines(d.reasons)) if fmt == "junit" else _json_object(row, d))
        else:
            numbers[i] = int(d.number.removeprefix("+1"))
    done: Future[list[str | None]] = Future()
    done.set_result(explained)
    return _Piece(
        start,
        tuple(index),
        inverse,
        next_at,
        np.array(invalid, np.intp),
        numbers,
        pa.table({"to": _strings(list(tos)), "at": _strings(at)}),
        done,
        registry_id=decisions[0].registry_id if decisions else _registry_id(guard),
        consulted=(tuple(consulted), which),
    )
