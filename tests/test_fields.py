"""Near-miss call columns (RULES §6.17): a column close to a call field is an error naming both
spellings, in ``Guard.scrub`` and for a record's keys; other columns pass through."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from dncguard import Guard
from dncguard._fields import EVIDENCE_KEYS, TABLE_FIELDS, call_columns, near_miss
from dncguard.errors import CallColumnError
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

AT = "2026-03-16T14:00:00-04:00"
OBTAINED = dt.date(2026, 3, 10)
GUARD = Guard(
    Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    np.array([2125550199], np.uint64),
                    coverage={212: OBTAINED},
                    obtained=OBTAINED,
                )
            ]
        ]
    )
)

# Columns a CRM export commonly has: none is a call field, none is close to one.
_CRM = """
    id name first_name last_name full_name email phone phone_type phone_number mobile notes
    comments company address city state zip zipcode postal_code country status source
    lead_source owner created_at updated_at created_on lead_id account account_id campaign
    campaign_id agent title date score tags stage type fax website industry customer_id
    contact_id opt_in dob language description priority contract_no contract_id seller_id
    caller_id time timestamp list_id batch row index amount balance gender age dealer
    sender region region_code area_code ext extension timezone tz Name Email Phone ID
"""
CRM_COLUMNS = tuple(_CRM.split())

MISSES = {
    "dnc_request_on": "dnc_requested_on",
    "dnc_requested": "dnc_requested_on",
    "DNC Requested On": "dnc_requested_on",
    "consent-kind": "consent_kind",
    "ConsentOn": "consent_on",
    "lastpurchase": "last_purchase",
    "last_purchased": "last_purchase",
    "last_inquiry_date": "last_inquiry",
    "contract_end": "contract_ends",
    "contract_date": "contract_on",
    "reasigned_on": "reassigned_on",
    "callee_timezon": "callee_timezone",
    "prerecord": "prerecorded",
    "Seller": "seller",
    "sellers": "seller",
    "purpse": "purpose",
    "To": "to",
    "consent_revoked": "consent_revoked_on",
}


def test_common_crm_columns_pass_through() -> None:
    assert call_columns(CRM_COLUMNS) == CRM_COLUMNS
    assert [n for n in CRM_COLUMNS if near_miss(n, TABLE_FIELDS)] == []


@pytest.mark.parametrize(("name", "field"), sorted(MISSES.items()))
def test_a_near_miss_names_both_spellings(name: str, field: str) -> None:
    assert near_miss(name, TABLE_FIELDS) == field
    with pytest.raises(CallColumnError, match=f"did you mean {field!r}") as e:
        call_columns([*CRM_COLUMNS[:3], name])
    assert e.value.column == name


def test_call_files_match_case_but_not_two_columns_for_one_field() -> None:
    assert call_columns(["Seller", " TO ", "notes"], fold_case=True) == ("notes",)
    with pytest.raises(CallColumnError, match="two columns give 'seller'"):
        call_columns(["seller", "Seller"], fold_case=True)


@pytest.mark.parametrize("nested", ["relationships", "consents", "dnc_requests"])
def test_a_table_cannot_hold_a_nested_evidence_list(nested: str) -> None:
    with pytest.raises(CallColumnError, match="flat columns"):
        call_columns(["to", nested])


def test_scrub_refuses_a_near_miss_and_passes_other_columns_through() -> None:
    table = pa.table(
        {
            "to": ["212-555-0199"],
            "at": [AT],
            "seller": ["acme"],
            "dnc_request_on": ["2026-01-01"],
        }
    )
    with pytest.raises(CallColumnError, match="did you mean 'dnc_requested_on'") as e:
        GUARD.scrub(table)
    assert e.value.column == "dnc_request_on"
    with pytest.raises(CallColumnError, match="did you mean"):
        list(GUARD.scrub_batches(table.to_batches()))
    ok = table.rename_columns(["to", "at", "seller", "notes"]).append_column("id", pa.array([7]))
    out = GUARD.scrub(ok)
    assert out.column("notes").to_pylist() == ["2026-01-01"]
    assert out.column("id").to_pylist() == [7]
    assert out.column("reason").to_pylist() == ["national_registry"]


def test_scrub_suggests_a_default_for_a_misspelt_keyword() -> None:
    with pytest.raises(TypeError, match="did you mean seller=") as e:
        GUARD.scrub(pa.table({"to": ["212-555-0199"], "at": [AT]}), sellers="acme")
    assert "sellers" in str(e.value)


def test_evidence_keys() -> None:
    assert set(EVIDENCE_KEYS) >= {"kind", "on", "ends", "seller", "number", "revoked_on"}
    assert near_miss("revoke_on", EVIDENCE_KEYS) == "revoked_on"
