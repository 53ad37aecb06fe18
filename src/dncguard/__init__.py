"""dncguard: local, exact, explainable Do-Not-Call compliance for US and Canadian calls."""

from dncguard.errors import (
    CorruptIndexError,
    CoverageError,
    DncguardError,
    InvalidNumberError,
    RegistryFormatError,
    StaleRegistryError,
)
from dncguard.layers import Layer, Listing
from dncguard.models import (
    Call,
    Consent,
    Decision,
    DncRequest,
    Exemption,
    ExemptionCode,
    Reason,
    ReasonCode,
    Relationship,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "Call",
    "Consent",
    "CorruptIndexError",
    "CoverageError",
    "Decision",
    "DncRequest",
    "DncguardError",
    "Exemption",
    "ExemptionCode",
    "InvalidNumberError",
    "Layer",
    "Listing",
    "Reason",
    "ReasonCode",
    "RegistryFormatError",
    "Relationship",
    "StaleRegistryError",
]
