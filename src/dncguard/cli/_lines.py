"""The lines of the ``check`` report, one template per format (text, json, jsonl, junit), built
for a slice of decided rows at a time: per verdict once, per row by Arrow string kernels (see
:class:`_Lines`); and the texts of the invalid numbers, which bulk decides with one verdict but
``check`` explains one by one (:class:`_Explainer`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard._arrow import trimmed
from dncguard.cli._callfile import Defaults, call_from_record
from dncguard.cli._decide import _ByIdentity, _Piece, _Remembered
from dncguard.models import Consulted, Decision, Reason
from dncguard.policy import Verdict

if TYPE_CHECKING:
    from dncguard.guard import Guard

from dncguard.cli._escape import (
    _TERMINAL_BYTES,
    _TERMINAL_UNSAFE,
    _attr,
    _attr_column,
    _cdata,
    _safe_column,
    _strings,
)

# One policy, two front ends, one template per format: ``bulk.decide_batches`` decides the rows
# per distinct combination of facts; each verdict's text is built once and broadcast to its rows
# with Arrow's ``take``; only what varies per row (the row number, the number as written,
# ``next_allowed_at``, the called number in E.164, the registry id and the lists consulted) is
# formatted per row, by Arrow string kernels.
# Calls decided one by one (:func:`._report._decisions_piece`) are written through the same
# templates.


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


_MINUTE_US = 60_000_000


@functools.lru_cache(maxsize=1 << 14)
def _instant_text(utc_us: int, offset_seconds: int, *, json_style: bool) -> str:
    """An instant in a UTC offset, as ``Decision.next_allowed_at`` is written: ``isoformat()``
    (text, junit), or the Decision's JSON (json).

    Remembered (at most 16,384 texts, some 1 MB): the slices of a file share a few hundred
    distinct instants (the next opening of a rule, per zone and day), each some microseconds to
    write through a ``Decision``; worked out again for every slice, they cost as much as the
    Arrow kernels that write the slice's JSON lines."""
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
    """``next_allowed_at`` of each row as the per-call path writes ``Decision.next_allowed_at``
    (see :func:`_next_index`), between ``before`` and ``after``; a row without one gets ``none``
    (None: null)."""
    texts, positions = _next_index(next_at, at, json_style=json_style)
    if not texts:
        return pa.repeat(pa.scalar(none, pa.string()), len(next_at))
    return pc.take(_strings([*(f"{before}{t}{after}" for t in texts), none]), pa.array(positions))


