"""``dncguard check`` reads a CSV file's ``at`` column once: the reader parses it (to name a bad
row by file, row and field) and hands bulk the instants with the text (``PARSED_TIMES``), which
bulk takes instead of parsing the text again. The decisions and the bytes written are those of a
second parse; a bad ``at`` is named as before."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from small_index import save_index

from dncguard.bulk import _columns
from dncguard.bulk._columns import ParsedTimes
from dncguard.cli import main
from strategies import at_text, instants

AT = pa.timestamp("us", tz="UTC")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A US list of 212-555-0100..0109 and acme's internal list of 212-555-0110..0111."""
    national = [2125550100 + i for i in range(10)]
    return save_index(tmp_path_factory.mktemp("read-path"), national, [2125550110, 2125550111], [212])


def run(index: str, path: Path, *flags: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--registry", index, "--seller", "acme", str(path), *flags])
    return code, out.getvalue(), err.getvalue()


def write_csv(path: Path, header: str, lines: list[str]) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


# --- the hand-over itself -------------------------------------------------------------------


def test_times_put_are_taken_once_for_that_very_column() -> None:
    kept = ParsedTimes()
    text = pa.array(["2026-03-16T14:00:00-04:00", "2026-03-16T14:00:00Z"])
    times = text.cast(AT)
    kept.put(text, times)
    same_text_elsewhere = pa.array(["2026-03-16T14:00:00-04:00", "2026-03-16T14:00:00Z"])
    assert kept.take(same_text_elsewhere) is None  # other buffers: not known
    assert kept.take(text.slice(1)) is None  # a slice is another column
    assert kept.take(text).equals(times)
    assert kept.take(text) is None  # taken once


def test_columns_with_nulls_or_of_other_types_are_not_kept() -> None:
    kept = ParsedTimes()
    with_null = pa.array(["2026-03-16T14:00:00Z", None])
    kept.put(with_null, pa.array([0, None], AT))
    assert kept.take(with_null) is None
    large = pa.array(["2026-03-16T14:00:00Z"], pa.large_string())
    kept.put(large, large.cast(AT))
    assert kept.take(large) is None
    text = pa.array(["2026-03-16T14:00:00Z"])
    kept.put(text, pa.array([0, 1], AT))  # not row for row
    assert kept.take(text) is None


def test_at_most_a_few_are_kept_the_oldest_forgotten() -> None:
    kept = ParsedTimes()
    columns = [pa.array([f"2026-03-16T14:00:{i:02d}Z"]) for i in range(ParsedTimes.kept + 1)]
    for column in columns:
        kept.put(column, column.cast(AT))
    assert kept.take(columns[0]) is None
    assert all(kept.take(c) is not None for c in columns[1:])


def test_check_hands_bulk_every_at_column_it_parsed(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``at`` text is parsed twice: each table bulk decides finds its times."""
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "4")
    taken: list[bool] = []
    take = _columns.PARSED_TIMES.take

    def spy(text: pa.Array) -> pa.Array | None:
        found = take(text)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(_columns.PARSED_TIMES, "take", spy)
    lines = [
        f"212-555-01{i % 20:02d},2026-03-1{i % 7}T1{i % 10}:00:00{('-04:00', 'Z', '-0700')[i % 3]}"
        for i in range(23)
    ]
    path = write_csv(tmp_path / "calls.csv", "to,at", lines)
    code, _, _ = run(index, path)
    assert code == 1
    assert taken
    assert all(taken)


# --- the same answers as a second parse -------------------------------------------------------


_OFFSETS = st.sampled_from(
    [dt.UTC, *(dt.timezone(dt.timedelta(minutes=m)) for m in (-600, -420, -300, -240, 330))]
)


@st.composite
def at_cells(draw: st.DrawFn) -> str:
    """An ``at`` cell: a time in some offset, as ``Z``/``+HH:MM``/``+HHMM``, with ``T`` or a
    space, sometimes padded with spaces (trimmed by the reader), sometimes blank (``--at``)."""
    if draw(st.integers(0, 9)) == 0:
        return ""
    text = at_text(draw(instants()).astimezone(draw(_OFFSETS)), draw(st.integers(0, 3)))
    pad = draw(st.sampled_from(["", " ", "  "]))
    return f'"{pad}{text}{pad[::-1]}"' if pad else text


@pytest.mark.hypothesis
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.tuples(st.integers(0, 29), at_cells()), min_size=1, max_size=25),
    st.sampled_from(["text", "junit", "jsonl"]),
)
def test_the_times_handed_over_decide_as_a_second_parse_would(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[tuple[int, str]], fmt: str
) -> None:
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "6")
    path = write_csv(tmp_path / "calls.csv", "to,at", [f"212-555-01{n:02d},{at}" for n, at in rows])
    flags = ("--format", fmt, "--all", "--at", "2026-03-16T13:00:00-05:00")
    handed_over = run(index, path, *flags)
    with monkeypatch.context() as m:
        m.setattr(_columns.PARSED_TIMES, "take", lambda text: None)
        parsed_again = run(index, path, *flags)
    assert handed_over == parsed_again


# --- errors: named as before -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "lines", "message"),
    [
        (
            "to,at",
            [
                "212-555-0100,2026-03-16T14:00:00Z",
                "212-555-0101, 2026-03-16T14:00:00-04:00 ",
                "212-555-0102,2026-03-16T14:00:00+0530",
                "212-555-0103,2026-03-16 14:00:00",
            ],
            "row 4, field 'at': '2026-03-16 14:00:00' has no UTC offset",
        ),
        (
            "to,at",
            ["212-555-0100,2026-03-16T14:00:00Z", "212-555-0101,", "212-555-0102,yesterday"],
            "row 2, field 'at': missing: every call needs it (or give --at)",
        ),
        (
            "to,at",
            [
                "212-555-0100,2026-03-16T14:00:00Z",
                "212-555-0101,2026-03-16T14:00:00Z",
                "212-555-0102,2026-03-16T14:00:00Z",
                "212-555-0103,2026-03-16T14:00:00-04:00",
                "212-555-0104,0000-12-31T23:00:00-05:00",
            ],
            "row 5, field 'at': '0000-12-31T23:00:00-05:00' is out of range",
        ),
        (
            "to,at,dnc_request_on",
            ["212-555-0100,2026-03-16T14:00:00Z,2026-01-02"],
            "dnc_request_on",
        ),
    ],
)
def test_a_bad_at_or_a_misspelt_column_is_named_as_before(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header: str, lines: list[str], message: str
) -> None:
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "2")  # the bad row in a later batch than the first
    path = write_csv(tmp_path / "calls.csv", header, lines)
    code, _, err = run(index, path)
    assert code == 2
    assert f"{path}" in err
    assert message in err
    if message == "dnc_request_on":
        assert "dnc_requested_on" in err


def test_padded_times_read_as_the_same_times_unpadded(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose every ``at`` is padded: trimmed, then parsed, and handed over as such."""
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "3")
    lines = [f'212-555-01{i:02d},"  2026-03-16T1{i % 10}:00:00-04:00 "' for i in range(7)]
    path = write_csv(tmp_path / "calls.csv", "to,at", lines)
    padded = run(index, path, "--all")
    plain = write_csv(
        tmp_path / "plain.csv", "to,at", [line.replace('"  ', "").replace(' "', "") for line in lines]
    )
    code, out, err = run(index, plain, "--all")
    assert padded == (code, out.replace(str(plain), str(path)), err)
