"""A registry opened with ``verify=False`` whose file was damaged: its layers must not be carried
into a new index. ``update`` and ``save`` give what they write fresh checksums and a fresh id, so
a flipped bit that ``verify=False`` let through would be written down as good data, and every
later ``open`` (verified) would serve it: a listed number reported not listed, for good."""

from __future__ import annotations

import datetime as dt
import pathlib

import numpy as np
import pytest

from dncguard.errors import CorruptIndexError
from dncguard.index import _format as fmt
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

D1 = dt.date(2026, 3, 10)
LISTED = 2125550142  # in the bitmap block 212-555 (every even line is listed)
ACME = [Chunk(LayerKey.internal("acme"), Op.REPLACE, np.array([3055550100], np.uint64))]


def damaged(tmp_path: pathlib.Path) -> pathlib.Path:
    """An index whose bit for LISTED was cleared inside its bitmap (its section checksum now fails)."""
    numbers = np.arange(2125550000, 2125560000, 2, dtype=np.uint64)
    registry = Registry.build([[Chunk(LayerKey.national("US"), Op.REPLACE, numbers, coverage={212: D1})]])
    path = tmp_path / "registry.dncg"
    registry.save(path)
    assert registry.lookup(LISTED)
    blob = bytearray(path.read_bytes())
    data = fmt.read_header(blob, len(blob)).sections[2]
    line = LISTED % 10_000
    blob[data.offset + (line >> 3)] &= ~(1 << (line & 7)) & 0xFF
    path.write_bytes(bytes(blob))
    return path


def test_an_unverified_damaged_registry_cannot_be_updated(tmp_path: pathlib.Path) -> None:
    path = damaged(tmp_path)
    registry = Registry.open(path, verify=False)  # constant time: the damage is not seen here
    with pytest.raises(CorruptIndexError, match=r"checksum mismatch.*verify=False.*dncguard build") as e:
        registry.update([ACME])
    assert e.value.path == str(path)


@pytest.mark.parametrize("updated", [False, True])
def test_an_unverified_damaged_registry_is_never_saved_as_good(tmp_path: pathlib.Path, updated: bool) -> None:
    path = damaged(tmp_path)
    out = tmp_path / "out.dncg"
    registry = Registry.open(path, verify=False)
    with pytest.raises(CorruptIndexError, match="verify=False"):
        (registry.update([]) if updated else registry).save(out)
    assert not out.exists()


def test_an_unverified_sound_registry_updates_and_saves(tmp_path: pathlib.Path) -> None:
    numbers = np.arange(2125550000, 2125560000, 2, dtype=np.uint64)
    registry = Registry.build([[Chunk(LayerKey.national("US"), Op.REPLACE, numbers, coverage={212: D1})]])
    path = tmp_path / "registry.dncg"
    registry.save(path)
    opened = Registry.open(path, verify=False)
    opened.save(tmp_path / "copy.dncg")
    updated = opened.update([ACME])
    updated.save(path)
    again = Registry.open(path)
    assert again.id == updated.id
    assert again.lookup(LISTED)
    assert again.lookup(3055550100)
    assert Registry.open(tmp_path / "copy.dncg").id == registry.id
