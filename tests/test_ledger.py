"""The call ledger (API.md §7): a tamper-evident, append-only record of calls and decisions.

Tampering is done the way a person with the ``sqlite3`` shell could: change a column of one row,
delete, swap or insert rows, cut the tail off, replace the file, drop the triggers first. Calls
and decisions come from ``dncguard.Guard`` on a registry built from a synthetic FTC download.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import pathlib
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import dncguard
from dncguard.errors import DncguardError
from dncguard.ledger import (
    CorruptLedgerError,
    Ledger,
    LedgerEntry,
    LedgerReport,
    LedgerVersionError,
    NotALedgerError,
)
from dncguard.models import Call, Decision
from strategies import any_calls, decisions, flat_rows

OBTAINED = dt.date(2026, 11, 20)
AT = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
UTC = dt.UTC


@pytest.fixture(scope="module")
def guard(tmp_path_factory: pytest.TempPathFactory) -> dncguard.Guard:
    ftc = tmp_path_factory.mktemp("registry") / "ftc.txt"
    ftc.write_text("2125550143\n2125550144\n4155550143\n3055550100\n")
    registry = dncguard.Registry.build(
        [dncguard.sources.ftc(ftc, obtained=OBTAINED, area_codes=[212, 415, 305])]
    )
    return dncguard.Guard(registry)


def _calls(n: int) -> list[Call]:
    out = []
    for i in range(n):
        out.append(
            Call(
                to=f"(212) 555-01{i % 100:02d}",
                at=AT + dt.timedelta(minutes=7 * i),
                seller=["acme", " Acme ", "ACME", "globex"][i % 4],
                purpose=["sale", "sale", "survey"][i % 3],
            )
        )
    return out


@pytest.fixture
def filled(tmp_path: pathlib.Path, guard: dncguard.Guard) -> Iterator[tuple[Ledger, list[LedgerEntry]]]:
    ledger = Ledger(tmp_path / "calls.ledger")
    entries = []
    for i, call in enumerate(_calls(8)):
        entries.append(ledger.record(call, guard.check(call), placed=i % 2 == 0))
    yield ledger, entries
    ledger.close()


def _tamper(path: str | os.PathLike[str], *statements: str, drop_triggers: bool = True) -> None:
    """What a person with the sqlite3 shell could do: drop the triggers, then edit."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        if drop_triggers:
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                db.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            db.execute(statement)
    finally:
        db.close()


# --- the happy path -----------------------------------------------------------------------------


