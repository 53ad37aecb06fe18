"""Two versions of dncguard on the same data, in CPU time: ``Guard.check`` per call and
``Guard.scrub`` rows per CPU second, small enough for a shared machine (1M listed numbers,
20,000 calls, 200,000 rows). Run each version in turn, alternating, and compare the medians::

    git archive BASE src | tar -x -C /tmp/base
    for i in 1 2 3 4 5 6; do
      PYTHONPATH=/tmp/base/src python benchmarks/bench_versions.py /tmp/old$i.json 3
      PYTHONPATH=src python benchmarks/bench_versions.py /tmp/new$i.json 3
    done

The version measured is the ``dncguard`` on ``PYTHONPATH`` (its path is printed first).
"""

import argparse
import datetime as dt
import json
import statistics
import time

import numpy as np
import pyarrow as pa

import dncguard
from dncguard.guard import Guard
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("out", help="JSON file the per-repetition figures are written to")
parser.add_argument("reps", nargs="?", type=int, default=1, help="repetitions after one warm-up (default 1)")
args = parser.parse_args()
print(dncguard.__file__)

rng = np.random.default_rng(13)
npas = np.array([212, 305, 512, 713, 415, 617, 416, 514, 604, 202], np.uint64)
nums = npas[rng.integers(0, len(npas), 1_000_000)] * np.uint64(10_000_000) + rng.integers(
    2_000_000, 9_999_999, 1_000_000
).astype(np.uint64)
area = nums // np.uint64(10_000_000)
is_ca = np.isin(area, np.array([416, 514, 604], np.uint64))
us = np.unique(nums[~is_ca])
ca = np.unique(nums[is_ca])
ob = dt.date(2026, 3, 10)
reg = Registry.build(
    [
        [
            Chunk(
                LayerKey.national("US"),
                Op.REPLACE,
                us,
                coverage={int(a): ob for a in (212, 305, 512, 713, 415, 617, 202)},
                obtained=ob,
            )
        ],
        [
            Chunk(
                LayerKey.national("CA"),
                Op.REPLACE,
                ca,
                coverage={int(a): ob for a in (416, 514, 604)},
                obtained=ob,
            )
        ],
        # Florida's and Texas's lists loaded (a few numbers), so that calls into them are decided
        # on their lists in every version (since state_list_not_loaded, a missing one blocks).
        *(
            [
                Chunk(
                    LayerKey.state(region),
                    Op.REPLACE,
                    us[(us // np.uint64(10_000_000)) == npa][:1000],
                    obtained=ob,
                )
            ]
            for region, npa in (("US-FL", 305), ("US-TX", 512))
        ),
    ]
)
guard = Guard(reg)
N = 20_000
picks = rng.integers(0, len(nums), N)
styles = rng.integers(0, 3, N)


def spell(n, s):
    d = str(int(n))
    return (d, f"({d[:3]}) {d[3:6]}-{d[6:]}", f"+1 {d[:3]} {d[3:6]} {d[6:]}")[s]


base = dt.datetime(2026, 3, 16, 13, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
calls = []
for i in range(N):
    c = {
        "to": spell(nums[picks[i]], styles[i]),
        "at": base + dt.timedelta(minutes=int(rng.integers(0, 1440 * 3))),
        "seller": "acme",
        "purpose": "sale",
    }
    if i % 5 == 0:
        c["relationships"] = [
            {"kind": "purchase", "on": dt.date(2025, 11, 1) + dt.timedelta(days=int(rng.integers(0, 300)))}
        ]
    calls.append(dncguard.Call.model_validate(c))


def bench_check():
    t = time.process_time()
    for c in calls:
        guard.check(c)
    return (time.process_time() - t) / N * 1e6


ROWS = 200_000
rp = rng.integers(0, len(nums), ROWS)
rs = rng.integers(0, 3, ROWS)
table = pa.table(
    {
        "to": [spell(nums[rp[i]], rs[i]) for i in range(ROWS)],
        "at": pa.array(
            [base + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 1440 * 3, ROWS)],
            pa.timestamp("us", tz="UTC"),
        ),
        "last_purchase": pa.array(
            [None if i % 4 else dt.date(2025, 6, 1) + dt.timedelta(days=int(i % 300)) for i in range(ROWS)],
            pa.date32(),
        ),
    }
)


def bench_scrub():
    t = time.process_time()
    guard.scrub(table, seller="acme")
    return ROWS / (time.process_time() - t)


bench_check()
bench_scrub()  # warm
res = {"check_us": [], "scrub_rows_s": []}
for _ in range(args.reps):
    res["check_us"].append(bench_check())
    res["scrub_rows_s"].append(bench_scrub())
with open(args.out, "w") as f:
    json.dump(res, f)
print({k: statistics.median(v) for k, v in res.items()})
