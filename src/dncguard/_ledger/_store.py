"""The :class:`Ledger`: opening the SQLite file, and appending entries to the chain."""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import functools
import itertools
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from dncguard import _args
from dncguard._arraymem import in_thread
from dncguard._gcpause import collector_paused
from dncguard._ledger._arrowtext import _as_call, _as_decision, _distinct, _next_column, _per_row
from dncguard._ledger._chain import chain, join, python_join
from dncguard._ledger._columns import Columns, decided_part_index, decided_parts
from dncguard._ledger._encode import Encoder, PlacedRow, decision_part, shares_tuples
from dncguard._ledger._format import (
    APPLICATION_ID,
    FORMAT,
    INSERT_PAGE,
    INSERT_PLACED,
    INSERT_TEMPLATE,
    PAGE_ENTRIES,
    SCHEMA,
    SCHEMA_VERSION,
    SQLITE_MAGIC,
    ZERO_DIGEST,
    LedgerEntry,
    from_us,
    us,
)
from dncguard._ledger._read import Reader
from dncguard._ledger._tuning import CHUNK, COLUMN_CHUNK, Tuning, resolve
from dncguard.errors import (
    ArgumentError,
    ArgumentTypeError,
    CorruptLedgerError,
    LedgerError,
    LedgerVersionError,
    NotALedgerError,
)
from dncguard.models import Call, Decision

if TYPE_CHECKING:
    import numpy.typing as npt
    import pyarrow as pa

__all__ = ["Ledger"]

SQLITE_PAGE: Final = 65_536

# A chunk of entries: their canonical bytes (a list), or Arrow arrays of the bytes before and
# after ``seq,recorded_us``; the placed entries' index rows; the templates used (hex: body).
_Chunk = tuple[Any, "Sequence[PlacedRow] | None", "Mapping[bytes, bytes]"]


class _ReadAhead:
    """An iterator whose next item is made on a second thread while the caller uses this one
    (errors are raised where the item is taken). A context manager: leaving it waits for the
    item being made and drops it."""

    _END: Final = object()

    def __init__(self, items: Iterator[Any]) -> None:
        self._items = items
        self._pool = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="dncguard-build", initializer=in_thread
        )
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


def _lines(entries: Any, seq: int, recorded_us: int) -> tuple[int, Any, list[Any]]:
    """A chunk's entries (see :data:`_Chunk`) from ``seq + 1`` on: how many; their canonical
    bytes, each followed by a line feed, one after the other (a bytes-like object); and the
    pages' payloads (at most :data:`PAGE_ENTRIES` entries each: views of those bytes)."""
    import numpy as np

    if isinstance(entries, list):
        n = len(entries)
        texts = [b"\n".join(entries[i : i + PAGE_ENTRIES]) + b"\n" for i in range(0, n, PAGE_ENTRIES)]
        return n, texts[0] if len(texts) == 1 else b"".join(texts), texts
    # The pieces before and after ``seq,recorded_us`` (text, Arrow arrays and the join's pieces),
    # joined once here: in C where built, else by its Arrow twin (the same bytes).
    head, tail = entries
    n = next(len(p) for p in (*head, *tail) if not isinstance(p, str))
    if not n:
        return 0, b"", []
    parts = [*head, None, f",{recorded_us}", *tail]
    data, ends = join(parts, n, seq + 1) or python_join(parts, n, seq + 1)
    line_ends = np.frombuffer(ends, np.int64)
    cuts = line_ends[::PAGE_ENTRIES].tolist() + ([int(line_ends[-1])] if n % PAGE_ENTRIES else [])
    # Each page's payload a view of the joined bytes (SQLite copies it in).
    whole = memoryview(data)
    return n, data, [whole[a:b] for a, b in itertools.pairwise(cuts)]


_PAGES_AT_ONCE: Final = 64
"""Pages inserted by one statement (a chunk's pages in one step: SQLite lets go of the GIL once
for them, not once a page, so a thread building the next chunk meanwhile holds it up less)."""


@functools.cache
def _insert_pages(count: int) -> str:
    """``INSERT_PAGE`` of ``count`` rows at once."""
    assert INSERT_PAGE.endswith(" VALUES (?, ?, ?, ?, ?)")
    return INSERT_PAGE + ", (?, ?, ?, ?, ?)" * (count - 1)


