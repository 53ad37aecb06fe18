"""Benchmark registry history: a simulated year of FTC updates; prints markdown.

    python benchmarks/bench_history.py --scale 1.0       # US scale: 258.5 M numbers (quiet machine)
    python benchmarks/bench_history.py --scale 0.001     # a smoke run (seconds)

The year: a full download on day 0 (``benchmarks/generate.py``'s clustered synthetic registry),
then 365 daily change lists, and on days 30, 60, ... 360 a monthly full download (twelve in all;
the first is the build). Daily figures, from the FTC's published yearly figures:

* net growth of active registrations: +3,159,804 in FY 2016 (226,001,288 active numbers at the end
  of FY 2016, 222,841,484 at the end of FY 2015; National Do Not Call Registry Data Book FY 2016);
* gross removals (disconnected and reassigned numbers the FTC takes off each month) are not
  published as a yearly figure: assumed 2% of the registry a year (``--removed-per-year``);
* so additions = net growth + removals. At scale 1.0: 3.16 M + 5.17 M = 8.33 M additions and
  5.17 M deletions a year, about 22,800 and 14,200 a day. Additions land in exchanges that already
  hold registrations (as new registrations of numbers in service do), deletions are drawn from the
  numbers listed. A monthly download equals the data the change lists produced, except for 0.01%
  of numbers it adds and removes (the drift a real download corrects).

Measured (targets in brackets):

* history size against the index size without it [<= 15%];
* ``update`` with one day's change list, open + update + save, against the same update without
  history (the update dncguard did before history: same code with the history steps off) [<= 1.5x];
* ``as_of(date)`` ready to answer, on a freshly opened file, for a date six months back [<= 100 ms];
* bulk ``membership`` of 10 M (scaled) queries on that ``as_of`` against the current registry
  [>= 0.5x the speed];
* ``Guard.replay`` of 1 M (scaled) ledger entries spread over the year [<= 60 s].
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from dncguard import Guard  # noqa: E402
from dncguard.layers import Chunk, LayerKey, Op  # noqa: E402
from dncguard.registry import Registry, _apply_source, _by_date, _meta_of, _sort_key  # noqa: E402
from generate import generate  # noqa: E402

US = LayerKey.national("US")
FULL = 258_500_000
NET_PER_YEAR = 3_159_804  # FTC Data Book FY 2016: 226,001,288 - 222,841,484
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


def day_changes(
    rng: np.random.Generator,
    current: np.ndarray[Any, Any],
    prefixes: np.ndarray[Any, Any],
    adds: int,
    dels: int,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    new = np.unique(
        prefixes[rng.integers(0, len(prefixes), adds)] * np.uint64(10_000)
        + rng.integers(0, 10_000, adds).astype(np.uint64)
    )
    gone = np.unique(current[rng.integers(0, len(current), dels)])
    new = new[~np.isin(new, gone)]
    return new, gone


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of US scale (258.5 M numbers)")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--removed-per-year", type=float, default=0.02, help="fraction of the registry removed")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20260310)
    ap.add_argument(
        "--entries",
        type=int,
        default=None,
        help="ledger entries to replay (default: 1 M scaled, at least 10,000)",
    )
    args = ap.parse_args(argv)

    count = max(10_000, round(FULL * args.scale))
    removed_year = args.removed_per_year * count
    added_year = NET_PER_YEAR * count / FULL + removed_year
    adds_day, dels_day = round(added_year / 365), round(removed_year / 365)
    rng = np.random.default_rng(args.seed)
    t = time.perf_counter()
    numbers, _ = generate(count, "US", args.seed)
    npas = sorted({int(a) for a in np.unique(numbers // np.uint64(10_000_000))})
    prefixes = np.unique(numbers // np.uint64(10_000))
    registry = Registry.build([[Chunk(US, Op.REPLACE, numbers, coverage=dict.fromkeys(npas, DAY0))]])
    current = numbers
    ids = [(DAY0, registry.id)]
    for day in range(1, args.days + 1):
        when = DAY0 + dt.timedelta(days=day)
        cover = dict.fromkeys(npas, when)
        if day % 30 == 0:
            drift = max(1, len(current) // 10_000)
            extra = np.unique(
                prefixes[rng.integers(0, len(prefixes), drift)] * np.uint64(10_000) + np.uint64(day)
            )
            full = np.union1d(np.delete(current, rng.integers(0, len(current), drift)), extra)
            source = [Chunk(US, Op.REPLACE, full, coverage=cover)]
            current = full
        else:
            new, gone = day_changes(rng, current, prefixes, adds_day, dels_day)
            source = [Chunk(US, Op.ADD, new, coverage=cover), Chunk(US, Op.DELETE, gone, coverage=cover)]
            current = np.union1d(np.setdiff1d(current, gone, assume_unique=True), new)
        registry = registry.update([source])
        ids.append((when, registry.id))
    simulate = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        with_history, plain = Path(tmp) / "history.dncg", Path(tmp) / "plain.dncg"
        registry.save(with_history)
        Registry(registry.layers, registry._indexes).save(plain)
        hist_bytes = registry.history_size()
        index_bytes = plain.stat().st_size
        last = DAY0 + dt.timedelta(days=args.days + 1)
        new, gone = day_changes(rng, current, prefixes, adds_day, dels_day)
        cover = dict.fromkeys(npas, last)
        day = [[Chunk(US, Op.ADD, new, coverage=cover), Chunk(US, Op.DELETE, gone, coverage=cover)]]
        out = Path(tmp) / "out.dncg"
        t_hist = median_time(lambda: Registry.open(with_history).update(day).save(out), args.repeat)
        t_plain = median_time(lambda: plain_update(Registry.open(plain), day).save(out), args.repeat)
        back = DAY0 + dt.timedelta(days=args.days // 2)

        def ready() -> object:
            return Registry.open(with_history, verify=False).as_of(back)

        t_open_hist = median_time(lambda: Registry.open(with_history, verify=False), args.repeat)
        t_open_plain = median_time(lambda: Registry.open(plain, verify=False), args.repeat)
        t_ready = median_time(ready, args.repeat)
        # how as_of's cost grows with the history it undoes (it reads every change after the day)
        depths = sorted({1, 30, args.days // 2, args.days})
        t_depth = {
            d: median_time(
                lambda d=d: Registry.open(with_history, verify=False).as_of(last - dt.timedelta(days=d + 1)),
                args.repeat,
            )
            for d in depths
        }
        opened = Registry.open(with_history)
        past = opened.as_of(back)
        q = numbers[rng.integers(0, len(numbers), max(100_000, round(10_000_000 * args.scale)))]
        t_now = median_time(lambda: opened.membership(q), args.repeat)
        t_past = median_time(lambda: past.membership(q), args.repeat)

        n_entries = args.entries or max(10_000, round(1_000_000 * args.scale))
        calls = rng.integers(0, len(ids), n_entries)
        calls.sort()
        picks = numbers[rng.integers(0, len(numbers), n_entries)]
        entries = []
        for seq, (i, n) in enumerate(zip(calls.tolist(), picks.tolist(), strict=True), 1):
            when, rid = ids[i]
            at = dt.datetime.combine(when, dt.time(16), dt.UTC)
            call = SimpleNamespace(to=str(n), at=at, seller="acme")
            decision = SimpleNamespace(allowed=True, reasons=(), number=f"+1{n}", registry_id=rid)
            entries.append(SimpleNamespace(seq=seq, call=call, decision=decision))

        from dncguard.models import Call

        for e in entries:
            e.call = Call(to=e.call.to, at=e.call.at, seller=e.call.seller)
        t = time.perf_counter()
        changed = Guard(opened).replay(entries)
        t_replay = time.perf_counter() - t

    print(f"## Registry history: a simulated year (scale {args.scale}: {count:,} numbers)\n")
    print(
        f"Daily change list: {adds_day:,} additions, {dels_day:,} deletions; {args.days} days, monthly full"
    )
    print(f"downloads; simulated in {simulate:.1f} s. Medians of {args.repeat} runs.\n")
    rows = [
        (
            "history size / index size",
            f"{hist_bytes:,} / {index_bytes:,} B = {hist_bytes / index_bytes:.1%}",
            "<= 15%",
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
        (f"as_of({back}) ready (open + as_of)", f"{t_ready * 1e3:.1f} ms", "<= 100 ms"),
        *((f"as_of, {d} day(s) back (open + as_of)", f"{t * 1e3:.1f} ms", "-") for d, t in t_depth.items()),
        (f"membership of {len(q):,}: as_of / current speed", f"{t_now / t_past:.2f}x", ">= 0.5x"),
        (
            f"replay of {n_entries:,} entries ({changed.num_rows:,} changed)",
            f"{t_replay:.1f} s ({t_replay / n_entries * 1e6:.0f} µs an entry)",
            "<= 60 s at 1 M",
        ),
    ]
    print("| measure | value | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
