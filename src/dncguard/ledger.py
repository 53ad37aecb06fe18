"""The call ledger: a tamper-evident, append-only record of decisions and placed calls.

A seller sued under the TCPA, or investigated under the TSR, must show what was checked before
each call and what the answer was (the safe harbors of 47 CFR 64.1200(c)(2)(i)(D) and 16 CFR
310.4(b)(3)(iv) ask for records that document the process). A :class:`Ledger` keeps those
records in one SQLite file (the standard library's ``sqlite3``; no server): each entry holds the
call, the decision, whether the call was placed, and when it was recorded, and carries the
SHA-256 digest of itself and of the entry before it (a hash chain). An entry changed, removed,
reordered or inserted afterwards breaks the chain, and :meth:`Ledger.verify` names the first bad
one. Keep the :meth:`~Ledger.head`'s ``(seq, digest)`` somewhere else (an anchor): with it,
``verify`` also proves the ledger was neither cut back nor rewritten before that entry.

The digest of entry ``seq`` is ``SHA-256(previous || canonical)``: ``previous`` is the 32-byte
digest of entry ``seq - 1`` (32 zero bytes for entry 1) and ``canonical`` is the UTF-8 (in fact
ASCII) JSON, keys sorted at every level, no whitespace (``json.dumps(obj, sort_keys=True,
separators=(",", ":"))``), of the object::

    {"call": Call.model_dump(mode="json"),
     "decision": Decision.model_dump(mode="json"),
     "index": {"at_us": <call start, UTC microseconds since 1970>,
               "number": <the 10-digit called number, or null when it is not valid>,
               "purpose": <call.purpose>,
               "seller": <call.seller trimmed and case-folded>},
     "placed": <true | false>,
     "recorded_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ",
     "seq": <1, 2, ...>}

(:func:`canonical_entry` builds it.) The values hold no floats, so the encoding is exact.
Storage (schema 2): consecutive entries recorded together are kept in **pages** (table
``pages``, at most 512 entries each): ``first_seq``, ``entries`` (how many), ``recorded_us``
(when, UTC microseconds), ``digests`` (the 32-byte digests, one after the other) and ``payload``:
the entries' canonical JSON, each followed by a line feed (JSON never holds a raw one), deflated
(raw deflate, ``zlib.decompressobj(-15, zdict=...)`` reads it) with the preset dictionary kept in
the ``meta`` table. The placed calls are also indexed (table ``placed``: ``seq``, ``number``,
``seller``, ``purpose``, ``at_us``; frequency caps search it); ``verify`` checks that index
against the chain. Anyone can check a ledger with ``sqlite3``, ``zlib``, ``json`` and
``hashlib`` alone (the user guide ``docs/ledger.md`` has the script).

>>> import tempfile, os, datetime as dt
>>> from dncguard.models import Call, Decision
>>> path = os.path.join(tempfile.mkdtemp(), "calls.ledger")
>>> ledger = Ledger(path)
>>> call = Call(to="(212) 555-0143", at=dt.datetime(2026, 3, 16, 14, tzinfo=dt.UTC), seller="Acme")
>>> entry = ledger.record(call, Decision(allowed=True, number="+12125550143"), placed=True)
>>> entry.seq, entry.previous == "0" * 64, len(entry.digest)
(1, True, 64)
>>> ledger.verify()
LedgerReport(ok=True, entries=1, first_bad_seq=None, message='1 entries verified')
>>> ledger.placed_calls(2125550143, " ACME ", "sale", since=call.at, until=call.at + dt.timedelta(1))
[datetime.datetime(2026, 3, 16, 14, 0, tzinfo=datetime.timezone.utc)]
>>> ledger.close()
>>> with open(path, "wb") as f:
...     _ = f.write(b"not a ledger")
>>> Ledger(path)
Traceback (most recent call last):
...
dncguard.errors.NotALedgerError: ...calls.ledger: not a dncguard ledger (not an SQLite file)...
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import operator
import os
import re
import sqlite3
import threading
import urllib.parse
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _json_str
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from dncguard._seller import normalize_seller
from dncguard.bulk._columns import _SCALAR_DEFAULTS
from dncguard.errors import (
    CorruptLedgerError,
    InvalidNumberError,
    LedgerError,
    LedgerVersionError,
    NotALedgerError,
)
from dncguard.models import EVIDENCE_COLUMNS, Call, Decision
from dncguard.numbers import parse_number

if TYPE_CHECKING:
    import numpy.typing as npt
    import pyarrow as pa

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "CorruptLedgerError",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "LedgerReport",
    "LedgerVersionError",
    "NotALedgerError",
    "canonical_entry",
    "canonical_tail",
]

APPLICATION_ID: Final = 0x444E4C47
"""``PRAGMA application_id`` of a dncguard ledger: the bytes ``DNLG``."""
SCHEMA_VERSION: Final = 2
"""``PRAGMA user_version`` this dncguard writes and reads; a ledger with a higher one is refused,
and so is one of schema 1 (entries one per row, written by development versions before pages)."""
ZERO_DIGEST: Final = bytes(32)
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_WINDOW: Final = -15
_CODEC: Final = "deflate-raw-zdict-pages-2"
_LEVEL: Final = 1
"""Deflate's fastest level: entries share most of their text, so it compresses nearly as well."""
PAGE_ENTRIES: Final = 512
"""At most this many entries per page (reading one entry decompresses its page)."""

# The preset dictionary of codec 2: the text most entries share (JSON keys and frequent values).
# Deflate finds matches nearest the end of the dictionary cheapest, so the commonest go last.
# It is stored in each ledger's meta table: a ledger keeps the dictionary it was written with.
_DICTIONARY_2: Final = (
    b'"kind":"written","on":"2025-01-01","revoked_on":null,"seller":null,"number":null}'
    b'"kind":"purchase","ends":null,"kind":"inquiry","kind":"contract","on":"2026-'
    b'"exemptions":[{"code":"ebr_purchase","jurisdiction":"US","rule":"16 CFR 310.4(b)(1)(iii)(B)'
    b'(2)"},{"code":"consent","code":"ebr_inquiry","business_line","survey","political",'
    b'"caller":"telemarketer","charity","purpose":"donation","informational",'
    b'"line":"wireless","residential","business","prerecorded":true,"callee_region":"US-'
    b'"callee_timezone":"America/New_York","America/Chicago","America/Los_Angeles",'
    b'"jurisdiction":"CA","CRTC Unsolicited Telecommunications Rules","Telecommunications Act'
    b'"code":"invalid_number","jurisdiction":"NANP","message":"\'is not a US or Canadian phone '
    b'number: too short: digits, expected 10","rule":"North American Numbering Plan: US and '
    b'Canadian numbers only"}],"jurisdictions":[],'
    b'"code":"state_registry","internal_list","stale_registry","area_code_not_covered",'
    b'"message":"outside United States (federal) calling hours, days or holidays (local time)",'
    b'"rule":"16 CFR 310.4(c); 47 CFR 64.1200(c)(1)"}],"code":"calling_hours",'
    b'"registry_id":"dncg:","consulted":[{"jurisdiction":"US","layer":"us-ftc","listed":false,'
    b'"obtained":"2026-'
    b'"at":"2026-T00:00:00-04:00","callee_region":null,"callee_timezone":null,"caller":"seller",'
    b'"consents":[],"dnc_requests":[],"line":"unknown","prerecorded":false,"purpose":"sale",'
    b'"reassigned_on":null,"relationships":[],"seller":"","to":"'
    b'"},"decision":{"allowed":false,"exemptions":[],"jurisdictions":["US"],'
    b'"next_allowed_at":null,"number":"+1","reasons":[{"code":"national_registry",'
    b'"jurisdiction":"US","message":"listed on the national registry and no exemption applies '
    b'under United States (federal)\'s rules","rule":"16 CFR 310.4(b)(1)(iii)(B); 47 CFR '
    b'64.1200(c)(2)"}]}{"call":{"at":"2026-'
    b'"}]},"index":{"at_us":17,"number":null,"purpose":"sale","seller":"'
    b'"},"placed":true,"recorded_at":"2026-'
    b'"},"placed":false,"recorded_at":"2026-'
    b'.000000Z","seq":1}\n{"call":{"at":"2026-'
)
_DICTIONARIES: Final[Mapping[str, bytes]] = {_CODEC: _DICTIONARY_2}

