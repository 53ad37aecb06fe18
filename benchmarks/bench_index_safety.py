"""Never lose a listed number, refuse a damaged index, and pay nothing for it; prints markdown.

    git archive <old-commit> src | tar -x -C /tmp/dncguard-old      # the code to compare with
    python benchmarks/bench_index_safety.py --old-src /tmp/dncguard-old/src --count 5000000

Measures, in one run:

* duplicates lost: the reproductions of heavy repetition (one number 262,144 times; an exchange
  repeated 30 times; 60 copies of a 5,000-number area-code file; every line of 40 blocks
  repeated 8 times), built as national and state lists: listed numbers missing afterwards;
* flips: random single-bit flips of a small index holding every container type, opened with
  ``verify=False`` (refused at open, refused at query, answered right, answered differently:
  only flips inside containers or dates can do that) and with ``verify=True`` (all refused);
* build speed: ``bench_index.py --build-child`` (generated data fed as shuffled 4M-number
  chunks: sort, deduplicate, encode, save) with this code and with ``--old-src``, alternating;
* ``Guard.check`` on a memory-mapped index (checks the file every 256 lookups) against the same
  bytes in memory (no checks), alternating; ``open`` with ``copy=True`` against the mapping;
* with ``--old-src``, a single probe (Guard.check's per-layer membership test) of the old code
  against the new one, unwatched and watched, on the same arrays, interleaved.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests" / "index"))

from dncguard.guard import Guard  # noqa: E402
from dncguard.layers import Chunk, LayerKey, Op  # noqa: E402
from dncguard.models import Call  # noqa: E402
from dncguard.registry import Registry  # noqa: E402

D1 = dt.date(2026, 3, 10)


def duplicates() -> list[tuple[str, int, int]]:
    """(case, distinct numbers put in, numbers lost) per reproduction and layer kind."""
    rng = np.random.default_rng(0)
    exchange = 2125550000 + np.arange(10_000)
    area = np.unique(2125550000 + rng.integers(0, 200_000, 5_000))
    blocks = np.array([212555 + k for k in range(20)] + [416200 + 7 * k for k in range(20)])
    full = (blocks[:, None] * 10_000 + np.arange(10_000)[None, :]).ravel()
    cases = {
        "one number 262,144 times + one more": np.array([2125550143] * 262_144 + [2125550199]),
        "an exchange repeated 30 times": np.tile(exchange, 30),
        "60 copies of a 5,000-number file": np.tile(area, 60),
        "40 full blocks repeated 8 times": np.tile(full, 8),
    }
    out = []
    for name, numbers in cases.items():
        numbers = numbers.astype(np.uint64)[rng.permutation(len(numbers))]
        distinct = np.unique(numbers)
        npas = {int(a) for a in np.unique(distinct // np.uint64(10_000_000))}
        for key, coverage in (
            (LayerKey.national("US"), dict.fromkeys(npas, D1)),
            (LayerKey.state("US-TX"), {}),
        ):
            registry = Registry.build([[Chunk(key, Op.REPLACE, numbers, coverage=coverage, obtained=D1)]])
            lost = int((~registry.membership(distinct).astype(bool)).sum())
            out.append((f"{name} ({key.name})", len(distinct), lost))
    return out


def flips(count: int) -> dict[str, int]:
    from test_index_attacks import answers, flip_spots, registry

    r = registry()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.dncg"
        r.save(path)
        blob = path.read_bytes()
    expected = answers(r)
    tally = {"refused at open": 0, "refused at query": 0, "answered right": 0, "answered differently": 0}
    tally["other exception"] = 0
    refused_verified = 0
    for at, bit in flip_spots(blob, count, seed=11):
        bad = bytearray(blob)
        bad[at] ^= 1 << bit
        try:
            Registry._from_buffer(bytes(bad))
        except Exception as e:
            refused_verified += type(e).__name__ == "CorruptIndexError"
        try:
            damaged = Registry._from_buffer(bytes(bad), verify=False)
        except Exception as e:
            tally["refused at open" if type(e).__name__ == "CorruptIndexError" else "other exception"] += 1
            continue
        try:
            got = answers(damaged)
        except Exception as e:
            tally["refused at query" if type(e).__name__ == "CorruptIndexError" else "other exception"] += 1
            continue
        tally["answered right" if got == expected else "answered differently"] += 1
    tally["refused with verify=True"] = refused_verified
    return tally


def build_times(args: argparse.Namespace) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"new": [], "old": []}
    env_new = dict(os.environ)
    env_old = {**os.environ, "PYTHONPATH": os.pathsep.join([args.old_src, os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat + 1):  # the first round generates and caches the data: not timed
            for label, env in (("old", env_old), ("new", env_new)):
                if label == "old" and not args.old_src:
                    continue
                cmd = [sys.executable, str(HERE / "bench_index.py"), "--build-child", "--scale", "us"]
                count = args.build_count or args.count
                cmd += ["--count", str(count), "--out", str(Path(tmp) / f"{label}.dncg")]
                done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
                if rep:
                    times[label].append(json.loads(done.stdout.strip().splitlines()[-1])["build_save_s"])
    return times


def guard_check(count: int, repeat: int) -> tuple[float, float, float, float]:
    rng = np.random.default_rng(1)
    numbers = np.unique(rng.integers(2_010_000_000, 9_999_999_999, count)).astype(np.uint64)
    npas = {int(a) for a in np.unique(numbers // np.uint64(10_000_000))}
    today = dt.date.today()
    cover = dict.fromkeys(npas, today)
    chunk = Chunk(LayerKey.national("US"), Op.REPLACE, numbers, coverage=cover, obtained=today)
    registry = Registry.build([[chunk]])
    at = dt.datetime.combine(today, dt.time(14), tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    picks = rng.integers(2_125_550_000, 2_125_560_000, 20_000)
    calls = [Call.model_validate({"to": str(int(n)), "at": at.isoformat(), "seller": "acme"}) for n in picks]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.dncg"
        registry.save(path)
        mapped = Registry.open(path)
        in_memory = Registry._from_buffer(path.read_bytes())
        per: dict[str, list[float]] = {"mapped": [], "memory": []}
        for _ in range(repeat):
            for label, r in (("memory", in_memory), ("mapped", mapped)):
                guard = Guard(r)
                t = time.perf_counter()
                for c in calls:
                    guard.check(c)
                per[label].append((time.perf_counter() - t) / len(calls) * 1e6)
        opens = {"mmap": [], "copy": []}
        for _ in range(repeat):
            for label, copy in (("mmap", False), ("copy", True)):
                t = time.perf_counter()
                Registry.open(path, verify=False, copy=copy)
                opens[label].append((time.perf_counter() - t) * 1e3)
    return (
        statistics.median(per["memory"]),
        statistics.median(per["mapped"]),
        statistics.median(opens["mmap"]),
        statistics.median(opens["copy"]),
    )


def probes(old_src: str, repeat: int) -> dict[str, float]:
    """ns per single probe: the old code's probe, the new one unwatched and watched (a tick every
    256 probes), on the same arrays, interleaved; medians of per-repeat ratios to the old one."""
    import importlib.util

    from dncguard.index import BlockIndex
    from dncguard.index import _codec as new

    spec = importlib.util.spec_from_file_location("_old_codec", Path(old_src) / "dncguard/index/_codec.py")
    assert spec is not None
    assert spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    sys.modules["_old_codec"] = old
    spec.loader.exec_module(old)
    rng = np.random.default_rng(0)
    numbers = np.unique(rng.integers(2_010_000_000, 9_999_999_999, 2_000_000)).astype(np.uint64)
    ix = BlockIndex.from_numbers(numbers)
    views = (
        ix._rows.tolist(),
        ix.directory.data.cast("B").cast("Q"),
        ix.data.data.cast("B"),
        ix._d16.data.cast("B").cast("H"),
        ix._d64.data.cast("B").cast("Q"),
    )
    found = [int(x) for x in numbers[rng.integers(0, len(numbers), 100_000)]]
    queries = found + rng.integers(2_010_000_000, 9_999_999_999, 100_000).tolist()
    made = {
        "old": old.make_probe(*views),
        "new": new.make_probe(*views),
        "new, watched": new.make_probe(*views, tick=lambda: None, every=256),
    }
    times: dict[str, list[float]] = {k: [] for k in made}
    for _ in range(max(repeat, 5)):
        for label, probe in made.items():
            t = time.perf_counter()
            for n in queries:
                probe(n)
            times[label].append((time.perf_counter() - t) / len(queries) * 1e9)
    out = {f"{k} (ns)": statistics.median(v) for k, v in times.items()}
    for k in ("new", "new, watched"):
        out[f"{k} / old"] = statistics.median(a / b for a, b in zip(times[k], times["old"], strict=True))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--old-src", default="", help="a src/ directory of the code to compare build speed with")
    p.add_argument("--count", type=int, default=5_000_000, help="numbers in the build and Guard.check index")
    p.add_argument(
        "--build-count",
        type=int,
        default=0,
        help="numbers in the build-speed comparison only (e.g. 258500000, US scale); default --count",
    )
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--flips", type=int, default=1000)
    args = p.parse_args(argv)
    out = [f"# Index safety ({dt.date.today()}, {args.count:,} numbers, medians of {args.repeat})\n"]
    out += ["| duplicates case | distinct numbers | lost |", "|---|---|---|"]
    out += [f"| {name} | {n:,} | {lost} |" for name, n, lost in duplicates()]
    tally = flips(args.flips)
    out += ["", f"| {args.flips} single-bit flips | files |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in tally.items()]
    times = build_times(args)
    built = args.build_count or args.count
    out += ["", f"| build + save of {built:,} numbers (generated, shuffled chunks) | seconds |", "|---|---|"]
    for label, ts in times.items():
        if ts:
            each = ", ".join(f"{t:.2f}" for t in ts)
            out.append(f"| {label} code | {statistics.median(ts):.2f} ({each}) |")
    if times["old"]:
        ratio = statistics.median(n / o for n, o in zip(times["new"], times["old"], strict=True))
        out.append(f"| new / old (median of per-repeat ratios) | {ratio:.3f} |")
    memory, mapped, open_mmap, open_copy = guard_check(args.count, args.repeat)
    out += ["", "| measure | value |", "|---|---|"]
    out.append(f"| Guard.check, index in memory (no file checks) | {memory:.2f} µs |")
    ratio = mapped / memory
    out.append(f"| Guard.check, mapped index (checked every 256 lookups) | {mapped:.2f} µs ({ratio:.3f}x) |")
    out.append(f"| open(verify=False), mapped | {open_mmap:.2f} ms |")
    out.append(f"| open(verify=False, copy=True) | {open_copy:.2f} ms |")
    if args.old_src:
        out += ["", "| single probe (Guard.check's per-layer test) | value |", "|---|---|"]
        out += [f"| {k} | {v:.3f} |" for k, v in probes(args.old_src, args.repeat).items()]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
