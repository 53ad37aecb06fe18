"""The bulk view of a Guard (:class:`_Engine`): its layers, area codes and places, derived once."""

from __future__ import annotations

import dataclasses
import os
import threading
import zoneinfo
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from dncguard import geography
from dncguard._context import order_jurisdictions
from dncguard._seller import normalize_seller
from dncguard.bulk._evidence import _fresh_end
from dncguard.bulk._place import _BIT, _Place
from dncguard.errors import ArgumentError, ArgumentTypeError
from dncguard.facts import (
    FAR_PAST,
    KNOWN_JURISDICTIONS,
    day_number,
    time_rule_keys,
)
from dncguard.policy import clock_key

if TYPE_CHECKING:
    from dncguard._context import Context
    from dncguard.bulk._grouping import _Group, _GroupKey
    from dncguard.guard import Guard
    from dncguard.models import Consulted


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
        # The same verdicts by their combinations' engine keys (``_verdicts._engine_keys``), per
        # layout of the key: a combination met in an earlier batch is found with one look-up.
        self.known: dict[tuple[int, ...], dict[bytes, _Group]] = {}
        # ``consulted`` per (area code, layer bits, seller, region), for ``_provenance``.
        self.consulted: dict[bytes, tuple[Consulted, ...]] = {}
        # Values of the call's kinds (purpose, caller, line, channel), numbered for every batch.
        self._value_ids: dict[tuple[str, str, Any], int] = {}
        # What the policy sees of a place (``_Place.decision``): numbered once, for every batch.
        self.decisions: dict[tuple[Any, ...], int] = {}
        self.lock = threading.Lock()

    def value_ids(self, column: str, values: Sequence[Any]) -> npt.NDArray[np.int64]:
        """The engine's number of each of a column's ``values`` (a batch's dictionary of the
        column): one number per distinct value for the engine's life, the same in every batch
        (a value's position in a batch's dictionary depends on the batch)."""
        ids = self._value_ids
        keys = [(column, type(v).__name__, v) for v in values]
        found = [ids.get(k) for k in keys]
        if None in found:
            with self.lock:
                found = [ids.setdefault(k, len(ids)) for k in keys]
        return np.array(found, np.int64)

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
            place = dataclasses.replace(
                place, decision=self.decisions.setdefault(view, len(self.decisions)), **self._derived(place)
            )
            self.places[key] = place
            return place

    def _derived(self, place: _Place) -> dict[str, Any]:
        """What batches read of a place, derived once (the fields of :class:`_Place` that take
        no part in comparing places)."""
        slots = np.full(len(_BIT), -1, np.int64)
        for k, code in enumerate(place.codes):
            slots[_BIT[code]] = k
        slots.setflags(write=False)
        return {
            "code_bits": sum(1 << _BIT[c] for c in time_rule_keys(place.codes)),
            "national_bit": int(self.nat_mask[place.npa]) if place.valid else 0,
            "fresh_end": _fresh_end(place),
            "slots": slots,
            "clock_keys": tuple(clock_key(z) for z in place.zones),
        }

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
    if isinstance(threads, bool) or not isinstance(threads, int | np.integer):
        raise ArgumentTypeError(f"threads={threads!r}: expected a whole number, 1 or more, or None")
    if threads < 1:
        raise ArgumentError(f"threads={threads}: expected 1 or more")
    return int(threads)
