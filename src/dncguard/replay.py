"""Replay: re-decide recorded calls with today's rules against the registry of their day.

Each ledger entry holds a call and the decision made on it; the decision records the
:attr:`~dncguard.Registry.id` of the registry version it was made on. :func:`replay` decides the
call again with a :class:`~dncguard.Guard` of the same options over
``registry.as_of(that id)`` (the same data, today's rules) and returns the entries whose answer
changed: allowed <-> blocked, or a different set of reason codes. An entry that cannot be replayed
(no registry id recorded, or a version older than the history kept) is returned too, with
``problem`` saying why and no new answer: never silently counted as unchanged.

Frequency caps count the calls placed before a call: with ``Guard(registry, ledger=ledger)``
(the ledger replayed), each entry is decided with the placed calls that ledger recorded before
it (``seq`` lower) added to the call's ``attempts``, as the guard that decided it counted them.
Without a ledger, an entry a cap blocked that would now be allowed is returned with
``problem`` :data:`CAPS_NOT_COUNTED`, never as newly allowed.

The result is a ``pyarrow`` table, one row per entry, in ledger order, with the columns of
:data:`SCHEMA`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dncguard._flatcall import FIXED_OFFSETS, FLAT_TYPES, flat_row, flat_table
from dncguard._past import Tuning, resolve
from dncguard.errors import CorruptLedgerError, DncguardError, HistoryError
from dncguard.models import EVIDENCE_COLUMNS

if TYPE_CHECKING:
    from dncguard.guard import Guard
    from dncguard.ledger import Ledger, LedgerEntry
    from dncguard.models import Decision

__all__ = ["CAPS_NOT_COUNTED", "NOT_IN_HISTORY", "NO_REGISTRY_ID", "SCHEMA", "Tuning", "replay", "verified"]

#: ``problem`` of an entry whose decision records no registry id (decided before ids were kept).
NO_REGISTRY_ID: Final = "no registry id recorded"
#: ``problem`` of an entry whose registry version the history no longer (or never) held.
NOT_IN_HISTORY: Final = "registry version not in the history kept"
#: ``problem`` of an entry a frequency cap blocked, replayed without the ledger whose placed calls
#: the cap counted (``Guard(registry, ledger=ledger)``).
CAPS_NOT_COUNTED: Final = "frequency caps not counted: replay with the ledger (Guard(registry, ledger=...))"

SCHEMA: Final = pa.schema(
    [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("number", pa.string()),
        pa.field("at", pa.timestamp("us", tz="UTC")),
        pa.field("registry_id", pa.string()),
        pa.field("old_allowed", pa.bool_()),
        pa.field("new_allowed", pa.bool_()),
        pa.field("old_reasons", pa.list_(pa.string())),
        pa.field("new_reasons", pa.list_(pa.string())),
        pa.field("problem", pa.string()),
    ]
)


def _codes(decision: Decision) -> list[str]:
    reasons = decision.reasons
    return sorted({str(reason.code) for reason in reasons}) if reasons else []


def _decide_in_bulk(guard: Guard, table: pa.Table) -> tuple[list[bool], list[list[str]]]:
    """``allowed`` and the sorted distinct reason codes of each row of ``table``, decided by
    ``guard.scrub`` (the same answer ``check`` gives for each)."""
    out = guard.scrub(table)
    allowed = out.column("allowed").to_pylist()
    # each row's codes as one text, then each distinct text sorted once (a few for a table)
    joined = pc.fill_null(pc.binary_join(out.column("reasons"), _SEP), "").combine_chunks()
    encoded = joined.dictionary_encode()
    canonical = [sorted(set(text.split(_SEP))) if text else [] for text in encoded.dictionary.to_pylist()]
    codes = [canonical[i] for i in encoded.indices.to_pylist()]
    return allowed, codes


_SEP: Final = "\x1f"  # in no reason code (codes are words and underscores)
_EMPTY_LIST: Final = pa.list_(pa.timestamp("us", tz="UTC"))


def _flatten(calls: list[Any]) -> tuple[pa.Table | None, list[int], list[int]]:
    """``calls`` as a table of :data:`~dncguard._flatcall.FLAT_TYPES` (the rows
    :func:`~dncguard._flatcall.flat_row` makes), the position of each of its rows in ``calls``,
    and the positions of the calls the flat columns cannot hold (``flat_row`` is None).

    A call without evidence or earlier attempts (most of a ledger) is read column by column
    rather than through ``flat_row``; when all the table's calls are such calls and written in
    one UTC offset, ``at`` is a timestamp column in that offset (the same instants, and the
    same offset for a call without a candidate zone) rather than text."""
    plain: list[Any] = []
    plain_at: list[int] = []
    other: list[tuple[Any, ...]] = []
    other_at: list[int] = []
    unfit: list[int] = []
    minute = _MINUTE
    fixed = FIXED_OFFSETS
    offsets: set[dt.timedelta] = set()
    for i, call in enumerate(calls):
        when = call.at
        offset = when.utcoffset()
        if (
            not call.relationships
            and not call.consents
            and not call.dnc_requests
            and not call.attempts
            and isinstance(when.tzinfo, fixed)
            and offset is not None
            and not offset % minute
        ):
            plain.append(call)
            plain_at.append(i)
            offsets.add(offset)
            continue
        row = flat_row(call)
        if row is None:
            unfit.append(i)
        else:
            other.append(row)
            other_at.append(i)
    if not plain and not other:
        return None, [], unfit
    n = len(plain)
    fields = dict(zip(_PLAIN_FIELDS, zip(*map(_plain_fields, plain), strict=True), strict=True)) if n else {}
    columns: dict[str, Any] = {}
    for name, kind in FLAT_TYPES.items():
        if name == "at":
            if len(offsets) == 1 and not other:
                (offset,) = offsets
                minutes = offset // minute
                zone = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
                columns[name] = pa.array([call.at for call in plain], pa.timestamp("us", tz=zone))
                continue
            values: Any = [call.at.isoformat() for call in plain]
        elif name in _PLAIN_FIELDS:
            values = fields.get(name, ())
        elif name == "attempts":
            columns[name] = pa.ListArray.from_arrays(
                pa.array(np.zeros(n + 1, np.int32)), pa.array([], kind.value_type)
            )
            continue
        else:  # an evidence column: none
            columns[name] = pa.nulls(n, kind)
            continue
        columns[name] = pa.array(values, kind)
    table = pa.table(columns)
    if other:
        table = pa.concat_tables([table, flat_table(other)]).combine_chunks()
    return table, plain_at + other_at, unfit


_MINUTE: Final = dt.timedelta(minutes=1)
#: The flat columns that are a call's field of the same name (a plain call's others are empty).
_PLAIN_FIELDS: Final = tuple(name for name in FLAT_TYPES if name not in ("at", "attempts", *EVIDENCE_COLUMNS))
_plain_fields: Final = operator.attrgetter(*_PLAIN_FIELDS)


def verified(ledger: Any) -> None:
    """Raise :class:`~dncguard.errors.CorruptLedgerError` naming ``ledger``'s file when it does
    not verify (:meth:`dncguard.Ledger.verify`): a changed ledger's entries prove nothing (a
    decision rewritten to today's answer, a placed call removed from what the caps count)."""
    report = ledger.verify()
    if not report.ok:
        raise CorruptLedgerError(
            f"the ledger does not verify (first bad entry: {report.first_bad_seq}; {report.message}):"
            " not replayed; see dncguard ledger verify",
            path=ledger.path,
        )


