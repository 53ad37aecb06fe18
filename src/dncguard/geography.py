"""Area codes: the country, region(s) and IANA time zone(s) of a US or Canadian number.

A North American number is a three-digit area code (NPA) and seven digits. A *geographic* area
code lies in one US state, DC or territory, or one Canadian province or territory (902/782 cover
Nova Scotia and Prince Edward Island, 867 the three northern territories), and may straddle time
zones: Newfoundland and Labrador's 709 has St. John's time (UTC-3:30) and Atlantic time (UTC-4).
A number's local time is therefore a set of candidates, and a calling-hours check must hold in
every zone listed (docs/defaults.md). *Non-geographic* codes (toll-free 800/833/844/855/866/877/888,
personal 5XX, premium 900, Canada's 600/622/633, the US government's 710) belong to no region and
no zone. Toll-free codes are shared by the US and Canada; dncguard files them under ``"US"``
because the FTC registry holds toll-free numbers (docs/sources.md). Area codes of other NANP
countries (Jamaica 876/658, the Bahamas 242, ...) and unassigned codes are not US or Canadian:
:func:`area_code` returns ``None`` for them (docs/defaults.md#jurisdiction-follows-the-number).

Regions are ISO 3166-2 codes (``US-FL``, ``US-DC``, ``US-PR``, ``CA-NL``); zones are IANA names
loadable with :class:`zoneinfo.ZoneInfo`. A zone list covers every UTC offset in use in the area
at every instant, including local practice the law does not sanction (Phenix City, Alabama keeps
Eastern time; Kenton, Oklahoma Mountain time; Creighton, Saskatchewan Manitoba's). A zone that
at every instant repeats the offset of a listed one (Creston and Dawson Creek in British
Columbia, Atikokan, Blanc-Sablon) adds nothing to a calling-hours check and is not added.

Data: libphonenumber's numbering plan, time-zone and geocoding data (the ``phonenumbers``
package), precomputed into ``dncguard._geodata`` by ``python -m dncguard.geography`` because
loading the geocoding data costs about 250 ms, then corrected by :data:`_OVERRIDES` below, each
row with its source. A test holds ``_geodata`` equal to the installed ``phonenumbers``.

>>> area_code(212)
AreaCode(npa=212, country='US', regions=('US-NY',), zones=('America/New_York',), geographic=True)
>>> area_code(709).zones
('America/Halifax', 'America/St_Johns')
>>> area_code(800)
AreaCode(npa=800, country='US', regions=(), zones=(), geographic=False)
>>> area_code(876) is None  # Jamaica
True
>>> region_zones("US-IN")
('America/Chicago', 'America/New_York')
>>> region_country("CA-NL")
'CA'
>>> region_zones("GA")
Traceback (most recent call last):
...
dncguard.errors.ArgumentError: unknown region 'GA': expected an ISO 3166-2 code ...; did you mean 'US-GA'?

Whole columns, with no Python loop per row: :func:`npas` takes 10-digit numbers to area codes;
:func:`countries`, :func:`regionsets`, :func:`zonesets` and :func:`geographic` index the
1000-entry tables :data:`COUNTRY`, :data:`REGIONSET`, :data:`ZONESET` and :data:`GEOGRAPHIC`.

>>> import numpy as np
>>> codes = npas(np.array([2125550143, 4165550123, 8765550100, 8005550199], dtype=np.uint64))
>>> codes.tolist()
[212, 416, 876, 800]
>>> [COUNTRIES[c] for c in countries(codes)]
['US', 'CA', None, 'US']
>>> [ZONESETS[z] if z >= 0 else None for z in zonesets(codes)]
[('America/New_York',), ('America/Toronto',), None, ()]
"""

from __future__ import annotations

import difflib
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, cast

import numpy as np
import numpy.typing as npt

from dncguard import _geodata
from dncguard._geotables import _OVERRIDES as _OVERRIDES  # the corrections (tests, _render)
from dncguard._geotables import _REGION_NAMES, _REGION_ZONE_OVERRIDES, Country, _Row
from dncguard.errors import ArgumentError, ArgumentTypeError

