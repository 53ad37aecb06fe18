"""The Canadian National Do Not Call List (DNCL): full downloads.

Subscribers download one zip holding one file per area code (NPA) or a single file for the whole
national list, as flat text (``416,1234567`` per line) or XML (``<ac val='416'>`` holding
``<ph val='1234567' />``; the operator's published sample is not well-formed, and is read
anyway). See the CRTC/operator brochure "File Formats" and docs/sources.md. Incremental downloads
are not documented; a download replaces the ``ca-dncl`` layer for the area codes it covers.

>>> import datetime as dt, pathlib, tempfile, zipfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "dncl.zip"
>>> with zipfile.ZipFile(path, "w") as z:
...     z.writestr("416.txt", "416,5550143\\n416,5550199\\n")
...     z.writestr("709.txt", "709,5550100\\n")
>>> [chunk] = dncl(path, obtained=dt.date(2026, 3, 10))
>>> chunk.layer.name, chunk.numbers.tolist(), sorted(chunk.coverage)
('ca-dncl', [4165550143, 4165550199, 7095550100], [416, 709])

A member from which no number can be read covers nothing: it is refused, like a US number.

>>> with zipfile.ZipFile(path, "a") as z:
...     z.writestr("905.txt", "")
>>> list(dncl(path, obtained=dt.date(2026, 3, 10)))
Traceback (most recent call last):
...
dncguard.errors.RegistryFormatError: .../dncl.zip:905.txt: no number can be read from this archive member...
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable

from dncguard.layers import LayerKey
from dncguard.sources._full import read_full
from dncguard.sources._read import Tuning, resolve
from dncguard.sources._source import Source, check_area_codes, check_obtained, existing_file

__all__ = ["dncl"]


def dncl(
    path: str | os.PathLike[str],
    *,
    obtained: dt.date,
    area_codes: Iterable[int | str] | None = None,
    tuning: Tuning | None = None,
) -> Source:
    """A National DNCL full download: a zip of per-area-code files or one national file.

    ``obtained`` is the date the download was obtained; ``area_codes`` the area codes it covers
    (by default those named by the zip members, ``416.txt``, or else those in the data).
    ``tuning`` (a :class:`~dncguard.sources.Tuning`): block and chunk sizes, refusal bounds.
    """
    p = existing_file(path, "dncl")
    ob = check_obtained(obtained, "dncl", p)
    acs = check_area_codes(area_codes)
    tune = resolve(tuning, "dncl")
    layer = LayerKey.national("CA")
    return Source("dncl", p, layer, ob, area_codes=acs, _read=lambda: read_full(p, layer, ob, acs, tune))
