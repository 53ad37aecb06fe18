"""Call files for the command line: ``.jsonl``/``.json`` (:mod:`._jsonfile`, a record at a time)
and ``.csv``/``.parquet`` (:mod:`._tablefile`, in batches), each record or row a call.

A call file holds one call per record with the fields of :class:`dncguard.Call`. CSV and Parquet
hold them as columns named like the fields, with the evidence in the flat columns of the bulk API
(``last_purchase``, ``last_inquiry``, ``contract_on``, ``contract_ends``, ``consent_kind``,
``consent_on``, ``consent_revoked_on``, ``dnc_requested_on``, ``last_donation``, ``membership_on``,
``membership_ends``); a JSON object may use those flat
fields, the nested ``relationships``/``consents``/``dnc_requests`` lists, or both. Other columns
of a table are carried along (``scrub`` writes them back) and otherwise ignored; other keys of a
JSON object are ignored too, and :func:`unknown_fields` names them for a warning.

This module turns one record into a :class:`dncguard.Call` (:func:`call_from_record`), naming
the file, the row and the field of any problem, and gathers the readers' names in one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from dncguard._fields import RECORD_FIELDS, call_columns, first_problem, fold_flat_evidence
from dncguard.cli._filetypes import (
    _KNOWN,
    _RECORD_SUFFIXES,
    _TABLE_SUFFIXES,
    AT_TYPE,
    Batch,
    Defaults,
    _check_suffix,
    _not_utf8,
    at_out_of_range,
    is_table_file,
)
from dncguard.cli._jsonfile import read_records
from dncguard.cli._tablefile import normalise, read_table_batches
from dncguard.errors import CallColumnError, InvalidCallError
from dncguard.models import AT_RANGE_WORDS, Call

__all__ = [
    "AT_TYPE",
    "_RECORD_SUFFIXES",
    "_TABLE_SUFFIXES",
    "Batch",
    "Defaults",
    "_check_suffix",
    "_not_utf8",
    "call_from_record",
    "is_table_file",
    "normalise",
    "read_records",
    "read_table_batches",
    "unknown_fields",
]


def _error_field(err: ValidationError, rename: Mapping[str, str] | None = None) -> tuple[str, str]:
    errors = err.errors()
    loc, message = first_problem(errors)
    first = next(e for e in errors if [str(p) for p in e["loc"]] == loc)
    name = ".".join(loc) if loc else "(record)"
    if rename and loc and loc[0] in rename:
        name = rename[loc[0]]
    value = first.get("input")
    extra = first.get("type") == "extra_forbidden"
    shown = f"{value!r}: " if isinstance(value, str | int | float) and loc and not extra else ""
    return name, shown + message


def _model(
    model: type[BaseModel], data: dict[str, Any], *, path: str, row: int, rename: Mapping[str, str]
) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        name, message = _error_field(e, rename)
        raise CallColumnError(message, path=path, row=row, column=name) from None


def call_from_record(record: Any, *, path: str, row: int, defaults: Defaults) -> Call:
    """Validate one record (a JSON object or a table row) as a :class:`Call`.

    Defaults fill absent or null ``at``/``seller``/``purpose``; flat evidence fields become the
    nested lists; fields that are not call fields are dropped (see :func:`unknown_fields`).
    """
    if not isinstance(record, dict):
        raise CallColumnError(
            f"expected an object with the call's fields, got {type(record).__name__}", path=path, row=row
        )
    call_columns(record, fields=RECORD_FIELDS, path=path, row=row)  # near misses (docs/defaults.md)
    data = {k: v for k, v in record.items() if k in _KNOWN}
    defaults.fill(data)
    try:
        data = fold_flat_evidence(data)  # the meaning Guard.check and Guard.scrub give them
    except InvalidCallError as e:
        raise CallColumnError(e.detail, path=path, row=row, column=e.field) from None
    for name in ("to", "at", "seller"):
        if data.get(name) is None:
            hint = f" (or give --{name})" if name != "to" else ""
            raise CallColumnError(f"missing: every call needs it{hint}", path=path, row=row, column=name)
    data = {k: v for k, v in data.items() if v is not None}
    call = _model(Call, data, path=path, row=row, rename={})
    assert isinstance(call, Call)
    # The years a CSV or Parquet ``at`` is held to, so that no clock runs off Python's dates.
    if at_out_of_range(call.at):
        shown = repr(data["at"]) if isinstance(data["at"], str) else call.at.isoformat()
        raise CallColumnError(f"{shown} is out of range: {AT_RANGE_WORDS}", path=path, row=row, column="at")
    return call


def unknown_fields(names: Iterator[str] | Sequence[str]) -> list[str]:
    """The names among ``names`` that are neither a call field nor an evidence column."""
    return [n for n in names if n not in _KNOWN]
