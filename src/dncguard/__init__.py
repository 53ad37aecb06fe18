"""dncguard: local, exact, explainable Do-Not-Call compliance for US and Canadian calls."""

from dncguard import sources
from dncguard.errors import (
    ArgumentError,
    ArgumentTypeError,
    CallColumnError,
    ChangeOrderError,
    CorruptIndexError,
    CorruptLedgerError,
    CoverageError,
    DncguardError,
    HistoryError,
    IndexChangedError,
    IndexFileError,
    IndexLockedError,
    InvalidCallError,
    InvalidModelError,
    InvalidNumberError,
    LedgerError,
    LedgerVersionError,
    NotALedgerError,
    RegistryFormatError,
    StaleRegistryError,
)
from dncguard.guard import Guard
from dncguard.layers import Layer, Listing
from dncguard.ledger import Ledger, LedgerEntry, LedgerReport
from dncguard.models import (
    Call,
    Consent,
    Consulted,
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
    "ArgumentError",
    "ArgumentTypeError",
    "Call",
    "CallColumnError",
    "Change",
    "ChangeOrderError",
    "Consent",
    "Consulted",
    "CorruptIndexError",
    "CorruptLedgerError",
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
    "InvalidCallError",
    "InvalidModelError",
    "InvalidNumberError",
    "Layer",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "LedgerReport",
    "LedgerVersionError",
    "Listing",
    "NotALedgerError",
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
