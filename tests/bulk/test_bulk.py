"""Bulk scrubbing: ``Guard.scrub`` gives, row for row, the answer ``Guard.check`` gives.

The property test draws random calls over every field and jurisdiction (US states, Canada with
Newfoundland's half-hour zone, territories, toll-free numbers with and without a callee region,
invalid numbers) at times and dates around every boundary the rules have (calling hours, DST
changes, relationship windows, registry age), builds one table from them, and holds ``scrub``'s
``allowed``, ``reason``, ``reasons`` and ``next_allowed_at`` equal to ``check`` of each call.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Any, get_args

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dncguard import Call, Consent, Relationship, StaleRegistryError, bulk, facts
from dncguard.bulk import factorize, local_clock
from dncguard.guard import Guard
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.models import Caller, Channel, Line, Purpose
from dncguard.registry import Registry
from profiles import THOROUGH, invariant
from strategies import (
    CA_NPAS,
    CALL_LISTS,
    CALLED_TOLL_FREE,
    REGIONS,
    US_NPAS,
    number_text,
)

UTC = dt.UTC
OBTAINED = dt.date(2026, 3, 2)  # the national copies' date for most area codes (a Monday)
OLDER = dt.date(2026, 2, 1)  # an area code whose copy goes stale earlier


def table_of(calls: Sequence[Call], *, at_as_text: bool = False) -> pa.Table:
    """The flat table (API.md section 5) holding exactly ``calls``."""

    def rel(c: Call, kind: str) -> Relationship | None:
        return next((r for r in c.relationships if r.kind == kind), None)

    def consent(c: Call) -> Consent | None:
        return c.consents[0] if c.consents else None

    purchase = [rel(c, "purchase") for c in calls]
    inquiry = [rel(c, "inquiry") for c in calls]
    contract = [rel(c, "contract") for c in calls]
    donation = [rel(c, "donation") for c in calls]
    membership = [rel(c, "membership") for c in calls]
    consents = [consent(c) for c in calls]
    at: pa.Array
    if at_as_text:
        at = pa.array([c.at.isoformat() for c in calls], pa.string())
    else:
        at = pa.array([c.at for c in calls], pa.timestamp("us", tz="UTC"))
    return pa.table(
        {
            "to": pa.array([c.to for c in calls], pa.string()),
            "at": at,
            "seller": [c.seller for c in calls],
            "caller": [c.caller for c in calls],
            "purpose": [c.purpose for c in calls],
            "line": [c.line for c in calls],
            "prerecorded": [c.prerecorded for c in calls],
            "callee_region": pa.array([c.callee_region for c in calls], pa.string()),
            "callee_timezone": pa.array([c.callee_timezone for c in calls], pa.string()),
            "reassigned_on": pa.array([c.reassigned_on for c in calls], pa.date32()),
            "last_purchase": pa.array([r.on if r else None for r in purchase], pa.date32()),
            "last_inquiry": pa.array([r.on if r else None for r in inquiry], pa.date32()),
            "contract_on": pa.array([r.on if r else None for r in contract], pa.date32()),
            "contract_ends": pa.array([r.ends if r else None for r in contract], pa.date32()),
            "consent_kind": pa.array([k.kind if k else None for k in consents], pa.string()),
            "consent_on": pa.array([k.on if k else None for k in consents], pa.date32()),
            "consent_revoked_on": pa.array([k.revoked_on if k else None for k in consents], pa.date32()),
            "dnc_requested_on": pa.array(
                [c.dnc_requests[0].on if c.dnc_requests else None for c in calls], pa.date32()
            ),
            "last_donation": pa.array([r.on if r else None for r in donation], pa.date32()),
            "membership_on": pa.array([r.on if r else None for r in membership], pa.date32()),
            "membership_ends": pa.array([r.ends if r else None for r in membership], pa.date32()),
            "channel": [c.channel for c in calls],
            "automated": [c.automated for c in calls],
            "attempts": pa.array(
                [[a.astimezone(UTC) for a in c.attempts] for c in calls],
                pa.list_(pa.timestamp("us", tz="UTC")),
            ),
        }
    )


def assert_agrees(guard: Any, calls: Sequence[Call], out: pa.Table, *, as_utc: bool = True) -> None:
    """Row for row: ``scrub``'s decision columns equal ``check`` of each call.

    ``as_utc``: the table held ``at`` as a UTC timestamp, so the row's call is the call with its
    time in UTC (the offset decides the date of a call with no candidate zone).
    """
    allowed = out.column("allowed").to_pylist()
    reason = out.column("reason").to_pylist()
    reasons = out.column("reasons").to_pylist()
    nxt = out.column("next_allowed_at").to_pylist()
    for i, call in enumerate(calls):
        row_call = call.model_copy(update={"at": call.at.astimezone(UTC)}) if as_utc else call
        d = guard.check(row_call)
        codes = [r.code.value for r in d.reasons]
        got = (allowed[i], reason[i], reasons[i], nxt[i])
        want = (d.allowed, codes[0] if codes else None, codes, d.next_allowed_at)
        assert got == want, f"row {i}: {call!r}\nscrub: {got}\ncheck: {want}"


@pytest.mark.parametrize(
    ("to", "channel", "purpose", "opens"),
    [
        # A prerecorded call to a line of unknown type needs prior express consent whatever its
        # purpose; political calls keep no US calling hours: it opens once the consent's day has
        # begun in every one of 907's zones (at midnight in Adak, the earliest of them; at 09:00
        # UTC it has begun only in Anchorage).
        ("9075550100", "voice", "political", dt.datetime(2026, 2, 22, 10, 0, tzinfo=UTC)),
        # 212-555-0100 is on acme's internal list undated: that request predates every consent,
        # so no minute in the search window passes and no time can be named.
        ("2125550100", "voice", "political", None),
        # A commercial text into Canada needs express consent (CASL); texts keep no calling
        # hours there: it opens at the consent day's first minute in Toronto.
        ("6475550177", "text", "sale", dt.datetime(2026, 2, 22, 5, 0, tzinfo=UTC)),
    ],
)
def test_next_allowed_for_a_consent_dated_later(
    to: str, channel: str, purpose: str, opens: dt.datetime | None
) -> None:
    """A call that only a consent given two days later lets through: ``next_allowed_at`` is that
    day's first allowed minute (the call passes then, not a minute before), from both front ends."""
    guard = GUARDS["countries"]
    at = dt.datetime(2026, 2, 20, 6, 59, tzinfo=UTC)
    consent = (Consent(kind="recorded_verbal", on=dt.date(2026, 2, 22)),)
    call = Call(
        to=to,
        at=at,
        seller="acme",
        purpose=purpose,
        channel=channel,
        prerecorded=channel == "voice",
        consents=consent,
    )
    d = guard.check(call)
    assert not d.allowed
    assert d.next_allowed_at == opens
    if opens is not None:
        assert guard.check(call.model_copy(update={"at": opens})).allowed
        assert not guard.check(call.model_copy(update={"at": opens - dt.timedelta(minutes=1)})).allowed
    assert guard.scrub(table_of([call])).column("next_allowed_at").to_pylist() == [opens]


