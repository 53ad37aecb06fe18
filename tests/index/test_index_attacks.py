"""An attacker with a hex editor, a careless user with ``cp`` or ``truncate``: a damaged index is
refused (CorruptIndexError) at open or, opened with ``verify=False``, answers correctly or raises
CorruptIndexError at query: never another exception (IndexError, OverflowError) and never a
wrong answer from damaged structure (offsets, counts, the area-code table, metadata). Only a
flipped bit inside a container, which the checksums exist to catch, can change an answer when
the caller chose ``verify=False``."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from dncguard.errors import CorruptIndexError
from dncguard.guard import Guard
from dncguard.index import _format as fmt
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

D1 = dt.date(2026, 3, 10)


def registry() -> Registry:
    """Every container type, a state list and an internal list with dates, two area codes."""
    rng = np.random.default_rng(5)
    dense = 2125550000 + np.arange(0, 10_000, 2)  # bitmap
    packed = 2125560000 + rng.choice(10_000, 400, replace=False)  # packed
    sparse = np.array([2125570001, 2125570002, 3055550100])  # arrays
    national = np.concatenate([dense, packed, sparse]).astype(np.uint64)
    internal = np.array([2125550000, 2125570001, 3055550100], np.uint64)
    dates = np.array(["2026-01-05", "NaT", "2025-12-01"], "datetime64[D]")
    return Registry.build(
        [
            [Chunk(LayerKey.national("US"), Op.REPLACE, national, coverage={212: D1, 305: D1}, obtained=D1)],
            [
                Chunk(
                    LayerKey.state("US-FL"),
                    Op.REPLACE,
                    np.array([3055550100, 3055550101], np.uint64),
                    obtained=D1,
                )
            ],
            [Chunk(LayerKey.internal("acme"), Op.REPLACE, internal, dates=dates)],
        ]
    )


QUERIES = np.concatenate(
    [
        np.arange(2125550000, 2125580000, 3, dtype=np.uint64),
        np.array([3055550100, 3055550101, 3055550102, 4165550100, 0, 2**63], np.uint64),
    ]
)
SINGLES = [2125550000, 2125550001, 2125560123, 2125570001, 2125570002, 3055550100, 3055550101, 4165550100]
CALLS = [{"to": str(n), "at": "2026-03-16T14:00:00-04:00", "seller": "acme"} for n in SINGLES]


def answers(r: Registry) -> tuple[Any, ...]:
    return (
        r.membership(QUERIES).tobytes(),
        [tuple((x.layer.name, x.on) for x in r.lookup(n)) for n in SINGLES],
        r.request_dates(QUERIES, len(r.layers) - 1).tobytes(),
        [Guard(r).check(c).model_dump(mode="json") for c in CALLS],
    )


def content_regions(blob: bytes) -> list[tuple[int, int]]:
    """Where a flip may change an answer under verify=False: inside containers and dates."""
    header = fmt.read_header(blob, len(blob))
    regions = []
    for i, s in enumerate(header.sections):
        if i % 5 in (2, 3, 4):  # data, dated, dates
            regions.append((s.offset, s.offset + s.length))
    return regions


def flip_spots(blob: bytes, count: int, seed: int) -> list[tuple[int, int]]:
    """(byte, bit) spots: a third anywhere, a third in the header and the pages and directory
    sections, a third inside containers and dates."""
    rng = np.random.default_rng(seed)
    header = fmt.read_header(blob, len(blob))
    structural = list(range(header.header_length))
    content: list[int] = []
    for i, s in enumerate(header.sections):
        (structural if i % 5 in (0, 1) else content).extend(range(s.offset, s.offset + s.length))
    k = count // 3
    at = rng.integers(0, len(blob), count - 2 * k).tolist()
    at += [structural[j] for j in rng.choice(len(structural), k).tolist()]
    at += [content[j] for j in rng.choice(len(content), k).tolist()]
    return [(a, int(b)) for a, b in zip(at, rng.integers(0, 8, len(at)).tolist(), strict=True)]


def attack(blob: bytes, spots: list[tuple[int, int]], expected: tuple[Any, ...]) -> dict[str, int]:
    regions = content_regions(blob)
    tally = {"refused at open": 0, "refused at query": 0, "answered": 0, "answered differently": 0}
    for at, bit in spots:
        bad = bytearray(blob)
        bad[at] ^= 1 << bit
        try:
            r = Registry._from_buffer(bytes(bad), verify=False)
        except CorruptIndexError:
            tally["refused at open"] += 1
            continue
        try:
            got = answers(r)
        except CorruptIndexError:
            tally["refused at query"] += 1
            continue
        if got == expected:
            tally["answered"] += 1
        else:
            assert any(a <= at < b for a, b in regions), f"flip at {at} bit {bit}: wrong answers"
            tally["answered differently"] += 1
        with pytest.raises(CorruptIndexError):  # and the checksums always see it
            Registry._from_buffer(bytes(bad))
    return tally


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, tuple[Any, ...]]:
    path = tmp_path_factory.mktemp("attack") / "r.dncg"
    r = registry()
    r.save(path)
    return path.read_bytes(), answers(r)


def test_flipped_bits_with_verify_false_are_refused_or_answered_right(saved: tuple[bytes, Any]) -> None:
    blob, expected = saved
    tally = attack(blob, flip_spots(blob, 200, seed=1), expected)
    assert tally["refused at open"] > 0


@pytest.mark.slow
def test_a_thousand_flipped_bits(saved: tuple[bytes, Any]) -> None:
    blob, expected = saved
    tally = attack(blob, flip_spots(blob, 1000, seed=2), expected)
    assert sum(tally.values()) == 1000


@pytest.mark.parametrize("seed", range(3))
def test_truncations_and_extensions_are_refused(
    saved: tuple[bytes, Any], tmp_path: pathlib.Path, seed: int
) -> None:
    blob, _ = saved
    rng = np.random.default_rng(seed)
    path = tmp_path / "cut.dncg"
    for keep in [*rng.integers(1, len(blob), 20).tolist(), len(blob) - 1]:
        path.write_bytes(blob[:keep])
        for verify in (True, False):
            with pytest.raises(CorruptIndexError, match=r"cut\.dncg"):
                Registry.open(path, verify=verify)
    path.write_bytes(blob + b"\0" * 64)
    with pytest.raises(CorruptIndexError):
        Registry.open(path, verify=False)


def rewritten(blob: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """The file with its metadata edited and its header checksum recomputed: an attacker who
    knows the format (the checksums only catch accidents)."""
    header = fmt.read_header(blob, len(blob))
    meta = dict(header.meta)
    edit(meta)
    body = blob[header.header_length :]
    lengths = [s.length for s in header.sections]
    crcs = [s.crc for s in header.sections]
    return fmt.pack_header(meta, lengths, crcs) + body


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["layers"][0].update(count=m["layers"][0]["count"] + 1),
        lambda m: m["layers"][0].update(count=2**64),
        lambda m: m["layers"][0]["area_codes"].update({"1200": "2026-03-10"}),
        lambda m: m["layers"][0]["area_codes"].update({"-5": "2026-03-10"}),
        lambda m: m["layers"][0]["area_codes"].update({"212": None}),
        lambda m: m["layers"][1].update(jurisdiction="US-ZZ\n", name="us-zz\n"),
        lambda m: m["layers"][2].update(seller=" acme", name="internal: acme"),
        lambda m: m["layers"][2].update(name="internal:zed"),
        lambda m: m["layers"].append(dict(m["layers"][0])),
        lambda m: m.update(id="dncg:1234"),
        lambda m: m.pop("id"),
        lambda m: m["layers"][0].update(obtained="2026-02-30"),
    ],
)
def test_forged_metadata_is_refused(saved: tuple[bytes, Any], edit: Callable[[dict[str, Any]], None]) -> None:
    blob, _ = saved
    bad = rewritten(blob, edit)
    with pytest.raises(CorruptIndexError):
        Registry._from_buffer(bad, verify=False)


def test_forged_directory_and_area_code_table_are_refused_without_checksums(saved: tuple[bytes, Any]) -> None:
    blob, _ = saved
    header = fmt.read_header(blob, len(blob))
    pages, directory = header.sections[0], header.sections[1]
    p = np.frombuffer(blob, "<i4", 1001, pages.offset).copy()
    d = np.frombuffer(blob, "<u8", directory.length // 8, directory.offset).copy()

    def with_arrays(p2: np.ndarray, d2: np.ndarray) -> bytes:
        out = bytearray(blob)
        out[pages.offset : pages.offset + pages.length] = p2.tobytes()
        out[directory.offset : directory.offset + directory.length] = d2.tobytes()
        return bytes(out)

    nz = np.flatnonzero(d)
    cases = []
    q = p.copy()
    q[305] = q[212]  # two area codes share a row: 305 would answer with 212's numbers
    cases.append((q, d))
    q = p.copy()
    q[999] = 0  # an absent area code points at a row
    cases.append((q, d))
    e = d.copy()
    e[nz[0]] += np.uint64(1 << 40)  # an offset far past the data
    cases.append((p, e))
    e = d.copy()
    e[nz[1]], e[nz[2]] = d[nz[2]], d[nz[1]]  # two blocks swapped
    cases.append((p, e))
    e = d.copy()
    e[nz[0]] |= np.uint64(15 << 2)  # l = 15 (no such container parameter)
    cases.append((p, e))
    for p2, d2 in cases:
        with pytest.raises(CorruptIndexError):
            Registry._from_buffer(with_arrays(p2, d2), verify=False)


def test_a_file_of_an_older_format_version_asks_for_a_rebuild(
    saved: tuple[bytes, Any], tmp_path: pathlib.Path
) -> None:
    blob, _ = saved
    old = bytearray(blob)
    old[8:10] = (1).to_bytes(2, "little")
    path = tmp_path / "old.dncg"
    path.write_bytes(bytes(old))
    with pytest.raises(
        CorruptIndexError, match=r"old\.dncg: format version 1.*rebuild the index with this version"
    ):
        Registry.open(path)


def test_deeply_nested_forged_metadata_is_refused() -> None:
    """json.loads raises RecursionError (not a ValueError) on a deeply nested document."""
    blob = fmt.pack_file({"layers": []}, [])
    header = fmt.read_header(blob, len(blob))
    nested = b"[" * 100_000 + b"]" * 100_000
    forged = bytearray(blob[: fmt.FIXED.size]) + nested
    forged += bytes(fmt.align(len(forged)) - len(forged))
    fmt.FIXED.pack_into(
        forged, 0, fmt.MAGIC, fmt.FORMAT_VERSION, 0, 0, 0, len(nested), len(forged), len(forged)
    )
    import struct
    import zlib

    struct.pack_into("<I", forged, 12, zlib.crc32(forged))
    assert header.sections == ()
    with pytest.raises(CorruptIndexError, match="unreadable metadata"):
        Registry._from_buffer(bytes(forged), verify=False)
