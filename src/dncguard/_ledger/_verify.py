"""``Ledger.verify``: the chain recomputed from the stored bytes, page by page.

Per entry only its SHA-256 step runs in Python; the checks that each entry has the documented
shape, uses a stored template whose digest holds, and agrees with the index of placed calls are
done per page on the page's bytes (a set of the distinct 68-byte prefixes, one byte per entry
for "placed", and the placed entries alone parsed).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import operator
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

from dncguard._ledger._chain import chain, placed_match_in_c
from dncguard._ledger._format import INDEX_AT, PAGE_COLUMNS, ZERO_DIGEST, LedgerReport
from dncguard._ledger._read import _lenient_text
from dncguard.errors import ArgumentError, CorruptLedgerError

if TYPE_CHECKING:
    from dncguard._ledger._read import Reader

__all__ = ["check_anchor", "verify"]

_PREFIX: Final = operator.itemgetter(slice(0, INDEX_AT))
_FLAG: Final = operator.itemgetter(INDEX_AT)
_PLACED: Final = ord("[")
_ROWS: Final = "SELECT seq, number, seller, purpose, at_us FROM placed"
STALE_INDEX: Final = (
    f"SELECT min(seq) FROM (SELECT * FROM ({_ROWS} NOT INDEXED EXCEPT {_ROWS} INDEXED BY placed_calls)"
    f" UNION ALL SELECT * FROM ({_ROWS} INDEXED BY placed_calls EXCEPT {_ROWS} NOT INDEXED))"
)
"""The first seq whose row differs between the ``placed`` table (what verify compares with the
entries) and its index ``placed_calls`` (what frequency caps search): None when they agree.
Exact, and dear (both sides sorted into temporary B-trees): run only once
:class:`_IndexCheck`'s cheaper test has found a difference, to name it."""

_MISSING: Final = (
    "SELECT min(t.seq) FROM placed AS t NOT INDEXED WHERE NOT EXISTS (SELECT 1 FROM placed AS i"
    " INDEXED BY placed_calls WHERE i.number IS t.number AND i.seller = t.seller AND i.purpose = t.purpose"
    " AND i.at_us = t.at_us AND i.seq = t.seq)"
)
"""The first row of the ``placed`` table that its index does not hold (one seek of the index a
row, not a sort)."""

_PAGE_ROWS: Final = f"{_ROWS} WHERE seq BETWEEN ? AND ? ORDER BY seq"
"""A page's rows of the ``placed`` table (a search of its primary key)."""

_FIRST_PAGE_ROWS: Final = f"{_ROWS} WHERE seq <= ? ORDER BY seq"
"""The first page's rows: also those of any seq before 1."""

_LEFT_OVER: Final = "SELECT seq FROM placed WHERE typeof(seq) <> 'integer' OR seq > ? ORDER BY seq LIMIT 1"
"""Once every page's rows matched: a row of the ``placed`` table outside them (None: none)."""

_MISSING_IN: Final = f"{_MISSING} AND t.seq BETWEEN ? AND ?"
""":data:`_MISSING` for the rows of a range of seqs."""

_CHUNK: Final = 16_384
"""The seqs of a range of :class:`_IndexCheck`'s: at most some 35 ms of seeking, so that the two
threads finish together."""

_COUNTS: Final = (
    "SELECT (SELECT count(*) FROM placed INDEXED BY placed_calls), (SELECT count(*) FROM placed NOT INDEXED)"
)


def check_anchor(anchor: tuple[int, str] | None) -> tuple[int | None, bytes | None]:
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
        raise ArgumentError(
            f"anchor={anchor!r}: expected (seq, digest) as kept from Ledger.head(): a seq from 1 and "
            "a 64-digit hex digest"
        ) from None
    return seq, raw


def _changed(seq: int, why: str = "it was changed or replaced") -> LedgerReport:
    return LedgerReport(False, seq - 1, seq, f"entry {seq} does not match its digest: {why}")


def _bad(seq: int, what: str) -> LedgerReport:
    return LedgerReport(False, seq - 1, seq, f"entry {seq} {what}")


def _typed(row: Sequence[Any]) -> tuple[Any, ...]:
    """A row compared with its types (SQLite's 1.0 is not the chain's 1)."""
    return tuple((type(v), v) for v in row)


def _good_templates(db: sqlite3.Connection) -> set[bytes]:
    """The stored templates whose digest is their body's: ``["<hex>",`` prefixes of entries."""
    good = set()
    for digest, body in db.execute("SELECT digest, body FROM templates"):
        if type(digest) is bytes and type(body) is bytes and hashlib.sha256(body).digest() == digest:
            good.add(b'["' + digest.hex().encode() + b'",')
    return good


