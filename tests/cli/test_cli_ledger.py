"""``--ledger`` and ``dncguard ledger``: every decision of ``check`` and ``scrub`` recorded, the
same decision ``Guard.check`` gives, and the ledger verifies afterwards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from test_cli import build_args, run, write_calls

import dncguard
from dncguard.cli import main

CALLS: list[dict[str, Any]] = [
    {"to": "212-555-0199", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"},  # national list
    {"to": "212-555-0143", "at": "2026-03-16T14:00:00-04:00", "seller": "ACME "},  # another seller's list
    {"to": "512-555-0177", "at": "2026-03-16T21:30:00-05:00", "seller": "acme"},  # Texas list, late
    {"to": "416-555-0100", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"},
    {"to": "876-555-0100", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"},  # not US/CA
    {"to": "not a number", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("downloads")
    files = {
        "ftc": ("ftc.txt", "2125550199\n5125550100\n"),
        "dncl": ("dncl.txt", "416,5550100\n"),
        "texas": ("texas.csv", "number,name\n5125550177,A. Resident\n"),
        "internal": ("optouts.csv", "number,requested_on\n2125550143,2026-01-05\n"),
    }
    paths = {}
    for key, (name, text) in files.items():
        paths[key] = d / name
        paths[key].write_text(text)
    out = tmp_path_factory.mktemp("index") / "registry.dncg"
    assert main(["build", str(out), *build_args(paths)]) == 0
    return out


def expected(index: Path) -> list[dncguard.Decision]:
    guard = dncguard.Guard(dncguard.Registry.open(index))
    return [guard.check(c) for c in CALLS]


def entries(path: Path) -> list[dncguard.LedgerEntry]:
    with dncguard.Ledger(path, create=False) as ledger:
        assert ledger.verify().ok
        return list(ledger.entries())


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
@pytest.mark.parametrize("command", ["check", "scrub"])
def test_each_decision_is_recorded_once_as_check_decides_it(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, command: str
) -> None:
    calls = write_calls(tmp_path / f"calls{suffix}", CALLS)
    ledger = tmp_path / "calls.ledger"
    argv: list[object] = [command, "--registry", index, calls, "--ledger", ledger]
    if command == "scrub":
        argv.insert(4, tmp_path / "out.parquet")
    code, _, _ = run(capsys, *argv)
    assert code == (1 if command == "check" else 0)
    got = entries(ledger)
    want = expected(index)
    assert len(got) == len(CALLS)
    for entry, decision in zip(got, want, strict=True):
        assert not entry.placed
        assert entry.decision == decision
        assert entry.decision.registry_id == dncguard.Registry.open(index).id
        assert entry.decision.consulted == decision.consulted
    # a second run appends, and the chain still verifies
    code, _, _ = run(capsys, *argv)
    assert len(entries(ledger)) == 2 * len(CALLS)


def test_ledger_commands_verify_head_and_export(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", CALLS)
    ledger = tmp_path / "calls.ledger"
    run(capsys, "check", "--registry", index, calls, "--ledger", ledger)
    code, out, _ = run(capsys, "ledger", "verify", ledger)
    assert (code, out.startswith("intact")) == (0, True)
    code, out, _ = run(capsys, "ledger", "head", ledger)
    seq, digest = out.splitlines()[0].split(":")
    assert (code, int(seq)) == (0, len(CALLS))
    code, out, _ = run(capsys, "ledger", "verify", ledger, "--anchor", f"{seq}:{digest}")
    assert code == 0
    exported = tmp_path / "ledger.parquet"
    code, _, _ = run(capsys, "ledger", "export", ledger, exported)
    assert (code, pq.read_table(exported).num_rows) == (0, len(CALLS))


def test_a_file_that_is_not_a_ledger_stops_check_before_any_output(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", CALLS)
    bogus = tmp_path / "not.ledger"
    bogus.write_text("hello")
    code, out, err = run(capsys, "check", "--registry", index, calls, "--ledger", bogus)
    assert (code, out) == (2, "")
    assert "not a dncguard ledger" in err


def test_check_json_prints_provenance(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", CALLS)
    code, out, _ = run(capsys, "check", "--registry", index, calls, "--format", "json")
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    for line, decision in zip(lines, expected(index), strict=True):
        assert line["registry_id"] == decision.registry_id
        assert line["consulted"] == [c.model_dump(mode="json") for c in decision.consulted]


def test_check_text_summary_names_the_registry_oldest_copy_and_sellers_without_a_list(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(
        tmp_path / "calls.csv", [*CALLS, {"to": "212-555-0100", "at": CALLS[0]["at"], "seller": "Acme Inc"}]
    )
    _, out, _ = run(capsys, "check", "--registry", index, calls)
    lines = out.splitlines()
    registry_id = dncguard.Registry.open(index).id
    assert lines[-3] == f"registry {registry_id}; oldest national copy used: ca-dncl obtained 2026-03-10"
    assert lines[-2] == "no internal list loaded for seller 'acme inc'"
