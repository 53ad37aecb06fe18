"""Corners of the call-file input edge where the command line failed open or fell over: each
case below exited 0/1 or printed a traceback before its fix; a bad call file must exit 2 with one
line naming the file, the row and the field."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from small_index import save_index

from dncguard.cli import main
from dncguard.models import AT_RANGE_WORDS


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A US list of 212-555-0100..0109 and acme's internal list of 212-555-0110..0111."""
    national = [2125550100 + i for i in range(10)]
    return save_index(tmp_path_factory.mktemp("input-edges"), national, [2125550110, 2125550111], [212])


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# --- an instant outside the range dncguard reads (AT_RANGE) ---------------------------------


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00Z",  # a day in from the end: every zone's local date stays in range
        "0001-01-01T00:00:00+14:00",  # year 0 in UTC
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:00:00-14:00",  # year 10000 in UTC
    ],
)
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
@pytest.mark.parametrize("command", ["check", "scrub"])
def test_a_json_call_out_of_range_is_named_like_a_csv_one(
    index: str, tmp_path: Path, at: str, suffix: str, command: str
) -> None:
    record = f'{{"to": "212-555-0150", "at": "{at}", "seller": "acme"}}'
    path = tmp_path / f"calls{suffix}"
    path.write_text(f"[{record}]" if suffix == ".json" else record + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    argv = (
        ["check", "--registry", index, str(path)]
        if command == "check"
        else ["scrub", "--registry", index, str(path), str(out)]
    )
    code, _, err = run(*argv)
    assert code == 2
    # file, row and field, the value as written, and the range
    assert err.startswith(f"dncguard: error: {path}, row 1, field 'at': {at!r}")
    assert err.endswith(f"out of range: {AT_RANGE_WORDS}\n")
    assert err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_an_at_flag_out_of_range_is_a_usage_error(index: str, tmp_path: Path, at: str, suffix: str) -> None:
    path = tmp_path / f"calls{suffix}"
    if suffix == ".csv":
        path.write_text("to,seller\n212-555-0150,acme\n", encoding="utf-8")
    else:
        path.write_text('{"to": "212-555-0150", "seller": "acme"}\n', encoding="utf-8")
    code, _, err = run("check", "--registry", index, str(path), "--at", at)
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith(f"dncguard: error: --at {at!r}: out of range: {AT_RANGE_WORDS}")


# --- a key given twice in one JSON object ---------------------------------------------------

AT = "2026-03-16T14:00:00-04:00"


@pytest.mark.parametrize(
    ("record", "key"),
    [
        # The listed number first: JSON's last value wins, and the call to it was allowed.
        (f'{{"to": "212-555-0101", "at": "{AT}", "seller": "acme", "to": "212-555-0150"}}', "to"),
        # A request cancelled by a later null: the evidence dropped without a word.
        (
            f'{{"to": "212-555-0150", "at": "{AT}", "seller": "acme", "dnc_requested_on": "2026-01-02",'
            ' "dnc_requested_on": null}',
            "dnc_requested_on",
        ),
        (
            f'{{"to": "212-555-0150", "at": "{AT}", "seller": "acme",'
            ' "dnc_requests": [{"on": "2026-01-02", "on": "2027-01-02"}]}',
            "on",
        ),
    ],
)
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
@pytest.mark.parametrize("command", ["check", "scrub"])
def test_a_json_key_given_twice_is_refused(
    index: str, tmp_path: Path, record: str, key: str, suffix: str, command: str
) -> None:
    first = f'{{"to": "212-555-0150", "at": "{AT}", "seller": "acme"}}'
    path = tmp_path / f"calls{suffix}"
    if suffix == ".json":
        path.write_text(f"[{first},\n {record}]\n", encoding="utf-8")
    else:
        path.write_text(f"{first}\n\n{record}\n", encoding="utf-8")  # a blank line: not a row
    out = tmp_path / "out.csv"
    argv = [command, "--registry", index, str(path)] + ([str(out)] if command == "scrub" else [])
    code, _, err = run(*argv)
    assert code == 2
    assert err == (
        f"dncguard: error: {path}, row 2, field {key!r}: line {2 if suffix == '.json' else 3}, given twice"
        " in one object (JSON would keep the last silently): keep one\n"
    )
    assert not out.exists()


# --- two files for one state or internal list -----------------------------------------------


def _lists(tmp_path: Path) -> dict[str, Path]:
    files = {
        "a.csv": "number\n2125550150\n",
        "b.csv": "number\n2125550151\n",
        "sellers.csv": "number,seller\n2125550152,ACME\n2125550153,beta\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return {name: tmp_path / name for name in files}


@pytest.mark.parametrize(
    "flags",
    [
        ["--internal", "acme=a.csv", "--internal", "acme=b.csv"],
        ["--internal", "acme=a.csv", "--internal", "Acme =b.csv"],  # one seller, however written
        ["--internal", "acme=a.csv", "--internal", "sellers.csv"],  # its seller column names acme
        ["--state", "US-TX=a.csv@2026-03-02", "--state", "us-tx=b.csv@2026-03-02"],
    ],
)
@pytest.mark.parametrize("command", ["build", "update"])
def test_two_files_for_one_list_are_refused(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], command: str
) -> None:
    _lists(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.dncg"
    if command == "update":
        out.write_bytes(Path(index).read_bytes())
    before = out.read_bytes() if out.exists() else None
    code, stdout, err = run(command, str(out), *flags)
    assert code == 2
    assert stdout == ""
    assert err == (
        f"dncguard: error: {flags[2]} {flags[3]}: {flags[0]} {flags[1]} gives the"
        f" {'us-tx' if flags[0] == '--state' else 'internal:acme'} list too"
        f" ({'obtained 2026-03-02' if flags[0] == '--state' else 'no date'}, both): the later would"
        " replace the earlier whole and drop its numbers; join the two files into one list\n"
    )
    assert (out.read_bytes() if out.exists() else None) == before


def test_lists_of_other_sellers_or_days_still_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several sellers, one file each or one file for all, and a newer state list replacing an
    older one (applied in date order) are what the flags are repeatable for."""
    _lists(tmp_path)
    monkeypatch.chdir(tmp_path)
    flags = ["--internal", "zeta=a.csv", "--internal", "sellers.csv"]
    flags += ["--state", "US-TX=b.csv@2026-03-09", "--state", "US-TX=a.csv@2026-03-02"]
    code, stdout, err = run("build", "out.dncg", *flags)
    assert (code, err) == (0, "")
    assert "us-tx (1), internal:acme (1), internal:beta (1), internal:zeta (1)" in stdout
    from dncguard import Registry

    registry = Registry.open(tmp_path / "out.dncg")
    assert [layer.name for layer in registry.layers if layer.name == "us-tx"] == ["us-tx"]
    assert [listing.layer.name for listing in registry.lookup(2125550151)] == ["us-tx"]  # the newer list
    assert [listing.layer.name for listing in registry.lookup(2125550150)] == ["internal:zeta"]


# --- CSV values holding line ends, past the first block -------------------------------------


def _multiline_calls(path: Path, rows: int) -> list[list[str]]:
    """``rows`` calls, each with a quoted note of three lines: over 1 MiB, the smallest block
    Arrow's reader is given, so some block boundary falls inside a note."""
    import csv

    table = [["to", "at", "seller", "note"]]
    table += [
        [f"212-555-01{i % 20:02d}", AT, "acme", f"first line {i}\nsecond line\nthird, with a comma"]
        for i in range(rows)
    ]
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(table)
    assert path.stat().st_size > 1 << 20
    return table


def test_line_ends_in_quoted_values_past_the_first_block(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv
    import json

    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "1000")  # blocks of 1 MiB
    path = tmp_path / "calls.csv"
    table = _multiline_calls(path, 17_000)
    code, out, err = run("check", "--registry", index, str(path), "--format", "jsonl", "--all")
    assert (code, err) == (1, f"dncguard: warning: {path}: ignoring columns that are not call fields: note\n")
    decided = [json.loads(line) for line in out.splitlines()]
    assert [d["row"] for d in decided] == list(range(1, len(table)))
    assert [d["allowed"] for d in decided] == [row[0] >= "212-555-0112" for row in table[1:]]
    scrubbed = tmp_path / "out.csv"
    code, _, _ = run("scrub", "--registry", index, str(path), str(scrubbed))
    assert code == 0
    with open(scrubbed, encoding="utf-8", newline="") as f:
        written = list(csv.reader(f))
    assert [row[:4] for row in written] == table


# --- a quote opened and never closed ---------------------------------------------------------

_HEADER = "to,at,seller,note"


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("final_eol", [True, False])
@pytest.mark.parametrize("command", ["check", "scrub"])
def test_a_quote_never_closed_is_refused_not_the_rows_after_it_dropped(
    index: str, tmp_path: Path, eol: str, final_eol: bool, command: str
) -> None:
    rows = [
        f"212-555-0150,{AT},acme,fine",
        f'212-555-0151,{AT},acme,"a note cut short',
        f"212-555-0101,{AT},acme,listed: was never decided",  # taken into the note above
        f"212-555-0152,{AT},acme,x",
    ]
    path = tmp_path / "calls.csv"
    path.write_bytes((eol.join([_HEADER, *rows]) + (eol if final_eol else "")).encode())
    out = tmp_path / "out.csv"
    argv = [command, "--registry", index, str(path)] + ([str(out)] if command == "scrub" else [])
    code, stdout, err = run(*argv)
    assert code == 2, stdout  # was 0: "2 calls: 2 allowed, 0 blocked"
    assert err.endswith(
        f"dncguard: error: {path}, row 2: a quoted value is never closed: it runs to the end of the file,"
        " taking in every line after its opening quote; close the quote (a quote inside a quoted value"
        " is written twice)\n"
    )
    assert not out.exists()


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("final_eol", [True, False])
def test_a_last_quoted_value_holding_line_ends_is_read(
    index: str, tmp_path: Path, eol: str, final_eol: bool
) -> None:
    rows = [f"212-555-0150,{AT},acme,fine", f'212-555-0101,{AT},acme,"two{eol}lines, ""quoted"""']
    path = tmp_path / "calls.csv"
    path.write_bytes((eol.join([_HEADER, *rows]) + (eol if final_eol else "")).encode())
    code, stdout, _ = run("check", "--registry", index, str(path))
    assert code == 1
    assert "2 calls: 1 allowed, 1 blocked" in stdout


# --- a call field's name in other letters ----------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ｄｎｃ＿ｒｅｑｕｅｓｔｅｄ＿ｏｎ",  # full width
        "dnc_requested_ｏｎ",  # its last word full width: not "another word" like contract_no
        "dnc_requested_\u043en",  # a Cyrillic o
        "ｓｅｌｌｅｒ",
    ],
)
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_field_in_lookalike_letters_is_a_near_miss(
    index: str, tmp_path: Path, name: str, suffix: str
) -> None:
    path = tmp_path / f"calls{suffix}"
    if suffix == ".csv":
        path.write_text(f"to,at,seller,{name}\n212-555-0150,{AT},acme,2026-01-02\n", encoding="utf-8")
    else:
        path.write_text(
            f'{{"to": "212-555-0150", "at": "{AT}", "seller": "acme", "{name}": "2026-01-02"}}\n',
            encoding="utf-8",
        )
    code, stdout, err = run("check", "--registry", index, str(path))
    assert code == 2, stdout  # was 0: the request ignored with a warning, the call allowed
    field = "seller" if name == "ｓｅｌｌｅｒ" else "dnc_requested_on"
    assert f"field {name!r}: did you mean {field!r}?" in err


