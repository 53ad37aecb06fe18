"""Area code geography: what the decision engine and the bulk path rely on."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zoneinfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dncguard import _geodata, geography
from dncguard.geography import (
    COUNTRIES,
    COUNTRY,
    GEOGRAPHIC,
    REGIONSET,
    REGIONSETS,
    ZONESET,
    ZONESETS,
    AreaCode,
    area_code,
    area_codes,
    countries,
    geographic,
    npas,
    region_country,
    region_name,
    region_zones,
    regions,
    regionsets,
    zonesets,
)

# The 50 states by USPS abbreviation (= ISO 3166-2:US subdivision code).
US_STATES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND",
    "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
]  # fmt: skip
US_REGIONS = [f"US-{s}" for s in US_STATES] + ["US-DC", "US-PR", "US-VI", "US-GU", "US-MP", "US-AS"]
CA_PROVINCES = ["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]
CA_REGIONS = [f"CA-{p}" for p in CA_PROVINCES]

WINTER = dt.datetime(2026, 1, 15, 17, 0, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 15, 17, 0, tzinfo=dt.UTC)


def offsets(zones: tuple[str, ...], when: dt.datetime) -> set[float]:
    """The UTC offsets, in hours, of ``zones`` at ``when``."""
    local = [when.astimezone(zoneinfo.ZoneInfo(z)) for z in zones]
    return {(t.utcoffset() or dt.timedelta()).total_seconds() / 3600 for t in local}


def known(npa: int) -> AreaCode:
    """``area_code(npa)``, which must exist."""
    ac = area_code(npa)
    assert ac is not None, f"{npa} should be a US or Canadian area code"
    return ac


# --- regions -------------------------------------------------------------------------------


def test_known_regions_are_the_states_dc_territories_provinces_and_territories() -> None:
    assert set(regions("US")) == set(US_REGIONS)
    assert set(regions("CA")) == set(CA_REGIONS)
    assert regions() == tuple(sorted(US_REGIONS + CA_REGIONS))


@pytest.mark.parametrize("region", US_REGIONS + CA_REGIONS)
def test_every_region_has_area_codes_and_zones(region: str) -> None:
    codes = [npa for npa in area_codes() if region in known(npa).regions]
    assert codes, f"{region} has no area code"
    assert region_zones(region)
    assert region_country(region) == region[:2]
    assert region_name(region)


def test_region_zones_of_single_zone_and_split_states() -> None:
    assert region_zones("US-GA") == ("America/New_York",)
    assert {"America/Chicago", "America/New_York"} <= set(region_zones("US-IN"))
    assert offsets(region_zones("US-FL"), WINTER) == {-5, -6}  # the panhandle is Central
    assert offsets(region_zones("US-AZ"), SUMMER) == {-7, -6}  # Navajo Nation keeps DST
    assert offsets(region_zones("CA-NL"), WINTER) == {-3.5, -4}
    assert region_zones("CA-YT") == ("America/Whitehorse",)


def test_region_lookup_is_case_insensitive() -> None:
    assert region_zones("us-ga") == region_zones("US-GA")
    assert region_country(" ca-on ") == "CA"


@pytest.mark.parametrize(
    ("given_region", "suggested"),
    [("GA", "US-GA"), ("Georgia", "US-GA"), ("ON", "CA-ON"), ("US-GAA", "US-GA")],
)
def test_unknown_region_says_what_is_expected_and_suggests(given_region: str, suggested: str) -> None:
    with pytest.raises(ValueError, match="ISO 3166-2") as info:
        region_zones(given_region)
    assert repr(suggested) in str(info.value)


@pytest.mark.parametrize("bad", ["MX-JAL", "", "JM", "US-XX"])
def test_regions_outside_us_and_canada_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown region"):
        region_country(bad)


def test_region_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="US-GA"):
        region_zones(13)  # type: ignore[arg-type]


# --- area codes ----------------------------------------------------------------------------


def test_new_york_city() -> None:
    ac = area_code(212)
    assert ac is not None
    assert (ac.country, ac.regions, ac.zones, ac.geographic) == (
        "US",
        ("US-NY",),
        ("America/New_York",),
        True,
    )


def test_newfoundland_and_labrador_has_both_its_times() -> None:
    for npa in (709, 879):  # 879 overlays 709
        ac = area_code(npa)
        assert ac is not None
        assert ac.regions == ("CA-NL",)
        assert "America/St_Johns" in ac.zones
        assert {"America/Halifax", "America/Goose_Bay"} & set(ac.zones)
        assert offsets(ac.zones, WINTER) == {-3.5, -4}
        assert offsets(ac.zones, SUMMER) == {-2.5, -3}


@pytest.mark.parametrize(
    ("npa", "region", "winter_offsets"),
    [
        (850, "US-FL", {-5, -6}),  # Florida panhandle
        (448, "US-FL", {-5, -6}),
        (915, "US-TX", {-7}),  # El Paso: Mountain
        (701, "US-ND", {-6, -7}),
        (605, "US-SD", {-6, -7}),
        (308, "US-NE", {-6, -7}),
        (620, "US-KS", {-6, -7}),
        (785, "US-KS", {-6, -7}),
        (208, "US-ID", {-7, -8}),
        (986, "US-ID", {-7, -8}),
        (541, "US-OR", {-7, -8}),
        (458, "US-OR", {-7, -8}),
        (812, "US-IN", {-5, -6}),
        (930, "US-IN", {-5, -6}),
        (219, "US-IN", {-5, -6}),
        (270, "US-KY", {-5, -6}),
        (364, "US-KY", {-5, -6}),
        (423, "US-TN", {-5, -6}),
        (906, "US-MI", {-5, -6}),
        (334, "US-AL", {-5, -6}),  # Phenix City keeps Eastern time
        (580, "US-OK", {-6, -7}),  # Kenton keeps Mountain time
        (689, "US-FL", {-5}),  # Orlando
        (907, "US-AK", {-9, -10}),
        (808, "US-HI", {-10}),
        (250, "CA-BC", {-7, -8}),
        (778, "CA-BC", {-7, -8}),
        (418, "CA-QC", {-4, -5}),
        (581, "CA-QC", {-4, -5}),
        (807, "CA-ON", {-5, -6}),
        (306, "CA-SK", {-6, -7}),
        (474, "CA-SK", {-6, -7}),
        (867, "CA-NU", {-5, -6, -7}),
    ],
)
def test_area_codes_that_span_time_zones(npa: int, region: str, winter_offsets: set[float]) -> None:
    ac = area_code(npa)
    assert ac is not None
    assert region in ac.regions
    assert offsets(ac.zones, WINTER) == winter_offsets


def test_saskatchewan_border_towns_that_keep_dst() -> None:
    # Lloydminster keeps Alberta time, Creighton Manitoba's; the rest CST all year.
    for npa in (306, 639, 474):
        assert offsets(known(npa).zones, SUMMER) == {-5, -6}
    assert offsets(region_zones("CA-SK"), WINTER) == {-6, -7}


def test_alaska_has_no_hawaii_time_in_summer() -> None:
    ac = area_code(907)
    assert ac is not None
    assert offsets(ac.zones, SUMMER) == {-8, -9}  # Alaska daylight time, Hawaii-Aleutian daylight


@pytest.mark.parametrize(
    ("npa", "region"),
    [
        (202, "US-DC"),
        (771, "US-DC"),
        (787, "US-PR"),
        (939, "US-PR"),
        (340, "US-VI"),
        (671, "US-GU"),
        (670, "US-MP"),
        (684, "US-AS"),
        (902, "CA-PE"),
        (902, "CA-NS"),
        (867, "CA-YT"),
    ],
)
def test_dc_territories_and_shared_codes(npa: int, region: str) -> None:
    ac = area_code(npa)
    assert ac is not None
    assert ac.geographic
    assert region in ac.regions
    assert ac.country == region[:2]


@pytest.mark.parametrize("npa", [800, 833, 844, 855, 866, 877, 888])
def test_toll_free_is_non_geographic_and_filed_under_us(npa: int) -> None:
    assert area_code(npa) == geography.AreaCode(npa, "US", (), (), geographic=False)


@pytest.mark.parametrize(
    ("npa", "country"), [(500, "US"), (533, "US"), (900, "US"), (710, "US"), (600, "CA"), (622, "CA")]
)
def test_other_non_geographic_codes(npa: int, country: str) -> None:
    ac = area_code(npa)
    assert ac is not None
    assert (ac.country, ac.regions, ac.zones, ac.geographic) == (country, (), (), False)


@pytest.mark.parametrize("npa", [876, 658, 242, 809, 829, 849, 441, 868, 284, 246])
def test_other_nanp_countries_are_not_ours(npa: int) -> None:
    assert area_code(npa) is None  # Jamaica, Bahamas, Dominican Republic, Bermuda, ...


@pytest.mark.parametrize("npa", [0, 1, 100, 199, 211, 411, 555, 911, 950, 999])
def test_unassigned_and_special_codes_are_none(npa: int) -> None:
    assert area_code(npa) is None


@pytest.mark.parametrize(
    "complex_",
    [
        (407, 321, 689),
        (850, 448),
        (812, 930),
        (270, 364),
        (423, 729),
        (541, 458),
        (208, 986),
        (306, 639, 474),
        (709, 879),
        (418, 581, 367, 273),
        (250, 778, 236, 672, 257),
        (403, 780, 587, 825, 368),
    ],
)
def test_overlay_codes_share_the_zones_of_the_codes_they_overlay(complex_: tuple[int, ...]) -> None:
    # An overlay covers the same territory (NANPA / CNAC relief plans).
    found = {known(npa).zones for npa in complex_}
    assert len(found) == 1, found


def test_area_code_table_invariants() -> None:
    for npa in area_codes():
        ac = known(npa)
        assert ac.npa == npa
        assert ac.regions == tuple(sorted(set(ac.regions)))
        assert ac.zones == tuple(sorted(set(ac.zones)))
        assert ac.geographic == bool(ac.regions) == bool(ac.zones)
        region_union = {z for r in ac.regions for z in region_zones(r)}
        assert set(ac.zones) <= region_union, npa
        assert all(region_country(r) == ac.country for r in ac.regions)
    for region in regions():
        code_union = {z for npa in area_codes() if region in known(npa).regions for z in known(npa).zones}
        assert set(region_zones(region)) <= code_union, region


def test_every_zone_loads() -> None:
    zones = {z for npa in area_codes() for z in known(npa).zones}
    zones |= {z for r in regions() for z in region_zones(r)}
    for zone in zones:
        zoneinfo.ZoneInfo(zone)


def test_area_codes_listing() -> None:
    us, ca = area_codes("US"), area_codes("CA")
    assert us == tuple(sorted(us))
    assert ca == tuple(sorted(ca))
    assert not set(us) & set(ca)
    assert area_codes() == tuple(sorted(us + ca))
    assert 212 in us
    assert 416 in ca
    assert 800 in us
    with pytest.raises(ValueError, match="'US', 'CA'"):
        area_codes("MX")


def test_area_code_input_errors() -> None:
    assert area_code(np.int64(212)) == area_code(212)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="212"):
        area_code("212")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        area_code(True)
    with pytest.raises(ValueError, match=r"0\.\.999"):
        area_code(2125550143)
    with pytest.raises(ValueError, match=r"0\.\.999"):
        area_code(-1)


# --- whole columns -------------------------------------------------------------------------


def test_tables_agree_with_area_code_for_every_npa() -> None:
    everything = np.arange(1000)
    assert (countries(everything) == COUNTRY).all()
    for npa in range(1000):
        ac = area_code(npa)
        if ac is None:
            assert (COUNTRY[npa], REGIONSET[npa], ZONESET[npa], GEOGRAPHIC[npa]) == (0, -1, -1, False)
        else:
            assert COUNTRIES[COUNTRY[npa]] == ac.country
            assert REGIONSETS[REGIONSET[npa]] == ac.regions
            assert ZONESETS[ZONESET[npa]] == ac.zones
            assert GEOGRAPHIC[npa] == ac.geographic


def test_tables_are_read_only_and_sets_distinct() -> None:
    with pytest.raises(ValueError, match="read-only"):
        COUNTRY[212] = 2
    assert ZONESETS[0] == ()
    assert REGIONSETS[0] == ()
    assert len(set(ZONESETS)) == len(ZONESETS)
    assert len(set(REGIONSETS)) == len(REGIONSETS)


@given(st.lists(st.integers(0, 9_999_999_999), max_size=50))
def test_column_lookup_matches_one_by_one(numbers: list[int]) -> None:
    column = np.array(numbers, dtype=np.uint64)
    codes = npas(column)
    assert codes.tolist() == [n // 10_000_000 for n in numbers]
    c, r, z, g = countries(codes), regionsets(codes), zonesets(codes), geographic(codes)
    for i, n in enumerate(numbers):
        ac = area_code(n // 10_000_000)
        assert COUNTRIES[c[i]] == (ac.country if ac else None)
        assert (REGIONSETS[r[i]] if r[i] >= 0 else None) == (ac.regions if ac else None)
        assert (ZONESETS[z[i]] if z[i] >= 0 else None) == (ac.zones if ac else None)
        assert g[i] == (ac.geographic if ac else False)


def test_column_input_errors() -> None:
    with pytest.raises(ValueError, match="10-digit"):
        npas(np.array([2125550143, 12125550143], dtype=np.uint64))
    with pytest.raises(ValueError, match="10-digit"):
        npas(np.array([-1]))
    with pytest.raises(TypeError, match="integer"):
        npas(np.array([2125550143.0]))
    with pytest.raises(ValueError, match=r"npas\(numbers\)"):
        countries(np.array([2125550143], dtype=np.uint64))
    with pytest.raises(TypeError, match="integer"):
        zonesets(["212"])
    assert countries(np.array([], dtype=np.int16)).shape == (0,)
    assert countries([212, 416]).tolist() == [1, 2]


# --- provenance ----------------------------------------------------------------------------


@pytest.mark.slow
def test_generated_data_matches_installed_phonenumbers() -> None:
    import phonenumbers

    derived = geography._derive()
    changed = sorted(set(derived) ^ set(_geodata.AREA_CODES)) + sorted(
        npa for npa in set(derived) & set(_geodata.AREA_CODES) if derived[npa] != _geodata.AREA_CODES[npa]
    )
    assert not changed, (
        f"phonenumbers {phonenumbers.__version__} differs from _geodata.py (made from"
        f" {_geodata.PHONENUMBERS_VERSION}) for area codes {changed}: run"
        " `python -m dncguard.geography > src/dncguard/_geodata.py` and review the overrides"
    )


def test_every_override_still_corrects_something() -> None:
    for npa, row in geography._OVERRIDES.items():
        assert _geodata.AREA_CODES.get(npa) != row, f"override of {npa} equals libphonenumber: remove it"


def test_import_does_not_load_phonenumbers_geocoding_data() -> None:
    # Loading libphonenumber's geocoding data costs about 250 ms; _geodata.py precomputes it.
    code = "import sys, dncguard.geography; print('phonenumbers.geodata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
