"""``dncguard build`` and ``dncguard update``: source flags -> sources -> an index file."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import stat
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from dncguard._indexfile import _locked
from dncguard.cli._common import EXIT_OK, _existing, _index_path, _output, _Progress
from dncguard.errors import DncguardError, UsageError

if TYPE_CHECKING:
    from dncguard.layers import Chunk, LayerKey
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


def _area_codes(text: str, *, flag: str, spec: str) -> list[str]:
    codes = [c.strip() for c in text.split(",") if c.strip()]
    if not codes:
        raise UsageError(f"{flag} {spec} --area-codes {text!r}: list the area codes, e.g. 212,646")
    return codes


def _open_source(kind: str, spec: str, options: dict[str, str] | None = None) -> Iterable[Chunk]:
    """The source one flag names: ``--ftc PATH@DATE``, ``--state REGION=PATH@DATE``, ..., with
    the source options that follow it (``--area-codes``, ``--published``, ``--number-column``)."""
    from dncguard import sources

    flag = "--" + kind.replace("_", "-")
    options = options or {}
    column = options.get("number_column")
    if column is not None and not column.strip():
        raise UsageError(f"{flag} {spec} --number-column: name the column holding the numbers")
    if kind == "internal":
        seller, sep, rest = spec.partition("=")
        if sep and seller and os.sep not in seller and "/" not in seller and not os.path.exists(spec):
            return sources.internal(_existing(rest, flag), seller=seller, number_column=column)
        return sources.internal(_existing(spec, flag), number_column=column)
    if kind == "state":
        region, sep, rest = spec.partition("=")
        if not sep or not region:
            raise UsageError(
                f"--state {spec}: write --state REGION=PATH@DATE, e.g. US-TX=texas.csv@2026-03-01"
            )
        path, obtained = _path_at(rest, flag)
        published = options.get("published")
        return sources.state(
            region.strip().upper(),
            path,
            obtained=obtained,
            published=None if published is None else _iso_date(published, flag="--published", spec=spec),
            number_column=column,
        )
    path, obtained = _path_at(spec, flag)
    read = {"ftc": sources.ftc, "ftc_changes": sources.ftc_changes, "dncl": sources.dncl}[kind]
    codes = options.get("area_codes")
    if codes is None:
        return read(path, obtained=obtained)
    return read(path, obtained=obtained, area_codes=_area_codes(codes, flag=flag, spec=spec))


# The Python API's words in a source's error, and the command line's (one mapping, here): a
# message telling a command-line user to "pass area_codes=" names the flag that does it.
_CLI_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"\bpass area_codes= listing", "give --area-codes (after the source flag) listing"),
        (r"\barea_codes=", "--area-codes"),
        (r"\bwith number_column=", "with --number-column (after the source flag)"),
        (r"\bnumber_column=", "--number-column"),
        (r"\bpass seller= or add", "write --internal SELLER=PATH or add"),
        (r"\bseller=", "SELLER= (--internal SELLER=PATH)"),
        (r"\bpublished=", "--published"),
        (r"\bobtained=(\d\S*)", r"the date @\1"),
        (r"\bobtained=", "the @DATE"),
        (r"\bsources\.ftc_changes\(\.\.\.\)", "--ftc-changes"),
        (r"\bsources\.ftc\(\.\.\.\)", "--ftc"),
        (r"\bsources\.dncl\(\.\.\.\)", "--dncl"),
        (r"\bsources\.state\(\.\.\.\)", "--state"),
        (r"\bsources\.internal\(\.\.\.\)", "--internal"),
        (r"\bftc_changes\(\)", "--ftc-changes"),
        (r"(?<![-\w])(ftc|dncl|state|internal)\(\)", r"--\1"),
    )
)


def cli_words(message: str) -> str:
    """A source's error message in the command line's words: ``pass area_codes=`` -> ``give
    --area-codes``, ``sources.dncl(...)`` -> ``--dncl``, ``state():`` -> ``--state:``.

    >>> cli_words("read this download with sources.dncl(...)")
    'read this download with --dncl'
    """
    for pattern, words in _CLI_WORDS:
        message = pattern.sub(words, message)
    return message


@contextlib.contextmanager
def _in_cli_words() -> Iterator[None]:
    """Errors of the sources read in the block, reworded for the command line (exit 2 still)."""
    try:
        yield
    except (DncguardError, ValueError, TypeError) as e:
        message = cli_words(str(e))
        if message == str(e) and not isinstance(e, TypeError):
            raise
        raise UsageError(message) from e


def _sources(args: argparse.Namespace, progress: _Progress) -> list[Iterable[Chunk]]:
    """The sources the flags name (the registry applies them in the order of their dates)."""
    flags: list[tuple[str, str, dict[str, str]]] = args.sources or []
    if not flags:
        raise UsageError(
            "no sources given: add at least one of --ftc, --ftc-changes, --dncl, --state, --internal"
        )
    lists: dict[LayerKey, tuple[dt.date | None, str]] = {}
    opened: list[Iterable[Chunk]] = [
        _OneList(_open_source(kind, spec, options), f"--{kind.replace('_', '-')} {spec}", lists)
        for kind, spec, options in flags
    ]
    if not progress.enabled:
        return opened
    return [_Counted(source, spec, progress) for source, (_, spec, _) in zip(opened, flags, strict=True)]


class _OneList:
    """A source's chunks, refusing a state or internal list that another source of the same
    command gives too, of the same day (internal lists have none): the registry applies a list
    as a replacement of the whole layer, so the later would drop the earlier's numbers without a
    word (two files for one seller, once names are compared as one). ``lists``: the lists met so
    far, shared by the command's sources."""

    def __init__(
        self, source: Iterable[Chunk], label: str, lists: dict[LayerKey, tuple[dt.date | None, str]]
    ) -> None:
        self.source, self.label, self.lists = source, label, lists

    def __iter__(self) -> Iterator[Chunk]:
        from dncguard.layers import LayerKind, Op

        for chunk in self.source:
            key = chunk.layer
            if chunk.op is Op.REPLACE and key.kind is not LayerKind.NATIONAL:
                first = self.lists.setdefault(key, (chunk.obtained, self.label))
                if first[1] != self.label and first[0] == chunk.obtained:
                    day = "no date" if chunk.obtained is None else f"obtained {chunk.obtained.isoformat()}"
                    raise UsageError(
                        f"{self.label}: {first[1]} gives the {key.name} list too ({day}, both): the"
                        " later would replace the earlier whole and drop its numbers; join the two"
                        " files into one list"
                    )
            yield chunk


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


