"""The vocabulary: a call, the evidence about it, and the decision with its reasons.

These are pydantic v2 models; JSON uses the same field names as Python, and every model
round-trips through ``model_dump(mode="json")`` / ``model_validate``. A call's time must be an
aware datetime: a naive one is ambiguous across the called party's zones and is refused.

>>> call = Call.model_validate({"to": "(212) 555-0143", "at": "2026-03-16T14:00:00-04:00",
...                             "seller": "acme"})
>>> call.purpose, call.caller, call.line
('sale', 'seller', 'unknown')
>>> Call.model_validate({"to": "2125550143", "at": "2026-03-16T14:00:00", "seller": "acme"})
Traceback (most recent call last):
...
dncguard.errors.InvalidModelError: 1 validation error for Call
at
  Input should have timezone info ...

Dates (``on``, ``ends``, ``revoked_on``, ``reassigned_on``) are calendar dates. A datetime is
accepted and reduced to its date in its own UTC offset (write the date in the called party's
local calendar when it matters at midnight).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from dncguard._calendar import latest_date
from dncguard.codes import ExemptionCode, ReasonCode
from dncguard.errors import InvalidModelError

__all__ = [
    "EVIDENCE_COLUMNS",
    "EVIDENCE_DATE_COLUMNS",
    "Call",
    "Caller",
    "Channel",
    "Consent",
    "ConsentKind",
    "Consulted",
    "Decision",
    "DncRequest",
    "Exemption",
    "ExemptionCode",
    "Line",
    "Purpose",
    "Reason",
    "ReasonCode",
    "Relationship",
    "RelationshipKind",
]


_EPOCH_TEXT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
"""A text pydantic would read as a number of seconds or milliseconds since 1970."""


def _to_date(value: Any) -> Any:
    """Accept a datetime (or an ISO datetime string) where a date is expected: keep its date.

    A number (or a text of digits) is refused: pydantic's lax mode would read ``1773619200`` as
    seconds since 1970 (a date when it falls on midnight UTC), as it did for ``at``."""
    if isinstance(value, int | float) or (isinstance(value, str) and _EPOCH_TEXT.match(value)):
        raise ValueError("a number is not a date (seconds since 1970?): write it as YYYY-MM-DD (2026-03-16)")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and ("T" in value or " " in value.strip()):
        try:
            return dt.datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return value  # let pydantic report the field
    return value


Date = Annotated[dt.date, BeforeValidator(_to_date)]


def _not_future(value: dt.date | None) -> dt.date | None:
    """Evidence is a record of what happened: a date after today (in UTC, plus a day for the
    zones ahead of it) is a typo or a wrong clock, refused (docs/defaults.md#nothing-is-dated-in-the-future).
    Read as a date, a request typed 2062 for 2026 would let every call through until 2062."""
    if value is not None:
        latest = latest_date()
        if value > latest:
            raise ValueError(
                f"{value.isoformat()} is in the future (today is "
                f"{(latest - dt.timedelta(days=1)).isoformat()} in UTC): evidence cannot be dated "
                "before it happened"
            )
    return value


def _seller_or_default(value: str | None) -> str | None:
    """A piece of evidence names a seller or leaves it out (the call's seller): a blank name is
    neither, and read as some other seller it would drop a do-not-call request unseen."""
    if value is not None and not value.strip():
        raise ValueError("seller is blank: name the seller, or leave it out for the call's seller")
    return value


Caller = Literal["seller", "telemarketer", "charity"]
Purpose = Literal["sale", "donation", "political", "survey", "newspaper_subscription", "informational"]
Line = Literal["residential", "wireless", "business", "unknown"]
Channel = Literal["voice", "text"]
RelationshipKind = Literal["purchase", "inquiry", "contract", "donation", "membership"]
ConsentKind = Literal["written", "electronic", "recorded_verbal", "verbal"]


def _invalid(error: ValidationError) -> ValidationError:
    """pydantic's ``error`` as an :class:`~dncguard.errors.InvalidModelError` (the same errors)."""
    try:
        return InvalidModelError.from_exception_data(error.title, error.errors())  # type: ignore[arg-type]
    except Exception:  # an error pydantic cannot build again: the error itself
        return error


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        """Fields that cannot be used raise :class:`~dncguard.errors.InvalidModelError`."""
        try:
            self.__pydantic_validator__.validate_python(data, self_instance=self)
        except ValidationError as e:
            raise _invalid(e) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as e:
            raise _invalid(e) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as e:
            raise _invalid(e) from None


class Relationship(_Model):
    """An established business relationship (a purchase, an inquiry, or a contract), or the
    called party's tie to a charity (a ``donation`` or a ``membership``).

    ``on`` is the last purchase, payment, shipment or inquiry (for a contract or a membership,
    its start; for a donation, the day of the last gift); ``ends`` is a contract's or a
    membership's end (``None`` while in force); ``seller`` defaults to the call's (for a charity
    call, the charity). A donation or membership only matters for a prerecorded charity call
    made by a telemarketer (docs/calls.md); it is never a business relationship.
    """

    kind: RelationshipKind
    on: Date
    ends: Date | None = None
    seller: str | None = None

    _on_past = field_validator("on")(_not_future)
    _seller_named = field_validator("seller")(_seller_or_default)


class Consent(_Model):
    """Permission to call: ``written``/``electronic`` mean signed (E-SIGN counts)."""

    kind: ConsentKind
    on: Date
    seller: str | None = None
    number: str | None = None
    revoked_on: Date | None = None

    _dates_past = field_validator("on", "revoked_on")(_not_future)
    _seller_named = field_validator("seller")(_seller_or_default)


class DncRequest(_Model):
    """A do-not-call request made to ``seller`` (default: the call's seller) on ``on``."""

    on: Date
    seller: str | None = None

    _on_past = field_validator("on")(_not_future)
    _seller_named = field_validator("seller")(_seller_or_default)


AT_RANGE: tuple[dt.datetime, dt.datetime] = (
    dt.datetime(2, 1, 1, tzinfo=dt.UTC),
    dt.datetime(9998, 12, 31, tzinfo=dt.UTC),
)
"""The instants a call (and its ``attempts``) may be at: the years 2 to 9998 UTC. Python's
dates hold the years 1 to 9999; a decision works out local dates at every UTC offset, calling
hours a day before and up to twelve days after the call (its next allowed time) and frequency
caps a day before it, so a year is left at either end. The command line holds every ``at`` it
reads (CSV, Parquet and JSON, and ``--at``) to the same range."""

AT_RANGE_WORDS = "dncguard reads times from 0002-01-01 to 9998-12-31 UTC"
"""What an error says of :data:`AT_RANGE`."""


class Call(_Model):
    """One planned outbound call. See docs/calls.md for every field's meaning."""

    to: str
    at: AwareDatetime
    seller: str
    caller: Caller = "seller"
    purpose: Purpose = "sale"
    line: Line = "unknown"
    prerecorded: bool = False
    relationships: tuple[Relationship, ...] = ()
    consents: tuple[Consent, ...] = ()
    dnc_requests: tuple[DncRequest, ...] = ()
    callee_region: str | None = None
    callee_timezone: str | None = None
    reassigned_on: Date | None = None
    channel: Channel = "voice"
    automated: bool = False
    attempts: tuple[AwareDatetime, ...] = ()

    @field_validator("to", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        # A CRM export often holds numbers as integers; 2125550143 means "2125550143".
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("at", "attempts", mode="before")
    @classmethod
    def _not_a_number(cls, value: Any) -> Any:
        # pydantic's lax mode reads a number (or a text of digits) as seconds or milliseconds
        # since 1970, guessing which by its size: a number is not a time (docs/calls.md).
        many = isinstance(value, list | tuple)
        for at in value if many else (value,):
            if isinstance(at, int | float) or (isinstance(at, str) and _EPOCH_TEXT.match(at)):
                raise ValueError(
                    (f"{at!r} in the list: " if many else "")
                    + "a number is not a time (seconds or milliseconds since 1970?): write it in"
                    " ISO 8601 with a UTC offset (2026-03-16T14:00:00-04:00)"
                )
        return value

    @field_validator("at", "attempts")
    @classmethod
    def _in_range(cls, value: Any) -> Any:
        for at in value if isinstance(value, tuple) else (value,):
            if not AT_RANGE[0] <= at <= AT_RANGE[1]:
                raise ValueError(f"{at.isoformat()} is out of range: {AT_RANGE_WORDS}")
        return value

    @field_validator("seller")
    @classmethod
    def _seller_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("seller must name the party on whose behalf the call is made")
        return value

    _reassigned_past = field_validator("reassigned_on")(_not_future)

    @field_validator("callee_region")
    @classmethod
    def _region_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        v = value.strip().upper()
        if len(v) < 4 or v[2] != "-" or v[:2] not in ("US", "CA"):
            raise ValueError(f"callee_region {value!r}: expected ISO 3166-2 such as 'US-GA' or 'CA-ON'")
        from dncguard import geography

        geography.region_zones(v)  # a subdivision dncguard knows, else ValueError with a suggestion
        return v

    @field_validator("callee_timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(
                f"callee_timezone {value!r}: not an IANA time zone such as 'America/Chicago'"
            ) from e
        return value


#: The flat, nullable evidence columns of a bulk table (docs/calls.md): the call's seller's last
#: purchase and inquiry, its contract, its consent and its do-not-call request; for a charity,
#: the called party's last donation and membership. ``contract_ends`` (``membership_ends``)
#: counts only where ``contract_on`` (``membership_on``) is set; ``consent_kind`` and
#: ``consent_on`` go together.
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "last_purchase",
    "last_inquiry",
    "contract_on",
    "contract_ends",
    "consent_kind",
    "consent_on",
    "consent_revoked_on",
    "dnc_requested_on",
    "last_donation",
    "membership_on",
    "membership_ends",
)
#: The columns of a bulk table that hold calendar dates.
EVIDENCE_DATE_COLUMNS: tuple[str, ...] = (
    "reassigned_on",
    *(name for name in EVIDENCE_COLUMNS if name != "consent_kind"),
)


class Reason(_Model):
    """One rule that blocks a call, with the jurisdiction and the citation."""

    code: ReasonCode
    jurisdiction: str
    rule: str
    message: str


class Exemption(_Model):
    """One exemption that was needed for the call and applied."""

    code: ExemptionCode
    jurisdiction: str
    rule: str


class Consulted(_Model):
    """One list a decision depended on (its provenance), as the registry held it.

    ``layer``: the list's name (``"us-ftc"``, ``"us-tx"``, ``"internal:acme"``);
    ``jurisdiction``: whose list it is (an internal list: the called number's country);
    ``obtained``: the date of that list's data for the called area code (None when the list is
    not loaded or does not cover it; an internal list has no such date); ``listed``: whether the
    number is on it (None when unknown: the list is not loaded or does not cover the number).
    """

    layer: str
    jurisdiction: str
    obtained: Date | None
    listed: bool | None


class Decision(_Model):
    """Whether a call is allowed, and why. Never a bare bool.

    ``registry_id`` and ``consulted`` say what it was decided on: the ``Registry.id`` and every
    list whose answer it depended on (see :class:`Consulted`).
    """

    allowed: bool
    reasons: tuple[Reason, ...] = ()
    exemptions: tuple[Exemption, ...] = ()
    next_allowed_at: AwareDatetime | None = None
    number: str = Field(description="the called number in E.164, or the input as given if invalid")
    jurisdictions: tuple[str, ...] = ()
    registry_id: str = ""
    consulted: tuple[Consulted, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed
