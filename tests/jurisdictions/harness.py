"""The shared harness of the per-jurisdiction tests: dated cases through the public API.

Every case is a call made through ``Guard.check`` (the public API, so the tests hold across
changes to the engine behind it) on a small registry built from synthetic chunks: a national copy
obtained the day before the call (so it is always fresh) covering the area codes used here, and
whatever state lists a test loads. Cases assert on the decision's *reasons* (``calling_hours``
present or not, ``state_registry`` present or not), never on ``allowed`` alone, so a rule added
later (another reason on the same call) does not turn a true case false.

Only synthetic 555-01XX numbers appear.

>>> at("2026-07-03", "14:00", "America/Chicago")
'2026-07-03T14:00:00-05:00'
>>> hours_ok("205-555-0123", "2026-07-03", "14:00")   # Alabama: Independence Day observed
False
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from dncguard import Decision, Guard, Registry
from dncguard.facts import list_states
from dncguard.layers import Chunk, LayerKey, Op

__all__ = [
    "NUMBER",
    "STATE_LISTED",
    "ZONE",
    "assert_banned_day",
    "assert_window",
    "at",
    "check",
    "codes",
    "hours_ok",
    "listed_ok",
]

US_NPAS = (205, 206, 212, 215, 303, 305, 314, 317, 401, 504, 505, 512, 580, 601, 615, 617, 801)
CA_NPAS = (416,)

NUMBER: Mapping[str, str] = {
    "US": "212-555-0123",
    "CA": "416-555-0123",
    "US-AL": "205-555-0123",
    "US-CO": "303-555-0123",
    "US-FL": "305-555-0123",
    "US-LA": "504-555-0123",
    "US-MO": "314-555-0123",
    "US-MS": "601-555-0123",
    "US-OK": "580-555-0123",
    "US-PA": "215-555-0123",
    "US-RI": "401-555-0123",
    "US-TX": "512-555-0123",
    "US-UT": "801-555-0123",
}
"""A number of each jurisdiction, on no list."""

ZONE: Mapping[str, str] = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "US-AL": "America/Chicago",
    "US-CO": "America/Denver",
    "US-FL": "America/New_York",
    "US-IN": "America/New_York",
    "US-LA": "America/Chicago",
    "US-MO": "America/Chicago",
    "US-MS": "America/Chicago",
    "US-PA": "America/New_York",
    "US-RI": "America/New_York",
    "US-TN": "America/Chicago",
    "US-TX": "America/Chicago",
    "US-UT": "America/Denver",
}
"""The (only) zone of each number above."""

STATE_LISTED: Mapping[str, int] = {
    "US-CO": 3035550177,
    "US-IN": 3175550177,
    "US-LA": 5045550177,
    "US-MO": 3145550177,
    "US-PA": 2155550177,
    "US-TN": 6155550177,
    "US-TX": 5125550177,
}
"""A number on each loaded state list (the lists hold nothing else)."""

UNUSED = 2125550198
"""The one number on the other states' lists (no case calls it)."""


def _u64(xs: Iterable[int]) -> np.ndarray[Any, np.dtype[np.uint64]]:
    return np.array(list(xs), dtype=np.uint64)


@functools.cache
def _guard(obtained: dt.date) -> Guard:
    ftc = Chunk(
        LayerKey.national("US"),
        Op.REPLACE,
        _u64([]),
        coverage=dict.fromkeys(US_NPAS, obtained),
        obtained=obtained,
    )
    dncl = Chunk(
        LayerKey.national("CA"),
        Op.REPLACE,
        _u64([]),
        coverage=dict.fromkeys(CA_NPAS, obtained),
        obtained=obtained,
    )
    # Every state that keeps its own list is loaded (a missing one blocks, RULES §6.11); those
    # without a listed number here hold only an unused one.
    states = [
        [
            Chunk(
                LayerKey.state(region),
                Op.REPLACE,
                _u64([STATE_LISTED.get(region, UNUSED)]),
                obtained=dt.date(2020, 1, 1),
            )
        ]
        for region in sorted(list_states())
    ]
    return Guard(Registry.build([[ftc], [dncl], *states]))


def at(day: str, hhmm: str, zone: str) -> str:
    """``day`` at ``hhmm`` wall-clock time in ``zone``, as an ISO text with its UTC offset."""
    local = dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return local.isoformat()


def check(to: str, when: str, **fields: Any) -> Decision:
    """``Guard.check`` of a sale call by ``acme`` (unless ``fields`` say otherwise)."""
    day = dt.datetime.fromisoformat(when).date()
    call = {"to": to, "at": when, "seller": "acme", "purpose": "sale", **fields}
    # The lists are fresh for the call: obtained the day before it, or today for a call dated
    # later than tomorrow (a date after today is refused: docs/defaults.md); calling hours do
    # not depend on the lists' dates.
    today = dt.datetime.now(dt.UTC).date()
    return _guard(min(day - dt.timedelta(days=1), today)).check(call)


def codes(d: Decision) -> set[str]:
    """The decision's reason codes."""
    return {r.code.value for r in d.reasons}


def _zone_of(to: str) -> str:
    code = next(c for c, n in NUMBER.items() if n == to)
    return ZONE[code]


def hours_ok(to: str, day: str, hhmm: str, zone: str | None = None, **fields: Any) -> bool:
    """Whether a call to ``to`` at ``hhmm`` local time on ``day`` passes the calling-hour rules."""
    return "calling_hours" not in codes(check(to, at(day, hhmm, zone or _zone_of(to)), **fields))


def _minute(hhmm: str, delta: int) -> str:
    h, m = map(int, hhmm.split(":"))
    t = h * 60 + m + delta
    return f"{t // 60:02d}:{t % 60:02d}"


def assert_window(to: str, day: str, first: str, last: str, zone: str | None = None) -> None:
    """``first`` and ``last`` are the first and last allowed minutes of ``day`` (local time)."""
    assert not hours_ok(to, day, _minute(first, -1), zone), f"{day} {_minute(first, -1)} should be refused"
    assert hours_ok(to, day, first, zone), f"{day} {first} should be allowed"
    assert hours_ok(to, day, last, zone), f"{day} {last} should be allowed"
    assert not hours_ok(to, day, _minute(last, 1), zone), f"{day} {_minute(last, 1)} should be refused"


def assert_banned_day(
    to: str, day: str, *, before: bool = True, after: bool = True, hhmm: str = "14:00"
) -> None:
    """No call on ``day``; calls at the same time the day before and after pass (if asked)."""
    d = dt.date.fromisoformat(day)
    assert not hours_ok(to, day, hhmm), f"{day} should be a day without calls"
    if before:
        prev = (d - dt.timedelta(days=1)).isoformat()
        assert hours_ok(to, prev, hhmm), f"{prev} (the day before) should allow calls"
    if after:
        nxt = (d + dt.timedelta(days=1)).isoformat()
        assert hours_ok(to, nxt, hhmm), f"{nxt} (the day after) should allow calls"


def listed_ok(region: str, day: str, **fields: Any) -> bool:
    """Whether a noon call to ``region``'s state-listed number is free of the state list."""
    to = str(STATE_LISTED[region])
    return "state_registry" not in codes(check(to, at(day, "12:00", ZONE[region]), **fields))
