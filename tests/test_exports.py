"""The public surface: one sorted ``__all__`` whose names all exist (STYLE.md rule 3)."""

from __future__ import annotations

import dncguard


def test_all_is_sorted_and_unique() -> None:
    assert list(dncguard.__all__) == sorted(set(dncguard.__all__))


def test_every_exported_name_exists() -> None:
    missing = [name for name in dncguard.__all__ if not hasattr(dncguard, name)]
    assert missing == []


def test_api_md_names_are_exported() -> None:
    # The names that shared/design/API.md fixes for users and external tests.
    required = {
        "Call", "Relationship", "Consent", "DncRequest", "Decision", "Reason", "Exemption",
        "ReasonCode", "ExemptionCode", "DncguardError", "InvalidNumberError", "CorruptIndexError",
        "RegistryFormatError", "Registry", "Guard", "parse_number", "sources",
    }  # fmt: skip
    assert required <= set(dncguard.__all__)


def test_input_errors_are_value_errors() -> None:
    for name in ("InvalidNumberError", "RegistryFormatError", "CorruptIndexError", "CoverageError"):
        error = getattr(dncguard, name)
        assert issubclass(error, ValueError), name
        assert issubclass(error, dncguard.DncguardError), name
