"""The ``dncguard`` command line, run in-process through ``main([...])`` as a user would type it.

The registry downloads are written here, small and synthetic (555 exchanges), so each test
states the lists it relies on. Calls start on Monday 2026-03-16 at 14:00 Eastern, six days after
the downloads were obtained.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from dncguard.cli import _tablefile, main
from dncguard.guard import Guard
from dncguard.models import Decision
from dncguard.registry import Registry

OBTAINED = "2026-03-10"
AT = "2026-03-16T14:00:00-04:00"

LISTED = "212-555-0199"  # on the FTC list
CLEAN = "212-555-0100"  # on no list
OPTED_OUT = "212-555-0143"  # on acme's internal list since 2026-01-05
TX_LISTED = "512-555-0177"  # on the Texas list
CA_LISTED = "416-555-0199"  # on the Canadian DNCL
INVALID = "555-0100"  # seven digits: not a NANP number
NATIONAL_COPY = f"oldest national copy used: us-ftc obtained {OBTAINED}"  # the text summary says

CALLS: list[dict[str, Any]] = [
    {"to": CLEAN, "at": AT, "seller": "acme"},
    {"to": LISTED, "at": AT, "seller": "acme"},
    {"to": LISTED, "at": AT, "seller": "acme", "last_purchase": "2025-12-01"},
    {"to": OPTED_OUT, "at": AT, "seller": "acme"},
    {"to": INVALID, "at": AT, "seller": "acme"},
]
# What each of CALLS must come to: (allowed, the reason codes it must carry).
EXPECTED = [
    (True, set()),
    (False, {"national_registry"}),
    (True, set()),
    (False, {"internal_list"}),
    (False, {"invalid_number"}),
]


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """Run the command line; return (exit code, stdout, stderr). A traceback is never output."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("downloads")
    files = {
        "ftc": ("ftc.txt", "2125550199\n2125550198\n5125550100\n3055550100\n"),
        "dncl": ("dncl.txt", "416,5550199\n709,5550100\n"),
        "texas": ("texas.csv", "number,name\n5125550177,A. Resident\n"),
        "internal": ("optouts.csv", "number,requested_on\n2125550143,2026-01-05\n"),
        "changes": ("ftc-changes.txt", "2125550111,2026-03-11,A\n2125550198,2026-03-11,D\n"),
    }
    paths = {}
    for key, (name, text) in files.items():
        paths[key] = d / name
        paths[key].write_text(text)
    return paths


def build_args(downloads: dict[str, Path]) -> list[str]:
    return [
        f"--ftc={downloads['ftc']}@{OBTAINED}",
        f"--dncl={downloads['dncl']}@{OBTAINED}",
        f"--state=US-TX={downloads['texas']}@{OBTAINED}",
        f"--internal=acme={downloads['internal']}",
    ]


