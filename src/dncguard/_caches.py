"""Bounds of the process-wide caches of decisions and calling-hour tables, in one place.

A guard remembers what it worked out for the distinct inputs it met (a combination of facts and
its verdict, a day's calling-hour table in a zone), so that a dialer, ``scrub`` and ``check`` do
not work it out again for the next call like it. Every such cache is bounded, so that memory
follows the variety of the calls, up to these bounds, never their number. The bounds are small
enough that a file of ordinary variety fills them within its first few million calls, after
which a longer file holds no more.

Measured with ``dncguard check`` on the project's 10- and 100-million-row benchmark files
(``benchmarks/bench_cli.py``; section "Peak memory" of ``benchmarks/RESULTS.md`` for this
change): with the earlier bounds (65,536 decisions, 32,768 bulk combinations, 2,048 minute tables)
the caches were still filling at 100 million calls (the policy's decisions 8,500 after the first
10 million calls, 26,000 after 100 million; bulk's combinations 4,400 and over 7,000; minute
tables 550 and 2,048), and the peak resident memory grew with them (663 against 755 MiB).

Each bound says what an entry holds; the sizes are measured (or, for arrays, exact).
"""

from __future__ import annotations

from typing import Final

DECISIONS: Final = 1 << 13
"""``policy.decide``: a call's facts and their verdict (some 1.5 KB of Python objects):
about 12 MiB full. ``Guard.check`` and bulk share it."""

OPEN_DAYS: Final = 1 << 11
"""``next_allowed_at``'s days on which a call's facts pass every rule but the clock (a call's
facts and an integer: under 1 KB)."""

MINUTE_WAITS: Final = 1 << 9
"""``next_allowed_at``'s tables of minutes to wait, 12 days of ``uint16`` minutes (34,560 bytes
each): 17 MiB full."""

DAY_CLOCKS: Final = 1 << 11
"""A zone's local day and minute for each minute of a UTC day (two arrays of 1,440 ``int64``,
23,040 bytes): 45 MiB full."""

DAY_PASSES: Final = 1 << 12
"""Bulk's bit per minute of a UTC day at which a jurisdiction's calling hours pass in a zone
(1,440 ``int64``, 11,520 bytes): 45 MiB full."""

TIME_RULE_DAYS: Final = 1 << 13
"""Whether a jurisdiction's calling hours pass in a zone at each minute of a UTC day (1,440
``bool``): 11 MiB full."""

ZONE_DAYS: Final = 1 << 10
"""Bulk's local day and passing jurisdictions for each minute of a UTC day in a zone (the day
array is the :data:`DAY_CLOCKS` one; 1,440 ``int64`` of its own, 11,520 bytes): 11 MiB full."""

TABLES_FULL: Final = 160 << 20
"""What the tables above (minute waits, day clocks and passes) hold at most together, in bytes:
about 130 MiB, in practice far less (a file's calls span a few days in a few hundred zones)."""

BULK_COMBINATIONS: Final = 1 << 13
"""The distinct combinations of facts an engine of ``scrub`` remembers across batches, each
with its verdicts (some 4 KB): about 32 MiB full, then it starts afresh."""

ARRAY_BLOCKS_KEPT: Final = 128 << 20
"""Bytes of numpy's freed large blocks (256 KiB to 64 MiB) that ``check`` and ``scrub`` keep
for the next batches' arrays (:mod:`dncguard._arraymem`) at most, whatever the file's length."""

ARRAY_BLOCKS_WAIT: Final = 0.25
"""Seconds a kept block waits for an array to reuse it; one kept longer is handed back the next
time a block is freed. So what is kept is about what the last quarter second of work freed (the
next batch's arrays are made within it), never more than :data:`ARRAY_BLOCKS_KEPT`."""
