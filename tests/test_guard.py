"""Guard.check at every edge the law draws. Each test names the rule (RULES.md section) it checks.

The registry is built with ``Registry.build`` from chunks: the national copies (FTC, DNCL) are
obtained on 2026-03-10 (or a date a test gives) for the area codes used here, the Texas, Indiana
and Louisiana lists on 2026-01-01, and ``acme`` keeps an internal list. Only synthetic 555-01XX
numbers appear.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dncguard.errors import StaleRegistryError
from dncguard.facts import list_states
from dncguard.guard import Guard
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.models import Call, Consent, Decision, DncRequest, Relationship
from dncguard.registry import Registry
from strategies import calls

D = dt.date
OBTAINED = D(2026, 3, 10)
US_NPAS = (212, 415, 305, 512, 915, 206, 215, 205, 401, 801, 504, 317, 787, 800, 404)
CA_NPAS = (416, 709, 604)

# Listed numbers, by list.
FTC_LISTED = [
    2125550143,
    4155550143,
    3055550143,
    5125550143,
    9155550143,
    2065550143,
    2155550143,
    5045550143,
    3175550143,
    7875550143,
    8005550143,
]
DNCL_LISTED = [4165550143, 7095550143]
TX_LISTED = [5125550177, 2125550177]  # a Texas-list entry with a New York area code too
IN_LISTED = [3175550177]
LA_LISTED = [5045550177]
UNUSED = 2125550198  # on the lists of the states this registry holds nothing for
ACME_REQUESTS = {2125550111: "2026-03-01", 2125550112: None}


def _registry(obtained: dt.date = OBTAINED, *, uncovered: tuple[int, ...] = ()) -> Registry:
    def u64(xs: list[int]) -> np.ndarray:
        return np.array(xs, dtype=np.uint64)

    ftc = [
        Chunk(
            LayerKey.national("US"),
            Op.REPLACE,
            u64([n for n in FTC_LISTED if n // 10_000_000 not in uncovered]),
            coverage={n: obtained for n in US_NPAS if n not in uncovered},
            obtained=obtained,
        )
    ]
    dncl = [
        Chunk(
            LayerKey.national("CA"),
            Op.REPLACE,
            u64([n for n in DNCL_LISTED if n // 10_000_000 not in uncovered]),
            coverage={n: obtained for n in CA_NPAS if n not in uncovered},
            obtained=obtained,
        )
    ]
    # Every state that keeps its own list is loaded (a missing one blocks, RULES §6.11): the
    # others hold only an unused number.
    lists = {"US-TX": TX_LISTED, "US-IN": IN_LISTED, "US-LA": LA_LISTED}
    states = [
        [Chunk(LayerKey.state(region), Op.REPLACE, u64(lists.get(region, [UNUSED])), obtained=D(2026, 1, 1))]
        for region in sorted(list_states())
    ]
    internal = [
        Chunk(
            LayerKey.internal("acme"),
            Op.REPLACE,
            u64(list(ACME_REQUESTS)),
            dates=np.array([d or "NaT" for d in ACME_REQUESTS.values()], dtype="datetime64[D]"),
        )
    ]
    return Registry.build([ftc, dncl, *states, internal])


REGISTRY = _registry()
GUARD = Guard(REGISTRY)


def check(to: str, at: str, guard: Guard = GUARD, **fields: Any) -> Decision:
    return guard.check({"to": to, "at": at, "seller": fields.pop("seller", "acme"), **fields})


def codes(d: Decision) -> list[str]:
    return [r.code.value for r in d.reasons]


def ex(d: Decision) -> list[str]:
    return [e.code.value for e in d.exemptions]


# A weekday afternoon in every US zone and within the national copy's 31 days.
MON_2PM_ET = "2026-03-16T14:00:00-04:00"


def at_et(day: str, time: str = "14:00") -> str:
    """``day`` at ``time`` New York time (EDT from 8 March 2026, EST from 1 November 2026)."""
    offset = "-04:00" if "2026-03-08" <= day < "2026-11-01" else "-05:00"
    return f"{day}T{time}:00{offset}"


# ---------------------------------------------------------------------------------------------
# Numbers and jurisdictions (RULES §6.12)
# ---------------------------------------------------------------------------------------------


class TestNumbersAndJurisdictions:
    def test_decision_names_the_number_in_e164(self) -> None:
        assert check("(212) 555-0144", MON_2PM_ET).number == "+12125550144"

    @pytest.mark.parametrize("to", ["123", "not a number", "876-555-0100"])
    def test_invalid_or_foreign_number_blocks_without_raising(self, to: str) -> None:
        """§6.12: numbers of other NANP countries (Jamaica 876) are outside dncguard."""
        d = check(to, MON_2PM_ET)
        assert not d.allowed
        assert codes(d) == ["invalid_number"]
        assert d.number == to

    def test_us_territory_is_us(self) -> None:
        """§6.12: Puerto Rico's numbers are in the FTC registry."""
        d = check("787-555-0143", "2026-03-16T14:00:00-04:00")
        assert d.jurisdictions == ("US",)
        assert codes(d) == ["national_registry"]

    def test_canadian_number_is_canadian(self) -> None:
        assert check("416-555-0144", MON_2PM_ET).jurisdictions == ("CA",)
        assert codes(check("416-555-0143", MON_2PM_ET)) == ["national_registry"]

    def test_state_rules_follow_the_area_code(self) -> None:
        assert check("305-555-0144", MON_2PM_ET).jurisdictions == ("US", "US-FL")

    def test_callee_region_brings_its_state_in(self) -> None:
        """§6.12: a Florida area code with a Texas address: both states' rules apply."""
        d = check("305-555-0144", MON_2PM_ET, callee_region="US-TX")
        assert d.jurisdictions == ("US", "US-FL", "US-TX")

    def test_a_state_list_listing_brings_that_state_in(self) -> None:
        """A New York number on the Texas list is held to the Texas list (fail closed, §6.1)."""
        d = check("212-555-0177", MON_2PM_ET)
        assert codes(d) == ["state_registry"]
        assert d.reasons[0].jurisdiction == "US-TX"

    def test_jurisdiction_left_out_blocks(self) -> None:
        """§6.12 and API §4: a call reaching a jurisdiction left out is never allowed unchecked."""
        guard = Guard(REGISTRY, jurisdictions=("US", "CA"))
        d = check("305-555-0144", MON_2PM_ET, guard)
        assert codes(d) == ["jurisdiction_excluded"]
        assert d.reasons[0].jurisdiction == "US-FL"
        assert d.jurisdictions == ("US",)
        assert check("212-555-0144", MON_2PM_ET, guard).allowed

    def test_check_many_decides_in_order(self) -> None:
        calls = [
            {"to": "212-555-0143", "at": MON_2PM_ET, "seller": "acme"},
            Call.model_validate({"to": "212-555-0144", "at": MON_2PM_ET, "seller": "acme"}),
        ]
        assert [d.allowed for d in GUARD.check_many(iter(calls))] == [False, True]

    def test_decision_round_trips_through_json(self) -> None:
        d = check("212-555-0143", "2026-03-16T21:30:00-04:00")
        assert Decision.model_validate(d.model_dump(mode="json")) == d


