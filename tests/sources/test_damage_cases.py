"""Damaged or odd downloads found by the random-damage pass (and by hand) that were read wrongly.

Each test is one hole: a download that lost a listed number without a word. The rule is
tests/sources/test_attacks.py's: a download is read exactly, or refused with a named
:class:`~dncguard.errors.RegistryFormatError` (file, member, line) - never read in part.
"""

from __future__ import annotations

import datetime as dt
import io
import pathlib
import zipfile
from collections.abc import Callable

import pytest

from dncguard import RegistryFormatError, sources

D = dt.date(2026, 3, 10)
FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "data" / "fixtures" / "registry"


def read_numbers(source: sources.Source) -> list[int]:
    return sorted(int(n) for c in source for n in c.numbers)


def zip_bytes(members: dict[str, str]) -> bytearray:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, text in members.items():
            z.writestr(name, text)
    return bytearray(buf.getvalue())


# --- zip directories -------------------------------------------------------------------------------


@pytest.mark.parametrize("read", [sources.ftc, sources.dncl, sources.ftc_changes])
def test_a_zip_whose_directory_lost_a_member_is_refused(
    tmp_path: pathlib.Path, read: Callable[..., sources.Source]
) -> None:
    """Found by the random pass on dncl.zip: one bit of the first entry's comment length set, and
    the comment swallowed the second entry. zipfile reads the directory by its byte size and
    never counts entries, so 709.txt was never read: its numbers lost, the rest read as whole."""
    data = bytearray((FIXTURES / "dncl" / "dncl.zip").read_bytes())
    first = data.index(b"PK\x01\x02")
    data[first + 33] ^= 1  # the comment length, 0 -> 256: past the directory's end
    path = tmp_path / "dncl.zip"
    path.write_bytes(bytes(data))
    says = "end record says 2 members but its directory lists 1"
    with pytest.raises(RegistryFormatError, match=says) as info:
        list(read(path, obtained=D))
    assert info.value.path == str(path)


def test_a_member_whose_directory_name_turned_into_a_dot_file_is_refused(tmp_path: pathlib.Path) -> None:
    """A damaged name in the central directory (``b.txt`` read as ``..txt``) made a registry
    file look like a dot-file, which is skipped unread: its numbers were lost."""
    data = zip_bytes({"a.txt": "2125550100\n", "b.txt": "2125550101\n"})
    data[data.rindex(b"PK\x01\x02") + 46] = ord(".")
    path = tmp_path / "d.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(RegistryFormatError, match=r"entry '\.\.txt' is damaged .*differ"):
        list(sources.ftc(path, obtained=D))
    # real folders, dot-files and __MACOSX entries are still skipped
    path.write_bytes(
        bytes(zip_bytes({"ftc/": "", ".DS_Store": "x", "__MACOSX/._a.txt": "x", "ftc/a.txt": "2125550100\n"}))
    )
    assert read_numbers(sources.ftc(path, obtained=D)) == [2125550100]


# --- flat text: digits other than 0-9 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "text", "bad"),
    [
        (sources.ftc, "2125550100\n", "２１２５５５０１０１"),  # full width
        (sources.ftc, "2125550100\r\n", "٢١٢٥٥٥٠١٠١"),  # Arabic-Indic, CRLF
        (sources.dncl, "416,5550100\n", "٤١٦,٥٥٥٠١٠١"),
        (sources.dncl, "416,5550100\n", "４１６,５５５０１０１"),
    ],
)
def test_a_flat_line_in_other_digits_is_refused_naming_it(
    tmp_path: pathlib.Path, read: Callable[..., sources.Source], text: str, bad: str
) -> None:
    """A line with no digit 0-9 was skipped as a header: a number written in full-width or
    Arabic-Indic digits was lost without a word (state and internal lists already refused it)."""
    path = tmp_path / "list.txt"
    end = "\r\n" if text.endswith("\r\n") else "\n"
    path.write_text(text + bad + end + text, encoding="utf-8", newline="")
    with pytest.raises(RegistryFormatError, match="line 2: expected a phone number in the digits 0-9"):
        list(read(path, obtained=D))