_SCHEMA: Final = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) WITHOUT ROWID;
CREATE TABLE pages (
    first_seq INTEGER PRIMARY KEY,
    entries INTEGER NOT NULL,
    recorded_us INTEGER NOT NULL,
    digests BLOB NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE placed (
    seq INTEGER PRIMARY KEY,
    number INTEGER,
    seller TEXT NOT NULL,
    purpose TEXT NOT NULL,
    at_us INTEGER NOT NULL
);
CREATE INDEX placed_calls ON placed (number, seller, purpose, at_us);
CREATE TRIGGER pages_append_only_update BEFORE UPDATE ON pages
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger is append-only: entries cannot be changed'); END;
CREATE TRIGGER pages_append_only_delete BEFORE DELETE ON pages
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger is append-only: entries cannot be deleted'); END;
CREATE TRIGGER placed_append_only_update BEFORE UPDATE ON placed
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger is append-only: entries cannot be changed'); END;
CREATE TRIGGER placed_append_only_delete BEFORE DELETE ON placed
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger is append-only: entries cannot be deleted'); END;
CREATE TRIGGER meta_fixed_update BEFORE UPDATE ON meta
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger''s meta table cannot be changed'); END;
CREATE TRIGGER meta_fixed_delete BEFORE DELETE ON meta
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger''s meta table cannot be changed'); END;
"""
_INSERT_PAGE: Final = (
    "INSERT INTO pages (first_seq, entries, recorded_us, digests, payload) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_PLACED: Final = "INSERT INTO placed (seq, number, seller, purpose, at_us) VALUES (?, ?, ?, ?, ?)"
_PLACED_CALLS: Final = (
    "SELECT at_us FROM placed WHERE number = ? AND seller = ? AND purpose = ?"
    " AND at_us >= ? AND at_us < ? ORDER BY at_us"
)
_PAGE_COLUMNS: Final = "first_seq, entries, recorded_us, digests, payload"
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US: Final = dt.timedelta(microseconds=1)


# --- values ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One recorded call: ``seq`` (from 1), ``recorded_at`` (aware UTC), the ``call`` and its
    ``decision``, whether it was ``placed``, its ``digest`` and the ``previous`` entry's (hex;
    64 zeros for the first entry)."""

    seq: int
    recorded_at: dt.datetime
    call: Call
    decision: Decision
    placed: bool
    digest: str
    previous: str


class LedgerReport(NamedTuple):
    """What :meth:`Ledger.verify` found. ``ok``: the chain (and the anchor, if given) holds;
    ``entries``: how many entries verified, in order from 1, before the first bad one (all of
    them when ``ok``); ``first_bad_seq``: the first entry that is changed, missing, out of order
    or inserted (None when ``ok``); ``message``: what was found, in words."""

    ok: bool
    entries: int
    first_bad_seq: int | None
    message: str


# --- the canonical encoding -----------------------------------------------------------------------


_dumps: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
"""The canonical JSON: keys sorted, no whitespace, ASCII (one encoder, built once)."""


def _seller_key(seller: str) -> str:
    # docs/defaults.md#sellers-are-one-name: a seller is one name however it is written, by the
    # same rule as calls, lists and evidence (inner runs of spaces too, so that the caps count in
    # check as in scrub, which compares normalised sellers on both sides).
    return normalize_seller(seller)


def _us(t: dt.datetime) -> int:
    return (t - _EPOCH) // _ONE_US


def _aware_us(name: str, value: dt.datetime) -> int:
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise ValueError(f"{name}: expected an aware datetime (with a UTC offset), got {value!r}")
    return _us(value)


def _from_us(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


def _iso(us: int) -> str:
    return _from_us(us).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_tail(
    *, seq: int, recorded_us: int, placed: bool, number: int | None, seller: str, purpose: str, at_us: int
) -> bytes:
    """The end of an entry's canonical JSON after its payload (from ``,"index":`` to the close).

    >>> canonical_tail(seq=7, recorded_us=0, placed=True, number=None, seller="acme",
    ...                purpose="sale", at_us=5)
    b',"index":{"at_us":5,"number":null,"purpose":"sale","seller":"acme"},"placed":true,"recorded_at":"1970-01-01T00:00:00.000000Z","seq":7}'
    """
    index = {"at_us": at_us, "number": number, "purpose": purpose, "seller": seller}
    rest = {"index": index, "placed": placed, "recorded_at": _iso(recorded_us), "seq": seq}
    return ("," + _dumps(rest)[1:]).encode()


class _Tails:
    """Builds :func:`canonical_tail` fast for a stream of rows (JSON of repeated strings cached)."""

    def __init__(self) -> None:
        self._strings: dict[object, str] = {}
        self._seconds: dict[int, str] = {}

    def _s(self, value: object) -> str:
        s = self._strings.get(value)
        if s is None:
            if not isinstance(value, str):
                raise TypeError(f"expected text, found {type(value).__name__}")
            if len(self._strings) > 65_536:  # bounded: a ledger of many sellers stays small here
                self._strings.clear()
            s = self._strings[value] = json.dumps(value)
        return s

    def __call__(
        self,
        seq: int,
        recorded_us: int,
        placed: int,
        number: int | None,
        seller: str,
        purpose: str,
        at_us: int,
    ) -> bytes:
        second, micro = divmod(recorded_us, 1_000_000)
        stamp = self._seconds.get(second)
        if stamp is None:
            if len(self._seconds) > 4096:
                self._seconds.clear()
            stamp = self._seconds[second] = _from_us(second * 1_000_000).strftime("%Y-%m-%dT%H:%M:%S")
        if placed == 1 and type(placed) is int:
            p = "true"
        elif placed == 0 and type(placed) is int:
            p = "false"
        else:
            raise TypeError("placed is not 0 or 1")
        n = "null" if number is None else f"{number:d}"
        return (
            f',"index":{{"at_us":{at_us:d},"number":{n},"purpose":{self._s(purpose)},'
            f'"seller":{self._s(seller)}}},"placed":{p},"recorded_at":"{stamp}.{micro:06d}Z",'
            f'"seq":{seq:d}}}'
        ).encode()


_CALL_JSON: Final = Call.__pydantic_serializer__.to_python
_DECISION_JSON: Final = Decision.__pydantic_serializer__.to_python


def _number(to: str) -> int | None:
    try:
        return parse_number(to)
    except InvalidNumberError:
        return None


def canonical_entry(call: Call, decision: Decision, *, seq: int, recorded_us: int, placed: bool) -> bytes:
    """An entry's canonical JSON, exactly as documented (the digest's input after ``previous``).

    This is the definition; the ledger builds the same bytes faster (tests hold them equal).

    >>> import datetime as dt
    >>> call = Call(to="212-555-0143", at=dt.datetime(2026, 3, 16, 14, tzinfo=dt.UTC), seller="Acme")
    >>> canonical_entry(call, Decision(allowed=True, number="+12125550143"), seq=1, recorded_us=0,
    ...                 placed=False)[:52]
    b'{"call":{"at":"2026-03-16T14:00:00Z","attempts":[],"'
    """
    obj = {
        # model_dump(mode="json"), less its Python wrapper: every field, including ones added later.
        "call": _CALL_JSON(call, mode="json"),
        "decision": _DECISION_JSON(decision, mode="json"),
        "index": {
            "at_us": _us(call.at),
            "number": _number(call.to),
            "purpose": call.purpose,
            "seller": _seller_key(call.seller),
        },
        "placed": placed,
        "recorded_at": _iso(recorded_us),
        "seq": seq,
    }
    return _dumps(obj).encode()


# --- the fast builder: templates of the JSON shared by many entries, spliced per entry -------------


def _texts(obj: Mapping[str, Any], holes: Sequence[str]) -> tuple[str, ...]:
    """The canonical JSON of ``obj`` cut around the values of its keys ``holes`` (given in
    sorted order, which is the order they appear in): one more text than holes."""
    parts = _cut(obj, holes)
    if [p for p in parts if isinstance(p, tuple)] != [(h,) for h in holes]:
        raise AssertionError(f"expected the keys {holes} in {sorted(obj)}")
    return tuple(p for p in parts if isinstance(p, str))


def _cut(obj: Mapping[str, Any], holes: Iterable[str]) -> list[str | tuple[str]]:
    """The canonical JSON of ``obj`` as constant text and ``(key,)`` holes for the values of ``holes``."""
    wanted = set(holes)
    parts: list[str | tuple[str]] = []
    text = "{"
    for i, key in enumerate(sorted(obj)):
        text += ("," if i else "") + _dumps(key) + ":"
        if key in wanted:
            parts += [text, (key,)]
            text = ""
        else:
            text += _dumps(obj[key])
    parts.append(text + "}")
    return parts


def _model_tuples(model: type[Any], names: Iterable[str]) -> tuple[str, ...]:
    """The fields of ``model`` among ``names`` that hold tuples of models (compared by identity
    within one batch: hashing pydantic models is slow)."""
    import typing

    from pydantic import BaseModel

    out = []
    for name in names:
        args = typing.get_args(model.model_fields[name].annotation)
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            out.append(name)
    return tuple(out)


_NO_EVIDENCE: Final = ["[]", "[]", "[]"]
_CALL_HOLES: Final = ("at", "consents", "dnc_requests", "relationships", "to")
_DECISION_HOLES: Final = ("next_allowed_at", "number")
assert list(_CALL_HOLES) == sorted(_CALL_HOLES)
assert list(_DECISION_HOLES) == sorted(_DECISION_HOLES)
_CALL_REST: Final = tuple(name for name in Call.model_fields if name not in _CALL_HOLES)
_DECISION_REST: Final = tuple(name for name in Decision.model_fields if name not in _DECISION_HOLES)
_DECISION_MODELS: Final = _model_tuples(Decision, _DECISION_REST)
_DECISION_VALUES: Final = tuple(name for name in _DECISION_REST if name not in _DECISION_MODELS)


def _getter(names: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(names) == 1:
        name = names[0]
        return lambda d: (d[name],)
    return operator.itemgetter(*names)


_call_rest: Final = _getter(_CALL_REST)
_decision_values: Final = _getter(_DECISION_VALUES) if _DECISION_VALUES else (lambda d: ())
_decision_models: Final = _getter(_DECISION_MODELS) if _DECISION_MODELS else (lambda d: ())


def _decision_key(dd: Mapping[str, Any]) -> tuple[Any, ...]:
    """A decision's key within one batch: its plain values, and its models by identity."""
    return (_decision_values(dd), *[tuple(map(id, v)) for v in _decision_models(dd)])


if len(_DECISION_MODELS) == 3:  # today: consulted, exemptions and reasons (the general form above)
    _m0, _m1, _m2 = _DECISION_MODELS

    def _decision_key(dd: Mapping[str, Any]) -> tuple[Any, ...]:
        return (
            _decision_values(dd),
            tuple(map(id, dd[_m0])),
            tuple(map(id, dd[_m1])),
            tuple(map(id, dd[_m2])),
        )


class _Times:
    """Aware datetimes as pydantic's JSON writes them (``...T14:00:00Z``, ``...-04:00``), fast."""

    def __init__(self) -> None:
        self._suffixes: dict[dt.timedelta | None, str] = {}
        self.by_text: dict[str, str] = {}

    def suffix(self, offset: dt.timedelta | None) -> str:
        s = self._suffixes.get(offset)
        if s is None:
            if offset is None:
                raise ValueError("expected an aware datetime (with a UTC offset)")
            t = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(offset))
            probe = Call.model_construct(to="", at=t, seller="x")
            text = _CALL_JSON(probe, mode="json", include={"at"})["at"]
            s = self._suffixes[offset] = text[19:]
        return s

    def learn(self, t: dt.datetime, iso_offset: str) -> str:
        """isoformat's offset text (+05:30, +05:30:07, ...) maps to one of pydantic's: learn which."""
        s = self.suffix(t.utcoffset())
        if len(self.by_text) < 4096:
            self.by_text[iso_offset] = s
        return s

    def __call__(self, t: dt.datetime) -> str:
        iso = t.isoformat()
        cut = 26 if t.microsecond else 19
        return iso[:cut] + (self.by_text.get(iso[cut:]) or self.learn(t, iso[cut:]))


class _Encoder:
    """Builds entries' canonical JSON from calls and decisions: the JSON of each distinct call
    (less ``to``, ``at`` and its evidence) and of each distinct decision (less ``number`` and
    ``next_allowed_at``) is made once, and the rest spliced in."""

    _LIMIT: Final = 8192

    def __init__(self) -> None:
        self._calls: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._decisions: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self.times = _Times()

    def _call_texts(self, call: Call, key: tuple[Any, ...]) -> tuple[str, ...]:
        if len(self._calls) > self._LIMIT:
            self._calls.clear()
        texts = _texts(_CALL_JSON(call, mode="json"), _CALL_HOLES)
        index = (
            f',"purpose":{_json_str(call.purpose)},"seller":{_json_str(_seller_key(call.seller))}}},"placed":'
        )
        t = self._calls[key] = ('{"call":' + texts[0], *texts[1:-1], texts[-1] + ',"decision":', index)
        return t

    def _decision_texts(
        self, decision: Decision, key: tuple[Any, ...], batch: dict[tuple[Any, ...], tuple[str, ...]]
    ) -> tuple[str, ...]:
        dd = decision.__dict__
        value_key = (_decision_values(dd), _decision_models(dd))
        t = self._decisions.get(value_key)
        if t is None:
            if len(self._decisions) > self._LIMIT:
                self._decisions.clear()
            texts = _texts(_DECISION_JSON(decision, mode="json"), _DECISION_HOLES)
            t = self._decisions[value_key] = (*texts[:-1], texts[-1] + ',"index":{"at_us":')
        batch[key] = t
        return t

    def lines(
        self, calls: Sequence[Call], decisions: Sequence[Decision], placed: bool, first_seq: int, stamp: str
    ) -> tuple[list[bytes], list[tuple[int | None, str, str, int] | None] | None]:
        """Each entry's canonical JSON, from seq ``first_seq`` on (``stamp``: ``"recorded_at","seq":``),
        and each placed entry's index row."""
        n = len(calls)
        if n > 64:
            from dncguard.numbers import parse_numbers

            parsed, valid = parse_numbers([c.to for c in calls])
            numbers: list[int | None] = [
                int(x) if ok else None for x, ok in zip(parsed.tolist(), valid.tolist(), strict=True)
            ]
        else:
            numbers = [_number(c.to) for c in calls]
        call_t = self._calls
        # Within one batch the objects are alive: tuples of models are known by their identity.
        decision_t: dict[tuple[Any, ...], tuple[str, ...]] = {}
        evidence: dict[int, str] = {}
        times = self.times
        by_offset = times.by_text
        epoch = _EPOCH
        p = "true" if placed else "false"
        out: list[bytes] = []
        rows: list[tuple[int | None, str, str, int] | None] | None = [] if placed else None
        seq = first_seq
        for call, decision, number in zip(calls, decisions, numbers, strict=True):
            cd = call.__dict__
            key = _call_rest(cd)
            c = call_t.get(key) or self._call_texts(call, key)
            if cd["consents"] or cd["dnc_requests"] or cd["relationships"]:
                ev = []
                for name in ("consents", "dnc_requests", "relationships"):
                    v = cd[name]
                    j = evidence.get(id(v)) if v else "[]"
                    if j is None:
                        j = evidence[id(v)] = _dumps(_CALL_JSON(call, mode="json", include={name})[name])
                    ev.append(j)
            else:
                ev = _NO_EVIDENCE
            dd = decision.__dict__
            dkey = _decision_key(dd)
            d = decision_t.get(dkey) or self._decision_texts(decision, dkey, decision_t)
            at: dt.datetime = cd["at"]
            iso = at.isoformat()
            cut = 26 if at.microsecond else 19
            at_json = iso[:cut] + (by_offset.get(iso[cut:]) or times.learn(at, iso[cut:]))
            nxt = dd["next_allowed_at"]
            delta = at - epoch
            at_us = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
            to = _json_str(cd["to"])
            number_json = _json_str(dd["number"])
            nxt_json = "null" if nxt is None else f'"{times(nxt)}"'
            index = "null" if number is None else number
            out.append(
                f'{c[0]}"{at_json}"{c[1]}{ev[0]}{c[2]}{ev[1]}{c[3]}{ev[2]}{c[4]}{to}{c[5]}'
                f"{d[0]}{nxt_json}{d[1]}{number_json}{d[2]}{at_us},"
                f'"number":{index}{c[6]}{p},"recorded_at":{stamp}{seq}}}'.encode()
            )
            if rows is not None:
                rows.append((number, _seller_key(call.seller), call.purpose, at_us))
            seq += 1
        return out, rows


# --- the columnar builder (record_columns) ---------------------------------------------------------

_PLAIN_TEXT: Final = r"^[ !#-\[\]-~]*$"
"""Text whose JSON is itself in quotes: printable ASCII without ``"`` or ``\\``."""
# The scalar call fields and evidence columns of a flat table: the bulk reader's own lists, so a
# field added to calls (channel, automated, ...) is recorded, never silently left at its default.
_SCALARS: Final = tuple(_SCALAR_DEFAULTS)
_FLAT: Final = frozenset({"to", "at", "seller", *_SCALARS, *EVIDENCE_COLUMNS})
_PROTOTYPE_AT: Final = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _join(parts: Sequence[Any]) -> pa.Array:
    """Row-wise concatenation of Arrow string arrays and constant strings (no nulls)."""
    import pyarrow.compute as pc

    merged: list[Any] = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif not (isinstance(p, str) and not p):
            merged.append(p)
    return pc.binary_join_element_wise(*merged, "")


def _fill(parts: Sequence[str | tuple[str]], values: Mapping[str, Any]) -> list[Any]:
    return [values[p[0]] if isinstance(p, tuple) else p for p in parts]


def _bad_row(column: str, row: int, what: str) -> ValueError:
    return ValueError(f"column {column!r}, row {row}: {what}")


def _json_texts(arr: pa.Array) -> pa.Array:
    """The JSON of each text of ``arr`` (no nulls), as ``json.dumps`` writes it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    quoted = pc.binary_join_element_wise('"', arr, '"', "")
    plain = pc.match_substring_regex(arr, _PLAIN_TEXT)
    if plain.false_count:
        other = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
        fixed = [_json_str(v) for v in arr.take(pa.array(other)).to_pylist()]
        quoted = pc.replace_with_mask(quoted, pc.invert(plain), pa.array(fixed, pa.string()))
    return quoted


def _distinct(arr: pa.Array) -> tuple[list[Any], pa.Array]:
    """``arr``'s distinct values (None for null) and each row's index into them."""
    import pyarrow as pa

    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    encoded = arr.dictionary_encode(null_encoding="encode")
    return encoded.dictionary.to_pylist(), encoded.indices


def _take(values: Sequence[str], indices: pa.Array) -> pa.Array:
    import pyarrow as pa

    return pa.array(values, pa.string()).take(indices)


def _first_row(indices: pa.Array, k: int) -> int:
    import numpy as np

    return int(np.argmax(indices.to_numpy(zero_copy_only=False) == k))


def _validated(name: str, value: Any) -> Any:
    """The JSON value a Call holds for field ``name`` given ``value`` (pydantic's own rules)."""
    fields: dict[str, Any] = {"to": "0", "at": _PROTOTYPE_AT, "seller": "x", name: value}
    call = Call.model_validate(fields)
    return _CALL_JSON(call, mode="json", include={name})[name]


def _zone_offsets(micros: npt.NDArray[Any], zone: str) -> npt.NDArray[Any]:
    """The UTC offset (seconds) of ``zone`` at each instant (UTC microseconds), as Python's
    ``zoneinfo`` has it (which is what pyarrow's datetimes carry): one look-up per distinct hour,
    and per row only in an hour where the offset changes."""
    import zoneinfo

    import numpy as np

    fixed = re.fullmatch(r"([+-])(\d\d):(\d\d)", zone)
    if fixed or zone.upper() in ("UTC", "Z", "ETC/UTC"):
        seconds = 0 if not fixed else int(fixed.group(2)) * 3600 + int(fixed.group(3)) * 60
        return np.full(len(micros), -seconds if fixed and fixed.group(1) == "-" else seconds, np.int64)
    zi = zoneinfo.ZoneInfo(zone)

    def offset(us: int) -> int:
        off = (_EPOCH + dt.timedelta(microseconds=us)).astimezone(zi).utcoffset()
        assert off is not None
        return int(off.total_seconds())

    hours, inverse = np.unique(micros // 3_600_000_000, return_inverse=True)
    start = np.array([offset(int(h) * 3_600_000_000) for h in hours.tolist()], np.int64)
    end = np.array([offset(int(h) * 3_600_000_000 + 3_599_999_999) for h in hours.tolist()], np.int64)
    out = start[inverse]
    changing = np.flatnonzero((start != end)[inverse])
    if len(changing):
        out[changing] = [offset(int(u)) for u in micros[changing].tolist()]
    return out


def _timestamp_json(col: pa.Array, times: _Times) -> pa.Array:
    """Aware timestamps (no nulls) as pydantic's JSON of the datetimes pyarrow gives for them:
    the wall time in the column's zone, then the offset (``Z`` for UTC)."""
    import pyarrow as pa

    col = col.cast(pa.timestamp("us", tz=col.type.tz))  # safe: refuses to drop nanoseconds
    micros = col.cast(pa.int64()).to_numpy(zero_copy_only=False)
    return _offset_json(micros, _zone_offsets(micros, col.type.tz), times)


def _offset_json(micros: npt.NDArray[Any], offsets: npt.NDArray[Any], times: _Times) -> pa.Array:
    """UTC microseconds as pydantic's JSON of aware datetimes at the given UTC offsets (seconds,
    one per row): the wall time at that offset, then the offset (``Z`` for UTC)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    local = micros + offsets * 1_000_000
    seconds, fraction = np.divmod(local, 1_000_000)
    wall: Any = pa.array(np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s"), pa.string())
    if fraction.any():  # microseconds, six digits, where there are any (as isoformat writes them)
        digits = pc.utf8_lpad(pa.array(fraction).cast(pa.string()), width=6, padding="0")
        wall = pc.if_else(pa.array(fraction != 0), _join([wall, ".", digits]), wall)
    distinct, inverse = np.unique(offsets, return_inverse=True)
    if len(distinct) == 1:
        suffix: Any = times.suffix(dt.timedelta(seconds=int(distinct[0])))
    else:
        texts = [times.suffix(dt.timedelta(seconds=int(o))) for o in distinct.tolist()]
        suffix = _take(texts, pa.array(inverse.astype(np.int64)))
    return _join(['"', wall, suffix, '"'])


class _Columns:
    """One slice of a flat call table turned into entries' canonical JSON (without
    ``recorded_at`` and ``seq``), column by column, no Python per row."""

    def __init__(
        self,
        decisions: Sequence[Decision],
        defaults: Mapping[str, Any],
        times: _Times,
        cuts: Sequence[list[str | tuple[str]]] | None = None,
    ) -> None:
        """``cuts``: the decisions' JSON already cut around ``next_allowed_at`` and ``number``
        (as :func:`_cut` does), in place of ``decisions``."""
        unknown = set(defaults) - {"at", "seller", *_SCALARS}
        if unknown:
            raise TypeError(f"record_columns: unknown default(s) {', '.join(sorted(unknown))}")
        self.defaults = dict(defaults)
        self.times = times
        self.prototype: dict[str, Any] = _CALL_JSON(Call(to="0", at=_PROTOTYPE_AT, seller="x"), mode="json")
        self.call_parts = _cut(self.prototype, _FLAT | {"relationships", "consents", "dnc_requests"})
        if cuts is None:
            cuts = [_cut(_DECISION_JSON(d, mode="json"), ("number", "next_allowed_at")) for d in decisions]
        self.decision_parts: list[Any] = []
        for i, part in enumerate(cuts[0] if cuts else []):
            if isinstance(part, tuple):
                self.decision_parts.append(part)
            else:
                texts = [c[i] for c in cuts]
                self.decision_parts.append(texts)
        if any(
            len(c) != len(cuts[0])
            or [p for p in c if isinstance(p, tuple)] != [p for p in cuts[0] if isinstance(p, tuple)]
            for c in cuts
        ):
            raise AssertionError("decisions of different shapes")
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

    def _scalar(self, batch: pa.RecordBatch, name: str) -> Any:
        """A field decided per distinct value by the Call model itself (validated, normalised);
        a null or missing value takes the default given, else the Call default."""
        col = self._column(batch, name)
        default = self.defaults.get(name)

        def text(v: Any) -> str:
            return _dumps(self.prototype[name] if v is None else _validated(name, v))

        if col is None:
            return text(default)
        values, idx = _distinct(col)
        texts = []
        for k, v in enumerate(values):
            v = default if v is None else v
            try:
                texts.append(text(v))
            except ValueError as e:
                raise _bad_row(name, _first_row(idx, k), f"{v!r}: {_first_error(e)}") from None
        return _take(texts, idx)

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
                texts.append(None if v is None else _dumps(_validated("reassigned_on", v)))
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
    ) -> tuple[pa.Array, list[tuple[int | None, str, str, int]] | None]:
        """The rows' canonical JSON up to ``"recorded_at":``, and the placed rows' index rows.
        ``next_in_call_zone``: write each row's ``next_allowed_at`` in the zone of its call's
        ``at`` (as ``Guard.check`` gives it) rather than in the zone of ``next_at``."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from dncguard.numbers import parse_numbers

        n = batch.num_rows
        times = self.times
        values: dict[str, Any] = {}
        # to: text or integers, never null.
        to = self._column(batch, "to")
        if to is None:
            raise ValueError("record_columns: no 'to' column: every call needs the called number")
        if pa.types.is_integer(to.type) or pa.types.is_large_string(to.type):
            to = to.cast(pa.string())
        elif not pa.types.is_string(to.type):
            raise ValueError(f"column 'to': expected text or integers, got {to.type}")
        if to.null_count:
            raise _bad_row("to", int(np.argmax(to.is_null().to_numpy(zero_copy_only=False))), "no number")
        values["to"] = _json_texts(to)
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
                raise ValueError("record_columns: no 'at' column and no at= default")
            values["at"] = '"' + times(fallback) + '"'
            at_us = pa.array(np.full(n, _us(fallback), np.int64))
        elif pa.types.is_timestamp(at.type):
            if at.type.tz is None:
                raise ValueError(
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
                values["at"] = _timestamp_json(at, times)
            at_us = at.cast(pa.int64())
        elif (fast := _text_times(at, times)) is not None:
            values["at"], at_us, offsets = fast
            # Each row's zone is its written offset.
            distinct, inverse = np.unique(offsets, return_inverse=True)
            zones += [dt.timezone(dt.timedelta(seconds=int(o))) for o in distinct.tolist()]
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
                us.append(_us(t))
                zones.append(t.tzinfo)
            values["at"] = _take(js, idx)
            zone_idx = idx.to_numpy(zero_copy_only=False).astype(np.int64) + 1
            at_us = pa.array(us, pa.int64()).take(idx)
        attempts = self._column(batch, "attempts")
        if attempts is not None and pc.sum(pc.list_value_length(attempts)).as_py():
            raise ValueError(
                "column 'attempts': record_columns does not record earlier attempts; record these calls"
                " with record_many"
            )
        # seller: as given (never blank); the index has it trimmed and case-folded.
        seller = self._column(batch, "seller")
        default_seller = self.defaults.get("seller")
        if seller is None:
            if default_seller is None:
                raise ValueError("record_columns: no 'seller' column and no seller= default")
            seller = pa.array([default_seller] * n, pa.string())
        names, sidx = _distinct(seller)
        seller_json, seller_keys = [], []
        for k, v in enumerate(names):
            v = default_seller if v is None else v
            if not isinstance(v, str) or not v.strip():
                raise _bad_row("seller", _first_row(sidx, k), f"{v!r}: expected the seller's name")
            seller_json.append(_json_str(v))
            seller_keys.append(_json_str(_seller_key(v)))
        values["seller"] = _take(seller_json, sidx)
        for name in _SCALARS:
            values[name] = self._scalar(batch, name) if name != "reassigned_on" else None
        reassigned = self._dates(batch, "reassigned_on")
        default_re = self.defaults.get("reassigned_on")
        values["reassigned_on"] = (
            pc.fill_null(
                reassigned, _dumps(_validated("reassigned_on", default_re)) if default_re else "null"
            )
            if reassigned is not None
            else (_dumps(_validated("reassigned_on", default_re)) if default_re else "null")
        )
        values.update(self._evidence(batch, n))
        call_json = _fill(self.call_parts, values)  # joined once, with the rest below

        # The decision: its distinct template per row, with the row's number and next_allowed_at.
        parsed, valid = parse_numbers(to)
        if numbers is None:
            e164 = pc.binary_join_element_wise("+1", pa.array(parsed).cast(pa.string()), "")
            number_text = pc.if_else(pa.array(valid), e164, to)
        elif isinstance(numbers, pa.Array) and pa.types.is_string(numbers.type):
            number_text = numbers
        else:
            ints = pa.array(np.asarray(numbers, dtype=np.uint64))
            number_text = pc.if_else(
                pc.equal(ints, 0), to, pc.binary_join_element_wise("+1", ints.cast(pa.string()), "")
            )
        if number_text.null_count:
            raise _bad_row(
                "numbers", int(np.argmax(number_text.is_null().to_numpy(zero_copy_only=False))), "null"
            )
        dvalues: dict[str, Any] = {"number": _json_texts(number_text), "next_allowed_at": "null"}
        if next_at is not None and next_at.null_count < n:
            filled_next = pc.fill_null(next_at, pa.scalar(0, next_at.type))
            if next_in_call_zone:
                js = _call_zone_json(filled_next, zone_tz, zones, zone_idx, times)
            else:
                js = _timestamp_json(filled_next, times)
            dvalues["next_allowed_at"] = (
                pc.if_else(next_at.is_null(), "null", js) if next_at.null_count else js
            )
        decision_parts = [
            dvalues[p[0]] if isinstance(p, tuple) else _take(p, which) for p in self.decision_parts
        ]
        # The index: start, number (null when not valid), purpose, seller trimmed and case-folded.
        index_number = pc.if_else(pa.array(valid), pa.array(parsed).cast(pa.string()), "null")
        bodies = _join(
            [
                '{"call":',
                *call_json,
                ',"decision":',
                *decision_parts,
                ',"index":{"at_us":',
                at_us.cast(pa.string()),
                ',"number":',
                index_number,
                ',"purpose":',
                values["purpose"],
                ',"seller":',
                _take(seller_keys, sidx),
                '},"placed":' + ("true" if placed else "false") + ',"recorded_at":',
            ]
        )
        rows = None
        if placed:
            purposes = values["purpose"]
            purposes = [
                json.loads(p)
                for p in (purposes.to_pylist() if isinstance(purposes, pa.Array) else [purposes] * n)
            ]
            keys = [json.loads(s) for s in _take(seller_keys, sidx).to_pylist()]
            rows = [
                (int(x) if ok else None, s, p, u)
                for x, ok, s, p, u in zip(
                    parsed.tolist(), valid.tolist(), keys, purposes, at_us.to_pylist(), strict=True
                )
            ]
        return bodies, rows

    def _evidence(self, batch: pa.RecordBatch, n: int) -> dict[str, Any]:
        import numpy as np
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
                        {"kind": _dumps(kind), "on": on.fill_null(""), "ends": "null"},
                        on.is_valid(),
                    )
                )
        on = self._dates(batch, "contract_on")
        if on is not None:
            ends = self._dates(batch, "contract_ends")
            rels.append(
                element(
                    self.relationship,
                    {
                        "kind": '"contract"',
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
                    texts.append("null" if v is None else _dumps(_consent_kind(v)))
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


_ISO_AT: Final = (
    r"^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
"""ISO 8601 times that Arrow and pydantic read alike (others are read one by one as Call does)."""


def _text_times(at: pa.Array, times: _Times) -> tuple[pa.Array, pa.Array, npt.NDArray[Any]] | None:
    """A text ``at`` column read column by column: each row's JSON (as the Call it stands for
    writes it), UTC microseconds and written UTC offset (seconds); None unless every row is
    an ISO 8601 time of :data:`_ISO_AT`'s plain form."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if at.null_count or not pc.all(pc.match_substring_regex(at, _ISO_AT)).as_py():
        return None
    try:
        micros = at.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. February 30th: read one by one
        return None
    parts = pc.extract_regex(at, r"(?P<sign>[+-])(?P<hh>\d\d):(?P<mm>\d\d)$|Z$")
    written, idx = _distinct(
        pc.binary_join_element_wise(
            pc.struct_field(parts, "sign"), pc.struct_field(parts, "hh"), pc.struct_field(parts, "mm"), ""
        )
    )
    seconds = []
    for text in written:
        if not text:  # Z
            seconds.append(0)
        else:
            sign = -1 if text[0] == "-" else 1
            seconds.append(sign * (int(text[1:3]) * 3600 + int(text[3:5]) * 60))
    offsets = np.asarray(seconds, np.int64)[idx.to_numpy(zero_copy_only=False)]
    us = micros.to_numpy(zero_copy_only=False)
    return _offset_json(us, offsets, times), micros, offsets


def _call_zone_json(
    col: pa.Array, zone_tz: str | None, zones: Sequence[dt.tzinfo | None], zone_idx: Any, times: _Times
) -> pa.Array:
    """Timestamps (no nulls) as pydantic's JSON of each row's datetime in its call's zone:
    ``zone_tz`` where ``zone_idx`` is -1, else ``zones[zone_idx]``."""
    import numpy as np
    import pyarrow as pa

    col = col.cast(pa.timestamp("us", tz=col.type.tz))  # safe: refuses to drop nanoseconds
    micros = col.cast(pa.int64()).to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(micros), np.int64)
    column_rows = zone_idx < 0
    if zone_tz is not None and column_rows.any():
        offsets[column_rows] = _zone_offsets(micros[column_rows], zone_tz)
    # A fixed offset (what text with an offset reads as) is one number; a named zone's depends
    # on the instant, and is asked row by row.
    fixed = np.zeros(len(zones), np.int64)
    named = np.zeros(len(zones), bool)
    for k, zone in enumerate(zones):
        off = None if zone is None else zone.utcoffset(None)
        if off is None:
            named[k] = zone is not None
        else:
            fixed[k] = int(off.total_seconds())
    own = np.flatnonzero(~column_rows)
    if len(own):
        offsets[own] = fixed[zone_idx[own]]
        for i in own[named[zone_idx[own]]].tolist():
            zone = zones[int(zone_idx[i])]
            off = (_EPOCH + dt.timedelta(microseconds=int(micros[i]))).astimezone(zone).utcoffset()
            assert off is not None
            offsets[i] = int(off.total_seconds())
    return _offset_json(micros, offsets, times)


def _consent_kind(value: Any) -> Any:
    from dncguard.models import Consent

    return Consent.model_validate({"kind": value, "on": dt.date(2000, 1, 1)}).model_dump(mode="json")["kind"]


def _first_error(e: ValueError) -> str:
    from pydantic import ValidationError

    if isinstance(e, ValidationError):
        return str(e.errors()[0]["msg"])
    return str(e)


def _aware_default(value: Any) -> dt.datetime:
    t = Call.model_validate({"to": "0", "at": value, "seller": "x"}).at
    return t


def _as_call(call: Call | Mapping[str, Any]) -> Call:
    return call if isinstance(call, Call) else Call.model_validate(call)


def _as_decision(decision: Decision | Mapping[str, Any]) -> Decision:
    return decision if isinstance(decision, Decision) else Decision.model_validate(decision)


_CHUNK: Final = 128 * PAGE_ENTRIES
"""Entries built, hashed and written at a time (whole pages)."""
_COLUMN_CHUNK: Final = 32 * PAGE_ENTRIES
"""Rows of a table built into entries at a time by :meth:`Ledger.record_columns` (whole pages;
smaller than :data:`_CHUNK`, so that building the next overlaps hashing this one)."""


class _ReadAhead:
    """An iterator whose next item is made on a second thread while the caller uses this one
    (errors are raised where the item is taken). A context manager: leaving it waits for the
    item being made and drops it."""

    _END: Final = object()

    def __init__(self, items: Iterator[Any]) -> None:
        self._items = items
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dncguard-build")
        self._next = self._pool.submit(next, items, self._END)

    def __iter__(self) -> _ReadAhead:
        return self

    def __next__(self) -> Any:
        item = self._next.result()
        if item is self._END:
            raise StopIteration
        self._next = self._pool.submit(next, self._items, self._END)
        return item

    def __enter__(self) -> _ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


_Chunk = tuple["list[bytes] | pa.Array", "Sequence[tuple[int | None, str, str, int] | None] | None"]
_PLACED_INDEX: Final = re.compile(
    rb',"index":\{"at_us":(-?\d+),"number":(null|\d+),"purpose":("(?:[^"\\]|\\.)*"),'
    rb'"seller":("(?:[^"\\]|\\.)*")\},"placed":true,"recorded_at":"[^"\\]*","seq":(\d+)\}\n'
)


# --- the ledger -----------------------------------------------------------------------------------


class Ledger:
    """An append-only, hash-chained record of calls and decisions in one SQLite file.

    ``Ledger(path)`` opens the ledger at ``path``, creating it when missing (``create=False``:
    a missing file is a :class:`NotALedgerError`). Many processes may read and record at once:
    SQLite's locking lets one writer append at a time, and each append reads the chain's head
    inside the same ``BEGIN IMMEDIATE`` transaction, so the chain stays one. A ``Ledger`` object
    may be shared by threads (its connection is guarded by a lock).

    Raises :class:`NotALedgerError` for a file that is not a dncguard ledger,
    :class:`LedgerVersionError` for one written by a newer dncguard (or by a development version
    of schema 1), and :class:`CorruptLedgerError` for a damaged one.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True, timeout: float = 60.0) -> None:
        self.path = os.fspath(path)
        self._lock = threading.RLock()
        if not os.path.exists(self.path):
            if not create:
                raise NotALedgerError("no such ledger file; check the path", path=self.path)
        else:
            self._check_magic()
        with self._errors():
            # isolation_level=None: transactions are begun and ended here, explicitly.
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        try:
            with self._errors():
                self._db.execute("PRAGMA synchronous = FULL")  # a commit is on disk before it returns
                self._open()
        except BaseException:
            self._db.close()
            raise
        self._encoder = _Encoder()

    # -- opening

    def _check_magic(self) -> None:
        try:
            with open(self.path, "rb") as f:
                head = f.read(len(_SQLITE_MAGIC))
        except OSError as e:
            raise NotALedgerError(f"cannot read: {e.strerror}", path=self.path) from e
        if head and head != _SQLITE_MAGIC:
            raise NotALedgerError(
                "not a dncguard ledger (not an SQLite file); check the path", path=self.path
            )

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """SQLite's errors in the ledger's words (a damaged file is never a bare traceback)."""
        try:
            yield
        except sqlite3.DatabaseError as e:
            text = str(e)
            if isinstance(e, sqlite3.OperationalError) and "locked" in text:
                raise LedgerError(
                    f"the ledger stayed locked by another writer ({text}); retry", path=self.path
                ) from e
            if isinstance(e, sqlite3.OperationalError) and "unable to open" in text:
                raise NotALedgerError(f"cannot open: {text}", path=self.path) from e
            if isinstance(e, sqlite3.IntegrityError) or "append-only" in text:
                raise LedgerError(f"refused: {text}", path=self.path) from e
            if "not a database" in text:
                raise CorruptLedgerError(
                    f"damaged ledger file ({text}); restore it from a copy", path=self.path
                ) from e
            raise CorruptLedgerError(
                f"damaged ledger file ({text}); run `dncguard ledger verify` on a copy", path=self.path
            ) from e

    def _open(self) -> None:
        db = self._db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if app_id == APPLICATION_ID:
            self._check_version(version)
        elif app_id != 0:
            raise NotALedgerError(
                f"not a dncguard ledger (SQLite application_id {app_id:#x}); check the path", path=self.path
            )
        else:
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise NotALedgerError(
                    "not a dncguard ledger (an SQLite database of something else); check the path",
                    path=self.path,
                )
            self._create()
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        codec = meta.get("codec")
        dictionary = meta.get("dictionary")
        if meta.get("format") != "dncguard-ledger" or not isinstance(dictionary, bytes):
            raise CorruptLedgerError("the meta table is damaged (format, dictionary)", path=self.path)
        if codec not in _DICTIONARIES:
            raise LedgerVersionError(
                f"entries are encoded with {codec!r}, unknown to this dncguard: upgrade dncguard",
                path=self.path,
            )
        self._dictionary: bytes = dictionary
        # Fixed Huffman codes: a page has no code tables, whose unused entries could be changed
        # without changing what decodes (every stored byte then matters, as verify checks).
        self._compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WINDOW, 8, zlib.Z_FIXED, dictionary)

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise LedgerVersionError(
                f"written by a newer dncguard (ledger schema {version}; this dncguard reads up to "
                f"{SCHEMA_VERSION}): upgrade dncguard",
                path=self.path,
            )
        if version == 1:
            raise LedgerVersionError(
                "ledger schema 1 (one entry per row), written by a development version of dncguard "
                f"before entries were kept in pages; this dncguard reads schema {SCHEMA_VERSION}: verify "
                "and export it with the dncguard that wrote it",
                path=self.path,
            )
        if version < 1:
            raise CorruptLedgerError(f"unknown ledger schema version {version}", path=self.path)

    def _create(self) -> None:
        db = self._db
        # WAL: readers never block the writer; it persists in the file once set.
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            if app_id == APPLICATION_ID:  # another process created it meanwhile
                db.execute("COMMIT")
                self._check_version(db.execute("PRAGMA user_version").fetchone()[0])
                return
            if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise NotALedgerError("not a dncguard ledger; check the path", path=self.path)
            for statement in _SCHEMA.split(";\n"):
                if statement.strip():
                    db.execute(statement)
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("format", "dncguard-ledger"),
                    ("codec", _CODEC),
                    ("dictionary", _DICTIONARY_2),
                    ("created_at", _iso(_us(dt.datetime.now(dt.UTC)))),
                ],
            )
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the file (the ledger object is unusable after)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({self.path!r})"

    # -- writing

    def _append(self, produce: Callable[[int, str], Iterable[_Chunk]]) -> tuple[int, bytes, bytes, int]:
        """Append entries in one transaction. ``produce(first_seq, stamp)`` gives chunks of
        entries from ``first_seq`` on: their canonical JSON (a list of bytes), or an Arrow
        array of it up to ``,"recorded_at":`` (``stamp`` and the seq follow), with the index rows
        of the placed ones. Returns (last seq, its digest, the digest before it, recorded_us)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        db = self._db
        sha256 = hashlib.sha256
        pool: concurrent.futures.ThreadPoolExecutor | None = None
        with self._lock, self._errors():
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT first_seq + entries - 1, substr(digests, -32) FROM pages"
                    " ORDER BY first_seq DESC LIMIT 1"
                ).fetchone()
                seq, previous = (0, ZERO_DIGEST) if row is None else (int(row[0]), bytes(row[1]))
                before = previous
                recorded_us = _us(dt.datetime.now(dt.UTC))
                stamp = f'"{_iso(recorded_us)}","seq":'
                for entries, placed_rows in produce(seq + 1, stamp):
                    n = len(entries)
                    if not n:
                        continue
                    digests: list[bytes] = []
                    bounds = [(i, min(i + PAGE_ENTRIES, n)) for i in range(0, n, PAGE_ENTRIES)]
                    if pool is None and len(bounds) > 1 and (os.cpu_count() or 1) > 1:
                        # Pages are compressed on a second thread (zlib lets go of the GIL)
                        # while this one hashes: the chain is sequential, the pages are not.
                        pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dncguard-ledger")
                    if isinstance(entries, list):
                        texts: list[Any] = [b"\n".join(entries[i:j]) + b"\n" for i, j in bounds]
                        lines: Iterable[Any] = entries
                    else:
                        seqs = pa.array(np.arange(seq + 1, seq + n + 1, dtype=np.int64)).cast(pa.string())
                        joined = pc.binary_join_element_wise(entries, stamp, seqs, "}\n", "")
                        if joined.offset:
                            joined = pa.concat_arrays([joined])
                        buffers = joined.buffers()
                        offsets = np.frombuffer(buffers[1], np.int32, n + 1).tolist()
                        data = memoryview(buffers[2])
                        texts = [data[offsets[i] : offsets[j]] for i, j in bounds]
                        lines = (data[a : b - 1] for a, b in itertools.pairwise(offsets))
                    payloads: list[Any] = (
                        [pool.submit(self._compress, t) for t in texts] if pool is not None else texts
                    )
                    for line in lines:
                        before = previous
                        previous = sha256(previous + line).digest()
                        digests.append(previous)
                    pages = [
                        (
                            seq + 1 + i,
                            j - i,
                            recorded_us,
                            b"".join(digests[i:j]),
                            p.result() if pool is not None else self._compress(p),
                        )
                        for (i, j), p in zip(bounds, payloads, strict=True)
                    ]
                    db.executemany(_INSERT_PAGE, pages)
                    if placed_rows is not None:
                        db.executemany(
                            _INSERT_PLACED,
                            [(seq + 1 + i, *r) for i, r in enumerate(placed_rows) if r is not None],
                        )
                    seq += n
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            finally:
                if pool is not None:
                    pool.shutdown(cancel_futures=True)
        return seq, previous, before, recorded_us

    def _compress(self, text: bytes | memoryview) -> bytes:
        c = self._compressor.copy()
        return c.compress(text) + c.flush()

    def _produce(
        self, calls: Sequence[Call], decisions: Sequence[Decision], placed: bool
    ) -> Callable[[int, str], Iterator[_Chunk]]:
        def produce(first_seq: int, stamp: str) -> Iterator[_Chunk]:
            for i in range(0, len(calls), _CHUNK):
                yield self._encoder.lines(
                    calls[i : i + _CHUNK], decisions[i : i + _CHUNK], placed, first_seq + i, stamp
                )

        return produce

    def record(
        self, call: Call | Mapping[str, Any], decision: Decision | Mapping[str, Any], *, placed: bool
    ) -> LedgerEntry:
        """Append one entry; it is on disk (SQLite ``synchronous=FULL``) before this returns.

        ``placed=True`` after the call was dialed (frequency caps count it), ``False`` for a
        decision only (a scrub, a plan). ``call`` may be a dict of Call fields.
        """
        if not isinstance(placed, bool):
            raise TypeError("placed must be True (the call was dialed) or False (a decision only)")
        c, d = _as_call(call), _as_decision(decision)
        seq, digest, previous, recorded_us = self._append(self._produce([c], [d], placed))
        return LedgerEntry(seq, _from_us(recorded_us), c, d, placed, digest.hex(), previous.hex())

    def record_many(
        self,
        calls: Iterable[Call | Mapping[str, Any]],
        decisions: Iterable[Decision | Mapping[str, Any]],
        *,
        placed: bool = False,
    ) -> int:
        """Append one entry per (call, decision) pair, all in one transaction: all or none.

        ``calls`` and ``decisions`` are parallel iterables of the same length (else
        ``ValueError``, and nothing is recorded). Every entry gets the same ``placed`` and
        ``recorded_at``. Returns the number of entries recorded. (A table of calls decided in
        bulk is recorded faster with :meth:`record_columns`.)
        """
        if not isinstance(placed, bool):
            raise TypeError("placed must be True (the calls were dialed) or False (decisions only)")
        cs = [_as_call(c) for c in calls]
        ds = [_as_decision(d) for d in decisions]
        if len(cs) != len(ds):
            raise ValueError(
                f"record_many: {len(cs)} calls but {len(ds)} decisions; give one decision per call"
            )
        if not cs:
            return 0
        self._append(self._produce(cs, ds, placed))
        return len(cs)

    def record_columns(
        self,
        calls: pa.Table | pa.RecordBatch,
        decisions: Sequence[Decision],
        which: npt.ArrayLike,
        *,
        numbers: Any = None,
        next_allowed_at: Any = None,
        placed: bool = False,
        **defaults: Any,
    ) -> int:
        """Record a table of calls decided in bulk, in one transaction: all or none.

        Row ``i`` is recorded exactly as :meth:`record_many` records the call that row stands for
        with the decision ``decisions[which[i]]`` carrying that row's ``number`` and
        ``next_allowed_at`` (so a scrubber passes each distinct decision once, not one per row).

        - ``calls``: a ``pyarrow.Table`` or ``RecordBatch`` of flat call columns as
          ``Guard.scrub`` takes them: ``to`` (text or integers), ``at`` (an aware timestamp, the
          fast way, or text with a UTC offset), ``seller``, ``caller``, ``purpose``, ``line``,
          ``prerecorded``, ``callee_region``, ``callee_timezone``, ``reassigned_on`` and the
          evidence ``last_purchase``, ``last_inquiry``, ``contract_on``, ``contract_ends``,
          ``consent_kind``, ``consent_on``, ``consent_revoked_on``, ``dnc_requested_on`` (dates;
          the call's seller's: a relationship, consent or request with ``seller=None``). Other
          columns are ignored. A missing column, or a null cell, takes the keyword default given
          here (``at``, ``seller`` and the scalar fields), else the Call default.
        - ``decisions``: the distinct decisions; their own ``number`` and ``next_allowed_at``
          are not used.
        - ``which``: one index into ``decisions`` per row (a numpy integer array).
        - ``numbers``: each row's ``Decision.number``: text, or 10-digit integers where 0 means
          not valid (then the row's ``to`` as given); default: the E.164 form of ``to``, or ``to``
          as given when it is not a valid number (what ``Guard`` decides).
        - ``next_allowed_at``: per row, an Arrow timestamp array (null: none), numpy
          ``datetime64`` (NaT: none), or int64 UTC microseconds (``dncguard.bulk.NO_NEXT``:
          none); default none.
        - ``placed``: the same for every row (a scrub records decisions: ``False``).

        Returns the number of entries recorded. Raises ``ValueError`` naming the column and the
        first bad row for input a :class:`Call` would refuse (nothing is recorded then). The
        rows are turned into JSON column by column (Arrow), the distinct decisions once each.
        """
        return self._record_columns(
            calls,
            decisions,
            which,
            numbers=numbers,
            next_allowed_at=next_allowed_at,
            placed=placed,
            **defaults,
        )

    def _record_columns(
        self,
        calls: pa.Table | pa.RecordBatch,
        decisions: Sequence[Decision],
        which: npt.ArrayLike,
        *,
        numbers: Any = None,
        next_allowed_at: Any = None,
        placed: bool = False,
        next_in_call_zone: bool = False,
        cuts: Sequence[list[str | tuple[str]]] | None = None,
        **defaults: Any,
    ) -> int:
        """:meth:`record_columns`; ``next_in_call_zone``: each ``next_allowed_at`` written in the
        zone of the row's ``at``, as ``Guard.check`` gives it (the command line's ``--ledger``);
        ``cuts``: the decisions' JSON already cut (see :class:`_Columns`)."""
        import numpy as np
        import pyarrow as pa

        if not isinstance(placed, bool):
            raise TypeError("placed must be True (the calls were dialed) or False (decisions only)")
        batches = calls.to_batches() if isinstance(calls, pa.Table) else [calls]
        n = calls.num_rows
        rows = np.asarray(which)
        if rows.shape != (n,) or (n and rows.dtype.kind not in "iu"):
            raise ValueError(
                f"which: expected {n} integer indices into decisions, one per row, got {rows.shape}"
            )
        if n and (rows.min() < 0 or rows.max() >= len(decisions if cuts is None else cuts)):
            raise ValueError(f"which: indices must be in 0..{len(decisions) - 1} (one per distinct decision)")
        if n == 0:
            return 0
        ds = [_as_decision(d) for d in decisions] if cuts is None else []
        builder = _Columns(ds, defaults, self._encoder.times, cuts)
        number_col = _per_row("numbers", numbers, n)
        next_col = _next_column(next_allowed_at, n)
        which_arr = pa.array(rows.astype(np.int64, copy=False))

        def chunks() -> Iterator[_Chunk]:
            done = 0
            for batch in batches:
                for start in range(0, batch.num_rows, _COLUMN_CHUNK):
                    part = batch.slice(start, _COLUMN_CHUNK)
                    k = part.num_rows
                    sl = slice(done, done + k)
                    try:
                        built = builder.bodies(
                            part,
                            which_arr[sl],
                            None if number_col is None else number_col[sl],
                            None if next_col is None else next_col[sl],
                            placed,
                            next_in_call_zone,
                        )
                    except ValueError as e:  # the row of the piece, as the row of the table
                        m = re.fullmatch(r"column '([^']*)', row (\d+)(.*)", str(e), re.S)
                        if m is None:
                            raise
                        raise ValueError(f"column '{m[1]}', row {int(m[2]) + done}{m[3]}") from None
                    yield built
                    done += k

        # Build the first chunk before taking the write lock: bad input fails before anything.
        # Each next chunk is built on another thread (Arrow lets go of the GIL) while this one
        # hashes the chunk before.
        with _ReadAhead(chunks()) as stream:
            first = next(stream)
            self._append(lambda _seq, _stamp: itertools.chain([first], stream))
        return int(n)

    def _record_decided(self, calls: pa.Table, decided: Any) -> int:
        """Record a table of calls decided in bulk (a ``dncguard.bulk.Decided`` of the same
        rows) as ``Guard.check`` decides each: its whole decision (provenance included, an
        invalid number's message naming it, ``next_allowed_at`` in the call's zone), with
        :meth:`record_columns` (each distinct decision made once). ``placed=False``."""
        import numpy as np

        from dncguard.bulk import NO_NEXT
        from dncguard.bulk._grouping import factorize
        from dncguard.models import ReasonCode

        n = calls.num_rows
        if not n:
            return 0
        inverse = np.asarray(decided.inverse, np.int64)
        prov = decided.provenance
        consulted_values: list[Any] | None = None
        if prov is not None:
            consulted_values, consulted = prov.distinct()
            consulted = np.asarray(consulted, np.int64)
        else:
            consulted = np.zeros(n, np.int64)
        bad_verdict = np.array(
            [any(r.code is ReasonCode.INVALID_NUMBER for r in v.reasons) for v in decided.verdicts], bool
        )
        bad = bad_verdict[inverse] if len(bad_verdict) else np.zeros(n, bool)
        # Valid rows: one decision per (verdict, consulted); an invalid number's names it: one
        # per distinct text.
        inverse = np.where(bad, 0, inverse + 1)
        consulted = np.where(bad, 0, consulted)
        text_idx = np.zeros(n, np.int64)
        if bad.any():
            _, idx = _distinct(decided.output.column("to"))
            text_idx = np.where(bad, idx.to_numpy(zero_copy_only=False).astype(np.int64) + 1, 0)
        which, first = factorize([inverse, consulted, text_idx])
        cuts = _decided_cuts(decided, first.tolist(), bad, consulted_values, consulted)
        numbers = np.where(bad, np.uint64(0), np.asarray(decided.numbers, np.uint64))
        next_us = np.where(bad, np.int64(NO_NEXT), np.asarray(decided.next_at, np.int64))
        return self._record_columns(
            calls, [], which, numbers=numbers, next_allowed_at=next_us, next_in_call_zone=True, cuts=cuts
        )

    # -- reading

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A private read-only connection in one read transaction (one snapshot)."""
        with self._lock, self._errors():
            # A private connection: a long read must not block record() on this object.
            db = sqlite3.connect(
                f"file:{urllib.parse.quote(self.path)}?mode=ro", uri=True, timeout=60.0, isolation_level=None
            )
        # Text that is not UTF-8 (a damaged or edited row) is read, not raised: verify names its entry.
        db.text_factory = _lenient_text
        try:
            with self._errors():
                db.execute("BEGIN")
                yield db
        finally:
            db.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = (), *, size: int = 64) -> Iterator[tuple[Any, ...]]:
        """Stream rows in one snapshot, without holding the lock between rows."""
        with self._snapshot() as db:
            with self._errors():
                cursor = db.execute(sql, params)
            while True:
                with self._errors():
                    batch = cursor.fetchmany(size)
                if not batch:
                    break
                yield from batch

    def _lines(self, first: Any, count: Any, digests: Any, payload: Any) -> list[bytes]:
        data = _inflate(payload, self._dictionary) if isinstance(payload, bytes) else None
        lines = None if data is None else data.split(b"\n")
        if (
            lines is None
            or lines[-1]
            or not isinstance(count, int)
            or len(lines) - 1 != count
            or not isinstance(digests, bytes)
            or len(digests) != 32 * count
        ):
            raise CorruptLedgerError(f"entry {first}: its page cannot be decoded", path=self.path)
        return lines[:-1]

    def _entries_of(self, page: tuple[Any, ...], previous: bytes, skip: int = 0) -> Iterator[LedgerEntry]:
        """The entries of a page (from its ``skip``-th; ``previous``: the digest before that one)."""
        first, count, recorded_us, digests, payload = page
        recorded_at = _from_us(recorded_us)
        for i, line in enumerate(self._lines(first, count, digests, payload)[skip:], skip):
            seq = first + i
            try:
                obj = json.loads(line)
                call = Call.model_validate(obj["call"])
                decision = Decision.model_validate(obj["decision"])
                placed = obj["placed"]
                if not isinstance(placed, bool):
                    raise ValueError("placed is not true or false")
            except (ValueError, KeyError, TypeError) as e:
                raise CorruptLedgerError(f"entry {seq}: cannot be read ({e})", path=self.path) from e
            digest = digests[32 * i : 32 * i + 32]
            yield LedgerEntry(seq, recorded_at, call, decision, placed, digest.hex(), previous.hex())
            previous = digest

    def head(self) -> LedgerEntry | None:
        """The last entry (None for an empty ledger). Keep its ``(seq, digest)`` elsewhere: it is
        the anchor that :meth:`verify` checks the ledger against later."""
        rows = list(self._rows(f"SELECT {_PAGE_COLUMNS} FROM pages ORDER BY first_seq DESC LIMIT 1"))
        if not rows:
            return None
        first, count, _, digests, _ = rows[0]
        if not isinstance(count, int) or count < 1 or not isinstance(digests, bytes):
            raise CorruptLedgerError(f"entry {first}: its page cannot be decoded", path=self.path)
        previous = digests[-64:-32] if count > 1 else self._previous(first)
        return next(self._entries_of(rows[0], previous, count - 1))

    def __len__(self) -> int:
        """The number of entries (the last ``seq``)."""
        row = next(self._rows("SELECT max(first_seq + entries - 1) FROM pages"))
        return int(row[0] or 0)

    def _window(self, since: dt.datetime | None, until: dt.datetime | None) -> tuple[str, tuple[int, ...]]:
        where, params = [], []
        for name, value, op in (("since", since, ">="), ("until", until, "<")):
            if value is None:
                continue
            where.append(f"recorded_us {op} ?")
            params.append(_aware_us(name, value))
        return (" WHERE " + " AND ".join(where)) if where else "", tuple(params)

    def entries(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> Iterator[LedgerEntry]:
        """The entries recorded at or after ``since`` and before ``until`` (aware datetimes on
        ``recorded_at``), oldest first. Reading does not verify: use :meth:`verify` for that."""
        where, params = self._window(since, until)
        previous: bytes | None = None
        for page in self._rows(
            f"SELECT {_PAGE_COLUMNS} FROM pages{where} ORDER BY first_seq", params, size=8
        ):
            if previous is None:
                previous = self._previous(page[0])
            for entry in self._entries_of(page, previous):
                yield entry
                previous = bytes.fromhex(entry.digest)

    def _previous(self, seq: int) -> bytes:
        rows = list(
            self._rows(
                "SELECT substr(digests, -32) FROM pages WHERE first_seq < ? ORDER BY first_seq DESC LIMIT 1",
                (seq,),
            )
        )
        return bytes(rows[0][0]) if rows else ZERO_DIGEST

    def placed_calls(
        self,
        number: int | str,
        seller: str,
        purpose: str,
        *,
        since: dt.datetime,
        until: dt.datetime,
    ) -> list[dt.datetime]:
        """The start times (aware UTC, oldest first) of the placed calls to ``number`` by
        ``seller`` with ``purpose`` that started at or after ``since`` and before ``until``.

        ``number``: 10-digit int, or any spelling :func:`dncguard.parse_number` reads; ``seller``
        compares trimmed and case-folded. Only entries recorded with ``placed=True`` count. The
        search reads only an index on (number, seller, purpose, start): its cost does not grow
        with the ledger's size beyond a B-tree's depth.
        """
        n = (
            number
            if type(number) is int and 2_000_000_000 <= number < 10_000_000_000
            else parse_number(number)
        )
        key = _seller_key(seller)
        try:
            with self._lock:
                rows = self._db.execute(
                    _PLACED_CALLS, (n, key, purpose, _aware_us("since", since), _aware_us("until", until))
                ).fetchall()
        except sqlite3.DatabaseError:
            with self._errors():
                raise
        return [_from_us(r[0]) for r in rows]

    def placed_table(self, *, since: dt.datetime, until: dt.datetime) -> pa.Table:
        """Every placed call that started at or after ``since`` and before ``until``, as a
        ``pyarrow.Table`` for frequency caps in bulk: ``number`` (uint64, the 10-digit number),
        ``seller`` (trimmed and case-folded), ``purpose``, ``at`` (timestamp, UTC), sorted by
        number, seller, purpose and time. It reads only the index of placed calls (decisions
        recorded with ``placed=False`` cost nothing here)."""
        import pyarrow as pa

        numbers: list[int] = []
        sellers: list[str] = []
        purposes: list[str] = []
        starts: list[int] = []
        for number, seller, purpose, at_us in self._rows(
            "SELECT number, seller, purpose, at_us FROM placed INDEXED BY placed_calls"
            " WHERE number IS NOT NULL AND at_us >= ? AND at_us < ?"
            " ORDER BY number, seller, purpose, at_us",
            (_aware_us("since", since), _aware_us("until", until)),
            size=4096,
        ):
            numbers.append(number)
            sellers.append(seller)
            purposes.append(purpose)
            starts.append(at_us)
        return pa.table(
            {
                "number": pa.array(numbers, pa.uint64()),
                "seller": pa.array(sellers, pa.string()),
                "purpose": pa.array(purposes, pa.string()),
                "at": pa.array(starts, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            }
        )

    # -- verifying

    def verify(self, anchor: tuple[int, str] | None = None) -> LedgerReport:
        """Recompute every entry's digest, in order, and check the chain.

        Finds an entry that was changed (any column or byte of its page), removed, reordered or
        inserted, and an index row of a placed call that was changed, removed or added, and
        reports the first bad ``seq``. ``anchor=(seq, digest)`` (a head kept elsewhere) also
        proves entry ``seq`` still has that digest (nothing up to it was rewritten) and that the
        ledger still reaches it (it was not cut back). Each page is decompressed once.
        """
        anchor_seq, anchor_digest = _check_anchor(anchor)
        previous = ZERO_DIGEST
        expected = 1  # the next entry's seq
        try:
            with self._snapshot() as db:
                pages = db.execute(f"SELECT {_PAGE_COLUMNS} FROM pages ORDER BY first_seq")
                placed_rows = db.execute(
                    "SELECT seq, number, seller, purpose, at_us FROM placed ORDER BY seq"
                )
                pending: list[tuple[Any, ...]] = []
                # Pages are decompressed on a second thread (zlib lets go of the GIL) while this
                # one hashes the page before.
                pool = (
                    concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dncguard-verify")
                    if (os.cpu_count() or 1) > 1
                    else None
                )
                dictionary = self._dictionary
                try:
                    batch = self._fetch(pages, pool, dictionary)
                    while batch:
                        ahead = self._fetch(pages, pool, dictionary)
                        report = self._verify_pages(
                            batch, anchor_seq, anchor_digest, previous, expected, pending, placed_rows
                        )
                        if isinstance(report, LedgerReport):
                            return report
                        previous, expected, pending = report
                        batch = ahead
                finally:
                    if pool is not None:
                        pool.shutdown(cancel_futures=True)
                with self._errors():
                    pending += placed_rows.fetchall()
                if pending:
                    seq = pending[0][0]
                    return LedgerReport(
                        False,
                        expected - 1,
                        seq if isinstance(seq, int) and seq >= expected else expected,
                        f"the index of placed calls names entry {seq!r}, which is not in the chain",
                    )
        except CorruptLedgerError as e:
            return LedgerReport(False, expected - 1, expected, f"entry {expected} cannot be read: {e.detail}")
        ok_count = expected - 1
        if anchor_seq is not None and ok_count < anchor_seq:
            return LedgerReport(
                False,
                ok_count,
                ok_count + 1,
                f"the ledger ends at entry {ok_count} but the anchor is entry {anchor_seq}: it was cut back",
            )
        return LedgerReport(True, ok_count, None, f"{ok_count} entries verified")

    def _fetch(
        self, pages: sqlite3.Cursor, pool: concurrent.futures.ThreadPoolExecutor | None, dictionary: bytes
    ) -> list[tuple[Any, ...]]:
        """The next pages, each with its text (a future of it, or None when it is not bytes)."""
        with self._errors():
            rows = pages.fetchmany(16)
        out = []
        for row in rows:
            payload = row[4]
            text: Any = None
            if isinstance(payload, bytes):
                text = (
                    pool.submit(_inflate_lines, payload, dictionary)
                    if pool is not None
                    else _inflate_lines(payload, dictionary)
                )
            out.append((*row, text))
        return out

    def _verify_pages(
        self,
        batch: list[tuple[Any, ...]],
        anchor_seq: int | None,
        anchor_digest: bytes | None,
        previous: bytes,
        expected: int,
        pending: list[tuple[Any, ...]],
        placed_rows: sqlite3.Cursor,
    ) -> LedgerReport | tuple[bytes, int, list[tuple[Any, ...]]]:
        """Check pages in order: the first bad entry's report, or the chain's state after them."""
        sha256 = hashlib.sha256
        for first, count, recorded_us, digests, payload, inflated in batch:
            text = inflated.result() if isinstance(inflated, concurrent.futures.Future) else inflated
            ok_count = expected - 1
            if first != expected or type(first) is not int:
                what = "missing" if type(first) is int and first > expected else "out of order"
                return LedgerReport(False, ok_count, expected, f"entry {expected} is {what}")
            bad = self._page_error(first, count, recorded_us, digests, payload, previous, text)
            if isinstance(bad, int):
                return _changed(bad)
            lines, text = bad
            computed = []
            for line in lines:
                previous = sha256(previous + line).digest()
                computed.append(previous)
            if b"".join(computed) != digests:
                i = next(i for i, d in enumerate(computed) if d != digests[32 * i : 32 * i + 32])
                return _changed(first + i)
            last = first + count - 1
            if anchor_seq is not None and first <= anchor_seq <= last:
                i = anchor_seq - first
                if computed[i] != anchor_digest:
                    return LedgerReport(
                        False,
                        anchor_seq - 1,
                        anchor_seq,
                        f"entry {anchor_seq} does not have the anchored digest: the ledger was "
                        "rewritten at or before it",
                    )
            # The index of placed calls holds exactly this page's placed entries.
            said = (
                [
                    (int(m[4]), None if m[1] == b"null" else int(m[1]), m[3], m[2], int(m[0]))
                    for m in _PLACED_INDEX.findall(text)
                ]
                if b'},"placed":true,"recorded_at":' in text
                else []
            )
            while True:
                if pending and pending[-1][0] > last:
                    break
                with self._errors():
                    more = placed_rows.fetchmany(256)
                if not more:
                    break
                pending += more
            here = [r for r in pending if r[0] <= last]
            pending = pending[len(here) :]
            if _placed_key(here) != said:
                return _index_changed(first, said, here)
            expected = last + 1
        return previous, expected, pending

    def _page_error(
        self,
        first: int,
        count: Any,
        recorded_us: Any,
        digests: Any,
        payload: Any,
        previous: bytes,
        inflated: tuple[bytes, list[bytes]] | None,
    ) -> int | tuple[list[bytes], bytes]:
        """A page's lines and text, or the first entry of it that is not what it should be."""
        if (
            type(count) is not int
            or count < 1
            or type(recorded_us) is not int
            or not isinstance(digests, bytes)
        ):
            return first
        if len(digests) != 32 * count or not isinstance(payload, bytes):
            return first
        if inflated is None:
            return first
        text, lines = inflated
        if lines.pop():
            return first + min(len(lines), count - 1)
        # The page's columns agree with its entries: each says when it was recorded and its seq.
        # The chain fixes the entries' order and their text, and a page is written at once, so
        # its first and last entries place them all.
        last = first + count - 1
        stamp = b',"recorded_at":"%s","seq":' % _iso(recorded_us).encode()
        if (
            len(lines) != count
            or not lines[0].endswith(b"%s%d}" % (stamp, first))
            or not lines[-1].endswith(b"%s%d}" % (stamp, last))
        ):
            sha256 = hashlib.sha256
            for i, line in enumerate(lines[:count]):
                previous = sha256(previous + line).digest()
                if previous != digests[32 * i : 32 * i + 32]:
                    return first + i
            return first if len(lines) >= count else first + len(lines)
        return lines, text

    # -- exporting

    def to_arrow(self, since: dt.datetime | None = None, until: dt.datetime | None = None) -> pa.Table:
        """The entries recorded in ``[since, until)`` as a ``pyarrow.Table``, one row per entry:
        ``seq``, ``recorded_at``, ``placed``, ``to``, ``number`` (E.164 as decided), ``at``,
        ``seller`` (as given), ``purpose``, ``allowed``, ``reason`` (first code), ``reasons``
        (codes), ``next_allowed_at``, ``digest``, ``previous``, and ``call`` and ``decision``
        (their JSON)."""
        import pyarrow as pa

        schema = _arrow_schema()
        return pa.Table.from_batches(list(self.arrow_batches(since, until)), schema=schema)

    def arrow_batches(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None, *, rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """:meth:`to_arrow` as record batches of at most ``rows`` entries (bounded memory)."""
        import pyarrow as pa

        schema = _arrow_schema()
        cols: dict[str, list[Any]] = {name: [] for name in schema.names}
        for e in self.entries(since, until):
            reasons = [r.code.value for r in e.decision.reasons]
            values = (
                e.seq,
                e.recorded_at,
                e.placed,
                e.call.to,
                e.decision.number,
                e.call.at,
                e.call.seller,
                e.call.purpose,
                e.decision.allowed,
                reasons[0] if reasons else None,
                reasons,
                e.decision.next_allowed_at,
                e.digest,
                e.previous,
                e.call.model_dump_json(),
                e.decision.model_dump_json(),
            )
            for name, value in zip(schema.names, values, strict=True):
                cols[name].append(value)
            if len(cols["seq"]) >= rows:
                yield pa.RecordBatch.from_pydict(cols, schema=schema)
                cols = {name: [] for name in schema.names}
        if cols["seq"]:
            yield pa.RecordBatch.from_pydict(cols, schema=schema)


_HOLES: Final = ("\x00consulted\x00", "\x00next_allowed_at\x00", "\x00number\x00")
_HOLE_JSON: Final = tuple(_dumps(h) for h in _HOLES)


def _decided_cuts(
    decided: Any,
    firsts: Sequence[int],
    bad: Any,
    consulted_values: Sequence[Any] | None,
    consulted_idx: npt.NDArray[Any],
) -> list[list[str | tuple[str]]]:
    """The JSON of the decision of each group of a bulk answer's rows (row ``firsts[g]`` stands
    for group ``g``), cut around ``next_allowed_at`` and ``number`` as :func:`_cut` does. A
    group's decision is its verdict's and its ``consulted``: each verdict is made into JSON once,
    with ``consulted`` a hole, and each distinct ``consulted`` once (an invalid number's
    decision, which names the number, is made whole)."""
    holes = ("number", "next_allowed_at")
    verdict_texts: dict[int, tuple[str, str, str] | None] = {}
    consulted_texts: dict[int, str] = {}
    out: list[list[str | tuple[str]]] = []
    for row in firsts:
        if bad[row]:
            out.append(_cut(_DECISION_JSON(decided.decision(row), mode="json"), holes))
            continue
        v = int(decided.inverse[row])
        if v not in verdict_texts:
            dd = dict(_DECISION_JSON(decided.decision(row), mode="json"))
            dd["consulted"], dd["next_allowed_at"], dd["number"] = _HOLES
            text = _dumps(dd)
            if all(text.count(h) == 1 for h in _HOLE_JSON):
                before, rest = text.split(_HOLE_JSON[1])
                between, after = rest.split(_HOLE_JSON[2])
                verdict_texts[v] = (before, between, after)
            else:  # a hole's text met elsewhere: this verdict's decisions are made whole
                verdict_texts[v] = None
        texts = verdict_texts[v]
        if texts is None or consulted_values is None:
            out.append(_cut(_DECISION_JSON(decided.decision(row), mode="json"), holes))
            continue
        k = int(consulted_idx[row])
        consulted = consulted_texts.get(k)
        if consulted is None:
            consulted = consulted_texts[k] = _dumps([c.model_dump(mode="json") for c in consulted_values[k]])
        before, between, after = texts  # consulted comes before next_allowed_at (keys sorted)
        out.append(
            [before.replace(_HOLE_JSON[0], consulted), ("next_allowed_at",), between, ("number",), after]
        )
    return out


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _changed(seq: int) -> LedgerReport:
    return LedgerReport(
        False, seq - 1, seq, f"entry {seq} does not match its digest: it was changed or replaced"
    )


def _placed_key(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Index rows (seq, number, seller, purpose, at_us) as the chain's text has them."""
    out = []
    for seq, number, seller, purpose, at_us in rows:
        if not (isinstance(seller, str) and isinstance(purpose, str)):
            out.append((seq, number, seller, purpose, at_us))
            continue
        out.append((seq, number, _json_str(seller).encode(), _json_str(purpose).encode(), at_us))
    return out


def _index_changed(first: int, said: list[tuple[Any, ...]], here: list[tuple[Any, ...]]) -> LedgerReport:
    """The report for a page whose placed entries (``said``) differ from its index rows."""
    stored = _placed_key(here)
    bad = None
    for a, b in itertools.zip_longest(said, stored):
        if a != b:
            bad = min(x[0] for x in (a, b) if x is not None)
            break
    seq = bad if isinstance(bad, int) and bad >= first else first
    return LedgerReport(
        False,
        seq - 1,
        seq,
        f"entry {seq}: the index of placed calls does not match the entry (changed, added or removed)",
    )


def _per_row(name: str, values: Any, n: int) -> Any:
    """A per-row argument of record_columns as an Arrow array or numpy array of ``n`` values."""
    import numpy as np
    import pyarrow as pa

    if values is None:
        return None
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if pa.types.is_large_string(values.type):
            values = values.cast(pa.string())
        if not (pa.types.is_string(values.type) or pa.types.is_integer(values.type)):
            raise ValueError(f"{name}: expected text or 10-digit integers, got {values.type}")
        out: Any = values if pa.types.is_string(values.type) else values.to_numpy(zero_copy_only=False)
    else:
        array = np.asarray(values)
        out = pa.array(array.tolist(), pa.string()) if array.dtype.kind in "UO" else array
    if len(out) != n:
        raise ValueError(f"{name}: expected {n} values, one per row, got {len(out)}")
    return out


def _next_column(values: Any, n: int) -> pa.Array | None:
    """next_allowed_at per row as an Arrow timestamp array (null: none)."""
    import numpy as np
    import pyarrow as pa

    if values is None:
        return None
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if not pa.types.is_timestamp(values.type) or values.type.tz is None:
            raise ValueError(f"next_allowed_at: expected aware timestamps, got {values.type}")
        col = values
    else:
        array = np.asarray(values)
        if array.dtype.kind == "M":
            us = array.astype("datetime64[us]")
            col = pa.array(us.astype(np.int64), pa.int64(), mask=np.isnat(us)).cast(
                pa.timestamp("us", tz="UTC")
            )
        elif array.dtype.kind in "iu":
            from dncguard.bulk import NO_NEXT

            ints = array.astype(np.int64)
            col = pa.array(ints, pa.int64(), mask=ints == NO_NEXT).cast(pa.timestamp("us", tz="UTC"))
        else:
            raise ValueError(f"next_allowed_at: expected timestamps or UTC microseconds, got {array.dtype}")
    if len(col) != n:
        raise ValueError(f"next_allowed_at: expected {n} values, one per row, got {len(col)}")
    return col


def _inflate(payload: bytes, dictionary: bytes) -> bytes | None:
    """A stored payload decoded, or None when it is not exactly one deflate stream as zlib
    writes it (corrupt, truncated, trailing bytes, or a set padding bit).

    A decoder ignores the unused high bits of the stream's last byte, so setting one changes the
    stored bytes without changing what decodes; the chain alone would not see it. zlib writes
    them as zero: if the last byte's highest set bit can be flipped without changing what the
    last byte decodes to, it was such a bit, and the payload was altered. (The decoder's state
    before the last byte is copied, so the check costs one byte's decoding, not a second pass.)
    """
    if not payload:
        return None
    try:
        d = zlib.decompressobj(_WINDOW, zdict=dictionary)
        head = d.decompress(payload[:-1])
        last = payload[-1]
        probe = d.copy() if last else None
        end = d.decompress(payload[-1:])
        if not d.eof or d.unused_data:
            return None
    except zlib.error:
        return None
    if probe is not None:
        try:
            flipped = probe.decompress(bytes((last ^ (1 << (last.bit_length() - 1)),)))
            if flipped == end and probe.eof and not probe.unused_data:
                return None
        except zlib.error:
            pass
    return head + end


def _inflate_lines(payload: bytes, dictionary: bytes) -> tuple[bytes, list[bytes]] | None:
    """:func:`_inflate`, and the text split into lines (on the thread that inflates)."""
    text = _inflate(payload, dictionary)
    return None if text is None else (text, text.split(b"\n"))


def _check_anchor(anchor: tuple[int, str] | None) -> tuple[int | None, bytes | None]:
    if anchor is None:
        return None, None
    try:
        seq, digest = anchor
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
            raise ValueError
        raw = bytes.fromhex(digest)
        if len(raw) != 32:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(
            f"anchor={anchor!r}: expected (seq, digest) as kept from Ledger.head(): a seq from 1 and "
            "a 64-digit hex digest"
        ) from None
    return seq, raw


def _arrow_schema() -> pa.Schema:
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    return pa.schema(
        [
            ("seq", pa.int64()),
            ("recorded_at", ts),
            ("placed", pa.bool_()),
            ("to", pa.string()),
            ("number", pa.string()),
            ("at", ts),
            ("seller", pa.string()),
            ("purpose", pa.string()),
            ("allowed", pa.bool_()),
            ("reason", pa.string()),
            ("reasons", pa.list_(pa.string())),
            ("next_allowed_at", ts),
            ("digest", pa.string()),
            ("previous", pa.string()),
            ("call", pa.string()),
            ("decision", pa.string()),
        ]
    )