def test_record_chains_entries_from_zeros(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, entries = filled
    assert [e.seq for e in entries] == list(range(1, 9))
    assert entries[0].previous == "0" * 64
    for before, after in itertools.pairwise(entries):
        assert after.previous == before.digest
    assert all(
        e.recorded_at.tzinfo is not None and e.recorded_at.utcoffset() == dt.timedelta(0) for e in entries
    )
    assert ledger.verify() == LedgerReport(True, 8, None, "8 entries verified")
    head = ledger.head()
    assert head == entries[-1]
    assert len(ledger) == 8


def test_entries_read_back_equal(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, entries = filled
    assert list(ledger.entries()) == entries


def test_entries_since_until_on_recorded_at(tmp_path: pathlib.Path, guard: dncguard.Guard) -> None:
    ledger = Ledger(tmp_path / "l")
    call = _calls(1)[0]
    first = ledger.record(call, guard.check(call), placed=False)
    time.sleep(0.002)
    second = ledger.record(call, guard.check(call), placed=False)
    assert [e.seq for e in ledger.entries(since=second.recorded_at)] == [2]
    assert [e.seq for e in ledger.entries(until=second.recorded_at)] == [1]
    assert list(ledger.entries(since=first.recorded_at))[1].previous == first.digest
    with pytest.raises(ValueError, match="since: expected an aware datetime"):
        list(ledger.entries(since=dt.datetime(2026, 1, 1)))


def test_empty_ledger(tmp_path: pathlib.Path) -> None:
    ledger = Ledger(tmp_path / "empty.ledger")
    assert ledger.head() is None
    assert ledger.verify() == LedgerReport(True, 0, None, "0 entries verified")
    assert list(ledger.entries()) == []
    assert ledger.to_arrow().num_rows == 0
    assert ledger.record_many([], []) == 0


def test_record_takes_dicts_and_requires_placed(tmp_path: pathlib.Path, guard: dncguard.Guard) -> None:
    ledger = Ledger(tmp_path / "l")
    call = {"to": "212-555-0143", "at": "2026-12-01T14:00:00-05:00", "seller": "acme"}
    decision = guard.check(call)
    entry = ledger.record(call, decision.model_dump(mode="json"), placed=True)
    assert entry.call == Call.model_validate(call)
    assert entry.decision == decision
    with pytest.raises(TypeError):
        ledger.record(call, decision)  # type: ignore[call-arg]  # placed must be said
    with pytest.raises(TypeError, match="placed must be"):
        ledger.record(call, decision, placed=1)  # type: ignore[arg-type]


def test_record_many_is_one_transaction(tmp_path: pathlib.Path, guard: dncguard.Guard) -> None:
    ledger = Ledger(tmp_path / "l")
    calls_ = _calls(50)
    assert ledger.record_many(calls_, guard.check_many(calls_)) == 50
    assert ledger.verify().entries == 50
    # Lengths differ: nothing is recorded.
    with pytest.raises(ValueError, match="50 calls but 49 decisions"):
        ledger.record_many(calls_, guard.check_many(calls_[:-1]))
    assert len(ledger) == 50
    assert ledger.verify().ok
    assert not any(e.placed for e in ledger.entries())


def test_placed_calls_counts_only_placed_same_seller_number_purpose(
    tmp_path: pathlib.Path, guard: dncguard.Guard
) -> None:
    ledger = Ledger(tmp_path / "l")
    base = Call(to="212-555-0143", at=AT, seller="Acme")
    d = guard.check(base)
    for minutes, changes, placed in [
        (0, {}, True),
        (10, {"seller": " ACME "}, True),  # the same seller, spelled otherwise (RULES §6.13)
        (20, {"seller": "globex"}, True),
        (30, {"purpose": "survey"}, True),
        (40, {"to": "212-555-0144"}, True),
        (50, {}, False),  # a decision only
        (60, {}, True),
    ]:
        call = base.model_copy(update={"at": AT + dt.timedelta(minutes=minutes), **changes})
        ledger.record(call, d, placed=placed)
    found = ledger.placed_calls(
        "+1 212 555 0143", "acme", "sale", since=AT, until=AT + dt.timedelta(minutes=61)
    )
    assert found == [(AT + dt.timedelta(minutes=m)).astimezone(UTC) for m in (0, 10, 60)]
    hour = ledger.placed_calls("+1 212 555 0143", "acme", "sale", since=AT, until=AT + dt.timedelta(hours=1))
    assert hour == [(AT + dt.timedelta(minutes=m)).astimezone(UTC) for m in (0, 10)]
    # since is inclusive, until exclusive.
    assert (
        ledger.placed_calls(2125550143, "acme", "sale", since=AT + dt.timedelta(minutes=10), until=AT) == []
    )
    window = ledger.placed_calls(
        2125550143, "acme", "sale", since=AT + dt.timedelta(minutes=10), until=AT + dt.timedelta(minutes=60)
    )
    assert window == [(AT + dt.timedelta(minutes=10)).astimezone(UTC)]
    assert ledger.placed_calls(2125550143, "acme", "survey", since=AT, until=AT + dt.timedelta(1)) == [
        (AT + dt.timedelta(minutes=30)).astimezone(UTC)
    ]


def test_invalid_number_is_recorded_not_indexed(tmp_path: pathlib.Path, guard: dncguard.Guard) -> None:
    ledger = Ledger(tmp_path / "l")
    call = Call(to="12", at=AT, seller="acme")
    entry = ledger.record(call, guard.check(call), placed=False)
    assert entry.decision.reasons[0].code == "invalid_number"
    assert ledger.verify().ok
    assert next(ledger.entries()).call.to == "12"


def test_to_arrow(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, entries = filled
    table = ledger.to_arrow()
    assert table.num_rows == 8
    row = table.slice(0, 1).to_pylist()[0]
    assert row["seq"] == 1
    assert row["digest"] == entries[0].digest
    assert row["previous"] == "0" * 64
    assert row["number"] == "+12125550100"
    assert row["seller"] == "acme"
    assert Decision.model_validate_json(row["decision"]) == entries[0].decision
    assert Call.model_validate_json(row["call"]) == entries[0].call
    assert table.column("placed").to_pylist() == [e.placed for e in entries]
    assert table.column("allowed").to_pylist() == [e.decision.allowed for e in entries]
    later = ledger.to_arrow(since=entries[-1].recorded_at)
    assert later.column("seq").to_pylist()[-1] == 8


# --- the canonical encoding, as documented --------------------------------------------------------


def test_digest_is_sha256_of_previous_and_documented_json(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    """Schema 3, built here from the documentation alone: the template (the call less its
    per-entry fields, the decision less its number and next time) named by its SHA-256, then
    the entry's own fields, as a compact JSON array."""
    _ledger, entries = filled
    for e, number in [(entries[2], 2125550102), (entries[3], None)]:
        call, decision = e.call.model_dump(mode="json"), e.decision.model_dump(mode="json")
        template = {
            "call": {
                k: v
                for k, v in call.items()
                if k not in ("to", "at", "attempts", "consents", "dnc_requests", "relationships")
            },
            "decision": {k: v for k, v in decision.items() if k not in ("number", "next_allowed_at")},
        }
        body = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
        index = (
            [int(e.call.at.timestamp() * 1_000_000), number, e.call.purpose, e.call.seller.strip().casefold()]
            if e.placed
            else None
        )
        entry = [
            hashlib.sha256(body).hexdigest(),
            index,
            e.seq,
            int(e.recorded_at.timestamp() * 1_000_000),
            call["to"],
            call["at"],
            decision["number"],
            decision["next_allowed_at"],
            {},
        ]
        canonical = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
        assert hashlib.sha256(bytes.fromhex(e.previous) + canonical).hexdigest() == e.digest
        db = sqlite3.connect(_ledger.path)
        stored = db.execute("SELECT body FROM templates WHERE digest = ?", (hashlib.sha256(body).digest(),))
        assert stored.fetchone()[0] == body
        db.close()
    assert entries[2].placed
    assert not entries[3].placed


def _doc_snippet() -> str:
    text = (pathlib.Path(__file__).parents[1] / "docs" / "ledger.md").read_text()
    start = text.index("```python\n# verify_ledger.py")
    return text[start + len("```python\n") : text.index("```", start + 10)]


def test_the_documented_script_verifies_a_real_ledger(
    filled: tuple[Ledger, list[LedgerEntry]], tmp_path: pathlib.Path
) -> None:
    ledger, entries = filled
    script = tmp_path / "verify_ledger.py"
    script.write_text(_doc_snippet())
    # Run without dncguard importable: the standard library alone.
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}
    ok = subprocess.run(
        [sys.executable, "-I", str(script), ledger.path], capture_output=True, text=True, env=env, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert f"8 entries, head 8 {entries[-1].digest}" in ok.stdout
    _tamper(ledger.path, "DELETE FROM placed WHERE seq = 5")  # entry 5 no longer counted as dialed
    bad = subprocess.run(
        [sys.executable, "-I", str(script), ledger.path], capture_output=True, text=True, env=env, check=False
    )
    assert bad.returncode == 1
    assert "entry 5" in bad.stdout


# --- tampering ------------------------------------------------------------------------------------


def test_triggers_refuse_update_and_delete(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    for statement in (
        "UPDATE pages SET recorded_us = 0 WHERE first_seq = 1",
        "DELETE FROM pages WHERE first_seq = 8",
        "UPDATE placed SET at_us = 0 WHERE seq = 1",
        "DELETE FROM placed WHERE seq = 1",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            _tamper(ledger.path, statement, drop_triggers=False)
    assert ledger.verify().ok


@pytest.mark.parametrize(
    "statement",
    [
        # Entry 4 (a decision only) is alone in its page; entry 5 is a placed call.
        "UPDATE pages SET recorded_us = recorded_us + 1 WHERE first_seq = 4",
        "UPDATE pages SET recorded_us = CAST(recorded_us AS REAL) + 0.5 WHERE first_seq = 4",
        "UPDATE pages SET entries = 2 WHERE first_seq = 4",
        "UPDATE pages SET digests = zeroblob(32) WHERE first_seq = 4",
        "UPDATE pages SET digests = CAST(digests AS TEXT) WHERE first_seq = 4",
        "UPDATE pages SET payload = (SELECT payload FROM pages WHERE first_seq = 3) WHERE first_seq = 4",
        "UPDATE pages SET payload = CAST(payload AS TEXT) WHERE first_seq = 4",
        # The index of placed calls: marking entry 4 as dialed, or changing entry 5's row.
        "INSERT INTO placed SELECT 4, number, seller, purpose, at_us FROM placed WHERE seq = 5",
        "UPDATE placed SET number = number + 1 WHERE seq = 5",
        "UPDATE placed SET number = NULL WHERE seq = 5",
        "UPDATE placed SET seller = 'initech' WHERE seq = 5",
        "UPDATE placed SET seller = CAST(seller AS BLOB) WHERE seq = 5",
        "UPDATE placed SET purpose = 'survey' WHERE seq = 5",
        "UPDATE placed SET at_us = at_us - 60000000 WHERE seq = 5",
        "UPDATE placed SET seq = 6 WHERE seq = 5",
        "DELETE FROM placed WHERE seq = 5",
    ],
)
def test_changed_column_is_found(filled: tuple[Ledger, list[LedgerEntry]], statement: str) -> None:
    ledger, _ = filled
    _tamper(ledger.path, statement)
    bad = 4 if "first_seq = 4" in statement or "SELECT 4" in statement else 5
    report = ledger.verify()
    assert not report.ok
    assert report.first_bad_seq == bad
    assert report.entries == bad - 1
    assert f"entry {bad}" in report.message


def test_deleted_entry_is_found(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    _tamper(ledger.path, "DELETE FROM pages WHERE first_seq = 5", "DELETE FROM placed WHERE seq = 5")
    report = ledger.verify()
    assert (report.ok, report.first_bad_seq, report.entries) == (False, 5, 4)
    assert "missing" in report.message


def test_deleted_and_renumbered_is_found(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    _tamper(
        ledger.path,
        "DELETE FROM pages WHERE first_seq = 5",
        "UPDATE pages SET first_seq = first_seq - 1 WHERE first_seq > 5",
    )
    assert ledger.verify().first_bad_seq == 5


def test_swapped_entries_are_found(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    _tamper(
        ledger.path,
        "UPDATE pages SET first_seq = -3 WHERE first_seq = 3",
        "UPDATE pages SET first_seq = 3 WHERE first_seq = 6",
        "UPDATE pages SET first_seq = 6 WHERE first_seq = -3",
    )
    report = ledger.verify()
    assert (report.ok, report.first_bad_seq) == (False, 3)


def test_inserted_entry_is_found(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    # A copy of entry 2 slipped in as entry 3, the later ones moved up by one.
    _tamper(
        ledger.path,
        "UPDATE pages SET first_seq = first_seq + 100 WHERE first_seq >= 3",
        "UPDATE pages SET first_seq = first_seq - 99 WHERE first_seq >= 103",
        "INSERT INTO pages SELECT 3, entries, recorded_us, digests, payload FROM pages WHERE first_seq = 2",
    )
    report = ledger.verify()
    assert (report.ok, report.first_bad_seq) == (False, 3)


def test_appended_forgery_is_found(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    _tamper(
        ledger.path,
        "INSERT INTO pages SELECT 9, entries, recorded_us, digests, payload FROM pages WHERE first_seq = 8",
        drop_triggers=False,
    )
    assert ledger.verify().first_bad_seq == 9


def test_cut_back_is_found_only_with_an_anchor(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, entries = filled
    anchor = (entries[-1].seq, entries[-1].digest)
    assert ledger.verify(anchor=anchor).ok
    _tamper(ledger.path, "DELETE FROM pages WHERE first_seq > 6", "DELETE FROM placed WHERE seq > 6")
    assert ledger.verify().ok  # a shorter chain is still a chain: the anchor is what proves it
    report = ledger.verify(anchor=anchor)
    assert (report.ok, report.first_bad_seq, report.entries) == (False, 7, 6)
    assert "cut back" in report.message
    assert ledger.verify(anchor=(6, entries[5].digest)).ok


def test_replaced_file_is_found_with_an_anchor(
    filled: tuple[Ledger, list[LedgerEntry]], tmp_path: pathlib.Path, guard: dncguard.Guard
) -> None:
    ledger, entries = filled
    anchor = (5, entries[4].digest)
    # A whole new ledger, consistent in itself, with entry 3 told otherwise.
    forged = Ledger(tmp_path / "forged.ledger")
    for i, call in enumerate(_calls(8)):
        decision = guard.check(call)
        if i == 2:
            decision = decision.model_copy(update={"allowed": not decision.allowed})
        forged.record(call, decision, placed=i % 2 == 0)
    forged.close()
    ledger.close()
    os.replace(tmp_path / "forged.ledger", ledger.path)
    for suffix in ("-wal", "-shm"):
        with_suffix = pathlib.Path(ledger.path + suffix)
        if with_suffix.exists():
            with_suffix.unlink()
    reopened = Ledger(ledger.path)
    assert reopened.verify().ok
    report = reopened.verify(anchor=anchor)
    assert (report.ok, report.first_bad_seq) == (False, 5)
    assert "rewritten" in report.message
    reopened.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE templates SET body = CAST(replace(CAST(body AS TEXT), 'survey', 'sale!!') AS BLOB)",
        "UPDATE templates SET body = CAST(body AS TEXT)",
        "DELETE FROM templates",
        "UPDATE templates SET digest = zeroblob(32) WHERE rowid = (SELECT min(rowid) FROM templates)",
    ],
)
def test_changed_or_missing_template_names_its_first_entry(
    filled: tuple[Ledger, list[LedgerEntry]], statement: str
) -> None:
    # A template is shared by many entries; the first entry that uses a changed one is named
    # (entry 3 is the first survey: entries 1 and 2 use other templates).
    ledger, _ = filled
    where = " WHERE instr(CAST(body AS TEXT), 'survey') > 0"
    _tamper(ledger.path, statement + ("" if "zeroblob" in statement or "DELETE" in statement else where))
    report = Ledger(ledger.path).verify()
    first = 1 if "zeroblob" in statement or "DELETE" in statement else 3
    assert (report.ok, report.first_bad_seq, report.entries) == (False, first, first - 1)
    assert "template" in report.message


def test_bad_anchor_is_a_value_error(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    for anchor in [(0, "00" * 32), (1, "xyz"), (1, "00"), ("1", "00" * 32), (True, "00" * 32)]:
        with pytest.raises(ValueError, match="anchor="):
            ledger.verify(anchor=anchor)  # type: ignore[arg-type]


def test_reading_a_damaged_payload_names_the_entry(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    _tamper(ledger.path, "UPDATE pages SET payload = x'00ff' WHERE first_seq = 2")
    with pytest.raises(CorruptLedgerError, match="entry 2"):
        list(ledger.entries())


# --- the file: not a ledger, newer, damaged -------------------------------------------------------


def test_not_a_ledger(tmp_path: pathlib.Path) -> None:
    text = tmp_path / "calls.csv"
    text.write_text("to,at\n")
    with pytest.raises(NotALedgerError, match=r"calls\.csv: not a dncguard ledger \(not an SQLite file\)"):
        Ledger(text)
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(NotALedgerError, match="an SQLite database of something else"):
        Ledger(other)
    db = sqlite3.connect(other)
    db.execute("PRAGMA application_id = 1234")
    db.commit()
    db.close()
    with pytest.raises(NotALedgerError, match="application_id 0x4d2"):
        Ledger(other)
    with pytest.raises(NotALedgerError, match="no such ledger"):
        Ledger(tmp_path / "missing.ledger", create=False)
    assert not (tmp_path / "missing.ledger").exists()
    assert issubclass(NotALedgerError, ValueError)
    assert issubclass(NotALedgerError, DncguardError)


def test_empty_file_becomes_a_ledger(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "touched.ledger"
    path.write_bytes(b"")
    assert Ledger(path).verify().ok


def test_an_empty_file_is_not_a_ledger_to_read(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ledger file emptied (truncated to 0 bytes, a copy that failed) is not "intact, 0
    entries": reading it (create=False, as `dncguard ledger verify`, `head` and `export` open it)
    is a NotALedgerError, exit 2, and leaves the file as it was, never made into a new ledger."""
    path = tmp_path / "emptied.ledger"
    path.write_bytes(b"")
    with pytest.raises(NotALedgerError, match="empty file"):
        Ledger(path, create=False)
    for command in ("verify", "head"):
        code, _, err = _cli("ledger", command, str(path), capsys=capsys)
        assert code == 2
        assert "empty file" in err
    assert path.read_bytes() == b""
    assert not (tmp_path / "emptied.ledger-wal").exists()


def test_newer_schema_is_refused(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    ledger.close()
    db = sqlite3.connect(ledger.path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(LedgerVersionError, match=r"newer dncguard.*upgrade dncguard"):
        Ledger(ledger.path)


def test_damaged_sqlite_file_is_a_named_error(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    ledger.close()
    db = sqlite3.connect(ledger.path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(pathlib.Path(ledger.path).read_bytes())
    page = 4096
    assert len(data) > 2 * page
    # Scribble over every page after the first (the schema page stays readable).
    for i in range(page + 100, len(data), 7):
        data[i] = 0xA5
    pathlib.Path(ledger.path).write_bytes(bytes(data))
    # Either opening says so, or verify reports it: never another exception.
    outcome: LedgerReport | str
    try:
        with Ledger(ledger.path) as opened:
            outcome = opened.verify()
    except CorruptLedgerError as e:
        outcome = str(e)
    if isinstance(outcome, str):
        assert "damaged ledger file" in outcome
    else:
        assert not outcome.ok
        assert outcome.first_bad_seq == 1


def test_truncated_file_is_a_named_error(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    ledger.close()
    db = sqlite3.connect(ledger.path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = pathlib.Path(ledger.path).read_bytes()
    pathlib.Path(ledger.path).write_bytes(data[:50])
    with pytest.raises((CorruptLedgerError, NotALedgerError)):
        Ledger(ledger.path).verify()


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(any_calls(), decisions(), st.booleans()), min_size=1, max_size=4))
def test_entries_round_trip(tmp_path: pathlib.Path, pairs: list[tuple[Call, Decision, bool]]) -> None:
    path = pathlib.Path(tempfile.mkdtemp(dir=tmp_path)) / "rt.ledger"
    with Ledger(path) as ledger:
        # The first through record, the rest through record_many (placed=False).
        recorded = [ledger.record(*pairs[0][:2], placed=pairs[0][2])]
        ledger.record_many([c for c, _, _ in pairs[1:]], [d for _, d, _ in pairs[1:]])
        pairs = [pairs[0], *((c, d, False) for c, d, _ in pairs[1:])]
        read = list(ledger.entries())
        assert read[0] == recorded[0]
        for entry, (c, d, p) in zip(read, pairs, strict=True):
            assert entry.call == c
            assert entry.decision == d
            assert entry.placed is p
        assert ledger.verify().ok


@pytest.fixture(scope="module")
def sample_ledger(tmp_path_factory: pytest.TempPathFactory, guard: dncguard.Guard) -> pathlib.Path:
    path = tmp_path_factory.mktemp("sample") / "sample.ledger"
    with Ledger(path) as ledger:
        calls_ = _calls(6)  # two pages: entries 1-3 and 4-6
        ledger.record_many(calls_[:3], guard.check_many(calls_[:3]))
        ledger.record_many(calls_[3:], guard.check_many(calls_[3:]), placed=True)
        db = sqlite3.connect(path)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
    return path


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=st.sampled_from([1, 4]), where=st.integers(0, 10_000), value=st.integers(1, 255))
def test_any_byte_change_of_a_payload_is_found(
    sample_ledger: pathlib.Path, tmp_path: pathlib.Path, seq: int, where: int, value: int
) -> None:
    path = pathlib.Path(tempfile.mkdtemp(dir=tmp_path)) / "b.ledger"
    path.write_bytes(sample_ledger.read_bytes())
    db = sqlite3.connect(path, isolation_level=None)
    payload = bytearray(db.execute("SELECT payload FROM pages WHERE first_seq = ?", (seq,)).fetchone()[0])
    i = where % len(payload)
    payload[i] ^= value  # value != 0: the byte changes
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("UPDATE pages SET payload = ? WHERE first_seq = ?", (bytes(payload), seq))
    db.close()
    with Ledger(path) as ledger:
        report = ledger.verify()
    # The page holds entries seq..seq+2: the first one whose text changed is named.
    assert not report.ok
    assert report.first_bad_seq in range(seq, seq + 3)
    assert report.entries == report.first_bad_seq - 1


def test_pages_store_the_hashed_bytes(sample_ledger: pathlib.Path) -> None:
    # Schema 3 keeps each entry's canonical bytes as they are hashed (no compression, whose
    # ignored bits could change unseen): the payload is the entries, each followed by a line feed.
    db = sqlite3.connect(sample_ledger)
    previous = bytes(32)
    for payload, digests in db.execute("SELECT payload, digests FROM pages ORDER BY first_seq"):
        assert payload.endswith(b"\n")
        for i, line in enumerate(payload.split(b"\n")[:-1]):
            previous = hashlib.sha256(previous + line).digest()
            assert digests[32 * i : 32 * i + 32] == previous
    db.close()


# --- reliability: crashes and concurrent writers ---------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    from dncguard.ledger import Ledger
    from dncguard.models import Call, Decision
    path, who, n, many = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "many"
    at = dt.datetime(2026, 12, 1, 19, tzinfo=dt.UTC)
    ledger = Ledger(path)
    print("ready", flush=True)
    for i in range(n):
        call = Call(to=f"212555{i % 10000:04d}", at=at + dt.timedelta(seconds=i), seller=who)
        decision = Decision(allowed=True, number="+1" + call.to)
        if many:
            ledger.record_many([call] * 50, [decision] * 50)
        else:
            ledger.record(call, decision, placed=True)
    """
)


def _writer(path: pathlib.Path, who: str, n: int, mode: str) -> subprocess.Popen[str]:
    root = pathlib.Path(__file__).parents[1]
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), who, str(n), mode],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )


def test_four_processes_recording_keep_one_chain(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "shared.ledger"
    Ledger(path).close()
    procs = [_writer(path, f"seller{i}", 40, "one" if i % 2 else "many") for i in range(4)]
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 0
    with Ledger(path) as ledger:
        report = ledger.verify()
        assert report.ok, report
        assert report.entries == 2 * 40 + 2 * 40 * 50
        by_seller: dict[str, int] = {}
        for e in ledger.entries():
            by_seller[e.call.seller] = by_seller.get(e.call.seller, 0) + 1
        assert by_seller == {"seller0": 2000, "seller1": 40, "seller2": 2000, "seller3": 40}


def _kill_during_writes(tmp_path: pathlib.Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "killed.ledger"
    total_before = 0
    modes: dict[str, str] = {}
    for k in range(kills):
        modes[f"w{k}"] = rng.choice(["one", "many"])
        p = _writer(path, f"w{k}", 10_000, modes[f"w{k}"])
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.15))
        p.send_signal(signal.SIGKILL)
        p.communicate()
        with Ledger(path) as ledger:
            report = ledger.verify()
            assert report.ok, (k, report)
            assert report.entries >= total_before
            total_before = report.entries
            # record_many is all or nothing: a batch of 50 is whole or absent.
            sizes: dict[str, int] = {}
            for e in ledger.entries():
                sizes[e.call.seller] = sizes.get(e.call.seller, 0) + 1
            for who, size in sizes.items():
                assert modes[who] == "one" or size % 50 == 0, (who, size)


def test_sigkill_while_recording_leaves_a_ledger_that_verifies(tmp_path: pathlib.Path) -> None:
    _kill_during_writes(tmp_path, kills=2, seed=1)


@pytest.mark.slow
def test_sigkill_many_times(tmp_path: pathlib.Path) -> None:
    _kill_during_writes(tmp_path, kills=40, seed=2)


def test_a_closed_ledger_says_it_was_closed_not_that_it_is_damaged(
    tmp_path: pathlib.Path, guard: dncguard.Guard
) -> None:
    """A Ledger used after close() (a guard still holding it, a late record): every use is the
    same LedgerError saying to open it again, never a CorruptLedgerError calling the file damaged,
    and the file itself still verifies."""
    ledger = Ledger(tmp_path / "calls.ledger")
    call = Call(to="305-555-0123", at=AT, seller="acme")
    ledger.record(call, guard.check(call), placed=True)
    ledger.close()
    capped = dncguard.Guard(guard.registry, ledger=ledger)
    window = {"since": AT - dt.timedelta(days=1), "until": AT + dt.timedelta(days=1)}
    uses = [
        lambda: ledger.record(call, guard.check(call), placed=True),
        lambda: ledger.placed_calls(call.to, call.seller, call.purpose, **window),
        lambda: ledger.placed_table(**window),
        ledger.verify,
        ledger.head,
        lambda: list(ledger.entries()),
        lambda: capped.check(call),
    ]
    for use in uses:
        with pytest.raises(dncguard.LedgerError, match="was closed: open the ledger again") as e:
            use()
        assert not isinstance(e.value, CorruptLedgerError)
    with Ledger(tmp_path / "calls.ledger") as again:
        assert again.verify().ok


def test_ledger_errors_are_dncguard_errors() -> None:
    for error in (CorruptLedgerError, LedgerVersionError, NotALedgerError):
        assert issubclass(error, DncguardError)
    assert issubclass(CorruptLedgerError, ValueError)


# --- the command line (dncguard ledger verify|head|export) ------------------------------------------


def _cli(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    import argparse

    from dncguard import ledger_cli

    parser = argparse.ArgumentParser(prog="dncguard")
    ledger_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    else:
        code = args.run(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_verify_exit_codes(
    filled: tuple[Ledger, list[LedgerEntry]], capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    ledger, entries = filled
    anchor = f"{entries[-1].seq}:{entries[-1].digest}"
    assert _cli("ledger", "verify", ledger.path, capsys=capsys)[:2] == (0, "intact: 8 entries verified\n")
    code, out, _ = _cli("ledger", "verify", ledger.path, "--anchor", anchor, capsys=capsys)
    assert code == 0
    assert "entry 8 has the anchored digest" in out
    code, out, _ = _cli("ledger", "head", ledger.path, capsys=capsys)
    assert code == 0
    assert out.splitlines()[0] == anchor
    _tamper(ledger.path, "DELETE FROM pages WHERE first_seq = 8")
    code, out, _ = _cli("ledger", "verify", ledger.path, capsys=capsys)
    assert code == 0  # a cut-back chain is still a chain
    code, out, _ = _cli("ledger", "verify", ledger.path, "--anchor", anchor, capsys=capsys)
    assert code == 1
    assert "first bad entry: 8" in out
    assert "cut back" in out
    _tamper(ledger.path, "UPDATE placed SET seller = 'x' WHERE seq = 3")
    code, out, _ = _cli("ledger", "verify", ledger.path, capsys=capsys)
    assert code == 1
    assert "first bad entry: 3" in out
    # Bad input: exit 2, with the file or flag named.
    code, _, err = _cli("ledger", "verify", ledger.path, "--anchor", "8:abc", capsys=capsys)
    assert code == 2
    assert "--anchor '8:abc'" in err
    missing = str(tmp_path / "missing.ledger")
    code, _, err = _cli("ledger", "verify", missing, capsys=capsys)
    assert code == 2
    assert "missing.ledger: no such ledger file" in err
    assert not os.path.exists(missing)
    text = tmp_path / "calls.csv"
    text.write_text("to\n")
    code, _, err = _cli("ledger", "head", str(text), capsys=capsys)
    assert code == 2
    assert "not a dncguard ledger" in err
    assert _cli("ledger", "verify", capsys=capsys)[0] == 2


def test_cli_export_parquet_and_csv(
    filled: tuple[Ledger, list[LedgerEntry]], capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    import pyarrow.parquet as pq

    ledger, entries = filled
    out = tmp_path / "out.parquet"
    assert _cli("ledger", "export", ledger.path, str(out), capsys=capsys)[0] == 0
    table = pq.read_table(out)
    assert table.column("seq").to_pylist() == list(range(1, 9))
    assert table.equals(ledger.to_arrow())
    day = entries[0].recorded_at.date()
    csv_out = tmp_path / "out.csv"
    code, _, err = _cli(
        "ledger", "export", ledger.path, str(csv_out), "--since", str(day), "--until", str(day), capsys=capsys
    )
    assert code == 0
    assert "8 entries written" in err
    import csv

    with open(csv_out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["seq"] for r in rows] == [str(i) for i in range(1, 9)]
    assert rows[0]["number"] == "+12125550100"  # a plain number stays as it is
    assert rows[0]["recorded_at"] == entries[0].recorded_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert rows[0]["reasons"] == ";".join(r.code.value for r in entries[0].decision.reasons)
    code, _, _ = _cli(
        "ledger", "export", ledger.path, str(csv_out), "--since", str(day + dt.timedelta(1)), capsys=capsys
    )
    assert code == 0
    assert csv_out.read_text().count("\n") == 1  # the header only
    for bad in (["--since", "yesterday"], ["--until", "2026-12-01T10:00:00"]):
        code, _, err = _cli("ledger", "export", ledger.path, str(csv_out), *bad, capsys=capsys)
        assert code == 2
        assert bad[0] in err
    code, _, err = _cli("ledger", "export", ledger.path, str(tmp_path / "out.xlsx"), capsys=capsys)
    assert code == 2
    assert "OUT must end in .parquet or .csv" in err


def test_cli_export_csv_neutralises_formulas(
    tmp_path: pathlib.Path, guard: dncguard.Guard, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = Ledger(tmp_path / "l")
    sellers = ['=HYPERLINK("http://x")', "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "acme"]
    for seller in sellers:
        call = Call(to="+1 212 555 0143", at=AT, seller=seller)
        ledger.record(call, guard.check(call), placed=True)
    out = tmp_path / "out.csv"
    assert _cli("ledger", "export", ledger.path, str(out), capsys=capsys)[0] == 0
    import csv

    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["seller"] for r in rows] == ["'" + s for s in sellers[:-1]] + ["acme"]
    assert rows[0]["to"] == "'+1 212 555 0143"  # a spreadsheet would read it as a formula
    assert rows[0]["number"] == "+12125550143"  # a plain number: left alone


def test_cli_head_of_an_empty_ledger(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    Ledger(tmp_path / "e").close()
    assert _cli("ledger", "head", str(tmp_path / "e"), capsys=capsys)[:2] == (0, "the ledger is empty\n")


def test_placed_calls_refuses_naive_times_and_bad_numbers(tmp_path: pathlib.Path) -> None:
    ledger = Ledger(tmp_path / "l")
    with pytest.raises(ValueError, match="since: expected an aware datetime"):
        ledger.placed_calls(2125550143, "acme", "sale", since=dt.datetime(2026, 1, 1), until=AT)
    with pytest.raises(dncguard.InvalidNumberError):
        ledger.placed_calls("12", "acme", "sale", since=AT, until=AT)


def test_placed_table_for_caps_in_bulk(tmp_path: pathlib.Path) -> None:
    ledger = Ledger(tmp_path / "l")
    d = Decision(allowed=True, number="+12125550143")
    rows = [
        ("212-555-0143", "Acme", "sale", 0, True),
        ("212-555-0143", "acme ", "sale", 30, True),
        ("212-555-0143", "acme", "sale", 60, False),  # a decision only
        ("415-555-0143", "globex", "survey", 10, True),
        ("12", "acme", "sale", 10, True),  # no valid number: nothing to count it against
        ("212-555-0143", "acme", "sale", 60 * 25, True),  # outside the window
    ]
    for to, seller, purpose, minutes, placed in rows:
        call = Call(to=to, at=AT + dt.timedelta(minutes=minutes), seller=seller, purpose=purpose)
        ledger.record(call, d, placed=placed)
    table = ledger.placed_table(since=AT, until=AT + dt.timedelta(hours=24))
    assert table.to_pylist() == [
        {"number": 2125550143, "seller": "acme", "purpose": "sale", "at": AT.astimezone(UTC)},
        {
            "number": 2125550143,
            "seller": "acme",
            "purpose": "sale",
            "at": (AT + dt.timedelta(minutes=30)).astimezone(UTC),
        },
        {
            "number": 4155550143,
            "seller": "globex",
            "purpose": "survey",
            "at": (AT + dt.timedelta(minutes=10)).astimezone(UTC),
        },
    ]


# --- the fast encoding is the documented one; pages; record_columns -----------------------------------


def _digests_follow_the_definition(ledger: Ledger) -> None:
    """Every stored digest is SHA-256(previous || canonical_entry(...)) of the entry read back."""
    from dncguard.ledger import canonical_entry

    previous = bytes(32)
    for e in ledger.entries():
        assert e.previous == previous.hex()
        canonical = canonical_entry(
            e.call,
            e.decision,
            seq=e.seq,
            recorded_us=int(
                (e.recorded_at - dt.datetime(1970, 1, 1, tzinfo=UTC)) / dt.timedelta(microseconds=1)
            ),
            placed=e.placed,
        )
        previous = hashlib.sha256(previous + canonical).digest()
        assert e.digest == previous.hex(), e.seq


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pairs=st.lists(st.tuples(any_calls(), decisions()), min_size=1, max_size=70),
    placed=st.booleans(),
    zone=st.sampled_from([None, "America/New_York", "Asia/Kolkata", "America/St_Johns"]),
)
def test_fast_builder_is_the_documented_canonical_encoding(
    tmp_path: pathlib.Path, pairs: list[tuple[Call, Decision]], placed: bool, zone: str | None
) -> None:
    import zoneinfo

    if zone is not None:  # zone-aware times (a zone's offset, not a fixed one)
        tz = zoneinfo.ZoneInfo(zone)
        pairs = [(c.model_copy(update={"at": c.at.astimezone(tz)}), d) for c, d in pairs]
    # Shared templates: the same decision (but its number) and the same evidence objects.
    pairs += [(c, pairs[0][1].model_copy(update={"number": c.to})) for c, _ in pairs[:5]]
    path = pathlib.Path(tempfile.mkdtemp(dir=tmp_path)) / "fast.ledger"
    with Ledger(path) as ledger:
        ledger.record_many(
            [c for c, _ in pairs], [d for _, d in pairs], placed=placed
        )  # > 64: vectorised numbers
        ledger.record(*pairs[0], placed=True)
        _digests_follow_the_definition(ledger)
        assert ledger.verify().ok
        read = list(ledger.entries())
        # compared as JSON: an aware time in a zone's repeated hour (a fold) never compares equal
        # to the same instant at a fixed offset, which is how it reads back
        dump = [(c.model_dump(mode="json"), d.model_dump(mode="json")) for c, d in pairs]
        assert [
            (e.call.model_dump(mode="json"), e.decision.model_dump(mode="json")) for e in read[:-1]
        ] == dump


def test_pages_hold_at_most_page_entries(tmp_path: pathlib.Path) -> None:
    from dncguard.ledger import PAGE_ENTRIES

    ledger = Ledger(tmp_path / "l")
    call = Call(to="212-555-0143", at=AT, seller="acme")
    d = Decision(allowed=True, number="+12125550143")
    n = 2 * PAGE_ENTRIES + 3
    assert ledger.record_many([call] * n, [d] * n, placed=True) == n
    db = sqlite3.connect(ledger.path)
    pages = db.execute("SELECT first_seq, entries FROM pages ORDER BY first_seq").fetchall()
    placed = db.execute("SELECT count(*) FROM placed").fetchone()[0]
    db.close()
    assert pages == [(1, PAGE_ENTRIES), (PAGE_ENTRIES + 1, PAGE_ENTRIES), (2 * PAGE_ENTRIES + 1, 3)]
    assert placed == n
    assert ledger.verify() == LedgerReport(True, n, None, f"{n} entries verified")
    anchor = (PAGE_ENTRIES + 7, list(ledger.entries())[PAGE_ENTRIES + 6].digest)
    assert ledger.verify(anchor=anchor).ok
    report = ledger.verify(anchor=(anchor[0], "ab" * 32))
    assert (report.ok, report.first_bad_seq) == (False, PAGE_ENTRIES + 7)
    assert len(ledger) == n
    assert ledger.head() == list(ledger.entries())[-1]


def test_an_index_row_outside_the_chain_is_found(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    _tamper(
        ledger.path, "INSERT INTO placed SELECT 99, number, seller, purpose, at_us FROM placed WHERE seq = 1"
    )
    report = ledger.verify()
    assert (report.ok, report.first_bad_seq, report.entries) == (False, 99, 8)
    assert "not in the chain" in report.message


def _swap_index(path: str, where: str) -> None:
    """What the sqlite3 shell can do with ``PRAGMA writable_schema``: point the index frequency
    caps search (``placed_calls``) at the B-tree of another index, one over the placed rows
    ``where`` holds, leaving the ``placed`` table (what the entries are compared with) as it was."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("CREATE TABLE decoy (seq INTEGER PRIMARY KEY, number INTEGER, seller, purpose, at_us)")
        db.execute(f"INSERT INTO decoy SELECT * FROM placed WHERE {where}")
        db.execute("CREATE INDEX decoy_calls ON decoy (number, seller, purpose, at_us)")
        roots = dict(db.execute("SELECT name, rootpage FROM sqlite_master WHERE type = 'index'"))
        db.execute("PRAGMA writable_schema = ON")
        swap = "UPDATE sqlite_master SET rootpage = ? WHERE name = ?"
        db.execute(swap, (roots["decoy_calls"], "placed_calls"))
        db.execute(swap, (roots["placed_calls"], "decoy_calls"))
    finally:
        db.close()


@pytest.mark.parametrize(("where", "first_bad"), [("seq <> 5", 5), ("0", 1)])
def test_an_index_of_placed_calls_swapped_behind_the_table_is_found(
    filled: tuple[Ledger, list[LedgerEntry]], tmp_path: pathlib.Path, where: str, first_bad: int
) -> None:
    """The table of placed calls left as the entries say, its index replaced by one without
    entry 5 (or without any): frequency caps, which search the index, no longer count those
    calls, so verify (and the documented script) must fail on the first entry missing from it."""
    ledger, entries = filled
    call = entries[first_bad - 1].call
    window = {"since": call.at, "until": call.at + dt.timedelta(seconds=1)}
    assert ledger.placed_calls(call.to, call.seller, call.purpose, **window) == [call.at]
    ledger.close()
    _swap_index(ledger.path, where)
    with Ledger(ledger.path) as swapped:
        assert swapped.placed_calls(call.to, call.seller, call.purpose, **window) == []  # not counted
        report = swapped.verify()
    assert (report.ok, report.first_bad_seq, report.entries) == (False, first_bad, first_bad - 1)
    assert "placed_calls" in report.message
    script = tmp_path / "verify_ledger.py"
    script.write_text(_doc_snippet())
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}
    bad = subprocess.run(
        [sys.executable, "-I", str(script), ledger.path], capture_output=True, text=True, env=env, check=False
    )
    assert bad.returncode == 1
    assert f"entry {first_bad} is bad" in bad.stdout


def test_a_dropped_index_of_placed_calls_fails_verify(filled: tuple[Ledger, list[LedgerEntry]]) -> None:
    ledger, _ = filled
    _tamper(ledger.path, "DROP INDEX placed_calls")
    report = ledger.verify()
    assert (report.ok, report.first_bad_seq) == (False, 1)
    assert "placed_calls" in report.message


def test_a_ledger_keeps_reading_its_own_file_after_a_chdir_or_a_moved_symlink(
    tmp_path: pathlib.Path, guard: dncguard.Guard, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ledger opened by a relative path (or through a symlink): once the process changes its
    working directory (a daemon's chdir) or the symlink is pointed at another ledger, verify,
    entries, len and placed_table (what Guard.scrub counts caps from) still read the file it
    opened, as record and placed_calls do, not whatever the path names now."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Ledger(tmp_path / "b" / "calls.ledger").close()  # another, empty ledger of the same name
    (tmp_path / "link.ledger").symlink_to(tmp_path / "a" / "calls.ledger")
    monkeypatch.chdir(tmp_path / "a")
    calls = _calls(3)
    for opened in (Ledger("calls.ledger"), Ledger(tmp_path / "link.ledger")):
        with opened as ledger:
            for call in calls:
                ledger.record(call, guard.check(call), placed=True)
            monkeypatch.chdir(tmp_path / "b")
            (tmp_path / "link.ledger").unlink()
            (tmp_path / "link.ledger").symlink_to(tmp_path / "b" / "calls.ledger")
            n = len(list(ledger.entries()))
            assert n >= 3
            assert (len(ledger), ledger.verify().entries, ledger.head().seq) == (n, n, n)  # type: ignore[union-attr]
            window = {"since": AT - dt.timedelta(days=1), "until": AT + dt.timedelta(days=1)}
            assert ledger.placed_table(**window).num_rows == n
        monkeypatch.chdir(tmp_path / "a")
        (tmp_path / "link.ledger").unlink()
        (tmp_path / "link.ledger").symlink_to(tmp_path / "a" / "calls.ledger")
    with Ledger(tmp_path / "b" / "calls.ledger") as other:
        assert len(other) == 0


def test_schema_1_ledger_is_a_named_error(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "v1.ledger"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) WITHOUT ROWID")
    db.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, payload BLOB)")
    db.execute(f"PRAGMA application_id = {dncguard.ledger.APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with pytest.raises(
        LedgerVersionError, match=r"v1\.ledger: ledger schema 1 .*with the dncguard that wrote it"
    ):
        Ledger(path)


def test_schema_2_ledger_is_a_named_error_that_says_how_to_keep_it(tmp_path: pathlib.Path) -> None:
    # A ledger written before templates (schema 2, deflated pages) is refused, never misread.
    path = tmp_path / "v2.ledger"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) WITHOUT ROWID")
    db.execute("CREATE TABLE pages (first_seq INTEGER PRIMARY KEY, entries, recorded_us, digests, payload)")
    db.execute(
        "INSERT INTO meta VALUES ('format', 'dncguard-ledger'), ('codec', 'deflate-raw-zdict-pages-2')"
    )
    db.execute(f"PRAGMA application_id = {dncguard.ledger.APPLICATION_ID}")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with pytest.raises(LedgerVersionError, match=r"v2\.ledger: ledger schema 2 .*`dncguard ledger export`"):
        Ledger(path)
    with pytest.raises(LedgerVersionError):
        Ledger(path, create=False)


def _pages(path: pathlib.Path) -> list[list[object]]:
    db = sqlite3.connect(path)
    rows = [
        list(r) for r in db.execute("SELECT first_seq, entries, recorded_us, digests, payload FROM pages")
    ]
    db.close()
    return rows


def _rewrite_pages(path: pathlib.Path, pages: list[list[object]]) -> None:
    _tamper(path, "DELETE FROM pages")
    db = sqlite3.connect(path, isolation_level=None)
    db.executemany("INSERT INTO pages VALUES (?, ?, ?, ?, ?)", [tuple(p) for p in pages])
    db.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
    op=st.sampled_from(["change", "delete", "swap", "insert"]),
    data=st.data(),
)
def test_any_single_tampered_entry_is_the_first_bad_seq(
    tmp_path: pathlib.Path, guard: dncguard.Guard, sizes: list[int], op: str, data: st.DataObject
) -> None:
    """Change, delete, swap or insert one entry inside a page (its digests moved with it, as a
    careful forger would): verify names exactly the first entry out of place."""
    path = pathlib.Path(tempfile.mkdtemp(dir=tmp_path)) / "t.ledger"
    calls_ = _calls(sum(sizes) + 1)
    with Ledger(path) as ledger:
        done = 0
        for k, size in enumerate(sizes):
            batch = calls_[done : done + size]
            ledger.record_many(batch, guard.check_many(batch), placed=k % 2 == 1)
            done += size
        head = ledger.head()
        assert head is not None
    with Ledger(tmp_path / "foreign.ledger") as other:  # an entry from elsewhere (not a first one)
        other.record(calls_[-1], guard.check(calls_[-1]), placed=False)
        other.record(calls_[-1], guard.check(calls_[-1]), placed=False)
        foreign = _pages(tmp_path / "foreign.ledger")[1]
    pages = _pages(path)
    k = data.draw(st.integers(0, len(pages) - 1))
    first, count, _, digests, payload = pages[k]
    assert isinstance(first, int)
    assert isinstance(count, int)
    assert isinstance(digests, bytes)
    assert isinstance(payload, bytes)
    lines = payload.split(b"\n")[:-1]
    ds = [digests[32 * i : 32 * i + 32] for i in range(count)]
    i = data.draw(st.integers(0, count - 1))
    if op == "change":
        lines[i] = lines[i].replace(b'"to"', b'"tO"') if b'"to"' in lines[i] else lines[i][:-1] + b" ]"
        expected = first + i
    elif op == "delete":
        del lines[i], ds[i]
        expected = first + i
    elif op == "swap":
        if count < 2:
            return
        j = data.draw(st.integers(0, count - 1).filter(lambda j: j != i))
        lines[i], lines[j], ds[i], ds[j] = lines[j], lines[i], ds[j], ds[i]
        expected = first + min(i, j)
    else:
        lines.insert(i, bytes(foreign[4])[:-1])  # type: ignore[index]
        ds.insert(i, bytes(foreign[3]))  # type: ignore[arg-type]
        expected = first + i
    pages[k][1] = len(lines)
    pages[k][3] = b"".join(ds)
    pages[k][4] = b"".join(line + b"\n" for line in lines)
    if not lines:
        del pages[k]
    _rewrite_pages(path, pages)
    with Ledger(path) as ledger:
        report = ledger.verify(anchor=(head.seq, head.digest))
    assert (report.ok, report.first_bad_seq) == (False, expected), report


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(any_calls(), decisions(), st.booleans()), min_size=1, max_size=6))
def test_record_many_records_what_repeated_record_does(
    tmp_path: pathlib.Path, pairs: list[tuple[Call, Decision, bool]]
) -> None:
    """The same calls recorded one by one and in one ``record_many`` (per value of placed): the
    same canonical bytes (but recorded_us), so the same digests at the same time, and the same
    entries read back."""
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    with Ledger(folder / "one") as one, Ledger(folder / "many") as many:
        for c, d, p in pairs:
            one.record(c, d, placed=p)
        for p, group in itertools.groupby(pairs, key=lambda t: t[2]):
            items = list(group)
            many.record_many([c for c, _, _ in items], [d for _, d, _ in items], placed=p)
        assert _canonical_texts(one) == _canonical_texts(many)
        strip = [(e.seq, e.call, e.decision, e.placed) for e in one.entries()]
        assert strip == [(e.seq, e.call, e.decision, e.placed) for e in many.entries()]
        assert one.verify().ok
        assert many.verify().ok


def _placed_rows(ledger: Ledger) -> list[tuple[object, ...]]:
    db = sqlite3.connect(ledger.path)
    rows = db.execute("SELECT seq, number, seller, purpose, at_us FROM placed ORDER BY seq").fetchall()
    db.close()
    return rows


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pairs=st.lists(st.tuples(any_calls(), decisions()), min_size=1, max_size=6),
    placed=st.booleans(),
)
def test_a_large_batch_of_any_calls_is_written_as_small_ones_are(
    tmp_path: pathlib.Path, pairs: list[tuple[Call, Decision]], placed: bool
) -> None:
    """Any calls, repeated into a batch large enough to be built column by column: the same
    bytes and the same index of placed calls as the same entries recorded a few at a time
    (each written whole in Python)."""
    tiled = pairs * (70 // len(pairs) + 1)
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    with Ledger(folder / "few") as few, Ledger(folder / "many") as many:
        for k in range(0, len(tiled), len(pairs)):
            chunk = tiled[k : k + len(pairs)]
            few.record_many([c for c, _ in chunk], [d for _, d in chunk], placed=placed)
        many.record_many([c for c, _ in tiled], [d for _, d in tiled], placed=placed)
        assert _canonical_texts(few) == _canonical_texts(many)
        assert _placed_rows(few) == _placed_rows(many)
        assert many.verify().ok


def test_a_large_batch_is_written_as_entries_one_by_one_are(
    tmp_path: pathlib.Path, guard: dncguard.Guard
) -> None:
    """``record_many`` of many entries (built column by column) writes the bytes that one
    ``record`` each (written whole in Python) does: UTC, fixed and zone offsets, evidence,
    next times, placed and not."""
    import zoneinfo

    zones = [UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), zoneinfo.ZoneInfo("America/New_York")]
    calls_ = []
    for i, call in enumerate(_calls(90)):
        update: dict[str, object] = {
            "at": call.at.astimezone(zones[i % 3]) + dt.timedelta(microseconds=i % 2)
        }
        if i % 5 == 1:
            update["relationships"] = (dncguard.Relationship(kind="purchase", on=dt.date(2026, 6, 1)),)
        calls_.append(call.model_copy(update=update))
    decided = [guard.check(c) for c in calls_]
    assert any(d.next_allowed_at is not None for d in decided)
    for placed in (False, True):
        folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
        with Ledger(folder / "one") as one, Ledger(folder / "many") as many:
            for c, d in zip(calls_, decided, strict=True):
                one.record(c, d, placed=placed)
            many.record_many(calls_, decided, placed=placed)
            assert _canonical_texts(one) == _canonical_texts(many)
            assert many.verify().ok
            _digests_follow_the_definition(many)


def _flat_table(rows: list[dict[str, object]]) -> pa.Table:
    """``rows`` as flat call columns of the types the command line reads (``at`` an aware
    timestamp, the fast way ``record_columns`` takes)."""
    import pyarrow as pa

    from dncguard._flatcall import FLAT_TYPES

    types = {**FLAT_TYPES, "at": pa.timestamp("us", tz="UTC")}
    return pa.table({k: pa.array([r[k] for r in rows], types[k]) for k in rows[0]})


def _as_calls(table: pa.Table, seller: str | None = None) -> list[Call]:
    """The calls a flat table stands for, as the command line reads its rows."""
    from dncguard.cli._callfile import Defaults, call_from_record

    return [
        call_from_record(row, path="t", row=i, defaults=Defaults(seller=seller))
        for i, row in enumerate(table.to_pylist())
    ]


def _canonical_texts(ledger: Ledger) -> list[bytes]:
    """Every entry's stored canonical bytes, its recorded_us set to 0 (two ledgers compared)."""
    db = sqlite3.connect(ledger.path)
    out = []
    for (payload,) in db.execute("SELECT payload FROM pages ORDER BY first_seq"):
        for line in payload.split(b"\n")[:-1]:
            entry = json.loads(line)
            out.append(line.replace(b",%d,%d," % (entry[2], entry[3]), b",%d,0," % entry[2], 1))
    db.close()
    return out


def _draw_which_and_next(data: st.DataObject, n: int, templates: int) -> tuple[object, pa.Array]:
    """Per row: an index into ``templates`` decisions (a numpy array), and a ``next_allowed_at``
    (or none) as an Arrow UTC timestamp column."""
    import numpy as np

    which = np.array(data.draw(st.lists(st.integers(0, templates - 1), min_size=n, max_size=n)))
    nexts = data.draw(
        st.lists(
            st.none() | st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 1, 1)),
            min_size=n,
            max_size=n,
        )
    )
    next_col = pa.array(
        [None if t is None else t.replace(tzinfo=UTC) for t in nexts], pa.timestamp("us", tz="UTC")
    )
    return which, next_col


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(flat_rows(), min_size=1, max_size=12),
    templates=st.lists(decisions(), min_size=1, max_size=3),
    data=st.data(),
    placed=st.booleans(),
    zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]),
)
def test_record_columns_records_what_record_many_would(
    tmp_path: pathlib.Path,
    rows: list[dict[str, object]],
    templates: list[Decision],
    data: st.DataObject,
    placed: bool,
    zone: str,
) -> None:
    import pyarrow as pa

    n = len(rows)
    table = _flat_table(rows)
    table = table.set_column(
        0 + table.schema.get_field_index("at"), "at", table.column("at").cast(pa.timestamp("us", tz=zone))
    )
    which, next_col = _draw_which_and_next(data, n, len(templates))
    calls_ = _as_calls(table, seller="Default Seller")
    from dncguard.numbers import format_e164

    def number(call: Call) -> str:
        try:
            return format_e164(dncguard.parse_number(call.to))
        except dncguard.InvalidNumberError:
            return call.to

    decisions_ = [
        templates[k].model_copy(update={"number": number(c), "next_allowed_at": next_col[i].as_py()})
        for i, (c, k) in enumerate(zip(calls_, which.tolist(), strict=True))
    ]
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    with Ledger(folder / "columns.ledger") as a, Ledger(folder / "objects.ledger") as b:
        assert (
            a.record_columns(
                table, templates, which, next_allowed_at=next_col, placed=placed, seller="Default Seller"
            )
            == n
        )
        b.record_many(calls_, decisions_, placed=placed)
        assert a.verify().ok
        _digests_follow_the_definition(a)
        assert _canonical_texts(a) == _canonical_texts(b)
        entries = list(a.entries())
        assert [e.call for e in entries] == calls_
        assert [e.decision for e in entries] == decisions_
        assert [e.placed for e in entries] == [placed] * n
        assert a.placed_table(
            since=dt.datetime(1900, 1, 1, tzinfo=UTC), until=dt.datetime(2100, 1, 1, tzinfo=UTC)
        ).equals(
            b.placed_table(
                since=dt.datetime(1900, 1, 1, tzinfo=UTC), until=dt.datetime(2100, 1, 1, tzinfo=UTC)
            )
        )


def test_record_columns_from_a_scrub(tmp_path: pathlib.Path, guard: dncguard.Guard) -> None:
    """What a bulk scrubber has at hand (distinct verdicts, an index per row, numbers, next
    times in microseconds) records the same entries as check() and record_many."""
    import numpy as np
    import pyarrow as pa

    from dncguard.bulk import NO_NEXT

    calls_ = [
        *_calls(30),
        Call(to="12", at=AT, seller="acme"),
        Call(to="212-555-0143", at=AT + dt.timedelta(hours=9), seller="acme"),
    ]
    decided = guard.check_many(calls_)
    distinct: list[Decision] = []
    which = []
    for d in decided:
        template = d.model_copy(update={"number": "", "next_allowed_at": None})
        if template not in distinct:
            distinct.append(template)
        which.append(distinct.index(template))
    table = pa.table(
        {
            "to": [c.to for c in calls_],
            "at": pa.array([c.at for c in calls_], pa.timestamp("us", tz="UTC")),
            "seller": [c.seller for c in calls_],
            "purpose": [c.purpose for c in calls_],
        }
    )
    numbers = np.array([dncguard.parse_number(c.to) if c.to != "12" else 0 for c in calls_], np.uint64)
    next_us = np.array(
        [
            NO_NEXT if d.next_allowed_at is None else int(d.next_allowed_at.timestamp() * 1_000_000)
            for d in decided
        ],
        np.int64,
    )
    with Ledger(tmp_path / "a") as a, Ledger(tmp_path / "b") as b:
        a.record_columns(table, distinct, np.array(which), numbers=numbers, next_allowed_at=next_us)
        b.record_many([c.model_copy(update={"at": c.at.astimezone(UTC)}) for c in calls_], decided)
        assert _canonical_texts(a) == _canonical_texts(b)
        assert a.verify().ok


def test_record_columns_refuses_bad_input_and_records_nothing(tmp_path: pathlib.Path) -> None:
    import numpy as np
    import pyarrow as pa

    ledger = Ledger(tmp_path / "l")
    d = [Decision(allowed=True, number="")]
    at = pa.array([AT, AT], pa.timestamp("us", tz="UTC"))
    good = {"to": ["212-555-0143", "212-555-0144"], "at": at, "seller": ["acme", "acme"]}
    for changes, message in [
        ({"purpose": ["sale", "robbery"]}, r"column 'purpose', row 1: 'robbery'"),
        ({"seller": ["acme", " "]}, r"column 'seller', row 1"),
        ({"to": ["212-555-0143", None]}, r"column 'to', row 1"),
        ({"callee_region": [None, "US-XX"]}, r"column 'callee_region', row 1"),
        ({"consent_kind": [None, "written"]}, r"column 'consent_on', row 1: missing"),
        ({"at": pa.array([AT, AT], pa.timestamp("us"))}, r"column 'at': timestamps without a time zone"),
    ]:
        with pytest.raises(ValueError, match=message):
            ledger.record_columns(pa.table({**good, **changes}), d, np.zeros(2, np.int64))
    with pytest.raises(ValueError, match=r"which: indices must be in 0\.\.0"):
        ledger.record_columns(pa.table(good), d, np.array([0, 1]))
    with pytest.raises(ValueError, match="which: expected 2 integer indices"):
        ledger.record_columns(pa.table(good), d, np.array([0]))
    assert len(ledger) == 0
    assert ledger.record_columns(pa.table(good), d, np.zeros(2, np.int64), placed=True) == 2
    assert len(ledger.placed_calls("212-555-0144", "ACME", "sale", since=AT, until=AT + dt.timedelta(1))) == 1


def test_record_columns_built_ahead_in_pieces_still_records_all_or_nothing(tmp_path: pathlib.Path) -> None:
    """A table built into entries a piece at a time, the next piece on another thread while the
    one before is hashed: a bad row in a late piece is the named error and nothing is
    recorded; a good table is recorded whole, in order, and verifies. (Pieces of two pages:
    more than two pieces, the last one short.)"""
    import numpy as np

    from dncguard.ledger import PAGE_ENTRIES, Tuning

    tuning = Tuning(chunk_entries=2 * PAGE_ENTRIES)
    n = 2 * 2 * PAGE_ENTRIES + 7
    d = [Decision(allowed=True, number="")]
    good = {
        "to": [f"212-555-{i % 10_000:04d}" for i in range(n)],
        "at": pa.array([AT + dt.timedelta(seconds=i) for i in range(n)], pa.timestamp("us", tz="UTC")),
        "seller": ["acme"] * n,
    }
    with Ledger(tmp_path / "l") as ledger:
        bad = {**good, "purpose": ["sale"] * (n - 1) + ["robbery"]}
        with pytest.raises(ValueError, match=rf"column 'purpose', row {n - 1}: 'robbery'"):
            ledger.record_columns(pa.table(bad), d, np.zeros(n, np.int64), tuning=tuning)
        assert len(ledger) == 0
        assert ledger.record_columns(pa.table(good), d, np.zeros(n, np.int64), tuning=tuning) == n
        assert ledger.verify().ok
        assert [e.call.to for e in ledger.entries()] == good["to"]


def test_record_columns_records_every_call_field_of_the_table(tmp_path: pathlib.Path) -> None:
    """A channel or automated column is recorded as given (a text is not recorded as a voice
    call), and a table with earlier attempts is refused rather than recorded without them."""
    import numpy as np
    import pyarrow as pa

    ledger = Ledger(tmp_path / "l")
    d = [Decision(allowed=True, number="")]
    at = pa.array([AT, AT], pa.timestamp("us", tz="UTC"))
    table = pa.table(
        {
            "to": ["212-555-0143", "212-555-0144"],
            "at": at,
            "seller": ["acme", "acme"],
            "channel": ["text", "voice"],
            "automated": [True, False],
        }
    )
    assert ledger.record_columns(table, d, np.zeros(2, np.int64)) == 2
    calls = [e.call for e in ledger.entries()]
    assert [(c.channel, c.automated) for c in calls] == [("text", True), ("voice", False)]
    assert ledger.verify().ok
    attempts = pa.array([[AT - dt.timedelta(hours=1)], []], pa.list_(pa.timestamp("us", tz="UTC")))
    with pytest.raises(ValueError, match="column 'attempts'"):
        ledger.record_columns(table.append_column("attempts", attempts), d, np.zeros(2, np.int64))
    assert len(ledger) == 2


def test_verify_reads_ahead_and_still_names_the_first_bad_entry(tmp_path: pathlib.Path) -> None:
    # 40 pages (verify fetches them 16 at a time and decompresses ahead): a change in a late one
    # is named, and so is one in the index of placed calls of an earlier one.
    ledger = Ledger(tmp_path / "l")
    for i in range(40):
        call = Call(to=f"212-555-01{i:02d}", at=AT + dt.timedelta(minutes=i), seller="acme")
        ledger.record_many(
            [call, call], [Decision(allowed=True, number="+1212555" + f"01{i:02d}")] * 2, placed=i % 3 == 0
        )
    assert ledger.verify().ok
    _tamper(
        ledger.path,
        "UPDATE pages SET payload = (SELECT payload FROM pages WHERE first_seq = 69) WHERE first_seq = 71",
    )
    assert ledger.verify().first_bad_seq == 71
    _tamper(ledger.path, "UPDATE placed SET at_us = at_us + 1 WHERE seq = 62")
    report = ledger.verify()
    assert (report.ok, report.first_bad_seq, report.entries) == (False, 62, 61)


_TEXT_TIMES = st.builds(
    lambda day, seconds, fraction, offset: (
        f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
        f"{seconds % 60:02d}{fraction}{offset}"
    ),
    st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)),
    st.integers(0, 86_399),
    st.sampled_from(["", ".5", ".000000", ".250000", ".123456", ".000001", ".12"]),
    st.sampled_from(["Z", "+00:00", "-00:00", "-04:00", "-05:00", "+05:30", "-09:30", "+14:00", "-23:59"]),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ats=st.lists(_TEXT_TIMES, min_size=1, max_size=8),
    odd=st.sampled_from(
        [None, "2026-02-30T10:00:00-05:00", "2026-03-16 14:00:00-04:00", "2026-03-16T14:00Z"]
    ),
    nexts=st.lists(st.integers(0, 4_000_000_000_000_000), min_size=9, max_size=9),
)
def test_record_columns_reads_text_times_as_a_call_does(
    tmp_path: pathlib.Path, ats: list[str], odd: str | None, nexts: list[int]
) -> None:
    """An ``at`` column of ISO 8601 text (read column by column when every row is of the plain
    form, else one distinct value at a time) records each call exactly as ``record_many`` does
    the Call the row stands for, and each ``next_allowed_at`` in the call's own offset when asked
    (as the command line records): the same bytes. A time no Call takes is refused, naming it."""
    import numpy as np

    from dncguard.cli._callfile import Defaults, call_from_record

    texts = [*ats, odd] if odd is not None else ats
    n = len(texts)
    table = pa.table({"to": ["212-555-0143"] * n, "at": pa.array(texts, pa.string()), "seller": ["Acme"] * n})
    nxt = [dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=us) for us in nexts[:n]]
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    try:
        calls_ = [
            call_from_record(r, path="t", row=i, defaults=Defaults()) for i, r in enumerate(table.to_pylist())
        ]
    except DncguardError:
        with Ledger(folder / "columns.ledger") as a, pytest.raises(ValueError, match="column 'at'"):
            a.record_columns(table, [Decision(allowed=True, number="")], np.zeros(n, np.int64))
        return
    d = Decision(allowed=False, number="")
    decisions_ = [
        d.model_copy(update={"number": "+12125550143", "next_allowed_at": t.astimezone(c.at.tzinfo)})
        for c, t in zip(calls_, nxt, strict=True)
    ]
    with Ledger(folder / "columns.ledger") as a, Ledger(folder / "objects.ledger") as b:
        a._record_columns(
            table,
            [d],
            np.zeros(n, np.int64),
            next_allowed_at=pa.array(nxt, pa.timestamp("us", tz="UTC")),
            next_in_call_zone=True,
        )
        b.record_many(calls_, decisions_)
        assert _canonical_texts(a) == _canonical_texts(b)
        assert [e.call for e in a.entries()] == calls_


def test_each_group_of_a_bulk_answer_is_recorded_with_its_rows_whole_decision(
    tmp_path: pathlib.Path, guard: dncguard.Guard
) -> None:
    """What ``--ledger`` records of a bulk answer: each row's decision, made a verdict and a
    ``consulted`` at a time, is the JSON of that row's whole decision (``Decided.decision``),
    for every row: listed, not listed, other area codes and states, invalid numbers."""
    import numpy as np

    from dncguard import bulk
    from dncguard._ledger._columns import decided_parts
    from dncguard._ledger._encode import decision_part

    tos = [
        "212-555-0143",
        "212-555-0150",
        "415-555-0143",
        "305-555-0100",
        "305-555-0101",
        "12",
        "876-555-0100",
    ]
    n = 3 * len(tos)
    table = pa.table(
        {
            "to": [tos[i % len(tos)] for i in range(n)],
            "at": pa.array([AT + dt.timedelta(hours=5 * i) for i in range(n)], pa.timestamp("us", tz="UTC")),
            "seller": ["acme"] * n,
        }
    )
    (decided,) = list(bulk.decide_batches(guard, [table], provenance=True))
    values, idx = decided.provenance.distinct()
    bad = np.array([decided.decision(i).number == table["to"][i].as_py() for i in range(n)])
    assert bad.any()
    assert not bad.all()
    for row in range(n):
        want = decision_part(decided.decision(row))
        assert decided_parts(decided, [row]) == [want]
        assert decided_parts(decided, [row], bad, values, np.asarray(idx)) == [want]
        assert '"number"' not in want
        assert '"next_allowed_at"' not in want


_BULK_TOS = [
    "212-555-0143",
    "212-555-0150",
    "212-555-0151",
    "718-555-0143",
    "718-555-0150",
    "415-555-0143",
    "604-555-0100",
    "876-555-0100",
    "12",
    "456-555-0100",
    "212-155-0100",
    "+44 20 7946 0000",
    "not a number",
]


@pytest.fixture(scope="module")
def two_copies_guard(tmp_path_factory: pytest.TempPathFactory) -> dncguard.Guard:
    """A guard whose national copies of two area codes of one state are of two dates: the same
    verdict for calls to either, each with its own ``consulted``."""
    folder = tmp_path_factory.mktemp("two-copies")
    (folder / "212.txt").write_text("2125550143\n")
    (folder / "718.txt").write_text("7185550143\n")
    registry = dncguard.Registry.build(
        [
            dncguard.sources.ftc(folder / "212.txt", obtained=dt.date(2026, 3, 1), area_codes=[212]),
            dncguard.sources.ftc(folder / "718.txt", obtained=dt.date(2026, 3, 10), area_codes=[718]),
        ]
    )
    return dncguard.Guard(registry)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tables=st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(_BULK_TOS),
                st.sampled_from(["acme", "ACME", " Acme ", "globex"]),
                st.sampled_from([None, "US-FL", "CA-ON"]),
                st.integers(0, 30),
            ),
            min_size=1,
            max_size=12,
        ),
        min_size=1,
        max_size=4,
    ),
    again=st.booleans(),
    whole=st.booleans(),
)
def test_decision_parts_kept_across_batches_are_each_rows_whole_decision(
    two_copies_guard: dncguard.Guard,
    tables: list[list[tuple[str, str, str | None, int]]],
    again: bool,
    whole: bool,
) -> None:
    """The decision parts ``--ledger`` keeps from one batch (and one command) to the next, by
    the identity of a verdict and a ``consulted`` value or by value, are for every row of every
    batch the JSON of that row's own whole decision (made afresh, nothing kept): listed, not
    listed, one verdict with two ``consulted``, other sellers, regions and area codes, invalid
    numbers of every kind; and so where a verdict cannot be cut at ``consulted`` (``whole``:
    every verdict's decisions made whole, paired with each ``consulted`` value)."""
    from dncguard._ledger import _columns

    start = dt.datetime(2026, 3, 16, 17, tzinfo=dt.UTC)
    arrow_tables = [
        pa.table(
            {
                "to": [r[0] for r in rows],
                "at": pa.array([start + dt.timedelta(hours=r[3]) for r in rows], pa.timestamp("us", "UTC")),
                "seller": [r[1] for r in rows],
                "callee_region": pa.array([r[2] for r in rows], pa.string()),
            }
        )
        for rows in tables
    ]
    with pytest.MonkeyPatch.context() as m:
        if whole:  # no cut made, none kept met: every verdict made whole
            m.setattr(_columns, "_verdict_cut", lambda decided, row: ())
            _columns._PARTS.clear()
            _columns._SAME.clear()
        try:
            _check_decision_parts(two_copies_guard, arrow_tables, again)
        finally:
            if whole:  # no empty cut left for another test
                _columns._PARTS.clear()
                _columns._SAME.clear()


def _check_decision_parts(guard: dncguard.Guard, arrow_tables: list[pa.Table], again: bool) -> None:
    import numpy as np

    from dncguard import bulk
    from dncguard._ledger._columns import decided_parts
    from dncguard._ledger._encode import decision_part
    from dncguard.models import ReasonCode

    for _ in range(2 if again else 1):  # again: the same engine's objects met a second time
        answers = bulk.decide_batches(guard, arrow_tables, provenance=True)
        for table, decided in zip(arrow_tables, answers, strict=True):
            n = table.num_rows
            values, idx = decided.provenance.distinct()
            invalid = [any(r.code is ReasonCode.INVALID_NUMBER for r in v.reasons) for v in decided.verdicts]
            bad = np.array([invalid[int(v)] for v in decided.inverse], bool)
            want = [decision_part(decided.decision(row)) for row in range(n)]
            assert decided_parts(decided, list(range(n))) == want
            for _ in range(2):
                assert decided_parts(decided, list(range(n)), bad, values, np.asarray(idx)) == want


_FIXED_TEXT_TIMES = st.builds(
    lambda day, seconds, offset: (
        f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{offset}"
    ),
    st.dates(dt.date(1000, 1, 1), dt.date(9998, 12, 30)),  # a Call holds 9998-12-31 UTC at most
    st.integers(0, 86_399),
    st.sampled_from(
        ["+00:00", "-00:00", "-04:00", "-05:00", "+05:30", "-09:30", "+14:00", "-23:59", "+23:59"]
    ),
)
_NEAR_MISS_TEXTS = [
    "2026-02-30T10:00:00-05:00",  # no such day: the cast refuses it
    "2026-13-01T10:00:00-05:00",
    "2026-00-01T10:00:00-05:00",
    "2026-01-32T10:00:00-05:00",
    "2026-01-00T10:00:00-05:00",
    "2026-01-01T24:00:00-05:00",
    "2026-01-01T10:60:00-05:00",
    "2026-01-01T10:00:60-05:00",
    "2026-01-01T10:00:00-24:00",
    "2026-01-01T10:00:00-05:60",
    "0999-01-01T10:00:00-05:00",
    "2026-01-01 10:00:00-05:00",
    "2026/01/01T10:00:00-05:00",
    "2026-01-01T10:00:00*05:00",
    "2026-01-01T10:00:00-05-00",
    "2026-01-01T10:00:0a-05:00",
    "2026-01-01T10:00:00-0a:00",
    "2026-01-01T10:00:00\u00b2-5:00",
    "2026-01-01T10:00:00Z     ",
    "2026-01-01T10:00:00+05:30",
    "2026-01-01T10:00:00z",
    "2026-01-01T10:00:00+",
    "2026-01-01T10:00:0\u0660Z",
    "0999-01-01T10:00:00Z",
    "2026-02-29T10:00:00Z",
]
_NEAR_MISSES = st.sampled_from(_NEAR_MISS_TEXTS)


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(_FIXED_TEXT_TIMES, min_size=1, max_size=6)
    | st.lists(_FIXED_TEXT_TIMES.map(lambda t: t[:19] + "Z"), min_size=1, max_size=6)
    | st.lists(_FIXED_TEXT_TIMES | _FIXED_TEXT_TIMES.map(lambda t: t[:19] + "Z"), min_size=2, max_size=8),
    odd=st.none() | _NEAR_MISSES | _TEXT_TIMES,
    where=st.integers(0, 6),
)
def test_text_times_of_the_usual_shape_read_as_the_regular_expression_reads_them(
    texts: list[str], odd: str | None, where: int
) -> None:
    """The numpy check of the usual ``at`` text (``YYYY-MM-DDTHH:MM:SS`` and ``Z`` or
    ``±HH:MM``, the two mixed in one column or not) takes exactly the columns the regular
    expression takes, with the same JSON, microseconds and offsets (``+00:00`` written ``Z``, as
    a Call writes it); any other column is left to the regular expression."""
    import numpy as np

    from dncguard._ledger import _chain
    from dncguard._ledger._arrowtext import _fixed_times, _regex_times
    from dncguard._ledger._chain import arrow
    from dncguard._ledger._format import Times

    if odd is not None:
        texts = [*texts[:where], odd, *texts[where:]]
    column = pa.array(["pad", *texts], pa.string()).slice(1)  # a slice, as a piece of a table is
    fast, slow = _fixed_times(column, Times()), _regex_times(column, Times())
    with pytest.MonkeyPatch.context() as m:  # the numpy twin of the C check: the same answer
        m.setattr(_chain, "_chainc", None)
        twin = _fixed_times(column, Times())
    assert (twin is None) == (fast is None)
    if twin is not None and fast is not None:
        assert arrow(twin[0]).to_pylist() == arrow(fast[0]).to_pylist()
        assert np.array_equal(twin[2], fast[2])
    if fast is None:
        assert odd is not None  # every usual column is taken (a mix of shapes need not be)
        return
    assert slow is not None
    assert arrow(fast[0]).to_pylist() == arrow(slow[0]).to_pylist()
    assert fast[1].to_pylist() == slow[1].to_pylist()
    assert np.array_equal(fast[2], slow[2])
    for text, json_text in zip(texts, arrow(fast[0]).to_pylist(), strict=True):
        call = Call(to="212-555-0143", at=text, seller="acme")
        assert json_text == json.dumps(call.model_dump(mode="json")["at"])


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(_FIXED_TEXT_TIMES | _FIXED_TEXT_TIMES.map(lambda t: t[:19] + "Z"), min_size=1, max_size=8),
    changes=st.lists(
        st.tuples(
            st.integers(0, 7), st.integers(0, 26), st.sampled_from(list(b"0123456789Zz+-:T /\x00\xff"))
        ),
        max_size=3,
    ),
    cut=st.sampled_from([None, -1, 1]),
    skip=st.integers(0, 2),
)
def test_the_c_check_of_text_times_answers_as_its_numpy_twin(
    texts: list[str], changes: list[tuple[int, int, int]], cut: int | None, skip: int
) -> None:
    """The C check of the usual ``at`` shape (``iso_times``) gives exactly what its numpy twin
    gives (the same offsets and ``Z`` rows, or None) for usual texts of both widths, with a byte
    or a few changed, a row a byte shorter or longer, a slice at an offset."""
    import numpy as np

    from dncguard._ledger import _chain
    from dncguard._ledger._arrowtext import _fixed_shape, _string_bytes

    if not _chain.COMPILED:
        pytest.skip("the C extension is not built")
    rows = [bytearray(t.encode()) for t in texts]
    for row, at, byte in changes:
        target = rows[row % len(rows)]
        target[at % len(target)] = byte
    if cut is not None:
        rows[0] = rows[0][:-1] if cut < 0 else rows[0] + b"0"
    values = [bytes(r).decode("latin-1") for r in rows]
    column = pa.array(["x"] * skip + values, pa.string()).slice(skip)
    offsets, data = _string_bytes(column)
    want = _fixed_shape(offsets, data, len(values))
    got = _chain._chainc.iso_times(offsets, data)
    assert (got is None) == (want is None)
    if got is not None and want is not None:
        assert np.array_equal(np.frombuffer(got[0], np.int64), np.frombuffer(want[0], np.int64))
        assert got[1] == want[1]
        assert got[2] == want[2]
        # The microseconds are what Arrow's cast of the texts to UTC timestamps gives.
        cast = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy()
        assert np.array_equal(np.frombuffer(got[2], np.int64), cast)


@settings(max_examples=300, deadline=None)
@given(
    year=st.sampled_from([1000, 1600, 1700, 1900, 2000, 2023, 2024, 2100, 2400, 9999])
    | st.integers(1000, 9999),
    month=st.sampled_from([2, 4, 12]) | st.integers(1, 12),
    day=st.sampled_from([28, 29, 30, 31]) | st.integers(1, 31),
    rest=st.sampled_from(["T00:00:00Z", "T23:59:59-05:00", "T12:30:00+14:00", "T00:00:00+23:59"]),
)
@example(year=1900, month=2, day=29, rest="T00:00:00Z")
@example(year=2100, month=2, day=29, rest="T23:59:59-05:00")
@example(year=2000, month=2, day=29, rest="T12:30:00+14:00")
@example(year=2024, month=2, day=29, rest="T00:00:00Z")
@example(year=2026, month=2, day=29, rest="T00:00:00Z")
@example(year=2026, month=4, day=31, rest="T00:00:00Z")
@example(year=9999, month=12, day=31, rest="T00:00:00+23:59")
def test_a_usual_text_time_of_a_day_its_month_lacks_is_left_to_the_slow_path(
    year: int, month: int, day: int, rest: str
) -> None:
    """Days its month has (leap years included) are read in the fast pass, C or numpy, with the
    microseconds Arrow's cast gives; any other (February 30th, April 31st, February 29th of a
    common year) is no usual shape (None: read one by one, which refuses it as Call does)."""
    import numpy as np

    from dncguard._ledger import _chain
    from dncguard._ledger._arrowtext import _fixed_shape, _string_bytes

    try:
        dt.date(year, month, day)
        exists = True
    except ValueError:
        exists = False
    column = pa.array([f"{year:04d}-{month:02d}-{day:02d}{rest}"], pa.string())
    offsets, data = _string_bytes(column)
    answers = [_fixed_shape(offsets, data, 1)]
    if _chain.COMPILED:
        answers.append(_chain._chainc.iso_times(offsets, data))
    for got in answers:
        assert (got is not None) == exists
        if got is not None:
            cast = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy()
            assert np.array_equal(np.frombuffer(got[2], np.int64), cast)


@pytest.mark.parametrize("odd", _NEAR_MISS_TEXTS)
@pytest.mark.parametrize("mixed", [False, True])
def test_text_times_near_misses_of_the_usual_shape_read_as_the_regular_expression_reads_them(
    odd: str, mixed: bool
) -> None:
    """Each near miss of the usual shape, beside usual rows of its width (or of both widths),
    is read as the regular expression reads the column (taken, or refused and left to Call one
    value at a time)."""
    from dncguard._ledger._arrowtext import _fixed_times, _regex_times
    from dncguard._ledger._chain import arrow
    from dncguard._ledger._format import Times

    zulu, offset = "2026-03-16T14:00:00Z", "2026-03-16T14:00:00-04:00"
    usual = zulu if len(odd) == 20 else offset
    other = (offset if usual == zulu else zulu) if mixed else usual
    column = pa.array([usual, odd, other, odd, usual], pa.string())
    fast, slow = _fixed_times(column, Times()), _regex_times(column, Times())
    assert (fast is None) == (slow is None)
    if fast is not None and slow is not None:
        assert arrow(fast[0]).to_pylist() == arrow(slow[0]).to_pylist()
        assert fast[1].to_pylist() == slow[1].to_pylist()


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(max_size=12), min_size=1, max_size=8), skip=st.integers(0, 3))
def test_json_texts_writes_each_text_as_json_does(texts: list[str], skip: int) -> None:
    """Each text of a column (any slice of it) as ``json.dumps`` writes it, whether all of them
    are plain ASCII (the fast way) or some must be escaped."""
    from dncguard._ledger._arrowtext import _json_texts

    column = pa.array(["x"] * skip + texts, pa.string()).slice(skip)
    assert _json_texts(column).to_pylist() == [json.dumps(t) for t in texts]


