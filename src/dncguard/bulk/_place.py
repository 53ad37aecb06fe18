"""Where a call goes (:class:`_Place`) and the bit layout of the jurisdiction codes bulk uses."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from dncguard._minutes import Zone
from dncguard.facts import (
    HORIZON,
    SEARCH_DAYS,
    TIME_RULE_CODES,
)

# --------------------------------------------------------------------------------------------
# The engine: columns -> facts -> one policy call per distinct combination -> columns
# --------------------------------------------------------------------------------------------

_CODES: Final = TIME_RULE_CODES
"""Every time rule's key (each jurisdiction's code, then the windows binding only some calls):
one bit each in the time-rule bit masks (``_BIT``)."""


_BIT: Final[Mapping[str, int]] = {code: i for i, code in enumerate(_CODES)}


_MASK_BITS: Final = HORIZON + 1  # bits of one DayMask


_ALL_CODE_BITS: Final = (1 << len(_CODES)) - 1


_MINUTE_US: Final = 60_000_000


_SEARCH_MINUTES: Final = SEARCH_DAYS * 1440


_NO_ROW: Final = np.iinfo(np.int64).max


_NO_SLOTS: Final = np.full(len(_CODES), -1, np.int64)
_NO_SLOTS.setflags(write=False)


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

    # Derived once by the engine (``_Engine.place``) for every batch, rather than per batch:
    # they follow from the fields above (and the engine's registry), so they take no part in
    # comparing places.
    code_bits: int = field(default=0, compare=False)
    """Bits (``_BIT``) of ``codes``."""
    national_bit: int = field(default=0, compare=False)
    """The bit of the national layer of the number's country (0: none, or not valid)."""
    fresh_end: int = field(default=0, compare=False)
    """The first day on which the national copy of the area code is too old (0: none)."""
    slots: npt.NDArray[np.int64] = field(default_factory=lambda: _NO_SLOTS, compare=False, repr=False)
    """Per jurisdiction code (by ``_BIT``), its position in ``codes`` (-1: not in play here)."""
    clock_keys: tuple[Zone, ...] = field(default=(), compare=False)
    """``zones`` as ``policy.minute_waits`` names them (``policy.clock_key``)."""

    @property
    def covered(self) -> bool:
        """Whether the loaded national list of the number's country covers its area code."""
        return self.national_obtained is not None
