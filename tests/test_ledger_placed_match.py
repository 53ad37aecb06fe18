"""verify's comparison of a page's placed entries with its rows of the index of placed calls.

``_chainc.placed_match`` (C) writes each row as the entry writes its index and compares bytes;
``_verify._same_index`` is its Python twin. Neither may ever say "the same" for rows that differ
from the entries (in value or in type): verify trusts a True without looking further. A False
only sends the page to the exact comparison, so the C one may say False where it cannot tell
(a text that is not ASCII), but for ASCII texts and 64-bit ints it must say True exactly when
the rows are the entries'.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dncguard._ledger._chain import placed_match_in_c
from dncguard._ledger._format import INDEX_AT
from dncguard._ledger._verify import _same_index

placed_match = placed_match_in_c()
needs_c = pytest.mark.skipif(placed_match is None, reason="the C extension was not built")

INT64 = st.integers(-(2**63), 2**63 - 1)
ASCII = st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=12)
TEXT = st.one_of(ASCII, st.text(max_size=6), st.sampled_from(["acme", "sale", 'a"b\\c', "\x7f", "\t\n"]))


@st.composite
def pages(draw: st.DrawFn) -> tuple[list[bytes], int, list[tuple[Any, ...]]]:
    """A page's lines as the ledger writes them (template digest, index or null, seq, ...),
    and the rows the index should hold for it."""
    first = draw(st.integers(1, 2**40))
    n = draw(st.integers(1, 12))
    lines, rows = [], []
    for i in range(n):
        seq = first + i
        head = b'["' + b"ab" * 32 + b'",'
        if draw(st.booleans()):
            at_us, number = draw(INT64), draw(st.one_of(st.none(), INT64))
            purpose, seller = draw(TEXT), draw(TEXT)
            index = json.dumps([at_us, number, purpose, seller], separators=(",", ":"))
            rows.append((seq, number, seller, purpose, at_us))
        else:
            index = "null"
        lines.append(head + index.encode() + b"," + str(seq).encode() + b",1765000000000000,[],true]")
        assert lines[-1][INDEX_AT:].startswith(index.encode())
    return lines, first, rows


def _typed(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple((type(v), v) for v in row) for row in rows]


def _entries(lines: list[bytes], first: int) -> list[tuple[Any, ...]]:
    out = []
    for i, line in enumerate(lines):
        entry = json.loads(line)
        if entry[1] is not None:
            at_us, number, purpose, seller = entry[1]
            out.append((first + i, number, seller, purpose, at_us))
    return out


def _python(lines: list[bytes], first: int, rows: list[tuple[Any, ...]]) -> bool:
    placed_at = [i for i, line in enumerate(lines) if line[INDEX_AT] == ord("[")]
    return _same_index(lines, first, placed_at, rows, {})


def _mutations(rows: list[tuple[Any, ...]], draw: st.DataObject) -> list[tuple[Any, ...]]:
    """The rows edited as a person with sqlite3 could: a value changed, of another type, a row
    removed, added, moved to another seq."""
    rows = list(rows)
    kind = draw.draw(st.sampled_from(["value", "type", "drop", "add", "seq"]))
    if kind == "add" or not rows:
        rows.append((rows[-1][0] + 1 if rows else 10**12, None, "acme", "sale", 0))
        return rows
    k = draw.draw(st.integers(0, len(rows) - 1))
    row = list(rows[k])
    if kind == "drop":
        del rows[k]
        return rows
    if kind == "seq":
        row[0] += draw.draw(st.sampled_from([-1, 1, 2**63]))
    elif kind == "value":
        j = draw.draw(st.integers(1, 4))
        row[j] = (row[j] + "x") if isinstance(row[j], str) else (0 if row[j] is None else row[j] ^ 1)
    else:
        j = draw.draw(st.integers(0, 4))
        v = row[j]
        row[j] = {int: float, str: str.encode, type(None): lambda _: 0}[type(v)](v) if j else float(v)
        if isinstance(v, int) and draw.draw(st.booleans()) and v in (0, 1):
            row[j] = bool(v)  # True is an int to Python, not to the ledger
    rows[k] = tuple(row)
    return rows


@pytest.mark.hypothesis
@needs_c
@settings(max_examples=400, deadline=None)
@given(page=pages())
def test_the_entries_own_rows_match_where_c_can_write_them(page: tuple[list[bytes], int, list[Any]]) -> None:
    lines, first, rows = page
    assert _typed(_entries(lines, first)) == _typed(rows)
    assert _python(lines, first, rows)
    ascii_only = all(r[2].isascii() and r[3].isascii() for r in rows)
    assert placed_match(lines, first, rows, INDEX_AT) is ascii_only  # type: ignore[misc]


@pytest.mark.hypothesis
@settings(max_examples=600, deadline=None)
@given(page=pages(), data=st.data())
def test_rows_that_differ_never_match(page: tuple[list[bytes], int, list[Any]], data: st.DataObject) -> None:
    lines, first, rows = page
    edited = _mutations(rows, data)
    same = _typed(edited) == _typed(_entries(lines, first))
    assert _python(lines, first, edited) is same
    if not same and placed_match is not None:
        assert not placed_match(lines, first, edited, INDEX_AT)


@needs_c
def test_placed_match_refuses_what_is_not_a_page() -> None:
    assert placed_match is not None
    line = b'["' + b"ab" * 32 + b'",[1,2,"p","s"],7,'
    assert placed_match([line], 7, [(7, 2, "s", "p", 1)], INDEX_AT)
    assert not placed_match([line], 7, [(7, 2, "s", "p", 1), (8, 2, "s", "p", 1)], INDEX_AT)
    assert not placed_match([line], 7, [(7, 2, "s", "p")], INDEX_AT)
    assert not placed_match([line], 7, [[7, 2, "s", "p", 1]], INDEX_AT)
    assert not placed_match([line], 7, [(7, 2, "s" * 2000, "p", 1)], INDEX_AT)  # too long to write: exact
    assert not placed_match([line[:80]], 7, [(7, 2, "s", "p", 1)], INDEX_AT)
    assert not placed_match([bytearray(line)], 7, [(7, 2, "s", "p", 1)], INDEX_AT)
    with pytest.raises(TypeError):
        placed_match((line,), 7, [], INDEX_AT)
    with pytest.raises(ValueError, match="at must not be negative"):
        placed_match([line], 7, [], -1)


def test_verify_while_another_process_records_says_intact(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """verify searches the index of placed calls on a second connection, begun a moment after
    the pages' snapshot, while a dialer keeps recording: the entries appended meanwhile must not
    make an intact ledger look damaged (and ranges of a few seqs make the two threads share the
    search)."""
    import datetime as dt
    import subprocess
    import sys
    import textwrap

    from dncguard._ledger import _verify
    from dncguard.ledger import Ledger
    from dncguard.models import Call, Decision

    path = tmp_path / "busy.ledger"
    at = dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)
    with Ledger(path) as ledger:
        for i in range(600):
            call = Call(to=f"212-555-{i % 10000:04d}", at=at + dt.timedelta(seconds=i), seller="acme")
            ledger.record(call, Decision(allowed=True, number=f"+1212555{i % 10000:04d}"), placed=True)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import datetime as dt, sys
                from dncguard.ledger import Ledger
                from dncguard.models import Call, Decision
                at = dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC)
                with Ledger({str(path)!r}) as ledger:
                    print("ready", flush=True)
                    for i in range(400):
                        call = Call(to=f"415-555-{{i:04d}}", at=at + dt.timedelta(seconds=i), seller="acme")
                        ledger.record(call, Decision(allowed=True, number=f"+1415555{{i:04d}}"), placed=True)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        monkeypatch.setattr(_verify, "_CHUNK", 7)
        reports = []
        with Ledger(path) as ledger:
            while writer.poll() is None:
                reports.append(ledger.verify())
            reports.append(ledger.verify())
    finally:
        writer.wait(timeout=120)
        assert writer.stdout is not None
        writer.stdout.close()
    assert writer.returncode == 0
    assert all(r.ok for r in reports), [r for r in reports if not r.ok][:1]
    assert reports[-1].entries == 1000
    assert len(reports) > 2  # verified while the writer wrote
