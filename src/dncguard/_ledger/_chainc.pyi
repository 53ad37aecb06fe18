"""The ledger's SHA-256 chain in C (optional; :mod:`dncguard._ledger._chain` is its Python twin)."""

from collections.abc import Callable, Sequence
from typing import Any

from typing_extensions import Buffer

def chain(previous: Buffer, payload: Buffer, /) -> bytes: ...
def join(
    pieces: Sequence[Any], n: int, first_seq: int, allocate: Callable[[int], Any] = ..., /
) -> tuple[Any, Any]: ...
def iso_times(offsets: Buffer, data: Buffer, /) -> tuple[bytes, bytes] | None: ...
