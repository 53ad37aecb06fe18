"""Bulk scrubbing: ``Guard.scrub`` gives, row for row, the answer ``Guard.check`` gives.

The property test draws random calls over every field and jurisdiction (US states, Canada with
Newfoundland's half-hour zone, territories, toll-free numbers with and without a callee region,
invalid numbers) at times and dates around every boundary the rules have (calling hours, DST
changes, relationship windows, registry age), builds one table from them, and holds ``scrub``'s
``allowed``, ``reason``, ``reasons`` and ``next_allowed_at`` equal to ``check`` of each call.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dncguard import Call, Consent, DncRequest, Relationship
from dncguard.bulk import factorize, local_clock

UTC = dt.UTC
OBTAINED = dt.date(2026, 3, 2)  # the national copies' date for most area codes (a Monday)
OLDER = dt.date(2026, 2, 1)  # an area code whose copy goes stale earlier

# Synthetic numbers only: 555-01XX lines are reserved for fiction.
LISTED_LINES = tuple(range(100, 130))
US_NPAS = (212, 305, 512, 713, 850, 270, 907, 808, 787, 671, 684, 340, 602, 317, 334, 541, 401, 208)
CA_NPAS = (416, 709, 867, 902, 306, 250, 418, 514)
TOLL_FREE = (800, 888, 833)
REGIONS = ("US-GA", "US-FL", "US-TX", "US-NY", "US-PR", "US-IN", "CA-ON", "CA-NL", "CA-QC", "US-RI", "US-AL")
ZONES = ("America/New_York", "America/Chicago", "America/St_Johns", "America/Phoenix", "Pacific/Guam")


def number_text(npa: int, line: int, style: int) -> str:
    """A synthetic number ``NPA-555-01LL`` written one of the ways people write numbers."""
    d = f"{npa}5550{line:03d}"
    return (
        d,
        f"({d[:3]}) {d[3:6]}-{d[6:]}",
        f"+1 {d[:3]} {d[3:6]} {d[6:]}",
        f"{d[:3]}.{d[3:6]}.{d[6:]}",
        f"1-{d[:3]}-{d[3:6]}-{d[6:]}",
    )[style % 5]


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

BOUNDARY_MINUTES = (
    0,
    8 * 60,
    9 * 60,
    10 * 60,
    12 * 60,
    13 * 60 + 30,
    17 * 60,
    18 * 60,
    20 * 60,
    21 * 60,
    21 * 60 + 30,
)
UTC_OFFSETS = (-150, -180, -210, -240, -300, -360, -420, -480, -540, -600, -660, 600)


@st.composite
def instants(draw: st.DrawFn) -> dt.datetime:
    """A call time: near a calling-hours edge in some zone, around DST changes or holidays."""
    day = draw(
        st.one_of(
            st.dates(dt.date(2026, 2, 20), dt.date(2026, 4, 12)),
            st.sampled_from(
                [
                    dt.date(2026, 3, 8),
                    dt.date(2026, 11, 1),
                    dt.date(2026, 11, 26),
                    dt.date(2026, 12, 25),
                    dt.date(2026, 7, 3),
                    dt.date(2026, 4, 3),
                    dt.date(2026, 3, 31),
                    dt.date(2026, 4, 1),
                ]
            ),
        )
    )
    minute = draw(
        st.one_of(
            st.builds(
                lambda m, off, d: (m - off + d) % 1440,
                st.sampled_from(BOUNDARY_MINUTES),
                st.sampled_from(UTC_OFFSETS),
                st.sampled_from((-1, 0, 0, 1)),
            ),
            st.integers(0, 1439),
        )
    )
    second = draw(st.sampled_from((0, 0, 0, 30, 59)))
    t = dt.datetime.combine(day, dt.time(), UTC) + dt.timedelta(minutes=minute, seconds=second)
    shown = draw(
        st.sampled_from(
            (UTC, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=5, minutes=30)))
        )
    )
    return t.astimezone(shown)


@st.composite
def number_texts(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("us", "us", "us", "ca", "ca", "tollfree", "invalid")))
    style = draw(st.integers(0, 4))
    line = draw(st.sampled_from((*LISTED_LINES[:12], 180, 181, 199)))
    if kind == "us":
        return number_text(draw(st.sampled_from(US_NPAS)), line, style)
    if kind == "ca":
        return number_text(draw(st.sampled_from(CA_NPAS)), line, style)
    if kind == "tollfree":
        return number_text(draw(st.sampled_from(TOLL_FREE)), line, style)
    return draw(
        st.sampled_from(
            ("", "12345", "876-555-0100", "212-055-0100", "+44 20 7946 0000", "212555010", "call me")
        )
    )


def _months_back(d: dt.date, months: int, days: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    m += 1
    for day in range(d.day, 0, -1):
        try:
            return dt.date(y, m, day) + dt.timedelta(days=days)
        except ValueError:
            continue
    raise AssertionError


@st.composite
def evidence_date(draw: st.DrawFn, call_day: dt.date) -> dt.date:
    """A date around a window edge before ``call_day`` (30 days, 3/6/12/18 months), or anywhere."""
    return draw(
        st.one_of(
            st.builds(
                _months_back,
                st.just(call_day),
                st.sampled_from((1, 3, 6, 12, 18)),
                st.sampled_from((-1, 0, 1)),
            ),
            st.builds(
                lambda k: call_day - dt.timedelta(days=k), st.sampled_from((-2, -1, 0, 1, 2, 29, 30, 31))
            ),
            st.dates(call_day - dt.timedelta(days=900), call_day + dt.timedelta(days=10)),
        )
    )


@st.composite
def calls(draw: st.DrawFn) -> Call:
    """A random call whose evidence fits the flat columns of API.md section 5."""
    at = draw(instants())
    day = at.astimezone(UTC).date()
    maybe = lambda: draw(st.booleans()) and draw(st.booleans())  # noqa: E731 - one in four
    relationships = []
    if maybe():
        relationships.append(Relationship(kind="purchase", on=draw(evidence_date(day))))
    if maybe():
        relationships.append(Relationship(kind="inquiry", on=draw(evidence_date(day))))
    if maybe():
        start = draw(evidence_date(day))
        ends = draw(st.one_of(st.none(), evidence_date(day)))
        relationships.append(Relationship(kind="contract", on=start, ends=ends))
    consents = []
    if maybe():
        consents.append(
            Consent(
                kind=draw(st.sampled_from(("written", "electronic", "recorded_verbal", "verbal"))),
                on=draw(evidence_date(day)),
                revoked_on=draw(st.one_of(st.none(), st.none(), evidence_date(day))),
            )
        )
    requests = [DncRequest(on=draw(evidence_date(day)))] if maybe() else []
    return Call(
        to=draw(number_texts()),
        at=at,
        seller=draw(st.sampled_from(("acme", "acme", "other"))),
        caller=draw(st.sampled_from(("seller", "telemarketer", "charity"))),
        purpose=draw(
            st.sampled_from(
                (
                    "sale",
                    "sale",
                    "sale",
                    "donation",
                    "political",
                    "survey",
                    "newspaper_subscription",
                    "informational",
                )
            )
        ),
        line=draw(st.sampled_from(("unknown", "residential", "wireless", "business"))),
        prerecorded=draw(st.booleans()) and draw(st.booleans()),
        relationships=tuple(relationships),
        consents=tuple(consents),
        dnc_requests=tuple(requests),
        callee_region=draw(st.one_of(st.none(), st.none(), st.sampled_from(REGIONS))),
        callee_timezone=draw(st.one_of(st.none(), st.none(), st.none(), st.sampled_from(ZONES))),
        reassigned_on=draw(st.one_of(st.none(), st.none(), st.none(), evidence_date(day))),
    )


def table_of(calls: Sequence[Call], *, at_as_text: bool = False) -> pa.Table:
    """The flat table (API.md section 5) holding exactly ``calls``."""

    def rel(c: Call, kind: str) -> Relationship | None:
        return next((r for r in c.relationships if r.kind == kind), None)

    def consent(c: Call) -> Consent | None:
        return c.consents[0] if c.consents else None

    purchase = [rel(c, "purchase") for c in calls]
    inquiry = [rel(c, "inquiry") for c in calls]
    contract = [rel(c, "contract") for c in calls]
    consents = [consent(c) for c in calls]
    at: pa.Array
    if at_as_text:
        at = pa.array([c.at.isoformat() for c in calls], pa.string())
    else:
        at = pa.array([c.at for c in calls], pa.timestamp("us", tz="UTC"))
    return pa.table(
        {
            "to": pa.array([c.to for c in calls], pa.string()),
            "at": at,
            "seller": [c.seller for c in calls],
            "caller": [c.caller for c in calls],
            "purpose": [c.purpose for c in calls],
            "line": [c.line for c in calls],
            "prerecorded": [c.prerecorded for c in calls],
            "callee_region": pa.array([c.callee_region for c in calls], pa.string()),
            "callee_timezone": pa.array([c.callee_timezone for c in calls], pa.string()),
            "reassigned_on": pa.array([c.reassigned_on for c in calls], pa.date32()),
            "last_purchase": pa.array([r.on if r else None for r in purchase], pa.date32()),
            "last_inquiry": pa.array([r.on if r else None for r in inquiry], pa.date32()),
            "contract_on": pa.array([r.on if r else None for r in contract], pa.date32()),
            "contract_ends": pa.array([r.ends if r else None for r in contract], pa.date32()),
            "consent_kind": pa.array([k.kind if k else None for k in consents], pa.string()),
            "consent_on": pa.array([k.on if k else None for k in consents], pa.date32()),
            "consent_revoked_on": pa.array([k.revoked_on if k else None for k in consents], pa.date32()),
            "dnc_requested_on": pa.array(
                [c.dnc_requests[0].on if c.dnc_requests else None for c in calls], pa.date32()
            ),
        }
    )


def assert_agrees(guard: Any, calls: Sequence[Call], out: pa.Table) -> None:
    """Row for row: ``scrub``'s decision columns equal ``check`` of each call."""
    allowed = out.column("allowed").to_pylist()
    reason = out.column("reason").to_pylist()
    reasons = out.column("reasons").to_pylist()
    nxt = out.column("next_allowed_at").to_pylist()
    for i, call in enumerate(calls):
        d = guard.check(call)
        codes = [r.code.value for r in d.reasons]
        got = (allowed[i], reason[i], reasons[i], nxt[i])
        want = (d.allowed, codes[0] if codes else None, codes, d.next_allowed_at)
        assert got == want, f"row {i}: {call!r}\nscrub: {got}\ncheck: {want}"


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