class TestOptions:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"on_stale": "warn"}, "on_stale"),
            ({"ebr_anniversary": "sometimes"}, "ebr_anniversary"),
            ({"jurisdictions": "US"}, "jurisdictions"),
            ({"jurisdictions": ("US", "US-ZZ")}, "US-ZZ"),
        ],
    )
    def test_bad_option_values_are_refused_clearly(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            Guard(REGISTRY, **kwargs)

    def test_options_are_keyword_only(self) -> None:
        with pytest.raises(TypeError):
            Guard(REGISTRY, "raise")  # type: ignore[misc]

    def test_invalid_call_field_raises_naming_it(self) -> None:
        with pytest.raises(ValueError, match="purpose"):
            check("212-555-0144", MON_2PM_ET, purpose="robbery")
        with pytest.raises(ValueError, match="at"):
            check("212-555-0144", "2026-03-16T14:00:00")


# ---------------------------------------------------------------------------------------------
# Registry freshness and coverage (RULES §1.5, §6.1, §6.2)
# ---------------------------------------------------------------------------------------------


class TestFreshness:
    @pytest.mark.parametrize(
        ("obtained", "fresh"),
        [(D(2026, 2, 13), True), (D(2026, 2, 12), False)],
        ids=["31 days old: fresh", "32 days old: stale"],
    )
    def test_31_days_counted_on_calendar_dates(self, obtained: dt.date, fresh: bool) -> None:
        guard = Guard(_registry(obtained))
        d = check("212-555-0144", MON_2PM_ET, guard)
        assert d.allowed is fresh
        if not fresh:
            assert codes(d) == ["stale_registry"]

    def test_on_stale_raise(self) -> None:
        guard = Guard(_registry(D(2026, 2, 12)), on_stale="raise")
        with pytest.raises(StaleRegistryError):
            check("212-555-0144", MON_2PM_ET, guard)

    def test_stale_copy_does_not_matter_when_an_exemption_covers_the_call(self) -> None:
        """§6.1: a call an exemption would allow even if listed does not need the copy."""
        guard = Guard(_registry(D(2026, 2, 12)), on_stale="raise")
        d = check("212-555-0144", MON_2PM_ET, guard, relationships=[{"kind": "purchase", "on": "2026-01-01"}])
        assert d.allowed
        assert ex(d) == ["ebr_purchase"]
        assert check("212-555-0144", MON_2PM_ET, guard, purpose="survey").allowed

    def test_area_code_not_covered(self) -> None:
        """TSR 310.8: no calls into an area code whose registry data is not loaded."""
        guard = Guard(_registry(uncovered=(212,)))
        assert codes(check("212-555-0144", MON_2PM_ET, guard)) == ["area_code_not_covered"]
        assert check("305-555-0144", MON_2PM_ET, guard).allowed

    def test_stale_is_judged_per_area_code(self) -> None:
        """§6.2: each area code carries the date its data was obtained."""
        old = Chunk(
            LayerKey.national("US"),
            Op.REPLACE,
            np.array([], dtype=np.uint64),
            coverage={212: D(2026, 1, 1)},
            obtained=D(2026, 1, 1),
        )
        new = Chunk(
            LayerKey.national("US"),
            Op.REPLACE,
            np.array([], dtype=np.uint64),
            coverage={305: OBTAINED},
            obtained=OBTAINED,
        )
        guard = Guard(Registry.build([[old], [new]]), missing_state_lists="allow")  # no Florida list here
        assert codes(check("212-555-0144", MON_2PM_ET, guard)) == ["stale_registry"]
        assert check("305-555-0144", MON_2PM_ET, guard).allowed


# ---------------------------------------------------------------------------------------------
# A state's own list binds, loaded or not (RULES §6.11)
# ---------------------------------------------------------------------------------------------


class TestStateListNotLoaded:
    """A call into a state that keeps its own list, which that list would govern, is blocked
    when the list is not loaded; calls the list would not govern are not."""

    @staticmethod
    def guard(**options: Any) -> Guard:
        ftc = Chunk(
            LayerKey.national("US"),
            Op.REPLACE,
            np.array([], dtype=np.uint64),
            coverage={n: OBTAINED for n in US_NPAS},
            obtained=OBTAINED,
        )
        tx = Chunk(LayerKey.state("US-TX"), Op.REPLACE, np.array([UNUSED], np.uint64), obtained=D(2026, 1, 1))
        return Guard(Registry.build([[ftc], [tx]]), **options)

    def test_a_sale_into_florida_without_its_list_is_blocked(self) -> None:
        d = check("305-555-0144", MON_2PM_ET, self.guard())
        assert [(r.code.value, r.jurisdiction) for r in d.reasons] == [("state_list_not_loaded", "US-FL")]
        assert "Fla. Stat." in d.reasons[0].rule
        assert "missing_state_lists='allow'" in d.reasons[0].message
        assert "--missing-state-lists allow" in d.reasons[0].message  # the command line's words too
        assert d.next_allowed_at is None

    def test_a_loaded_list_or_a_state_without_one_does_not_block(self) -> None:
        assert check("512-555-0144", "2026-03-16T14:00:00-05:00", self.guard()).allowed  # Texas loaded
        assert check("212-555-0144", MON_2PM_ET, self.guard()).allowed  # New York: no list rule here

    def test_callee_region_brings_its_state_list(self) -> None:
        d = check("212-555-0144", MON_2PM_ET, self.guard(), callee_region="US-FL")
        assert ("state_list_not_loaded", "US-FL") in [(r.code.value, r.jurisdiction) for r in d.reasons]

    def test_exempt_calls_are_not_blocked(self) -> None:
        g = self.guard()
        assert check("305-555-0144", MON_2PM_ET, g, purpose="survey").allowed
        assert check("305-555-0144", MON_2PM_ET, g, purpose="donation", caller="charity").allowed
        purchase = [{"kind": "purchase", "on": "2026-01-05"}]
        assert check("305-555-0144", MON_2PM_ET, g, relationships=purchase).allowed
        written = [{"kind": "written", "on": "2026-01-05"}]
        assert check("305-555-0144", MON_2PM_ET, g, consents=written).allowed
        verbal = [{"kind": "verbal", "on": "2026-01-05"}]
        assert not check("305-555-0144", MON_2PM_ET, g, consents=verbal).allowed

    def test_a_relationship_that_lapses_moves_next_allowed_at_nowhere(self) -> None:
        # An inquiry whose window ends tonight: late tonight blocked by the clock, tomorrow by the list.
        inquiry = [{"kind": "inquiry", "on": "2025-12-17"}]
        d = check("305-555-0144", "2026-03-16T20:30:00-04:00", self.guard(), relationships=inquiry)
        assert "calling_hours" in codes(d)
        assert d.next_allowed_at is None

    def test_the_option(self) -> None:
        assert check("305-555-0144", MON_2PM_ET, self.guard(missing_state_lists="allow")).allowed
        with pytest.raises(ValueError, match="missing_state_lists='no'"):
            self.guard(missing_state_lists="no")


# ---------------------------------------------------------------------------------------------
# Relationship windows (RULES §1.4, §2.3, §6.3, §6.4)
# ---------------------------------------------------------------------------------------------

WINDOW_CASES = [
    # rule, number, kind, event date, call date, allowed
    (
        "US inquiry 3 months: day before anniversary",
        "212-555-0143",
        "inquiry",
        "2025-12-16",
        "2026-03-15",
        True,
    ),
    (
        "US inquiry 3 months: anniversary is expired",
        "212-555-0143",
        "inquiry",
        "2025-12-16",
        "2026-03-16",
        False,
    ),
    (
        "US inquiry month-end clamp: 30 Nov supports 27 Feb",
        "212-555-0143",
        "inquiry",
        "2025-11-30",
        "2026-02-27",
        True,
    ),
    (
        "US inquiry month-end clamp: 28 Feb is the anniversary",
        "212-555-0143",
        "inquiry",
        "2025-11-30",
        "2026-02-28",
        False,
    ),
    (
        "US inquiry in a leap year: 30 Nov supports 28 Feb",
        "212-555-0143",
        "inquiry",
        "2023-11-30",
        "2024-02-28",
        True,
    ),
    (
        "US inquiry in a leap year: 29 Feb is the anniversary",
        "212-555-0143",
        "inquiry",
        "2023-11-30",
        "2024-02-29",
        False,
    ),
    ("US purchase 18 months: day before", "212-555-0143", "purchase", "2024-09-16", "2026-03-15", True),
    ("US purchase 18 months: anniversary", "212-555-0143", "purchase", "2024-09-16", "2026-03-16", False),
    ("US purchase: on the day of the purchase", "212-555-0143", "purchase", "2026-03-16", "2026-03-16", True),
    (
        "US purchase: evidence dated after the call does not count",
        "212-555-0143",
        "purchase",
        "2026-03-17",
        "2026-03-16",
        False,
    ),
    ("Texas list 12 months: day before", "512-555-0177", "purchase", "2025-03-16", "2026-03-15", True),
    ("Texas list 12 months: anniversary", "512-555-0177", "purchase", "2025-03-16", "2026-03-16", False),
    ("Texas list inquiry 12 months", "512-555-0177", "inquiry", "2025-06-01", "2026-03-16", True),
    ("Louisiana list 6 months: day before", "504-555-0177", "purchase", "2025-09-16", "2026-03-14", True),
    ("Louisiana list 6 months: anniversary", "504-555-0177", "purchase", "2025-09-16", "2026-03-16", False),
    (
        "Indiana list: no relationship exemption",
        "317-555-0177",
        "purchase",
        "2026-03-01",
        "2026-03-16",
        False,
    ),
    (
        "Washington's 12 months govern its national listings",
        "206-555-0143",
        "purchase",
        "2025-03-16",
        "2026-03-16",
        False,
    ),
    ("Washington's 12 months: day before", "206-555-0143", "purchase", "2025-03-16", "2026-03-15", True),
    (
        "California inquiry 30 business days: day before",
        "415-555-0143",
        "inquiry",
        "2026-03-02",
        "2026-04-12",
        True,
    ),
    (
        "California inquiry 30 business days: 30th",
        "415-555-0143",
        "inquiry",
        "2026-03-02",
        "2026-04-13",
        False,
    ),
    ("California purchase: federal 18 months", "415-555-0143", "purchase", "2025-03-02", "2026-04-13", True),
    ("Canada inquiry 6 months: day before", "416-555-0143", "inquiry", "2025-09-16", "2026-03-15", True),
    ("Canada inquiry 6 months: anniversary", "416-555-0143", "inquiry", "2025-09-16", "2026-03-16", False),
    ("Canada purchase 18 months: anniversary", "416-555-0143", "purchase", "2024-09-16", "2026-03-16", False),
]


@pytest.mark.parametrize(
    ("rule", "to", "kind", "on", "day", "allowed"), WINDOW_CASES, ids=[c[0] for c in WINDOW_CASES]
)
def test_relationship_windows(rule: str, to: str, kind: str, on: str, day: str, allowed: bool) -> None:
    # Noon in every zone concerned (Central and Eastern, March: both on daylight time from 8 March).
    at = f"{day}T12:00:00-05:00"
    guard = Guard(_registry(D.fromisoformat(day) - dt.timedelta(days=3)))
    d = check(to, at, guard, relationships=[{"kind": kind, "on": on}])
    assert d.allowed is allowed, (rule, codes(d))
    if allowed:
        assert set(ex(d)) == {f"ebr_{kind}"}
    else:
        assert set(codes(d)) <= {"national_registry", "state_registry"}


def test_inclusive_anniversary_keeps_that_day() -> None:
    """§6.3 option: ebr_anniversary="inclusive" keeps the anniversary, not the day after."""
    guard = Guard(_registry(D(2026, 3, 14)), ebr_anniversary="inclusive")
    ev = {"relationships": [{"kind": "inquiry", "on": "2025-12-16"}]}
    assert check("212-555-0143", "2026-03-16T12:00:00-04:00", guard, **ev).allowed
    assert not check("212-555-0143", "2026-03-17T12:00:00-04:00", guard, **ev).allowed


class TestContracts:
    """§6.4: Canada counts a contract in force, or ended within 18 months."""

    def test_contract_in_force(self) -> None:
        d = check("416-555-0143", MON_2PM_ET, relationships=[{"kind": "contract", "on": "2010-01-01"}])
        assert d.allowed
        assert ex(d) == ["ebr_contract"]

    @pytest.mark.parametrize(("ends", "allowed"), [("2024-09-17", True), ("2024-09-16", False)])
    def test_contract_ended_within_18_months(self, ends: str, allowed: bool) -> None:
        rel = [{"kind": "contract", "on": "2010-01-01", "ends": ends}]
        assert check("416-555-0143", MON_2PM_ET, relationships=rel).allowed is allowed

    def test_indiana_contract_in_force_only(self) -> None:
        rel = [{"kind": "contract", "on": "2025-01-01"}]
        assert check("317-555-0177", MON_2PM_ET, relationships=rel).allowed
        ended = [{"kind": "contract", "on": "2025-01-01", "ends": "2026-03-01"}]
        assert not check("317-555-0177", MON_2PM_ET, relationships=ended).allowed


class TestSellerScope:
    """§6.4: a relationship or consent with a different seller does not count."""

    def test_relationship_with_another_seller(self) -> None:
        rel = [{"kind": "purchase", "on": "2026-01-01", "seller": "globex"}]
        assert codes(check("212-555-0143", MON_2PM_ET, relationships=rel)) == ["national_registry"]

    def test_consent_with_another_seller(self) -> None:
        con = [{"kind": "written", "on": "2026-01-01", "seller": "globex"}]
        assert not check("212-555-0143", MON_2PM_ET, consents=con).allowed

    def test_internal_list_of_another_seller_does_not_bind(self) -> None:
        assert check("212-555-0111", MON_2PM_ET, seller="globex").allowed
        assert codes(check("212-555-0111", MON_2PM_ET)) == ["internal_list"]

    def test_request_to_another_seller_does_not_end_the_relationship(self) -> None:
        d = check(
            "212-555-0143",
            MON_2PM_ET,
            relationships=[{"kind": "purchase", "on": "2026-01-01"}],
            dnc_requests=[{"on": "2026-02-01", "seller": "globex"}],
        )
        assert d.allowed


# ---------------------------------------------------------------------------------------------
# Do-not-call requests and consent (RULES §6.5, §6.6)
# ---------------------------------------------------------------------------------------------


class TestRequestsAndConsent:
    def test_request_honoured_from_its_day(self) -> None:
        """§6.5: no grace period; the internal-list entry dated 1 March binds on 1 March."""
        assert check("212-555-0111", "2026-02-28T14:00:00-05:00", Guard(_registry(D(2026, 2, 20)))).allowed
        assert codes(
            check("212-555-0111", "2026-03-01T14:00:00-05:00", Guard(_registry(D(2026, 2, 20))))
        ) == ["internal_list"]

    def test_undated_entry_always_applies_and_no_consent_postdates_it(self) -> None:
        con = [{"kind": "written", "on": "2026-03-15"}]
        assert codes(check("212-555-0112", MON_2PM_ET, consents=con)) == ["internal_list"]

    def test_request_ends_the_relationship_even_with_later_purchases(self) -> None:
        d = check(
            "212-555-0143",
            MON_2PM_ET,
            relationships=[{"kind": "purchase", "on": "2026-03-10"}],
            dnc_requests=[{"on": "2026-02-01"}],
        )
        assert set(codes(d)) == {"national_registry", "internal_list"}

    @pytest.mark.parametrize(
        ("consent_on", "allowed"),
        [("2026-01-31", False), ("2026-02-01", False), ("2026-02-02", True)],
        ids=["consent before the request", "consent the same day", "consent after the request"],
    )
    def test_only_consent_after_the_request_permits(self, consent_on: str, allowed: bool) -> None:
        d = check(
            "212-555-0143",
            MON_2PM_ET,
            consents=[{"kind": "written", "on": consent_on}],
            dnc_requests=[{"on": "2026-02-01"}],
        )
        assert d.allowed is allowed
        if allowed:
            assert ex(d) == ["consent"]

    @pytest.mark.parametrize(
        ("to", "kind", "allowed"),
        [
            ("212-555-0143", "written", True),
            ("212-555-0143", "electronic", True),
            ("212-555-0143", "recorded_verbal", False),
            ("212-555-0143", "verbal", False),
            ("416-555-0143", "recorded_verbal", True),
            ("416-555-0143", "verbal", False),
        ],
    )
    def test_consent_kinds(self, to: str, kind: str, allowed: bool) -> None:
        """§6.6: US needs signed written/electronic; Canada also accepts recorded verbal."""
        assert check(to, MON_2PM_ET, consents=[{"kind": kind, "on": "2026-01-01"}]).allowed is allowed

    @pytest.mark.parametrize(("revoked", "allowed"), [("2026-03-17", True), ("2026-03-16", False)])
    def test_consent_void_from_its_revocation_day(self, revoked: str, allowed: bool) -> None:
        con = [{"kind": "written", "on": "2026-01-01", "revoked_on": revoked}]
        assert check("212-555-0143", MON_2PM_ET, consents=con).allowed is allowed

    def test_consent_must_name_the_called_number(self) -> None:
        assert check(
            "212-555-0143",
            MON_2PM_ET,
            consents=[{"kind": "written", "on": "2026-01-01", "number": "(212) 555-0143"}],
        ).allowed
        assert not check(
            "212-555-0143",
            MON_2PM_ET,
            consents=[{"kind": "written", "on": "2026-01-01", "number": "212-555-0100"}],
        ).allowed

    @pytest.mark.parametrize(("reassigned", "allowed"), [("2026-01-02", False), ("2026-01-01", True)])
    def test_reassignment_voids_earlier_consent_and_relationships(
        self, reassigned: str, allowed: bool
    ) -> None:
        con = [{"kind": "written", "on": "2026-01-01"}]
        rel = [{"kind": "purchase", "on": "2026-01-01"}]
        assert check("212-555-0143", MON_2PM_ET, consents=con, reassigned_on=reassigned).allowed is allowed
        assert (
            check("212-555-0143", MON_2PM_ET, relationships=rel, reassigned_on=reassigned).allowed is allowed
        )


# ---------------------------------------------------------------------------------------------
# Exemptions, each with and without a do-not-call request (RULES §6.8, §6.9, §6.10)
# ---------------------------------------------------------------------------------------------

EXEMPTIONS = [
    # number, fields, exemption, still honours internal list
    ("212-555-0143", {"purpose": "donation", "caller": "charity"}, "charity", True),
    ("212-555-0143", {"purpose": "donation", "caller": "telemarketer"}, "charity", True),
    ("212-555-0143", {"purpose": "political"}, "political", True),
    ("212-555-0143", {"purpose": "survey"}, "survey", True),
    ("212-555-0143", {"purpose": "informational"}, "informational", True),
    ("212-555-0143", {"line": "business"}, "business_line", True),
    ("416-555-0143", {"purpose": "donation", "caller": "charity"}, "charity", True),
    ("416-555-0143", {"purpose": "political"}, "political", True),
    ("416-555-0143", {"purpose": "newspaper_subscription"}, "newspaper", True),
    ("416-555-0143", {"line": "business"}, "business_line", True),
    ("416-555-0143", {"purpose": "survey"}, "survey", False),
    ("512-555-0177", {"purpose": "donation", "caller": "charity"}, "charity", True),
]


@pytest.mark.parametrize(("to", "fields", "exemption", "honours"), EXEMPTIONS)
def test_exemptions_with_and_without_a_request(
    to: str, fields: dict[str, Any], exemption: str, honours: bool
) -> None:
    d = check(to, MON_2PM_ET, **fields)
    assert d.allowed
    assert ex(d) == [exemption]
    after_request = check(to, MON_2PM_ET, dnc_requests=[{"on": "2026-03-01"}], **fields)
    assert after_request.allowed is not honours
    if honours:
        assert codes(after_request) == ["internal_list"]


def test_newspaper_is_not_exempt_in_the_us() -> None:
    assert codes(check("212-555-0143", MON_2PM_ET, purpose="newspaper_subscription")) == ["national_registry"]


def test_business_line_does_not_lift_a_state_list() -> None:
    """§6.9 names the national registries only: a loaded state list still binds (fail closed)."""
    assert codes(check("512-555-0177", MON_2PM_ET, line="business")) == ["state_registry"]


class TestPrerecorded:
    """§6.10: prerecorded sales calls need written (US) or express (Canada) consent."""

    def test_relationship_is_not_enough(self) -> None:
        d = check(
            "212-555-0144",
            MON_2PM_ET,
            prerecorded=True,
            relationships=[{"kind": "purchase", "on": "2026-03-01"}],
        )
        assert codes(d) == ["prerecorded_without_consent"]

    def test_written_consent_permits(self) -> None:
        assert check(
            "212-555-0144", MON_2PM_ET, prerecorded=True, consents=[{"kind": "written", "on": "2026-03-01"}]
        ).allowed

    def test_canada_recorded_verbal_consent_permits(self) -> None:
        con = [{"kind": "recorded_verbal", "on": "2026-03-01"}]
        assert check("416-555-0144", MON_2PM_ET, prerecorded=True, consents=con).allowed
        assert not check("416-555-0144", MON_2PM_ET, prerecorded=True).allowed


# ---------------------------------------------------------------------------------------------
# Calling hours (RULES §6.7, §2.2, §3.4)
# ---------------------------------------------------------------------------------------------

HOURS_CASES = [
    # rule, number, local ISO time, allowed
    ("US 08:00-21:00: 07:59", "212-555-0144", "2026-03-16T07:59:00-04:00", False),
    ("US 08:00-21:00: 08:00", "212-555-0144", "2026-03-16T08:00:00-04:00", True),
    ("US 08:00-21:00: 21:00", "212-555-0144", "2026-03-16T21:00:00-04:00", True),
    ("US 08:00-21:00: 21:00:59 is after 9 p.m.", "212-555-0144", "2026-03-16T21:00:59-04:00", False),
    ("US 08:00-21:00: 21:01", "212-555-0144", "2026-03-16T21:01:00-04:00", False),
    ("US Central: 07:59", "512-555-0144", "2026-03-16T07:59:00-05:00", False),
    ("US Central: 08:00", "512-555-0144", "2026-03-16T08:00:00-05:00", False),  # Texas starts at 09:00
    ("Texas weekdays 09:00", "512-555-0144", "2026-03-16T09:00:00-05:00", True),
    ("Texas weekdays 21:00", "512-555-0144", "2026-03-16T21:00:00-05:00", True),
    ("Texas weekdays 21:01", "512-555-0144", "2026-03-16T21:01:00-05:00", False),
    ("Texas Sunday 11:59", "512-555-0144", "2026-03-15T11:59:00-05:00", False),
    ("Texas Sunday 12:00", "512-555-0144", "2026-03-15T12:00:00-05:00", True),
    ("El Paso (Mountain) 09:00 local", "915-555-0144", "2026-03-16T09:00:00-06:00", True),
    ("El Paso (Mountain) 08:59 local", "915-555-0144", "2026-03-16T08:59:00-06:00", False),
    ("Florida 20:00", "305-555-0144", "2026-03-16T20:00:00-04:00", True),
    ("Florida 20:01", "305-555-0144", "2026-03-16T20:01:00-04:00", False),
    ("Alabama Saturday 20:00", "205-555-0144", "2026-03-14T20:00:00-05:00", True),
    ("Alabama no Sundays", "205-555-0144", "2026-03-15T14:00:00-05:00", False),
    ("Alabama no holidays: Thanksgiving", "205-555-0144", "2026-11-26T14:00:00-06:00", False),
    (
        "Alabama no holidays: July 4th (Saturday) observed Friday 3rd",
        "205-555-0144",
        "2026-07-03T14:00:00-05:00",
        False,
    ),
    ("Louisiana no Sundays", "504-555-0144", "2026-03-15T14:00:00-05:00", False),
    ("Utah no Sundays", "801-555-0144", "2026-03-15T14:00:00-06:00", False),
    ("Utah Pioneer Day", "801-555-0144", "2026-07-24T14:00:00-06:00", False),
    ("Pennsylvania legal holiday: Thanksgiving", "215-555-0144", "2026-11-26T14:00:00-05:00", False),
    ("Pennsylvania ordinary Thursday", "215-555-0144", "2026-11-19T14:00:00-05:00", True),
    ("Rhode Island Saturday 10:00", "401-555-0144", "2026-03-14T10:00:00-04:00", True),
    ("Rhode Island Saturday 09:59", "401-555-0144", "2026-03-14T09:59:00-04:00", False),
    ("Rhode Island Saturday 17:01", "401-555-0144", "2026-03-14T17:01:00-04:00", False),
    ("Rhode Island weekday 18:01", "401-555-0144", "2026-03-16T18:01:00-04:00", False),
    ("Canada weekday 09:00", "416-555-0144", "2026-03-16T09:00:00-04:00", True),
    ("Canada weekday 08:59", "416-555-0144", "2026-03-16T08:59:00-04:00", False),
    ("Canada weekday 21:30", "416-555-0144", "2026-03-16T21:30:00-04:00", True),
    ("Canada weekday 21:31", "416-555-0144", "2026-03-16T21:31:00-04:00", False),
    ("Canada weekend 10:00", "416-555-0144", "2026-03-14T10:00:00-04:00", True),
    ("Canada weekend 18:00", "416-555-0144", "2026-03-15T18:00:00-04:00", True),
    ("Canada weekend 18:01", "416-555-0144", "2026-03-15T18:01:00-04:00", False),
    # 709: Newfoundland (UTC-2:30 in summer) and Labrador's Atlantic time (UTC-3): both must pass.
    ("Newfoundland 21:30 NDT is 21:00 ADT", "709-555-0144", "2026-06-15T21:30:00-02:30", True),
    ("Newfoundland 21:31 NDT", "709-555-0144", "2026-06-15T21:31:00-02:30", False),
    ("Labrador 09:00 ADT is 09:30 NDT", "709-555-0144", "2026-06-15T09:00:00-03:00", True),
    ("Labrador 08:59 ADT", "709-555-0144", "2026-06-15T08:59:00-03:00", False),
    ("Newfoundland winter 21:30 NST (UTC-3:30)", "709-555-0144", "2026-01-15T21:30:00-03:30", True),
    ("Newfoundland winter 21:31 NST", "709-555-0144", "2026-01-15T21:31:00-03:30", False),
    # DST change days: 8 March and 1 November 2026 in the US.
    ("spring-forward day 07:59 EDT", "212-555-0144", "2026-03-08T07:59:00-04:00", False),
    ("spring-forward day 08:00 EDT", "212-555-0144", "2026-03-08T08:00:00-04:00", True),
    ("spring-forward day 12:00 UTC is 08:00 EDT", "212-555-0144", "2026-03-08T12:00:00+00:00", True),
    ("fall-back day 08:00 EST", "212-555-0144", "2026-11-01T08:00:00-05:00", True),
    ("fall-back day 12:59 UTC is 07:59 EST", "212-555-0144", "2026-11-01T12:59:00+00:00", False),
    ("fall-back day 21:00 EST", "212-555-0144", "2026-11-01T21:00:00-05:00", True),
    ("fall-back day 21:01 EST", "212-555-0144", "2026-11-01T21:01:00-05:00", False),
]


@pytest.mark.parametrize(("rule", "to", "at", "allowed"), HOURS_CASES, ids=[c[0] for c in HOURS_CASES])
def test_calling_hours(rule: str, to: str, at: str, allowed: bool) -> None:
    day = D.fromisoformat(at[:10])
    guard = Guard(_registry(day - dt.timedelta(days=1)))
    d = check(to, at, guard)
    assert d.allowed is allowed, (rule, codes(d))
    if not allowed:
        assert set(codes(d)) == {"calling_hours"}
        assert d.next_allowed_at is not None


class TestCandidateZones:
    """§6.7: the call must satisfy every candidate zone."""

    def test_callee_timezone_adds_a_zone(self) -> None:
        assert not check(
            "212-555-0144", "2026-03-16T10:59:00-04:00", callee_timezone="America/Los_Angeles"
        ).allowed
        assert check(
            "212-555-0144", "2026-03-16T11:00:00-04:00", callee_timezone="America/Los_Angeles"
        ).allowed

    def test_callee_region_adds_its_zones(self) -> None:
        # Florida number, Texas address: Texas starts at 09:00 Central = 10:00 Eastern.
        assert not check("305-555-0144", "2026-03-16T09:59:00-04:00", callee_region="US-TX").allowed
        assert check("305-555-0144", "2026-03-16T11:00:00-04:00", callee_region="US-TX").allowed

    def test_non_geographic_number_needs_a_location(self) -> None:
        d = check("800-555-0144", MON_2PM_ET)
        assert codes(d) == ["calling_hours"]
        assert "location unknown" in d.reasons[0].message
        assert d.next_allowed_at is None
        assert check("800-555-0144", MON_2PM_ET, callee_timezone="America/Chicago").allowed
        assert check("800-555-0144", MON_2PM_ET, callee_region="US-GA").allowed

    @pytest.mark.parametrize("purpose", ["survey", "political", "informational"])
    def test_us_hours_do_not_reach_these_purposes(self, purpose: str) -> None:
        assert check("212-555-0144", "2026-03-16T22:00:00-04:00", purpose=purpose).allowed

    def test_hours_apply_to_exempt_sales_calls(self) -> None:
        rel = [{"kind": "purchase", "on": "2026-03-01"}]
        assert codes(check("212-555-0143", "2026-03-16T22:00:00-04:00", relationships=rel)) == [
            "calling_hours"
        ]

    def test_canadian_political_calls_keep_the_hours(self) -> None:
        assert codes(check("416-555-0144", "2026-03-16T22:00:00-04:00", purpose="political")) == [
            "calling_hours"
        ]


# ---------------------------------------------------------------------------------------------
# next_allowed_at (RULES §6.7)
# ---------------------------------------------------------------------------------------------

NEXT_CASES = [
    # rule, number, at, expected next_allowed_at (same offset as at)
    (
        "after 21:00 on a weekday: 08:00 next morning",
        "212-555-0144",
        "2026-03-16T21:01:00-04:00",
        "2026-03-17T08:00:00-04:00",
    ),
    (
        "before 08:00: 08:00 the same day",
        "212-555-0144",
        "2026-03-16T06:30:15-04:00",
        "2026-03-16T08:00:00-04:00",
    ),
    (
        "Texas Saturday night: Sunday noon",
        "512-555-0144",
        "2026-03-14T21:01:00-05:00",
        "2026-03-15T12:00:00-05:00",
    ),
    (
        "Alabama Saturday night: Monday 08:00",
        "205-555-0144",
        "2026-03-14T20:01:00-05:00",
        "2026-03-16T08:00:00-05:00",
    ),
    (
        "Pennsylvania: Wednesday night before Thanksgiving: Friday 08:00",
        "215-555-0144",
        "2026-11-25T21:01:00-05:00",
        "2026-11-27T08:00:00-05:00",
    ),
    (
        "Canada Saturday 18:01: Sunday 10:00",
        "416-555-0144",
        "2026-03-14T18:01:00-04:00",
        "2026-03-15T10:00:00-04:00",
    ),
    (
        "Newfoundland 21:31: 09:00 Atlantic next day",
        "709-555-0144",
        "2026-06-15T21:31:00-02:30",
        "2026-06-16T09:30:00-02:30",
    ),
    # 08:00 EDT on 8 March, given in the call's own offset (-05:00) as 07:00.
    ("across spring-forward night", "212-555-0144", "2026-03-07T21:30:00-05:00", "2026-03-08T07:00:00-05:00"),
]


@pytest.mark.parametrize(("rule", "to", "at", "expected"), NEXT_CASES, ids=[c[0] for c in NEXT_CASES])
def test_next_allowed_at(rule: str, to: str, at: str, expected: str) -> None:
    day = D.fromisoformat(at[:10])
    guard = Guard(_registry(day - dt.timedelta(days=1)))
    d = check(to, at, guard)
    assert not d.allowed
    assert d.next_allowed_at == dt.datetime.fromisoformat(expected), rule
    assert check(to, d.next_allowed_at.isoformat(), guard).allowed
    one_minute_earlier = d.next_allowed_at - dt.timedelta(minutes=1)
    if one_minute_earlier > dt.datetime.fromisoformat(at):
        assert not check(to, one_minute_earlier.isoformat(), guard).allowed


class TestNextAllowedHonestly:
    """``next_allowed_at`` passes every rule, not only the clock."""

    def test_none_when_a_listing_blocks(self) -> None:
        assert check("212-555-0143", MON_2PM_ET).next_allowed_at is None

    def test_none_when_the_relationship_lapses_before_the_next_opening(self) -> None:
        # Inquiry on 16 Dec 2025: valid through 15 March 2026; at 21:01 on the 15th the next
        # opening (16 March, 08:00) is past the window.
        guard = Guard(_registry(D(2026, 3, 10)))
        d = check(
            "212-555-0143",
            "2026-03-15T21:01:00-04:00",
            guard,
            relationships=[{"kind": "inquiry", "on": "2025-12-16"}],
        )
        assert codes(d) == ["calling_hours"]
        assert d.next_allowed_at is None

    def test_none_when_the_copy_goes_stale_first(self) -> None:
        guard = Guard(_registry(D(2026, 2, 13)))  # 31 days old on 16 March, stale on the 17th
        d = check("212-555-0144", "2026-03-16T21:01:00-04:00", guard)
        assert codes(d) == ["calling_hours"]
        assert d.next_allowed_at is None

    def test_waits_for_a_consent_dated_later(self) -> None:
        d = check(
            "212-555-0143", "2026-03-16T14:00:00-04:00", consents=[{"kind": "written", "on": "2026-03-18"}]
        )
        assert d.next_allowed_at == dt.datetime.fromisoformat("2026-03-18T08:00:00-04:00")


# ---------------------------------------------------------------------------------------------
# Properties (issue 5, "Done when")
# ---------------------------------------------------------------------------------------------

PROPERTY_NUMBERS = [
    "212-555-0144",
    "212-555-0143",
    "212-555-0111",
    "305-555-0144",
    "512-555-0177",
    "915-555-0144",
    "205-555-0144",
    "215-555-0144",
    "401-555-0144",
    "206-555-0143",
    "416-555-0143",
    "709-555-0144",
    "800-555-0144",
]
REGISTRY_ALL_LISTED = Registry.build(
    [
        [
            Chunk(
                LayerKey.national("US"),
                Op.REPLACE,
                np.array(
                    [2125550144, 3055550144, 9155550144, 2055550144, 2155550144, 4015550144, 8005550144],
                    np.uint64,
                ),
                coverage={n: OBTAINED for n in US_NPAS},
                obtained=OBTAINED,
            )
        ],
        [
            Chunk(
                LayerKey.national("CA"),
                Op.REPLACE,
                np.array([7095550144], np.uint64),
                coverage={n: OBTAINED for n in CA_NPAS},
                obtained=OBTAINED,
            )
        ],
        [
            Chunk(
                LayerKey.state("US-TX"),
                Op.REPLACE,
                np.array([2125550144, 3055550144], np.uint64),
                obtained=OBTAINED,
            )
        ],
        [
            Chunk(
                LayerKey.internal("acme"),
                Op.REPLACE,
                np.array([2125550143, 4165550143], np.uint64),
                dates=np.array(["2026-03-20", "NaT"], dtype="datetime64[D]"),
            )
        ],
    ]
)
# Every list of REGISTRY, plus more listings: a superset of REGISTRY's listings.
REGISTRY_MORE = Registry.build(
    [
        [
            Chunk(
                LayerKey.national("US"),
                Op.REPLACE,
                np.array(sorted({*FTC_LISTED, 2125550144, 3055550144, 2055550144}), np.uint64),
                coverage={n: OBTAINED for n in US_NPAS},
                obtained=OBTAINED,
            )
        ],
        [
            Chunk(
                LayerKey.national("CA"),
                Op.REPLACE,
                np.array([*DNCL_LISTED, 7095550144], np.uint64),
                coverage={n: OBTAINED for n in CA_NPAS},
                obtained=OBTAINED,
            )
        ],
        [
            Chunk(
                LayerKey.state("US-TX"),
                Op.REPLACE,
                np.array([*TX_LISTED, 9155550144], np.uint64),
                obtained=D(2026, 1, 1),
            )
        ],
        [Chunk(LayerKey.state("US-IN"), Op.REPLACE, np.array(IN_LISTED, np.uint64), obtained=D(2026, 1, 1))],
        [Chunk(LayerKey.state("US-LA"), Op.REPLACE, np.array(LA_LISTED, np.uint64), obtained=D(2026, 1, 1))],
        [
            Chunk(
                LayerKey.internal("acme"),
                Op.REPLACE,
                np.array([*ACME_REQUESTS, 2155550144], np.uint64),
                dates=np.array(
                    [*(d or "NaT" for d in ACME_REQUESTS.values()), "2026-03-01"], dtype="datetime64[D]"
                ),
            )
        ],
    ]
)
GUARD_MORE = Guard(REGISTRY_MORE)

_dates = st.dates(D(2024, 6, 1), D(2026, 5, 1))
_relationships = st.lists(
    st.builds(
        Relationship,
        kind=st.sampled_from(["purchase", "inquiry", "contract"]),
        on=_dates,
        ends=st.none() | _dates,
        seller=st.sampled_from([None, "acme", "globex"]),
    ),
    max_size=2,
)
_consents = st.lists(
    st.builds(
        Consent,
        kind=st.sampled_from(["written", "electronic", "recorded_verbal", "verbal"]),
        on=_dates,
        revoked_on=st.none() | _dates,
        seller=st.sampled_from([None, "acme", "globex"]),
    ),
    max_size=2,
)
_requests = st.lists(st.builds(DncRequest, on=_dates, seller=st.sampled_from([None, "globex"])), max_size=1)
# The shared call strategy, to the numbers the registries above hold, with nested evidence.
_calls = calls(st.sampled_from(PROPERTY_NUMBERS), nested=True)


def _at(call: Call, when: dt.datetime) -> Call:
    return call.model_copy(update={"at": when})


@given(_calls, _requests)
def test_property_adding_a_listing_or_request_never_allows(call: Call, more: list[DncRequest]) -> None:
    if GUARD.check(call).allowed:
        return
    assert not GUARD_MORE.check(call).allowed
    assert not GUARD.check(call.model_copy(update={"dnc_requests": (*call.dnc_requests, *more)})).allowed


@given(_calls, _relationships, _consents, st.booleans())
def test_property_adding_an_exemption_never_blocks_except_by_hours(
    call: Call, rels: list[Relationship], cons: list[Consent], business: bool
) -> None:
    if not GUARD.check(call).allowed:
        return
    more = call.model_copy(
        update={
            "relationships": (*call.relationships, *rels),
            "consents": (*call.consents, *cons),
            "line": "business" if business else call.line,
        }
    )
    after = GUARD.check(more)
    assert after.allowed or set(codes(after)) == {"calling_hours"}


@given(_calls, st.randoms(use_true_random=False))
def test_property_next_allowed_at_is_allowed_and_earliest(call: Call, rnd: Any) -> None:
    d = GUARD.check(call)
    if d.allowed or d.next_allowed_at is None:
        return
    at = call.at
    nxt = d.next_allowed_at
    assert at < nxt <= at + dt.timedelta(days=8)
    assert GUARD.check(_at(call, nxt)).allowed
    minutes = int((nxt - at).total_seconds() // 60)
    earlier = {1} | {rnd.randint(1, max(minutes, 1)) for _ in range(20)}
    for k in sorted(earlier):
        t = nxt - dt.timedelta(minutes=k)
        if t >= at:
            assert not GUARD.check(_at(call, t)).allowed, t


@pytest.mark.slow
@given(_calls)
def test_property_no_earlier_minute_is_allowed_exhaustive(call: Call) -> None:
    d = GUARD.check(call)
    if d.allowed or d.next_allowed_at is None:
        return
    t = d.next_allowed_at - dt.timedelta(minutes=1)
    while t >= call.at:
        assert not GUARD.check(_at(call, t)).allowed, t
        t -= dt.timedelta(minutes=1)


# --- RULES §6.1 (fail closed) and §6.11: a loaded state list always binds -----------------------


def test_a_loaded_state_list_without_a_rule_set_still_blocks() -> None:
    # New York has no rule set here and California keeps no list of its own: a list the user
    # loaded for either must not be ignored (that would be a silent allow).
    ny, ca = 2125550143, 3105550143
    coverage = {212: OBTAINED, 310: OBTAINED}
    registry = Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"), Op.REPLACE, np.array([], np.uint64), coverage, obtained=OBTAINED
                )
            ],
            [Chunk(LayerKey.state("US-NY"), Op.REPLACE, np.array([ny], np.uint64), obtained=OBTAINED)],
            [Chunk(LayerKey.state("US-CA"), Op.REPLACE, np.array([ca], np.uint64), obtained=OBTAINED)],
        ]
    )
    guard = Guard(registry)
    import pyarrow as pa

    at = "2026-03-16T14:00:00-04:00"
    for to, region in (("212-555-0143", "US-NY"), ("310-555-0143", "US-CA")):
        blocked = guard.check({"to": to, "at": at, "seller": "acme"})
        assert not blocked.allowed
        assert [(r.code.value, r.jurisdiction) for r in blocked.reasons] == [("state_registry", region)]
        # the country's exemptions still apply to it: a charity's donation call, a recent purchase
        charity = guard.check({"to": to, "at": at, "seller": "x", "caller": "charity", "purpose": "donation"})
        assert charity.allowed
        customer = guard.check(
            {
                "to": to,
                "at": at,
                "seller": "acme",
                "relationships": [{"kind": "purchase", "on": "2026-01-05"}],
            }
        )
        assert customer.allowed
        # the bulk path asks the same policy
        table = pa.table({"to": [to], "at": [at], "seller": ["acme"]})
        assert guard.scrub(table).column("reason").to_pylist() == ["state_registry"]


