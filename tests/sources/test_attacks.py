"""Hostile and careless downloads: every reader reproduction of issue 12 (and 17, items 10-11).

Each test replays one way a download could make dncguard lose a listed number or cover an area
code with no data, at a small scale; the ``slow`` tests do the same at full scale (4 MiB of
adversarial XML, random truncations and byte flips of real-format downloads). The rule they
hold: a download is either read exactly, or refused with a named
:class:`~dncguard.errors.DncguardError` (file, member, line) - never read in part.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import gzip
import io
import os
import pathlib
import random
import threading
import time
import warnings
import zipfile
from collections.abc import Callable
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard import CoverageError, DncguardError, RegistryFormatError, sources
from dncguard.layers import Chunk, Op
from dncguard.sources._read import AREA_CODE_NUMBERS, SLACK_BYTES
from dncguard.sources._source import latest_date

D = dt.date(2026, 3, 10)
FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "data" / "fixtures" / "registry"


def numbers(chunks: list[Chunk], op: Op = Op.REPLACE) -> list[int]:
    return sorted(int(n) for c in chunks if c.op is op for n in c.numbers)


def coverage(chunks: list[Chunk]) -> set[int]:
    return {ac for c in chunks for ac in c.coverage}


def write_zip(path: pathlib.Path, members: dict[str, str | bytes]) -> pathlib.Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


# --- 12.1: heavy duplicates (the readers' half: every number reaches the index) --------------------


def test_a_number_repeated_past_a_piece_reaches_the_index_with_its_neighbour(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "d.txt"
    path.write_text("2125550143\n" * 262_144 + "2125550199\n")
    chunks = list(sources.ftc(path, obtained=D))
    got = np.concatenate([c.numbers for c in chunks])
    assert got.size == 262_145
    assert np.unique(got).tolist() == [2125550143, 2125550199]


# --- 12.2: an empty member is no coverage -------------------------------------------------------


@pytest.mark.parametrize("body", ["", "\n\n\n", "   \r\n", "FTC DO NOT CALL LIST\n", "TOTAL RECORDS: 0\n"])
@pytest.mark.parametrize("read", [sources.ftc, sources.dncl])
def test_a_member_that_yields_nothing_is_refused_naming_it(
    tmp_path: pathlib.Path, body: str, read: Callable[..., sources.Source]
) -> None:
    ac, other = (212, "2125550100") if read is sources.ftc else (416, "4165550100")
    path = write_zip(
        tmp_path / "d.zip", {"a/100.txt" if False else f"{ac}.txt": other + "\n", "907.txt": body}
    )
    if read is sources.dncl:
        path = write_zip(tmp_path / "d.zip", {f"{ac}.txt": other + "\n", "905.txt": body})
    with pytest.raises(RegistryFormatError, match="no number can be read from this archive member") as info:
        list(read(path, obtained=D))
    assert info.value.member in ("907.txt", "905.txt")
    assert info.value.path == str(path)


def test_a_bare_file_that_yields_nothing_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "212.txt"
    path.write_text("\n" * 100)
    with pytest.raises(RegistryFormatError, match=r"212\.txt: no number can be read from this file"):
        list(sources.ftc(path, obtained=D))
    with pytest.raises(RegistryFormatError, match="no number can be read"):
        list(sources.ftc(path, obtained=D, area_codes=[212]))  # declared coverage does not help


# --- 12.3: truncated or unreadable downloads ------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "says"),
    [
        ({}, "holds no registry file"),
        (
            {"__MACOSX/._212.txt": b"\x00\x05\x16\x07", "__MACOSX/ftc/._305.txt": b"x"},
            "holds no registry file",
        ),
        ({"ftc/": b"", ".DS_Store": b"\x00"}, "holds no registry file"),
    ],
)
def test_a_zip_without_a_registry_file_is_refused(
    tmp_path: pathlib.Path, members: dict[str, bytes], says: str
) -> None:
    path = write_zip(tmp_path / "d.zip", dict(members))
    for read in (sources.ftc, sources.dncl, sources.ftc_changes):
        with pytest.raises(RegistryFormatError, match=says) as info:
            list(read(path, obtained=D))
        assert info.value.path == str(path)


def _damage_central_directory(path: pathlib.Path, offset: int, value: bytes) -> None:
    """Overwrite bytes of the (only) central directory record, ``offset`` bytes into it."""
    data = bytearray(path.read_bytes())
    at = data.rindex(b"PK\x01\x02") + offset
    data[at : at + len(value)] = value
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("offset", "value"),
    [
        (6, bytes([84, 0])),  # "version needed to extract" 8.4: zipfile raises NotImplementedError
        (8, (0x800).to_bytes(2, "little")),  # file name flagged UTF-8, then made invalid UTF-8 below
    ],
)
@pytest.mark.parametrize("read", [sources.ftc, sources.dncl, sources.ftc_changes])
def test_a_damaged_zip_directory_is_a_named_format_error(
    tmp_path: pathlib.Path, offset: int, value: bytes, read: Callable[..., sources.Source]
) -> None:
    # Found by the thorough pass's random damage: these raised NotImplementedError or
    # UnicodeDecodeError out of zipfile instead of naming the download.
    path = write_zip(tmp_path / "d.zip", {"\u00e9212.txt": b"2125550143\n"})
    _damage_central_directory(path, offset, value)
    if offset == 8:
        data = bytearray(path.read_bytes())
        at = data.rindex(b"PK\x01\x02") + 46  # the file name
        data[at] = 0xFF
        path.write_bytes(bytes(data))
    with pytest.raises(RegistryFormatError, match="not a readable zip archive") as info:
        list(read(path, obtained=D))
    assert info.value.path == str(path)


@pytest.mark.parametrize(
    "doc",
    [
        "",
        "<?xml version='1.0'?>\n<numbers><n>none</n></numbers>\n",
        "<list type='full'></list>",
        "<list type='full'><ac val='212'></ac></list>",
    ],
)
def test_xml_without_records_is_refused(tmp_path: pathlib.Path, doc: str) -> None:
    path = tmp_path / "ftc.xml"
    path.write_text(doc)
    with pytest.raises(RegistryFormatError, match="no number can be read"):
        list(sources.ftc(path, obtained=D))


XML = (
    "<?xml version='1.0' encoding='UTF-8'?>\n<list type='full' level='all'>\n"
    + "".join(f"  <ph>212555{k:04d}</ph>\n" for k in range(40))
    + "  <ac val='305'>\n"
    + "".join(f"    <ph val='555{k:04d}' />\n" for k in range(40))
    + "  </ac>\n</list>\n"
)
XML_NUMBERS = sorted([2125550000 + k for k in range(40)] + [3055550000 + k for k in range(40)])


def test_xml_cut_anywhere_before_its_closing_tag_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.xml"
    end = XML.rindex("</list>")
    for cut in [*range(0, len(XML), 7), end, end + 3, end + 6]:
        if cut >= end + len("</list>"):
            continue
        path.write_text(XML[:cut])
        with pytest.raises(RegistryFormatError):
            list(sources.ftc(path, obtained=D))
    path.write_text(XML)
    assert numbers(list(sources.ftc(path, obtained=D))) == XML_NUMBERS


@pytest.mark.parametrize("block", [16, 100, 4096])
def test_namespaced_xml_is_read_by_local_names(tmp_path: pathlib.Path, block: int) -> None:
    doc = (
        "<?xml version='1.0'?>\n<d:list xmlns:d='urn:example:dnc' d:type='full'>\n"
        "<d:ac d:val='416'>\n"
        + "".join(f"<d:ph d:val='555{k:04d}'/>\n" for k in range(30))
        + "</d:ac>\n<d:ph>4165550999</d:ph>\n</d:list>\n"
    )
    path = tmp_path / "dncl.xml"
    path.write_text(doc)
    got = numbers(list(sources.dncl(path, obtained=D, tuning=sources.Tuning(block_bytes=block))))
    assert got == sorted([4165550000 + k for k in range(30)] + [4165550999])


def test_xml_comments_cdata_and_declarations_hide_no_record(tmp_path: pathlib.Path) -> None:
    doc = (
        "<?xml version='1.0'?>\n<!DOCTYPE list>\n<list type='full'>\n"
        "<!-- <ph>2125550199</ph> is commented out -->\n"
        "<ph>2125550100</ph><![CDATA[<ph>2125550198</ph>]]>\n<?pi <ph>x</ph>?>\n"
        "<ph val='2125550101'/>\n</list>\n"
    )
    path = tmp_path / "ftc.xml"
    path.write_text(doc)
    assert numbers(list(sources.ftc(path, obtained=D))) == [2125550100, 2125550101]


@pytest.mark.parametrize(
    "doc",
    [
        "<list><ph>2125550100</ph></list><list><ph>2125550101</ph></list>",  # two roots
        "<ph>2125550100</ph><ph>2125550101</ph>",  # no root: a cut between records is invisible
        "<list><ph>2125550100</ph></list><ph>2125550101</ph>",
        "<list><ph val='2125550100'/><ph id='3'/></list>",  # a <ph> without a value
        "<list><ph val=2125550100 /></list>",  # an unquoted value is not skipped
        "<list><ph val='2125550100'/><qh val='2125550101'/></list>",  # a flipped bit in a name
        "<list><ph>2125550100</ph><n>2125550101</n></list>",  # text outside a <ph>
    ],
)
def test_xml_whose_records_could_be_lost_is_refused(tmp_path: pathlib.Path, doc: str) -> None:
    path = tmp_path / "ftc.xml"
    path.write_text(doc)
    with pytest.raises(RegistryFormatError, match="line 1"):
        list(sources.ftc(path, obtained=D))


# --- 12.4: linear time ----------------------------------------------------------------------------


def adversarial_xml(size: int) -> dict[str, bytes]:
    """Documents that made the old regular-expression reader cubic or quadratic."""
    return {
        "spaces in a tag": b"<list>\n<a" + b" " * size + b"\n",
        "spaces in a closed tag": b"<list><a" + b" " * size + b"></a><ph>2125550100</ph></list>",
        "many <ph openings": b"<list>" + b"<ph" * (size // 3),
        "many <ph val= openings": b"<list>" + b"<ph val='" * (size // 9),
        "many unclosed quotes": b"<list>" + b'<a b="' * (size // 6),
        "many comment openings": b"<list>" + b"<!--" * (size // 4),
        "many <ph> without text end": b"<list>" + b"<ph>2" * (size // 5),
        "spaces before a name": b"<list><" + b" " * size + b"ph>2125550100</ph></list>",
        "long names": b"<list><" + b"a" * size + b" x='1'>",
        "nested opens": b"<list>" + b"<ac val='212'>" * (size // 14),
        "sibling elements": b"<list>" + b"<ac val='212'></ac>" * (size // 19) + b"</list>",
        "empty change groups": b"<list>" + b"<add date='2026-03-10'/>" * (size // 24) + b"</list>",
    }


def _time_xml(tmp_path: pathlib.Path, size: int) -> dict[str, float]:
    times: dict[str, float] = {}
    for name, doc in adversarial_xml(size).items():
        path = tmp_path / "ftc.xml"
        path.write_bytes(doc)
        t = time.perf_counter()
        with contextlib.suppress(DncguardError):
            list(sources.ftc(path, obtained=D))
        times[name] = time.perf_counter() - t
    return times


def test_adversarial_xml_is_linear_at_small_scale(tmp_path: pathlib.Path) -> None:
    times = _time_xml(tmp_path, 256 << 10)
    assert max(times.values()) < 2.0, times  # the old reader: minutes for 20 KB of spaces


@pytest.mark.slow
def test_adversarial_xml_of_4_mib_is_refused_in_under_2_seconds(tmp_path: pathlib.Path) -> None:
    times = _time_xml(tmp_path, 4 << 20)
    assert max(times.values()) < 2.0, times


# --- 12.6: dates from the future --------------------------------------------------------------------


def test_today_is_the_utc_date_plus_one_day() -> None:
    today = dt.datetime.now(dt.UTC).date()
    assert latest_date() in (today + dt.timedelta(days=1), today + dt.timedelta(days=2))  # midnight


@pytest.mark.parametrize("read", [sources.ftc, sources.ftc_changes, sources.dncl])
def test_an_obtained_date_in_the_future_is_refused(
    tmp_path: pathlib.Path, read: Callable[..., object]
) -> None:
    path = tmp_path / "d.txt"
    path.write_text("2125550100\n")
    future = latest_date() + dt.timedelta(days=1)
    with pytest.raises(RegistryFormatError, match=rf"obtained={future.isoformat()} is in the future") as info:
        read(path, obtained=future)
    assert info.value.path == str(path)
    read(path, obtained=latest_date())  # tomorrow in UTC is today somewhere: accepted
    with pytest.raises(RegistryFormatError, match="in the future"):
        sources.state("US-TX", path, obtained=dt.date(2030, 1, 1))


def test_a_request_date_in_the_future_is_refused_naming_the_line(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "optouts.csv"
    future = latest_date() + dt.timedelta(days=1)
    for written in (future.isoformat(), future.strftime("%m/%d/%Y"), "2030-01-01T09:00:00"):
        path.write_text(f"number,requested_on\n2125550100,2026-01-02\n3055550100,{written}\n")
        with pytest.raises(RegistryFormatError, match="is in the future") as info:
            list(sources.internal(path, seller="acme"))
        assert info.value.line == 3
    path.write_text(f"number,requested_on\n2125550100,{latest_date().isoformat()}\n")
    assert len(list(sources.internal(path, seller="acme"))) == 1


def test_a_change_record_dated_in_the_future_is_refused_naming_the_line(tmp_path: pathlib.Path) -> None:
    """A typo year (2062 for 2026) would make a deletion the number's latest record, outranking
    the real re-addition after it: the listed number would be lost."""
    path = tmp_path / "changes.txt"
    future = latest_date() + dt.timedelta(days=1)
    for written in (future.isoformat(), future.strftime("%m/%d/%Y"), "2062-03-11T08:00:00"):
        path.write_text(f"2125550110,2026-03-12,A\n2125550110,{written},D\n")
        with pytest.raises(RegistryFormatError, match="is in the future") as info:
            list(sources.ftc_changes(path, obtained=D))
        assert info.value.line == 2
    xml = tmp_path / "changes.xml"
    xml.write_text("<list>\n<add date='2026-03-12'><ph val='2125550110'/></add>\n"
                   "<delete date='2062-03-11'><ph val='2125550110'/></delete>\n</list>\n")  # fmt: skip
    with pytest.raises(RegistryFormatError, match="2062-03-11 is in the future") as info:
        list(sources.ftc_changes(xml, obtained=D))
    assert info.value.line == 3
    path.write_text(f"2125550110,2026-03-12,A\n2125550110,{latest_date().isoformat()},D\n")
    assert numbers(list(sources.ftc_changes(path, obtained=D)), Op.DELETE) == [2125550110]


# --- 12.7: the wrong list under the wrong flag --------------------------------------------------------


def test_a_canadian_number_in_the_ftc_list_points_to_the_dncl(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.txt"
    path.write_text("2125550100\n4165550100\n")
    with pytest.raises(CoverageError, match=r"line 2: 4165550100 is a Canadian number") as info:
        list(sources.ftc(path, obtained=D))
    assert info.value.suggested_source == "dncl"
    assert info.value.number == 4165550100
    assert "sources.dncl(...)" in str(info.value)
    changes = tmp_path / "changes.txt"
    changes.write_text("2125550100,2026-03-10,A\n4165550100,2026-03-10,D\n")
    with pytest.raises(CoverageError, match="line 2") as info:
        list(sources.ftc_changes(changes, obtained=D))
    assert info.value.suggested_source == "dncl"
    state = tmp_path / "tx.csv"
    state.write_text("phone\n5125550100\n4165550100\n")
    with pytest.raises(CoverageError, match="line 3") as info:
        list(sources.state("US-TX", state, obtained=D))
    assert info.value.suggested_source == "dncl"


def test_a_us_number_in_the_dncl_points_to_the_ftc(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "dncl.txt"
    path.write_text("416,5550100\n212,5550100\n")
    with pytest.raises(CoverageError, match=r"line 2: 2125550100 is a US number") as info:
        list(sources.dncl(path, obtained=D))
    assert info.value.suggested_source == "ftc"
    # Toll-free numbers are shared by the two countries; territories are US.
    path.write_text("416,5550100\n800,5550100\n")
    assert numbers(list(sources.dncl(path, obtained=D))) == [4165550100, 8005550100]
    path.write_text("416,5550100\n787,5550100\n")
    with pytest.raises(CoverageError):
        list(sources.dncl(path, obtained=D))


@pytest.mark.parametrize(
    ("region", "says"),
    [
        ("US-ZZ", "unknown region 'US-ZZ'"),
        ("CA-ON", "Canadian province"),
        ("US-PR", "US territory"),
        ("US-GU", "US territory"),
        ("Texas", "ISO 3166-2"),
        ("TX", "did you mean 'US-TX'"),
    ],
)
def test_state_takes_only_the_50_states_and_dc(tmp_path: pathlib.Path, region: str, says: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text("5125550100\n")
    with pytest.raises(RegistryFormatError, match=says):
        sources.state(region, path, obtained=D)


def test_state_accepts_dc_and_lower_case(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("2025550100\n")
    assert sources.state("US-DC", path, obtained=D).layer.name == "us-dc"  # type: ignore[union-attr]
    assert sources.state("us-tx", path, obtained=D).layer.name == "us-tx"  # type: ignore[union-attr]


# --- 12.8: zip bombs --------------------------------------------------------------------------------


def test_a_zip_bomb_of_blank_lines_is_refused_before_it_is_read(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bomb.zip"
    block = b"\n" * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("212.txt", "2125550100\n")
        with z.open("305.txt", "w", force_zip64=True) as f:
            for _ in range(80):  # 80 MiB inflated, about 80 KB compressed
                f.write(block)
    assert path.stat().st_size < 1 << 20
    t = time.perf_counter()
    with pytest.raises(RegistryFormatError, match="not a registry file") as info:
        list(sources.ftc(path, obtained=D))
    assert time.perf_counter() - t < 2.0  # refused from the member's header, before inflating
    assert info.value.member == "305.txt"


@pytest.mark.parametrize("line", [b"\n", b"   \r\n", b"FTC HEADER\n"])
def test_a_gzip_of_blank_lines_is_refused_after_its_first_blocks(tmp_path: pathlib.Path, line: bytes) -> None:
    path = tmp_path / "bomb.txt.gz"
    raw = line * ((16 << 20) // len(line))
    path.write_bytes(b"\x1f\x8b" + gzip.compress(b"2125550100\n" + raw)[2:])
    t = time.perf_counter()
    with pytest.raises(RegistryFormatError, match=r"not a registry file: \d+ bytes hold only 1 records"):
        list(sources.ftc(path, obtained=D, tuning=sources.Tuning(block_bytes=1 << 20)))
    assert time.perf_counter() - t < 2.0


@pytest.mark.parametrize("make", ["changes", "state", "internal", "xml"])
def test_every_reader_refuses_megabytes_without_records(tmp_path: pathlib.Path, make: str) -> None:
    blank = "\n" * (SLACK_BYTES * 3)
    path = tmp_path / "bomb"
    source: sources.Source
    tune = sources.Tuning(block_bytes=1 << 20)
    if make == "changes":
        path.write_text("2125550100,2026-03-10,A\n" + blank)
        source = sources.ftc_changes(path, obtained=D, tuning=tune)
    elif make == "state":
        path.write_text("phone\n5125550100\n" + blank)
        source = sources.state("US-TX", path, obtained=D, tuning=tune)
    elif make == "internal":
        path.write_text("number\n5125550100\n" + blank)
        source = sources.internal(path, seller="acme", tuning=tune)
    else:
        path.write_text("<list><ph>2125550100</ph>" + blank.replace("\n", "<!-- -->\n") + "</list>")
        source = sources.ftc(path, obtained=D, tuning=tune)
    with pytest.raises(RegistryFormatError, match="not a registry file"):
        list(source)


def test_a_member_holding_more_records_than_its_area_code_has_lines_is_refused(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "bomb.txt.gz"
    limit = 1000
    with gzip.open(path, "wb") as g:
        for _ in range(3):
            g.write(b"2125550100\n" * 600)
    with pytest.raises(RegistryFormatError, match=f"more than {limit} records for area code 212"):
        list(sources.ftc(path, obtained=D, tuning=sources.Tuning(area_code_numbers=limit)))
    assert AREA_CODE_NUMBERS == 10_000_000


@pytest.mark.slow
def test_a_declared_area_code_member_inflating_past_10_million_records_is_refused(
    tmp_path: pathlib.Path,
) -> None:
    """A real bomb: a 212.txt member declaring more bytes than 10 million 64-byte lines."""
    path = tmp_path / "bomb.zip"
    block = b"2125550100\n" * (1 << 16)
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z,
        z.open("ftc/212.txt", "w", force_zip64=True) as f,
    ):
        for _ in range((650 << 20) // len(block)):
            f.write(block)
    t = time.perf_counter()
    with pytest.raises(RegistryFormatError, match="not a registry file") as info:
        list(sources.ftc(path, obtained=D))
    assert time.perf_counter() - t < 1.0
    assert info.value.member == "ftc/212.txt"


# --- 12.13: messages that name the file ------------------------------------------------------------


def test_a_directory_is_called_a_directory(tmp_path: pathlib.Path) -> None:
    for read in (sources.ftc, sources.dncl, sources.ftc_changes):
        with pytest.raises(RegistryFormatError, match="is a directory") as info:
            read(tmp_path, obtained=D)
        assert info.value.path == str(tmp_path)
    with pytest.raises(RegistryFormatError, match="is a directory"):
        sources.internal(tmp_path, seller="acme")
    with pytest.raises(RegistryFormatError, match="is a directory"):
        sources.state("US-TX", tmp_path, obtained=D)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_being_opened(tmp_path: pathlib.Path) -> None:
    fifo = tmp_path / "download.zip"
    os.mkfifo(fifo)
    with pytest.raises(RegistryFormatError, match=r"is not a regular file \(a FIFO\)"):
        sources.ftc(fifo, obtained=D)
    # A file swapped for a FIFO after the source was made: refused while reading, no hang.
    path = tmp_path / "ftc.txt"
    path.write_text("2125550100\n")
    src = sources.ftc(path, obtained=D)
    path.unlink()
    os.mkfifo(path)
    done: list[BaseException] = []

    def read() -> None:
        try:
            list(src)
        except BaseException as e:
            done.append(e)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "reading a FIFO hangs"
    assert isinstance(done[0], RegistryFormatError)
    assert "is not a regular file" in str(done[0])


def test_a_file_gone_before_it_is_read_names_the_file(tmp_path: pathlib.Path) -> None:
    """The download is checked when the source is made and opened again when it is read: a file
    removed, or made unreachable, in between is a named error, not an empty layer."""
    path = tmp_path / "ftc.txt"
    path.write_text("2125550100\n")
    src = sources.ftc(path, obtained=D)
    path.unlink()
    with pytest.raises(RegistryFormatError, match="cannot be read: No such file or directory") as info:
        list(src)
    assert info.value.path == str(path)
    # A folder on the way that became a file (ENOTDIR), and a symbolic-link loop (ELOOP).
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "ftc.txt").write_text("2125550100\n")
    src = sources.ftc(folder / "ftc.txt", obtained=D)
    (folder / "ftc.txt").unlink()
    folder.rmdir()
    folder.write_text("not a folder\n")
    with pytest.raises(RegistryFormatError, match=os.strerror(errno.ENOTDIR)) as info:
        list(src)
    assert info.value.path == str(folder / "ftc.txt")
    path.write_text("2125550100\n")
    src = sources.ftc(path, obtained=D)
    path.unlink()
    path.symlink_to(path)
    with pytest.raises(RegistryFormatError, match=os.strerror(errno.ELOOP)):
        list(src)


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="no /proc/self/mem here")
def test_an_os_error_while_reading_names_the_file() -> None:
    """``/proc/self/mem`` is a regular file that opens (as root too) and fails its first read with
    EIO (address 0 is never mapped): a disk error, reached without faking one."""
    with pytest.raises(RegistryFormatError, match=os.strerror(errno.EIO)) as info:
        list(sources.ftc("/proc/self/mem", obtained=D))
    assert info.value.path == "/proc/self/mem"


def test_an_os_error_in_the_middle_of_a_read_names_the_file(tmp_path: pathlib.Path) -> None:
    """A gzip stream that goes bad after its magic bytes raises an OSError (BadGzipFile) in the
    reading thread: it reaches the caller as the file's error, not as a short read."""
    path = tmp_path / "ftc.txt.gz"
    path.write_bytes(b"\x1f\x8b\x07" + b"\x00" * 64)  # compression method 7: not deflate
    with pytest.raises(RegistryFormatError, match=r"unreadable file: .*compression method") as info:
        list(sources.ftc(path, obtained=D))
    assert info.value.path == str(path)
    assert isinstance(info.value.__cause__, OSError)


