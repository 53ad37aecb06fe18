"""The sources' contract: arguments checked eagerly, lazy re-iterable streams, coverage, order."""

from __future__ import annotations

import datetime as dt
import inspect
import pathlib
import zipfile
from collections.abc import Callable

import numpy as np
import pytest

import dncguard.sources
from dncguard import CoverageError, RegistryFormatError, sources
from dncguard.layers import LayerKey, Op

D = dt.date(2026, 3, 10)


@pytest.fixture
def flat(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "ftc.txt"
    path.write_text("2125550100\n3055550100\n")
    return path


@pytest.mark.parametrize("obtained", [None, "2026-03-10", dt.datetime(2026, 3, 10, 9, 0)])
@pytest.mark.parametrize("make", [sources.ftc, sources.ftc_changes, sources.dncl])
def test_a_download_without_its_obtained_date_is_refused(
    flat: pathlib.Path, make: Callable[..., object], obtained: object
) -> None:
    with pytest.raises(TypeError, match=r"obtained= must be the datetime\.date"):
        make(flat, obtained=obtained)


def test_state_list_needs_its_obtained_date_and_a_region(flat: pathlib.Path) -> None:
    with pytest.raises(TypeError, match="obtained="):
        sources.state("US-TX", flat, obtained=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ISO 3166-2"):
        sources.state("Texas", flat, obtained=D)


def test_arguments_are_checked_before_reading(tmp_path: pathlib.Path, flat: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no-such\.zip"):
        sources.ftc(tmp_path / "no-such.zip", obtained=D)
    with pytest.raises(ValueError, match="area code '12'"):
        sources.ftc(flat, obtained=D, area_codes=["12"])
    with pytest.raises(ValueError, match="seller"):
        sources.internal(flat, seller="  ")
    # one seller however written (RULES 6.13): " Acme" is acme's list
    assert sources.internal(flat, seller=" Acme").layer.name == "internal:acme"


def test_a_source_is_lazy_and_can_be_read_again(flat: pathlib.Path) -> None:
    src = sources.ftc(str(flat), obtained=D)
    assert src.layer == LayerKey.national("US")
    assert src.path == str(flat)
    first = [c.numbers.tolist() for c in src]
    flat.write_text("5125550100\n")  # read when iterated, not when made
    assert first == [[2125550100, 3055550100]]
    assert [c.numbers.tolist() for c in src] == [[5125550100]]


def test_errors_surface_while_iterating(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("2125550100\nnot a number 12\n")
    src = sources.ftc(path, obtained=D)  # no error yet
    with pytest.raises(RegistryFormatError, match="line 2"):
        list(src)


def test_area_codes_given_are_the_coverage(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.txt"
    path.write_text("2125550100\n9075550100\n")
    chunks = list(sources.ftc(path, obtained=D, area_codes=[212, "907"]))
    cov: dict[int, dt.date] = {}
    for c in chunks:
        cov.update(c.coverage)
    assert cov == {212: D, 907: D}


def test_an_area_code_given_without_data_in_the_download_is_refused(tmp_path: pathlib.Path) -> None:
    """Covered only by data that arrived for it: a missing 907 file must not cover 907."""
    path = tmp_path / "ftc.txt"
    path.write_text("2125550100\n")
    with pytest.raises(RegistryFormatError, match=r"area code 907 \(given in area_codes=\)") as info:
        list(sources.ftc(path, obtained=D, area_codes=[212, "907"]))
    assert info.value.path == str(path)


def test_a_number_outside_the_area_codes_given_names_number_file_and_line(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.txt"
    path.write_text("2125550100\n\n3055550100\n")
    with pytest.raises(CoverageError) as info:
        list(sources.ftc(path, obtained=D, area_codes=[212]))
    assert info.value.number == 3055550100
    assert f"{path}, line 3" in str(info.value)
    changes = tmp_path / "changes.txt"
    changes.write_text("2125550100,A\nheader\n3055550100,A\n")
    with pytest.raises(CoverageError, match="line 3"):
        list(sources.ftc_changes(changes, obtained=D, area_codes=[212]))


def test_an_empty_internal_list_still_replaces_its_layer(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("")
    with pytest.raises(RegistryFormatError, match="no number can be read"):  # RULES.md §6.16
        list(sources.state("US-TX", path, obtained=D))
    [chunk] = sources.internal(path, seller="acme")  # a seller may have no requests
    assert chunk.layer.name == "internal:acme"
    assert chunk.numbers.size == 0


def test_change_records_apply_in_date_order_and_equal_dates_keep_file_order(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "changes.txt"
    path.write_text(
        "2125550100,2026-03-12,D\n"  # deleted last
        "2125550100,2026-03-11,A\n"
        "2125550101,2026-03-11,D\n"
        "2125550101,2026-03-11,A\n"  # same date: the later line wins
        "2125550102,2026-03-11,A\n"
        "2125550102,2026-03-11,D\n"
    )
    chunks = list(sources.ftc_changes(path, obtained=D))
    state = {op: {int(n) for c in chunks if c.op is op for n in c.numbers} for op in (Op.ADD, Op.DELETE)}
    assert state == {Op.ADD: {2125550101}, Op.DELETE: {2125550100, 2125550102}}
    assert {ac for c in chunks for ac in c.coverage} == {212}


def test_chunks_stay_bounded_whatever_the_file_size(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.txt"
    expected = [int(f"212555{k:04d}") for k in range(1000)]
    path.write_text("".join(f"{n}\n" for n in expected))
    chunks = list(sources.ftc(path, obtained=D, tuning=sources.Tuning(chunk_numbers=64, block_bytes=100)))
    assert max(c.numbers.size for c in chunks) < 64 + 10
    assert np.concatenate([c.numbers for c in chunks]).tolist() == expected


def test_a_multi_seller_internal_list_has_no_single_layer(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "optouts.csv"
    path.write_text("seller,number\nacme,2125550100\n")
    assert sources.internal(path).layer is None
    assert sources.internal(path, seller="acme").layer == LayerKey.internal("acme")


def test_a_damaged_zip_member_is_named(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("a/212.txt", "2125550100\n" * 2000)
    data = bytearray(path.read_bytes())
    data[80:90] = b"\x00" * 10  # inside the compressed stream
    path.write_bytes(bytes(data))
    with pytest.raises(RegistryFormatError) as info:
        list(sources.ftc(path, obtained=D))
    assert info.value.member == "a/212.txt"


def test_sources_registry_matches_the_modules() -> None:
    public = {
        name for name in dncguard.sources.__all__ if inspect.isfunction(getattr(dncguard.sources, name))
    }
    assert set(sources.SOURCES) == public
    for name, fn in sources.SOURCES.items():
        assert fn.__name__ == name
        assert fn.__doc__


def test_an_xml_ph_without_a_number_is_an_error_not_a_skip(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.xml"
    path.write_text("<list>\n<ph>2125550100</ph>\n<ph value='2125550101'/>\n</list>\n")
    with pytest.raises(RegistryFormatError, match="line 3"):
        list(sources.ftc(path, obtained=D))


def test_a_last_csv_row_with_a_zip_code_is_a_row_not_a_trailer(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("name,phone,zip\nAl,5125550100,78701\nBo,,78702\n")
    [chunk] = sources.state("US-TX", path, obtained=D)
    assert chunk.numbers.tolist() == [5125550100]


def test_abandoning_a_source_midway_stops_its_reader(tmp_path: pathlib.Path) -> None:
    import threading

    path = tmp_path / "ftc.txt"
    path.write_text("".join(f"212555{k:04d}\n" for k in range(5000)))
    before = threading.active_count()
    it = iter(sources.ftc(path, obtained=D, tuning=sources.Tuning(chunk_numbers=10, block_bytes=200)))
    next(it)
    del it
    assert threading.active_count() == before


def test_a_file_without_line_ends_is_refused_in_bounded_memory(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.txt"
    path.write_bytes(b"2125550100 " * 200)
    with pytest.raises(RegistryFormatError, match="no line end in 1000 bytes"):
        list(sources.ftc(path, obtained=D, tuning=sources.Tuning(block_bytes=64, max_line=1000)))


# --- sources.Tuning: block and chunk sizes, refusal bounds ------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"block_bytes": 0}, r"Tuning\(block_bytes=0\): expected a whole number, at least 1"),
        ({"chunk_numbers": True}, r"Tuning\(chunk_numbers=True\): expected a whole number"),
        ({"max_line": 1.5}, r"Tuning\(max_line=1.5\): expected a whole number"),
        ({"max_line": (64 << 20) + 1}, r"Tuning\(max_line=67108865\): a refusal bound can only be lowered"),
        (
            {"area_code_numbers": 10**7 + 1},
            r"area_code_numbers=10000001\): a refusal bound can only",
        ),
    ],
)
def test_tuning_refuses_what_is_not_a_size_or_raises_a_bound(kwargs: dict[str, object], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        sources.Tuning(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(sources.SOURCES))
def test_every_reader_takes_tuning_and_refuses_anything_else(tmp_path: pathlib.Path, name: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text("number\n2125550100\n")
    args: tuple[object, ...] = ("US-TX", path) if name == "state" else (path,)
    kwargs: dict[str, object] = {"seller": "acme"} if name == "internal" else {"obtained": D}
    with pytest.raises(TypeError, match=rf"{name}\(\): tuning= must be a dncguard.sources.Tuning or None"):
        sources.SOURCES[name](*args, **kwargs, tuning={"block_bytes": 64})
    assert sources.SOURCES[name](*args, **kwargs, tuning=sources.Tuning(block_bytes=4)) is not None


def test_tuning_never_changes_what_is_read(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.txt"
    expected = [int(f"212555{k:04d}") for k in range(300)]
    path.write_text("".join(f"{n}\r\n" for n in expected))
    for tune in (None, sources.Tuning(block_bytes=1, chunk_numbers=1), sources.Tuning(block_bytes=7)):
        chunks = list(sources.ftc(path, obtained=D, tuning=tune))
        assert np.concatenate([c.numbers for c in chunks]).tolist() == expected
        if tune is not None:
            assert max(c.numbers.size for c in chunks) <= tune.chunk_numbers + 100


def test_a_zip_member_declaring_more_than_a_lowered_bound_is_refused_unread(tmp_path: pathlib.Path) -> None:
    """The declared size of ``212.txt`` is checked against ``area_code_numbers`` longest records
    (plus 1 MiB of slack) before the member is inflated."""
    path = tmp_path / "ftc.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("212.txt", b"2125550100\n" * 200_000)  # 2.2 MB
    tune = sources.Tuning(area_code_numbers=1000)
    with pytest.raises(
        RegistryFormatError, match=r"inflates to 2200000 bytes, more than 1000 records"
    ) as info:
        list(sources.ftc(path, obtained=D, tuning=tune))
    assert info.value.member == "212.txt"
    assert len(np.concatenate([c.numbers for c in sources.ftc(path, obtained=D)])) == 200_000
