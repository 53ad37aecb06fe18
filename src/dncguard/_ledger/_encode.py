"""Entries' canonical bytes from Call and Decision objects, fast (``record`` and ``record_many``).

Each distinct template (the call less its per-entry fields, the decision less its number and next
time) is made into JSON and hashed once; per entry, only the fields an entry holds are written.
:func:`dncguard._ledger._format.canonical_entry` is the definition; tests hold the two equal.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import operator
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from dncguard._ledger._chain import Taken
from dncguard._ledger._format import (
    CALL_ENTRY_FIELDS,
    CALL_JSON,
    DECISION_ENTRY_FIELDS,
    DECISION_JSON,
    EXTRA_FIELDS,
    Times,
    dumps,
    json_str,
    number_of,
    seller_key,
    template_of,
    us,
)
from dncguard.models import Call, Decision

__all__ = ["Encoder", "PlacedRow", "decision_part"]

PlacedRow = tuple[int | None, str, str, int]
"""An index row of a placed call: number (or None), seller key, purpose, start (UTC µs)."""


def _model_tuples(model: type[Any], names: Sequence[str]) -> tuple[str, ...]:
    """The fields of ``model`` among ``names`` that hold tuples of models (compared by identity
    within one batch: hashing pydantic models is slow)."""
    from pydantic import BaseModel

    out = []
    for name in names:
        args = typing.get_args(model.model_fields[name].annotation)
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            out.append(name)
    return tuple(out)


def _getter(names: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if not names:
        return lambda d: ()
    if len(names) == 1:
        name = names[0]
        return lambda d: (d[name],)
    return operator.itemgetter(*names)


_CALL_REST: Final = tuple(name for name in Call.model_fields if name not in CALL_ENTRY_FIELDS)
_DECISION_REST: Final = tuple(name for name in Decision.model_fields if name not in DECISION_ENTRY_FIELDS)
_DECISION_MODELS: Final = _model_tuples(Decision, _DECISION_REST)
_DECISION_VALUES: Final = tuple(name for name in _DECISION_REST if name not in _DECISION_MODELS)
_call_rest: Final = _getter(_CALL_REST)
_decision_values: Final = _getter(_DECISION_VALUES)
_decision_models: Final = _getter(_DECISION_MODELS)
_decision_tuples: Final = operator.itemgetter(*_DECISION_REST)
"""The decision's template fields (keyed by identity: the objects themselves)."""


_SAMPLE: Final = 1024
"""Objects sampled to choose how a batch's templates and lists are keyed."""
_RUN: Final = 8192
"""Objects one after the other looked at for the same choice (see :func:`_repeat`)."""


def _packed(columns: Sequence[Any]) -> list[Any]:
    """The same rows in fewer integer columns: side by side, as many as fit in 63 bits (each
    column in the bits its largest value needs; any column with a negative value alone), so
    equal rows stay equal and unequal ones unequal."""
    words: list[Any] = []
    used = 64
    for column in columns:
        bits = max(1, int(column.max()).bit_length()) if int(column.min()) >= 0 else 64
        if used + bits <= 63:
            words[-1] = (words[-1] << bits) | column
            used += bits
        else:
            words.append(column)
            used = bits
    return words


def _grouped(columns: Sequence[Any], n: int) -> tuple[Any, Any]:
    """Rows of integer ``columns`` (numpy arrays of ``n`` each) grouped by equal rows: each
    row's group (numbered in the order groups first appear) and each group's first row. One
    sort (numpy), no Python per row."""
    import numpy as np

    if not columns or not n:
        return np.zeros(n, np.int64), np.zeros(1 if n else 0, np.int64)
    columns = _packed(columns)
    order = np.lexsort(columns[::-1])  # stable: a group's rows in their order
    new = np.zeros(n, bool)
    new[:1] = True
    for column in columns:
        ordered = column[order]
        new[1:] |= ordered[1:] != ordered[:-1]
    firsts = order[new]
    by_first = np.argsort(firsts, kind="stable")
    number = np.empty(len(firsts), np.int64)
    number[by_first] = np.arange(len(firsts), dtype=np.int64)
    groups = np.empty(n, np.int64)
    groups[order] = number[np.cumsum(new) - 1]
    return groups, firsts[by_first]