# --- found while attacking: nested archives, BOMs, CRLF, duplicates, path tricks ------------------


def test_an_archive_inside_the_archive_is_named(tmp_path: pathlib.Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("212.txt", "2125550100\n")
    path = write_zip(tmp_path / "outer.zip", {"inner.zip": inner.getvalue()})
    with pytest.raises(RegistryFormatError, match="is itself a zip archive") as info:
        list(sources.ftc(path, obtained=D))
    assert info.value.member == "inner.zip"
    path = write_zip(tmp_path / "outer2.zip", {"212.txt.gz": gzip.compress(b"2125550100\n")})
    with pytest.raises(RegistryFormatError, match="is itself a gzip archive"):
        list(sources.ftc(path, obtained=D))


def test_a_gzip_holding_a_zip_is_named(tmp_path: pathlib.Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("212.txt", "2125550100\n")
    path = tmp_path / "ftc.zip.gz"
    path.write_bytes(gzip.compress(inner.getvalue()))
    with pytest.raises(RegistryFormatError, match="is itself a zip archive"):
        list(sources.ftc(path, obtained=D))


@pytest.mark.parametrize("rows", [3, 30])  # the general path and the uniform-row fast path
def test_a_10_digit_ph_of_another_area_code_inside_an_ac_is_refused(
    tmp_path: pathlib.Path, rows: int
) -> None:
    body = "".join(f"<ph>416555{k:04d}</ph>\n" for k in range(rows)) + "<ph>2125550100</ph>\n"
    path = tmp_path / "dncl.xml"
    path.write_text(f"<list type='full'>\n<ac val='416'>\n{body}</ac>\n</list>\n")
    with pytest.raises(CoverageError, match=rf"line {rows + 3}: 2125550100 is outside its <ac val='416'>"):
        list(sources.dncl(path, obtained=D))


def test_member_paths_with_dot_dot_are_only_names(tmp_path: pathlib.Path) -> None:
    path = write_zip(tmp_path / "d.zip", {"../../212.txt": "2125550100\n", "/abs/305.txt": "3055550100\n"})
    chunks = list(sources.ftc(path, obtained=D))
    assert numbers(chunks) == [2125550100, 3055550100]
    assert coverage(chunks) == {212, 305}
    assert not (tmp_path.parent.parent / "212.txt").exists()  # nothing is extracted


def test_the_same_member_many_times_reads_every_number(tmp_path: pathlib.Path) -> None:
    body = "".join(f"212555{k:04d}\n" for k in range(500))
    path = tmp_path / "d.zip"
    with zipfile.ZipFile(path, "w") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name: that is the attack
        for _ in range(20):
            z.writestr("212.txt", body)
    chunks = list(sources.ftc(path, obtained=D))
    assert np.unique(np.concatenate([c.numbers for c in chunks])).tolist() == [
        2125550000 + k for k in range(500)
    ]


def test_bom_crlf_and_mixed_line_ends_read_every_number(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "d.txt"
    path.write_bytes(b"\xef\xbb\xbf2125550100\r\n2125550101\n2125550102\r2125550103\r\n\r\n2125550104")
    assert numbers(list(sources.ftc(path, obtained=D))) == [2125550100 + k for k in range(5)]
    xml = tmp_path / "d.xml"
    xml.write_bytes(b"\xef\xbb\xbf<list>\r\n<ph>2125550100</ph>\r<ph>2125550101</ph>\n</list>\r\n")
    assert numbers(list(sources.ftc(xml, obtained=D))) == [2125550100, 2125550101]


def test_a_utf16_download_is_named(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "d.txt"
    path.write_bytes("2125550100\n".encode("utf-16"))
    with pytest.raises(RegistryFormatError, match="UTF-16"):
        list(sources.ftc(path, obtained=D))


def test_a_file_that_changes_while_read_is_read_or_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.txt"
    path.write_text("".join(f"212555{k:04d}\n" for k in range(5000)))
    # One block of 1000 bytes is read before the file is cut under the reader.
    it = iter(sources.ftc(path, obtained=D, area_codes=[212], tuning=sources.Tuning(block_bytes=1000)))
    first = next(it)
    with open(path, "r+b") as f:  # truncated mid-line under the reader
        f.truncate(30_005)
    try:
        rest = list(it)
    except DncguardError:
        return
    got = np.concatenate([first.numbers, *(c.numbers for c in rest)])
    assert set(got.tolist()) <= {2125550000 + k for k in range(5000)}


# --- 17.10: the number column of delimited lists ---------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["number", "phone", "Phone Number", "telephone", "TEL", "phone_number", "Mobile", "Tel No"],
)
def test_the_internal_list_finds_the_number_column_under_any_common_spelling(
    tmp_path: pathlib.Path, header: str
) -> None:
    path = tmp_path / "optouts.csv"
    path.write_text(f"Account Number,{header},requested_on\nA-17,2125550100,2026-01-02\n")
    chunks = list(sources.internal(path, seller="acme"))
    assert numbers(chunks) == [2125550100]


@pytest.mark.parametrize("read", ["internal", "state"])
def test_both_readers_prefer_the_phone_column_and_take_number_column(
    tmp_path: pathlib.Path, read: str
) -> None:
    path = tmp_path / "list.csv"
    path.write_text("Account Number,Home Phone,Work Phone\n1234567,5125550100,5125550101\n")

    def run(**kw: str) -> list[int]:
        if read == "internal":
            return numbers(list(sources.internal(path, seller="acme", **kw)))
        return numbers(list(sources.state("US-TX", path, obtained=D, **kw)))

    with pytest.raises(RegistryFormatError, match=r"two phone-number columns.*number_column="):
        run()
    assert run(number_column="work phone") == [5125550101]
    with pytest.raises(RegistryFormatError, match="no column named 'Cell'"):
        run(number_column="Cell")
    path.write_text("Account Number,Phone\n1234567,512555010\n")
    with pytest.raises(RegistryFormatError, match="line 2: column 'Phone': expected a 10-digit"):
        run()


# --- 17.11: change-list dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "date"),
    [
        ("2026-03-11", "2026-03-11"),
        ("2026/03/11", "2026-03-11"),
        ("03/11/2026", "2026-03-11"),
        ("3/11/2026", "2026-03-11"),
        ("20260311", "2026-03-11"),
        ("Mar 11 2026", "2026-03-11"),
        ("March 11, 2026", "2026-03-11"),
        ("11-Mar-2026", "2026-03-11"),
        ("2026-03-11T08:15:00Z", "2026-03-11"),
        ("13.03.2026", "2026-03-13"),
    ],
)
def test_change_lists_accept_the_date_layouts_of_us_exports(
    tmp_path: pathlib.Path, written: str, date: str
) -> None:
    path = tmp_path / "changes.txt"
    # The later date wins: the add on `date` beats a delete dated the day before it.
    before = (dt.date.fromisoformat(date) - dt.timedelta(days=1)).isoformat()
    path.write_text(f"2125550160,{written},A\n2125550160,{before},D\n")
    chunks = list(sources.ftc_changes(path, obtained=D))
    assert numbers(chunks, Op.ADD) == [2125550160]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("2125550160,11.03.2026,A", "date '11.03.2026' is ambiguous"),
        ("2125550160,11-03-2026,A", "date '11-03-2026' is ambiguous"),
        ("2125550160,2026-02-30,A", "date '2026-02-30' does not parse"),
        ("2125550160,Feb 30 2026,A", "date 'Feb 30 2026' does not parse"),
        ("2125550160,03/11/26,A", "date '03/11/26' does not parse"),
    ],
)
def test_change_list_date_errors_blame_the_date(tmp_path: pathlib.Path, line: str, says: str) -> None:
    path = tmp_path / "changes.txt"
    path.write_text("2125550100,2026-03-10,A\n" + line + "\n")
    with pytest.raises(RegistryFormatError, match=says) as info:
        list(sources.ftc_changes(path, obtained=D))
    assert info.value.line == 2


