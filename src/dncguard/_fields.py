"""A call's fields by name, as tables and records spell them (docs/defaults.md#near-miss-call-columns).

A column of a call table (or a key of a call record) is a call field, or it is passed through
untouched; but a name that is *not* a call field and yet *close to one* is an error naming both
spellings, since it would otherwise drop its evidence without a word (``dnc_request_on`` for
``dnc_requested_on`` would decide the call as if no request existed). :func:`call_columns` is the
one check ``Guard.scrub``, the command line's call files and ``Guard.check`` share.

A name is close to a field when, compared case-folded:

- it has the same letters once ``_``, ``-`` and spaces are dropped (``Consent Kind``,
  ``consent-kind``, ``ConsentKind`` for ``consent_kind``);
- it is the field with a date word added, dropped or swapped at its end (``dnc_requested`` or
  ``contract_date`` for ``dnc_requested_on`` and ``contract_on``);
- or it is within a few edits of the field (insertions, deletions, substitutions or swaps of two
  neighbouring letters): two for a field of ten letters or more, one for a field of four to
  nine, none for the two-letter ``to`` and ``at`` (every two-letter name, ``id`` among them, is
  two edits from them). A name whose only difference is one short word of at most three
  letters swapped for another (``contract_no``, ``contract_id``, ``consent_id``) is another
  name, not a slip.

>>> near_miss("dnc_request_on")
'dnc_requested_on'
>>> near_miss("Consent Kind"), near_miss("contract_date"), near_miss("sellers")
('consent_kind', 'contract_on', 'seller')
>>> [near_miss(n) for n in ("id", "name", "notes", "phone_type", "contract_no", "comments")]
[None, None, None, None, None, None]
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, get_args, get_origin

from pydantic import BaseModel, ValidationError

from dncguard.errors import CallColumnError, InvalidCallError
from dncguard.models import EVIDENCE_COLUMNS, Call, Consent, DncRequest, Relationship

__all__ = [
    "FLAT_KEYS",
    "NESTED_FIELDS",
    "RECORD_FIELDS",
    "TABLE_FIELDS",
    "call_columns",
    "first_problem",
    "fold_flat_evidence",
    "invalid_call",
    "near_miss",
    "near_miss_advice",
]

#: The Call fields that hold lists of evidence models: a record may have them, a table may not
#: (``attempts``, a list of times, is a list column of a table).
NESTED_FIELDS: Final[tuple[str, ...]] = tuple(
    name
    for name, f in Call.model_fields.items()
    if get_origin(f.annotation) is tuple
    and any(isinstance(a, type) and issubclass(a, BaseModel) for a in get_args(f.annotation))
)
#: The names a table's columns may take: the scalar Call fields and the flat evidence columns.
TABLE_FIELDS: Final[tuple[str, ...]] = (
    *(name for name in Call.model_fields if name not in NESTED_FIELDS),
    *EVIDENCE_COLUMNS,
)
#: The keys a call record (a JSON object, a dict given to ``Guard.check``) may have.
RECORD_FIELDS: Final[tuple[str, ...]] = (*Call.model_fields, *EVIDENCE_COLUMNS)
#: The keys of the evidence models, for a misspelt key inside a relationship, consent or request.
EVIDENCE_KEYS: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(name for model in (Relationship, Consent, DncRequest) for name in model.model_fields)
)

_SEPARATORS: Final = re.compile(r"[\s_\-]+")
_DATE_WORDS: Final = ("on", "date", "at", "day")


def _squash(name: str) -> str:
    return _SEPARATORS.sub("", name.casefold())


def _stem(squashed: str) -> str:
    """``squashed`` without one date word at its end (when three letters or more remain)."""
    for word in _DATE_WORDS:
        if squashed.endswith(word) and len(squashed) - len(word) >= 3:
            return squashed[: -len(word)]
    return squashed


def _edits(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    if abs(len(a) - len(b)) > 2:
        return 3
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _allowed_edits(field: str) -> int:
    return 0 if len(field) <= 3 else 1 if len(field) < 10 else 2


def _another_word(name: str, field: str) -> bool:
    """The names differ only in one short word (at most three letters) swapped for another:
    ``contract_no`` is a contract number, not a misspelt ``contract_on``. A word of other letters
    than ASCII's is no such word (``dnc_requested_оn`` with a Cyrillic ``о`` is a slip)."""
    a, b = _SEPARATORS.split(name), _SEPARATORS.split(field)
    if len(a) != len(b) or len(a) < 2:
        return False
    diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return len(diff) == 1 and len(diff[0][0]) <= 3 and len(diff[0][1]) <= 3 and diff[0][0].isascii()


# Letters of other scripts that look like Latin ones (after case folding): a name spelt with
# them reads as the Latin name it shows.
_LOOKALIKES: Final = str.maketrans(
    {
        **dict(zip("аесіјкорѕухһԁԛԝӏ", "aecijkopsyxhdqwl", strict=True)),  # Cyrillic
        **dict(zip("αικνορτυχ", "aiknoptux", strict=True)),  # Greek
        **dict(zip("օսɡ", "oug", strict=True)),  # Armenian, Latin script g
    }
)