def _next_index(
    next_at: npt.NDArray[np.int64], at: pa.Array, *, json_style: bool
) -> tuple[list[str], npt.NDArray[np.int32]]:
    """``next_allowed_at`` of each row as the per-call path writes ``Decision.next_allowed_at``:
    in the UTC offset of the call's own ``at`` (``policy.next_allowed_at`` returns
    ``t.astimezone(at.tzinfo)``). Returns the distinct texts and each row's index into them
    (``len(texts)``: none).

    ``next_at``: UTC microseconds, ``bulk.NO_NEXT`` where none. ``at``: the calls' ``at``
    column as read: ISO 8601 text keeps its written offset; an aware timestamp column has its
    time zone, whose offset at the instant itself applies. The rows share few distinct
    (instant, offset) pairs (the next opening of a rule, per zone and day): each pair is
    written once, in Python, exactly as ``check``'s decision writes it.
    """
    from dncguard import bulk

    n = len(next_at)
    has = next_at != bulk.NO_NEXT
    rows = np.flatnonzero(has)
    if not len(rows):
        return [], np.zeros(n, np.int32)
    utc = next_at[rows]
    picked = at.take(pa.array(rows))
    if pa.types.is_timestamp(picked.type):
        instants = pa.array(utc, pa.int64()).cast(pa.timestamp("us", tz=picked.type.tz or "UTC"))
        local = np.asarray(pc.local_timestamp(instants).cast(pa.int64()).to_numpy(zero_copy_only=False))
        offsets = (local.astype(np.int64) - utc) // 1_000_000
    else:
        offsets = _text_offsets(picked.cast(pa.string())) * 60
    # Each distinct (instant, offset) once: the instant from the slice's earliest, times the
    # number of distinct offsets, plus the offset's own number (one by one, were that too large).
    zones = pa.array(offsets, pa.int64()).dictionary_encode()
    span = int(utc.max()) - int(utc.min())
    if span < (1 << 62) // len(zones.dictionary):
        keys = (utc - utc.min()) * len(zones.dictionary) + np.asarray(zones.indices, np.int64)
    else:
        keys = np.arange(len(rows), dtype=np.int64)
    encoded = pa.array(keys).dictionary_encode()
    first = np.asarray(pc.index_in(encoded.dictionary, value_set=pa.array(keys)))
    texts = [_instant_text(int(utc[i]), int(offsets[i]), json_style=json_style) for i in first]
    positions = np.full(n, len(texts), np.int32)  # the last entry: none
    positions[rows] = np.asarray(encoded.indices)
    return texts, positions


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
    consulted: npt.NDArray[np.intp] | None = None
    """json: each row's index into its piece's distinct ``consulted`` values."""


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """What a format writes the same for every row of one verdict, and (json, jsonl) the text of
    each distinct ``consulted`` value, worked out once for a whole piece (see
    :meth:`_Lines.prepare`): each slice of the piece then only takes it per row."""

    allowed: npt.NDArray[np.bool_]
    """Whether each verdict allows the call."""
    texts: tuple[pa.Array, ...] = ()
    """Per verdict, one array each: text, the suffix; junit, the opening, the failure's head, the
    closing and the label of ``next_allowed_at``; json, the text before, between and after the
    per-row slots."""
    failure: tuple[str, ...] = ()
    """junit: each verdict's failure opening (an invalid number's text follows it)."""
    consulted: pa.Array | None = None
    """json: the JSON text of each distinct ``consulted`` value of the piece."""
    slots: tuple[str, ...] = ()
    """json: the per-row slots, in order."""
    runs: tuple[_Run, ...] = ()
    """json: the text between the numbers of a line (:class:`_Run`), in order."""


_NUMERIC = ("row", "number")
"""The JSON slots written from a number of each row (the others are texts of few values)."""


@dataclasses.dataclass(frozen=True)
class _Run:
    """json: the text of a line between two of its numbers (:data:`_NUMERIC`), or before the
    first or after the last: the template's segments with the keyed slots
    (``next_allowed_at``, ``consulted``) among them, each row's text a function of its verdict
    and of those slots' values. A line is then a few runs taken per row and the numbers
    between, where it was a take per segment and per slot."""

    items: tuple[int | str, ...]
    """The run's parts in order: an ``int``, that segment (:attr:`_Prepared.texts`); a ``str``,
    that keyed slot."""
    keyed: tuple[str, ...]
    """The keyed slots among the items, in order."""
    same: str | None
    """The run's text when it is the same for every verdict and has no keyed slot (``{"row": ``
    at the start of a line): a scalar of the join, taken for no row."""
    texts: pa.Array | None
    """The run's text per verdict, when it has no keyed slot."""


def _run(items: Sequence[int | str], segments: Sequence[Sequence[str]]) -> _Run:
    """The :class:`_Run` of ``items`` for a piece whose verdicts' segments are ``segments``."""
    keyed = tuple(i for i in items if isinstance(i, str))
    if keyed:
        return _Run(tuple(items), keyed, None, None)
    texts = ["".join(t[i] for i in items if isinstance(i, int)) for t in segments]
    same = texts[0] if texts and all(t == texts[0] for t in texts) else None
    return _Run(tuple(items), keyed, same, _strings(texts))