# --- thorough: random damage to real-format downloads -------------------------------------------------

GOOD = [
    ("ftc", "ftc/full.zip"),
    ("ftc", "ftc/full.xml"),
    ("ftc", "ftc/comma.txt"),
    ("ftc", "ftc/full.txt.gz"),
    ("ftc", "ftc/full-namespaced.xml"),
    ("dncl", "dncl/dncl.zip"),
    ("dncl", "dncl/sample.xml"),
    ("ftc_changes", "ftc-changes/changes.xml"),
    ("ftc_changes", "ftc-changes/split.zip"),
]


def _read_all(kind: str, path: pathlib.Path) -> tuple[list[int], list[int], set[int]]:
    chunks = list(sources.SOURCES[kind](path, obtained=D))
    return numbers(chunks), numbers(chunks, Op.ADD) + numbers(chunks, Op.DELETE), coverage(chunks)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(GOOD), st.data())
def test_damaged_downloads_are_read_exactly_or_refused(case: tuple[str, str], data: st.DataObject) -> None:
    kind, rel = case
    original = (FIXTURES / rel).read_bytes()
    expected = _read_all(kind, FIXTURES / rel)
    damage = data.draw(st.sampled_from(["truncate", "flip"]))
    if damage == "truncate":
        at = data.draw(st.integers(0, len(original) - 1))
        damaged = original[:at]
    else:
        flipped = bytearray(original)
        digit_to_digit = False
        for _ in range(data.draw(st.integers(1, 4))):
            i = data.draw(st.integers(0, len(original) - 1))
            flipped[i] ^= 1 << data.draw(st.integers(0, 7))
            digit_to_digit |= chr(original[i]).isdigit() and chr(flipped[i]).isdigit()
        damaged = bytes(flipped)
    tmp = (
        pathlib.Path(os.environ.get("TMPDIR", "/tmp"))
        / f"dncguard-attack-{os.getpid()}{pathlib.Path(rel).suffix}"
    )
    tmp.write_bytes(damaged)
    try:
        got = _read_all(kind, tmp)
    except DncguardError:
        return  # refused, named
    finally:
        tmp.unlink()
    if damage == "truncate" and not original[len(damaged) :].strip():
        # Only trailing white space cut off (an XML document's last newline): the document is
        # whole, and must read exactly as the original.
        assert got == expected, (rel, got, expected)
        return
    if damage == "truncate":
        # A truncated zip, gzip or XML document is never read: it must have been refused. A flat
        # text file has no end marker (unless a trailer states its count): a cut one reads a prefix.
        assert rel.endswith((".txt", ".csv")), f"{rel} cut at {len(damaged)} of {len(original)} was read"
        assert set(got[0]) <= set(expected[0])
        return
    if digit_to_digit and rel.endswith((".txt", ".xml")):
        # A digit flipped into another digit writes another valid number: the damage a text
        # format without checksums cannot see (a zip's CRC does). Nothing else may be read wrong.
        return
    assert got == expected, (rel, got, expected)