def assert_provenance_agrees(guard: Any, calls: Sequence[Call], out: pa.Table) -> None:
    """Row for row: ``scrub(..., provenance=True)``'s ``registry_id`` and ``consulted`` equal
    ``check``'s fields of those names (``consulted`` as a list of dicts)."""
    registry_id = out.column("registry_id").to_pylist()
    consulted = out.column("consulted").to_pylist()
    for i, call in enumerate(calls):
        d = guard.check(call)
        want = (d.registry_id, [c.model_dump() for c in d.consulted])
        assert (registry_id[i], consulted[i]) == want, f"row {i}: {call!r}"


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


@given(
    st.lists(
        st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2032, 12, 31), timezones=st.just(UTC)),
        min_size=1,
        max_size=50,
    ),
    st.sampled_from(
        (
            "America/New_York",
            "America/St_Johns",
            "America/Phoenix",
            "Pacific/Guam",
            "America/Halifax",
            "America/Anchorage",
            "Pacific/Honolulu",
            "America/Indiana/Knox",
        )
    ),
)
def test_local_clock_matches_zoneinfo(times: list[dt.datetime], zone: str) -> None:
    minutes = np.array([int(t.timestamp()) // 60 for t in times], np.int64)
    day, minute = local_clock(minutes, zone)
    zi = zoneinfo.ZoneInfo(zone)
    for t, d, m in zip(times, day.tolist(), minute.tolist(), strict=True):
        local = t.astimezone(zi)
        assert (
            local.date().toordinal() - dt.date(1970, 1, 1).toordinal(),
            local.hour * 60 + local.minute,
        ) == (d, m)


def test_local_clock_at_the_dst_change_of_newfoundland() -> None:
    # 2026-03-08 02:00 NST (05:30 UTC) becomes 03:00 NDT: the change is on a half hour in UTC.
    t = int(dt.datetime(2026, 3, 8, 5, 29, tzinfo=UTC).timestamp())
    _, minute = local_clock(np.array([t // 60, t // 60 + 1]), "America/St_Johns")
    assert minute.tolist() == [1 * 60 + 59, 3 * 60]


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2_000_000)), min_size=1, max_size=60))
def test_factorize_groups_equal_rows(rows: list[tuple[int, int]]) -> None:
    a = np.array([r[0] for r in rows])
    b = np.array([r[1] for r in rows])
    inverse, first = factorize([a, b])
    assert len(set(rows)) == len(first)
    for i, r in enumerate(rows):
        assert rows[first[inverse[i]]] == r
    assert first.tolist() == [rows.index(rows[f]) for f in first.tolist()]  # each group's first row


def test_factorize_keys_beyond_int64_radix() -> None:
    big = np.array([2**40, 5, 2**40, 5], np.int64)
    inverse, first = factorize([big, big, big])
    assert inverse.tolist() == [0, 1, 0, 1]
    assert first.tolist() == [0, 1]


# --------------------------------------------------------------------------------------------
# A small synthetic registry with every kind of layer
# --------------------------------------------------------------------------------------------


def _numbers(npas: Sequence[int], lines: range) -> np.ndarray:
    return np.array([npa * 10**7 + 5_550_000 + line for npa in npas for line in lines], np.uint64)


def _registry() -> Registry:
    """US and Canadian national lists (one US area code older, one of each country not covered),
    Texas and Florida lists, and acme's internal list with dated and undated entries."""
    us = {npa: (OLDER if npa == 305 else OBTAINED) for npa in (*US_NPAS, *CALLED_TOLL_FREE) if npa != 401}
    ca = {npa: OBTAINED for npa in CA_NPAS if npa != 867}
    internal = _numbers((*US_NPAS[:6], *CA_NPAS[:3], 800), range(100, 106))
    dates = np.array(
        [np.datetime64("2026-03-05") if i % 3 else np.datetime64("NaT") for i in range(len(internal))],
        "datetime64[D]",
    )
    return Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    _numbers(list(us), range(100, 120)),
                    us,
                    obtained=OBTAINED,
                )
            ],
            [
                Chunk(
                    LayerKey.national("CA"),
                    Op.REPLACE,
                    _numbers(list(ca), range(105, 125)),
                    ca,
                    obtained=OBTAINED,
                )
            ],
            [
                Chunk(
                    LayerKey.state("US-TX"),
                    Op.REPLACE,
                    _numbers((512, 713, 212, 305), range(110, 130)),
                    obtained=dt.date(2026, 3, 1),
                )
            ],
            [
                Chunk(
                    LayerKey.state("US-FL"),
                    Op.REPLACE,
                    _numbers((305, 850, 416), range(100, 112)),
                    obtained=dt.date(2026, 3, 20),
                )
            ],
            [Chunk(LayerKey.internal("acme"), Op.REPLACE, internal, dates=dates)],
        ]
    )