def _run_texts(
    run: _Run,
    segments: Sequence[pa.Array],
    verdict: npt.NDArray[np.int64],
    keyed: dict[str, tuple[pa.Array, npt.NDArray[np.integer[Any]]]],
) -> tuple[pa.Array, npt.NDArray[np.integer[Any]]]:
    """A run's distinct texts among rows of the verdicts ``verdict`` and each row's index into
    them: per verdict, or (a run with keyed slots, whose ``keyed[name]`` are the slot's texts and
    each row's index into them) per distinct combination of verdict and keyed values, each
    written once by a join of the small arrays."""
    if run.texts is not None:
        return run.texts, verdict
    key = verdict
    for name in run.keyed:
        values, index = keyed[name]
        key = key * len(values) + index
    encoded = pa.array(key, pa.int64()).dictionary_encode()
    rest = np.asarray(encoded.dictionary, np.int64)
    which: dict[str, pa.Array] = {}
    for name in reversed(run.keyed):
        size = len(keyed[name][0])
        which[name] = pa.array(rest % size)
        rest = rest // size
    of_verdict = pa.array(rest)
    parts = [
        pc.take(segments[i], of_verdict) if isinstance(i, int) else pc.take(keyed[i][0], which[i])
        for i in run.items
    ]
    return pc.binary_join_element_wise(*parts, ""), np.asarray(encoded.indices)


