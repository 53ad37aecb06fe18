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


# --------------------------------------------------------------------------------------------
# at
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Mars/Olympus", "utc", "-05"])
def test_an_at_timestamp_in_a_zone_dncguard_does_not_know_is_refused_by_name(zone: str) -> None:
    """A toll-free call (no zone of its own) is dated in ``at``'s zone: a zone no time zone
    database knows stopped scrub with ``ZoneInfoNotFoundError``. It is refused by name, for
    every table, whichever numbers it holds."""
    times = pa.array([AT, AT], pa.timestamp("us", tz=zone))
    for to in (["800-555-0100", FREE], [FREE, FREE]):
        error = _refused(_table(to=to, at=times), "at", None)
        assert zone in str(error)


@pytest.mark.parametrize("zone", ["+05:30", "-0500", "Z", "UTC", "America/Chicago"])
def test_an_at_timestamp_in_an_offset_or_a_zone_dates_a_toll_free_call(zone: str) -> None:
    times = pa.array([AT], pa.timestamp("us", tz=zone))
    out = GUARD.scrub(_table(to=["800-555-0100"], at=times))
    assert out.num_rows == 1


@pytest.mark.parametrize("unit", ["s", "ms"])
def test_an_at_timestamp_too_large_for_microseconds_is_refused_not_wrapped(unit: str) -> None:
    """A seconds timestamp of year ~586,000 multiplied out to microseconds wrapped around to a
    time in 2026 and was decided as that call; it is out of range, by row."""
    per_us = {"s": 10**6, "ms": 10**3}[unit]
    wrapped = 2**64 + 1_773_684_000_000_000  # 2026-03-16T18:00Z in microseconds, plus 2**64
    wrapped += (-wrapped) % per_us  # a whole number of the unit
    first = int(AT.timestamp()) * (10**6 // per_us)
    times = pa.array([first, wrapped // per_us], pa.timestamp(unit, tz="UTC"))
    error = _refused(_table(at=times), "at", 2)
    assert "out of range" in str(error)


# --------------------------------------------------------------------------------------------
# attempts
# --------------------------------------------------------------------------------------------

_ATTEMPTS = pa.list_(pa.timestamp("us", tz="UTC"))
_EARLIER = [AT - dt.timedelta(hours=h) for h in (1, 2, 3)]


def test_an_attempt_without_a_time_is_refused_naming_its_row() -> None:
    table = _table(
        to=[FLORIDA] * 3, attempts=pa.array([[], None, [_EARLIER[0], None, _EARLIER[1]]], _ATTEMPTS)
    )
    _refused(table, "attempts", 3)


def test_attempts_given_as_a_default_count_toward_the_caps() -> None:
    """``scrub(table, attempts=[...])`` was accepted and ignored, so a fourth sales call into
    Florida within 24 hours was allowed; a default fills a missing column (and null cells) as
    for every other field."""
    call = {"to": FLORIDA, "at": AT, "seller": "acme"}
    assert not GUARD.check({**call, "attempts": _EARLIER}).allowed
    assert _allowed(_table(to=[FLORIDA]), attempts=_EARLIER) == [False]
    texts = [a.isoformat() for a in _EARLIER]
    assert _allowed(_table(to=[FLORIDA]), attempts=texts) == [False]
    column = pa.array([None, [], _EARLIER[:1]], _ATTEMPTS)
    assert _allowed(_table(to=[FLORIDA] * 3, attempts=column), attempts=_EARLIER) == [False, True, True]


@pytest.mark.parametrize("bad", [[dt.datetime(2026, 3, 16, 17)], ["yesterday"], 5])
def test_a_bad_attempts_default_is_refused_by_name(bad: Any) -> None:
    with pytest.raises(ValueError, match="attempts"):
        GUARD.scrub(_table(to=[FLORIDA]), attempts=bad)


# --------------------------------------------------------------------------------------------
# to
# --------------------------------------------------------------------------------------------


def test_an_integer_to_default_is_the_number_it_spells() -> None:
    """``Call`` reads an integer ``to`` as its digits; ``scrub(to=2125550199)`` raised Arrow's
    ``ArrowTypeError``."""
    table = pa.table({"at": [AT], "seller": ["acme"]})
    assert _allowed(table, to=2125550199) == [False]
    assert _allowed(table, to=2125550100) == [True]
    with pytest.raises(ValueError, match=r"to=2125550199\.0"):
        GUARD.scrub(table, to=2125550199.0)


# --------------------------------------------------------------------------------------------
# Column names
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("dnc_requested_on_date", "dnc_requested_on"),
        ("consent_on_date", "consent_on"),
        ("contract_on_day", "contract_on"),
        ("reassigned_on_date", "reassigned_on"),
        ("consent_revoked_on_date", "consent_revoked_on"),
    ],
)
def test_a_field_with_a_date_word_added_is_a_near_miss(name: str, field: str) -> None:
    """docs/calls.md: a name that is the field with a date word added at its end is close to it.
    ``dnc_requested_on_date`` passed through as another column, and the requests it held were
    never seen: the calls were allowed."""
    table = _table(to=[LISTED], **{name: [dt.date(2026, 1, 5)]})
    error = _refused(table, name, None)
    assert f"did you mean {field!r}" in str(error)


@pytest.mark.parametrize(
    "name",
    [
        "d\u200bn\u200bc\u200b_requested_on",  # zero-width spaces
        "dnc_requ\u00adest\u00aded_o\u00adn",  # soft hyphens
        "dnc_requ\u0435st\u0435d_\u043en",  # three Cyrillic lookalikes
        "\u0441\u043ensent_kind",  # Cyrillic es and o
        "s\u0435ll\u0435r",  # Cyrillic ie twice in a short name
    ],
)
def test_invisible_and_lookalike_letters_do_not_hide_a_call_field(name: str) -> None:
    table = _table(**{name: ["x"]})
    error = _refused(table, name, None)
    assert "did you mean" in str(error)
