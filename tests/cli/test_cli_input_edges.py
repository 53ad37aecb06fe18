"""Corners of the call-file input edge where the command line failed open or fell over: each
case below exited 0/1 or printed a traceback before its fix; a bad call file must exit 2 with one
line naming the file, the row and the field."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from small_index import save_index

from dncguard.cli import main


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A US list of 212-555-0100..0109 and acme's internal list of 212-555-0110..0111."""
    national = [2125550100 + i for i in range(10)]
    return save_index(tmp_path_factory.mktemp("input-edges"), national, [2125550110, 2125550111], [212])


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# --- an instant outside the years 1 to 9999 -------------------------------------------------


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00Z",  # a day in from the end: every zone's local date stays in range
        "0001-01-01T00:00:00+14:00",  # year 0 in UTC
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:00:00-14:00",  # year 10000 in UTC
    ],
)
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
@pytest.mark.parametrize("command", ["check", "scrub"])
def test_a_json_call_out_of_range_is_named_like_a_csv_one(
    index: str, tmp_path: Path, at: str, suffix: str, command: str
) -> None:
    record = f'{{"to": "212-555-0150", "at": "{at}", "seller": "acme"}}'
    path = tmp_path / f"calls{suffix}"
    path.write_text(f"[{record}]" if suffix == ".json" else record + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    argv = (
        ["check", "--registry", index, str(path)]
        if command == "check"
        else ["scrub", "--registry", index, str(path), str(out)]
    )
    code, _, err = run(*argv)
    assert code == 2
    assert err == (
        f"dncguard: error: {path}, row 1, field 'at': {at!r} is out of range: dncguard reads the years 1 to 9999\n"
    )
    assert not out.exists()


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_an_at_flag_out_of_range_is_a_usage_error(index: str, tmp_path: Path, at: str, suffix: str) -> None:
    path = tmp_path / f"calls{suffix}"
    if suffix == ".csv":
        path.write_text("to,seller\n212-555-0150,acme\n", encoding="utf-8")
    else:
        path.write_text('{"to": "212-555-0150", "seller": "acme"}\n', encoding="utf-8")
    code, _, err = run("check", "--registry", index, str(path), "--at", at)
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith(f"dncguard: error: --at {at!r}: out of range: dncguard reads the years 1 to 9999")


# --- a key given twice in one JSON object ---------------------------------------------------

AT = "2026-03-16T14:00:00-04:00"


@pytest.mark.parametrize(
    ("record", "key"),
    [
        # The listed number first: JSON's last value wins, and the call to it was allowed.
        (f'{{"to": "212-555-0101", "at": "{AT}", "seller": "acme", "to": "212-555-0150"}}', "to"),
        # A request cancelled by a later null: the evidence dropped without a word.
        (
            f'{{"to": "212-555-0150", "at": "{AT}", "seller": "acme", "dnc_requested_on": "2026-01-02",'
            ' "dnc_requested_on": null}',
            "dnc_requested_on",
        ),
        (
            f'{{"to": "212-555-0150", "at": "{AT}", "seller": "acme",'
            ' "dnc_requests": [{"on": "2026-01-02", "on": "2027-01-02"}]}',
            "on",
        ),
    ],
)
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
@pytest.mark.parametrize("command", ["check", "scrub"])
def test_a_json_key_given_twice_is_refused(
    index: str, tmp_path: Path, record: str, key: str, suffix: str, command: str
) -> None:
    first = f'{{"to": "212-555-0150", "at": "{AT}", "seller": "acme"}}'
    path = tmp_path / f"calls{suffix}"
    if suffix == ".json":
        path.write_text(f"[{first},\n {record}]\n", encoding="utf-8")
    else:
        path.write_text(f"{first}\n\n{record}\n", encoding="utf-8")  # a blank line: not a row
    out = tmp_path / "out.csv"
    argv = [command, "--registry", index, str(path)] + ([str(out)] if command == "scrub" else [])
    code, _, err = run(*argv)
    assert code == 2
    assert err == (
        f"dncguard: error: {path}, row 2, field {key!r}: line {2 if suffix == '.json' else 3}, given twice"
        " in one object (JSON would keep the last silently): keep one\n"
    )
    assert not out.exists()
