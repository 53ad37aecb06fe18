"""Grouping: rows reduced to their distinct decision-relevant combinations of facts (packed
integer keys, then one policy call per combination).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Final, NamedTuple, get_args

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dncguard import policy
from dncguard.bulk._evidence import _from
from dncguard.bulk._place import _BIT, _MASK_BITS, _Place
from dncguard.facts import (
    FAR_FUTURE,
    CallFacts,
    span_mask,
)
from dncguard.models import ConsentKind
from dncguard.policy import Verdict, decide, hour_rules, invalid_number, time_rules

# --------------------------------------------------------------------------------------------
# Distinct combinations
# --------------------------------------------------------------------------------------------


def factorize(
    keys: Sequence[npt.NDArray[np.integer[Any]]],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Group rows by the tuple of small non-negative integer ``keys``.

    Returns ``(inverse, first)``: ``first[g]`` is a row of group ``g`` and ``inverse[i]`` the
    group of row ``i``. Keys are packed into one ``int64`` by mixed radix where they fit and
    hashed by Arrow's dictionary encoder (one C++ pass, no sort) otherwise.

    >>> inv, first = factorize([np.array([1, 2, 1, 2]), np.array([0, 0, 0, 5])])
    >>> inv.tolist(), first.tolist()
    ([0, 1, 0, 2], [0, 1, 3])
    """
    n = len(keys[0]) if keys else 0
    if n == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    packed: npt.NDArray[np.int64] | None = None
    radix = 1
    for k in keys:
        k64 = k.astype(np.int64, copy=False)
        span = int(k64.max()) + 1 if len(k64) else 1
        if packed is None:
            packed, radix = k64.copy(), span
        elif radix * span < (1 << 62):
            packed = packed * span + k64
            radix *= span
        else:
            inv, _ = _encode(packed)
            packed, radix = inv.astype(np.int64) * span + k64, (int(inv.max()) + 1) * span
    assert packed is not None
    return _encode(packed)


def _encode(packed: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    top = int(packed.max())
    if top < max(2 * len(packed), 1 << 16):
        # Small keys: address a table directly (no hashing).
        present = np.zeros(top + 1, bool)
        present[packed] = True
        ids = np.cumsum(present, dtype=np.intp) - 1
        inverse = ids[packed]
        groups = int(ids[-1]) + 1
    else:
        enc = pc.dictionary_encode(pa.array(packed))
        inverse = enc.indices.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
        groups = len(enc.dictionary)
    first = np.full(groups, len(inverse), np.intp)
    # Rows in reverse: each group's slot ends holding its first row.
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1, dtype=np.intp)
    return inverse, first


def _unpack(packed: int) -> tuple[int, int, int, int]:
    m = (1 << _MASK_BITS) - 1
    return (packed & m, packed >> 11 & m, packed >> 22 & m, packed >> 33 & m)


def _unpack_consent(packed: int) -> tuple[tuple[str, int], ...]:
    """``CallFacts.consents`` from its packed ``mask << 3 | kind + 1`` (``_consents_by_kind``)."""
    return () if not packed else ((get_args(ConsentKind)[(packed & 7) - 1], packed >> 3),)


class _Packer:
    """Packs small non-negative integer columns into as few ``int64`` key columns as fit."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.columns: list[npt.NDArray[np.int64]] = []
        self.used = 62  # start a new column on the first add

    def add(self, values: npt.NDArray[Any], bound: int) -> None:
        """Add ``values``, all in ``0..bound`` (nothing to add when ``bound`` is 0)."""
        if bound <= 0:
            return
        bits = int(bound).bit_length()
        v = values.astype(np.int64, copy=False)
        if self.used + bits > 62:
            self.columns.append(v.copy() if v is values else v)
            self.used = bits
        else:
            self.columns[-1] |= v << self.used
            self.used += bits

    def keys(self) -> list[npt.NDArray[np.int64]]:
        """The key columns (one of zeros when every column added was constant)."""
        return self.columns or [np.zeros(self.n, np.int64)]


_INVALID: Final = invalid_number("", "not a US or Canadian number")


class _GroupKey(NamedTuple):
    """What a combination's facts follow from (and what its verdict is cached under)."""

    place: int
    """``decision`` of its :class:`_Place`: what the policy sees of the place, numbered by the
    engine for its life (the same in every batch, unlike the first row's place, and never an
    address a freed object could pass on)."""
    purpose: str
    caller: str
    line: str
    prerecorded: bool
    listed: bool
    """The number's country's national list holds it."""
    fresh: int
    """Days (from the call's) on which the national copy is fresh."""
    requested: int
    """Day offset of the first do-not-call request in effect."""
    failed: int
    """Bits of the time rules the call's start fails."""
    evidence: tuple[int, ...] | None
    """Packed evidence masks per jurisdiction of the place, or ``None``: no evidence."""
    state_from: tuple[int, ...] | None
    """Where state lists hold the number: per list of the place, the day offset (from the
    call's, clamped to the horizon as a day mask is) from which it binds; else ``None``. The
    offset, not the call's day, so that calls on different days with the same listings share it."""
    channel: str
    automated: bool
    consents: tuple[tuple[str, int], ...]
    """``CallFacts.consents``: (kind, days) of the row's consent, if any."""
    casl: int
    """Packed CASL masks, or 0."""
    recent: tuple[tuple[int, int], ...]
    """``CallFacts.recent``: (window minutes, earlier calls in it)."""
    supporter: int
    """``CallFacts.supporter``: days on which the called party is the charity's member or
    previous donor (0: none, or no such rule reaches the call)."""