REGISTRY = _registry()
GUARD_OPTIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "inclusive": {"ebr_anniversary": "inclusive"},
    "countries": {"jurisdictions": ("US", "CA")},
    "us-only": {"jurisdictions": ("US", "US-TX", "US-FL")},
    "missing-lists-allowed": {"missing_state_lists": "allow"},
}
GUARDS = {name: Guard(REGISTRY, **options) for name, options in GUARD_OPTIONS.items()}


# --------------------------------------------------------------------------------------------
# Agreement: scrub(table) == [check(row) for row in table]
# --------------------------------------------------------------------------------------------


@invariant(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    CALL_LISTS,
    st.sampled_from(sorted(GUARDS)),
    st.booleans(),
    st.sampled_from(("auto", "rows", "tables")),
)
def test_scrub_agrees_with_check(calls: list[Call], guard_name: str, at_as_text: bool, clocks: str) -> None:
    """Every field of every row's decision: allowed, each reason (code, jurisdiction, rule,
    message), each exemption, ``next_allowed_at``, the number and the jurisdictions."""
    guard = GUARDS[guard_name]
    table = table_of(calls, at_as_text=at_as_text)
    # Bulk converts times per row or through per-zone minute tables depending on the batch's
    # size and spread (tables from 4,096 rows); Tuning(clocks=...) takes either path with a
    # small table, and both must give check's answers.
    tuning = bulk.Tuning(clocks=clocks)
    decided = list(bulk.decide_batches(guard, [table], provenance=True, tuning=tuning))
    out = pa.Table.from_batches([d.output for d in decided])
    assert out.column_names == [
        *table.column_names,
        "allowed",
        "reason",
        "reasons",
        "next_allowed_at",
        "registry_id",
        "consulted",
    ]
    assert_agrees(guard, calls, out, as_utc=not at_as_text)
    assert_provenance_agrees(guard, calls, out)
    rows = [(d, i) for d in decided for i in range(d.output.num_rows)]
    for call, (d, i) in zip(calls, rows, strict=True):
        row_call = call if at_as_text else call.model_copy(update={"at": call.at.astimezone(UTC)})
        want = guard.check(row_call)
        got = d.decision(i)
        assert got == want, f"{call!r}\nscrub: {d.decision(i)!r}\ncheck: {want!r}"


