"""Fact derivations: one code path for Python ints (Guard.check) and numpy arrays (Guard.scrub)."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import zoneinfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dncguard.bulk import local_clock
from dncguard.facts import (
    ALL_DAYS,
    FAR_PAST,
    HORIZON,
    CallFacts,
    Evidence,
    add_months,
    civil_from_days,
    date_of,
    day_number,
    days_from_civil,
    evidence_masks,
    is_holiday,
    local_day_minute,
    local_day_minute_array,
    span_mask,
    time_rule,
    time_rule_passes,
    window_end,
)
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.jurisdictions.holidays import holidays

dates = st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31))


def reference_add_months(d: dt.date, n: int) -> dt.date:
    """RULES §6.3: calendar months, clamped to the month's last day."""
    m0 = d.month - 1 + n
    y, m = d.year + m0 // 12, m0 % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


@given(dates, st.integers(0, 30))
def test_add_months_matches_the_calendar_for_ints_and_arrays(d: dt.date, n: int) -> None:
    expected = day_number(reference_add_months(d, n))
    assert add_months(day_number(d), n) == expected
    assert add_months(np.array([day_number(d)], dtype=np.int64), n)[0] == expected


@given(dates)
def test_civil_round_trip(d: dt.date) -> None:
    z = day_number(d)
    assert days_from_civil(d.year, d.month, d.day) == z
    assert civil_from_days(z) == (d.year, d.month, d.day)
    assert date_of(z) == d


@pytest.mark.parametrize(
    ("on", "months", "anniversary", "last_valid"),
    [
        ("2025-12-16", 3, "exclusive", "2026-03-15"),
        ("2025-12-16", 3, "inclusive", "2026-03-16"),
        ("2025-11-30", 3, "exclusive", "2026-02-27"),
        ("2027-11-30", 3, "exclusive", "2028-02-28"),
        ("2024-08-31", 18, "exclusive", "2026-02-27"),
    ],
)
def test_window_end_is_exclusive_by_default(on: str, months: int, anniversary: str, last_valid: str) -> None:
    """RULES §6.3: valid iff call date < event + N months (month-end clamped); inclusive keeps that day."""
    from dncguard.jurisdictions.base import Months

    end = window_end(day_number(dt.date.fromisoformat(on)), Months(months), anniversary)  # type: ignore[arg-type]
    assert date_of(end - 1) == dt.date.fromisoformat(last_valid)


@given(dates, st.integers(1, 60))
def test_business_day_window_counts_weekdays_for_ints_and_arrays(d: dt.date, n: int) -> None:
    """California's 30-business-day inquiry window (RULES §2.3): the n-th weekday after the event."""
    from dncguard.jurisdictions.base import BusinessDays

    end = window_end(day_number(d), BusinessDays(n), "exclusive")
    start = d - dt.timedelta(days=max(0, d.weekday() - 4))  # a weekend event counts from Friday
    span = (date_of(end) - start).days
    assert date_of(end).weekday() < 5
    assert sum((start + dt.timedelta(days=k)).weekday() < 5 for k in range(1, span + 1)) == n
    assert window_end(day_number(d), BusinessDays(n), "inclusive") == end + 1
    assert window_end(np.array([day_number(d)]), BusinessDays(n), "exclusive")[0] == end


@given(st.integers(-50, 50), st.integers(-50, 50))
def test_span_mask_holds_exactly_the_days_in_range(lo: int, hi: int) -> None:
    mask = span_mask(lo, hi)
    assert mask == int(span_mask(np.array([lo]), np.array([hi]))[0])
    for d in range(HORIZON + 1):
        assert bool(mask >> d & 1) is (lo <= d < hi)
    assert mask & ~ALL_DAYS == 0


@given(st.lists(dates, min_size=1, max_size=20), st.sampled_from(["US-FEDERAL", "US-PA", "US-LA", "US-AL"]))
def test_is_holiday_agrees_for_ints_and_arrays(days: list[dt.date], cal: str) -> None:
    nums = np.array([day_number(d) for d in days], dtype=np.int64)
    expected = [d in holidays(cal, d.year) for d in days]
    assert [bool(is_holiday(cal, int(n))) for n in nums] == expected
    assert is_holiday(cal, nums).tolist() == expected


@given(
    st.sampled_from(sorted(c for c in JURISDICTIONS if JURISDICTIONS[c].hours or JURISDICTIONS[c].holidays)),
    st.lists(st.tuples(dates, st.integers(0, 1439)), min_size=1, max_size=20),
)
def test_time_rule_agrees_for_ints_and_arrays(code: str, cases: list[tuple[dt.date, int]]) -> None:
    rule = time_rule(code)
    days = np.array([day_number(d) for d, _ in cases], dtype=np.int64)
    minutes = np.array([m for _, m in cases], dtype=np.int64)
    scalar = [bool(time_rule_passes(rule, int(d), int(m))) for d, m in zip(days, minutes, strict=True)]
    assert time_rule_passes(rule, days, minutes).tolist() == scalar


ZONES = ["America/New_York", "America/St_Johns", "America/Halifax", "America/Phoenix", "Pacific/Guam"]


@given(st.lists(st.integers(1_700_000_000, 1_900_000_000), min_size=1, max_size=30), st.sampled_from(ZONES))
def test_local_clock_agrees_for_instants_and_arrays(seconds: list[int], zone_name: str) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    days, minutes = local_day_minute_array(np.array(seconds, dtype=np.int64), zone)
    for s, d, m in zip(seconds, days.tolist(), minutes.tolist(), strict=True):
        assert local_day_minute(dt.datetime.fromtimestamp(s, dt.UTC), zone) == (d, m)


