"""What every ``tuning=`` keyword shares (``bulk.Tuning``, ``replay.Tuning``): one way to take it."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def resolve_tuning(tuning: object, default: T, public_name: str) -> T:
    """``tuning`` as a caller gave it: an instance of ``default``'s class, or None for
    ``default``; anything else is a ``TypeError`` naming the class by ``public_name``."""
    if tuning is None:
        return default
    if not isinstance(tuning, type(default)):
        raise TypeError(f"tuning={tuning!r}: expected a {public_name} or None")
    return tuning
