"""Registry history: ``as_of`` answers exactly as a registry built from the data of that day, or
as the version a decision recorded; a damaged history is refused, never answered from."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import pathlib
import struct
import tempfile
import zlib
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dncguard
from dncguard import _past
from dncguard.errors import CorruptIndexError, HistoryError
from dncguard.index import _format as fmt
from dncguard.index._history import encode_set, skips_of
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import KEEP_HISTORY, Registry
from dncguard.replay import Tuning
from strategies import HISTORY_POOL, registry_histories

US = LayerKey.national("US")
D = dt.date(2026, 3, 1)
QUERIES = np.array(
    [*HISTORY_POOL, 2125550199, 3055550199, *range(2129990000, 2129990800, 7), 4165550100], dtype=np.uint64
)


def _bounded(fast: int, thorough: int) -> Any:
    return settings(max_examples=fast if settings().max_examples <= 200 else thorough)


def _content_id(r: Registry) -> str:
    """The id computed from the content (not the one recorded)."""
    return Registry(r.layers, r._indexes).id


# enough queries for the bulk path that probes in increasing order (``registry._SORT_FROM``)
MANY = np.random.default_rng(15).permutation(np.tile(QUERIES, -(-(1 << 15) // len(QUERIES)) + 1))
CALL_TIMES = ("2026-03-02T15:00:00-05:00", "2026-04-20T15:00:00-04:00")


def _decisions(registry: Registry) -> list[Any]:
    """``Guard.check`` and ``Guard.scrub`` on a few calls: the decisions as comparable values."""
    guard = dncguard.Guard(registry)
    calls = [
        {"to": str(n), "at": at, "seller": seller}
        for n in HISTORY_POOL[::3]
        for at in CALL_TIMES
        for seller in ("acme", "zed")
    ]
    checked = [guard.check(call).model_dump(mode="json") for call in calls]
    table = guard.scrub(pa.table({k: [c[k] for c in calls] for k in ("to", "at", "seller")}))
    return [checked, table.drop_columns(["to", "at", "seller"]).to_pylist()]


def _same(past: Registry, expected: Registry, *, guard: bool = False) -> None:
    assert past.layers == expected.layers
    assert past.id == expected.id
    # single lookups first: a lazy past version answers them from the skip tables (``POINTS`` of
    # them), then from ``flip``, which the bulk queries below compute
    for n in QUERIES.tolist():
        assert past.lookup(n) == expected.lookup(n)
    assert past.membership(QUERIES).tolist() == expected.membership(QUERIES).tolist()
    assert past.membership(MANY).tolist() == expected.membership(MANY).tolist()
    if guard:
        assert _decisions(past) == _decisions(expected)
    assert _content_id(past) == expected.id
    for i in range(len(expected.layers)):
        assert past.request_dates(QUERIES, i).tolist() == expected.request_dates(QUERIES, i).tolist()


def _ftc(
    numbers: list[int], day: dt.date, op: Op = Op.REPLACE, npas: tuple[int, ...] = (212, 305)
) -> list[Chunk]:
    return [Chunk(US, op, np.array(numbers, dtype=np.uint64), coverage=dict.fromkeys(npas, day))]


def _tuning(lazy: bool) -> Tuning:
    """``lazy``: every past layer that changed is computed when first asked (as at US scale);
    else when ``as_of`` makes it, and its count checked (the defaults, at these sizes)."""
    return Tuning(eager=0) if lazy else Tuning()


@_bounded(100, 300)  # an example builds and saves several registries (1000 took 15 min, loaded)
@given(registry_histories(), st.one_of(st.none(), st.integers(0, 15)), st.booleans())
def test_as_of_answers_as_the_registry_built_from_that_days_data(
    updates: list[list[tuple[dt.date, list[Chunk]]]], keep_days: int | None, lazy: bool
) -> None:
    """``lazy``: every past layer computed when first asked (as at US scale), its first lookups
    answered from the skip tables; else computed, and its count checked, by ``as_of``."""
    _check_as_of(updates, keep_days, _tuning(lazy))


def _check_as_of(
    updates: list[list[tuple[dt.date, list[Chunk]]]], keep_days: int | None, tuning: Tuning
) -> None:
    keep = KEEP_HISTORY if keep_days is None else dt.timedelta(days=keep_days)
    registry = Registry()
    versions = []
    for update in updates:
        registry = registry.update([chunks for _, chunks in update], keep_history=keep)
        versions.append((update[-1][0], registry))
    sources = [(day, chunks) for update in updates for day, chunks in update]
    first, last = sources[0][0], sources[-1][0]
    cutoff = last - keep
    days = sorted({day for day, _ in sources} | {first - dt.timedelta(days=1), last + dt.timedelta(days=3)})
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "r.dncg"
        registry.save(path)
        opened = Registry.open(path)
        assert opened.history == registry.history
        for reg in (registry, opened):
            for day in days:
                if day < first:
                    with pytest.raises(HistoryError):
                        reg.as_of(day, tuning=tuning)
                    continue
                try:
                    past = reg.as_of(day, tuning=tuning)
                except HistoryError:
                    assert day < cutoff  # at least keep_history is kept
                    continue
                # Guard.check and scrub on two of the days (each builds guards: bounded cost)
                decide = reg is opened and day in (days[len(days) // 2], days[-1])
                _same(past, Registry.build([chunks for d, chunks in sources if d <= day]), guard=decide)
            for newest, version in versions:
                try:
                    past = reg.as_of(version.id, tuning=tuning)
                except HistoryError:
                    assert newest < cutoff
                    continue
                _same(past, version)
            _same(reg.as_of(reg.id, tuning=tuning), registry)
        # each version made from the next newer one (as replay walks them): with ``fold=0`` each
        # makes its own differences from the newer one's at once, else shares them
        newer = registry
        for newest, version in reversed(versions):
            if newest < cutoff:
                break
            newer = newer.as_of(version.id, tuning=Tuning(fold=0) if tuning.eager == 0 else tuning)
            _same(newer, version)


def test_history_lists_each_change_with_counts_dates_and_version_ids() -> None:
    r1 = Registry.build([_ftc([2125550100, 2125550101, 3055550100], D)])
    r2 = r1.update([_ftc([2125550101], D + dt.timedelta(days=1), Op.DELETE, (212,))])
    r3 = r2.update([_ftc([2125550100, 2125550102], D + dt.timedelta(days=30))])
    assert r3.history == (
        dncguard.Change("us-ftc", D, "build", 3, 0, r1.id),
        dncguard.Change("us-ftc", D + dt.timedelta(days=1), "changes", 0, 1, r2.id),
        dncguard.Change("us-ftc", D + dt.timedelta(days=30), "replace", 1, 1, r3.id),
    )
    assert r3.as_of(D).lookup(2125550101)[0].layer.name == "us-ftc"
    assert r3.as_of(D + dt.timedelta(days=29)).lookup(2125550101) == ()
    assert r3.as_of(r1.id).id == r1.id


def test_history_older_than_keep_history_is_pruned() -> None:
    r1 = Registry.build([_ftc([2125550100], D)])
    r2 = r1.update([_ftc([2125550101], D + dt.timedelta(days=1), Op.ADD)])
    r3 = r2.update([_ftc([2125550102], D + dt.timedelta(days=20), Op.ADD)], keep_history=dt.timedelta(days=5))
    assert [c.registry_id for c in r3.history] == [r3.id]
    with pytest.raises(HistoryError, match="older than the history kept"):
        r3.as_of(D)  # the day before the pruned change: no longer known
    with pytest.raises(HistoryError, match="no version"):
        r3.as_of(r1.id)
    # from the newest pruned change's date on, the version before the kept change answers
    assert r3.as_of(D + dt.timedelta(days=1)).id == r2.id
    assert r3.as_of(r2.id).lookup(2125550101) != ()
    assert r3.as_of(D + dt.timedelta(days=19)).lookup(2125550102) == ()
    assert r3.as_of(D + dt.timedelta(days=20)).lookup(2125550102) != ()


def test_unknown_ids_and_dates_before_the_registry_are_history_errors() -> None:
    r = Registry.build([_ftc([2125550100], D)])
    with pytest.raises(HistoryError, match="no version"):
        r.as_of("dncg:" + "0" * 32)
    with pytest.raises(HistoryError):
        r.as_of(D - dt.timedelta(days=1))
    assert issubclass(HistoryError, LookupError)
    assert issubclass(HistoryError, dncguard.DncguardError)
    with pytest.raises(TypeError):
        r.as_of(dt.datetime(2026, 3, 1, 12))  # type: ignore[arg-type]


def test_a_past_version_is_read_only(tmp_path: pathlib.Path) -> None:
    r = Registry.build([_ftc([2125550100], D)]).update([_ftc([2125550101], D + dt.timedelta(days=1), Op.ADD)])
    past = r.as_of(D)
    with pytest.raises(TypeError, match="read-only"):
        past.save(tmp_path / "x.dncg")
    with pytest.raises(TypeError, match="read-only"):
        past.update([_ftc([2125550102], D + dt.timedelta(days=2), Op.ADD)])
    assert not (tmp_path / "x.dncg").exists()


def test_guard_decides_on_a_past_version() -> None:
    r = Registry.build([_ftc([2125550100], D)]).update(
        [_ftc([2125550100], D + dt.timedelta(days=2), Op.DELETE)]
    )
    call = {"to": "212-555-0100", "at": "2026-03-04T15:00:00-05:00", "seller": "acme"}
    assert dncguard.Guard(r.as_of(D)).check(call).allowed is False
    assert dncguard.Guard(r).check(call).allowed is True


def _history_sections(path: pathlib.Path) -> tuple[fmt.Section, fmt.Section]:
    blob = path.read_bytes()
    header = fmt.read_header(blob, len(blob))
    return header.sections[-2], header.sections[-1]


@pytest.mark.parametrize("which", [0, 1])
def test_a_damaged_history_is_refused_at_open_or_at_first_use(tmp_path: pathlib.Path, which: int) -> None:
    r = Registry.build([_ftc([2125550100, 2125550101], D)])
    r = r.update([_ftc([2125550101, 3055550100], D + dt.timedelta(days=1), Op.DELETE)])
    path = tmp_path / "r.dncg"
    r.save(path)
    section = _history_sections(path)[which]
    blob = bytearray(path.read_bytes())
    blob[section.offset + section.length // 2] ^= 0x10
    path.write_bytes(bytes(blob))
    with pytest.raises(CorruptIndexError, match=r"r\.dncg"):
        Registry.open(path)
    lazy = Registry.open(path, verify=False)
    assert lazy.lookup(2125550100)  # today's data still answers
    with pytest.raises(CorruptIndexError, match="history"):
        lazy.as_of(D)
    with pytest.raises(CorruptIndexError, match="history"):
        _ = lazy.history


def test_opening_reads_no_history_until_asked(tmp_path: pathlib.Path) -> None:
    r = Registry.build([_ftc([2125550100], D)]).update([_ftc([2125550101], D + dt.timedelta(days=1), Op.ADD)])
    path = tmp_path / "r.dncg"
    r.save(path)
    opened = Registry.open(path, verify=False)
    assert callable(opened._hist)  # not parsed at open
    assert len(opened.history) == 2
    assert not callable(opened._hist)


def test_a_version_2_file_reads_as_having_no_history(tmp_path: pathlib.Path) -> None:
    r = Registry.build([_ftc([2125550100], D)])
    plain = Registry(r.layers, r._indexes)  # no history: the sections a version 2 file holds
    path = tmp_path / "old.dncg"
    plain.save(path)
    blob = bytearray(path.read_bytes())
    header = fmt.read_header(bytes(blob), len(blob))
    struct.pack_into("<H", blob, 8, 2)
    struct.pack_into("<I", blob, 12, 0)
    struct.pack_into("<I", blob, 12, zlib.crc32(bytes(blob[: header.header_length])))
    path.write_bytes(bytes(blob))
    old = Registry.open(path)
    assert old.history == ()
    assert old.id == r.id
    with pytest.raises(HistoryError):
        old.as_of(D)
    assert old.as_of(old.id).id == old.id
    new = old.update([_ftc([2125550101], D + dt.timedelta(days=1), Op.ADD)])
    assert new.as_of(r.id).layers == r.layers  # the version opened is the history's start
    assert new.as_of(D).layers == r.layers


def test_info_shows_the_history_kept(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dncguard.cli import main

    r = Registry.build([_ftc([2125550100], D)]).update([_ftc([2125550101], D + dt.timedelta(days=3), Op.ADD)])
    path = tmp_path / "r.dncg"
    r.save(path)
    doc, data = _history_sections(path)
    on = (D + dt.timedelta(days=3)).isoformat()  # judged fresh on the day of the last change
    assert main(["info", str(path), "--format", "json", "--on", on]) == 0
    history = json.loads(capsys.readouterr().out)["history"]
    assert history == {
        "first": "2026-03-01",
        "last": "2026-03-04",
        "versions": 2,
        "changes": 2,
        "size": doc.length + data.length,
    }
    assert main(["info", str(path), "--on", on]) == 0
    assert "history: 2026-03-01 to 2026-03-04, 2 version(s), 2 change(s)" in capsys.readouterr().out


def test_history_read_from_a_file_is_kept_by_the_next_update(tmp_path: pathlib.Path) -> None:
    r1 = Registry.build([_ftc([2125550100, 3055550100], D)])
    r2 = r1.update([_ftc([2125550101], D + dt.timedelta(days=1), Op.ADD, (212,))])
    path = tmp_path / "r.dncg"
    r2.save(path)
    r3 = Registry.open(path).update([_ftc([3055550100], D + dt.timedelta(days=2), Op.DELETE, (305,))])
    r3.save(path)
    opened = Registry.open(path)
    assert [c.registry_id for c in opened.history] == [r1.id, r2.id, r3.id]
    for version in (r1, r2, r3):
        past = opened.as_of(version.id)
        assert past.layers == version.layers
        assert _content_id(past) == version.id


def test_as_of_is_a_view_over_todays_index_not_a_copy() -> None:
    r1 = Registry.build([_ftc([2125550100, 2125550101, 3055550100], D)])
    r2 = r1.update([_ftc([2125550101, 3055550101], D + dt.timedelta(days=1), Op.DELETE)])
    r3 = r2.update([_ftc([2125550102], D + dt.timedelta(days=2), Op.ADD)])
    past = r3.as_of(D)
    (ix,) = past._indexes
    assert ix.base is r3._indexes[0]  # today's containers answer, corrected by what changed since
    assert ix.flip.tolist() == [2125550101, 2125550102]
    assert past.id == r1.id  # the version ending with the changes kept: its id, no hashing
    assert past.membership(np.array([2125550101, 2125550102], dtype=np.uint64)).tolist() == [1, 0]
    assert past.as_of(D).layers == r1.layers  # a view of a view
    assert r3.as_of(r2.id).as_of(r1.id).membership(np.array([2125550101], dtype=np.uint64)).tolist() == [1]


def test_a_history_that_does_not_add_up_is_corrupt() -> None:
    r1 = Registry.build([_ftc([2125550100, 2125550101], D)])
    r2 = r1.update([_ftc([2125550101], D + dt.timedelta(days=1), Op.DELETE)])
    hist = r2._history_data()
    assert hist is not None
    step = hist.steps[-1]
    # the change claims to have removed a number today's index still holds
    removed = encode_set(np.array([2125550100], dtype=np.uint64))
    forged = dataclasses.replace(step, sets=(b"", removed, *step.sets[2:]))
    # (with skip tables that agree with the forged set: a lookup would read them)
    consistent = dataclasses.replace(forged, skips=(b"", skips_of(removed)))
    r2._hist = dataclasses.replace(hist, steps=(*hist.steps[:-1], consistent))
    with pytest.raises(CorruptIndexError, match="history of layer us-ftc does not match"):
        r2.as_of(D)
    # a lazy past layer checks its count when asked to, and again each time it is asked
    (ix,) = r2.as_of(D, tuning=Tuning(eager=0))._indexes
    for _ in range(2):
        with pytest.raises(CorruptIndexError, match="history of layer us-ftc does not match"):
            ix.settle(check=True)


def test_keep_history_flag_of_build_and_update(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dncguard.cli import main

    ftc = tmp_path / "ftc.txt"
    ftc.write_text("2125550100\n2125550101\n")
    changes = tmp_path / "changes.txt"
    changes.write_text("2125550102,2026-03-02,A\n")
    later = tmp_path / "later.txt"
    later.write_text("2125550103,2026-03-12,A\n")
    index = tmp_path / "r.dncg"
    assert main(["build", str(index), "--ftc", f"{ftc}@2026-03-01", "--keep-history", "4y1d"]) == 0
    assert main(["update", str(index), "--ftc-changes", f"{changes}@2026-03-02"]) == 0
    assert len(Registry.open(index).history) == 2
    # ten days later, keeping five days: the two changes older than that are dropped
    assert main(["update", str(index), "--ftc-changes", f"{later}@2026-03-12", "--keep-history", "5"]) == 0
    kept = Registry.open(index)
    assert [c.obtained for c in kept.history] == [dt.date(2026, 3, 12)]
    with pytest.raises(HistoryError):
        kept.as_of(dt.date(2026, 3, 1))
    assert kept.as_of(dt.date(2026, 3, 11)).lookup(2125550102)  # the version before the change kept
    capsys.readouterr()
    assert (
        main(["update", str(index), "--ftc-changes", f"{later}@2026-03-12", "--keep-history", "4 years"]) == 2
    )
    err = capsys.readouterr().err
    assert "--keep-history '4 years'" in err
    assert "4y1d" in err
    assert "keep_history" not in err


@pytest.mark.parametrize(
    ("text", "days"), [("4y1d", 1462), ("1462", 1462), ("1y", 366), ("4y", 1461), ("90d", 90), ("0", 0)]
)
def test_keep_history_durations(text: str, days: int) -> None:
    from dncguard.cli._build import keep_history

    assert keep_history(text) == dt.timedelta(days=days)
    assert keep_history("4y1d") == KEEP_HISTORY  # the default, written as the flag writes it


@given(st.lists(st.integers(0, 10**10 - 1), max_size=300, unique=True))
def test_history_sets_round_trip(numbers: list[int]) -> None:
    from dncguard.index._history import decode_set

    a = np.array(sorted(numbers), dtype=np.uint64)
    assert decode_set(encode_set(a), len(a)).tolist() == a.tolist()


@given(st.binary(max_size=40), st.integers(0, 12))
def test_damaged_history_sets_are_refused_or_read_as_sorted_numbers(blob: bytes, count: int) -> None:
    """Whatever the bytes, decoding gives ``count`` strictly increasing 10-digit numbers or
    raises ``CorruptIndexError``: never another exception, never numbers out of place."""
    from dncguard.index._history import decode_set

    try:
        got = decode_set(blob, count)
    except CorruptIndexError:
        return
    assert len(got) == count
    assert all(0 <= n < 10**10 for n in got.tolist())
    assert all(a < b for a, b in itertools.pairwise(got.tolist()))


# A version 3 index file, as dncguard wrote it before skip tables (zlib, base64): three versions of
# a registry with a national layer and an internal list with request dates (``_v3_versions``).
V3_IDS = (
    "dncg:da3500fc842523b3d9dc3e7e90447a7b",
    "dncg:7445433a0f56f4db34383a229d9ba51e",
    "dncg:37480cd7ad890ea6f03b362cb4b6efd5",
)
V3 = (
    "eNrt3X1MVWUcwPGL5BqCQRpmIUsfp5vtIpdzL6hXcpqYmC/RdawSzQ73HODo8Vy4LzOHV8GavW/VNJq6moCC/zRdK0V8YVmT"
    "NCeb72ZktZw2UzZnThfWufdct2BO7c75B/t+tt9+5/nd5znPbw/nsvEPp2DO1OkzCl5+MtFms23efD2cYubdCTbb5EjB1Pab"
    "lW+NG1OtnOJJOhS9GBybt8DKZRuM3dFxpTUeaiXbail/e/SiynZ7d6n33ret5vb71nT23HfQjHXW/Fg9LVb/qMVXHb34uWf9"
    "C6U4esfJsfryhFg+undS9D5nrfHZflYWR36NblUtKrRA0OdfJtySXWiKcAvF8Ja7neNc4x1eZZysjJ/gUOW8Moez1JkneUtd"
    "pXlqmZIr7EKXl6n+gHCXVAvZr8oLvT5FNYfVQsqRzNtIDikvy+HMcuaYc52O3J6lsF14fSEjKNxOu1gU8msBRfMGNZ9hTiue"
    "a65YrBmRZgw5UpR1s2LIS1SzEgpklQW95thXGpQ1Q1V671UZKtW1QEXkAyOk63YRUHVd9VujsL1Xt3doxFoda0Qzgqq/RyO3"
    "Km7Za47j6EdEF4YXRCrRLSOHKSrlcrMxu1A0v1mN/GTMazkoW8m8i5UDYkHYFr9+BEHct+A79eAjgTMgCIIgCIIg+tjfFAAA"
    "AAAAALi/VnEEAAAAAAAAAAAAAADYnrXVcAgAAAAAAAAAAAAAAAAAAAAA+hTFVhbN++Ncz//HJwje38b72wiCIAiCIAiC97cB"
    "AAAAAAD0Vby/DQAAAAAAAAAAAAAA3t8GAAAAAAAAAAAAAAAAAAAAoO/5xPZpNNfFuf45z7YVkVwYy/9X/yIru4ri2//1DYeO"
    "fG/sG55m61j5y6zG2gTf3kG/O9o65oUuts/c9PQfex9vLcl7RUstzn7/4bTPmmobKl1bmwsquqeq9dOeKkx/daLoqjk+vtw7"
    "o71zW7onZeTVhubTW7Rzb6a+0fz19CkjKtPSn5+ihVr7J01scV9qrBzWOqk73+Pc+tie9aerJo3NOqg2NO8r12o7+hUsHLok"
    "152idrVPqHtt1pyWmZueOfbnrp9mhwZ7TnckXxvz+erZw8Lrzp8pDE2sG+M6ryfuSFh7rrpz6eErrl0Hst+5+dbHOzNbfFu2"
    "tF++3jR8x0OnXEMOXrve7M8f9UF3cKznpfozQxenJdUfqk96ZOCQwnl1G4NK+sr3/h75VWr+mR8zw+++uH1nw4CRx+ZvX730"
    "xLz5dRcydt/IOKWtP9qUckXXHh0t5+33ZH9YUpW5uXHPKtkY0DWiqWhN25ppheNyjnQ+UVeV8lfG8SsbRxxe+k3XxZsXShzr"
    "05N/GD18+bejXija8faBk8Un/Rkrk1ovncy8nJzdeeLS1YE39q/4MnL+axu/u/qwmauF7FflhV6fogaEu1pIOZJwC8kh5WU5"
    "nFmOHGEXTkduz1LYLry+kBEUbqddLAr5tYCieYOazzCnFc81VyzWDMW8NuRIUdbNiiEvUc1KKJBVFvSaY19pUNYMVem9V2Wo"
    "VNcCFZEPjJCu20VA1XXVb43Ckec+0nftqZ2tidZzdJf+pTv3Lz3w/q91/7M12cxrIjkxnv6l//Tvup/9S/fSf3vsuWm//fNz"
    "h6O17hdrTTOCqr9Ha7cqbtlrjuM4YRFdGL7H3z//AtpuZQs="
)


def _v3_versions() -> list[Registry]:
    acme = LayerKey.internal("acme")
    r1 = Registry.build(
        [
            _ftc([2125550100, 2125550101, 3055550100], D),
            [
                Chunk(
                    acme,
                    Op.REPLACE,
                    np.array([2125550150, 3055550151], dtype=np.uint64),
                    dates=np.array(["2026-02-01", "NaT"], "datetime64[D]"),
                    obtained=D,
                )
            ],
        ]
    )
    day1, day30 = D + dt.timedelta(days=1), D + dt.timedelta(days=30)
    r2 = r1.update(
        [_ftc([2125550101], day1, Op.DELETE, (212,)), _ftc([2125550102, 3055550103], day1, Op.ADD)]
    )
    r3 = r2.update(
        [
            _ftc([2125550100, 2125550102, 3055550199], day30),
            [
                Chunk(
                    acme,
                    Op.ADD,
                    np.array([2125550152], dtype=np.uint64),
                    dates=np.array(["2026-03-20"], "datetime64[D]"),
                    obtained=day30,
                )
            ],
        ]
    )
    return [r1, r2, r3]


@pytest.mark.parametrize("lazy", [False, True])
def test_a_version_3_file_keeps_its_history(tmp_path: pathlib.Path, lazy: bool) -> None:
    old = tmp_path / "v3.dncg"
    old.write_bytes(zlib.decompress(base64.b64decode(V3)))
    blob = old.read_bytes()
    assert fmt.read_header(blob, len(blob)).version == 3
    versions = _v3_versions()
    assert tuple(r.id for r in versions) == V3_IDS
    tuning = _tuning(lazy)
    opened = Registry.open(old)
    assert opened.history == versions[-1].history
    for version in versions:
        _same(opened.as_of(version.id, tuning=tuning), version)
    # the next update writes version 4: the same history, with skip tables
    day40 = D + dt.timedelta(days=40)
    newer = opened.update([_ftc([3055550100], day40, Op.DELETE, (305,))])
    new = tmp_path / "v4.dncg"
    newer.save(new)
    blob = new.read_bytes()
    assert fmt.read_header(blob, len(blob)).version == fmt.FORMAT_VERSION == 4
    reopened = Registry.open(new)
    hist = reopened._history_data()
    assert hist is not None
    assert all(step.skips is not None for step in hist.steps)
    for version in versions:
        _same(reopened.as_of(version.id, tuning=tuning), version)
    assert reopened.as_of(D + dt.timedelta(days=39), tuning=tuning).id == V3_IDS[2]


def test_as_of_decodes_nothing_until_a_bulk_query(tmp_path: pathlib.Path) -> None:
    """A past version's single lookups read the skip tables (at most ``SKIP`` gaps a set), not the
    history's sets: ``as_of`` is ready at once whatever the history's size."""
    rng = np.random.default_rng(7)
    start = np.unique(rng.integers(2125550000, 2125560000, 3000).astype(np.uint64))
    registry = Registry.build([_ftc(start.tolist(), D, npas=(212,))])
    days = []
    for i in range(1, 6):
        day = D + dt.timedelta(days=i)
        adds = np.unique(rng.integers(2125550000, 2125560000, 400).astype(np.uint64))
        dels = np.unique(rng.integers(2125550000, 2125560000, 400).astype(np.uint64))
        registry = registry.update(
            [_ftc(adds.tolist(), day, Op.ADD, (212,)), _ftc(dels.tolist(), day, Op.DELETE, (212,))]
        )
        days.append(day)
    path = tmp_path / "r.dncg"
    registry.save(path)
    opened = Registry.open(path)
    expected = Registry.build([_ftc(start.tolist(), D, npas=(212,))])  # the first version, rebuilt
    past = opened.as_of(D, tuning=Tuning(eager=100))
    (ix,) = past._indexes
    assert not ix.settled  # nothing decoded
    probe = np.arange(2125550000, 2125550000 + _past.POINTS, dtype=np.uint64).tolist()
    assert [past.lookup(n) != () for n in probe] == [expected.lookup(n) != () for n in probe]
    assert not ix.settled  # answered from the skip tables
    past.lookup(2125559999)
    assert ix.settled  # the lookup after ``POINTS`` computes ``flip`` once
    q = np.arange(2125550000, 2125560000, dtype=np.uint64)
    assert past.membership(q).tolist() == expected.membership(q).tolist()
    assert past.id == expected.id


@given(
    st.lists(st.integers(2 * 10**9, 10**10 - 1), max_size=700, unique=True),
    st.lists(st.integers(2 * 10**9 - 5, 10**10 + 5), max_size=40),
)
def test_skip_tables_answer_as_the_set(numbers: list[int], probes: list[int]) -> None:
    """``has`` (a skip-table search and at most ``SKIP`` gaps decoded) answers as the whole set."""
    from dncguard.index._history import SKIP, has, skips_agree

    a = np.array(sorted(numbers), dtype=np.uint64)
    blob = encode_set(a)
    skips = skips_of(blob)
    assert len(skips) == 8 * -(-len(a) // SKIP)
    assert skips_agree(skips, blob, a)
    held = set(numbers)
    for n in [*probes, *numbers[:40], *(n + 1 for n in numbers[:40])]:
        assert has(blob, skips, len(a), n) == (n in held)


@given(st.binary(max_size=60), st.binary(max_size=40), st.integers(1, 20), st.integers(0, 10**10))
def test_damaged_skip_tables_never_raise_another_error(blob: bytes, raw: bytes, count: int, n: int) -> None:
    from dncguard.index._history import has

    skips = raw[: len(raw) // 8 * 8]
    with contextlib.suppress(CorruptIndexError):
        assert has(blob, skips, count, n) in (True, False)


@pytest.mark.parametrize("lazy", [False, True])
def test_a_number_added_and_deleted_the_same_day_and_added_again(lazy: bool) -> None:
    """Corners for the skip tables and the differences from today: a number added and deleted by
    one day's list (no change), deleted then added back on later days (changed twice: no
    difference from today), and a version asked for on the day of a change."""
    d1, d2, d3 = (D + dt.timedelta(days=i) for i in (1, 2, 3))
    same_day = [*_ftc([2125550101], d1, Op.ADD, (212,)), *_ftc([2125550101], d1, Op.DELETE, (212,))]
    sources = [
        (D, _ftc([2125550100, 2125550102], D, npas=(212,))),
        (d1, same_day),
        (d2, _ftc([2125550102], d2, Op.DELETE, (212,))),
        (d3, _ftc([2125550102, 2125550103], d3, Op.ADD, (212,))),
    ]
    registry = Registry()
    for _, chunks in sources:
        registry = registry.update([chunks])
    for day in (D, d1, d2, d3):
        past = registry.as_of(day, tuning=_tuning(lazy))
        expected = Registry.build([chunks for on, chunks in sources if on <= day])
        for n in range(2125550099, 2125550105):
            assert past.lookup(n) == expected.lookup(n), (day, n)
        assert past.id == expected.id
