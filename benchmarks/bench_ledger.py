"""Benchmark: the call ledger (``dncguard.Ledger``) at a given size.

Reproduce (2 cores, a quiet machine; the full run takes about an hour and about 8 GB of disk)::

    python benchmarks/bench_ledger.py --entries 10000000 --query-entries 10000000 \
        --scrub-rows 10000000 --write benchmarks/results/ledger.md

A small check that the script works::

    python benchmarks/bench_ledger.py --entries 20000 --query-entries 200000 --scrub-rows 20000

Every figure is printed with the load average at the time it was taken (a shared machine's
figures are worth only that much); CPU time is given beside wall time.

What it measures, on a ledger in ``--dir`` (default: the system's temporary directory; put it
on the disk a dialer would use, since ``record`` waits for it):

- ``record``: the median and 95th percentile of one durable append (SQLite ``synchronous=FULL``
  in WAL mode: one ``fsync`` per entry), on a ledger already holding ``--entries`` entries.
  Target (issue 14): median at most 2 ms.
- ``record_many``: entries per second appending ``--entries`` entries in batches of
  ``--batch`` (each batch one transaction), from ``Call`` and ``Decision`` objects made
  beforehand (their making is not timed): copies (``model_copy``) of 2,000 decided calls, which
  share their lists and their decisions' tuples; then ``--real-entries`` entries (default: at
  most 200,000) of calls each validated on its own and decided by ``Guard.check``, which owns
  every tuple, as a dialer's are. Target: at least 200,000 entries/s.
- ``record_columns``: the same entries from a flat Arrow table (as ``Guard.scrub`` takes it)
  with one decision per distinct verdict and an index per row (what a bulk scrubber holds), in
  batches of ``--batch``; the table's making is not timed. Target: at least 200,000 entries/s.
- ``verify``: entries per second recomputing the whole chain. Target: at least 500,000/s. Then
  the same on a dialer's own ledger of ``--entries`` entries, every one a placed call (each with
  its row in the index of placed calls, which verify checks against the entry and the table).
- bytes per entry: the file's size after a WAL checkpoint, divided by the entries (the index
  included). Target: at most 300.
- ``placed_calls``: the median latency of one frequency-cap query (one number, seller and
  purpose over a 24-hour window) at that size.
- the floor: SHA-256 chained over the same entries' canonical bytes in a plain Python loop, the
  work no ledger keeping the documented per-entry chain avoids in pure Python (a baseline in the
  same run), also over the entries ``scrub --ledger`` recorded, against the scrub's own time,
  and there the same chain in C where the optional extension was built; and the storage floor of
  ``scrub --ledger``: the same entries joined into pages and chained in C and written by SQLite
  in one transaction, nothing else (what remains once building the entries costs nothing).
- ``Guard.check`` with a ledger (``--query-entries M``: the index of placed calls of an
  M-entry ledger, filled with SQL) against the same guard without one, on the same calls
  (numbers in states that cap calls, so the ledger is asked), alternately. Target: at most
  15 microseconds more at 10 million entries.
- ``dncguard scrub`` of a ``--scrub-rows``-row CSV with ``--ledger`` against the same command
  without it, in-process, alternately (``--repeat`` times each). Target: at most 1.5x.

The calls are a realistic mix: numbers over a dozen area codes (one in ten placed), four
sellers, mostly sales with some surveys and donations, a quarter with a relationship or a
consent, one in fifty an invalid number; each decision is ``Guard.check``'s answer on a registry
built from a synthetic FTC download (a third of the numbers listed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa

import dncguard
from dncguard._ledger import _chain
from dncguard.ledger import Ledger, canonical_entry
from dncguard.models import Call, Decision

OBTAINED = dt.date(2026, 11, 20)
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
AREA_CODES = (212, 305, 312, 415, 512, 617, 702, 202, 303, 404, 503, 615)
SELLERS = ("acme", "Acme Insurance", "globex", "initech")
PURPOSES = ("sale",) * 8 + ("survey", "donation")


def _templates(guard: dncguard.Guard, rng: random.Random, n: int) -> list[tuple[Call, Decision]]:
    """``n`` distinct realistic calls with Guard's decisions."""
    out = []
    for i in range(n):
        number = f"{rng.choice(AREA_CODES)}555{rng.randrange(10_000):04d}"
        fields: dict[str, object] = {
            "to": number if i % 50 else "555-0143",
            "at": START + dt.timedelta(minutes=rng.randrange(60 * 16)),
            "seller": rng.choice(SELLERS),
            "purpose": rng.choice(PURPOSES),
        }
        if i % 4 == 1:
            fields["relationships"] = [{"kind": "purchase", "on": "2026-06-01"}]
        elif i % 4 == 2:
            fields["consents"] = [{"kind": "written", "on": "2026-05-01"}]
        call = Call.model_validate(fields)
        out.append((call, guard.check(call)))
    return out


