"""Day offsets and masks bulk derives from the facts' day numbers (the rules themselves are in
:mod:`dncguard.facts`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dncguard.bulk._place import _Place
from dncguard.facts import (
    HORIZON,
    fresh_end,
)


def _fresh_end(place: _Place) -> int:
    """The first day on which the national copy of the place's area code is too old (0: none)."""
    if place.national_obtained is None:
        return 0
    return fresh_end(place.country, place.national_obtained)


def _clip_offset(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Day offsets clamped to ``0..HORIZON+1``, the range a :data:`~dncguard.facts.DayMask` sees."""
    out: npt.NDArray[np.int64] = np.clip(days, 0, HORIZON + 1)
    return out


def _from(lo: int) -> int:
    """The day mask of offsets ``lo..HORIZON``."""
    return ((1 << (HORIZON + 1)) - 1) ^ ((1 << lo) - 1)
