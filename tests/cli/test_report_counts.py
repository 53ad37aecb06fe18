"""The ``check`` report's counts (calls, blocked, per reason) and its legend's citations, summed
per kind of verdict over pieces whose verdicts come again as the same objects, or as equal new
ones, as bulk hands them: the same as counting every row's verdict one by one."""

from __future__ import annotations

import collections
import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard.cli._decide import _Piece
from dncguard.cli._report import _KINDS_HELD, _Report
from dncguard.models import Exemption, ExemptionCode, Reason, ReasonCode
from dncguard.policy import Verdict

_REASONS = [
    Reason(code=code, jurisdiction=j, rule=f"rule {i}", message="m")
    for i, (code, j) in enumerate(
        [
            (ReasonCode.NATIONAL_REGISTRY, "US"),
            (ReasonCode.CALLING_HOURS, "US"),
            (ReasonCode.CALLING_HOURS, "US-TX"),
        ]
    )
]
_EXEMPTIONS = [Exemption(code=code, jurisdiction="US", rule="exempt") for code in list(ExemptionCode)[:2]]


def _verdict(blocked: tuple[int, ...], exempt: tuple[int, ...]) -> Verdict:
    if blocked:
        return Verdict(False, tuple(_REASONS[i] for i in blocked), (), ("US",))
    return Verdict(True, (), tuple(_EXEMPTIONS[i] for i in exempt), ("US",))


_KIND = st.tuples(
    st.lists(st.integers(0, len(_REASONS) - 1), max_size=3).map(tuple),
    st.lists(st.integers(0, len(_EXEMPTIONS) - 1), max_size=2).map(tuple),
)


class _Explainer:
    """What ``_Report`` asks of an explainer to be made: nothing, for counting."""


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_KIND, min_size=1, max_size=6),
    st.lists(st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=8), max_size=6),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_the_counts_are_those_of_every_row(
    kinds: list[tuple[tuple[int, ...], tuple[int, ...]]],
    pieces: list[list[tuple[int, bool]]],
    every: bool,
    seed: int,
) -> None:
    pool = [_verdict(*k) for k in kinds]
    rng = np.random.default_rng(seed)
    report = _Report(_Explainer(), fmt="text", path="calls.csv", out=io.StringIO(), every=every)  # type: ignore[arg-type]
    calls = blocked = 0
    reasons: collections.Counter[str] = collections.Counter()
    cited: set[tuple[str, str, str]] = set()
    for spec in pieces:
        # A piece's verdicts: objects of the pool (met before) or equal fresh copies, some twice.
        verdicts = tuple(
            pool[i % len(pool)] if same else _verdict(*kinds[i % len(kinds)]) for i, same in spec
        )
        if not verdicts:
            continue
        inverse = rng.integers(0, len(verdicts), int(rng.integers(1, 20))).astype(np.int32)
        report._count(_piece(verdicts, inverse))
        for v in (verdicts[i] for i in inverse.tolist()):
            calls += 1
            if v.allowed:
                if every:
                    cited.update((e.code.value, e.jurisdiction, e.rule) for e in v.exemptions)
                continue
            blocked += 1
            for r in v.reasons:
                reasons[r.code.value] += 1
                cited.add((r.code.value, r.jurisdiction, r.rule))
    assert (report.calls, report.blocked) == (calls, blocked)
    assert report.reasons == reasons
    assert set(report.cited) == cited


def test_more_verdict_objects_than_the_table_holds_are_counted() -> None:
    """Past the table's bound it starts afresh, and an object met again is counted as before."""
    report = _Report(_Explainer(), fmt="text", path="calls.csv", out=io.StringIO())  # type: ignore[arg-type]
    kept = [_verdict((0,), ()) if i % 2 else _verdict((), ()) for i in range(_KINDS_HELD + 100)]
    for lo in range(0, len(kept), 1000):
        verdicts = tuple(kept[lo : lo + 1000])
        report._count(_piece(verdicts, np.arange(len(verdicts), dtype=np.int32)))
    report._count(_piece(tuple(kept[:10]), np.arange(10, dtype=np.int32)))
    assert (report.calls, report.blocked) == (len(kept) + 10, len(kept) // 2 + 5)
    assert report.reasons == {ReasonCode.NATIONAL_REGISTRY.value: len(kept) // 2 + 5}


def _piece(verdicts: tuple[Verdict, ...], inverse: np.ndarray) -> _Piece:
    n = len(inverse)
    return _Piece(
        0,
        verdicts,
        inverse,
        np.zeros(n, np.int64),
        np.zeros(0, np.intp),
        np.zeros(n, np.uint64),
        None,  # type: ignore[arg-type]
    )
