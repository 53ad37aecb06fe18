"""RULES.md section 1 (prerecorded telemarketing): a telemarketer's prerecorded call soliciting a
charitable contribution may only reach the charity's members and previous donors (16 CFR
310.4(b)(1)(v)(B); a previous donor gave in the two years before the call, 16 CFR 310.2). A
non-profit calling for itself and live calls are outside this rule. ``scrub`` must agree."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from dncguard import Guard
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

OBTAINED = dt.date(2026, 3, 2)
AT = dt.datetime(2026, 3, 16, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=-4)))  # a Monday in New York
TO = "2125550180"  # not on any list
BASE: dict[str, Any] = {
    "to": TO,
    "at": AT.isoformat(),
    "seller": "Food Bank",
    "caller": "telemarketer",
    "purpose": "donation",
    "line": "residential",
    "prerecorded": True,
}


@pytest.fixture(scope="module")
def guard() -> Guard:
    numbers = np.array([2125550100, 2125550101], np.uint64)
    return Guard(
        Registry.build(
            [[Chunk(LayerKey.national("US"), Op.REPLACE, numbers, {212: OBTAINED}, obtained=OBTAINED)]]
        )
    )


def reasons(guard: Guard, **fields: Any) -> list[tuple[str, str, str]]:
    d = guard.check({**BASE, **fields})
    return [(r.code.value, r.jurisdiction, r.rule) for r in d.reasons]


BLOCKED = [("prerecorded_without_consent", "US", "16 CFR 310.4(b)(1)(v)(B); 16 CFR 310.2 (previous donor)")]


def donation(on: str, **more: Any) -> dict[str, Any]:
    return {"relationships": [{"kind": "donation", "on": on, **more}]}


def test_blocked_without_evidence(guard: Guard) -> None:
    d = guard.check(BASE)
    assert not d.allowed
    assert [(r.code.value, r.jurisdiction, r.rule) for r in d.reasons] == BLOCKED
    assert "members or previous donors" in d.reasons[0].message


def test_a_donation_within_two_years_allows(guard: Guard) -> None:
    assert reasons(guard, **donation("2024-03-17")) == []
    assert reasons(guard, **donation("2026-01-05")) == []


def test_two_years_and_a_day_is_too_old(guard: Guard) -> None:
    assert reasons(guard, **donation("2024-03-15")) == BLOCKED


def test_exactly_two_years_follows_the_anniversary_option() -> None:
    numbers = np.array([2125550100], np.uint64)
    registry = Registry.build(
        [[Chunk(LayerKey.national("US"), Op.REPLACE, numbers, {212: OBTAINED}, obtained=OBTAINED)]]
    )
    call = {**BASE, **donation("2024-03-16")}
    assert not Guard(registry).check(call).allowed  # exclusive (default): the anniversary has expired
    assert Guard(registry, ebr_anniversary="inclusive").check(call).allowed


def test_a_gift_to_another_charity_does_not_count(guard: Guard) -> None:
    assert reasons(guard, **donation("2026-01-05", seller="Other Cause")) == BLOCKED
    assert reasons(guard, **donation("2026-01-05", seller=" food bank ")) == []


def test_a_member_may_be_called(guard: Guard) -> None:
    member = {"kind": "membership", "on": "2019-06-01"}
    assert reasons(guard, relationships=[member]) == []
    assert reasons(guard, relationships=[{**member, "ends": "2026-03-17"}]) == []
    # a membership ended on the call's day (or before) no longer counts
    assert reasons(guard, relationships=[{**member, "ends": "2026-03-16"}]) == BLOCKED


def test_consent_or_business_relationship_does_not_replace_membership(guard: Guard) -> None:
    consent = [{"kind": "written", "on": "2026-01-05"}]
    purchase = [{"kind": "purchase", "on": "2026-01-05"}]
    assert reasons(guard, consents=consent) == BLOCKED
    assert reasons(guard, relationships=purchase) == BLOCKED


def test_a_donation_before_the_number_was_reassigned_is_someone_elses(guard: Guard) -> None:
    assert reasons(guard, reassigned_on="2026-02-01", **donation("2026-01-05")) == BLOCKED


def test_the_charity_calling_for_itself_is_outside_the_tsr(guard: Guard) -> None:
    assert reasons(guard, caller="charity") == []


def test_live_charity_calls_are_unaffected(guard: Guard) -> None:
    assert reasons(guard, prerecorded=False) == []


def test_a_wireless_number_still_needs_consent(guard: Guard) -> None:
    got = reasons(guard, line="wireless", **donation("2026-01-05"))
    assert got == [("prerecorded_without_consent", "US", "47 CFR 64.1200(a)(1)(iii)")]


def test_a_donation_is_no_business_relationship(guard: Guard) -> None:
    listed = {"to": "2125550100", "purpose": "sale", "caller": "seller", "prerecorded": False}
    assert [r[0] for r in reasons(guard, **listed, **donation("2026-01-05"))] == ["national_registry"]
    membership = {"relationships": [{"kind": "membership", "on": "2019-06-01"}]}
    assert [r[0] for r in reasons(guard, **listed, **membership)] == ["national_registry"]


def test_flat_fields_in_check(guard: Guard) -> None:
    assert reasons(guard, last_donation="2026-01-05") == []
    assert reasons(guard, last_donation="2024-03-15") == BLOCKED
    assert reasons(guard, membership_on="2019-06-01") == []
    assert reasons(guard, membership_on="2019-06-01", membership_ends="2026-03-01") == BLOCKED


ROWS: list[dict[str, Any]] = [
    {},
    {"last_donation": dt.date(2024, 3, 17)},
    {"last_donation": dt.date(2024, 3, 16)},
    {"last_donation": dt.date(2024, 3, 15)},
    {"membership_on": dt.date(2019, 6, 1)},
    {"membership_on": dt.date(2019, 6, 1), "membership_ends": dt.date(2026, 3, 16)},
    {"membership_on": dt.date(2019, 6, 1), "membership_ends": dt.date(2026, 3, 17)},
    {"last_donation": dt.date(2026, 1, 5), "reassigned_on": dt.date(2026, 2, 1)},
    {"caller": "charity"},
    {"prerecorded": False},
    {"line": "wireless", "last_donation": dt.date(2026, 1, 5)},
    {"purpose": "sale", "caller": "seller", "last_donation": dt.date(2026, 1, 5)},
    {"to": "2125550100", "purpose": "sale", "caller": "seller", "membership_on": dt.date(2019, 6, 1)},
]


def test_scrub_agrees_with_check(guard: Guard) -> None:
    rows = [{**BASE, "at": AT, **row} for row in ROWS]
    columns = [
        "to", "seller", "caller", "purpose", "line", "prerecorded",
        "last_donation", "membership_on", "membership_ends", "reassigned_on",
    ]  # fmt: skip
    table = pa.table(
        {
            "at": pa.array([r["at"] for r in rows], pa.timestamp("us", tz="UTC")),
            **{
                c: pa.array(
                    [r.get(c) for r in rows],
                    pa.date32()
                    if c in ("last_donation", "membership_on", "membership_ends", "reassigned_on")
                    else None,
                )
                for c in columns
            },
        }
    )
    out = guard.scrub(table)
    allowed = out.column("allowed").to_pylist()
    got_reasons = out.column("reasons").to_pylist()
    for i, row in enumerate(rows):
        call = {k: v for k, v in row.items() if v is not None}
        d = guard.check(call)
        assert (allowed[i], got_reasons[i]) == (d.allowed, [r.code.value for r in d.reasons]), (i, row)
    # and the cases this test is about are what they should be
    assert allowed[:8] == [False, True, False, False, True, False, True, False]
