"""``Guard.scrub`` against the Arrow a real user's frame may carry: every column's odd types and
values either read as ``Guard.check`` reads the same call, or are refused by a
``CallColumnError`` naming the column and the row (counted from 1); never a traceback, never an
answer from a misread value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from dncguard import CallColumnError, Guard, InvalidCallError
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

UTC = dt.UTC
OBTAINED = dt.date(2026, 3, 10)
AT = dt.datetime(2026, 3, 16, 18, tzinfo=UTC)
LISTED = "212-555-0199"  # on the national list
FREE = "212-555-0100"  # on no list
FLORIDA = "850-555-0100"  # on no list; Florida caps sales calls at three in 24 hours
GUARD = Guard(
    Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    np.array([2125550199], np.uint64),
                    coverage={212: OBTAINED, 850: OBTAINED},
                    obtained=OBTAINED,
                )
            ],
            [
                Chunk(
                    LayerKey.state("US-FL"), Op.REPLACE, np.array([8505550199], np.uint64), obtained=OBTAINED
                )
            ],
        ]
    )
)


def _table(**columns: Any) -> pa.Table:
    n = max(len(v) for v in columns.values()) if columns else 1
    base: dict[str, Any] = {"to": [FREE] * n, "at": [AT] * n, "seller": ["acme"] * n}
    base.update(columns)
    return pa.table(base)


def _allowed(table: pa.Table, **defaults: Any) -> list[bool]:
    return GUARD.scrub(table, **defaults).column("allowed").to_pylist()


def _refused(table: pa.Table, column: str, row: int | None, **defaults: Any) -> CallColumnError:
    with pytest.raises(CallColumnError) as info:
        GUARD.scrub(table, **defaults)
    assert (info.value.column, info.value.row) == (column, row), str(info.value)
    return info.value


# --------------------------------------------------------------------------------------------
# Evidence dates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dates",
    [
        pa.array([None, dt.date(2026, 1, 2).toordinal() - 719163 + 8_000 * 366], pa.date32()),  # year ~10026
        pa.array([None, -800_000], pa.date32()),  # before year 1
        pa.array([None, 10**15], pa.date64()),
        pa.array([None, 10**13], pa.timestamp("s")),
        pa.array([None, -(10**13)], pa.timestamp("s", tz="UTC")),
    ],
    ids=["date32-after-9999", "date32-before-1", "date64-after-9999", "timestamp-s", "timestamp-s-tz"],
)
def test_an_evidence_date_outside_the_years_1_to_9999_is_refused_by_row(dates: pa.Array) -> None:
    """A do-not-call request dated in year 10026 (a typo'd year in a Parquet file) was read as a
    request not yet made, so the call was allowed; no ``Call`` can hold that date, and the
    command line refuses it. ``scrub`` refuses it naming the column and the row."""
    table = _table(to=[FREE, LISTED], dnc_requested_on=dates)
    error = _refused(table, "dnc_requested_on", 2)
    assert "out of range" in str(error)


@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
def test_an_evidence_timestamp_with_a_fraction_of_a_second_is_its_date(unit: str) -> None:
    """A last purchase stored as a timestamp with milliseconds (what a database exports) stopped
    scrub with Arrow's "would lose data"; it stands for its date, as ``check`` reads it."""
    purchase = dt.datetime(2025, 12, 1, 23, 59, 59, 500_000)
    before_1970 = dt.datetime(1969, 12, 31, 23, 59, 59, 500_000)  # its date is 1969-12-31
    table = _table(
        to=[LISTED, LISTED],
        last_purchase=pa.array([purchase, before_1970], pa.timestamp(unit)),
        dnc_requested_on=pa.array([None, before_1970], pa.timestamp(unit)),
    )
    out = GUARD.scrub(table)
    assert out.column("allowed").to_pylist() == [True, False]
    for i, row in enumerate(table.to_pylist()):
        assert GUARD.check(row).allowed == out.column("allowed")[i].as_py()


@pytest.mark.parametrize(
    "text",
    [
        "2025-12-01garbage",
        "2025-12-01 junk",
        "2025-12-01T",
        "2025-12-01Z",
        "2025-12-01T25:00:00",
        "2025-12-011",
        "20251201",  # a date Arrow cannot parse that Python's date.fromisoformat reads
    ],
)
def test_evidence_text_that_is_not_a_date_is_refused_by_row(text: str) -> None:
    """Only the first ten characters of a date text were read, so ``"2025-12-01 junk"`` as a last
    purchase exempted a listed number (``check`` refuses the same value), and some texts stopped
    scrub with a bare ``ArrowInvalid``; both are refused naming the column and the row."""
    table = _table(to=[FREE, LISTED], last_purchase=[None, text])
    with pytest.raises(InvalidCallError):
        GUARD.check(table.to_pylist()[1])
    _refused(table, "last_purchase", 2)


@pytest.mark.parametrize(
    ("text", "listed_allowed"),
    [
        ("2025-12-01", True),
        (" 2025-12-01 ", True),
        ("2025-12-01T23:30:00-05:00", True),
        ("2025-12-01 23:30", True),
        ("2025-12-01T23:30:00.123456Z", True),
        ("2023-12-01T10:00:00+05:30", False),  # a purchase too old to exempt
        ("", False),  # blank text is no date
    ],
)
def test_evidence_text_check_reads_is_read_as_check_reads_it(text: str, listed_allowed: bool) -> None:
    """Blank text is no date and outer spaces are trimmed (where ``Call`` refuses them)."""
    table = _table(to=[LISTED], last_purchase=[text])
    assert _allowed(table) == [listed_allowed]
    call = {"to": LISTED, "at": AT, "seller": "acme", "last_purchase": text.strip() or None}
    assert GUARD.check(call).allowed is listed_allowed


def test_an_evidence_timestamp_in_a_zone_dncguard_does_not_know_is_refused_by_name() -> None:
    table = _table(dnc_requested_on=pa.array([0], pa.timestamp("s", tz="Mars/Olympus")))
    error = _refused(table, "dnc_requested_on", None)
    assert "Mars/Olympus" in str(error)