def _definition_texts(calls_: list[Call], decisions_: list[Decision], placed: bool) -> list[bytes]:
    """The documented canonical bytes of these entries from seq 1, recorded_us 0."""
    from dncguard.ledger import canonical_entry

    return [
        canonical_entry(c, d, seq=i + 1, recorded_us=0, placed=placed)
        for i, (c, d) in enumerate(zip(calls_, decisions_, strict=True))
    ]


def _near(decision: Decision, how: int) -> Decision:
    """``decision`` with one field of one of its parts changed (a template a cache must not
    mistake for the original's)."""
    from dncguard.models import Consulted, Reason

    if how == 0 and decision.consulted:
        first = decision.consulted[0]
        listed = {None: True, True: False, False: None}[first.listed]
        changed = Consulted.model_validate({**first.model_dump(), "listed": listed})
        return decision.model_copy(update={"consulted": (changed, *decision.consulted[1:])})
    if how == 1 and decision.reasons:
        first = decision.reasons[0]
        changed = Reason.model_validate({**first.model_dump(), "message": first.message + "\u00e9"})
        return decision.model_copy(update={"reasons": (changed, *decision.reasons[1:])})
    if how == 2:
        return decision.model_copy(
            update={"exemptions": decision.exemptions[1:], "allowed": not decision.allowed}
        )
    return decision.model_copy(update={"registry_id": decision.registry_id + "0"})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pairs=st.lists(st.tuples(any_calls(), decisions()), min_size=1, max_size=4),
    how=st.integers(0, 3),
    placed=st.booleans(),
)
def test_large_batches_one_after_another_each_record_their_own_decisions(
    tmp_path: pathlib.Path, pairs: list[tuple[Call, Decision]], how: int, placed: bool
) -> None:
    """Large batches recorded one after another by one ledger object (which keeps the templates
    it made): a batch whose decisions differ from the last batch's in one field of one reason,
    exemption or consulted list, or in a plain field, is recorded with its own decisions: every
    digest follows the documented definition and every entry reads back as given."""
    tiled = pairs * (70 // len(pairs) + 1)
    calls_ = [c for c, _ in tiled]
    first = [d for _, d in tiled]
    second = [_near(d, how) for d in first]
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    with Ledger(folder / "l") as ledger:
        ledger.record_many(calls_, first, placed=placed)
        ledger.record_many(calls_, second, placed=placed)
        ledger.record_many(calls_, [d.model_copy() for d in first], placed=placed)
        _digests_follow_the_definition(ledger)
        assert _canonical_texts(ledger) == _definition_texts(calls_ * 3, first + second + first, placed)
        assert [e.decision for e in ledger.entries()] == first + second + first
        assert ledger.verify().ok


_CONSULTED = dncguard.Consulted(layer="us-ftc", jurisdiction="US", obtained=OBTAINED, listed=False)


def _own(call: Call, decision: Decision) -> tuple[Call, Decision]:
    """The call validated again (its own lists and models, as a dialer makes each call) and the
    decision with tuples of its own holding the same models (as Guard.check makes them; one
    consulted at least, so that no two share a tuple)."""
    own = {f: tuple(list(getattr(decision, f))) for f in ("reasons", "exemptions")}
    own["consulted"] = tuple(list(decision.consulted or (_CONSULTED,)))
    return Call.model_validate(call.model_dump()), decision.model_copy(update=own)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pairs=st.lists(st.tuples(any_calls(), decisions()), min_size=1, max_size=4),
    how_call=st.integers(0, 3),
    how_decision=st.integers(0, 3),
    placed=st.booleans(),
)
def test_a_large_batch_of_calls_and_decisions_each_owning_its_objects_is_recorded_as_given(
    tmp_path: pathlib.Path,
    pairs: list[tuple[Call, Decision]],
    how_call: int,
    how_decision: int,
    placed: bool,
) -> None:
    """A large batch whose calls each own their lists and whose decisions each own their tuples
    (sharing the reasons and lists consulted in them), with near copies among them (a call whose
    list differs in one value, a decision differing in one field of one part): recorded twice by
    one ledger object (which keeps what it made), every digest follows the documented definition
    and every entry reads back as given."""
    tiled = pairs * (140 // len(pairs) + 1)
    calls_: list[Call] = []
    decisions_: list[Decision] = []
    for i, (call, decision) in enumerate(tiled):
        c, d = _own(_near_call(call, how_call)[i % 2], decision)
        c, d = _own(c, _near(d, how_decision) if i % 3 == 0 else d)
        calls_.append(c)
        decisions_.append(d)
    again = [_own(c, d) for c, d in zip(calls_, decisions_, strict=True)]
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    with Ledger(folder / "l") as ledger:
        ledger.record_many(calls_, decisions_, placed=placed)
        ledger.record_many([c for c, _ in again], [d for _, d in again], placed=placed)
        _digests_follow_the_definition(ledger)
        assert _canonical_texts(ledger) == _definition_texts(calls_ * 2, decisions_ * 2, placed)
        entries = list(ledger.entries())
        assert [e.call for e in entries] == calls_ * 2
        assert [e.decision for e in entries] == decisions_ * 2
        assert ledger.verify().ok


def test_guard_checks_own_decisions_in_a_large_batch_are_recorded_as_given(
    tmp_path: pathlib.Path, guard: dncguard.Guard
) -> None:
    """Calls made one by one and decided by Guard.check (each decision owning its tuples), in
    batches large enough to be written column by column: the bytes are the documented ones."""
    calls_ = []
    for i in range(300):
        fields: dict[str, object] = {
            "to": f"{(212, 415, 305)[i % 3]}555{(i * 37) % 10_000:04d}" if i % 50 else "555-0143",
            "at": (AT + dt.timedelta(minutes=13 * i)).isoformat(),
            "seller": ["acme", "globex"][i % 2],
            "purpose": ["sale", "survey", "donation"][i % 3],
        }
        if i % 4 == 1:
            fields["relationships"] = [{"kind": "purchase", "on": f"2026-0{1 + i % 9}-01"}]
        elif i % 4 == 2:
            fields["consents"] = [{"kind": "written", "on": "2026-05-01"}]
        calls_.append(Call.model_validate(fields))
    decisions_ = [guard.check(c) for c in calls_]
    with Ledger(tmp_path / "l") as ledger:
        ledger.record_many(calls_[:100], decisions_[:100], placed=True)
        ledger.record_many(calls_[100:], decisions_[100:])
        _digests_follow_the_definition(ledger)
        texts = _definition_texts(calls_[:100], decisions_[:100], True)
        rest = _definition_texts(calls_, decisions_, False)[100:]
        assert _canonical_texts(ledger) == texts + rest
        assert [e.decision for e in ledger.entries()] == decisions_


def _stored_pages(path: str | os.PathLike[str]) -> list[tuple[object, ...]]:
    """The stored pages less their time of recording (what a second append of the same
    entries into an empty ledger must store again)."""
    db = sqlite3.connect(path)
    rows = db.execute("SELECT first_seq, entries, digests, payload FROM pages ORDER BY first_seq").fetchall()
    db.close()
    return rows


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 3 * 512 + 9),
    chunks=st.lists(st.sampled_from([512, 1024, 2048, None]), min_size=2, max_size=2),
    seed=st.integers(0, 2**32 - 1),
    placed=st.booleans(),
)
def test_record_columns_stores_the_same_pages_however_it_is_chunked(
    tmp_path: pathlib.Path, n: int, chunks: list[int | None], seed: int, placed: bool
) -> None:
    """``Tuning.chunk_entries`` divides the work, never what is stored: the same table recorded
    at the same instant with two chunk sizes (the default: one chunk built on the caller's
    thread; a smaller one: many, each next one built on a second thread) stores the same pages,
    byte for byte, digests included, the same templates (by digest: the order they are inserted
    in, their rowids, follows the chunks' groups, and is no part of the format) and the same
    index of placed calls."""
    from unittest import mock

    import numpy as np

    from dncguard._ledger import _store
    from dncguard.ledger import Tuning

    rng = random.Random(seed)
    table = pa.table(
        {
            "to": [f"{rng.choice(['212', '305', '999'])}-555-{rng.randrange(10_000):04d}" for _ in range(n)],
            "at": pa.array(
                [AT + dt.timedelta(seconds=rng.randrange(86_400)) for _ in range(n)],
                pa.timestamp("us", tz="UTC"),
            ),
            "seller": [rng.choice(["acme", "Acme  Co", "globex"]) for _ in range(n)],
            "purpose": [rng.choice(["sale", "survey"]) for _ in range(n)],
        }
    )
    d = [Decision(allowed=True, number=""), Decision(allowed=False, number="")]
    which = np.array([rng.randrange(2) for _ in range(n)], np.int64)
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    stored = []
    with mock.patch.object(_store, "us", return_value=1_796_000_000_000_000):  # one recorded_us
        for k, chunk in enumerate(chunks):
            with Ledger(folder / f"{k}.ledger") as ledger:
                tuning = None if chunk is None else Tuning(chunk_entries=chunk)
                assert ledger.record_columns(table, d, which, placed=placed, tuning=tuning) == n
                assert ledger.verify().ok
                db = sqlite3.connect(ledger.path)
                templates = db.execute("SELECT digest, body FROM templates ORDER BY digest").fetchall()
                db.close()
                stored.append((_stored_pages(ledger.path), _placed_rows(ledger), templates))
    assert stored[0] == stored[1]
    assert sum(p[1] for p in stored[0][0]) == n
    assert len(stored[0][1]) == (n if placed else 0)