def replay(
    guard: Guard,
    entries: Iterable[LedgerEntry] | Ledger,
    *,
    bulk: bool = True,
    tuning: Tuning | None = None,
    verify: bool = True,
) -> pa.Table:
    """The entries whose answer changes when ``guard``'s rules decide them again against the
    registry version each was decided on (see the module docstring).

    ``entries``: ledger entries (``ledger.entries()``), or a :class:`~dncguard.Ledger`, whose
    entries are replayed. The ledger given, and the guard's own (``Guard(registry,
    ledger=...)``, whose placed calls the caps count), are verified first, and one that does not
    verify raises :class:`~dncguard.errors.CorruptLedgerError` before anything is decided, as
    ``dncguard replay`` refuses it; ``verify=False`` skips that (entries already verified).
    Entries given as an iterable come from a ledger this function cannot see: verify it first.

    Entries are read ``tuning.chunk`` at a time and grouped by registry version: each version
    among them is made once (newest first, each from the next newer), then its entries are
    decided together. ``bulk=False`` decides every entry with ``Guard.check`` (the reference the
    bulk path, which gives the same answers, is tested against). ``tuning``: a :class:`Tuning`
    (how the work is divided, never the answers)."""
    from dncguard.guard import Guard
    from dncguard.ledger import Ledger

    tune = resolve(tuning)

    registry: Any = guard.registry
    ledger = getattr(guard, "ledger", None)
    given = entries if isinstance(entries, Ledger) else None
    if verify:
        for each in {id(x): x for x in (given, ledger) if x is not None}.values():
            verified(each)
    read = entries.entries() if isinstance(entries, Ledger) else entries
    rows: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    it = iter(read)
    carried: tuple[str, Any] | None = None  # the oldest version the previous chunk built
    while chunk := list(itertools.islice(it, tune.chunk)):
        # the entries listed: position -> (new allowed or None, new codes or None, problem)
        outcome: dict[int, tuple[bool | None, list[str] | None, str | None]] = {}
        # a ledger of decisions only (``dncguard check --ledger``) has no placed call to count
        placed_from = ledger if ledger is not None and ledger._any_placed() else None
        wanted: dict[str, list[int]] = {}
        for pos, entry in enumerate(chunk):
            registry_id = getattr(entry.decision, "registry_id", None)
            if not isinstance(registry_id, str) or not registry_id:
                outcome[pos] = (None, None, NO_REGISTRY_ID)
            elif (found := wanted.get(registry_id)) is not None:
                found.append(pos)
            else:
                wanted[registry_id] = [pos]
        for registry_id, past in _versions(registry, wanted, carried, tune):
            if past is None:
                for pos in wanted[registry_id]:
                    outcome[pos] = (None, None, NOT_IN_HISTORY)
                continue
            carried = (registry_id, past)
            again = Guard(
                past,
                on_stale=guard.on_stale,
                ebr_anniversary=guard.ebr_anniversary,
                jurisdictions=guard.jurisdictions,
                missing_state_lists=guard.missing_state_lists,
            )
            positions = wanted[registry_id]
            calls = {pos: _with_placed(placed_from, chunk[pos]) for pos in positions}
            by_check = positions
            if bulk and len(positions) >= tune.bulk_from:
                table, fit, unfit = _flatten([calls[pos] for pos in positions])
                if table is not None:
                    try:
                        allowed, codes = _decide_in_bulk(again, table)
                    except DncguardError:  # say it as check does, naming the call (not a table row)
                        pass
                    else:
                        by_check = [positions[i] for i in unfit]
                        _compare(chunk, [positions[i] for i in fit], allowed, codes, outcome)
            for pos in by_check:
                decision = again.check(calls[pos])
                _compare(chunk, [pos], [decision.allowed], [_codes(decision)], outcome)
            del past, again, calls
        if ledger is None:
            for pos, (new_allowed, _, problem) in list(outcome.items()):
                # allowed now only because no placed call was counted: not an answer to list
                if problem is None and new_allowed and "frequency_cap" in _codes(chunk[pos].decision):
                    outcome[pos] = (None, None, CAPS_NOT_COUNTED)
        for pos in sorted(outcome):
            entry = chunk[pos]
            new_allowed, new_codes, problem = outcome[pos]
            old = entry.decision
            registry_id = getattr(old, "registry_id", None)
            rows["seq"].append(entry.seq)
            rows["number"].append(old.number)
            rows["at"].append(entry.call.at)
            rows["registry_id"].append(registry_id if isinstance(registry_id, str) and registry_id else None)
            rows["old_allowed"].append(old.allowed)
            rows["new_allowed"].append(new_allowed)
            rows["old_reasons"].append(_codes(old))
            rows["new_reasons"].append(new_codes)
            rows["problem"].append(problem)
    return pa.table(rows, schema=SCHEMA)


