"""United States (federal): 16 CFR 310.4(c) and 47 CFR 64.1200(c)(1); the prerecorded-call rule."""

from __future__ import annotations

from harness import NUMBER, assert_window, at, check

from dncguard.jurisdictions import JURISDICTIONS


def test_hours_8_to_9_every_day_both_ends_allowed() -> None:
    assert_window(NUMBER["US"], "2026-03-16", "08:00", "21:00")
    assert_window(NUMBER["US"], "2026-03-22", "08:00", "21:00")


def test_prerecorded_rule_cites_residential_and_wireless_paragraphs() -> None:
    rule = JURISDICTIONS["US"].prerecorded_rule
    assert "64.1200(a)(3) (residential)" in rule
    assert "(a)(1)(iii)" in rule
    assert "(a)(2)" in rule
    d = check(NUMBER["US"], at("2026-03-16", "12:00", "America/New_York"), prerecorded=True)
    assert [r.rule for r in d.reasons if r.code.value == "prerecorded_without_consent"] == [rule]
