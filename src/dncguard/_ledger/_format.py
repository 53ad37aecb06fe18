"""The ledger's format (schema 3): the only module that knows its tables and its bytes.

An entry's canonical bytes are the ASCII JSON array (``json.dumps(..., sort_keys=True,
separators=(",", ":"))``)::

    ["<template>", <index>, <seq>, <recorded_us>, "<to>", "<at>", "<number>", <next_allowed_at>, {<extra>}]

- ``template``: the hex SHA-256 of the entry's **template**: the canonical JSON of
  ``{"call": <the call's JSON less to, at, attempts, consents, dnc_requests, relationships>,
  "decision": <the decision's JSON less number and next_allowed_at>}``. Templates repeat (a few
  thousand distinct ones in a scrub of millions): each is stored once, in the ``templates`` table,
  keyed by that digest, which the chain covers.
- ``index``: null for a decision only (``placed=False``); for a placed call, what frequency
  caps search: ``[<start, UTC microseconds>, <10-digit number or null>, "<purpose>",
  "<seller trimmed, inner spaces collapsed, case-folded>"]``.
- ``seq``, ``recorded_us`` (UTC microseconds since 1970), then the call's ``to`` and ``at`` and
  the decision's ``number`` and ``next_allowed_at`` as their JSON has them, and ``extra``: those
  of the call's ``attempts``, ``consents``, ``dnc_requests`` and ``relationships`` that are not
  empty (an empty object when none is).

``digest(seq) = SHA-256(digest(seq - 1) || canonical(seq))``, ``digest(0)`` = 32 zero bytes.
Each stored byte of an entry is hashed as stored: verifying re-encodes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _json_str
from typing import Any, Final, NamedTuple

from dncguard._seller import normalize_seller
from dncguard.errors import ArgumentError, InvalidNumberError
from dncguard.models import Call, Decision
from dncguard.numbers import parse_number

__all__ = [
    "APPLICATION_ID",
    "PAGE_ENTRIES",
    "SCHEMA_VERSION",
    "LedgerEntry",
    "LedgerReport",
    "canonical_entry",
    "canonical_template",
]

APPLICATION_ID: Final = 0x444E4C47
"""``PRAGMA application_id`` of a dncguard ledger: the bytes ``DNLG``."""
SCHEMA_VERSION: Final = 3
"""``PRAGMA user_version`` this dncguard writes and reads; a ledger with a higher one is refused,
and so is one of schema 1 or 2 (written by development versions, before templates)."""
ZERO_DIGEST: Final = bytes(32)
SQLITE_MAGIC: Final = b"SQLite format 3\x00"
FORMAT: Final = "dncguard-ledger-3"
PAGE_ENTRIES: Final = 512
"""At most this many entries per page (one SQLite row; reading one entry reads its page)."""

SCHEMA: Final = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) WITHOUT ROWID;
CREATE TABLE pages (
    first_seq INTEGER PRIMARY KEY,
    entries INTEGER NOT NULL,
    recorded_us INTEGER NOT NULL,
    digests BLOB NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE templates (digest BLOB PRIMARY KEY, body BLOB NOT NULL);
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
CREATE TRIGGER templates_append_only_update BEFORE UPDATE ON templates
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger is append-only: templates cannot be changed'); END;
CREATE TRIGGER templates_append_only_delete BEFORE DELETE ON templates
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger is append-only: templates cannot be deleted'); END;
CREATE TRIGGER placed_append_only_update BEFORE UPDATE ON placed
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger is append-only: entries cannot be changed'); END;
CREATE TRIGGER placed_append_only_delete BEFORE DELETE ON placed
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger is append-only: entries cannot be deleted'); END;
CREATE TRIGGER meta_fixed_update BEFORE UPDATE ON meta
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger''s meta table cannot be changed'); END;
CREATE TRIGGER meta_fixed_delete BEFORE DELETE ON meta
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger''s meta table cannot be changed'); END;
"""
INSERT_PAGE: Final = (
    "INSERT INTO pages (first_seq, entries, recorded_us, digests, payload) VALUES (?, ?, ?, ?, ?)"
)
INSERT_TEMPLATE: Final = "INSERT OR IGNORE INTO templates (digest, body) VALUES (?, ?)"
INSERT_PLACED: Final = "INSERT INTO placed (seq, number, seller, purpose, at_us) VALUES (?, ?, ?, ?, ?)"
PLACED_CALLS: Final = (
    "SELECT at_us FROM placed WHERE number = ? AND seller = ? AND purpose = ?"
    " AND at_us >= ? AND at_us < ? ORDER BY at_us"
)
PLACED_CALLS_BEFORE: Final = (
    "SELECT at_us FROM placed WHERE number = ? AND seller = ? AND purpose = ?"
    " AND at_us >= ? AND at_us < ? AND seq < ? ORDER BY at_us"
)
PAGE_COLUMNS: Final = "first_seq, entries, recorded_us, digests, payload"
TEMPLATE_AT: Final = slice(2, 66)
"""Where an entry's template digest (hex) sits in its canonical bytes."""
INDEX_AT: Final = 68
"""The byte of an entry that opens its index: ``n`` (null: not placed) or ``[`` (placed)."""

EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US: Final = dt.timedelta(microseconds=1)