def test_a_change_record_in_other_digits_is_refused_naming_it(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "changes.txt"
    path.write_text("2125550100,2026-03-10,A\n２１２５５５０１０１,２０２６-０３-１０,Ａ\n", encoding="utf-8")
    with pytest.raises(RegistryFormatError, match="line 2: expected a change record in the digits 0-9"):
        list(sources.ftc_changes(path, obtained=D))


def test_an_xml_number_in_other_digits_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.xml"
    path.write_text("<list>\n<ph>2125550100</ph>\n<ph>２１２５５５０１０１</ph>\n</list>\n", encoding="utf-8")
    says = "line 3: <ph> '２１２５５５０１０１': expected a phone number in the digits 0-9"
    with pytest.raises(RegistryFormatError, match=says):
        list(sources.ftc(path, obtained=D))


@pytest.mark.parametrize(
    "body",
    [
        "ＦＴＣ ＬＩＳＴ\n2125550100\n2125550101\n",  # a full-width header without digits: a header
        "\ufeff2125550100\r\n2125550101\r\n",  # BOM, CRLF
        "2125550100 \t\n2125550101\t\n",  # trailing spaces and tabs
        "2125550100\n\x00\n2125550101\n",  # a NUL alone on a line holds no number
    ],
)
def test_odd_but_whole_flat_files_read_exactly(tmp_path: pathlib.Path, body: str) -> None:
    path = tmp_path / "212.txt"
    path.write_text(body, encoding="utf-8", newline="")
    assert read_numbers(sources.ftc(path, obtained=D)) == [2125550100, 2125550101]


# --- XML --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [((201, 1), (210, 8)), ((201, 4),)])
def test_an_xml_element_whose_opening_bracket_was_damaged_is_refused(
    tmp_path: pathlib.Path, bits: tuple[tuple[int, int], ...]
) -> None:
    """Found by the random pass on ftc/full.xml: ``<ph val='5550100' />`` with its ``<`` flipped
    to ``=`` (and a value digit to ``=``) is text, not a tag; text with fewer than 7 digits was
    tolerated as a count or a date, and 3055550100 (the only 305 number) was lost with its
    area code's coverage. Digits beside markup (``=``, quotes, ``/>``) are a broken tag."""
    data = bytearray((FIXTURES / "ftc" / "full.xml").read_bytes())
    assert data[201:204] == b"<ph"
    for at, bit in bits:
        data[at] ^= bit
    path = tmp_path / "full.xml"
    path.write_bytes(bytes(data))
    with pytest.raises(RegistryFormatError, match=r"line 9: .*a number outside a <ph> element"):
        list(sources.ftc(path, obtained=D))


def test_xml_metadata_text_with_a_short_number_is_still_read(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ftc.xml"
    path.write_text(
        "<list><total>1</total><generated>2026-03-10T08:00:00</generated><ph>2125550100</ph></list>"
    )
    assert read_numbers(sources.ftc(path, obtained=D)) == [2125550100]


@pytest.mark.parametrize("read", [sources.ftc, sources.dncl, sources.ftc_changes])
def test_a_local_header_flagged_utf8_with_a_damaged_name_is_a_named_error(
    tmp_path: pathlib.Path, read: Callable[..., sources.Source]
) -> None:
    """Found by the random pass on ftc/full.zip: a member's local header with the UTF-8 flag
    bit set and a name byte flipped to 0xE6 raised UnicodeDecodeError out of zipfile when the
    member was opened, not an error naming the download."""
    data = zip_bytes({"212.txt": "2125550100,2026-03-10,A\n"})
    data[7] |= 0x08  # general purpose flags: 0x800, the name is UTF-8
    data[30] ^= 0x80  # the name's first byte: '2' -> 0xB2, not UTF-8
    path = tmp_path / "d.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(RegistryFormatError, match="unreadable archive member") as info:
        list(read(path, obtained=D))
    assert info.value.path == str(path)


def test_a_change_group_left_open_by_a_damaged_closing_tag_is_refused(tmp_path: pathlib.Path) -> None:
    """Found by the random pass on changes.xml: ``</add>`` flipped to ``=/add>`` left the first
    ``<add date='2026-03-10'>`` open, and a later ``<add eate=…>`` (its date damaged too) inside
    it took the open group's date: 3055550105's addition of 03-11 became one of 03-10, the
    deletion of 03-10 after it in the file won, and the number was read as deleted. A change
    group inside another is never written: refused, naming its line."""
    doc = (FIXTURES / "ftc-changes" / "changes.xml").read_bytes()
    damaged = doc.replace(b"</ph></add>", b"</ph>=/add>", 1).replace(b"<add date=", b"<add eate=", 2)
    damaged = damaged.replace(b"<add eate=", b"<add date=", 1)  # only the second group's date
    assert damaged.count(b"=/add>") == 1
    assert damaged.count(b"eate=") == 1
    path = tmp_path / "changes.xml"
    path.write_bytes(damaged)
    with pytest.raises(
        RegistryFormatError,
        match=r"line 4: <delete> opens a change group inside another \(<add> is still open\)",
    ):
        list(sources.ftc_changes(path, obtained=dt.date(2026, 3, 11)))
    # only the closing tag damaged: also refused (the deletion nested in the addition)
    path.write_bytes(doc.replace(b"</ph></add>", b"</ph>=/add>", 1))
    with pytest.raises(RegistryFormatError, match="change group inside another"):
        list(sources.ftc_changes(path, obtained=dt.date(2026, 3, 11)))


def test_a_declaration_inside_the_root_element_is_refused(tmp_path: pathlib.Path) -> None:
    """``<ph val='5550101' />`` with its name damaged into ``<!h val='5550101' />`` was skipped
    as a declaration (``<!DOCTYPE …>``), and its number lost. Declarations belong before the
    root; one inside it is refused, naming its line."""
    path = tmp_path / "ftc.xml"
    path.write_text("<list>\n<ac val='305'>\n<ph val='5550100' />\n<!h val='5550101' />\n</ac>\n</list>\n")
    with pytest.raises(RegistryFormatError, match=r"line 4: a declaration \(<!…>\) inside the root element"):
        list(sources.ftc(path, obtained=D))
    path.write_text("<?xml version='1.0'?>\n<!DOCTYPE list>\n<list><ph>2125550100</ph></list>\n")
    assert read_numbers(sources.ftc(path, obtained=D)) == [2125550100]  # before the root: read


def test_change_groups_in_a_full_download_are_refused(tmp_path: pathlib.Path) -> None:
    """A change list whose ``type="change"`` was damaged (``type="chanfe"``) was read as a full
    download: every addition and deletion read as a listed number, replacing 212 and 305 with
    the day's changes."""
    doc = (FIXTURES / "ftc-changes" / "changes.xml").read_text().replace('type="change"', 'type="chanfe"')
    path = tmp_path / "changes.xml"
    path.write_text(doc)
    with pytest.raises(RegistryFormatError, match=r"line 3: a change record \(inside an <add> group\)"):
        list(sources.ftc(path, obtained=dt.date(2026, 3, 11)))


# --- dates cut short ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", ["2026-03-2 ", '2026-03-2"', "2026-03-2'"])
def test_a_change_date_whose_last_digit_became_a_separator_is_refused(
    tmp_path: pathlib.Path, cut: str
) -> None:
    """``2026-03-20`` with its last digit flipped into a space (or a quote, or cut off) read as
    ``2026-03-2``, March 2: the addition of the 20th sorted before the deletion of the 15th and
    the number was read as deleted. A date that pads its month pads its day: refused."""
    path = tmp_path / "changes.txt"
    path.write_text("2125550105,2026-03-20,A\n2125550105,2026-03-15,D\n")
    chunks = list(sources.ftc_changes(path, obtained=dt.date(2026, 3, 21)))
    assert [(c.op.value, c.numbers.tolist()) for c in chunks] == [("delete", []), ("add", [2125550105])]
    path.write_text(f"2125550105,{cut},A\n2125550105,2026-03-15,D\n")
    with pytest.raises(RegistryFormatError, match="line 1: date '2026-03-2' pads the month but not the day"):
        list(sources.ftc_changes(path, obtained=dt.date(2026, 3, 21)))
    xml = tmp_path / "changes.xml"
    xml.write_text(  # in an attribute, the space (a quote breaks the tag, refused before)
        '<list type="change"><add date="2026-03-2 "><ph>2125550105</ph></add>'
        '<delete date="2026-03-15"><ph>2125550105</ph></delete></list>'
    )
    with pytest.raises(RegistryFormatError, match="line 1: date"):
        list(sources.ftc_changes(xml, obtained=dt.date(2026, 3, 21)))


def test_an_internal_request_date_cut_short_is_refused(tmp_path: pathlib.Path) -> None:
    """A file cut inside its last date (``2026-01-15`` -> ``2026-01-1``) gave the request the
    date 2026-01-01, before a consent of 2026-01-10 it should outrank."""
    path = tmp_path / "optouts.csv"
    path.write_text("number,requested_on\n2125550100,2026-01-15\n3055550101,2026-01-1")
    with pytest.raises(RegistryFormatError, match=r"line 3: requested_on '2026-01-1': .*pads the month"):
        list(sources.internal(path, seller="acme"))


def test_unpadded_dates_are_still_read(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "changes.txt"
    path.write_text("2125550105,2026-3-5,A\n2125550106,2026-10-5,D\n2125550107,3/5/2026,A\n")
    chunks = list(sources.ftc_changes(path, obtained=dt.date(2026, 12, 1)))
    assert [(c.op.value, c.numbers.tolist()) for c in chunks] == [
        ("delete", [2125550106]),
        ("add", [2125550105, 2125550107]),
    ]


@pytest.mark.parametrize(("at", "bit"), [(97, 0), (118, 0)])
def test_a_ph_whose_name_and_a_digit_were_damaged_is_refused(
    tmp_path: pathlib.Path, at: int, bit: int
) -> None:
    """Found by the thorough pass on dncl/sample.xml: ``<ph val='5550100' />`` with two bits
    flipped reads ``<qh val='=550100' />``, an unknown element whose value had too few digits to
    look like a number: skipped, and 4165550100 lost. A number attribute (``val``) with digits
    on another element than ``<list>``, ``<ac>`` or ``<ph>`` is refused, naming its line."""
    data = bytearray((FIXTURES / "dncl" / "sample.xml").read_bytes())
    assert data[at - 1 : at + 2] == b"<ph"
    data[at] ^= 1 << bit  # p -> q
    data[at + 8] ^= 8  # 5 -> =
    path = tmp_path / "sample.xml"
    path.write_bytes(bytes(data))
    with pytest.raises(
        RegistryFormatError, match=r"line \d: \"<qh val='=55010[01]' />\": a number outside a <ph>"
    ):
        list(sources.dncl(path, obtained=D))