def _facts(p: _Place, key: _GroupKey, jset: frozenset[str] | None) -> CallFacts:
    """The facts of a combination of ``key`` at place ``p`` (the same as ``Guard.facts``)."""
    purpose, channel, ev_key, state_from = key.purpose, key.channel, key.evidence, key.state_from
    exemptions: tuple[tuple[str, tuple[int, int, int, int]], ...] = ()
    if ev_key is not None:
        exemptions = tuple((code, _unpack(v)) for code, v in zip(p.codes, ev_key, strict=True))
    states: tuple[tuple[str, int], ...] = ()
    if state_from is not None:
        states = tuple(
            sorted(
                (region, span_mask(lo, FAR_FUTURE))
                for (region, _), lo in zip(p.states, state_from, strict=True)
            )
        )
    return CallFacts(
        country=p.country,
        jurisdictions=p.codes,
        purpose=purpose,
        caller=key.caller,
        line=key.line,
        prerecorded=key.prerecorded,
        national_listed=key.listed,
        national_covered=p.covered,
        national_fresh=(1 << key.fresh) - 1 if p.covered else 0,
        state_listed=states,
        requested=_from(key.requested),
        exemptions=exemptions,
        location_known=bool(p.zones),
        hours_failed=frozenset(
            c
            for c in hour_rules(p.codes, purpose, jset, channel, caller=key.caller, line=key.line)
            if key.failed >> _BIT[c] & 1
        ),
        channel=channel,
        automated=key.automated,
        consents=key.consents,
        states_unloaded=p.unloaded,
        casl=_unpack(key.casl),
        recent=key.recent,
        supporter=key.supporter,
    )


def _facts_at_lag(
    facts: CallFacts,
    p: _Place,
    with_ev: bool,
    evidence: Sequence[int],
    casl: int,
    by_kind: int,
    supporter: int,
) -> CallFacts:
    """``facts`` (a combination's, at place ``p``) with the evidence of one of its rows judged at
    another lag (``_evidence_at_lag``), read as :func:`_group_key` reads a first row's."""
    return dataclasses.replace(
        facts,
        exemptions=tuple((code, _unpack(v)) for code, v in zip(p.codes, evidence, strict=False))
        if with_ev
        else (),
        consents=_unpack_consent(by_kind),
        casl=_unpack(casl) if with_ev else (0, 0, 0, 0),
        supporter=supporter,
    )


class _Group:
    """One distinct combination of facts: the policy's verdict, and for a blocked call what
    ``next_allowed_at`` needs (computed on first use)."""

    __slots__ = ("_open", "facts", "hour_bits", "jset", "verdict")

    def __init__(
        self, facts: CallFacts | None, jset: frozenset[str] | None, verdict: Verdict | None = None
    ) -> None:
        self.facts = facts
        self.jset = jset
        if verdict is None:
            assert facts is not None
            verdict = decide(facts, jset)
        self.verdict = verdict
        self._open: int | None = None if facts is not None else 0
        self.hour_bits = 0

    @property
    def open_days(self) -> int:
        """The policy's open days when only the clock may block (bit mask; 0: allowed, invalid
        or blocked on every day); sets ``hour_bits``, the time rules that then apply."""
        if self._open is None:
            facts = self.facts
            assert facts is not None
            found = 0 if self.verdict.allowed else policy.open_days(facts, self.jset)
            if found:
                codes = time_rules(facts, self.jset)
                self.hour_bits = sum(1 << _BIT[c] for c in codes)
            self._open = found
        return self._open

    def time_bits(self) -> int:
        """The bits (``_BIT``) of the time rules that apply to the call (:func:`time_rules`)."""
        facts = self.facts
        assert facts is not None
        codes = time_rules(facts, self.jset)
        return sum(1 << _BIT[c] for c in codes)


_INVALID_GROUP: Final = _Group(None, None, _INVALID)