@given(
    st.lists(
        st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2032, 12, 31), timezones=st.just(UTC)),
        min_size=1,
        max_size=50,
    ),
    st.sampled_from(
        (
            "America/New_York",
            "America/St_Johns",
            "America/Phoenix",
            "Pacific/Guam",
            "America/Halifax",
            "America/Anchorage",
            "Pacific/Honolulu",
            "America/Indiana/Knox",
        )
    ),
)
def test_local_clock_matches_zoneinfo(times: list[dt.datetime], zone: str) -> None:
    seconds = np.array([int(t.timestamp()) for t in times], np.int64)
    day, minute = local_clock(seconds, zone)
    zi = zoneinfo.ZoneInfo(zone)
    for t, d, m in zip(times, day.tolist(), minute.tolist(), strict=True):
        local = t.astimezone(zi)
        assert (
            local.date().toordinal() - dt.date(1970, 1, 1).toordinal(),
            local.hour * 60 + local.minute,
        ) == (d, m)


def test_local_clock_at_the_dst_change_of_newfoundland() -> None:
    # 2026-03-08 02:00 NST (05:30 UTC) becomes 03:00 NDT: the change is on a half hour in UTC.
    t = int(dt.datetime(2026, 3, 8, 5, 29, 59, tzinfo=UTC).timestamp())
    _, minute = local_clock(np.array([t, t + 1]), "America/St_Johns")
    assert minute.tolist() == [1 * 60 + 59, 3 * 60]


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2_000_000)), min_size=1, max_size=60))
def test_factorize_groups_equal_rows(rows: list[tuple[int, int]]) -> None:
    a = np.array([r[0] for r in rows])
    b = np.array([r[1] for r in rows])
    inverse, first = factorize([a, b])
    assert len(set(rows)) == len(first)
    for i, r in enumerate(rows):
        assert rows[first[inverse[i]]] == r
    assert sorted(first.tolist()) == first.tolist()
    assert first.tolist() == [rows.index(rows[f]) for f in first.tolist()]


def test_factorize_keys_beyond_int64_radix() -> None:
    big = np.array([2**40, 5, 2**40, 5], np.int64)
    inverse, first = factorize([big, big, big])
    assert inverse.tolist() == [0, 1, 0, 1]
    assert first.tolist() == [0, 1]


_ = (pc, pytest, HealthCheck, settings)
