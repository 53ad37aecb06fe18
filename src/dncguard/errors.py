"""Errors raised by dncguard.

Every error derives from :class:`DncguardError`; errors caused by bad input also derive from
:class:`ValueError` (an argument of the wrong type from :class:`TypeError`), so code that already
catches ``ValueError`` or ``TypeError`` keeps working::

    DncguardError
    ├── ArgumentError           (ValueError)  an argument with a value a function cannot take: names it
    ├── ArgumentTypeError       (TypeError)   an argument of a type a function cannot take: names it
    ├── InvalidNumberError      (ValueError)  a string that is not a US/Canadian NANP number
    ├── RegistryFormatError     (ValueError)  a registry download that cannot be read: file, member, line
    ├── CoverageError           (ValueError)  a number outside the area codes a source declared
    ├── ChangeOrderError        (ValueError)  a change list or replacement older than the data it changes
    ├── CorruptIndexError       (ValueError)  an index file with a wrong magic, version, size or checksum
    │   └── IndexChangedError                 an open index file changed in place under its reader
    ├── CallColumnError         (ValueError)  a call field that cannot be used: column, row (and file)
    ├── InvalidCallError        (ValueError)  a call given to Guard.check that cannot be used: field
    ├── InvalidModelError       (ValueError)  a Call, Consent, ... with a bad field (a ValidationError)
    ├── UsageError              (ValueError)  a command-line argument that cannot be used (exit 2)
    ├── IndexFileError          (OSError)     an index file that cannot be read or written: names it
    ├── IndexLockedError                      another update holds the index's lock (``timeout=``)
    ├── HistoryError            (LookupError) a date or registry id the index's history does not reach
    ├── StaleRegistryError                    a registry copy too old for the call (``on_stale="raise"``)
    └── LedgerError                           a call ledger that cannot be used (locked, refused): names it
        ├── NotALedgerError     (ValueError)  a file that is not a dncguard ledger, or no file
        ├── LedgerVersionError                a ledger written by a newer dncguard: upgrade
        └── CorruptLedgerError  (ValueError)  a damaged ledger (SQLite reports it, or an entry cannot be read)

Each error carries the context a user needs to act on it (``path``, ``line``, ``number``) as
attributes, and says in its message what to do.

>>> try:
...     raise RegistryFormatError("expected a 10-digit number", path="ftc.txt", line=3)
... except ValueError as e:
...     print(e)
ftc.txt, line 3: expected a 10-digit number
"""

from __future__ import annotations

import os

import pydantic_core

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "CallColumnError",
    "ChangeOrderError",
    "CorruptIndexError",
    "CorruptLedgerError",
    "CoverageError",
    "DncguardError",
    "HistoryError",
    "IndexChangedError",
    "IndexFileError",
    "IndexLockedError",
    "InvalidCallError",
    "InvalidModelError",
    "InvalidNumberError",
    "LedgerError",
    "LedgerVersionError",
    "NotALedgerError",
    "RegistryFormatError",
    "StaleRegistryError",
    "UsageError",
]


class DncguardError(Exception):
    """The base of every error dncguard raises."""


class ArgumentError(DncguardError, ValueError):
    """An argument given to a dncguard function or constructor with a value it cannot take, such
    as ``Guard(registry, on_stale="warn")`` or ``scrub(..., threads=0)``. The message names the
    argument and says what it takes.

    >>> try:
    ...     raise ArgumentError("threads=0: expected 1 or more")
    ... except ValueError as e:
    ...     print(e)
    threads=0: expected 1 or more
    """


class ArgumentTypeError(DncguardError, TypeError):
    """An argument given to a dncguard function or constructor of a type it cannot take, such as
    ``sources.ftc(3)`` or ``parse_number(2.5)``. The message names the argument and the types it
    takes."""


class InvalidNumberError(DncguardError, ValueError):
    """A string that is not a valid US or Canadian number in the North American Numbering Plan.

    ``value`` is the input as given; ``why`` is a short reason such as ``"too short"``.
    """

    def __init__(self, value: object, why: str) -> None:
        self.value = value
        self.why = why
        super().__init__(f"{value!r} is not a US or Canadian phone number: {why}")