@functools.lru_cache(maxsize=4096)
def _letters(name: str) -> str:
    """``name`` as the letters it shows: compatibility forms as their letters (full-width
    ``ｄｎｃ``), without accents and invisible format characters (zero-width spaces, soft
    hyphens), case-folded, lookalike letters of other scripts as the Latin ones."""
    decomposed = unicodedata.normalize("NFKD", name)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Cf"))
    return unicodedata.normalize("NFC", kept).strip().casefold().translate(_LOOKALIKES)


def _closeness(name: str, field: str) -> int | None:
    """How close ``name`` is to ``field`` (lower is closer), or None when it is not close."""
    folded = _letters(name)
    squashed, target = _squash(folded), _squash(field)
    if squashed == target:
        return 0
    stem = _stem(squashed)
    if (stem == _stem(target) and len(_stem(target)) >= 3) or stem == target:
        # a date word dropped, swapped or added (dnc_requested, contract_date, consent_on_date)
        return 1
    if _another_word(folded, field):
        return None
    d = _edits(folded, field)
    return d if 0 < d <= _allowed_edits(field) else None


@functools.lru_cache(maxsize=4096)
def _near_miss(name: str, fields: tuple[str, ...]) -> str | None:
    best: tuple[int, str] | None = None
    for field in fields:
        c = _closeness(name, field)
        if c is not None and (best is None or c < best[0]):
            best = (c, field)
    return None if best is None else best[1]


def near_miss(name: str, fields: Sequence[str] = RECORD_FIELDS) -> str | None:
    """The field among ``fields`` that ``name`` (not itself one of them) is close to, or None."""
    if name in fields:
        return None
    return _near_miss(name, tuple(fields))


def near_miss_advice(close: str, what: str = "call field") -> str:
    """What an error says of a name close to the field ``close`` (the name itself is named by
    the error's column): the one wording of call columns and of list columns."""
    return (
        f"did you mean {close!r}? A name this close to a {what} is refused rather than"
        f" ignored: rename it to {close!r}, or to a name not close to any {what} if it"
        " means something else"
    )


@functools.lru_cache(maxsize=256)
def _checked(names: tuple[str, ...], fields: tuple[str, ...], fold_case: bool) -> tuple[str, ...]:
    passed: list[str] = []
    given: dict[str, str] = {}
    for name in names:
        key = name.strip().casefold() if fold_case else name
        if key in fields:
            if key in given:
                raise CallColumnError(
                    f"two columns give {key!r} ({given[key]!r} and {name!r}): keep one", column=name
                )
            given[key] = name
            continue
        if key in NESTED_FIELDS or (fold_case and _squash(key) in {_squash(n) for n in NESTED_FIELDS}):
            raise CallColumnError(
                f"a table cannot hold the {key} list: give the evidence in the flat columns"
                f" ({', '.join(EVIDENCE_COLUMNS)}), or the calls as JSON records",
                column=name,
            )
        close = _near_miss(name, fields)
        if close is not None:
            raise CallColumnError(near_miss_advice(close), column=name)
        passed.append(name)
    return tuple(passed)


def call_columns(
    names: Iterable[str],
    *,
    fields: Sequence[str] = TABLE_FIELDS,
    fold_case: bool = False,
    path: str | None = None,
    row: int | None = None,
) -> tuple[str, ...]:
    """Check the column names of a call table (or the keys of a record); return the names that
    are not call fields, which pass through.

    Raises :class:`~dncguard.errors.CallColumnError` naming the column for a near miss (see the
    module docstring), for a nested evidence list in a table, and (``fold_case``: names matched
    ignoring case and outer spaces, as call files are) for two columns that give one field.
    ``path`` and ``row`` are added to the error when given.
    """
    try:
        return _checked(tuple(names), tuple(fields), fold_case)
    except CallColumnError as e:
        if path is None and row is None:
            raise
        raise CallColumnError(e.detail, column=e.column, row=row, path=path) from None


def first_problem(errors: Sequence[Mapping[str, Any]]) -> tuple[list[str], str]:
    """The error of a pydantic validation to report: its location (``["relationships", "0",
    "onn"]``) and its message. A key that is not a field is reported first, with the field it
    is close to (``did you mean 'on'?``): a misspelt evidence key is the likeliest slip, and
    the "field required" that follows from it would not name the misspelling."""
    chosen = next((e for e in errors if e.get("type") == "extra_forbidden"), errors[0])
    loc = [str(p) for p in chosen.get("loc", ())]
    message = str(chosen.get("msg", "invalid"))
    if chosen.get("type") == "extra_forbidden" and loc:
        keys = RECORD_FIELDS if len(loc) == 1 else EVIDENCE_KEYS
        close = near_miss(loc[-1], keys)
        if close is None:  # only a hint in an error already raised: two edits of any key
            hints = [(_edits(loc[-1].casefold(), k), k) for k in keys]
            d, k = min(hints, default=(3, ""))
            close = k if d <= min(2, len(k) - 1) else None
        message = "not a field of a call" if len(loc) == 1 else "not a field of this evidence"
        if close is not None:
            message += f": did you mean {close!r}?"
    return loc, message


