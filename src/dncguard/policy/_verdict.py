"""A verdict (the parts of a decision that facts determine) and the verdict of an invalid
number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from dncguard.errors import InvalidNumberError
from dncguard.models import Exemption, Reason, ReasonCode
from dncguard.numbers import parse_number

EXCLUDED_RULE: Final = (
    "dncguard Guard(jurisdictions=...): a call to a jurisdiction left out is blocked"  # docs/defaults.md
)
# docs/defaults.md#jurisdiction-follows-the-number: numbers of other NANP countries are outside dncguard.
INVALID_NUMBER_RULE: Final = "North American Numbering Plan: US and Canadian numbers only"


@dataclass(frozen=True)
class Verdict:
    """What the policy decided: the parts of a :class:`~dncguard.Decision` that facts determine."""

    allowed: bool
    reasons: tuple[Reason, ...]
    exemptions: tuple[Exemption, ...]
    jurisdictions: tuple[str, ...]


def invalid_number(text: str, why: str) -> Verdict:
    """The verdict for a called number that is not a US or Canadian number (fail closed).

    >>> invalid_number("123", "too short").reasons[0].code.value
    'invalid_number'
    """
    reason = Reason(
        code=ReasonCode.INVALID_NUMBER,
        jurisdiction="NANP",
        rule=INVALID_NUMBER_RULE,
        message=f"{text!r} is not a US or Canadian phone number: {why}",
    )
    return Verdict(False, (reason,), (), ())


NOT_NANP_AREA: Final = "not a US or Canadian area code"
"""Why a number that parses is still invalid: its area code is not in the US or Canada."""


def invalid_call_number(text: str) -> Verdict:
    """The verdict of a called number written ``text`` that is not a US or Canadian number,
    saying why: it does not parse as one, or its area code is not one of theirs.

    >>> invalid_call_number("555-0100").reasons[0].message
    "'555-0100' is not a US or Canadian phone number: too short: 7 digits, expected 10"
    """
    try:
        parse_number(text)
    except InvalidNumberError as e:
        return invalid_number(text, e.why)
    return invalid_number(text, NOT_NANP_AREA)
