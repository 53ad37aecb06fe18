"""Law only: every window, hour, day count and citation dncguard applies, by jurisdiction.

``JURISDICTIONS`` maps each jurisdiction code to its rule set: ``"US"`` (``us.py``), ``"CA"``
(``ca.py``) and each US state that adds to the federal rules (``us_states.py``, keyed by ISO
3166-2). Holiday calendars are computed per year in ``holidays.py``. A test holds this dict equal
to the rule sets the modules define. ``call_rules.py`` holds the tables of the rules added next
(frequency caps, automated dialing, Canadian texts); ``audit.py`` walks every row's ``Basis`` (the
statute text read, or secondary sources only) and writes the README's list of the latter.

>>> JURISDICTIONS["US-TX"].name
'Texas'
>>> sorted(c for c in JURISDICTIONS if not c.startswith("US-"))
['CA', 'US']
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from dncguard.jurisdictions import ca, us, us_states
from dncguard.jurisdictions.base import Jurisdiction

__all__ = ["JURISDICTIONS", "Jurisdiction"]

JURISDICTIONS: Final[Mapping[str, Jurisdiction]] = MappingProxyType(
    {
        "US": us.US,
        "CA": ca.CA,
        "US-AL": us_states.ALABAMA,
        "US-CA": us_states.CALIFORNIA,
        "US-CO": us_states.COLORADO,
        "US-CT": us_states.CONNECTICUT,
        "US-FL": us_states.FLORIDA,
        "US-IN": us_states.INDIANA,
        "US-KS": us_states.KANSAS,
        "US-KY": us_states.KENTUCKY,
        "US-LA": us_states.LOUISIANA,
        "US-MA": us_states.MASSACHUSETTS,
        "US-MD": us_states.MARYLAND,
        "US-MI": us_states.MICHIGAN,
        "US-MN": us_states.MINNESOTA,
        "US-MO": us_states.MISSOURI,
        "US-MS": us_states.MISSISSIPPI,
        "US-MT": us_states.MONTANA,
        "US-NJ": us_states.NEW_JERSEY,
        "US-NM": us_states.NEW_MEXICO,
        "US-NV": us_states.NEVADA,
        "US-OK": us_states.OKLAHOMA,
        "US-PA": us_states.PENNSYLVANIA,
        "US-RI": us_states.RHODE_ISLAND,
        "US-TN": us_states.TENNESSEE,
        "US-TX": us_states.TEXAS,
        "US-UT": us_states.UTAH,
        "US-WA": us_states.WASHINGTON,
        "US-WI": us_states.WISCONSIN,
        "US-WY": us_states.WYOMING,
    }
)
"""Every rule set dncguard knows, by jurisdiction code."""
