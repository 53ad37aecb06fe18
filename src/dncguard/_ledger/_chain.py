"""The hash chain over entries' canonical bytes: in C where the optional extension
``dncguard._ledger._chainc`` was built (it lets go of the GIL), else in Python; the same digests.

``digest(seq) = SHA-256(digest(seq - 1) || canonical(seq))``. A payload is entries' canonical
bytes each followed by a line feed (an entry never holds one: it is ASCII JSON), as a page
stores them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import numpy.typing as npt
    import pyarrow as pa
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

try:
    from dncguard._ledger import _chainc
except ImportError:  # not built (no C compiler or no OpenSSL headers where it was installed)
    _chainc = None  # type: ignore[assignment]

__all__ = [
    "COMPILED",
    "Decimals",
    "Numbers",
    "Quoted",
    "Stamps",
    "Taken",
    "Texts",
    "Whole",
    "arrow",
    "chain",
    "chain_lines",
    "iso_times_in_c",
    "join",
    "python_chain",
    "python_join",
]

COMPILED: Final = _chainc is not None
"""Whether the C chain was built (then :func:`chain` runs in C, without the GIL)."""


def iso_times_in_c() -> Callable[[Any, Any], tuple[bytes, bytes, bytes] | None] | None:
    """The C check of text times' usual shape (``_chainc.iso_times``; the numpy twin is
    ``_arrowtext._fixed_shape``), None where it was not built."""
    return None if _chainc is None else getattr(_chainc, "iso_times", None)


def placed_match_in_c() -> Callable[[list[bytes], int, list[tuple[Any, ...]], int], bool] | None:
    """The C comparison of a page's placed entries with its rows of the index of placed calls
    (``_chainc.placed_match``; its Python twin is ``_verify._same_index``), None where it was
    not built."""
    return None if _chainc is None else getattr(_chainc, "placed_match", None)


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


class Quoted:
    """A piece: an Arrow string array (no nulls) of texts that JSON writes as they are (printable
    ASCII without ``"`` or ``\\``, checked by whoever makes it), each written between double
    quotes."""

    __slots__ = ("values",)

    def __init__(self, values: pa.Array) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def arrow(self) -> pa.Array:
        import pyarrow.compute as pc

        return pc.binary_join_element_wise('"', self.values, '"', "")


class Texts:
    """A table of texts encoded once, for pieces that take from it line by line (:class:`Taken`,
    :class:`Whole`) in many joins: the texts, their UTF-8 bytes one after the other and the
    ends (int64, from 0) of each."""

    __slots__ = ("data", "ends", "texts")

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        self.ends, self.data = _table(self.texts)

    def __len__(self) -> int:
        return len(self.texts)


class Taken:
    """A piece: text ``index[i]`` of ``texts`` in line ``i`` (a column of few distinct values)."""

    __slots__ = ("_table", "index", "texts")

    def __init__(self, texts: Sequence[str] | Texts, index: npt.ArrayLike) -> None:
        import numpy as np

        self._table = texts if isinstance(texts, Texts) else None
        self.texts = texts.texts if isinstance(texts, Texts) else list(texts)
        self.index = np.ascontiguousarray(index, np.int64)

    def __len__(self) -> int:
        return len(self.index)

    def table(self) -> tuple[Any, bytes]:
        """The texts' ends and bytes (:class:`Texts`)."""
        return _table(self.texts) if self._table is None else (self._table.ends, self._table.data)

    def arrow(self) -> pa.Array:
        import pyarrow as pa

        return pa.array(self.texts, pa.string()).take(pa.array(self.index))


class Decimals:
    """A piece: ``values[i]`` (uint64) in decimal."""

    __slots__ = ("values",)

    def __init__(self, values: npt.ArrayLike) -> None:
        import numpy as np

        self.values = np.ascontiguousarray(values, np.uint64)

    def __len__(self) -> int:
        return len(self.values)

    def arrow(self) -> pa.Array:
        import pyarrow as pa

        return pa.array(self.values, pa.uint64()).cast(pa.string())


class Whole:
    """A piece of whole lines: where ``index[i]`` is ``k >= 0``, line ``i`` is text ``k`` of
    ``texts`` alone (the other parts are not written for it); where it is -1, nothing (the line
    is the other parts'). At most one a join. An index below -1 or past the texts raises
    ``ValueError``."""

    __slots__ = ("_table", "index", "texts")

    def __init__(self, texts: Sequence[str] | Texts, index: npt.ArrayLike) -> None:
        import numpy as np

        self._table = texts if isinstance(texts, Texts) else Texts(texts)
        self.texts = self._table.texts
        self.index = np.ascontiguousarray(index, np.int64)
        if len(self.index) and (self.index.min() < -1 or self.index.max() >= len(self.texts)):
            raise ValueError("Whole: an index falls outside its texts")

    def __len__(self) -> int:
        return len(self.index)

    def table(self) -> tuple[Any, bytes]:
        return self._table.ends, self._table.data

    def arrow(self) -> pa.Array:
        """Each line's whole text, null where the line is the other parts'."""
        import pyarrow as pa

        texts = pa.array([*self.texts, None], pa.string())
        return texts.take(pa.array(self.index % (len(self.texts) + 1)))


class Numbers:
    """A piece: ``"+1"`` and ``numbers[i]`` (uint64) in decimal between double quotes (the
    E.164 JSON text of a 10-digit number); where it is 0, value ``i`` of ``fallback`` (an Arrow
    string array of JSON texts, or :class:`Quoted`)."""

    __slots__ = ("fallback", "numbers")

    def __init__(self, numbers: npt.ArrayLike, fallback: pa.Array | Quoted) -> None:
        import numpy as np

        self.numbers = np.ascontiguousarray(numbers, np.uint64)
        self.fallback = fallback
        if len(self.numbers) != len(fallback):
            raise ValueError("Numbers: the numbers and their fallback differ in length")

    def __len__(self) -> int:
        return len(self.numbers)

    def arrow(self) -> pa.Array:
        import pyarrow as pa
        import pyarrow.compute as pc

        ints = pa.array(self.numbers)
        fallback = self.fallback.arrow() if isinstance(self.fallback, Quoted) else self.fallback
        e164 = pc.binary_join_element_wise('"+1', ints.cast(pa.string()), '"', "")
        return pc.if_else(pc.equal(ints, pa.scalar(0, pa.uint64())), fallback, e164)


class Stamps:
    """A piece: UTC microseconds ``micros[i]`` at the UTC offset ``offsets[i]`` (seconds) as the
    JSON of an aware datetime: ``"YYYY-MM-DDTHH:MM:SS"``, ``.ffffff`` where there are
    microseconds, then text ``suffix_index[i]`` of ``suffixes`` (the offset as pydantic writes
    it: ``Z``, ``-04:00``) and ``"``; ``null`` where ``valid`` (bool, None: all) is False. Every
    wall time must fall in the years 1 to 9999 (else ``ValueError``, as a datetime would)."""

    __slots__ = ("micros", "offsets", "suffix_index", "suffixes", "valid")

    def __init__(
        self,
        micros: npt.ArrayLike,
        offsets: npt.ArrayLike,
        suffixes: Sequence[str],
        suffix_index: npt.ArrayLike,
        valid: npt.ArrayLike | None = None,
    ) -> None:
        import numpy as np

        self.micros = np.ascontiguousarray(micros, np.int64)
        self.offsets = np.ascontiguousarray(offsets, np.int64)
        self.suffixes = list(suffixes)
        self.suffix_index = np.ascontiguousarray(suffix_index, np.int64)
        self.valid = None if valid is None else np.ascontiguousarray(valid, np.bool_)
        n = len(self.micros)
        if not (
            len(self.offsets) == len(self.suffix_index) == n and (self.valid is None or len(self.valid) == n)
        ):
            raise ValueError("Stamps: the columns differ in length")
        used = self.micros if self.valid is None else self.micros[self.valid]
        used_offsets = self.offsets if self.valid is None else self.offsets[self.valid]
        if len(used) and (
            np.abs(used_offsets).max() >= 86_400 or used.min() < _FIRST_US or used.max() > _LAST_US
        ):
            raise ValueError("a time or its UTC offset is out of range (years 1 to 9999)")
        if len(used):
            local = used + used_offsets * 1_000_000
            if local.min() < _FIRST_US or local.max() > _LAST_US:
                raise ValueError("a time falls outside the years 1 to 9999 at its UTC offset")

    def __len__(self) -> int:
        return len(self.micros)

    def arrow(self) -> pa.Array:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        valid = self.valid
        micros = self.micros if valid is None else np.where(valid, self.micros, 0)
        offsets = self.offsets if valid is None else np.where(valid, self.offsets, 0)
        local = micros + offsets * 1_000_000
        seconds, fraction = np.divmod(local, 1_000_000)
        # Arrow writes a timestamp as ``YYYY-MM-DD HH:MM:SS`` (years 1 to 9999 in four digits, as
        # isoformat does): its one space made the ``T``.
        wall: Any = pc.replace_substring(
            pa.array(seconds.astype("datetime64[s]")).cast(pa.string()), " ", "T", max_replacements=1
        )
        if fraction.any():  # microseconds, six digits, where there are any (as isoformat writes them)
            digits = pc.utf8_lpad(pa.array(fraction).cast(pa.string()), width=6, padding="0")
            wall = pc.if_else(
                pa.array(fraction != 0), pc.binary_join_element_wise(wall, ".", digits, ""), wall
            )
        suffix = Taken(self.suffixes, self.suffix_index).arrow()
        out = pc.binary_join_element_wise('"', wall, suffix, '"', "")
        if valid is not None and not valid.all():
            out = pc.if_else(pa.array(valid), out, "null")
        return out


_FIRST_US: Final = -62_135_596_800_000_000
"""0001-01-01T00:00:00 in microseconds from 1970-01-01."""
_LAST_US: Final = 253_402_300_799_999_999
"""9999-12-31T23:59:59.999999 in microseconds from 1970-01-01."""


def arrow(part: Any) -> Any:
    """A part as :func:`join`'s Arrow twin takes it: text or an Arrow array (pieces made into
    Arrow string arrays)."""
    return part.arrow() if isinstance(part, Quoted | Taken | Numbers | Stamps | Decimals) else part


def _table(texts: Sequence[str]) -> tuple[Any, bytes]:
    import numpy as np

    encoded = [t.encode() for t in texts]
    ends = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=ends[1:])
    return ends, b"".join(encoded)


