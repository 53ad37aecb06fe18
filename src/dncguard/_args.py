"""Checks of arguments shared by public functions: a wrong one is an
:class:`~dncguard.errors.ArgumentTypeError` or :class:`~dncguard.errors.ArgumentError` naming it.

>>> fspath(3, "Registry.open")
Traceback (most recent call last):
...
dncguard.errors.ArgumentTypeError: Registry.open(): path must be a str or os.PathLike, got int
>>> seconds(-1, "timeout")
Traceback (most recent call last):
...
dncguard.errors.ArgumentError: timeout=-1: expected seconds, 0 or more
"""

from __future__ import annotations

import os
from typing import Any

from dncguard.errors import ArgumentError, ArgumentTypeError


def fspath(path: Any, fn: str) -> str:
    """``path`` as a string (``os.fspath``), naming ``fn`` when it is not a path."""
    try:
        name: str = os.fspath(path)
    except TypeError:
        kind = type(path).__name__
        raise ArgumentTypeError(f"{fn}(): path must be a str or os.PathLike, got {kind}") from None
    return name


def seconds(value: Any, name: str) -> float:
    """A number of seconds, 0 or more (``timeout=``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentTypeError(f"{name}={value!r}: expected seconds (a number)")
    if not value >= 0:
        raise ArgumentError(f"{name}={value!r}: expected seconds, 0 or more")
    return float(value)
