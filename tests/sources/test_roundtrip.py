"""Round trip: random numbers written in any accepted variant read back as the same set.

The writer picks, per file, a container (bare, gzip, zip with one or several members in folders),
a byte-order mark, a line end (LF, CRLF, CR), header and trailer lines, blank lines, and per line
a spelling (``2125550143``, ``212,5550143``, ``1...``, ``+1 (212) 555-0143``, quoted, dashed); the
block size is drawn too, so records straddle block boundaries.
"""

from __future__ import annotations

import datetime as dt
import gzip
import pathlib
import tempfile
import zipfile
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard import RegistryFormatError, geography, sources
from dncguard.sources._source import latest_date
from strategies import registry_numbers

D = dt.date(2026, 3, 10)


def numbers_in(codes: tuple[int, ...]) -> st.SearchStrategy[int]:
    """Numbers of the given area codes, any exchange (2-9 first) and line."""
    return st.builds(
        lambda ac, ex, line: ac * 10_000_000 + ex * 10_000 + line,
        st.sampled_from(codes),
        st.integers(200, 999),
        st.integers(0, 9999),
    )


# The FTC list holds US numbers (territories and toll-free too), the DNCL Canadian ones.
nanp = numbers_in(geography.area_codes("US"))
canadian = numbers_in(geography.area_codes("CA"))

SPELLINGS = [
    lambda s: s,
    lambda s: f"{s[:3]},{s[3:]}",
    lambda s: f"1{s}",
    lambda s: f"+1 ({s[:3]}) {s[3:6]}-{s[6:]}",
    lambda s: f'"{s}"',
    lambda s: f"{s[:3]}-{s[3:6]}-{s[6:]}  ",
    lambda s: f"{s[:3]}.{s[3:6]}.{s[6:]}",
]


