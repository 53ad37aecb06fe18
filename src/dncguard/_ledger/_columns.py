"""A table of calls decided in bulk turned into ledger entries column by column
(``record_columns`` and the command line's ``--ledger``): each distinct template made once, the
per-entry fields with Arrow, no Python per row."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from dncguard._ledger._arrowtext import (
    _FLAT,
    _PROTOTYPE_AT,
    _SCALARS,
    _aware_default,
    _bad_row,
    _call_zone_json,
    _consent_kind,
    _cut,
    _distinct,
    _fill,
    _first_error,
    _first_row,
    _join,
    _json_piece,
    _offset_groups,
    _take,
    _text_times,
    _timestamp_json,
    _timestamp_stamps,
    _validated,
)
from dncguard._ledger._chain import Numbers, Taken
from dncguard._ledger._encode import PlacedRow
from dncguard._ledger._format import (
    CALL_ENTRY_FIELDS,
    CALL_JSON,
    DECISION_ENTRY_FIELDS,
    DECISION_JSON,
    Times,
    dumps,
    json_str,
    seller_key,
    template_of,
)
from dncguard._ledger._format import us as to_us
from dncguard.bulk._grouping import factorize
from dncguard.errors import ArgumentError, ArgumentTypeError
from dncguard.models import EVIDENCE_COLUMNS, Call

if TYPE_CHECKING:
    import numpy.typing as npt
    import pyarrow as pa


_CACHE_LIMIT: Final = 1 << 16
"""At most this many templates kept from one table to the next (then the cache starts again)."""


class Columns:
    """One slice of a flat call table turned into entries' canonical JSON (without
    ``recorded_at`` and ``seq``), column by column, no Python per row."""

    def __init__(
        self,
        decision_parts: Sequence[str],
        defaults: Mapping[str, Any],
        times: Times,
        cache: dict[tuple[str, ...], tuple[str, bytes]] | None = None,
    ) -> None:
        """``decision_parts``: each distinct decision's template part (its canonical JSON less
        ``number`` and ``next_allowed_at``). ``cache``: templates already made (hex digest and
        body) by their fields' texts and decision part, kept by the caller from one table to the
        next (a scrub's batches share most of their templates)."""
        self.cache: dict[tuple[str, ...], tuple[str, bytes]] = {} if cache is None else cache
        unknown = set(defaults) - {"at", "seller", *_SCALARS}
        if unknown:
            raise ArgumentTypeError(f"record_columns: unknown default(s) {', '.join(sorted(unknown))}")
        self.defaults = dict(defaults)
        self.times = times
        self.decision_parts = list(decision_parts)
        self.prototype: dict[str, Any] = CALL_JSON(Call(to="0", at=_PROTOTYPE_AT, seller="x"), mode="json")
        rest = {k: v for k, v in self.prototype.items() if k not in CALL_ENTRY_FIELDS}
        self.call_part = _cut(rest, _FLAT)
        from dncguard.models import Consent, DncRequest, Relationship

        day = dt.date(2000, 1, 1)
        self.relationship = _cut(
            Relationship(kind="purchase", on=day).model_dump(mode="json"), ("kind", "on", "ends")
        )
        self.consent = _cut(
            Consent(kind="written", on=day).model_dump(mode="json"), ("kind", "on", "revoked_on")
        )
        self.request = _cut(DncRequest(on=day).model_dump(mode="json"), ("on",))

    def _column(self, batch: pa.RecordBatch, name: str) -> pa.Array | None:
        import pyarrow as pa

        if name not in batch.schema.names:
            return None
        col = batch.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        return col

    def _scalar(self, batch: pa.RecordBatch, name: str) -> tuple[list[str], pa.Array | None]:
        """A field decided per distinct value by the Call model itself (validated, normalised):
        its distinct JSON texts and each row's index into them (None: one value for all rows).
        A null or missing value takes the default given, else the Call default."""
        col = self._column(batch, name)
        default = self.defaults.get(name)

        def text(v: Any) -> str:
            return dumps(self.prototype[name] if v is None else _validated(name, v))

        if col is None:
            return [text(default)], None
        own = _own_dictionary(batch.column(name))
        values, idx = _distinct(col) if own is None else own
        texts = []
        for k, v in enumerate(values):
            if v is _UNUSED:  # a value of the column's dictionary that no row holds
                texts.append("")
                continue
            v = default if v is None else v
            try:
                texts.append(text(v))
            except ValueError as e:
                raise _bad_row(name, _first_row(idx, k), f"{v!r}: {_first_error(e)}") from None
        return texts, idx

    def _dates(self, batch: pa.RecordBatch, name: str) -> pa.Array | None:
        """A date column as its JSON text (``"YYYY-MM-DD"``), null where null; None when absent."""
        import pyarrow as pa
        import pyarrow.compute as pc

        col = self._column(batch, name)
        if col is None or col.null_count == len(col):
            return None
        if pa.types.is_date(col.type):
            return pc.binary_join_element_wise('"', col.cast(pa.date32()).cast(pa.string()), '"', "")
        values, idx = _distinct(col)
        texts: list[str | None] = []
        for k, v in enumerate(values):
            try:
                texts.append(None if v is None else dumps(_validated("reassigned_on", v)))
            except ValueError as e:
                raise _bad_row(name, _first_row(idx, k), f"{v!r}: {_first_error(e)}") from None
        return pa.array(texts, pa.string()).take(idx)

    def bodies(
        self,
        batch: pa.RecordBatch,
        which: pa.Array,
        numbers: Any,
        next_at: pa.Array | None,
        placed: bool,
        next_in_call_zone: bool = False,
    ) -> tuple[pa.Array, pa.Array, list[PlacedRow] | None, dict[bytes, bytes]]:
        """The rows' canonical bytes before and after ``seq,recorded_us`` (the two are known only
        when written), the placed rows' index rows, and the templates used (hex: body).
        ``next_in_call_zone``: write each row's ``next_allowed_at`` in the zone of its call's
        ``at`` (as ``Guard.check`` gives it) rather than in the zone of ``next_at``."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from dncguard.numbers import parse_numbers

        n = batch.num_rows
        times = self.times
        values: dict[str, Any] = {}
        # to: text or integers, never null.
        to = self._column(batch, "to")
        if to is None:
            raise ArgumentError("record_columns: no 'to' column: every call needs the called number")
        if pa.types.is_integer(to.type) or pa.types.is_large_string(to.type):
            to = to.cast(pa.string())
        elif not pa.types.is_string(to.type):
            raise ArgumentError(f"column 'to': expected text or integers, got {to.type}")
        if to.null_count:
            raise _bad_row("to", int(np.argmax(to.is_null().to_numpy(zero_copy_only=False))), "no number")
        values["to"] = _json_piece(to)
        # at: aware timestamps (fast) or text with an offset (each distinct one read like Call does).
        at = self._column(batch, "at")
        default_at = self.defaults.get("at")
        fallback = None if default_at is None else _aware_default(default_at)
        # Each row's zone: the at column's (index -1), or zones[k] (index k).
        zone_tz: str | None = None
        zones: list[dt.tzinfo | None] = [None if fallback is None else fallback.tzinfo]
        zone_idx: Any = np.zeros(n, np.int64)
        if at is None:
            if fallback is None:
                raise ArgumentError("record_columns: no 'at' column and no at= default")
            values["at"] = '"' + times(fallback) + '"'
            at_us = pa.array(np.full(n, to_us(fallback), np.int64))
        elif pa.types.is_timestamp(at.type):
            if at.type.tz is None:
                raise ArgumentError(
                    "column 'at': timestamps without a time zone are ambiguous; give them a zone"
                )
            at = at.cast(pa.timestamp("us", tz=at.type.tz))  # safe: refuses to drop nanoseconds
            zone_tz = at.type.tz
            zone_idx = np.where(at.is_null().to_numpy(zero_copy_only=False), 0, -1)
            if at.null_count:
                if fallback is None:
                    raise _bad_row(
                        "at", int(np.argmax(at.is_null().to_numpy(zero_copy_only=False))), "no time: give at="
                    )
                nulls = at.is_null()
                filled = pc.fill_null(at, pa.scalar(fallback, at.type))
                values["at"] = pc.if_else(nulls, '"' + times(fallback) + '"', _timestamp_json(filled, times))
                at = filled
            else:
                values["at"] = _timestamp_stamps(at, times)
            at_us = at.cast(pa.int64())
        elif (fast := _text_times(at, times)) is not None:
            values["at"], at_us, offsets = fast
            # Each row's zone is its written offset.
            written, inverse = _offset_groups(offsets)
            zones += [dt.timezone(dt.timedelta(seconds=int(o))) for o in written.tolist()]
            zone_idx = inverse.astype(np.int64).reshape(-1) + 1
        else:
            texts, idx = _distinct(at)
            js, us = [], []
            for k, v in enumerate(texts):
                if v is None and fallback is None:
                    raise _bad_row("at", _first_row(idx, k), "no time: give at=")
                try:
                    t = fallback if v is None else Call.model_validate({"to": "0", "at": v, "seller": "x"}).at
                except ValueError as e:
                    raise _bad_row("at", _first_row(idx, k), f"{v!r}: {_first_error(e)}") from None
                assert t is not None
                js.append('"' + times(t) + '"')
                us.append(to_us(t))
                zones.append(t.tzinfo)
            values["at"] = Taken(js, idx.to_numpy(zero_copy_only=False))
            zone_idx = idx.to_numpy(zero_copy_only=False).astype(np.int64) + 1
            at_us = pa.array(us, pa.int64()).take(idx)
        attempts = self._column(batch, "attempts")
        if attempts is not None and pc.sum(pc.list_value_length(attempts)).as_py():
            raise ArgumentError(
                "column 'attempts': record_columns does not record earlier attempts; record these calls"
                " with record_many"
            )
        # seller: as given (never blank); the index has it trimmed and case-folded.
        default_seller = self.defaults.get("seller")
        own = _own_dictionary(batch.column("seller")) if "seller" in batch.schema.names else None
        names: list[Any]
        if own is not None:  # a dictionary column: its own dictionary (not decoded, encoded again)
            names, sidx = own
        elif "seller" in batch.schema.names:
            names, sidx = _distinct(batch.column("seller"))
        elif default_seller is None:
            raise ArgumentError("record_columns: no 'seller' column and no seller= default")
        else:
            names, sidx = [default_seller], pa.array(np.zeros(n, np.int64))
        seller_json, seller_keys = [], []
        for k, v in enumerate(names):
            if v is _UNUSED:  # a value of the column's dictionary that no row holds
                seller_json.append("")
                seller_keys.append("")
                continue
            v = default_seller if v is None else v
            if not isinstance(v, str) or not v.strip():
                raise _bad_row("seller", _first_row(sidx, k), f"{v!r}: expected the seller's name")
            seller_json.append(json_str(v))
            seller_keys.append(json_str(seller_key(v)))
        # The template fields: distinct texts per column, each row's index into them.
        distinct: dict[str, tuple[list[str], pa.Array | None]] = {"seller": (seller_json, sidx)}
        for name in _SCALARS:
            if name != "reassigned_on":
                distinct[name] = self._scalar(batch, name)
        reassigned = self._dates(batch, "reassigned_on")
        default_re = self.defaults.get("reassigned_on")
        re_default = dumps(_validated("reassigned_on", default_re)) if default_re else "null"
        distinct["reassigned_on"] = (
            ([re_default], None) if reassigned is None else _distinct(pc.fill_null(reassigned, re_default))
        )
        extra = self._extra(batch, n)
        # The decision: its distinct template per row, with the row's number and next_allowed_at.
        parsed, valid = parse_numbers(to) if numbers is None or placed else (None, None)
        number: Any
        if numbers is None:
            assert parsed is not None
            assert valid is not None
            number = Numbers(np.where(valid, parsed, 0), values["to"])
        elif isinstance(numbers, pa.Array) and pa.types.is_string(numbers.type):
            if numbers.null_count:
                raise _bad_row(
                    "numbers", int(np.argmax(numbers.is_null().to_numpy(zero_copy_only=False))), "null"
                )
            number = _json_piece(numbers)
        else:
            number = Numbers(np.asarray(numbers, dtype=np.uint64), values["to"])
        dvalues: dict[str, Any] = {"number": number, "next_allowed_at": "null"}
        if next_at is not None and next_at.null_count < n:
            filled_next = pc.fill_null(next_at, pa.scalar(0, next_at.type))
            valid_next = next_at.is_valid().to_numpy(zero_copy_only=False) if next_at.null_count else None
            if next_in_call_zone:
                stamps = _call_zone_json(filled_next, zone_tz, zones, zone_idx, times, valid_next)
            else:
                stamps = _timestamp_stamps(filled_next, times, valid_next)
            dvalues["next_allowed_at"] = stamps
        # Each row's template: one per distinct (template fields, decision), made once each.
        rows_of = [idx.to_numpy(zero_copy_only=False) for _, idx in distinct.values() if idx is not None]
        which_np = which.to_numpy(zero_copy_only=False)
        group, first = factorize([*rows_of, which_np])
        hexes: list[str] = []
        templates: dict[bytes, bytes] = {}
        # Each group's template fields' texts (a row of each column's distinct texts), as lists.
        names = list(distinct)
        per_column = [
            [texts[0]] * len(first)
            if idx is None
            else [texts[k] for k in idx.to_numpy(zero_copy_only=False)[first].tolist()]
            for texts, idx in distinct.values()
        ]
        parts = self.decision_parts
        cache = self.cache
        for key in zip(*per_column, [parts[k] for k in which_np[first].tolist()], strict=True):
            got = cache.get(key)
            if got is None:
                filled = dict(zip(names, key, strict=False))
                body = template_of("".join(_fill(self.call_part, filled)), key[-1])
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                got = cache[key] = (hashlib.sha256(body).hexdigest(), body)
            templates[got[0].encode()] = got[1]
            hexes.append(got[0])
        template = Taken(hexes, group)
        if placed:
            purpose_texts, purpose_idx = distinct["purpose"]
            purpose = purpose_texts[0] if purpose_idx is None else _take(purpose_texts, purpose_idx)
            # The index: start, number (null when not valid), purpose, seller trimmed and case-folded.
            assert parsed is not None
            assert valid is not None
            index_number = pc.if_else(pa.array(valid), pa.array(parsed).cast(pa.string()), "null")
            index: Any = _join(
                [
                    "[",
                    at_us.cast(pa.string()),
                    ",",
                    index_number,
                    ",",
                    purpose,
                    ",",
                    _take(seller_keys, sidx),
                    "]",
                ]
            )
        else:
            index = "null"
        head = ['["', template, '",', index, ","]
        tail = [
            ",",
            values["to"],
            ",",
            values["at"],
            ",",
            dvalues["number"],
            ",",
            dvalues["next_allowed_at"],
            ",",
            extra,
            "]",
        ]
        rows = None
        if placed:
            assert parsed is not None
            assert valid is not None
            purposes = [
                json.loads(p)
                for p in (purpose.to_pylist() if isinstance(purpose, pa.Array) else [purpose] * n)
            ]
            keys = [json.loads(s) for s in _take(seller_keys, sidx).to_pylist()]
            rows = [
                (int(x) if ok else None, s, p, u)
                for x, ok, s, p, u in zip(
                    parsed.tolist(), valid.tolist(), keys, purposes, at_us.to_pylist(), strict=True
                )
            ]
        return head, tail, rows, templates

    def _extra(self, batch: pa.RecordBatch, n: int) -> Any:
        """Each row's ``extra`` (the call's non-empty evidence lists, keys sorted; attempts are
        refused before): made once per distinct combination of the evidence columns' values
        (they are sparse and hold few distinct values), then taken per row."""
        import pyarrow as pa

        names = [
            name
            for name in EVIDENCE_COLUMNS
            if name in batch.schema.names and batch.column(name).null_count < n
        ]
        if not names:
            return "{}"
        try:
            keys = [_value_codes(batch.column(name)) for name in names]
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):  # a type without hashing
            return _extra_texts(self._evidence(batch, n))
        group, first = factorize(keys)
        distinct = batch.select(names).take(pa.array(first))
        # The texts of these distinct rows, by their values (and the columns' names and types),
        # are the same in the next batch: kept, as the templates are, where they are few (many
        # distinct rows, dates of every day, are seldom all met again, and cost memory kept).
        key: Any = None
        got = None
        if len(first) <= _EXTRA_KEPT:
            key = (
                "extra",
                tuple(names),
                tuple(str(t) for t in distinct.schema.types),
                tuple(tuple(c) for c in distinct.to_pydict().values()),
            )
            try:
                got = _PARTS.get(key)
            except TypeError:  # a value that cannot be hashed: made, not kept
                key, got = None, None
        if got is None:
            try:
                texts = _extra_texts(self._evidence(distinct, len(first)))
            except ValueError:
                # The first bad row of the whole batch named (its distinct rows are in no order).
                self._evidence(batch, n)
                raise
            got = [texts] * len(first) if isinstance(texts, str) else texts.to_pylist()
            if key is not None:
                if len(_PARTS) >= _CACHE_LIMIT:
                    _PARTS.clear()
                _PARTS[key] = got
        return Taken(got, group)

    def _evidence(self, batch: pa.RecordBatch, n: int) -> dict[str, Any]:
        import pyarrow as pa
        import pyarrow.compute as pc

        def element(parts: Sequence[str | tuple[str]], holes: Mapping[str, Any], where: pa.Array) -> pa.Array:
            joined = _join(_fill(parts, holes))
            return pc.if_else(where, joined, pa.scalar(None, pa.string()))

        rels = []
        for column, kind in (("last_purchase", "purchase"), ("last_inquiry", "inquiry")):
            on = self._dates(batch, column)
            if on is not None:
                rels.append(
                    element(
                        self.relationship,
                        {"kind": dumps(kind), "on": on.fill_null(""), "ends": "null"},
                        on.is_valid(),
                    )
                )
        # In the order fold_flat_evidence gives them: contract, donation, membership.
        for start, end, kind in (
            ("contract_on", "contract_ends", "contract"),
            ("last_donation", None, "donation"),
            ("membership_on", "membership_ends", "membership"),
        ):
            on = self._dates(batch, start)
            if on is not None:
                ends = None if end is None else self._dates(batch, end)
                rels.append(
                    element(
                        self.relationship,
                        {
                            "kind": dumps(kind),
                            "on": on.fill_null(""),
                            "ends": "null" if ends is None else ends.fill_null("null"),
                        },
                        on.is_valid(),
                    )
                )
        out: dict[str, Any] = {"relationships": "[]", "consents": "[]", "dnc_requests": "[]"}
        if rels:
            # Each present element followed by a comma, the last comma dropped (elements end in "}").
            listed = _join([pc.fill_null(pc.binary_join_element_wise(r, ",", ""), "") for r in rels])
            out["relationships"] = _join(["[", pc.utf8_rtrim(listed, characters=","), "]"])
        consent_kind = self._column(batch, "consent_kind")
        on = self._dates(batch, "consent_on")
        has_kind = (
            np.zeros(n, bool)
            if consent_kind is None
            else consent_kind.is_valid().to_numpy(zero_copy_only=False)
        )
        has_on = np.zeros(n, bool) if on is None else on.is_valid().to_numpy(zero_copy_only=False)
        for need, lacking in (("consent_on", has_kind & ~has_on), ("consent_kind", has_on & ~has_kind)):
            if lacking.any():
                other = "consent_kind" if need == "consent_on" else "consent_on"
                raise _bad_row(need, int(np.argmax(lacking)), f"missing: required where {other} is set")
        if consent_kind is not None and on is not None and has_on.any():
            kinds, kidx = _distinct(consent_kind)
            texts = []
            for k, v in enumerate(kinds):
                try:
                    texts.append("null" if v is None else dumps(_consent_kind(v)))
                except ValueError as e:
                    raise _bad_row("consent_kind", _first_row(kidx, k), f"{v!r}: {_first_error(e)}") from None
            revoked = self._dates(batch, "consent_revoked_on")
            holes = {
                "kind": _take(texts, kidx),
                "on": on.fill_null(""),
                "revoked_on": "null" if revoked is None else revoked.fill_null("null"),
            }
            out["consents"] = pc.if_else(
                pa.array(has_on), _join(["[", *_fill(self.consent, holes), "]"]), "[]"
            )
        asked = self._dates(batch, "dnc_requested_on")
        if asked is not None:
            out["dnc_requests"] = pc.if_else(
                asked.is_valid(), _join(["[", *_fill(self.request, {"on": asked.fill_null("")}), "]"]), "[]"
            )
        return out


_UNUSED: Final = object()

_EXTRA_KEPT: Final = 256
"""The ``extra`` texts of a batch's distinct evidence rows are kept for the next batch when
they are at most this many rows."""


def _value_codes(col: pa.Array) -> npt.NDArray[np.int64]:
    """Each row's value of ``col`` as a small non-negative integer, the same for the same value
    (0 for null): a date column's days counted from its first day (no hashing), any other
    column's index into its distinct values."""
    import pyarrow as pa

    if pa.types.is_date32(col.type) and len(col) and col.null_count < len(col):
        days = np.frombuffer(col.buffers()[1], np.int32)[col.offset : col.offset + len(col)]
        codes = days.astype(np.int64)
        if not col.null_count:
            return codes - (int(codes.min()) - 1)
        valid = col.is_valid().to_numpy(zero_copy_only=False)
        codes -= int(codes[valid].min()) - 1
        codes[~valid] = 0
        return codes
    return np.asarray(_distinct(col)[1].to_numpy(zero_copy_only=False), np.int64)


