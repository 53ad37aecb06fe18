"""The repository documents itself: docs/ names every code and field, and points nowhere else.

The user-facing reference lives in ``docs/``. These tests hold it to the code: every
``ReasonCode`` and ``ExemptionCode`` value is explained in ``docs/decisions.md``, every ``Call``
field in ``docs/calls.md``, and the tables of windows and calling hours in ``docs/defaults.md``
are the rule tables of ``dncguard.jurisdictions`` (regenerate them with
``python tests/test_docs.py`` after changing a rule). Nothing a user reads points at files
that ship only with the developers' notes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

import dncguard
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.base import BusinessDays, Days, Hours, Jurisdiction, Months, Window

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = ("README.md", "calls.md", "decisions.md", "defaults.md", "sources.md", "cli.md", "index.md")
FORBIDDEN = ("shared/design", "shared/domain", "RULES.md", "API.md")


def _text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


# --- generated tables -----------------------------------------------------------------------


def _window(w: Window | None) -> str:
    if w is None:
        return "none"
    unit = {Months: "month", Days: "day", BusinessDays: "business day"}[type(w)]
    return f"{w.n} {unit}{'s' if w.n != 1 else ''}"


def _contract(w: Window | None) -> str:
    if w is None:
        return "none"
    if isinstance(w, Months) and w.n == 0:
        return "while in force"
    return f"in force, then {_window(w)}"


def _governs(j: Jurisdiction) -> str:
    names = {"national": "national registry", "state": "own list"}
    return ", ".join(names[x] for x in j.lists)


def windows_table() -> str:
    """The relationship windows of every rule set that sets its own, as a Markdown table."""
    lines = [
        "| jurisdiction | applies to | purchase | inquiry | contract | citation |",
        "|---|---|---|---|---|---|",
    ]
    for code, j in JURISDICTIONS.items():
        if j.ebr is None:
            continue
        e = j.ebr
        lines.append(
            f"| {code} {j.name} | {_governs(j)} | {_window(e.purchase)} | {_window(e.inquiry)} "
            f"| {_contract(e.contract)} | {e.rule} |"
        )
    return "\n".join(lines)


def _hours(h: Hours | None) -> str:
    if h is None:
        return "no calls"
    return f"{h.start // 60:02d}:{h.start % 60:02d}-{h.end // 60:02d}:{h.end % 60:02d}"


def hours_table() -> str:
    """Calling hours and day bans of every rule set that sets them, as a Markdown table."""
    lines = [
        "| jurisdiction | Monday-Friday | Saturday | Sunday | holidays | citation |",
        "|---|---|---|---|---|---|",
    ]
    for code, j in JURISDICTIONS.items():
        if j.hours is None and j.holidays is None:
            continue
        days = j.hours.days if j.hours is not None else (None,) * 7
        weekdays = {_hours(d) for d in days[:5]}
        monday_friday = weekdays.pop() if len(weekdays) == 1 else "varies"
        holidays = f"no calls ({j.holidays_rule})" if j.holidays is not None else "-"
        rule = j.hours_rule
        if j.hours_clock is not None:
            rule += f"; the statute's clock: {j.hours_clock}"
        lines.append(
            f"| {code} {j.name} | {monday_friday} | {_hours(days[5])} | {_hours(days[6])} "
            f"| {holidays} | {rule} |"
        )
    return "\n".join(lines)


TABLES = {"windows": windows_table, "hours": hours_table}


def _marker(name: str) -> tuple[str, str]:
    return (
        f"<!-- generated table {name}: `python tests/test_docs.py`; edit src/dncguard/jurisdictions/ -->\n",
        f"\n<!-- end of generated table {name} -->",
    )


def _regenerate(text: str) -> str:
    for name, make in TABLES.items():
        start, end = _marker(name)
        head, found, rest = text.partition(start)
        assert found, f"docs/defaults.md has no marker for the generated table {name!r}"
        _, found, tail = rest.partition(end)
        assert found, f"docs/defaults.md: the generated table {name!r} has no end marker"
        text = head + start + make() + end + tail
    return text


# --- tests ----------------------------------------------------------------------------------


def test_every_page_exists_and_the_index_links_it() -> None:
    index = _text("README.md")
    for name in PAGES:
        assert (DOCS / name).is_file(), name
        if name != "README.md":
            assert f"({name})" in index, f"docs/README.md does not link {name}"


@pytest.mark.parametrize("code", [*dncguard.ReasonCode, *dncguard.ExemptionCode], ids=str)
def test_every_code_is_explained_in_decisions(code: dncguard.ReasonCode | dncguard.ExemptionCode) -> None:
    assert re.search(rf"^### .*`{code.value}`", _text("decisions.md"), flags=re.M), (
        f"docs/decisions.md has no heading for {code.value!r}: say what triggers it and cite its rule"
    )


def test_the_call_example_runs_as_shown() -> None:
    (block,) = re.findall(r"```python\n(.*?)```", _text("calls.md"), flags=re.S)
    namespace: dict[str, object] = {}
    exec(block, namespace)  # the page's own example, run to show it is right
    call = namespace["call"]
    assert isinstance(call, dncguard.Call)
    assert (call.purpose, call.caller, call.line) == ("sale", "seller", "unknown")
    assert "# ('sale', 'seller', 'unknown')" in block


@pytest.mark.parametrize("field", sorted(dncguard.Call.model_fields))
def test_every_call_field_is_described_in_calls(field: str) -> None:
    text = _text("calls.md")
    call_tables = (
        text.split("## The Call fields", 1)[1].split("### Relationship", 1)[0]
        + text.split("## Fields added by", 1)[1]
    )
    assert re.search(rf"^\| `{field}` \|", call_tables, flags=re.M), (
        f"docs/calls.md has no table row for the Call field {field!r}"
    )


@pytest.mark.parametrize("model", [dncguard.Relationship, dncguard.Consent, dncguard.DncRequest])
def test_every_evidence_field_is_described_in_calls(model: type[BaseModel]) -> None:
    section = _text("calls.md").split(f"### {model.__name__}", 1)[1].split("\n### ", 1)[0]
    for field in model.model_fields:
        assert f"| `{field}` |" in section, f"docs/calls.md: {model.__name__}.{field} is not described"


def test_every_flat_column_is_described_in_calls() -> None:
    from dncguard.models import EVIDENCE_COLUMNS

    text = _text("calls.md")
    for column in EVIDENCE_COLUMNS:
        assert f"| `{column}` |" in text, column


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from dncguard.cli import main

    assert main([*argv, "--help"]) == 0
    return capsys.readouterr().out


def test_every_command_and_flag_is_described_in_cli(capsys: pytest.CaptureFixture[str]) -> None:
    text = _text("cli.md")
    usage = _help(capsys)
    commands = re.findall(r"^    ([a-z][a-z-]*)\s", usage, flags=re.M)
    assert "check" in commands, usage
    for command in commands:
        assert re.search(rf"^## `dncguard {command}\b", text, flags=re.M), (
            f"docs/cli.md: no section for {command}"
        )
        for flag in set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", _help(capsys, command))) - {"--help"}:
            assert f"`{flag}" in text, f"docs/cli.md does not describe `dncguard {command} {flag}`"


def _anchors(text: str) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to ``-``."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.M):
        found.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return found


def test_links_between_pages_resolve() -> None:
    for name in PAGES:
        for target, anchor in re.findall(r"\]\(([\w./-]*?)(?:#([\w-]+))?\)", _text(name)):
            if target.startswith(("http", "../")):
                continue
            page = target or name
            assert (DOCS / page).is_file(), f"docs/{name} links to a missing page {page}"
            if anchor:
                assert anchor in _anchors(_text(page)), (
                    f"docs/{name} links to {page}#{anchor}: no such heading"
                )


def test_generated_tables_are_the_rule_tables() -> None:
    text = _text("defaults.md")
    assert _regenerate(text) == text, "docs/defaults.md is out of date: run `python tests/test_docs.py`"


def test_pending_markers_are_balanced() -> None:
    for name in PAGES:
        text = _text(name)
        markers = re.findall(r"<!-- (pending: [^>]*?|/pending) -->", text)
        opens = [m.startswith("pending:") for m in markers]
        assert opens == [True, False] * (len(markers) // 2), f"docs/{name}: pending markers must alternate"


def _mentions(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in FORBIDDEN:
            if needle in text:
                found.append(f"{path.relative_to(ROOT)}: {needle}")
    return found


def test_readme_points_to_every_page() -> None:
    section = (
        (ROOT / "README.md").read_text(encoding="utf-8").split("## Documentation", 1)[1].split("\n## ", 1)[0]
    )
    for name in PAGES:
        assert f"(docs/{name})" in section, f"README's Documentation section does not link docs/{name}"


def test_docs_and_readme_point_nowhere_else() -> None:
    paths = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    assert _mentions(paths) == []


def test_sources_point_nowhere_else() -> None:
    paths = sorted(p for p in (ROOT / "src").rglob("*") if p.is_file() and p.suffix in (".py", ".md", ".txt"))
    architecture = ROOT / "ARCHITECTURE.md"
    if architecture.exists():
        paths.append(architecture)
    assert _mentions(paths) == []


if __name__ == "__main__":  # regenerate the tables of docs/defaults.md
    target = DOCS / "defaults.md"
    target.write_text(_regenerate(target.read_text(encoding="utf-8")), encoding="utf-8")
    sys.exit(0)
