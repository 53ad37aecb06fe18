"""Calling hours against an independent oracle, across daylight-saving changes (RULES §6.7).

For every area code whose region adds no rules of its own (US: the federal 08:00-21:00 every
day; Canada: 09:00-21:30 Monday-Friday, 10:00-18:00 Saturday and Sunday), a call is refused on
``calling_hours`` exactly when its start, read with ``zoneinfo`` in *some* zone of the area
code, falls outside the window: inside in every zone is allowed, one minute out in any is
refused, and so is a start within the window's last minute (21:00:30 is after 9 p.m.). The
oracle knows nothing of dncguard's minute tables; ``Guard.scrub`` must give
the same answer as ``Guard.check``.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard import Guard, InvalidNumberError, Registry, geography, parse_number
from dncguard.jurisdictions import JURISDICTIONS
from dncguard.layers import Chunk, LayerKey, Op

# Two stretches of 2026 around the DST changes (8 March, 1 November), each within 31 days of
# the national copy's obtained date, so only the clock can refuse.
STRETCHES = (
    (dt.date(2026, 2, 24), dt.date(2026, 2, 25), dt.date(2026, 3, 22)),
    (dt.date(2026, 10, 19), dt.date(2026, 10, 20), dt.date(2026, 11, 15)),
)


def _callable(npa: int) -> bool:
    try:
        parse_number(f"{npa}5550123")
    except InvalidNumberError:
        return False  # an exchange the area code does not use (684-555 in American Samoa)
    return True


AREA_CODES = tuple(
    n
    for n in geography.area_codes()
    if (a := geography.area_code(n)) is not None
    and a.geographic
    and (a.country == "CA" or all(r not in JURISDICTIONS for r in a.regions))
    and _callable(n)
)

SPLIT = tuple(n for n in AREA_CODES if len(getattr(geography.area_code(n), "zones", ())) > 1)
"""The area codes that span zones (709 Newfoundland and Labrador, 306 Saskatchewan, 208 Idaho...)."""


@functools.cache
def _guard(obtained: dt.date) -> Guard:
    chunks = [
        [
            Chunk(
                LayerKey.national(country),
                Op.REPLACE,
                np.array([], np.uint64),
                coverage=dict.fromkeys(geography.area_codes(country), obtained),
                obtained=obtained,
            )
        ]
        for country in ("US", "CA")
    ]
    return Guard(Registry.build(chunks))


def _inside(country: str, local: dt.datetime) -> bool:
    # The instant itself, to the microsecond: 21:00:00 is inside the federal window, 21:00:30 is
    # after 9 p.m. (docs/defaults.md#calling-hours).
    t = dt.timedelta(
        hours=local.hour, minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )
    m = dt.timedelta(minutes=1)
    if country == "US":
        return 8 * 60 * m <= t <= 21 * 60 * m
    if local.weekday() < 5:
        return 9 * 60 * m <= t <= (21 * 60 + 30) * m
    return 10 * 60 * m <= t <= 18 * 60 * m


@settings(max_examples=400, deadline=None)
@given(
    npa=st.one_of(st.sampled_from(SPLIT), st.sampled_from(AREA_CODES)),
    stretch=st.sampled_from(STRETCHES),
    day=st.integers(0, 25),
    minute=st.one_of(
        st.integers(0, 1439),
        # a minute either side of each window's ends, in some zone's local time
        st.sampled_from((479, 480, 481, 539, 540, 541, 599, 600, 601, 1079, 1080, 1081, 1259, 1260, 1261)),
    ),
    zone_index=st.integers(0, 3),
    second=st.sampled_from((0, 30, 59)),
)
def test_property_calling_hours_match_every_zone_of_the_area_code(
    npa: int, stretch: tuple[dt.date, dt.date, dt.date], day: int, minute: int, zone_index: int, second: int
) -> None:
    obtained, first, last = stretch
    area = geography.area_code(npa)
    assert area is not None
    date = min(first + dt.timedelta(days=day), last)
    zone = zoneinfo.ZoneInfo(area.zones[zone_index % len(area.zones)])
    at = dt.datetime.combine(date, dt.time(minute // 60, minute % 60, second), zone)
    at = at.astimezone(dt.UTC).astimezone(zone)  # a wall time DST skipped moves to a real instant
    expected = all(_inside(area.country, at.astimezone(zoneinfo.ZoneInfo(z))) for z in area.zones)
    call = {"to": f"{npa}5550123", "at": at, "seller": "acme", "purpose": "sale"}
    guard = _guard(obtained)
    decision = guard.check(call)
    assert decision.allowed == expected, (at.isoformat(), area.zones, decision.reasons)
    if not expected:
        assert {r.code.value for r in decision.reasons} == {"calling_hours"}
        nxt = decision.next_allowed_at
        assert nxt is not None
        assert nxt > at
        assert all(_inside(area.country, nxt.astimezone(zoneinfo.ZoneInfo(z))) for z in area.zones)
    table = pa.table({"to": [call["to"]], "at": pa.array([at.astimezone(dt.UTC)]), "seller": ["acme"]})
    assert guard.scrub(table).column("allowed").to_pylist() == [expected]
