"""The pure policy: facts in, verdict out. Each test names the rule (RULES.md section) it checks."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dncguard.facts import ALL_DAYS, NO_DAYS, CallFacts, span_mask
from dncguard.models import ExemptionCode, ReasonCode
from dncguard.policy import decide, time_rules

E = ExemptionCode
R = ReasonCode
US = CallFacts(country="US", jurisdictions=("US",))
CA = CallFacts(country="CA", jurisdictions=("CA",))
LISTED_US = dataclasses.replace(US, national_listed=True)
LISTED_CA = dataclasses.replace(CA, national_listed=True)


def codes(f: CallFacts, allowed: frozenset[str] | None = None) -> list[tuple[str, str]]:
    return [(r.code.value, r.jurisdiction) for r in decide(f, allowed).reasons]


def exemptions(f: CallFacts) -> list[str]:
    return [e.code.value for e in decide(f).exemptions]


def masks(code: str, purchase: int = 0, inquiry: int = 0, contract: int = 0, consent: int = 0) -> tuple:
    return ((code, (purchase, inquiry, contract, consent)),)


@pytest.mark.parametrize(
    ("rule", "facts", "allowed", "exempt"),
    [
        ("§1.3 unlisted number, fresh covered copy: allowed", US, True, []),
        ("§1.3 listed on the US registry: blocked", LISTED_US, False, []),
        (
            "§6.8 survey exempt from the US registry",
            dataclasses.replace(LISTED_US, purpose="survey"),
            True,
            ["survey"],
        ),
        ("§6.8 political exempt", dataclasses.replace(LISTED_US, purpose="political"), True, ["political"]),
        (
            "§6.8 informational exempt",
            dataclasses.replace(LISTED_US, purpose="informational"),
            True,
            ["informational"],
        ),
        (
            "§6.8 charity calling for itself",
            dataclasses.replace(LISTED_US, purpose="donation", caller="charity"),
            True,
            ["charity"],
        ),
        (
            "§6.8 telemarketer for a charity",
            dataclasses.replace(LISTED_US, purpose="donation", caller="telemarketer"),
            True,
            ["charity"],
        ),
        (
            "§6.8 a seller asking for donations is no charity",
            dataclasses.replace(LISTED_US, purpose="donation", caller="seller"),
            False,
            [],
        ),
        (
            "§6.8 newspaper exemption is Canadian only",
            dataclasses.replace(LISTED_US, purpose="newspaper_subscription"),
            False,
            [],
        ),
        (
            "§6.8 newspaper exempt from the DNCL",
            dataclasses.replace(LISTED_CA, purpose="newspaper_subscription"),
            True,
            ["newspaper"],
        ),
        (
            "§6.9 business line outside the US registry",
            dataclasses.replace(LISTED_US, line="business"),
            True,
            ["business_line"],
        ),
        (
            "§6.9 business line outside the DNCL",
            dataclasses.replace(LISTED_CA, line="business"),
            True,
            ["business_line"],
        ),
        ("§6.9 wireless is residential", dataclasses.replace(LISTED_US, line="wireless"), False, []),
        (
            "§6.4 purchase EBR",
            dataclasses.replace(LISTED_US, exemptions=masks("US", purchase=ALL_DAYS)),
            True,
            ["ebr_purchase"],
        ),
        (
            "§6.4 inquiry EBR",
            dataclasses.replace(LISTED_US, exemptions=masks("US", inquiry=ALL_DAYS)),
            True,
            ["ebr_inquiry"],
        ),
        (
            "§6.4 contract EBR (Canada)",
            dataclasses.replace(LISTED_CA, exemptions=masks("CA", contract=ALL_DAYS)),
            True,
            ["ebr_contract"],
        ),
        (
            "§6.6 consent",
            dataclasses.replace(LISTED_US, exemptions=masks("US", consent=ALL_DAYS)),
            True,
            ["consent"],
        ),
        (
            "§6.4 an EBR valid under another jurisdiction's window does not help",
            dataclasses.replace(LISTED_US, exemptions=masks("CA", purchase=ALL_DAYS)),
            False,
            [],
        ),
    ],
)
def test_national_registry_and_its_exemptions(
    rule: str, facts: CallFacts, allowed: bool, exempt: list[str]
) -> None:
    verdict = decide(facts)
    assert verdict.allowed is allowed, rule
    assert exemptions(facts) == exempt, rule
    if not allowed:
        assert (R.NATIONAL_REGISTRY.value, facts.country) in codes(facts)


def test_every_reason_carries_a_citation() -> None:
    """Issue 5 §6: every blocking reason, with its jurisdiction and citation."""
    f = dataclasses.replace(
        LISTED_US,
        prerecorded=True,
        requested=ALL_DAYS,
        hours_failed=frozenset({"US"}),
        national_fresh=NO_DAYS,
    )
    verdict = decide(f)
    assert {r.code for r in verdict.reasons} == {
        R.NATIONAL_REGISTRY,
        R.STALE_REGISTRY,
        R.INTERNAL_LIST,
        R.PRERECORDED_WITHOUT_CONSENT,
        R.CALLING_HOURS,
    }
    assert all(r.rule and r.message and r.jurisdiction == "US" for r in verdict.reasons)


class TestFreshnessAndCoverage:
    """RULES §6.1-6.2: a stale or uncovered copy blocks only where the answer depends on it."""

    def test_stale_copy_blocks_an_unlisted_number(self) -> None:
        assert codes(dataclasses.replace(US, national_fresh=NO_DAYS)) == [("stale_registry", "US")]

    def test_stale_copy_and_listing_give_both_reasons(self) -> None:
        f = dataclasses.replace(LISTED_US, national_fresh=NO_DAYS)
        assert codes(f) == [("national_registry", "US"), ("stale_registry", "US")]

    def test_uncovered_area_code_blocks(self) -> None:
        assert codes(dataclasses.replace(US, national_covered=False)) == [("area_code_not_covered", "US")]

    @pytest.mark.parametrize(
        ("purpose", "caller", "line", "ev"),
        [
            ("survey", "seller", "unknown", ()),
            ("donation", "charity", "unknown", ()),
            ("sale", "seller", "business", ()),
            ("sale", "seller", "unknown", masks("US", purchase=ALL_DAYS)),
            ("sale", "seller", "unknown", masks("US", consent=ALL_DAYS)),
        ],
    )
    def test_an_exemption_that_would_allow_a_listed_number_needs_no_copy(
        self, purpose: str, caller: str, line: str, ev: tuple
    ) -> None:
        for broken in ({"national_fresh": NO_DAYS}, {"national_covered": False}):
            f = dataclasses.replace(US, purpose=purpose, caller=caller, line=line, exemptions=ev, **broken)
            assert decide(f).allowed
            assert decide(f).exemptions, "the exemption was needed, so it is reported"

    def test_freshness_is_judged_on_the_day_decided(self) -> None:
        f = dataclasses.replace(US, national_fresh=span_mask(0, 2))
        assert decide(f).allowed
        assert decide(dataclasses.replace(f, day=1)).allowed
        assert not decide(dataclasses.replace(f, day=2)).allowed


class TestInternalList:
    """RULES §6.5, §6.8: a do-not-call request binds every caller except Canadian surveys."""

    @pytest.mark.parametrize("purpose", ["sale", "donation", "political", "survey", "informational"])
    def test_us_request_blocks_every_purpose(self, purpose: str) -> None:
        f = dataclasses.replace(US, purpose=purpose, caller="charity", requested=ALL_DAYS)
        assert ("internal_list", "US") in codes(f)

    def test_business_line_still_honours_requests(self) -> None:
        assert ("internal_list", "US") in codes(dataclasses.replace(US, line="business", requested=ALL_DAYS))

    def test_canadian_survey_ignores_internal_list(self) -> None:
        assert decide(dataclasses.replace(CA, purpose="survey", requested=ALL_DAYS)).allowed

    @pytest.mark.parametrize("purpose", ["political", "newspaper_subscription", "donation"])
    def test_canadian_exempt_callers_honour_internal_list(self, purpose: str) -> None:
        f = dataclasses.replace(LISTED_CA, purpose=purpose, caller="charity", requested=ALL_DAYS)
        assert codes(f) == [("internal_list", "CA")]

    def test_consent_after_the_request_permits(self) -> None:
        f = dataclasses.replace(US, requested=ALL_DAYS, exemptions=masks("US", consent=ALL_DAYS))
        assert decide(f).allowed

    def test_request_takes_effect_on_its_day(self) -> None:
        f = dataclasses.replace(US, requested=span_mask(1, 99))
        assert decide(f).allowed
        assert not decide(dataclasses.replace(f, day=1)).allowed


class TestPrerecorded:
    """RULES §6.10: prerecorded sales calls need consent; a relationship is not enough."""

    def test_relationship_is_not_enough(self) -> None:
        f = dataclasses.replace(US, prerecorded=True, exemptions=masks("US", purchase=ALL_DAYS))
        assert codes(f) == [("prerecorded_without_consent", "US")]

    def test_consent_permits(self) -> None:
        assert decide(
            dataclasses.replace(US, prerecorded=True, exemptions=masks("US", consent=ALL_DAYS))
        ).allowed

    def test_prerecorded_survey_is_not_a_sales_call(self) -> None:
        # A residential line: the sales rule alone (a wireless line needs consent, RULES §6.21).
        assert decide(dataclasses.replace(US, prerecorded=True, purpose="survey", line="residential")).allowed

    def test_prerecorded_survey_to_a_wireless_number_needs_any_consent(self) -> None:
        f = dataclasses.replace(US, prerecorded=True, purpose="survey", line="wireless")
        assert codes(f) == [("prerecorded_without_consent", "US")]
        assert decide(dataclasses.replace(f, consents=(("verbal", ALL_DAYS),))).allowed

    def test_automated_sale_into_florida_needs_written_consent(self) -> None:
        fl = dataclasses.replace(US, jurisdictions=("US", "US-FL"), automated=True)
        assert ("automated_without_consent", "US-FL") in codes(fl)
        assert ("automated_without_consent", "US-FL") not in codes(
            dataclasses.replace(fl, consents=(("written", ALL_DAYS),))
        )

    def test_canada_too(self) -> None:
        assert codes(dataclasses.replace(CA, prerecorded=True)) == [("prerecorded_without_consent", "CA")]


class TestHours:
    """RULES §6.7: hours apply to every telemarketing call, exempt or not, except as listed."""

    @pytest.mark.parametrize(
        ("country", "purpose", "applies"),
        [
            ("US", "sale", True),
            ("US", "donation", True),
            ("US", "newspaper_subscription", True),
            ("US", "survey", False),
            ("US", "political", False),
            ("US", "informational", False),
            ("CA", "political", True),
            ("CA", "donation", True),
            ("CA", "survey", False),
            ("CA", "informational", False),
        ],
    )
    def test_which_calls_keep_the_hours(self, country: str, purpose: str, applies: bool) -> None:
        f = CallFacts(
            country=country, jurisdictions=(country,), purpose=purpose, hours_failed=frozenset({country})
        )
        assert (time_rules(f) == (country,)) is applies
        assert decide(f).allowed is not applies

    def test_location_unknown_blocks(self) -> None:
        f = dataclasses.replace(US, location_known=False)
        assert codes(f) == [("calling_hours", "US")]
        assert "location unknown" in decide(f).reasons[0].message

    def test_location_unknown_does_not_matter_to_surveys(self) -> None:
        assert decide(dataclasses.replace(US, location_known=False, purpose="survey")).allowed

    def test_exemptions_do_not_lift_the_hours(self) -> None:
        f = dataclasses.replace(
            LISTED_US, exemptions=masks("US", consent=ALL_DAYS), hours_failed=frozenset({"US"})
        )
        assert codes(f) == [("calling_hours", "US")]


class TestStates:
    """RULES §6.4, §6.11, §6.12: state lists, state windows, strictest outcome of all."""

    TX = CallFacts(country="US", jurisdictions=("US", "US-TX"))

    def test_state_list_blocks_under_state_citation(self) -> None:
        f = dataclasses.replace(self.TX, state_listed=(("US-TX", ALL_DAYS),))
        assert codes(f) == [("state_registry", "US-TX")]
        assert "Tex." in decide(f).reasons[0].rule

    def test_federal_window_does_not_lift_a_state_list(self) -> None:
        f = dataclasses.replace(
            self.TX,
            state_listed=(("US-TX", ALL_DAYS),),
            exemptions=(("US", (ALL_DAYS, 0, 0, 0)), ("US-TX", (0, 0, 0, 0))),
        )
        assert codes(f) == [("state_registry", "US-TX")]

    def test_state_window_lifts_its_list(self) -> None:
        f = dataclasses.replace(
            self.TX, state_listed=(("US-TX", ALL_DAYS),), exemptions=(("US-TX", (ALL_DAYS, 0, 0, 0)),)
        )
        assert decide(f).allowed

    @pytest.mark.parametrize("purpose", ["donation", "survey", "political", "informational"])
    def test_exempt_purposes_are_outside_state_lists(self, purpose: str) -> None:
        f = dataclasses.replace(
            self.TX, purpose=purpose, caller="charity", state_listed=(("US-TX", ALL_DAYS),)
        )
        assert decide(f).allowed

    def test_state_without_list_holds_national_listing_to_its_window(self) -> None:
        wa = CallFacts(
            country="US",
            jurisdictions=("US", "US-WA"),
            national_listed=True,
            exemptions=(("US", (ALL_DAYS, 0, 0, 0)), ("US-WA", (0, 0, 0, 0))),
        )
        assert codes(wa) == [("national_registry", "US-WA")]

    def test_national_listing_of_another_country_is_ignored(self) -> None:
        """A Canadian number's DNCL listing is the DNCL's business, not the FTC's."""
        f = CallFacts(
            country="CA",
            jurisdictions=("CA", "US"),
            national_listed=True,
            exemptions=masks("CA", consent=ALL_DAYS),
        )
        assert decide(f).allowed

    def test_jurisdiction_left_out_blocks(self) -> None:
        f = self.TX
        assert codes(f, frozenset({"US", "CA"})) == [("jurisdiction_excluded", "US-TX")]
        assert decide(f, frozenset({"US", "CA"})).jurisdictions == ("US",)
        assert decide(f).jurisdictions == ("US", "US-TX")


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