_ANY_YEAR = st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31, 23, 59))
_NEAR_NOW = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 12, 31))


@given(st.lists(st.one_of(_ANY_YEAR, _NEAR_NOW), min_size=1, max_size=12), st.sampled_from(ZONES))
def test_local_clock_over_centuries_agrees_with_zoneinfo(times: list[dt.datetime], zone_name: str) -> None:
    """Instants years apart in one column (calls dated 0002 and 9998 in one table) are read
    through the years they fall in only: each agrees with ``zoneinfo``. Reading every year
    between them once took some 14 s a table."""
    zone = zoneinfo.ZoneInfo(zone_name)
    minutes = np.array([int(t.replace(tzinfo=dt.UTC).timestamp()) // 60 for t in times], np.int64)
    days, clock = local_clock(minutes, zone_name)
    for m, d, c in zip(minutes.tolist(), days.tolist(), clock.tolist(), strict=True):
        local = dt.datetime.fromtimestamp(m * 60, dt.UTC).astimezone(zone)
        day = local.date().toordinal() - dt.date(1970, 1, 1).toordinal()
        assert (d, c) == (day, local.hour * 60 + local.minute)


def test_local_clock_of_a_column_spanning_millennia_is_quick() -> None:
    import time

    minutes = np.array(
        [int(dt.datetime(y, 6, 1, tzinfo=dt.UTC).timestamp()) // 60 for y in (2, 2026, 9998)], np.int64
    )
    t0 = time.process_time()
    local_clock(minutes + 7, "America/Chicago")
    assert time.process_time() - t0 < 2.0


def test_local_clock_at_newfoundland_dst_change() -> None:
    """St. John's springs forward at 02:00 NST (05:30 UTC) on 8 March 2026: a half-hour edge."""
    zone = zoneinfo.ZoneInfo("America/St_Johns")
    before = int(dt.datetime(2026, 3, 8, 5, 29, tzinfo=dt.UTC).timestamp())
    after = int(dt.datetime(2026, 3, 8, 5, 30, tzinfo=dt.UTC).timestamp())
    _, minutes = local_day_minute_array(np.array([before, after], dtype=np.int64), zone)
    assert minutes.tolist() == [1 * 60 + 59, 3 * 60]


class TestEvidence:
    """RULES §6.4-6.6 as day masks."""

    US = "US"
    TODAY = day_number(dt.date(2026, 3, 16))

    def masks(self, **kw: object) -> tuple[int, int, int, int]:
        m = evidence_masks(Evidence(**kw), self.US, "exclusive", self.TODAY)  # type: ignore[arg-type]
        return m.purchase, m.inquiry, m.contract, m.consent

    def test_inquiry_expires_on_its_anniversary(self) -> None:
        inquiry = self.masks(inquiries=(day_number(dt.date(2025, 12, 18)),))[1]
        assert inquiry == span_mask(0, 2)  # valid on the 16th and 17th, expired on the 18th

    def test_request_ends_relationships_for_good(self) -> None:
        request = day_number(dt.date(2026, 3, 18))
        purchase = self.masks(purchases=(self.TODAY, request + 1), requests=(request,))[0]
        assert purchase == span_mask(0, 2)

    def test_consent_after_request_only(self) -> None:
        request = day_number(dt.date(2026, 3, 1))
        before = ("written", request - 1, None)
        after = ("written", request + 1, None)
        assert self.masks(consents=(before,), requests=(request,))[3] == 0
        assert self.masks(consents=(after,), requests=(request,))[3] == ALL_DAYS

    def test_undated_request_predates_every_consent(self) -> None:
        assert self.masks(consents=(("written", self.TODAY, None),), requests=(FAR_PAST,))[3] == 0

    def test_kinds_the_jurisdiction_does_not_accept(self) -> None:
        assert self.masks(consents=(("verbal", self.TODAY - 5, None),))[3] == 0
        assert self.masks(consents=(("recorded_verbal", self.TODAY - 5, None),))[3] == 0

    def test_reassignment_voids_older_evidence(self) -> None:
        older = self.TODAY - 30
        m = self.masks(purchases=(older,), consents=(("written", older, None),), reassigned=older + 1)
        assert m == (0, 0, 0, 0)


# A day mask holding only day 1, in the shape of each CallFacts field type that carries masks.
_ONE_DAY = 0b10
_MASK_SAMPLES = {
    "DayMask": _ONE_DAY,
    "tuple[tuple[str, DayMask], ...]": (("US-TX", _ONE_DAY),),
    "tuple[tuple[str, tuple[DayMask, DayMask, DayMask, DayMask]], ...]": (("US", (_ONE_DAY,) * 4),),
    "tuple[DayMask, DayMask, DayMask, DayMask]": (_ONE_DAY,) * 4,
}


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(CallFacts) if "DayMask" in str(f.type)])
def test_day_masks_names_every_mask_field(name: str) -> None:
    """``CallFacts.day_masks`` is how the policy tells facts that read the same on every day
    (one decision answers for all days): a mask field it left out would make a call that opens
    on a later day look closed for good. A new field of a new mask shape fails here until
    ``_MASK_SAMPLES`` (and ``day_masks``) know it."""
    field = next(f for f in dataclasses.fields(CallFacts) if f.name == name)
    facts = dataclasses.replace(
        CallFacts(country="US", jurisdictions=("US",)), **{name: _MASK_SAMPLES[str(field.type)]}
    )
    assert _ONE_DAY in facts.day_masks()
