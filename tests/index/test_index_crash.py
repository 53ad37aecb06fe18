"""Crash safety: a writer killed (SIGKILL) at any point of save or update leaves a file that opens.

The writer is a subprocess that keeps replacing the index file (alternating two registries, or
applying change lists to what it reads); the test kills it after a random delay, then opens the
file with full verification: it must be one of the complete versions, answering exactly as that
version did.
"""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from dncguard.registry import Registry

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

SETUP = """
import datetime as dt, sys
import numpy as np
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

US = LayerKey.national("US")

def version(seed):
    rng = np.random.default_rng(seed)
    numbers = (rng.integers(200, 260, 400_000) * 10_000_000 + rng.integers(0, 10_000_000, 400_000))
    cover = {a: dt.date(2026, 3, 10) for a in range(200, 260)}
    return Registry.build([[Chunk(US, Op.REPLACE, numbers.astype(np.uint64), coverage=cover)]])

QUERIES = np.random.default_rng(99).integers(2_000_000_000, 2_600_000_000, 200_000).astype(np.uint64)
"""

SAVE_LOOP = """
path = sys.argv[1]
a, b = version(1), version(2)
print("ready", flush=True)
while True:
    a.save(path)
    b.save(path)
"""

UPDATE_LOOP = """
path = sys.argv[1]
print("ready", flush=True)
rng = np.random.default_rng()
while True:
    r = Registry.open(path)
    adds = (rng.integers(200, 260, 5_000) * 10_000_000 + rng.integers(0, 10_000_000, 5_000)).astype(np.uint64)
    r.update([[Chunk(US, Op.ADD, np.sort(adds)), Chunk(US, Op.DELETE, np.sort(adds[:100]))]]).save(path)
"""


def _namespace() -> dict[str, object]:
    ns: dict[str, object] = {}
    exec(SETUP, ns)
    return ns


def _run_and_kill(script: str, path: pathlib.Path, delay: float) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SETUP + textwrap.dedent(script), str(path)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()


def test_killed_save_leaves_the_previous_or_the_new_file(tmp_path: pathlib.Path) -> None:
    ns = _namespace()
    queries = ns["QUERIES"]
    versions = [ns["version"](s) for s in (1, 2)]  # type: ignore[operator]
    expected = [v.membership(queries).tobytes() for v in versions]
    path = tmp_path / "r.dncg"
    versions[0].save(path)
    rng = np.random.default_rng(0)
    for _ in range(12):
        _run_and_kill(SAVE_LOOP, path, float(rng.uniform(0.0, 1.5)))
        registry = Registry.open(path)  # verifies every checksum
        assert registry.membership(queries).tobytes() in expected


def test_killed_update_leaves_a_file_that_opens_and_answers_as_before(tmp_path: pathlib.Path) -> None:
    ns = _namespace()
    queries = ns["QUERIES"]
    path = tmp_path / "r.dncg"
    ns["version"](1).save(path)  # type: ignore[operator]
    rng = np.random.default_rng(1)
    for _ in range(10):
        before = Registry.open(path)
        before_answers = before.membership(queries).tobytes()
        mtime = path.stat().st_mtime_ns
        _run_and_kill(UPDATE_LOOP, path, float(rng.uniform(0.0, 1.5)))
        after = Registry.open(path)
        assert before.membership(queries).tobytes() == before_answers  # the old mapping still serves
        if path.stat().st_mtime_ns == mtime:
            assert after.membership(queries).tobytes() == before_answers
        assert len(after._indexes[0].numbers()) == after.layers[0].count
        # the history the update added is whole: the version before answers as it did
        assert after.as_of(before.id).membership(queries).tobytes() == before_answers