masks_st = st.integers(0, ALL_DAYS)
codes_st = st.sampled_from(
    [("US",), ("US", "US-TX"), ("US", "US-WA"), ("CA",), ("US", "US-FL", "US-AL"), ("CA", "US")]
)


@st.composite
def call_facts(draw: st.DrawFn) -> CallFacts:
    js = draw(codes_st)
    country = js[0]
    return CallFacts(
        country=country,
        jurisdictions=js,
        purpose=draw(
            st.sampled_from(
                ["sale", "donation", "political", "survey", "newspaper_subscription", "informational"]
            )
        ),
        caller=draw(st.sampled_from(["seller", "telemarketer", "charity"])),
        line=draw(st.sampled_from(["residential", "wireless", "business", "unknown"])),
        prerecorded=draw(st.booleans()),
        national_listed=draw(st.booleans()),
        national_covered=draw(st.booleans()),
        national_fresh=draw(masks_st),
        state_listed=tuple(
            (c, draw(masks_st)) for c in js if c in ("US-TX", "US-FL") and draw(st.booleans())
        ),
        requested=draw(masks_st),
        exemptions=tuple((c, (draw(masks_st), draw(masks_st), draw(masks_st), draw(masks_st))) for c in js),
        location_known=draw(st.booleans()),
        hours_failed=frozenset(c for c in js if draw(st.booleans())),
        day=draw(st.integers(0, 8)),
    )


