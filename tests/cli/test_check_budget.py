"""The bytes of a CSV call file in flight through ``check`` (``dncguard.cli._budget``): read only
as a budget admits them, held until their rows are handed to the report, so that the memory the
command takes is bounded by bytes, whatever the length of the file, and the output is the same."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
from small_index import save_index

from dncguard.cli import _budget, _sizes, _tablefile, main
from dncguard.cli._budget import _Budget

# --- the budget itself ------------------------------------------------------------------------


def _later(action: object, delay: float = 0.2) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        action()  # type: ignore[operator]

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_bytes_within_the_limit_are_taken_at_once_and_counted() -> None:
    budget = _Budget(100)
    assert budget.acquire(60)
    assert budget.acquire(40)
    assert (budget.in_flight, budget.high_water, budget.over, budget.waits) == (100, 100, 0, 0)
    budget.release(70)
    assert budget.acquire(30)
    assert (budget.in_flight, budget.high_water) == (60, 100)


def test_a_request_past_the_limit_waits_until_bytes_come_back() -> None:
    budget = _Budget(100)
    assert budget.acquire(80)
    thread = _later(lambda: budget.release(80))
    start = time.monotonic()
    assert budget.acquire(30)
    assert time.monotonic() - start >= 0.15
    thread.join()
    assert (budget.in_flight, budget.high_water, budget.over, budget.waits) == (30, 80, 0, 1)


def test_a_request_larger_than_the_limit_is_admitted_alone_and_counted_over() -> None:
    budget = _Budget(100)
    assert budget.acquire(250)  # nothing in flight: admitted (else nothing would ever move)
    assert (budget.in_flight, budget.over) == (250, 1)
    thread = _later(lambda: budget.release(250))
    assert budget.acquire(10)  # waits for the large one
    thread.join()
    assert (budget.in_flight, budget.high_water) == (10, 250)


def test_a_stalled_pipeline_is_given_bytes_past_the_limit() -> None:
    budget = _Budget(100)
    assert budget.acquire(90)
    stalled = threading.Event()
    thread = _later(lambda: (stalled.set(), budget.poke()))
    assert budget.acquire(50, stalled.is_set)
    thread.join()
    assert (budget.in_flight, budget.over) == (140, 1)


def test_starving_wakes_a_waiting_reader_which_asks_whether_that_stalls_the_pipeline() -> None:
    budget = _Budget(100)
    assert budget.acquire(100)
    thread = _later(lambda: budget.starve(True))
    assert budget.acquire(1, lambda: budget.starving)
    thread.join()
    assert budget.over == 1


def test_bytes_charged_to_rows_come_back_once_those_rows_are_done() -> None:
    budget = _Budget(1000)
    for rows, n in ((10, 100), (5, 50), (20, 200)):
        assert budget.acquire(n)
        budget.charge(rows, n)
    budget.done(9)  # the first batch's rows are not all done
    assert budget.in_flight == 350
    budget.done(15)
    assert budget.in_flight == 200
    budget.done(35)
    assert budget.in_flight == 0


def test_closing_wakes_a_waiting_reader_and_refuses_what_it_asks() -> None:
    budget = _Budget(10)
    assert budget.acquire(10)
    thread = _later(budget.close)
    assert not budget.acquire(5)
    thread.join()
    assert budget.in_flight == 10
    assert not budget.acquire(1)


def test_a_budget_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="limit=0"):
        _Budget(0)


# --- the CSV reader reads as the budget admits --------------------------------------------------


def _csv(path: Path, rows: int, *, bad_row: int | None = None) -> Path:
    """A CSV call file of ``rows`` synthetic calls (numbers 212-555-0100..0199 and others of
    the 555 exchange in a few area codes; some with evidence, some blocked, some invalid)."""
    lines = ["to,at,consent_kind,consent_on,dnc_requested_on"]
    for i in range(rows):
        npa = (212, 305, 415, 999)[i % 4]
        number = f"{npa}-555-01{i % 100:02d}"
        hour = 8 + i % 14
        consent = ("written,2026-01-05", ",")[i % 3 != 0]
        requested = "2026-02-01" if i % 7 == 0 else ""
        at = f"2026-03-{10 + i % 9:02d}T{hour:02d}:00:00-0{4 + i % 3}:00"
        if bad_row is not None and i + 1 == bad_row:
            at = "not a time"
        lines.append(f"{number},{at},{consent},{requested}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Blocks of 2 KiB (some 40 rows) and batches of 64 rows, so a small file is many blocks."""
    monkeypatch.setenv(_sizes.BATCH_ROWS_VARIABLE, "64")
    monkeypatch.setattr(_sizes, "csv_block", lambda: 2048)
    return 2048


def _spy_budgets(monkeypatch: pytest.MonkeyPatch) -> list[_Budget]:
    made: list[_Budget] = []
    init = _Budget.__init__

    def spy(self: _Budget, limit: int) -> None:
        init(self, limit)
        made.append(self)

    monkeypatch.setattr(_budget._Budget, "__init__", spy)
    return made


