"""Every fixture in data/fixtures/registry is read as its format says, and every broken one fails.

The expected numbers are written out here, not derived from the generator: the generator and the
readers must agree with this independent statement of what the files hold.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable

import pytest

from dncguard import CoverageError, RegistryFormatError, sources
from dncguard.layers import Chunk, Op

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "data" / "fixtures" / "registry"
QUICKSTART = FIXTURES.parent / "quickstart"
OBTAINED = dt.date(2026, 3, 10)


def syn(ac: int, *ks: int) -> set[int]:
    """Synthetic numbers AC-555-01KK."""
    return {int(f"{ac}55501{k:02d}") for k in ks}


def numbers(chunks: list[Chunk], op: Op = Op.REPLACE) -> set[int]:
    return {int(x) for c in chunks if c.op is op for x in c.numbers}


def coverage(chunks: list[Chunk]) -> dict[int, dt.date]:
    out: dict[int, dt.date] = {}
    for c in chunks:
        out.update(c.coverage)
    return out


def ftc(name: str) -> list[Chunk]:
    return list(sources.ftc(FIXTURES / "ftc" / name, obtained=OBTAINED))


@pytest.mark.parametrize(
    ("name", "expected", "covered"),
    [
        ("flat.txt", syn(212, 0, 1, 2, 3, 4) | syn(305, 0), {212, 305}),
        ("comma.txt", syn(212, 0, 1, 2, 3, 4), {212}),
        ("full.txt.gz", syn(212, 0, 1, 2, 3, 4), {212}),
        ("full.xml", syn(212, 0, 1, 2, 3, 4) | syn(305, 0), {212, 305}),
        ("full-namespaced.xml", syn(212, 0, 1, 2, 3, 4), {212}),
        # Members named by area code (an empty member is refused: see full-empty-member.zip).
        (
            "full.zip",
            syn(212, 0, 1, 2, 3, 4) | syn(305, 0, 1, 2) | syn(512, 0, 1, 2) | syn(800, 0, 1) | syn(787, 0),
            {212, 305, 512, 800, 787},
        ),
    ],
)
def test_ftc_full_fixtures(name: str, expected: set[int], covered: set[int]) -> None:
    chunks = ftc(name)
    assert {c.layer.name for c in chunks} == {"us-ftc"}
    assert numbers(chunks) == expected
    assert coverage(chunks) == dict.fromkeys(covered, OBTAINED)
    assert all(c.obtained == OBTAINED for c in chunks)


CHANGE_ADDS = syn(212, 5) | syn(305, 5)
CHANGE_DELETES = syn(212, 0, 6)


@pytest.mark.parametrize(
    "name",
    [
        "changes.txt",
        "changes-reordered.csv",
        "changes-words.txt",
        "changes-fixed-width.txt",
        "split.zip",
        "changes.xml",
    ],
)
def test_ftc_change_fixtures_end_in_the_latest_state(name: str) -> None:
    chunks = list(sources.ftc_changes(FIXTURES / "ftc-changes" / name, obtained=OBTAINED))
    assert numbers(chunks, Op.ADD) == CHANGE_ADDS
    assert numbers(chunks, Op.DELETE) == CHANGE_DELETES
    assert coverage(chunks) == dict.fromkeys({212, 305}, OBTAINED)


@pytest.mark.parametrize(
    ("name", "expected", "covered"),
    [
        ("dncl.zip", syn(416, 0, 1, 2, 3) | syn(709, 0, 1, 2), {416, 709}),
        ("national.txt", syn(416, 0, 1, 2, 3) | syn(709, 0, 1, 2), {416, 709}),
        ("sample.xml", syn(416, 0, 1), {416}),
    ],
)
def test_dncl_fixtures(name: str, expected: set[int], covered: set[int]) -> None:
    chunks = list(sources.dncl(FIXTURES / "dncl" / name, obtained=OBTAINED))
    assert {c.layer.name for c in chunks} == {"ca-dncl"}
    assert numbers(chunks) == expected
    assert coverage(chunks) == dict.fromkeys(covered, OBTAINED)


@pytest.mark.parametrize(
    ("name", "expected"), [("us-tx.csv", syn(512, 0, 1, 2)), ("us-fl.txt", syn(305, 0, 1, 2))]
)
def test_state_fixtures(name: str, expected: set[int]) -> None:
    published = dt.date(2026, 1, 1)
    chunks = list(sources.state("US-TX", FIXTURES / "state" / name, obtained=OBTAINED, published=published))
    assert numbers(chunks) == expected
    assert all(c.layer.name == "us-tx" and c.coverage == {} for c in chunks)
    assert all(c.obtained == OBTAINED and c.published == published for c in chunks)


def dated(chunks: list[Chunk]) -> dict[str, dict[int, str]]:
    """seller -> number -> request date (``NaT``: none)."""
    out: dict[str, dict[int, str]] = {}
    for c in chunks:
        assert c.op is Op.REPLACE
        assert c.dates is not None
        assert c.layer.seller is not None
        out.setdefault(c.layer.seller, {}).update(
            {int(n): str(d) for n, d in zip(c.numbers, c.dates, strict=True)}
        )
    return out


def test_internal_fixture_for_one_seller() -> None:
    chunks = list(sources.internal(FIXTURES / "internal" / "optouts.csv", seller="acme"))
    assert dated(chunks) == {"acme": {2125550100: "2026-01-15", 3055550101: "NaT", 5125550102: "2025-12-01"}}


def test_internal_fixture_with_a_seller_column() -> None:
    chunks = list(sources.internal(FIXTURES / "internal" / "sellers.csv"))
    assert dated(chunks) == {
        "acme": {2125550100: "2026-01-15", 5125550102: "NaT"},
        "globex": {3055550101: "NaT"},
    }


Read = Callable[[pathlib.Path], object]
FTC: Read = lambda p: list(sources.ftc(p, obtained=OBTAINED))  # noqa: E731
CHANGES: Read = lambda p: list(sources.ftc_changes(p, obtained=OBTAINED))  # noqa: E731
DNCL: Read = lambda p: list(sources.dncl(p, obtained=OBTAINED))  # noqa: E731
STATE: Read = lambda p: list(sources.state("US-TX", p, obtained=OBTAINED))  # noqa: E731
ACME: Read = lambda p: list(sources.internal(p, seller="acme"))  # noqa: E731
ANY_SELLER: Read = lambda p: list(sources.internal(p))  # noqa: E731


@pytest.mark.parametrize(
    ("read", "rel", "member", "line", "says"),
    [
        (FTC, "ftc/flat-bad-digits.txt", None, 3, "expected a 10-digit number"),
        (FTC, "ftc/flat-bad-area-code.txt", None, 2, "area code and the exchange to start with 2-9"),
        (FTC, "ftc/comma-bad-trailer.txt", None, 8, "trailer says 6 records but the file has 5"),
        (FTC, "ftc/full-bad-crc.zip", "ftc/305.txt", None, "Bad CRC-32"),
        (FTC, "ftc/full-truncated.zip", None, None, "not a readable zip archive"),
        (FTC, "ftc/full-truncated.txt.gz", None, None, "unreadable"),
        (FTC, "ftc/full-bad.xml", None, 5, "expected a 10-digit number"),
        (FTC, "ftc/full-truncated.xml", None, 8, "does not close (<list> is still open)"),
        (FTC, "ftc/full-unknown-elements.xml", None, 2, "a number outside a <ph> element"),
        (FTC, "ftc/full-empty-member.zip", "ftc/907.txt", None, "no number can be read"),
        (FTC, "ftc/full-macosx-only.zip", None, None, "holds no registry file"),
        (CHANGES, "ftc-changes/changes-bad-flag.txt", None, 3, "unknown flag 'X'"),
        (CHANGES, "ftc-changes/changes-bad-date.txt", None, 2, "date '2026-02-30' does not parse"),
        (CHANGES, "ftc-changes/split-bad.zip", "deletions.txt", 4, "flag 'A' in a file of deletes"),
        (CHANGES, "ftc-changes/changes-bad.xml", None, 9, "inside an <add> or <delete> element"),
        (DNCL, "dncl/dncl-bad.zip", "709.txt", 2, "expected a 10-digit number"),
        (DNCL, "dncl/dncl-empty-member.zip", "905.txt", None, "no number can be read"),
        (DNCL, "dncl/sample-bad.xml", None, 5, "'55501'"),
        (STATE, "state/us-tx-bad.csv", None, 4, "'512-555-010'"),
        (STATE, "state/us-fl-bad.txt", None, 3, "'305555O102'"),
        (
            ACME,
            "internal/optouts-bad-date.csv",
            None,
            3,
            "requested_on '2026-13-01': date '2026-13-01' does not parse",
        ),
        (ANY_SELLER, "internal/sellers-bad.csv", None, 3, "expected a seller name"),
        (ANY_SELLER, "internal/optouts.csv", None, 1, "no seller column"),
        (ACME, "internal/sellers.csv", None, 3, "seller 'globex' in a file read for seller 'acme'"),
    ],
)
def test_broken_fixtures_name_file_member_and_line(
    read: Read, rel: str, member: str | None, line: int | None, says: str
) -> None:
    path = FIXTURES / rel
    with pytest.raises(RegistryFormatError) as info:
        read(path)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.path == str(path)
    assert err.member == member
    assert err.line == line
    assert says in str(err)
    assert str(path) in str(err)
    if line is not None:
        assert f"line {line}" in str(err)


def test_a_us_number_in_the_dncl_fixture_points_to_the_ftc_reader() -> None:
    path = FIXTURES / "dncl" / "dncl-us-number.zip"
    with pytest.raises(CoverageError, match=r"416\.txt, line 5: 2125550100 is a US number") as info:
        DNCL(path)
    assert info.value.suggested_source == "ftc"
    assert "sources.ftc(...)" in str(info.value)


def test_every_fixture_is_tested() -> None:
    """A fixture added to the generator must get a row in one of the tables above."""
    text = pathlib.Path(__file__).read_text()
    missing = [
        p.name
        for p in FIXTURES.rglob("*")
        if p.is_file() and f'"{p.name}"' not in text and (f'"{p.parent.name}/{p.name}"' not in text)
    ]
    assert missing == []


def test_quickstart_set_is_consistent() -> None:
    full = list(sources.ftc(QUICKSTART / "ftc-full.zip", obtained=OBTAINED))
    assert coverage(full) == dict.fromkeys({212, 305, 512}, OBTAINED)
    assert numbers(full) == syn(212, *range(10)) | syn(305, *range(5)) | syn(512, *range(5))
    changes = list(sources.ftc_changes(QUICKSTART / "ftc-changes.txt", obtained=dt.date(2026, 3, 11)))
    assert numbers(changes, Op.ADD) == syn(212, 10)
    assert numbers(changes, Op.DELETE) == syn(212, 9)
    assert numbers(list(sources.dncl(QUICKSTART / "dncl.zip", obtained=OBTAINED))) == syn(
        416, *range(5)
    ) | syn(709, 0, 1, 2)
    assert numbers(list(sources.state("US-TX", QUICKSTART / "us-tx.csv", obtained=OBTAINED))) == syn(
        512, 0, 5, 6, 7
    )
    assert dated(list(sources.internal(QUICKSTART / "optouts.csv", seller="acme"))) == {
        "acme": {2125550120: "2026-02-01", 3055550121: "NaT"}
    }


def test_a_number_outside_the_declared_member_area_code_is_a_coverage_error(tmp_path: pathlib.Path) -> None:
    import zipfile

    path = tmp_path / "ftc.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("212.txt", "2125550100\n3055550100\n")
    with pytest.raises(CoverageError) as info:
        list(sources.ftc(path, obtained=OBTAINED))
    assert info.value.number == 3055550100
    assert "212.txt, line 2" in str(info.value)


def test_the_quickstart_set_builds_a_registry_with_its_coverage() -> None:
    from dncguard.registry import Registry

    registry = Registry.build(
        [
            sources.ftc(QUICKSTART / "ftc-full.zip", obtained=OBTAINED),
            sources.ftc_changes(QUICKSTART / "ftc-changes.txt", obtained=dt.date(2026, 3, 11)),
            sources.dncl(QUICKSTART / "dncl.zip", obtained=OBTAINED),
            sources.state("US-TX", QUICKSTART / "us-tx.csv", obtained=OBTAINED),
            sources.internal(QUICKSTART / "optouts.csv", seller="acme"),
        ]
    )
    layers = {layer.name: layer for layer in registry.layers}
    assert set(layers) == {"us-ftc", "ca-dncl", "us-tx", "internal:acme"}
    # The change list refreshed 212 only (the area code it covers); 305 and 512 keep their date.
    assert layers["us-ftc"].area_codes == {212: dt.date(2026, 3, 11), 305: OBTAINED, 512: OBTAINED}
    assert layers["us-ftc"].count == 20  # 20 listed, one added and one deleted by the change list
    assert [listing.layer.name for listing in registry.lookup("212-555-0110")] == ["us-ftc"]
    assert registry.lookup("212-555-0109") == ()