def _rows_of_lists(lists: Sequence[tuple[Any, ...]], k: int, codes: Any) -> list[Any]:
    """Integer columns that say, per row, what its ``k`` lists (``lists``: ``k`` per row, one
    row after the other) hold: their lengths, then the codes of their items (``codes``: one per
    item of all the lists, one after the other; from 1), 0 past the row's end. Equal rows: equal
    lists."""
    import numpy as np

    n = len(lists) // k
    lens = np.fromiter(map(len, lists), np.int64, len(lists)).reshape(n, k)
    per_row = lens.sum(axis=1)
    width = int(per_row.max()) if n else 0
    matrix = np.zeros((n, k + width), np.int64)
    matrix[:, :k] = lens
    if width:
        rows = np.repeat(np.arange(n), per_row)
        starts = np.cumsum(per_row) - per_row
        matrix[rows, k + np.arange(len(codes)) - starts[rows]] = codes
    return list(matrix.T)


class ModelCodes:
    """Codes (from 1) of models by value, kept from batch to batch: equal codes for equal class
    and fields. Each object met is keyed by value once and held here, so its identity stays its
    own while its code is kept: in a later batch it is found by identity alone (Guard.check
    shares a few hundred models among all its decisions). At most :data:`LIMIT` objects are held
    (then it starts again, before a batch: codes are compared within one batch only)."""

    LIMIT: Final = 1 << 16

    def __init__(self) -> None:
        self._by_id: dict[int, int] = {}
        self._by_value: dict[tuple[Any, ...], int] = {}
        self._held: list[Any] = []

    def __call__(self, models: list[Any]) -> Any:
        """Each of ``models``' code (a numpy array)."""
        import numpy as np

        if len(self._held) > self.LIMIT:
            self._by_id.clear()
            self._by_value.clear()
            self._held.clear()
        by_id = self._by_id
        codes = np.fromiter(map(by_id.get, map(id, models), itertools.repeat(0)), np.int64, len(models))
        missing = np.flatnonzero(codes == 0)
        if len(missing):
            by_value = self._by_value
            for j in missing.tolist():
                m = models[j]
                code = by_id.get(id(m))  # met before in this batch
                if code is None:
                    code = by_value.setdefault((m.__class__, *m.__dict__.values()), len(by_value) + 1)
                    by_id[id(m)] = code
                    self._held.append(m)
                codes[j] = code
        return codes


_DAYS_TO_1970: Final = dt.date(1970, 1, 1).toordinal()
_WALL: Final = operator.attrgetter("hour", "minute", "second", "microsecond")


def _wall_us(ats: Sequence[dt.datetime]) -> Any:
    """Each time's wall clock (its own date and time, its offset not applied) as microseconds
    since 1970 (a numpy array): two method calls per time (``map`` runs in C), the rest numpy."""
    import numpy as np

    n = len(ats)
    days = np.fromiter(map(dt.datetime.toordinal, ats), np.int64, n) - _DAYS_TO_1970
    hmsu = np.fromiter(itertools.chain.from_iterable(map(_WALL, ats)), np.int64, 4 * n).reshape(n, 4)
    seconds = ((days * 24 + hmsu[:, 0]) * 60 + hmsu[:, 1]) * 60 + hmsu[:, 2]
    return seconds * 1_000_000 + hmsu[:, 3]


def _texts_piece(texts: list[str]) -> Any:
    """Texts as their JSON strings (as :func:`json_str` writes each), a piece for the join: the
    texts themselves, quoted there, where all are printable ASCII without quotes or
    backslashes; else each one's JSON (text Arrow cannot hold, such as a lone surrogate, made
    one by one)."""
    import pyarrow as pa

    from dncguard._ledger._arrowtext import _json_piece

    try:
        return _json_piece(pa.array(texts, pa.string()))
    except (pa.ArrowException, UnicodeError):
        return pa.array(list(map(json_str, texts)), pa.string())