#: Flat evidence column -> the evidence model it becomes, and the model field each column fills.
_FLAT_RENAMES: Final[dict[str, dict[str, str]]] = {
    "purchase": {"on": "last_purchase"},
    "inquiry": {"on": "last_inquiry"},
    "contract": {"on": "contract_on", "ends": "contract_ends"},
    "consent": {"kind": "consent_kind", "on": "consent_on", "revoked_on": "consent_revoked_on"},
    "request": {"on": "dnc_requested_on"},
    "donation": {"on": "last_donation"},
    "membership": {"on": "membership_on", "ends": "membership_ends"},
}
FLAT_KEYS: Final[frozenset[str]] = frozenset(EVIDENCE_COLUMNS)


def _piece(model: type[BaseModel], data: dict[str, Any], rename: Mapping[str, str]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        loc, message = first_problem(e.errors())
        value = e.errors()[0].get("input")
        shown = f"{value!r}: " if isinstance(value, str | int | float) and loc else ""
        field = rename.get(loc[0], loc[0]) if loc else None
        raise InvalidCallError(shown + message, field=field) from e


def fold_flat_evidence(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with its flat evidence fields (a table row's ``last_purchase``, ``consent_kind``
    ...) turned into the nested ``relationships``/``consents``/``dnc_requests`` a Call holds,
    with the meaning ``Guard.scrub`` gives the columns: all of it the call's seller's and for
    the called number; a contract only where ``contract_on`` is set (then an absent
    ``contract_ends`` means in force), a membership likewise (``membership_on``,
    ``membership_ends``), a donation where ``last_donation`` is set; ``consent_kind`` and
    ``consent_on`` together. A null
    (``None``) flat field is absent. Nested evidence given too is kept: the flat fields add to it.

    Raises :class:`~dncguard.errors.InvalidCallError` naming the flat field that cannot be used.
    The one mapping ``Guard.check`` and the command line's call records share.
    """
    out = {k: v for k, v in record.items() if k not in FLAT_KEYS}
    flat = {k: v for k, v in record.items() if k in FLAT_KEYS and v is not None}
    if not flat:
        return out
    rels: list[Any] = list(out.get("relationships") or ())
    consents: list[Any] = list(out.get("consents") or ())
    requests: list[Any] = list(out.get("dnc_requests") or ())
    for column, kind in (("last_purchase", "purchase"), ("last_inquiry", "inquiry")):
        if column in flat:
            rels.append(_piece(Relationship, {"kind": kind, "on": flat[column]}, _FLAT_RENAMES[kind]))
    if "contract_on" in flat:
        data = {"kind": "contract", "on": flat["contract_on"], "ends": flat.get("contract_ends")}
        rels.append(_piece(Relationship, data, _FLAT_RENAMES["contract"]))
    if "last_donation" in flat:
        data = {"kind": "donation", "on": flat["last_donation"]}
        rels.append(_piece(Relationship, data, _FLAT_RENAMES["donation"]))
    if "membership_on" in flat:
        data = {"kind": "membership", "on": flat["membership_on"], "ends": flat.get("membership_ends")}
        rels.append(_piece(Relationship, data, _FLAT_RENAMES["membership"]))
    if "consent_on" in flat or "consent_kind" in flat:
        for need, other in (("consent_on", "consent_kind"), ("consent_kind", "consent_on")):
            if need not in flat:
                raise InvalidCallError(f"missing: required when {other} is set", field=need)
        data = {
            "kind": flat["consent_kind"],
            "on": flat["consent_on"],
            "revoked_on": flat.get("consent_revoked_on"),
        }
        consents.append(_piece(Consent, data, _FLAT_RENAMES["consent"]))
    if "dnc_requested_on" in flat:
        requests.append(_piece(DncRequest, {"on": flat["dnc_requested_on"]}, _FLAT_RENAMES["request"]))
    for key, items in (("relationships", rels), ("consents", consents), ("dnc_requests", requests)):
        if items:
            out[key] = items
    return out


def invalid_call(error: ValidationError) -> InvalidCallError:
    """A Call's validation error as :class:`~dncguard.errors.InvalidCallError` naming the field."""
    errors = error.errors()
    loc, message = first_problem(errors)
    chosen = next((e for e in errors if [str(p) for p in e.get("loc", ())] == loc), errors[0])
    value = chosen.get("input")
    extra = chosen.get("type") == "extra_forbidden"
    shown = f"{value!r}: " if isinstance(value, str | int | float) and loc and not extra else ""
    return InvalidCallError(shown + message, field=".".join(loc) if loc else None)