@pytest.mark.parametrize("how", ["record_many", "record_columns"])
def test_a_batch_of_many_chunks_is_written_whole_in_order_or_not_at_all(
    tmp_path: pathlib.Path, how: str
) -> None:
    """An append of several chunks (``record_columns``: each written by SQLite on another thread
    while the next is hashed; ``record_many``: each at once) stores the pages and entries one
    chunk would, in order; a write that SQLite refuses in a middle chunk (a trigger added with
    ``sqlite3``, as any failing insert) is the ledger's named error and leaves nothing recorded.
    (Chunks of two pages, to keep the test small.)"""
    import numpy as np

    from dncguard.ledger import PAGE_ENTRIES, Tuning

    chunk = 2 * PAGE_ENTRIES
    n = 3 * chunk + 5
    calls_ = [
        Call(to=f"212-555-{i % 10_000:04d}", at=AT + dt.timedelta(seconds=i), seller=f"s{i % 3}")
        for i in range(n)
    ]
    d = [Decision(allowed=bool(i % 2), number=f"+1212555{i % 10_000:04d}") for i in range(n)]
    table = pa.table(
        {
            "to": [c.to for c in calls_],
            "at": pa.array([c.at for c in calls_], pa.timestamp("us", tz="UTC")),
            "seller": [c.seller for c in calls_],
        }
    )
    distinct = [Decision(allowed=False, number=""), Decision(allowed=True, number="")]
    which = np.arange(n, dtype=np.int64) % 2

    def record(ledger: Ledger, tuning: Tuning | None) -> int:
        if how == "record_many":
            return ledger.record_many(calls_, d, placed=True, tuning=tuning)
        return ledger.record_columns(table, distinct, which, placed=True, tuning=tuning)

    # One chunk: the pages every division of the same batch must store.
    with Ledger(tmp_path / "whole") as whole:
        assert record(whole, Tuning(chunk_entries=n + PAGE_ENTRIES - n % PAGE_ENTRIES)) == n
    # The second chunk's first page is refused when inserted, after the first chunk's were.
    Ledger(tmp_path / "l").close()
    _tamper(
        tmp_path / "l",
        f"CREATE TRIGGER fail_mid_batch BEFORE INSERT ON pages WHEN NEW.first_seq > {chunk}"
        " BEGIN SELECT RAISE(ABORT, 'the disk refused the write'); END",
        drop_triggers=False,
    )
    with Ledger(tmp_path / "l", tuning=Tuning(chunk_entries=chunk)) as ledger:
        with pytest.raises(dncguard.LedgerError, match="the disk refused the write"):
            record(ledger, None)
        assert len(ledger) == 0
        assert _stored_pages(ledger.path) == []
        assert _placed_rows(ledger) == []
        assert ledger.verify().ok
        _tamper(ledger.path, "DROP TRIGGER fail_mid_batch", drop_triggers=False)
        assert record(ledger, None) == n
        assert ledger.verify().ok
        assert [e.call for e in ledger.entries()] == calls_
        assert [e.decision.allowed for e in ledger.entries()] == [x.allowed for x in d]
        assert len(_placed_rows(ledger)) == n
        _digests_follow_the_definition(ledger)
    stored, one = _stored_pages(tmp_path / "l"), _stored_pages(tmp_path / "whole")
    assert (
        [p[:2] for p in stored]
        == [p[:2] for p in one]
        == [(1 + k * PAGE_ENTRIES, min(PAGE_ENTRIES, n - k * PAGE_ENTRIES)) for k in range(len(one))]
    )
    # The same entries, recorded at another time: each page's payload differs only in its
    # entries' recorded_us (and so in its digests).
    recorded = re.compile(rb"(,\d+,)\d+(,)")
    assert [recorded.sub(rb"\1\2", p[3]) for p in stored] == [recorded.sub(rb"\1\2", p[3]) for p in one]


