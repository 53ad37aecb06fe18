"""Small Arrow helpers shared by the bulk engine and the command line."""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# A value may start or end with whitespace when its first or last byte is ASCII whitespace as
# Arrow (and Python's str.isspace) reads it, or a byte of a multi-byte character (Unicode spaces
# such as U+00A0 are not ASCII).
_ASCII_SPACES = " \t\n\v\f\r\x1c\x1d\x1e\x1f"
_MAY_BE_SPACE = np.zeros(256, bool)
_MAY_BE_SPACE[[ord(c) for c in _ASCII_SPACES]] = True
_MAY_BE_SPACE[0x80:] = True

DATE_TIME_TEXT: Final = (
    r"^\d{4}-\d\d-\d\d[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?$"
)
"""Date-time text whose date is its first ten characters, as ``dncguard.models`` reads a date-time
given for a date (its date as written): a date, a valid time of day and an optional UTC offset, the
whole text. Only text of this shape is cut to its first ten characters where a date is read (bulk
and the command line): ``"2025-12-01 junk"`` is no date."""


def trimmed(values: pa.Array) -> pa.Array:
    """``pc.utf8_trim_whitespace(values)``, without the copy when no value needs trimming (the
    common case: a look at each value's first and last byte)."""
    if pa.types.is_string(values.type) and len(values):
        _, offsets_buf, data = values.buffers()
        offsets = np.frombuffer(offsets_buf, np.int32, count=len(values) + 1, offset=values.offset * 4)
        if data is None:
            return values  # every value null or empty
        start, end = offsets[:-1], offsets[1:]
        filled = end > start
        bytes_ = np.frombuffer(data, np.uint8)
        if not (_MAY_BE_SPACE[bytes_[start[filled]]].any() or _MAY_BE_SPACE[bytes_[end[filled] - 1]].any()):
            return values
    return pc.utf8_trim_whitespace(values)
