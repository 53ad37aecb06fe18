"""The memory the command line takes: the Arrow allocator it runs with
(``dncguard.cli._common._arrow_memory``), the CSV reader's read-ahead."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pytest
from small_index import save_index

from dncguard.cli import _sizes, _tablefile
from dncguard.cli._common import _arrow_memory


def _has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True


@pytest.mark.skipif(not _has_jemalloc(), reason="this pyarrow has no jemalloc")
def test_a_command_allocates_with_jemalloc_and_restores_the_default_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batches of tens of megabytes are allocated and dropped again and again: jemalloc keeps
    their pages for the next batch, where the default hands them back to the system."""
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool().backend_name
    with _arrow_memory():
        assert pa.default_memory_pool().backend_name == "jemalloc"
        assert len(pa.array(range(1000))) == 1000
    assert pa.default_memory_pool().backend_name == before


def test_an_allocator_the_user_chose_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    before = pa.default_memory_pool().backend_name
    with _arrow_memory():
        assert pa.default_memory_pool().backend_name == before
    assert pa.default_memory_pool().backend_name == before


def test_the_default_is_restored_after_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool().backend_name
    with pytest.raises(ValueError, match="bad"), _arrow_memory():
        raise ValueError("bad")
    assert pa.default_memory_pool().backend_name == before


def test_a_large_csv_file_is_read_at_most_a_bounded_amount_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrow's CSV reader reads up to 32 blocks ahead of the parsing, in a thread of its own: with
    blocks of 32 MiB, the whole of a 256 MiB file was held once its first batch was taken (and
    1 GiB of a larger one), so ``check`` took more memory for a larger file. Blocks of at most
    4 MiB bound that read-ahead to 128 MiB, whatever the file's size."""
    monkeypatch.delenv(_sizes.BATCH_ROWS_VARIABLE, raising=False)
    path = tmp_path / "calls.csv"
    line = b"212-555-0101,2026-03-16T14:00:00-04:00,acme\n"
    chunk = line * ((1 << 20) // len(line))
    with open(path, "wb") as f:
        f.write(b"to,at,seller\n")
        for _ in range(256):
            f.write(chunk)
    pool = pa.default_memory_pool()
    batches = _tablefile._raw_batches(path)
    try:
        first = next(batches)
        assert first.num_rows > 0
        # The reader's thread fills its queue quickly (the file is in the page cache): wait until
        # what it holds stops growing.
        held, deadline = -1, time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = pool.bytes_allocated()
            if now == held:
                break
            held = now
        assert held < 192 * 2**20, f"{held / 2**20:.0f} MiB held after the first batch"
    finally:
        batches.close()
        del batches


def test_check_uses_kept_blocks_and_writes_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """``dncguard check`` makes its arrays in kept blocks (``dncguard._arraymem``), and its
    report is the same without them."""
    from dncguard import _arraymem
    from dncguard.cli import main

    if not _arraymem.available():
        pytest.skip("the optional extension dncguard._arraymemc was not built")

    index = save_index(tmp_path, range(2125550000, 2125555000), range(2125559000, 2125559100), [212, 646])
    rows = ["to,at"] + [
        f"+1{212 if i % 3 else 646}555{i % 10000:04d},2026-03-1{i % 7}T{8 + i % 14:02d}:{i % 60:02d}:00-05:00"
        for i in range(120_000)
    ]
    calls = tmp_path / "calls.csv"
    calls.write_text("\n".join(rows) + "\n")
    argv = ["check", "--registry", index, "--seller", "acme", "--format", "jsonl", str(calls)]
    before = _arraymem.stats()
    code = main(argv)
    with_kept = capsysbinary.readouterr().out
    after = _arraymem.stats()
    assert after["maps"] + after["reused"] > before["maps"] + before["reused"]
    assert after["cap"] == 0  # set back once the command ended
    monkeypatch.setattr(_arraymem, "_C", None)
    assert main(argv) == code
    assert capsysbinary.readouterr().out == with_kept


@pytest.mark.parametrize("value", ["0", "1", "", "yes"])
def test_keeping_arrays_can_be_turned_off_and_a_bad_value_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    """``DNCGUARD_KEEP_ARRAYS=0`` leaves numpy's allocator as it is; another value than 0 or 1
    stops the command with exit 2, naming the variable."""
    from dncguard import _arraymem
    from dncguard.cli import main

    if not _arraymem.available():
        pytest.skip("the optional extension dncguard._arraymemc was not built")
    index = save_index(tmp_path, range(2125550000, 2125550100), [], [212])
    calls = tmp_path / "calls.csv"
    rows = (f"+1212555{i % 10_000:04d},2026-03-10T15:00:00-05:00\n" for i in range(300_000))
    calls.write_text("to,at\n" + "".join(rows))
    monkeypatch.setenv("DNCGUARD_KEEP_ARRAYS", value)
    before = _arraymem.stats()
    code = main(["check", "--registry", index, "--seller", "acme", "--format", "jsonl", str(calls)])
    after = _arraymem.stats()
    out = capsys.readouterr()
    used = after["maps"] + after["reused"] > before["maps"] + before["reused"]
    if value == "yes":
        assert code == 2
        assert "DNCGUARD_KEEP_ARRAYS='yes'" in out.err
        assert not used
    else:
        assert code == 1, out.err
        assert used == (value != "0")