class _LookupOnly:
    """A registry offering only the protocol's ``layers`` and ``lookup`` (no ``probes``), and
    its ``id`` (what decisions' ``registry_id`` names)."""

    def __init__(self, registry: Registry) -> None:
        self.layers = registry.layers
        self.lookup = registry.lookup
        self.id = registry.id


# Both countries' registries and two sellers' internal lists: Guard.check asks only the layers
# that can matter for the call (its country's registry, its seller's list, every state list).
REGISTRY_SELLERS = REGISTRY.update(
    [
        [
            Chunk(
                LayerKey.internal("globex"),
                Op.REPLACE,
                np.array([2125550143, 2155550144, 4165550143, 2125550111], np.uint64),
                dates=np.array(["2026-03-02", "NaT", "2026-02-01", "2026-03-20"], dtype="datetime64[D]"),
            )
        ]
    ]
)


@pytest.mark.hypothesis
@given(_calls, st.sampled_from(["acme", "globex", "initech"]))
def test_property_asking_only_the_layers_that_matter_changes_nothing(call: Call, seller: str) -> None:
    call = call.model_copy(update={"seller": seller})
    fast = Guard(REGISTRY_SELLERS).check(call)
    assert fast == Guard(_LookupOnly(REGISTRY_SELLERS)).check(call)  # type: ignore[arg-type]
    # and over many calls through one guard (its memos warm)
    assert GUARD_SELLERS.check(call) == fast


