"""``dncguard check`` on CSV / Parquet: the bulk path prints, byte for byte, what a ``check`` per call prints.

The command line decides table files with ``bulk.decide_batches`` and writes each verdict's text
once, broadcast to its rows. The reference is the per-call path: every row read as a
:class:`~dncguard.Call`, decided by ``Guard.check``, written by the same writers JSON call files
use (``reference_report``: a ``check`` per call, written by ElementTree / ``json.dumps`` / f-strings).
The property draws rows over numbers (listed nationally, on a state list, on the seller's list,
unlisted, invalid, written oddly), times around calling-hour boundaries in several UTC offsets,
purposes, callers, lines and evidence; the table tests pin the edges.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import reference_report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dncguard.cli import _batches, _callfile, _common, _decide, _main, main
from dncguard.errors import CallColumnError
from dncguard.guard import Guard
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry
from strategies import CALL_ROW_COLUMNS, call_rows, hostile_texts, instants

OBTAINED = dt.date(2026, 3, 2)
FORMATS = ("text", "junit", "json", "jsonl")

# Synthetic numbers only: 555-01XX lines.
US_NPAS = (212, 305, 512, 713, 850, 907, 808, 787, 602, 317, 401, 415)
CA_NPAS = (416, 709, 867, 306)


def _numbers(npas: tuple[int, ...], lines: range) -> np.ndarray:
    return np.array([npa * 10**7 + 5_550_000 + line for npa in npas for line in lines], np.uint64)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> str:
    """US and Canadian lists (401 and 867 not covered; 305 older), Texas and Florida lists, and
    acme's internal list with dated and undated entries."""
    us = {npa: (dt.date(2026, 2, 1) if npa == 305 else OBTAINED) for npa in (*US_NPAS, 800) if npa != 401}
    ca = {npa: OBTAINED for npa in CA_NPAS if npa != 867}
    internal = _numbers((212, 305, 512, 416), range(100, 106))
    dates = np.array(
        [np.datetime64("2026-03-05") if i % 3 else np.datetime64("NaT") for i in range(len(internal))],
        "datetime64[D]",
    )
    registry = Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    _numbers(tuple(us), range(100, 120)),
                    us,
                    obtained=OBTAINED,
                )
            ],
            [
                Chunk(
                    LayerKey.national("CA"),
                    Op.REPLACE,
                    _numbers(tuple(ca), range(105, 125)),
                    ca,
                    obtained=OBTAINED,
                )
            ],
            [
                Chunk(
                    LayerKey.state("US-TX"),
                    Op.REPLACE,
                    _numbers((512, 713, 212), range(110, 130)),
                    obtained=dt.date(2026, 3, 1),
                )
            ],
            [
                Chunk(
                    LayerKey.state("US-FL"),
                    Op.REPLACE,
                    _numbers((305, 850), range(100, 112)),
                    obtained=OBTAINED,
                )
            ],
            [Chunk(LayerKey.internal("acme"), Op.REPLACE, internal, dates=dates)],
        ]
    )
    path = tmp_path_factory.mktemp("bulk-cli") / "registry.dncg"
    registry.save(path)
    return str(path)


@contextlib.contextmanager
def stdout(binary: bool = True) -> Iterator[io.TextIOBase]:
    """``sys.stdout`` replaced: a UTF-8 text stream over bytes (like a file), or a bare StringIO."""
    out: Any = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="") if binary else io.StringIO()
    with contextlib.redirect_stdout(out):
        yield out


def printed(out: Any) -> str:
    out.flush()
    return out.buffer.getvalue().decode() if hasattr(out, "buffer") else str(out.getvalue())


def fast(index: str, path: Path, fmt: str, *flags: str, binary: bool = True) -> tuple[int, str]:
    """What ``dncguard check`` prints for ``path``."""
    with stdout(binary) as out:
        code = main(["check", "--registry", index, str(path), "--format", fmt, *flags])
    return code, printed(out)


def per_call(index: str, path: Path, fmt: str, *flags: str) -> tuple[int, str]:
    """What a ``check`` per call prints for ``path`` (the reference)."""
    args = _main._parser().parse_args(["check", "--registry", index, str(path), "--format", fmt, *flags])
    guard = _common._guard(args)
    batches = list(_callfile.read_table_batches(str(path), defaults=_common._defaults(args)))
    outcomes = reference_report.decide_table_per_call(guard, batches, path=str(path))
    out = io.StringIO()
    reference_report.WRITERS[fmt](outcomes, str(path), out, every=args.all)
    return (_common.EXIT_BLOCKED if outcomes.blocked else _common.EXIT_OK), out.getvalue()


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    names = list(dict.fromkeys(k for r in rows for k in r)) or ["to"]
    table = pa.table({n: pa.array([r.get(n) for r in rows], pa.string()) for n in names})
    if path.suffix == ".csv":
        pa_csv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


def assert_same(index: str, path: Path, *flags: str, formats: tuple[str, ...] = FORMATS) -> dict[str, str]:
    outputs = {}
    for fmt in formats:
        expected = per_call(index, path, fmt, *flags)
        assert fast(index, path, fmt, *flags) == expected, fmt
        outputs[fmt] = expected[1]
    return outputs


# --- strategies -------------------------------------------------------------------------------