class RegistryFormatError(DncguardError, ValueError):
    """A registry download (or one member of its archive) that cannot be read.

    The message starts with the file, the archive member and the line (``line N``, 1-based) when
    they are known, then says what was expected. Nothing built from the file is kept.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        member: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path = None if path is None else os.fspath(path)
        self.member = member
        self.line = line
        self.detail = message
        where = [p for p in (self.path, member) if p]
        loc = ":".join(where)
        if line is not None:
            loc = f"{loc}, line {line}" if loc else f"line {line}"
        super().__init__(f"{loc}: {message}" if loc else message)


class CoverageError(DncguardError, ValueError):
    """A number outside the area codes its source declared (``area_codes=``), or its country.

    ``suggested_source`` names the reader the number belongs to when it is another country's
    (``"dncl"`` for a Canadian number in an FTC file, ``"ftc"`` for a US number in the DNCL).
    """

    def __init__(
        self,
        message: str,
        *,
        number: int | None = None,
        path: str | None = None,
        suggested_source: str | None = None,
    ) -> None:
        self.number = number
        self.path = path
        self.suggested_source = suggested_source
        super().__init__(message)


class ChangeOrderError(DncguardError, ValueError):
    """A change list or replacement obtained before the data it would change: registry data only
    moves forward. Apply change lists in the order of the dates they were obtained."""

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        super().__init__(message)


class CorruptIndexError(DncguardError, ValueError):
    """An index file that is damaged, truncated or of another format version: it is never served.

    Rebuild it with ``Registry.build(...).save(path)`` (or ``dncguard build``) from the downloads.
    """

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class CallColumnError(DncguardError, ValueError):
    """A call field that cannot be used, in a table given to ``Guard.scrub`` or a call file given
    to the command line: ``column`` (the column or field), ``row`` (counted from 1: the row of the
    table or of the whole stream given to ``Guard.scrub``; the data row of a file, whose header is
    not a row) and ``path`` (the call file, on the command line) where they are known.

    >>> print(CallColumnError("'robbery' is not one of sale, ...", column="purpose", row=1))
    column 'purpose', row 1: 'robbery' is not one of sale, ...
    >>> print(CallColumnError("no UTC offset", column="at", row=3, path="calls.csv"))
    calls.csv, row 3, field 'at': no UTC offset
    """

    def __init__(
        self, message: str, *, column: str | None = None, row: int | None = None, path: str | None = None
    ) -> None:
        self.column = column
        self.row = row
        self.path = path
        self.detail = message
        if path is None:
            where = [f"column {column!r}"] if column is not None else []
            where += [f"row {row}"] if row is not None else []
        else:
            where = [path, *([f"row {row}"] if row is not None else [])]
            where += [f"field {column!r}"] if column is not None else []
        super().__init__(f"{', '.join(where)}: {message}" if where else message)

    @property
    def field(self) -> str | None:
        """The command line's word for ``column`` (a JSON key or a CSV column)."""
        return self.column


class InvalidCallError(DncguardError, ValueError):
    """A call given to ``Guard.check`` or ``check_many`` with a field that cannot be used.

    ``field`` names it as the call spells it (``"at"``, ``"relationships.0.on"``,
    ``"last_purchase"``); the message says what is wrong. Pydantic's own ``ValidationError``, when
    there was one, is the ``__cause__``.

    >>> print(InvalidCallError("Input should have timezone info", field="at"))
    field 'at': Input should have timezone info
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        self.detail = message
        super().__init__(f"field {field!r}: {message}" if field else message)


class InvalidModelError(pydantic_core.ValidationError, DncguardError):
    """A :class:`~dncguard.Call`, ``Relationship``, ``Consent``, ``DncRequest``, ``Decision`` (or
    another model of :mod:`dncguard.models`) built or read (``Call(...)``, ``model_validate``,
    ``model_validate_json``) with fields that cannot be used.

    It is pydantic's own ``ValidationError`` (so a ``ValueError``), with its message and
    ``errors()`` naming each field, and also a :class:`DncguardError`.

    >>> import datetime as dt, dncguard
    >>> try:
    ...     dncguard.Call(to="2125550143", at=dt.datetime(2026, 3, 16, 14), seller="acme")
    ... except DncguardError as e:
    ...     print(e.errors()[0]["loc"], e.errors()[0]["msg"])
    ('at',) Input should have timezone info
    """


class UsageError(DncguardError, ValueError):
    """A command-line argument that cannot be used; the command exits with status 2."""


class IndexChangedError(CorruptIndexError):
    """An open index file was changed in place (truncated, or overwritten by ``cp``) under the
    registry reading it: it is not served. Replace index files (save to a new name and rename,
    as ``Registry.save`` does), never overwrite them in place; open the new file."""


class IndexFileError(DncguardError, OSError):
    """The operating system refused to read or write an index file (a full disk, no permission).

    ``filename`` (``path``) names the file and ``errno`` is the system's error number.
    """

    def __init__(self, message: str, *, path: str | os.PathLike[str], errno: int | None = None) -> None:
        super().__init__(errno, message)
        self.path = os.fspath(path)
        self.filename = self.path
        self.detail = f"{self.path}: {message}"

    def __str__(self) -> str:
        return self.detail


class IndexLockedError(DncguardError):
    """Another update holds the lock of an index file, and ``timeout`` ran out while waiting."""

    def __init__(self, message: str, *, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        super().__init__(message)


class StaleRegistryError(DncguardError):
    """The registry copy a call depends on is older than the law allows (``on_stale="raise"``)."""


class LedgerError(DncguardError):
    """A ledger file that cannot be used. ``path`` names it."""

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        self.detail = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class NotALedgerError(LedgerError, ValueError):
    """A file that is not a dncguard ledger (another SQLite database, another kind of file), or
    no file at all where an existing ledger was asked for."""


class LedgerVersionError(LedgerError):
    """A ledger written by a newer dncguard (a higher schema version): upgrade dncguard to read it."""


class CorruptLedgerError(LedgerError, ValueError):
    """A damaged ledger: SQLite reports the file malformed, or an entry cannot be decoded."""


class HistoryError(DncguardError, LookupError):
    """``Registry.as_of`` asked for a date or registry id the history kept does not reach: older
    than the oldest change kept (``keep_history=`` on ``update``), or an id of no version kept."""
