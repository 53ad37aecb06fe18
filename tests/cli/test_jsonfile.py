"""A ``.json`` call file is read one element of its array at a time, with the same records and
the same named errors as reading it whole, and memory that does not grow with the file."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dncguard.cli import _jsonfile
from dncguard.errors import CallColumnError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(json_values, max_size=8),
    st.sampled_from([None, 0, 1, 3]),
    st.sampled_from([1, 2, 3, 7, 64]),
)
def test_array_elements_as_json_loads_reads_them(
    tmp_path: Path, values: list[Any], indent: int | None, chunk: int
) -> None:
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(values, indent=indent), encoding="utf-8")
    if not values:
        with pytest.raises(CallColumnError, match="no calls: the array is empty"):
            list(_jsonfile.read_records(path, chunk=chunk))
        return
    assert list(_jsonfile.read_records(path, chunk=chunk)) == list(enumerate(values, start=1))  # cut records


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet='[]{},:"0123456789.eE+-tfnrul \n\\', max_size=30), st.sampled_from([1, 3, 64]))
def test_any_text_is_read_as_json_loads_reads_it_or_refused_by_name(
    tmp_path: Path, text: str, chunk: int
) -> None:
    path = tmp_path / "calls.json"
    path.write_text(text, encoding="utf-8")
    try:
        whole = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        whole = None
    if isinstance(whole, list) and whole:  # [] is no calls: refused
        assert list(_jsonfile.read_records(path, chunk=chunk)) == list(enumerate(whole, start=1))
    else:
        with pytest.raises(CallColumnError, match=str(path)):
            list(_jsonfile.read_records(path, chunk=chunk))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no calls: the file is empty or holds only white space"),
        (" [\n] ", "no calls: the array is empty"),
        ('{"to": "2125550143"}', "expected a JSON array of call objects"),
        ('[{"to": 1},\n{"to": 2}\n{"to": 3}]', "row 2: not JSON: Expecting ',' delimiter (line 3)"),
        ('[{"to": 1},\n\n{"to": tru}]', "row 2: not JSON: Expecting value (line 3)"),
        ('[{"to": 1}] x', "not JSON: Extra data (line 1)"),
        ('[{"to": "1}]', "row 1: not JSON: Unterminated string"),
        ("[" * 100_000 + "]" * 100_000, "row 1: JSON nested too deeply"),
    ],
)
def test_a_bad_json_array_is_named_by_row_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "calls.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CallColumnError, match=message.replace("(", r"\(").replace(")", r"\)")):
        list(_jsonfile.read_records(path))


def test_a_json_array_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "calls.json"
    path.write_bytes(b'[{"to": "2125550143"},\n {"to": "212\xf1"}]')
    with pytest.raises(CallColumnError, match=r"byte 0xf1 at byte offset 35 \(line 2\)"):
        list(_jsonfile.read_records(path))


def _peak_reading(path: Path) -> int:
    tracemalloc.start()
    try:
        for _ in _jsonfile.read_records(path, chunk=1 << 14):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_a_json_array_takes_memory_that_does_not_grow_with_it(tmp_path: Path) -> None:
    record = {"to": "212-555-0143", "at": "2026-03-16T14:00:00-04:00", "seller": "acme"}
    peaks = []
    for n in (2_000, 20_000):
        path = tmp_path / f"calls-{n}.json"
        path.write_text(json.dumps([record] * n), encoding="utf-8")
        peaks.append(_peak_reading(path))
    assert peaks[1] < peaks[0] * 1.5 + (64 << 10), peaks  # json.load would take ten times as much
