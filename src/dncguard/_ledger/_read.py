"""Reading a ledger: its entries, its head, the placed calls frequency caps count, exports."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dncguard._ledger._format import (
    PAGE_COLUMNS,
    PLACED_CALLS,
    PLACED_CALLS_BEFORE,
    ZERO_DIGEST,
    LedgerEntry,
    LedgerReport,
    aware_us,
    decode,
    from_us,
    seller_key,
)
from dncguard.errors import CorruptLedgerError, LedgerError
from dncguard.models import Call, Decision
from dncguard.numbers import parse_number

if TYPE_CHECKING:
    import pyarrow as pa

    from dncguard._ledger._tuning import Tuning

__all__ = ["Reader"]


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


class Reader:
    """The reading half of :class:`dncguard.Ledger` (which sets ``path``, ``_lock``, ``_db``)."""

    path: str
    _file: str  # ``path`` resolved when the ledger was opened: what every connection opens
    _lock: threading.RLock
    _db: sqlite3.Connection
    _closed: bool
    _tuning: Tuning

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A private read-only connection in one read transaction (one snapshot)."""
        with self._lock, self._errors():
            if self._closed:  # as record() and placed_calls() are: every use answers alike
                raise LedgerError("this Ledger was closed: open the ledger again to use it", path=self.path)
            # A private connection: a long read must not block record() on this object.
            db = sqlite3.connect(
                f"file:{urllib.parse.quote(self._file)}?mode=ro", uri=True, timeout=60.0, isolation_level=None
            )
        # Text that is not UTF-8 (a damaged or edited row) is read, not raised: verify names its entry.
        db.text_factory = _lenient_text
        try:
            with self._errors():
                # Read through the memory map the ledger's own connection uses (``Tuning.mmap_bytes``):
                # verify's seeks of the index of placed calls would otherwise copy a 64 KiB page
                # into SQLite's small cache for each.
                db.execute(f"PRAGMA mmap_size = {int(self._tuning.mmap_bytes)}")
                db.execute("BEGIN")
                yield db
        finally:
            db.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = (), *, size: int = 64) -> Iterator[tuple[Any, ...]]:
        """Stream rows in one snapshot, without holding the lock between rows."""
        with self._snapshot() as db:
            yield from self._cursor_rows(db, sql, params, size)

    def _cursor_rows(
        self, db: sqlite3.Connection, sql: str, params: tuple[Any, ...] = (), size: int = 64
    ) -> Iterator[tuple[Any, ...]]:
        with self._errors():
            cursor = db.execute(sql, params)
        while True:
            with self._errors():
                batch = cursor.fetchmany(size)
            if not batch:
                break
            yield from batch

    def _templates(self, db: sqlite3.Connection) -> dict[bytes, Any]:
        """The templates, parsed: hex digest -> (call part, decision part)."""
        out: dict[bytes, Any] = {}
        for digest, body in self._cursor_rows(db, "SELECT digest, body FROM templates", size=1024):
            try:
                obj = json.loads(body)
                out[bytes(digest).hex().encode()] = (obj["call"], obj["decision"])
            except (ValueError, KeyError, TypeError):
                continue  # an entry that uses it cannot be read, and says so
        return out

    def _entries_of(
        self, page: tuple[Any, ...], previous: bytes, templates: dict[bytes, Any], skip: int = 0
    ) -> Iterator[LedgerEntry]:
        """The entries of a page (from its ``skip``-th; ``previous``: the digest before that one)."""
        first, count, _, digests, payload = page
        lines = payload.split(b"\n") if isinstance(payload, bytes) else None
        if (
            lines is None
            or lines.pop()
            or not isinstance(count, int)
            or len(lines) != count
            or not isinstance(digests, bytes)
            or len(digests) != 32 * count
        ):
            raise CorruptLedgerError(f"entry {first}: its page cannot be decoded", path=self.path)
        for i, line in enumerate(lines[skip:], skip):
            seq = first + i
            try:
                call_json, decision_json, placed, _, recorded_us = decode(line, templates)
                call = Call.model_validate(call_json)
                decision = Decision.model_validate(decision_json)
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                raise CorruptLedgerError(f"entry {seq}: cannot be read ({e!r})", path=self.path) from e
            digest = digests[32 * i : 32 * i + 32]
            yield LedgerEntry(seq, from_us(recorded_us), call, decision, placed, digest.hex(), previous.hex())
            previous = digest

    def head(self) -> LedgerEntry | None:
        """The last entry (None for an empty ledger). Keep its ``(seq, digest)`` elsewhere: it is
        the anchor that :meth:`verify` checks the ledger against later."""
        with self._snapshot() as db:
            rows = list(
                self._cursor_rows(db, f"SELECT {PAGE_COLUMNS} FROM pages ORDER BY first_seq DESC LIMIT 1")
            )
            if not rows:
                return None
            first, count, _, digests, _ = rows[0]
            if not isinstance(count, int) or count < 1 or not isinstance(digests, bytes):
                raise CorruptLedgerError(f"entry {first}: its page cannot be decoded", path=self.path)
            previous = digests[-64:-32] if count > 1 else self._previous(db, first)
            return next(self._entries_of(rows[0], previous, self._templates(db), count - 1))

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
            params.append(aware_us(name, value))
        return (" WHERE " + " AND ".join(where)) if where else "", tuple(params)

    def entries(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> Iterator[LedgerEntry]:
        """The entries recorded at or after ``since`` and before ``until`` (aware datetimes on
        ``recorded_at``), oldest first. Reading does not verify: use :meth:`verify` for that."""
        where, params = self._window(since, until)
        with self._snapshot() as db:
            templates = self._templates(db)
            previous: bytes | None = None
            sql = f"SELECT {PAGE_COLUMNS} FROM pages{where} ORDER BY first_seq"
            for page in self._cursor_rows(db, sql, params, size=8):
                if previous is None:
                    previous = self._previous(db, page[0])
                for entry in self._entries_of(page, previous, templates):
                    yield entry
                    previous = bytes.fromhex(entry.digest)

    def _previous(self, db: sqlite3.Connection, seq: int) -> bytes:
        rows = list(
            self._cursor_rows(
                db,
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
        placed = self._placed_us(
            n, seller_key(seller), purpose, aware_us("since", since), aware_us("until", until)
        )
        return [from_us(at_us) for at_us in placed]

    def _placed_us(self, number: int, key: str, purpose: str, since_us: int, until_us: int) -> list[int]:
        """:meth:`placed_calls` less its conversions, for ``Guard.check``: ``number`` a valid
        10-digit int, ``key`` the seller as :func:`seller_key` gives it, the window and the
        start times in UTC microseconds since 1970 (oldest first)."""
        try:
            with self._lock:
                rows = self._db.execute(PLACED_CALLS, (number, key, purpose, since_us, until_us)).fetchall()
        except sqlite3.DatabaseError:
            with self._errors():
                raise
        return [r[0] for r in rows]

    def _any_placed(self) -> bool:
        """Whether the ledger holds a placed call (one indexed lookup)."""
        return any(True for _ in self._rows("SELECT 1 FROM placed LIMIT 1"))

    def _placed_before_us(
        self, number: int, key: str, purpose: str, since_us: int, until_us: int, seq: int
    ) -> list[int]:
        """:meth:`_placed_us` among the entries recorded before entry ``seq`` only: the placed
        calls the ledger held when that entry was decided (for replay)."""
        try:
            with self._lock:
                rows = self._db.execute(
                    PLACED_CALLS_BEFORE, (number, key, purpose, since_us, until_us, seq)
                ).fetchall()
        except sqlite3.DatabaseError:
            with self._errors():
                raise
        return [r[0] for r in rows]

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
            (aware_us("since", since), aware_us("until", until)),
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

    def verify(self, anchor: tuple[int, str] | None = None) -> LedgerReport:
        """Recompute every entry's digest, in order, and check the chain.

        Finds an entry that was changed (any column or byte of its page, or of a template it
        uses), removed, reordered or inserted, and an index row of a placed call that was
        changed, removed or added, and reports the first bad ``seq``. ``anchor=(seq, digest)``
        (a head kept elsewhere) also proves entry ``seq`` still has that digest (nothing up to
        it was rewritten) and that the ledger still reaches it (it was not cut back).
        """
        from dncguard._ledger._verify import check_anchor, verify

        anchor_seq, anchor_digest = check_anchor(anchor)
        with self._snapshot() as db:
            return verify(self, db, anchor_seq, anchor_digest)

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