CALL_ENTRY_FIELDS: Final = ("to", "at", "attempts", "consents", "dnc_requests", "relationships")
"""The call's fields an entry holds itself (the rest is its template's)."""
EXTRA_FIELDS: Final = ("attempts", "consents", "dnc_requests", "relationships")
"""The call's list fields an entry holds in ``extra`` when they are not empty (sorted)."""
DECISION_ENTRY_FIELDS: Final = ("number", "next_allowed_at")
"""The decision's fields an entry holds itself."""
assert list(EXTRA_FIELDS) == sorted(EXTRA_FIELDS)

dumps: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
"""The canonical JSON: keys sorted, no whitespace, ASCII (one encoder, built once)."""
CALL_JSON: Final = Call.__pydantic_serializer__.to_python
DECISION_JSON: Final = Decision.__pydantic_serializer__.to_python
json_str: Final = _json_str


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


def seller_key(seller: str) -> str:
    """docs/defaults.md#sellers-are-one-name: a seller is one name however it is written."""
    return normalize_seller(seller)


def us(t: dt.datetime) -> int:
    """UTC microseconds since 1970 of an aware datetime."""
    return (t - EPOCH) // _ONE_US


def aware_us(name: str, value: dt.datetime) -> int:
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise ArgumentError(f"{name}: expected an aware datetime (with a UTC offset), got {value!r}")
    return us(value)


def from_us(micros: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=micros)


def number_of(to: str) -> int | None:
    """The 10-digit number ``to`` stands for, None when it is not a valid one."""
    try:
        return parse_number(to)
    except InvalidNumberError:
        return None


def template_json(call_json: dict[str, Any], decision_json: dict[str, Any]) -> bytes:
    """A template's canonical bytes from the call's and decision's whole JSON objects."""
    c = {k: v for k, v in call_json.items() if k not in CALL_ENTRY_FIELDS}
    d = {k: v for k, v in decision_json.items() if k not in DECISION_ENTRY_FIELDS}
    return dumps({"call": c, "decision": d}).encode()


def template_of(call_part: str, decision_part: str) -> bytes:
    """A template's canonical bytes from its two parts' canonical JSON (as :func:`dumps` writes
    them): the keys ``call`` and ``decision`` are in sorted order already."""
    return ('{"call":' + call_part + ',"decision":' + decision_part + "}").encode()


def canonical_template(call: Call, decision: Decision) -> bytes:
    """The canonical bytes of the template of an entry of ``call`` and ``decision``.

    >>> call = Call(to="212-555-0143", at=dt.datetime(2026, 3, 16, 14, tzinfo=dt.UTC), seller="Acme")
    >>> canonical_template(call, Decision(allowed=True, number="+12125550143"))[:60]
    b'{"call":{"automated":false,"callee_region":null,"callee_time'
    """
    return template_json(CALL_JSON(call, mode="json"), DECISION_JSON(decision, mode="json"))


def canonical_entry(call: Call, decision: Decision, *, seq: int, recorded_us: int, placed: bool) -> bytes:
    """An entry's canonical bytes, exactly as documented (the digest's input after ``previous``).

    This is the definition; the ledger builds the same bytes faster (tests hold them equal).

    >>> call = Call(to="212-555-0143", at=dt.datetime(2026, 3, 16, 14, tzinfo=dt.UTC), seller="Acme")
    >>> canonical_entry(call, Decision(allowed=True, number="+12125550143"), seq=1, recorded_us=0,
    ...                 placed=False)[67:]
    b',null,1,0,"212-555-0143","2026-03-16T14:00:00Z","+12125550143",null,{}]'
    """
    cj = CALL_JSON(call, mode="json")
    dj = DECISION_JSON(decision, mode="json")
    index = [us(call.at), number_of(call.to), call.purpose, seller_key(call.seller)] if placed else None
    extra = {k: cj[k] for k in EXTRA_FIELDS if cj[k]}
    template = hashlib.sha256(template_json(cj, dj)).hexdigest()
    entry = [
        template,
        index,
        seq,
        recorded_us,
        cj["to"],
        cj["at"],
        dj["number"],
        dj["next_allowed_at"],
        extra,
    ]
    return dumps(entry).encode()


def decode(line: bytes, templates: dict[bytes, Any]) -> tuple[dict[str, Any], dict[str, Any], bool, int, int]:
    """An entry's call and decision (JSON objects), placed, seq and recorded_us, from its
    canonical bytes and the parsed templates (``templates[hex] = (call part, decision part)``).
    Raises ``ValueError``, ``KeyError`` or ``TypeError`` for bytes that are not an entry."""
    template, index, seq, recorded_us, to, at, number, next_at, extra = json.loads(line)
    call_part, decision_part = templates[template.encode()]
    if not (isinstance(extra, dict) and set(extra) <= set(EXTRA_FIELDS)):
        raise ValueError("extra is not an object of the call's lists")
    if type(seq) is not int or type(recorded_us) is not int:
        raise ValueError("seq or recorded_us is not an integer")
    call = {**call_part, "to": to, "at": at, **extra}
    decision = {**decision_part, "number": number, "next_allowed_at": next_at}
    return call, decision, index is not None, seq, recorded_us


class Times:
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
            text = CALL_JSON(probe, mode="json", include={"at"})["at"]
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