def _write(
    db: sqlite3.Connection,
    templates: list[tuple[bytes, bytes]],
    pages: list[tuple[Any, ...]],
    placed: list[tuple[Any, ...]] | None,
) -> None:
    """One chunk's rows, inserted in the open transaction."""
    if templates:
        db.executemany(INSERT_TEMPLATE, templates)
    for k in range(0, len(pages), _PAGES_AT_ONCE):
        some = pages[k : k + _PAGES_AT_ONCE]
        db.execute(_insert_pages(len(some)), [value for page in some for value in page])
    if placed:
        db.executemany(INSERT_PLACED, placed)


class _Head:
    """The chain's head as an append's chunks are hashed: the last digest, and the one before."""

    def __init__(self, previous: bytes) -> None:
        self.previous = self.before = previous


def _hash_and_write(
    db: sqlite3.Connection,
    head: _Head,
    first_seq: int,
    n: int,
    data: Any,
    texts: list[Any],
    recorded_us: int,
    templates: list[tuple[bytes, bytes]],
    placed: list[tuple[Any, ...]] | None,
) -> None:
    """One chunk of ``n`` entries from ``first_seq`` on (``data``: their bytes, each line ended;
    ``texts``: its pages' payloads): chained from ``head`` (moved on), and its rows inserted in
    the open transaction."""
    digests = chain(head.previous, data)
    if len(digests) != 32 * n:  # an entry's bytes held a line feed: never written
        raise RuntimeError("an entry's canonical bytes held a line feed")
    head.before = digests[-64:-32] if n > 1 else head.previous
    head.previous = digests[-32:]
    pages = [
        (
            first_seq + k * PAGE_ENTRIES,
            min(PAGE_ENTRIES, n - k * PAGE_ENTRIES),
            recorded_us,
            digests[32 * k * PAGE_ENTRIES : 32 * (k + 1) * PAGE_ENTRIES],
            text,
        )
        for k, text in enumerate(texts)
    ]
    _write(db, templates, pages, placed)