def _with_placed(ledger: Any, entry: Any) -> Any:
    """``entry``'s call with the calls ``ledger`` recorded as placed before it (same number,
    seller and purpose, in the longest cap window before the call) added to its ``attempts``:
    what its frequency caps counted when it was decided (``ledger`` None: the call as recorded)."""
    call = entry.call
    if ledger is None:
        return call
    from dncguard._ledger._format import from_us, us
    from dncguard._seller import normalize_seller
    from dncguard.facts import cap_windows
    from dncguard.numbers import parse_number

    try:
        number = parse_number(call.to)
    except DncguardError:
        return call  # decided invalid again: no cap counts
    at = us(call.at)
    longest = max(minutes for minutes, _ in cap_windows()) * 60_000_000
    placed = ledger._placed_before_us(
        number, normalize_seller(call.seller), call.purpose, at - longest, at, entry.seq
    )
    if not placed:
        return call
    return call.model_copy(update={"attempts": (*call.attempts, *(from_us(t) for t in placed))})


def _compare(
    chunk: list[Any],
    positions: list[int],
    allowed: list[bool],
    codes: list[list[str]],
    outcome: dict[int, tuple[bool | None, list[str] | None, str | None]],
) -> None:
    """Each entry of ``chunk`` at ``positions`` whose recorded answer differs from its new one
    (``allowed``, sorted distinct ``codes``) into ``outcome``."""
    for pos, new_allowed, new_codes in zip(positions, allowed, codes, strict=True):
        old = chunk[pos].decision
        if new_allowed != old.allowed or new_codes != _codes(old):
            outcome[pos] = (new_allowed, new_codes, None)


def _versions(
    registry: Any, ids: dict[str, list[int]], carried: tuple[str, Any] | None, tuning: Tuning
) -> Iterator[tuple[str, Any]]:
    """``(id, registry.as_of(id))`` for each id (``None``: not in the history kept), newest first.

    ``carried``: the oldest version the previous chunk built, ``(id, registry)``: the ids it
    holds in its history (itself and older versions) are derived from it rather than from today
    (a ledger written in order mostly asks a chunk for the versions around where the last one
    ended)."""
    versions = getattr(registry, "_versions", None)
    if versions is None:
        for registry_id in ids:  # a registry-like object: as_of one by one
            try:
                yield registry_id, registry.as_of(registry_id)  # its own tuning, if any
            except HistoryError:
                yield registry_id, None
        return
    if carried is None:
        yield from versions(ids, tuning)
        return
    # ``carried._versions`` yields first every id it does not hold (newer than it, or of no
    # version kept), then builds the ones it holds, newest first, as they are asked for
    derived = carried[1]._versions(ids, tuning)
    newer: list[str] = []
    for registry_id, version in derived:
        if version is not None:
            if newer:
                yield from versions(newer, tuning)
            yield registry_id, version
            yield from derived
            return
        newer.append(registry_id)
    yield from versions(newer, tuning)
