"""The public surface: one sorted ``__all__``, equal to the documented names and to every public
name the package holds (httpx's ``test_exported_members.py`` is the model)."""

from __future__ import annotations

from types import ModuleType

import pytest

import dncguard

DOCUMENTED = {
    # the vocabulary
    "Call", "Relationship", "Consent", "DncRequest", "Decision", "Reason", "Exemption",
    "ReasonCode", "ExemptionCode", "Consulted",
    # the registry and the guard
    "Registry", "Layer", "Listing", "Guard", "sources", "Change",
    # numbers
    "parse_number", "parse_numbers", "format_e164",
    # errors (the tree in dncguard.errors)
    "DncguardError", "ArgumentError", "ArgumentTypeError", "InvalidNumberError", "RegistryFormatError",
    "CoverageError",
    "CorruptIndexError", "CallColumnError", "StaleRegistryError", "ChangeOrderError",
    "IndexChangedError", "IndexFileError", "IndexLockedError", "InvalidCallError", "HistoryError",
    "InvalidModelError",
    "LedgerError", "NotALedgerError", "LedgerVersionError", "CorruptLedgerError",
    # the call ledger
    "Ledger", "LedgerEntry", "LedgerReport",
}  # fmt: skip


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
    for name in (
        "ArgumentError",
        "InvalidNumberError",
        "RegistryFormatError",
        "CorruptIndexError",
        "CoverageError",
    ):
        error = getattr(dncguard, name)
        assert issubclass(error, ValueError), name
        assert issubclass(error, dncguard.DncguardError), name


def test_argument_type_errors_are_type_errors() -> None:
    assert issubclass(dncguard.ArgumentTypeError, TypeError)
    assert issubclass(dncguard.ArgumentTypeError, dncguard.DncguardError)


def test_all_is_the_documented_names() -> None:
    assert set(dncguard.__all__) == DOCUMENTED


def test_all_is_every_public_name_the_package_holds() -> None:
    """Nothing public slips in without being exported (submodules aside: ``sources`` is one)."""
    held = {
        name
        for name, value in vars(dncguard).items()
        if not name.startswith("_") and (not isinstance(value, ModuleType) or name == "sources")
    }
    assert sorted(held) == dncguard.__all__


def test_every_error_in_the_tree_is_exported_or_named_in_it() -> None:
    """The tree drawn in ``dncguard.errors`` names every error class the module defines."""
    from dncguard import errors

    classes = {n for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, Exception)}
    assert classes == set(errors.__all__)
    assert all(
        f" {name} " in (errors.__doc__ or "") or f"    {name}\n" in (errors.__doc__ or "") for name in classes
    )


def test_a_bad_call_column_is_the_same_error_in_python_and_on_the_command_line() -> None:
    """``Guard.scrub`` and the command line both raise :class:`dncguard.CallColumnError`,
    naming the column and the row."""
    import datetime as dt

    import pyarrow as pa

    from dncguard.cli._callfile import Defaults, normalise
    from dncguard.layers import Chunk, LayerKey, Op

    chunk = Chunk(LayerKey.national("US"), Op.REPLACE, __import__("numpy").array([2125550143], "uint64"),
                  coverage={212: dt.date(2026, 3, 10)}, obtained=dt.date(2026, 3, 10))  # fmt: skip
    guard = dncguard.Guard(dncguard.Registry.build([[chunk]]))
    table = pa.table({"to": ["212-555-0199"], "at": ["2026-03-16T14:00:00-04:00"], "purpose": ["robbery"]})
    with pytest.raises(dncguard.CallColumnError) as in_python:
        guard.scrub(table, seller="acme")
    assert (in_python.value.column, in_python.value.row) == ("purpose", 1)
    with pytest.raises(dncguard.CallColumnError) as on_the_command_line:
        normalise(table, path="calls.csv", first_row=1, defaults=Defaults(seller="acme"))
    error = on_the_command_line.value
    assert (error.column, error.row, error.path) == ("purpose", 1, "calls.csv")
