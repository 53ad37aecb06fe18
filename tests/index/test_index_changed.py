"""An open index changed under its reader: truncated or overwritten in place (``cp`` keeps the
inode). A memory-mapped reader raises IndexChangedError instead of answering from the new bytes
or dying; a reader opened with ``copy=True`` keeps answering from what it opened."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from dncguard.errors import CorruptIndexError, IndexChangedError
from dncguard.guard import Guard
from dncguard.index import TICK_EVERY
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

D1 = dt.date(2026, 3, 10)
US = LayerKey.national("US")


def version(seed: int, n: int = 2000, day: dt.date = D1) -> Registry:
    rng = np.random.default_rng(seed)
    numbers = np.unique(2125550000 + rng.integers(0, 10_000, n) + 10_000 * rng.integers(0, 40, n))
    return Registry.build(
        [[Chunk(US, Op.REPLACE, numbers.astype(np.uint64), coverage={212: day}, obtained=day)]]
    )


def overwrite_in_place(path: pathlib.Path, blob: bytes) -> None:
    """What ``cp new.dncg path`` does: truncate and rewrite the same inode."""
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(blob)


@pytest.fixture
def two_files(tmp_path: pathlib.Path) -> tuple[pathlib.Path, bytes, np.ndarray]:
    path, other = tmp_path / "r.dncg", tmp_path / "new.dncg"
    version(1).save(path)
    version(2).save(other)
    queries = np.arange(2125550000, 2125950000, 7, dtype=np.uint64)
    return path, other.read_bytes(), queries


@pytest.mark.parametrize("same_size", [False, True])
def test_an_index_overwritten_in_place_is_not_served(
    two_files: tuple[pathlib.Path, bytes, np.ndarray], same_size: bool
) -> None:
    path, blob, queries = two_files
    reader = Registry.open(path)
    before = reader.membership(queries)
    old = path.stat()
    if same_size:  # the same numbers obtained a day later: the same length
        version(1, day=D1 + dt.timedelta(days=1)).save(path.with_name("same.dncg"))
        blob = path.with_name("same.dncg").read_bytes()
        assert len(blob) == old.st_size
    overwrite_in_place(path, blob)
    if same_size:  # and the same mtime, as a copy within one clock tick can have
        os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    with pytest.raises(IndexChangedError, match=r"r\.dncg.*changed in place"):
        reader.membership(queries)
    assert isinstance(IndexChangedError("x"), CorruptIndexError)
    assert before.any()


def test_single_lookups_and_guard_check_notice_the_change(
    two_files: tuple[pathlib.Path, bytes, np.ndarray],
) -> None:
    path, blob, _ = two_files
    reader = Registry.open(path)
    guard = Guard(reader)
    call = {"to": "2125550143", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"}
    guard.check(call)
    reader.lookup(2125550143)
    overwrite_in_place(path, blob)
    with pytest.raises(IndexChangedError):
        [reader.lookup(2125550143) for _ in range(TICK_EVERY + 1)]
    with pytest.raises(IndexChangedError):  # distinct numbers: Guard remembers the facts of a call
        [guard.check({**call, "to": str(2125550000 + k)}) for k in range(TICK_EVERY + 1)]
    with pytest.raises(IndexChangedError):  # and once changed, every later lookup raises
        reader.lookup(2125550144)


def test_a_registry_updated_from_an_open_file_keeps_watching_it(
    two_files: tuple[pathlib.Path, bytes, np.ndarray],
) -> None:
    path, blob, queries = two_files
    reader = Registry.open(path)
    derived = reader.update(
        [[Chunk(LayerKey.internal("acme"), Op.REPLACE, np.array([2125550100], np.uint64))]]
    )
    overwrite_in_place(path, blob)
    with pytest.raises(IndexChangedError):
        derived.membership(queries)


def test_a_replaced_file_keeps_serving_its_readers(two_files: tuple[pathlib.Path, bytes, np.ndarray]) -> None:
    path, _, queries = two_files
    reader = Registry.open(path)
    before = reader.membership(queries)
    version(3).save(path)  # a new file renamed over the old name: the reader's file is intact
    assert (reader.membership(queries) == before).all()
    for _ in range(TICK_EVERY + 1):
        reader.lookup(2125550143)


@pytest.mark.parametrize("change", ["truncate", "overwrite"])
def test_a_copied_registry_keeps_serving_what_it_opened(
    two_files: tuple[pathlib.Path, bytes, np.ndarray], change: str
) -> None:
    path, blob, queries = two_files
    reader = Registry.open(path, copy=True)
    before = reader.membership(queries)
    if change == "truncate":
        with open(path, "r+b") as f:
            f.truncate(100)
    else:
        overwrite_in_place(path, blob)
    assert (reader.membership(queries) == before).all()
    assert [x.layer.name for x in reader.lookup(int(queries[before.astype(bool)][0]))] == ["us-ftc"]


TRUNCATED_UNDER_READER = """
import sys
import numpy as np
from dncguard.errors import IndexChangedError
from dncguard.registry import Registry
reader = Registry.open(sys.argv[1])
queries = np.arange(2125550000, 2125950000, 7, dtype=np.uint64)
reader.membership(queries)
print("ready", flush=True)
sys.stdin.readline()
for call in (lambda: reader.membership(queries), lambda: reader.request_dates(queries, 0),
             lambda: [reader.lookup(2125550143) for _ in range(1000)]):
    try:
        call()
    except IndexChangedError as e:
        print("IndexChangedError", flush=True)
    else:
        print("answered", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGBUS is POSIX")
@pytest.mark.parametrize("keep", [0, 100, 5000])
def test_truncating_an_open_index_does_not_kill_its_reader(
    two_files: tuple[pathlib.Path, bytes, np.ndarray], keep: int
) -> None:
    """Before, the reader died of SIGBUS on its next query."""
    path, _, _ = two_files
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(TRUNCATED_UNDER_READER), str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    with open(path, "r+b") as f:
        f.truncate(keep)
    out, err = proc.communicate(b"go\n", timeout=60)
    assert proc.returncode == 0, (proc.returncode, err.decode())
    assert out.decode().split() == ["IndexChangedError"] * 3


@pytest.mark.parametrize("updated", [True, False])
def test_an_index_changed_in_place_is_not_saved_with_fresh_checksums(
    tmp_path: pathlib.Path, updated: bool
) -> None:
    """A bit cleared in place (in the bitmap of the dense block) after open: before, an update and
    save (the history already read, so nothing else looked at the file) wrote the changed bytes
    under fresh checksums and a fresh id, and every later verified open served them."""
    from dncguard.index import _format as fmt

    numbers = np.arange(2125550000, 2125560000, 2, dtype=np.uint64)
    path, out = tmp_path / "r.dncg", tmp_path / "out.dncg"
    Registry.build([[Chunk(US, Op.REPLACE, numbers, coverage={212: D1})]]).save(path)
    registry = Registry.open(path)
    assert registry.history  # read now: later steps need not look at the file again
    data = fmt.read_header(path.read_bytes(), path.stat().st_size).sections[2]
    with open(path, "r+b") as f:  # as a program writing into the file in place would
        f.seek(data.offset + (142 >> 3))
        byte = f.read(1)[0]
        f.seek(data.offset + (142 >> 3))
        f.write(bytes([byte & ~(1 << (142 & 7)) & 0xFF]))
    acme = [Chunk(LayerKey.internal("acme"), Op.REPLACE, np.array([3055550100], np.uint64))]
    with pytest.raises(IndexChangedError, match="changed in place"):
        (registry.update([acme]) if updated else registry).save(out)
    assert not out.exists()
    assert not [p.name for p in tmp_path.iterdir() if "tmp" in p.name]
