"""The call fields of the newer rules (``channel``, ``automated``, ``attempts``) reach the
decision on every command-line path: a JSON Lines file decided in bulk decides each call as
``Guard.check`` does, never as if the field were left at its default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dncguard
from dncguard.cli import main

AT = "2026-03-16T14:00:00-04:00"
CALLS: list[dict[str, Any]] = [
    # a Florida number: sales calls placed by an automated system need written consent there
    {"to": "305-555-0150", "at": AT, "seller": "acme", "automated": True},
    {"to": "305-555-0150", "at": AT, "seller": "acme"},
    # a fourth call in 24 hours into Florida is over its cap
    {
        "to": "305-555-0151",
        "at": AT,
        "seller": "acme",
        "attempts": ["2026-03-16T09:00:00-04:00", "2026-03-16T10:00:00-04:00", "2026-03-16T11:00:00-04:00"],
    },
    # a text to a Canadian number without consent falls under CASL
    {"to": "416-555-0150", "at": AT, "seller": "acme", "channel": "text"},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("downloads")
    (d / "ftc.txt").write_text("3055550100\n")
    (d / "dncl.txt").write_text("416,5550100\n")
    (d / "fl.txt").write_text("3055550101\n")
    out = tmp_path_factory.mktemp("index") / "registry.dncg"
    args = [
        "build",
        str(out),
        "--ftc",
        f"{d / 'ftc.txt'}@2026-03-10",
        "--dncl",
        f"{d / 'dncl.txt'}@2026-03-10",
    ]
    args += ["--state", f"US-FL={d / 'fl.txt'}@2026-03-10"]
    assert main(args) == 0
    return out


def test_jsonl_decided_in_bulk_keeps_channel_automated_and_attempts(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text("".join(json.dumps(c) + "\n" for c in CALLS))
    capsys.readouterr()
    code = main(["check", "--registry", str(index), str(calls), "--format", "jsonl"])
    got = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    guard = dncguard.Guard(dncguard.Registry.open(index))
    want = [guard.check(c).model_dump(mode="json") for c in CALLS]
    assert [{k: v for k, v in g.items() if k != "row"} for g in got] == want
    codes = [{r["code"] for r in w["reasons"]} for w in want]
    assert "automated_without_consent" in codes[0]
    assert "automated_without_consent" not in codes[1]
    assert "frequency_cap" in codes[2]
    assert not want[3]["allowed"]
    assert code == 1