def test_an_ascii_short_word_is_still_another_column(index: str, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(f"to,at,seller,contract_no\n212-555-0150,{AT},acme,C-17\n", encoding="utf-8")
    code, _, err = run("check", "--registry", index, str(path))
    assert (code, err) == (
        0,
        f"dncguard: warning: {path}: ignoring columns that are not call fields: contract_no\n",
    )


# --- a state or internal list's number in other digits ---------------------------------------


@pytest.mark.parametrize("digits", ["２１２５５５０１５０", "٢١٢٥٥٥٠١٥٠"])  # full width, Arabic-Indic
@pytest.mark.parametrize("flag", ["--state", "--internal"])
def test_a_list_number_in_other_digits_is_refused_not_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, digits: str, flag: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("list.csv").write_text(f"number\n2125550151\n{digits}\n", encoding="utf-8")
    spec = "US-TX=list.csv@2026-03-02" if flag == "--state" else "acme=list.csv"
    code, stdout, err = run("build", "out.dncg", flag, spec)
    assert code == 2, stdout  # was 0: "us-tx (1)", the second number dropped
    assert err == (
        f"dncguard: error: list.csv, line 3: column 'number': digits other than 0-9 in {digits!r}:"
        " write the number in the digits 0-9\n"
    )
    assert not Path("out.dncg").exists()


def test_a_list_row_without_digits_is_still_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("list.csv").write_text("Téléphone\n2125550151\n\nn/a\n", encoding="utf-8")
    code, stdout, err = run("build", "out.dncg", "--state", "US-TX=list.csv@2026-03-02")
    assert (code, err) == (0, "")
    assert "us-tx (1)" in stdout