class _IndexCheck:
    """:data:`STALE_INDEX`'s answer, found more cheaply where nothing differs: every row of the
    table (its ``seq`` unique) found in the index, and the index holding as many rows, means the
    index holds exactly the table's rows; only where that fails is the exact query run.

    The search is shared between a thread of its own and the page loop's thread once that is
    done: SQLite lets go of Python's GIL while it seeks the index a row at a time (the
    dearest part of verifying a ledger of placed calls), so the check runs on the second core
    beside the page loop, and then on both. The rows are taken in ranges of :data:`_CHUNK` seqs,
    each searched for the first row the index does not hold; the counts and (where a row is
    missing or they differ) the exact query follow on the page loop's snapshot. The thread reads a
    snapshot of its own, begun a moment after the page loop's: the ledger is append-only, and
    the ranges are the page loop's snapshot's, so the two hold the same rows in them."""

    def __init__(self, reader: Reader, db: sqlite3.Connection) -> None:
        self._reader = reader
        self._firsts: list[int] = []
        self.rows: int | None = None  # the table's rows, where result() counted them
        self._error: BaseException | None = None
        self._thread_db: sqlite3.Connection | None = None
        self._guard = threading.Lock()
        self._cancelled = False
        with reader._errors():
            low, high = db.execute("SELECT min(seq), max(seq) FROM placed").fetchone()
        # seq is the table's integer primary key; any other shape (an edited schema) is searched whole.
        whole = type(low) is not int or type(high) is not int
        self._chunks: Iterator[int | None] = iter([None] if whole else range(low, high + 1, _CHUNK))
        self._thread = threading.Thread(target=self._run, name="dncguard-verify-index", daemon=True)
        self._thread.start()

    def _take(self) -> tuple[bool, int | None]:
        with self._guard:
            if self._cancelled:
                return False, None
            return next(((True, c) for c in self._chunks), (False, None))

    def _search(self, db: sqlite3.Connection) -> None:
        while True:
            more, low = self._take()
            if not more:
                return
            with self._reader._errors():
                if low is None:
                    first = db.execute(_MISSING).fetchone()[0]
                else:
                    first = db.execute(_MISSING_IN, (low, low + _CHUNK - 1)).fetchone()[0]
            if first is not None:
                with self._guard:
                    self._firsts.append(first)

    def _run(self) -> None:
        try:
            with self._reader._snapshot() as db:
                with self._guard:
                    if self._cancelled:
                        return
                    self._thread_db = db
                try:
                    self._search(db)
                finally:
                    with self._guard:
                        self._thread_db = None
        except BaseException as e:  # handed to the thread that asks for the result
            self._error = e

    def result(self, db: sqlite3.Connection) -> int | None:
        """The first seq whose index row differs (None: none), the ranges left searched on ``db``
        (the page loop's snapshot) too; raises what either thread met."""
        try:
            self._search(db)
        except BaseException:
            self.cancel()
            raise
        self._thread.join()
        if self._error is not None:
            raise self._error
        with self._reader._errors():
            if not self._firsts:
                indexed, self.rows = db.execute(_COUNTS).fetchone()
                if indexed == self.rows:
                    return None
            stale: int | None = db.execute(STALE_INDEX).fetchone()[0]
        return stale

    def cancel(self) -> None:
        """Stop the check where it is (a no-op once it is done) and wait for its thread."""
        with self._guard:
            self._cancelled = True
            if self._thread_db is not None:
                self._thread_db.interrupt()
        self._thread.join()


def verify(
    reader: Reader, db: sqlite3.Connection, anchor_seq: int | None, anchor_digest: bytes | None
) -> LedgerReport:
    """The report of :meth:`dncguard.Ledger.verify` on the snapshot ``db``.

    The order of the checks, and so which bad entry is named first, is that of checking the
    index of placed calls against the ``placed`` table (:class:`_IndexCheck`) before anything
    else, then each page in turn; the index check only runs beside the pages (:class:`_IndexCheck`)."""
    try:
        check = _IndexCheck(reader, db)
    except CorruptLedgerError as e:
        why = e.__cause__ if e.__cause__ is not None else e.detail
        return LedgerReport(
            False, 0, 1, f"the index of placed calls (placed_calls) is missing or was changed ({why})"
        )
    try:
        report, failed_at, expected, compared = _walk(reader, db, anchor_seq, anchor_digest)
        try:
            stale = check.result(db)
        except CorruptLedgerError as e:
            why = e.__cause__ if e.__cause__ is not None else e.detail
            return LedgerReport(
                False, 0, 1, f"the index of placed calls (placed_calls) is missing or was changed ({why})"
            )
    finally:
        check.cancel()
    if stale is not None:
        # The page holding the first stale row (page 1 for a row before the first entry) would
        # have been the first to fail had the index been checked page by page.
        s = stale if isinstance(stale, int) else 0
        if failed_at > 1 and s < failed_at:
            return _index_stale(max(s, 1))
    if report is not None:
        return report
    with reader._errors():
        if check.rows == compared:  # every row of the table was one of a page's
            left = None
        elif expected == 1:
            left = db.execute("SELECT seq FROM placed ORDER BY seq LIMIT 1").fetchone()
        else:
            left = db.execute(_LEFT_OVER, (expected - 1,)).fetchone()
    if left is not None:
        seq = left[0]
        return LedgerReport(
            False,
            expected - 1,
            seq if isinstance(seq, int) and seq >= expected else expected,
            f"the index of placed calls names entry {seq!r}, which is not in the chain",
        )
    if stale is not None:
        return _index_stale(stale if isinstance(stale, int) and stale >= expected else expected)
    ok_count = expected - 1
    if anchor_seq is not None and ok_count < anchor_seq:
        return LedgerReport(
            False,
            ok_count,
            ok_count + 1,
            f"the ledger ends at entry {ok_count} but the anchor is entry {anchor_seq}: it was cut back",
        )
    return LedgerReport(True, ok_count, None, f"{ok_count} entries verified")


