"""The lines of the ``check`` report, one template per format (text, json, jsonl, junit), built
for a slice of decided rows at a time: per verdict once, per row by one pass of the C join (see
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
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard._arrow import trimmed
from dncguard._ledger import _chain
from dncguard._ledger._chain import Decimals, Taken, Texts, Whole
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
# per distinct combination of facts; each verdict's texts are built once a piece, as tables the
# C join (:func:`._chain.join`) takes each row's text from by index; what varies per row (the row
# number, the number as written, ``next_allowed_at``, the called number, the lists consulted) is
# written per row by the same join, in one pass, with the GIL let go (or by its Arrow twin where
# the extension was not built: the same bytes).
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
        self._junit = f"{reason.code.value} [{reason.jurisdiction}]: "
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
    """A JUnit failure's text: each reason as ``code [jurisdiction]: message``, a line each (its
    citation is in the legend at the end of the suite, once: ``_report._junit_legend``)."""
    return "\n".join(f"{r.code.value} [{r.jurisdiction}]: {r.message}" for r in reasons)


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """What a format writes the same for every row of one verdict, and (json, jsonl) the text of
    each distinct ``consulted`` value, worked out once for a whole piece (see
    :meth:`_Lines.prepare`) as tables of texts encoded once (:class:`._chain.Texts`): each slice
    of the piece then only says, per row, which text of each table its line takes."""

    allowed: npt.NDArray[np.bool_]
    """Whether each verdict allows the call."""
    texts: tuple[str | Texts, ...] = ()
    """Per verdict: text, the line's head and the suffix; junit, the opening, the failure's head
    (and an empty text past the verdicts': an invalid number's row, whose own text follows) and
    the closing; json, the text before, between and after the per-row slots (:attr:`slots`).
    A text the same for every verdict is a ``str``. The line feed that ends a line is the
    join's, not the last text's."""
    failure: tuple[str, ...] = ()
    """junit: each verdict's failure opening (an invalid number's text follows it)."""
    reasons: npt.NDArray[np.int64] | None = None
    """junit: whether each verdict has reasons (1) or not (0): ``next_allowed_at``'s label."""
    consulted: Texts | None = None
    """json: the JSON text of each distinct ``consulted`` value of the piece."""
    slots: tuple[str, ...] = ()
    """json: the per-row slots, in order."""


def _per_verdict(texts: Sequence[str]) -> str | Texts:
    """A table of one text per verdict, or the text itself where it is every verdict's."""
    if texts and all(t == texts[0] for t in texts):
        return texts[0]
    return Texts(texts)


def _of_verdict(texts: str | Texts, verdict: npt.NDArray[np.int64]) -> str | Taken:
    """The part of a line that is each row's verdict's text of ``texts``."""
    return texts if isinstance(texts, str) else Taken(texts, verdict)


