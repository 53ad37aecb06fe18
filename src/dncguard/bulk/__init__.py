"""Bulk scrubbing: decide whole Arrow tables of calls with the same policy as ``Guard.check``.

A pipeline asks about millions of rows; a dialer about one call. Both must get the same answer,
so this module holds no law: it computes, for whole columns at once with numpy and pyarrow, the
same *facts* that ``Guard.check`` computes for one call (the number and its area code, which
layers list it, how old the registry copy is, the local weekday and minute in every candidate
zone, which relationship, consent or request applies), reduces the rows to the few distinct
decision-relevant combinations of facts, asks the policy once per combination, and broadcasts
the answers back to the rows. No Python runs per row.

Input columns (docs/calls.md): ``to`` (string or integer), any scalar
:class:`~dncguard.Call` field (``at``, ``seller``, ``caller``, ``purpose``, ``line``,
``prerecorded``, ``callee_region``, ``callee_timezone``, ``reassigned_on``) and the evidence as
flat nullable columns (``last_purchase``, ``last_inquiry``, ``contract_on``, ``contract_ends``,
``consent_kind``, ``consent_on``, ``consent_revoked_on``, ``dnc_requested_on``, and for a
charity ``last_donation``, ``membership_on``, ``membership_ends``), all of it the call's seller's.
A column that is not a call field but is close to one (``dnc_request_on``) is
a ``CallColumnError`` naming both spellings; other columns pass through. A missing column takes
the keyword default given to ``scrub``, else the Call
default; a null cell in a column with a default takes that default too. ``seller`` and ``at``
have no Call default. Output: the input columns plus ``allowed``, ``reason`` (the first blocking
code, null when allowed), ``reasons`` and ``next_allowed_at`` (UTC).

The modules, in the order a batch flows through them:

- ``_columns``: column checks (each call column read, validated and typed);
- ``_engine``, ``_place``: the Guard's layers and area codes, and where each call goes;
- ``_clock``: which time rules pass at each UTC minute, per zone;
- ``_evidence``: day offsets and masks from the facts' day numbers (the evidence rules are in
  :mod:`dncguard.facts`);
- ``_grouping``: rows reduced to their distinct combinations of facts (``_GroupKey``);
- ``_steps``: one batch's first steps (look up, place, clock, registry facts), each a function
  over a small dataclass;
- ``_evidence_keys``: the evidence as day masks, per row that has any;
- ``_verdicts``: the combinations of facts, and one verdict each;
- ``_caps``: frequency caps (the ledger's placed calls, one query per batch);
- ``_next_allowed``: the next minute a clock-blocked call may be made (the policy's tables);
- ``_output``: the decision columns;
- ``_tuning``: how the work is divided (``Tuning``: batch size, clocks, verdict cache);
- ``_scrub``: one batch (the steps in order), and the entry points below.

>>> import datetime as dt, numpy as np, pyarrow as pa
>>> from dncguard.guard import Guard
>>> from dncguard.layers import Chunk, LayerKey, Op
>>> from dncguard.registry import Registry
>>> ftc = Chunk(LayerKey.national("US"), Op.REPLACE, np.array([2125550143], dtype=np.uint64),
...             coverage={212: dt.date(2026, 3, 10)}, obtained=dt.date(2026, 3, 10))
>>> guard = Guard(Registry.build([[ftc]]))
>>> calls = pa.table({
...     "to": ["(212) 555-0143", "212-555-0199", "212 555 0198", "876-555-0100"],
...     "at": ["2026-03-16T14:00:00-04:00", "2026-03-16T14:00:00-04:00",
...            "2026-03-16T21:30:00-04:00", "2026-03-16T14:00:00-04:00"],
... })
>>> out = guard.scrub(calls, seller="acme")
>>> out.column("allowed").to_pylist()
[False, True, False, False]
>>> out.column("reason").to_pylist()
['national_registry', None, 'calling_hours', 'invalid_number']
>>> out.column("next_allowed_at")[2].as_py().isoformat()
'2026-03-17T12:00:00+00:00'
>>> guard.scrub(pa.table({"to": ["212-555-0199"], "purpose": ["robbery"]}), at=dt.datetime(
...     2026, 3, 16, 18, tzinfo=dt.UTC), seller="acme")
Traceback (most recent call last):
...
dncguard.errors.CallColumnError: column 'purpose', row 1: 'robbery' is not one of sale, donation, ...
"""

from dncguard.bulk._clock import local_clock
from dncguard.bulk._grouping import factorize
from dncguard.bulk._output import DECISION_FIELDS, decision_schema
from dncguard.bulk._place import NO_NEXT
from dncguard.bulk._scrub import Decided, coalesce, decide_batches, scrub, scrub_batches
from dncguard.bulk._tuning import Tuning

__all__ = [
    "DECISION_FIELDS",
    "NO_NEXT",
    "Decided",
    "Tuning",
    "coalesce",
    "decide_batches",
    "decision_schema",
    "factorize",
    "local_clock",
    "scrub",
    "scrub_batches",
]
