"""``dncguard build`` and ``dncguard update``: source flags -> sources -> an index file."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from dncguard.cli._common import EXIT_OK, _existing, _output, _Progress
from dncguard.errors import UsageError

if TYPE_CHECKING:
    from dncguard.layers import Chunk
    from dncguard.registry import Registry

# --- build / update ---------------------------------------------------------------------------


def _iso_date(text: str, *, flag: str, spec: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {spec}: {text!r} is not a date: write PATH@YYYY-MM-DD") from None


def _path_at(spec: str, flag: str) -> tuple[str, dt.date]:
    """Split ``PATH@DATE``; the date is required (the 31-day rule is counted from it)."""
    path, sep, date = spec.rpartition("@")
    if not sep or not path:
        raise UsageError(
            f"{flag} {spec}: the date the list was obtained is required: write {flag} {spec}@YYYY-MM-DD"
        )
    return _existing(path, flag), _iso_date(date, flag=flag, spec=spec)


def _open_source(kind: str, spec: str) -> Iterable[Chunk]:
    """The source one flag names: ``--ftc PATH@DATE``, ``--state REGION=PATH@DATE``, ..."""
    from dncguard import sources

    flag = "--" + kind.replace("_", "-")
    if kind == "internal":
        seller, sep, rest = spec.partition("=")
        if sep and seller and os.sep not in seller and "/" not in seller and not os.path.exists(spec):
            return sources.internal(_existing(rest, flag), seller=seller)
        return sources.internal(_existing(spec, flag))
    if kind == "state":
        region, sep, rest = spec.partition("=")
        if not sep or not region:
            raise UsageError(
                f"--state {spec}: write --state REGION=PATH@DATE, e.g. US-TX=texas.csv@2026-03-01"
            )
        path, obtained = _path_at(rest, flag)
        return sources.state(region.strip().upper(), path, obtained=obtained)
    path, obtained = _path_at(spec, flag)
    read = {"ftc": sources.ftc, "ftc_changes": sources.ftc_changes, "dncl": sources.dncl}[kind]
    return read(path, obtained=obtained)


def _sources(args: argparse.Namespace, progress: _Progress) -> list[Iterable[Chunk]]:
    """The sources the flags name (the registry applies them in the order of their dates)."""
    flags: list[tuple[str, str]] = args.sources or []
    if not flags:
        raise UsageError(
            "no sources given: add at least one of --ftc, --ftc-changes, --dncl, --state, --internal"
        )
    opened = [_open_source(kind, spec) for kind, spec in flags]
    if not progress.enabled:
        return opened
    return [_Counted(source, spec, progress) for source, (_, spec) in zip(opened, flags, strict=True)]


class _Counted:
    """A source whose chunks, as they are read, move the progress line on."""

    def __init__(self, source: Iterable[Chunk], label: str, progress: _Progress) -> None:
        self.source, self.label, self.progress = source, label, progress

    def __iter__(self) -> Iterator[Chunk]:
        count = 0
        self.progress.show(f"reading {self.label} ...", force=True)
        for chunk in self.source:
            count += len(chunk.numbers)
            self.progress.show(f"reading {self.label}: {count:,} numbers")
            yield chunk


def _summary(registry: Registry, path: str) -> str:
    """One line: the file, the registry id, and each layer with its count of numbers."""
    layers = ", ".join(f"{layer.name} ({layer.count:,})" for layer in registry.layers)
    return f"wrote {path} ({registry.id}): {len(registry.layers)} layer(s): {layers or 'none'}"


def _cmd_build(args: argparse.Namespace) -> int:
    from dncguard.registry import Registry

    out = _output(args.out, "OUT")
    progress = _Progress()
    registry = Registry.build(_sources(args, progress))
    progress.show(f"writing {out} ...", force=True)
    registry.save(out)
    progress.done()
    print(_summary(registry, out))  # on stdout, terminal or not: a cron log records what was written
    return EXIT_OK


def _cmd_update(args: argparse.Namespace) -> int:
    from dncguard.registry import Registry

    progress = _Progress()
    sources = _sources(args, progress)
    progress.show(f"updating {args.index} ...", force=True)
    # under the index's lock: a concurrent update waits, and neither is lost
    registry = Registry.update_file(_existing(args.index, "INDEX"), sources)
    progress.done()
    print(_summary(registry, args.index))
    return EXIT_OK
