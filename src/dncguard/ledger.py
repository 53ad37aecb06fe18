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
digest of entry ``seq - 1`` (32 zero bytes for entry 1) and ``canonical`` the entry's compact
canonical bytes (:func:`canonical_entry`; schema 3, documented byte by byte in the user guide
``docs/ledger.md``): the parts of an entry that repeat (the call less its number, time and
evidence; the decision less its number and next time) form its **template**, stored once and
named in the entry by its own SHA-256. Entries recorded together are kept in pages (one SQLite
row per 512 entries), stored as hashed, so ``verify`` re-encodes nothing. Anyone can check a
ledger with ``sqlite3``, ``json`` and ``hashlib`` alone (``docs/ledger.md`` has the script).

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

from dncguard._ledger._format import (
    APPLICATION_ID,
    PAGE_ENTRIES,
    SCHEMA_VERSION,
    LedgerEntry,
    LedgerReport,
    canonical_entry,
    canonical_template,
)
from dncguard._ledger._store import Ledger
from dncguard._ledger._tuning import Tuning
from dncguard.errors import CorruptLedgerError, LedgerError, LedgerVersionError, NotALedgerError

__all__ = [
    "APPLICATION_ID",
    "PAGE_ENTRIES",
    "SCHEMA_VERSION",
    "CorruptLedgerError",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "LedgerReport",
    "LedgerVersionError",
    "NotALedgerError",
    "Tuning",
    "canonical_entry",
    "canonical_template",
]