def _mix(templates: list[tuple[Call, Decision]], n: int, rng: random.Random) -> list[tuple[Call, Decision]]:
    """``n`` entries: each a template with its own number and start time (not timed)."""
    out = []
    for i in range(n):
        call, decision = templates[i % len(templates)]
        if call.to != "555-0143":
            number = f"{rng.choice(AREA_CODES)}555{rng.randrange(10_000):04d}"
            call = call.model_copy(update={"to": number, "at": call.at + dt.timedelta(seconds=i)})
            decision = decision.model_copy(update={"number": "+1" + number})
        out.append((call, decision))
    return out


def _fresh(templates: list[tuple[Call, Decision]], n: int, rng: random.Random) -> list[Call]:
    """``n`` calls as a dialer makes them: each validated from its own fields (its own lists,
    relationships and consents; no object shared with another call), a template's with its own
    number and start time (not timed)."""
    out = []
    for i in range(n):
        call = templates[i % len(templates)][0]
        fields = call.model_dump(exclude_defaults=True)
        if call.to != "555-0143":
            fields["to"] = f"{rng.choice(AREA_CODES)}555{rng.randrange(10_000):04d}"
            fields["at"] = call.at + dt.timedelta(seconds=i)
        out.append(Call.model_validate(fields))
    return out


def _columns(
    batch: list[tuple[Call, Decision]],
) -> tuple[pa.Table, list[Decision], np.ndarray, pa.Array]:
    """``batch`` as a bulk scrubber holds it: flat columns, the distinct decisions (less number
    and next_allowed_at), each row's index into them, and next_allowed_at per row."""
    distinct: dict[Decision, int] = {}
    which = []
    for _, d in batch:
        template = d.model_copy(update={"number": "", "next_allowed_at": None})
        which.append(distinct.setdefault(template, len(distinct)))
    calls = [c for c, _ in batch]

    def evidence(kind: str) -> pa.Array:
        return pa.array(
            [next((r.on for r in c.relationships if r.kind == kind), None) for c in calls], pa.date32()
        )

    table = pa.table(
        {
            "to": [c.to for c in calls],
            "at": pa.array([c.at for c in calls], pa.timestamp("us", tz="UTC")),
            "seller": [c.seller for c in calls],
            "purpose": [c.purpose for c in calls],
            "last_purchase": evidence("purchase"),
            "consent_kind": pa.array(
                [c.consents[0].kind if c.consents else None for c in calls], pa.string()
            ),
            "consent_on": pa.array([c.consents[0].on if c.consents else None for c in calls], pa.date32()),
        }
    )
    next_at = pa.array([d.next_allowed_at for _, d in batch], pa.timestamp("us", tz="UTC"))
    return table, list(distinct), np.array(which, np.int64), next_at


def _load() -> str:
    """The load average now, to print beside a figure taken now."""
    return f"load {os.getloadavg()[0]:.1f}"


def _guard(folder: str) -> dncguard.Guard:
    return dncguard.Guard(_registry(folder))


