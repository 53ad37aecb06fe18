"""Where a call goes (:class:`_Place`) and the bit layout of the jurisdiction codes bulk uses."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

from dncguard.facts import (
    HORIZON,
    JURISDICTION_CODES,
    SEARCH_DAYS,
)

if TYPE_CHECKING:
    pass


# --------------------------------------------------------------------------------------------
# The engine: columns -> facts -> one policy call per distinct combination -> columns
# --------------------------------------------------------------------------------------------

_CODES: Final = JURISDICTION_CODES


_BIT: Final[Mapping[str, int]] = {code: i for i, code in enumerate(_CODES)}


_MASK_BITS: Final = HORIZON + 1  # bits of one DayMask


_ALL_CODE_BITS: Final = (1 << len(_CODES)) - 1


_MINUTE_US: Final = 60_000_000


_SEARCH_MINUTES: Final = SEARCH_DAYS * 1440


_NO_ROW: Final = np.iinfo(np.int64).max


NO_NEXT: Final = _NO_ROW
"""``Decided.next_at`` of a row without a ``next_allowed_at``."""


@dataclass(frozen=True)
class _Place:
    """Where a call goes: what the area code, callee_region, callee_timezone and the state lists
    holding the number give (the same derivation as ``Guard.facts``), computed once per distinct
    combination. ``valid`` is false for an area code outside the US and Canada."""

    valid: bool
    npa: int = 0
    country: str = ""
    codes: tuple[str, ...] = ()
    zones: tuple[zoneinfo.ZoneInfo, ...] = ()
    national_obtained: int | None = None
    states: tuple[tuple[str, int], ...] = ()
    """(region, first day the loaded list binds) for each state list holding the number."""
    unloaded: tuple[str, ...] = ()
    """The states in play keeping their own list that is not loaded (``Context.unloaded_states``)."""
    decision: int = 0
    """What the policy sees of the place, numbered by its engine for the engine's life
    (:meth:`_Engine.place`): places with the same number give the same facts to every row, so a
    verdict cached under it serves them all, in any batch."""

    @property
    def covered(self) -> bool:
        """Whether the loaded national list of the number's country covers its area code."""
        return self.national_obtained is not None