def decision_part(decision: Decision) -> str:
    """A decision's template part: its canonical JSON less ``number`` and ``next_allowed_at``."""
    dj = DECISION_JSON(decision, mode="json")
    return dumps({k: v for k, v in dj.items() if k not in DECISION_ENTRY_FIELDS})


_IDS: Final = functools.partial(map, id)
_TO: Final = operator.itemgetter("to")
_AT: Final = operator.itemgetter("at")
_NUMBER: Final = operator.itemgetter("number")
_NEXT: Final = operator.itemgetter("next_allowed_at")
_EXTRA: Final = operator.itemgetter(*EXTRA_FIELDS)
_SMALL: Final = 64
"""Fewer entries than this are written one by one in Python (:meth:`Encoder._few`)."""
_TZINFO: Final = operator.attrgetter("tzinfo")
_UTCOFFSET: Final = dt.datetime.utcoffset
_DICT: Final = operator.attrgetter("__dict__")


def _seconds(offset: dt.timedelta | None) -> int:
    if offset is None:  # a Call's time is aware: never here
        raise ValueError("expected an aware datetime (with a UTC offset)")
    return offset.days * 86_400 + offset.seconds


def _extra_key(cd: Mapping[str, Any]) -> tuple[Any, ...]:
    """A call's lists (``extra``) by value: each time's instant and UTC offset (equal times in
    other offsets are written differently), each model's class and fields."""
    return (
        tuple([(t, t.utcoffset()) for t in cd["attempts"]]),
        *[tuple([(m.__class__, tuple(m.__dict__.values())) for m in cd[name]]) for name in _EXTRA_MODELS],
    )


def _extra_columns(lists: Sequence[tuple[tuple[Any, ...], ...]]) -> list[Any]:
    """Integer columns of each call's lists (its ``_EXTRA`` tuple), equal rows for equal lists.
    Per list field: its lengths, then its items' codes (:func:`_rows_of_lists`), or, where each
    call's list holds one item at most, that item's code (0: none). Each list's items are coded
    by value, list by list over the calls that have one (``map`` runs in C): a time by its
    instant and UTC offset; a model by its fields (and its class, where the calls' items are not
    all of one class)."""
    import numpy as np

    n = len(lists)
    columns: list[Any] = []
    for j, name in enumerate(EXTRA_FIELDS):
        column = list(map(operator.itemgetter(j), lists))
        length = np.fromiter(map(len, column), np.int64, n)
        rows = np.flatnonzero(length)
        if not len(rows):  # every call's list empty (attempts, requests: most often)
            continue
        if len(rows) < n:
            column = list(map(column.__getitem__, rows.tolist()))
        flat = list(itertools.chain.from_iterable(column))
        if name == "attempts":
            keys: Iterator[Any] = zip(flat, map(_UTCOFFSET, flat), strict=True)
        else:
            values = map(tuple, map(dict.values, map(_DICT, flat)))
            one_class = len(set(map(type, flat))) == 1
            keys = values if one_class else zip(map(type, flat), values, strict=True)
        codes: dict[Any, int] = {}
        items = np.fromiter(map(codes.setdefault, keys, itertools.count(1)), np.int64, len(flat))
        parts = [items] if len(flat) == len(rows) else _rows_of_lists(column, 1, items)  # one item each
        for part in parts:
            whole = np.zeros(n, np.int64)
            whole[rows] = part
            columns.append(whole)
    return columns


def _repeat(
    sample: Sequence[Mapping[str, Any]], run: Sequence[Mapping[str, Any]], names: Sequence[str]
) -> bool:
    """Whether a batch's objects (their ``__dict__``) share their ``names`` tuples: fewer than
    nine in ten distinct in ``sample`` (an even sample of them, :data:`_SAMPLE` at most), or in
    ``run`` (the first :data:`_RUN` of them, one after the other). ``model_copy`` shares them;
    a call validated on its own, or a decision Guard.check makes, owns its own. The run sees a
    batch that cycles through more objects than the even sample holds (copies of a few thousand
    decided calls, in turn). One field's tuples nearly all distinct answer at once (the rows
    are then too)."""
    for some in (sample, run):
        enough = len(some) * 9
        ids = []
        for name in reversed(names):  # the last (consulted) most often not empty
            column = list(map(id, map(operator.itemgetter(name), some)))
            if len(set(column)) * 10 >= enough:  # so many distinct: the rows are too
                break
            ids.append(column)
        else:
            if len(set(zip(*ids, strict=True))) * 10 < enough:
                return True
    return False