__all__ = [
    "COUNTRIES",
    "COUNTRY",
    "GEOGRAPHIC",
    "REGIONSET",
    "REGIONSETS",
    "ZONESET",
    "ZONESETS",
    "AreaCode",
    "area_code",
    "area_codes",
    "countries",
    "geographic",
    "npas",
    "region_country",
    "region_name",
    "region_zones",
    "regions",
    "regionsets",
    "zonesets",
]


@dataclass(frozen=True)
class AreaCode:
    """One US or Canadian area code (NPA) and where its numbers may be.

    ``regions`` holds ISO 3166-2 codes and ``zones`` IANA zone names, each sorted. A number with
    this area code may be in any of the regions and any of the zones, so a rule that depends on
    the called party's place or local time must hold for every one of them. Both are empty
    exactly when ``geographic`` is false (toll-free, 5XX, 900, ...).
    """

    npa: int
    country: Literal["US", "CA"]
    regions: tuple[str, ...]
    zones: tuple[str, ...]
    geographic: bool


def _build_table() -> dict[int, AreaCode]:
    rows: dict[int, _Row] = dict(_geodata.AREA_CODES)
    rows.update(_OVERRIDES)
    return {
        npa: AreaCode(npa, country, tuple(sorted(regs)), tuple(sorted(zones)), bool(zones))
        for npa, (country, regs, zones) in sorted(rows.items())
    }


_TABLE: Final[Mapping[int, AreaCode]] = MappingProxyType(_build_table())


def _build_region_zones() -> dict[str, tuple[str, ...]]:
    union: dict[str, set[str]] = {region: set() for region in _REGION_NAMES}
    for ac in _TABLE.values():
        for region in ac.regions:
            union[region].update(ac.zones)
    out = {region: tuple(sorted(zones)) for region, zones in union.items()}
    out.update({region: tuple(sorted(zones)) for region, zones in _REGION_ZONE_OVERRIDES.items()})
    return out


_REGION_ZONES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(_build_region_zones())

#: Country names indexed by the values of :data:`COUNTRY`: ``0`` none, ``1`` US, ``2`` Canada.
COUNTRIES: Final[tuple[Country | None, ...]] = (None, "US", "CA")


def _build_vectors() -> tuple[
    npt.NDArray[np.uint8],
    npt.NDArray[np.int16],
    npt.NDArray[np.int16],
    npt.NDArray[np.bool_],
    tuple[tuple[str, ...], ...],
    tuple[tuple[str, ...], ...],
]:
    country = np.zeros(1000, dtype=np.uint8)
    regionset = np.full(1000, -1, dtype=np.int16)
    zoneset = np.full(1000, -1, dtype=np.int16)
    geo = np.zeros(1000, dtype=np.bool_)
    # Index 0 is the empty set of a non-geographic code; the rest in order of first area code.
    regionsets: dict[tuple[str, ...], int] = {(): 0}
    zonesets: dict[tuple[str, ...], int] = {(): 0}
    for npa, ac in _TABLE.items():
        country[npa] = COUNTRIES.index(ac.country)
        regionset[npa] = regionsets.setdefault(ac.regions, len(regionsets))
        zoneset[npa] = zonesets.setdefault(ac.zones, len(zonesets))
        geo[npa] = ac.geographic
    for array in (country, regionset, zoneset, geo):
        array.flags.writeable = False
    return country, regionset, zoneset, geo, tuple(regionsets), tuple(zonesets)