class _Buffers:
    """The buffers the C join writes a slice's lines into, used again once the lines are
    written (:meth:`release`) instead of fresh ones from Arrow's pool each slice.

    A fresh buffer of some megabytes has its pages faulted in (and zeroed by the kernel) as the
    join first writes them: jemalloc hands much of what a slice freed back to the system before
    the next slice asks, and 10 million JSON Lines (4.8 GB) faulted in some 1.5 GB of pages
    that way. A buffer used again is already mapped, and its lines are written into pages that
    the processor's caches may still hold. At most :data:`_BUFFERS_KEPT` are kept (the slices
    in flight at once: see ``_report._Ordered``), so what is held does not grow with the file."""

    def __init__(self, kept: int | None = None) -> None:
        self._kept = _BUFFERS_KEPT if kept is None else kept
        self._free: list[pa.Buffer] = []
        self._lent: dict[int, pa.Buffer] = {}
        self._lock = threading.Lock()

    def allocate(self, size: int) -> pa.Buffer:
        """A writable buffer of at least ``size`` bytes, not lent out: the smallest free one
        that holds ``size`` (and is not more than four times as large), else a new one."""
        with self._lock:
            fits = [b for b in self._free if size <= b.size <= 4 * size + _SMALLEST]
            if fits:
                buffer = min(fits, key=lambda b: b.size)
                self._free.remove(buffer)
            else:
                buffer = None
        if buffer is None:
            # Some room to spare, so that the next slices' (of about as many bytes) fit.
            buffer = pa.allocate_buffer(max(size + size // 8, _SMALLEST))
        with self._lock:
            self._lent[buffer.address] = buffer
        return buffer

    def release(self, lines: pa.Array) -> None:
        """Take back the buffers of ``lines`` (:func:`_joined`'s), which are not read again."""
        with self._lock:
            for held in lines.buffers()[1:]:
                buffer = None if held is None else self._lent.pop(held.address, None)
                if buffer is None:
                    continue
                self._free.append(buffer)
                if len(self._free) > self._kept:  # the smallest dropped: the larger serve more
                    self._free.remove(min(self._free, key=lambda b: b.size))


_BUFFERS_KEPT = 8
"""Buffers :class:`_Buffers` keeps for reuse: a payload and its ends for each of the slices that
may be in flight at once (``_report._AHEAD``, one more being written)."""

_SMALLEST = 1 << 16
"""The least :class:`_Buffers` allocates (a slice's ends are ``8 * (rows + 1)`` bytes)."""


def _joined(parts: Sequence[Any], n: int, first_seq: int, buffers: _Buffers | None = None) -> pa.Array:
    """The ``n`` lines of ``parts`` (:func:`._chain.join`, each ended by a line feed; in C with
    the GIL let go, into ``buffers``' buffers, else new buffers of Arrow's memory pool; else by
    its Arrow twin, the same bytes), as an Arrow ``large_string`` array over the joined bytes
    (no copy). Where ``buffers`` are used, the array's buffers are lent: give them back with
    ``buffers.release(array)`` once the lines are written, and read the array no more."""
    got = _chain.join(parts, n, first_seq, pa.allocate_buffer if buffers is None else buffers.allocate)
    if got is None:
        got = _chain.python_join(parts, n, first_seq)
    payload, ends = (b if isinstance(b, pa.Buffer) else pa.py_buffer(b) for b in got)
    return pa.Array.from_buffers(pa.large_string(), n, [None, ends, payload])


def _plain(values: pa.Array) -> pa.Array:
    """A string column as the C join takes it (``string``, not ``large_string``: a slice's)."""
    return values.cast(pa.string()) if pa.types.is_large_string(values.type) else values


class _Lines:
    """Builds the output of one format for slices of decided rows (see :meth:`lines`).

    ``every``: list every call (``--all``; json and jsonl always do), else the blocked ones."""

    def __init__(self, fmt: str, explainer: _Explainer, path: str, *, every: bool = False) -> None:
        self.fmt, self.explainer, self.path = fmt, explainer, path
        self.every = every or fmt in ("json", "jsonl")
        self.classname = _attr(os.path.splitext(os.path.basename(path))[0])
        self.buffers = _Buffers()
        """Where the lines are joined: give each slice's back (:meth:`release`) once written."""

    def release(self, lines: pa.Array) -> None:
        """Give back the buffers of ``lines`` (of :meth:`lines`), written and not read again."""
        self.buffers.release(lines)

    def prepare(self, piece: _Piece) -> _Prepared:
        """The texts of ``piece``'s verdicts (and, json, of its distinct ``consulted`` values),
        once for all its slices: a verdict is a few pydantic models, whose hashing and comparing
        (the texts' caches) cost more than writing the rows, when done again for every slice."""
        allowed = np.array([v.allowed for v in piece.verdicts], bool)
        if self.fmt == "text":
            heads = [("ALLOWED" if v.allowed else "BLOCKED") + "  row " for v in piece.verdicts]
            suffixes = [_text_suffix_of(v) for v in piece.verdicts]
            return _Prepared(allowed, (_per_verdict(heads), _per_verdict(suffixes)))
        if self.fmt == "junit":
            return self._junit_prepared(piece.verdicts, allowed)
        return self._json_prepared(piece, allowed)

    def lines(self, piece: _Piece, lo: int, hi: int, prepared: _Prepared | None = None) -> pa.Array:
        """The output of the rows listed among rows ``lo .. hi`` of ``piece`` (indices within
        it), one string a call, each ended by a line feed (json: each object followed by ``,``,
        the writer leaving out the last); ``prepared``: :meth:`prepare` of ``piece`` (None:
        worked out).

        Each line is joined in one pass (:func:`._chain.join`, in C where built, the GIL let go):
        per row, the texts of its verdict from the piece's tables, the row number, and the
        texts of its few distinct values (``next_allowed_at``, ``consulted``) from the slice's
        tables, the number in decimal; an invalid number's line is its own text, whole."""
        if prepared is None:
            prepared = self.prepare(piece)
        allowed_v = prepared.allowed
        picked = np.arange(lo, hi) if self.every else lo + np.flatnonzero(~allowed_v[piece.inverse[lo:hi]])
        n = len(picked)
        if not n:
            return _strings([])
        inverse = piece.inverse[picked]
        verdict = inverse.astype(np.int64)
        allowed = allowed_v[inverse]
        next_at = np.where(allowed, np.int64(_no_next()), piece.next_at[picked])
        if self.every:  # every row of the slice: a slice, not a copy
            calls = piece.calls.select(["to", "at"]).slice(lo, hi - lo)
        else:
            calls = piece.calls.select(["to", "at"]).take(pa.array(picked))
        to, at = (
            column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
            for column in (calls.column("to"), calls.column("at"))
        )
        # The row numbers: the seq of a slice of consecutive rows, else each row's own.
        row: Decimals | None = None if self.every else Decimals(piece.start + 1 + picked)
        first_seq = piece.start + 1 + lo
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
        if self.fmt == "text":
            parts = self._text(prepared, verdict, row, to, at, next_at)
        elif self.fmt == "junit":
            parts = self._junit(prepared, verdict, allowed, row, to, at, next_at, invalid, explained)
        else:
            consulted = piece.consulted[1][picked]
            parts = self._json(
                prepared, verdict, row, at, next_at, piece.numbers[picked], consulted, invalid, explained
            )
        return _joined(parts, n, first_seq, self.buffers)

    @staticmethod
    def _text(
        p: _Prepared,
        verdict: npt.NDArray[np.int64],
        row: Decimals | None,
        to: pa.Array,
        at: pa.Array,
        next_at: npt.NDArray[np.int64],
    ) -> list[Any]:
        heads, suffixes = p.texts
        next_texts, next_index = _next_index(next_at, at, json_style=False)
        when = Taken([*(f"  next allowed {t}" for t in next_texts), ""], next_index)
        safe = _plain(_safe_column(to, _TERMINAL_UNSAFE, _TERMINAL_BYTES))
        return [_of_verdict(heads, verdict), row, "  ", safe, _of_verdict(suffixes, verdict), when]

    @staticmethod
    def _junit_prepared(verdicts: Sequence[Verdict], allowed: npt.NDArray[np.bool_]) -> _Prepared:
        openings, heads, closings, reasons = [], [], [], []
        failure = []
        for v in verdicts:
            opening, fail, closing, next_label, head = _junit_parts_of(v)
            # The line feed that ends the test case is the join's: the closing's, or (an allowed
            # call, which has neither failure nor ``next_allowed_at``) the opening's.
            if closing.endswith("\n"):
                closing = closing[:-1]
            elif v.allowed and not head and not closing and opening.endswith("\n"):
                opening = opening[:-1]
            else:  # pragma: no cover - every test case ends in a line feed
                raise AssertionError(f"a JUnit test case that does not end its line: {v!r}")
            openings.append(opening)
            heads.append(head)
            closings.append(closing)
            failure.append(fail)
            reasons.append(1 if next_label.startswith("\n") else 0)
        texts = (_per_verdict(openings), Texts([*heads, ""]), _per_verdict(closings))
        return _Prepared(allowed, texts, tuple(failure), reasons=np.array(reasons, np.int64))

    def _junit(
        self,
        p: _Prepared,
        verdict: npt.NDArray[np.int64],
        allowed: npt.NDArray[np.bool_],
        row: Decimals | None,
        to: pa.Array,
        at: pa.Array,
        next_at: npt.NDArray[np.int64],
        invalid: npt.NDArray[np.intp],
        explained: Sequence[str],
    ) -> list[Any]:
        opening, heads, closing = p.texts
        assert isinstance(heads, Texts)
        assert p.reasons is not None
        to_attr = _plain(_attr_column(to))
        # The number again in the failure's message: a blocked call's (an allowed one has none).
        again = to_attr if not allowed.any() else _plain(pc.if_else(pa.array(allowed), "", to_attr))
        head_index = verdict
        own: list[Any] = []
        if len(invalid):  # an invalid number's failure text is its own: the verdict's head left out
            head_index = verdict.copy()
            head_index[invalid] = len(heads) - 1
            which = np.zeros(len(verdict), np.int64)
            which[invalid] = 1 + np.arange(len(invalid))
            extra = [p.failure[int(v)] + text for v, text in zip(verdict[invalid], explained, strict=True)]
            own = [Taken(["", *extra], which)]
        next_texts, next_index = _next_index(next_at, at, json_style=False)
        labels = [x for t in next_texts for x in (f"next allowed at {t}", f"\nnext allowed at {t}")]
        when = Taken([*labels, "", ""], next_index.astype(np.int64) * 2 + p.reasons[verdict])
        return [
            f'    <testcase classname="{self.classname}" name="row ',
            row,
            ": ",
            to_attr,
            _of_verdict(opening, verdict),
            again,
            Taken(heads, head_index),
            *own,
            when,
            _of_verdict(closing, verdict),
        ]

    def _json_prepared(self, piece: _Piece, allowed: npt.NDArray[np.bool_]) -> _Prepared:
        """The piece's templates, one per verdict, each split around the per-row slots
        (:func:`_json_segments`), json's ``,`` after each object (the writer leaves out the
        last); and the JSON text of each distinct ``consulted`` value, a slot taken per row."""
        values, _ = piece.consulted
        after = "," if self.fmt == "json" else ""
        slots: tuple[str, ...] = _VARYING
        segments: list[list[str]] = []
        for v in piece.verdicts:
            slots, texts = _json_segments_of(v)(piece.registry_id)
            segments.append([*texts[:-1], texts[-1] + after])
        columns = tuple(_per_verdict([t[k] for t in segments]) for k in range(len(slots) + 1))
        consulted = Texts([_consulted_json_of(c) for c in values])
        return _Prepared(allowed, columns, slots=slots, consulted=consulted)

    def _json(
        self,
        p: _Prepared,
        verdict: npt.NDArray[np.int64],
        row: Decimals | None,
        at: pa.Array,
        next_at: npt.NDArray[np.int64],
        numbers: npt.NDArray[np.uint64],
        consulted: npt.NDArray[np.intp],
        invalid: npt.NDArray[np.intp],
        explained: Sequence[str],
    ) -> list[Any]:
        """Each row's JSON object (:func:`_decision_record`): the texts of its verdict's template
        (:meth:`_json_prepared`) with the slots between them, the row, ``next_allowed_at``
        (taken from the slice's distinct texts), the number's digits and ``consulted`` (taken
        from the piece's). An invalid number's object is its own (its message names the number
        as written): a whole line."""
        assert p.consulted is not None
        after = "," if self.fmt == "json" else ""
        next_texts, next_index = _next_index(next_at, at, json_style=True)
        slot: dict[str, Any] = {
            "row": row,
            "next_allowed_at": Taken([*(f'"{t}"' for t in next_texts), "null"], next_index),
            "number": Decimals(numbers),
            "consulted": Taken(p.consulted, consulted),
        }
        parts: list[Any] = []
        for k, name in enumerate(p.slots):
            parts += [_of_verdict(p.texts[k], verdict), slot[name]]
        parts.append(_of_verdict(p.texts[-1], verdict))
        if len(invalid):
            which = np.full(len(verdict), -1, np.int64)
            which[invalid] = np.arange(len(invalid))
            parts.append(Whole([text + after for text in explained], which))
        return parts


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


@functools.cache
def _no_next() -> int:
    """``bulk.NO_NEXT`` (looked up once: an import statement a slice cost 0.15 ms)."""
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
