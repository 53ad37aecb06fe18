"""Evidence dates across candidate zones on different dates (docs/defaults.md#evidence-across-time-zones).

A call's candidate zones (its area code's, ``callee_region``'s, ``callee_timezone``) may be on
different calendar dates at its instant. Evidence that *starts* (a consent, a purchase, an
inquiry, a contract, a donation, a membership) counts only once its date has begun in every
zone; evidence that *ends* (a window, a revocation, a membership's end) and a do-not-call
request (which stops calls) take effect as soon as their date has begun in any zone. Both front
ends, and ``next_allowed_at`` (the earliest minute, judged at each minute's own spread of dates).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from test_bulk import assert_agrees, table_of

from dncguard import Call, Consent, DncRequest, Guard, Relationship, bulk
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry
from profiles import invariant

UTC = dt.UTC
OBTAINED = dt.date(2026, 3, 2)
US_AREAS = (212, 850, 907, 671, 808)
CA_AREAS = (867, 416)
LISTED = 100  # line 555-0100 of every area code is on its national list


def _registry() -> Registry:
    def numbers(npas: tuple[int, ...]) -> np.ndarray:
        return np.array([npa * 10**7 + 5_550_000 + LISTED for npa in npas], np.uint64)

    return Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    numbers(US_AREAS),
                    dict.fromkeys(US_AREAS, OBTAINED),
                    obtained=OBTAINED,
                )
            ],
            [
                Chunk(
                    LayerKey.national("CA"),
                    Op.REPLACE,
                    numbers(CA_AREAS),
                    dict.fromkeys(CA_AREAS, OBTAINED),
                    obtained=OBTAINED,
                )
            ],
        ]
    )


GUARD = Guard(_registry())


def _both(call: Call) -> Any:
    """``check``'s decision, after holding ``scrub``'s row equal to it in every field."""
    decided = list(bulk.decide_batches(GUARD, [table_of([call])]))
    want = GUARD.check(call)
    assert decided[0].decision(0) == want
    assert_agrees(GUARD, [call], pa.Table.from_batches([d.output for d in decided]))
    return want


def _at(call: Call, when: dt.datetime) -> Call:
    return call.model_copy(update={"at": when})


def _opens_exactly_at(call: Call, when: dt.datetime) -> None:
    """Blocked now, ``next_allowed_at`` is ``when``, allowed then and blocked the minute before
    (in both front ends)."""
    d = _both(call)
    assert not d.allowed
    assert d.next_allowed_at == when
    assert _both(_at(call, when)).allowed
    assert not _both(_at(call, when - dt.timedelta(minutes=1))).allowed


# --- The three fail-opens: evidence dated "tomorrow" in one zone counted in all ------------------

# 2026-03-10 23:30 UTC: 19:30 in New York (EDT), 09:30 on 11 March in Guam.
GUAM_AT = dt.datetime(2026, 3, 10, 23, 30, tzinfo=UTC)


def test_guam_consent_dated_guams_date_does_not_count_in_new_york_yet() -> None:
    # A listed New York number, the called party in Guam (callee_region): the call must satisfy
    # both. A consent dated 11 March has begun in Guam, not in New York: the call is blocked.
    call = Call(
        to="212-555-0100",
        at=GUAM_AT,
        seller="zeta",
        callee_region="US-GU",
        consents=(Consent(kind="written", on=dt.date(2026, 3, 11)),),
    )
    d = _both(call)
    assert not d.allowed
    assert [r.code.value for r in d.reasons] == ["national_registry"]
    # Dated New York's date (the earliest), it counts.
    assert _both(
        call.model_copy(update={"consents": (Consent(kind="written", on=dt.date(2026, 3, 10)),)})
    ).allowed
    # It opens when 11 March has begun in New York and both are within calling hours
    # (08:00-21:00): 18:00 in New York is 08:00 in Guam (14 hours ahead).
    _opens_exactly_at(call, dt.datetime(2026, 3, 11, 22, 0, tzinfo=UTC))


def test_guam_purchase_dated_guams_date_does_not_count_in_new_york_yet() -> None:
    call = Call(
        to="212-555-0100",
        at=GUAM_AT,
        seller="zeta",
        callee_region="US-GU",
        relationships=(Relationship(kind="purchase", on=dt.date(2026, 3, 11)),),
    )
    _opens_exactly_at(call, dt.datetime(2026, 3, 11, 22, 0, tzinfo=UTC))


# 2026-03-11 04:30 UTC: 23:30 on 10 March in Central time, 00:30 on 11 March in Eastern.
PANHANDLE_AT = dt.datetime(2026, 3, 11, 4, 30, tzinfo=UTC)


def test_florida_panhandle_consent_dated_the_eastern_date() -> None:
    # 850 spans Central and Eastern time. A prerecorded political call to a line of unknown type
    # needs prior express consent and keeps no calling hours: only the consent's date decides.
    call = Call(
        to="850-555-0150",
        at=PANHANDLE_AT,
        seller="zeta",
        purpose="political",
        prerecorded=True,
        consents=(Consent(kind="recorded_verbal", on=dt.date(2026, 3, 11)),),
    )
    d = _both(call)
    assert not d.allowed
    assert [r.code.value for r in d.reasons] == ["prerecorded_without_consent"]
    # Midnight in Central time: 11 March has begun in both zones.
    _opens_exactly_at(call, dt.datetime(2026, 3, 11, 5, 0, tzinfo=UTC))


def test_florida_panhandle_revocation_and_request_take_effect_on_the_eastern_date() -> None:
    # Evidence that ends, and a request that stops calls, act as soon as their date has begun
    # in any zone: at 23:30 Central on 10 March, 11 March has begun in Eastern time.
    consent = Consent(kind="recorded_verbal", on=dt.date(2026, 3, 1), revoked_on=dt.date(2026, 3, 11))
    call = Call(
        to="850-555-0150",
        at=PANHANDLE_AT,
        seller="zeta",
        purpose="political",
        prerecorded=True,
        consents=(consent,),
    )
    assert not _both(call).allowed
    assert _both(_at(call, PANHANDLE_AT - dt.timedelta(hours=1))).allowed  # 23:30 Eastern on 10 March
    listed = Call(
        to="850-555-0100",
        at=PANHANDLE_AT,
        seller="zeta",
        consents=(Consent(kind="written", on=dt.date(2026, 3, 1)),),
        dnc_requests=(DncRequest(on=dt.date(2026, 3, 11)),),
    )
    assert "internal_list" in [r.code.value for r in _both(listed).reasons]
    before = _both(_at(listed, PANHANDLE_AT - dt.timedelta(hours=1)))
    assert "internal_list" not in [r.code.value for r in before.reasons]


# 2026-03-11 05:30 UTC: 22:30 on 10 March in Whitehorse (UTC-7), 01:30 on 11 March in Toronto.
YUKON_AT = dt.datetime(2026, 3, 11, 5, 30, tzinfo=UTC)


def test_yukon_text_consent_dated_the_eastern_date() -> None:
    # 867 spans Whitehorse to Toronto. A commercial text into Canada needs express consent (CASL)
    # and keeps no calling hours: it opens at midnight in Whitehorse.
    call = Call(
        to="867-555-0150",
        at=YUKON_AT,
        seller="zeta",
        channel="text",
        consents=(Consent(kind="written", on=dt.date(2026, 3, 11)),),
    )
    d = _both(call)
    assert not d.allowed
    assert [r.code.value for r in d.reasons] == ["text_without_consent"]
    _opens_exactly_at(call, dt.datetime(2026, 3, 11, 7, 0, tzinfo=UTC))


def test_a_consent_after_a_request_counts_only_once_begun_everywhere() -> None:
    # A request on 10 March, a consent given on 11 March (which permits calls again): until
    # 11 March has begun in every zone, the request still stops the call.
    call = Call(
        to="850-555-0150",
        at=PANHANDLE_AT,
        seller="zeta",
        purpose="political",
        prerecorded=True,
        consents=(Consent(kind="written", on=dt.date(2026, 3, 11)),),
        dnc_requests=(DncRequest(on=dt.date(2026, 3, 10)),),
    )
    _opens_exactly_at(call, dt.datetime(2026, 3, 11, 5, 0, tzinfo=UTC))


def test_one_zone_is_unchanged() -> None:
    # A single zone's date is the call's date: a consent dated it counts from its midnight.
    call = Call(
        to="212-555-0150",
        at=dt.datetime(2026, 3, 11, 3, 59, tzinfo=UTC),  # 23:59 on 10 March in New York
        seller="zeta",
        purpose="political",
        prerecorded=True,
        consents=(Consent(kind="recorded_verbal", on=dt.date(2026, 3, 11)),),
    )
    _opens_exactly_at(call, dt.datetime(2026, 3, 11, 4, 0, tzinfo=UTC))


# --- Properties: multi-zone calls with evidence dated at the zones' date boundaries -------------

_NUMBERS = st.sampled_from(
    ("212-555-0100", "850-555-0100", "850-555-0150", "907-555-0100", "867-555-0100", "867-555-0150")
)
_REGIONS = st.sampled_from((None, None, "US-GU", "US-HI", "CA-YT", "CA-NL", "US-AK"))
_TIMEZONES = st.sampled_from((None, None, None, "Pacific/Guam", "America/Adak", "America/St_Johns"))
_START = dt.datetime(2026, 3, 9, tzinfo=UTC)


@st.composite
def multi_zone_calls(draw: st.DrawFn) -> Call:
    """A call whose zones are often on two dates, its evidence dated around them (the UTC date
    of the call, a day either side)."""
    at = _START + dt.timedelta(minutes=draw(st.integers(0, 3 * 1440)))
    base = at.date()

    def day() -> dt.date:
        return base + dt.timedelta(days=draw(st.integers(-2, 2)))

    def maybe() -> bool:
        return draw(st.integers(0, 2)) == 0

    relationships = []
    for kind in ("purchase", "inquiry", "donation"):
        if maybe():
            relationships.append(Relationship(kind=kind, on=day()))
    for kind in ("contract", "membership"):
        if maybe():
            relationships.append(Relationship(kind=kind, on=day(), ends=day() if maybe() else None))
    consents = ()
    if draw(st.booleans()):
        given_on = day()
        revoked = day() if maybe() else None
        consents = (
            Consent(
                kind=draw(st.sampled_from(("written", "recorded_verbal", "verbal"))),
                on=given_on,
                revoked_on=revoked,
            ),
        )
    requests = (DncRequest(on=day()),) if maybe() else ()
    return Call(
        to=draw(_NUMBERS),
        at=at,
        seller="zeta",
        purpose=draw(st.sampled_from(("sale", "sale", "political", "donation"))),
        caller=draw(st.sampled_from(("seller", "telemarketer"))),
        channel=draw(st.sampled_from(("voice", "voice", "text"))),
        prerecorded=draw(st.booleans()),
        automated=draw(st.booleans()),
        line=draw(st.sampled_from(("unknown", "wireless", "residential"))),
        relationships=tuple(relationships),
        consents=consents,
        dnc_requests=requests,
        callee_region=draw(_REGIONS),
        callee_timezone=draw(_TIMEZONES),
    )


@invariant(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(multi_zone_calls(), min_size=1, max_size=20), st.sampled_from(("rows", "tables")))
def test_scrub_agrees_with_check_across_zone_dates(calls: list[Call], clocks: str) -> None:
    decided = list(bulk.decide_batches(GUARD, [table_of(calls)], tuning=bulk.Tuning(clocks=clocks)))
    out = pa.Table.from_batches([d.output for d in decided])
    assert_agrees(GUARD, calls, out)
    for i, call in enumerate(calls):
        assert decided[0].decision(i) == GUARD.check(call)


@invariant(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(multi_zone_calls(), st.randoms(use_true_random=False))
def test_next_allowed_at_is_allowed_and_earliest_across_zone_dates(call: Call, rnd: Any) -> None:
    d = GUARD.check(call)
    if d.allowed or d.next_allowed_at is None:
        return
    nxt = d.next_allowed_at
    assert call.at < nxt <= call.at + dt.timedelta(days=8)
    assert GUARD.check(_at(call, nxt)).allowed
    minutes = int((nxt - call.at).total_seconds() // 60)
    # The minute before, random ones, and every zone's midnights (where dates change) before it.
    earlier = {1} | {rnd.randint(1, max(minutes, 1)) for _ in range(20)}
    hour = nxt.replace(minute=0, second=0, microsecond=0)
    earlier |= {
        int((nxt - (hour - dt.timedelta(minutes=30 * k + j))).total_seconds() // 60)
        for k in range(200)
        for j in (0, 1)
    }
    for k in sorted(earlier):
        t = nxt - dt.timedelta(minutes=k)
        if call.at <= t < nxt:
            assert not GUARD.check(_at(call, t)).allowed, t


def test_scrub_agrees_with_check_on_a_larger_multi_zone_table() -> None:
    """Thousands of rows (per-zone minute tables, several batches) of multi-zone calls whose
    evidence starts, ends and stops calls around the zones' dates."""
    rng = np.random.default_rng(11)
    numbers = ("212-555-0100", "850-555-0100", "850-555-0150", "907-555-0100", "867-555-0150")
    kinds = ("written", "recorded_verbal")

    def day(at: dt.datetime) -> dt.date:
        return at.date() + dt.timedelta(days=int(rng.integers(-2, 3)))

    calls = []
    for _ in range(3000):
        at = _START + dt.timedelta(minutes=int(rng.integers(0, 3 * 1440)))
        calls.append(
            Call(
                to=str(rng.choice(numbers)),
                at=at,
                seller="zeta",
                purpose=str(rng.choice(["sale", "political"])),
                channel=str(rng.choice(["voice", "voice", "text"])),
                prerecorded=bool(rng.random() < 0.4),
                callee_region=None if rng.random() < 0.6 else str(rng.choice(["US-GU", "CA-YT", "US-HI"])),
                relationships=(Relationship(kind="purchase", on=day(at)),) if rng.random() < 0.3 else (),
                consents=(
                    Consent(
                        kind=str(rng.choice(kinds)),
                        on=day(at),
                        revoked_on=day(at) + dt.timedelta(days=2) if rng.random() < 0.3 else None,
                    ),
                )
                if rng.random() < 0.6
                else (),
                dnc_requests=(DncRequest(on=day(at)),) if rng.random() < 0.2 else (),
            )
        )
    out = GUARD.scrub(table_of(calls), tuning=bulk.Tuning(batch_rows=1000))
    assert_agrees(GUARD, calls, out)
    assert sum(out.column("allowed").to_pylist()) > 0
    assert any(t is not None for t in out.column("next_allowed_at").to_pylist())
