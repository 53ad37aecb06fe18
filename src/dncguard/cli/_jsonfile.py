"""JSON call files, read a record at a time: ``.jsonl`` (one object a line) and ``.json`` (one
array of objects, split into its elements as it is read: the file is never held whole).

Every problem is a :class:`CallColumnError` naming the file, the record (``row``, from 1) and,
for a ``.json`` array, the line:

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp(), "calls.json")
>>> _ = path.write_text('[{"to": "212-555-0143"},\\n {"to": 2125550143,}]')
>>> [row for row, _ in read_records(path)]
Traceback (most recent call last):
...
dncguard.errors.CallColumnError: ...calls.json, row 2: not JSON: Expecting property name ... (line 2)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import IO, Any

from dncguard.cli._filetypes import _RECORD_SUFFIXES, _TABLE_SUFFIXES, _check_suffix, _not_utf8, no_calls
from dncguard.errors import CallColumnError

_MAX_DEPTH_HINT = "a call is one object of fields, its evidence at most a list of objects"


_CHUNK = 1 << 20
"""Characters of a ``.json`` file read at a time."""


_SPACE = re.compile(r"[ \t\n\r]*")


_NEAR_END = 16
"""A JSON error this close to the end of the text read may be a record cut by the read (``tru``,
``-``, ``\\u00``, ``1e``): more is read before it is taken for an error."""


class _TwiceError(ValueError):
    """A key given twice in one JSON object (raised while the object is decoded)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _one_value_a_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's pairs as a dict, refusing a key given twice: JSON's last value wins silently,
    so ``{"to": LISTED, ..., "to": OTHER}`` or a later ``"dnc_requested_on": null`` would decide
    another call than the one written (a CSV file's two columns for one field are refused too)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _TwiceError(key)
            seen.add(key)
    return obj


def _twice(error: _TwiceError, where: str, *, path: str, row: int | None) -> CallColumnError:
    return CallColumnError(
        f"{where}given twice in one object (JSON would keep the last silently): keep one",
        path=path,
        row=row,
        column=error.key,
    )


def read_records(path: str | os.PathLike[str], *, chunk: int = _CHUNK) -> Iterator[tuple[int, Any]]:
    """Yield ``(row, object)`` from a ``.jsonl`` file (one object a line) or a ``.json`` array.

    Rows count records from 1; a blank line in JSON Lines is skipped and not counted. ``chunk``:
    the characters of a ``.json`` array read at a time (a record longer than that is read whole;
    memory holds about a chunk and the record being read, whatever the file's length).
    """
    name = os.fspath(path)
    suffix = _check_suffix(path, _RECORD_SUFFIXES + _TABLE_SUFFIXES, "call file")
    try:
        with open(name, encoding="utf-8-sig") as f:
            if suffix == ".json":
                yield from _array_records(name, f, chunk)
            else:
                yield from _line_records(name, f)
    except UnicodeDecodeError:
        raise _not_utf8(name, header=False) from None


def _line_records(name: str, f: IO[str]) -> Iterator[tuple[int, Any]]:
    row = 0
    for line_no, line in enumerate(f, start=1):
        if not line.strip():
            continue
        row += 1
        where = f"line {line_no}, " if line_no != row else ""
        try:
            obj = json.loads(line, object_pairs_hook=_one_value_a_key)
        except json.JSONDecodeError as e:
            raise CallColumnError(f"{where}not JSON: {e.msg}", path=name, row=row) from None
        except _TwiceError as e:
            raise _twice(e, where, path=name, row=row) from None
        except RecursionError:
            raise CallColumnError(
                f"{where}JSON nested too deeply: {_MAX_DEPTH_HINT}", path=name, row=row
            ) from None
        yield row, obj
    if not row:
        raise no_calls(name, "the file is empty or holds only blank lines")


class _ArrayText:
    """The text of a ``.json`` file read a chunk at a time, from a position ``at`` on: what lies
    before ``at`` is dropped as reading goes (memory holds about one chunk and one record)."""

    def __init__(self, name: str, f: IO[str], chunk: int = _CHUNK) -> None:
        self.name, self.f, self.chunk = name, f, max(chunk, 1)
        self.text = ""
        self.at = 0
        self.lines = 1
        """The line of ``text[0]`` in the file (from 1)."""
        self.eof = False

    def more(self) -> bool:
        """Read the next chunk (at least doubling what is held past ``at``); False at the end."""
        if self.eof:
            return False
        if self.at > len(self.text) // 2:  # drop what was read: amortised, each character once
            self.lines += self.text.count("\n", 0, self.at)
            self.text, self.at = self.text[self.at :], 0
        chunk = self.f.read(max(self.chunk, len(self.text) - self.at))
        if not chunk:
            self.eof = True
            return False
        self.text += chunk
        return True

    def skip_space(self) -> str:
        """The first character after white space from ``at`` (``at`` moved to it); "" at the end."""
        while True:
            space = _SPACE.match(self.text, self.at)
            assert space is not None  # it matches the empty text too
            self.at = space.end()
            if self.at < len(self.text):
                return self.text[self.at]
            if not self.more():
                return ""

    def line_of(self, pos: int) -> int:
        return self.lines + self.text.count("\n", 0, pos)

    def error(self, message: str, pos: int, row: int | None) -> CallColumnError:
        return CallColumnError(f"not JSON: {message} (line {self.line_of(pos)})", path=self.name, row=row)


def _array_records(name: str, f: IO[str], chunk: int = _CHUNK) -> Iterator[tuple[int, Any]]:
    """The elements of the file's one JSON array, one at a time (``json.JSONDecoder.raw_decode``
    on the text read so far; a record the read cut is decoded again once more is read)."""
    decoder = json.JSONDecoder(object_pairs_hook=_one_value_a_key)
    text = _ArrayText(name, f, chunk)
    first = text.skip_space()
    if first == "":
        raise no_calls(name, "the file is empty or holds only white space")
    if first != "[":
        raise CallColumnError("expected a JSON array of call objects", path=name)
    text.at += 1
    row = 0
    while True:
        c = text.skip_space()
        if c == "]" and row == 0:
            raise no_calls(name, "the array is empty")
        if row:  # after an element: a comma and the next, or the end of the array
            if c == "]":
                break
            if c != ",":
                where = text.at if c else len(text.text)
                raise text.error("Expecting ',' delimiter", where, row)
            text.at += 1
            text.skip_space()
        row += 1
        while True:
            try:
                obj, end = decoder.raw_decode(text.text, text.at)
            except json.JSONDecodeError as e:
                error = text.error(e.msg, e.pos, row)  # before more() moves the text
                cut = e.msg.startswith("Unterminated string") or e.pos >= len(text.text) - _NEAR_END
                if cut and text.more():
                    continue
                raise error from None
            except RecursionError:
                raise CallColumnError(
                    f"JSON nested too deeply: {_MAX_DEPTH_HINT}", path=name, row=row
                ) from None
            except _TwiceError as e:
                raise _twice(e, f"line {text.line_of(text.at)}, ", path=name, row=row) from None
            # A number that ends the text read may go on in what follows: read more first.
            number = isinstance(obj, int | float) and not isinstance(obj, bool)
            if number and end >= len(text.text) - _NEAR_END and not text.eof:
                text.more()  # then decoded again from the same start
                continue
            break
        text.at = end
        yield row, obj
    text.at += 1
    if text.skip_space():
        raise text.error("Extra data", text.at, None)
