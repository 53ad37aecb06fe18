"""Guard: what a dialer calls before every call. Gathers the facts, asks the policy, explains.

``Guard(registry).check(call)`` parses the called number, finds its country, regions and time
zones (``geography``), asks the registry which lists hold it, reduces the call's evidence to the
facts of :mod:`dncguard.facts`, and lets :func:`dncguard.policy.decide` decide. It holds no rules:
every window, hour and citation comes from :mod:`dncguard.jurisdictions`. Uncertain input fails
closed (docs/defaults.md): an invalid number gives a blocked decision with ``invalid_number``, never an
exception.

Options (keyword-only, docs/defaults.md): ``on_stale`` (``"block"``: a stale national copy blocks with
``stale_registry``; ``"raise"``: :class:`~dncguard.errors.StaleRegistryError`), ``ebr_anniversary``
(``"exclusive"``: a relationship exactly N months old has expired; ``"inclusive"`` keeps that
day), ``jurisdictions`` (the rule sets to apply; a call reaching another is blocked with
``jurisdiction_excluded``), ``ledger`` (a :class:`~dncguard.Ledger` whose placed calls the frequency
caps count with each call's ``attempts``; None: ``attempts`` only), ``missing_state_lists``
(``"block"``: a call that a state's own list would govern is blocked with
``state_list_not_loaded`` when that list is not loaded; ``"allow"``).

>>> import datetime as dt, numpy as np
>>> from dncguard.layers import Chunk, LayerKey, Op
>>> from dncguard.registry import Registry
>>> ftc = Chunk(LayerKey.national("US"), Op.REPLACE, np.array([2125550143], dtype=np.uint64),
...             coverage={212: dt.date(2026, 3, 10)}, obtained=dt.date(2026, 3, 10))
>>> guard = Guard(Registry.build([[ftc]]))
>>> call = {"to": "(212) 555-0143", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"}
>>> d = guard.check(call)
>>> d.allowed, [r.code.value for r in d.reasons], d.number
(False, ['national_registry'], '+12125550143')
>>> d.reasons[0].rule
'16 CFR 310.4(b)(1)(iii)(B); 47 CFR 64.1200(c)(2)'
>>> d = guard.check({**call, "relationships": [{"kind": "purchase", "on": "2025-04-10"}]})
>>> d.allowed, [e.code.value for e in d.exemptions]
(True, ['ebr_purchase'])
>>> late = guard.check({**call, "to": "212-555-0144", "at": "2026-03-16T21:01:00-04:00"})
>>> [r.code.value for r in late.reasons], late.next_allowed_at.isoformat()
(['calling_hours'], '2026-03-17T08:00:00-04:00')
>>> guard.check({**call, "to": "876-555-0100"}).reasons[0].code.value
'invalid_number'

>>> Guard(object(), on_stale="sometimes")
Traceback (most recent call last):
...
dncguard.errors.ArgumentError: on_stale='sometimes': expected one of 'block', 'raise'
>>> Guard(object(), missing_state_lists="ignore")
Traceback (most recent call last):
...
dncguard.errors.ArgumentError: missing_state_lists='ignore': expected one of 'block', 'allow'
>>> Guard(object(), jurisdictions=("US", "XX"))
Traceback (most recent call last):
...
dncguard.errors.ArgumentError: jurisdictions: unknown code 'XX'; known: CA, US, US-AL, ...
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal, Protocol, get_args

from pydantic import ValidationError

from dncguard._check_steps import (
    _HORIZON_END,
    _INTERNAL,
    _LONGEST_CAP_US,
    _MEMO_SIZE,
    _NATIONAL,
    _NO_CASL,
    _NO_EVIDENCE,
    _NONE_FAILED,
    _STATE,
    _call_evidence,
    _candidates,
    _clock_failed,
    _evidence_rules,
    _EvidenceFacts,
    _Exemptions,
    _Known,
    _Listings,
    _local_clocks,
    _open_at,
    _recent,
    _supporter_evidence,
    _window,
    _Windows,
)
from dncguard._context import Area, Context, MissingStateLists, OnStale
from dncguard._fields import FLAT_KEYS as _FLAT_KEYS
from dncguard._fields import fold_flat_evidence, invalid_call
from dncguard._ledger._format import from_us, us
from dncguard._provenance import Provenance, provenance
from dncguard._seller import normalize_seller
from dncguard.errors import ArgumentError, ArgumentTypeError, InvalidNumberError, StaleRegistryError
from dncguard.facts import (
    FAR_FUTURE,
    FAR_PAST,
    HORIZON,
    JURISDICTION_CODES,
    KNOWN_JURISDICTIONS,
    NO_DAYS,
    CallFacts,
    DayMask,
    Evidence,
    caps_in_play,
    casl_in_play,
    casl_masks,
    consent_masks,
    day_number,
    evidence_masks,
    hours_clocks,
    minute_after,
    requests_mask,
    span_mask,
    supporter_mask,
    supporter_window,
)
from dncguard.layers import Layer, Listing
from dncguard.models import Call, Decision
from dncguard.numbers import parse_number
from dncguard.policy import (
    LAGS,
    NOT_NANP_AREA,
    Verdict,
    cap_release,
    hour_rules,
    invalid_number,
    next_allowed_at,
)

__all__ = ["Anniversary", "Guard", "MissingStateLists", "OnStale"]

Anniversary = Literal["exclusive", "inclusive"]


class _Registry(Protocol):
    @property
    def layers(self) -> tuple[Layer, ...]: ...

    def lookup(self, number: Any, /) -> tuple[Listing, ...]: ...


_UNSEEN: Final[Any] = object()
_validate_call: Final = Call.__pydantic_validator__.validate_python
_validate_decision: Final = Decision.__pydantic_validator__.validate_python


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> Any:
    if value not in allowed:
        raise ArgumentError(f"{name}={value!r}: expected one of {', '.join(repr(a) for a in allowed)}")
    return value


def _starts_near(call: Call, today: int) -> bool:
    """Whether some evidence of ``call`` starts near its date ``today`` (within the lags before
    it and the day masks' horizon after it): only then can it read differently at another lag
    (evidence further off reads the same at every one)."""
    days = [r.on for r in call.relationships] + [c.on for c in call.consents]
    return any(today - LAGS <= day_number(d) <= today + HORIZON + 1 for d in days)


class Guard:
    """Decides calls against a registry. See the module docstring, docs/calls.md and docs/decisions.md."""

    def __init__(
        self,
        registry: _Registry,
        *,
        on_stale: OnStale = "block",
        ebr_anniversary: Anniversary = "exclusive",
        jurisdictions: Iterable[str] | None = None,
        missing_state_lists: MissingStateLists = "block",
        ledger: Any = None,
    ) -> None:
        from dncguard.ledger import Ledger

        if ledger is not None and not isinstance(ledger, Ledger):
            raise ArgumentError(f"ledger={ledger!r}: expected a dncguard.Ledger or None")
        self.ledger: Ledger | None = ledger
        self.on_stale: OnStale = _choice("on_stale", on_stale, get_args(OnStale))
        self.missing_state_lists: MissingStateLists = _choice(
            "missing_state_lists", missing_state_lists, get_args(MissingStateLists)
        )
        self.ebr_anniversary: Anniversary = _choice("ebr_anniversary", ebr_anniversary, get_args(Anniversary))
        if jurisdictions is None:
            self.jurisdictions: frozenset[str] | None = None
        else:
            if isinstance(jurisdictions, str):
                raise ArgumentError(
                    f"jurisdictions={jurisdictions!r}: expected a collection of codes such as ('US', 'CA')"
                )
            try:
                chosen = frozenset(jurisdictions)
            except TypeError:
                raise ArgumentTypeError(
                    f"jurisdictions={jurisdictions!r}: expected a collection of codes such as ('US', 'CA')"
                ) from None
            for code in sorted(chosen):
                if code not in KNOWN_JURISDICTIONS:
                    known = ", ".join(JURISDICTION_CODES[:3])
                    raise ArgumentError(f"jurisdictions: unknown code {code!r}; known: {known}, ...")
            self.jurisdictions = chosen
        if not hasattr(registry, "layers") or not callable(getattr(registry, "lookup", None)):
            raise ArgumentTypeError(f"registry={registry!r}: expected a dncguard.Registry")
        self.registry = registry
        self.context = Context(
            registry,
            jurisdictions=self.jurisdictions,
            anniversary=self.ebr_anniversary,
            on_stale=self.on_stale,
            missing_state_lists=self.missing_state_lists,
            ledger=ledger,
        )
        """What ``check`` and bulk decide with (the options, the registry, its area codes)."""
        self._areas = self.context.areas
        self._facts_memo: dict[tuple[Any, ...], _Known] = {}
        self._exemptions_memo: dict[tuple[Evidence, tuple[str, ...], int, int], _Exemptions] = {}
        self._plans: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._probing = callable(getattr(registry, "probes", None))
        self._windows: _Windows = {}
        self._provenance: Provenance = provenance(self.context)

    # ----------------------------------------------------------------------------------------

    def _area(self, npa: int) -> Area | None:
        return self.context.area(npa)

    def check(self, call: Call | Mapping[str, Any]) -> Decision:
        """Decide one call (a :class:`~dncguard.Call` or a dict of its fields).

        A dict may give the evidence as a table row does, in the flat fields ``last_purchase``,
        ``last_inquiry``, ``contract_on``, ``contract_ends``, ``consent_kind``, ``consent_on``,
        ``consent_revoked_on``, ``dnc_requested_on``, ``last_donation``, ``membership_on`` and
        ``membership_ends``, with the meaning ``scrub`` gives them
        (the call's seller's, for the called number); given with the nested lists too, they add
        to them. Invalid call fields raise :class:`~dncguard.errors.InvalidCallError` (a
        ``ValueError``) naming the field; an invalid number is a blocked decision. Raises
        :class:`~dncguard.errors.StaleRegistryError` only with ``on_stale="raise"``.
        """
        if not isinstance(call, Call):
            try:
                data = call if isinstance(call, dict) else dict(call)
            except (TypeError, ValueError):
                raise ArgumentTypeError(
                    f"call={call!r}: expected a dncguard.Call or a mapping of its fields"
                ) from None
            if not _FLAT_KEYS.isdisjoint(data):
                data = fold_flat_evidence(data)  # a table row's flat evidence, as scrub reads it
            try:
                # Call.model_validate, less its Python wrapper (a microsecond on this path).
                valid: Call = _validate_call(data)
            except ValidationError as e:
                raise invalid_call(e) from e
            call = valid
        try:
            number = parse_number(call.to)
        except InvalidNumberError as e:
            return self._decision(invalid_number(call.to, e.why), None, call.to, self._provenance.registry_id)
        npa = number // 10_000_000
        area = self._areas.get(npa, _UNSEEN)
        if area is _UNSEEN:
            area = self._area(npa)
        if area is None:
            verdict = invalid_number(call.to, NOT_NANP_AREA)
            return self._decision(verdict, None, call.to, self._provenance.registry_id)
        known, zones, on_internal, earlier, today = self._known(call, number, area)
        verdict = known.verdict
        facts = known.facts
        prov = self._provenance
        consulted = prov.for_call(
            number,
            call.callee_region,
            call.seller,
            facts.national_listed,
            [s for s, _ in facts.state_listed] if facts.state_listed else (),
            on_internal,
        )
        if verdict.allowed:
            return self._decision(verdict, None, f"+1{number}", prov.registry_id, consulted)
        if self.on_stale == "raise" and known.stale:
            raise StaleRegistryError(
                f"the national registry copy for area code {npa} is too old for a call"
                f" at {call.at.isoformat()}: download a fresh copy"
            )
        next_at = None
        by_lag = None
        if len(zones) > 1 and _starts_near(call, today):
            # Zones that may be on different dates: the evidence at each lag, for the minutes
            # of the search at which the earliest date is that far behind the latest
            # (docs/defaults.md#evidence-across-time-zones).
            by_lag = tuple(self._known(call, number, area, lag)[0].facts for lag in range(LAGS))
        if known.may_open or by_lag is not None:
            # known.facts.recent: some earlier call counts (the calls are those _known found).
            release = (
                cap_release(known.facts, [from_us(a) for a in earlier], call.at, self.jurisdictions)
                if known.facts.recent
                else None
            )
            next_at = next_allowed_at(known.facts, call.at, zones, self.jurisdictions, release, by_lag)
        return self._decision(verdict, next_at, f"+1{number}", prov.registry_id, consulted)

    def check_many(self, calls: Iterable[Call | Mapping[str, Any]]) -> list[Decision]:
        """Decide every call of an iterable, in order."""
        return [self.check(call) for call in calls]

    def scrub(self, data: Any, *, provenance: bool = False, **defaults: Any) -> Any:
        """Decide a table of calls in bulk (see :mod:`dncguard.bulk`): a ``pyarrow.Table`` or
        ``RecordBatch``, or any Arrow data as it is (a Polars DataFrame, a DuckDB result, a
        pyarrow Dataset or RecordBatchReader: anything exporting ``__arrow_c_stream__`` or
        ``__arrow_c_array__``).

        Returns its rows plus ``allowed``, ``reason``, ``reasons`` and ``next_allowed_at``; for
        every row the same answer :meth:`check` gives. ``provenance=True`` adds ``registry_id``
        and ``consulted`` (check's fields of those names). ``defaults`` fill missing columns;
        ``tuning=dncguard.bulk.Tuning(...)`` divides the work differently (never the answers).
        A column close to a call field is a :class:`~dncguard.errors.CallColumnError`; errors
        count rows from 1.
        """
        from dncguard import bulk

        return bulk.scrub(self, data, provenance=provenance, **defaults)

    def scrub_batches(self, batches: Iterable[Any], **defaults: Any) -> Iterator[Any]:
        """Decide a stream of record batches in bounded memory, yielding one output per input.

        ``batches``: an iterable of record batches, or one Arrow stream (a RecordBatchReader, a
        Polars DataFrame, a DuckDB relation ...) read batch by batch, never whole."""
        from dncguard import bulk

        return bulk.scrub_batches(self, batches, **defaults)

    def replay(self, entries: Iterable[Any], *, verify: bool = True) -> Any:
        """Re-decide ledger entries with this guard's rules against the registry version each was
        decided on (``registry.as_of(entry.decision.registry_id)``); a ``pyarrow`` table of the
        entries whose answer changed, and of those that could not be replayed (see
        :mod:`dncguard.replay`). ``entries``: ``ledger.entries()`` or the ledger itself. The
        ledger given and this guard's own are verified first (``CorruptLedgerError`` if one does
        not verify, as ``dncguard replay`` refuses it); ``verify=False`` skips that."""
        from dncguard.replay import replay

        return replay(self, entries, verify=verify)

    @staticmethod
    def _decision(
        verdict: Verdict,
        next_at: dt.datetime | None,
        number: str,
        registry_id: str,
        consulted: tuple[Any, ...] = (),
    ) -> Decision:
        # Validated as a Decision (only the fields without their default: faster on this path).
        fields: dict[str, Any] = {"allowed": verdict.allowed, "number": number, "registry_id": registry_id}
        if consulted:
            fields["consulted"] = consulted
        if verdict.reasons:
            fields["reasons"] = verdict.reasons
        if verdict.exemptions:
            fields["exemptions"] = verdict.exemptions
        if next_at is not None:
            fields["next_allowed_at"] = next_at
        if verdict.jurisdictions:
            fields["jurisdictions"] = verdict.jurisdictions
        decision: Decision = _validate_decision(fields)
        return decision

    # ----------------------------------------------------------------------------------------

    def facts(self, call: Call, number: int, area: Area) -> tuple[CallFacts, tuple[zoneinfo.ZoneInfo, ...]]:
        """The call's facts for the policy, and its candidate time zones."""
        known, zones, _, _, _ = self._known(call, number, area)
        return known.facts, zones

    def _known(
        self, call: Call, number: int, area: Area, lag: int | None = None
    ) -> tuple[_Known, tuple[zoneinfo.ZoneInfo, ...], bool, Sequence[int], int]:
        """The call's facts with the policy's verdict on them, the call's candidate zones,
        whether an internal list of the call's seller (as written) holds the number, the
        earlier calls the frequency caps count (:meth:`_earlier`) and the call's local date
        (the latest over the zones).

        The hot path of :meth:`check`, in named steps: the lists holding the number
        (:meth:`_listings`), where the call goes (:func:`_candidates`), its local date and
        minute (:func:`_local_clocks`), the evidence as day masks (:meth:`_evidence_facts`), the
        time rules it fails (:meth:`_hours_failed`). The facts are reduced to a small key of
        plain values (offsets rather than day masks, built only on a miss), memoised with the
        verdict (:meth:`_facts_of`).

        ``today`` is the latest local date over the zones; evidence starts counting only once
        its date has begun in every zone: ``lag`` days after it, the earliest date's distance
        behind ``today`` (``None``: the call's own; ``next_allowed_at`` asks for each).
        """
        national_listed, listed_states, requests, on_internal = self._listings(call, number, area)
        zones, codes = _candidates(call, area, listed_states)
        at = call.at
        today, clocks = _local_clocks(at, zones)
        if lag is None:
            lag = today - min(clocks)[0] if len(clocks) > 1 else 0
        # A loaded state list binds in full from the day it was obtained; the statutory grace
        # periods for new entries are not applied (docs/defaults.md#state-lists).
        state_listed: tuple[tuple[str, DayMask], ...] = ()
        if listed_states:
            state_listed = tuple(
                sorted(
                    (
                        region,
                        span_mask(
                            (FAR_PAST if obtained is None else day_number(obtained)) - today, FAR_FUTURE
                        ),
                    )
                    for region, obtained in listed_states
                )
            )
        # The national copy is fresh on day offsets below fresh_until (a prefix mask); -1: not covered.
        fresh_until = -1 if area.fresh_end is None else min(max(area.fresh_end - today, 0), _HORIZON_END)
        exemptions, by_kind, casl = self._evidence_facts(call, number, requests, codes, today, lag)
        failed = self._hours_failed(call, codes, clocks, zones) if clocks else _NONE_FAILED
        requested = requests_mask(requests, today) if requests else NO_DAYS
        supporter = NO_DAYS
        if call.prerecorded and call.relationships:
            donor_window = supporter_window(codes, call.purpose, call.caller, True)
            if donor_window is not None:
                gifts, memberships, reassigned = _supporter_evidence(call)
                supporter = supporter_mask(
                    gifts, memberships, reassigned, donor_window, self.ebr_anniversary, today, lag
                )
        # The earlier calls the frequency caps count, in UTC microseconds (no datetime per call).
        earlier: Sequence[int] = ()
        recent: tuple[tuple[int, int], ...] = ()
        ask_ledger = self.ledger is not None and caps_in_play(codes)
        if ask_ledger or call.attempts:
            at_us = us(at)
            earlier = self._earlier(call, number, at_us, ask_ledger)
            if earlier:
                recent = _recent(earlier, at_us)
        # Memoised by the fields' values: most calls share their facts, and a frozen dataclass
        # costs more to build than this tuple. The policy stays the judge of every combination.
        key = (
            codes,
            call.purpose,
            call.caller,
            call.line,
            call.prerecorded,
            national_listed,
            fresh_until,
            state_listed,
            requested,
            exemptions,
            bool(zones),
            failed,
            call.channel,
            call.automated,
            by_kind,
            casl,
            recent,
            supporter,
        )
        known = self._facts_memo.get(key)
        if known is None:
            known = self._facts_of(key, area.country)
        return known, zones, on_internal, earlier, today

    def _facts_of(self, key: tuple[Any, ...], country: str) -> _Known:
        """On a memo miss: the :class:`CallFacts` of ``key`` (:meth:`_known`'s), decided, memoised."""
        (
            codes,
            purpose,
            caller,
            line,
            prerecorded,
            national_listed,
            fresh_until,
            state_listed,
            requested,
            exemptions,
            located,
            failed,
            channel,
            automated,
            by_kind,
            casl,
            recent,
            supporter,
        ) = key
        facts = CallFacts(
            country=country,
            jurisdictions=codes,
            purpose=purpose,
            caller=caller,
            line=line,
            prerecorded=prerecorded,
            national_listed=national_listed,
            national_covered=fresh_until >= 0,
            national_fresh=NO_DAYS if fresh_until < 0 else span_mask(FAR_PAST, fresh_until),
            state_listed=state_listed,
            requested=requested,
            exemptions=exemptions,
            location_known=located,
            hours_failed=failed,
            channel=channel,
            automated=automated,
            consents=by_kind,
            states_unloaded=self.context.unloaded_states(codes),
            casl=(casl[0], casl[1], casl[2], casl[3]),
            recent=recent,
            supporter=supporter,
        )
        known = _Known.of(facts, self.jurisdictions)
        if len(self._facts_memo) >= _MEMO_SIZE:
            self._facts_memo.clear()
        self._facts_memo[key] = known
        return known

    def _listings(self, call: Call, number: int, area: Area) -> _Listings:
        """Step 1: the lists holding the number (the national list of its country, state lists
        with their obtained dates, this seller's internal list) and the seller's do-not-call
        requests as day numbers (:data:`FAR_PAST`: an undated internal-list entry)."""
        seller = call.seller
        national_listed = False
        listed_states: list[tuple[str, dt.date | None]] = []
        requests: list[int] = []
        on_internal = False
        plan = self._plans.get((area.country, seller))
        if plan is None:
            plan = self._plan(area.country, seller)
        if self._probing:
            for probe, kind, name, extra in plan:
                if probe(number):
                    if kind is _NATIONAL:
                        national_listed = True
                    elif kind is _STATE:
                        listed_states.append((name, extra))
                    else:
                        on_internal = True
                        on = None if extra is None else extra(number)
                        requests.append(FAR_PAST if on is None else day_number(on))
        else:
            mine = normalize_seller(seller)  # cached: a dictionary lookup for a seller seen before
            for listing in self.registry.lookup(number):
                layer = listing.layer
                if layer.kind == "national":
                    national_listed = national_listed or layer.jurisdiction == area.country
                elif layer.kind == "state":
                    if layer.jurisdiction is not None:
                        listed_states.append((layer.jurisdiction, layer.obtained))
                elif layer.seller is not None and normalize_seller(layer.seller) == mine:
                    on_internal = True
                    requests.append(FAR_PAST if listing.on is None else day_number(listing.on))
        for r in call.dnc_requests:
            if r.seller is None or normalize_seller(r.seller) == normalize_seller(seller):
                requests.append(day_number(r.on))

        return _Listings(national_listed, listed_states, requests, on_internal)

    def _evidence_facts(
        self, call: Call, number: int, requests: list[int], codes: tuple[str, ...], today: int, lag: int
    ) -> _EvidenceFacts:
        """Step 4: the call's relationships and consents as day masks: per jurisdiction in play
        (``CallFacts.exemptions``), by consent kind for a prerecorded or automated call, and under
        CASL for a text into Canada."""
        if not (call.relationships or call.consents):
            return _NO_EVIDENCE
        by_kind: tuple[tuple[str, DayMask], ...] = ()
        casl: tuple[DayMask, ...] = _NO_CASL
        evidence = _call_evidence(call, number, requests)
        if call.consents and (call.prerecorded or call.automated):
            by_kind = consent_masks(evidence, today, lag)
        if casl_in_play(codes, call.channel):
            casl = tuple(casl_masks(evidence, self.ebr_anniversary, today, lag))
        # Memoised by value: the masks depend only on the evidence's days, the rules, today and lag.
        evidence_key = (evidence, codes, today, lag)
        found = self._exemptions_memo.get(evidence_key)
        if found is None:
            found = self._exemptions(evidence, codes, today, lag)
            if len(self._exemptions_memo) >= _MEMO_SIZE:
                self._exemptions_memo.clear()
            self._exemptions_memo[evidence_key] = found
        return _EvidenceFacts(found, by_kind, casl)

    def _hours_failed(
        self,
        call: Call,
        codes: tuple[str, ...],
        clocks: list[tuple[int, int]],
        zones: tuple[zoneinfo.ZoneInfo, ...],
    ) -> frozenset[str]:
        """Step 5: the jurisdictions whose calling hours, day or holiday bans the call's start
        fails in some candidate zone (``clocks``: its local day and minute in each, in
        ``zones``), or on the fixed clock a jurisdiction also reads its hours on. A start within
        a minute (21:00:30) must pass that minute and the next (``minute_after``)."""
        failed = _NONE_FAILED
        hour_codes = hour_rules(
            codes, call.purpose, self.jurisdictions, call.channel, caller=call.caller, line=call.line
        )
        if hour_codes:
            windows = self._windows
            after = minute_after(call.at)
            if after is not None:
                clocks = clocks + _local_clocks(after, zones)[1]
            for day, minute in clocks:
                start, end = windows.get((hour_codes, day)) or _window(windows, hour_codes, day)
                if not start <= minute <= end:
                    # Some rule fails: which ones (rare; each rule's own window).
                    failed = frozenset(
                        [code for code in hour_codes if not _open_at(windows, (code,), clocks)]
                    )
                    break
            clocked = hours_clocks(hour_codes)
            if clocked:
                failed = failed | _clock_failed(clocked, call.at)
                if after is not None:
                    failed = failed | _clock_failed(clocked, after)
        return failed

    def _earlier(self, call: Call, number: int, at: int, ask_ledger: bool) -> list[int]:
        """The earlier calls the frequency caps count, as UTC microseconds since 1970 (``at``:
        the call's start): the call's ``attempts`` and, with ``ask_ledger`` (a ledger, and a cap
        in play), the ledger's placed calls by this seller to this number with this purpose in
        the longest cap window before the call."""
        attempts = [us(a) for a in call.attempts]
        if not ask_ledger or self.ledger is None:
            return attempts
        # Ledger.placed_calls less its conversions (the number is parsed, the times are integers).
        placed = self.ledger._placed_us(
            number, normalize_seller(call.seller), call.purpose, at - _LONGEST_CAP_US, at
        )
        return attempts + placed if attempts else placed

    def _exemptions(self, evidence: Evidence, codes: tuple[str, ...], today: int, lag: int) -> _Exemptions:
        """Per jurisdiction in play, the days its exemptions hold (``CallFacts.exemptions``)."""
        anniversary = self.ebr_anniversary
        # Jurisdictions with the same windows and consent kinds reduce the evidence alike.
        reduced: dict[int, tuple[DayMask, DayMask, DayMask, DayMask]] = {}
        items = []
        for code in codes:
            rules = _evidence_rules(code)
            m = reduced.get(rules)
            if m is None:
                e = evidence_masks(evidence, code, anniversary, today, lag)
                m = reduced[rules] = (e.purchase, e.inquiry, e.contract, e.consent)
            items.append((code, m))
        return tuple(items)

    def _plan(self, country: str, seller: str) -> tuple[Any, ...]:
        """The layers a call to ``country`` for ``seller`` must ask, as ``(probe, kind, name, extra)``
        (``()`` when the registry has no ``probes``: then :meth:`_known` asks ``lookup``).

        Other countries' national registries and other sellers' internal lists cannot change
        the call's facts (see the ``lookup`` loop in :meth:`_known`), so they are not asked.
        """
        probes = getattr(self.registry, "probes", None)
        mine = normalize_seller(seller)  # one seller however written (docs/defaults.md#sellers-are-one-name)
        plan: list[Any] = []
        if probes is not None:
            for layer, probe, dated in probes():
                if layer.kind == "national":
                    if layer.jurisdiction == country:
                        plan.append((probe, _NATIONAL, None, None))
                elif layer.kind == "state":
                    if layer.jurisdiction is not None:
                        plan.append((probe, _STATE, layer.jurisdiction, layer.obtained))
                elif layer.seller is not None and normalize_seller(layer.seller) == mine:
                    plan.append((probe, _INTERNAL, None, dated))
        if len(self._plans) >= _MEMO_SIZE:
            self._plans.clear()
        self._plans[(country, seller)] = result = tuple(plan)
        return result
