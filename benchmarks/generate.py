"""Generate a realistic synthetic do-not-call registry (never real data), seeded and reproducible.

Clustered as PERF-NOTES.md describes: only area codes in service (the NPAs ``phonenumbers``
assigns to the country), 35-85% of the exchanges of each (uniform per area code), and a density
per active block drawn from Beta(1.6, 9) (mean 15.1% of the 10,000 lines); each line of a block is
registered independently with the block's density. Area codes are filled in increasing order until
the target count, then the sorted array is cut at exactly the target.

Also computes the information-theoretic size floor of the generated set: the sum over blocks of
log2 C(10000, n), in bytes and bits per number.

    python benchmarks/generate.py --scale us     # 258.5 M numbers -> benchmarks/out/us-<seed>.npy
    python benchmarks/generate.py --scale ca     # 15 M numbers
    python benchmarks/generate.py --count 1000000 --scale us --out /tmp/small.npy

Usable as a module: ``generate(count, country, seed) -> (sorted uint64 numbers, info dict)``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

SCALES = {"us": ("US", 258_500_000), "ca": ("CA", 15_000_000)}
OUT = Path(__file__).parent / "out"


def area_codes(country: str) -> list[int]:
    """Area codes ``phonenumbers`` places in ``country`` (a few sample exchanges must be valid)."""
    import phonenumbers as pn

    out = []
    for npa in range(200, 1000):
        regions = []
        for nxx in (234, 345, 456, 567, 678, 789, 890, 222):
            x = pn.parse(f"+1{npa}{nxx}1234")
            if pn.is_valid_number(x):
                regions.append(pn.region_code_for_number(x))
        if regions and max(set(regions), key=regions.count) == country:
            out.append(npa)
    return out


def floor_bits(counts: npt.NDArray[np.int64]) -> float:
    """Sum over blocks of log2 C(10000, n): the fewest bits any encoding of the set can use."""
    lg = np.vectorize(math.lgamma, otypes=[float])
    n = counts.astype(float)
    return float(((lg(10001.0) - lg(n + 1) - lg(10001.0 - n)) / math.log(2)).sum())


def generate(
    count: int, country: str = "US", seed: int = 20260310
) -> tuple[npt.NDArray[np.uint64], dict[str, Any]]:
    """``count`` distinct sorted numbers clustered like a real registry, and facts about them."""
    rng = np.random.default_rng(seed)
    npas = np.array(area_codes(country))
    rng.shuffle(npas)
    # choose area codes in random order until the expected count covers the target, then sort
    plan = []
    expected = 0.0
    for npa in npas:
        active = rng.uniform(0.35, 0.85)
        nxx = np.sort(rng.choice(np.arange(200, 1000), size=round(800 * active), replace=False))
        dens = rng.beta(1.6, 9.0, size=len(nxx))
        plan.append((int(npa), nxx, dens))
        expected += float(dens.sum()) * 10_000
        if expected > count * 1.03:
            break
    plan.sort(key=lambda p: p[0])
    prefixes = np.concatenate([npa * 1000 + nxx for npa, nxx, _ in plan]).astype(np.int64)
    dens = np.concatenate([d for _, _, d in plan]).astype(np.float32)
    out = np.empty(int(count * 1.1) + 1_000_000, np.uint64)
    filled = 0
    step = 2048
    lines = np.arange(10_000, dtype=np.uint64)
    for i in range(0, len(prefixes), step):
        u = rng.random((min(step, len(prefixes) - i), 10_000), dtype=np.float32)
        row, col = np.nonzero(u < dens[i : i + step, None])
        nums = prefixes[i : i + step][row].astype(np.uint64) * np.uint64(10_000) + lines[col]
        take = min(len(nums), len(out) - filled)
        out[filled : filled + take] = nums[:take]
        filled += take
        if filled >= count:
            break
    if filled < count:
        raise RuntimeError(f"generated {filled} numbers, fewer than {count}: not enough area codes")
    numbers = out[:count].copy()
    del out
    pre = numbers // np.uint64(10_000)
    starts = np.concatenate([[0], np.flatnonzero(pre[1:] != pre[:-1]) + 1])
    counts = np.diff(np.append(starts, len(numbers))).astype(np.int64)
    fb = floor_bits(counts)
    info = {
        "generated_by": "benchmarks/generate.py",
        "country": country,
        "seed": seed,
        "count": count,
        "area_codes": len({int(p) // 1000 for p in pre[starts]}),
        "blocks": len(starts),
        "mean_block_density": float(counts.mean() / 10_000),
        "floor_bytes": fb / 8,
        "floor_bits_per_number": fb / count,
    }
    return numbers, info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="us")
    p.add_argument("--count", type=int, help="numbers to generate (default: the scale's)")
    p.add_argument("--seed", type=int, default=20260310)
    p.add_argument("--out", type=Path, help="output .npy (default benchmarks/out/<scale>-<seed>.npy)")
    args = p.parse_args(argv)
    country, default = SCALES[args.scale]
    count = args.count or default
    out = args.out or OUT / f"{args.scale}-{count}-{args.seed}.npy"
    out.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    numbers, info = generate(count, country, args.seed)
    info["seconds"] = round(time.perf_counter() - t, 1)
    np.save(out, numbers)
    out.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2), file=sys.stderr)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