def _array(part: pa.Array, n: int) -> tuple[Any, Any, int] | None:
    import pyarrow as pa

    if part.type != pa.string() or part.null_count or len(part) != n:
        return None
    _, offsets, data = part.buffers()
    return (offsets, b"" if data is None else data, part.offset)


def join(
    parts: Sequence[Any], n: int, first_seq: int, allocate: Callable[[int], Any] | None = None
) -> tuple[Any, Any] | None:
    """In C (None where it was not built, or for a part it does not take): ``n`` lines, line
    ``i`` the parts' ``i``-th values one after the other, then a line feed. A part is text (the
    same in every line), None (the line's seq, ``first_seq + i``), an Arrow string array of ``n``
    values without nulls, or a :class:`Quoted`, :class:`Taken`, :class:`Numbers`,
    :class:`Stamps`, :class:`Decimals` or :class:`Whole` (at most one) of ``n`` values. Returns
    the lines and their ends (``n + 1`` int64 values from 0, as bytes). The GIL is let go
    meanwhile. The Python twin is :func:`python_join`: Arrow's ``binary_join_element_wise``
    over the same parts, each made an Arrow array (:func:`arrow`; the seq as an Arrow array; a
    whole line where :class:`Whole` has one), as ``_store._lines`` joins them where this is not
    built.

    ``allocate(size)``: where given, makes the buffers the lines and their ends are written into
    (each new, writable, at least ``size`` bytes: ``pyarrow.allocate_buffer``, whose memory pool
    keeps its pages, where a fresh ``bytes`` of some megabytes has its pages faulted in, which
    costs more than joining the lines), returned instead of ``bytes``."""
    if _chainc is None:
        return None
    import pyarrow as pa

    pieces: list[Any] = []
    for part in parts:
        if part is None:
            pieces.append(None)
        elif isinstance(part, str):
            if pieces and isinstance(pieces[-1], bytes):  # one copy for text side by side
                pieces[-1] += part.encode()
            elif part:
                pieces.append(part.encode())
        elif isinstance(part, Quoted):
            got = _array(part.values, n)
            if got is None:
                return None
            pieces.append((1, *got))
        elif isinstance(part, Taken):
            if len(part) != n:
                return None
            pieces.append((2, *part.table(), part.index))
        elif isinstance(part, Numbers):
            fallback = part.fallback
            fb = _array(fallback.values if isinstance(fallback, Quoted) else fallback, n)
            if fb is None or len(part) != n:
                return None
            pieces.append((3, part.numbers, (1, *fb) if isinstance(fallback, Quoted) else fb))
        elif isinstance(part, Stamps):
            if len(part) != n:
                return None
            valid = None if part.valid is None else part.valid.view("uint8")
            pieces.append((4, part.micros, part.offsets, *_table(part.suffixes), part.suffix_index, valid))
        elif isinstance(part, Decimals):
            if len(part) != n:
                return None
            pieces.append((5, part.values))
        elif isinstance(part, Whole):
            if len(part) != n:
                return None
            pieces.append((6, *part.table(), part.index))
        elif isinstance(part, pa.Array):
            got = _array(part, n)
            if got is None:
                return None
            pieces.append(got)
        else:
            return None
    if allocate is None:
        return _chainc.join(pieces, n, first_seq)
    return _chainc.join(pieces, n, first_seq, allocate)


