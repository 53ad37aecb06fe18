"""dncguard: local, exact, explainable Do-Not-Call compliance for US and Canadian calls."""

from dncguard import sources
from dncguard.errors import (
    CallColumnError,
    ChangeOrderError,
    CorruptIndexError,
    CoverageError,
    DncguardError,
    HistoryError,
    IndexChangedError,
    IndexFileError,
    IndexLockedError,
    InvalidNumberError,
    RegistryFormatError,
    StaleRegistryError,
)
from dncguard.guard import Guard
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
from dncguard.numbers import format_e164, parse_number, parse_numbers
from dncguard.registry import Change, Registry

__version__ = "0.1.0.dev0"

__all__ = [
    "Call",
    "CallColumnError",
    "Change",
    "ChangeOrderError",
    "Consent",
    "CorruptIndexError",
    "CoverageError",
    "Decision",
    "DncRequest",
    "DncguardError",
    "Exemption",
    "ExemptionCode",
    "Guard",
    "HistoryError",
    "IndexChangedError",
    "IndexFileError",
    "IndexLockedError",
    "InvalidNumberError",
    "Layer",
    "Listing",
    "Reason",
    "ReasonCode",
    "Registry",
    "RegistryFormatError",
    "Relationship",
    "StaleRegistryError",
    "format_e164",
    "parse_number",
    "parse_numbers",
    "sources",
]
