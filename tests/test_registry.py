"""Registry: layers, build, update semantics, save/open, corruption, and what queries return."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
from collections.abc import Iterable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard.errors import CorruptIndexError, CoverageError, InvalidNumberError
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import MAX_LAYERS, Registry

US = LayerKey.national("US")
CA = LayerKey.national("CA")
TX = LayerKey.state("US-TX")
ACME = LayerKey.internal("acme")
D1, D2, D3 = dt.date(2026, 3, 10), dt.date(2026, 3, 11), dt.date(2026, 3, 12)


def u64(*xs: int) -> np.ndarray:
    return np.array(xs, dtype=np.uint64)


def chunk(key: LayerKey, op: Op, numbers: Iterable[int], **kw: object) -> Chunk:
    return Chunk(key, op, np.array(list(numbers), dtype=np.uint64), **kw)  # type: ignore[arg-type]


def ftc(numbers: Iterable[int], coverage: Iterable[int], day: dt.date = D1) -> list[Chunk]:
    return [chunk(US, Op.REPLACE, numbers, coverage=dict.fromkeys(coverage, day), obtained=day)]


def listed(registry: Registry, name: str) -> set[int]:
    i = [layer.name for layer in registry.layers].index(name)
    return set(registry._indexes[i].numbers().tolist())


# --------------------------------------------------------------------------- layers and queries


def test_layers_are_ordered_national_state_internal_then_by_name(tmp_path: pathlib.Path) -> None:
    sources = [
        [chunk(LayerKey.internal("zed"), Op.REPLACE, [2125550001])],
        [chunk(LayerKey.state("US-FL"), Op.REPLACE, [3055550001], obtained=D1)],
        ftc([2125550001], [212]),
        [chunk(LayerKey.internal("acme"), Op.REPLACE, [2125550001])],
        [chunk(CA, Op.REPLACE, [4165550001], coverage={416: D1})],
        [chunk(TX, Op.REPLACE, [2145550001], obtained=D1)],
    ]
    registry = Registry.build(sources)
    names = ["ca-dncl", "us-ftc", "us-fl", "us-tx", "internal:acme", "internal:zed"]
    assert [layer.name for layer in registry.layers] == names
    assert [layer.name for layer in Registry.build(reversed(sources)).layers] == names
    registry.save(tmp_path / "r.dncg")
    reopened = Registry.open(tmp_path / "r.dncg")
    assert reopened.layers == registry.layers
    assert reopened.membership(u64(2125550001)).tolist() == [0b110010]


def test_lookup_returns_listings_with_request_dates() -> None:
    dates = np.array(["2026-01-05", "NaT"], "datetime64[D]")
    registry = Registry.build(
        [
            ftc([2125550143], [212]),
            [Chunk(ACME, Op.REPLACE, u64(2125550143, 2125550199), dates=dates)],
        ]
    )
    got = registry.lookup(2125550143)
    assert [(x.layer.name, x.on) for x in got] == [("us-ftc", None), ("internal:acme", dt.date(2026, 1, 5))]
    assert [(x.layer.name, x.on) for x in registry.lookup("(212) 555-0199")] == [("internal:acme", None)]
    assert registry.lookup("212-555-0100") == ()
    with pytest.raises(InvalidNumberError):
        registry.lookup(12345)
    with pytest.raises(InvalidNumberError):
        registry.lookup("555-0100")


def test_request_dates_duplicates_keep_the_stricter_date() -> None:
    # the same number requested twice: the later request counts; an undated entry applies always
    numbers = u64(2125550001, 2125550001, 2125550002, 2125550002, 2125550003)
    dates = np.array(["2026-01-01", "2026-02-01", "2026-01-01", "NaT", "2026-03-01"], "datetime64[D]")
    registry = Registry.build([[Chunk(ACME, Op.REPLACE, numbers, dates=dates)]])
    got = registry.request_dates(u64(2125550001, 2125550002, 2125550003, 2125550004), 0)
    assert got.astype(str).tolist() == ["2026-02-01", "NaT", "2026-03-01", "NaT"]
    assert registry.layers[0].count == 3


def test_membership_bits_and_shapes() -> None:
    registry = Registry.build([ftc([2125550001, 2125550002], [212]), [chunk(TX, Op.REPLACE, [2125550002])]])
    masks = registry.membership(np.array([[2125550001, 2125550002], [2125550003, 7]], dtype=np.uint64))
    assert masks.dtype == np.uint64
    assert masks.tolist() == [[1, 3], [0, 0]]
    assert registry.membership(np.array([2125550002], dtype=np.int64)).tolist() == [3]
    assert registry.membership(np.zeros(0, np.uint64)).tolist() == []


def test_coverage_dates_per_area_code() -> None:
    registry = Registry.build([[chunk(US, Op.REPLACE, [2125550001], coverage={212: D1, 646: D2})]])
    layer = registry.layers[0]
    assert dict(layer.area_codes) == {212: D1, 646: D2}
    assert layer.obtained == D1  # the oldest
    got = registry.coverage_dates(np.array([212, 646, 305, -1, 5000]), 0)
    assert got.astype(str).tolist() == ["2026-03-10", "2026-03-11", "NaT", "NaT", "NaT"]


def test_a_number_outside_the_declared_coverage_is_named() -> None:
    with pytest.raises(CoverageError, match="3055550100") as e:
        Registry.build(
            [[chunk(US, Op.REPLACE, [2125550001, 3055550100], coverage={212: D1}, source="f.txt")]]
        )
    assert e.value.number == 3055550100


def test_a_number_that_is_not_ten_digits_is_refused() -> None:
    with pytest.raises(InvalidNumberError, match="123"):
        Registry.build([[chunk(TX, Op.REPLACE, [123])]])


def test_at_most_64_layers() -> None:
    sources = [[chunk(LayerKey.internal(f"s{i:02}"), Op.REPLACE, [2125550001])] for i in range(MAX_LAYERS)]
    assert len(Registry.build(sources).layers) == MAX_LAYERS
    with pytest.raises(ValueError, match="at most 64"):
        Registry.build([*sources, [chunk(LayerKey.internal("one-more"), Op.REPLACE, [2125550001])]])


# --------------------------------------------------------------------------- update semantics


def test_full_download_replaces_only_the_area_codes_it_covers() -> None:
    registry = Registry.build([ftc([2125550001, 3055550001], [212, 305], D1)])
    updated = registry.update([ftc([2125550002, 2125550002], [212], D2)])
    assert listed(updated, "us-ftc") == {2125550002, 3055550001}
    assert updated.layers[0].count == 2
    assert dict(updated.layers[0].area_codes) == {212: D2, 305: D1}
    assert listed(registry, "us-ftc") == {2125550001, 3055550001}  # left as it was


def test_change_list_adds_deletes_and_refreshes_only_its_area_codes() -> None:
    registry = Registry.build([ftc([2125550001, 3055550001], [212, 305], D1)])
    changes = [
        chunk(US, Op.ADD, [2125550009], coverage={212: D2}, obtained=D2),
        chunk(US, Op.DELETE, [2125550001, 2125550777], coverage={212: D2}, obtained=D2),
    ]
    updated = registry.update([changes])
    assert listed(updated, "us-ftc") == {2125550009, 3055550001}
    assert dict(updated.layers[0].area_codes) == {212: D2, 305: D1}
    assert updated.update([changes]).layers == updated.layers  # idempotent
    assert listed(updated.update([changes]), "us-ftc") == listed(updated, "us-ftc")


def test_change_lists_apply_in_date_order() -> None:
    registry = Registry.build([ftc([2125550001], [212], D1)])
    later = [chunk(US, Op.ADD, [2125550001], coverage={212: D3}, obtained=D3)]
    earlier = [chunk(US, Op.DELETE, [2125550001], coverage={212: D2}, obtained=D2)]
    updated = registry.update([later, earlier])  # given out of order
    assert listed(updated, "us-ftc") == {2125550001}
    assert updated.layers[0].area_codes[212] == D3


def test_within_a_change_list_the_last_record_wins() -> None:
    registry = Registry.build([ftc([2125550001], [212], D1)])
    at = {212: D1}
    records = [
        chunk(US, Op.DELETE, [2125550001], coverage=at),
        chunk(US, Op.ADD, [2125550001, 2125550002], coverage=at),
    ]
    assert listed(registry.update([records]), "us-ftc") == {2125550001, 2125550002}
    records = [
        chunk(US, Op.ADD, [2125550003], coverage=at),
        chunk(US, Op.DELETE, [2125550003, 2125550001], coverage=at),
    ]
    assert listed(registry.update([records]), "us-ftc") == set()


def test_state_and_internal_lists_are_replaced_whole() -> None:
    registry = Registry.build([[chunk(TX, Op.REPLACE, [2145550001, 2145550002], obtained=D1)]])
    updated = registry.update([[chunk(TX, Op.REPLACE, [2145550003], obtained=D2)]])
    assert listed(updated, "us-tx") == {2145550003}
    assert updated.layers[0].obtained == D2
    emptied = updated.update([[chunk(TX, Op.REPLACE, [], obtained=D3)]])
    assert emptied.layers[0].count == 0
    assert emptied.membership(u64(2145550003)).tolist() == [0]


def test_internal_additions_keep_the_stricter_request_date() -> None:
    dates = np.array(["2026-01-01"], "datetime64[D]")
    registry = Registry.build([[Chunk(ACME, Op.REPLACE, u64(2125550001), dates=dates)]])
    later = np.array(["2026-02-01"], "datetime64[D]")
    updated = registry.update([[Chunk(ACME, Op.ADD, u64(2125550001), dates=later)]])
    assert updated.lookup(2125550001)[0].on == dt.date(2026, 2, 1)
    undated = np.array(["NaT"], "datetime64[D]")
    updated = updated.update([[Chunk(ACME, Op.ADD, u64(2125550001), dates=undated)]])
    assert updated.lookup(2125550001)[0].on is None
    deleted = updated.update([[Chunk(ACME, Op.DELETE, u64(2125550001))]])
    assert deleted.lookup(2125550001) == ()
    assert deleted.request_dates(u64(2125550001), 0).astype(str).tolist() == ["NaT"]


def test_the_callers_arrays_are_not_modified() -> None:
    numbers = u64(3125550001, 2125550001, 2125550001)
    registry = Registry.build([[Chunk(TX, Op.REPLACE, numbers), Chunk(TX, Op.REPLACE, numbers[:2])]])
    assert numbers.tolist() == [3125550001, 2125550001, 2125550001]
    assert registry.layers[0].count == 2  # duplicates within and across chunks count once
    assert listed(registry, "us-tx") == {2125550001, 3125550001}


# --------------------------------------------------------------------------- the model


NPAS = [212, 305, 416]


@st.composite
def numbers_in(draw: st.DrawFn, npas: list[int] = NPAS) -> set[int]:
    """Numbers in a few exchanges: small sets, and sometimes whole dense blocks (every container)."""
    out: set[int] = set(
        draw(
            st.sets(
                st.builds(
                    lambda a, x, line: a * 10_000_000 + x * 10_000 + line,
                    st.sampled_from(npas),
                    st.sampled_from([555, 556]),
                    st.integers(0, 9999),
                ),
                max_size=20,
            )
        )
    )
    if draw(st.booleans()):
        a, seed, n = (
            draw(st.sampled_from(npas)),
            draw(st.integers(0, 2**16)),
            draw(st.sampled_from([800, 3000])),
        )
        lines = np.random.default_rng(seed).choice(10_000, n, replace=False)
        out |= set((a * 10_000_000 + 5_570_000 + lines).tolist())
    return out


operations = st.one_of(
    st.tuples(st.just("add"), numbers_in()),
    st.tuples(st.just("delete"), numbers_in()),
    st.tuples(st.just("full"), st.sets(st.sampled_from(NPAS), min_size=1)).flatmap(
        lambda t: st.tuples(st.just("full"), numbers_in(sorted(t[1])), st.just(t[1]))
    ),
    st.tuples(st.just("state"), numbers_in()),
    st.tuples(st.just("internal"), numbers_in()),
)


def examples(fast: int) -> settings:
    """``fast`` examples in the default (quick) profile; the profile's own count otherwise."""
    current = settings().max_examples
    return settings(max_examples=fast if current <= 200 else current)


