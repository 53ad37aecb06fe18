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

The values hold no floats, so the encoding is exact. Stored per entry (table ``entries``): the
``index`` values, ``placed`` and ``recorded_at`` (as UTC microseconds, ``recorded_us``) as
columns (frequency caps search them), the 32-byte ``digest``, and ``payload``: the canonical
JSON up to, not including, the ``,"index":`` that follows the decision, deflated (raw deflate;
``zlib.decompressobj(-15, zdict=...)`` reads it) with the preset dictionary kept in the
``meta`` table. Anyone can check a ledger with ``sqlite3``, ``zlib``, ``json`` and ``hashlib``
alone (the user guide ``docs/ledger.md`` has the script).

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

import contextlib
import datetime as dt
import hashlib
import json
import os
import sqlite3
import threading
import urllib.parse
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from dncguard.errors import (
    CorruptLedgerError,
    InvalidNumberError,
    LedgerError,
    LedgerVersionError,
    NotALedgerError,
)
from dncguard.models import Call, Decision
from dncguard.numbers import parse_number

if TYPE_CHECKING:
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
    "canonical_tail",
]

APPLICATION_ID: Final = 0x444E4C47
"""``PRAGMA application_id`` of a dncguard ledger: the bytes ``DNLG``."""
SCHEMA_VERSION: Final = 1
"""``PRAGMA user_version`` this dncguard writes; a ledger with a higher one is refused."""
ZERO_DIGEST: Final = bytes(32)
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
# Raw deflate with a 4 KiB window: it holds the preset dictionary and is cheap to set up. Any
# larger window reads it too (the user guide's script uses zlib's default, wbits=-15).
_WINDOW: Final = -12
_CODEC: Final = "deflate-raw-zdict-1"

# The preset dictionary of codec 1: the text most entries share (JSON keys and frequent values).
# Deflate finds matches nearest the end of the dictionary cheapest, so the commonest go last.
# It is stored in each ledger's meta table: a ledger keeps the dictionary it was written with.
_DICTIONARY_1: Final = (
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
)
_DICTIONARIES: Final[Mapping[str, bytes]] = {_CODEC: _DICTIONARY_1}

_SCHEMA: Final = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) WITHOUT ROWID;
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    recorded_us INTEGER NOT NULL,
    placed INTEGER NOT NULL,
    number INTEGER,
    seller TEXT NOT NULL,
    purpose TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    digest BLOB NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX placed_calls ON entries (number, seller, purpose, at_us) WHERE placed = 1;
CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger is append-only: entries cannot be changed'); END;
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger is append-only: entries cannot be deleted'); END;
CREATE TRIGGER meta_fixed_update BEFORE UPDATE ON meta
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger''s meta table cannot be changed'); END;
CREATE TRIGGER meta_fixed_delete BEFORE DELETE ON meta
BEGIN SELECT RAISE(ABORT, 'a dncguard ledger''s meta table cannot be changed'); END;
"""
_INSERT: Final = (
    "INSERT INTO entries (seq, recorded_us, placed, number, seller, purpose, at_us, digest, payload)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_PLACED_CALLS: Final = (
    "SELECT at_us FROM entries WHERE placed = 1 AND number = ? AND seller = ? AND purpose = ?"
    " AND at_us >= ? AND at_us < ? ORDER BY at_us"
)
_COLUMNS: Final = "seq, recorded_us, placed, number, seller, purpose, at_us, digest, payload"
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


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
    # RULES §6.13: a seller is one name however it is written.
    return seller.strip().casefold()


def _us(t: dt.datetime) -> int:
    delta = t - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


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


@dataclass(frozen=True, slots=True)
class _Encoded:
    """One entry ready to chain: its payload (uncompressed) and its query columns."""

    prefix: bytes
    number: int | None
    seller: str
    purpose: str
    at_us: int


_CALL_JSON: Final = Call.__pydantic_serializer__.to_python
_DECISION_JSON: Final = Decision.__pydantic_serializer__.to_python


def _number(call: Call) -> int | None:
    try:
        return parse_number(call.to)
    except InvalidNumberError:
        return None


def _encode(call: Call, decision: Decision) -> _Encoded:
    # model_dump(mode="json"), less its Python wrapper: every field, including ones added later.
    prefix = b'{"call":%s,"decision":%s' % (
        _dumps(_CALL_JSON(call, mode="json")).encode(),
        _dumps(_DECISION_JSON(decision, mode="json")).encode(),
    )
    return _Encoded(prefix, _number(call), _seller_key(call.seller), call.purpose, _us(call.at))


def _as_call(call: Call | Mapping[str, Any]) -> Call:
    return call if isinstance(call, Call) else Call.model_validate(call)


def _as_decision(decision: Decision | Mapping[str, Any]) -> Decision:
    return decision if isinstance(decision, Decision) else Decision.model_validate(decision)


# --- the ledger -----------------------------------------------------------------------------------


class Ledger:
    """An append-only, hash-chained record of calls and decisions in one SQLite file.

    ``Ledger(path)`` opens the ledger at ``path``, creating it when missing (``create=False``:
    a missing file is a :class:`NotALedgerError`). Many processes may read and record at once:
    SQLite's locking lets one writer append at a time, and each append reads the chain's head
    inside the same ``BEGIN IMMEDIATE`` transaction, so the chain stays one. A ``Ledger`` object
    may be shared by threads (its connection is guarded by a lock).

    Raises :class:`NotALedgerError` for a file that is not a dncguard ledger,
    :class:`LedgerVersionError` for one written by a newer dncguard, and
    :class:`CorruptLedgerError` for a damaged one.
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
        self._tails = _Tails()

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
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, _WINDOW, 2, zlib.Z_DEFAULT_STRATEGY, dictionary)

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise LedgerVersionError(
                f"written by a newer dncguard (ledger schema {version}; this dncguard reads up to "
                f"{SCHEMA_VERSION}): upgrade dncguard",
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
                    ("dictionary", _DICTIONARY_1),
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

    def _compress(self, data: bytes) -> bytes:
        c = self._compressor.copy()
        return c.compress(data) + c.flush()

    def _append(self, encoded: Iterable[_Encoded], placed: Iterable[bool]) -> tuple[int, bytes, bytes, int]:
        """Append entries in one transaction. Returns (last seq, its digest, previous, recorded_us)."""
        db = self._db
        tails = self._tails
        compress = self._compress
        sha256 = hashlib.sha256
        with self._lock, self._errors():
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT seq, digest FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
                seq, previous = (0, ZERO_DIGEST) if row is None else (int(row[0]), bytes(row[1]))
                before = previous
                recorded_us = _us(dt.datetime.now(dt.UTC))
                rows = []
                for e, p in zip(encoded, placed, strict=True):
                    seq += 1
                    flag = 1 if p else 0
                    h = sha256(previous)
                    h.update(e.prefix)
                    h.update(tails(seq, recorded_us, flag, e.number, e.seller, e.purpose, e.at_us))
                    before, previous = previous, h.digest()
                    rows.append(
                        (
                            seq,
                            recorded_us,
                            flag,
                            e.number,
                            e.seller,
                            e.purpose,
                            e.at_us,
                            previous,
                            compress(e.prefix),
                        )
                    )
                db.executemany(_INSERT, rows)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return seq, previous, before, recorded_us

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
        seq, digest, previous, recorded_us = self._append([_encode(c, d)], [placed])
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
        ``recorded_at``. Returns the number of entries recorded.
        """
        calls, decisions = list(calls), list(decisions)
        if len(calls) != len(decisions):
            raise ValueError(
                f"record_many: {len(calls)} calls but {len(decisions)} decisions; give one decision per call"
            )
        encoded = [_encode(_as_call(c), _as_decision(d)) for c, d in zip(calls, decisions, strict=True)]
        if not encoded:
            return 0
        self._append(encoded, [placed] * len(encoded))
        return len(encoded)

    # -- reading

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """Stream rows in a read transaction (one snapshot), without holding the lock between rows."""
        with self._lock, self._errors():
            # A private connection: a long read must not block record() on this object.
            db = sqlite3.connect(f"file:{urllib.parse.quote(self.path)}?mode=ro", uri=True, timeout=60.0)
        try:
            with self._errors():
                cursor = db.execute(sql, params)
                while True:
                    batch = cursor.fetchmany(4096)
                    if not batch:
                        break
                    yield from batch
        finally:
            db.close()

    def _decode(self, seq: int, payload: bytes) -> bytes:
        data = _inflate(payload, self._dictionary) if isinstance(payload, bytes) else None
        if data is None:
            raise CorruptLedgerError(f"entry {seq}: its payload cannot be decoded", path=self.path)
        return data

    def _entry(self, row: tuple[Any, ...], previous: bytes) -> LedgerEntry:
        seq, recorded_us, placed, _n, _s, _p, _a, digest, payload = row
        data = self._decode(seq, payload)
        try:
            obj = json.loads(data + b"}")
            call = Call.model_validate(obj["call"])
            decision = Decision.model_validate(obj["decision"])
        except (ValueError, KeyError, TypeError) as e:
            raise CorruptLedgerError(f"entry {seq}: cannot be read ({e})", path=self.path) from e
        return LedgerEntry(
            seq, _from_us(recorded_us), call, decision, bool(placed), digest.hex(), previous.hex()
        )

    def head(self) -> LedgerEntry | None:
        """The last entry (None for an empty ledger). Keep its ``(seq, digest)`` elsewhere: it is
        the anchor that :meth:`verify` checks the ledger against later."""
        rows = list(self._rows(f"SELECT {_COLUMNS} FROM entries ORDER BY seq DESC LIMIT 2"))
        if not rows:
            return None
        previous = bytes(rows[1][7]) if len(rows) > 1 else ZERO_DIGEST
        return self._entry(rows[0], previous)

    def __len__(self) -> int:
        """The number of entries (the last ``seq``)."""
        row = next(self._rows("SELECT max(seq) FROM entries"))
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
        for row in self._rows(f"SELECT {_COLUMNS} FROM entries{where} ORDER BY seq", params):
            if previous is None:
                previous = self._previous(row[0])
            yield self._entry(row, previous)
            previous = bytes(row[7])

    def _previous(self, seq: int) -> bytes:
        rows = list(self._rows("SELECT digest FROM entries WHERE seq = ?", (seq - 1,)))
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
        search uses an index on (number, seller, purpose, start): its cost does not grow with the
        ledger's size beyond a B-tree's depth.
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
            "SELECT number, seller, purpose, at_us FROM entries INDEXED BY placed_calls"
            " WHERE placed = 1 AND number IS NOT NULL AND at_us >= ? AND at_us < ?"
            " ORDER BY number, seller, purpose, at_us",
            (_aware_us("since", since), _aware_us("until", until)),
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

        Finds an entry that was changed (any column or byte of its payload), removed, reordered
        or inserted, and reports the first bad ``seq``. ``anchor=(seq, digest)`` (a head kept
        elsewhere) also proves entry ``seq`` still has that digest (nothing up to it was
        rewritten) and that the ledger still reaches it (it was not cut back).
        """
        anchor_seq, anchor_digest = _check_anchor(anchor)
        tails = _Tails()
        sha256 = hashlib.sha256
        inflate = _inflate
        dictionary = self._dictionary
        previous = ZERO_DIGEST
        expected = 1
        ok_count = 0
        try:
            for seq, recorded_us, placed, number, seller, purpose, at_us, digest, payload in self._rows(
                f"SELECT {_COLUMNS} FROM entries ORDER BY seq"
            ):
                if seq != expected:
                    what = "missing" if seq > expected else "out of order"
                    return LedgerReport(False, ok_count, expected, f"entry {expected} is {what}")
                try:
                    prefix = inflate(payload, dictionary)
                    if prefix is None:
                        good = False
                    else:
                        h = sha256(previous)
                        h.update(prefix)
                        h.update(tails(seq, recorded_us, placed, number, seller, purpose, at_us))
                        good = h.digest() == digest
                except (TypeError, ValueError):
                    good = False
                if not good:
                    return LedgerReport(
                        False,
                        ok_count,
                        seq,
                        f"entry {seq} does not match its digest: it was changed or replaced",
                    )
                if seq == anchor_seq and digest != anchor_digest:
                    return LedgerReport(
                        False,
                        ok_count,
                        seq,
                        f"entry {seq} does not have the anchored digest: the ledger was rewritten "
                        "at or before it",
                    )
                previous = digest
                ok_count = expected
                expected += 1
        except CorruptLedgerError as e:
            return LedgerReport(False, ok_count, expected, f"entry {expected} cannot be read: {e.detail}")
        if anchor_seq is not None and ok_count < anchor_seq:
            return LedgerReport(
                False,
                ok_count,
                ok_count + 1,
                f"the ledger ends at entry {ok_count} but the anchor is entry {anchor_seq}: it was cut back",
            )
        return LedgerReport(True, ok_count, None, f"{ok_count} entries verified")

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
