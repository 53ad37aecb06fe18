"""Layers and chunks: the one small type where registry sources meet the index.

A *layer* is one list: the US national registry (``us-ftc``), the Canadian National DNCL
(``ca-dncl``), a US state list (``us-tx``), or one seller's internal do-not-call list
(``internal:acme``). Sources (``dncguard.sources``) read downloads and yield :class:`Chunk`
values; the index (``dncguard.index``) consumes them. Sources know nothing of the index and the
index knows nothing of file formats.

A chunk names its layer, an operation, the area codes its data covers (each with the date the
data was obtained), a ``uint64`` array of 10-digit numbers, and for internal lists a parallel
``datetime64[D]`` array of request dates (``NaT``: no date, the entry applies always).

Operations, applied in the order the chunks arrive:

* ``add`` / ``delete``: change-list records; deleting an absent number is not an error. The
  chunk's ``coverage`` says which area codes the change list refreshed; a national layer's
  records without it are refused (with no date per area code they could not be ordered).
* ``replace``: the chunk's numbers are (part of) the new content of the layer. All ``replace``
  chunks of one layer from one source form one replacement: for a national layer, the union of
  their ``coverage`` is replaced (other area codes keep their data and dates; without
  ``coverage``, the area codes of the numbers, dated ``obtained``, which is then required); for a
  state or internal layer, whose ``coverage`` is empty, the whole layer is replaced.

>>> key = LayerKey.national("US")
>>> key.name
'us-ftc'
>>> LayerKey.internal(" Acme ").name
'internal:acme'
>>> LayerKey.state("US-TX").name
'us-tx'
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from dncguard._seller import normalize_seller
from dncguard.errors import ArgumentError, ArgumentTypeError

__all__ = ["Chunk", "Layer", "LayerKey", "LayerKind", "Listing", "Op"]

_NATIONAL_NAMES: Mapping[str, str] = MappingProxyType({"US": "us-ftc", "CA": "ca-dncl"})


class LayerKind(enum.StrEnum):
    """What kind of list a layer is."""

    NATIONAL = "national"
    STATE = "state"
    INTERNAL = "internal"


class Op(enum.StrEnum):
    """What a chunk does to its layer."""

    ADD = "add"
    DELETE = "delete"
    REPLACE = "replace"


@dataclass(frozen=True, order=True)
class LayerKey:
    """Identifies a layer: its kind, jurisdiction (``"US"``, ``"CA"``, ``"US-TX"``) and seller."""

    kind: LayerKind
    jurisdiction: str | None
    seller: str | None = None

    @classmethod
    def national(cls, country: str) -> LayerKey:
        if country not in _NATIONAL_NAMES:
            raise ArgumentError(f"no national registry for {country!r}: expected 'US' or 'CA'")
        return cls(LayerKind.NATIONAL, country)

    @classmethod
    def state(cls, region: str) -> LayerKey:
        if not (len(region) == 5 and region.startswith("US-") and region[3:].isalpha()):
            raise ArgumentError(f"state list region {region!r}: expected ISO 3166-2 like 'US-TX'")
        return cls(LayerKind.STATE, region.upper())

    @classmethod
    def internal(cls, seller: str) -> LayerKey:
        """The internal list of ``seller``, named by its normalised name (one seller however
        written: see :func:`dncguard._seller.normalize_seller`)."""
        name = normalize_seller(seller) if isinstance(seller, str) else ""
        if not name:
            raise ArgumentError(f"seller {seller!r}: expected a non-empty name")
        return cls(LayerKind.INTERNAL, None, name)

    @property
    def name(self) -> str:
        """The layer's stable name: ``us-ftc``, ``ca-dncl``, ``us-tx``, ``internal:<seller>``."""
        if self.kind is LayerKind.NATIONAL:
            assert self.jurisdiction is not None
            return _NATIONAL_NAMES[self.jurisdiction]
        if self.kind is LayerKind.STATE:
            assert self.jurisdiction is not None
            return self.jurisdiction.lower()
        return f"internal:{self.seller}"


@dataclass(frozen=True)
class Chunk:
    """A batch of numbers for one layer. See the module docstring for the operations.

    ``numbers``: ``uint64`` 10-digit NANP numbers (any order, duplicates allowed).
    ``dates``: ``None``, or ``datetime64[D]`` parallel to ``numbers`` (request dates; ``NaT`` = none).
    ``coverage``: area code -> the date the data for it was obtained (empty for state/internal).
    ``obtained``: when the download was obtained (``None`` for an internal list).
    ``source``: where the chunk came from (a path), for error messages.
    """

    layer: LayerKey
    op: Op
    numbers: npt.NDArray[np.uint64]
    coverage: Mapping[int, dt.date] = field(default_factory=dict)
    dates: npt.NDArray[np.datetime64] | None = None
    obtained: dt.date | None = None
    published: dt.date | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if self.numbers.dtype != np.uint64 or self.numbers.ndim != 1:
            raise ArgumentTypeError("Chunk.numbers must be a 1-D uint64 array")
        if self.dates is not None and (
            self.dates.dtype != np.dtype("datetime64[D]") or self.dates.shape != self.numbers.shape
        ):
            raise ArgumentTypeError("Chunk.dates must be datetime64[D] parallel to Chunk.numbers")


@dataclass(frozen=True)
class Layer:
    """One list in a registry, as ``registry.layers`` reports it.

    ``area_codes`` maps each covered area code to the date its data was obtained (national lists;
    empty for state and internal lists); ``obtained`` is the oldest of them (or the list's own
    obtained date); ``count`` is the number of distinct numbers listed.
    """

    name: str
    kind: str
    jurisdiction: str | None
    seller: str | None
    obtained: dt.date | None
    area_codes: Mapping[int, dt.date]
    count: int
    published: dt.date | None = None

    @property
    def key(self) -> LayerKey:
        return LayerKey(LayerKind(self.kind), self.jurisdiction, self.seller)


@dataclass(frozen=True)
class Listing:
    """One layer that lists a number; ``on`` is the request date for internal-list entries."""

    layer: Layer
    on: dt.date | None
