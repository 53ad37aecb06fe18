"""What a call file's field may hold that a report must not pass on: the characters a terminal
would obey (the text report) and those XML 1.0 cannot hold (JUnit), escaped as ``\\xNN`` /
``\\uNNNN``; and XML's own escapes of attribute values and element text.
"""

from __future__ import annotations

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


def _safe_column(values: pa.Array, pattern: re.Pattern[str], starts: npt.NDArray[np.bool_]) -> pa.Array:
    """``values`` with the characters of ``pattern`` escaped (a scan of the bytes first: the
    values are rewritten in Python only when some byte may start such a character)."""
    data = values.buffers()[2] if len(values) else None
    if data is None or not starts[np.frombuffer(data, np.uint8)].any():
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


def _attr_column(values: pa.Array) -> pa.Array:
    """:func:`_attr` of every string (the kernels run only when some value needs escaping)."""
    values = _safe_column(values, _XML_UNSAFE, _XML_BYTES)
    if not len(values) or not pc.any(pc.match_substring_regex(values, '[&<>"\r\n\t]')).as_py():
        return values
    for old, new in _ATTR_ESCAPES:
        values = pc.replace_substring(values, old, new)
    return values
