"""The hash chain over entries' canonical bytes: in C where the optional extension
``dncguard._ledger._chainc`` was built (it lets go of the GIL), else in Python; the same digests.

``digest(seq) = SHA-256(digest(seq - 1) || canonical(seq))``. A payload is entries' canonical
bytes each followed by a line feed (an entry never holds one: it is ASCII JSON), as a page
stores them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

try:
    from dncguard._ledger import _chainc
except ImportError:  # not built (no C compiler or no OpenSSL headers where it was installed)
    _chainc = None  # type: ignore[assignment]

__all__ = ["COMPILED", "chain", "chain_lines", "join", "python_chain"]

COMPILED: Final = _chainc is not None
"""Whether the C chain was built (then :func:`chain` runs in C, without the GIL)."""


def python_chain(previous: bytes, payload: Buffer) -> bytes:
    """:func:`chain` in Python."""
    lines = bytes(payload).split(b"\n")
    lines.pop()  # after the last line feed: not an entry
    return chain_lines(previous, lines)


def chain_lines(previous: bytes, lines: Sequence[bytes]) -> bytes:
    """The digests (32 bytes each, one after the other) of ``lines`` chained from ``previous``."""
    sha256 = hashlib.sha256
    out: list[bytes] = []
    append = out.append
    for line in lines:
        previous = sha256(previous + line).digest()
        append(previous)
    return b"".join(out)


def chain(previous: bytes, payload: Buffer) -> bytes:
    """The digests (32 bytes each, one after the other) of the entries of ``payload`` (each
    ended by a line feed; bytes after the last one are not an entry), chained from
    ``previous`` (32 bytes). In C when built (the GIL let go meanwhile), else in Python."""
    if _chainc is not None:
        return _chainc.chain(previous, payload)
    return python_chain(previous, payload)


def join(parts: Sequence[Any], n: int, first_seq: int) -> tuple[bytes, bytes] | None:
    """In C (None where it was not built, or for a part it does not take): ``n`` lines, line
    ``i`` the parts' ``i``-th values one after the other, then a line feed. A part is text (the
    same in every line), None (the line's seq, ``first_seq + i``), or an Arrow string array of
    ``n`` values without nulls. Returns the lines and their ends (``n + 1`` int64 values from 0,
    as bytes). The GIL is let go meanwhile. The Python twin is Arrow's
    ``binary_join_element_wise`` over the same parts (the seq as an Arrow array)."""
    if _chainc is None:
        return None
    import pyarrow as pa

    pieces: list[Any] = []
    for part in parts:
        if part is None:
            pieces.append(None)
        elif isinstance(part, str):
            pieces.append(part.encode())
        elif (
            isinstance(part, pa.Array) and part.type == pa.string() and not part.null_count and len(part) == n
        ):
            _, offsets, data = part.buffers()
            pieces.append((offsets, b"" if data is None else data, part.offset))
        else:
            return None
    return _chainc.join(pieces, n, first_seq)
