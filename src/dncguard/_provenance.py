"""Provenance: which lists a decision depended on, and what each said (``Decision.consulted``).

One function for both front ends: ``Guard.check`` asks :meth:`Provenance.for_call` with what it
already found for the call; ``dncguard.bulk`` asks :meth:`Provenance.for_mask` with a row's layer
bits. Both end in :meth:`Provenance.consulted`, memoised per distinct answer.

The lists, in the order of the decision's jurisdictions (the number's country first, then its
states, each once; the seller's internal list last):

* the national list of the number's country: ``obtained`` is that list's date for the called area
  code; ``None`` (and ``listed=None``) when it is not loaded or does not cover the area code;
* each state list that applies: the list of every state of the area code, of ``callee_region``
  and of any loaded state list holding the number, when it is loaded, or when the state keeps a
  list of its own (then, not loaded, with ``obtained=None, listed=None``);
* the call's seller's internal list (sellers compare trimmed and case-folded), when the registry
  holds internal lists at all; not loaded for this seller: ``obtained=None, listed=None``.

A list of a jurisdiction the ``jurisdictions`` option leaves out is not consulted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from dncguard._seller import normalize_seller
from dncguard.facts import KNOWN_JURISDICTIONS, age_limits
from dncguard.layers import Layer, LayerKey
from dncguard.models import Consulted

if TYPE_CHECKING:
    from dncguard._context import Context

__all__ = ["Provenance", "provenance"]

_MEMO_SIZE: Final = 1 << 16
_NO_STATES: Final[frozenset[str]] = frozenset()
_Key = tuple[int, str | None, str, bool, frozenset[str], tuple[bool, ...]]


class Provenance:
    """The provenance of the decisions of one :class:`~dncguard._context.Context`."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._jurisdictions = context.jurisdictions
        registry = context.registry
        self.layers: tuple[Layer, ...] = tuple(registry.layers)
        self._national: dict[str, tuple[int, Layer]] = {}
        self._states: dict[str, tuple[int, Layer]] = {}
        self._internal: dict[str, list[tuple[int, Layer]]] = {}
        for i, layer in enumerate(self.layers):
            if layer.kind == "national" and layer.jurisdiction is not None:
                self._national.setdefault(layer.jurisdiction, (i, layer))
            elif layer.kind == "state" and layer.jurisdiction is not None:
                self._states.setdefault(layer.jurisdiction, (i, layer))
            elif layer.kind == "internal" and layer.seller is not None:
                self._internal.setdefault(normalize_seller(layer.seller), []).append((i, layer))
        self._own_lists = frozenset(age_limits()[2])
        self._memo: dict[_Key, tuple[Consulted, ...]] = {}
        self._sellers: dict[str, str] = {}
        self._probes: dict[str, tuple[Callable[[int], bool], ...]] = {}
        self._exact: dict[str, bool] = {}
        self._id: str | None = None

    @property
    def registry_id(self) -> str:
        """The registry's ``id`` (read once; ``""`` for a registry-like object without one)."""
        if self._id is None:
            value = getattr(self._context.registry, "id", None)
            self._id = value if isinstance(value, str) else ""
        return self._id

    def seller_key(self, seller: str) -> str:
        key = self._sellers.get(seller)
        if key is None:
            if len(self._sellers) >= _MEMO_SIZE:
                self._sellers.clear()
            key = self._sellers[seller] = normalize_seller(seller)
        return key

    # -- the two front ends ----------------------------------------------------------------------

    def for_call(
        self,
        number: int,
        region: str | None,
        seller: str,
        national_listed: bool,
        listed_states: Iterable[str],
        on_exact_internal: bool,
    ) -> tuple[Consulted, ...]:
        """``Guard.check``'s: the number (10 digits), ``callee_region``, the seller, and what the
        check found (the national list holds it; the states whose loaded lists hold it; the
        internal list named exactly as the seller is written holds it). The internal lists whose
        seller is written otherwise (``"ACME"`` for ``"acme"``) are asked here."""
        key = self.seller_key(seller)
        exact = self._exact.get(seller)
        if exact is None:
            exact = self._exact_of(seller, key)
        if exact:  # the check asked the seller's one internal list (or there is none)
            internal: tuple[bool, ...] = (on_exact_internal,) if key in self._internal else ()
        else:
            probes = self._probes.get(key)
            if probes is None:
                probes = self._internal_probes(key)
            internal = tuple(probe(number) for probe in probes)
        states = frozenset(listed_states) if listed_states else _NO_STATES
        return self.consulted(number // 10_000_000, region, key, national_listed, states, internal)

    def for_mask(self, npa: int, region: str | None, seller: str, mask: int) -> tuple[Consulted, ...]:
        """Bulk's: a row's area code, ``callee_region``, seller and layer bits (bit ``i``: the
        registry's ``layers[i]`` holds the number)."""
        area = self._context.area(npa)
        if area is None:
            return ()
        key = self.seller_key(seller)
        national = self._national.get(area.country)
        national_listed = national is not None and bool(mask >> national[0] & 1)
        states = frozenset(j for j, (i, _) in self._states.items() if mask >> i & 1)
        internal = tuple(bool(mask >> i & 1) for i, _ in self._internal.get(key, ()))
        return self.consulted(npa, region, key, national_listed, states, internal)

    def _exact_of(self, seller: str, key: str) -> bool:
        """Whether the internal lists of ``seller`` (compared trimmed and case-folded) are at
        most one, named exactly ``seller`` (the one ``Guard.check`` asks)."""
        lists = self._internal.get(key, [])
        exact = len(lists) <= 1 and all(layer.seller == seller for _, layer in lists)
        if len(self._exact) >= _MEMO_SIZE:
            self._exact.clear()
        self._exact[seller] = exact
        return exact

    def _internal_probes(self, key: str) -> tuple[Callable[[int], bool], ...]:
        indexes = [i for i, _ in self._internal.get(key, ())]
        probes_of = getattr(self._context.registry, "probes", None)
        found: list[Callable[[int], bool]] = []
        if callable(probes_of):
            table = probes_of()
            found = [table[i][1] for i in indexes]
        else:
            registry = self._context.registry

            def on(name: str) -> Callable[[int], bool]:
                return lambda n: any(x.layer.name == name for x in registry.lookup(n))

            found = [on(self.layers[i].name) for i in indexes]
        if len(self._probes) >= _MEMO_SIZE:
            self._probes.clear()
        self._probes[key] = result = tuple(found)
        return result

    # -- the one derivation ----------------------------------------------------------------------

    def _applies(self, code: str) -> bool:
        chosen = self._jurisdictions
        if chosen is None:
            return True
        if code not in KNOWN_JURISDICTIONS:  # a state without rules here: its country's rules
            code = code.split("-", 1)[0]
        return code in chosen

    def consulted(
        self,
        npa: int,
        region: str | None,
        seller_key: str,
        national_listed: bool,
        listed_states: frozenset[str],
        internal_listed: tuple[bool, ...],
    ) -> tuple[Consulted, ...]:
        """The lists a call to area code ``npa`` depended on (see the module docstring)."""
        memo_key: _Key = (npa, region, seller_key, national_listed, listed_states, internal_listed)
        found = self._memo.get(memo_key)
        if found is not None:
            return found
        area = self._context.area(npa)
        out: list[Consulted] = []
        if area is not None:
            country = area.country
            if self._applies(country):
                national = self._national.get(country)
                name = LayerKey.national(country).name if national is None else national[1].name
                obtained = None if national is None else national[1].area_codes.get(npa)
                listed = None if obtained is None else national_listed
                out.append(Consulted(layer=name, jurisdiction=country, obtained=obtained, listed=listed))
            regions = {*area.regions, *listed_states}
            if region is not None:
                regions.add(region)
            for state in sorted(r for r in regions if r.startswith("US-")):
                if not self._applies(state):
                    continue
                loaded = self._states.get(state)
                if loaded is not None:
                    layer = loaded[1]
                    out.append(
                        Consulted(
                            layer=layer.name,
                            jurisdiction=state,
                            obtained=layer.obtained,
                            listed=state in listed_states,
                        )
                    )
                elif state in self._own_lists:
                    out.append(
                        Consulted(
                            layer=LayerKey.state(state).name, jurisdiction=state, obtained=None, listed=None
                        )
                    )
            if self._internal and self._applies(country):
                lists = self._internal.get(seller_key, ())
                for (_, layer), listed_on in zip(lists, internal_listed, strict=True):
                    out.append(
                        Consulted(
                            layer=layer.name, jurisdiction=country, obtained=layer.obtained, listed=listed_on
                        )
                    )
                if not lists:
                    name = f"internal:{seller_key}"
                    out.append(Consulted(layer=name, jurisdiction=country, obtained=None, listed=None))
        result = tuple(out)
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        self._memo[memo_key] = result
        return result


def provenance(context: Context) -> Provenance:
    """The :class:`Provenance` of ``context`` (built once, kept on it)."""
    found: Any = getattr(context, "provenance", None)
    if not isinstance(found, Provenance):
        # Two threads may both build one: equal values, the last kept (no lock to deadlock on).
        found = Provenance(context)
        context.provenance = found  # type: ignore[attr-defined]
    result: Provenance = found
    return result
