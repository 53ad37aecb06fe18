"""Attacks on the decision's evidence: inputs a careless user or a typo produces that must not
let a call through (RULES §6.1 fail closed, §6.13 one seller, §6.14 nothing dated in the future).

Every case goes through the public API (``Guard.check`` and ``Guard.scrub``) on a small registry
whose national copy is fresh; only synthetic 555-01XX numbers appear.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dncguard import CallColumnError, Guard, InvalidCallError, Registry
from dncguard._calendar import latest_date
from dncguard.layers import Chunk, LayerKey, Op

AT = "2026-03-16T14:00:00-04:00"
LISTED = "212-555-0177"
UNLISTED = "212-555-0123"
OBTAINED = dt.date(2026, 3, 15)


def _guard() -> Guard:
    ftc = Chunk(
        LayerKey.national("US"),
        Op.REPLACE,
        np.array([2125550177], np.uint64),
        coverage={212: OBTAINED},
        obtained=OBTAINED,
    )
    return Guard(Registry.build([[ftc]]))


GUARD = _guard()


def _check(to: str, **fields: Any) -> Any:
    return GUARD.check({"to": to, "at": AT, "seller": "acme", "purpose": "sale", **fields})


def _future(years: int = 36) -> str:
    """A date in the future whenever the tests run: today's date ``years`` on (a typo's 2062)."""
    return (latest_date() + dt.timedelta(days=1 + 365 * years)).isoformat()


# --- §6.14: evidence dated after today is refused, never read as a date still to come ---------


@pytest.mark.parametrize(
    ("field", "evidence"),
    [
        # A request typed 2062 for 2026 "takes effect" in 2062: every call until then went through.
        ("dnc_requests.0.on", {"dnc_requests": [{"on": _future()}]}),
        # A revocation typed in the future kept the consent alive until then.
        (
            "consents.0.revoked_on",
            {"consents": [{"kind": "written", "on": "2026-01-01", "revoked_on": _future()}]},
        ),
        ("consents.0.on", {"consents": [{"kind": "written", "on": _future()}]}),
        ("relationships.0.on", {"relationships": [{"kind": "purchase", "on": _future()}]}),
        ("reassigned_on", {"reassigned_on": _future()}),
    ],
)
def test_evidence_dated_in_the_future_is_refused_naming_the_field(field: str, evidence: Any) -> None:
    with pytest.raises(InvalidCallError, match="in the future") as e:
        _check(UNLISTED, **evidence)
    assert field in str(e.value)


def test_a_request_dated_after_the_call_but_not_after_today_still_waits_for_its_day() -> None:
    # A real request made after the call (a ledger replayed) does not count yet (§6.14).
    d = _check(UNLISTED, dnc_requests=[{"on": "2026-03-17"}])
    assert d.allowed


def test_a_contract_may_end_in_the_future() -> None:
    d = _check(LISTED, relationships=[{"kind": "contract", "on": "2026-01-01", "ends": _future(1)}])
    assert d.allowed
    assert [e.code.value for e in d.exemptions] == ["ebr_contract"]


@pytest.mark.parametrize(
    "column", ["dnc_requested_on", "consent_revoked_on", "consent_on", "last_purchase", "reassigned_on"]
)
def test_scrub_refuses_the_same_future_dates_naming_column_and_row(column: str) -> None:
    good, bad = dt.date(2026, 1, 1), dt.date.fromisoformat(_future())
    cols: dict[str, Any] = {
        "to": [UNLISTED, UNLISTED],
        "at": pa.array([dt.datetime(2026, 3, 16, 18, tzinfo=dt.UTC)] * 2),
        "seller": ["acme", "acme"],
        column: pa.array([good, bad]),
    }
    if column.startswith("consent_") and column != "consent_on":
        cols |= {"consent_kind": ["written"] * 2, "consent_on": pa.array([good, good])}
    if column == "consent_on":
        cols |= {"consent_kind": ["written"] * 2}
    with pytest.raises(CallColumnError, match="in the future") as e:
        GUARD.scrub(pa.table(cols))
    assert e.value.column == column
    assert "row 2" in str(e.value)


def test_scrub_reads_a_future_contract_end() -> None:
    table = pa.table(
        {
            "to": [LISTED],
            "at": pa.array([dt.datetime(2026, 3, 16, 18, tzinfo=dt.UTC)]),
            "seller": ["acme"],
            "contract_on": pa.array([dt.date(2026, 1, 1)]),
            "contract_ends": pa.array([dt.date.fromisoformat(_future(1))]),
        }
    )
    assert GUARD.scrub(table).column("allowed").to_pylist() == [True]


@given(st.integers(2, 40_000))
def test_property_no_request_date_after_today_lets_a_call_through(days_ahead: int) -> None:
    # Whatever the typo, a request dated after today either blocks or is refused: never allows.
    on = latest_date() + dt.timedelta(days=days_ahead - 1)
    if on.year > 9998:
        return
    try:
        d = _check(UNLISTED, dnc_requests=[{"on": on.isoformat()}])
    except InvalidCallError:
        return
    assert not d.allowed


# --- §6.13: a piece of evidence names a seller or leaves it out -------------------------------


@pytest.mark.parametrize("seller", ["", " ", "\t"])
@pytest.mark.parametrize(
    ("field", "evidence"),
    [
        # An empty seller cell read as "some other seller" dropped the request: the call went through.
        ("dnc_requests.0.seller", lambda s: {"dnc_requests": [{"on": "2026-03-01", "seller": s}]}),
        ("consents.0.seller", lambda s: {"consents": [{"kind": "written", "on": "2026-01-01", "seller": s}]}),
        (
            "relationships.0.seller",
            lambda s: {"relationships": [{"kind": "purchase", "on": "2026-01-01", "seller": s}]},
        ),
    ],
)
def test_a_blank_evidence_seller_is_refused(seller: str, field: str, evidence: Any) -> None:
    with pytest.raises(InvalidCallError, match="seller is blank") as e:
        _check(UNLISTED, **evidence(seller))
    assert field in str(e.value)


def test_a_request_without_a_seller_is_the_call_s_sellers() -> None:
    assert not _check(UNLISTED, dnc_requests=[{"on": "2026-03-01"}]).allowed
    assert not _check(UNLISTED, dnc_requests=[{"on": "2026-03-01", "seller": " ACME "}]).allowed
