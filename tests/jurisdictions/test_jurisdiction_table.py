"""JURISDICTIONS is a literal registry: it must hold exactly the rule sets the modules define."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dncguard.jurisdictions import JURISDICTIONS, ca, us, us_states
from dncguard.jurisdictions.base import Jurisdiction

JURISDICTIONS_DIR = Path(__file__).parents[2] / "src" / "dncguard" / "jurisdictions"


def test_registry_holds_every_rule_set_the_modules_define() -> None:
    defined = [us.US, ca.CA] + [getattr(us_states, name) for name in us_states.__all__]
    assert all(isinstance(j, Jurisdiction) for j in defined)
    assert {j.code: j for j in defined} == dict(JURISDICTIONS)


@pytest.mark.parametrize("code", sorted(JURISDICTIONS))
def test_each_rule_set_is_keyed_by_its_own_code_and_cites_its_source(code: str) -> None:
    j = JURISDICTIONS[code]
    assert j.code == code
    assert re.fullmatch(r"(US|CA)(-[A-Z]{2})?", code)
    assert j.source, f"{code} has no source"
    assert code == j.country or code.startswith(j.country + "-")
    if j.lists:
        assert j.ebr is not None, f"{code} governs a list without windows"
        assert j.ebr.rule
        assert j.list_rule


@pytest.mark.parametrize("code", sorted(c for c in JURISDICTIONS if c.startswith("US-")))
def test_state_hours_are_never_looser_than_federal(code: str) -> None:
    """State rows add restrictions (RULES §2.2 lists only stricter states); the federal rule still applies."""
    week = JURISDICTIONS[code].hours
    if week is None:
        return
    federal = us.CALLING_HOURS
    for day in week.days:
        if day is not None:
            assert federal.start <= day.start
            assert day.end <= federal.end


def test_law_numbers_live_only_in_jurisdictions() -> None:
    """ARCHITECTURE: nowhere outside jurisdictions/ hard-codes 18 months, 31 days or 21:00."""
    src = JURISDICTIONS_DIR.parent
    pattern = re.compile(
        r"""\b(Months|Days|BusinessDays)\(\s*\d+\s*\)|Hours\.of\(|["']2[01]:[03]0["']|MAX_AGE_DAYS\s*[:=]"""
    )
    offenders = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if JURISDICTIONS_DIR not in p.parents and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