@given(call_facts(), st.data())
def test_property_adding_a_listing_or_request_never_allows(f: CallFacts, data: st.DataObject) -> None:
    more = dataclasses.replace(
        f,
        national_listed=f.national_listed or data.draw(st.booleans()),
        requested=f.requested | data.draw(masks_st),
        state_listed=tuple((c, m | data.draw(masks_st)) for c, m in f.state_listed),
    )
    if not decide(f).allowed:
        assert not decide(more).allowed


@given(call_facts(), st.data())
def test_property_adding_an_exemption_never_blocks(f: CallFacts, data: st.DataObject) -> None:
    more = dataclasses.replace(
        f, exemptions=tuple((c, tuple(m | data.draw(masks_st) for m in ms)) for c, ms in f.exemptions)
    )
    if decide(f).allowed:
        assert decide(more).allowed


@given(call_facts())
def test_property_blocked_means_reasons_and_allowed_means_none(f: CallFacts) -> None:
    v = decide(f)
    assert v.allowed is (not v.reasons)
    assert set(v.jurisdictions) <= set(f.jurisdictions)


class TestTexts:
    """RULES §6.19: a Canadian commercial text is decided under CASL, not the DNCL or UTR hours."""

    def test_a_listed_canadian_number_may_be_texted_with_implied_consent(self) -> None:
        text = dataclasses.replace(CA, national_listed=True, channel="text", casl=(ALL_DAYS, 0, 0, 0))
        v = decide(text)
        assert v.allowed
        assert [e.code.value for e in v.exemptions] == ["ebr_purchase"]
        assert codes(dataclasses.replace(text, casl=(0, 0, 0, 0))) == [("text_without_consent", "CA")]

    def test_canadian_hours_do_not_reach_a_text(self) -> None:
        text = dataclasses.replace(
            CA, channel="text", hours_failed=frozenset({"CA"}), casl=(0, 0, 0, ALL_DAYS)
        )
        assert decide(text).allowed
