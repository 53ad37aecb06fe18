"""Registry downloads -> chunks of numbers for the index: file formats only, no rules.

Each function takes a download's path and the metadata the file cannot carry (the date it was
obtained, the area codes or seller it covers) and returns a :class:`Source`: an iterable of
:class:`~dncguard.layers.Chunk` that reads the file lazily, in constant memory, every time it is
iterated. Arguments are checked when the source is made; the file is read (and its errors, a
:class:`~dncguard.errors.RegistryFormatError` naming the file, archive member and line, raised)
while iterating.

Every reader accepts ``.zip`` archives (one or many members, nested folders), ``.gz`` and bare
files; UTF-8 with or without a byte-order mark; LF, CRLF or CR line ends; blank lines; header and
trailer lines without digits; and checks a trailer's record count (docs/sources.md#what-every-reader-accepts).
Every reader takes ``tuning=`` (a :class:`Tuning`): block and chunk sizes, which never change
what is read, and refusal bounds, which can only be lowered (docs/sources.md#tuning-a-reader).

Every reader fails closed, naming the file, member and line: a download from which no number can
be read (an empty file or member, a zip of only ``__MACOSX/`` entries, XML without ``<ph>``
records) covers nothing and is refused (an empty internal list is allowed); an XML document that
does not close is truncated and refused; a number of the other country (a Canadian number in an
FTC file, a US one in the DNCL) is a :class:`~dncguard.errors.CoverageError` whose
``suggested_source`` names the right reader; an ``obtained`` or request date after today (UTC,
plus a day) is refused; a member that inflates past what an area code could hold, or holds
megabytes without a record, is refused early as not a registry file. Every reader runs in time
linear in its input and in memory bounded by its block size.

>>> import datetime as dt, pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "305.txt"
>>> _ = path.write_text("3055550143\\n3055550199\\n")
>>> src = ftc(path, obtained=dt.date(2026, 3, 10), area_codes=[305])
>>> src.layer.name, [c.numbers.size for c in src], [c.numbers.size for c in src]
('us-ftc', [2], [2])
>>> sorted(SOURCES)
['dncl', 'ftc', 'ftc_changes', 'internal', 'state']
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

from dncguard.sources._read import Tuning
from dncguard.sources._source import Source
from dncguard.sources.dncl import dncl
from dncguard.sources.ftc import ftc, ftc_changes
from dncguard.sources.internal import internal
from dncguard.sources.state import state

__all__ = ["SOURCES", "Source", "Tuning", "dncl", "ftc", "ftc_changes", "internal", "state"]

#: Every reader by name (a test ties this to the modules and to docs/sources.md).
SOURCES: MappingProxyType[str, Callable[..., Source]] = MappingProxyType(
    {
        "dncl": dncl,
        "ftc": ftc,
        "ftc_changes": ftc_changes,
        "internal": internal,
        "state": state,
    }
)