_DISK_FULL = textwrap.dedent(
    """
    import datetime as dt, os, resource, signal, sys
    from dncguard.errors import LedgerError
    from dncguard.ledger import Ledger, Tuning
    from dncguard.models import Call, Decision

    path, how = sys.argv[1], sys.argv[2]
    at = dt.datetime(2026, 12, 1, 14, tzinfo=dt.timezone.utc)
    n = 16 * 1024
    calls = [Call(to=f"212-555-{i % 10_000:04d}", at=at + dt.timedelta(seconds=i), seller="acme")
             for i in range(n)]
    ds = [Decision(allowed=bool(i % 2), number=f"+1212555{i % 10_000:04d}") for i in range(n)]
    with Ledger(path, tuning=Tuning(chunk_entries=1024)) as ledger:
        ledger.record_many(calls[:10], ds[:10], placed=True)
        # Files this process writes may grow by 512 KiB more, no further (EFBIG, as a full disk).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        grown = max(os.path.getsize(path + s) for s in ("", "-wal")) + 512 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (grown, hard))
        try:
            if how == "record_many":
                ledger.record_many(calls, ds, placed=True)
            else:
                import numpy as np, pyarrow as pa
                table = pa.table({"to": [c.to for c in calls],
                                  "at": pa.array([c.at for c in calls], pa.timestamp("us", tz="UTC")),
                                  "seller": [c.seller for c in calls]})
                ledger.record_columns(table, ds[:2], np.arange(n) % 2, placed=True)
        except LedgerError as e:
            print("refused:", e)
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        print("after:", len(ledger), ledger.verify().ok)
        print("again:", ledger.record_many(calls[:10], ds[:10], placed=True), len(ledger), ledger.verify().ok)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="file size limits (RLIMIT_FSIZE) are POSIX")
@pytest.mark.parametrize("how", ["record_many", "record_columns"])
def test_a_disk_that_fills_mid_batch_records_nothing_of_it(tmp_path: pathlib.Path, how: str) -> None:
    """A batch of sixteen chunks whose writes run out of room part-way (the process may not grow
    a file by more than 512 KiB: the operating system refuses the write as a full disk would):
    the ledger's error says the disk failed, not that the file is damaged; nothing of the batch
    is recorded, the ledger verifies, and the next append goes on from it."""
    path = tmp_path / "full.ledger"
    root = pathlib.Path(__file__).parents[1]
    done = subprocess.run(
        [sys.executable, "-c", _DISK_FULL, str(path), how],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("refused:"), done.stdout
    assert "the disk failed" in lines[0]
    assert "damaged" not in lines[0]
    assert lines[1:] == ["after: 10 True", "again: 10 20 True"]
    with Ledger(path) as ledger:
        assert ledger.verify().ok
        assert len(_placed_rows(ledger)) == 20


def test_tuning_is_checked_and_named() -> None:
    """A wrong ``tuning`` is a named error in the words of the keyword (a ``Tuning`` or None; a
    chunk of whole pages; a map of no negative size)."""
    from dncguard.ledger import PAGE_ENTRIES, Tuning

    for bad in (
        {"chunk_entries": 0},
        {"chunk_entries": PAGE_ENTRIES + 1},
        {"chunk_entries": True},
        {"chunk_entries": 1024.0},
        {"mmap_bytes": -1},
        {"mmap_bytes": None},
    ):
        with pytest.raises(ValueError, match=r"Tuning\("):
            Tuning(**bad)  # type: ignore[arg-type]
    assert Tuning(chunk_entries=PAGE_ENTRIES, mmap_bytes=0).chunk_entries == PAGE_ENTRIES


def test_a_ledger_reads_the_same_mapped_or_not(tmp_path: pathlib.Path, guard: dncguard.Guard) -> None:
    """``mmap_bytes`` changes only how pages are read: a ledger opened with no memory map
    records, reads, verifies and answers frequency caps as a mapped one does. On a 64-bit
    system the default maps the whole file (up to SQLite's own cap), not only its first GiB:
    the index of placed calls spreads over all of it."""
    from dncguard.ledger import Tuning

    calls_ = _calls(40)
    with Ledger(tmp_path / "l") as mapped:
        mapped.record_many(calls_[:20], guard.check_many(calls_[:20]), placed=True)
    with Ledger(tmp_path / "l", tuning=Tuning(mmap_bytes=0)) as unmapped:
        unmapped.record_many(calls_[20:], guard.check_many(calls_[20:]), placed=True)
        plain = (list(unmapped.entries()), unmapped.verify(), unmapped.head())
        caps = [
            unmapped.placed_calls(c.to, c.seller, c.purpose, since=AT, until=AT + dt.timedelta(1))
            for c in calls_
        ]
    with Ledger(tmp_path / "l") as mapped:
        assert (list(mapped.entries()), mapped.verify(), mapped.head()) == plain
        assert plain[1].ok
        assert [
            mapped.placed_calls(c.to, c.seller, c.purpose, since=AT, until=AT + dt.timedelta(1))
            for c in calls_
        ] == caps
    if sys.maxsize > 1 << 32:
        assert Tuning().mmap_bytes >= 1 << 40


def test_a_wrong_tuning_is_refused_before_anything_is_recorded(tmp_path: pathlib.Path) -> None:
    import numpy as np

    with pytest.raises(TypeError, match=r"tuning=.*dncguard.ledger.Tuning"):
        Ledger(tmp_path / "l", tuning={"chunk_entries": 512})  # type: ignore[arg-type]
    with Ledger(tmp_path / "l") as ledger:
        call = _calls(1)[0]
        d = Decision(allowed=True, number="+12125550100")
        with pytest.raises(TypeError, match=r"tuning=.*dncguard.ledger.Tuning"):
            ledger.record_many([call], [d], tuning=512)  # type: ignore[arg-type]
        table = pa.table({"to": [call.to], "at": pa.array([call.at], pa.timestamp("us", tz="UTC"))})
        with pytest.raises(TypeError, match=r"tuning=.*dncguard.ledger.Tuning"):
            ledger.record_columns(table, [d], np.zeros(1, np.int64), seller="acme", tuning="fast")
        assert len(ledger) == 0


def _near_call(call: Call, how: int) -> tuple[Call, Call]:
    """``call`` with one of its lists made non-empty, and the same with that list changed in one
    value (an ``extra`` a cache must not mistake for the first's): an attempt at the same instant
    in another UTC offset, another consent kind, a relationship a day later, a request by
    another seller."""
    from dncguard.models import Consent, DncRequest, Relationship

    day = dt.date(2026, 1, 5)
    if how == 0:
        attempts = call.attempts or (AT,)
        moved = attempts[0].astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
        if moved.utcoffset() == attempts[0].utcoffset():
            moved = attempts[0].astimezone(dt.UTC)
        return (
            call.model_copy(update={"attempts": attempts}),
            call.model_copy(update={"attempts": (moved, *attempts[1:])}),
        )
    if how == 1:
        consents = call.consents or (Consent(kind="written", on=day),)
        kind = "verbal" if consents[0].kind != "verbal" else "written"
        changed = (consents[0].model_copy(update={"kind": kind}), *consents[1:])
        return call.model_copy(update={"consents": consents}), call.model_copy(update={"consents": changed})
    if how == 2:
        rels = call.relationships or (Relationship(kind="purchase", on=day),)
        later = (rels[0].model_copy(update={"on": rels[0].on + dt.timedelta(days=1)}), *rels[1:])
        return call.model_copy(update={"relationships": rels}), call.model_copy(
            update={"relationships": later}
        )
    asks = call.dnc_requests or (DncRequest(on=day),)
    other = (asks[0].model_copy(update={"seller": (asks[0].seller or "") + "\u00df"}), *asks[1:])
    return call.model_copy(update={"dnc_requests": asks}), call.model_copy(update={"dnc_requests": other})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pairs=st.lists(st.tuples(any_calls(), decisions()), min_size=1, max_size=4),
    how=st.integers(0, 3),
    placed=st.booleans(),
)
def test_large_batches_one_after_another_each_record_their_own_calls_lists(
    tmp_path: pathlib.Path, pairs: list[tuple[Call, Decision]], how: int, placed: bool
) -> None:
    """Large batches recorded one after another by one ledger object (which keeps the lists'
    JSON it made): calls whose attempts, consents, relationships or requests differ from the
    last batch's in one value are recorded as given: every digest follows the documented
    definition and every call reads back as given."""
    tiled = pairs * (70 // len(pairs) + 1)
    first, second = (list(x) for x in zip(*[_near_call(c, how) for c, _ in tiled], strict=True))
    decisions_ = [d for _, d in tiled]
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    with Ledger(folder / "l") as ledger:
        ledger.record_many(first, decisions_, placed=placed)
        ledger.record_many(second, decisions_, placed=placed)
        ledger.record_many([c.model_copy() for c in first], decisions_, placed=placed)
        _digests_follow_the_definition(ledger)
        given = first + second + first
        assert _canonical_texts(ledger) == _definition_texts(given, decisions_ * 3, placed)
        assert [e.call for e in ledger.entries()] == given
        assert ledger.verify().ok


# --- the bytes and digests, pinned -----------------------------------------------------------------


def _pinned_ledger(path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    """A small ledger made the same way every time, through every way of recording: ``record``
    (placed and not), ``record_many`` of a few (written in Python) and of many (with Arrow), and
    ``record_columns``; every entry recorded at the same fixed time."""
    import types

    from dncguard._ledger import _store
    from dncguard.models import Consent, Consulted, Exemption, Reason, Relationship

    class _Fixed(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> _Fixed:
            return cls(2026, 12, 7, 1, 2, 3, 456789, tzinfo=UTC)

    monkeypatch.setattr(_store, "dt", types.SimpleNamespace(datetime=_Fixed, UTC=UTC))
    consulted = (
        Consulted(layer="national", jurisdiction="US", obtained=OBTAINED, listed=True),
        Consulted(layer="state", jurisdiction="FL", obtained=None, listed=False),
    )
    blocked = Decision(
        allowed=False,
        number="+12125550143",
        reasons=(Reason(code="national_registry", jurisdiction="US", rule="16 CFR 310.4", message="listed"),),
        registry_id="dncg:" + "ab" * 16,
        consulted=consulted,
    )
    allowed = Decision(
        allowed=True,
        number="+13055550100",
        exemptions=(
            Exemption(code="ebr_purchase", jurisdiction="US", rule="16 CFR 310.4(b)(1)(iii)(B)(ii)"),
        ),
        next_allowed_at=AT + dt.timedelta(hours=3),
        consulted=consulted[:1],
    )
    calls = []
    for i in range(150):
        fields: dict[str, object] = {
            "to": f"(212) 555-01{i % 100:02d}" if i % 7 else "555-01x3",
            "at": AT + dt.timedelta(minutes=7 * i, microseconds=i % 3),
            "seller": ["acme", " Acme ", "ACME", "globex \u00e9"][i % 4],
            "purpose": ["sale", "sale", "survey"][i % 3],
        }
        if i % 5 == 1:
            fields["relationships"] = [Relationship(kind="purchase", on=dt.date(2026, 6, 1))]
        if i % 5 == 2:
            fields["consents"] = [Consent(kind="written", on=dt.date(2026, 5, 1))]
        if i % 11 == 3:
            fields["attempts"] = [AT - dt.timedelta(hours=2)]
        calls.append(Call.model_validate(fields))
    decisions = [blocked if i % 3 else allowed for i in range(150)]
    ledger = Ledger(path)
    ledger.record(calls[0], decisions[0], placed=True)
    ledger.record(calls[1], decisions[1], placed=False)
    ledger.record_many(calls[2:10], decisions[2:10], placed=True)
    ledger.record_many(calls[10:], decisions[10:], placed=False)
    ledger.record_many(calls[10:110], decisions[10:110], placed=True)
    table = pa.table(
        {
            "to": [f"305555{i:04d}" if i % 9 else "bad" for i in range(120)],
            "at": pa.array([AT + dt.timedelta(seconds=i) for i in range(120)], pa.timestamp("us", tz="UTC")),
            "seller": ["acme", "Globex"] * 60,
            "purpose": ["sale", "survey", "sale"] * 40,
            "last_purchase": pa.array([dt.date(2026, 1, 1) if i % 4 else None for i in range(120)]),
        }
    )
    which = [i % 2 for i in range(120)]
    ledger.record_columns(table, [blocked, allowed], pa.array(which).to_numpy(), placed=False)
    ledger.record_columns(
        table.slice(0, 70), [allowed, blocked], pa.array(which[:70]).to_numpy(), placed=True
    )
    return ledger


# The head digest, and a digest over every page's digests, payload and the templates, of
# _pinned_ledger. They change only where the ledger's bytes change for the same input, or where
# Call or Decision gained a field (templates hold every field, by design): then re-pin them with
# a note in the CHANGELOG. A faster way of writing the same ledger must leave them as they are.
PINNED_HEAD = "abdf930d2594862c5b359d87205d36d86b6c8cf91872651a77bd18255d150261"
PINNED_FILE = "081556a3e8daf5ee579b43976e38c0656e7c560f408fc7f00980a4b0fe1ebf83"


@pytest.fixture(params=["compiled", "python"])
def chain_in(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ledger's hash chain in C (the optional extension, where built) and in Python."""
    from dncguard._ledger import _chain

    if request.param == "python":
        monkeypatch.setattr(_chain, "_chainc", None)
    elif not _chain.COMPILED:
        pytest.skip("the optional C chain (dncguard._ledger._chainc) was not built here")
    return str(request.param)


def test_the_same_input_gives_the_same_bytes_and_digests(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, chain_in: str
) -> None:
    ledger = _pinned_ledger(tmp_path / "pinned.ledger", monkeypatch)
    try:
        assert ledger.verify().ok
        head = ledger.head()
        assert head is not None
        assert head.seq == 2 + 8 + 140 + 100 + 120 + 70
        db = sqlite3.connect(tmp_path / "pinned.ledger")
        whole = hashlib.sha256()
        for row in db.execute(
            "SELECT first_seq, entries, recorded_us, digests, payload FROM pages ORDER BY 1"
        ):
            whole.update(repr(row[:3]).encode() + row[3] + row[4])
        for digest, body in db.execute("SELECT digest, body FROM templates ORDER BY digest"):
            whole.update(digest + body)
        for row in db.execute("SELECT * FROM placed ORDER BY seq"):
            whole.update(repr(row).encode())
        db.close()
        assert (head.digest, whole.hexdigest()) == (PINNED_HEAD, PINNED_FILE)
    finally:
        ledger.close()


@given(
    previous=st.binary(min_size=32, max_size=32),
    lines=st.lists(st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"")), max_size=40),
    tail=st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")),
)
def test_the_c_chain_gives_the_python_chain(previous: bytes, lines: list[bytes], tail: bytes) -> None:
    """The optional C chain (where built) gives the digests the Python one gives, over any bytes;
    bytes after the last line feed are not an entry."""
    from dncguard._ledger import _chain

    payload = b"".join(line + b"\n" for line in lines) + tail
    expected = _chain.python_chain(previous, payload)
    assert len(expected) == 32 * len(lines)
    assert _chain.chain_lines(previous, lines) == expected
    if lines:
        assert expected[:32] == hashlib.sha256(previous + lines[0]).digest()
    if _chain.COMPILED:
        assert _chain.chain(previous, payload) == expected
        assert _chain.chain(previous, memoryview(payload)) == expected
        assert _chain.chain(previous, pa.py_buffer(payload)) == expected


def test_the_c_chain_refuses_a_previous_that_is_not_a_digest() -> None:
    from dncguard._ledger import _chain

    if not _chain.COMPILED:
        pytest.skip("the optional C chain (dncguard._ledger._chainc) was not built here")
    with pytest.raises(ValueError, match="32-byte"):
        _chain.chain(b"short", b"a\n")
    with pytest.raises(TypeError):
        _chain.chain(bytes(32), "text\n")  # type: ignore[arg-type]


def test_verify_finds_a_changed_entry_with_either_chain(
    filled: tuple[Ledger, list[LedgerEntry]], chain_in: str
) -> None:
    ledger, entries = filled
    assert ledger.verify(anchor=(entries[-1].seq, entries[-1].digest)).ok
    _tamper(
        ledger.path,
        "UPDATE pages SET payload = CAST(replace(payload, '555-0103', '555-0199') AS BLOB)"
        " WHERE first_seq = 4",
    )
    report = ledger.verify()
    assert not report.ok
    assert report.first_bad_seq == 4


@pytest.mark.parametrize("enabled", [True, False])
def test_recording_leaves_the_garbage_collector_as_it_was(tmp_path: pathlib.Path, enabled: bool) -> None:
    """record_many and record_columns pause Python's cyclic collector while they encode (no
    cycles are made), and leave it on or off as it was, also when they refuse the input."""
    import gc

    import numpy as np

    calls_ = _calls(100)
    ds = [Decision(allowed=True, number=f"+1212555{i:04d}") for i in range(100)]
    table = pa.table(
        {"to": [c.to for c in calls_], "at": pa.array([c.at for c in calls_]), "seller": ["a"] * 100}
    )
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with Ledger(tmp_path / "gc.ledger") as ledger:
            assert ledger.record_many(calls_, ds) == 100
            assert gc.isenabled() is enabled
            with pytest.raises(ValueError, match="decision"):
                ledger.record_many(calls_, ds[:-1])
            assert gc.isenabled() is enabled
            assert ledger.record_columns(table, ds[:1], np.zeros(100, np.int64)) == 100
            assert gc.isenabled() is enabled
            with pytest.raises(ValueError, match="which"):
                ledger.record_columns(table, ds[:1], np.zeros(99, np.int64))
            assert gc.isenabled() is enabled
            assert ledger.verify().ok
    finally:
        gc.enable() if was else gc.disable()


@given(
    columns=st.lists(
        st.one_of(st.text(max_size=5), st.lists(st.text(max_size=12), min_size=6, max_size=6)), max_size=6
    ),
    first_seq=st.integers(0, 10**15),
    cut=st.integers(0, 2),
)
def test_the_c_join_gives_arrows_join(columns: list[object], first_seq: int, cut: int) -> None:
    """The optional C join (where built) writes, line by line, the bytes Arrow's
    binary_join_element_wise writes from the same parts and the seq (any text, empty values,
    arrays that are slices of others), each line ended by a line feed."""
    import numpy as np
    import pyarrow.compute as pc

    from dncguard._ledger import _chain

    if not _chain.COMPILED:
        pytest.skip("the optional C chain (dncguard._ledger._chainc) was not built here")
    n = 6 - cut
    parts: list[object] = [
        c if isinstance(c, str) else pa.array(["x", *c], pa.string()).slice(1 + cut, n) for c in columns
    ]
    parts = ["[", *parts, None, ","]
    seqs = pa.array(np.arange(first_seq, first_seq + n, dtype=np.int64)).cast(pa.string())
    arrow = pc.binary_join_element_wise(*[seqs if p is None else p for p in parts], "\n", "")
    got = _chain.join(parts, n, first_seq)
    assert got is not None
    data, ends = got
    assert data == "".join(arrow.to_pylist()).encode()
    assert np.frombuffer(ends, np.int64).tolist() == [
        0,
        *np.cumsum([len(s.encode()) for s in arrow.to_pylist()]),
    ]


def test_the_c_join_leaves_what_it_does_not_take_to_arrow() -> None:
    from dncguard._ledger import _chain

    if not _chain.COMPILED:
        pytest.skip("the optional C chain (dncguard._ledger._chainc) was not built here")
    from dncguard._ledger import _chainc

    assert _chain.join(["a", pa.array(["b", None])], 2, 1) is None  # a null
    assert _chain.join(["a", pa.array(["b"], pa.large_string())], 1, 1) is None
    assert _chain.join(["a", pa.array(["b", "c"])], 3, 1) is None  # not n values
    offsets = pa.array(["ab", "c"]).buffers()[1]
    with pytest.raises(ValueError, match="shorter"):
        _chainc.join([(offsets, b"abc", 0)], 3, 1)
    with pytest.raises(ValueError, match="outside"):
        _chainc.join([(offsets, b"ab", 0)], 2, 1)
    with pytest.raises(TypeError):
        _chainc.join([1], 1, 1)
    with pytest.raises(ValueError, match="negative"):
        _chainc.join([b"a"], -1, 1)


# --- the C join's pieces (taken texts, numbers, times), against their Arrow twin ------------------

_US_RANGE = st.integers(-62_135_596_800_000_000 + 86_400_000_000, 253_402_300_799_999_999 - 86_400_000_000)


@st.composite
def _join_pieces(draw: st.DrawFn, n: int) -> list[object]:
    """Pieces of every kind the join takes, ``n`` values each (arrays sliced at any offset)."""
    import numpy as np

    from dncguard._ledger import _chain

    def strings(plain: bool) -> pa.Array:
        text = st.text(
            st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\'), max_size=6
        )
        values = draw(st.lists(text if plain else line, min_size=n, max_size=n))
        skip = draw(st.integers(0, 3))
        return pa.array(["x"] * skip + values, pa.string()).slice(skip)

    line = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n"), max_size=6)
    pieces: list[object] = []
    for kind in draw(
        st.lists(st.sampled_from(["text", "seq", "array", "quoted", "taken", "number", "stamp"]), max_size=8)
    ):
        if kind == "text":
            pieces.append(draw(line))
        elif kind == "seq":
            pieces.append(None)
        elif kind == "array":
            pieces.append(strings(False))
        elif kind == "quoted":
            pieces.append(_chain.Quoted(strings(True)))
        elif kind == "taken":
            texts = draw(st.lists(line, min_size=1, max_size=4))
            pieces.append(
                _chain.Taken(texts, draw(st.lists(st.integers(0, len(texts) - 1), min_size=n, max_size=n)))
            )
        elif kind == "number":
            numbers = draw(st.lists(st.just(0) | st.integers(0, 2**64 - 1), min_size=n, max_size=n))
            fallback = _chain.Quoted(strings(True)) if draw(st.booleans()) else strings(False)
            pieces.append(_chain.Numbers(np.array(numbers, np.uint64), fallback))
        else:
            micros = draw(st.lists(_US_RANGE | st.integers(0, 10**12), min_size=n, max_size=n))
            offsets = draw(
                st.lists(
                    st.sampled_from([0, -14_400, 19_800, -86_399, 86_399, 3_607]), min_size=n, max_size=n
                )
            )
            suffixes = draw(st.lists(line, min_size=1, max_size=3))
            index = draw(st.lists(st.integers(0, len(suffixes) - 1), min_size=n, max_size=n))
            valid = draw(st.none() | st.lists(st.booleans(), min_size=n, max_size=n))
            pieces.append(_chain.Stamps(micros, offsets, suffixes, index, valid))
    return pieces


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(0, 6), first_seq=st.integers(0, 10**15))
def test_the_c_join_of_every_piece_gives_the_arrow_join(data: st.DataObject, n: int, first_seq: int) -> None:
    """Every kind of piece (texts taken by index, E.164 numbers with their fallback, times at
    any offset with or without microseconds, nulls, arrays sliced at an offset) is written by the
    C join exactly as the Arrow twin writes it; the times exactly as ``datetime.isoformat``."""
    import numpy as np

    from dncguard._ledger import _chain

    pieces = data.draw(_join_pieces(n))
    want, want_ends = _chain.python_join(pieces, n, first_seq)
    lines = want.split(b"\n")[:-1] if n else []
    assert len(lines) == n
    assert np.frombuffer(want_ends, np.int64).tolist() == [0, *np.cumsum([len(x) + 1 for x in lines])]
    for piece in pieces:  # the twin's times are datetime's
        if isinstance(piece, _chain.Stamps):
            for i, text in enumerate(piece.arrow().to_pylist()):
                if piece.valid is not None and not piece.valid[i]:
                    assert text == "null"
                    continue
                off = int(piece.offsets[i])
                t = dt.datetime(1970, 1, 1) + dt.timedelta(
                    microseconds=int(piece.micros[i]) + off * 1_000_000
                )
                assert text == '"' + t.isoformat() + piece.suffixes[int(piece.suffix_index[i])] + '"'
    if not _chain.COMPILED:
        return
    got = _chain.join(pieces, n, first_seq)
    assert got is not None
    assert got == (want, want_ends)


