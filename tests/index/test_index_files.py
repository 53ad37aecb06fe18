"""Index files under careless and concurrent use: locked updates, temporary files, symbolic
links, and operating-system errors that name the file."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from dncguard.errors import DncguardError, IndexFileError, IndexLockedError
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and signals")
D1 = dt.date(2026, 3, 10)
US = LayerKey.national("US")

PRELUDE = """
import datetime as dt, sys, time
import numpy as np
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry
"""


def python(script: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def small(numbers: list[int], day: dt.date = D1) -> Registry:
    npas = {n // 10_000_000 for n in numbers}
    return Registry.build(
        [
            [
                Chunk(
                    US,
                    Op.REPLACE,
                    np.array(numbers, np.uint64),
                    coverage=dict.fromkeys(npas, day),
                    obtained=day,
                )
            ]
        ]
    )


def temps(directory: pathlib.Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".") and "tmp" in p.name)


# --------------------------------------------------------------------------- the update lock

SLOW_UPDATE = """
path, seller, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
def source():
    print("reading", flush=True)
    time.sleep(delay)  # a slow download: the other update starts meanwhile
    yield Chunk(LayerKey.internal(seller), Op.REPLACE, np.array([2125550100], np.uint64))
Registry.update_file(path, [source()])
print("done", flush=True)
"""


@posix_only
def test_two_concurrent_updates_both_land(tmp_path: pathlib.Path) -> None:
    """Two processes update the same index at once: both updates are in the result (before,
    both read the old file and the second save dropped the first's layer)."""
    path = tmp_path / "r.dncg"
    small([2125550143]).save(path)
    first = python(SLOW_UPDATE, str(path), "first", "1.0")
    assert first.stdout is not None
    assert first.stdout.readline().strip() == b"reading"
    second = python(SLOW_UPDATE, str(path), "second", "0")
    for p in (first, second):
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
    names = [layer.name for layer in Registry.open(path).layers]
    assert names == ["us-ftc", "internal:first", "internal:second"]


HOLD_LOCK = """
import fcntl, os
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)
"""


@posix_only
def test_an_update_that_cannot_get_the_lock_in_time_is_a_named_error(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "r.dncg"
    small([2125550143]).save(path)
    holder = python(HOLD_LOCK, str(path) + ".lock")
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"locked"
        source = [Chunk(LayerKey.internal("acme"), Op.REPLACE, np.array([2125550100], np.uint64))]
        started = time.monotonic()
        with pytest.raises(IndexLockedError, match=r"r\.dncg\.lock"):
            Registry.update_file(path, [source], timeout=0.3)
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.communicate()
    assert [layer.name for layer in Registry.open(path).layers] == ["us-ftc"]


def test_update_file_applies_and_saves(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "r.dncg"
    small([2125550143]).save(path)
    source = [Chunk(US, Op.ADD, np.array([2125550199], np.uint64), coverage={212: D1 + dt.timedelta(days=1)})]
    updated = Registry.update_file(path, [source])
    reopened = Registry.open(path)
    assert reopened.layers == updated.layers
    assert reopened.layers[0].count == 2


# --------------------------------------------------------------------------- temporary files, links


@posix_only
def test_a_symlinked_index_is_updated_through_its_link(tmp_path: pathlib.Path) -> None:
    real = tmp_path / "data" / "r.dncg"
    real.parent.mkdir()
    small([2125550143]).save(real)
    link = tmp_path / "current.dncg"
    link.symlink_to(real)
    source = [Chunk(US, Op.ADD, np.array([2125550199], np.uint64), coverage={212: D1})]
    Registry.update_file(link, [source])
    assert link.is_symlink()
    assert Registry.open(real).layers[0].count == 2
    small([2125550100, 2125550101, 2125550102]).save(link)
    assert link.is_symlink()
    assert Registry.open(real).layers[0].count == 3
    assert temps(tmp_path) == []
    assert temps(real.parent) == []


SAVE_FOREVER = """
path = sys.argv[1]
rng = np.random.default_rng(1)
numbers = np.unique(rng.integers(2_000_000_000, 2_600_000_000, 150_000)).astype(np.uint64)
r = Registry.build([[Chunk(LayerKey.state("US-TX"), Op.REPLACE, numbers, obtained=dt.date(2026, 3, 10))]])
print("ready", flush=True)
while True:
    r.save(path)
"""


def kill_during_saves(tmp_path: pathlib.Path, kills: int, seed: int) -> None:
    path = tmp_path / "r.dncg"
    rng = np.random.default_rng(seed)
    for _ in range(kills):
        proc = python(SAVE_FOREVER, str(path))
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(float(rng.uniform(0.0, 0.4)))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        assert len(temps(tmp_path)) <= 1  # at most the killed writer's own
    small([2125550143]).save(path)  # the next write cleans up after the killed writers
    assert temps(tmp_path) == []
    assert Registry.open(path).layers[0].count == 1


@posix_only
def test_temporary_files_of_killed_writers_are_removed_by_the_next_save(tmp_path: pathlib.Path) -> None:
    kill_during_saves(tmp_path, kills=3, seed=0)


@posix_only
@pytest.mark.slow
def test_many_killed_writers_leave_no_temporary_files(tmp_path: pathlib.Path) -> None:
    kill_during_saves(tmp_path, kills=20, seed=1)


def test_a_temporary_file_of_a_running_writer_is_kept(tmp_path: pathlib.Path) -> None:
    """Only a dead writer's file is removed: a concurrent writer's (this process's) stays."""
    from dncguard import registry as reg

    path = tmp_path / "r.dncg"
    own = pathlib.Path(reg._temp_name(str(path)))
    own.write_bytes(b"in progress")
    small([2125550143]).save(path)
    assert own.exists()


# --------------------------------------------------------------------------- errors name the file

FILE_TOO_BIG = """
import resource, signal
from dncguard.errors import IndexFileError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
numbers = np.arange(2_125_550_000, 2_125_550_000 + 2_000_000, 3, dtype=np.uint64)
r = Registry.build([[Chunk(LayerKey.state("US-TX"), Op.REPLACE, numbers, obtained=dt.date(2026, 3, 10))]])
resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
try:
    r.save(sys.argv[1])
except IndexFileError as e:
    print(type(e).__name__, e.errno, e.filename, str(e), sep="|")
"""


@posix_only
def test_a_write_error_names_the_index_and_leaves_no_temporary_file(tmp_path: pathlib.Path) -> None:
    """The file-size limit stands in for a full disk: the write fails part way."""
    path = tmp_path / "r.dncg"
    proc = python(FILE_TOO_BIG, str(path))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    name, errno, filename, message = out.decode().strip().split("|")
    assert name == "IndexFileError"
    assert int(errno) > 0
    assert filename == str(path)
    assert message.startswith(f"{path}: cannot write the index")
    assert temps(tmp_path) == []
    assert not path.exists()


def test_an_unwritable_directory_names_the_index(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "missing-dir" / "r.dncg"
    with pytest.raises(IndexFileError) as e:
        small([2125550143]).save(path)
    assert isinstance(e.value, DncguardError)
    assert isinstance(e.value, OSError)
    assert str(path.parent) in str(e.value)


@posix_only
def test_opening_a_fifo_or_a_directory_is_refused(tmp_path: pathlib.Path) -> None:
    from dncguard.errors import CorruptIndexError

    fifo = tmp_path / "fifo.dncg"
    os.mkfifo(fifo)
    with pytest.raises(CorruptIndexError, match="not a regular file"):
        Registry.open(fifo)
    with pytest.raises(CorruptIndexError, match="not a regular file"):
        Registry.open(tmp_path)


UPDATE_FOREVER = """
path = sys.argv[1]
rng = np.random.default_rng()
print("ready", flush=True)
day = dt.date(2026, 3, 11)
while True:
    adds = np.sort(2125550000 + rng.integers(0, 40_000, 20_000)).astype(np.uint64)
    Registry.update_file(path, [[Chunk(LayerKey.national("US"), Op.ADD, adds, coverage={212: day})]])
"""


@posix_only
@pytest.mark.slow
def test_updates_killed_at_random_points_leave_a_file_a_lock_and_no_temporary_files(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "r.dncg"
    small([2125550143]).save(path)
    rng = np.random.default_rng(3)
    for _ in range(15):
        proc = python(UPDATE_FOREVER, str(path))
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(float(rng.uniform(0.0, 1.0)))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        # the file opens whole; the killed process's lock died with it
        registry = Registry.open(path)
        assert registry.lookup(2125550143) != ()
        source = [
            Chunk(US, Op.ADD, np.array([2125550144], np.uint64), coverage={212: D1 + dt.timedelta(days=1)})
        ]
        Registry.update_file(path, [source], timeout=10)
        assert temps(tmp_path) == []


def test_temporary_files_named_by_earlier_versions_are_removed_too(tmp_path: pathlib.Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    dead = int(done.stdout)
    path = tmp_path / "r.dncg"
    leftover = tmp_path / f".r.dncg.{dead}.0123abcd.tmp"
    leftover.write_bytes(b"half an index")
    small([2125550143]).save(path)
    assert not leftover.exists()


@posix_only
def test_a_saved_index_keeps_the_permissions_of_the_file_it_replaces(tmp_path: pathlib.Path) -> None:
    """Before, an update turned a 0640 index into 0644 (readable by every user: subscriber data)."""
    path = tmp_path / "r.dncg"
    small([2125550143]).save(path)
    path.chmod(0o640)
    small([2125550144]).save(path)
    assert path.stat().st_mode & 0o777 == 0o640
    Registry.update_file(
        path, [[Chunk(LayerKey.internal("acme"), Op.REPLACE, np.array([2125550100], np.uint64))]]
    )
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_missing_index_is_still_a_file_not_found_error_naming_it(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothing\.dncg"):
        Registry.open(tmp_path / "nothing.dncg")


def test_info_shows_the_registry_id_and_update_takes_the_lock(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from dncguard.cli import main

    path = tmp_path / "r.dncg"
    registry = small([2125550143])
    registry.save(path)
    on = ["--on", D1.isoformat()]  # fresh on the day it was obtained (info exits 1 when stale)
    assert main(["info", str(path), *on]) == 0
    assert registry.id in capsys.readouterr().out
    assert main(["info", str(path), "--format", "json", *on]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == registry.id
    internal = tmp_path / "optouts.csv"
    internal.write_text("number\n2125550100\n")
    assert main(["update", str(path), "--internal", f"acme={internal}"]) == 0  # under the lock
    assert [layer.name for layer in Registry.open(path).layers] == ["us-ftc", "internal:acme"]
    assert (tmp_path / "r.dncg.lock").exists()


@posix_only
def test_build_waits_for_an_update_holding_the_lock(tmp_path: pathlib.Path) -> None:
    """``dncguard build`` over an index an update is working on saves after it: before, the
    update (which read the old index) saved over the build, whose numbers were lost although it
    said it had written them."""
    import threading

    from dncguard.cli import main

    path = tmp_path / "r.dncg"
    small([2125550143]).save(path)
    internal = tmp_path / "optouts.csv"
    internal.write_text("number\n2125550100\n")
    holder = python(HOLD_LOCK, str(path) + ".lock")
    codes: list[int] = []
    build = threading.Thread(
        target=lambda: codes.append(main(["build", "--internal", f"acme={internal}", str(path)]))
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"locked"
        build.start()
        build.join(1.5)
        assert build.is_alive()  # waiting for the lock
        assert [layer.name for layer in Registry.open(path).layers] == ["us-ftc"]
    finally:
        holder.kill()
        holder.communicate()
    build.join(30)
    assert codes == [0]
    assert [layer.name for layer in Registry.open(path).layers] == ["internal:acme"]


@pytest.mark.parametrize("content", [b"number\n2125550100\n", b"DNCG"])
def test_build_refuses_to_replace_a_file_that_is_not_an_index(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    """``dncguard build --internal acme=optouts.csv optouts.csv``: OUT named the seller's list
    (or any file not an index) and the build replaced it; the list was gone."""
    from dncguard.cli import main

    optouts = tmp_path / "optouts.csv"
    optouts.write_bytes(b"number\n2125550100\n")
    out = optouts if content.startswith(b"number") else tmp_path / "other.bin"
    out.write_bytes(content)
    assert main(["build", "--internal", f"acme={optouts}", str(out)]) == 2
    assert "is not a dncguard index" in capsys.readouterr().err
    assert out.read_bytes() == content


def test_build_replaces_an_index_and_writes_an_empty_file(tmp_path: pathlib.Path) -> None:
    from dncguard.cli import main

    optouts = tmp_path / "optouts.csv"
    optouts.write_text("number\n2125550100\n")
    path = tmp_path / "r.dncg"
    small([2125550143]).save(path)
    empty = tmp_path / "empty.dncg"
    empty.touch()
    for out in (path, empty):
        assert main(["build", "--internal", f"acme={optouts}", str(out)]) == 0
        assert [layer.name for layer in Registry.open(out).layers] == ["internal:acme"]
