"""Provenance: every decision names the registry it was made on and the lists it depended on."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

import dncguard
from dncguard import Consulted, Decision, Guard
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

AT = "2026-03-16T18:00:00Z"
FTC = Chunk(
    LayerKey.national("US"),
    Op.REPLACE,
    np.array([2125550143, 5125550143], np.uint64),
    coverage={212: dt.date(2026, 3, 10), 512: dt.date(2026, 3, 2)},
    obtained=dt.date(2026, 3, 2),
)
TEXAS = Chunk(
    LayerKey.state("US-TX"), Op.REPLACE, np.array([5125550144], np.uint64), obtained=dt.date(2026, 3, 1)
)
ACME = Chunk(
    LayerKey.internal("acme"),
    Op.REPLACE,
    np.array([2125550150], np.uint64),
    dates=np.array(["NaT"], dtype="datetime64[D]"),
)
REGISTRY = Registry.build([[FTC], [TEXAS], [ACME]])
GUARD = Guard(REGISTRY)


def check(to: str, seller: str = "acme", **fields: object) -> Decision:
    return GUARD.check({"to": to, "at": AT, "seller": seller, **fields})


def test_a_decision_names_its_registry_and_every_list_it_depended_on() -> None:
    d = check("512-555-0144")
    assert d.registry_id == REGISTRY.id
    assert d.registry_id.startswith("dncg:")
    assert d.consulted == (
        Consulted(layer="us-ftc", jurisdiction="US", obtained=dt.date(2026, 3, 2), listed=False),
        Consulted(layer="us-tx", jurisdiction="US-TX", obtained=dt.date(2026, 3, 1), listed=True),
        Consulted(layer="internal:acme", jurisdiction="US", obtained=None, listed=False),
    )
    assert Decision.model_validate(d.model_dump(mode="json")) == d


def test_the_national_date_is_the_called_area_codes() -> None:
    d = check("212-555-0143")
    assert d.consulted[0] == Consulted(
        layer="us-ftc", jurisdiction="US", obtained=dt.date(2026, 3, 10), listed=True
    )


def test_a_list_that_applies_but_is_not_loaded_has_no_date_and_no_answer() -> None:
    # Florida keeps its own list, not loaded here; 305 is not covered by the national copy.
    d = check("305-555-0100")
    assert Consulted(layer="us-ftc", jurisdiction="US", obtained=None, listed=None) in d.consulted
    assert Consulted(layer="us-fl", jurisdiction="US-FL", obtained=None, listed=None) in d.consulted


def test_sellers_compare_trimmed_and_case_folded_and_a_seller_without_a_list_shows() -> None:
    assert check("212-555-0150", seller=" ACME ").consulted[-1] == Consulted(
        layer="internal:acme", jurisdiction="US", obtained=None, listed=True
    )
    assert check("212-555-0150", seller="Acme Inc").consulted[-1] == Consulted(
        layer="internal:acme inc", jurisdiction="US", obtained=None, listed=None
    )


def test_without_internal_lists_no_internal_list_is_listed() -> None:
    d = Guard(Registry.build([[FTC]])).check({"to": "212-555-0150", "at": AT, "seller": "acme"})
    assert [c.layer for c in d.consulted] == ["us-ftc"]


def test_an_invalid_number_has_the_registry_and_no_lists() -> None:
    d = check("876-555-0100")
    assert (d.registry_id, d.consulted) == (REGISTRY.id, ())
    d = check("not a number")
    assert (d.registry_id, d.consulted) == (REGISTRY.id, ())


def test_a_jurisdiction_left_out_is_not_consulted() -> None:
    d = Guard(REGISTRY, jurisdictions=("US",)).check({"to": "512-555-0144", "at": AT, "seller": "acme"})
    assert [c.layer for c in d.consulted] == ["us-ftc", "internal:acme"]


def test_scrub_adds_provenance_columns_only_when_asked() -> None:
    table = pa.table({"to": ["512-555-0144", "876-555-0100", "212-555-0150"]})
    plain = GUARD.scrub(table, at=dt.datetime(2026, 3, 16, 18, tzinfo=dt.UTC), seller="acme")
    assert "consulted" not in plain.column_names
    assert "registry_id" not in plain.column_names
    out = GUARD.scrub(table, at=dt.datetime(2026, 3, 16, 18, tzinfo=dt.UTC), seller="acme", provenance=True)
    consulted_type = out.schema.field("consulted").type
    assert [(f.name, f.type) for f in consulted_type.value_type] == [
        ("layer", pa.string()),
        ("jurisdiction", pa.string()),
        ("obtained", pa.date32()),
        ("listed", pa.bool_()),
    ]
    assert out.column("registry_id").to_pylist() == [REGISTRY.id] * 3
    consulted = out.column("consulted").to_pylist()
    for to, row in zip(table.column("to").to_pylist(), consulted, strict=True):
        assert row == [c.model_dump() for c in check(to).consulted]
    # a re-scrub replaces the columns rather than adding a second pair
    again = GUARD.scrub(out, at=dt.datetime(2026, 3, 16, 18, tzinfo=dt.UTC), seller="acme", provenance=True)
    assert again.column_names.count("consulted") == 1


def test_consulted_is_exported() -> None:
    assert dncguard.Consulted is Consulted