def test_times_outside_the_years_a_datetime_holds_are_refused() -> None:
    from dncguard._ledger import _chain

    first = -62_135_596_800_000_000  # 0001-01-01T00:00:00
    assert _chain.Stamps([first], [0], ["Z"], [0]).arrow().to_pylist() == ['"0001-01-01T00:00:00Z"']
    with pytest.raises(ValueError, match="years 1 to 9999"):
        _chain.Stamps([first], [-1], ["Z"], [0])
    with pytest.raises(ValueError, match="years 1 to 9999"):
        _chain.Stamps([253_402_300_799_999_999], [1], ["Z"], [0])
    with pytest.raises(ValueError, match="out of range"):
        _chain.Stamps([0], [86_400], ["Z"], [0])
    assert _chain.Stamps([2**62], [86_400], ["Z"], [0], [False]).arrow().to_pylist() == ["null"]


def test_the_c_join_refuses_pieces_that_do_not_hold_and_reads_nothing_outside_them() -> None:
    """Input the C join cannot trust (offsets or indices outside their buffers, buffers of the
    wrong length, times out of range, an unknown kind) raises; it never reads outside a buffer."""
    import numpy as np

    from dncguard._ledger import _chain

    if not _chain.COMPILED:
        pytest.skip("the optional C chain (dncguard._ledger._chainc) was not built here")
    from dncguard._ledger import _chainc

    i64 = lambda *v: np.array(v, np.int64)  # noqa: E731
    ends, texts = i64(0, 1, 3), b"abc"
    assert _chainc.join([(2, ends, texts, i64(1, 0))], 2, 1)[0] == b"bc\na\n"
    bad_pieces: list[tuple[object, type[Exception], str]] = [
        ((2, ends, texts, i64(2, 0)), ValueError, "outside its texts"),  # index == number of texts
        ((2, ends, texts, i64(-1, 0)), ValueError, "outside its texts"),  # negative
        ((2, ends, texts, i64(0)), ValueError, "index"),  # one index for two lines
        ((2, i64(0, 1, 9), texts, i64(1, 1)), ValueError, "outside its texts"),  # past the data
        ((2, i64(0, 2, 1), texts, i64(1, 1)), ValueError, "outside its texts"),  # backwards
        ((2, i64(-5, 1), texts, i64(0, 0)), ValueError, "outside its texts"),
        ((2, np.zeros(0, np.int64), b"", i64(0, 0)), ValueError, "at least one"),
        ((2, b"\x00" * 9, texts, i64(0, 0)), ValueError, "int64"),
        ((1, pa.array(["ab", "c"]).buffers()[1], b"ab", 0), ValueError, "outside"),
        ((1, pa.array(["a"]).buffers()[1], b"a", 0), ValueError, "shorter"),
        ((1, pa.array(["a", "b"]).buffers()[1], b"ab", 1), ValueError, "shorter"),
        ((1, pa.array(["a", "b"]).buffers()[1], b"ab", -1), ValueError, "negative"),
        (
            (3, np.array([1], np.uint64), (1, pa.array(["a", "b"]).buffers()[1], b"ab", 0)),
            ValueError,
            "numbers",
        ),
        ((3, np.array([0, 0], np.uint64), (pa.array(["a"]).buffers()[1], b"a", 0)), ValueError, "shorter"),
        ((3, np.array([0, 0], np.uint64), "x"), TypeError, "piece"),
        ((4, i64(0, 0), i64(0, 86_400), ends, texts, i64(0, 0), None), ValueError, "out of range"),
        ((4, i64(0, 2**62), i64(0, 0), ends, texts, i64(0, 0), None), ValueError, "out of range"),
        ((4, i64(0, -62_135_596_800_000_001), i64(0, 0), ends, texts, i64(0, 0), None), ValueError, "years"),
        ((4, i64(0, 0), i64(0, 0), ends, texts, i64(0, 5), None), ValueError, "outside its texts"),
        ((4, i64(0, 0), i64(0, 0), ends, texts, i64(0, 0), b"\x01"), ValueError, "valid"),
        ((4, i64(0), i64(0, 0), ends, texts, i64(0, 0), None), ValueError, "micros"),
        ((9, b"a"), TypeError, "piece"),
        ((2, ends, texts), TypeError, "piece"),
    ]
    for piece, error, message in bad_pieces:
        with pytest.raises(error, match=message):
            _chainc.join([b"[", piece, b"]"], 2, 1)
    # Null times are never read: any value at all there.
    got = _chainc.join([(4, i64(2**62, 0), i64(10**9, 0), ends, texts, i64(99, 0), b"\x00\x01")], 2, 1)
    assert got[0] == b'null\n"1970-01-01T00:00:00a"\n'
    with pytest.raises(ValueError, match="negative"):
        _chainc.join([b"a"], 2, -1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(flat_rows(), min_size=1, max_size=10),
    templates=st.lists(decisions(), min_size=1, max_size=3),
    data=st.data(),
    placed=st.booleans(),
    at_form=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata", "text", "text Z"]),
    numbers_form=st.sampled_from(["default", "integers", "text"]),
    dictionary=st.sets(
        st.sampled_from(["to", "seller", "purpose", "caller", "line", "consent_kind", "last_purchase"])
    ),
    skip=st.integers(0, 3),
    in_call_zone=st.booleans(),
)
def test_record_columns_writes_the_same_bytes_in_c_and_in_python_as_record_many(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[dict[str, object]],
    templates: list[Decision],
    data: st.DataObject,
    placed: bool,
    at_form: str,
    numbers_form: str,
    dictionary: set[str],
    skip: int,
    in_call_zone: bool,
) -> None:
    """A table of calls (nulls, zones and offsets, microseconds, sparse evidence, dictionary
    columns, a slice at an offset, invalid numbers, numbers given or not) is recorded with the C
    join's pieces and with their Arrow twin to the same bytes, and those are the bytes
    ``record_many`` writes for the calls and decisions the rows stand for."""
    import numpy as np
    import pyarrow.compute as pc

    from dncguard._ledger import _chain

    n = len(rows)
    table = _flat_table([*rows[:1] * skip, *rows])
    if at_form.startswith("text"):
        texts = [t.isoformat() for t in table.column("at").to_pylist()]
        if at_form == "text Z":
            texts = [t.replace("+00:00", "Z") for t in texts]
        table = table.set_column(table.schema.get_field_index("at"), "at", pa.array(texts, pa.string()))
    else:
        at_col = table.column("at").cast(pa.timestamp("us", tz=at_form))
        table = table.set_column(table.schema.get_field_index("at"), "at", at_col)
    for name in dictionary:
        k = table.schema.get_field_index(name)
        table = table.set_column(k, name, pc.dictionary_encode(table.column(name)))
    table = table.slice(skip)  # every column a slice at an offset
    assert table.num_rows == n
    which, next_col = _draw_which_and_next(data, n, len(templates))
    calls_ = _as_calls(table, seller="Default Seller")
    from dncguard.numbers import format_e164

    parsed: list[int] = []
    for c in calls_:
        try:
            parsed.append(int(dncguard.parse_number(c.to)))
        except dncguard.InvalidNumberError:
            parsed.append(0)
    given_numbers: object = None
    if numbers_form == "integers":
        given_numbers = np.array(parsed, np.uint64)
    elif numbers_form == "text":
        given_numbers = pa.array(
            [format_e164(x) if x else c.to for x, c in zip(parsed, calls_, strict=True)], pa.string()
        )

    def when(i: int, call: Call) -> dt.datetime | None:
        t = next_col[i].as_py()
        return None if t is None or not in_call_zone else t.astimezone(call.at.tzinfo)

    decisions_ = [
        templates[k].model_copy(
            update={
                "number": format_e164(parsed[i]) if parsed[i] else c.to,
                "next_allowed_at": when(i, c) if in_call_zone else next_col[i].as_py(),
            }
        )
        for i, (c, k) in enumerate(zip(calls_, which.tolist(), strict=True))
    ]
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))

    def by_columns(name: str) -> list[bytes]:
        with Ledger(folder / name) as ledger:
            got = ledger._record_columns(
                table,
                templates,
                which,
                numbers=given_numbers,
                next_allowed_at=next_col,
                placed=placed,
                next_in_call_zone=in_call_zone,
                seller="Default Seller",
            )
            assert got == n
            assert ledger.verify().ok
            return _canonical_texts(ledger)

    with Ledger(folder / "objects.ledger") as b:
        b.record_many(calls_, decisions_, placed=placed)
        want = _canonical_texts(b)
    with monkeypatch.context() as m:
        m.setattr(_chain, "_chainc", None)
        assert by_columns("python.ledger") == want
    if _chain.COMPILED:
        assert by_columns("c.ledger") == want


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 700) | st.just(700),
    span=st.sampled_from([1, 2, 7, 365, 3000]),
    sparse=st.sampled_from([0.0, 0.5, 0.9, 1.0]),
    seed=st.integers(0, 2**32 - 1),
    chunk=st.sampled_from([None, 512, 1024]),
)
def test_many_distinct_evidence_rows_are_recorded_as_record_many_records_them(
    tmp_path: pathlib.Path, n: int, span: int, sparse: float, seed: int, chunk: int | None
) -> None:
    """A table of many distinct evidence rows (dates of every day, few or many nulls, a
    column null in one chunk and not in the next) and of few, recorded column by column twice
    by one ledger (the second time with whatever it kept from the first), in chunks or not, is
    stored as the same bytes ``record_many`` stores for the calls the rows stand for."""
    import numpy as np

    from dncguard.ledger import Tuning

    rng = random.Random(seed)
    start = dt.date(2017, 1, 1)  # + 3000 days: 2025-03-20, never after today (a later date is refused)

    def day() -> dt.date | None:
        return None if rng.random() < sparse else start + dt.timedelta(days=rng.randrange(span))

    rows = []
    for i in range(n):
        consent_on = day()
        contract_on = day()
        rows.append(
            {
                "to": f"212555{i % 10_000:04d}",
                "at": AT + dt.timedelta(minutes=i),
                "seller": "acme",
                "last_purchase": day(),
                "last_inquiry": day(),
                "contract_on": contract_on,
                "contract_ends": day() if contract_on else None,
                "consent_kind": rng.choice(["written", "electronic", "verbal"]) if consent_on else None,
                "consent_on": consent_on,
                "consent_revoked_on": day() if consent_on else None,
                "dnc_requested_on": day(),
            }
        )
    table = _flat_table(rows)
    calls_ = _as_calls(table)
    d = Decision(allowed=True, number="")
    tuning = None if chunk is None else Tuning(chunk_entries=chunk)
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    with Ledger(folder / "objects.ledger") as b:
        b.record_many(calls_ * 2, [d.model_copy(update={"number": c.to}) for c in calls_ * 2])
        want = _canonical_texts(b)
    with Ledger(folder / "columns.ledger") as a:
        for _ in range(2):
            a.record_columns(table, [d], np.zeros(n, np.int64), numbers=table["to"], tuning=tuning)
        assert _canonical_texts(a) == want


