"""The README's set-up commands are the ones CI runs (the README rule)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _console_blocks_after(heading: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```console\n(.*?)\n```", section, flags=re.S)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    (command,) = _console_blocks_after("Run the tests")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command.strip() in ci.splitlines()


def test_main_job_uses_files_that_exist() -> None:
    (command,) = _console_blocks_after("Try it on the bundled sample data")
    for path in re.findall(r"data/fixtures/\S+", command):
        assert (ROOT / path).exists(), path


def test_readme_lists_exactly_the_supported_jurisdictions() -> None:
    from dncguard.jurisdictions import JURISDICTIONS

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What it checks", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"\bUS-[A-Z]{2}\b", section))
    assert listed == {code for code in JURISDICTIONS if code.startswith("US-")}
    assert f"{len(listed)} US states" in section
