"""US state do-not-call lists (Texas, Florida, Pennsylvania, ...): one number per row.

No state publishes a file layout (RULES.md §4.3); Texas law says its list holds names and
telephone numbers. A state list is therefore read as delimited text (comma, tab, semicolon or
pipe) with one number per row, extra columns ignored and an optional header. With a header, the
number column is the first whose name mentions ``phone``, ``number`` or ``tel``; without one, it is
the first column of the first row that holds a 10- or 11-digit number. The list replaces its
``us-xx`` layer as a whole.

>>> import datetime as dt, pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tx.csv"
>>> _ = path.write_text("Name,Phone,ZIP\\nAl Doe,512-555-0143,78701\\n")
>>> [(c.layer.name, c.numbers.tolist()) for c in state("US-TX", path, obtained=dt.date(2026, 1, 2))]
[('us-tx', [5125550143])]
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator

from dncguard.layers import Chunk, LayerKey, Op
from dncguard.sources._delimited import csv_batches, numbers_of
from dncguard.sources._read import members
from dncguard.sources._source import Batcher, Source, check_date, check_obtained, existing_file

__all__ = ["state"]

_NUMBER_NAME = re.compile(r"phone|number|tel", re.IGNORECASE)
_NUMBER_FIELD = re.compile(r"\D*1?\D*[2-9]\d{2}\D*[2-9]\d{2}\D*\d{4}\D*")


def state(
    region: str, path: str | os.PathLike[str], *, obtained: dt.date, published: dt.date | None = None
) -> Source:
    """A US state list for ``region`` (ISO 3166-2, e.g. ``"US-TX"``).

    ``obtained`` is the date the list was obtained; ``published``, when known, the date the state
    issued it (lists are mostly quarterly).
    """
    layer = LayerKey.state(region)
    p = existing_file(path, "state")
    ob = check_obtained(obtained, "state", p)
    pub = check_date(published, "state", "published")
    return Source("state", p, layer, ob, published=pub, _read=lambda: _read(p, layer, ob, pub))


def _layout(header: list[str] | None, row: list[str] | None) -> dict[str, int]:
    if header is not None:
        named = [i for i, name in enumerate(header) if _NUMBER_NAME.search(name)]
        if named:
            return {"number": named[0]}
        if len(header) == 1:
            return {"number": 0}
        raise ValueError(f"no phone-number column in the header {header}: expected one named phone or number")
    if row is not None:
        for i, field in enumerate(row):
            if _NUMBER_FIELD.fullmatch(field.strip()):
                return {"number": i}
        raise ValueError(f"no phone number in the first row {row}")
    return {"number": 0}


def _read(path: str, layer: LayerKey, obtained: dt.date, published: dt.date | None) -> Iterator[Chunk]:
    batch = Batcher(layer, Op.REPLACE, obtained=obtained, published=published, source=path)
    for member in members(path):
        for b in csv_batches(member, _layout):
            numbers, _ = numbers_of(member, b.columns["number"], b.line_of)
            yield from batch.add(numbers)
    yield from batch.flush()
