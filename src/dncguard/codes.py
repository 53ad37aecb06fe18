"""The stable codes of a decision: why a call is blocked, and what allowed it despite a listing.

Plain string enums with no dependencies, so that the law in ``dncguard.jurisdictions`` can name
them without importing the pydantic models (``dncguard.models`` re-exports both).

>>> ReasonCode("national_registry") is ReasonCode.NATIONAL_REGISTRY
True
>>> ExemptionCode.EBR_PURCHASE.value
'ebr_purchase'
"""

from __future__ import annotations

import enum

__all__ = ["ExemptionCode", "ReasonCode"]


class ReasonCode(enum.StrEnum):
    """Why a call is blocked. Stable strings: dialers match on them."""

    INVALID_NUMBER = "invalid_number"
    NATIONAL_REGISTRY = "national_registry"
    STATE_REGISTRY = "state_registry"
    INTERNAL_LIST = "internal_list"
    CALLING_HOURS = "calling_hours"
    STALE_REGISTRY = "stale_registry"
    AREA_CODE_NOT_COVERED = "area_code_not_covered"
    PRERECORDED_WITHOUT_CONSENT = "prerecorded_without_consent"
    JURISDICTION_EXCLUDED = "jurisdiction_excluded"
    STATE_LIST_NOT_LOADED = "state_list_not_loaded"
    FREQUENCY_CAP = "frequency_cap"
    AUTOMATED_WITHOUT_CONSENT = "automated_without_consent"
    TEXT_WITHOUT_CONSENT = "text_without_consent"


class ExemptionCode(enum.StrEnum):
    """What allowed a call despite a listing."""

    EBR_PURCHASE = "ebr_purchase"
    EBR_INQUIRY = "ebr_inquiry"
    EBR_CONTRACT = "ebr_contract"
    CONSENT = "consent"
    CHARITY = "charity"
    POLITICAL = "political"
    SURVEY = "survey"
    NEWSPAPER = "newspaper"
    BUSINESS_LINE = "business_line"
    INFORMATIONAL = "informational"
