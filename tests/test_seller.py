"""One seller however written (RULES §6.13): calls, internal lists and evidence compare seller
names trimmed, with inner whitespace collapsed, and case-folded, in ``Guard.check`` and
``Guard.scrub`` alike, and in an index written before names were normalised."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dncguard import Call, Guard
from dncguard._flatcall import FLAT_TYPES as _FLAT_TYPES
from dncguard._seller import normalize_seller
from dncguard.cli._batches import _flat_row
from dncguard.index import BlockIndex
from dncguard.layers import Chunk, Layer, LayerKey, Op
from dncguard.registry import Registry
from dncguard.sources import internal
from strategies import calls, seller_spellings

OBTAINED = dt.date(2026, 3, 10)
AT = "2026-03-16T14:00:00-04:00"
OPTED_OUT = 2125550143
SELLERS = ("Acme", "Straße Vertrieb", "Ünïcorn  Ltd.")
NUMBERS = [f"212-555-01{i:02d}" for i in range(40, 50)] + ["305-555-0100", "416-555-0199"]


def _registry() -> Registry:
    ftc = Chunk(
        LayerKey.national("US"),
        Op.REPLACE,
        np.array([2125550144, 2125550145, 3055550100], np.uint64),
        coverage={212: OBTAINED, 305: OBTAINED},
        obtained=OBTAINED,
    )
    lists = [
        Chunk(
            LayerKey.internal(name),
            Op.REPLACE,
            np.array([OPTED_OUT, 2125550146, 2125550147], np.uint64),
            dates=np.array(["2026-01-05", "NaT", "2026-03-20"], "datetime64[D]"),
        )
        for name in SELLERS
    ]
    return Registry.build([[ftc], *([c] for c in lists)])


GUARD = Guard(_registry())


def test_normalize_seller() -> None:
    assert normalize_seller(" Acme ") == normalize_seller("ACME") == normalize_seller("acme") == "acme"
    assert normalize_seller("Acme\t  Corp") == "acme corp"
    assert normalize_seller("STRASSE") == normalize_seller("Straße") == "strasse"
    assert normalize_seller("Cafe\u0301") == normalize_seller("CAFÉ")  # decomposed and composed
    assert normalize_seller("Acme Inc.") != normalize_seller("Acme")


def test_layer_names_are_normalised() -> None:
    assert LayerKey.internal(" ACME ").name == "internal:acme"
    with pytest.raises(ValueError, match="non-empty"):
        LayerKey.internal("   ")


@pytest.mark.parametrize("spelling", ["Acme", " acme ", "ACME", "aCmE\t"])
def test_a_call_from_any_spelling_meets_the_internal_list(spelling: str) -> None:
    d = GUARD.check({"to": "212-555-0143", "at": AT, "seller": spelling})
    assert not d.allowed
    assert [r.code.value for r in d.reasons] == ["internal_list"]
    out = GUARD.scrub(pa.table({"to": ["212-555-0143"], "at": [AT], "seller": [spelling]}))
    assert out.column("reason").to_pylist() == ["internal_list"]
    out = GUARD.scrub(pa.table({"to": ["212-555-0143"], "at": [AT]}), seller=spelling)
    assert out.column("reason").to_pylist() == ["internal_list"]


def test_evidence_naming_the_seller_in_another_spelling_counts() -> None:
    call = {"to": "212-555-0144", "at": AT, "seller": "acme"}
    assert not GUARD.check(call).allowed
    rel = {"kind": "purchase", "on": "2025-12-01", "seller": " ACME "}
    assert GUARD.check({**call, "relationships": [rel]}).allowed
    consent = {"kind": "written", "on": "2025-12-01", "seller": "Acme"}
    assert GUARD.check({**call, "consents": [consent]}).allowed
    request = {"on": "2026-03-01", "seller": "ACME"}
    d = GUARD.check({**call, "to": "212-555-0100", "dnc_requests": [request]})
    assert [r.code.value for r in d.reasons] == ["internal_list"]
    # another seller's evidence still does not count
    assert not GUARD.check({**call, "relationships": [{**rel, "seller": "acme2"}]}).allowed


def test_an_internal_list_file_with_mixed_spellings_is_one_list(tmp_path) -> None:
    path = tmp_path / "optouts.csv"
    path.write_text("number,seller\n2125550143,Acme\n2125550144, acme \n2125550145,ACME\n2125550146,beta\n")
    chunks = list(internal(path))
    names = sorted({c.layer.name for c in chunks})
    assert names == ["internal:acme", "internal:beta"]
    acme = np.concatenate([c.numbers for c in chunks if c.layer.name == "internal:acme"])
    assert sorted(acme.tolist()) == [2125550143, 2125550144, 2125550145]
    # a file read for seller "ACME" takes the rows of " acme " and "Acme" as its own
    one = tmp_path / "one.csv"
    one.write_text("number,seller\n2125550143,Acme\n2125550144, acme \n")
    assert {c.layer.name for c in internal(one, seller="ACME")} == {"internal:acme"}


def _old_index(tmp_path, sellers: tuple[str, ...]):
    """An index as code before seller normalisation wrote it: layers named ``internal:Acme``."""
    layers, indexes = [], []
    for name in sellers:
        ix = BlockIndex.empty().edit(
            adds=np.array([OPTED_OUT], np.uint64),
            add_dates=np.array([np.datetime64("NaT", "D").view(np.int64)]),
        )
        layers.append(Layer(f"internal:{name}", "internal", None, name, None, {}, ix.count))
        indexes.append(ix)
    path = tmp_path / "old.dncg"
    Registry(layers, indexes).save(path)
    return path


def test_an_index_written_before_normalisation_still_matches(tmp_path) -> None:
    registry = Registry.open(_old_index(tmp_path, ("Acme",)))
    assert [layer.name for layer in registry.layers] == ["internal:acme"]
    d = Guard(registry).check({"to": "212-555-0143", "at": AT, "seller": "acme"})
    assert "internal_list" in [r.code.value for r in d.reasons]
    out = Guard(registry).scrub(pa.table({"to": ["212-555-0143"], "at": [AT], "seller": [" ACME"]}))
    assert "internal_list" in out.column("reasons").to_pylist()[0]


def test_an_old_index_with_one_seller_twice_is_refused_by_name(tmp_path) -> None:
    from dncguard.errors import CorruptIndexError

    with pytest.raises(CorruptIndexError, match="one seller"):
        Registry.open(_old_index(tmp_path, ("ACME", "Acme")))


def _flat_table(call_list: list[Call]) -> pa.Table:
    rows = [_flat_row(c, c.to) for c in call_list]
    assert all(r is not None for r in rows)
    columns = list(zip(*rows, strict=True))
    return pa.table({n: pa.array(v, t) for (n, t), v in zip(_FLAT_TYPES.items(), columns, strict=True)})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.lists(calls(), min_size=1, max_size=6))
def test_any_spelling_of_the_seller_gives_the_same_decision(data: st.DataObject, base: list[Call]) -> None:
    """check and scrub, with the seller as a column or a ``seller=`` default, and evidence naming
    the seller in yet another spelling: the decisions are those of the canonical spelling."""
    seller = data.draw(st.sampled_from(SELLERS))
    canonical, variants = [], []
    for call in base:
        to = data.draw(st.sampled_from(NUMBERS))
        c = call.model_copy(update={"seller": seller, "to": to})
        canonical.append(c)
        spelt = data.draw(seller_spellings(seller))
        assert normalize_seller(spelt) == normalize_seller(seller)
        variants.append(c.model_copy(update={"seller": spelt}))
    want = [GUARD.check(c) for c in canonical]
    assert [GUARD.check(v) for v in variants] == want
    # evidence naming the seller explicitly, spelt otherwise
    named = [
        v.model_copy(
            update={
                "relationships": tuple(
                    r.model_copy(update={"seller": data.draw(seller_spellings(seller))})
                    for r in v.relationships
                ),
                "consents": tuple(
                    x.model_copy(update={"seller": data.draw(seller_spellings(seller))}) for x in v.consents
                ),
            }
        )
        for v in variants
    ]
    assert [GUARD.check(v) for v in named] == want
    out = GUARD.scrub(_flat_table(variants))
    assert out.column("allowed").to_pylist() == [d.allowed for d in want]
    assert out.column("reasons").to_pylist() == [[r.code.value for r in d.reasons] for d in want]
    one = data.draw(seller_spellings(seller))
    out = GUARD.scrub(_flat_table(canonical).drop_columns(["seller"]), seller=one)
    assert out.column("reasons").to_pylist() == [[r.code.value for r in d.reasons] for d in want]