GUARD_SELLERS = Guard(REGISTRY_SELLERS)


def test_another_sellers_list_and_another_countrys_registry_are_not_asked() -> None:
    asked: list[str] = []

    class Counting:
        layers = REGISTRY_SELLERS.layers

        def lookup(self, number: Any) -> Any:
            return REGISTRY_SELLERS.lookup(number)

        def probes(self) -> Any:
            def counted(name: str, probe: Any) -> Any:
                return lambda n: asked.append(name) or probe(n)

            return tuple((layer, counted(layer.name, p), d) for layer, p, d in REGISTRY_SELLERS.probes())

    guard = Guard(Counting())  # type: ignore[arg-type]
    d = guard.check({"to": "212-555-0143", "at": MON_2PM_ET, "seller": "globex"})
    assert [r.code.value for r in d.reasons] == ["national_registry", "internal_list"]  # globex's request
    assert sorted(asked) == sorted(
        layer.name
        for layer in REGISTRY_SELLERS.layers
        if layer.kind == "state"
        or (layer.kind == "national" and layer.jurisdiction == "US")
        or layer.seller == "globex"
    )


_ANY_OFFSET = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


@pytest.mark.hypothesis
@given(
    when=st.one_of(
        st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59)),
        # the edges of the range, on purpose: the first and the last days Python can write
        st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(1, 1, 4)),
        st.datetimes(min_value=dt.datetime(9999, 12, 27), max_value=dt.datetime(9999, 12, 31, 23, 59)),
    ),
    tz=_ANY_OFFSET,
    to=st.sampled_from(["212-555-0143", "416-555-0143", "512-555-0177", "305-555-0100", "709-555-0151"]),
    attempts=st.lists(st.integers(-3 * 1440, 3 * 1440), max_size=3),
)
def test_any_instant_is_decided_or_refused_by_name_never_an_arithmetic_error(
    when: dt.datetime, tz: dt.timezone, to: str, attempts: list[int]
) -> None:
    """A call at any instant Python can write, at any UTC offset, with attempts about it: decided
    (every clock, window and next time worked out) when it lies within ``AT_RANGE``, else refused
    as an invalid call naming ``at`` or ``attempts``, never an OverflowError or a bare ValueError
    from date arithmetic (a dialer's retry loop must be able to tell a bad call from a bug)."""
    from dncguard.errors import InvalidCallError
    from dncguard.models import AT_RANGE

    at = when.replace(tzinfo=tz)
    tries = []
    for minutes in attempts:
        try:
            tries.append(at + dt.timedelta(minutes=minutes))
        except OverflowError:
            continue
    call = {"to": to, "at": at.isoformat(), "seller": "acme", "attempts": [t.isoformat() for t in tries]}
    if not all(AT_RANGE[0] <= t <= AT_RANGE[1] for t in (at, *tries)):
        with pytest.raises(InvalidCallError, match=r"field '(at|attempts)"):
            GUARD.check(call)
        return
    decision = GUARD.check(call)
    assert decision.allowed == (not decision.reasons)
