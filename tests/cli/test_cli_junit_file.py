"""``dncguard check --format junit`` into a regular file: the document is written straight into
it (no temporary copy of the test cases), its counts written in place at the end; a bad row far
into the file (exit 2) cuts the file back to what it held before. Into a pipe (or a file where
that is not safe) the test cases go to a temporary file first. Either way the bytes are the same
well-formed document, whose opening part has room for any count (spaces inside its tags)."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from small_index import save_index

from dncguard.cli import _report, main
from strategies import hostile_texts

AT = "2026-03-16T14:00:00-04:00"  # a Monday afternoon in the Eastern zone


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A US list of 212-555-0100..0109 and acme's internal list of 212-555-0110..0111: of the
    numbers 212-555-0100..0119 called for acme, 12 are blocked and 8 allowed."""
    national = [2125550100 + i for i in range(10)]
    return save_index(tmp_path_factory.mktemp("junit-file"), national, [2125550110, 2125550111], [212])


def calls_file(path: Path, lines: list[int], *, bad_row: int = 0) -> Path:
    """Calls to 212-555-01NN for each NN of ``lines``, for acme; row ``bad_row`` (1-based) with an
    ``at`` that has no UTC offset (exit 2)."""
    ats = [AT if row != bad_row else "2026-03-16 14:00:00" for row in range(1, len(lines) + 1)]
    if path.suffix == ".jsonl":
        records = [
            {"to": f"212-555-01{n:02d}", "at": at, "seller": "acme"} for n, at in zip(lines, ats, strict=True)
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    else:
        rows = [f"212-555-01{n:02d},{at},acme" for n, at in zip(lines, ats, strict=True)]
        path.write_text("\n".join(["to,at,seller", *rows]) + "\n", encoding="utf-8")
    return path


def argv(index: str, calls: Path, *flags: str) -> list[str]:
    return ["check", "--registry", index, str(calls), "--format", "junit", *flags]


def into_file(target: Path, mode: str, args: list[str]) -> int:
    """``dncguard check`` with ``sys.stdout`` the file ``target`` opened in ``mode`` (``r+``: at
    its end)."""
    with open(target, mode, encoding="utf-8", newline="") as out, contextlib.redirect_stdout(out):
        if mode == "r+":
            out.seek(0, os.SEEK_END)
        return main(args)


def through_pipe(args: list[str]) -> tuple[int, bytes]:
    """``dncguard check`` with ``sys.stdout`` a pipe, and what came out of it."""
    read, write = os.pipe()
    chunks: list[bytes] = []

    def drain() -> None:
        while chunk := os.read(read, 1 << 16):
            chunks.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        with open(write, "w", encoding="utf-8", newline="") as out, contextlib.redirect_stdout(out):
            code = main(args)
    finally:
        reader.join()
        os.close(read)
    return code, b"".join(chunks)


@contextlib.contextmanager
def no_temporary_file(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a temporary copy of the report was made")

    with monkeypatch.context() as m:
        m.setattr(_report.tempfile, "TemporaryFile", refused)
        yield


def counts(document: bytes) -> dict[str, str]:
    suites = ET.fromstring(document)
    suite = suites.find("testsuite")
    assert suite is not None
    assert suites.attrib == {**suite.attrib, "name": "dncguard check"}
    found = {key: suite.attrib[key] for key in ("tests", "failures", "errors", "skipped")}
    found.update({p.attrib["name"]: p.attrib["value"] for p in suite.iter("property")})
    found["cases"] = str(len(suite.findall("testcase")))
    found["failed cases"] = str(sum(case.find("failure") is not None for case in suite.iter("testcase")))
    return found


def expected(calls: int, blocked: int, *, every: bool) -> dict[str, str]:
    allowed = calls - blocked
    cases = calls if every else blocked + (allowed > 0)
    return {
        "tests": str(cases),
        "failures": str(blocked),
        "errors": "0",
        "skipped": "0",
        "calls": str(calls),
        "allowed": str(allowed),
        "blocked": str(blocked),
        "cases": str(cases),
        "failed cases": str(blocked),
    }


FILES = {  # lines called -> (calls, blocked)
    "mixed": ([n % 20 for n in range(50)], 50, 34),
    "all blocked": ([n % 12 for n in range(30)], 30, 30),
    "all allowed": ([12 + n % 8 for n in range(30)], 30, 0),
}  # a file of no calls is refused (tests/cli/test_cli_leftovers.py)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("every", [False, True])
@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_file_and_a_pipe_get_the_same_well_formed_document(
    index: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    every: bool,
    suffix: str,
) -> None:
    """Into a regular file, without a temporary copy of the test cases; into a pipe, through one:
    the same bytes, well-formed, with the counts of the calls."""
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "8")  # several pieces, written as they come
    lines, calls, blocked = FILES[kind]
    path = calls_file(tmp_path / f"calls{suffix}", lines)
    args = argv(index, path, *(["--all"] if every else []))
    target = tmp_path / "report.xml"
    with no_temporary_file(monkeypatch):
        code = into_file(target, "w", args)
    piped_code, piped = through_pipe(args)
    assert code == piped_code == (1 if blocked else 0)
    assert target.read_bytes() == piped
    assert counts(piped) == expected(calls, blocked, every=every)


@pytest.mark.parametrize("mode", ["w", "r+", "a"])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_bad_row_late_in_the_file_leaves_the_output_file_as_it_was(
    index: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mode: str,
    suffix: str,
) -> None:
    """Exit 2 naming the row, and the output file as before the run: empty (``w``), or what it
    held (``r+`` written at its end; ``a``, to which the document cannot be written in place).
    The test cases before the bad row were written into the file (in place) and cut away."""
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "4")
    path = calls_file(tmp_path / f"calls{suffix}", [n % 20 for n in range(60)], bad_row=58)
    target = tmp_path / "report.xml"
    before = b"" if mode == "w" else "an earlier report, with a \u00e9\n".encode()
    target.write_bytes(before)
    cut_from: list[int] = []
    discard = _report._InPlace.discard

    def measured(self: _report._InPlace) -> None:
        cut_from.append(os.fstat(self.fd).st_size)
        discard(self)

    monkeypatch.setattr(_report._InPlace, "discard", measured)
    assert into_file(target, mode, argv(index, path)) == 2
    assert f"{path}, row 58" in capsys.readouterr().err
    assert target.read_bytes() == before
    if mode == "a":
        assert cut_from == []
    else:
        (size,) = cut_from
        assert size > len(before) + len(_report._junit_head(str(path), "calls", 0, 0, every=False))