def _own_dictionary(col: pa.Array) -> tuple[list[Any], pa.Array] | None:
    """A dictionary column's distinct values and each row's index into them, from its own
    dictionary (not decoded and encoded again): values no row holds are :data:`_UNUSED`, and
    a null row takes a last value None. None unless ``col`` is a dictionary array of distinct
    values (then :func:`_distinct`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(col.type) or len(col.dictionary) > 4096:
        return None
    dictionary = col.dictionary
    if len(pc.unique(dictionary)) != len(dictionary) or dictionary.null_count:
        return None
    values: list[Any] = dictionary.to_pylist()
    indices = col.indices.cast(pa.int64())
    if col.null_count:
        values.append(None)
        indices = pc.fill_null(indices, len(values) - 1)
    used = np.bincount(indices.to_numpy(zero_copy_only=False), minlength=len(values)) > 0
    return [v if u else _UNUSED for v, u in zip(values, used.tolist(), strict=True)], indices


def _extra_texts(values: Mapping[str, Any]) -> Any:
    """``extra`` from the evidence lists' JSON (:meth:`Columns._evidence`): the non-empty ones,
    keys sorted; text where it is the same for every row, else an Arrow array."""
    import pyarrow.compute as pc

    pieces = []
    for name in ("consents", "dnc_requests", "relationships"):
        v = values[name]
        if not isinstance(v, str):
            pieces.append(pc.if_else(pc.equal(v, "[]"), "", _join([f'"{name}":', v, ","])))
    return "{}" if not pieces else _join(["{", pc.utf8_rtrim(_join(pieces), characters=","), "}"])


_HOLE: Final = "\x00consulted\x00"
_HOLE_JSON: Final = dumps(_HOLE)


_PARTS: dict[Any, Any] = {}
"""Texts by value, kept from one batch (and one call) to the next: a verdict's JSON cut at
``consulted`` by (verdict, registry id), a ``consulted`` value's JSON by that value, an invalid
number's whole decision part by (its text, registry id), and the ``extra`` texts of a batch's
distinct evidence rows by those rows' values (with their columns' names and types). At most
:data:`_CACHE_LIMIT` (then it starts again)."""


def _cached(key: Any, make: Callable[[], Any]) -> Any:
    got = _PARTS.get(key)
    if got is None:
        got = make()
        if len(_PARTS) >= _CACHE_LIMIT:
            _PARTS.clear()
        _PARTS[key] = got
    return got


_SAME_LIMIT: Final = 1 << 14

_SAME: dict[tuple[str, int, str], tuple[Any, Any]] = {}
"""A verdict's decision part cut at ``consulted`` (by the verdict and the registry id) and a
``consulted`` value's JSON, kept from one batch to the next by the identity of the verdict or
value: a bulk engine hands out the very same objects batch after batch, so a look-up by ``id``
costs no hashing of their models. Each entry holds its object (so that its id cannot be taken
by another while it is kept) and is used only for that very object; where the object is new,
the texts are found by value (:data:`_PARTS`). At most :data:`_SAME_LIMIT` (then it starts
again)."""


def _same(kind: str, obj: Any, also: str, make: Callable[[], Any]) -> Any:
    """What ``make`` gives for ``obj`` (and ``also``), kept by ``obj``'s identity."""
    key = (kind, id(obj), also)
    kept = _SAME.get(key)
    if kept is not None and kept[0] is obj:
        return kept[1]
    got = make()
    if len(_SAME) >= _SAME_LIMIT:
        _SAME.clear()
    _SAME[key] = (obj, got)
    return got


