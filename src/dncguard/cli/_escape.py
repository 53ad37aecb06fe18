"""What a call file's field may hold that a report must not pass on: the characters a terminal
would obey (the text report) and those XML 1.0 cannot hold (JUnit), escaped as ``\\xNN`` /
``\\uNNNN``; and XML's own escapes of attribute values and element text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    pass


# --- what the input may hold that the output must not pass on -------------------------------

_TERMINAL_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters the text report shows escaped: C0 and C1 controls (ANSI escapes start with one),
DEL, line separators and the bidirectional overrides (which reorder what a terminal shows)."""

_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""Characters XML 1.0 cannot hold at all, not even as a character reference."""


def _escaped_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _terminal_text(text: str) -> str:
    """``text`` with every character of :data:`_TERMINAL_UNSAFE` written as ``\\xNN`` / ``\\uNNNN``."""
    return _TERMINAL_UNSAFE.sub(_escaped_char, text)


def _xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 forbids written as ``\\xNN`` / ``\\uNNNN``."""
    return _XML_UNSAFE.sub(_escaped_char, text)


def _byte_table(values: Sequence[int]) -> npt.NDArray[np.bool_]:
    table = np.zeros(256, bool)
    table[list(values)] = True
    return table


# The UTF-8 bytes that start (or are) an unsafe character: a value holding none needs no look.
_TERMINAL_BYTES = _byte_table([*range(0x20), 0x7F, 0xC2, 0xE2])
_XML_BYTES = _byte_table([b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D)] + [0xED, 0xEF])


def _value_bytes(values: pa.Array) -> memoryview:
    """The UTF-8 bytes of the strings of ``values`` (a slice: its own, not its parent's)."""
    buffers = values.buffers()
    if not len(values) or buffers[2] is None:
        return memoryview(b"")
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(buffers[1], width, count=2, offset=values.offset * np.dtype(width).itemsize)
    end = np.frombuffer(
        buffers[1], width, count=1, offset=(values.offset + len(values)) * np.dtype(width).itemsize
    )
    return memoryview(buffers[2])[int(offsets[0]) : int(end[0])]


def _may_hold(values: pa.Array, starts: npt.NDArray[np.bool_]) -> bool:
    """Whether some byte of ``values`` is one of ``starts`` (may start an unsafe character).

    Printable ASCII (the common case) is seen from the bytes' least and greatest values; other
    text by deleting every byte that cannot start one (C speed; a gather through the table costs
    several times more)."""
    view = _value_bytes(values)
    data = np.frombuffer(view, np.uint8)
    if not len(data) or (int(data.min()) >= 0x20 and int(data.max()) < 0x7F):
        return False
    return bool(bytes(view).translate(None, _harmless(starts.tobytes())))


@functools.cache
def _harmless(starts: bytes) -> bytes:
    """The bytes that are not flagged in the 256-entry table ``starts``."""
    return bytes(b for b in range(256) if not starts[b])


def _safe_column(values: pa.Array, pattern: re.Pattern[str], starts: npt.NDArray[np.bool_]) -> pa.Array:
    """``values`` with the characters of ``pattern`` escaped (a scan of the bytes first: the
    values are rewritten in Python only when some byte may start such a character)."""
    if not _may_hold(values, starts):
        return values
    texts = values.to_pylist()
    return _strings([None if t is None else pattern.sub(_escaped_char, t) for t in texts])


def _strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def _attr(text: str) -> str:
    """``text`` escaped as ElementTree escapes an attribute value (after :func:`_xml_text`)."""
    text = _xml_text(text)
    for old, new in _ATTR_ESCAPES:
        text = text.replace(old, new)
    return text


def _cdata(text: str) -> str:
    """``text`` escaped as ElementTree escapes element text (after :func:`_xml_text`)."""
    return _xml_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ATTR_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\r", "&#13;"),
    ("\n", "&#10;"),
    ("\t", "&#09;"),
)


_ATTR_BYTES = _byte_table(b'&<>"\r\n\t')
"""The bytes :data:`_ATTR_ESCAPES` rewrites (each a character of its own in UTF-8)."""


def _attr_column(values: pa.Array) -> pa.Array:
    """:func:`_attr` of every string (the kernels run only when some value needs escaping: a
    look at the bytes first, at C speed, rather than a regular expression per value)."""
    values = _safe_column(values, _XML_UNSAFE, _XML_BYTES)
    if not len(values) or not bytes(_value_bytes(values)).translate(None, _harmless(_ATTR_BYTES.tobytes())):
        return values
    for old, new in _ATTR_ESCAPES:
        values = pc.replace_substring(values, old, new)
    return values