DATES = st.one_of(st.none(), st.dates(dt.date(2024, 1, 1), dt.date(2026, 4, 1)).map(dt.date.isoformat))


@st.composite
def files(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str]]:
    columns = frozenset(draw(st.sets(st.sampled_from(sorted(CALL_ROW_COLUMNS)))))
    calls = draw(st.lists(call_rows(columns), min_size=1, max_size=30))
    flags = ["--at", draw(instants()).isoformat(), "--seller", "acme"]
    flags += draw(
        st.sampled_from(
            ([], ["--purpose", "survey"], ["--jurisdictions", "US,CA"], ["--ebr-anniversary", "inclusive"])
        )
    )
    flags += draw(st.sampled_from(([], ["--all"])))
    return calls, flags


# --- the property -----------------------------------------------------------------------------


# Each example writes a file and runs the command line twice, in every format: at 500 examples
# each of these properties took 3-6 minutes of a loaded machine, so the thorough pass runs at
# most 500 (the agreement of scrub and check itself runs 10,000 in tests/bulk/test_bulk.py).
_EXAMPLES = min(settings.default.max_examples, 500)


@pytest.mark.hypothesis
@settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files(), st.sampled_from((".csv", ".parquet")))
def test_bulk_output_equals_the_per_call_output(
    index: str, tmp_path: Path, file: tuple[list[dict[str, Any]], list[str]], suffix: str
) -> None:
    calls, flags = file
    path = write(tmp_path / f"calls{suffix}", calls)
    assert_same(index, path, *flags)


@pytest.mark.hypothesis
@settings(
    max_examples=min(_EXAMPLES, 200),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files(), st.integers(4, 12))
def test_a_piece_written_in_several_slices_equals_the_per_call_output(
    index: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    file: tuple[list[dict[str, Any]], list[str]],
    batch_rows: int,
) -> None:
    """The texts of a piece's verdicts (and JSON templates) are worked out once for the piece and
    shared by the slices its lines are built in: with a few rows a batch (a slice of one to three
    rows), every line is still the one a check per call writes."""
    calls, flags = file
    path = write(tmp_path / "calls.csv", calls)
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", str(batch_rows))
    assert_same(index, path, *flags)