_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)d)?")


def keep_history(text: str) -> dt.timedelta:
    """``--keep-history``: days (``1462``), or years and days (``4y1d``, ``2y``, ``90d``).

    A year counts as the most days that many calendar years can span (366 for one, 1461 for
    four: 365.25 a year, rounded up), so ``4y1d`` keeps at least four years and a day, the
    default.

    >>> keep_history("4y1d"), keep_history("1462"), keep_history("90d")
    (datetime.timedelta(days=1462), datetime.timedelta(days=1462), datetime.timedelta(days=90))
    >>> keep_history("4 years")
    Traceback (most recent call last):
        ...
    dncguard.errors.UsageError: --keep-history '4 years': write days (1462) or years and days (4y1d, 90d)
    """
    spec = text.strip().lower()
    m = _DURATION.fullmatch(spec)
    if spec.isdigit():
        days = int(spec)
    elif m is not None and spec:
        years, extra = int(m.group(1) or 0), int(m.group(2) or 0)
        days = -(-years * 1461 // 4) + extra
    else:
        raise UsageError(f"--keep-history {text!r}: write days (1462) or years and days (4y1d, 90d)")
    if days > 365_000:
        raise UsageError(f"--keep-history {text!r}: at most 1000 years")
    return dt.timedelta(days=days)


def add_history_flag(p: argparse.ArgumentParser) -> None:
    """``--keep-history`` of ``build`` and ``update``."""
    p.add_argument(
        "--keep-history",
        metavar="DURATION",
        help="keep the registry's history for at least this long, counted back from the newest "
        "change: days (1462) or years and days (4y1d; a year counts 365.25 days, rounded up); "
        "default 4y1d, the limitation period of a private TCPA action",
    )


def _keep(args: argparse.Namespace) -> dt.timedelta:
    from dncguard.registry import KEEP_HISTORY

    value = getattr(args, "keep_history", None)
    return KEEP_HISTORY if value is None else keep_history(value)


def _replaceable(out: str) -> None:
    """``OUT`` may be replaced: missing, empty, or a dncguard index. Anything else (a download
    given as ``OUT`` by mistake, a call file, a directory or FIFO) would be lost or hang: refused
    before a source is read."""
    from dncguard.index._format import MAGIC

    try:
        mode = os.stat(out).st_mode
    except FileNotFoundError:
        return
    except OSError:
        return  # the save names it
    if not stat.S_ISREG(mode):
        raise UsageError(f"{out}: not a regular file, so not an index file to replace (OUT)")
    try:
        with open(out, "rb") as f:
            head = f.read(len(MAGIC))
    except OSError:
        return  # the save names it
    if head and head != MAGIC:
        raise UsageError(
            f"{out}: exists and is not a dncguard index: building would replace it (OUT is the "
            "index file to write, after the source flags); give another name, or remove it first"
        )


def _cmd_build(args: argparse.Namespace) -> int:
    from dncguard.registry import Registry

    out = _output(args.out, "OUT")
    _replaceable(out)
    progress = _Progress()
    with _in_cli_words():
        registry = Registry().update(_sources(args, progress), keep_history=_keep(args))
    progress.show(f"writing {out} ...", force=True)
    # under the lock update takes: an update running meanwhile (it read the old index) finishes
    # first, then this build replaces its result, instead of saving the old data over this one
    with _locked(os.path.realpath(out) + ".lock", None):
        registry.save(out)
    progress.done()
    print(_summary(registry, out))  # on stdout, terminal or not: a cron log records what was written
    return EXIT_OK


def _cmd_update(args: argparse.Namespace) -> int:
    from dncguard.registry import Registry

    index = _index_path(args)
    progress = _Progress()
    with _in_cli_words():
        sources = _sources(args, progress)
        progress.show(f"updating {index} ...", force=True)
        # under the index's lock: a concurrent update waits, and neither is lost
        registry = Registry.update_file(_existing(index, "INDEX"), sources, keep_history=_keep(args))
    progress.done()
    print(_summary(registry, index))
    return EXIT_OK