def test_scrub_agrees_with_check_on_a_larger_table() -> None:
    """Thousands of rows over a few days: the minute-table path, several batches, two threads."""
    rng = np.random.default_rng(6)
    start = dt.datetime(2026, 3, 7, tzinfo=UTC)
    calls = [
        Call(
            to=number_text(
                int(rng.choice([*US_NPAS, *CA_NPAS, *CALLED_TOLL_FREE])),
                int(rng.integers(95, 135)),
                int(rng.integers(5)),
            ),
            at=start + dt.timedelta(minutes=int(rng.integers(0, 3 * 1440))),
            seller=str(rng.choice(["acme", "other"])),
            purpose=str(rng.choice(["sale", "sale", "donation", "survey"])),
            caller=str(rng.choice(["seller", "charity", "telemarketer"])),
            callee_region=None if rng.random() < 0.8 else str(rng.choice(REGIONS)),
            relationships=(
                Relationship(
                    kind="purchase", on=dt.date(2025, 1, 1) + dt.timedelta(days=int(rng.integers(0, 450)))
                ),
            )
            if rng.random() < 0.3
            else (),
        )
        for _ in range(6000)
    ]
    table = table_of(calls)
    # Batches of about a million rows by default: several at that size would take minutes.
    out = GUARDS["default"].scrub(table, tuning=bulk.Tuning(batch_rows=1500))
    assert out.num_rows == len(calls)
    assert_agrees(GUARDS["default"], calls, out)


