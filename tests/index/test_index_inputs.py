"""What the index is given through the Python API (chunks, query arguments) cannot make it answer
"not listed", "covered" or "fresh" where it should not: a bad input is a named error."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from dncguard.errors import ArgumentError, ArgumentTypeError, CoverageError
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

D1 = dt.date(2026, 3, 10)
LATER = dt.date.today() + dt.timedelta(days=3)  # after today in every zone
US = LayerKey.national("US")
ACME = LayerKey.internal("acme")


def one(*numbers: int) -> np.ndarray:
    return np.array(numbers, np.uint64)


@pytest.mark.parametrize(
    "chunk",
    [
        Chunk(US, Op.REPLACE, one(2125550143), coverage={212: LATER}),
        Chunk(US, Op.REPLACE, one(2125550143), coverage={212: D1}, obtained=LATER),
        Chunk(LayerKey.state("US-TX"), Op.REPLACE, one(2145550100), obtained=LATER),
        Chunk(ACME, Op.REPLACE, one(2125550143, 2125550144), dates=np.array(["NaT", LATER], "datetime64[D]")),
    ],
    ids=["coverage", "obtained", "state", "request-date"],
)
def test_a_chunk_dated_in_the_future_is_refused(chunk: Chunk) -> None:
    # an area code "obtained" in years to come would be fresh until then; a request dated then
    # would block no call until then (docs/defaults.md#nothing-is-dated-in-the-future)
    with pytest.raises(ArgumentError, match="in the future"):
        Registry.build([[chunk]])


def test_a_change_list_dated_in_the_future_is_refused_by_update() -> None:
    registry = Registry.build([[Chunk(US, Op.REPLACE, one(2125550143), coverage={212: D1})]])
    with pytest.raises(ArgumentError, match=r"area code 212 obtained .* in the future"):
        registry.update([[Chunk(US, Op.DELETE, one(2125550143), coverage={212: LATER})]])
    assert registry.lookup(2125550143)


@pytest.mark.parametrize("layer_index", [-1, -2, 2, 64])
def test_request_dates_of_a_layer_that_is_not_there_is_an_error(layer_index: int) -> None:
    registry = Registry.build(
        [
            [Chunk(US, Op.REPLACE, one(2125550143), coverage={212: D1})],
            [Chunk(ACME, Op.REPLACE, one(2125550143), dates=np.array(["2026-01-05"], "datetime64[D]"))],
        ]
    )
    with pytest.raises(IndexError, match=f"layer {layer_index}: the registry has 2 layers"):
        registry.request_dates(one(2125550143), layer_index)
    assert registry.request_dates(one(2125550143), 1).astype(str).tolist() == ["2026-01-05"]


@pytest.mark.parametrize(
    "numbers",
    [
        np.array([np.nan]),
        np.array([2125550143.0, np.inf]),
        np.array([2125550143.5]),
        np.array([-7874417153], np.int64),  # wraps to a huge number: "not listed"
        np.array([2125550143, -1]),
    ],
    ids=["nan", "inf", "fraction", "negative", "negative-after-listed"],
)
def test_membership_of_what_is_not_a_number_is_an_error(numbers: np.ndarray) -> None:
    registry = Registry.build([[Chunk(US, Op.REPLACE, one(2125550143), coverage={212: D1})]])
    with pytest.raises(ArgumentError, match="numbers"):
        registry.membership(numbers)


def test_membership_of_whole_numbers_in_other_types_answers() -> None:
    registry = Registry.build([[Chunk(US, Op.REPLACE, one(2125550143), coverage={212: D1})]])
    for numbers in (
        np.array([2125550143, 2125550144], np.int64),
        np.array([2125550143.0, 2125550144.0]),
        [2125550143, 2125550144],
    ):
        assert registry.membership(numbers).tolist() == [1, 0]


@pytest.mark.parametrize(
    "chunk",
    [
        Chunk(US, Op.DELETE, one(2125550143), obtained=dt.date(2025, 1, 1)),
        Chunk(US, Op.DELETE, one(2125550143)),
        Chunk(US, Op.ADD, one(3055550100), obtained=D1),
        Chunk(US, Op.REPLACE, one(3055550100)),
    ],
    ids=["old-deletion", "undated-deletion", "addition", "undated-replacement"],
)
def test_national_numbers_without_coverage_are_refused(chunk: Chunk) -> None:
    # A change list of 2025 without coverage deleted a number of data obtained in 2026 (its date
    # could not be compared), and area code 212 stayed dated 2026-03-10: listed, then not listed.
    registry = Registry.build([[Chunk(US, Op.REPLACE, one(2125550143), coverage={212: D1})]])
    with pytest.raises(CoverageError, match="without the area codes they cover"):
        registry.update([[chunk]])
    assert registry.lookup(2125550143)


def test_a_full_download_dated_by_obtained_takes_its_coverage_from_its_numbers() -> None:
    registry = Registry.build([[Chunk(US, Op.REPLACE, one(2125550143, 3055550100), obtained=D1)]])
    assert dict(registry.layers[0].area_codes) == {212: D1, 305: D1}
    assert Registry.build([[Chunk(US, Op.DELETE, one(), obtained=D1)]]).layers[0].count == 0


@pytest.mark.parametrize("day", [dt.datetime(2026, 3, 2, 12), "2026-03-02", 20260302])
def test_a_chunk_date_that_is_not_a_date_is_a_named_type_error(day: object) -> None:
    """A datetime (or a text, a number) in a chunk's coverage or obtained date was compared with
    today's date by a bare TypeError naming nothing; it is an ArgumentTypeError naming the list."""
    for chunk in (
        Chunk(US, Op.REPLACE, one(2125550101), {212: day}, obtained=D1),  # type: ignore[dict-item]
        Chunk(US, Op.REPLACE, one(2125550101), {212: D1}, obtained=day),  # type: ignore[arg-type]
    ):
        with pytest.raises(ArgumentTypeError, match=r"us-ftc: .*must be a datetime\.date"):
            Registry.build([[chunk]])