def test_a_file_written_after_the_document_goes_on_from_its_end(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counts are written in place without moving the file's position: what the program
    writes next follows the document; after an error, it follows what the file held before."""
    good = calls_file(tmp_path / "good.csv", [n % 20 for n in range(30)])
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "4")
    bad = calls_file(tmp_path / "bad.csv", [n % 20 for n in range(30)], bad_row=29)
    target = tmp_path / "report.xml"
    with open(target, "w", encoding="utf-8", newline="") as out, contextlib.redirect_stdout(out):
        print("before")
        assert main(argv(index, bad)) == 2
        print("between")
        assert main(argv(index, good)) == 1
        print("after")
    text = target.read_text(encoding="utf-8")
    assert text.startswith("before\nbetween\n<?xml ")
    document, _, tail = text.split("\n", 2)[2].rpartition("</testsuites>\n")
    assert tail == "after\n"
    assert counts((document + "</testsuites>\n").encode()) == expected(30, 22, every=False)


def test_the_document_is_written_in_place_only_where_that_is_safe(tmp_path: Path) -> None:
    """A regular file opened to write at its end, UTF-8, that stderr does not write to: in place.
    Anything else (appending, a position short of the end, a pipe, a device, another encoding,
    a stream without a file, the file stderr writes to as well): through a temporary file."""
    path = tmp_path / "out.xml"
    with open(path, "w", encoding="utf-8") as out:
        assert _report._InPlace.of(out) is not None
        out.write("something")
        assert _report._InPlace.of(out) is not None  # at its (new) end
    with open(path, "a", encoding="utf-8") as out:
        assert _report._InPlace.of(out) is None
    with open(path, "r+", encoding="utf-8") as out:
        assert _report._InPlace.of(out) is None  # what follows would be cut on an error
    with open(path, "w", encoding="latin-1") as out:
        assert _report._InPlace.of(out) is None
    with open(os.devnull, "w", encoding="utf-8") as out:
        assert _report._InPlace.of(out) is None
    read, write = os.pipe()
    os.close(read)
    with open(write, "w", encoding="utf-8") as out:
        assert _report._InPlace.of(out) is None
    assert _report._InPlace.of(io.StringIO()) is None
    assert _report._InPlace.of(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) is None
    with open(path, "w", encoding="utf-8") as out, contextlib.redirect_stderr(out):
        assert _report._InPlace.of(out) is None
    saved = os.dup(2)
    try:
        with open(path, "w", encoding="utf-8") as out:
            os.dup2(out.fileno(), 2)  # `> out.xml 2>&1`
            assert _report._InPlace.of(out) is None
    finally:
        os.dup2(saved, 2)
        os.close(saved)


LARGEST = 10**_report._COUNT_WIDTH - 1


@given(
    path=hostile_texts(),
    every=st.booleans(),
    calls=st.one_of(st.integers(0, 40), st.integers(0, LARGEST), st.just(LARGEST)),
    share=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1)),
)
def test_the_opening_part_has_room_for_any_count(path: str, every: bool, calls: int, share: float) -> None:
    """As long (in UTF-8 bytes) as with no calls, up to counts of 20 digits; the document it
    opens is well-formed and its counts are exactly the decimal numbers."""
    blocked = min(calls, round(calls * share))
    head = _report._junit_head(path, "calls", calls, blocked, every=every)
    empty = _report._junit_head(path, "calls", 0, 0, every=every)
    assert len(head.encode()) == len(empty.encode())
    allowed = calls - blocked
    cases = calls if every else blocked + (allowed > 0)
    suite = ET.fromstring((head + _report._JUNIT_TAIL).split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == (str(cases), str(blocked))
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties == {"calls": str(calls), "allowed": str(allowed), "blocked": str(blocked)}
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == ([f"{allowed} allowed calls"] if not every and allowed else [])


def test_a_count_beyond_the_room_is_refused() -> None:
    with pytest.raises(OverflowError, match="room"):
        _report._junit_head("calls.csv", "calls", LARGEST + 1, 0, every=False)


@pytest.mark.parametrize("failing", [1, 2, 4])
def test_a_failed_write_leaves_the_output_file_as_it_was(
    index: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failing: int,
) -> None:
    """A disk that fills up part way through a write (of the opening part, the first write, or
    of the test cases): exit 2 naming the error, and nothing of a document left in the file."""
    monkeypatch.setenv("DNCGUARD_BATCH_ROWS", "4")
    path = calls_file(tmp_path / "calls.csv", [n % 20 for n in range(60)])
    target = tmp_path / "report.xml"
    before = b"kept\n"
    target.write_bytes(before)
    calls = 0
    write = _report._InPlace.write

    def full(self: _report._InPlace, data: bytes | memoryview, /) -> int:
        nonlocal calls
        calls += 1
        if calls == failing:
            os.write(self.fd, memoryview(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(self, data)

    monkeypatch.setattr(_report._InPlace, "write", full)
    assert into_file(target, "r+", argv(index, path)) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert target.read_bytes() == before
