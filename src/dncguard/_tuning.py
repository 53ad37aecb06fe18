"""What every ``tuning=`` keyword shares (the ``Tuning`` of bulk, replay, sources and the ledger)."""

from __future__ import annotations

from typing import TypeVar

from dncguard.errors import ArgumentError, ArgumentTypeError

T = TypeVar("T")


def resolve_tuning(tuning: object, default: T, public_name: str) -> T:
    """``tuning`` as a caller gave it: an instance of ``default``'s class, or None for
    ``default``; anything else is a ``TypeError`` naming the class by ``public_name``."""
    if tuning is None:
        return default
    if not isinstance(tuning, type(default)):
        raise ArgumentTypeError(f"tuning={tuning!r}: expected a {public_name} or None")
    return tuning


def check_whole(tuning: object, *names: str, least: int = 1) -> None:
    """Each of ``tuning``'s fields ``names`` a whole number, at least ``least`` (a ``ValueError``
    naming the field otherwise): every ``Tuning`` checks its sizes so."""
    for name in names:
        value = getattr(tuning, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ArgumentError(f"Tuning({name}={value!r}): expected a whole number, at least {least}")
