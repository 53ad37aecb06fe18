"""Text messages (``channel="text"``, API.md §9, RULES §6.19).

* US: a text is a call (FCC 23-107; 47 CFR 64.1200(e)): the lists and calling hours apply as to a
  voice call.
* Canada: a commercial text is a commercial electronic message under CASL (S.C. 2010, c. 23, s. 6):
  it needs express consent (written, electronic or recorded verbal: s. 10(1)) or consent implied by
  a relationship (two years after a purchase or contract, six months after an inquiry: s. 10(10));
  an unsubscribe ends both (s. 11); the DNCL and the UTR calling hours do not govern it.

Each case is asserted in ``check`` and in ``scrub`` of the same call.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
from harness import NUMBER, _guard, at, check, codes

TORONTO = NUMBER["CA"]
NY = NUMBER["US"]


def both(to: str, when: str, **fields: Any) -> Any:
    """``check`` of a text, asserted equal to ``scrub`` of the same row (reason codes, exemptions)."""
    d = check(to, when, channel="text", **fields)
    guard = _guard(dt.datetime.fromisoformat(when).date() - dt.timedelta(days=1))
    row: dict[str, Any] = {"to": to, "at": when, "seller": "acme", "purpose": "sale", "channel": "text"}
    for key in ("purpose", "caller", "line"):
        if key in fields:
            row[key] = fields[key]
    for r in fields.get("relationships", ()):
        row[
            {"purchase": "last_purchase", "inquiry": "last_inquiry", "contract": "contract_on"}[r["kind"]]
        ] = r["on"]
    for c in fields.get("consents", ()):
        row["consent_kind"], row["consent_on"] = c["kind"], c["on"]
    for q in fields.get("dnc_requests", ()):
        row["dnc_requested_on"] = q["on"]
    out = guard.scrub(pa.Table.from_pylist([row]))
    assert out.column("reasons").to_pylist()[0] == [r.code.value for r in d.reasons]
    return d


def test_a_commercial_text_into_canada_needs_consent() -> None:
    d = both(TORONTO, at("2026-03-16", "12:00", "America/Toronto"))
    assert [(r.code.value, r.jurisdiction) for r in d.reasons] == [("text_without_consent", "CA")]
    assert "S.C. 2010, c. 23" in d.reasons[0].rule


@pytest.mark.parametrize("kind", ["written", "electronic", "recorded_verbal"])
def test_express_consent_suffices(kind: str) -> None:
    d = both(
        TORONTO, at("2026-03-16", "12:00", "America/Toronto"), consents=[{"kind": kind, "on": "2024-01-05"}]
    )
    assert d.allowed
    assert [e.code.value for e in d.exemptions] == ["consent"]


def test_plain_verbal_consent_is_not_proof() -> None:
    d = both(
        TORONTO,
        at("2026-03-16", "12:00", "America/Toronto"),
        consents=[{"kind": "verbal", "on": "2026-01-05"}],
    )
    assert "text_without_consent" in codes(d)


def test_implied_consent_two_years_after_a_purchase_six_months_after_an_inquiry() -> None:
    when = at("2026-03-16", "12:00", "America/Toronto")
    # Two years (the UTR's 18 months would have lapsed): the day before the anniversary counts.
    assert both(TORONTO, when, relationships=[{"kind": "purchase", "on": "2024-03-17"}]).allowed
    assert "text_without_consent" in codes(
        both(TORONTO, when, relationships=[{"kind": "purchase", "on": "2024-03-16"}])
    )
    assert both(TORONTO, when, relationships=[{"kind": "inquiry", "on": "2025-09-17"}]).allowed
    assert "text_without_consent" in codes(
        both(TORONTO, when, relationships=[{"kind": "inquiry", "on": "2025-09-16"}])
    )


def test_an_unsubscribe_ends_implied_and_earlier_express_consent() -> None:
    when = at("2026-03-16", "12:00", "America/Toronto")
    stop = [{"on": "2026-02-01"}]
    d = both(TORONTO, when, relationships=[{"kind": "purchase", "on": "2026-01-05"}], dnc_requests=stop)
    assert [(r.code.value, r.rule) for r in d.reasons] == [("internal_list", "S.C. 2010, c. 23, s. 11(3)")]
    d = both(TORONTO, when, consents=[{"kind": "written", "on": "2026-01-05"}], dnc_requests=stop)
    assert "internal_list" in codes(d)
    assert both(TORONTO, when, consents=[{"kind": "written", "on": "2026-02-10"}], dnc_requests=stop).allowed


def test_no_dncl_and_no_utr_hours_for_a_text() -> None:
    # 22:30 in Toronto: after the UTR's 21:30, but CASL sets no hours.
    late = at("2026-03-16", "22:30", "America/Toronto")
    d = both(TORONTO, late, consents=[{"kind": "written", "on": "2026-01-05"}])
    assert d.allowed
    assert "calling_hours" in codes(check(TORONTO, late, consents=[{"kind": "written", "on": "2026-01-05"}]))


def test_a_text_that_is_not_commercial_is_outside_casl() -> None:
    assert both(TORONTO, at("2026-03-16", "12:00", "America/Toronto"), purpose="informational").allowed


def test_in_the_us_a_text_is_a_call() -> None:
    late = at("2026-03-16", "21:01", "America/New_York")
    assert "calling_hours" in codes(both(NY, late))
    assert both(NY, at("2026-03-16", "12:00", "America/New_York")).allowed
    assert "state_registry" in codes(both("512-555-0177", at("2026-03-16", "12:00", "America/Chicago")))
