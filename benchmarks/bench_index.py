"""Benchmark the registry index against plain baselines in the same run; prints markdown.

    python benchmarks/generate.py --scale us            # once: benchmarks/out/us-258500000-20260310.npy
    python benchmarks/bench_index.py --scale us --write # -> benchmarks/results/index.md

Measures, on the generated set (synthetic, clustered like PERF-NOTES.md describes):

* size of the saved file against the information-theoretic floor, and where each container
  choice lands (smallest container; bitmap preferred up to 1.25x / 1.5x; bitmap + array only);
* build from the generated arrays (fed as 4-million-number chunks in shuffled order, so the build
  sorts) in a subprocess: wall time and peak RSS;
* open with and without checksum verification;
* single ``lookup`` of an ``int`` against ``int in frozenset`` (20 million numbers);
* bulk ``membership`` of 10 million queries against sort + ``np.searchsorted`` into the sorted
  ``uint64`` array, and a Python loop of ``x in frozenset``;
* ``update`` with a change list of 100,000 additions and deletions (then save).

Every figure is a median of repeated runs; ratios compare runs of the same process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from dncguard.index import _codec, sort_unique  # noqa: E402
from dncguard.layers import Chunk, LayerKey, Op  # noqa: E402
from dncguard.registry import Registry  # noqa: E402
from generate import OUT, SCALES, generate  # noqa: E402

OBTAINED = dt.date(2026, 3, 10)


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
        del result  # freeing it (an unmap, say) is not part of the timing
    return statistics.median(times)


def numbers_for(scale: str, count: int | None, seed: int) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
    country, default = SCALES[scale]
    count = count or default
    path = OUT / f"{scale}-{count}-{seed}.npy"
    if path.exists() and path.with_suffix(".json").exists():
        return np.load(path, mmap_mode="r"), json.loads(path.with_suffix(".json").read_text())
    numbers, info = generate(count, country, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, numbers)
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    return np.load(path, mmap_mode="r"), info


def source(numbers: np.ndarray[Any, Any], country: str, seed: int) -> list[Chunk]:
    """The generated set as a full-download source: 4M-number chunks in shuffled order."""
    key = LayerKey.national(country)
    npas = np.unique(np.asarray(numbers[:: max(1, len(numbers) // 100_000)]) // 10_000_000)
    last = int(numbers[-1]) // 10_000_000
    cover = {int(a): OBTAINED for a in np.append(npas, last)}
    step = 1 << 22
    order = np.random.default_rng(seed).permutation(range(0, len(numbers), step))
    return [Chunk(key, Op.REPLACE, np.asarray(numbers[i : i + step]), coverage=cover) for i in order]


def build_child(args: argparse.Namespace) -> int:
    """Subprocess body: build + save, print wall time and peak RSS as JSON."""
    numbers, _ = numbers_for(args.scale, args.count, args.seed)
    country = SCALES[args.scale][0]
    t = time.perf_counter()
    registry = Registry.build([iter(source(numbers, country, args.seed))])
    built = time.perf_counter() - t
    registry.save(args.out)
    total = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"build_s": built, "build_save_s": total, "peak_rss": rss}))
    return 0


def containers(registry: Registry) -> dict[str, tuple[int, int]]:
    ix = registry._indexes[0]
    _, entries = ix.blocks()
    sizes = _codec.container_sizes(entries)
    kinds = (entries & np.uint64(3)).astype(np.int64)
    names = {_codec.BITMAP: "bitmap", _codec.ARRAY: "array", _codec.PACKED: "packed"}
    return {names[k]: (int((kinds == k).sum()), int(sizes[kinds == k].sum())) for k in names}


def variants(
    say: Callable[[str], None],
    numbers: np.ndarray[Any, Any],
    floor_bytes: float,
    q: np.ndarray[Any, Any],
    repeat: int,
) -> None:
    """Where each container choice lands: size against bulk speed, on the same numbers and queries."""
    from dncguard.index import BlockIndex

    n = len(numbers)

    def baseline() -> object:
        s = np.sort(q)
        return numbers[np.minimum(np.searchsorted(numbers, s), n - 1)] == s

    say("## Container choice: size against bulk speed\n")
    say(
        f"The same {n / 1e6:.1f}M numbers and {len(q) / 1e6:.0f}M queries (50% listed, 50% random "
        "lines of active blocks), each variant encoded in memory; its bulk rate and the sort + "
        f"`np.searchsorted` baseline are measured alternately ({repeat} runs; rates are medians, the "
        "speed-up the median of per-run ratios). Size counts "
        "the containers, directory and pages (the file adds a few kB of header).\n"
    )
    say("| containers | x floor | bitmap blocks | packed blocks | bulk | baseline | speed-up |")
    say("|---|---|---|---|---|---|---|")
    cases = [
        ("smallest of bitmap / array / packed (the default)", 1.0, True),
        ("bitmap preferred up to 1.25x the smallest", 1.25, True),
        ("bitmap preferred up to 1.5x the smallest", 1.5, True),
        ("bitmap + array only (Roaring-style)", 1.0, False),
    ]
    saved = (_codec.BITMAP_BIAS, _codec.ALLOW_PACKED)
    try:
        for label, bias, packed in cases:
            _codec.BITMAP_BIAS, _codec.ALLOW_PACKED = bias, packed
            ix = BlockIndex.from_numbers(numbers)
            _, entries = ix.blocks()
            kinds = (entries & np.uint64(3)).astype(np.int64)
            size = ix.data.nbytes + ix.directory.nbytes + ix.pages.nbytes
            ix.contains(q)
            t_ix, t_base = [], []
            for _ in range(repeat):
                t_ix.append(median_time(lambda ix=ix: ix.contains(q), 1))
                t_base.append(median_time(baseline, 1))
            r_ix = len(q) / statistics.median(t_ix) / 1e6
            r_base = len(q) / statistics.median(t_base) / 1e6
            bitmaps = int((kinds == _codec.BITMAP).sum())
            packs = int((kinds == _codec.PACKED).sum())
            say(
                f"| {label} | {size / floor_bytes:.2f} | {bitmaps:,} | {packs:,} | "
                f"{r_ix:.1f} M/s | {r_base:.1f} M/s | "
                f"{statistics.median(b / i for i, b in zip(t_ix, t_base, strict=True)):.1f}x |"
            )
    finally:
        _codec.BITMAP_BIAS, _codec.ALLOW_PACKED = saved
    say("")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="us")
    p.add_argument("--count", type=int)
    p.add_argument("--seed", type=int, default=20260310)
    p.add_argument("--queries", type=int, default=10_000_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--write", action="store_true", help="write benchmarks/results/index.md")
    p.add_argument("--variants-only", action="store_true", help="only the container-choice table")
    p.add_argument("--build-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", default=str(OUT / "bench.dncg"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.build_child:
        return build_child(args)
    if args.variants_only:
        numbers, info = numbers_for(args.scale, args.count, args.seed)
        numbers = np.ascontiguousarray(numbers)
        rng = np.random.default_rng(args.seed + 2)
        half = args.queries // 2
        q = numbers[rng.integers(0, len(numbers), half)]
        lines = rng.integers(0, 10_000, half, dtype=np.uint64)
        q = np.concatenate([q, (q // np.uint64(10_000)) * np.uint64(10_000) + lines])
        rng.shuffle(q)
        out: list[str] = []
        variants(out.append, numbers, info["floor_bytes"], q, args.repeat)
        print("\n".join(out))
        return 0

    numbers, info = numbers_for(args.scale, args.count, args.seed)
    n = len(numbers)
    floor = info["floor_bytes"]
    rows: list[str] = []
    say = rows.append
    cmd = f"python benchmarks/bench_index.py --scale {args.scale}" + (
        f" --count {args.count}" if args.count else ""
    )
    say(f"# Index benchmarks ({args.scale.upper()} scale, {n:,} numbers)\n")
    say(
        f"Generated by `{cmd}` on {dt.date.today()} ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}). Data: `benchmarks/generate.py "
        f"--scale {args.scale} --seed {args.seed}` ({info['area_codes']} area codes, {info['blocks']:,} "
        f"active blocks, mean density {info['mean_block_density']:.3f}); floor = sum over blocks of "
        f"log2 C(10000, n) = {floor / 1e6:.1f} MB ({info['floor_bits_per_number']:.2f} bits/number). "
        f"Medians of {args.repeat} runs unless noted.\n"
    )

    # build in a subprocess (peak RSS of the build alone)
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--build-child",
            "--scale",
            args.scale,
            "--seed",
            str(args.seed),
            "--out",
            str(path),
        ]
        + (["--count", str(args.count)] if args.count else []),
        check=True,
        capture_output=True,
        text=True,
    )
    b = json.loads(child.stdout.strip().splitlines()[-1])
    say("## Build\n")
    say("| step | result | target |\n|---|---|---|")
    say(f"| build (4M-number chunks, shuffled: sort + dedupe + encode) | {b['build_s']:.1f} s | < 180 s |")
    say(f"| build + atomic save | {b['build_save_s']:.1f} s | |")
    say(f"| peak RSS of the build process | {b['peak_rss'] / 2**30:.2f} GiB | < 8 GiB |\n")

    # size and container mix
    size = path.stat().st_size
    registry = Registry.open(path)
    say("## Size\n")
    say("| layout | bytes | bits/number | x floor |\n|---|---|---|---|")
    say(f"| information-theoretic floor | {floor / 1e6:.1f} MB | {8 * floor / n:.2f} | 1.00 |")
    say(
        f"| **index file (smallest container per block)** | {size / 1e6:.1f} MB | {8 * size / n:.2f} | "
        f"**{size / floor:.2f}** |"
    )
    say(f"| sorted `uint64` array | {8 * n / 1e6:.1f} MB | 64.00 | {8 * n / floor:.2f} |")
    mix = containers(registry)
    say(
        "\nContainer mix of the index file (blocks, bytes): "
        + ", ".join(f"{k} {c:,} blocks / {s / 1e6:.1f} MB" for k, (c, s) in mix.items())
        + ".\n"
    )

    # open
    t_verify = median_time(lambda: Registry.open(path), args.repeat)
    t_noverify = median_time(lambda: Registry.open(path, verify=False), max(args.repeat, 20))
    say("## Open (file in the page cache)\n")
    say("| open | time | target |\n|---|---|---|")
    say(f"| `Registry.open(path)` (all checksums) | {t_verify * 1000:.0f} ms | < 1000 ms |")
    say(f"| `Registry.open(path, verify=False)` | {t_noverify * 1000:.2f} ms | < 10 ms |\n")

    # queries
    rng = np.random.default_rng(args.seed + 1)
    nq = args.queries
    member_q = np.asarray(numbers)[rng.integers(0, n, nq // 2)]
    prefixes = np.asarray(numbers[::997]) // np.uint64(10_000)
    block_q = prefixes[rng.integers(0, len(prefixes), nq - nq // 2)] * np.uint64(10_000) + rng.integers(
        0, 10_000, nq - nq // 2, dtype=np.uint64
    )
    mixed = np.concatenate([member_q, block_q])
    rng.shuffle(mixed)
    uniform = rng.integers(2_000_000_000, 10_000_000_000, nq, dtype=np.uint64)
    sorted_arr = np.ascontiguousarray(numbers)  # in memory, as the baseline would hold it

    def baseline(q: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        s = np.sort(q)
        i = np.searchsorted(sorted_arr, s)
        return sorted_arr[np.minimum(i, n - 1)] == s

    check = registry.membership(mixed[:1_000_000]) == 1
    expect = (
        sorted_arr[np.minimum(np.searchsorted(sorted_arr, mixed[:1_000_000]), n - 1)] == mixed[:1_000_000]
    )
    assert np.array_equal(check, expect), "membership disagrees with the sorted array"

    set_n = 20_000_000
    fs = frozenset(np.asarray(numbers)[rng.integers(0, n, set_n)].tolist())
    gc.collect()
    gc.freeze()  # the set's 20M ints stay out of the collector's passes, as in a long-lived service
    loop_q = mixed[:1_000_000].tolist()

    def set_loop() -> None:
        for x in loop_q:
            x in fs  # noqa: B015 - the membership test is what is timed

    say("## Bulk membership (10 million queries, `uint64` array in, bit masks out)\n")
    say(
        "Each repeat times `registry.membership`, the baseline and the frozenset loop back to back; "
        "the speed-up is the median of the per-repeat ratios (the machine is shared and noisy).\n"
    )
    say(
        "| queries | `registry.membership` | sort + `np.searchsorted` | speed-up | "
        "Python loop `x in frozenset` | speed-up |\n|---|---|---|---|---|---|"
    )
    registry.membership(mixed)  # warm-up: the first pass over a fresh mapping takes its page faults
    baseline(mixed)
    for label, q in (
        ("50% listed, 50% random lines of active blocks", mixed),
        ("uniform random 10-digit", uniform),
    ):
        runs = [
            (
                median_time(lambda q=q: registry.membership(q), 1) / nq,
                median_time(lambda q=q: baseline(q), 1) / nq,
                median_time(set_loop, 1) / len(loop_q),
            )
            for _ in range(args.repeat)
        ]
        per_ix, per_base, per_set = (statistics.median(r[k] for r in runs) for k in range(3))
        vs_base = statistics.median(r[1] / r[0] for r in runs)
        vs_set = statistics.median(r[2] / r[0] for r in runs)
        say(
            f"| {label} | {1e-6 / per_ix:.1f} M/s | {1e-6 / per_base:.1f} M/s | **{vs_base:.1f}x** | "
            f"{1e-6 / per_set:.1f} M/s | **{vs_set:.1f}x** |"
        )
    say(
        f"\nTargets: at least 2x sort + searchsorted, at least 3x the frozenset loop (a frozenset of "
        f"{set_n / 1e6:.0f}M numbers; of all {n / 1e6:.0f}M it would not fit in memory).\n"
    )

    # single lookups: plain loops that discard each answer, as a caller checking one number does
    single_q = mixed[:200_000].tolist()
    lookup = registry.lookup
    probe = registry._indexes[0].contains_one

    def loop_in() -> None:
        for x in single_q:
            x in fs  # noqa: B015 - the membership test is what is timed

    def loop_lookup() -> None:
        for x in single_q:
            lookup(x)

    def loop_probe() -> None:
        for x in single_q:
            probe(x)

    runs = [
        (median_time(loop_in, 1), median_time(loop_lookup, 1), median_time(loop_probe, 1))
        for _ in range(args.repeat)
    ]
    per = len(single_q)
    t_in, t_lookup, t_probe = (statistics.median(r[k] for r in runs) / per for k in range(3))
    r_lookup = statistics.median(r[1] / r[0] for r in runs)
    r_probe = statistics.median(r[2] / r[0] for r in runs)
    say("## Single lookup from Python (an `int` already parsed)\n")
    say(
        f"{per:,} numbers (half listed, half random lines of active blocks), each call in a plain "
        "loop; the ratio is the median of per-repeat ratios.\n"
    )
    say("| call | per call | vs `int in frozenset` | target |\n|---|---|---|---|")
    say(f"| `x in frozenset` (20M numbers) | {t_in * 1e9:.0f} ns | 1.0x | |")
    lookup_row = (
        f"| `registry.lookup(x)` (tuple of `Listing`) | {t_lookup * 1e9:.0f} ns | **{r_lookup:.1f}x**"
    )
    say(lookup_row + " | within 10x |")
    say(f"| layer probe only (`contains_one`) | {t_probe * 1e9:.0f} ns | {r_probe:.1f}x | |\n")

    # update
    adds = sort_unique(block_q[:200_000])
    adds = adds[~registry.membership(adds).astype(bool)]
    adds = np.sort(adds[rng.permutation(len(adds))[:50_000]])
    dels = sort_unique(np.asarray(numbers)[rng.integers(0, n, 50_100)])[:50_000]
    key = LayerKey.national(SCALES[args.scale][0])
    day = OBTAINED + dt.timedelta(days=1)
    npas = {int(x) for x in np.concatenate([adds, dels]) // np.uint64(10_000_000)}
    cover = dict.fromkeys(sorted(npas), day)
    changes = [Chunk(key, Op.ADD, adds, coverage=cover), Chunk(key, Op.DELETE, dels, coverage=cover)]
    out2 = path.with_name("bench-updated.dncg")
    times = []
    for _ in range(max(1, args.repeat // 2)):
        t = time.perf_counter()
        updated = registry.update([changes])
        t_upd = time.perf_counter() - t
        updated.save(out2)
        times.append((t_upd, time.perf_counter() - t))
    t_upd, t_upd_save = statistics.median(x[0] for x in times), statistics.median(x[1] for x in times)
    say("## Update\n")
    say("| step | time | target |\n|---|---|---|")
    change = f"{len(adds):,} additions + {len(dels):,} deletions"
    say(f"| `registry.update` with {change} | {t_upd:.1f} s | < 30 s |")
    say(f"| update + atomic save | {t_upd_save:.1f} s | |\n")

    del updated
    gc.collect()
    variants(say, sorted_arr, floor, mixed, args.repeat)

    text = "\n".join(rows) + "\n"
    print(text)
    if args.write:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "index.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
