"""The ``dncguard`` command line (placeholder until the command line lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("dncguard: the command line is not built yet", file=sys.stderr)
    return 2
