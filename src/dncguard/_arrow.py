"""Small Arrow helpers shared by the bulk engine and the command line."""

from __future__ import annotations

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