@pytest.mark.parametrize("placed", [False, True])
@pytest.mark.parametrize("form", ["missing", "dictionary", "dictionary with nulls", "text"])
def test_the_seller_column_in_every_form_is_recorded_as_record_many_records_it(
    tmp_path: pathlib.Path, placed: bool, form: str
) -> None:
    """The seller of each row, from no column (the ``seller=`` default), a dictionary column
    (its dictionary holding a value no row holds; null rows taking the default) or text, is
    recorded as ``record_many`` records the calls, the placed calls' index included."""
    import numpy as np

    n = 7
    names = ["acme", " Globex ", "ACME", None, "acme", "Initech", None]
    table = pa.table(
        {
            "to": [f"212555{i:04d}" for i in range(n)],
            "at": pa.array([AT + dt.timedelta(minutes=i) for i in range(n)], pa.timestamp("us", "UTC")),
        }
    )
    if form == "missing":
        sellers = ["Default Seller"] * n
    else:
        given = [v or "Initech" for v in names] if form in ("dictionary", "text") else names
        sellers = [v or "Default Seller" for v in given]
        if form == "text":
            column: pa.Array = pa.array(given, pa.string())
        else:
            dictionary = pa.array(["never held", "acme", " Globex ", "ACME", "Initech"])
            codes = {v: k for k, v in enumerate(dictionary.to_pylist())}
            indices = pa.array([None if v is None else codes[v] for v in given], pa.int8())
            column = pa.DictionaryArray.from_arrays(indices, dictionary)
        table = table.append_column("seller", column)
    calls_ = [
        Call(to=t, at=a, seller=v)
        for t, a, v in zip(table["to"].to_pylist(), table["at"].to_pylist(), sellers, strict=True)
    ]
    d = Decision(allowed=True, number="")
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    with Ledger(folder / "objects.ledger") as b:
        b.record_many(calls_, [d.model_copy(update={"number": c.to}) for c in calls_], placed=placed)
        want = _canonical_texts(b)
        want_placed = sqlite3.connect(b.path).execute("SELECT * FROM placed ORDER BY seq").fetchall()
    with Ledger(folder / "columns.ledger") as a:
        numbers = table["to"]
        a.record_columns(
            table, [d], np.zeros(n, np.int64), numbers=numbers, placed=placed, seller="Default Seller"
        )
        assert _canonical_texts(a) == want
        assert sqlite3.connect(a.path).execute("SELECT * FROM placed ORDER BY seq").fetchall() == want_placed


