"""The area-code and region data :mod:`dncguard.geography` adds to libphonenumber's (read from
``_geodata.py``, which is generated): every region's English name, the corrections to
libphonenumber's rows (:data:`_OVERRIDES`, each with its source) and the regions whose zones
are not the union of their area codes' zones. Data only; :mod:`dncguard.geography` answers
questions about it."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

Country = Literal["US", "CA"]
# One area code as data: country, ISO 3166-2 regions, IANA zones (both empty: non-geographic).
_Row = tuple[Country, tuple[str, ...], tuple[str, ...]]

_CT: Final = "America/Chicago"
_ET: Final = "America/New_York"
_MT: Final = "America/Denver"
_PT: Final = "America/Los_Angeles"

# Every region dncguard knows, with its English name: the 50 states, DC and the five inhabited
# territories in the numbering plan (ISO 3166-2:US), the 13 provinces and territories
# (ISO 3166-2:CA). ISO's subdivision codes equal the postal abbreviations for both countries.
_REGION_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "US-AL": "Alabama",
        "US-AK": "Alaska",
        "US-AZ": "Arizona",
        "US-AR": "Arkansas",
        "US-CA": "California",
        "US-CO": "Colorado",
        "US-CT": "Connecticut",
        "US-DE": "Delaware",
        "US-DC": "District of Columbia",
        "US-FL": "Florida",
        "US-GA": "Georgia",
        "US-HI": "Hawaii",
        "US-ID": "Idaho",
        "US-IL": "Illinois",
        "US-IN": "Indiana",
        "US-IA": "Iowa",
        "US-KS": "Kansas",
        "US-KY": "Kentucky",
        "US-LA": "Louisiana",
        "US-ME": "Maine",
        "US-MD": "Maryland",
        "US-MA": "Massachusetts",
        "US-MI": "Michigan",
        "US-MN": "Minnesota",
        "US-MS": "Mississippi",
        "US-MO": "Missouri",
        "US-MT": "Montana",
        "US-NE": "Nebraska",
        "US-NV": "Nevada",
        "US-NH": "New Hampshire",
        "US-NJ": "New Jersey",
        "US-NM": "New Mexico",
        "US-NY": "New York",
        "US-NC": "North Carolina",
        "US-ND": "North Dakota",
        "US-OH": "Ohio",
        "US-OK": "Oklahoma",
        "US-OR": "Oregon",
        "US-PA": "Pennsylvania",
        "US-RI": "Rhode Island",
        "US-SC": "South Carolina",
        "US-SD": "South Dakota",
        "US-TN": "Tennessee",
        "US-TX": "Texas",
        "US-UT": "Utah",
        "US-VT": "Vermont",
        "US-VA": "Virginia",
        "US-WA": "Washington",
        "US-WV": "West Virginia",
        "US-WI": "Wisconsin",
        "US-WY": "Wyoming",
        "US-AS": "American Samoa",
        "US-GU": "Guam",
        "US-MP": "Northern Mariana Islands",
        "US-PR": "Puerto Rico",
        "US-VI": "U.S. Virgin Islands",
        "CA-AB": "Alberta",
        "CA-BC": "British Columbia",
        "CA-MB": "Manitoba",
        "CA-NB": "New Brunswick",
        "CA-NL": "Newfoundland and Labrador",
        "CA-NS": "Nova Scotia",
        "CA-NT": "Northwest Territories",
        "CA-NU": "Nunavut",
        "CA-ON": "Ontario",
        "CA-PE": "Prince Edward Island",
        "CA-QC": "Quebec",
        "CA-SK": "Saskatchewan",
        "CA-YT": "Yukon",
    }
)

# Corrections to libphonenumber (phonenumbers 9.0.43), replacing its whole row for the area
# code. An overlay code covers the same territory as the code(s) it overlays (CRTC / NANPA relief
# plans), so it gets their zones. "zone1970.tab" is the IANA time zone database's table of zones
# and the areas they cover. A test fails when a row here no longer differs from libphonenumber.
_BC: Final = ("America/Edmonton", "America/Vancouver")
_NL: Final = ("America/Halifax", "America/St_Johns")
_QC_EAST: Final = ("America/Halifax", "America/Toronto")
_SK: Final = ("America/Edmonton", "America/Regina", "America/Winnipeg")
_OVERRIDES: Final[Mapping[int, _Row]] = MappingProxyType(
    {
        # --- United States ---
        # Phenix City (Russell Co.), Lanett (Chambers Co.) and towns of Lee Co. keep Eastern
        # time, unofficially, with Columbus GA (Huntsville Times Q&A quoting Phenix City's city
        # administrator); libphonenumber: Central only.
        334: ("US", ("US-AL",), (_CT, _ET)),
        # Overlay of 270, which has western Kentucky on Central time; libphonenumber: Eastern only.
        364: ("US", ("US-KY",), (_CT, _ET)),
        # Overlay of 850, the Florida panhandle (Central west of the Apalachicola River);
        # libphonenumber: Eastern only.
        448: ("US", ("US-FL",), (_CT, _ET)),
        # Overlay of 541, which has Malheur County on Mountain time (zone1970.tab: America/Boise,
        # "OR (east)"); libphonenumber: Pacific only.
        458: ("US", ("US-OR",), (_MT, _PT)),
        # Kenton (Cimarron County, in the Panhandle's far west) keeps Mountain time, unofficially,
        # with New Mexico a few miles west (local reports; as Phenix City in 334); libphonenumber:
        # Central only.
        580: ("US", ("US-OK",), (_CT, _MT)),
        # Overlay of 407/321 (Orlando, Eastern time); libphonenumber: America/Chicago.
        689: ("US", ("US-FL",), (_ET,)),
        # US federal government (GETS), assigned by NANPA, non-geographic; not in libphonenumber.
        710: ("US", (), ()),
        # Libphonenumber maps 907-581 (Unalaska, on Alaska time) to Pacific/Honolulu. No part of
        # Alaska keeps Hawaii time; the western Aleutians use America/Adak, which has DST
        # (zone1970.tab: "Alaska - western Aleutians").
        907: ("US", ("US-AK",), ("America/Adak", "America/Anchorage", "America/Juneau")),
        # Overlay of 423 (Tennessee PUC, 30 May 2023; numbers assigned from 5 September 2025),
        # which reaches Central-time counties west of Chattanooga (Sequatchie, Van Buren).
        # Not in libphonenumber yet (its numbers are refused as a bad area code until it is): an
        # update that adds it with Eastern time only, as 364, 448 and 930 were, stays corrected.
        729: ("US", ("US-TN",), (_CT, _ET)),
        # Overlay of 812, which has Evansville and southwest Indiana on Central time;
        # libphonenumber: Eastern only.
        930: ("US", ("US-IN",), (_CT, _ET)),
        # Overlay of 208 (southern Idaho Mountain, the panhandle Pacific); libphonenumber lacks
        # America/Denver, which 208 lists (same rules as America/Boise; kept for one zone set).
        986: ("US", ("US-ID",), ("America/Boise", _MT, _PT)),
        # --- Canada ---
        # Province-wide overlays of 604/250; 250 has the East Kootenays on Mountain time
        # (zone1970.tab: America/Edmonton, "BC(E)"); libphonenumber: Pacific only.
        236: ("CA", ("CA-BC",), _BC),
        257: ("CA", ("CA-BC",), _BC),
        672: ("CA", ("CA-BC",), _BC),
        778: ("CA", ("CA-BC",), _BC),
        # Overlays of 418 (eastern Quebec), which has the Magdalen Islands on Atlantic time;
        # libphonenumber: Eastern only. 273 is the next 418 overlay (announced for 2027).
        273: ("CA", ("CA-QC",), _QC_EAST),
        367: ("CA", ("CA-QC",), _QC_EAST),
        581: ("CA", ("CA-QC",), _QC_EAST),
        # Saskatchewan keeps CST all year, but Lloydminster and its neighbours keep Alberta time
        # (zone1970.tab: America/Edmonton, "SK(W)") and Creighton and Denare Beach keep
        # Manitoba's, with DST (tz "northamerica" file; Maclean's). 639 and 474 overlay 306.
        # Libphonenumber: America/Regina for 306/639 and America/Winnipeg for 474.
        306: ("CA", ("CA-SK",), _SK),
        474: ("CA", ("CA-SK",), _SK),
        639: ("CA", ("CA-SK",), _SK),
        # Yukon has kept UTC-7 all year since November 2020 (America/Whitehorse); nowhere in 867
        # keeps Pacific time. Libphonenumber: America/Vancouver and America/Fort_Nelson.
        867: (
            "CA",
            ("CA-NT", "CA-NU", "CA-YT"),
            ("America/Edmonton", "America/Toronto", "America/Whitehorse", "America/Winnipeg"),
        ),
        # Overlay of 709; Labrador keeps Atlantic time with DST (America/Goose_Bay, the same rules
        # as America/Halifax), the island St. John's time (CNAC). Libphonenumber lists
        # America/Puerto_Rico (no DST) for Labrador.
        879: ("CA", ("CA-NL",), _NL),
    }
)

# Regions whose zones are not the union of their area codes' zones: those sharing 867.
_REGION_ZONE_OVERRIDES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        # zone1970.tab: America/Edmonton "NT(E)", America/Inuvik (same rules) "NT (west)".
        "CA-NT": ("America/Edmonton",),
        # zone1970.tab: Iqaluit (Eastern, as Toronto), Rankin_Inlet (Central, as Winnipeg),
        # Cambridge_Bay (Mountain, as Edmonton).
        "CA-NU": ("America/Edmonton", "America/Toronto", "America/Winnipeg"),
        # zone1970.tab: America/Whitehorse "MST - Yukon".
        "CA-YT": ("America/Whitehorse",),
    }
)