_VECTORS: Final = _build_vectors()
COUNTRY: Final[npt.NDArray[np.uint8]] = _VECTORS[0]
"""``COUNTRY[npa]``: 1 for a US area code, 2 for a Canadian one, 0 otherwise (see COUNTRIES)."""
REGIONSET: Final[npt.NDArray[np.int16]] = _VECTORS[1]
"""``REGIONSET[npa]``: index into :data:`REGIONSETS` (0 is ``()``), -1 if not US or Canadian."""
ZONESET: Final[npt.NDArray[np.int16]] = _VECTORS[2]
"""``ZONESET[npa]``: index into :data:`ZONESETS` (0 is ``()``), -1 if not US or Canadian."""
GEOGRAPHIC: Final[npt.NDArray[np.bool_]] = _VECTORS[3]
"""``GEOGRAPHIC[npa]``: true for a geographic US or Canadian area code."""
REGIONSETS: Final[tuple[tuple[str, ...], ...]] = _VECTORS[4]
"""The distinct sorted region tuples of all area codes; ``REGIONSETS[0] == ()``."""
ZONESETS: Final[tuple[tuple[str, ...], ...]] = _VECTORS[5]
"""The distinct sorted zone tuples of all area codes; ``ZONESETS[0] == ()``."""


def _check_npa(npa: object) -> int:
    if isinstance(npa, bool) or not isinstance(npa, int | np.integer):
        raise ArgumentTypeError(f"an area code is an int such as 212, not {type(npa).__name__} {npa!r}")
    value = int(npa)
    if not 0 <= value <= 999:
        raise ArgumentError(
            f"{value} is not an area code: expected the three digits 0..999 (such as 212);"
            " for a whole number use its first three digits"
        )
    return value


def area_code(npa: int) -> AreaCode | None:
    """Return what is known of area code ``npa``, or ``None`` if it is not a US/Canadian code.

    ``None`` covers unassigned codes and codes of the other NANP countries (876 Jamaica).
    Raises ``TypeError`` for a non-integer and ``ValueError`` outside 0..999.
    """
    return _TABLE.get(_check_npa(npa))


def area_codes(country: str | None = None) -> tuple[int, ...]:
    """Return every known US and Canadian area code, ascending; only ``country``'s if given.

    ``country`` is ``"US"`` or ``"CA"``; non-geographic codes are included.
    """
    _check_country(country)
    return tuple(npa for npa, ac in _TABLE.items() if country is None or ac.country == country)


def regions(country: str | None = None) -> tuple[str, ...]:
    """Return every known region (ISO 3166-2), sorted; only ``country``'s if given."""
    _check_country(country)
    return tuple(sorted(r for r in _REGION_NAMES if country is None or r[:2] == country))


def _check_country(country: str | None) -> None:
    if country not in (None, "US", "CA"):
        raise ArgumentError(f"unknown country {country!r}: expected 'US', 'CA' or None (both)")


def _canonical_region(region: str) -> str:
    if not isinstance(region, str):
        raise ArgumentTypeError(f"a region is a str such as 'US-GA', not {type(region).__name__}")
    key = region.strip().upper().replace("_", "-")
    if key in _REGION_NAMES:
        return key
    hint = [code for code in _REGION_NAMES if code[3:] == key]
    hint += [code for code, name in _REGION_NAMES.items() if name.upper() == key]
    if not hint:
        names = {name.upper(): code for code, name in _REGION_NAMES.items()}
        hint = [names[n] for n in difflib.get_close_matches(key, names, n=1)]
        hint += difflib.get_close_matches(key, _REGION_NAMES, n=1)
    suggestion = f"; did you mean {' or '.join(repr(h) for h in dict.fromkeys(hint))}?" if hint else ""
    raise ArgumentError(
        f"unknown region {region!r}: expected an ISO 3166-2 code of a US state, DC or territory"
        " (such as 'US-GA', 'US-PR') or of a Canadian province or territory (such as 'CA-ON')"
        f"{suggestion}"
    )


def region_zones(region: str) -> tuple[str, ...]:
    """Return every IANA zone in use in ``region`` (ISO 3166-2 such as ``"US-GA"``), sorted.

    Raises ``ValueError`` naming the expected form for a region outside the US and Canada.
    """
    return _REGION_ZONES[_canonical_region(region)]


