"""``Guard.scrub`` against the Arrow a real user's frame may carry: every column's odd types and
values either read as ``Guard.check`` reads the same call, or are refused by a
``CallColumnError`` naming the column and the row (counted from 1); never a traceback, never an
answer from a misread value.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bulk import GUARDS, table_of

from dncguard import Call, CallColumnError, Guard, InvalidCallError, bulk
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry
from strategies import CALL_LISTS

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


def test_a_rows_decision_names_an_invalid_number_given_as_the_to_default() -> None:
    """``Decided.decision(row)`` of an invalid number read the ``to`` column, and a table whose
    numbers came from ``to=`` has none: ``KeyError``."""
    table = pa.table({"at": [AT], "seller": ["acme"]})
    (decided,) = bulk.decide_batches(GUARD, [table], to="876-555-0100")
    want = GUARD.check({"to": "876-555-0100", "at": AT, "seller": "acme"})
    assert decided.decision(0) == want
    assert not want.allowed
    assert "876-555-0100" in want.reasons[0].message


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


# --------------------------------------------------------------------------------------------
# Tables of no rows
# --------------------------------------------------------------------------------------------


def test_a_table_or_batch_of_no_rows_with_any_call_column_is_decided() -> None:
    """A frame filtered down to no rows (a Polars filter, a DuckDB query with no match, an empty
    batch in a stream) with a ``consent_kind`` column stopped scrub with ``IndexError``."""
    full = _table(
        to=[LISTED, FREE],
        consent_kind=[None, "written"],
        consent_on=[None, dt.date(2026, 1, 5)],
        purpose=["sale", "survey"],
        callee_region=["US-NY", None],
        attempts=pa.array([[], None], pa.list_(pa.timestamp("us", tz="UTC"))),
    )
    empty = full.slice(0, 0)
    out = GUARD.scrub(empty)
    assert out.num_rows == 0
    assert out.column_names[-4:] == ["allowed", "reason", "reasons", "next_allowed_at"]
    stream = [full.slice(0, 1), empty, full.slice(1)]
    outs = list(GUARD.scrub_batches(stream))
    assert [b.num_rows for b in outs] == [1, 0, 1]
    assert [v for b in outs for v in b.column("allowed").to_pylist()] == [False, True]


# --------------------------------------------------------------------------------------------
# The invariant over every Arrow spelling of a table: scrub's decision for each row is check's
# --------------------------------------------------------------------------------------------

_DEFAULTABLE = (
    "caller",
    "purpose",
    "line",
    "prerecorded",
    "callee_region",
    "callee_timezone",
    "reassigned_on",
    "channel",
    "automated",
    "attempts",
    "last_purchase",
    "dnc_requested_on",
)
_TEXT_KINDS = ("string", "large_string", "string_view", "dictionary", "view_dictionary")
_DATE_KINDS = ("date32", "date64", "naive", "aware", "text", "text_time", "dictionary")
_UNITS = ("s", "ms", "us", "ns")
_ZONES: dict[str, dt.tzinfo] = {
    "UTC": UTC,
    "America/New_York": zoneinfo.ZoneInfo("America/New_York"),
    "Pacific/Kiritimati": zoneinfo.ZoneInfo("Pacific/Kiritimati"),
    "+05:30": dt.timezone(dt.timedelta(hours=5, minutes=30)),
    "-0300": dt.timezone(dt.timedelta(hours=-3)),
}


def _text(values: list[Any], kind: str) -> pa.Array:
    """Text as a frame may hold it: plain, large, views (Polars), dictionary-encoded (a
    categorical), a dictionary of views (a Polars categorical)."""
    plain = pa.array(values, pa.string())
    if kind == "large_string":
        return plain.cast(pa.large_string())
    if kind == "string_view":
        return plain.cast(pa.string_view())
    if kind == "dictionary":
        return plain.dictionary_encode()
    if kind == "view_dictionary":
        enc = plain.dictionary_encode()
        return pa.DictionaryArray.from_arrays(enc.indices, enc.dictionary.cast(pa.string_view()))
    return plain


def _dates_as(days: list[dt.date | None], kind: str, unit: str, zone: str, rnd: Any) -> pa.Array:
    """Dates as a frame may hold them, each meaning the same date as ``Call`` reads it: date32,
    date64, a timestamp at some time of that day (naive, or in ``zone``), ISO text of the date
    or of a time on it (in some offset), a dictionary of dates."""

    def moment(d: dt.date) -> dt.datetime:
        t = dt.datetime.combine(d, dt.time()) + dt.timedelta(seconds=rnd.randrange(86_400))
        return t if unit == "s" else t + dt.timedelta(microseconds=rnd.randrange(1_000) * 1_000)

    if kind == "date64":
        return pa.array(days, pa.date64())
    if kind == "naive":
        return pa.array([None if d is None else moment(d) for d in days], pa.timestamp(unit))
    if kind == "aware":
        local = [None if d is None else moment(d).replace(tzinfo=_ZONES[zone]) for d in days]
        return pa.array(local, pa.timestamp(unit, tz=zone))
    if kind == "text":
        return pa.array([None if d is None else d.isoformat() for d in days], pa.string())
    if kind == "text_time":
        offsets = ("Z", "+05:30", "-04:00", "", "+0200")
        return pa.array(
            [
                None
                if d is None
                else moment(d).isoformat(sep=rnd.choice("T "), timespec="seconds") + rnd.choice(offsets)
                for d in days
            ],
            pa.string(),
        )
    if kind == "dictionary":
        return pa.array(days, pa.date32()).dictionary_encode()
    return pa.array(days, pa.date32())


def _chunked(values: pa.Array, rnd: Any) -> pa.ChunkedArray:
    """``values`` in chunks of a random layout, empty chunks among them."""
    cuts = sorted(rnd.randrange(len(values) + 1) for _ in range(rnd.randrange(3)))
    bounds = [0, *cuts, len(values)]
    pieces = [values.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
    if rnd.random() < 0.5:
        pieces.insert(rnd.randrange(len(pieces) + 1), values.slice(0, 0))
    return pa.chunked_array(pieces, type=values.type)


def _respelt(seller: str, rnd: Any) -> str:
    return rnd.choice((seller, seller.upper(), f" {seller.title()} ", f"{seller}\u00a0", seller))


class _CStream:
    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.table.__arrow_c_stream__(requested_schema)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    CALL_LISTS,
    st.sampled_from(sorted(GUARDS)),
    st.randoms(use_true_random=False),
    st.fixed_dictionaries(
        {
            "text": st.sampled_from(_TEXT_KINDS),
            "to": st.sampled_from((*_TEXT_KINDS, "int64")),
            "at": st.sampled_from(("text", *_UNITS)),
            "at_zone": st.sampled_from(sorted(_ZONES)),
            "dates": st.sampled_from(_DATE_KINDS),
            "date_unit": st.sampled_from(_UNITS),
            "date_zone": st.sampled_from(sorted(_ZONES)),
            "attempts": st.sampled_from(("list", "large_list")),
            "attempts_unit": st.sampled_from(_UNITS),
            "prefix": st.integers(0, 3),
            "input": st.sampled_from(("table", "batch", "reader", "c_stream", "batches")),
            "defaults": st.sets(st.sampled_from(_DEFAULTABLE)),
        }
    ),
)
def test_scrub_agrees_with_check_whatever_arrow_types_hold_the_calls(
    calls: list[Call], guard_name: str, rnd: Any, how: dict[str, Any]
) -> None:
    """The same calls in any Arrow spelling a user's frame may carry (text as large strings,
    views or dictionaries; ``to`` as integers; ``at`` as text or timestamps of any unit and zone;
    dates as date32, date64, timestamps of any unit, naive or in a zone, ISO text of a date or a
    time; sellers spelt ``" Acme "`` and ``"ACME"``; columns chunked unevenly with empty
    chunks; a slice of a larger table; a batch, a reader or a C stream; a column's values left to
    a keyword default, as null cells or no column at all): every row's decision equals
    ``check``'s of the row's call, in every field."""
    guard = GUARDS[guard_name]
    prefix = calls[: how["prefix"]]
    all_calls = [*prefix, *calls]  # a slice of a larger table
    zone = _ZONES[how["at_zone"]]
    sellers = [_respelt(c.seller, rnd) for c in all_calls]
    regions = [
        None if c.callee_region is None else rnd.choice((c.callee_region, c.callee_region.lower()))
        for c in all_calls
    ]
    row_calls = [
        Call.model_validate(
            {
                **c.model_dump(),
                "seller": s,
                "callee_region": r,
                "at": c.at if how["at"] == "text" else c.at.astimezone(zone),
            }
        )
        for c, s, r in zip(all_calls, sellers, regions, strict=True)
    ]
    flat = table_of(all_calls)
    columns: dict[str, pa.Array] = {}
    defaults: dict[str, Any] = {}
    for name in flat.column_names:
        py = flat.column(name).to_pylist()
        kind = flat.schema.field(name).type
        if name in how["defaults"] and None not in py and (py[0] or name != "attempts"):
            # The column's most common spelling left to a default: null cells, or no column.
            defaults[name] = first = py[0]
            if all(v == first for v in py) and rnd.random() < 0.5:
                continue
            py = [None if v == first else v for v in py]
        values: pa.Array
        if name == "to":
            digits = all(c.to.isdigit() for c in all_calls)
            if how["to"] == "int64" and digits:
                values = pa.array([int(c.to) for c in all_calls], pa.int64())
            else:
                values = _text(py, "string" if how["to"] == "int64" else how["to"])
        elif name == "at":
            if how["at"] == "text":
                values = pa.array([c.at.isoformat() for c in all_calls], pa.string())
            else:
                values = pa.array([c.at for c in all_calls], pa.timestamp(how["at"], tz=how["at_zone"]))
        elif name == "seller":
            values = _text(sellers, how["text"])
        elif name == "callee_region":
            values = _text([None if v is None else r for v, r in zip(py, regions, strict=True)], how["text"])
        elif pa.types.is_string(kind):
            values = _text(py, how["text"])
        elif pa.types.is_date(kind):
            values = _dates_as(py, how["dates"], how["date_unit"], how["date_zone"], rnd)
        elif name == "attempts":
            unit = how["attempts_unit"]
            element = pa.timestamp(unit, tz=how["date_zone"])
            kind = pa.list_(element) if how["attempts"] == "list" else pa.large_list(element)
            values = pa.array(py, kind)
        else:
            values = pa.array(py, kind)
        columns[name] = _chunked(values, rnd)
    table = pa.table(columns).slice(len(prefix))
    data: Any = {
        "table": [table],
        "batch": [table.combine_chunks().to_batches()[0]] if table.num_rows else [table],
        "reader": table.to_reader(),
        "c_stream": _CStream(table),
        "batches": table.to_batches(),
    }[how["input"]]
    decided = list(bulk.decide_batches(guard, data, provenance=True, **defaults))
    rows = [(d, i) for d in decided for i in range(d.output.num_rows)]
    assert len(rows) == len(calls)
    for call, (d, i) in zip(row_calls[len(prefix) :], rows, strict=True):
        want = guard.check(call)
        assert d.decision(i) == want, f"{call!r}\nscrub: {d.decision(i)!r}\ncheck: {want!r}"
