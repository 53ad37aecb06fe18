"""How a call is made (API.md §9): prerecorded voice to wireless numbers, automated dialing.

* 47 CFR 64.1200(a)(1)(iii): an artificial or prerecorded voice call to a wireless number needs
  the called party's prior express consent whatever its purpose (any recorded consent kind,
  verbal included, for a call that sells nothing; (a)(2): written for a sale). ``line="unknown"``
  is read as wireless (fail closed).
* Fla. Stat. 501.059(8)(a), Okla. Stat. tit. 15, 775C.3, Md. Code Com. Law 14-4502(a)(3): a sales
  call with automated selection or dialing needs prior express written consent; a relationship
  does not replace it (each statute's scope is unclear or says so: fail closed).

Both front ends are asserted: ``Guard.check`` through the harness, and ``scrub`` of the same calls.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
from harness import NUMBER, _guard, at, check, codes

NY = NUMBER["US"]
NOON_NY = at("2026-03-16", "12:00", "America/New_York")


def both(to: str, when: str, **fields: Any) -> set[str]:
    """The reason codes of a call, asserted equal in ``check`` and ``scrub``."""
    d = check(to, when, **fields)
    guard = _guard(dt.datetime.fromisoformat(when).date() - dt.timedelta(days=1))
    row: dict[str, Any] = {"to": to, "at": when, "seller": "acme", "purpose": "sale"}
    consent = fields.pop("consents", ())
    row.update(fields)
    if consent:
        row["consent_kind"], row["consent_on"] = consent[0]["kind"], consent[0]["on"]
    rel = fields.pop("relationships", ())
    row.pop("relationships", None)
    if rel:
        row["last_purchase"] = rel[0]["on"]
    out = guard.scrub(pa.Table.from_pylist([row]))
    assert out.column("reasons").to_pylist()[0] == [r.code.value for r in d.reasons]
    return codes(d)


@pytest.mark.parametrize("line", ["wireless", "unknown"])
@pytest.mark.parametrize("purpose", ["informational", "survey", "political"])
def test_prerecorded_to_a_wireless_number_needs_consent_whatever_the_purpose(line: str, purpose: str) -> None:
    assert "prerecorded_without_consent" in both(NY, NOON_NY, prerecorded=True, line=line, purpose=purpose)


@pytest.mark.parametrize("kind", ["verbal", "recorded_verbal", "written", "electronic"])
def test_any_recorded_consent_suffices_for_a_call_that_sells_nothing(kind: str) -> None:
    consent = [{"kind": kind, "on": "2026-01-05"}]
    got = both(NY, NOON_NY, prerecorded=True, line="wireless", purpose="informational", consents=consent)
    assert "prerecorded_without_consent" not in got


def test_a_residential_or_business_line_is_outside_the_wireless_rule() -> None:
    for line in ("residential", "business"):
        got = both(NY, NOON_NY, prerecorded=True, line=line, purpose="informational")
        assert "prerecorded_without_consent" not in got


def test_a_prerecorded_sale_to_a_wireless_number_needs_written_consent() -> None:
    verbal = [{"kind": "verbal", "on": "2026-01-05"}]
    written = [{"kind": "written", "on": "2026-01-05"}]
    assert "prerecorded_without_consent" in both(
        NY, NOON_NY, prerecorded=True, line="wireless", consents=verbal
    )
    assert "prerecorded_without_consent" not in both(
        NY, NOON_NY, prerecorded=True, line="wireless", consents=written
    )


def test_the_wireless_rule_cites_64_1200_a_1_iii() -> None:
    d = check(NY, NOON_NY, prerecorded=True, line="unknown", purpose="informational")
    assert [r.rule for r in d.reasons if r.code.value == "prerecorded_without_consent"] == [
        "47 CFR 64.1200(a)(1)(iii)"
    ]


def test_a_consent_revoked_or_before_a_dnc_request_does_not_count() -> None:
    revoked = [{"kind": "verbal", "on": "2026-01-05", "revoked_on": "2026-02-01"}]
    d = check(NY, NOON_NY, prerecorded=True, line="wireless", purpose="informational", consents=revoked)
    assert "prerecorded_without_consent" in codes(d)
    before = [{"kind": "verbal", "on": "2026-01-05"}]
    d = check(
        NY,
        NOON_NY,
        prerecorded=True,
        line="wireless",
        purpose="informational",
        consents=before,
        dnc_requests=[{"on": "2026-02-01"}],
    )
    assert "prerecorded_without_consent" in codes(d)


STATES = {"US-FL": ("305-555-0123", "America/New_York"), "US-OK": ("580-555-0123", "America/Chicago")}


@pytest.mark.parametrize("state", sorted(STATES))
def test_automated_sales_call_needs_written_consent(state: str) -> None:
    to, zone = STATES[state]
    when = at("2026-03-16", "12:00", zone)
    d = check(to, when, automated=True)
    assert [r.jurisdiction for r in d.reasons if r.code.value == "automated_without_consent"] == [state]
    assert "automated_without_consent" in both(to, when, automated=True)
    written = [{"kind": "electronic", "on": "2026-01-05"}]
    assert "automated_without_consent" not in both(to, when, automated=True, consents=written)
    verbal = [{"kind": "recorded_verbal", "on": "2026-01-05"}]
    assert "automated_without_consent" in both(to, when, automated=True, consents=verbal)


def test_a_relationship_does_not_lift_the_automated_rule() -> None:
    to, zone = STATES["US-FL"]
    when = at("2026-03-16", "12:00", zone)
    purchase = [{"kind": "purchase", "on": "2026-01-05"}]
    assert "automated_without_consent" in both(to, when, automated=True, relationships=purchase)


def test_automated_rule_reaches_sales_only_and_only_its_states() -> None:
    to, zone = STATES["US-FL"]
    when = at("2026-03-16", "12:00", zone)
    assert "automated_without_consent" not in both(to, when, automated=True, purpose="informational")
    assert "automated_without_consent" not in both(NY, NOON_NY, automated=True)
    assert "automated_without_consent" not in both(to, when)
    # A Maryland address brings Maryland's rule (callee_region), whatever the area code.
    assert "automated_without_consent" in codes(check(NY, NOON_NY, automated=True, callee_region="US-MD"))
