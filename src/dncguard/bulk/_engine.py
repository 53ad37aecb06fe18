"""The bulk view of a Guard (:class:`_Engine`): its layers, area codes and places, derived once."""

from __future__ import annotations

import dataclasses
import os
import threading
import zoneinfo
from typing import TYPE_CHECKING, Any

import numpy as np

from dncguard import geography
from dncguard._context import order_jurisdictions
from dncguard._seller import normalize_seller
from dncguard.bulk._place import _Place
from dncguard.facts import (
    FAR_PAST,
    KNOWN_JURISDICTIONS,
    day_number,
)

if TYPE_CHECKING:
    from dncguard._context import Context
    from dncguard.bulk._grouping import _Group, _GroupKey
    from dncguard.guard import Guard


class _Engine:
    """Everything about a Guard that bulk needs, derived once and reused across batches."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.registry: Any = context.registry
        self.jurisdictions = context.jurisdictions
        self.anniversary = context.anniversary
        layers = tuple(self.registry.layers)
        self.layers = layers
        self.national_bit: dict[str, int] = {}
        self.state_layers: list[tuple[int, str, int]] = []  # (bit, region, binding-from day)
        self.internal: dict[str, int] = {}
        for i, layer in enumerate(layers):
            if layer.kind == "national" and layer.jurisdiction is not None:
                self.national_bit.setdefault(layer.jurisdiction, i)
            elif layer.kind == "state" and layer.jurisdiction is not None:
                start = FAR_PAST if layer.obtained is None else day_number(layer.obtained)
                self.state_layers.append((i, layer.jurisdiction, start))
            elif layer.kind == "internal" and layer.seller is not None:
                # keyed by the normalised name: one seller however written (docs/defaults.md)
                self.internal.setdefault(normalize_seller(layer.seller), i)
        self.state_bits = np.uint64(sum(1 << b for b, _, _ in self.state_layers))
        # Layers are ordered national, state, internal: the state bits are contiguous.
        self.state_shift = min((b for b, _, _ in self.state_layers), default=0)
        # Per area code: whether Guard knows it, and the national-layer bit of its country.
        self.area_ok = np.zeros(1000, bool)
        self.nat_mask = np.zeros(1000, np.uint64)
        for npa in range(200, 1000):
            area = context.area(npa)
            if area is not None:
                self.area_ok[npa] = True
                bit = self.national_bit.get(area.country)
                if bit is not None:
                    self.nat_mask[npa] = np.uint64(1 << bit)
        self.places: dict[tuple[int, str | None, str | None, int], _Place] = {}
        self.groups: dict[_GroupKey, _Group] = {}
        # What the policy sees of a place (``_Place.decision``): numbered once, for every batch.
        self.decisions: dict[tuple[Any, ...], int] = {}
        self.lock = threading.Lock()

    def place(self, npa: int, region: str | None, zone: str | None, state_mask: int) -> _Place:
        """The place of a call to area code ``npa`` (with ``callee_region``, ``callee_timezone``
        and the state lists holding the number): one object per distinct place for the engine's
        life, numbered (``decision``) by what the policy sees of it. Batches run on several
        threads: a place is made once, under the lock, so that no two places of one key exist
        and no two different views share a number."""
        key = (npa, region, zone, state_mask)
        found = self.places.get(key)
        if found is not None:
            return found
        with self.lock:
            found = self.places.get(key)
            if found is not None:
                return found
            place = self._new_place(npa, region, zone, state_mask)
            view = (
                place.valid,
                place.country,
                place.codes,
                place.covered,
                place.states,
                bool(place.zones),
                place.unloaded,
            )
            place = dataclasses.replace(place, decision=self.decisions.setdefault(view, len(self.decisions)))
            self.places[key] = place
            return place

    def _new_place(self, npa: int, region: str | None, zone: str | None, state_mask: int) -> _Place:
        area = self.context.area(npa) if self.area_ok[npa] else None
        if area is None:
            place = _Place(False)
        else:
            listed = [(r, start) for b, r, start in self.state_layers if state_mask >> b & 1]
            zones = area.zones
            codes = area.codes
            extra = [r for r in (region, *(r for r, _ in listed)) if r and r not in area.regions]
            if extra or zone:
                names = {z.key for z in zones}
                more = [z for r in extra for z in geography.region_zones(r)]
                if zone:
                    more.append(zone)
                zones = zones + tuple(zoneinfo.ZoneInfo(z) for z in sorted(set(more) - names))
                extra_codes = [
                    c for r in extra for c in (geography.region_country(r), r) if c in KNOWN_JURISDICTIONS
                ]
                codes = order_jurisdictions([*codes, *extra_codes], area.country)
            place = _Place(
                True,
                npa,
                area.country,
                codes,
                zones,
                area.national_obtained,
                tuple(listed),
                self.context.unloaded_states(codes),
            )
        return place


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def _engine(guard: Guard) -> _Engine:
    """The bulk view of ``guard``'s context, built on first use and kept with the context (the
    guard's), so it lives and dies with the guard."""
    context = guard.context
    with context.lock:
        engine = context.bulk
        if engine is None:
            engine = context.bulk = _Engine(context)
        assert isinstance(engine, _Engine)
        return engine


def _threads(threads: int | None) -> int:
    if threads is None:
        return min(2, os.cpu_count() or 1)
    if threads < 1:
        raise ValueError(f"threads={threads}: expected 1 or more")
    return threads
