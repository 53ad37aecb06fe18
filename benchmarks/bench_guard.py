"""Benchmark: ``Guard.check`` on one call given as a dict with a messy number string.

Reproduce (2 cores; the first run builds and saves the US-scale index, a few minutes; later runs
memory-map it; writes ``benchmarks/results/guard.md``)::

    python benchmarks/generate.py --scale us          # once: benchmarks/out/us-258500000-20260310.npy
    python benchmarks/bench_guard.py --calls 20000 --repeat 5

What it measures: a dialer's question, one call at a time, single-threaded. Each call is a plain
dict (``to``, ``at``, ``seller``, sometimes ``purpose`` and ``relationships``) with the number in
one of the spellings CRMs hold (``(212) 555-0143``, ``+1 212.555.0143``, ``Tel: 212-555-0143 x12``
...), half of them numbers the registry lists. The registry is the synthetic US-scale national
list (``generate.py``: 258.5 M numbers clustered like real registrations, every US area code
covered and fresh), a Texas state list of 500,000 numbers and a seller's internal list of
100,000. Each call is timed on its own, and ``phonenumbers.parse`` of the same string right after
it, so both see the same machine state; the report gives the medians per call and their ratio
(the target: ``Guard.check`` under 20 microseconds, i.e. less than twice a bare
``phonenumbers.parse`` of the string on the machines PERF-NOTES.md describes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import phonenumbers

sys.path.insert(0, str(Path(__file__).parent))

from dncguard.guard import Guard
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry
from generate import generate

OUT = Path(__file__).parent / "out"
RESULTS = Path(__file__).parent / "results" / "guard.md"
SEED = 20260310
OBTAINED = dt.date(2026, 3, 10)
AT = "2026-03-16T14:00:00-04:00"  # a Monday afternoon in the Eastern zone, 6 days after download

SPELLINGS = (
    "({a}) {e}-{l}",
    "+1 {a}.{e}.{l}",
    "1-{a}-{e}-{l}",
    "{a} {e} {l} ext. 12",
    "Tel: +1 ({a}) {e}-{l}",
    "{a}{e}{l}",
)


def messy(n: int, i: int) -> str:
    s = str(n)
    return SPELLINGS[i % len(SPELLINGS)].format(a=s[:3], e=s[3:6], l=s[6:])


def national_numbers(count: int) -> np.ndarray:
    path = OUT / f"us-{count}-{SEED}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r")
    numbers, _ = generate(count, "US", SEED)
    OUT.mkdir(exist_ok=True)
    np.save(path, numbers)
    return numbers


def registry(count: int, name: str = "guard") -> tuple[Registry, np.ndarray, str]:
    """The index: ``count`` national listings (``generate.py``), a Texas list, acme's internal list.

    Saved as ``benchmarks/out/{name}-us-{count}.dncg`` and reused; ``bench_bulk.py`` uses it too.
    """
    numbers = national_numbers(count)
    path = OUT / f"{name}-us-{count}.dncg"
    if path.exists():
        t = time.perf_counter()
        reg = Registry.open(path)
        return reg, numbers, f"opened `{path.name}` in {time.perf_counter() - t:.2f} s"
    rng = np.random.default_rng(SEED)
    npas = sorted(
        {int(n) for n in np.unique(np.asarray(numbers[:: max(1, len(numbers) // 1_000_000)]) // 10**7)}
    )
    tx_npas = np.array([512, 214, 713, 210, 817, 915], dtype=np.uint64)
    tx = np.unique(
        tx_npas[rng.integers(0, len(tx_npas), 500_000)] * np.uint64(10**7)
        + rng.integers(2_000_000, 10**7, 500_000).astype(np.uint64)
    )
    internal = np.unique(np.asarray(numbers)[rng.integers(0, len(numbers), 100_000)])
    dates = (np.datetime64("2024-01-01") + rng.integers(0, 800, len(internal))).astype("datetime64[D]")
    t = time.perf_counter()
    reg = Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    np.asarray(numbers),
                    coverage=dict.fromkeys(npas, OBTAINED),
                    obtained=OBTAINED,
                )
            ],
            [Chunk(LayerKey.state("US-TX"), Op.REPLACE, tx, obtained=dt.date(2026, 1, 1))],
            [Chunk(LayerKey.internal("acme"), Op.REPLACE, internal, dates=dates)],
        ]
    )
    built = time.perf_counter() - t
    reg.save(path)
    del reg
    reg = Registry.open(path)
    return reg, numbers, f"built in {built:.0f} s and saved as `{path.name}`, then opened"


def sample_calls(numbers: np.ndarray, n: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(SEED + 1)
    listed = np.asarray(numbers)[rng.integers(0, len(numbers), n)]
    # Unlisted neighbours: the same blocks, other lines (most are not registered).
    others = listed - listed % np.uint64(10_000) + rng.integers(0, 10_000, n).astype(np.uint64)
    purchase_ago = rng.integers(1, 731, n)
    calls: list[dict[str, Any]] = []
    for i in range(n):
        number = int(listed[i] if i % 2 else others[i])
        call: dict[str, Any] = {"to": messy(number, i), "at": AT, "seller": "acme"}
        if i % 5 == 0:
            # a purchase on one of the last 730 days: within the 18-month window or not
            on = dt.date(2026, 3, 16) - dt.timedelta(days=int(purchase_ago[i]))
            call["relationships"] = [{"kind": "purchase", "on": on.isoformat()}]
        if i % 7 == 0:
            call["purpose"] = "survey"
        calls.append(call)
    return calls


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=258_500_000, help="national list size (default: US scale)")
    p.add_argument("--calls", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--out", default=str(RESULTS))
    args = p.parse_args(argv)

    lines: list[str] = []

    def say(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    reg, numbers, how = registry(args.count)
    guard = Guard(reg)
    calls = sample_calls(numbers, args.calls)
    decisions = [guard.check(c) for c in calls]  # warm: area-code caches, policy cache, page faults
    allowed = sum(d.allowed for d in decisions)

    check_medians, parse_medians, ratios = [], [], []
    perf = time.perf_counter_ns
    for _ in range(args.repeat):
        tc, tp = [], []
        for c in calls:
            t0 = perf()
            guard.check(c)
            t1 = perf()
            phonenumbers.parse(c["to"], "US")
            t2 = perf()
            tc.append(t1 - t0)
            tp.append(t2 - t1)
        mc, mp = statistics.median(tc) / 1000, statistics.median(tp) / 1000
        check_medians.append(mc)
        parse_medians.append(mp)
        ratios.append(mc / mp)
    t = time.perf_counter()
    guard.check_many(calls)
    many = (time.perf_counter() - t) / len(calls) * 1e6

    mc, mp, ratio = (
        statistics.median(check_medians),
        statistics.median(parse_medians),
        statistics.median(ratios),
    )
    say("<!-- Generated by benchmarks/bench_guard.py; rerun it to refresh. -->")
    say("# Guard.check: one call, single-threaded\n")
    say(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, {platform.system()}."
    )
    say(
        f"Registry: synthetic national list of {len(numbers):,} numbers"
        f" (benchmarks/generate.py, seed {SEED}), a Texas list and an internal list; {how}."
    )
    say(
        f"Calls: {len(calls):,} dicts with messy number strings (half listed; 20% with a purchase on"
        f" one of the last 730 days, 1 in 7 surveys); {allowed:,} allowed."
        f" Medians over {args.repeat} rounds of per-call medians.\n"
    )
    say("| measure | median per call |")
    say("|---|---|")
    say(f"| `guard.check(dict)` | {mc:.1f} µs |")
    say(f"| `phonenumbers.parse(s, 'US')` of the same string, same run | {mp:.1f} µs |")
    say(f"| ratio check / parse | {ratio:.2f} |")
    say(f"| `guard.check_many(calls)`, mean per call | {many:.1f} µs |")
    say(
        "\nTarget: median under 20 µs per call. Per round: check"
        f" {', '.join(f'{x:.1f}' for x in check_medians)} µs; ratio {', '.join(f'{x:.2f}' for x in ratios)}."
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