def test_evidence_texts_kept_from_one_table_to_the_next_follow_each_tables_values(
    tmp_path: pathlib.Path,
) -> None:
    """The evidence of a table's distinct rows, kept for the next table, is taken again only for
    the same values in columns of the same names and types: tables of the same dates as dates,
    as text and as dictionaries, with a consent added, each record what ``record_many`` does."""
    import numpy as np
    import pyarrow.compute as pc

    days = [dt.date(2026, 6, 1), None, dt.date(2026, 6, 2)]
    base = {
        "to": ["212-555-0143", "212-555-0150", "415-555-0143"],
        "at": pa.array([AT, AT, AT], pa.timestamp("us", tz="UTC")),
        "seller": ["acme"] * 3,
    }
    tables = [
        pa.table({**base, "last_purchase": pa.array(days, pa.date32())}),
        pa.table({**base, "last_purchase": pa.array([d and d.isoformat() for d in days], pa.string())}),
        pa.table({**base, "last_purchase": pc.dictionary_encode(pa.array(days, pa.date32()))}),
        pa.table({**base, "last_inquiry": pa.array(days, pa.date32())}),
        pa.table(
            {
                **base,
                "last_purchase": pa.array(days, pa.date32()),
                "consent_kind": ["written", None, None],
                "consent_on": pa.array([dt.date(2026, 5, 1), None, None], pa.date32()),
            }
        ),
    ]
    from dncguard.numbers import format_e164

    d = Decision(allowed=True, number="")
    with Ledger(tmp_path / "a.ledger") as a, Ledger(tmp_path / "b.ledger") as b:
        for table in tables * 2:
            a.record_columns(table, [d], np.zeros(3, np.int64))
            calls_ = _as_calls(table)
            b.record_many(
                calls_,
                [d.model_copy(update={"number": format_e164(dncguard.parse_number(c.to))}) for c in calls_],
            )
        assert _canonical_texts(a) == _canonical_texts(b)


@given(offsets=st.lists(st.integers(-86_399, 86_399) | st.sampled_from([0, -14_400, 19_800]), max_size=20))
def test_offsets_are_grouped_as_numpys_unique_groups_them(offsets: list[int]) -> None:
    import numpy as np

    from dncguard._ledger._arrowtext import _offset_groups

    values = np.array(offsets, np.int64)
    distinct, index = _offset_groups(values)
    want_distinct, want_index = np.unique(values, return_inverse=True)
    assert distinct.tolist() == want_distinct.tolist()
    assert index.tolist() == want_index.reshape(-1).tolist()


def test_a_dictionary_column_is_read_from_its_own_dictionary_as_its_values_are(
    tmp_path: pathlib.Path,
) -> None:
    """A scalar column given as a dictionary is read from the dictionary itself: a null row takes
    the default, a value no row holds is never checked, and a bad value a row holds is refused
    naming the first row that holds it; the entries are those of the decoded column."""
    import numpy as np

    n = 4
    base = {
        "to": ["212-555-0143"] * n,
        "at": pa.array([AT] * n, pa.timestamp("us", tz="UTC")),
        "seller": ["acme"] * n,
    }
    purposes = pa.DictionaryArray.from_arrays(
        pa.array([1, None, 2, 1], pa.int8()), pa.array(["no such purpose", "sale", "survey"])
    )
    d = Decision(allowed=True, number="+12125550143")
    with Ledger(tmp_path / "a.ledger") as a, Ledger(tmp_path / "b.ledger") as b:
        a.record_columns(pa.table({**base, "purpose": purposes}), [d], np.zeros(n, np.int64))
        b.record_columns(
            pa.table({**base, "purpose": purposes.dictionary_decode()}), [d], np.zeros(n, np.int64)
        )
        assert _canonical_texts(a) == _canonical_texts(b)
        assert [e.call.purpose for e in a.entries()] == ["sale", "sale", "survey", "sale"]
        bad = pa.DictionaryArray.from_arrays(
            pa.array([1, 1, 0, 0], pa.int8()), pa.array(["no such purpose", "sale"])
        )
        with pytest.raises(ValueError, match="column 'purpose', row 2"):
            a.record_columns(pa.table({**base, "purpose": bad}).slice(0), [d], np.zeros(n, np.int64))
        sliced = pa.table({**base, "purpose": bad}).slice(1)
        with pytest.raises(ValueError, match="column 'purpose', row 1"):
            a.record_columns(sliced, [d], np.zeros(n - 1, np.int64))
        assert len(a) == n


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pairs=st.lists(st.tuples(any_calls(), decisions()), min_size=1, max_size=6),
    placed=st.booleans(),
    tail=st.integers(1, 70),
    copies=st.booleans(),
)
def test_a_batch_of_several_chunks_is_the_documented_encoding(
    tmp_path: pathlib.Path, pairs: list[tuple[Call, Decision]], placed: bool, tail: int, copies: bool
) -> None:
    """``record_many`` of a batch of several chunks (whether its decisions share their tuples
    asked once for all; the last chunk perhaps a few entries, still built column by column), of
    shared objects or of
    copies (``model_copy``, whose tuples are shared, or not), writes each entry's documented
    canonical bytes (:func:`canonical_entry`), whatever mix of times, next times and lists."""
    from dncguard.ledger import PAGE_ENTRIES, Tuning, canonical_entry

    n = 2 * PAGE_ENTRIES + tail
    tiled = (pairs * (n // len(pairs) + 1))[:n]
    if copies:
        tiled = [(c.model_copy(), d.model_copy(update={"number": d.number})) for c, d in tiled]
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    with Ledger(folder / "many") as many:
        got = many.record_many(
            [c for c, _ in tiled],
            [d for _, d in tiled],
            placed=placed,
            tuning=Tuning(chunk_entries=PAGE_ENTRIES),
        )
        assert got == n
        want = [
            canonical_entry(c, d, seq=i + 1, recorded_us=0, placed=placed) for i, (c, d) in enumerate(tiled)
        ]
        assert _canonical_texts(many) == want
        assert many.verify().ok


_PLACED_EDITS = (
    "UPDATE placed SET at_us = at_us + 1 WHERE seq = {seq}",
    "UPDATE placed SET at_us = at_us * 1.0 WHERE seq = {seq}",  # INTEGER affinity: 1.0 is stored as 1
    "UPDATE placed SET at_us = CAST(at_us AS TEXT) || 'x' WHERE seq = {seq}",
    "UPDATE placed SET seller = upper(seller) WHERE seq = {seq}",
    "UPDATE placed SET seller = CAST(seller AS BLOB) WHERE seq = {seq}",
    "UPDATE placed SET seller = seller || char(233) WHERE seq = {seq}",
    "UPDATE placed SET purpose = 'sale ' WHERE seq = {seq}",
    "UPDATE placed SET number = NULL WHERE seq = {seq}",
    "UPDATE placed SET number = CAST(number AS TEXT) || 'x' WHERE seq = {seq}",
    "UPDATE placed SET number = number + 0.5 WHERE seq = {seq}",
    "DELETE FROM placed WHERE seq = {seq}",
    "UPDATE placed SET seq = seq + 1000 WHERE seq = {seq}",
    "UPDATE placed SET seller = CAST(x'ff' AS TEXT) WHERE seq = {seq}",  # not UTF-8
    "UPDATE placed SET seller = seller || char(127) WHERE seq = {seq}",
    "UPDATE placed SET at_us = -at_us WHERE seq = {seq}",
    "UPDATE placed SET number = 9223372036854775807 WHERE seq = {seq}",
    "",  # untouched
)


@pytest.mark.hypothesis
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 40),
    placed_share=st.sampled_from([1, 2, 3]),
    pick=st.integers(0, 10**6),
    edit=st.sampled_from(_PLACED_EDITS),
    seller=st.sampled_from(
        ["acme", "Café Ünïcode", 'quo"te\\back', "\u2028 line", "tab\there\x01\x1f\x7f", "/sl ash"]
    ),
    chunk=st.sampled_from([1, 3, 65_536]),
)
def test_verify_compares_the_index_of_placed_calls_exactly_whichever_way_it_reads_it(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    n: int,
    placed_share: int,
    pick: int,
    edit: str,
    seller: str,
    chunk: int,
) -> None:
    """verify compares each page's placed entries with their rows of the index of placed calls by
    writing the rows as the entries write them and comparing bytes (in C where built, else in
    Python), and falls back to parsing the entries (which names what differs) where that does not
    hold: its report is the parsing one's, whatever was edited (a value changed, of another type,
    not UTF-8, a row removed or moved), and an edited row is always found. The index is searched
    for the table's rows in ranges of seqs shared by two threads: any range size gives the same
    report."""
    from dncguard._ledger import _verify

    path = pathlib.Path(tempfile.mkdtemp(dir=tmp_path)) / "placed.ledger"
    calls = [
        Call(to=f"212-555-01{i % 100:02d}", at=AT + dt.timedelta(minutes=i), seller=seller, purpose="sale")
        for i in range(n)
    ]
    with Ledger(path) as ledger:
        for k, call in enumerate(calls):
            ledger.record(
                call, Decision(allowed=True, number=f"+1212555{k % 100:04d}"), placed=k % placed_share == 0
            )
    placed = [k + 1 for k in range(n) if k % placed_share == 0]
    seq = placed[pick % len(placed)]
    if edit:
        _tamper(path, edit.format(seq=seq))
    with Ledger(path) as ledger, monkeypatch.context() as patched:  # this example only
        patched.setattr(_verify, "_CHUNK", chunk)
        fast = ledger.verify()
        patched.setattr(_verify, "placed_match_in_c", lambda: None)
        python = ledger.verify()
        patched.setattr(_verify, "_same_index", lambda *args: False)
        exact = ledger.verify()
    assert fast == python == exact
    unchanged = not edit or "* 1.0" in edit
    assert fast.ok == unchanged
    if not unchanged:
        assert fast.first_bad_seq == seq