def _varied_calls(rng: np.random.Generator, n: int) -> list[Call]:
    """``n`` calls over four days from 2026-03-09 UTC, to US and Canadian area codes, for two
    sellers, three in ten with a callee_region, four in ten with an inquiry."""
    start = dt.datetime(2026, 3, 9, tzinfo=UTC)
    return [
        Call(
            to=number_text(
                int(rng.choice([*US_NPAS, *CA_NPAS])), int(rng.integers(95, 135)), int(rng.integers(5))
            ),
            at=start + dt.timedelta(minutes=int(rng.integers(0, 4 * 1440))),
            seller=str(rng.choice(["acme", "other"])),
            callee_region=None if rng.random() < 0.7 else str(rng.choice(REGIONS)),
            relationships=(
                Relationship(
                    kind="inquiry", on=dt.date(2026, 1, 1) + dt.timedelta(days=int(rng.integers(0, 70)))
                ),
            )
            if rng.random() < 0.4
            else (),
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("cache", [10, 1 << 16])
def test_answers_do_not_depend_on_threads_batches_or_the_group_cache(cache: int) -> None:
    """Verdicts are cached per guard across batches (and cleared when the cache is full); one
    thread or two, a warm or a cleared cache: the same answers as Guard.check."""
    calls = _varied_calls(np.random.default_rng(9), 3000)
    table = table_of(calls)
    guard = GUARDS["default"]
    # The batch size and the verdict cache's bound (a million rows, 32,768 combinations by
    # default) made small enough to cross in a fast test.
    tuning = bulk.Tuning(batch_rows=700, verdict_cache=cache)
    outputs = [bulk.scrub(guard, table, threads=threads, tuning=tuning) for threads in (1, 2, 2, 1)]
    for out in outputs:
        assert out.equals(outputs[0])
    assert_agrees(guard, calls, outputs[0])


def test_tuning_divides_the_work_and_is_checked() -> None:
    """``Tuning(batch_rows=...)`` is the size of the unit of work (one output batch each from
    ``scrub_batches``); the answers are the same; a wrong ``tuning`` is a named error."""
    calls = [Call(to=number_text(212, 100 + i % 30, i % 5), at=AT, seller="acme") for i in range(50)]
    table = table_of(calls)
    guard = GUARDS["default"]
    sizes = [b.num_rows for b in guard.scrub_batches([table], tuning=bulk.Tuning(batch_rows=16))]
    assert sizes == [16, 16, 16, 2]
    small = guard.scrub(table, tuning=bulk.Tuning(batch_rows=16, clocks="tables", verdict_cache=1))
    assert small.equals(guard.scrub(table))
    with pytest.raises(TypeError, match=r"tuning=.*dncguard.bulk.Tuning"):
        guard.scrub(table, tuning={"batch_rows": 16})
    for bad in ({"batch_rows": 0}, {"verdict_cache": True}, {"clocks": "sometimes"}):
        with pytest.raises(ValueError, match=r"Tuning\("):
            bulk.Tuning(**bad)


# --------------------------------------------------------------------------------------------
# Input: types, defaults, errors
# --------------------------------------------------------------------------------------------

AT = dt.datetime(2026, 3, 16, 18, 0, tzinfo=UTC)  # 14:00 in New York, a Monday


def test_a_minimal_table_with_keyword_defaults() -> None:
    table = pa.table({"to": ["(212) 555-0107", "212-555-0180", "876-555-0100"]})
    out = GUARDS["default"].scrub(table, at=AT, seller="acme")
    assert out.column("allowed").to_pylist() == [False, True, False]
    assert out.column("reason").to_pylist() == ["national_registry", None, "invalid_number"]
    assert out.column("reasons").to_pylist() == [["national_registry"], [], ["invalid_number"]]
    assert out.schema.field("next_allowed_at").type == pa.timestamp("us", tz="UTC")


def test_integer_numbers_and_text_times() -> None:
    table = pa.table(
        {"to": pa.array([2125550110, 12125550180], pa.int64()), "at": ["2026-03-16T14:00:00-04:00"] * 2}
    )
    out = GUARDS["default"].scrub(table, seller="acme")
    assert out.column("allowed").to_pylist() == [False, True]


def test_times_in_nanoseconds_and_named_zones() -> None:
    nanos = pa.array([AT], pa.timestamp("us", tz="UTC")).cast(pa.timestamp("ns", tz="America/New_York"))
    nanos = pc.add(nanos.cast(pa.int64()), 123).cast(pa.timestamp("ns", tz="America/New_York"))
    out = GUARDS["default"].scrub(pa.table({"to": ["212-555-0180"], "at": nanos}), seller="acme")
    assert out.column("allowed").to_pylist() == [True]


def test_a_record_batch_in_gives_a_record_batch_out() -> None:
    batch = pa.record_batch(
        {"to": ["212-555-0180"], "at": pa.array([AT], pa.timestamp("us", tz="UTC")), "seller": ["acme"]}
    )
    out = GUARDS["default"].scrub(batch)
    assert isinstance(out, pa.RecordBatch)
    assert out.column("allowed").to_pylist() == [True]


def test_next_allowed_at_when_only_the_clock_blocks() -> None:
    late = dt.datetime(2026, 3, 17, 1, 30, tzinfo=UTC)  # 21:30 in New York
    out = GUARDS["default"].scrub(pa.table({"to": ["212-555-0180"]}), at=late, seller="acme")
    assert out.column("reason").to_pylist() == ["calling_hours"]
    assert out.column("next_allowed_at").to_pylist() == [dt.datetime(2026, 3, 17, 12, 0, tzinfo=UTC)]


def test_rescrubbing_replaces_the_decision_columns() -> None:
    once = GUARDS["default"].scrub(pa.table({"to": ["212-555-0180"]}), at=AT, seller="acme")
    twice = GUARDS["default"].scrub(once, at=AT, seller="acme")
    assert twice.column_names == once.column_names
    assert twice.equals(once)


def test_rescrubbing_without_provenance_drops_the_earlier_provenance() -> None:
    """A table scrubbed with provenance=True and scrubbed again without it: the earlier
    decisions' registry_id and consulted must not stay beside the new decisions (an audit would
    read data the new decision was not made on); with provenance=True they are the new ones."""
    table = pa.table({"to": ["212-555-0180", "305-555-0100"]})
    once = GUARDS["default"].scrub(table, at=AT, seller="acme", provenance=True)
    assert {"registry_id", "consulted"} <= set(once.column_names)
    stale = once.set_column(
        once.column_names.index("registry_id"), "registry_id", pa.array(["dncg:" + "0" * 32] * 2)
    )
    plain = GUARDS["default"].scrub(stale, at=AT, seller="acme")
    assert "registry_id" not in plain.column_names
    assert "consulted" not in plain.column_names
    assert plain.equals(GUARDS["default"].scrub(table, at=AT, seller="acme"))
    again = GUARDS["default"].scrub(stale, at=AT, seller="acme", provenance=True)
    assert again.equals(once)


def test_empty_table() -> None:
    table = pa.table({"to": pa.array([], pa.string()), "at": pa.array([], pa.timestamp("us", tz="UTC"))})
    out = GUARDS["default"].scrub(table, seller="acme")
    assert out.num_rows == 0
    assert out.column_names[-4:] == ["allowed", "reason", "reasons", "next_allowed_at"]


@pytest.mark.parametrize(
    ("columns", "defaults", "message"),
    [
        ({"to": ["212-555-0180"]}, {"at": AT}, "'seller'"),
        ({"to": ["212-555-0180"]}, {"seller": "acme"}, "'at'"),
        (
            {
                "to": ["212-555-0180", "212-555-0181"],
                "at": pa.array([AT.replace(tzinfo=None)] * 2, pa.timestamp("us")),
            },
            {"seller": "acme"},
            "column 'at', row 1",
        ),
        (
            {"to": ["212-555-0180"] * 3, "at": ["2026-03-16T14:00:00-04:00", "2026-03-16T14:00:00", "x"]},
            {"seller": "acme"},
            "column 'at', row 2",
        ),
        (
            {"to": ["212-555-0180"] * 3, "purpose": ["sale", "sale", "robbery"]},
            {"at": AT, "seller": "acme"},
            "column 'purpose', row 3",
        ),
        (
            {"to": ["212-555-0180"] * 2, "caller": ["seller", "bot"]},
            {"at": AT, "seller": "acme"},
            "column 'caller', row 2",
        ),
        ({"to": ["212-555-0180"] * 2, "seller": ["acme", None]}, {"at": AT}, "column 'seller', row 2"),
        ({"to": ["212-555-0180"] * 2, "seller": ["acme", "  "]}, {"at": AT}, "column 'seller', row 2"),
        ({"to": ["212-555-0180", None]}, {"at": AT, "seller": "acme"}, "column 'to', row 2"),
        (
            {"to": ["212-555-0180"] * 2, "callee_timezone": [None, "Mars/Olympus"]},
            {"at": AT, "seller": "acme"},
            "column 'callee_timezone', row 2",
        ),
        (
            {"to": ["212-555-0180"] * 2, "callee_region": ["US-GA", "GA"]},
            {"at": AT, "seller": "acme"},
            "column 'callee_region', row 2",
        ),
        (
            {"to": ["212-555-0180"] * 2, "consent_kind": [None, "written"]},
            {"at": AT, "seller": "acme"},
            "column 'consent_on', row 2",
        ),
        (
            {"to": ["212-555-0180"] * 2, "last_purchase": ["2025-01-01", "soon"]},
            {"at": AT, "seller": "acme"},
            "column 'last_purchase', row 2",
        ),
        ({"to": ["212-555-0180"]}, {"at": AT, "seller": "acme", "purpose": "robbery"}, "purpose='robbery'"),
    ],
)
def test_bad_input_names_the_column_and_the_first_bad_row(
    columns: dict[str, Any], defaults: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        GUARDS["default"].scrub(pa.table(columns), **defaults)


def test_an_unknown_default_is_refused() -> None:
    with pytest.raises(TypeError, match="colour"):
        GUARDS["default"].scrub(pa.table({"to": ["212-555-0180"]}), at=AT, seller="acme", colour="red")


def test_on_stale_raise() -> None:
    guard = Guard(REGISTRY, on_stale="raise")
    late = dt.datetime(2026, 4, 20, 16, 0, tzinfo=UTC)
    with pytest.raises(StaleRegistryError, match="row 2"):
        guard.scrub(
            pa.table({"to": ["212-555-0180", "212-555-0107"], "purpose": ["survey", "sale"]}),
            at=late,
            seller="acme",
        )


def test_evidence_columns_exempt_a_listed_number() -> None:
    table = pa.table(
        {
            "to": ["212-555-0107"] * 4,
            "last_purchase": pa.array([dt.date(2025, 4, 10), None, None, None], pa.date32()),
            "consent_kind": [None, "written", "verbal", None],
            "consent_on": pa.array([None, dt.date(2026, 1, 2), dt.date(2026, 1, 2), None], pa.date32()),
            "last_inquiry": ["", None, None, "2025-12-20T10:00:00-05:00"],
        }
    )
    out = GUARDS["default"].scrub(table, at=AT, seller="other")
    assert out.column("allowed").to_pylist() == [True, True, False, True]


# --------------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------------


def test_scrub_batches_yields_one_batch_per_batch_in_order() -> None:
    numbers = [f"212-555-01{k:02d}" for k in range(40)]
    batches = [
        pa.record_batch(
            {
                "to": numbers[i : i + 7],
                "at": pa.array([AT] * len(numbers[i : i + 7]), pa.timestamp("us", tz="UTC")),
            }
        )
        for i in range(0, 40, 7)
    ]
    outs = list(GUARDS["default"].scrub_batches(iter(batches), seller="acme"))
    assert [b.num_rows for b in outs] == [b.num_rows for b in batches]
    whole = GUARDS["default"].scrub(pa.Table.from_batches(batches), seller="acme")
    assert pa.Table.from_batches(outs).equals(whole)
    assert pa.Table.from_batches(outs).column("to").to_pylist() == numbers


@pytest.mark.parametrize("anniversary", ["exclusive", "inclusive"])
@pytest.mark.parametrize("spread", [30, 900, 40_000])
def test_window_ends_from_tables_are_window_end(anniversary: Any, spread: int) -> None:
    """Relationship window ends come from per-run tables (or directly, for dates far apart):
    the same as ``facts.window_end`` day by day, for every window a jurisdiction uses."""
    from dncguard.facts import window_end
    from dncguard.jurisdictions import JURISDICTIONS

    windows = {
        w
        for j in JURISDICTIONS.values()
        if j.ebr is not None
        for w in (j.ebr.purchase, j.ebr.inquiry, j.ebr.contract)
        if w is not None
    }
    rng = np.random.default_rng(spread)
    days = rng.integers(20_000 - spread, 20_000 + 1, 500).astype(np.int64)
    where = rng.random(500) < 0.7
    for window in windows:
        got = facts._window_ends(days, where, window, anniversary)
        assert np.array_equal(got[where], np.asarray(window_end(days[where], window, anniversary)))
        assert not got[~where].any()


@pytest.mark.parametrize("threads", [1, 2])
def test_the_same_calls_again_make_no_new_verdicts(threads: int) -> None:
    """The verdict cache is keyed by what the policy sees of a call, never by which of many
    equivalent area codes happened to come first in a batch: calls decided once are decided
    again from the cache in any order and any batching, so a long file of calls seen before
    (a campaign list checked twice, a file repeating itself) does not grow the cache and, with
    it, the command's memory."""
    rng = np.random.default_rng(17)
    calls = _varied_calls(rng, 3000)
    table = table_of(calls)
    guard = Guard(GUARDS["default"].registry)
    first = guard.scrub(table, threads=threads, tuning=bulk.Tuning(batch_rows=700))
    engine = guard.context.bulk
    assert engine is not None
    seen = len(engine.groups)
    order = pa.array(rng.permutation(len(calls)))
    again = guard.scrub(table.take(order), threads=threads, tuning=bulk.Tuning(batch_rows=450))
    assert len(engine.groups) == seen
    assert again.equals(first.take(order))


_MAR_20 = dt.datetime(2026, 3, 20, 17, tzinfo=UTC)


_TWIN_FIELDS: dict[str, tuple[Any, ...]] = {
    "purpose": get_args(Purpose),
    "caller": get_args(Caller),
    "line": get_args(Line),
    "channel": get_args(Channel),
    "seller": ("acme", "other", "Acme"),
    "callee_region": (None, *REGIONS),
    "prerecorded": (False, True),
}


# Each example decides up to 96 rows in bulk and checks each one: bounded (the thorough pass's
# 10,000 examples of the invariants would take some 15 minutes of CI here).
@settings(
    max_examples=1_000 if THOROUGH else 100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(CALL_LISTS, st.sampled_from(sorted(GUARDS)), st.data())
def test_verdicts_from_earlier_batches_fit_the_calls_of_later_ones(
    calls: list[Call], guard_name: str, data: st.DataObject
) -> None:
    """A guard finds a combination of facts met in an earlier batch without deciding it again.
    Each call has a twin differing in one field (purpose, caller, line, channel, seller,
    callee_region or prerecorded); a batch of the calls then their twins, and one of the twins
    then the calls, number that field's values in opposite orders (a batch numbers the values
    of a column in the order it meets them). Every row of both batches gets ``check``'s answer
    from one guard that decided them in turn."""
    field = data.draw(st.sampled_from(sorted(_TWIN_FIELDS)), label="field")
    values = _TWIN_FIELDS[field]
    twins = [
        c.model_copy(
            update={
                field: data.draw(st.sampled_from([v for v in values if v != getattr(c, field)]), label=field)
            }
        )
        for c in calls
    ]
    guard = Guard(REGISTRY, **GUARD_OPTIONS[guard_name])  # a fresh engine: nothing cached
    batches = [[*calls, *twins], [*twins, *calls]]
    decided = bulk.decide_batches(guard, [table_of(b) for b in batches], threads=1, provenance=True)
    for batch, d in zip(batches, decided, strict=True):
        out = pa.Table.from_batches([d.output])
        assert_agrees(GUARDS[guard_name], batch, out)
        assert_provenance_agrees(GUARDS[guard_name], batch, out)


def test_a_batch_numbering_its_values_in_another_order_gets_its_own_answers() -> None:
    """Each batch numbers the distinct values of its columns in the order it meets them; a
    verdict kept from an earlier batch must be found by the values, never by those numbers.
    Each pair of calls differs in one column (purpose, caller, line, channel, seller, evidence
    date, callee region, state listing), is decided differently, and goes through one guard twice: in one
    batch, then in the other order in the next, where the column numbers its two values the
    other way round."""

    def call(**fields: Any) -> Call:
        at = dt.datetime(2026, 3, 16, 18, 0, tzinfo=UTC)  # 14:00 in New York
        return Call.model_validate({"to": "2125550110", "at": at, "seller": "acme", **fields})

    recent, old = (
        {"relationships": (Relationship(kind="inquiry", on=dt.date(y, 3, 1)),)} for y in (2026, 2025)
    )
    pairs = [
        (call(purpose="sale"), call(purpose="survey")),
        (call(caller="seller", purpose="donation"), call(caller="charity", purpose="donation")),
        (call(line="wireless", prerecorded=True), call(line="business", prerecorded=True)),
        (call(to="6475550110", channel="text"), call(to="6475550110", channel="voice")),
        (call(to="2125550100", seller="acme"), call(to="2125550100", seller="other")),
        (call(**recent), call(**old)),
        (call(to="8005550110", callee_region="US-TX"), call(to="8005550110", callee_region="US-CA")),
        # Florida's list holds the number from 20 March: the day before, it does not bind yet
        # (the national copy of 305 is stale on both days, so only the listing tells them apart)
        (
            call(to="3055550105", at=dt.datetime(2026, 3, 19, 17, tzinfo=UTC)),
            call(to="3055550105", at=_MAR_20),
        ),
    ]
    guard = Guard(REGISTRY)
    for first, second in pairs:
        assert GUARDS["default"].check(first) != GUARDS["default"].check(second), (first, second)
        batches = [[first, second], [second, first]]
        decided = bulk.decide_batches(guard, [table_of(b) for b in batches], threads=1)
        for batch, d in zip(batches, decided, strict=True):
            assert_agrees(GUARDS["default"], batch, pa.Table.from_batches([d.output]))


def test_a_guard_used_in_bulk_is_freed_with_its_engine() -> None:
    """The bulk engine a guard gets must not keep the guard (and its mapped index) alive."""
    import gc
    import weakref

    guard = Guard(GUARDS["default"].registry)
    guard.scrub(pa.table({"to": ["212-555-0143"]}), at="2026-03-16T14:00:00-04:00", seller="acme")
    assert guard.context.bulk is not None
    ref = weakref.ref(guard)
    del guard
    gc.collect()
    assert ref() is None


def test_decide_batches_without_columns_gives_the_same_verdicts() -> None:
    from dncguard import bulk

    calls = pa.table(
        {
            "to": ["212-555-0143", "212-555-0199", "(212) 555-0198", "876-555-0100", "800-555-0100"],
            "at": ["2026-03-16T14:00:00-04:00"] * 2
            + ["2026-03-16T21:30:00-04:00", "2026-03-16T14:00:00Z"] * 1
            + ["2026-03-16T23:30:00-05:00"],
        }
    )
    guard = GUARDS["default"]
    (full,) = bulk.decide_batches(guard, calls.to_batches(), seller="acme")
    (bare,) = bulk.decide_batches(guard, calls.to_batches(), seller="acme", columns=False)
    assert bare.output.equals(calls.to_batches()[0])
    assert full.output.num_columns == calls.num_columns + 4
    assert bare.verdicts == full.verdicts
    assert (bare.inverse == full.inverse).all()
    assert (bare.next_at == full.next_at).all()


_EDGE_TIMES = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(1, 1, 5)),
    st.datetimes(min_value=dt.datetime(1, 12, 28), max_value=dt.datetime(2, 1, 3)),
    st.datetimes(min_value=dt.datetime(9998, 12, 28), max_value=dt.datetime(9999, 12, 31, 23, 59)),
    st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31)),
).map(lambda t: t.replace(tzinfo=dt.UTC))