def _walk(
    reader: Reader, db: sqlite3.Connection, anchor_seq: int | None, anchor_digest: bytes | None
) -> tuple[LedgerReport | None, int, int, int]:
    """The pages checked in order: (the first page's report that fails, None if every page
    holds; the first seq of the page that failed, or the next seq after the last page; the next
    seq expected after the pages that held; how many rows of the ``placed`` table were compared
    with their entries)."""
    compared = 0
    sha256 = hashlib.sha256
    previous = ZERO_DIGEST
    expected = 1  # the next entry's seq
    in_c = placed_match_in_c()
    try:
        with reader._errors():
            good = _good_templates(db)
            pages = db.execute(f"SELECT {PAGE_COLUMNS} FROM pages ORDER BY first_seq")
        quoted: dict[str, str] = {}  # a seller's or purpose's JSON text (a few distinct values)
        while True:
            with reader._errors():
                batch = pages.fetchmany(16)
            if not batch:
                break
            for first, count, recorded_us, digests, payload in batch:
                if first != expected or type(first) is not int:
                    what = "missing" if type(first) is int and first > expected else "out of order"
                    return _bad(expected, f"is {what}"), expected, expected, compared
                if (
                    type(count) is not int
                    or count < 1
                    or type(recorded_us) is not int
                    or type(digests) is not bytes
                    or len(digests) != 32 * count
                    or type(payload) is not bytes
                ):
                    return _changed(first, "its page's columns were changed"), first, expected, compared
                lines = payload.split(b"\n")
                if lines.pop() or len(lines) != count:
                    for i, line in enumerate(lines[:count]):
                        previous = sha256(previous + line).digest()
                        if previous != digests[32 * i : 32 * i + 32]:
                            return _changed(first + i), first, expected, compared
                    return _changed(first + min(len(lines), count - 1)), first, expected, compared
                computed = chain(previous, payload)  # count lines, each ended (checked above)
                if computed != digests:
                    i = next(
                        i
                        for i in range(count)
                        if computed[32 * i : 32 * i + 32] != digests[32 * i : 32 * i + 32]
                    )
                    return _changed(first + i), first, expected, compared
                previous = computed[-32:]
                last = first + count - 1
                if (
                    anchor_seq is not None
                    and first <= anchor_seq <= last
                    and computed[32 * (anchor_seq - first) : 32 * (anchor_seq - first + 1)] != anchor_digest
                ):
                    report = LedgerReport(
                        False,
                        anchor_seq - 1,
                        anchor_seq,
                        f"entry {anchor_seq} does not have the anchored digest: the ledger was "
                        "rewritten at or before it",
                    )
                    return report, first, expected, compared
                flags = bytes(map(_FLAG, lines))
                bad = _page_shape(lines, flags, first, recorded_us, good)
                if bad is not None:
                    return bad, first, expected, compared
                # The index of placed calls holds exactly this page's placed entries (its rows of
                # seq first..last; the first page's also those of any seq before 1).
                with reader._errors():
                    if first == 1:
                        here = _page_rows(db, _FIRST_PAGE_ROWS, (last,))
                    else:
                        here = _page_rows(db, _PAGE_ROWS, (first, last))
                compared += len(here)
                if in_c is None or not in_c(lines, first, here, INDEX_AT):
                    placed_at = [i for i, f in enumerate(flags) if f == _PLACED] if _PLACED in flags else []
                    if not _same_index(lines, first, placed_at, here, quoted):
                        said = []
                        for i in placed_at:
                            try:
                                at_us, number, purpose, seller = json.loads(lines[i])[1]
                            except (ValueError, TypeError):
                                what = "has an index that is not the documented one"
                                return _bad(first + i, what), first, expected, compared
                            said.append(_typed((first + i, number, seller, purpose, at_us)))
                        stored = [_typed(r) for r in here]
                        if stored != said:
                            return _index_changed(first, said, stored), first, expected, compared
                expected = last + 1
    except CorruptLedgerError as e:
        report = LedgerReport(False, expected - 1, expected, f"entry {expected} cannot be read: {e.detail}")
        return report, expected, expected, compared
    return None, expected, expected, compared