@pytest.fixture(scope="module")
def index(downloads: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("index") / "registry.dncg"
    assert main(["build", str(out), *build_args(downloads)]) == 0
    return out


def write_calls(path: Path, calls: list[dict[str, Any]]) -> Path:
    """Write calls as .jsonl, .json, .csv or .parquet (tables: every column as text)."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(c) + "\n" for c in calls))
    elif path.suffix == ".json":
        path.write_text(json.dumps(calls))
    else:
        names = list(dict.fromkeys(k for c in calls for k in c))
        table = pa.table({n: pa.array([c.get(n) for c in calls], pa.string()) for n in names})
        if path.suffix == ".csv":
            pa_csv.write_csv(table, path)
        else:
            pq.write_table(table, path)
    return path


# --- build, update, info, lookup ------------------------------------------------------------


def test_build_writes_an_index_that_info_describes(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info", index, "--on", "2026-03-16")
    assert code == 0
    for name in ("us-ftc", "ca-dncl", "us-tx", "internal:acme"):
        assert name in out
    assert OBTAINED in out
    # Texas is loaded; the other states that keep their own lists are named as missing.
    missing = next(line for line in out.splitlines() if "state lists not loaded" in line)
    assert "US-FL" in missing
    assert "US-PA" in missing
    assert "US-TX" not in missing


def test_info_json_gives_each_layer_its_dates_coverage_and_count(
    index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "info", index, "--format", "json", "--on", "2026-03-16")
    assert code == 0
    info = json.loads(out)
    layers = {layer["name"]: layer for layer in info["layers"]}
    assert layers["us-ftc"]["obtained"] == OBTAINED
    assert layers["us-ftc"]["count"] == 4
    assert layers["us-ftc"]["coverage"] == "212, 305, 512"
    assert layers["internal:acme"]["count"] == 1
    assert info["size"] == index.stat().st_size


def test_info_warns_when_a_national_copy_is_older_than_the_law_allows(
    index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The downloads were obtained on 2026-03-10, long before any day these tests run: calls to
    # their area codes are blocked as stale, and info exits 1 so that `info && dial` stops.
    code, out, _ = run(capsys, "info", index)
    assert code == 1
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert any(w.startswith("warning: us-ftc: 3 area code(s)") and "212, 305, 512" in w for w in warnings)
    assert any(w.startswith("warning: ca-dncl: 2 area code(s)") for w in warnings)


def test_info_warns_when_a_state_list_is_old(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dncguard.jurisdictions import us_states

    # The threshold lives in dncguard.jurisdictions (RULES section 6.2), not in the CLI.
    days = us_states.STATE_LIST_WARN_DAYS
    _, out, _ = run(capsys, "info", index)
    assert f"warning: us-tx: obtained 2026-03-10, more than {days} days ago" in out


def test_info_is_quiet_about_fresh_lists(
    downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    today = dt.date.today().isoformat()
    idx = tmp_path / "registry.dncg"
    run(
        capsys,
        "build",
        idx,
        f"--ftc={downloads['ftc']}@{today}",
        f"--state=US-TX={downloads['texas']}@{today}",
    )
    _, out, _ = run(capsys, "info", idx)
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: state lists not loaded: ")
    assert "US-FL" in warnings[0]


def test_lookup_names_the_lists_holding_each_number(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lookup", "--registry", index, LISTED, CLEAN, OPTED_OUT, CA_LISTED, INVALID)
    assert code == 0
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines[LISTED].strip() == "us-ftc"
    assert lines[CLEAN].strip() == "not listed"
    assert lines[OPTED_OUT].strip() == "internal:acme (requested 2026-01-05)"
    assert lines[CA_LISTED].strip() == "ca-dncl"
    assert lines[INVALID].startswith("invalid number")


def test_lookup_json(index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lookup", "--registry", index, "--format", "json", OPTED_OUT, INVALID)
    assert code == 0
    opted_out, invalid = (json.loads(line) for line in out.splitlines())
    assert opted_out["lists"] == [{"layer": "internal:acme", "on": "2026-01-05"}]
    assert invalid["valid"] is False


def test_update_applies_a_change_list_in_place(
    downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idx = tmp_path / "registry.dncg"
    assert run(capsys, "build", idx, f"--ftc={downloads['ftc']}@{OBTAINED}")[0] == 0
    code, _, err = run(capsys, "update", idx, "--ftc-changes", f"{downloads['changes']}@2026-03-11")
    assert (code, err) == (0, "")
    _, out, _ = run(capsys, "lookup", "--registry", idx, "212-555-0111", "212-555-0198")
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["212-555-0111"].strip() == "us-ftc"  # added
    assert lines["212-555-0198"].strip() == "not listed"  # deleted
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_build_accepts_a_change_list_after_the_full_list(
    downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idx = tmp_path / "registry.dncg"
    changes = f"--ftc-changes={downloads['changes']}@2026-03-11"
    assert run(capsys, "build", idx, changes, f"--ftc={downloads['ftc']}@{OBTAINED}")[0] == 0
    _, out, _ = run(capsys, "lookup", "--registry", idx, "212-555-0111")
    assert "us-ftc" in out


@pytest.mark.parametrize("flag", ["--ftc", "--dncl", "--ftc-changes"])
def test_build_refuses_a_download_without_its_date(
    flag: str, downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "registry.dncg"
    code, _, err = run(capsys, "build", out, flag, downloads["ftc"])
    assert code == 2
    assert flag in err
    assert "obtained" in err
    assert "YYYY-MM-DD" in err
    assert not out.exists()


def test_build_refuses_a_state_list_without_its_date(
    downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "build", tmp_path / "r.dncg", "--state", f"US-TX={downloads['texas']}")
    assert code == 2
    assert "--state" in err
    assert "YYYY-MM-DD" in err


@pytest.mark.parametrize(
    ("spec", "says"),
    [("{ftc}@2026-13-01", "not a date"), ("{dir}/absent.txt@2026-03-10", "no such file")],
)
def test_build_bad_source_argument_exits_2(
    spec: str, says: str, downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arg = spec.format(ftc=downloads["ftc"], dir=tmp_path)
    code, _, err = run(capsys, "build", tmp_path / "r.dncg", "--ftc", arg)
    assert code == 2
    assert says in err


def test_build_without_sources_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "build", tmp_path / "r.dncg")
    assert code == 2
    assert "no sources" in err


def test_build_names_the_file_and_line_of_a_broken_download(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "ftc.txt"
    broken.write_text("2125550199\n21255501x9\n")
    out = tmp_path / "r.dncg"
    code, _, err = run(capsys, "build", out, "--ftc", f"{broken}@{OBTAINED}")
    assert code == 2
    assert str(broken) in err
    assert "line 2" in err
    assert not out.exists()


@pytest.mark.parametrize("command", ["info", "lookup", "check", "update"])
def test_a_corrupt_index_exits_2_naming_it(
    command: str,
    index: Path,
    downloads: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    corrupt = tmp_path / "corrupt.dncg"
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    calls = write_calls(tmp_path / "calls.jsonl", CALLS[:1])
    argv = {
        "info": ["info", corrupt],
        "lookup": ["lookup", "--registry", corrupt, CLEAN],
        "check": ["check", "--registry", corrupt, calls],
        "update": ["update", corrupt, f"--ftc={downloads['ftc']}@{OBTAINED}"],
    }[command]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert str(corrupt) in err
    assert out == ""


def test_a_missing_index_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "info", tmp_path / "absent.dncg")
    assert code == 2
    assert "absent.dncg" in err
    assert "no such file" in err


# --- check ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".parquet"])
def test_check_json_gives_every_call_its_row_and_decision(
    suffix: str, fmt: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """json: one array; jsonl: the same objects, one a line."""
    calls = write_calls(tmp_path / f"calls{suffix}", CALLS)
    code, out, _ = run(capsys, "check", "--registry", index, calls, "--format", fmt)
    assert code == 1
    records = json.loads(out) if fmt == "json" else [json.loads(line) for line in out.splitlines()]
    assert [r["row"] for r in records] == [1, 2, 3, 4, 5]
    for record, (allowed, codes) in zip(records, EXPECTED, strict=True):
        decision = Decision.model_validate({k: v for k, v in record.items() if k != "row"})
        assert decision.allowed is allowed
        assert codes <= {r.code.value for r in decision.reasons}
    assert records[0]["number"] == "+12125550100"
    assert "ebr_purchase" in {e["code"] for e in records[2]["exemptions"]}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_check_text_lists_the_blocked_calls_then_citations_and_counts(
    suffix: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CI gate needs the calls that fail: each blocked call with its reason codes and
    jurisdictions, each citation once in a legend, then the counts (per reason code too)."""
    calls = write_calls(tmp_path / f"calls{suffix}", CALLS)
    code, out, _ = run(capsys, "check", "--registry", index, calls)
    assert code == 1
    listed, legend, summary = out.split("\n\n")
    blocked = [(c, codes) for c, (ok, codes) in zip(CALLS, EXPECTED, strict=True) if not ok]
    lines = listed.splitlines()
    assert len(lines) == len(blocked) == 3
    for line, (call, codes) in zip(lines, blocked, strict=True):
        assert line.startswith("BLOCKED")
        assert call["to"] in line
        for code_ in codes:
            assert f"{code_} [" in line
    assert "national_registry [US]" in lines[0]  # the code and its jurisdiction
    assert "16 CFR" not in listed  # citations are in the legend, once each
    assert legend.startswith("citations:\n")
    assert "  national_registry [US]: 16 CFR 310.4(b)(1)(iii)(B)" in legend
    assert len(legend.splitlines()) == len(set(legend.splitlines()))
    # the summary names the registry and the oldest national copy the calls were decided on,
    # then counts the calls, and the calls each reason blocked
    assert summary.splitlines()[0] == f"registry {Registry.open(index).id}; {NATIONAL_COPY}"
    assert summary.splitlines()[1] == "5 calls: 2 allowed, 3 blocked"
    per_reason = dict(line.strip().split(": ") for line in summary.splitlines()[2:])
    assert sum(map(int, per_reason.values())) >= 3
    assert set(per_reason) == {r for _, codes in blocked for r in codes} | set(per_reason)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_check_all_lists_every_call_the_allowed_with_their_exemption(
    suffix: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / f"calls{suffix}", CALLS)
    code, out, _ = run(capsys, "check", "--registry", index, calls, "--all")
    assert code == 1
    lines = out.split("\n\n")[0].splitlines()
    assert len(lines) == len(CALLS)
    for line, call, (allowed, codes) in zip(lines, CALLS, EXPECTED, strict=True):
        assert line.startswith("ALLOWED" if allowed else "BLOCKED")
        assert call["to"] in line
        for code_ in codes:
            assert code_ in line
    assert "ebr_purchase [US]" in lines[2]  # allowed by an exemption: which one
    assert "ebr_purchase [US]: " in out.split("citations:\n")[1]  # cited in the legend


def test_check_junit_makes_blocked_calls_failures(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", CALLS)
    code, out, _ = run(capsys, "check", "--registry", index, calls, "--format", "junit", "--all")
    assert code == 1
    suites = ET.fromstring(out)
    suite = suites.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "5"
    assert suite.get("failures") == "3"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases][:2] == [f"row 1: {CLEAN}", f"row 2: {LISTED}"]
    for case, (allowed, codes) in zip(cases, EXPECTED, strict=True):
        failure = case.find("failure")
        assert (failure is None) is allowed
        if failure is not None:
            assert failure.get("type") in codes
            assert all(c in (failure.text or "") for c in codes)


def test_check_junit_lists_the_blocked_calls_and_counts_the_allowed(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --all: a failed test case per blocked call, and the allowed calls as one passing
    test case (what Jenkins, GitLab and the GitHub reporters count), their number in properties."""
    calls = write_calls(tmp_path / "calls.csv", CALLS)
    code, out, _ = run(capsys, "check", "--registry", index, calls, "--format", "junit")
    assert code == 1
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == [
        f"row {i + 1}: {c['to']}"
        for i, (c, (ok, _)) in enumerate(zip(CALLS, EXPECTED, strict=True))
        if not ok
    ]
    assert [c.get("name") for c in cases if c.find("failure") is None] == ["2 allowed calls"]
    assert (suite.get("tests"), suite.get("failures")) == (str(len(cases)), "3")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties == {"calls": "5", "allowed": "2", "blocked": "3"}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_check_exits_0_when_every_call_is_allowed(
    suffix: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    allowed = [c for c, (ok, _) in zip(CALLS, EXPECTED, strict=True) if ok]
    calls = write_calls(tmp_path / f"calls{suffix}", allowed)
    code, out, _ = run(capsys, "check", "--registry", index, calls)
    assert code == 0
    assert out == f"registry {Registry.open(index).id}; {NATIONAL_COPY}\n2 calls: 2 allowed, 0 blocked\n"
    code, out, _ = run(capsys, "check", "--registry", index, calls, "--all")
    assert code == 0
    assert all(line.startswith("ALLOWED") for line in out.split("\n\n")[0].splitlines())


def test_check_defaults_fill_calls_lacking_at_seller_purpose(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", [{"to": LISTED}, {"to": LISTED, "purpose": "sale"}])
    argv = ["check", "--registry", index, calls, "--at", AT, "--seller", "acme", "--format", "jsonl"]
    code, out, _ = run(capsys, *argv, "--purpose", "survey")
    survey, sale = (json.loads(line) for line in out.splitlines())
    assert code == 1
    assert survey["allowed"] is True  # a survey is outside the registry
    assert sale["allowed"] is False  # the row's own purpose wins over --purpose


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_check_names_file_row_and_field_of_a_naive_time(
    suffix: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = [CALLS[0], {**CALLS[1], "at": "2026-03-16T14:00:00"}]
    calls = write_calls(tmp_path / f"calls{suffix}", bad)
    code, out, err = run(capsys, "check", "--registry", index, calls)
    assert code == 2
    assert out == ""  # nothing decided before the file is known good
    assert f"{calls}, row 2, field 'at'" in err


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("purpose", "cold_call"),
        ("caller", "robot"),
        ("last_purchase", "last spring"),
        ("callee_timezone", "Mars/Olympus"),
        ("prerecorded", "maybe"),
    ],
)
@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_check_names_file_row_and_field_of_a_bad_value(
    field: str,
    value: str,
    suffix: str,
    index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = [*CALLS[:2], {**CALLS[0], field: value}]
    calls = write_calls(tmp_path / f"calls{suffix}", bad)
    code, _, err = run(capsys, "check", "--registry", index, calls)
    assert code == 2
    assert f"{calls}, row 3, field '{field}'" in err


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_blank_date_text_in_a_table_file_is_no_date(
    suffix: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A CRM export writes "" (or spaces) where a call has no such date: the call has none, as an
    # empty CSV field says, whatever the file type. A listed number then stays blocked.
    blank = [
        {**c, "last_purchase": c.get("last_purchase", ""), "dnc_requested_on": " " if i % 2 else ""}
        for i, c in enumerate(CALLS)
    ]
    with_blanks = write_calls(tmp_path / f"blank{suffix}", blank)
    without = write_calls(tmp_path / f"calls{suffix}", CALLS)
    code, out, err = run(capsys, "check", "--registry", index, with_blanks)
    _, expected, _ = run(capsys, "check", "--registry", index, without)
    assert (code, err) == (1, "")
    assert out == expected
    assert "BLOCKED  row 2 " in out
    assert "row 3 " not in out  # allowed


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_check_names_a_missing_required_field(
    suffix: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / f"calls{suffix}", [CALLS[0], {"to": CLEAN, "seller": "acme"}])
    code, _, err = run(capsys, "check", "--registry", index, calls)
    assert code == 2
    assert f"{calls}, row 2, field 'at'" in err
    assert "--at" in err


def test_check_a_consent_date_without_its_kind_is_bad_input(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", [{**CALLS[1], "consent_on": "2026-01-01"}])
    code, _, err = run(capsys, "check", "--registry", index, calls)
    assert code == 2
    assert "row 1, field 'consent_kind'" in err


@pytest.mark.parametrize(
    ("content", "says"),
    [("{not json\n", "row 1"), ("[1, 2]", "row 1")],
)
def test_check_unreadable_json(
    content: str, says: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / ("calls.jsonl" if content.startswith("{") else "calls.json")
    calls.write_text(content)
    code, _, err = run(capsys, "check", "--registry", index, calls)
    assert code == 2
    assert str(calls) in err
    assert says in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--at", "2026-03-16T14:00:00"],  # naive
        ["--purpose", "cold_call"],
        ["--format", "xml"],
    ],
)
def test_check_bad_options_exit_2(
    argv: list[str], index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.jsonl", CALLS[:1])
    code, out, _ = run(capsys, "check", "--registry", index, calls, *argv)
    assert code == 2
    assert out == ""


def test_check_a_missing_calls_file_exits_2(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "check", "--registry", index, tmp_path / "absent.csv")
    assert code == 2
    assert "absent.csv" in err


def test_check_unknown_format_exits_2(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.xlsx"
    calls.write_text("x")
    code, _, err = run(capsys, "check", "--registry", index, calls)
    assert code == 2
    assert "calls.xlsx" in err


# --- scrub ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target"), [(".csv", ".parquet"), (".parquet", ".csv"), (".jsonl", ".csv")]
)
def test_scrub_writes_the_rows_plus_decision_columns(
    source: str, target: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{**c, "crm_id": str(i)} for i, c in enumerate(CALLS)]
    calls = write_calls(tmp_path / f"calls{source}", rows)
    out = tmp_path / f"scrubbed{target}"
    code, stdout, _ = run(capsys, "scrub", "--registry", index, calls, out)
    assert (code, stdout) == (0, "")
    blank_is_null = pa_csv.ConvertOptions(strings_can_be_null=True)
    table = (
        pq.read_table(out) if target == ".parquet" else pa_csv.read_csv(out, convert_options=blank_is_null)
    )
    assert table.column("crm_id").cast(pa.string()).to_pylist() == [str(i) for i in range(len(CALLS))]
    assert table.column("allowed").to_pylist() == [ok for ok, _ in EXPECTED]
    reasons = table.column("reason").to_pylist()
    for reason, (ok, codes) in zip(reasons, EXPECTED, strict=True):
        assert (reason is None) if ok else (reason in codes)
    if target == ".parquet":
        assert pa.types.is_list(table.schema.field("reasons").type)


@pytest.mark.parametrize("target", [".csv", ".parquet"])
def test_scrub_again_drops_the_earlier_decisions_and_their_provenance(
    target: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file scrubbed before (here with stale allowed/registry_id/consulted columns, as a
    Python scrub with provenance=True writes them) scrubbed again: the new decision columns
    replace the old, and the old provenance is not written beside the new decisions."""
    rows = [{**c, "allowed": "false", "registry_id": "dncg:" + "0" * 32, "consulted": "stale"} for c in CALLS]
    calls = write_calls(tmp_path / "calls.csv", rows)
    out = tmp_path / f"scrubbed{target}"
    code, _, _ = run(capsys, "scrub", "--registry", index, calls, out)
    assert code == 0
    table = pq.read_table(out) if target == ".parquet" else pa_csv.read_csv(out)
    assert "registry_id" not in table.column_names
    assert "consulted" not in table.column_names
    assert table.column_names.count("allowed") == 1
    assert table.column("allowed").to_pylist() == [ok for ok, _ in EXPECTED]


def test_scrub_leaves_no_output_on_bad_input(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", [CALLS[0], {**CALLS[1], "at": "soon"}])
    out = tmp_path / "scrubbed.csv"
    code, _, err = run(capsys, "scrub", "--registry", index, calls, out)
    assert code == 2
    assert "row 2, field 'at'" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.csv"]


def test_scrub_refuses_an_unknown_output_format(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", CALLS[:1])
    code, _, err = run(capsys, "scrub", "--registry", index, calls, tmp_path / "out.xlsx")
    assert code == 2
    assert "out.xlsx" in err


# --- the program ------------------------------------------------------------------------------


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys)[0] == 2


def test_python_m_dncguard_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dncguard", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    for command in ("build", "update", "check", "scrub", "lookup", "info"):
        assert command in result.stdout


# --- the sample call lists in data/fixtures ---------------------------------------------------

FIXTURES = Path(__file__).parent.parent.parent / "data" / "fixtures"


@pytest.fixture(scope="module")
def quickstart_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    q = FIXTURES / "quickstart"
    out = tmp_path_factory.mktemp("quickstart") / "registry.dncg"
    argv = [
        "build",
        str(out),
        f"--ftc={q / 'ftc-full.zip'}@2026-03-10",
        f"--ftc-changes={q / 'ftc-changes.txt'}@2026-03-11",
        f"--dncl={q / 'dncl.zip'}@2026-03-10",
        f"--state=US-TX={q / 'us-tx.csv'}@2026-03-10",
        f"--internal=acme={q / 'optouts.csv'}",
    ]
    assert main(argv) == 0
    return out


def test_sample_calls_come_out_as_their_expect_column_says(
    quickstart_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = pa_csv.read_csv(FIXTURES / "calls.csv").column("expect").to_pylist()
    for name in ("calls.csv", "calls.jsonl"):
        code, out, _ = run(
            capsys, "check", "--registry", quickstart_index, FIXTURES / name, "--format", "json"
        )
        assert code == 1
        decisions = json.loads(out)
        got = ["allowed" if d["allowed"] else d["reasons"][0]["code"] for d in decisions]
        assert got == expected, name


def test_sample_calls_agree_across_formats_and_keep_the_callers_offset(
    quickstart_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = [
        run(capsys, "check", "--registry", quickstart_index, FIXTURES / name)[1]
        for name in ("calls.csv", "calls.jsonl")
    ]
    assert outputs[0] == outputs[1]
    # Newfoundland, 21:40 local: Canadian hours end at 21:30. Area code 709 also covers Labrador,
    # on Atlantic time half an hour behind, and a call must fit the hours in every zone of its
    # area code: 09:00 in Labrador is 09:30 in St. John's.
    newfoundland = next(line for line in outputs[0].splitlines() if "709.555.0151" in line)
    assert newfoundland.startswith("BLOCKED")
    assert "next allowed 2026-03-17T09:30:00-02:30" in newfoundland
    texas_sunday = next(line for line in outputs[0].splitlines() if "512-555-0150" in line)
    assert "calling_hours [US-TX" in texas_sunday
    assert "next allowed 2026-03-15T12:00:00-05:00" in texas_sunday


# --- policy options ---------------------------------------------------------------------------

LATE = "2026-05-01T14:00:00-04:00"  # 52 days after the downloads: the national copies are stale


def test_check_blocks_calls_a_stale_copy_cannot_clear(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", [{**CALLS[0], "at": LATE}])
    code, out, _ = run(capsys, "check", "--registry", index, calls)
    assert code == 1
    assert "stale_registry" in out.splitlines()[0]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_check_on_stale_raise_exits_2_naming_the_row(
    suffix: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / f"calls{suffix}", [CALLS[0], {**CALLS[0], "at": LATE}])
    code, out, err = run(capsys, "check", "--registry", index, calls, "--on-stale", "raise")
    assert code == 2
    assert out == ""
    assert f"{calls}, row 2" in err


def test_check_jurisdictions_leaves_rule_sets_out_and_blocks_their_calls(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.jsonl", [{**CALLS[0], "to": "416-555-0150"}])
    code, out, _ = run(capsys, "check", "--registry", index, calls, "--jurisdictions", "US")
    assert code == 1
    assert "jurisdiction_excluded" in out


def test_check_unknown_jurisdiction_exits_2(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.jsonl", CALLS[:1])
    code, out, err = run(capsys, "check", "--registry", index, calls, "--jurisdictions", "US,XX")
    assert code == 2
    assert out == ""
    assert "XX" in err


# --- bulk routing and progress ----------------------------------------------------------------


def test_check_decides_tables_in_bulk_and_explains_them_without_a_check_per_call(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV goes through ``bulk.decide_batches``; its calls are explained from the per-group
    verdicts, with no ``check`` per call (the invalid number, in json, is explained alone)."""
    from dncguard import bulk
    from dncguard.guard import Guard

    calls = write_calls(tmp_path / "calls.csv", CALLS)
    records = write_calls(tmp_path / "calls.jsonl", CALLS)
    expected = {fmt: run(capsys, "check", "--registry", index, records, "--format", fmt) for fmt in FORMATS}

    checked: list[str] = []
    decided: list[int] = []
    check, decide_batches = Guard.check, bulk.decide_batches

    def counting_check(self: Guard, call: Any) -> Decision:
        checked.append(call.to if hasattr(call, "to") else call["to"])
        return check(self, call)

    def counting_decide_batches(guard: Guard, batches: Any, **kwargs: Any) -> Any:
        for batch in batches:
            decided.append(batch.num_rows)
            yield from decide_batches(guard, [batch], **kwargs)

    monkeypatch.setattr(Guard, "check", counting_check)
    monkeypatch.setattr(bulk, "decide_batches", counting_decide_batches)
    for fmt in FORMATS:
        got = run(capsys, "check", "--registry", index, calls, "--format", fmt)
        if fmt == "junit":  # the suite is named after the file
            got = (got[0], got[1].replace(str(calls), str(records)), got[2])
        assert got == expected[fmt], fmt
    assert decided == [len(CALLS)] * len(FORMATS)
    assert checked == []


FORMATS = ("text", "junit", "json")


def test_progress_shows_on_a_terminal_only(
    downloads: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = ["build", tmp_path / "r.dncg", f"--ftc={downloads['ftc']}@{OBTAINED}"]
    assert run(capsys, *argv)[2] == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run(capsys, *argv)
    assert code == 0
    assert str(downloads["ftc"]) in err  # the progress line, on stderr
    assert "us-ftc (4)" in out  # the summary, on stdout, terminal or not


def test_build_into_a_missing_directory_exits_2(
    downloads: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "absent" / "registry.dncg"
    code, _, err = run(capsys, "build", out, f"--ftc={downloads['ftc']}@{OBTAINED}")
    assert code == 2
    assert f"{out}: no such directory" in err


def test_check_names_the_row_of_a_csv_line_with_too_many_fields(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "calls.csv"
    calls.write_text(f"to,at,seller\n{CLEAN},{AT},acme\n{CLEAN},{AT},acme,surplus\n")
    code, out, err = run(capsys, "check", "--registry", index, calls)
    assert code == 2
    assert out == ""
    assert f"{calls}, row 2: expected 3 fields, found 4" in err


def test_scrub_of_a_file_without_rows_is_refused(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A header and no calls (an export that failed) is not a file of calls all allowed: exit 2,
    nothing written (tests/cli/test_cli_leftovers.py has every format)."""
    calls = tmp_path / "calls.csv"
    calls.write_text("to,at,seller,crm_id\n")
    out = tmp_path / "scrubbed.csv"
    code, _, err = run(capsys, "scrub", "--registry", index, calls, out)
    assert code == 2
    assert f"{calls}: no calls: only a header row" in err
    assert not out.exists()


def _many_calls(n: int) -> list[dict[str, Any]]:
    """``n`` calls cycling through CALLS, each with its own crm_id."""
    return [{**CALLS[i % len(CALLS)], "crm_id": str(i)} for i in range(n)]


@pytest.mark.parametrize("target", [".csv", ".parquet"])
def test_scrub_in_many_batches_writes_what_one_batch_writes(
    target: str,
    index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The command reads, decides and writes a file's batches at the same time; with batches of a
    few rows (``DNCGUARD_BATCH_ROWS``) each row keeps its own decision."""

    calls = write_calls(tmp_path / "calls.csv", _many_calls(400))
    whole = tmp_path / f"whole{target}"
    assert run(capsys, "scrub", "--registry", index, calls, whole)[0] == 0
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "12")
    pieces = tmp_path / f"pieces{target}"
    assert run(capsys, "scrub", "--registry", index, calls, pieces)[0] == 0
    assert len(list(_tablefile._raw_batches(calls))) > 20
    read = pq.read_table if target == ".parquet" else pa_csv.read_csv
    got, want = read(pieces), read(whole)
    assert got.equals(want)
    assert got.column("crm_id").cast(pa.string()).to_pylist() == [str(i) for i in range(400)]
    assert got.column("allowed").to_pylist() == [EXPECTED[i % len(CALLS)][0] for i in range(400)]


@pytest.mark.parametrize(
    ("bad", "options", "message"),
    [
        ({"at": "soon"}, [], "row 331, field 'at'"),
        ({"at": LATE}, ["--on-stale", "raise"], "row 331"),
    ],
)
def test_scrub_in_many_batches_names_a_late_bad_row_and_leaves_no_output(
    bad: dict[str, str],
    options: list[str],
    message: str,
    index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    rows = _many_calls(400)
    rows[330] = {**rows[330], **bad}  # a call to CLEAN: only the registry can clear it
    calls = write_calls(tmp_path / "calls.csv", rows)
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "12")
    out = tmp_path / "scrubbed.parquet"
    code, stdout, err = run(capsys, "scrub", "--registry", index, calls, out, *options)
    assert (code, stdout) == (2, "")
    assert f"{calls}, {message}" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.csv"]


@pytest.mark.parametrize("target", [".csv", ".parquet"])
def test_scrub_output_gets_the_mode_a_new_file_gets(
    target: str, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Written through a temporary file, the output still has the umask's mode (not 0600)."""
    import os
    import stat

    calls = write_calls(tmp_path / "calls.csv", CALLS)
    out = tmp_path / f"scrubbed{target}"
    old = os.umask(0o027)
    try:
        assert run(capsys, "scrub", "--registry", index, calls, out)[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_scrub_of_json_lines_on_stale_raise_names_the_row_and_leaves_no_output(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _many_calls(40)
    rows[30] = {**rows[30], "at": LATE}  # a call to CLEAN: only the registry can clear it
    calls = write_calls(tmp_path / "calls.jsonl", rows)
    out = tmp_path / "scrubbed.csv"
    code, stdout, err = run(capsys, "scrub", "--registry", index, calls, out, "--on-stale", "raise")
    assert (code, stdout) == (2, "")
    assert f"{calls}, row 31" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.jsonl"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_check_names_an_unknown_region_before_printing_anything(
    suffix: str,
    index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An unknown ``callee_region`` late in a file of less than a batch is refused while
    reading, naming its row, not while deciding, after earlier rows had been printed."""

    rows = _many_calls(400)
    rows[330] = {**rows[330], "callee_region": "US-ZZ"}
    calls = write_calls(tmp_path / f"calls{suffix}", rows)
    code, stdout, err = run(capsys, "check", "--registry", index, calls)
    assert (code, stdout) == (2, "")
    assert f"{calls}, row 331, field 'callee_region'" in err
    assert "did you mean 'US-AZ'?" in err


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_call_file_without_calls_is_refused(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """An empty JSON call file is refused (exit 2) in every report format and by scrub, as an
    empty CSV file is: an export that failed is not a list of calls all allowed (it once
    crashed in bulk, which was handed a batch without rows, then was an empty report)."""
    calls = tmp_path / f"calls{suffix}"
    calls.write_text("[]\n" if suffix == ".json" else "")
    for fmt in ("text", "json", "jsonl", "junit"):
        code, out, err = run(capsys, "check", "--registry", index, "--format", fmt, calls)
        assert (code, out) == (2, "")
        assert f"{calls}: no calls: " in err
    out_path = tmp_path / "out.csv"
    assert run(capsys, "scrub", "--registry", index, calls, out_path)[0] == 2
    assert not out_path.exists()


# --- scrub of a JSON call file, streamed ----------------------------------------------------------


def _nested(i: int) -> dict[str, Any]:
    """A call whose evidence the flat columns cannot hold (two purchases): decided by ``check``."""
    purchases = [{"kind": "purchase", "on": "2025-12-01"}, {"kind": "purchase", "on": "2024-01-01"}]
    return {"to": LISTED, "at": AT, "seller": "acme", "relationships": purchases, "crm_id": str(i)}


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
@pytest.mark.parametrize("target", [".csv", ".parquet"])
def test_scrub_of_a_json_file_in_many_batches_writes_what_one_batch_writes(
    suffix: str,
    target: str,
    index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A JSON call file is scrubbed a batch of records at a time: the same rows, columns (every
    field some record holds, in the order first met, even one that appears only late) and
    decisions as when the whole file is one batch, batches decided in bulk and one decided call
    by call (nested evidence) alike."""
    rows = _many_calls(100)
    rows[70] = _nested(70)
    rows[90] = {**rows[90], "campaign": "spring"}  # a column first met late
    calls = write_calls(tmp_path / f"calls{suffix}", rows)
    whole = tmp_path / f"whole{target}"
    assert run(capsys, "scrub", "--registry", index, calls, whole)[0] == 0
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "8")
    pieces = tmp_path / f"pieces{target}"
    assert run(capsys, "scrub", "--registry", index, calls, pieces)[0] == 0
    if target == ".csv":
        assert pieces.read_bytes() == whole.read_bytes()
    got = pq.read_table(pieces) if target == ".parquet" else pa_csv.read_csv(pieces)
    assert got.equals(pq.read_table(whole) if target == ".parquet" else pa_csv.read_csv(whole))
    assert got.column_names[-5:] == ["campaign", "allowed", "reason", "reasons", "next_allowed_at"]
    assert got.column("crm_id").cast(pa.string()).to_pylist() == [str(i) for i in range(100)]
    assert [v or None for v in got.column("campaign").to_pylist()] == [None] * 90 + ["spring"] + [None] * 9
    guard = Guard(Registry.open(index))
    for i in (0, 1, 3, 70, 90):  # allowed, listed, opted out, two purchases, a late column
        call = {k: v for k, v in rows[i].items() if k not in ("crm_id", "campaign")}
        decision = guard.check(call)
        reasons = got.column("reasons")[i].as_py() or []
        if isinstance(reasons, str):  # CSV: joined with ";"
            reasons = reasons.split(";")
        assert got.column("allowed")[i].as_py() == decision.allowed, i
        assert reasons == [r.code.value for r in decision.reasons], i


def test_scrub_of_json_lines_names_a_stale_row_in_a_later_batch(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _many_calls(40)
    rows[30] = {**rows[30], "at": LATE}  # a call to CLEAN: only the registry can clear it
    calls = write_calls(tmp_path / "calls.jsonl", rows)
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "8")
    out = tmp_path / "scrubbed.csv"
    code, stdout, err = run(capsys, "scrub", "--registry", index, calls, out, "--on-stale", "raise")
    assert (code, stdout) == (2, "")
    assert f"{calls}, row 31" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.jsonl"]


def test_a_batch_size_that_is_not_a_count_is_refused(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = write_calls(tmp_path / "calls.csv", CALLS)
    for value in ("0", "-3", "many"):
        monkeypatch.setenv("DNCGUARD_BATCH_ROWS", value)
        code, stdout, err = run(capsys, "check", "--registry", index, calls)
        assert (code, stdout) == (2, "")
        assert f"DNCGUARD_BATCH_ROWS={value!r}: expected a whole number of calls from 1 up" in err


# --- every call field from a table file -------------------------------------------------------------


def test_a_table_file_gives_channel_automated_reassigned_on_and_attempts_as_json_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``channel``, ``automated``, ``reassigned_on`` and ``attempts`` are call fields in a CSV or
    Parquet file as in JSON: the same calls, the same report. A CSV file once dropped them
    silently, allowing an automated call to Florida that the same call in JSON blocked."""
    ftc = tmp_path / "ftc.txt"
    ftc.write_text("2125550199\n3055550199\n")
    index = tmp_path / "registry.dncg"
    assert main(["build", str(index), f"--ftc={ftc}@{OBTAINED}"]) == 0
    capsys.readouterr()
    florida = "305-555-0100"
    earlier = ["2026-03-16T09:00:00-04:00", "2026-03-16T11:00:00-04:00", "2026-03-16T12:00:00-04:00"]
    calls: list[dict[str, Any]] = [
        {"to": florida, "at": AT, "seller": "acme", "automated": True},
        {"to": florida, "at": AT, "seller": "acme", "channel": "text", "automated": False},
        {"to": florida, "at": AT, "seller": "acme", "attempts": earlier},
        {"to": florida, "at": AT, "seller": "acme", "reassigned_on": "2026-03-01"},
        {"to": florida, "at": AT, "seller": "acme"},
    ]
    flags = ["--all", "--missing-state-lists", "allow"]
    records = write_calls(tmp_path / "calls.jsonl", calls)
    code, expected, _ = run(capsys, "check", "--registry", index, records, *flags)
    assert code == 1
    assert "automated_without_consent [US-FL]" in expected.splitlines()[0]
    assert "frequency_cap" in expected.splitlines()[2]

    at_type = pa.timestamp("us", tz="UTC")
    parquet = tmp_path / "calls.parquet"
    pq.write_table(
        pa.table(
            {
                "to": [c["to"] for c in calls],
                "at": [c["at"] for c in calls],
                "seller": [c["seller"] for c in calls],
                "channel": [c.get("channel") for c in calls],
                "automated": pa.array([c.get("automated") for c in calls], pa.bool_()),
                "reassigned_on": [c.get("reassigned_on") for c in calls],
                "attempts": pa.array(
                    [
                        [dt.datetime.fromisoformat(t) for t in c["attempts"]] if "attempts" in c else None
                        for c in calls
                    ],
                    pa.list_(at_type),
                ),
            }
        ),
        parquet,
    )
    code, got, _ = run(capsys, "check", "--registry", index, parquet, *flags)
    assert (code, got) == (1, expected)
    # CSV cannot hold a list of times: the same calls but the one with attempts.
    without = [c for c in calls if "attempts" not in c]
    csv_calls = write_calls(
        tmp_path / "calls.csv",
        [{k: str(v).lower() if isinstance(v, bool) else v for k, v in c.items()} for c in without],
    )
    expected_without = run(
        capsys, "check", "--registry", index, write_calls(tmp_path / "w.jsonl", without), *flags
    )
    assert run(capsys, "check", "--registry", index, csv_calls, *flags)[:2] == expected_without[:2]
    scrubbed = tmp_path / "scrubbed.csv"
    assert run(capsys, "scrub", "--registry", index, csv_calls, scrubbed, *flags[1:])[0] == 0
    assert pa_csv.read_csv(scrubbed).column("allowed").to_pylist() == [False, True, True, True]


def test_attempts_in_a_csv_cell_are_refused_by_name(
    tmp_path: Path, index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Earlier calls count against a frequency cap: a CSV cell giving them is an error naming the
    row and field (text cannot say a list of times), never ignored; an empty cell gives none."""
    calls = write_calls(
        tmp_path / "calls.csv",
        [
            {"to": CLEAN, "at": AT, "seller": "acme", "attempts": ""},
            {"to": CLEAN, "at": AT, "seller": "acme", "attempts": "2026-03-16T10:00:00-04:00"},
        ],
    )
    code, out, err = run(capsys, "check", "--registry", index, calls)
    assert (code, out) == (2, "")
    assert (
        f"{calls}, row 2, field 'attempts': '2026-03-16T10:00:00-04:00': earlier calls cannot be given" in err
    )
