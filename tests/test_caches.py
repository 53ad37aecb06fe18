"""The caches of decisions and calling-hour tables are bounded where ``dncguard._caches`` says,
and their tables, full, fit the memory it documents: a long ``check`` holds no more than that,
however many calls it reads."""

from __future__ import annotations

from typing import Any

import numpy as np

from dncguard import _caches
from dncguard._minutes import day_clock
from dncguard.bulk import Tuning
from dncguard.bulk._clock import _day_passes, _zone_day
from dncguard.facts._hours import time_rule_passes_on
from dncguard.policy._decide import decide
from dncguard.policy._next_allowed import LAGS, minute_waits, open_days

_DAY = 20_528  # 2026-03-16, days since 1970-01-01


def test_each_cache_is_bounded_by_its_constant() -> None:
    bounds: list[tuple[Any, int]] = [
        (decide, _caches.DECISIONS),
        (open_days, _caches.OPEN_DAYS),
        (minute_waits, _caches.MINUTE_WAITS),
        (day_clock, _caches.DAY_CLOCKS),
        (_day_passes, _caches.DAY_PASSES),
        (time_rule_passes_on, _caches.TIME_RULE_DAYS),
        (_zone_day, _caches.ZONE_DAYS),
    ]
    for cached, bound in bounds:
        assert cached.cache_parameters()["maxsize"] == bound, cached.__name__
    assert Tuning().verdict_cache == _caches.BULK_COMBINATIONS


def _nbytes(value: Any) -> int:
    """The bytes of the arrays a cache entry holds (shared arrays counted where they are made)."""
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value)
    assert isinstance(value, np.ndarray)
    return int(value.nbytes)


def test_full_tables_fit_the_documented_memory() -> None:
    zone = "America/New_York"
    waits = minute_waits((zone,), ("US",), (0b111,) * LAGS, _DAY)
    assert waits.nbytes == 34_560
    full = (
        _nbytes(waits) * _caches.MINUTE_WAITS
        + _nbytes(day_clock(zone, _DAY)) * _caches.DAY_CLOCKS
        + _nbytes(_day_passes(zone, "US", _DAY)) * _caches.DAY_PASSES
        + _nbytes(time_rule_passes_on(zone, "US", _DAY)) * _caches.TIME_RULE_DAYS
        # _zone_day's day array is day_clock's own: only its passes are new.
        + _nbytes(_zone_day(zone, ("US",), _DAY)[1]) * _caches.ZONE_DAYS
    )
    assert _zone_day(zone, ("US",), _DAY)[0] is day_clock(zone, _DAY)[0]
    assert 100 << 20 < full <= _caches.TABLES_FULL