def _registry(folder: str) -> dncguard.Registry:
    rng = random.Random(1)
    path = Path(folder) / "ftc.txt"
    listed = {f"{a}555{rng.randrange(10_000):04d}" for a in AREA_CODES for _ in range(3_300)}
    path.write_text("\n".join(sorted(listed)) + "\n")
    return dncguard.Registry.build(
        [dncguard.sources.ftc(path, obtained=OBTAINED, area_codes=list(AREA_CODES))]
    )


def _floor(texts: list[bytes]) -> float:
    """CPU seconds to chain SHA-256 over ``texts`` (one thread, a plain Python loop): the work
    a ledger keeping the documented per-entry chain cannot avoid in pure Python."""
    import hashlib

    sha256 = hashlib.sha256
    c = time.process_time()
    previous = bytes(32)
    for text in texts:
        previous = sha256(previous + text).digest()
    return time.process_time() - c


def _floor_compiled(texts: list[bytes]) -> float | None:
    """CPU seconds to chain the same ``texts`` with the optional C chain (the lines joined first,
    not timed), or None where it was not built."""
    from dncguard._ledger import _chain

    if not _chain.COMPILED:
        return None
    payload = b"".join(text + b"\n" for text in texts)
    c = time.process_time()
    _chain.chain(bytes(32), payload)
    return time.process_time() - c


_STAGES: Final = ("join", "chain", "pages", "insert", "commit", "close")
"""The storage floor's stages (see :func:`_floor_storage`)."""


def _cpu() -> tuple[float, float, float]:
    """Wall, user and system CPU seconds of this thread so far (of the process where a thread's
    own are not kept)."""
    import resource

    who = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)
    r = resource.getrusage(who)
    return time.perf_counter(), r.ru_utime, r.ru_stime


def _floor_storage(folder: Path, texts: list[bytes]) -> dict[str, tuple[float, float, float]] | None:
    """Wall, user and system CPU seconds to store ``texts`` as ``scrub --ledger`` stores its
    entries, with nothing else, stage by stage (:data:`_STAGES`): joined into pages by the C
    join (one copy, as each chunk is: ``join``), chained by the C chain (``chain``), each
    chunk's pages made (``pages``, Python) and inserted into a fresh ledger in one transaction
    (``insert``: SQLite copies them into its pages and writes the ones its cache cannot hold to
    the write-ahead log), a chunk of ``COLUMN_CHUNK`` entries at a time; then ``commit`` (the
    rest of the log written and synced, and the checkpoints that copy the log into the database
    file, SQLite's own every 1,000 pages of log, and sync it) and ``close`` (the last checkpoint
    of the log). None where the optional extension was not built. What a faster entry builder
    could not take away with this storage."""
    from dncguard._ledger._format import INSERT_PAGE, PAGE_ENTRIES
    from dncguard._ledger._tuning import COLUMN_CHUNK

    if not _chain.COMPILED:
        return None
    path = folder / "floor.ledger"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    chunks = [
        pa.array([t.decode() for t in texts[i : i + COLUMN_CHUNK]], pa.string())
        for i in range(0, len(texts), COLUMN_CHUNK)
    ]  # made before the clock starts, as the entries' pieces are
    spent = dict.fromkeys(_STAGES, (0.0, 0.0, 0.0))

    def add(stage: str, before: tuple[float, float, float]) -> tuple[float, float, float]:
        now = _cpu()
        w, u, sy = spent[stage]
        spent[stage] = (w + now[0] - before[0], u + now[1] - before[1], sy + now[2] - before[2])
        return now

    ledger = Ledger(path)
    db = ledger._db
    t = _cpu()
    db.execute("BEGIN IMMEDIATE")
    previous, seq = bytes(32), 1
    for chunk in chunks:
        n = len(chunk)
        got = _chain.join([chunk], n, seq)
        assert got is not None
        data, ends_bytes = got
        t = add("join", t)
        digests = _chain.chain(previous, data)
        previous = digests[-32:]
        t = add("chain", t)
        ends = np.frombuffer(ends_bytes, np.int64)
        whole = memoryview(data)
        pages = [
            (
                seq + k,
                min(PAGE_ENTRIES, n - k),
                0,
                digests[32 * k : 32 * (k + PAGE_ENTRIES)],
                whole[int(ends[k]) : int(ends[min(k + PAGE_ENTRIES, n)])],
            )
            for k in range(0, n, PAGE_ENTRIES)
        ]
        t = add("pages", t)
        db.executemany(INSERT_PAGE, pages)
        seq += n
        t = add("insert", t)
    db.execute("COMMIT")
    t = add("commit", t)
    ledger.close()
    add("close", t)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return spent