@pytest.mark.slow
def test_random_truncations_of_a_large_xml_download_are_refused(tmp_path: pathlib.Path) -> None:
    rng = random.Random(12)
    doc = (
        "<?xml version='1.0'?>\n<list type='full' level='ac' val='416'/>\n<ac val='416'>\n"
        + "".join(f"<ph val='555{k:04d}' />\n" for k in range(10_000))
        + "</ac>\n</list>\n"
    ).encode()
    path = tmp_path / "dncl.xml"
    for _ in range(200):
        cut = rng.randrange(len(doc) - len(b"</list>\n") + 1)
        path.write_bytes(doc[:cut])
        tune = sources.Tuning(block_bytes=rng.choice([64, 4096, 1 << 20]))
        with pytest.raises(RegistryFormatError):
            list(sources.dncl(path, obtained=D, tuning=tune))


def test_a_seller_column_spelt_another_way_is_the_same_seller(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "optouts.csv"
    path.write_text("seller,number\nACME,2125550100\n  Acme ,3055550100\nacme,5125550100\n")
    assert numbers(list(sources.internal(path, seller="acme"))) == [2125550100, 3055550100, 5125550100]
    path.write_text("seller,number\nacme,2125550100\nglobex,3055550100\n")
    with pytest.raises(RegistryFormatError, match="seller 'globex' in a file read for seller 'acme'"):
        list(sources.internal(path, seller="acme"))


def test_a_change_list_given_as_a_full_list_says_so(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "changes.txt"
    path.write_text("2125550100,2026-03-11,A\n2125550101,2026-03-11,D\n")
    with pytest.raises(
        RegistryFormatError, match=r"line 1: .*looks like a change list: read it with sources\.ftc_changes"
    ):
        list(sources.ftc(path, obtained=D))


def test_a_zip_of_thousands_of_tiny_members_reads_in_linear_time(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as z:
        for k in range(5000):
            z.writestr(f"part{k}a{k}.txt", f"212555{k % 10000:04d}\n")
    started = []
    real = threading.Thread

    def counting(*args: object, **kwargs: object) -> threading.Thread:
        started.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    # Fault injection is the only way to see a thread that was never started: the public
    # ``threading.Thread`` is counted where it lives, no dncguard name is patched.
    with mock.patch("threading.Thread", counting):
        chunks = list(sources.ftc(path, obtained=D))
    assert numbers(chunks) == [2125550000 + k for k in range(5000)]
    # A reader thread a member cost 1.4 ms each (7 s here): small members are read inline.
    assert started == []


# --- a change list never makes an area code covered --------------------------------------------


def test_a_change_list_alone_covers_no_area_code(tmp_path: pathlib.Path) -> None:
    """A change list holds a day's additions and deletions, not an area code's list: built on its
    own it would mark 212 covered and let every 212 number it does not name be called."""
    from dncguard import Guard, Registry

    changes = tmp_path / "changes.txt"
    changes.write_text("2125550110,2026-03-10,A\n2125550109,2026-03-10,D\n")
    with pytest.raises(CoverageError, match=r"changes\.txt: a change list for area code 212, which the"):
        Registry.build([sources.ftc_changes(changes, obtained=D)])
    full = tmp_path / "212.txt"
    full.write_text("2125550109\n2125550111\n")
    registry = Registry.build([sources.ftc(full, obtained=D)])
    with pytest.raises(CoverageError, match="area code 305, which the us-ftc data does not cover"):
        registry.update([sources.ftc_changes(write_zip(tmp_path / "c.zip", {
            "212.txt": "2125550112,2026-03-11,A\n", "305.txt": "3055550112,2026-03-11,A\n",
        }), obtained=D + dt.timedelta(days=1))])  # fmt: skip
    # backed by a full download in the same build, in either order, or an earlier one: applied
    for order in ([full, changes], [changes, full]):
        made = {full: sources.ftc(full, obtained=D), changes: sources.ftc_changes(changes, obtained=D)}
        built = Registry.build([made[p] for p in order])
        assert dict(built.layers[0].area_codes) == {212: D}
    updated = registry.update([sources.ftc_changes(changes, obtained=D + dt.timedelta(days=1))])
    assert updated.layers[0].area_codes == {212: D + dt.timedelta(days=1)}
    assert [bool(updated.lookup(n)) for n in (2125550109, 2125550110, 2125550111)] == [False, True, True]
    call = {"to": "2125550199", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"}
    assert Guard(updated).check(call).allowed  # covered by the full download, and not listed


# --- two lists of one seller or state in one build ---------------------------------------------


def test_two_lists_of_one_seller_or_state_of_one_date_in_one_build_are_refused(
    tmp_path: pathlib.Path,
) -> None:
    """Each replaces its layer whole: the second would silently drop every number of the first."""
    from dncguard import ChangeOrderError, Registry

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("number\n2125550120\n")
    b.write_text("number,seller\n3055550121,ACME \n3055550122,bob\n")
    with pytest.raises(ChangeOrderError, match=r"b\.csv: a second list for internal:acme .* beside .*a\.csv"):
        Registry.build([sources.internal(a, seller="Acme"), sources.internal(b)])
    with pytest.raises(ChangeOrderError, match="combine them into one file"):
        Registry.build([sources.internal(a, seller="acme"), sources.internal(a, seller=" acme")])
    tx1, tx2 = tmp_path / "tx1.csv", tmp_path / "tx2.csv"
    tx1.write_text("Phone\n5125550100\n")
    tx2.write_text("Phone\n5125550101\n")
    with pytest.raises(ChangeOrderError, match=r"us-tx .*\(both obtained 2026-03-10\)"):
        Registry.build([sources.state("US-TX", tx1, obtained=D), sources.state("us-tx", tx2, obtained=D)])
    # lists of different dates apply in date order, as across updates; other sellers are apart
    later = D + dt.timedelta(days=1)
    built = Registry.build(
        [sources.state("US-TX", tx2, obtained=later), sources.state("US-TX", tx1, obtained=D)]
    )
    assert [bool(built.lookup(n)) for n in (5125550100, 5125550101)] == [False, True]
    b.write_text("number,seller\n3055550122,bob\n")
    built = Registry.build([sources.internal(a, seller="acme"), sources.internal(b)])
    assert [layer.name for layer in built.layers] == ["internal:acme", "internal:bob"]
    replaced = Registry.build([sources.internal(a, seller="acme")]).update(
        [sources.internal(tx2, seller="acme")]
    )
    assert [bool(replaced.lookup(n)) for n in (2125550120, 5125550101)] == [False, True]  # a later update


@pytest.mark.parametrize("read", [sources.ftc, sources.dncl])
def test_a_change_lists_addition_and_deletion_files_given_as_a_full_download_are_refused(
    tmp_path: pathlib.Path, read: Callable[..., object]
) -> None:
    """Undated addition and deletion files hold bare numbers: read as a full download they would
    replace every number of 212 with the day's two changes (the deletion listed, too)."""
    from dncguard import Registry

    split = write_zip(
        tmp_path / "changes.zip", {"additions.txt": "2125550130\n", "deletions.txt": "2125550109\n"}
    )
    with pytest.raises(
        RegistryFormatError, match=r"changes\.zip:additions\.txt: 'additions\.txt' is named as a"
    ):
        list(read(split, obtained=D))  # type: ignore[call-overload]
    bare = tmp_path / "ftc_deletions_2026-03-10.txt"
    bare.write_text("2125550109\n")
    with pytest.raises(RegistryFormatError, match=r"read a change list with sources\.ftc_changes"):
        list(sources.ftc(bare, obtained=D))
    full = tmp_path / "212.txt"
    full.write_text("".join(f"212555{i:04d}\n" for i in range(100, 130)))
    registry = Registry.build([sources.ftc(full, obtained=D)])
    updated = registry.update([sources.ftc_changes(split, obtained=D + dt.timedelta(days=1))])
    assert updated.layers[0].count == 30  # 0109 deleted, 0130 added, the other 29 kept
    # names that only look alike are full downloads
    for name in ("addresses.txt", "Delaware.txt", "212.txt", "insurance_212.txt"):
        (tmp_path / name).write_text("2125550110\n")
        assert numbers(list(sources.ftc(tmp_path / name, obtained=D))) == [2125550110]


def test_two_full_downloads_of_one_date_covering_one_area_code_in_one_build_are_refused(
    tmp_path: pathlib.Path,
) -> None:
    """Two parts of 212 given as two flags: the second replaced 212 and the first part was lost."""
    from dncguard import ChangeOrderError, Registry

    part1, part2, other = tmp_path / "212-a.txt", tmp_path / "212-b.txt", tmp_path / "305.txt"
    part1.write_text("2125550101\n")
    part2.write_text("2125550102\n")
    other.write_text("3055550101\n")
    with pytest.raises(
        ChangeOrderError, match=r"212-b\.txt: a second full download covering area code 212 .*212-a"
    ):
        Registry.build([sources.ftc(part1, obtained=D), sources.ftc(part2, obtained=D)])
    # one zip of both parts is one source; other area codes, or another date, apply as before
    both = write_zip(tmp_path / "parts.zip", {"a.txt": "2125550101\n", "b.txt": "2125550102\n"})
    built = Registry.build([sources.ftc(both, obtained=D), sources.ftc(other, obtained=D)])
    assert built.layers[0].count == 3
    later = Registry.build(
        [sources.ftc(part1, obtained=D), sources.ftc(part2, obtained=D + dt.timedelta(days=1))]
    )
    assert [bool(later.lookup(n)) for n in (2125550101, 2125550102)] == [False, True]


def test_a_damaged_change_group_tag_is_refused_not_read_into_the_group_still_open(
    tmp_path: pathlib.Path,
) -> None:
    """``</add>\\n  <delete`` with two bits flipped reads ``=/add>\\n  <eelete``: the ``<add>`` is left
    open and the next group's deletion would be read as an addition. A closing tag of no open
    element (the ``</delete>`` after it) is the sign: refused, naming the line."""
    doc = (FIXTURES / "ftc-changes" / "changes.xml").read_bytes()
    damaged = doc.replace(b"</add>\n  <delete", b"=/add>\n  <eelete", 1)
    assert damaged != doc
    path = tmp_path / "changes.xml"
    path.write_bytes(damaged)
    with pytest.raises(RegistryFormatError, match=r"line \d+: </delete> closes no open element"):
        _read_all("ftc_changes", path)


def test_a_change_record_that_lost_its_date_among_dated_ones_is_refused(tmp_path: pathlib.Path) -> None:
    """``<delete date=`` with one bit flipped reads ``<delete eate=``: the record loses its date
    and would sort before every dated one (an older addition beating it). Among dated records,
    a record without a date is refused, naming its line."""
    doc = (FIXTURES / "ftc-changes" / "changes.xml").read_bytes()
    damaged = doc.replace(b'<delete date="2026-03-11"', b'<delete eate="2026-03-11"', 1)
    assert damaged != doc
    path = tmp_path / "changes.xml"
    path.write_bytes(damaged)
    with pytest.raises(
        RegistryFormatError, match=r"line \d+: a change record without a date among dated ones"
    ):
        _read_all("ftc_changes", path)