def shares_tuples(decisions: Sequence[Decision]) -> bool:
    """Whether ``decisions`` share their tuples of models (:func:`_repeat`), as ``model_copy``
    makes them: then a batch's templates are grouped by the identities of its decisions' tuples,
    else by the models in them (the same templates either way). Asked once for a whole
    ``record_many`` batch, chunk by chunk the same answer."""
    sample = decisions[:: max(1, len(decisions) // _SAMPLE)][:_SAMPLE]
    return _repeat([d.__dict__ for d in sample], [d.__dict__ for d in decisions[:_RUN]], _DECISION_MODELS)


_EXTRA_MODELS: Final = tuple(name for name in EXTRA_FIELDS if name != "attempts")
assert _model_tuples(Call, EXTRA_FIELDS) == _EXTRA_MODELS


_BLOCK: Final = 2048
"""Entries whose fields :func:`_fields` reads at a time: every field of a few thousand objects
read while the objects' ``__dict__`` are in the processor's cache (field by field over a whole chunk,
each pass over tens of thousands of scattered objects waits on memory: measured 1.8 times the
time of these passes)."""


class _Fields(typing.NamedTuple):
    """A chunk's per-entry fields, read by :func:`_fields` (each a list, one item per entry)."""

    plain: list[int]
    """Each entry's code of its call's template fields and its decision's plain ones (equal
    codes for equal values)."""
    tuples: list[tuple[Any, ...]]
    """Each decision's tuples of models (:data:`_DECISION_MODELS`), one after the other."""
    nexts: list[Any]
    lists: list[tuple[Any, ...]]
    """Each call's lists (``_EXTRA``)."""
    ats: list[dt.datetime]
    tos: list[str]
    numbers: list[str]


def _fields(calls: Sequence[Call], decisions: Sequence[Decision]) -> _Fields:
    """The fields :meth:`Encoder.lines` reads per entry (from the calls' and decisions'
    ``__dict__``), :data:`_BLOCK` entries at a time (``map`` runs in C)."""
    codes: dict[tuple[Any, ...], int] = {}
    count = itertools.count()
    f = _Fields([], [], [], [], [], [], [])
    chain = itertools.chain.from_iterable
    for i in range(0, len(calls), _BLOCK):
        c = list(map(_DICT, calls[i : i + _BLOCK]))
        d = list(map(_DICT, decisions[i : i + _BLOCK]))
        # fixed lengths: the sum of the call's and the decision's tuples is one key
        f.plain.extend(
            map(codes.setdefault, map(operator.add, map(_call_rest, c), map(_decision_values, d)), count)
        )
        f.tuples.extend(chain(map(_decision_models, d)))
        f.nexts.extend(map(_NEXT, d))
        f.lists.extend(map(_EXTRA, c))
        f.ats.extend(map(_AT, c))
        f.tos.extend(map(_TO, c))
        f.numbers.extend(map(_NUMBER, d))
    return f


class Encoder:
    """Builds entries' canonical bytes from calls and decisions (one per ledger object)."""

    _LIMIT: Final = 8192

    def __init__(self) -> None:
        self._calls: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._decisions: dict[tuple[Any, ...], str] = {}
        self._by_identity: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}
        self._templates: dict[tuple[Any, ...], tuple[str, str, bytes, bytes]] = {}
        self._extras: dict[tuple[Any, ...], str] = {}
        self._by_ids: dict[tuple[Any, ...], tuple[tuple[str, str, bytes, bytes], tuple[Any, ...]]] = {}
        self._model_codes = ModelCodes()
        self.times = Times()
        self.column_templates: dict[tuple[str, ...], tuple[str, bytes]] = {}
        """``record_columns``' templates by their fields' texts and decision part (hex, body)."""

    def _call_part(self, call: Call) -> tuple[str, str]:
        """The call's template part and its index's end (purpose and seller key), by value."""
        key = _call_rest(call.__dict__)
        got = self._calls.get(key)
        if got is None:
            if len(self._calls) > self._LIMIT:
                self._calls.clear()
            cj = CALL_JSON(call, mode="json")
            part = dumps({k: v for k, v in cj.items() if k not in CALL_ENTRY_FIELDS})
            tail = f",{json_str(call.purpose)},{json_str(seller_key(call.seller))}]"
            got = self._calls[key] = (part, tail)
        return got

    def _decision_part(self, decision: Decision) -> str:
        """A decision's template part: by the identities of the models in its tuples (held here,
        so their identities stay theirs), else by value (hashing models is slow)."""
        dd = decision.__dict__
        models = _decision_models(dd)
        fast = (_decision_values(dd), *map(tuple, map(_IDS, models)))
        held = self._by_identity.get(fast)
        if held is not None:
            return held[0]
        key = (_decision_values(dd), models)
        got = self._decisions.get(key)
        if got is None:
            if len(self._decisions) > self._LIMIT:
                self._decisions.clear()
            got = self._decisions[key] = decision_part(decision)
        if len(self._by_identity) > self._LIMIT:
            self._by_identity.clear()
        self._by_identity[fast] = (got, models)
        return got

    def _at_json(self, ats: list[dt.datetime]) -> tuple[Any, Any, Any]:
        """The times as the call's JSON writes them (with their quotes): a piece for the join
        (:class:`~dncguard._ledger._chain.Stamps`: UTC microseconds and each time's own UTC
        offset, formatted in C or column by column); the UTC microseconds (a numpy array): each
        time's wall clock less its UTC offset, as Python defines an aware time's instant; and
        the UTC offsets in seconds (a numpy array), or None where an offset holds microseconds
        (then the piece is an Arrow array of texts made one by one, as the call's JSON has them)."""
        import numpy as np
        import pyarrow as pa

        from dncguard._ledger._arrowtext import _stamps

        zone = ats[0].tzinfo if ats else None
        if type(zone) is dt.timezone and len(set(map(id, map(_TZINFO, ats)))) == 1:  # one fixed offset
            offsets = np.full(len(ats), _seconds(zone.utcoffset(None)), np.int64)
        else:
            deltas = list(map(_UTCOFFSET, ats))
            # Each distinct offset's seconds once (a datetime's own zone may be any tzinfo).
            seconds = {d: None if d is None else _seconds(d) for d in set(deltas)}
            if any(d is not None and d.microseconds for d in seconds):  # as the call's JSON has them
                micros = pa.array(ats, pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy()
                return pa.array(['"' + self.times(a) + '"' for a in ats], pa.string()), micros, None
            if None in seconds:  # a Call's time is aware: never here
                raise ValueError("expected an aware datetime (with a UTC offset)")
            offsets = np.fromiter(map(seconds.__getitem__, deltas), np.int64, len(deltas))
        micros = _wall_us(ats) - offsets * 1_000_000
        return _stamps(micros, offsets, self.times), micros, offsets

    def _few(
        self,
        calls: Sequence[Call],
        decisions: Sequence[Decision],
        placed: bool,
        first_seq: int,
        recorded_us: int,
    ) -> tuple[list[bytes], list[PlacedRow] | None, dict[bytes, bytes]]:
        """:meth:`lines` for a few entries (``record``): each written whole, in Python (Arrow's
        set-up costs more than it saves on a handful)."""
        out: list[bytes] = []
        rows: list[PlacedRow] | None = [] if placed else None
        templates: dict[bytes, bytes] = {}
        times = self.times
        for seq, (call, decision) in enumerate(zip(calls, decisions, strict=True), first_seq):
            c, tail = self._call_part(call)
            body = template_of(c, self._decision_part(decision))
            h = hashlib.sha256(body).hexdigest()
            templates[h.encode()] = body
            cj: dict[str, Any] = {}
            if any(_EXTRA(call.__dict__)):
                cj = CALL_JSON(call, mode="json", include=set(EXTRA_FIELDS))
            extra = dumps({k: cj[k] for k in EXTRA_FIELDS if cj.get(k)})
            index = "null"
            if rows is not None:
                at_us = us(call.at)
                number = number_of(call.to)
                index = f"[{at_us},{'null' if number is None else number}{tail}"
                rows.append((number, seller_key(call.seller), call.purpose, at_us))
            nxt = decision.next_allowed_at
            out.append(
                f'["{h}",{index},{seq},{recorded_us},{json_str(call.to)},"{times(call.at)}",'
                f"{json_str(decision.number)},{'null' if nxt is None else chr(34) + times(nxt) + chr(34)},"
                f"{extra}]".encode()
            )
        return out, rows, templates

    def lines(
        self,
        calls: Sequence[Call],
        decisions: Sequence[Decision],
        placed: bool,
        first_seq: int,
        recorded_us: int,
        shared: bool | None = None,
    ) -> tuple[Any, list[PlacedRow] | None, dict[bytes, bytes]]:
        """The entries' canonical bytes (a list, for a few, unless ``shared`` is given), or their
        pieces before and after ``seq,recorded_us`` (lists of texts and pieces, joined in
        ``Ledger._append``: ``first_seq`` and ``recorded_us`` are not used); the placed entries'
        index rows (None unless ``placed``); and the templates used (hex digest: body).
        ``shared``: whether the batch's decisions share their tuples (:func:`shares_tuples`),
        asked here when None.

        Field by field over the whole batch (``map`` runs in C), no Python loop per entry."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from dncguard._ledger._arrowtext import _join

        if len(calls) < _SMALL and shared is None:
            return self._few(calls, decisions, placed, first_seq, recorded_us)
        if len(calls) != len(decisions):
            raise ValueError("calls and decisions differ in length")
        # Each entry's template. The rows are grouped (integer columns, sorted by numpy) by the
        # values of the call's template fields and the decision's plain ones (a code per
        # distinct pair), and by the identity of the decision's tuples of models where
        # decisions share them (model_copy), else by the models in them coded by value
        # (Guard.check makes new tuples of the few hundred models it shares among its
        # decisions: each distinct model is keyed by value once, and a group is a template).
        # Every object keyed by identity is alive (held by the batch) while its rows are
        # grouped. Each group's template is made into JSON and hashed once.
        n = len(calls)
        f = _fields(calls, decisions)
        columns = [np.array(f.plain, np.int64)]
        tuples = f.tuples
        k = len(_DECISION_MODELS)
        if shared is None:
            shared = shares_tuples(decisions)
        if shared:
            columns.extend(np.fromiter(map(id, tuples), np.int64, len(tuples)).reshape(n, k).T)
        else:  # each model coded by value: a group per template
            every_model = list(itertools.chain.from_iterable(tuples))
            columns.extend(_rows_of_lists(tuples, k, self._model_codes(every_model)))
        groups, firsts = _grouped(columns, n)
        templates: dict[bytes, bytes] = {}
        made: list[tuple[str, str, bytes, bytes]] = []
        cache = self._templates
        by_ids = self._by_ids
        for i in firsts.tolist():
            # The group's template: where decisions share their tuples, by its first row's
            # values and tuples' identities when met before (the tuples are held with it, so
            # their identities are still theirs); else by value (kept from batch to batch): the
            # call's template fields, the decision's plain ones, and the class and fields of
            # each of its models.
            cd, dd = calls[i].__dict__, decisions[i].__dict__
            models = _decision_models(dd)
            values = (_call_rest(cd), _decision_values(dd))
            key = (*values, *map(id, models)) if shared else None
            held = None if key is None else by_ids.get(key)
            if held is not None:
                t = held[0]
            else:
                vkey = (*values, *[tuple([(m.__class__, *m.__dict__.values()) for m in v]) for v in models])
                got = cache.get(vkey)
                if got is None:
                    c, tail = self._call_part(calls[i])
                    body = template_of(c, self._decision_part(decisions[i]))
                    h = hashlib.sha256(body).hexdigest()
                    if len(cache) > self._LIMIT:
                        cache.clear()
                    got = cache[vkey] = (h, tail, h.encode(), body)
                t = got
                if key is not None:
                    if len(by_ids) > self._LIMIT:
                        by_ids.clear()
                    by_ids[key] = (t, models)
            templates[t[2]] = t[3]
            made.append(t)
        nexts = f.nexts
        next_json: Any = "null"
        nones = nexts.count(None)
        if nones == 0:
            next_json = self._at_json(nexts)[0]
        elif nones != n:
            from dncguard._ledger._arrowtext import _stamps

            mask = np.fromiter(map(operator.is_not, nexts, itertools.repeat(None)), bool, n)
            texts, timed_us, timed_offsets = self._at_json(list(itertools.compress(nexts, mask.tolist())))
            if timed_offsets is not None:  # one piece: null where there is none
                next_us = np.zeros(n, np.int64)
                next_offsets = np.zeros(n, np.int64)
                next_us[mask] = timed_us
                next_offsets[mask] = timed_offsets
                next_json = _stamps(next_us, next_offsets, self.times, mask)
            else:  # each entry's text: null, or its own (the k-th timed entry takes text k + 1)
                slot = np.cumsum(mask, dtype=np.int64)
                slot[~mask] = 0
                next_json = pa.concat_arrays([pa.array(["null"], pa.string()), texts]).take(pa.array(slot))
        # extra: the call's non-empty lists; each distinct set of them made into JSON once.
        extras: Any = "{}"
        lists = f.lists
        some = np.fromiter(map(any, lists), bool, n)
        if some.any():
            # The calls with lists grouped by their lists' values (each item coded by value);
            # each group's text made once, or found by value (kept from batch to batch): each
            # model's class and fields, each time's instant and UTC offset.
            rows_with = np.flatnonzero(some)
            with_lists = list(map(lists.__getitem__, rows_with.tolist()))
            extra_groups, extra_firsts = _grouped(_extra_columns(with_lists), len(with_lists))
            extras_made = self._extras
            extra_texts: list[str] = ["{}"]
            for j in extra_firsts.tolist():
                vkey = _extra_key(calls[int(rows_with[j])].__dict__)
                text = extras_made.get(vkey)
                if text is None:
                    cj = CALL_JSON(calls[int(rows_with[j])], mode="json", include=set(EXTRA_FIELDS))
                    text = dumps({k: cj[k] for k in EXTRA_FIELDS if cj[k]})
                    if len(extras_made) > self._LIMIT:
                        extras_made.clear()
                    extras_made[vkey] = text
                extra_texts.append(text)
            which_text = np.zeros(n, np.int64)
            which_text[rows_with] = extra_groups + 1
            extras = pa.array(extra_texts, pa.string()).take(pa.array(which_text))
        ats = f.ats
        at_json, micros, _ = self._at_json(ats)
        rows: list[PlacedRow] | None = None
        index: Any = "null"
        if placed:
            from dncguard.numbers import parse_numbers

            parsed, valid = parse_numbers(f.tos)
            numbers: list[int | None] = parsed.tolist()
            for i in np.flatnonzero(~valid).tolist():  # not a valid number (rare)
                numbers[i] = None
            # The index: start, number (null when not valid), then the template's purpose and
            # seller key (its tail).
            index = _join(
                [
                    "[",
                    pa.array(micros).cast(pa.string()),
                    ",",
                    pc.if_else(pa.array(valid), pa.array(parsed).cast(pa.string()), "null"),
                    pa.array([t[1] for t in made], pa.string()).take(pa.array(groups)),
                ]
            )
            # Each row's seller key and purpose: its group's (taken row by row in C).
            of_group = groups.tolist()
            sellers = list(map([seller_key(calls[i].seller) for i in firsts.tolist()].__getitem__, of_group))
            purposes = list(map([calls[i].purpose for i in firsts.tolist()].__getitem__, of_group))
            rows = list(zip(numbers, sellers, purposes, micros.tolist(), strict=True))
        head = ['["', Taken([t[0] for t in made], groups), '",', index, ","]
        after: list[Any] = [
            ",",
            _texts_piece(f.tos),
            ",",
            at_json,
            ",",
            _texts_piece(f.numbers),
            ",",
            next_json,
            ",",
            extras,
            "]",
        ]
        return (head, after), rows, templates