def region_country(region: str) -> Country:
    """Return ``"US"`` or ``"CA"``: the country of ``region`` (ISO 3166-2 such as ``"CA-NL"``).

    US territories (``US-PR``, ``US-GU``, ...) are ``"US"``. Raises ``ValueError`` like
    :func:`region_zones`.
    """
    return cast(Country, _canonical_region(region)[:2])


def region_name(region: str) -> str:
    """Return the English name of ``region``: ``"US-DC"`` is ``"District of Columbia"``."""
    return _REGION_NAMES[_canonical_region(region)]


# --- whole columns -------------------------------------------------------------------------


def npas(numbers: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Return the area code of each 10-digit number in ``numbers`` (any integer array).

    Values below 10**9 (such as the 0 that marks an invalid row) give area code 0, which is no
    US or Canadian code. Raises ``ValueError`` for a negative value or one of 11 digits or more.
    """
    array = np.asarray(numbers)
    if array.dtype.kind not in "iu":
        raise ArgumentTypeError(f"numbers must be an integer array (uint64), not {array.dtype}")
    if array.size and (array.min() < 0 or array.max() >= 10_000_000_000):
        bad = array[(array < 0) | (array >= 10_000_000_000)][0]
        raise ArgumentError(
            f"{bad} is not a 10-digit number: pass national numbers without the country code 1"
        )
    return (array // 10_000_000).astype(np.int16)


def _indices(codes: npt.ArrayLike) -> npt.NDArray[np.intp]:
    array = np.asarray(codes)
    if array.dtype.kind not in "iu":
        raise ArgumentTypeError(f"area codes must be an integer array, not {array.dtype}")
    if array.size and (array.min() < 0 or array.max() > 999):
        bad = array[(array < 0) | (array > 999)][0]
        raise ArgumentError(
            f"{bad} is not an area code (0..999): for 10-digit numbers, take npas(numbers) first"
        )
    # Typed as intp for the indexing below, which takes any integer dtype: no copy of a column.
    return cast("npt.NDArray[np.intp]", array)


def countries(codes: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Return :data:`COUNTRY` of each area code: 1 US, 2 Canada, 0 neither (see COUNTRIES)."""
    return COUNTRY[_indices(codes)]


def regionsets(codes: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Return :data:`REGIONSET` of each area code: an index into REGIONSETS, -1 if unknown."""
    return REGIONSET[_indices(codes)]


def zonesets(codes: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Return :data:`ZONESET` of each area code: an index into ZONESETS, -1 if unknown."""
    return ZONESET[_indices(codes)]


def geographic(codes: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Return :data:`GEOGRAPHIC` of each area code: true for a geographic US/Canadian code."""
    return GEOGRAPHIC[_indices(codes)]


# --- generating _geodata.py from libphonenumber ----------------------------------------------

# Regions of the NANP territories that are part of the US (docs/defaults.md#jurisdiction-follows-the-number).
_TERRITORIES: Final = {"PR": "US-PR", "VI": "US-VI", "GU": "US-GU", "MP": "US-MP", "AS": "US-AS"}
# Libphonenumber's English descriptions that are not a region's name or "City, XX".
_DESCRIPTION_ALIASES: Final = {
    "Washington State": "US-WA",
    "Washington D.C.": "US-DC",
    "British Colombia": "CA-BC",  # sic, in libphonenumber's data
}


def _regions_of(description: str, country: str) -> tuple[str, ...] | None:
    by_name = {name: code for code, name in _REGION_NAMES.items()} | _DESCRIPTION_ALIASES
    found = []
    for part in description.split("/"):
        part = part.strip()
        code = by_name.get(part)
        if code is None and part[-4:-2] == ", ":
            code = f"{country}-{part[-2:]}"
        if code is None or code not in _REGION_NAMES:
            return None
        found.append(code)
    return tuple(sorted(found))


def _derive() -> dict[int, _Row]:
    """Return every US/Canadian area code as libphonenumber has it (before :data:`_OVERRIDES`)."""
    import phonenumbers as pn
    from phonenumbers.geodata import GEOCODE_DATA
    from phonenumbers.tzdata import TIMEZONE_DATA

    ours = ("US", "CA", *_TERRITORIES)
    geographic_types = {pn.PhoneNumberType.FIXED_LINE, pn.PhoneNumberType.MOBILE}
    geographic_types.add(pn.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    described = {int(key[1:4]) for key in (*TIMEZONE_DATA, *GEOCODE_DATA) if key[:1] == "1" and len(key) > 3}
    rows: dict[int, _Row] = {}
    for npa in range(200, 1000):
        # The first exchange libphonenumber accepts in one of our regions. Territories accept
        # few exchanges; codes with no place data (non-geographic ones) accept almost all, so
        # every 10th is tried, to keep this test-time derivation to a second or two.
        hit = next(
            (
                (number, region)
                for nxx in range(200, 1000, 1 if npa in described else 10)
                for number in [pn.PhoneNumber(country_code=1, national_number=npa * 10**7 + nxx * 10**4)]
                for region in ours
                if pn.is_valid_number_for_region(number, region)
            ),
            None,
        )
        if hit is None:
            continue
        number, region = hit
        country: Country = "CA" if region == "CA" else "US"
        if pn.number_type(number) not in geographic_types:
            rows[npa] = (country, (), ())
            continue
        prefix = f"1{npa}"
        zones = sorted({z for k, v in TIMEZONE_DATA.items() if k.startswith(prefix) for z in v})
        if region in _TERRITORIES:
            regs: tuple[str, ...] | None = (_TERRITORIES[region],)
        elif prefix in GEOCODE_DATA:
            regs = _regions_of(GEOCODE_DATA[prefix].get("en", ""), country)
        else:  # no description for the whole code: the regions most of its exchanges name
            votes = Counter(
                _regions_of(v.get("en", ""), country) for k, v in GEOCODE_DATA.items() if k.startswith(prefix)
            )
            votes.pop(None, None)
            regs = votes.most_common(1)[0][0] if votes else None
        if not regs or not zones:
            raise ValueError(f"libphonenumber has no region or zone for area code {npa}: add an override")
        rows[npa] = (country, regs, tuple(zones))
    return rows


def _tuple_source(items: Iterable[str]) -> str:
    quoted = [f'"{item}"' for item in items]
    return f"({quoted[0]},)" if len(quoted) == 1 else f"({', '.join(quoted)})"


def _render(rows: Mapping[int, _Row], version: str) -> str:
    lines = [
        "# Generated by `python -m dncguard.geography > src/dncguard/_geodata.py`; do not edit.",
        f'"""US and Canadian area codes as libphonenumber (phonenumbers {version}) has them.',
        "",
        "Each row is ``npa: (country, regions, zones)``; both tuples are empty for a non-geographic",
        "code. Corrections live in ``dncguard.geography._OVERRIDES``, not here.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final, Literal",
        "",
        f'PHONENUMBERS_VERSION: Final = "{version}"',
        "",
        'AREA_CODES: Final[dict[int, tuple[Literal["US", "CA"], tuple[str, ...], tuple[str, ...]]]] = {',
    ]
    for npa, (country, regs, zones) in sorted(rows.items()):
        regs_src = _tuple_source(regs) if regs else "()"
        zones_src = _tuple_source(zones) if zones else "()"
        line = f'    {npa}: ("{country}", {regs_src}, {zones_src}),'
        if len(line) <= 110:
            lines.append(line)
        else:
            lines += [f"    {npa}: (", f'        "{country}",', f"        {regs_src},"]
            if len(zones_src) + 9 <= 110:
                lines.append(f"        {zones_src},")
            else:
                lines += ["        ("] + [f'            "{z}",' for z in zones] + ["        ),"]
            lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print ``_geodata.py`` derived from the installed ``phonenumbers`` (used by maintainers)."""
    import phonenumbers

    sys.stdout.write(_render(_derive(), phonenumbers.__version__))


if __name__ == "__main__":
    main()
