"""Every row of the law tables says what it rests on; every jurisdiction file cites its texts.

Follows python-holidays: each jurisdiction file opens with a ``References`` block naming the
statute sections and the URL of the official text; each row records (``Basis``) whether it was
checked against that text or rests only on secondary sources. The README lists the latter, and
this module holds that list equal to the data.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

from dncguard.jurisdictions import JURISDICTIONS, audit, ca, call_rules, holidays, us, us_states

ROOT = Path(__file__).resolve().parents[2]
MODULES = [us, ca, us_states, holidays, call_rules]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_each_jurisdiction_file_opens_with_references_to_official_texts(module: ModuleType) -> None:
    doc = module.__doc__ or ""
    assert "References" in doc, module.__name__
    block = doc.split("References", 1)[1]
    assert re.search(r"https?://\S+", block), module.__name__


def test_every_row_a_rule_set_sets_records_its_basis() -> None:
    assert audit.unbased() == []


@pytest.mark.parametrize(("where", "basis"), list(audit.rows()), ids=lambda x: str(x)[:40])
def test_each_basis_is_complete(where: str, basis: object) -> None:
    from dncguard.jurisdictions.base import Basis

    assert isinstance(basis, Basis)
    assert basis.citation.strip(), where
    if basis.primary:
        assert basis.url.startswith(("https://", "http://")), f"{where}: a row read in the text names its URL"
    else:
        assert basis.note.strip(), f"{where}: a secondary row names its sources"
        assert basis.url == ""


@pytest.mark.parametrize("code", sorted(c for c in JURISDICTIONS if c.startswith("US-")))
def test_a_state_rows_rule_is_its_basis_citation(code: str) -> None:
    j = JURISDICTIONS[code]
    cite = {b.row: b.citation for b in j.basis}
    if j.hours is not None:
        assert j.hours_rule == cite["hours"]
    if j.holidays is not None:
        assert j.holidays_rule == cite["holidays"]
    if j.lists:
        assert j.list_rule == cite["list"]


def test_each_row_is_recorded_once() -> None:
    for code, j in JURISDICTIONS.items():
        recorded = [b.row for b in j.basis]
        assert len(recorded) == len(set(recorded)), code


def test_readme_lists_exactly_the_rows_resting_on_secondary_sources() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(audit.BEGIN)
    end = text.index(audit.END) + len(audit.END)
    assert text[start:end] == audit.secondary_section(), "run: python -m dncguard.jurisdictions.audit"


def test_rows_checked_against_the_text() -> None:
    """The rows this audit read in the statute or regulation text (a list to grow, never shrink)."""
    read = {(code, b.row) for code, b in audit.rows() if b.primary}
    assert read >= {
        ("US-AL", "hours"),
        ("US-AL", "holidays"),
        ("US-FL", "hours"),
        ("US-LA", "hours"),
        ("US-IN", "ebr"),
        ("US-LA", "holidays"),
        ("US-MA", "hours"),
        ("US-MO", "ebr"),
        ("US-MS", "hours"),
        ("US-NM", "hours"),
        ("US-PA", "hours"),
        ("US-RI", "hours"),
        ("US-RI", "holidays"),
        ("US-TN", "ebr"),
        ("US-UT", "hours"),
        ("US-UT", "holidays"),
        ("US-WA", "ebr"),
        ("US-WA", "hours"),
        ("US", "prerecorded"),
    }


def test_call_rules_tables_are_cited_and_keyed_by_their_jurisdiction() -> None:
    for table in (call_rules.FREQUENCY_CAPS, call_rules.AUTOMATED_DIALING):
        for code, entry in table.items():
            assert entry.jurisdiction == code
            assert code in JURISDICTIONS
            assert entry.rule
    for cap in call_rules.FREQUENCY_CAPS.values():
        assert cap.calls > 0
        assert cap.window_minutes > 0
    for auto in call_rules.AUTOMATED_DIALING.values():
        assert auto.consent_kinds <= JURISDICTIONS["US"].consent_kinds