class Ledger(Reader):
    """An append-only, hash-chained record of calls and decisions in one SQLite file.

    ``Ledger(path)`` opens the ledger at ``path``, creating it when missing (``create=False``:
    a missing or empty file is a :class:`NotALedgerError`). Many processes may read and record at once:
    SQLite's locking lets one writer append at a time, and each append reads the chain's head
    inside the same ``BEGIN IMMEDIATE`` transaction, so the chain stays one. A ``Ledger`` object
    may be shared by threads (its connection is guarded by a lock). ``tuning``: a
    :class:`~dncguard.ledger.Tuning`, how the ledger divides its work (its memory map, and the
    default chunks of ``record_many`` and ``record_columns``), never what it records.

    Raises :class:`NotALedgerError` for a file that is not a dncguard ledger,
    :class:`LedgerVersionError` for one written by a newer dncguard (or by a development version
    of schema 1 or 2), and :class:`CorruptLedgerError` for a damaged one.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        timeout: float = 60.0,
        tuning: Tuning | None = None,
    ) -> None:
        self.path = _args.fspath(path, "Ledger")
        _args.seconds(timeout, "timeout")
        # The file itself, resolved once: the reads that open a connection of their own (verify,
        # entries, placed_table) must read the file this object opened, even after the process
        # changes its working directory or a symlink on the path is pointed elsewhere.
        self._file = os.path.realpath(self.path)
        self._tuning = resolve(tuning)
        self._lock = threading.RLock()
        self._closed = False
        if not os.path.exists(self.path):
            if not create:
                raise NotALedgerError("no such ledger file; check the path", path=self.path)
        else:
            self._check_magic(create)
        with self._errors():
            # isolation_level=None: transactions are begun and ended here, explicitly.
            self._db = sqlite3.connect(
                self._file, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        try:
            with self._errors():
                self._db.execute("PRAGMA synchronous = FULL")  # a commit is on disk before it returns
                # Read the index of placed calls (Guard's frequency caps) from the mapped file
                # rather than copying its 64 KiB pages into SQLite's cache.
                self._db.execute(f"PRAGMA mmap_size = {self._tuning.mmap_bytes}")
                self._open()
        except BaseException:
            self._db.close()
            raise
        self._encoder = Encoder()
        self._stored: set[bytes] = set()  # templates known to be in the file (hex digests)

    # -- opening

    def _check_magic(self, create: bool) -> None:
        try:
            with open(self.path, "rb") as f:
                head = f.read(len(SQLITE_MAGIC))
            # A ledger's file is never empty once made (its first page is written before its
            # tables, in the write-ahead log); an empty one becomes a ledger only where asked to.
            wal = self.path + "-wal"
            if not head and not create and not (os.path.exists(wal) and os.path.getsize(wal)):
                raise NotALedgerError(
                    "an empty file (0 bytes), not a ledger: check the path (a ledger is made only"
                    " where it may be created, never by reading it)",
                    path=self.path,
                )
        except OSError as e:
            raise NotALedgerError(f"cannot read: {e.strerror}", path=self.path) from e
        if head and head != SQLITE_MAGIC:
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
            if self._closed:
                raise LedgerError(
                    "this Ledger was closed: open the ledger again to use it", path=self.path
                ) from e
            if isinstance(e, sqlite3.OperationalError) and "locked" in text:
                raise LedgerError(
                    f"the ledger stayed locked by another writer ({text}); retry", path=self.path
                ) from e
            if isinstance(e, sqlite3.OperationalError) and "unable to open" in text:
                raise NotALedgerError(f"cannot open: {text}", path=self.path) from e
            if isinstance(e, sqlite3.IntegrityError) or "append-only" in text:
                raise LedgerError(f"refused: {text}", path=self.path) from e
            if getattr(e, "sqlite_errorname", "").startswith(("SQLITE_IOERR", "SQLITE_FULL")):
                # The disk failed (full, a file size limit, an I/O error), not the file: an
                # append is one transaction, so nothing of the one that failed is recorded.
                raise LedgerError(
                    f"the disk failed ({text}): free space or fix the disk, then retry (an"
                    " append that fails records nothing of itself)",
                    path=self.path,
                ) from e
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
        if meta.get("format") != FORMAT:
            raise CorruptLedgerError("the meta table is damaged (format)", path=self.path)

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise LedgerVersionError(
                f"written by a newer dncguard (ledger schema {version}; this dncguard reads up to "
                f"{SCHEMA_VERSION}): upgrade dncguard",
                path=self.path,
            )
        if version in (1, 2):
            raise LedgerVersionError(
                f"ledger schema {version} (written by a development version of dncguard, before "
                f"entries kept their shared parts once in schema {SCHEMA_VERSION}) is not read by this "
                "dncguard: with the dncguard that wrote it, run `dncguard ledger verify` and "
                "`dncguard ledger export` (keep both outputs), then record into a new ledger",
                path=self.path,
            )
        if version < 1:
            raise CorruptLedgerError(f"unknown ledger schema version {version}", path=self.path)

    def _create(self) -> None:
        db = self._db
        # 64 KiB pages: a page of entries (about 100 KiB) is two SQLite pages, not 28, which
        # writes the WAL in a few large frames. Set before the first table and before WAL.
        db.execute(f"PRAGMA page_size = {SQLITE_PAGE}")
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
            for statement in SCHEMA.split(";\n"):
                if statement.strip():
                    db.execute(statement)
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("format", FORMAT), ("created_at", from_us(us(dt.datetime.now(dt.UTC))).isoformat())],
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
            self._closed = True
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({self.path!r})"

    # -- writing

    def _append(self, produce: Callable[[int, int], Iterable[_Chunk]]) -> tuple[int, bytes, bytes, int]:
        """Append entries in one transaction. ``produce(first_seq, recorded_us)`` gives chunks
        of entries from ``first_seq`` on (see :data:`_Chunk`). Returns (last seq, its digest,
        the digest before it, recorded_us).

        Each chunk is joined into its bytes, hashed and written here (the C join and chain,
        where built, and SQLite let go of the GIL: ``record_columns``' builder thread makes the
        next chunk meanwhile). Measured, a second thread hashing and writing while the next
        chunk is made did not pay once the chain was in C (it waits for the GIL each time it
        takes it back). The transaction ends here, once every chunk is written: all of it, or on
        any error none."""
        db = self._db
        added: set[bytes] = set()
        with self._lock, self._errors():
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT first_seq + entries - 1, substr(digests, -32) FROM pages"
                    " ORDER BY first_seq DESC LIMIT 1"
                ).fetchone()
                seq, previous = (0, ZERO_DIGEST) if row is None else (int(row[0]), bytes(row[1]))
                head = _Head(previous)
                recorded_us = us(dt.datetime.now(dt.UTC))
                for entries, placed_rows, templates in produce(seq + 1, recorded_us):
                    new = [
                        (bytes.fromhex(h.decode()), b) for h, b in templates.items() if h not in self._stored
                    ]
                    if new:
                        added.update(h for h in templates if h not in self._stored)
                    n, data, texts = _lines(entries, seq, recorded_us)
                    if not n:
                        continue
                    placed = (
                        None
                        if placed_rows is None
                        else [(seq + 1 + i, *r) for i, r in enumerate(placed_rows) if r is not None]
                    )
                    _hash_and_write(db, head, seq + 1, n, data, texts, recorded_us, new, placed)
                    seq += n
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        self._stored |= added
        return seq, head.previous, head.before, recorded_us

    def _produce(
        self, calls: Sequence[Call], decisions: Sequence[Decision], placed: bool
    ) -> Callable[[int, int], Iterator[_Chunk]]:
        """Entries built in one piece once the chain's head is read: ``record``'s, or a
        ``record_many`` of at most a chunk."""

        def produce(first_seq: int, recorded_us: int) -> Iterator[_Chunk]:
            yield self._encoder.lines(calls, decisions, placed, first_seq, recorded_us)

        return produce

    def record(
        self, call: Call | Mapping[str, Any], decision: Decision | Mapping[str, Any], *, placed: bool
    ) -> LedgerEntry:
        """Append one entry; it is on disk (SQLite ``synchronous=FULL``) before this returns.

        ``placed=True`` after the call was dialed (frequency caps count it), ``False`` for a
        decision only (a scrub, a plan). ``call`` may be a dict of Call fields.
        """
        if not isinstance(placed, bool):
            raise ArgumentTypeError("placed must be True (the call was dialed) or False (a decision only)")
        c, d = _as_call(call), _as_decision(decision)
        seq, digest, previous, recorded_us = self._append(self._produce([c], [d], placed))
        return LedgerEntry(seq, from_us(recorded_us), c, d, placed, digest.hex(), previous.hex())

    def record_many(
        self,
        calls: Iterable[Call | Mapping[str, Any]],
        decisions: Iterable[Decision | Mapping[str, Any]],
        *,
        placed: bool = False,
        tuning: Tuning | None = None,
    ) -> int:
        """Append one entry per (call, decision) pair, all in one transaction: all or none.

        ``calls`` and ``decisions`` are parallel iterables of the same length (else
        ``ValueError``, and nothing is recorded). Every entry gets the same ``placed`` and
        ``recorded_at``. Returns the number of entries recorded. (A table of calls decided in
        bulk is recorded faster with :meth:`record_columns`.) ``tuning``: a
        :class:`~dncguard.ledger.Tuning` (how the work is divided, never what is recorded;
        default: the ledger's).
        """
        if not isinstance(placed, bool):
            raise ArgumentTypeError("placed must be True (the calls were dialed) or False (decisions only)")
        chunk = resolve(tuning, self._tuning).chunk_entries or CHUNK
        with collector_paused():
            cs = [c if type(c) is Call else _as_call(c) for c in calls]
            ds = [d if type(d) is Decision else _as_decision(d) for d in decisions]
            if len(cs) != len(ds):
                raise ArgumentError(
                    f"record_many: {len(cs)} calls but {len(ds)} decisions; give one decision per call"
                )
            if not cs:
                return 0
            if len(cs) <= chunk:
                self._append(self._produce(cs, ds, placed))
                return len(cs)
            # Chunk by chunk, each built once the one before is written. (Built on a second
            # thread meanwhile, as record_columns does, was measured: no faster here, the
            # building being Python that holds the GIL.)
            shared = shares_tuples(ds)
            encoder = self._encoder

            def produce(_seq: int, _recorded: int) -> Iterator[_Chunk]:
                for i in range(0, len(cs), chunk):
                    yield encoder.lines(cs[i : i + chunk], ds[i : i + chunk], placed, 0, 0, shared)

            self._append(produce)
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
        tuning: Tuning | None = None,
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
          ``consent_kind``, ``consent_on``, ``consent_revoked_on``, ``dnc_requested_on``,
          ``last_donation``, ``membership_on``, ``membership_ends`` (dates;
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
        - ``tuning``: a :class:`~dncguard.ledger.Tuning` (how the work is divided, never what
          is recorded; default: the ledger's).

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
            tuning=tuning,
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
        parts: Sequence[str] | None = None,
        tuning: Tuning | None = None,
        **defaults: Any,
    ) -> int:
        """:meth:`record_columns`; ``next_in_call_zone``: each ``next_allowed_at`` written in the
        zone of the row's ``at``, as ``Guard.check`` gives it (the command line's ``--ledger``);
        ``parts``: the decisions' template parts already made, in place of ``decisions``."""
        import numpy as np
        import pyarrow as pa

        if not isinstance(placed, bool):
            raise ArgumentTypeError("placed must be True (the calls were dialed) or False (decisions only)")
        chunk = resolve(tuning, self._tuning).chunk_entries or COLUMN_CHUNK
        batches = calls.to_batches() if isinstance(calls, pa.Table) else [calls]
        n = calls.num_rows
        rows = np.asarray(which)
        if rows.shape != (n,) or (n and rows.dtype.kind not in "iu"):
            raise ArgumentError(
                f"which: expected {n} integer indices into decisions, one per row, got {rows.shape}"
            )
        if n and (rows.min() < 0 or rows.max() >= len(decisions if parts is None else parts)):
            raise ArgumentError(
                f"which: indices must be in 0..{len(decisions) - 1} (one per distinct decision)"
            )
        if n == 0:
            return 0
        if parts is None:
            parts = [decision_part(_as_decision(d)) for d in decisions]
        builder = Columns(parts, defaults, self._encoder.times, self._encoder.column_templates)
        number_col = _per_row("numbers", numbers, n)
        next_col = _next_column(next_allowed_at, n)
        which_arr = pa.array(rows.astype(np.int64, copy=False))

        def chunks() -> Iterator[Any]:
            done = 0
            for batch in batches:
                for start in range(0, batch.num_rows, chunk):
                    part = batch.slice(start, chunk)
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
                        raise ArgumentError(f"column '{m[1]}', row {int(m[2]) + done}{m[3]}") from None
                    yield built
                    done += k

        # Build the first chunk before taking the write lock: bad input fails before anything.
        # Each next chunk is built on another thread (Arrow lets go of the GIL) while this one
        # hashes the chunk before; a table of one chunk is built here (no thread to start).
        ahead = _ReadAhead(chunks()) if n > chunk else contextlib.nullcontext(chunks())
        with collector_paused(), ahead as stream:
            first = next(stream)
            self._append(
                lambda _seq, _recorded: ((c[:2], c[2], c[3]) for c in itertools.chain([first], stream))
            )
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
        if bad.any():  # the distinct texts of the invalid numbers (the others' texts not read)
            import pyarrow as pa

            bad_rows = np.flatnonzero(bad)
            _, idx = _distinct(decided.output.column("to").take(pa.array(bad_rows)))
            text_idx[bad_rows] = idx.to_numpy(zero_copy_only=False).astype(np.int64) + 1
        which, first = factorize([inverse, consulted, text_idx])
        if consulted_values is None:
            parts = decided_parts(decided, first.tolist())
        else:
            # Groups whose parts are the same text (verdicts that differ only where an entry does
            # not show it) made one: the builder makes a template per distinct group and chunk.
            parts, same = decided_part_index(decided, first.tolist(), bad, consulted_values, consulted)
            which = same[which]
        numbers = np.where(bad, np.uint64(0), np.asarray(decided.numbers, np.uint64))
        next_us = np.where(bad, np.int64(NO_NEXT), np.asarray(decided.next_at, np.int64))
        return self._record_columns(
            calls, [], which, numbers=numbers, next_allowed_at=next_us, next_in_call_zone=True, parts=parts
        )
