"""``--ledger`` and ``dncguard ledger``: every decision of ``check`` and ``scrub`` recorded, the
same decision ``Guard.check`` gives, and the ledger verifies afterwards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from test_cli import build_args, run, write_calls

import dncguard
from dncguard.cli import main

CALLS: list[dict[str, Any]] = [
    {"to": "212-555-0199", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"},  # national list
    {"to": "212-555-0143", "at": "2026-03-16T14:00:00-04:00", "seller": "ACME "},  # another seller's list
    {"to": "512-555-0177", "at": "2026-03-16T21:30:00-05:00", "seller": "acme"},  # Texas list, late
    {"to": "416-555-0100", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"},
    {"to": "876-555-0100", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"},  # not US/CA
    {"to": "not a number", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("downloads")
    files = {
        "ftc": ("ftc.txt", "2125550199\n5125550100\n"),
        "dncl": ("dncl.txt", "416,5550100\n"),
        "texas": ("texas.csv", "number,name\n5125550177,A. Resident\n"),
        "internal": ("optouts.csv", "number,requested_on\n2125550143,2026-01-05\n"),
    }
    paths = {}
    for key, (name, text) in files.items():
        paths[key] = d / name
        paths[key].write_text(text)
    out = tmp_path_factory.mktemp("index") / "registry.dncg"
    assert main(["build", str(out), *build_args(paths)]) == 0
    return out


def expected(index: Path) -> list[dncguard.Decision]:
    guard = dncguard.Guard(dncguard.Registry.open(index))
    return [guard.check(c) for c in CALLS]


def entries(path: Path) -> list[dncguard.LedgerEntry]:
    with dncguard.Ledger(path, create=False) as ledger:
        assert ledger.verify().ok
        return list(ledger.entries())


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
@pytest.mark.parametrize("command", ["check", "scrub"])
def test_each_decision_is_recorded_once_as_check_decides_it(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, command: str
) -> None:
    calls = write_calls(tmp_path / f"calls{suffix}", CALLS)
    ledger = tmp_path / "calls.ledger"
    argv: list[object] = [command, "--registry", index, calls, "--ledger", ledger]
    if command == "scrub":
        argv.insert(4, tmp_path / "out.parquet")
    code, _, _ = run(capsys, *argv)
    assert code == (1 if command == "check" else 0)
    got = entries(ledger)
    want = expected(index)
    assert len(got) == len(CALLS)
    for entry, decision in zip(got, want, strict=True):
        assert not entry.placed
        assert entry.decision == decision
        assert entry.decision.registry_id == dncguard.Registry.open(index).id
        assert entry.decision.consulted == decision.consulted
    # a second run appends, and the chain still verifies
    code, _, _ = run(capsys, *argv)
    assert len(entries(ledger)) == 2 * len(CALLS)


def test_ledger_commands_verify_head_and_export(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", CALLS)
    ledger = tmp_path / "calls.ledger"
    run(capsys, "check", "--registry", index, calls, "--ledger", ledger)
    code, out, _ = run(capsys, "ledger", "verify", ledger)
    assert (code, out.startswith("intact")) == (0, True)
    code, out, _ = run(capsys, "ledger", "head", ledger)
    seq, digest = out.splitlines()[0].split(":")
    assert (code, int(seq)) == (0, len(CALLS))
    code, out, _ = run(capsys, "ledger", "verify", ledger, "--anchor", f"{seq}:{digest}")
    assert code == 0
    exported = tmp_path / "ledger.parquet"
    code, _, _ = run(capsys, "ledger", "export", ledger, exported)
    assert (code, pq.read_table(exported).num_rows) == (0, len(CALLS))


def test_a_file_that_is_not_a_ledger_stops_check_before_any_output(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(tmp_path / "calls.csv", CALLS)
    bogus = tmp_path / "not.ledger"
    bogus.write_text("hello")
    code, out, err = run(capsys, "check", "--registry", index, calls, "--ledger", bogus)
    assert (code, out) == (2, "")
    assert "not a dncguard ledger" in err


# Calls whose evidence the flat columns cannot hold (two consents): decided one by one.
PER_CALL = [
    {
        **call,
        "consents": [
            {"kind": "written", "on": "2025-01-01", "seller": "other"},
            {"kind": "written", "on": "2025-01-01", "seller": "another"},
        ],
    }
    for call in CALLS
]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
@pytest.mark.parametrize("source", ["calls.csv", "calls.jsonl", "per-call.jsonl"])
def test_check_json_prints_provenance(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, source: str
) -> None:
    """Every object, on every path (bulk templates, the invalid number, calls decided one by
    one), carries the decision's registry_id and consulted, as Guard.check gives them."""
    given = PER_CALL if source.startswith("per-call") else CALLS
    calls = write_calls(tmp_path / source, given)
    code, out, _ = run(capsys, "check", "--registry", index, calls, "--format", fmt)
    assert code == 1
    objects = json.loads(out) if fmt == "json" else [json.loads(line) for line in out.splitlines()]
    assert len(objects) == len(CALLS)
    registry = dncguard.Registry.open(index)
    registry_id, guard = registry.id, dncguard.Guard(registry)
    for row, (obj, call) in enumerate(zip(objects, given, strict=True), 1):
        decision = guard.check(call)
        assert obj["row"] == row
        assert obj["registry_id"] == decision.registry_id == registry_id
        assert obj["consulted"] == [c.model_dump(mode="json") for c in decision.consulted]
    assert any(obj["consulted"] for obj in objects)
    assert objects[-1]["consulted"] == []  # the invalid number consults no list


