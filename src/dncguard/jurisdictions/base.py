"""The shapes law takes in dncguard: windows, calling hours, holiday calendars, jurisdictions.

This module holds no law itself; ``us.py``, ``ca.py`` and ``us_states.py`` fill these shapes with
the numbers and citations of each jurisdiction. A window is a count of calendar :class:`Months` or
:class:`Days`; calling hours are a :class:`Week` of inclusive :class:`Hours` (``None`` on a day
with no calls at all); a :class:`Jurisdiction` gathers everything one rule set says.

>>> Hours.of("08:00", "21:00")
Hours(start=480, end=1260)
>>> Hours.of("08:00", "21:00").admits(21 * 60), Hours.of("08:00", "21:00").admits(21 * 60 + 1)
(True, False)
>>> week = Week.of(Hours.of("09:00", "21:00"), sunday=Hours.of("12:00", "21:00"))
>>> week.days[6]
Hours(start=720, end=1260)
>>> Hours.of("21:00", "08:00")
Traceback (most recent call last):
...
ValueError: calling hours 21:00-08:00: the start must not be after the end
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from dncguard.codes import ExemptionCode

__all__ = [
    "Basis",
    "BusinessDays",
    "CallerHours",
    "Days",
    "EbrWindows",
    "Hours",
    "Jurisdiction",
    "ListName",
    "Months",
    "PurposeExemption",
    "RowName",
    "Week",
    "Window",
]

ListName = Literal["national", "state"]


@dataclass(frozen=True)
class Months:
    """A window of ``n`` calendar months, month-end clamped (docs/defaults.md#relationship-windows)."""

    n: int


@dataclass(frozen=True)
class Days:
    """A window of ``n`` calendar days."""

    n: int


@dataclass(frozen=True)
class BusinessDays:
    """A window of ``n`` business days (Monday-Friday; holidays are not skipped, which can only
    shorten the window: fail closed)."""

    n: int


Window = Months | Days | BusinessDays
"""A relationship window. ``None`` where a window is expected means: no such exemption."""


@dataclass(frozen=True)
class Hours:
    """Calling hours of one day, in minutes after local midnight, both ends inclusive."""

    start: int
    end: int

    @classmethod
    def of(cls, start: str, end: str) -> Hours:
        """Hours from ``"HH:MM"`` texts, e.g. ``Hours.of("08:00", "21:00")``."""

        def minutes(text: str) -> int:
            h, m = text.split(":")
            return int(h) * 60 + int(m)

        s, e = minutes(start), minutes(end)
        if s > e:
            raise ValueError(f"calling hours {start}-{end}: the start must not be after the end")
        return cls(s, e)

    def admits(self, minute: int) -> bool:
        """Whether a call starting at local ``minute`` after midnight is within these hours."""
        return self.start <= minute <= self.end


_Day = Hours | None


@dataclass(frozen=True)
class Week:
    """Calling hours for Monday..Sunday (index 0..6, as ``date.weekday()``); ``None``: no calls."""

    days: tuple[_Day, _Day, _Day, _Day, _Day, _Day, _Day]

    @classmethod
    def of(
        cls,
        weekdays: Hours | None,
        *,
        saturday: Hours | Literal["same"] | None = "same",
        sunday: Hours | Literal["same"] | None = "same",
    ) -> Week:
        """Monday-Friday hours, with Saturday and Sunday the same unless given."""
        sat = weekdays if saturday == "same" else saturday
        sun = weekdays if sunday == "same" else sunday
        return cls((weekdays, weekdays, weekdays, weekdays, weekdays, sat, sun))


@dataclass(frozen=True)
class EbrWindows:
    """How long each kind of established business relationship exempts a listed number.

    ``purchase``: after the last purchase, payment or shipment; ``inquiry``: after an inquiry or
    application; ``contract``: after a contract ends (a contract in force always counts). ``None``:
    that kind of relationship gives no exemption in this jurisdiction.
    """

    purchase: Window | None
    inquiry: Window | None
    contract: Window | None
    rule: str


RowName = Literal[
    "list",
    "ebr",
    "hours",
    "holidays",
    "consent",
    "prerecorded",
    "fresh",
    "exemptions",
    "frequency_cap",
    "automated_dialing",
    "texts",
]
"""The rows of a :class:`Jurisdiction` whose law a :class:`Basis` records."""


@dataclass(frozen=True)
class Basis:
    """What one row of a rule set rests on: the section it applies and whether its text was read.

    ``primary``: the row was checked against the statute or regulation text (``url``: the
    official text, or the mirror of it that was read); ``False``: it rests only on secondary
    sources (agency summaries, vendor or law-firm tables), named in ``note`` with what is open.
    """

    row: RowName
    citation: str
    primary: bool
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class CallerHours:
    """Calling hours that bind only some calls into a jurisdiction, on top of its own ``hours``
    (a call must meet both: the strictest intersection), read on the called party's local time.

    ``key`` names the window as a time rule (``hours_failed``, ``next_allowed_at``'s tables);
    ``jurisdiction`` is the code its failures are reported under (reason ``calling_hours``,
    citing ``rule``). The window binds a call whose ``caller``, ``purpose`` and ``line`` are in
    ``callers``, ``purposes`` and ``lines``.
    """

    key: str
    jurisdiction: str
    hours: Week
    callers: frozenset[str]
    purposes: frozenset[str]
    lines: frozenset[str]
    rule: str
    basis: Basis


@dataclass(frozen=True)
class PurposeExemption:
    """A call purpose outside a do-not-call list; ``callers`` limits who may rely on it."""

    code: ExemptionCode
    rule: str
    callers: frozenset[str] | None = None


_NO_PURPOSES: Mapping[str, PurposeExemption] = MappingProxyType({})


@dataclass(frozen=True)
class Jurisdiction:
    """Everything one rule set (a country or a US state) says that dncguard applies.

    ``lists`` names the do-not-call lists whose exemptions this jurisdiction's ``ebr`` windows
    govern: a country its national registry; a state with a list of its own its ``state`` list; a
    state without one that sets its own windows the ``national`` registry for its numbers
    (docs/defaults.md). A state row leaves ``None`` where the country's rule applies unchanged.
    """

    code: str
    name: str
    country: str
    lists: tuple[ListName, ...] = ()
    list_rule: str = ""
    ebr: EbrWindows | None = None
    consent_kinds: frozenset[str] = frozenset()
    consent_rule: str = ""
    hours: Week | None = None
    hours_rule: str = ""
    holidays: str | None = None
    """Name of the holiday calendar (``holidays.CALENDARS``) whose days allow no calls."""
    holidays_rule: str = ""
    hours_exempt_purposes: frozenset[str] = frozenset()
    list_exempt_purposes: Mapping[str, PurposeExemption] = field(default_factory=lambda: _NO_PURPOSES)
    business_line_rule: str | None = None
    internal_list_rule: str = ""
    internal_list_exempt_purposes: frozenset[str] = frozenset()
    prerecorded_purposes: frozenset[str] = frozenset()
    prerecorded_consent_kinds: frozenset[str] = frozenset()
    prerecorded_rule: str = ""
    fresh_days: int | None = None
    fresh_rule: str = ""
    coverage_rule: str = ""
    source: str = ""
    hours_clock: str | None = None
    """An IANA zone whose clock the ``hours`` are *also* read on, besides the called party's local
    time (``None``: local time only). A statute that sets its hours in a named standard time
    (Mississippi: "Central Standard Time") is read both ways, and a call must pass both (fail
    closed): ``"Etc/GMT+6"`` is UTC-6 all year."""
    hours_clock_rule: str = ""
    basis: tuple[Basis, ...] = ()
    """What each row rests on (:class:`Basis`), one entry per row this rule set sets."""

    @property
    def is_country(self) -> bool:
        """Whether this is a national rule set (``"US"``, ``"CA"``) rather than a state's."""
        return self.code == self.country