class _Lines:
    """Builds the output of one format for slices of decided rows (see :meth:`lines`).

    ``every``: list every call (``--all``; json and jsonl always do), else the blocked ones."""

    def __init__(self, fmt: str, explainer: _Explainer, path: str, *, every: bool = False) -> None:
        self.fmt, self.explainer, self.path = fmt, explainer, path
        self.every = every or fmt in ("json", "jsonl")
        self.classname = _attr(os.path.splitext(os.path.basename(path))[0])

    def prepare(self, piece: _Piece) -> _Prepared:
        """The texts of ``piece``'s verdicts (and, json, of its distinct ``consulted`` values),
        once for all its slices: a verdict is a few pydantic models, whose hashing and comparing
        (the texts' caches) cost more than the Arrow kernels that write the rows, when done again
        for every slice."""
        allowed = np.array([v.allowed for v in piece.verdicts], bool)
        if self.fmt == "text":
            return _Prepared(allowed, (_strings([_text_suffix_of(v) for v in piece.verdicts]),))
        if self.fmt == "junit":
            return self._junit_prepared(piece.verdicts, allowed)
        return self._json_prepared(piece, allowed)

    def lines(self, piece: _Piece, lo: int, hi: int, prepared: _Prepared | None = None) -> pa.Array:
        """The output of the rows listed among rows ``lo .. hi`` of ``piece`` (indices within
        it), one string a call; ``prepared``: :meth:`prepare` of ``piece`` (None: worked out)."""
        if prepared is None:
            prepared = self.prepare(piece)
        allowed_v = prepared.allowed
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
            piece.consulted[1][picked] if self.fmt in ("json", "jsonl") else None,
        )
        if self.fmt == "text":
            return self._text(chosen, prepared)
        if self.fmt == "junit":
            return self._junit(chosen, prepared)
        return self._json(chosen, prepared)

    def _text(self, r: _Rows, p: _Prepared) -> pa.Array:
        head = pc.if_else(pa.array(r.allowed), "ALLOWED  row ", "BLOCKED  row ")
        when = _next_texts(r.next_at, r.at, json_style=False, before="  next allowed ", after="\n", none="\n")
        return pc.binary_join_element_wise(
            head,
            r.rows,
            "  ",
            _safe_column(r.to, _TERMINAL_UNSAFE, _TERMINAL_BYTES),
            pc.take(p.texts[0], r.take),
            when,
            "",
        )

    @staticmethod
    def _junit_prepared(verdicts: Sequence[Verdict], allowed: npt.NDArray[np.bool_]) -> _Prepared:
        parts = [_junit_parts_of(v) for v in verdicts]
        opening, failure, closing, next_label, head = ([p[k] for p in parts] for k in range(5))
        texts = tuple(_strings(t) for t in (opening, head, closing, next_label))
        return _Prepared(allowed, texts, tuple(failure))

    def _junit(self, r: _Rows, p: _Prepared) -> pa.Array:
        opening, head, closing, next_label = p.texts
        if len(r.invalid):
            extra = [
                p.failure[int(inverse)] + text
                for inverse, text in zip(np.asarray(r.take)[r.invalid], r.explained, strict=True)
            ]
            head = pa.concat_arrays([head, _strings(extra)])
        to_attr = _attr_column(r.to)
        when = _next_texts(r.next_at, r.at, json_style=False)
        when = pc.fill_null(pc.binary_join_element_wise(pc.take(next_label, r.take), when, ""), "")
        return pc.binary_join_element_wise(
            f'    <testcase classname="{self.classname}" name="row ',
            r.rows,
            ": ",
            to_attr,
            pc.take(opening, r.take),
            pc.if_else(pa.array(r.allowed), "", to_attr),
            pc.take(head, _extended(r.take, r.invalid, len(r.verdicts))),
            when,
            pc.take(closing, r.take),
            "",
        )

    def _json_prepared(self, piece: _Piece, allowed: npt.NDArray[np.bool_]) -> _Prepared:
        """The piece's templates, one per verdict, each split around the per-row slots
        (:func:`_json_segments`), the line ends included (jsonl: ``\\n`` after; json: ``,\\n``
        before, the first comma left out by the writer); and the JSON text of each distinct
        ``consulted`` value, a slot taken per row."""
        values, _ = piece.consulted
        before, after = (",\n", "") if self.fmt == "json" else ("", "\n")
        slots: tuple[str, ...] = _VARYING
        segments: list[list[str]] = []
        for v in piece.verdicts:
            slots, texts = _json_segments_of(v)(piece.registry_id)
            segments.append([before + texts[0], *texts[1:-1], texts[-1] + after])
        columns = tuple(_strings([t[k] for t in segments]) for k in range(len(slots) + 1))
        consulted = _strings([_consulted_json_of(c) for c in values])
        runs: list[_Run] = []
        items: list[int | str] = [0]
        for k, name in enumerate(slots):
            if name in _NUMERIC:
                runs.append(_run(items, segments))
                items = []
            else:
                items.append(name)
            items.append(k + 1)
        runs.append(_run(items, segments))
        return _Prepared(allowed, columns, slots=slots, consulted=consulted, runs=tuple(runs))

    def _json(self, r: _Rows, p: _Prepared) -> pa.Array:
        """Each row's JSON object (:func:`_decision_record`) with its line end (jsonl: ``\\n``
        after it; json: ``,\\n`` before it, the first comma left out by the writer).

        The text that is the same for every row of one verdict (all but the row,
        ``next_allowed_at``, the number and the lists consulted) is one template per verdict;
        between the row's two numbers, each run of it (:class:`_Run`) with the
        ``next_allowed_at`` and ``consulted`` texts in it is written once per distinct
        combination in the slice and taken per row; the runs and the numbers are joined by one
        Arrow kernel. An invalid number's object is its own (its message names the number as
        written): the first run of the line, the rest blank."""
        assert p.consulted is not None
        assert r.consulted is not None
        n = len(r.numbers)
        verdict = np.asarray(r.take, np.int64)
        before, after = (",\n", "") if self.fmt == "json" else ("", "\n")
        next_texts, next_index = _next_index(r.next_at, r.at, json_style=True)
        keyed: dict[str, tuple[pa.Array, npt.NDArray[np.integer[Any]]]] = {
            "next_allowed_at": (_strings([*(f'"{t}"' for t in next_texts), "null"]), next_index),
            "consulted": (p.consulted, r.consulted),
        }
        numbers: dict[str, pa.Array] = {"row": r.rows, "number": pa.array(r.numbers).cast(pa.string())}
        invalid = r.invalid
        if len(invalid):
            kept = np.ones(n, bool)
            kept[invalid] = False
            numbers = {name: _blanked(values, kept) for name, values in numbers.items()}
            own = _strings([before + text + after for text in r.explained])
        between = [name for name in p.slots if name in _NUMERIC]
        parts: list[Any] = []
        for k, run in enumerate(p.runs):
            if k:
                parts.append(numbers[between[k - 1]])
            if run.same is not None and not len(invalid):
                parts.append(run.same)
                continue
            texts, index = _run_texts(run, p.texts, verdict, keyed)
            if len(invalid):
                index = np.array(index, np.int32)  # a copy: written to below
                index[invalid] = len(texts) + (np.arange(len(invalid), dtype=np.int32) if k == 0 else 0)
                texts = pa.concat_arrays([texts, own if k == 0 else _strings([""])])
            parts.append(pc.take(texts, pa.array(index)))
        # A blanked number (null) is left out, as an empty string would be.
        return pc.binary_join_element_wise(*parts, "", null_handling="skip")