@pytest.mark.hypothesis
@settings(
    max_examples=min(_EXAMPLES, 100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files(), st.sampled_from(["3", "7", "1000"]))
def test_lines_joined_by_the_arrow_twin_equal_the_per_call_output(
    index: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    file: tuple[list[dict[str, Any]], list[str]],
    batch_rows: str,
) -> None:
    """Where the optional C join was not built, the report's lines are joined by its Arrow twin
    (``_chain.python_join``): every format, ``--all`` or not, in slices of a few rows, is still
    what a check per call prints (and so what the C join writes, tested above)."""
    from dncguard._ledger import _chain

    monkeypatch.setattr(_chain, "_chainc", None)
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", batch_rows)
    calls, flags = file
    assert_same(index, write(tmp_path / "calls.csv", calls), *flags)


@pytest.mark.hypothesis
@settings(
    max_examples=min(_EXAMPLES, 100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files(), st.integers(1, 9), st.integers(1, 40))
def test_lines_in_buffers_used_again_written_in_small_steps_equal_the_per_call_output(
    index: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    file: tuple[list[dict[str, Any]], list[str]],
    batch_rows: int,
    step: int,
) -> None:
    """The report's slices (a few rows each) joined into the same few buffers again and again
    (``_lines._Buffers``) and written ``step`` bytes a call (``_report._write_in_steps``; JUnit
    in place too): every format is still what a check per call prints."""
    from dncguard.cli import _report

    monkeypatch.setattr(_report, "_WRITE_BYTES", step)
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", str(batch_rows))
    calls, flags = file
    assert_same(index, write(tmp_path / "calls.csv", calls), *flags)


# --- the edges --------------------------------------------------------------------------------

AT = "2026-03-16T14:00:00-04:00"  # a Monday afternoon in the Eastern zone


def test_invalid_numbers_get_check_s_own_message(index: str, tmp_path: Path) -> None:
    calls = [
        {"to": "555-0100", "at": AT, "seller": "acme"},
        {"to": "876-555-0100", "at": AT, "seller": "acme"},  # a NANP country outside the US and Canada
        {"to": "212-155-0100", "at": AT, "seller": "acme"},
        {"to": "<&\"'>", "at": AT, "seller": "acme"},
        {"to": "212-555-0140", "at": AT, "seller": "acme"},
    ]
    out = assert_same(index, write(tmp_path / "calls.csv", calls))
    assert "'555-0100' is not a US or Canadian phone number" in out["junit"]
    assert '"number": "555-0100"' in out["json"]


@pytest.mark.parametrize("offset", ["-04:00", "-02:30", "+05:30", "Z", "-0700"])
def test_calling_hours_next_allowed_at_in_the_call_s_own_offset(
    index: str, tmp_path: Path, offset: str
) -> None:
    late = dt.datetime(2026, 3, 17, 2, 0) if offset not in ("+05:30",) else dt.datetime(2026, 3, 17, 12, 0)
    calls = [
        {"to": f"{npa}-555-0140", "at": late.strftime("%Y-%m-%dT%H:%M:%S") + offset, "seller": "acme"}
        for npa in (212, 512, 709, 907, 808, 415)
    ]
    out = assert_same(index, write(tmp_path / "calls.csv", calls))
    assert "next allowed" in out["text"]
    assert "next_allowed_at" in out["json"]


def test_timestamp_columns_keep_their_zone(index: str, tmp_path: Path) -> None:
    """Parquet ``at`` as aware timestamps: ``next_allowed_at`` in the column's zone at that instant."""
    when = [dt.datetime(2026, 3, 7, 23, 30, tzinfo=dt.UTC) + dt.timedelta(hours=h) for h in range(0, 30, 5)]
    for zone in ("UTC", "America/New_York", "+05:30"):
        table = pa.table(
            {
                "to": [f"{npa}-555-0140" for npa in (212, 512, 709, 907, 808, 415)],
                "at": pa.array(when, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us", tz=zone)),
                "seller": ["acme"] * len(when),
            }
        )
        path = tmp_path / f"calls-{zone.replace('/', '-')}.parquet"
        pq.write_table(table, path)
        assert_same(index, path)


def test_state_internal_lists_and_exemptions(index: str, tmp_path: Path) -> None:
    calls = [
        {"to": "512-555-0125", "at": AT, "seller": "acme"},  # Texas list only
        {"to": "305-555-0101", "at": AT, "seller": "acme"},  # Florida list, older national copy
        {"to": "212-555-0101", "at": AT, "seller": "acme"},  # acme's list, undated
        {
            "to": "212-555-0102",
            "at": AT,
            "seller": "acme",
            "consent_kind": "written",
            "consent_on": "2026-03-10",
        },
        {"to": "212-555-0102", "at": AT, "seller": "other"},
        {"to": "212-555-0110", "at": AT, "seller": "acme", "last_purchase": "2025-12-01"},
        {"to": "212-555-0110", "at": AT, "seller": "acme", "purpose": "survey"},
        {"to": "212-555-0110", "at": AT, "seller": "acme", "line": "business"},
        {"to": "416-555-0110", "at": AT, "seller": "acme", "caller": "charity", "purpose": "donation"},
        {"to": "401-555-0110", "at": AT, "seller": "acme"},  # area code the national copy lacks
        {"to": "212-555-0110", "at": "2026-05-01T14:00:00-04:00", "seller": "acme"},  # stale copy
    ]
    out = assert_same(index, write(tmp_path / "calls.csv", calls))
    assert all(code in out["text"] for code in ("state_registry", "internal_list", "area_code_not_covered"))
    assert '"exemptions": [{"code": "survey"' in out["json"]


@pytest.mark.parametrize("compiled", [True, False], ids=["c-join", "arrow-twin"])
@pytest.mark.parametrize("batch_rows", ["3", "7", "1000"])
def test_json_lines_keyed_by_next_allowed_at_and_consulted(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_rows: str, compiled: bool
) -> None:
    """Each line takes its verdict's texts, its ``next_allowed_at`` and its ``consulted`` text by
    index from small tables (joined in C, or by the Arrow twin where C was not built): rows of
    one verdict with different next openings (offsets, fractions of a second, a half-hour
    zone), of one verdict with different lists consulted (sellers with and without a list, a
    seller whose name JSON escapes), invalid numbers (a whole line of their own) among them, in
    slices of a few rows."""
    from dncguard._ledger import _chain

    if not compiled:
        monkeypatch.setattr(_chain, "_chainc", None)
    elif not _chain.COMPILED:
        pytest.skip("the optional C chain (dncguard._ledger._chainc) was not built here")
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", batch_rows)
    late = ["2026-03-17T02:00:00", "2026-03-17T02:00:00.250", "2026-03-16T23:59:59.999999"]
    offsets = ["-04:00", "Z", "+05:30", "-0330", "-07:00"]
    sellers = ["acme", 'Zo\u00eb "&" <Co>\u2028', "other", "ACME "]
    numbers = [
        "212-555-0140",
        "212-555-0101",
        "416-555-0110",
        "555-0100",
        "512-555-0125",
        "+1 (907) 555-0140",
    ]
    calls = [
        {
            "to": numbers[i % len(numbers)],
            "at": late[i % len(late)] + offsets[i % len(offsets)],
            "seller": sellers[i % 4],
        }
        for i in range(60)
    ]
    calls += [{"to": "212-555-0140", "at": AT, "seller": seller} for seller in sellers]
    out = assert_same(index, write(tmp_path / "calls.csv", calls), formats=("json", "jsonl", "junit", "text"))
    lines = [json.loads(line) for line in out["jsonl"].splitlines()]
    assert len({line["next_allowed_at"] for line in lines}) > 3
    assert len({json.dumps(line["consulted"]) for line in lines}) > 2
    assert '"layer": "internal:zo\\u00eb \\"&\\" <co>"' in out["jsonl"]  # escaped as json.dumps does
    assert any(line["number"] == "555-0100" for line in lines)  # an invalid number, as written


def test_defaults_from_flags_and_a_file_of_numbers_only(index: str, tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("to\n212-555-0140\n212-555-0101\n512-555-0125\n555-0100\n")
    for at in ("2026-03-16T23:00:00-04:00", "2026-03-16T23:00:00+00:00", "2026-03-16T10:00:00-07:00"):
        assert_same(index, path, "--at", at, "--seller", "acme")


def test_empty_file_and_all_allowed(index: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("to,at,seller\n")
    assert fast(index, empty, "text")[0] == 2  # no calls: refused (tests/cli/test_cli_leftovers.py)
    fine = write(tmp_path / "fine.csv", [{"to": "212-555-0140", "at": AT, "seller": "acme"}])
    out = assert_same(index, fine)
    assert fast(index, fine, "text")[0] == 0
    assert out["text"].endswith("1 calls: 1 allowed, 0 blocked\n")


def test_a_text_stream_without_bytes_gets_the_same_text(index: str, tmp_path: Path) -> None:
    calls = [
        {"to": "tél 212-555-0101", "at": AT, "seller": "acme"},
        {"to": "212-555-0140", "at": AT, "seller": "acme"},
    ]
    path = write(tmp_path / "calls.csv", calls)
    for fmt in FORMATS:
        assert fast(index, path, fmt, binary=False) == per_call(index, path, fmt)


def test_json_lines_parse_and_junit_is_xml(index: str, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    calls = [{"to": f'212-555-01{i:02d} "&<', "at": AT, "seller": "acme"} for i in range(0, 30, 3)]
    path = write(tmp_path / "calls.csv", calls)
    _, text = fast(index, path, "jsonl")
    assert [json.loads(line)["row"] for line in text.splitlines()] == list(range(1, 11))
    _, text = fast(index, path, "json")
    assert [d["row"] for d in json.loads(text)] == list(range(1, 11))
    _, xml = fast(index, path, "junit", "--all")
    cases = ET.fromstring(xml.split("\n", 1)[1]).findall(".//testcase")
    assert [c.get("name") for c in cases] == [f"row {i + 1}: {c['to']}" for i, c in enumerate(calls)]


def test_junit_failures_give_each_reason_and_its_message_and_cite_each_rule_once(
    index: str, tmp_path: Path
) -> None:
    import xml.etree.ElementTree as ET

    from dncguard import Call, Guard, Registry

    # Listed (federal and Texas lists), Texas calling hours, an invalid number: several reasons
    # and jurisdictions, the national registry's reason on many calls.
    calls = [{"to": f"212-555-01{i:02d}", "at": AT, "seller": "acme"} for i in range(40)]
    calls += [
        {"to": "512-555-0105", "at": "2026-03-15T07:00:00-05:00", "seller": "acme"},
        {"to": "555-0100", "at": AT, "seller": "acme"},
    ]
    path = write(tmp_path / "calls.csv", calls)
    _, xml = fast(index, path, "junit")
    suite = ET.fromstring(xml.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    guard = Guard(Registry.open(index))
    cited = set()
    failures = {c.get("name"): c.find("failure") for c in suite.findall("testcase")}
    for i, row in enumerate(calls):
        decision = guard.check(Call(to=row["to"], at=row["at"], seller=row["seller"]))
        if decision.allowed:
            assert f"row {i + 1}: {row['to']}" not in failures
            continue
        failure = failures[f"row {i + 1}: {row['to']}"]
        assert failure is not None
        assert failure.text is not None
        lines = failure.text.splitlines()
        # Each reason a line of its own: code, jurisdiction and message; no citation.
        for reason, line in zip(decision.reasons, lines, strict=False):
            assert line == f"{reason.code.value} [{reason.jurisdiction}]: {reason.message}"
            assert reason.rule not in line
            cited.add((reason.code.value, reason.jurisdiction, reason.rule))
    assert len(cited) >= 3
    legend = suite.find("system-out")
    assert legend is not None
    assert legend.text is not None
    assert legend.text.startswith("citations:\n")
    # Each rule once, in the order of the text report's legend.
    legend_lines = [f"  {code} [{where}]: {rule}" for code, where, rule in sorted(cited)]
    assert legend.text.splitlines()[1:] == legend_lines
    assert xml.count("16 CFR 310.4(b)(1)(iii)(B)") == 1

    # No call blocked: no legend.
    fine = write(tmp_path / "fine.csv", [{"to": "212-555-0140", "at": AT, "seller": "acme"}])
    _, xml = fast(index, fine, "junit", "--all")
    suite = ET.fromstring(xml.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    assert suite.find("system-out") is None


def test_on_stale_raise_names_the_file_and_row(
    index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = [
        {"to": "212-555-0140", "at": AT, "seller": "acme"},
        {"to": "212-555-0140", "at": "2026-05-01T14:00:00-04:00", "seller": "acme"},
    ]
    path = write(tmp_path / "calls.csv", calls)
    code = main(["check", "--registry", index, str(path), "--on-stale", "raise"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert f"{path}, row 2" in err
    assert "Traceback" not in err


def test_an_invalid_number_that_parses_is_left_to_check(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a number parse yet bulk find it invalid (an area code outside the US and Canada),
    the command line asks ``check`` for that row."""
    from dncguard import numbers

    calls = [
        {"to": "555-0100", "at": AT, "seller": "acme"},
        {"to": "212-555-0140", "at": AT, "seller": "acme"},
    ]
    path = write(tmp_path / "calls.csv", calls)
    expected = {fmt: per_call(index, path, fmt) for fmt in FORMATS}
    asked: list[str] = []
    check = Guard.check

    def counted(self: Guard, call: Any) -> Any:
        asked.append(call.to)
        return check(self, call)

    # No real number parses yet is one bulk finds invalid: parse_number is made to say that
    # every number parses (for the explainer: bulk reads numbers by its own rule).
    monkeypatch.setattr(numbers, "parse_number", lambda text: 0)
    monkeypatch.setattr(Guard, "check", counted)
    for fmt in FORMATS:
        assert fast(index, path, fmt) == expected[fmt], fmt
    assert asked == ["555-0100"] * 3  # junit, json and jsonl need the message; text does not


# --- JSON call files --------------------------------------------------------------------------


def per_call_records(index: str, path: Path, fmt: str, *flags: str) -> tuple[int, str]:
    """What a ``check`` per call of a JSON call file prints (the reference)."""
    args = _main._parser().parse_args(["check", "--registry", index, str(path), "--format", fmt, *flags])
    records = _batches._read_records(str(path), _common._defaults(args))
    decisions = _decide._decide_records(_common._guard(args), records, path=str(path))
    outcomes = reference_report.write_records(decisions, records.rows, records.tos)
    out = io.StringIO()
    reference_report.WRITERS[fmt](outcomes, str(path), out, every=args.all)
    return (_common.EXIT_BLOCKED if outcomes.blocked else _common.EXIT_OK), out.getvalue()


EVIDENCE_SELLERS = st.sampled_from((None, "acme", "other"))


@st.composite
def json_records(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str]]:
    """``files()`` as JSON: numbers sometimes as JSON integers, ``prerecorded`` as booleans, and
    evidence sometimes nested (relationships, consents, requests). In half the files the nested
    evidence fits the flat columns (at most one of each kind, no other seller's, no consent for a
    number), so the file is decided in bulk; in the others anything goes, and one call that does
    not fit sends the whole file call by call."""
    calls, flags = draw(files())
    fits = draw(st.booleans())
    sellers = st.just(None) if fits else st.sampled_from((None, "acme", "other"))
    records = []
    for row in calls:
        record = {k: v for k, v in row.items() if v is not None or draw(st.booleans())}
        if record["to"].isdigit() and draw(st.booleans()):
            record["to"] = int(record["to"])
        if record.get("prerecorded") in ("true", "false") and draw(st.booleans()):
            record["prerecorded"] = record["prerecorded"] == "true"
        if draw(st.integers(0, 2)) == 0:
            kinds = draw(
                st.lists(st.sampled_from(("purchase", "inquiry", "contract")), max_size=2, unique=fits)
            )
            record["relationships"] = [
                {
                    "kind": kind,
                    "on": draw(DATES.filter(bool)),
                    "ends": draw(DATES.filter(bool))
                    if draw(st.booleans()) and (kind == "contract" or not fits)
                    else None,
                    "seller": draw(sellers),
                }
                for kind in kinds
            ]
            if draw(st.booleans()):
                numbers = (None,) if fits or not isinstance(record["to"], str) else (None, record["to"])
                consent = {
                    "kind": draw(st.sampled_from(("written", "verbal"))),
                    "on": draw(DATES.filter(bool)),
                    "revoked_on": draw(DATES.filter(bool)) if draw(st.booleans()) else None,
                    "seller": draw(sellers),
                    "number": draw(st.sampled_from(numbers)),
                }
                record["consents"] = [consent] * (1 if fits else draw(st.integers(1, 2)))
            if draw(st.booleans()):
                record["dnc_requests"] = [{"on": draw(DATES.filter(bool)), "seller": draw(sellers)}]
            for name in ("last_purchase", "last_inquiry", "consent_on", "consent_kind", "dnc_requested_on"):
                record.pop(name, None)
        records.append({k: v for k, v in record.items() if not (isinstance(v, dict | list) and not v)})
    return records, flags


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.mark.hypothesis
@settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(json_records())
def test_json_lines_decided_in_bulk_print_what_a_check_per_call_prints(
    index: str, tmp_path: Path, file: tuple[list[dict[str, Any]], list[str]]
) -> None:
    """A JSON Lines file whose calls fit the flat columns is decided in bulk; whatever the file
    holds, the command prints, byte for byte, what a ``check`` of each call prints."""
    records, flags = file
    path = write_jsonl(tmp_path / "calls.jsonl", records)
    for fmt in FORMATS:
        try:
            expected = per_call_records(index, path, fmt, *flags)
        except CallColumnError:
            assert fast(index, path, fmt, *flags)[0] == 2  # refused alike, before deciding
            continue
        assert fast(index, path, fmt, *flags) == expected, fmt


def test_flat_json_calls_are_decided_in_bulk_and_nested_evidence_call_by_call(
    index: str, tmp_path: Path
) -> None:
    flat = [
        {"to": "212-555-0140", "at": AT, "seller": "acme", "last_purchase": "2026-01-02"},
        {
            "to": 5125550110,
            "at": AT,
            "seller": "acme",
            "relationships": [{"kind": "inquiry", "on": "2026-03-01"}],
        },
    ]
    nested = [
        *flat,
        {
            "to": "212-555-0141",
            "at": AT,
            "seller": "acme",
            "consents": [{"kind": "written", "on": "2026-01-05"}, {"kind": "verbal", "on": "2026-02-05"}],
        },
    ]
    for records, in_bulk in ((flat, True), (nested, False)):
        path = write_jsonl(tmp_path / "calls.jsonl", records)
        assert (flat_batches(index, path) is not None) == in_bulk
        for fmt in FORMATS:
            assert fast(index, path, fmt) == per_call_records(index, path, fmt)


def flat_batches(index: str, path: Path) -> list[Any] | None:
    """The batches ``check`` decides a JSON call file in, or None when it decides call by call."""
    args = _main._parser().parse_args(["check", "--registry", index, str(path)])
    return _batches._flat_batches(_batches._read_records(str(path), _common._defaults(args)))


# Each kind of nested evidence, where it decides the call: a listed number on a Monday afternoon.
LISTED = "212-555-0107"  # on the national list only
NESTED_EVIDENCE = [
    {"relationships": [{"kind": "contract", "on": "2022-01-01", "ends": "2024-01-01"}]},  # ended long ago
    {"relationships": [{"kind": "contract", "on": "2025-01-01"}]},  # in force
    {"relationships": [{"kind": "purchase", "on": "2026-01-02", "seller": "acme"}]},
    {"relationships": [{"kind": "inquiry", "on": "2026-03-01"}]},
    {"consents": [{"kind": "written", "on": "2026-01-05"}]},
    {"consents": [{"kind": "written", "on": "2026-01-05", "revoked_on": "2026-02-01"}]},
    {"relationships": [{"kind": "purchase", "on": "2026-01-02"}], "dnc_requests": [{"on": "2026-02-01"}]},
]


def test_nested_evidence_that_fits_the_flat_columns_decides_as_a_check_per_call(
    index: str, tmp_path: Path
) -> None:
    records = [{"to": LISTED, "at": AT, "seller": "acme", **evidence} for evidence in NESTED_EVIDENCE]
    path = write_jsonl(tmp_path / "calls.jsonl", records)
    assert flat_batches(index, path) is not None  # decided in bulk
    allowed = [json.loads(line)["allowed"] for line in fast(index, path, "jsonl")[1].splitlines()]
    assert allowed == [False, True, True, True, True, False, False]
    for fmt in FORMATS:
        assert fast(index, path, fmt) == per_call_records(index, path, fmt)


@pytest.mark.parametrize("target", [".csv", ".parquet"])
@pytest.mark.parametrize("fits", [True, False])
def test_scrub_of_json_lines_writes_what_a_check_per_call_decides(
    index: str, tmp_path: Path, target: str, fits: bool
) -> None:
    """``dncguard scrub`` of a JSON Lines file decides it in bulk when its evidence fits the flat
    columns (else call by call); either way each row gets ``check``'s answer."""
    records: list[dict[str, Any]] = [
        {"to": LISTED, "at": AT, "seller": "acme", "crm_id": i, **evidence}
        for i, evidence in enumerate(NESTED_EVIDENCE)
    ]
    records += [
        {"to": "555-0100", "at": AT, "seller": "acme"},
        {"to": 2125550140, "at": "2026-03-17T02:00:00-04:00", "seller": "acme"},  # calling hours
    ]
    if not fits:
        records.append({"to": LISTED, "at": AT, "seller": "acme", "dnc_requests": [{"on": "2026-01-01"}] * 2})
    path = write_jsonl(tmp_path / "calls.jsonl", records)
    out = tmp_path / f"scrubbed{target}"
    with stdout():
        assert main(["scrub", "--registry", index, str(path), str(out)]) == 0
    blank_is_null = pa_csv.ConvertOptions(strings_can_be_null=True)
    got = pq.read_table(out) if target == ".parquet" else pa_csv.read_csv(out, convert_options=blank_is_null)
    args = _main._parser().parse_args(["check", "--registry", index, str(path)])
    guard = _common._guard(args)
    decisions = [
        guard.check(call) for call in _batches._read_records(str(path), _common._defaults(args)).calls
    ]
    assert (flat_batches(index, path) is not None) == fits
    assert got.column("allowed").to_pylist() == [d.allowed for d in decisions]
    assert got.column("reason").to_pylist() == [
        d.reasons[0].code.value if d.reasons else None for d in decisions
    ]
    want_next = [d.next_allowed_at for d in decisions]
    assert any(want_next)
    if target == ".parquet":
        assert got.column("reasons").to_pylist() == [[r.code.value for r in d.reasons] for d in decisions]
        assert got.column("next_allowed_at").to_pylist() == want_next
    else:
        assert got.column("reasons").to_pylist() == [
            ";".join(r.code.value for r in d.reasons) or None for d in decisions
        ]
        assert [t and t.timestamp() for t in got.column("next_allowed_at").to_pylist()] == [
            t and t.timestamp() for t in want_next
        ]


# --- output safety: what the input holds never breaks the report's consumer --------------------


def _hostile_file(tmp_path: Path, suffix: str, tos: list[str]) -> Path:
    records = [{"to": to, "at": AT, "seller": "acme"} for to in tos]
    if suffix == ".jsonl":
        return write_jsonl(tmp_path / "calls.jsonl", records)
    return write(tmp_path / f"calls{suffix}", records)


def assert_safe(out: dict[str, str]) -> None:
    """JUnit parses as XML; every JSON line and the JSON array parse; the text holds no control
    character but the line ends (nothing reaches a terminal as an escape sequence)."""
    import xml.etree.ElementTree as ET

    ET.fromstring(out["junit"].split("\n", 1)[1])
    assert [json.loads(line) for line in out["jsonl"].splitlines()] == json.loads(out["json"])
    for line in out["text"].splitlines():
        assert not any(reference_report.terminal_safe(c) != c for c in line), repr(line)


@pytest.mark.hypothesis
@settings(
    max_examples=min(settings.default.max_examples, 500),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(
        st.tuples(st.sampled_from((".csv", ".parquet")), st.lists(hostile_texts(), min_size=1, max_size=6)),
        st.tuples(st.just(".jsonl"), st.lists(hostile_texts(surrogates=True), min_size=1, max_size=6)),
    ),
    st.booleans(),
)
def test_any_field_text_gives_well_formed_reports(
    index: str, tmp_path: Path, file: tuple[str, list[str]], every: bool
) -> None:
    suffix, tos = file
    path = _hostile_file(tmp_path, suffix, tos)
    flags = ["--all"] if every else []
    out: dict[str, str] = {}
    codes = set()
    for fmt in FORMATS:
        code, out[fmt] = fast(index, path, fmt, *flags)
        codes.add(code)
    if 2 in codes:  # a blank number is refused by name (exit 2), in every format alike
        assert codes == {2}
        return
    assert_safe(out)


def test_control_characters_are_escaped_in_text_and_xml(index: str, tmp_path: Path) -> None:
    """An ANSI escape in a number is shown as ``\\x1b``; characters XML 1.0 forbids become the
    same escapes in JUnit (attributes and failure text), on the bulk and the per-call path."""
    tos = ["212-555-0101\x1b[2J", "\x00212-555-0102\x0b", "212-555-0103\ufffe", "212-555-0104\u202e"]
    for suffix in (".csv", ".jsonl"):
        path = _hostile_file(tmp_path, suffix, tos)
        out = {fmt: fast(index, path, fmt, "--all")[1] for fmt in FORMATS}
        assert_safe(out)
        assert "\x1b" not in out["text"]
        assert "212-555-0101\\x1b[2J" in out["text"]
        assert "\\u202e" in out["text"]
        assert "\\x00212-555-0102\\x0b" in out["junit"]
        assert "\\ufffe" in out["junit"]
        assert "\ufffe" not in out["junit"]


def test_a_seller_named_with_control_characters_is_escaped_in_the_text_summary(
    index: str, tmp_path: Path
) -> None:
    """The summary names the sellers without an internal list as written in the call file: their
    control characters and bidirectional overrides are escaped there too."""
    records = [{"to": "212-555-0140", "at": AT, "seller": "evil\x1b[2J\u202eco"}]
    for suffix in (".csv", ".jsonl"):
        path = _hostile_file(tmp_path, suffix, ["212-555-0140"])
        path = write_jsonl(path, records) if suffix == ".jsonl" else write(path, records)
        code, text = fast(index, path, "text")
        assert code == 0
        assert_safe({"junit": fast(index, path, "junit")[1], "text": text, "jsonl": "", "json": "[]"})
        assert "no internal list loaded for seller 'evil\\x1b[2j\\u202eco'" in text.splitlines()


def test_a_path_xml_cannot_hold_gives_well_formed_junit(index: str, tmp_path: Path) -> None:
    """The file name is the suite's name and the test cases' class: escaped like any field."""
    import xml.etree.ElementTree as ET

    path = write(tmp_path / "calls\x1b\x01.csv", [{"to": "212-555-0101", "at": AT, "seller": "acme"}])
    _, junit = fast(index, path, "junit")
    suite = ET.fromstring(junit.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    assert suite.get("name") == str(path).replace("\x1b", "\\x1b").replace("\x01", "\\x01")


# --- memory: check holds nothing per call ---------------------------------------------------------

_PEAK_SCRIPT = """
import sys
from dncguard.cli import main
code = main(sys.argv[2:])
# This process's own peak: the wait status's ru_maxrss would keep the parent's (fork and exec
# carry the high-water mark over).
with open("/proc/self/status") as status, open(sys.argv[1], "w") as out:
    out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
sys.exit(code)
"""


def _peak_rss(argv: list[str], tmp_path: Path, batch_rows: int = 1 << 14) -> int:
    """The peak resident memory (bytes) of ``dncguard`` run with ``argv`` in a fresh process,
    ``batch_rows`` calls at a time (``DNCGUARD_BATCH_ROWS``): small units of work, so that a few
    of them are far less than the file (the batch is what may count, the file must not)."""
    import os
    import subprocess
    import sys

    peak = tmp_path / "peak"
    env = {**os.environ, "DNCGUARD_BATCH_ROWS": str(batch_rows)}
    with open(os.devnull, "wb") as sink:
        argv = [sys.executable, "-c", _PEAK_SCRIPT, str(peak), *argv]
        code = subprocess.run(argv, stdout=sink, env=env).returncode
    assert code in (0, 1), argv
    return int(peak.read_text()) * 1024


def _many_calls(path: Path, rows: int) -> Path:
    """``rows`` calls, about one in six blocked (listed numbers, a late hour, an invalid number)."""
    lines = [f"{npa}-555-01{line:02d}" for npa in (212, 512, 416, 305) for line in range(40)]
    to = pa.array(lines * (rows // len(lines) + 1)).slice(0, rows)
    at = pa.array(["2026-03-16T14:00:00-04:00"] * 13 + ["2026-03-16T23:30:00-04:00"]).take(
        pa.array(np.arange(rows) % 14)
    )
    pa_csv.write_csv(pa.table({"to": to, "at": at, "seller": pa.repeat(pa.scalar("acme"), rows)}), path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("fmt", [["text"], ["junit"], ["jsonl"], ["text", "--all"]])
def test_check_memory_does_not_grow_with_the_file(index: str, tmp_path: Path, fmt: list[str]) -> None:
    """200,000 and 1,200,000 calls: the same peak memory, give or take a small constant and the
    noise of a process's peak (about 20 MiB either way here). Holding the calls until the end,
    as ``check`` did, took about 100 bytes a call of this file (58 MiB more for 800,000 calls
    than for 200,000; 220 bytes a call of a wide file): about 100 MiB more here."""
    small, large = (
        _many_calls(tmp_path / "small.csv", 200_000),
        _many_calls(tmp_path / "large.csv", 1_200_000),
    )
    peaks = [
        _peak_rss(["check", "--registry", index, str(p), "--format", *fmt], tmp_path) for p in (small, large)
    ]
    assert peaks[1] - peaks[0] < 48 * 2**20, [f"{p / 2**20:.0f} MiB" for p in peaks]


@pytest.mark.parametrize("command", ["check", pytest.param("scrub", marks=pytest.mark.slow)])
@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_memory_of_a_json_file_does_not_grow_with_it(
    index: str, tmp_path: Path, suffix: str, command: str
) -> None:
    """10,000 and 60,000 calls as JSON: the same peak memory, give or take the noise of a
    process's peak. Validating every record before deciding any, as ``check`` did, held each
    call (about 1.5 KiB a call here: some 70 MiB more for the larger file); so did ``scrub``,
    which also read the whole file a second time to write it back."""
    peaks = []
    for rows in (10_000, 60_000):
        table = pa_csv.read_csv(
            _many_calls(tmp_path / f"calls-{rows}.csv", rows),
            convert_options=pa_csv.ConvertOptions(column_types={"to": pa.string(), "at": pa.string()}),
        )
        path = tmp_path / f"calls-{rows}{suffix}"
        records = table.to_pylist()
        if suffix == ".json":
            path.write_text(json.dumps(records))
        else:
            path.write_text("".join(json.dumps(r) + "\n" for r in records))
        if command == "check":
            argv = ["check", "--registry", index, str(path), "--format", "jsonl"]
        else:
            argv = ["scrub", "--registry", index, str(path), str(tmp_path / "out.parquet")]
        peaks.append(_peak_rss(argv, tmp_path, batch_rows=1 << 12))
    assert peaks[1] - peaks[0] < 24 * 2**20, [f"{p / 2**20:.0f} MiB" for p in peaks]


def test_a_stale_row_far_into_the_file_is_named_after_the_report_has_begun(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report streams, so a stale registry met in a later piece stops the command (exit 2)
    naming the first stale row, counted over the whole file; JUnit writes nothing."""
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", str(1 << 9))
    calls = [{"to": "212-555-0101", "at": AT, "seller": "acme"}] * 2000
    calls += [{"to": "212-555-0140", "at": "2026-05-01T14:00:00-04:00", "seller": "acme"}] * 3
    path = write(tmp_path / "calls.csv", calls)
    for fmt in ("text", "junit"):
        code, out = fast(index, path, fmt, "--on-stale", "raise")
        err = capsys.readouterr().err
        assert code == 2
        assert f"{path}, row 2001:" in err
        assert out.startswith("BLOCKED  row 1 ") if fmt == "text" else out == ""


@pytest.mark.hypothesis
@settings(
    max_examples=min(_EXAMPLES, 100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(files())
def test_consulted_values_are_each_rows_own_and_shared_across_batches(
    index: str, tmp_path: Path, file: tuple[list[dict[str, Any]], list[str]]
) -> None:
    """The report reads each batch's distinct ``consulted`` values (bulk's ``distinct()``): each
    row's is exactly what that row alone gives, and the same rows met again (in a later batch)
    give the same objects again (worked out once for the file, which the report's per-object
    memos rely on)."""
    from dncguard import bulk

    calls, flags = file
    path = write(tmp_path / "calls.csv", calls)
    args = _main._parser().parse_args(["check", "--registry", index, str(path), *flags])
    guard = _common._guard(args)
    batches = list(_callfile.read_table_batches(str(path), defaults=_common._defaults(args)))
    tables = [b.calls.slice(lo, 3) for b in batches for lo in range(0, b.calls.num_rows, 3)]
    passes = []
    for _ in range(2):
        values_of_pass = []
        for decided in bulk.decide_batches(guard, tables, columns=False):
            prov = decided.provenance
            assert prov is not None
            values, rows = prov.distinct()
            assert [values[i] for i in rows] == [prov.row(r) for r in range(len(rows))]
            values_of_pass += values
        passes.append(values_of_pass)
    assert all(a is b for a, b in zip(*passes, strict=True))