def decided_parts(
    decided: Any,
    firsts: Sequence[int],
    bad: Any = None,
    consulted_values: Sequence[Any] | None = None,
    consulted_idx: Any = None,
) -> list[str]:
    """The template part of the decision of each group of a bulk answer's rows (row
    ``firsts[g]`` stands for group ``g``): its canonical JSON less ``number`` and
    ``next_allowed_at``. With the rows' ``consulted`` (``consulted_values[consulted_idx[row]]``)
    and which rows are invalid numbers (``bad``): see :func:`decided_part_index`."""
    if consulted_values is None or bad is None:
        return [_whole_part(decided, row) for row in firsts]
    parts, index = decided_part_index(decided, firsts, bad, consulted_values, consulted_idx)
    return [parts[i] for i in index.tolist()]


def decided_part_index(
    decided: Any, firsts: Sequence[int], bad: Any, consulted_values: Sequence[Any], consulted_idx: Any
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """:func:`decided_parts` as its distinct texts and each group's index into them. Each
    distinct verdict of the groups is made into JSON once with ``consulted`` a hole, and each
    distinct ``consulted`` once (each kept for the next batch, by identity and by value), then
    each distinct pair of those two texts joined once; an invalid number's decision, which
    names the number, is made whole (kept by the number's text)."""
    prov = decided.provenance
    registry_id = "" if prov is None else prov.provenance.registry_id
    rows = np.asarray(firsts, np.int64)
    out = np.zeros(len(rows), np.int64)
    numbers: dict[str, int] = {}  # each distinct part's index
    is_bad = np.asarray(bad, bool)[rows]
    if is_bad.any():
        to = decided.output.column("to")
        for g in np.flatnonzero(is_bad).tolist():  # what it depends on: the text and registry id
            row = int(rows[g])
            key = ("invalid", str(to[row].as_py()), registry_id)
            part = _cached(key, functools.partial(_whole_part, decided, row))
            out[g] = numbers.setdefault(part, len(numbers))
    good = np.flatnonzero(~is_bad)
    if not len(good):
        return list(numbers), out
    good_rows = rows[good]
    v_of = np.asarray(decided.inverse, np.int64)[good_rows]
    k_of = np.asarray(consulted_idx, np.int64)[good_rows]
    # Each distinct verdict's cut, numbered by the cut's identity (a verdict whose cut is empty,
    # made whole, numbered alone); each distinct consulted value's text, numbered by value.
    verdicts = decided.verdicts
    distinct_v, first_v = np.unique(v_of, return_index=True)
    cut_number = np.zeros(int(distinct_v[-1]) + 1, np.int64)
    cuts: list[Any] = []
    cut_ids: dict[int, int] = {}
    whole = np.zeros(len(verdicts) + 1, bool)  # a verdict whose decisions are made whole
    for v, at in zip(distinct_v.tolist(), first_v.tolist(), strict=True):
        row = int(good_rows[at])
        verdict = verdicts[v]
        made = functools.partial(_verdict_cut, decided, row)
        by_value = functools.partial(_cached, ("verdict", verdict, registry_id), made)
        cut = _same("verdict", verdict, registry_id, by_value)
        if cut:
            c = cut_ids.get(id(cut))
            if c is None:
                c = cut_ids[id(cut)] = len(cuts)
                cuts.append(cut)
        else:  # the hole's text met elsewhere: this verdict's decisions made whole
            c = len(cuts)
            cuts.append(cut)
            whole[v] = True
        cut_number[v] = c
    distinct_k = np.unique(k_of)
    text_number = np.zeros(int(distinct_k[-1]) + 1, np.int64)
    texts: dict[str, int] = {}
    for k in distinct_k.tolist():
        value = consulted_values[k]
        text_made = functools.partial(_consulted_text, value)
        text_by_value = functools.partial(_cached, ("consulted", value), text_made)
        text_number[k] = texts.setdefault(_same("consulted", value, "", text_by_value), len(texts))
    text_of = list(texts)
    # A verdict made whole is paired with each consulted value itself, not with its text.
    second = np.where(whole[v_of], len(texts) + k_of, text_number[k_of])
    pair, first_pair = factorize([cut_number[v_of], second])
    made_parts = []
    for at in first_pair.tolist():
        c, t = int(cut_number[v_of[at]]), int(text_number[k_of[at]])
        cut = cuts[c]
        # Made whole: the part of this verdict and consulted value, from a row of the pair.
        part = cut[0] + text_of[t] + cut[1] if cut else _whole_part(decided, int(good_rows[at]))
        made_parts.append(numbers.setdefault(part, len(numbers)))
    out[good] = np.asarray(made_parts, np.int64)[pair]
    return list(numbers), out


def _consulted_text(value: Sequence[Any]) -> str:
    return dumps([c.model_dump(mode="json") for c in value])


def _verdict_cut(decided: Any, row: int) -> tuple[str, str] | tuple[()]:
    """Row ``row``'s decision part cut where ``consulted`` goes (empty where it cannot be)."""
    dj = DECISION_JSON(decided.decision(row), mode="json")
    d = {k: val for k, val in dj.items() if k not in DECISION_ENTRY_FIELDS}
    d["consulted"] = _HOLE
    pieces = dumps(d).split(_HOLE_JSON)
    return (pieces[0], pieces[1]) if len(pieces) == 2 else ()


def _whole_part(decided: Any, row: int) -> str:
    dj = DECISION_JSON(decided.decision(row), mode="json")
    return dumps({k: v for k, v in dj.items() if k not in DECISION_ENTRY_FIELDS})
