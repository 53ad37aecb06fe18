"""How bulk divides its work (:class:`Tuning`): never what it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

from dncguard._caches import BULK_COMBINATIONS
from dncguard._tuning import check_whole, resolve_tuning
from dncguard.errors import ArgumentError

Clocks = Literal["auto", "rows", "tables"]

VERDICT_CACHE: Final = BULK_COMBINATIONS
"""Distinct fact combinations an engine remembers across batches (then it starts afresh):
``dncguard._caches.BULK_COMBINATIONS``, where the bounds of every cache of decisions are.

A combination is keyed by what the policy sees (the place as the policy sees it, the day offsets
that matter), so calls seen before add none; varied calls go on adding a few: the project's
10-million-row benchmark file makes some 4,400, and a 100-million-row one over 7,000."""


@dataclass(frozen=True)
class Tuning:
    """How ``scrub``, ``scrub_batches`` and ``decide_batches`` divide their work (their
    ``tuning=`` keyword). Every setting gives the same answers: these trade speed for memory,
    and let tests reach every path with small tables.

    ``batch_rows``: rows per unit of work (None, the default: about a million); a larger batch
    is decided in slices of this size, runs of smaller ones joined up to it. ``clocks``: how each call's time
    becomes local days and minutes: ``"rows"`` converts each row's time, ``"tables"`` reads
    per-zone minute tables over the days the batch spans, ``"auto"`` (the default) picks the
    cheaper for the batch. ``verdict_cache``: distinct combinations of facts a guard remembers
    across batches before it starts afresh (default 8,192).

    >>> Tuning(batch_rows=0)
    Traceback (most recent call last):
    ...
    dncguard.errors.ArgumentError: Tuning(batch_rows=0): expected a whole number, at least 1
    """

    batch_rows: int | None = None
    clocks: Clocks = "auto"
    verdict_cache: int = VERDICT_CACHE

    def __post_init__(self) -> None:
        check_whole(self, *(("batch_rows",) if self.batch_rows is not None else ()), "verdict_cache")
        if self.clocks not in get_args(Clocks):
            allowed = ", ".join(repr(c) for c in get_args(Clocks))
            raise ArgumentError(f"Tuning(clocks={self.clocks!r}): expected one of {allowed}")


DEFAULT: Final = Tuning()


def resolve(tuning: object) -> Tuning:
    """``tuning`` as given to ``scrub``: a :class:`Tuning`, or None for the defaults."""
    return resolve_tuning(tuning, DEFAULT, "dncguard.bulk.Tuning")
