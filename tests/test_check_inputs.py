"""What ``Guard.check`` takes: the flat evidence fields of a table row in a dict (one vocabulary
for both front ends), and invalid calls as ``InvalidCallError`` naming the field; rows counted
from 1 in ``Guard.scrub`` errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings

from dncguard import CallColumnError, DncguardError, Guard, InvalidCallError
from dncguard._flatcall import FLAT_TYPES as _FLAT_TYPES
from dncguard.cli._batches import _flat_row
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry
from strategies import calls

AT = "2026-03-16T14:00:00-04:00"
OBTAINED = dt.date(2026, 3, 10)
LISTED = "212-555-0199"
GUARD = Guard(
    Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    np.array([2125550199, 3055550100], np.uint64),
                    coverage={212: OBTAINED, 305: OBTAINED},
                    obtained=OBTAINED,
                )
            ],
            [Chunk(LayerKey.internal("acme"), Op.REPLACE, np.array([2125550143], np.uint64))],
        ]
    )
)
CALL = {"to": LISTED, "at": AT, "seller": "acme"}


def test_flat_evidence_in_a_dict_means_what_it_means_in_a_table() -> None:
    assert not GUARD.check(CALL).allowed
    cases = [
        ({"last_purchase": "2025-12-01"}, True, "ebr_purchase"),
        ({"last_inquiry": "2026-02-01"}, True, "ebr_inquiry"),
        ({"contract_on": "2024-01-01"}, True, "ebr_contract"),
        ({"contract_on": "2020-01-01", "contract_ends": "2021-01-01"}, False, None),
        ({"consent_kind": "written", "consent_on": "2026-01-01"}, True, "consent"),
        (
            {"consent_kind": "written", "consent_on": "2026-01-01", "consent_revoked_on": "2026-02-01"},
            False,
            None,
        ),
        ({"consent_kind": "verbal", "consent_on": "2026-01-01"}, False, None),
        ({"last_purchase": "2025-12-01", "dnc_requested_on": "2026-01-02"}, False, None),
        ({"last_purchase": None}, False, None),
    ]
    for flat, allowed, exemption in cases:
        d = GUARD.check({**CALL, **flat})
        assert d.allowed is allowed, flat
        if exemption:
            assert [e.code.value for e in d.exemptions] == [exemption], flat
        out = GUARD.scrub(pa.table({k: [v] for k, v in {**CALL, **flat}.items()}))
        assert out.column("allowed").to_pylist() == [allowed], flat


def test_flat_and_nested_evidence_combine() -> None:
    """Both given: the flat fields add one relationship / consent / request of the call's seller
    to the nested lists."""
    request = {"on": "2026-01-02"}
    d = GUARD.check({**CALL, "last_purchase": "2025-12-01", "dnc_requests": [request]})
    assert not d.allowed
    d = GUARD.check(
        {**CALL, "dnc_requested_on": "2026-01-02", "consents": [{"kind": "written", "on": "2026-02-01"}]}
    )
    assert d.allowed
    d = GUARD.check(
        {**CALL, "last_inquiry": "2020-01-01", "relationships": [{"kind": "purchase", "on": "2025-12-01"}]}
    )
    assert d.allowed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls())
def test_a_flat_row_as_a_dict_decides_as_the_call(call) -> None:  # type: ignore[no-untyped-def]
    row = _flat_row(call, call.to)
    assert row is not None
    flat = dict(zip(_FLAT_TYPES, row, strict=True))
    flat["at"] = call.at
    assert GUARD.check(flat) == GUARD.check(call)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"at": "2026-03-16T14:00:00"}, "at"),
        ({"purpose": "robbery"}, "purpose"),
        ({"seller": "  "}, "seller"),
        ({"last_purchase": "soon"}, "last_purchase"),
        ({"contract_on": "2024-01-01", "contract_ends": "never"}, "contract_ends"),
        ({"consent_kind": "written"}, "consent_on"),
        ({"consent_on": "2026-01-01"}, "consent_kind"),
        ({"consent_kind": "nodded", "consent_on": "2026-01-01"}, "consent_kind"),
        ({"relationships": [{"kind": "purchase", "onn": "2025-01-01"}]}, "relationships.0.onn"),
        ({"dnc_request_on": "2026-01-01"}, "dnc_request_on"),
    ],
)
def test_an_invalid_call_names_the_field(fields: dict[str, object], field: str) -> None:
    for check in (GUARD.check, lambda c: GUARD.check_many([c])):
        with pytest.raises(InvalidCallError) as e:
            check({**CALL, **fields})
        assert e.value.field == field
        assert isinstance(e.value, ValueError)
        assert isinstance(e.value, DncguardError)
        assert field in str(e.value)


def test_a_misspelt_key_says_what_it_is_close_to() -> None:
    with pytest.raises(InvalidCallError, match="did you mean 'dnc_requested_on'"):
        GUARD.check({**CALL, "dnc_request_on": "2026-01-01"})


def test_pydantic_error_is_the_cause() -> None:
    with pytest.raises(InvalidCallError) as e:
        GUARD.check({**CALL, "at": "2026-03-16T14:00:00"})
    assert isinstance(e.value.__cause__, pydantic.ValidationError)


def test_scrub_counts_rows_from_1_over_the_whole_stream() -> None:
    table = pa.table(
        {"to": [LISTED] * 3, "at": [AT] * 3, "seller": ["acme"] * 3, "purpose": ["sale", "sale", "robbery"]}
    )
    with pytest.raises(CallColumnError, match="row 3") as e:
        GUARD.scrub(table)
    assert e.value.row == 3
    batches = [table.slice(0, 2).to_batches()[0], table.slice(2).to_batches()[0]]
    with pytest.raises(CallColumnError) as e:
        list(GUARD.scrub_batches(batches, threads=1))
    assert e.value.row == 3


def test_a_misspelt_evidence_key_suggests_the_key() -> None:
    rel = {"kind": "purchase", "onn": "2025-12-01"}
    with pytest.raises(InvalidCallError, match="did you mean 'on'") as e:
        GUARD.check({**CALL, "relationships": [rel]})
    assert e.value.field == "relationships.0.onn"
    consent = {"kind": "written", "on": "2025-12-01", "revoke_on": "2026-01-01"}
    with pytest.raises(InvalidCallError, match="did you mean 'revoked_on'"):
        GUARD.check({**CALL, "consents": [consent]})
