"""Benchmark registry history: a simulated year of FTC updates; prints markdown.

    python benchmarks/bench_history.py --scale 1.0       # US scale: 258.5 M numbers (quiet machine)
    python benchmarks/bench_history.py --scale 0.002 --entries 20000 --per-entry 5000 --repeat 1  # smoke
    python benchmarks/bench_history.py --scale 1.0 --replay-only --per-entry 0  # replay alone

The year: a full download on day 0 (``benchmarks/generate.py``'s clustered synthetic registry),
then 365 daily change lists, and on days 30, 60, ... 360 a monthly full download (twelve in all;
the first is the build). Daily figures, from the FTC's published yearly figures (National Do Not
Call Registry Data Book FY 2025 and the FTC's biennial report to Congress for FY 2025):

* net growth of active registrations: +4.8 million in FY 2025 (about 258.5 million active
  numbers on September 30, 2025, "an increase of more than 4.8 million from the previous fiscal
  year"; the Data Book: "more than 4.7 million additional phone numbers were added", +1.9%);
* gross removals (disconnected and reassigned numbers the FTC takes off each month) are not
  published: ``--removed-per-year`` (default 2% of the registry, 5.17 M at US scale) is an
  assumption. FY 2025's additions (4.7 M) and net growth (4.8 M) leave room for few removals,
  but other years do not: the FTC's press release for the FY 2013 Data Book gives 223,429,112
  active registrations on 2013-09-30, the one for FY 2014 gives 217,855,659 on 2014-09-30 (and
  restates 2013-09-30 as 213,400,640): a year in which removals exceeded new registrations by
  5.6 M, over 2.5% of the registry. So 2% is a middle figure, not a worst case.
  ``--removed-per-year 0`` is the year FY 2025's figures describe (additions = net growth);
* so additions = net growth + removals. At scale 1.0 and the defaults: 4.8 M + 5.17 M = 9.97 M
  additions and 5.17 M deletions a year, about 27,300 and 14,200 a day. Additions land in
  exchanges that already hold registrations (as new registrations of numbers in service do),
  never on a number listed or added before; deletions are drawn from the numbers listed at the
  start of the year. A monthly download equals the data the change lists produced, except for
  0.01% of numbers it adds and removes (the drift a real download corrects).

Two ways to make the year (``--simulate``):

* ``updates`` (default below scale 0.05): ``Registry.update`` with each day's source, as a user
  would (365 updates: at scale 1.0 each takes seconds, too long for a benchmark run);
* ``steps`` (default from scale 0.05): each day's history step is encoded directly from the
  simulated change list (the same sets ``update`` records: the simulation knows exactly which
  numbers each day added and removed), then today's registry is built once and given that
  history. Its version ids are labels, not digests of a registry built for each day (no version
  is built): ``as_of`` and replay read them as they read real ones. At scale 1.0, estimated from
  the arrays it holds (not run here): about 5 minutes, 7-8 GB at the peak (the start numbers,
  their merge with the year's additions, and the build of today's registry: 2 GB each).
  Compare the two at a small scale: the same history size and answers.

Measured (targets in brackets):

* history size against the index size without it [<= 15%]; the history's number sets in bits a
  number, against the floor of a set of k numbers among 10**10, log2 C(10**10, k), per step;
* ``update`` with one day's change list, open + update + save, against the same update without
  history (the update dncguard did before history: same code with the history steps off) [<= 1.5x];
* ``as_of(date)`` ready to answer: open (``verify=False``), ``as_of`` and one lookup, for dates
  1, 30, 182 and 365 days back [<= 100 ms]; and the first bulk ``membership`` on it, which
  computes the past version's differences from today (once);
* bulk ``membership`` of 10 M (scaled) queries on that ``as_of`` against the current registry
  [>= 0.5x the speed];
* ``Guard.replay`` of ``--entries`` (default 1 M) ledger entries spread over the year, in ledger
  order [<= 60 s], against ``Guard.scrub`` of the same calls on today's registry (the bulk
  decision alone, no versions), and ``--per-entry`` entries replayed with ``check`` per entry
  (the path before bulk replay).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import hashlib
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from dncguard import Guard  # noqa: E402
from dncguard._apply import _apply_source, _by_date, _meta_of, _sort_key  # noqa: E402
from dncguard._history import _History, _Step  # noqa: E402
from dncguard._stored import _layer_json  # noqa: E402
from dncguard.index import sort_unique, unique_sorted  # noqa: E402
from dncguard.index._history import encode_set, skips_of  # noqa: E402
from dncguard.layers import Chunk, LayerKey, Op  # noqa: E402
from dncguard.models import Call  # noqa: E402
from dncguard.registry import Registry  # noqa: E402
from dncguard.replay import replay  # noqa: E402
from generate import generate  # noqa: E402

US = LayerKey.national("US")
FULL = 258_500_000
# FTC, National Do Not Call Registry Data Book FY 2025 and biennial report to Congress (FY 2025):
# about 258.5 M active registrations on 2025-09-30, "an increase of more than 4.8 million"
NET_PER_YEAR = 4_800_000
DAY0 = dt.date(2025, 3, 1)


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def plain_update(registry: Registry, sources: list[list[Chunk]]) -> Registry:
    """``update`` as it was before history: the same application, no history steps."""
    metas = {layer.key: _meta_of(layer) for layer in registry.layers}
    indexes = dict(zip((layer.key for layer in registry.layers), registry._indexes, strict=True))
    for chunks in _by_date(sources):
        _apply_source(chunks, metas, indexes)
    keys = sorted(metas, key=_sort_key)
    return Registry([metas[k].layer(indexes[k].count) for k in keys], [indexes[k] for k in keys])


class Year:
    """The simulated year's listed numbers, without rewriting them every day: the numbers listed at
    the start (sorted), a mask of those deleted since, the sorted arrays added since, and a bitmap
    of every number added (an addition is never a number listed or added before: each day's
    additions and deletions are exactly what the day changed)."""

    def __init__(self, numbers: np.ndarray[Any, Any], rng: np.random.Generator) -> None:
        self.numbers = numbers
        self.gone = np.zeros(len(numbers), bool)
        self.added: list[np.ndarray[Any, Any]] = []
        self.seen = np.zeros(10**10 // 8 + 1, np.uint8)  # untouched pages take no memory
        self.prefixes = unique_sorted(numbers // np.uint64(10_000))  # numbers are sorted
        self.rng = rng

    def _new(self, n: int, lines: np.ndarray[Any, Any] | None = None) -> np.ndarray[Any, Any]:
        """Up to ``n`` distinct numbers never listed, in exchanges that hold some; now added."""
        rng = self.rng
        if lines is None:
            lines = rng.integers(0, 10_000, n).astype(np.uint64)
        new = sort_unique(self.prefixes[rng.integers(0, len(self.prefixes), n)] * np.uint64(10_000) + lines)
        at = np.minimum(np.searchsorted(self.numbers, new), len(self.numbers) - 1)
        new = new[self.numbers[at] != new]
        byte, bit = (new >> np.uint64(3)).astype(np.int64), (new & np.uint64(7)).astype(np.uint8)
        new = new[(self.seen[byte] >> bit) & 1 == 0]
        byte, bit = (new >> np.uint64(3)).astype(np.int64), (new & np.uint64(7)).astype(np.uint8)
        np.bitwise_or.at(self.seen, byte, np.left_shift(1, bit).astype(np.uint8))
        self.added.append(new)
        return new

    def _delete(self, n: int) -> np.ndarray[Any, Any]:
        """Up to ``n`` distinct numbers listed at the start and not deleted yet, now deleted."""
        at = sort_unique(self.rng.integers(0, len(self.numbers), n).astype(np.uint64)).astype(np.int64)
        at = at[~self.gone[at]]
        self.gone[at] = True
        return self.numbers[at]

    def day(self, adds: int, dels: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """One day's change list: (additions, deletions), each sorted and distinct."""
        gone = self._delete(dels)
        return self._new(adds), gone

    def drift(self, day: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """What a monthly full download changes: 0.01% of the numbers added and removed."""
        drift = max(1, len(self.numbers) // 10_000)
        gone = self._delete(drift)
        return self._new(drift, np.full(drift, day % 10_000, np.uint64)), gone

    def listed(self) -> np.ndarray[Any, Any]:
        """Every number listed now, sorted."""
        added = sort_unique(np.concatenate(self.added)) if self.added else np.zeros(0, np.uint64)
        self.added = [added]
        # two sorted, disjoint arrays merged by one insert: one copy of each (2 GB at US scale)
        kept = self.numbers[~self.gone]
        return np.insert(kept, np.searchsorted(kept, added), added)

    def download(self, day: int) -> np.ndarray[Any, Any]:
        """A monthly full download: every number listed now, less and plus 0.01% drift."""
        self.drift(day)
        return self.listed()


def _label(day: dt.date) -> str:
    """A version id for a version the ``steps`` simulation does not build (a label, not a digest)."""
    return "dncg:" + hashlib.sha256(day.isoformat().encode()).hexdigest()[:32]


def simulate_steps(
    year: Year, npas: list[int], days: int, adds_day: int, dels_day: int
) -> tuple[Registry, list[tuple[dt.date, str]], tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """The year as history steps encoded from the simulated change lists, and today's registry
    built once and given them (see the module docstring); ``(day, version id)`` of each day; and
    the change list of the day after the year (the update measured)."""
    count = len(year.numbers)
    first = _label(DAY0)
    steps = [_Step("us-ftc", DAY0, "build", count, 0, first, None, (0, 0, 0, 0))]
    ids = [(DAY0, first)]
    befores = []
    for day in range(1, days + 1):
        when = DAY0 + dt.timedelta(days=day)
        new, gone = year.drift(day) if day % 30 == 0 else year.day(adds_day, dels_day)
        sets = (encode_set(new), encode_set(gone), b"", b"", b"")
        befores.append((when - dt.timedelta(days=1), count))
        kind = "replace" if day % 30 == 0 else "changes"
        rid = None if day == days else _label(when)
        step = _Step("us-ftc", when, kind, len(new), len(gone), rid, None, (len(new), len(gone), 0, 0), sets)
        steps.append(dataclasses.replace(step, skips=(skips_of(sets[0]), skips_of(sets[1]))))
        count += len(new) - len(gone)
    listed = year.listed()
    extra = year.day(adds_day, dels_day)
    year.numbers = year.gone = year.seen = np.zeros(0, np.uint64)  # 3.5 GB at US scale: not needed now
    last = DAY0 + dt.timedelta(days=days)
    registry = Registry.build([[Chunk(US, Op.REPLACE, listed, coverage=dict.fromkeys(npas, last))]])
    del listed
    assert registry.layers[0].count == count
    template = _layer_json(registry.layers[0])
    for i, (on, n) in enumerate(befores, 1):
        meta = dict(
            template,
            obtained=on.isoformat(),
            count=n,
            area_codes=dict.fromkeys(template["area_codes"], on.isoformat()),
        )
        steps[i] = dataclasses.replace(steps[i], before=meta)
    registry._hist = _History(tuple(steps), Registry().id, None)
    ids += [(DAY0 + dt.timedelta(days=day), _label(DAY0 + dt.timedelta(days=day))) for day in range(1, days)]
    ids.append((last, registry.id))
    return registry, ids, extra


def floor_bits(k: int) -> float:
    """log2 C(10**10, k): the fewest bits any encoding of a set of k 10-digit numbers can use."""
    n = 10**10
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)


def log2_comb(n: int, k: int) -> float:
    """log2 C(n, k), the bits needed to say which k of n things were chosen (all equally likely)."""
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)


def given_floor_bits(steps: Any, exchanges: int) -> float:
    """The fewest bits any encoding of this simulation's number sets can use on average, given
    what the simulation does and what a decoder already holds: each step's removals are drawn
    uniformly from the numbers listed before it (``log2 C(listed, removed)``), its additions
    uniformly from the lines never listed in the ``exchanges`` that hold registrations
    (``log2 C(free lines, added)``), except a monthly download's drift, which adds one chosen
    line in each of the exchanges it draws (``log2 C(exchanges, added)``). Shannon's bound for
    uniform draws: no coder, however clever, stores these sets in fewer bits on average. The
    first step (the build) is not stored."""
    bits, listed, ever = 0.0, 0, 0
    for i, st in enumerate(steps):
        added, removed = st.added, st.removed  # a build's sets are not stored: its counts are 0
        if i > 0:
            pool = exchanges if st.kind == "replace" else exchanges * 10_000 - ever
            bits += log2_comb(pool, added) + log2_comb(listed, removed)
        listed += added - removed
        ever += added
    return bits


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of US scale (258.5 M numbers)")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument(
        "--days-per-update",
        type=int,
        default=1,
        help="days of sources applied by one update (one registry version each; default 1)",
    )
    ap.add_argument("--removed-per-year", type=float, default=0.02, help="fraction of the registry removed")
    ap.add_argument(
        "--simulate",
        choices=("updates", "steps"),
        help="make the year with Registry.update each day, or encode its history steps directly "
        "(default: updates below scale 0.05, else steps; see above)",
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20260310)
    ap.add_argument("--entries", type=int, default=1_000_000, help="ledger entries to replay (default 1 M)")
    ap.add_argument(
        "--per-entry",
        type=int,
        default=100_000,
        help="of those, how many to replay with check per entry too (the path before bulk; 0: none)",
    )
    ap.add_argument(
        "--replay-only",
        action="store_true",
        help="measure replay and its baselines only (no update, as_of or membership measures)",
    )
    args = ap.parse_args(argv)

    count = max(10_000, round(FULL * args.scale))
    removed_year = args.removed_per_year * count
    added_year = NET_PER_YEAR * count / FULL + removed_year
    adds_day, dels_day = round(added_year / 365), round(removed_year / 365)
    mode = args.simulate or ("updates" if args.scale < 0.05 else "steps")
    rng = np.random.default_rng(args.seed)
    t = time.perf_counter()
    numbers, _ = generate(count, "US", args.seed)
    npas = [int(a) for a in unique_sorted(numbers // np.uint64(10_000_000))]
    # what the measures below take from the numbers listed at the start, taken now: the array
    # itself is dropped before today's registry is built (2 GB at US scale)
    probe_number = int(numbers[len(numbers) // 3])
    q = numbers[rng.integers(0, len(numbers), max(100_000, round(10_000_000 * args.scale)))]
    picks = numbers[rng.integers(0, len(numbers), args.entries)]
    year = Year(numbers, rng)
    del numbers
    if mode == "steps":
        registry, ids, extra = simulate_steps(year, npas, args.days, adds_day, dels_day)
    else:
        start = year.numbers
        registry = Registry.build([[Chunk(US, Op.REPLACE, start, coverage=dict.fromkeys(npas, DAY0))]])
        ids = [(DAY0, registry.id)]
        pending: list[list[Chunk]] = []
        for day in range(1, args.days + 1):
            when = DAY0 + dt.timedelta(days=day)
            cover = dict.fromkeys(npas, when)
            if day % 30 == 0:
                source = [Chunk(US, Op.REPLACE, year.download(day), coverage=cover)]
            else:
                new, gone = year.day(adds_day, dels_day)
                source = [Chunk(US, Op.ADD, new, coverage=cover), Chunk(US, Op.DELETE, gone, coverage=cover)]
            pending.append(source)
            if len(pending) == args.days_per_update or day == args.days:
                registry = registry.update(pending)  # one step per day's source, one version per update
                ids.append((when, registry.id))
                pending = []
        extra = year.day(adds_day, dels_day)  # the day after the year: the update measured
    exchanges = len(year.prefixes)
    del year
    simulate = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        with_history, plain = Path(tmp) / "history.dncg", Path(tmp) / "plain.dncg"
        registry.save(with_history)
        Registry(registry.layers, registry._indexes).save(plain)
        hist_bytes = registry.history_size()
        index_bytes = plain.stat().st_size
        last = DAY0 + dt.timedelta(days=args.days + 1)
        new, gone = extra
        cover = dict.fromkeys(npas, last)
        day = [[Chunk(US, Op.ADD, new, coverage=cover), Chunk(US, Op.DELETE, gone, coverage=cover)]]
        opened = Registry.open(with_history)
        if not args.replay_only:
            out = Path(tmp) / "out.dncg"
            t_hist = median_time(lambda: Registry.open(with_history).update(day).save(out), args.repeat)
            t_plain = median_time(lambda: plain_update(Registry.open(plain), day).save(out), args.repeat)
            back = DAY0 + dt.timedelta(days=args.days // 2)

            def ready(on: dt.date) -> Callable[[], object]:
                # open without the checksum pass (a file verified before), as_of, one lookup
                return lambda: Registry.open(with_history, verify=False).as_of(on).lookup(probe_number)

            t_open_hist = median_time(lambda: Registry.open(with_history, verify=False), args.repeat)
            t_open_plain = median_time(lambda: Registry.open(plain, verify=False), args.repeat)
            t_ready = median_time(ready(back), args.repeat)
            # how as_of's cost grows with the history it undoes
            depths = sorted({1, 30, args.days // 2, args.days})
            t_depth = {d: median_time(ready(last - dt.timedelta(days=d + 1)), args.repeat) for d in depths}
            hist = registry._history_data()
            assert hist is not None
            set_bits = sum(8 * (len(st.sets[0]) + len(st.sets[1])) for st in hist.steps)
            set_numbers = sum(st.counts[0] + st.counts[1] for st in hist.steps)
            floor = sum(floor_bits(st.counts[0]) + floor_bits(st.counts[1]) for st in hist.steps)
            given = given_floor_bits(hist.steps, exchanges)
            skip_bits = sum(8 * len(s) for st in hist.steps for s in (st.skips or ()))
            past = opened.as_of(back)
            t = time.perf_counter()
            past.membership(q)  # the first computes the version's differences from today
            t_first = time.perf_counter() - t
            t_now = median_time(lambda: opened.membership(q), args.repeat)
            t_past = median_time(lambda: past.membership(q), args.repeat)

        n_entries = args.entries
        calls = rng.integers(0, len(ids), n_entries)
        calls.sort()  # a ledger is written in time order
        # at any second between 13:00 and 23:00 UTC of the version's day (calling hours in most zones)
        seconds = rng.integers(13 * 3600, 23 * 3600, n_entries).tolist()
        calls_at = [
            dt.datetime.combine(ids[i][0], dt.time(), dt.UTC) + dt.timedelta(seconds=sec)
            for i, sec in zip(calls.tolist(), seconds, strict=True)
        ]
        table = pa.table(
            {
                "to": [str(n) for n in picks.tolist()],
                "at": pa.array(calls_at, pa.timestamp("us", tz="UTC")),
                "seller": ["acme"] * n_entries,
            }
        )
        guard = Guard(opened)
        t = time.perf_counter()
        today = guard.scrub(table)
        t_scrub = time.perf_counter() - t
        # recorded as today's registry answers: only the numbers changed since differ (as in a
        # ledger whose calls were decided right), so few entries are listed, as in real use
        allowed = today.column("allowed").to_pylist()
        reasons = today.column("reasons").to_pylist()
        entries = []
        for seq, (i, n) in enumerate(zip(calls.tolist(), picks.tolist(), strict=True), 1):
            call = Call(to=str(n), at=calls_at[seq - 1], seller="acme")
            codes = tuple(SimpleNamespace(code=c) for c in reasons[seq - 1])
            decision = SimpleNamespace(
                allowed=allowed[seq - 1], reasons=codes, number=f"+1{n}", registry_id=ids[i][1]
            )
            entries.append(SimpleNamespace(seq=seq, call=call, decision=decision))
        t = time.perf_counter()
        changed = guard.replay(entries)
        t_replay = time.perf_counter() - t
        n_check = min(args.per_entry, n_entries)
        t_check = 0.0
        if n_check:
            t = time.perf_counter()
            replay(guard, entries[:n_check], bulk=False)
            t_check = time.perf_counter() - t

    print(f"## Registry history: a simulated year (scale {args.scale}: {count:,} numbers)\n")
    print(
        f"Daily change list: {adds_day:,} additions, {dels_day:,} deletions; {args.days} days, monthly full"
    )
    how = (
        f"an update every {args.days_per_update} day(s)"
        if mode == "updates"
        else "history steps encoded directly, `--simulate steps`"
    )
    print(
        f"downloads, {len(ids):,} versions ({how}); simulated in {simulate:.1f} s. "
        f"Medians of {args.repeat} runs.\n"
    )
    rows = []
    if not args.replay_only:
        rows += [
            (
                "history size / index size",
                f"{hist_bytes:,} / {index_bytes:,} B = {hist_bytes / index_bytes:.1%}",
                "<= 15%",
            ),
            (
                "floor of the history's number sets given the registry (see `given_floor_bits`) / index size",
                f"{given / 8:,.0f} / {index_bytes:,} B = {given / 8 / index_bytes:.1%} "
                f"({given / set_numbers:.1f} bits a number)",
                "the least any history of this year can add",
            ),
            (
                "history number sets: bits a number / floor log2 C(10^10, k) a step",
                f"{set_bits / set_numbers:.1f} / {floor / set_numbers:.1f} bits ({set_numbers:,} numbers); "
                f"skip tables {skip_bits / set_numbers:.2f} bits",
                "-",
            ),
            (
                "update, one day (open+update+save): history / plain",
                f"{t_hist:.3f} s / {t_plain:.3f} s = {t_hist / t_plain:.2f}x",
                "<= 1.5x",
            ),
            (
                "open (verify=False): with history / without",
                f"{t_open_hist * 1e3:.1f} / {t_open_plain * 1e3:.1f} ms",
                "-",
            ),
            (f"as_of({back}) ready (open + as_of + one lookup)", f"{t_ready * 1e3:.1f} ms", "<= 100 ms"),
            *(
                (f"as_of, {d} day(s) back (open + as_of + one lookup)", f"{t * 1e3:.1f} ms", "-")
                for d, t in t_depth.items()
            ),
            (
                f"first membership of {len(q):,} on as_of({back}) (computes its differences)",
                f"{t_first:.2f} s",
                "-",
            ),
            (f"membership of {len(q):,}: as_of / current speed", f"{t_now / t_past:.2f}x", ">= 0.5x"),
        ]
    rows += [
        (
            f"replay of {n_entries:,} entries ({changed.num_rows:,} changed)",
            f"{t_replay:.1f} s ({t_replay / n_entries * 1e6:.0f} µs an entry)",
            "<= 60 s at 1 M",
        ),
        (
            f"baseline: scrub of the same {n_entries:,} calls on today's registry",
            f"{t_scrub:.1f} s ({t_scrub / n_entries * 1e6:.0f} µs a call); replay / scrub = "
            f"{t_replay / t_scrub:.2f}x",
            "-",
        ),
    ]
    if n_check:
        rows.append(
            (
                f"replay with check per entry (before bulk), first {n_check:,} entries",
                f"{t_check:.1f} s ({t_check / n_check * 1e6:.0f} µs an entry)",
                "-",
            )
        )
    print("| measure | value | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
