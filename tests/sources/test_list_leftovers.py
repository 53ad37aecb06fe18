"""State and internal lists that lost data without a word: a second phone column never read, a
row taken into a quoted value, a misspelt ``requested_on`` whose dates were dropped. A list is
read exactly or refused naming its file and line."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard import RegistryFormatError, sources
from dncguard.layers import Chunk

D = dt.date(2026, 3, 10)


def read(kind: str, path: pathlib.Path, **kw: str) -> list[Chunk]:
    if kind == "internal":
        return list(sources.internal(path, seller="acme", **kw))
    return list(sources.state("US-TX", path, obtained=D, **kw))


def numbers(chunks: list[Chunk]) -> list[int]:
    return sorted(int(n) for c in chunks for n in c.numbers)


@pytest.mark.parametrize("kind", ["internal", "state"])
@pytest.mark.parametrize(
    "header",
    ["Home Phone,Cell Phone", "Phone,Mobile", "Cell,Home Phone", "Phone Number,Alt Phone"],
)
def test_two_phone_columns_are_refused_naming_both(tmp_path: pathlib.Path, kind: str, header: str) -> None:
    """``Cell Phone`` (a phone number's name) was read and ``Home Phone`` (a name that mentions a
    phone) dropped: the home numbers were never listed."""
    path = tmp_path / "list.csv"
    path.write_text(f"{header}\n5125550100,5125550101\n")
    first, second = header.split(",")
    with pytest.raises(
        RegistryFormatError, match=rf"line 1: two phone-number columns, '{first}' and '{second}'"
    ):
        read(kind, path)
    assert numbers(read(kind, path, number_column=second)) == [5125550101]


@pytest.mark.parametrize("kind", ["internal", "state"])
@pytest.mark.parametrize(
    ("rows", "line"),
    [
        ('5125550100,"Al\n5125550101,Bo\n5125550102,Cy\n', 2),  # never closed
        ('5125550100,Al"\n5125550101,"Bo\n5125550102,Cy"\n5125550103,Di\n', 3),  # closed lines later
    ],
)
def test_a_row_taken_into_a_quoted_value_is_refused(
    tmp_path: pathlib.Path, kind: str, rows: str, line: int
) -> None:
    path = tmp_path / "list.csv"
    path.write_text("number,name\n" + rows)
    with pytest.raises(
        RegistryFormatError, match=rf"list.csv, line {line}: a quoted value runs from this line"
    ):
        read(kind, path)


NOTE = st.text(alphabet='ab "', max_size=6)


@settings(max_examples=150, deadline=None)
@given(notes=st.lists(NOTE, min_size=1, max_size=8), kind=st.sampled_from(["internal", "state"]))
def test_a_list_with_quotes_is_read_exactly_or_refused(
    tmp_path_factory: pytest.TempPathFactory, notes: list[str], kind: str
) -> None:
    """Whatever quotes a note column holds, every number written is read, or the file is refused
    naming a line: never a number lost."""
    path = tmp_path_factory.mktemp("quotes") / "list.csv"
    written = [5125550100 + i for i in range(len(notes))]
    path.write_text(
        "number,note\n" + "".join(f"{n},{note}\n" for n, note in zip(written, notes, strict=True))
    )
    if '"' not in "".join(notes):
        assert numbers(read(kind, path)) == written  # a file without quotes is always read
        return
    try:
        got = numbers(read(kind, path))
    except RegistryFormatError as e:
        line = e.line
    else:
        assert got == written
        return
    assert line is not None  # refused naming the line


@pytest.mark.parametrize(
    ("column", "meant"),
    [
        ("rquested_on", "requested_on"),
        ("Requested On", "requested_on"),
        ("requested", "requested_on"),
        ("sellers", "seller"),
    ],
)
def test_a_misspelt_internal_list_column_is_refused_naming_both(
    tmp_path: pathlib.Path, column: str, meant: str
) -> None:
    """``rquested_on`` was ignored: the request dates dropped and the list applied always."""
    path = tmp_path / "optouts.csv"
    path.write_text(f"number,{column}\n212-555-0101,2026-03-01\n")
    with pytest.raises(RegistryFormatError, match=rf"line 1: column '{column}': did you mean '{meant}'\?"):
        list(sources.internal(path, seller="acme"))


def test_other_internal_list_columns_pass(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "optouts.csv"
    path.write_text("number,requested_on,seller_id,notes,request_source\n212-555-0101,2026-03-01,7,x,web\n")
    [chunk] = list(sources.internal(path, seller="acme"))
    assert chunk.dates.tolist() == [dt.date(2026, 3, 1)]
