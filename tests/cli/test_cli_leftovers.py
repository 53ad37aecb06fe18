"""Call files the command line read wrongly without a word: a file of no calls decided as "all
allowed" (exit 0), a number given for a time read as seconds since 1970, a row too long for a
read block refused without naming it. Each must exit 2 naming the file (and row and field)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from small_index import save_index

from dncguard.cli import main

AT = "2026-03-16T14:00:00-04:00"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> str:
    return save_index(tmp_path_factory.mktemp("leftovers"), [2125550100 + i for i in range(10)], [], [212])


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def decide(command: str, index: str, path: Path) -> tuple[int, str]:
    out = path.parent / "out.csv"
    argv = ["check", "--registry", index, str(path)]
    if command == "scrub":
        argv = ["scrub", "--registry", index, str(path), str(out)]
    code, _, err = run(*argv)
    if command == "scrub" and code == 2:
        assert not out.exists()
    return code, err


EMPTY = {
    "empty.csv": b"",
    "blank.csv": b"\n\n\r\n",
    "spaces.csv": b"  \n \n",
    "header.csv": b"to,at,seller\n",
    "header-blank.csv": b"to,at,seller\n\n\n",
    "empty.jsonl": b"",
    "blank.jsonl": b"\n  \n\t\n",
    "empty.json": b"",
    "spaces.json": b"  \n",
    "array.json": b" [ ]\n",
}


@pytest.mark.parametrize("command", ["check", "scrub"])
@pytest.mark.parametrize("name", sorted(EMPTY))
def test_a_file_of_no_calls_is_a_named_error(index: str, tmp_path: Path, command: str, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(EMPTY[name])
    code, err = decide(command, index, path)
    assert code == 2
    assert f"{path}: no calls: " in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["check", "scrub"])
def test_a_parquet_file_of_no_rows_is_a_named_error(index: str, tmp_path: Path, command: str) -> None:
    path = tmp_path / "calls.parquet"
    pq.write_table(pa.table({n: pa.array([], pa.string()) for n in ("to", "at", "seller")}), path)
    code, err = decide(command, index, path)
    assert code == 2
    assert f"{path}: no calls: the table has no rows" in err


def test_a_line_of_spaces_before_the_header_is_named(index: str, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(f"\n  \nto,at,seller\n212-555-0150,{AT},acme\n")
    code, err = decide("check", index, path)
    assert code == 2
    assert "line 2 holds only spaces where the header row" in err


@pytest.mark.parametrize("command", ["check", "scrub"])
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
@pytest.mark.parametrize(
    ("field", "value"),
    [("at", "1773669600"), ("at", "1773669600.5"), ("at", '"1773669600"'), ("attempts", "[1773669600]")],
)
def test_a_number_given_for_a_time_is_refused(
    index: str, tmp_path: Path, command: str, suffix: str, field: str, value: str
) -> None:
    """pydantic reads a number (or text of digits) as seconds since 1970: 2026-03-16 14:00 UTC
    here, a call that would be decided; a number is not a time, whatever it would be read as."""
    good = f'{{"to": "212-555-0150", "at": "{AT}", "seller": "acme"}}'
    if field == "at":
        bad = f'{{"to": "212-555-0101", "at": {value}, "seller": "acme"}}'
    else:
        bad = f'{{"to": "212-555-0150", "at": "{AT}", "seller": "acme", "attempts": {value}}}'
    path = tmp_path / f"calls{suffix}"
    path.write_text(f"[{good},\n{bad}]" if suffix == ".json" else f"{good}\n{bad}\n")
    code, err = decide(command, index, path)
    assert code == 2
    assert f"{path}, row 2, field '{field}'" in err
    assert "a number is not a time" in err


@pytest.mark.parametrize("command", ["check", "scrub"])
def test_a_row_longer_than_a_read_block_is_named(index: str, tmp_path: Path, command: str) -> None:
    """A row that crosses two block boundaries (over 4 MiB, placed so) was refused as "straddling
    object straddles two block boundaries", naming no row."""
    path = tmp_path / "calls.csv"
    rows = [f"212-555-015{i},{AT},acme,ok" for i in range(3)]
    rows.append(f"212-555-0159,{AT},acme," + "x" * (9 << 20))
    rows.append(f"212-555-0101,{AT},acme,ok")
    path.write_text("to,at,seller,note\n" + "\n".join(rows) + "\n")
    code, err = decide(command, index, path)
    assert code == 2
    assert f"{path}, row 4: the row starting on line 5 is longer than 4 MiB" in err


@pytest.mark.parametrize("command", ["check", "scrub"])
def test_an_unclosed_quote_taking_in_more_than_a_block_is_named(
    index: str, tmp_path: Path, command: str
) -> None:
    path = tmp_path / "calls.csv"
    rows = [f"212-555-015{i},{AT},acme,ok" for i in range(3)]
    rows.append(f'212-555-0159,{AT},acme,"a note cut short')
    rows += [f"212-555-0101,{AT},acme,{'y' * 60}"] * 200_000
    path.write_text("to,at,seller,note\n" + "\n".join(rows) + "\n")
    code, err = decide(command, index, path)
    assert code == 2
    assert f"{path}, row 4: the row starting on line 5 is longer than" in err