@examples(40)
@given(numbers_in(), numbers_in(), st.lists(operations, max_size=4))
def test_the_index_holds_exactly_the_expected_sets_after_save_and_open(
    tmp_path_factory: pytest.TempPathFactory, national: set[int], state: set[int], ops: list[tuple]
) -> None:
    model = {"us-ftc": set(national), "us-tx": set(state), "internal:acme": set()}
    registry = Registry.build([ftc(national, NPAS), [chunk(TX, Op.REPLACE, state, obtained=D1)]])
    changed = dict.fromkeys(NPAS, D2)  # change lists say which area codes they refresh
    for op in ops:
        kind, numbers = op[0], op[1]
        if kind == "add":
            model["us-ftc"] |= numbers
            registry = registry.update([[chunk(US, Op.ADD, numbers, coverage=changed)]])
        elif kind == "delete":
            model["us-ftc"] -= numbers
            registry = registry.update([[chunk(US, Op.DELETE, numbers, coverage=changed)]])
        elif kind == "full":
            covered = op[2]
            model["us-ftc"] = {n for n in model["us-ftc"] if n // 10_000_000 not in covered} | numbers
            registry = registry.update([ftc(numbers, covered, D2)])
        elif kind == "state":
            model["us-tx"] = set(numbers)
            registry = registry.update([[chunk(TX, Op.REPLACE, numbers, obtained=D2)]])
        else:
            model["internal:acme"] = set(numbers)
            registry = registry.update([[chunk(ACME, Op.REPLACE, numbers)]])
    path = tmp_path_factory.mktemp("reg") / "r.dncg"
    registry.save(path)
    reopened = Registry.open(path)
    names = [layer.name for layer in reopened.layers]
    every = set().union(*model.values())
    queries = np.array(sorted(every | {n + 1 for n in every} | {2125550000}), dtype=np.uint64)
    masks = reopened.membership(queries)
    for i, name in enumerate(names):
        assert listed(reopened, name) == model[name]
        assert reopened.layers[i].count == len(model[name])
        expected = np.array([int(q) in model[name] for q in queries])
        assert np.array_equal((masks >> np.uint64(i)) & np.uint64(1), expected.astype(np.uint64))
    for q in queries[:: max(1, len(queries) // 50)].tolist():
        assert {x.layer.name for x in reopened.lookup(q)} == {name for name in names if q in model[name]}


@st.composite
def repeated(draw: st.DrawFn, numbers: set[int]) -> list[np.ndarray]:  # type: ignore[type-arg]
    """``numbers`` as a source gives them: each repeated (up to many times), shuffled, and split
    over one to three chunks; empty chunks too."""
    reps = [draw(st.sampled_from([1, 1, 2, 3, 50])) for _ in numbers]
    flat = np.repeat(np.array(sorted(numbers), dtype=np.uint64), reps)
    flat = flat[np.random.default_rng(draw(st.integers(0, 2**16))).permutation(len(flat))]
    cuts = sorted(draw(st.lists(st.integers(0, len(flat)), max_size=2)))
    return np.split(flat, cuts)


change_records = st.lists(
    st.tuples(st.sampled_from([Op.ADD, Op.DELETE]), numbers_in()), min_size=1, max_size=3
)
full_lists = st.sets(st.sampled_from(NPAS), min_size=1).flatmap(
    lambda covered: st.tuples(st.just("full"), numbers_in(sorted(covered)), st.just(covered))
)


@examples(40)
@given(
    numbers_in(),
    st.lists(st.one_of(st.tuples(st.just("changes"), change_records, st.booleans()), full_lists), max_size=4),
    st.data(),
)
def test_full_and_change_lists_with_repeats_hold_exactly_the_distinct_numbers_and_coverage(
    national: set[int],
    ops: list[tuple],
    data: st.DataObject,  # type: ignore[type-arg]
) -> None:
    """Any sequence of full lists and change lists, every number repeated and spread over chunks,
    deletions of numbers never listed, empty lists and a change list applied twice: the layer
    holds exactly the model's numbers, and covers exactly the area codes full lists covered, each
    dated by the last list (full or changes) that covered it."""
    model, covered = set(national), dict.fromkeys(NPAS, D1)
    registry = Registry.build([[chunk(US, Op.REPLACE, part, coverage=dict.fromkeys(NPAS, D1), obtained=D1)
                                for part in data.draw(repeated(national))]])  # fmt: skip
    day = D1
    for op in ops:
        day += dt.timedelta(days=1)
        if op[0] == "full":
            numbers, npas = op[1], op[2]
            model = {n for n in model if n // 10_000_000 not in npas} | numbers
            covered.update(dict.fromkeys(npas, day))
            cover = dict.fromkeys(npas, day)
            registry = registry.update(
                [
                    [
                        chunk(US, Op.REPLACE, part, coverage=cover, obtained=day)
                        for part in data.draw(repeated(numbers))
                    ]
                ]
            )
            continue
        records, twice = op[1], op[2]
        for kind, numbers in records:  # the last record of a number wins (no dates: file order)
            model = model | numbers if kind is Op.ADD else model - numbers
        npas = {n // 10_000_000 for _, numbers in records for n in numbers} or {NPAS[0]}
        cover = {a: day for a in npas}
        source = [chunk(US, kind, part, coverage=cover, obtained=day) for kind, numbers in records
                  for part in data.draw(repeated(numbers))]  # fmt: skip
        covered.update(cover)
        registry = registry.update([source])
        if twice:
            registry = registry.update([source])  # the same change list again changes nothing
    assert listed(registry, "us-ftc") == model
    assert registry.layers[0].count == len(model)
    assert dict(registry.layers[0].area_codes) == covered
    queries = np.array(sorted(model | {n + 1 for n in model} | {2125550000}), dtype=np.uint64)
    expected = np.array([int(q) in model for q in queries], dtype=np.uint64)
    assert np.array_equal(registry.membership(queries), expected)


# --------------------------------------------------------------------------- files


def small_registry() -> Registry:
    dates = np.array(["2026-01-05", "NaT"], "datetime64[D]")
    return Registry.build(
        [
            ftc([2125550143, 2125550144, 3055550100], [212, 305]),
            [chunk(TX, Op.REPLACE, [2145550001], obtained=D1)],
            [Chunk(ACME, Op.REPLACE, u64(2125550143, 2125550199), dates=dates)],
        ]
    )


def answers(registry: Registry) -> list[object]:
    q = u64(2125550143, 2125550144, 2125550199, 2145550001, 3055550100, 3055550101)
    return [
        registry.membership(q).tolist(),
        [layer.name for layer in registry.layers],
        registry.request_dates(q, 2).astype(str).tolist(),
        registry.coverage_dates(np.array([212, 305, 416]), 0).astype(str).tolist(),
        [[(x.layer.name, x.on) for x in registry.lookup(int(n))] for n in q],
    ]


def test_save_and_open_round_trip(tmp_path: pathlib.Path) -> None:
    registry = small_registry()
    registry.save(str(tmp_path / "r.dncg"))
    for verify in (True, False):
        reopened = Registry.open(tmp_path / "r.dncg", verify=verify)
        assert answers(reopened) == answers(registry)
        assert reopened.layers == registry.layers
    assert [p.name for p in tmp_path.iterdir()] == ["r.dncg"]  # no temporary file left


def test_an_empty_registry_round_trips(tmp_path: pathlib.Path) -> None:
    Registry.build([]).save(tmp_path / "e.dncg")
    empty = Registry.open(tmp_path / "e.dncg")
    assert empty.layers == ()
    assert empty.membership(u64(2125550143)).tolist() == [0]


def test_readers_of_the_old_file_keep_working(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "r.dncg"
    small_registry().save(path)
    reader = Registry.open(path)
    before = answers(reader)
    reader.update([[chunk(US, Op.DELETE, [2125550143], coverage={212: D1})]]).save(path)
    assert answers(reader) == before
    assert Registry.open(path).membership(u64(2125550143)).tolist() == [4]


def test_flipped_bytes_and_truncations_are_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "r.dncg"
    small_registry().save(path)
    blob = path.read_bytes()
    sections = Registry._from_buffer(blob)  # sanity: the good file opens from memory too
    assert answers(sections) == answers(small_registry())
    rng = np.random.default_rng(0)
    # every byte of the header, the first and last bytes of every 64-byte line, and a random sample
    header_length = int.from_bytes(blob[24:32], "little")
    spots = set(range(header_length)) | set(range(0, len(blob), 64)) | set(range(63, len(blob), 64))
    spots |= set(rng.integers(0, len(blob), 300).tolist())
    for at in sorted(spots):
        flipped = blob[:at] + bytes([blob[at] ^ (1 << (at % 8))]) + blob[at + 1 :]
        with pytest.raises(CorruptIndexError):
            Registry._from_buffer(flipped)
    for length in [*range(header_length + 1), *rng.integers(0, len(blob), 100).tolist()]:
        with pytest.raises(CorruptIndexError):
            Registry._from_buffer(blob[:length], verify=False)
    bad = tmp_path / "bad.dncg"
    for at in rng.integers(0, len(blob), 20).tolist():  # through the file path as well
        bad.write_bytes(blob[:at] + bytes([blob[at] ^ 0x40]) + blob[at + 1 :])
        with pytest.raises(CorruptIndexError) as e:
            Registry.open(bad)
        assert e.value.path == os.fspath(bad)
    for length in (0, 1, 39, 40, header_length, len(blob) - 1):
        bad.write_bytes(blob[:length])
        with pytest.raises(CorruptIndexError):
            Registry.open(bad)


@pytest.mark.slow
def test_every_flipped_byte_and_every_truncation_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "r.dncg"
    small_registry().save(path)
    blob = path.read_bytes()
    for at in range(len(blob)):
        for bit in (0, 7):
            flipped = blob[:at] + bytes([blob[at] ^ (1 << bit)]) + blob[at + 1 :]
            with pytest.raises(CorruptIndexError):
                Registry._from_buffer(flipped)
    for length in range(len(blob)):
        with pytest.raises(CorruptIndexError):
            Registry._from_buffer(blob[:length], verify=False)


def test_a_file_that_is_not_an_index_is_refused(tmp_path: pathlib.Path) -> None:
    other = tmp_path / "ftc.txt"
    other.write_text("2125550143\n" * 20)
    with pytest.raises(CorruptIndexError, match="wrong magic"):
        Registry.open(other)


# --------------------------------------------------------------------------- data only moves forward


def test_a_change_list_older_than_the_data_is_refused() -> None:
    """RULES 6.15: a change list obtained 03-10 applied after one obtained 03-12 would undo it."""
    from dncguard.errors import ChangeOrderError

    base = Registry.build([ftc([2125550143], [212, 305], D1)])
    newer = base.update([[chunk(US, Op.ADD, [2125550199], coverage={212: D3}, source="new.zip")]])
    with pytest.raises(ChangeOrderError, match="apply change lists in date order") as e:
        newer.update([[chunk(US, Op.DELETE, [2125550199], coverage={212: D2}, source="old.zip")]])
    assert "old.zip" in str(e.value)
    assert "212" in str(e.value)
    with pytest.raises(ChangeOrderError):
        newer.update([ftc([2125550143], [212], D2)])  # an older replacement too
    # other area codes are not held back by 212's date
    moved = newer.update([[chunk(US, Op.ADD, [3055550100], coverage={305: D2})]])
    assert moved.layers[0].area_codes == {212: D3, 305: D2}


def test_the_same_change_list_applied_twice_changes_nothing() -> None:
    base = Registry.build([ftc([2125550143, 2125550144], [212], D1)])
    changes = [
        chunk(US, Op.ADD, [2125550199], coverage={212: D2}),
        chunk(US, Op.DELETE, [2125550143], coverage={212: D2}),
    ]
    once = base.update([changes])
    twice = once.update([changes])
    assert listed(twice, "us-ftc") == listed(once, "us-ftc") == {2125550144, 2125550199}
    assert twice.layers == once.layers


def test_an_older_state_list_is_refused() -> None:
    from dncguard.errors import ChangeOrderError

    base = Registry.build([[chunk(TX, Op.REPLACE, [2145550001], obtained=D2)]])
    with pytest.raises(ChangeOrderError, match=r"us-tx.*apply change lists in date order"):
        base.update([[chunk(TX, Op.REPLACE, [2145550002], obtained=D1)]])
    same = base.update([[chunk(TX, Op.REPLACE, [2145550002], obtained=D2)]])
    assert listed(same, "us-tx") == {2145550002}


def test_an_older_download_whose_coverage_comes_from_its_data_is_refused() -> None:
    from dncguard.errors import ChangeOrderError

    base = Registry.build([[chunk(US, Op.REPLACE, [2125550143], obtained=D2)]])
    with pytest.raises(ChangeOrderError):
        base.update([[chunk(US, Op.REPLACE, [2125550144], obtained=D1)]])


# --------------------------------------------------------------------------- Registry.id


def test_the_registry_id_is_a_digest_of_the_content(tmp_path: pathlib.Path) -> None:
    import re

    from dncguard.index import _format as fmt

    sources = [ftc([2125550143, 3055550100], [212, 305]), [chunk(TX, Op.REPLACE, [2145550001], obtained=D1)]]
    a, b = Registry.build(sources), Registry.build(list(reversed(sources)))
    assert re.fullmatch(r"dncg:[0-9a-f]{32}", a.id)
    assert a.id == b.id  # the same content, built another way
    a.save(tmp_path / "a.dncg")
    b.save(tmp_path / "b.dncg")
    Registry.open(tmp_path / "a.dncg").save(tmp_path / "c.dncg")
    ids = {Registry.open(tmp_path / name).id for name in ("a.dncg", "b.dncg", "c.dncg")}
    assert ids == {a.id}
    blob = (tmp_path / "a.dncg").read_bytes()
    assert fmt.read_header(blob, len(blob)).meta["id"] == a.id  # open reads it, hashing nothing

    changed = [
        a.update([[chunk(US, Op.ADD, [2125550144], coverage={212: D1})]]),  # a number
        a.update([[chunk(US, Op.ADD, [], coverage={212: D2})]]),  # only a date
        a.update([[chunk(LayerKey.internal("acme"), Op.REPLACE, [])]]),  # an empty layer
        a.update([[chunk(TX, Op.REPLACE, [2145550001], obtained=D2)]]),  # the same list, newer
    ]
    assert len({a.id, *(r.id for r in changed)}) == 1 + len(changed)
    # the same change list again changes no content, so no id
    assert changed[0].update([[chunk(US, Op.ADD, [2125550144], coverage={212: D1})]]).id == changed[0].id


def test_an_index_whose_content_was_changed_under_its_id_is_refused(tmp_path: pathlib.Path) -> None:
    """Every decision records the registry id as the data it was made on. A file whose numbers
    were changed (here: one listed number taken out) and whose header was written again with the
    old id and fresh checksums passes every checksum: open(verify=True) must recompute the id
    and refuse it, or decisions on the changed data would carry the id of the original."""
    from dncguard.index import _format as fmt

    a = Registry.build([ftc([2125550143, 2125550144, 3055550100], [212, 305])])
    b = Registry.build([ftc([2125550143, 3055550100], [212, 305])])  # 2125550144 taken out
    a.save(tmp_path / "a.dncg")
    b.save(tmp_path / "b.dncg")
    blob = bytearray((tmp_path / "b.dncg").read_bytes())
    header = fmt.read_header(bytes(blob), len(blob))
    meta = dict(header.meta, id=a.id)
    head = fmt.pack_header(meta, [s.length for s in header.sections], [s.crc for s in header.sections])
    assert len(head) == header.header_length
    blob[: len(head)] = head
    forged = tmp_path / "forged.dncg"
    forged.write_bytes(bytes(blob))
    trusted = Registry.open(forged, verify=False)  # the caller's choice: the header is believed
    assert trusted.id == a.id
    assert trusted.lookup(2125550144) == ()
    with pytest.raises(CorruptIndexError, match=f"not the {a.id} its header states"):
        Registry.open(forged)
    with pytest.raises(CorruptIndexError, match=r"forged\.dncg"):
        Registry.open(forged, copy=True)
    assert Registry.open(tmp_path / "a.dncg").id == a.id  # an untouched file opens as before


@pytest.mark.parametrize("code", [1200, -1, 99, "212"])
def test_a_coverage_that_is_not_an_area_code_is_refused(code: object) -> None:
    """Before, 1200 raised IndexError and -1 silently marked area code 999 as covered."""
    with pytest.raises(CoverageError, match="not a NANP area code"):
        Registry.build([[chunk(US, Op.REPLACE, [], coverage={code: D1}, source="x.zip")]])


@settings(max_examples=30)
@given(
    st.lists(st.integers(0, 29_999), max_size=3000),
    st.lists(st.integers(0, 29_999), max_size=600),
    st.lists(st.integers(0, 29_999), max_size=600),
)
def test_the_same_content_reached_by_updates_has_the_same_id(
    base: list[int], adds: list[int], dels: list[int]
) -> None:
    """The id hashes the encoded bytes: they must be a function of the numbers (blocks patched in
    place by an update are byte for byte what a fresh build writes)."""
    lines = set(base)
    dels_set = set(dels)
    adds_set = set(adds) - dels_set
    # many in one block too: bitmaps patched in place
    base_n = [2125550000 + x for x in sorted(lines | set(range(0, 10_000, 2)))]
    updated = Registry.build([ftc(base_n, [212])]).update(
        [
            [
                chunk(US, Op.ADD, [2125550000 + x for x in sorted(adds_set)], coverage={212: D1}),
                chunk(US, Op.DELETE, [2125550000 + x for x in sorted(dels_set)], coverage={212: D1}),
            ]
        ]
    )
    final = (set(base_n) | {2125550000 + x for x in adds_set}) - {2125550000 + x for x in dels_set}
    fresh = Registry.build([ftc(sorted(final), [212])])
    assert updated.layers == fresh.layers
    assert updated.id == fresh.id