@pytest.mark.hypothesis
@settings(max_examples=60, deadline=None)
@given(
    times=st.lists(_EDGE_TIMES, min_size=1, max_size=4),
    attempt=st.none() | _EDGE_TIMES,
)
def test_bulk_refuses_and_decides_the_times_a_call_refuses_and_decides(
    times: list[dt.datetime], attempt: dt.datetime | None
) -> None:
    """A time (or an attempt) outside ``AT_RANGE`` is refused by ``Guard.scrub`` naming its
    column and row, as ``Guard.check`` refuses it naming its field, never an IndexError or an
    OverflowError from deep in the clocks; inside it both decide, and alike."""
    from dncguard.errors import CallColumnError, InvalidCallError
    from dncguard.models import AT_RANGE

    guard = GUARDS["default"]
    tries = [] if attempt is None else [attempt]
    table = pa.table(
        {
            "to": ["212-555-0143"] * len(times),
            "at": pa.array(times, pa.timestamp("us", tz="UTC")),
            "seller": ["acme"] * len(times),
            "attempts": pa.array([tries] * len(times), pa.list_(pa.timestamp("us", tz="UTC"))),
        }
    )

    def inside(t: dt.datetime) -> bool:
        return AT_RANGE[0] <= t <= AT_RANGE[1]

    if not all(map(inside, times)) or not all(map(inside, tries)):
        bad_at = next((i for i, t in enumerate(times) if not inside(t)), None)
        column, row = ("at", bad_at + 1) if bad_at is not None else ("attempts", 1)
        with pytest.raises(CallColumnError, match=rf"column '{column}', row {row}: .* out of range"):
            guard.scrub(table)
        for t in times:
            call = {"to": "212-555-0143", "at": t.isoformat(), "seller": "acme", "attempts": tries}
            if not inside(t) or not all(map(inside, tries)):
                with pytest.raises(InvalidCallError):
                    guard.check(call)
        return
    scrubbed = guard.scrub(table)
    for i, t in enumerate(times):
        d = guard.check(Call(to="212-555-0143", at=t, seller="acme", attempts=tuple(tries)))
        assert scrubbed.column("allowed")[i].as_py() == d.allowed
        assert scrubbed.column("reasons")[i].as_py() == [r.code.value for r in d.reasons]