def _page_rows(db: sqlite3.Connection, sql: str, params: tuple[int, ...]) -> list[tuple[Any, ...]]:
    """The ``placed`` table's rows that ``sql`` selects, in order: their texts decoded by
    SQLite (quick), or, where one is not UTF-8 (an edited row), leniently (each then compares
    as the text it is, and differs from the entry)."""
    factory = db.text_factory
    try:
        db.text_factory = str
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            db.text_factory = _lenient_text
            return db.execute(sql, params).fetchall()
    finally:
        db.text_factory = factory


def _page_shape(
    lines: list[bytes], flags: bytes, first: int, recorded_us: int, good: set[bytes]
) -> LedgerReport | None:
    """None when every entry of a page (whose chain holds) starts with a stored template's
    digest and ``null,`` or ``[`` (its index), and its first and last entries carry the page's
    seq and recorded_us (a page is written at once, and the chain fixes the order within it);
    else the report of its first bad entry."""
    prefixes = set(map(_PREFIX, lines))
    if not prefixes <= good:
        i = next(i for i, line in enumerate(lines) if line[:INDEX_AT] not in good)
        return _bad(first + i, "uses a template that is missing or was changed")
    if flags.count(b"n") + flags.count(b"[") != len(lines):
        i = next(i for i, f in enumerate(flags) if f not in b"n[")
        return _bad(first + i, "is not in the documented form")
    for i in {0, len(lines) - 1}:
        try:
            entry = json.loads(lines[i])
            ok = type(entry) is list and len(entry) == 9 and entry[2:4] == [first + i, recorded_us]
        except ValueError:
            ok = False
        if not ok:
            return _bad(first + i, "does not agree with its page (seq, recorded_us or form)")
    return None


def _same_index(
    lines: list[bytes], first: int, placed_at: list[int], rows: list[tuple[Any, ...]], quoted: dict[str, str]
) -> bool:
    """Whether the index rows ``rows`` of a page are its placed entries' (the lines at
    ``placed_at``), one for one: each row's index written as the entry writes it (canonical JSON:
    ``[at_us,number,"purpose","seller"]``) is the entry's bytes from :data:`INDEX_AT` on. True
    only when that holds for every one; False sends the page to the exact comparison, which
    names what differs (a value of another type, such as 1.0 for 1, is never written the same:
    it is False too)."""
    if len(rows) != len(placed_at):
        return False
    for i, (seq, number, seller, purpose, at_us) in zip(placed_at, rows, strict=True):
        if (
            type(seq) is not int
            or seq != first + i
            or type(at_us) is not int
            or not (number is None or type(number) is int)
            or type(seller) is not str
            or type(purpose) is not str
        ):
            return False
        p = quoted.get(purpose)
        if p is None:
            p = quoted[purpose] = json.dumps(purpose)
        q = quoted.get(seller)
        if q is None:
            q = quoted[seller] = json.dumps(seller)
        text = f"[{at_us},{'null' if number is None else number},{p},{q}],".encode()
        if not lines[i].startswith(text, INDEX_AT):
            return False
    return True


def _index_changed(first: int, said: list[tuple[Any, ...]], stored: list[tuple[Any, ...]]) -> LedgerReport:
    """The report for a page whose placed entries (``said``) differ from its index rows."""
    bad = None
    for a, b in itertools.zip_longest(said, stored):
        if a != b:
            bad = min(x[0][1] for x in (a, b) if x is not None)
            break
    seq = bad if isinstance(bad, int) and bad >= first else first
    return LedgerReport(
        False,
        seq - 1,
        seq,
        f"entry {seq}: the index of placed calls does not match the entry (changed, added or removed)",
    )


def _index_stale(seq: int) -> LedgerReport:
    """The report for an index of placed calls that no longer holds the ``placed`` table's rows
    (its B-tree swapped or edited): frequency caps would not count what verify checked."""
    return LedgerReport(
        False,
        seq - 1,
        seq,
        f"entry {seq}: the index that frequency caps search (placed_calls) does not hold the placed "
        "table's row (the index was changed or replaced)",
    )
