"""Every ``Guard`` option has its command-line flag on ``check`` and ``scrub``, meaning the same."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pa_csv
import pytest
from test_cli import run, write_calls

from dncguard.cli import main

OBTAINED = "2026-03-10"
AT = "2026-03-16T14:00:00-04:00"  # a Monday afternoon in Florida
FLORIDA = "305-555-0144"  # on no list; Florida keeps a list of its own, not loaded here


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("options")
    ftc = d / "ftc.txt"
    ftc.write_text("3055550100\n")  # covers area code 305
    out = d / "registry.dncg"
    assert main(["build", str(out), f"--ftc={ftc}@{OBTAINED}"]) == 0
    return out


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".json"])
def test_check_missing_state_lists_flag(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    calls = write_calls(tmp_path / f"calls{suffix}", [{"to": FLORIDA, "at": AT, "seller": "acme"}])
    code, out, _ = run(capsys, "check", "--registry", index, calls, "--format", "jsonl")
    assert code == 1  # fail closed: the Florida list binds, loaded or not (docs/defaults.md)
    assert [r["code"] for r in json.loads(out)["reasons"]] == ["state_list_not_loaded"]
    for value, exit_code in (("block", 1), ("allow", 0)):
        code, out, _ = run(
            capsys, "check", "--registry", index, calls, "--format", "jsonl", "--missing-state-lists", value
        )
        assert code == exit_code
        assert json.loads(out)["allowed"] is (value == "allow")


def test_scrub_missing_state_lists_flag(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", [{"to": FLORIDA, "at": AT, "seller": "acme"}])
    for flags, allowed in (([], False), (["--missing-state-lists", "allow"], True)):
        out = tmp_path / "out.csv"
        code, _, _ = run(capsys, "scrub", "--registry", index, calls, out, *flags)
        assert code == 0
        assert pa_csv.read_csv(out).column("allowed").to_pylist() == [allowed]


def test_a_bad_missing_state_lists_value_exits_2(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", [{"to": FLORIDA, "at": AT, "seller": "acme"}])
    code, _, err = run(capsys, "check", "--registry", index, calls, "--missing-state-lists", "ignore")
    assert code == 2
    assert "--missing-state-lists" in err
