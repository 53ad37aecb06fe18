"""The command line at the user's edge: broken call files, outputs, versions and summaries.

Every broken call file is a named error (the file, and the row or field where known) with exit 2:
never a traceback, never exit 1 (which a CI job reads as "some calls are blocked").
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_cli import run

from dncguard import ledger_cli
from dncguard.cli import _write, main

OBTAINED = "2026-03-10"
AT = "2026-03-16T14:00:00-04:00"
HEADER = "to,at,seller\n"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("edges")
    ftc = d / "ftc.txt"
    ftc.write_text("2125550199\n2125550198\n")
    optouts = d / "optouts.csv"
    optouts.write_text("number,requested_on\n2125550143,2026-01-05\n")
    out = d / "registry.dncg"
    assert main(["build", str(out), f"--ftc={ftc}@{OBTAINED}", f"--internal=acme={optouts}"]) == 0
    return out


# --- item 5: bad call files -----------------------------------------------------------------

_DEEP = "[" * 100_000

BROKEN: dict[str, bytes] = {
    # name: content; each must be refused, naming the file
    "latin1.csv": (HEADER + f"2125550100,{AT},acme\n2125550101,{AT},").encode() + b"ac\xf1me\n",
    "latin1-header.csv": b"to,at,s\xe9ller\n2125550100," + AT.encode() + b",acme\n",
    "latin1.jsonl": b'{"to": "2125550100", "at": "' + AT.encode() + b'", "seller": "ac\xf1me"}\n',
    "latin1.json": b'[{"to": "2125550100", "at": "' + AT.encode() + b'", "seller": "ac\xf1me"}]',
    "deep.json": _DEEP.encode(),
    "deep.jsonl": ('{"to": ' + _DEEP + "\n").encode(),
    "year0.csv": (HEADER + "2125550100,0000-03-16T14:00:00-04:00,acme\n").encode(),
    "year10000.csv": (HEADER + "2125550100,10000-03-16T14:00:00-04:00,acme\n").encode(),
    "date-year0.csv": ("to,at,seller,last_purchase\n" + f"2125550100,{AT},acme,0000-01-01\n").encode(),
    "date-year10000.csv": (
        "to,at,seller,dnc_requested_on\n" + f"2125550100,{AT},acme,10000-01-01\n"
    ).encode(),
    # text that only begins with a date is no date (it was read as 2025-12-01: an exemption)
    "date-junk.csv": ("to,at,seller,last_purchase\n" + f"2125550199,{AT},acme,2025-12-01 junk\n").encode(),
    "date-bad-time.csv": (
        "to,at,seller,last_purchase\n" + f"2125550199,{AT},acme,2025-12-01T25:99\n"
    ).encode(),
    "year0.jsonl": b'{"to": "2125550100", "at": "0000-03-16T14:00:00-04:00", "seller": "acme"}\n',
    "year10000.jsonl": b'{"to": "2125550100", "at": "10000-03-16T14:00:00-04:00", "seller": "acme"}\n',
    "semicolons.csv": f"to;at;seller\n2125550100;{AT};acme\n".encode(),
    "ragged.csv": (HEADER + f"2125550100,{AT},acme,extra\n").encode(),
    "empty.csv": b"",
    "not-json.jsonl": b"{to: 2125550100}\n",
    "scalar.json": b"42",
    "nul.csv": (HEADER + f"2125550100,{AT},acme\n").encode() + b"\x00\x00\xff\xfe\n",
    # a bad row quoting a carriage return and a terminal escape: the message stays one line
    "control.csv": (HEADER + f'2125550100,{AT},acme\n"a\rb\x1b[2J",x\n').encode(),
    "control.jsonl": b'{"to": "2125550100", "at": "\x1b[2J", "seller": "acme"}\n',
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("broken")
    paths = {}
    for name, content in BROKEN.items():
        paths[name] = d / name
        paths[name].write_bytes(content)
    return paths


@pytest.mark.parametrize("name", sorted(BROKEN))
@pytest.mark.parametrize("command", ["check", "scrub"])
def test_a_broken_call_file_is_a_one_line_error_naming_it_with_exit_2(
    name: str,
    command: str,
    index: Path,
    broken: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out_file = tmp_path / "out.csv"
    args = ["--registry", index, broken[name]] + ([out_file] if command == "scrub" else [])
    code, out, err = run(capsys, command, *args)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dncguard: error: "), err
    assert str(broken[name]) in lines[0]
    assert "\x1b" not in err
    assert out == ""
    assert not out_file.exists()


def test_a_file_that_is_not_utf8_names_the_row_and_byte_offset(
    index: Path, broken: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "check", "--registry", index, broken["latin1.csv"])
    offset = BROKEN["latin1.csv"].index(b"\xf1")
    assert code == 2
    assert "row 2" in err
    assert "not UTF-8" in err
    assert f"byte offset {offset}" in err
    assert "0xf1" in err
    code, _, err = run(capsys, "check", "--registry", index, broken["latin1.jsonl"])
    assert "row 1" in err
    assert "not UTF-8" in err


def test_years_0_and_10000_name_the_row_and_field(
    index: Path, broken: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for name, field in [
        ("year0.csv", "at"),
        ("year10000.csv", "at"),
        ("date-year0.csv", "last_purchase"),
        ("date-year10000.csv", "dnc_requested_on"),
        ("year0.jsonl", "at"),
    ]:
        code, _, err = run(capsys, "check", "--registry", index, broken[name])
        assert code == 2, err
        assert f"row 1, field '{field}'" in err, err


def test_deeply_nested_json_is_bad_input_not_a_blocked_call(
    index: Path, broken: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "check", "--registry", index, broken["deep.jsonl"])
    assert code == 2
    assert "row 1" in err
    assert "nested too deeply" in err


def test_a_semicolon_separated_csv_says_the_separator_may_be_wrong(
    index: Path, broken: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "check", "--registry", index, broken["semicolons.csv"])
    assert code == 2
    assert "separator may be wrong" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("command", ["check", "scrub"])
def test_a_fifo_is_refused_by_name_without_hanging(command: str, index: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "calls.csv"
    os.mkfifo(fifo)
    args = [sys.executable, "-m", "dncguard", command, "--registry", str(index), str(fifo)]
    if command == "scrub":
        args.append(str(tmp_path / "out.csv"))
    # Nothing ever writes to the FIFO: a command that opened it would wait forever.
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert str(fifo) in done.stderr
    assert "FIFO" in done.stderr
    assert "Traceback" not in done.stderr


# --- item 4: scrub to CSV neutralises formulas ---------------------------------------------


@given(
    st.lists(st.one_of(st.none(), st.text(), st.from_regex(r"[=+\-@\t\r]?[0-9 .e+-]{0,12}", fullmatch=True)))
)
def test_csv_cells_are_neutralised_as_the_ledger_export_neutralises_them(cells: list[str | None]) -> None:
    expected = [ledger_cli.neutralise_formulas(c) for c in cells]
    column = pa.chunked_array([pa.array(cells, pa.string())])
    assert _write.neutralise_formulas(column).to_pylist() == expected
    # large strings, and an array that is a slice of another (an offset into its buffers)
    large = pa.array([None, *cells], pa.large_string()).slice(1)
    assert _write.neutralise_formulas(large).to_pylist() == expected


def test_scrub_to_csv_neutralises_formulas_and_leaves_numbers_alone(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.csv"
    rows = [
        ["+12125550143", AT, "acme", '=HYPERLINK("http://x.example","click")', "-5"],
        ["2125550100", AT, "@acme", "+1 212 555 0100", "3.25"],
        ["2125550101", AT, "acme", "\tcmd", "plain"],
    ]
    pa_csv.write_csv(
        pa.table(list(zip(*rows, strict=True)), names=["to", "at", "seller", "note", "=score"]), calls
    )
    out = tmp_path / "out.csv"
    code, _, err = run(capsys, "scrub", "--registry", index, calls, out)
    assert code == 0, err
    header = next(csv.reader(out.read_text().splitlines()))
    as_text = pa_csv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()))
    table = pa_csv.read_csv(out, convert_options=as_text)
    assert table.column_names[:5] == ["to", "at", "seller", "note", "'=score"]
    assert table.column("to").to_pylist() == ["+12125550143", "2125550100", "2125550101"]
    assert table.column("seller").to_pylist() == ["acme", "'@acme", "acme"]
    assert table.column("note").to_pylist() == [
        '\'=HYPERLINK("http://x.example","click")',
        "'+1 212 555 0100",
        "'\tcmd",
    ]
    assert table.column("'=score").to_pylist() == ["-5", "3.25", "plain"]
    # Parquet keeps every value as it is: only a spreadsheet reads CSV cells as formulas.
    out_pq = tmp_path / "out.parquet"
    assert run(capsys, "scrub", "--registry", index, calls, out_pq)[0] == 0
    assert pq.read_table(out_pq).column("note")[0].as_py().startswith("=HYPERLINK")


# --- item 6: scrub's output, lookup's coverage ----------------------------------------------


@pytest.mark.parametrize("link", ["same", "symlink", "hardlink"])
def test_scrub_refuses_to_write_over_its_own_input(
    link: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.csv"
    text = HEADER + f"2125550199,{AT},acme\n"
    calls.write_text(text)
    out = calls
    if link == "symlink":
        out = tmp_path / "out.csv"
        out.symlink_to(calls)
    elif link == "hardlink":
        out = tmp_path / "out.csv"
        os.link(calls, out)
    code, _, err = run(capsys, "scrub", "--registry", index, calls, out)
    assert code == 2
    assert "OUT is the call file IN" in err
    assert calls.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({calls.name, out.name})


def test_scrub_output_is_on_disk_before_it_is_renamed_into_place(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text(HEADER + f"2125550199,{AT},acme\n")
    out = tmp_path / "out.csv"
    events: list[str] = []
    fsync, replace = os.fsync, os.replace

    def traced_fsync(fd: int) -> None:
        events.append("fsync " + ("dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "file"))
        fsync(fd)

    def traced_replace(src: str, dst: str) -> None:
        events.append("replace")
        replace(src, dst)

    monkeypatch.setattr(os, "fsync", traced_fsync)
    monkeypatch.setattr(os, "replace", traced_replace)
    code, _, err = run(capsys, "scrub", "--registry", index, calls, out)
    assert code == 0, err
    assert events == ["fsync file", "replace", "fsync dir"]


def test_lookup_says_not_covered_where_check_blocks_the_area_code_as_not_covered(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uncovered = "3125550100"  # the FTC download covers area code 212 only
    code, out, _ = run(capsys, "lookup", "--registry", index, uncovered, "2125550100", "2125550199")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split(None, 1)[1].startswith("not covered")
    assert lines[1].endswith("not listed")
    assert lines[2].endswith("us-ftc")
    calls = tmp_path / "calls.csv"
    calls.write_text(HEADER + f"{uncovered},{AT},acme\n")
    code, out, _ = run(capsys, "check", "--registry", index, "--format", "json", calls)
    assert code == 1
    assert "area_code_not_covered" in out
    code, out, _ = run(capsys, "lookup", "--registry", index, "--format", "json", uncovered)
    assert json.loads(out) == {"number": uncovered, "valid": True, "covered": False, "lists": []}


# --- item 8: --version, summaries, info's exit code -----------------------------------------


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    import dncguard
    from dncguard import _arraymem
    from dncguard._ledger import _chain

    code, out, _ = run(capsys, "--version")
    assert code == 0
    first, second = out.splitlines()
    assert first == f"dncguard {dncguard.__version__}"  # the first line alone, for scripts
    ledger = "built" if _chain.COMPILED else "not built"
    memory = "built" if _arraymem.available() else "not built"
    assert second.startswith(f"optional C extensions: ledger {ledger}, array memory {memory} (")


def test_version_says_an_extension_that_is_not_built(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dncguard import _arraymem
    from dncguard._ledger import _chain

    monkeypatch.setattr(_chain, "COMPILED", False)
    monkeypatch.setattr(_arraymem, "_C", None)
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert "optional C extensions: ledger not built, array memory not built" in out


def test_build_and_update_print_a_summary_on_stdout_when_it_is_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dncguard.registry import Registry

    ftc = tmp_path / "ftc.txt"
    ftc.write_text("2125550199\n2125550198\n")
    changes = tmp_path / "changes.txt"
    changes.write_text("2125550111,2026-03-11,A\n")
    out_file = tmp_path / "registry.dncg"
    code, out, err = run(capsys, "build", out_file, f"--ftc={ftc}@{OBTAINED}")
    assert code == 0, err
    registry_id = Registry.open(out_file).id
    assert out == f"wrote {out_file} ({registry_id}): 1 layer(s): us-ftc (2)\n"
    code, out, err = run(capsys, "update", out_file, f"--ftc-changes={changes}@2026-03-11")
    assert code == 0, err
    registry_id = Registry.open(out_file).id
    assert out == f"wrote {out_file} ({registry_id}): 1 layer(s): us-ftc (3)\n"


def test_info_exits_1_when_a_national_list_is_stale_and_on_judges_another_day(
    index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # obtained 2026-03-10: fresh on the day of the calls, stale 32 days after
    code, out, _ = run(capsys, "info", index, "--on", "2026-03-16")
    assert code == 0
    assert "warning: us-ftc" not in out
    assert "checked 2026-03-16" in out
    code, out, _ = run(capsys, "info", index, "--on", "2026-04-11")
    assert code == 1
    assert "warning: us-ftc: 1 area code(s) obtained more than 31 days ago" in out
    code, out, _ = run(capsys, "info", index, "--format", "json", "--on", "2026-04-11")
    assert code == 1
    assert json.loads(out)["stale"] is True
    code, _, err = run(capsys, "info", index, "--on", "16/03/2026")
    assert code == 2
    assert "--on '16/03/2026': not a date" in err


def test_the_readme_demo_shows_no_stale_warning_for_its_march_2026_calls(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent.parent
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["sh", str(root / "data" / "fixtures" / "demo.sh"), str(tmp_path / "registry.dncg")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "dncguard check exited 1" in done.stdout
    assert "stale" not in done.stdout + done.stderr
    assert "wrote " in done.stdout


# --- item 9: one spelling for the same thing ------------------------------------------------


@pytest.mark.parametrize("command", ["info", "update"])
def test_info_and_update_take_the_index_as_registry_too(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ftc = tmp_path / "ftc.txt"
    ftc.write_text("2125550199\n")
    changes = tmp_path / "changes.txt"
    changes.write_text("2125550111,2026-03-11,A\n")
    idx = tmp_path / "registry.dncg"
    assert run(capsys, "build", idx, f"--ftc={ftc}@{OBTAINED}")[0] == 0
    extra = ["--on", "2026-03-16"] if command == "info" else [f"--ftc-changes={changes}@2026-03-11"]
    code, out, err = run(capsys, command, "--registry", idx, *extra)
    assert code == 0, err
    assert str(idx) in out
    # both, naming the same file: fine; naming two files: a usage error
    assert run(capsys, command, idx, "--registry", idx, *extra)[0] == 0
    code, _, err = run(capsys, command, idx, "--registry", tmp_path / "other.dncg", *extra)
    assert code == 2
    assert "two indexes given" in err
    code, _, err = run(capsys, command, *extra)
    assert code == 2
    assert "INDEX or --registry INDEX" in err


def test_jurisdictions_are_read_in_any_case(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text(HEADER + f"4165550150,{AT},acme\n")
    code, out, err = run(capsys, "check", "--registry", index, calls, "--jurisdictions", "us, ca ")
    assert code == 1, err  # Canada is in play: blocked as not covered, not as excluded
    assert "jurisdiction_excluded" not in out
    code, out, err = run(capsys, "check", "--registry", index, calls, "--jurisdictions", "us")
    assert code == 1, err
    assert "jurisdiction_excluded" in out


@pytest.fixture
def lists(tmp_path: Path) -> dict[str, Path]:
    files = {
        "ftc": ("ftc.txt", "2125550199\n6465550100\n"),
        "dncl": ("dncl.txt", "416,5550199\n"),
        "texas": ("texas.csv", "Account Number,Home Phone,Cell Phone\n1001,5125550177,5125550178\n"),
        "optouts": ("optouts.csv", "id,primary,alternate\n7,2125550143,2125550144\n"),
    }
    out = {}
    for key, (name, text) in files.items():
        out[key] = tmp_path / name
        out[key].write_text(text)
    return out


def test_area_codes_qualify_the_national_download_before_them(
    lists: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dncguard.registry import Registry

    idx = tmp_path / "registry.dncg"
    ftc = f"--ftc={lists['ftc']}@{OBTAINED}"
    code, _, err = run(capsys, "build", idx, ftc, "--area-codes", "212,646,917")
    assert code == 2
    # the source's error in the command line's words: no "area_codes=" a CLI user cannot pass
    assert "917 (given in --area-codes)" in err
    assert "area_codes=" not in err
    code, _, err = run(capsys, "build", idx, ftc, "--area-codes", "212")
    assert code == 2
    assert "give --area-codes" in err
    assert "area_codes=" not in err
    code, _, err = run(capsys, "build", idx, ftc, "--area-codes", "212, 646")
    assert code == 0, err
    assert sorted(Registry.open(idx).layers[0].area_codes) == [212, 646]
    # an option with no source flag before it, or before a source that takes no such option
    code, _, err = run(capsys, "build", idx, "--area-codes", "212", ftc)
    assert code == 2
    assert "after --ftc" in err
    code, _, err = run(capsys, "build", idx, f"--internal={lists['optouts']}", "--area-codes", "212")
    assert code == 2
    assert "--internal" in err
    code, _, err = run(capsys, "build", idx, ftc, "--area-codes", "212", "--area-codes", "646")
    assert code == 2
    assert "twice" in err


def test_state_lists_take_published_and_number_column(
    lists: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dncguard.registry import Registry

    idx = tmp_path / "registry.dncg"
    state = f"--state=US-TX={lists['texas']}@{OBTAINED}"
    code, _, err = run(
        capsys, "build", idx, state, "--published", "2026-03-01", "--number-column", "Cell Phone"
    )
    assert code == 0, err
    registry = Registry.open(idx)
    assert str(registry.layers[0].published) == "2026-03-01"
    assert [x.layer.name for x in registry.lookup("5125550178")] == ["us-tx"]
    assert registry.lookup("5125550177") == ()
    code, _, err = run(capsys, "build", idx, state, "--published", "March 1")
    assert code == 2
    assert "not a date" in err


def test_internal_lists_take_number_column_and_errors_name_the_flag(
    lists: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dncguard.registry import Registry

    idx = tmp_path / "registry.dncg"
    internal = f"--internal=acme={lists['optouts']}"
    code, _, err = run(capsys, "build", idx, internal)
    assert code == 2
    assert "--number-column" in err
    assert "number_column=" not in err
    code, _, err = run(capsys, "build", idx, internal, "--number-column", "alternate")
    assert code == 0, err
    assert [x.layer.name for x in Registry.open(idx).lookup("2125550144")] == ["internal:acme"]
    code, _, err = run(capsys, "build", idx, f"--internal={lists['optouts']}", "--number-column", "primary")
    assert code == 2
    assert "--internal SELLER=PATH" in err
    assert "seller=" not in err


def test_a_download_of_the_other_country_names_the_flag_to_use(
    lists: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "build", tmp_path / "r.dncg", f"--ftc={lists['dncl']}@{OBTAINED}")
    assert code == 2
    assert "--dncl" in err
    assert "sources." not in err


def test_a_future_obtained_date_is_blamed_on_the_flags_date(
    lists: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "build", tmp_path / "r.dncg", f"--ftc={lists['ftc']}@2999-01-01")
    assert code == 2
    assert "--ftc: the date @2999-01-01 is in the future" in err
    assert "obtained=" not in err


def test_change_list_dates_are_blamed_on_the_date_on_the_command_line(
    lists: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idx = tmp_path / "registry.dncg"
    assert run(capsys, "build", idx, f"--ftc={lists['ftc']}@{OBTAINED}")[0] == 0
    changes = tmp_path / "changes.txt"
    changes.write_text("2125550160,Mar 11 2026,A\n")
    code, _, err = run(capsys, "update", idx, f"--ftc-changes={changes}@2026-03-12")
    assert code == 0, err
    changes.write_text("2125550161,11.03.2026,A\n")
    code, _, err = run(capsys, "update", idx, f"--ftc-changes={changes}@2026-03-12")
    assert code == 2
    assert f"{changes}, line 1: date '11.03.2026' is ambiguous" in err


def test_info_warns_about_an_empty_internal_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "optouts.csv"
    empty.write_text("number,requested_on\n")
    idx = tmp_path / "registry.dncg"
    assert run(capsys, "build", idx, f"--internal=acme={empty}")[0] == 0
    code, out, _ = run(capsys, "info", "--registry", idx)
    assert code == 0
    assert "warning: internal:acme: empty" in out


def test_build_from_a_change_list_alone_is_refused_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changes = tmp_path / "changes.txt"
    changes.write_text("2125550110,2026-03-10,A\n")
    out = tmp_path / "registry.dncg"
    code, _, err = run(capsys, "build", out, f"--ftc-changes={changes}@{OBTAINED}")
    assert code == 2
    assert not out.exists()
    assert "a change list for area code 212, which the us-ftc data does not cover" in err
    assert "(--ftc) in the same build or update" in err