def python_join(parts: Sequence[Any], n: int, first_seq: int) -> tuple[bytes, bytes]:
    """:func:`join` with Arrow (what runs where the C join was not built): the same bytes."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    wholes = [p for p in parts if isinstance(p, Whole)]
    if len(wholes) > 1:
        raise ValueError("join(): at most one piece of whole lines")
    seqs = pa.array(np.arange(first_seq, first_seq + n, dtype=np.int64)).cast(pa.string())
    merged = [seqs if p is None else "" if isinstance(p, Whole) else arrow(p) for p in parts]
    if not any(isinstance(p, pa.Array) for p in merged):
        merged.append(pa.array([""] * n, pa.string()))
    joined = pc.binary_join_element_wise(*merged, "\n", "")
    if wholes:
        whole = wholes[0].arrow()
        joined = pc.if_else(pc.is_null(whole), joined, pc.binary_join_element_wise(whole, "\n", ""))
    if not n:
        return b"", bytes(8)
    # The joined bytes as Arrow laid them out, and their ends from 0.
    _, offsets_buf, data_buf = joined.buffers()
    wide = pa.types.is_large_string(joined.type)
    offsets = np.frombuffer(
        offsets_buf, np.int64 if wide else np.int32, n + 1, joined.offset * (8 if wide else 4)
    )
    ends = offsets.astype(np.int64) - int(offsets[0])
    return memoryview(data_buf)[int(offsets[0]) : int(offsets[-1])].tobytes(), ends.tobytes()
