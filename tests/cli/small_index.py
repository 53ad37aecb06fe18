"""A small index for command-line tests: a US national list and acme's internal list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

OBTAINED = dt.date(2026, 3, 2)


def save_index(folder: Path, national: Iterable[int], internal: Iterable[int], areas: Iterable[int]) -> str:
    """Save, in ``folder``, an index of the US list ``national`` (obtained on :data:`OBTAINED`
    for the area codes ``areas``) and acme's internal list ``internal``; its path."""
    registry = Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    np.array(sorted(national), np.uint64),
                    dict.fromkeys(areas, OBTAINED),
                    obtained=OBTAINED,
                )
            ],
            [Chunk(LayerKey.internal("acme"), Op.REPLACE, np.array(sorted(internal), np.uint64))],
        ]
    )
    path = folder / "registry.dncg"
    registry.save(path)
    return str(path)
