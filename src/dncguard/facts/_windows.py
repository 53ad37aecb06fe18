"""How long evidence counts: a window's end from the day of the evidence (months, business
days or days; the anniversary rule), for one day number or a column."""

from __future__ import annotations

from typing import Literal

import numpy as np

from dncguard._calendar import (
    IntLike,
    add_months,
    add_months_day,
)
from dncguard.jurisdictions.base import BusinessDays, Months, Window

Anniversary = Literal["exclusive", "inclusive"]


def window_end(on: IntLike, window: Window, anniversary: Anniversary) -> IntLike:
    """The first day on which evidence dated ``on`` no longer supports a call (exclusive end).

    Anniversary exclusive (the default, docs/defaults.md): exactly ``N`` months later has expired;
    inclusive keeps that day.
    """
    end: IntLike
    if isinstance(window, Months):
        end = add_months(on, window.n) if isinstance(on, np.ndarray) else add_months_day(on, window.n)
    elif isinstance(window, BusinessDays):
        # The n-th weekday after the event (a weekend event counts from the Friday before).
        days = np.asarray(on, dtype=np.int64).view("datetime64[D]")
        shifted = np.busday_offset(days, window.n, roll="backward").view(np.int64)
        end = shifted if isinstance(on, np.ndarray) else int(shifted)
    else:
        end = on + window.n
    return end + 1 if anniversary == "inclusive" else end
