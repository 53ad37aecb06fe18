"""The command line at the user's edge: seller spellings and near-miss call columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import run, write_calls

from dncguard.cli import main

OBTAINED = "2026-03-10"
AT = "2026-03-16T14:00:00-04:00"
OPTED_OUT = "212-555-0143"  # on acme's internal list


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("edge")
    ftc = d / "ftc.txt"
    ftc.write_text("2125550199\n")
    optouts = d / "optouts.csv"
    optouts.write_text("number,requested_on\n2125550143,2026-01-05\n")
    out = d / "registry.dncg"
    assert main(["build", str(out), f"--ftc={ftc}@{OBTAINED}", f"--internal=Acme={optouts}"]) == 0
    return out


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("seller", [" acme ", "ACME", "Acme"])
def test_check_finds_the_internal_list_under_any_spelling(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, seller: str
) -> None:
    calls = write_calls(tmp_path / f"calls{suffix}", [{"to": OPTED_OUT, "at": AT, "seller": seller}])
    code, out, err = run(capsys, "check", calls, "--registry", index, "--format", "json")
    assert code == 1
    assert "internal_list" in out
    assert "no internal do-not-call list" not in err


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_check_names_sellers_without_an_internal_list(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    rows = [
        {"to": OPTED_OUT, "at": AT, "seller": "Acmee"},
        {"to": OPTED_OUT, "at": AT, "seller": "acme"},
    ]
    calls = write_calls(tmp_path / f"calls{suffix}", rows)
    code, _, err = run(capsys, "check", calls, "--registry", index)
    assert code == 1  # acme's call is blocked
    assert "'Acmee'" in err
    assert "no internal do-not-call list" in err
    assert "'acme'" in err  # the lists the index holds


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl", ".json"])
def test_a_near_miss_column_exits_2_naming_file_and_both_spellings(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    row = {"to": "212-555-0100", "at": AT, "seller": "acme", "dnc_request_on": "2026-01-01"}
    calls = write_calls(tmp_path / f"calls{suffix}", [row])
    code, _, err = run(capsys, "check", calls, "--registry", index)
    assert code == 2
    assert str(calls) in err
    assert "dnc_request_on" in err
    assert "did you mean 'dnc_requested_on'" in err
    code, _, err = run(capsys, "scrub", calls, tmp_path / "out.csv", "--registry", index)
    assert code == 2
    assert "did you mean 'dnc_requested_on'" in err


def test_a_misspelt_key_inside_evidence_is_an_error(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = {
        "to": "212-555-0199",
        "at": AT,
        "seller": "acme",
        "consents": [{"kind": "written", "onn": "2026-01-01"}],
    }
    calls = write_calls(tmp_path / "calls.jsonl", [row])
    code, _, err = run(capsys, "check", calls, "--registry", index)
    assert code == 2
    assert "consents.0.onn" in err


def test_check_names_columns_passed_through_once(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"to": "212-555-0100", "at": AT, "seller": "acme", "notes": "x", "id": "1"}] * 3
    calls = write_calls(tmp_path / "calls.csv", rows)
    code, _, err = run(capsys, "check", calls, "--registry", index)
    assert code == 0
    assert err.count("not call fields") == 1
    assert "notes, id" in err
    out_path = tmp_path / "out.csv"
    assert run(capsys, "scrub", calls, out_path, "--registry", index)[0] == 0
    assert out_path.read_text().splitlines()[0].replace('"', "").startswith("to,at,seller,notes,id,")
