"""A registry's stored form: the layers' metadata as JSON, the sections of each layer, the id.

Shared by :mod:`dncguard.registry` (save, open) and :mod:`dncguard._history` (the metadata a
change replaced); every field read from a file goes through the same checks."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from dncguard.errors import (
    CorruptIndexError,
)
from dncguard.index import (
    BlockIndex,
)
from dncguard.index import _format as fmt
from dncguard.layers import Layer, LayerKey, LayerKind

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


#: A membership mask is a ``uint64``: one bit per layer.
MAX_LAYERS: Final = 64


_SECTIONS: Final = ("pages", "directory", "data", "dated", "dates")


_DTYPES: Final = {"pages": "<i4", "directory": "<u8", "data": "u1", "dated": "<u8", "dates": "<i8"}


_HIGH: Final = 10_000_000_000


_ID: Final = re.compile(r"dncg:[0-9a-f]{32}")


def _date(s: object) -> dt.date | None:
    if s is None:
        return None
    if not isinstance(s, str):
        raise TypeError(s)
    return dt.date.fromisoformat(s)


def _layer_json(layer: Layer) -> dict[str, Any]:
    return {
        "name": layer.name,
        "kind": layer.kind,
        "jurisdiction": layer.jurisdiction,
        "seller": layer.seller,
        "obtained": None if layer.obtained is None else layer.obtained.isoformat(),
        "published": None if layer.published is None else layer.published.isoformat(),
        "count": layer.count,
        "area_codes": {str(a): d.isoformat() for a, d in sorted(layer.area_codes.items())},
    }


def _key_of(lj: dict[str, Any]) -> LayerKey:
    """The layer's key, through the same checks as a key made by a source."""
    kind = LayerKind(lj["kind"])
    if kind is LayerKind.NATIONAL:
        key = LayerKey.national(lj["jurisdiction"])
    elif kind is LayerKind.STATE:
        key = LayerKey.state(lj["jurisdiction"])
    else:
        seller = lj["seller"]
        # as every writer made it: a non-empty name without outer spaces, in the layer's name
        named = (
            isinstance(seller, str) and seller == seller.strip() != "" and lj["name"] == f"internal:{seller}"
        )
        if not named or lj["jurisdiction"] is not None:
            raise CorruptIndexError(f"layer {lj['name']!r}: name, kind, jurisdiction and seller disagree")
        # An index written before sellers were normalised may name "internal:Acme": read as the
        # list of the one seller "acme" however written (docs/defaults.md#sellers-are-one-name).
        return LayerKey.internal(seller)
    if (key.jurisdiction, key.seller) != (lj["jurisdiction"], lj["seller"]) or key.name != lj["name"]:
        raise CorruptIndexError(f"layer {lj['name']!r}: name, kind, jurisdiction and seller disagree")
    return key


def _layer_from_json(lj: dict[str, Any]) -> Layer:
    """A layer's metadata as stored (in the header, or in the history), through every check."""
    try:
        key = _key_of(lj)
        codes = {int(a): _date(d) for a, d in lj["area_codes"].items()}
        if any(not 200 <= a <= 999 or d is None for a, d in codes.items()):
            raise CorruptIndexError(f"layer {key.name}: an area code out of range or without a date")
        count = lj["count"]
        if type(count) is not int or not 0 <= count < _HIGH:
            raise CorruptIndexError(f"layer {key.name}: bad count {count!r}")
        return Layer(
            name=key.name,
            kind=str(key.kind),
            jurisdiction=key.jurisdiction,
            seller=key.seller,
            obtained=_date(lj["obtained"]),
            area_codes=MappingProxyType(dict(sorted(codes.items()))),  # type: ignore[arg-type]
            count=count,
            published=_date(lj["published"]),
        )
    except CorruptIndexError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise CorruptIndexError(f"unreadable layer metadata: {e!r}") from None


def _load(mm: Any, header: fmt.Header) -> tuple[list[Layer], list[BlockIndex], str, int | None]:
    meta = header.meta
    try:
        names = meta["sections"]
        extra = meta.get("history", 0) if header.version >= 3 else 0
        if extra not in (0, 2) or type(extra) is not int:
            raise CorruptIndexError("bad history entry in the metadata")
        layer_sections = len(_SECTIONS) * len(meta["layers"])
        if list(names) != list(_SECTIONS) or len(header.sections) != layer_sections + extra:
            raise CorruptIndexError("section table does not match the layers")
        if len(meta["layers"]) > MAX_LAYERS:
            raise CorruptIndexError(f"{len(meta['layers'])} layers: at most {MAX_LAYERS}")
        content_id = meta["id"]
        if not isinstance(content_id, str) or not _ID.fullmatch(content_id):
            raise CorruptIndexError("no registry id in the metadata")
        layers: list[Layer] = []
        indexes: list[BlockIndex] = []
        seen: set[LayerKey] = set()
        for i, lj in enumerate(meta["layers"]):
            layer = _layer_from_json(lj)
            if layer.key in seen:
                if lj.get("name") != layer.name:  # written before sellers were normalised
                    raise CorruptIndexError(
                        f"layer {lj.get('name')!r} and another hold the internal list of one seller"
                        f" ({layer.seller!r}: names are compared trimmed and case-folded): rebuild the"
                        " index from the downloads, each seller's list once"
                    )
                raise CorruptIndexError(f"layer {layer.name} appears twice")
            seen.add(layer.key)
            arrays = {}
            for j, name in enumerate(_SECTIONS):
                s = header.sections[i * len(_SECTIONS) + j]
                dtype = np.dtype(_DTYPES[name])
                if s.length % dtype.itemsize:
                    raise CorruptIndexError(f"layer {layer.name}: section {name} has a bad length")
                arrays[name] = np.frombuffer(mm, dtype, s.length // dtype.itemsize, s.offset)
            ix = BlockIndex(
                arrays["pages"],
                arrays["directory"],
                arrays["data"],
                arrays["dated"],
                arrays["dates"],
                layer.count,
            )
            try:
                ix.validate(layer.count)
            except CorruptIndexError as e:
                raise CorruptIndexError(f"layer {layer.name}: {e}") from None
            layers.append(layer)
            indexes.append(ix)
    except CorruptIndexError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise CorruptIndexError(f"unreadable metadata: {e!r}") from None
    return layers, indexes, content_id, (layer_sections if extra else None)


@contextlib.contextmanager
def _damage_is_corrupt() -> Iterator[None]:
    """A query over a damaged file opened with ``verify=False`` that reads out of bounds raises
    :class:`CorruptIndexError` (the structure was checked at open; a container's bits were not)."""
    try:
        yield
    except (IndexError, OverflowError) as e:
        raise CorruptIndexError(f"damaged index: {e} (open it with verify=True)") from None


def _content_id(layers_meta: list[dict[str, Any]], arrays: list[np.ndarray[Any, Any]]) -> str:
    """The registry id: SHA-256 over the layers' metadata (canonical JSON) and every section's
    length and bytes. The encoding is a function of the numbers (the smallest container per
    block, in prefix order), so the same content always gives the same id."""
    h = hashlib.sha256(json.dumps(layers_meta, sort_keys=True, separators=(",", ":")).encode())
    for a in arrays:
        buf = np.ascontiguousarray(a).data.cast("B")
        h.update(len(buf).to_bytes(8, "little"))
        h.update(buf)
    return "dncg:" + h.hexdigest()[:32]