def _guard_with_ledger(
    registry: dncguard.Registry,
    ledger: Ledger,
    hot: list[int],
    n: int,
    queries: int,
    say: Callable[[str], None],
) -> None:
    """``Guard.check`` with and without the ledger, on the same calls, alternately: calls by
    "acme" for a sale to numbers in a state that caps calls (Florida, area code 305), so the
    guard asks the ledger for the placed calls before each, half of them numbers being dialed."""
    with_ledger = dncguard.Guard(registry, ledger=ledger)
    without = dncguard.Guard(registry)
    rng = random.Random(11)
    florida = [x for x in hot if x // 10_000_000 == 305]
    others = [305 * 10_000_000 + 5_550_000 + line for line in range(10_000)]
    day = START + dt.timedelta(days=15)
    calls = [
        Call(
            to=str(rng.choice(florida if i % 2 else others)),
            at=day + dt.timedelta(minutes=rng.randrange(8 * 60)),
            seller="acme",
        )
        for i in range(queries)
    ]
    for call in calls[:200]:  # warm both, as a running dialer's would be
        with_ledger.check(call)
        without.check(call)
    times: dict[str, list[float]] = {"with": [], "without": []}
    cpu = {"with": 0.0, "without": 0.0}
    blocked = 0
    for i, call in enumerate(calls):
        order = (
            (("with", with_ledger), ("without", without))
            if i % 2
            else (("without", without), ("with", with_ledger))
        )
        for name, guard in order:
            t, c = time.perf_counter(), time.process_time()
            d = guard.check(call)
            times[name].append(time.perf_counter() - t)
            cpu[name] += time.process_time() - c
            if name == "with":
                blocked += any(r.code.value == "frequency_cap" for r in d.reasons)
    a, b = statistics.median(times["with"]), statistics.median(times["without"])
    say(
        f"Guard.check with a ledger of {n:,} entries: median {a * 1e6:.1f} us against {b * 1e6:.1f} us "
        f"without: +{(a - b) * 1e6:.1f} us (CPU "
        f"+{(cpu['with'] - cpu['without']) / len(calls) * 1e6:.1f} us a call) over {len(calls):,} calls, "
        f"{blocked:,} over a cap (target: at most +15 us at 10M; {_load()})"
    )


def _scrub_against_ledger(
    folder: Path,
    registry: dncguard.Registry,
    templates: list[tuple[Call, Decision]],
    rows: int,
    repeat: int,
    say: Callable[[str], None],
) -> None:
    """``dncguard scrub`` of a CSV with ``--ledger`` against without, in-process, alternately."""
    import pyarrow.csv as pa_csv

    from dncguard.cli import main

    index = folder / "bench.dncg"
    registry.save(index)
    csv = folder / "scrub.csv"
    rng = random.Random(3)
    writer = None
    for start in range(0, rows, 100_000):
        mix = _mix(templates, min(100_000, rows - start), rng)
        table, _, _, _ = _columns(mix)
        table = table.set_column(1, "at", pa.array([c.at.isoformat() for c, _ in mix], pa.string()))
        if writer is None:
            writer = pa_csv.CSVWriter(csv, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    out = folder / "scrubbed.parquet"
    runs: dict[str, list[tuple[float, float]]] = {"plain": [], "ledger": []}
    ratios = []
    for _ in range(repeat):
        for kind in ("plain", "ledger"):
            ledger = folder / "scrub.ledger"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{ledger}{suffix}").unlink(missing_ok=True)
            extra = ["--ledger", str(ledger)] if kind == "ledger" else []
            t, c = time.perf_counter(), time.process_time()
            code = main(["scrub", "--registry", str(index), str(csv), str(out), *extra])
            runs[kind].append((time.perf_counter() - t, time.process_time() - c))
            assert code == 0, code
        ratios.append(runs["ledger"][-1][0] / runs["plain"][-1][0])
    with Ledger(folder / "scrub.ledger") as check:
        assert len(check) == rows, (len(check), rows)
    db = sqlite3.connect(folder / "scrub.ledger")
    lines = [line for (p,) in db.execute("SELECT payload FROM pages") for line in p.split(b"\n")[:-1]]
    db.close()
    chain = _floor(lines)
    compiled = _floor_compiled(lines)
    storage = _floor_storage(folder, lines)
    del lines
    plain = statistics.median(w for w, _ in runs["plain"])
    with_ledger = statistics.median(w for w, _ in runs["ledger"])
    say(
        f"scrub --ledger: {with_ledger:.2f} s (CPU {statistics.median(c for _, c in runs['ledger']):.2f} s) "
        f"against {plain:.2f} s (CPU {statistics.median(c for _, c in runs['plain']):.2f} s) without, "
        f"{rows:,} rows, medians of {repeat}: {with_ledger / plain:.2f}x (per repeat: "
        f"{', '.join(f'{r:.2f}x' for r in ratios)}; target <= 1.5x; {_load()})"
    )
    say(
        f"scrub --ledger floor: the SHA-256 chain alone over those {rows:,} entries takes {chain:.2f} s of "
        f"CPU in Python, {chain / plain:.2f}x the scrub's wall time without a ledger (so at best "
        f"{1 + chain / plain:.2f}x with the chain on the same core)"
        + ("" if compiled is None else f", {compiled:.2f} s in C ({compiled / plain:.2f}x)")
        + f" ({_load()})"
    )
    if storage is not None:
        added = with_ledger - plain
        wall = sum(w for w, _, _ in storage.values())
        cpu = sum(u + s for _, u, s in storage.values())
        say(
            f"scrub --ledger storage floor: the same {rows:,} entries joined into pages (C), chained (C) and "
            f"written to a fresh ledger by SQLite in one transaction, nothing else, in the same run: "
            f"{wall:.2f} s (CPU {cpu:.2f} s, {cpu / rows * 1e6:.2f} us/entry), "
            f"{1 + wall / plain:.2f}x the scrub without a ledger were it added wall time; "
            f"scrub --ledger adds {added:.2f} s, {added / wall:.2f}x this floor ({_load()})"
        )
        say(
            "  its CPU by stage, us/entry user + system: "
            + ", ".join(
                f"{stage} {u / rows * 1e6:.2f} + {s / rows * 1e6:.2f}" for stage, (_, u, s) in storage.items()
            )
            + " (join: the C join; chain: SHA-256 in C; pages: Python; insert: SQLite's pages and"
            " the write-ahead log; commit: the log synced and checkpointed into the database file;"
            " close: the last checkpoint)"
        )


def _query_at_scale(
    path: Path, n: int, queries: int, say: Callable[[str], None], registry: dncguard.Registry | None = None
) -> None:
    """placed_calls on a ledger of ``n`` rows inserted with SQL: decisions about ~120,000
    numbers over 30 days, one row in ten a placed call to one of 5,000 numbers being dialed
    (half the queries ask about those)."""
    Ledger(path).close()
    rng = random.Random(7)
    numbers = [a * 10_000_000 + 5_550_000 + line for a in AREA_CODES for line in range(10_000)]
    hot = numbers[:: len(numbers) // 5_000][:5_000]
    sellers = [s.strip().casefold() for s in SELLERS]
    start_us = int(START.timestamp() * 1_000_000)
    month_us = 30 * 86_400 * 1_000_000
    db = sqlite3.connect(path, isolation_level=None)
    t = time.perf_counter()
    db.execute("BEGIN")
    chunk = 200_000
    placed = 0
    for first in range(1, n + 1, chunk):
        # One entry in ten is a placed call: only those have a row in the index of placed calls
        # (the pages holding all n entries are not written: the query never reads them).
        rows = [
            (
                seq,
                rng.choice(hot),
                rng.choice(sellers),
                "survey" if rng.random() < 0.2 else "sale",
                start_us + rng.randrange(month_us),
            )
            for seq in range(first - first % 10 + 10, min(first + chunk, n + 1), 10)
        ]
        placed += len(rows)
        db.executemany("INSERT INTO placed VALUES (?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT at_us FROM placed WHERE number = ? AND seller = ? AND purpose = ?"
        " AND at_us >= ? AND at_us < ? ORDER BY at_us",
        (1, "a", "sale", 0, 1),
    ).fetchall()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    say(
        f"filled the index of placed calls of a {n:,}-entry ledger ({placed:,} placed) with SQL in "
        f"{time.perf_counter() - t:.1f} s; query plan: {plan[-1][-1]}"
    )
    with Ledger(path) as ledger:
        until = START + dt.timedelta(days=15)
        since = until - dt.timedelta(hours=24)
        asked = [rng.choice(hot if i % 2 else numbers) for i in range(queries)]
        for number in asked[:100]:
            ledger.placed_calls(number, "acme", "sale", since=since, until=until)
        times, found = [], 0
        for number in asked:
            t = time.perf_counter()
            found += len(ledger.placed_calls(number, "acme", "sale", since=since, until=until))
            times.append(time.perf_counter() - t)
        month = [
            len(ledger.placed_calls(x, "acme", "sale", since=START, until=START + dt.timedelta(days=30)))
            for x in asked[1:400:2]
        ]
        say(
            f"placed_calls at {n:,} entries: median {statistics.median(times) * 1e6:.1f} us over "
            f"{len(times):,} queries ({found:,} calls found in 24 h windows; {statistics.mean(month):.1f} "
            f"placed calls a month per dialed number, seller and purpose; {_load()})"
        )
        if registry is not None:
            _guard_with_ledger(registry, ledger, hot, n, queries, say)


def _verified(ledger: Ledger, label: str) -> str:
    """``ledger.verify()`` timed (it must pass): the report's line."""
    t, c = time.perf_counter(), time.process_time()
    report = ledger.verify()
    took, cpu = time.perf_counter() - t, time.process_time() - c
    assert report.ok, report
    return (
        f"{label}: {report.entries / took:,.0f} entries/s ({took:.2f} s; {report.entries / cpu:,.0f}/s of "
        f"CPU time, {cpu / report.entries * 1e6:.2f} us/entry; target >= 500,000/s; {_load()})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=200_000, help="ledger size (default 200,000)")
    parser.add_argument("--batch", type=int, default=100_000, help="entries per record_many call")
    parser.add_argument(
        "--real-entries",
        type=int,
        default=None,
        help="entries recorded by record_many from calls made one by one and Guard.check's own "
        "decisions (default: --entries, at most 200,000; 0: skip)",
    )
    parser.add_argument("--records", type=int, default=200, help="durable record() calls timed")
    parser.add_argument("--queries", type=int, default=5_000, help="placed_calls queries timed")
    parser.add_argument(
        "--query-entries",
        type=int,
        default=None,
        help="also time placed_calls and Guard.check with a ledger of this many entries whose index "
        "of placed calls is filled directly with SQL (fast to make; its chain is not valid, which "
        "neither reads; default: --entries; 0: skip)",
    )
    parser.add_argument(
        "--scrub-rows",
        type=int,
        default=None,
        help="rows of the CSV that `dncguard scrub` scrubs with and without --ledger "
        "(default: --entries; 0: skip)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="scrub runs of each kind (median)")
    parser.add_argument("--dir", default=None, help="where the ledger is written (default: a temp dir)")
    parser.add_argument("--write", default=None, help="also write the report to this Markdown file")
    args = parser.parse_args(argv)
    query_entries = args.entries if args.query_entries is None else args.query_entries
    if args.real_entries is None:
        args.real_entries = min(args.entries, 200_000)
    scrub_rows = args.entries if args.scrub_rows is None else args.scrub_rows

    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    rng = random.Random(20261206)
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        registry = _registry(folder)
        guard = dncguard.Guard(registry)
        templates = _templates(guard, rng, 2_000)
        path = Path(folder) / "bench.ledger"
        ledger = Ledger(path)
        say(
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}; {dt.date.today()}; load average {os.getloadavg()[0]:.1f}; "
            f"ledger chain and join in {'C' if _chain.COMPILED else 'Python (C extension not built)'}."
        )
        say(f"Ledger: {path.parent} ({args.entries:,} entries, batches of {args.batch:,}).")

        # record_many, batch by batch; one in ten entries placed (a dialer's history).
        elapsed = cpu = floor = 0.0
        done = floor_entries = 0
        while done < args.entries:
            n = min(args.batch, args.entries - done)
            batch = _mix(templates, n, rng)
            placed = [c for c, _ in batch[: n // 10]]
            rest = batch[n // 10 :]
            t, c = time.perf_counter(), time.process_time()
            ledger.record_many(placed, [d for _, d in batch[: n // 10]], placed=True)
            ledger.record_many([c for c, _ in rest], [d for _, d in rest])
            elapsed += time.perf_counter() - t
            cpu += time.process_time() - c
            if floor_entries < 200_000:  # the floor per entry does not depend on the ledger's size
                floor += _floor(
                    [
                        canonical_entry(call, d, seq=done + i + 1, recorded_us=0, placed=False)
                        for i, (call, d) in enumerate(batch)
                    ]
                )
                floor_entries += n
            done += n
        say(
            f"record_many: {done / elapsed:,.0f} entries/s ({elapsed:.2f} s for {done:,}; "
            f"{done / cpu:,.0f}/s of CPU time, {cpu / done * 1e6:.2f} us/entry; target >= 200,000/s; "
            f"{_load()})"
        )
        # record_many of decisions as Guard.check makes them: each call validated on its own and
        # each decision its own (its own tuples of reasons, exemptions and lists consulted),
        # where the entries above share their templates' objects (model_copy).
        elapsed = cpu = 0.0
        real_done = 0
        while real_done < args.real_entries:
            n = min(args.batch, args.real_entries - real_done)
            calls_ = _fresh(templates, n, rng)
            decisions_ = guard.check_many(calls_)
            t, c = time.perf_counter(), time.process_time()
            ledger.record_many(calls_[: n // 10], decisions_[: n // 10], placed=True)
            ledger.record_many(calls_[n // 10 :], decisions_[n // 10 :])
            elapsed += time.perf_counter() - t
            cpu += time.process_time() - c
            real_done += n
        if real_done:
            say(
                f"record_many, Guard.check's own decisions of calls made one by one: "
                f"{real_done / elapsed:,.0f} entries/s ({elapsed:.2f} s for {real_done:,}; "
                f"{real_done / cpu:,.0f}/s of CPU time, {cpu / real_done * 1e6:.2f} us/entry; "
                f"target >= 200,000/s; {_load()})"
            )
        say(
            "floor (the SHA-256 chain alone over the same entries' canonical bytes, one thread): "
            f"{floor / floor_entries * 1e6:.2f} us/entry of CPU time, {floor_entries / floor:,.0f}/s over "
            f"the first {floor_entries:,} ({_load()})"
        )

        # record_columns: what `scrub --ledger` records, from columns and distinct decisions.
        elapsed = cpu = 0.0
        columns_done = 0
        while columns_done < args.entries:
            n = min(args.batch, args.entries - columns_done)
            table, distinct, which, next_at = _columns(_mix(templates, n, rng))
            t, c = time.perf_counter(), time.process_time()
            ledger.record_columns(table, distinct, which, next_allowed_at=next_at)
            elapsed += time.perf_counter() - t
            cpu += time.process_time() - c
            columns_done += n
        say(
            f"record_columns: {columns_done / elapsed:,.0f} entries/s ({elapsed:.2f} s for {columns_done:,}; "
            f"{columns_done / cpu:,.0f}/s of CPU time, {cpu / columns_done * 1e6:.2f} us/entry; "
            f"target >= 200,000/s; {_load()})"
        )

        # record, durable, one at a time.
        latencies = []
        for call, decision in _mix(templates, args.records, rng):
            t = time.perf_counter()
            ledger.record(call, decision, placed=True)
            latencies.append(time.perf_counter() - t)
        latencies.sort()
        say(
            f"record (durable): median {statistics.median(latencies) * 1e3:.2f} ms, "
            f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1e3:.2f} ms over {len(latencies)} "
            f"(target median <= 2 ms; {_load()})"
        )

        # Size on disk, WAL folded in.
        ledger.close()
        db = sqlite3.connect(path)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        total = done + real_done + columns_done + args.records
        size = path.stat().st_size
        consulted = sum(1 for _, d in templates if d.consulted) / len(templates)
        say(
            f"size: {size / total:.0f} bytes/entry ({size / 1e6:,.1f} MB for {total:,}, the index included; "
            f"{consulted:.0%} of the decisions list what they consulted; target <= 300)"
        )

        ledger = Ledger(path)
        say(_verified(ledger, "verify"))

        # verify of a dialer's own ledger: every entry a placed call, each with its row in the
        # index of placed calls, which verify compares with the entries and with the table.
        dialer = Ledger(Path(folder) / "dialer.ledger")
        placed_done = 0
        while placed_done < args.entries:
            n = min(args.batch, args.entries - placed_done)
            table, distinct, which, next_at = _columns(_mix(templates, n, rng))
            dialer.record_columns(table, distinct, which, next_allowed_at=next_at, placed=True)
            placed_done += n
        say(_verified(dialer, f"verify, every entry a placed call ({placed_done:,})"))
        dialer.close()

        # placed_calls: a 24-hour window before a call, for numbers with and without history.
        numbers = [int(c.to) for c, _ in _mix(templates, args.queries, rng) if c.to.isdigit()]
        until = START + dt.timedelta(hours=20)
        since = until - dt.timedelta(hours=24)
        for number in numbers[:100]:  # warm the cache, as a running dialer's would be
            ledger.placed_calls(number, "acme", "sale", since=since, until=until)
        times = []
        found = 0
        for number in numbers:
            t = time.perf_counter()
            hits = ledger.placed_calls(number, "acme", "sale", since=since, until=until)
            times.append(time.perf_counter() - t)
            found += len(hits)
        say(
            f"placed_calls: median {statistics.median(times) * 1e6:.1f} us over {len(times):,} queries "
            f"({found:,} calls found) at {total:,} entries ({_load()})"
        )
        ledger.close()

        if query_entries:
            _query_at_scale(Path(folder) / "filled.ledger", query_entries, args.queries, say, registry)
        if scrub_rows:
            _scrub_against_ledger(Path(folder), registry, templates, scrub_rows, args.repeat, say)

    if args.write:
        header = (
            "<!-- Generated by benchmarks/bench_ledger.py; rerun it to refresh. -->\n"
            "# The call ledger\n\n"
            f"Command: `python benchmarks/bench_ledger.py {' '.join(argv or sys.argv[1:])}`\n\n```\n"
        )
        Path(args.write).write_text(header + "\n".join(lines) + "\n```\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