def _blanked(values: pa.Array, kept: npt.NDArray[np.bool_]) -> pa.Array:
    """``values`` (strings) with the rows not ``kept`` null: the same buffers under another
    validity bitmap, no copy of the text (where ``values`` has no nulls of its own)."""
    if values.null_count or pa.types.is_large_string(values.type):
        return pc.if_else(pa.array(kept), values, pa.scalar(None, values.type))
    bits = np.zeros(len(kept) + values.offset, bool)
    bits[values.offset :] = kept
    validity = pa.py_buffer(np.packbits(bits, bitorder="little"))
    _, offsets, data = values.buffers()
    return pa.Array.from_buffers(values.type, len(values), [validity, offsets, data], offset=values.offset)


_VARYING = ("row", "next_allowed_at", "number", "consulted")
"""The slots of a JSON object written per row; the others are the same for a verdict."""


@functools.lru_cache(maxsize=4096)
def _json_segments(verdict: Verdict, registry_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A verdict's JSON object with its ``registry_id`` filled in, split around the slots of
    :data:`_VARYING`: (those slots in order, the text before, between and after them). The
    number's slot takes the ten digits (``"+1`` before it, ``"`` after)."""
    order, between = _json_template(verdict)
    filled = {"registry_id": json.dumps(registry_id)}
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


def _junit_parts(v: Verdict) -> tuple[str, str, str, str, str]:
    """A verdict's JUnit texts: the test case's opening, the failure's opening, the closing,
    the label of ``next_allowed_at``, and the failure's opening and text (an invalid number's
    text is its own, per row)."""
    codes = [x.code.value for x in v.reasons]
    next_label = "\nnext allowed at " if v.reasons else "next allowed at "
    if v.allowed:
        return '" time="0" />\n', "", "", next_label, ""
    kind = codes[0] if codes else "blocked"
    failure = _attr(f" blocked: {', '.join(codes)}") + f'" type="{_attr(kind)}">'
    head = failure + _cdata(_failure_lines(v.reasons))
    return '" time="0">\n      <failure message="', failure, "</failure>\n    </testcase>\n", next_label, head


_junit_parts_of = _ByIdentity(_junit_parts)
""":func:`_junit_parts`, remembered per verdict object (see :class:`._decide._ByIdentity`)."""


_json_segments_of = _ByIdentity(
    lambda verdict: _Remembered(functools.partial(_json_segments, verdict), bound=64)
)
""":func:`_json_segments` of a verdict object, remembered per registry id."""


@functools.lru_cache(maxsize=4096)
def _text_suffix(verdict: Verdict) -> str:
    """What follows the number in a text line: a blocked call's reasons, an allowed call's
    exemptions, each as ``code [jurisdiction]`` (the citations are in the legend)."""
    if verdict.allowed:
        items = [f"{e.code.value} [{e.jurisdiction}]" for e in verdict.exemptions]
    else:
        items = [f"{r.code.value} [{r.jurisdiction}]" for r in verdict.reasons]
    return "  " + "; ".join(items) if items else ""


_text_suffix_of = _ByIdentity(_text_suffix)
""":func:`_text_suffix`, remembered per verdict object (see :class:`._decide._ByIdentity`)."""


_consulted_json_of = _ByIdentity(_consulted_json)
""":func:`_consulted_json`, remembered per ``consulted`` value object: the batches of a file
share their values as the same objects (bulk's ``ProvenanceRows.distinct`` keeps them across batches)."""
