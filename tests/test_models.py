"""The vocabulary: calls validate strictly, decisions explain themselves and round-trip as JSON."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from dncguard.models import (
    Call,
    Decision,
    Exemption,
    ExemptionCode,
    Reason,
    ReasonCode,
)

CALL = {"to": "(212) 555-0143", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"}


def test_naive_at_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"at\n.*timezone"):
        Call.model_validate({**CALL, "at": "2026-03-16T14:00:00"})


def test_naive_python_datetime_is_refused() -> None:
    with pytest.raises(ValidationError):
        Call(to="2125550143", at=dt.datetime(2026, 3, 16, 14), seller="acme")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("purpose", "telemarketing"),
        ("caller", "robot"),
        ("line", "fax"),
        ("callee_region", "Georgia"),
        ("callee_region", "US-ZZ"),  # the shape of a region, but none dncguard knows
        ("callee_timezone", "Mars/Olympus_Mons"),
        ("seller", "  "),
    ],
)
def test_unknown_field_values_are_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field):
        Call.model_validate({**CALL, field: value})


def test_unknown_fields_are_refused() -> None:
    # A misspelt evidence field ("relationship") must not be silently ignored: that would drop
    # evidence the caller meant to give, or worse, a do-not-call request.
    with pytest.raises(ValueError, match="dnc_request"):
        Call.model_validate({**CALL, "dnc_request": [{"on": "2026-01-01"}]})


def test_defaults_follow_the_api() -> None:
    call = Call.model_validate(CALL)
    assert (call.caller, call.purpose, call.line, call.prerecorded) == ("seller", "sale", "unknown", False)
    assert (call.relationships, call.consents, call.dnc_requests) == ((), (), ())


def test_integer_number_is_accepted_as_text() -> None:
    assert Call.model_validate({**CALL, "to": 2125550143}).to == "2125550143"


def test_a_datetime_where_a_date_is_expected_keeps_its_date() -> None:
    call = Call.model_validate(
        {**CALL, "relationships": [{"kind": "inquiry", "on": "2025-12-16T23:30:00-05:00"}]}
    )
    assert call.relationships[0].on == dt.date(2025, 12, 16)


def test_call_round_trips_through_json() -> None:
    call = Call.model_validate(
        {
            **CALL,
            "relationships": [{"kind": "contract", "on": "2025-01-01", "ends": "2026-01-01"}],
            "consents": [{"kind": "written", "on": "2025-02-02", "revoked_on": "2025-03-03"}],
            "dnc_requests": [{"on": "2025-04-04", "seller": "other"}],
            "callee_region": "us-ga",
            "callee_timezone": "America/New_York",
            "reassigned_on": "2024-05-05",
        }
    )
    assert call.callee_region == "US-GA"
    assert Call.model_validate_json(call.model_dump_json()) == call
    assert Call.model_validate(call.model_dump(mode="json")) == call


def test_decision_round_trips_and_is_falsy_when_blocked() -> None:
    decision = Decision(
        allowed=False,
        reasons=(
            Reason(
                code=ReasonCode.NATIONAL_REGISTRY,
                jurisdiction="US",
                rule="16 CFR 310.4(b)(1)(iii)(B)",
                message="listed on the FTC National Do Not Call Registry",
            ),
        ),
        exemptions=(Exemption(code=ExemptionCode.CONSENT, jurisdiction="CA", rule="UTR Part II"),),
        next_allowed_at=dt.datetime(2026, 3, 17, 8, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
        number="+12125550143",
        jurisdictions=("US", "US-NY"),
    )
    dumped = decision.model_dump(mode="json")
    assert dumped["reasons"][0]["code"] == "national_registry"
    assert Decision.model_validate(dumped) == decision
    # `if guard.check(call): dial()` must never dial a blocked call.
    assert not decision
    assert Decision(allowed=True, number="+12125550143")


def test_codes_are_the_stable_strings_of_the_api() -> None:
    assert {c.value for c in ReasonCode} >= {
        "invalid_number", "national_registry", "state_registry", "internal_list", "calling_hours",
        "stale_registry", "area_code_not_covered", "prerecorded_without_consent",
        "jurisdiction_excluded",
    }  # fmt: skip
    assert {c.value for c in ExemptionCode} >= {
        "ebr_purchase", "ebr_inquiry", "ebr_contract", "consent", "charity", "political", "survey",
        "newspaper", "business_line",
    }  # fmt: skip