@st.composite
def downloads(draw: st.DrawFn) -> tuple[list[int], str, dict[str, bytes] | bytes, int]:
    numbers = draw(st.lists(nanp, max_size=300))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    uniform = draw(st.booleans())  # a uniform layout takes the fast path
    fixed = draw(st.sampled_from(SPELLINGS[:3]))
    lines = [(fixed if uniform else draw(st.sampled_from(SPELLINGS)))(str(n)) for n in numbers]
    if not uniform:
        for _ in range(draw(st.integers(0, 3))):
            lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", "   "])))
    header = draw(st.sampled_from(["", "FTC DO NOT CALL FULL LIST" + eol]))
    trailer = draw(st.sampled_from(["", f"TOTAL RECORDS: {len(numbers)}{eol}"]))
    text = (
        header
        + eol.join(lines)
        + (eol if lines and draw(st.booleans()) else "")
        + (eol if trailer and lines else "")
        + trailer
    )
    data = (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode()
    container = draw(st.sampled_from(["bare", "gz", "zip"]))
    block = draw(st.sampled_from([16, 64, 1000, 1 << 20]))
    if container == "zip":
        cut = draw(st.integers(0, len(lines)))
        first = eol.join(lines[:cut]) + eol
        second = eol.join(lines[cut:])
        return numbers, container, {"dir/a.txt": first.encode(), "dir/sub/b.txt": second.encode()}, block
    return numbers, container, data, block


@given(downloads())
def test_numbers_written_in_any_variant_read_back_as_the_same_set(
    case: tuple[list[int], str, dict[str, bytes] | bytes, int],
) -> None:
    numbers, container, data, block = case
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "download"
        if isinstance(data, dict):
            with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
                for name, body in data.items():
                    z.writestr(name, body)
        elif container == "gz":
            path.write_bytes(gzip.compress(data))
        else:
            path.write_bytes(data)
        if not numbers or (
            isinstance(data, dict) and not all(any(c.isdigit() for c in v.decode()) for v in data.values())
        ):
            # A file or member without a number covers nothing: refused (RULES.md §6.16).
            with pytest.raises(RegistryFormatError, match="no number can be read"):
                list(sources.ftc(path, obtained=D, tuning=sources.Tuning(block_bytes=block)))
            return
        chunks = list(sources.ftc(path, obtained=D, tuning=sources.Tuning(block_bytes=block)))
    got = sorted(int(n) for c in chunks for n in c.numbers)
    assert got == sorted(numbers)
    covered = {ac for c in chunks for ac in c.coverage}
    assert covered == {n // 10_000_000 for n in numbers}


@given(st.lists(st.tuples(nanp, st.dates(dt.date(2020, 1, 1), latest_date()), st.booleans()), min_size=1))
def test_change_lists_end_in_each_numbers_latest_state(records: list[tuple[int, dt.date, bool]]) -> None:
    expected: dict[int, tuple[dt.date, bool]] = {}
    for n, day, add in records:  # file order breaks ties between equal dates
        if n not in expected or day >= expected[n][0]:
            expected[n] = (day, add)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "changes.txt"
        path.write_text("".join(f"{'A' if a else 'D'},{d.isoformat()},{n}\n" for n, d, a in records))
        chunks = list(sources.ftc_changes(path, obtained=D))
    adds = {int(n) for c in chunks if c.op.value == "add" for n in c.numbers}
    deletes = {int(n) for c in chunks if c.op.value == "delete" for n in c.numbers}
    assert adds == {n for n, (_, a) in expected.items() if a}
    assert deletes == {n for n, (_, a) in expected.items() if not a}


@given(st.lists(canadian, min_size=1, max_size=200), st.booleans(), st.sampled_from([16, 64, 4096]))
def test_xml_in_either_style_reads_back_as_the_same_set(
    numbers: list[int], by_area: bool, block: int
) -> None:
    if by_area:  # the DNCL style: <ac val='416'><ph val='5550143'/></ac>, self-closed root as published
        groups: dict[int, list[int]] = {}
        for n in numbers:
            groups.setdefault(n // 10_000_000, []).append(n % 10_000_000)
        body = "".join(
            f"<ac val='{ac}'>\n" + "".join(f"<ph val='{x:07d}' />\n" for x in xs) + "</ac>\n"
            for ac, xs in groups.items()
        )
        doc = f"<?xml version='1.0'?>\n<list type='full' level='all' val='' />\n{body}</list>\n"
    else:
        doc = "<list type='full'>" + "".join(f"<ph>{n}</ph>" for n in numbers) + "</list>"
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "dncl.xml"
        path.write_text(doc)
        chunks = list(sources.dncl(path, obtained=D, tuning=sources.Tuning(block_bytes=block)))
    assert sorted(int(n) for c in chunks for n in c.numbers) == sorted(numbers)


@given(
    st.lists(st.tuples(nanp, st.text("abc ,", max_size=8)), min_size=1, max_size=200),
    st.sampled_from([",", "\t", ";", "|"]),
    st.booleans(),
    st.sampled_from(SPELLINGS[:4] + SPELLINGS[5:]),
)
def test_state_lists_with_extra_columns_read_back_as_the_same_set(
    rows: list[tuple[int, str]], sep: str, header: bool, spell: Callable[[str], str]
) -> None:
    def quote(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'

    lines = [f"{quote(name)}{sep}{quote(spell(str(n)))}{sep}78701" for n, name in rows]
    text = ("Name" + sep + "Phone" + sep + "ZIP\n" if header else "") + "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "us-tx.csv"
        path.write_text(text)
        chunks = list(sources.state("US-TX", path, obtained=D))
    assert sorted(int(n) for c in chunks for n in c.numbers) == sorted(n for n, _ in rows)


def _write(path: pathlib.Path, packaging: str, lines: list[str], copies: int, xml: str | None) -> None:
    """One download: ``lines`` (flat) or an XML document, bare, gzipped or zipped ``copies`` times."""
    body = (xml if xml is not None else "".join(lines)).encode()
    if packaging == "bare":
        path.write_bytes(body)
    elif packaging == "gz":
        path.write_bytes(gzip.compress(body))
    else:
        import warnings

        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the same member name many times: the point of the test
            for k in range(copies):
                z.writestr("daily/all.txt" if packaging == "zip-same" else f"daily/{k}/all.txt", body)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(registry_numbers("US"), min_size=1, max_size=60),
    st.integers(1, 40),
    st.sampled_from(["bare", "gz", "zip-same", "zip-many"]),
    st.integers(1, 6),
    st.sampled_from(["flat", "comma", "xml-text", "xml-attr"]),
    st.sampled_from([64, 4096, 1 << 20]),
)
def test_any_packaging_with_heavy_repetition_yields_exactly_the_numbers_put_in(
    distinct: list[int], repeat: int, packaging: str, copies: int, layout: str, block: int
) -> None:
    """Repetition, the same member many times, any layout: exactly the distinct numbers come out."""
    put = [n for n in distinct for _ in range(repeat)]
    lines = [f"{n}\n" if layout == "flat" else f"{str(n)[:3]},{str(n)[3:]}\n" for n in put]
    xml = None
    if layout == "xml-text":
        xml = "<list type='full'>\n" + "".join(f"<ph>{n}</ph>\n" for n in put) + "</list>\n"
    elif layout == "xml-attr":
        by_ac: dict[int, list[int]] = {}
        for n in put:
            by_ac.setdefault(n // 10**7, []).append(n % 10**7)
        xml = (
            "<list type='full' level='all'>\n"
            + "".join(
                f"<ac val='{ac}'>\n" + "".join(f"<ph val='{x:07d}' />\n" for x in xs) + "</ac>\n"
                for ac, xs in by_ac.items()
            )
            + "</list>\n"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "download"
        _write(path, packaging, lines, copies, xml)
        chunks = list(sources.ftc(path, obtained=D, tuning=sources.Tuning(block_bytes=block)))
    got = np.unique(np.concatenate([c.numbers for c in chunks]))
    assert got.tolist() == np.unique(np.array(distinct, dtype=np.uint64)).tolist()
    assert {ac for c in chunks for ac in c.coverage} == {n // 10**7 for n in distinct}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(canadian, min_size=1, max_size=40),
    st.sampled_from(["text", "attr"]),
    st.data(),
    st.sampled_from([16, 64, 4096]),
)
def test_xml_cut_at_any_byte_before_its_end_is_refused(
    numbers: list[int], style: str, data: st.DataObject, block: int
) -> None:
    if style == "text":
        doc = "<list type='full'>\n" + "".join(f"  <ph>{n}</ph>\n" for n in numbers) + "</list>\n"
    else:
        doc = (
            "<list type='full' level='all'>\n"
            + "".join(f"<ac val='{n // 10**7}'><ph val='{n % 10**7:07d}'/></ac>\n" for n in numbers)
            + "</list>\n"
        )
    cut = data.draw(st.integers(0, doc.rindex("</list>") + len("</list>") - 1))
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "dncl.xml"
        path.write_text(doc[:cut])
        with pytest.raises(RegistryFormatError):
            list(sources.dncl(path, obtained=D, tuning=sources.Tuning(block_bytes=block)))
        path.write_text(doc)
        got = [
            int(n)
            for c in sources.dncl(path, obtained=D, tuning=sources.Tuning(block_bytes=block))
            for n in c.numbers
        ]
    assert sorted(got) == sorted(numbers)
