"""A :class:`~dncguard.models.Call` as the flat columns ``Guard.scrub`` takes (docs/calls.md),
for the paths that hold calls but decide them in bulk: the command line's JSON call files and
replay. One definition, so both put a call into a table the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

import pyarrow as pa
import pydantic_core

from dncguard._seller import normalize_seller
from dncguard.models import EVIDENCE_COLUMNS, Call

FIXED_OFFSETS: Final = (dt.timezone, pydantic_core.TzInfo)
"""The time zones of an ``at`` read from ISO 8601 text or ``--at``: a fixed UTC offset (written
back as text in that offset, the bulk path reads it with the same meaning)."""

FLAT_TYPES: Final[dict[str, pa.DataType]] = {
    "to": pa.string(),
    "at": pa.string(),
    "seller": pa.string(),
    "caller": pa.string(),
    "purpose": pa.string(),
    "line": pa.string(),
    "prerecorded": pa.bool_(),
    "callee_region": pa.string(),
    "callee_timezone": pa.string(),
    "reassigned_on": pa.date32(),
    "channel": pa.string(),
    "automated": pa.bool_(),
    "attempts": pa.list_(pa.timestamp("us", tz="UTC")),
    **{name: pa.string() if name == "consent_kind" else pa.date32() for name in EVIDENCE_COLUMNS},
}
"""The columns a call becomes, in order."""


def flat_row(call: Call) -> tuple[Any, ...] | None:
    """``call`` as the values of :data:`FLAT_TYPES` in order, ``at`` as ISO 8601 text in its own
    offset; None where the flat columns cannot hold it exactly (decide it with ``check``):
    evidence beyond one relationship of each kind, one consent and one request, all the call's
    seller's; a consent for another number; an offset that is not a whole minute."""
    offset = call.at.utcoffset()
    if not isinstance(call.at.tzinfo, FIXED_OFFSETS) or offset is None:
        return None
    if offset % dt.timedelta(minutes=1) or len(call.consents) > 1 or len(call.dnc_requests) > 1:
        return None
    seller = normalize_seller(call.seller)

    def theirs(name: str | None) -> bool:  # evidence without a seller is the call's seller's
        return name is not None and normalize_seller(name) != seller

    on: dict[str, dt.date] = {}
    ends: dict[str, dt.date | None] = {}
    for rel in call.relationships:
        lasting = rel.kind in ("contract", "membership")
        if theirs(rel.seller) or rel.kind in on or (not lasting and rel.ends is not None):
            return None
        on[rel.kind] = rel.on
        if lasting:
            ends[rel.kind] = rel.ends
    consent_kind = consent_on = consent_revoked_on = None
    for consent in call.consents:
        if theirs(consent.seller) or consent.number is not None:
            return None
        consent_kind, consent_on, consent_revoked_on = consent.kind, consent.on, consent.revoked_on
    requested = None
    for request in call.dnc_requests:
        if theirs(request.seller):
            return None
        requested = request.on
    return (
        call.to,
        call.at.isoformat(),
        call.seller,
        call.caller,
        call.purpose,
        call.line,
        call.prerecorded,
        call.callee_region,
        call.callee_timezone,
        call.reassigned_on,
        call.channel,
        call.automated,
        [a.astimezone(dt.UTC) for a in call.attempts],
        on.get("purchase"),
        on.get("inquiry"),
        on.get("contract"),
        ends.get("contract"),
        consent_kind,
        consent_on,
        consent_revoked_on,
        requested,
        on.get("donation"),
        on.get("membership"),
        ends.get("membership"),
    )


def flat_table(rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    """Rows of :func:`flat_row` as a table of :data:`FLAT_TYPES`."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(FLAT_TYPES)
    return pa.table(
        {
            name: pa.array(values, kind)
            for (name, kind), values in zip(FLAT_TYPES.items(), columns, strict=True)
        }
    )
