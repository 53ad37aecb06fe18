"""What both front ends decide with: the Guard's options, the registry and its area-code table.

``Guard.check`` (one call) and ``dncguard.bulk`` (whole tables) take the same :class:`Context`,
so an area code's country, zones, jurisdictions in play and national copy are derived once, by
one piece of code, and the bulk engine built for a guard lives (and dies) with it.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from dncguard import geography
from dncguard.facts import KNOWN_JURISDICTIONS, Anniversary, day_number, fresh_end, list_states

if TYPE_CHECKING:
    from dncguard.layers import Layer

OnStale = Literal["block", "raise"]
MissingStateLists = Literal["block", "allow"]

__all__ = ["Area", "Context", "MissingStateLists", "OnStale", "day_of", "order_jurisdictions", "zone"]


@dataclass(frozen=True)
class Area:
    """What an area code contributes to every call into it (computed once per area code)."""

    country: str
    regions: tuple[str, ...]
    zones: tuple[zoneinfo.ZoneInfo, ...]
    codes: tuple[str, ...]
    """Jurisdictions in play from the number alone: its country, then its states with rules."""
    national_obtained: int | None
    """Day number the national copy of this area code was obtained; ``None``: not covered."""
    fresh_end: int | None
    """The first day on which that copy is too old to call on (``facts.fresh_end``); ``None``: not covered."""


@functools.cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone ``name`` (one object per name)."""
    return zoneinfo.ZoneInfo(name)


@functools.cache
def _area_of(
    npa: int,
) -> tuple[str, tuple[str, ...], tuple[zoneinfo.ZoneInfo, ...], tuple[str, ...]] | None:
    """What of :meth:`Context.area` depends on the numbering plan alone (country, regions, zones,
    jurisdictions), kept across contexts: replay makes one per registry version."""
    ac = geography.area_code(npa)
    if ac is None:
        return None
    codes = order_jurisdictions(
        [ac.country, *(r for r in ac.regions if r in KNOWN_JURISDICTIONS)], ac.country
    )
    return ac.country, tuple(ac.regions), tuple(zone(z) for z in ac.zones), codes


def order_jurisdictions(codes: Iterable[str], country: str) -> tuple[str, ...]:
    """The jurisdictions in play, in the order decisions list them: countries first (the
    number's own first), then states, each once."""
    unique = set(codes)
    return tuple(sorted(unique, key=lambda c: (c != country, "-" in c, c)))


def day_of(value: dt.date | None) -> int | None:
    """The day number of a date (None: no date)."""
    return None if value is None else day_number(value)


class Context:
    """A Guard's options and registry, and the area-code table derived from them.

    ``jurisdictions``: the rule sets that apply (None: all); ``anniversary``: how a relationship
    window's last day counts; ``on_stale``: what a registry copy too old for a call does;
    ``missing_state_lists``: whether a state list that binds and is not loaded blocks;
    ``areas``: area code -> :class:`Area` (None: not a US or Canadian one), filled on first
    use; ``bulk``: the bulk engine of this context, built by ``dncguard.bulk`` on first use
    (guarded by ``lock``).
    """

    def __init__(
        self,
        registry: Any,
        *,
        jurisdictions: frozenset[str] | None,
        anniversary: Anniversary,
        on_stale: OnStale,
        missing_state_lists: MissingStateLists = "block",
        ledger: Any = None,
    ) -> None:
        self.registry = registry
        self.ledger = ledger
        """The ``Ledger`` whose placed calls the frequency caps count (None: ``attempts`` only)."""
        self.missing_state_lists: MissingStateLists = missing_state_lists
        self._unloaded: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._loaded_states: frozenset[str] | None = None
        self.on_stale: OnStale = on_stale
        self.jurisdictions = jurisdictions
        self.anniversary: Anniversary = anniversary
        self.areas: dict[int, Area | None] = {}
        self._national: dict[str, Layer] | None = None
        self.bulk: Any = None
        self.lock = threading.Lock()

    def national(self) -> dict[str, Layer]:
        """The registry's national layer of each country."""
        if self._national is None:
            self._national = {
                layer.jurisdiction: layer
                for layer in self.registry.layers
                if layer.kind == "national" and layer.jurisdiction is not None
            }
        return self._national

    def unloaded_states(self, codes: tuple[str, ...]) -> tuple[str, ...]:
        """Of the jurisdictions in play ``codes``, the states that keep their own list and whose
        list the registry does not hold: their calls fail closed (``state_list_not_loaded``),
        unless ``missing_state_lists="allow"`` (then none)."""
        found = self._unloaded.get(codes)
        if found is None:
            if self.missing_state_lists == "allow":
                found = ()
            else:
                if self._loaded_states is None:
                    self._loaded_states = frozenset(
                        layer.jurisdiction
                        for layer in self.registry.layers
                        if layer.kind == "state" and layer.jurisdiction is not None
                    )
                states = list_states()
                found = tuple(c for c in codes if c in states and c not in self._loaded_states)
            self._unloaded[codes] = found
        return found

    def area(self, npa: int) -> Area | None:
        """What area code ``npa`` contributes to every call into it (None: not US or Canadian)."""
        try:
            return self.areas[npa]
        except KeyError:
            pass
        static = _area_of(npa)
        area = None
        if static is not None:
            country, regions, zones, codes = static
            layer = self.national().get(country)
            obtained = None if layer is None else layer.area_codes.get(npa)
            day = day_of(obtained)
            ends = None if day is None else fresh_end(country, day)
            area = Area(country, regions, zones, codes, day, ends)
        self.areas[npa] = area
        return area