def test_check_text_summary_names_the_registry_oldest_copy_and_sellers_without_a_list(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = write_calls(
        tmp_path / "calls.csv", [*CALLS, {"to": "212-555-0100", "at": CALLS[0]["at"], "seller": "Acme Inc"}]
    )
    _, out, _ = run(capsys, "check", "--registry", index, calls)
    lines = out.splitlines()
    registry_id = dncguard.Registry.open(index).id
    count = lines.index("7 calls: 1 allowed, 6 blocked")  # then a count per reason
    assert (
        lines[count - 2] == f"registry {registry_id}; oldest national copy used: ca-dncl obtained 2026-03-10"
    )
    assert lines[count - 1] == "no internal list loaded for seller 'acme inc'"


def _small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read, and decide, a call file a few rows at a time: many pieces."""
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "16")


def test_check_records_each_piece_as_it_is_decided_with_the_defaults_it_was_given(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file decided in many pieces, whose calls take their seller from --seller (a column the
    file leaves out): every row is recorded once, in order, with the call and the decision a
    check of it gives."""
    _small_pieces(monkeypatch)
    rows = [{"to": CALLS[i % len(CALLS)]["to"], "at": CALLS[i % len(CALLS)]["at"]} for i in range(100)]
    calls = write_calls(tmp_path / "calls.csv", rows)
    ledger = tmp_path / "calls.ledger"
    code, _, _ = run(capsys, "check", "--registry", index, calls, "--seller", "acme", "--ledger", ledger)
    assert code == 1
    got = entries(ledger)
    guard = dncguard.Guard(dncguard.Registry.open(index))
    assert len(got) == len(rows)
    for entry, row in zip(got, rows, strict=True):
        assert (entry.call.to, entry.call.seller) == (row["to"], "acme")
        assert entry.decision == guard.check({**row, "seller": "acme"})


def test_check_stopped_part_way_keeps_the_pieces_recorded_before(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each piece is recorded as it is decided, nothing held back for the end: a stale registry
    met far into the file (--on-stale raise: exit 2) leaves the rows decided before it recorded,
    and none from the stale row on."""
    _small_pieces(monkeypatch)
    fresh = {"to": "212-555-0199", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"}
    stale = {**fresh, "at": "2026-06-16T14:00:00-04:00"}
    calls = write_calls(tmp_path / "calls.csv", [fresh] * 200 + [stale])
    ledger = tmp_path / "calls.ledger"
    code, _, err = run(capsys, "check", "--registry", index, calls, "--on-stale", "raise", "--ledger", ledger)
    assert code == 2
    assert f"{calls}, row 201:" in err
    got = entries(ledger)
    assert 0 < len(got) <= 200
    assert all(entry.call.at.month == 3 for entry in got)


def _texts(path: Path) -> list[bytes]:
    """Each entry's canonical bytes, its recorded_us set to 0 (which differs between ledgers)."""
    import json
    import sqlite3

    db = sqlite3.connect(path)
    out = []
    for (payload,) in db.execute("SELECT payload FROM pages ORDER BY first_seq"):
        for line in payload.split(b"\n")[:-1]:
            entry = json.loads(line)
            out.append(line.replace(b",%d,%d," % (entry[2], entry[3]), b",%d,0," % entry[2], 1))
    db.close()
    return out


@pytest.mark.parametrize("suffix", [".csv", ".parquet", "-zoned.parquet"])
@pytest.mark.parametrize("command", ["check", "scrub"])
def test_a_file_decided_in_bulk_is_recorded_column_by_column_as_check_decides_it(
    index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
    command: str,
) -> None:
    """``--ledger`` on a file decided in bulk records each row column by column (not one Call
    object a row: the fast way), and the entries are byte for byte those of ``Guard.check``'s
    decisions recorded with ``record_many``: the call as the file gives it, every reason, the
    provenance, an invalid number's own message, next_allowed_at in the call's zone."""
    import datetime as dt

    import pyarrow as pa

    from dncguard.cli._callfile import Defaults, call_from_record

    _small_pieces(monkeypatch)
    late = [  # outside calling hours: a next_allowed_at, in the call's own offset
        {"to": "212-555-0101", "at": "2026-03-16T22:30:00-04:00", "seller": "acme"},
        {"to": "212-555-0102", "at": "2026-03-16T04:15:30.250000-07:00", "seller": "Acme"},
    ]
    given = [*CALLS, *late]
    rows = [
        {**given[i % len(given)], "to": given[i % len(given)]["to"] if i % 7 else f"55-01{i:02d}"}
        for i in range(40)
    ]
    path = tmp_path / f"calls{suffix}"
    if suffix == "-zoned.parquet":  # aware timestamps in a named zone, as a dialer's export has them
        import pyarrow.parquet as pq_

        ats = [dt.datetime.fromisoformat(str(r["at"])) for r in rows]
        table = pa.table(
            {
                "to": [r["to"] for r in rows],
                "at": pa.array(ats, pa.timestamp("us", tz="UTC")).cast(
                    pa.timestamp("us", tz="America/Chicago")
                ),
                "seller": [r["seller"] for r in rows],
            }
        )
        pq_.write_table(table, path)
        calls = [
            call_from_record(r, path="t", row=i, defaults=Defaults()) for i, r in enumerate(table.to_pylist())
        ]
    else:
        write_calls(path, rows)
        calls = [call_from_record(dict(r), path="t", row=i, defaults=Defaults()) for i, r in enumerate(rows)]
    ledger = tmp_path / "calls.ledger"

    def refuse(*args: object, **kwargs: object) -> int:
        raise AssertionError("recorded one Call object a row")

    argv: list[object] = [command, "--registry", index, path, "--ledger", ledger]
    if command == "scrub":
        argv.insert(4, tmp_path / "out.parquet")
    with monkeypatch.context() as m:
        m.setattr(dncguard.Ledger, "record_many", refuse)
        code, _, err = run(capsys, *argv)
    assert code == (1 if command == "check" else 0), err
    guard = dncguard.Guard(dncguard.Registry.open(index))
    with dncguard.Ledger(tmp_path / "expected.ledger") as expected_ledger:
        expected_ledger.record_many(calls, [guard.check(c) for c in calls])
    assert any(guard.check(c).next_allowed_at for c in calls)
    assert _texts(ledger) == _texts(tmp_path / "expected.ledger")
    assert any(e.decision.consulted for e in entries(ledger))


@pytest.mark.parametrize("where", ["third", "last"])
def test_scrub_whose_ledger_fails_part_way_writes_no_output(
    index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """scrub records on a thread of its own while it writes and decides: a ledger that fails
    on the third piece, or on the last (whose rows are written before it is recorded), still
    stops the command (exit 2, the ledger named), no output file is written, the pieces before
    it are recorded whole and in order and none after it."""
    from dncguard.errors import LedgerError

    _small_pieces(monkeypatch)
    rows = [{**CALLS[i % 4], "to": f"212-555-{i:04d}"} for i in range(160)]
    calls = write_calls(tmp_path / "calls.csv", rows)
    ledger = tmp_path / "calls.ledger"
    out = tmp_path / "out.parquet"
    real = dncguard.Ledger._record_decided
    seen = []

    def failing(self: dncguard.Ledger, table: Any, decided: Any) -> int:
        seen.append(table.num_rows)
        last = table.column("to")[-1].as_py() == rows[-1]["to"]
        if (where == "third" and len(seen) == 3) or (where == "last" and last):
            raise LedgerError("the disk failed (test)", path=self.path)
        return real(self, table, decided)

    monkeypatch.setattr(dncguard.Ledger, "_record_decided", failing)
    code, _, err = run(capsys, "scrub", "--registry", index, calls, out, "--ledger", ledger)
    assert code == 2
    assert "the disk failed (test)" in err
    assert str(ledger) in err
    assert not out.exists()
    got = entries(ledger)
    assert len(got) == sum(seen[:-1]) < len(rows)  # none recorded after the failure
    assert where == "last" or len(seen) == 3
    assert [e.call.to for e in got] == [r["to"] for r in rows[: len(got)]]


def test_scrub_stopped_part_way_keeps_the_pieces_recorded_before(
    index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stale registry met far into the file (exit 2) stops scrub; the pieces decided before it,
    being recorded on the recorder's thread meanwhile, are recorded whole, in order."""
    _small_pieces(monkeypatch)
    fresh = {"to": "212-555-0199", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"}
    stale = {**fresh, "at": "2026-06-16T14:00:00-04:00"}
    rows = [{**fresh, "to": f"212-555-{i:04d}"} for i in range(200)] + [stale]
    calls = write_calls(tmp_path / "calls.csv", rows)
    ledger = tmp_path / "calls.ledger"
    out = tmp_path / "out.parquet"
    code, _, err = run(
        capsys, "scrub", "--registry", index, calls, out, "--on-stale", "raise", "--ledger", ledger
    )
    assert code == 2, err
    assert not out.exists()
    got = entries(ledger)
    assert 0 < len(got) <= 200
    assert [e.call.to for e in got] == [r["to"] for r in rows[: len(got)]]