def test_the_reader_reads_no_more_than_the_budget_admits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_blocks: int
) -> None:
    """Arrow's reader reads up to 32 blocks ahead of the parsing on its own: through a budget,
    the bytes read and not yet done with stay within it, and the reading waits for room."""
    path = _csv(tmp_path / "calls.csv", 5000)
    budget = _Budget(4 * small_blocks)
    batches = _tablefile._raw_batches(path, budget)
    rows = 0
    try:
        for table in batches:
            rows += table.num_rows
            time.sleep(0.002)  # Arrow's reading thread reads what it may
            assert budget.in_flight <= budget.limit
            budget.done(rows)
    finally:
        batches.close()
    assert rows == 5000
    assert budget.waits > 0  # the bound held the reader back
    assert budget.high_water <= budget.limit
    assert budget.over == 0
    assert budget.in_flight == 0


def test_the_rows_read_through_a_budget_are_the_file_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_blocks: int
) -> None:
    path = _csv(tmp_path / "calls.csv", 3000)
    budget = _Budget(3 * small_blocks)
    tables = []
    for table in _tablefile._raw_batches(path, budget):
        tables.append(table)
        budget.done(sum(t.num_rows for t in tables))
    assert len(tables) > 10
    read = pa.concat_tables(tables)
    text = dict.fromkeys(read.column_names, pa.string())
    options = pa_csv.ConvertOptions(column_types=text, strings_can_be_null=True, null_values=[""])
    whole = pa_csv.read_csv(path, convert_options=options)
    assert read.num_rows == 3000
    for name in read.column_names:
        assert read.column(name).to_pylist() == whole.column(name).to_pylist(), name


def test_stopping_part_way_leaves_no_reader_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_blocks: int
) -> None:
    """A reader stopped part way, with the budget full, ends: Arrow's reading thread, waiting for
    room, is told the file has ended."""
    path = _csv(tmp_path / "calls.csv", 5000)
    before = threading.active_count()
    for _ in range(5):
        budget = _Budget(2 * small_blocks)
        batches = _tablefile._raw_batches(path, budget)
        next(batches)
        time.sleep(0.05)
        batches.close()
        assert budget.in_flight <= budget.limit
    deadline = time.monotonic() + 5
    while threading.active_count() > before + 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before + 8  # Arrow's own pool threads at most


# --- check, bounded by a budget, writes what an unbounded check writes ------------------------


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A US list of 212-555-0100..0149 and 305-555-0100..0129, acme's internal list of
    415-555-0100..0119."""
    national = [2125550100 + i for i in range(50)] + [3055550100 + i for i in range(30)]
    internal = [4155550100 + i for i in range(20)]
    return save_index(tmp_path_factory.mktemp("budget"), national, internal, [212, 305, 415])


def _check(index: str, path: Path, *flags: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--registry", index, "--seller", "acme", str(path), *flags])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("fmt", ["text", "jsonl", "junit"])
def test_check_within_a_small_budget_writes_what_an_unbounded_check_writes(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_blocks: int, fmt: str
) -> None:
    path = _csv(tmp_path / "calls.csv", 6000)
    flags = ("--format", fmt, "--all") if fmt == "text" else ("--format", fmt)
    with monkeypatch.context() as m:
        m.setattr(_sizes, "flight_bytes", lambda: 1 << 40)
        unbounded = _check(index, path, *flags)
    budgets = _spy_budgets(monkeypatch)
    limit = 16 * small_blocks  # the file is some 110 blocks
    monkeypatch.setattr(_sizes, "flight_bytes", lambda: limit)
    bounded = _check(index, path, *flags)
    assert bounded == unbounded
    assert unbounded[0] == 1
    (budget,) = budgets
    assert budget.limit == limit
    assert budget.waits > 0  # the reading was held back
    assert budget.high_water <= limit
    assert budget.over == 0


def test_check_within_a_budget_too_small_for_one_table_still_ends_and_writes_the_same(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_blocks: int
) -> None:
    """A budget smaller than one block: a block is admitted where the pipeline would stall
    without it, and counted, never a reader waiting for ever."""
    path = _csv(tmp_path / "calls.csv", 3000)
    with monkeypatch.context() as m:
        m.setattr(_sizes, "flight_bytes", lambda: 1 << 40)
        unbounded = _check(index, path)
    budgets = _spy_budgets(monkeypatch)
    monkeypatch.setattr(_sizes, "flight_bytes", lambda: 1)
    assert _check(index, path) == unbounded
    (budget,) = budgets
    assert budget.over > 0


def test_a_bad_row_far_into_the_file_is_named_within_a_small_budget(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_blocks: int
) -> None:
    path = _csv(tmp_path / "calls.csv", 4000, bad_row=3777)
    monkeypatch.setattr(_sizes, "flight_bytes", lambda: 8 * small_blocks)
    code, _, err = _check(index, path)
    assert code == 2
    assert f"{path}, row 3777, field 'at'" in err


def test_a_file_not_utf8_far_into_it_is_named_within_a_small_budget(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_blocks: int
) -> None:
    path = _csv(tmp_path / "calls.csv", 4000)
    data = path.read_bytes()
    cut = data.rindex(b"\n", 0, len(data) - 5000) + 1
    path.write_bytes(data[:cut] + b"212-555-0101,2026-03-16T14:00:00-04:00,,\xf1,\n" + data[cut:])
    monkeypatch.setattr(_sizes, "flight_bytes", lambda: 8 * small_blocks)
    code, _, err = _check(index, path)
    assert code == 2
    assert "is not valid UTF-8" in err
    line = data[:cut].count(b"\n") + 1
    assert f"line {line}" in err
