"""The ledger's SHA-256 chain in C (optional; :mod:`dncguard._ledger._chain` is its Python twin)."""

from typing_extensions import Buffer

def chain(previous: Buffer, payload: Buffer, /) -> bytes: ...
