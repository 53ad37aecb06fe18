"""US state do-not-call lists (Texas, Florida, Pennsylvania, ...): one number per row.

No state publishes a file layout (docs/sources.md#state-lists); Texas law says its list holds names and
telephone numbers. A state list is therefore read as delimited text (comma, tab, semicolon or
pipe) with one number per row, extra columns ignored and an optional header. With a header, the
number column is the one named like a phone number (``Phone``, ``Telephone``, ``Phone Number``;
one that only mentions a number, like ``Account Number``, comes last), or the one
``number_column=`` names; without a header, it is the first column of the first row that holds
a 10- or 11-digit number. The list replaces its ``us-xx`` layer as a whole; a list from which no
number can be read, a Canadian number, and a region that is not a state or DC are refused.

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

import numpy as np

from dncguard import geography
from dncguard.errors import ArgumentTypeError, RegistryFormatError
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.sources._delimited import Layout, csv_batches, numbers_of, pick_number_column
from dncguard.sources._full import foreign, foreign_error
from dncguard.sources._read import Tuning, members, resolve
from dncguard.sources._source import Batcher, Source, check_date, check_obtained, existing_file

__all__ = ["TERRITORIES", "check_region", "state"]

_E7 = np.uint64(10_000_000)

_NUMBER_FIELD = re.compile(r"\D*1?\D*[2-9]\d{2}\D*[2-9]\d{2}\D*\d{4}\D*")

#: The US territories: their numbers are on the FTC registry (docs/defaults.md) and dncguard knows
#: no do-not-call list of their own, so ``state()`` takes the 50 states and DC only.
TERRITORIES = frozenset({"US-AS", "US-GU", "US-MP", "US-PR", "US-UM", "US-VI"})


def check_region(region: object, path: str | None = None) -> str:
    """``region`` as ``US-XX``: one of the 50 states or DC; anything else is a named error."""
    if not isinstance(region, str):
        raise ArgumentTypeError(f"state(): region must be a str such as 'US-TX', got {region!r}")
    try:
        country = geography.region_country(region)
    except ValueError as e:
        raise RegistryFormatError(f"state(): {e}", path=path) from None
    key = region.strip().upper().replace("_", "-")
    if len(key) != 5:  # a name such as "Texas": geography knows it, the layer wants the code
        raise RegistryFormatError(f"state(): region {region!r}: expected ISO 3166-2 like 'US-TX'", path=path)
    if country != "US":
        raise RegistryFormatError(
            f"state(): {key} is a Canadian province or territory: state lists are US states'; "
            "Canadian numbers are on the National DNCL: sources.dncl(...)",
            path=path,
        )
    if key in TERRITORIES:
        raise RegistryFormatError(
            f"state(): {key} is a US territory: its numbers are on the FTC registry "
            "(sources.ftc(...)); state() reads the lists of the 50 states and DC",
            path=path,
        )
    return key


def state(
    region: str,
    path: str | os.PathLike[str],
    *,
    obtained: dt.date,
    published: dt.date | None = None,
    number_column: str | None = None,
    tuning: Tuning | None = None,
) -> Source:
    """A US state list for ``region`` (ISO 3166-2, e.g. ``"US-TX"``: the 50 states and DC).

    ``obtained`` is the date the list was obtained; ``published``, when known, the date the state
    issued it (lists are mostly quarterly). ``number_column`` names the phone-number column
    when the header's names do not make it plain (see ``pick_number_column``).
    ``tuning`` (a :class:`~dncguard.sources.Tuning`): block and chunk sizes, refusal bounds.
    """
    p = existing_file(path, "state")
    layer = LayerKey.state(check_region(region, p))
    ob = check_obtained(obtained, "state", p)
    pub = check_date(published, "state", "published")
    if number_column is not None and not isinstance(number_column, str):
        raise ArgumentTypeError(f"state(): number_column= must be a column name, got {number_column!r}")
    tune = resolve(tuning, "state")
    return Source(
        "state", p, layer, ob, published=pub, _read=lambda: _read(p, layer, ob, pub, number_column, tune)
    )


def _layout(number_column: str | None) -> Layout:
    def layout(header: list[str] | None, row: list[str] | None) -> dict[str, int]:
        if header is not None:
            if len(header) == 1 and number_column is None:
                return {"number": 0}
            return {"number": pick_number_column(header, number_column)}
        if number_column is not None:
            raise ValueError(
                f"number_column={number_column!r} names a column, but the file has no header row"
            )
        if row is not None:
            for i, field in enumerate(row):
                if _NUMBER_FIELD.fullmatch(field.strip()):
                    return {"number": i}
            raise ValueError(f"no phone number in the first row {row}")
        return {"number": 0}

    return layout


def _read(
    path: str,
    layer: LayerKey,
    obtained: dt.date,
    published: dt.date | None,
    number_column: str | None,
    tuning: Tuning,
) -> Iterator[Chunk]:
    batch = Batcher(
        layer,
        Op.REPLACE,
        obtained=obtained,
        published=published,
        source=path,
        chunk_numbers=tuning.chunk_numbers,
    )
    us = LayerKey.national("US")
    read = 0
    for member in members(path, tuning):
        for b in csv_batches(member, _layout(number_column)):
            numbers, rows = numbers_of(member, b.columns["number"], b.line_of, b.labels["number"])
            bad = foreign(us, (numbers // _E7).astype(np.intp))
            if bad.any():
                i = int(np.argmax(bad))
                raise foreign_error(member, us, int(numbers[i]), b.line_of(int(rows[i])))
            read += numbers.size
            yield from batch.add(numbers)
    if not read:  # a state list that lists nobody is a failed download (docs/defaults.md)
        raise RegistryFormatError(
            "no number can be read from this state list (empty, blank or header lines only): "
            "a failed or truncated download; fetch it again",
            path=path,
        )
    yield from batch.flush()
