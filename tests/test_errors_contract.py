"""The error contract: every error dncguard raises for a bad argument is a ``DncguardError``, and
also a ``ValueError`` (a bad value) or a ``TypeError`` (a bad type), whose message names the
argument. A user who writes ``except dncguard.DncguardError`` around a call catches them all.

The table calls public functions and constructors with one wrong argument each; the properties
check whole classes of wrong values; the last test keeps new plain ``raise ValueError`` /
``raise TypeError`` out of the package, except at the internal sites listed (each caught inside
dncguard, or an invariant of data dncguard wrote itself)."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import pathlib
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pydantic
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import dncguard
from dncguard import (
    ArgumentError,
    ArgumentTypeError,
    Call,
    DncguardError,
    Guard,
    InvalidModelError,
    Ledger,
    Registry,
    geography,
    numbers,
    sources,
)
from dncguard import bulk as bulk_
from dncguard import ledger as ledger_
from dncguard import replay as replay_
from dncguard.layers import Chunk, LayerKey, Op

AT = dt.datetime(2026, 3, 16, 14, tzinfo=dt.UTC)
OBTAINED = dt.date(2026, 3, 10)
NAIVE = dt.datetime(2026, 3, 1)
SRC = pathlib.Path(dncguard.__file__).parent


@dataclasses.dataclass
class Env:
    registry: Registry
    guard: Guard
    ledger: Ledger
    download: str
    tmp: pathlib.Path
    table: pa.Table

    def decision(self) -> dncguard.Decision:
        return self.guard.check(self.call())

    @staticmethod
    def call() -> Call:
        return Call(to="2125550143", at=AT, seller="acme")


@pytest.fixture
def env(tmp_path: pathlib.Path) -> Env:
    download = tmp_path / "ftc.txt"
    download.write_text("2125550143\n")
    chunk = Chunk(
        LayerKey.national("US"), Op.REPLACE, np.array([2125550143], np.uint64), coverage={212: OBTAINED}
    )
    registry = Registry.build([[chunk]])
    table = pa.table({"to": ["2125550143"], "at": pa.array([AT]), "seller": ["acme"]})
    return Env(registry, Guard(registry), Ledger(tmp_path / "l.ledger"), str(download), tmp_path, table)


def _no_seller(env: Env) -> pa.Table:
    return env.table.drop_columns(["seller"])


# (id, the call, the word the message must hold: the argument's name)
CASES: list[tuple[str, Callable[[Env], Any], str]] = [
    # Guard
    ("guard-on_stale", lambda e: Guard(e.registry, on_stale="sometimes"), "on_stale"),
    ("guard-on_stale-int", lambda e: Guard(e.registry, on_stale=1), "on_stale"),
    ("guard-ebr_anniversary", lambda e: Guard(e.registry, ebr_anniversary="x"), "ebr_anniversary"),
    (
        "guard-missing_state_lists",
        lambda e: Guard(e.registry, missing_state_lists="x"),
        "missing_state_lists",
    ),
    ("guard-jurisdictions-lower", lambda e: Guard(e.registry, jurisdictions=("us",)), "jurisdictions"),
    ("guard-jurisdictions-str", lambda e: Guard(e.registry, jurisdictions="US"), "jurisdictions"),
    ("guard-jurisdictions-int", lambda e: Guard(e.registry, jurisdictions=5), "jurisdictions"),
    ("guard-jurisdictions-unhashable", lambda e: Guard(e.registry, jurisdictions=[["US"]]), "jurisdictions"),
    ("guard-ledger", lambda e: Guard(e.registry, ledger="calls.ledger"), "ledger"),
    ("guard-registry", lambda e: Guard("index.dncg"), "registry"),
    ("guard-check-call", lambda e: e.guard.check(5), "call"),
    ("guard-scrub-threads", lambda e: e.guard.scrub(e.table, threads=0), "threads"),
    # bulk
    ("scrub-threads-0", lambda e: bulk_.scrub(e.guard, e.table, threads=0), "threads"),
    ("scrub-threads-str", lambda e: bulk_.scrub(e.guard, e.table, threads="2"), "threads"),
    (
        "scrub-batches-threads",
        lambda e: list(bulk_.scrub_batches(e.guard, e.table.to_batches(), threads=0)),
        "threads",
    ),
    ("scrub-data", lambda e: bulk_.scrub(e.guard, 5), "scrub()"),
    ("scrub-unknown-default", lambda e: bulk_.scrub(e.guard, e.table, sellr="acme"), "sellr"),
    ("scrub-purpose-default", lambda e: bulk_.scrub(e.guard, e.table, purpose="robbery"), "purpose"),
    ("scrub-line-default", lambda e: bulk_.scrub(e.guard, e.table, line="landline"), "line"),
    ("scrub-automated-default", lambda e: bulk_.scrub(e.guard, e.table, automated="yes"), "automated"),
    ("scrub-at-default", lambda e: bulk_.scrub(e.guard, e.table.drop_columns(["at"]), at="today"), "at="),
    ("scrub-at-naive", lambda e: bulk_.scrub(e.guard, e.table.drop_columns(["at"]), at=NAIVE), "at="),
    (
        "scrub-last_purchase-default",
        lambda e: bulk_.scrub(e.guard, e.table, last_purchase="soon"),
        "last_purchase",
    ),
    ("scrub-no-seller", lambda e: bulk_.scrub(e.guard, _no_seller(e)), "seller="),
    ("scrub-tuning", lambda e: bulk_.scrub(e.guard, e.table, tuning=5), "tuning"),
    ("bulk-tuning-clocks", lambda e: bulk_.Tuning(clocks="sometimes"), "clocks"),
    ("bulk-tuning-batch_rows", lambda e: bulk_.Tuning(batch_rows=0), "batch_rows"),
    ("bulk-tuning-verdict_cache", lambda e: bulk_.Tuning(verdict_cache="big"), "verdict_cache"),
    # Registry
    ("registry-update-keep_history", lambda e: e.registry.update([], keep_history=5), "keep_history"),
    (
        "registry-update-keep_history-neg",
        lambda e: e.registry.update([], keep_history=dt.timedelta(-1)),
        "keep_history",
    ),
    ("registry-as_of-type", lambda e: e.registry.as_of(5), "as_of"),
    ("registry-as_of-tuning", lambda e: e.registry.as_of(OBTAINED, tuning=5), "tuning"),
    ("registry-open-path", lambda e: Registry.open(5), "path"),
    ("registry-save-path", lambda e: e.registry.save(5), "path"),
    (
        "registry-update_file-timeout",
        lambda e: Registry.update_file(e.tmp / "r.dncg", [], timeout="soon"),
        "timeout",
    ),
    ("registry-membership", lambda e: e.registry.membership(["x"]), "numbers"),
    ("registry-lookup-type", lambda e: e.registry.lookup(2.5), "str or int"),
    ("registry-past-update", lambda e: e.registry.as_of(OBTAINED).update([]), "past version"),
    ("chunk-numbers", lambda e: Chunk(LayerKey.national("US"), Op.REPLACE, np.array([1.5])), "Chunk.numbers"),
    ("layerkey-national", lambda e: LayerKey.national("MX"), "'MX'"),
    ("layerkey-state", lambda e: LayerKey.state("TX"), "region"),
    # sources
    ("ftc-path", lambda e: sources.ftc(5, obtained=OBTAINED), "path"),
    ("ftc-obtained", lambda e: sources.ftc(e.download, obtained="2026-03-10"), "obtained="),
    ("ftc-area_codes", lambda e: sources.ftc(e.download, obtained=OBTAINED, area_codes=["21"]), "area code"),
    (
        "ftc-area_codes-str",
        lambda e: sources.ftc(e.download, obtained=OBTAINED, area_codes="212"),
        "area_codes=",
    ),
    ("ftc-tuning", lambda e: sources.ftc(e.download, obtained=OBTAINED, tuning=5), "tuning="),
    (
        "ftc_changes-area_codes",
        lambda e: sources.ftc_changes(e.download, obtained=OBTAINED, area_codes=[1]),
        "area code",
    ),
    ("dncl-area_codes", lambda e: sources.dncl(e.download, obtained=OBTAINED, area_codes=["x"]), "area code"),
    ("state-region", lambda e: sources.state(5, e.download, obtained=OBTAINED), "region"),
    (
        "state-published",
        lambda e: sources.state("US-TX", e.download, obtained=OBTAINED, published="2026"),
        "published=",
    ),
    (
        "state-number_column",
        lambda e: sources.state("US-TX", e.download, obtained=OBTAINED, number_column=5),
        "number_column=",
    ),
    ("internal-seller", lambda e: sources.internal(e.download, seller=5), "seller="),
    ("internal-seller-blank", lambda e: sources.internal(e.download, seller="  "), "seller"),
    ("sources-tuning-block_bytes", lambda e: sources.Tuning(block_bytes=0), "block_bytes"),
    ("sources-tuning-max_line", lambda e: sources.Tuning(max_line=10**12), "max_line"),
    # the ledger
    ("ledger-path", lambda e: Ledger(5), "path"),
    ("ledger-timeout", lambda e: Ledger(e.tmp / "t.ledger", timeout="soon"), "timeout"),
    ("ledger-tuning", lambda e: Ledger(e.tmp / "t.ledger", tuning=5), "tuning"),
    ("ledger-tuning-chunk_entries", lambda e: ledger_.Tuning(chunk_entries=1000), "chunk_entries"),
    ("ledger-tuning-mmap_bytes", lambda e: ledger_.Tuning(mmap_bytes=-1), "mmap_bytes"),
    ("ledger-record-placed", lambda e: e.ledger.record(e.call(), e.decision(), placed="yes"), "placed"),
    ("ledger-record_many-lengths", lambda e: e.ledger.record_many([e.call()], [], placed=False), "decision"),
    (
        "ledger-record_columns-which",
        lambda e: e.ledger.record_columns(e.table, [e.decision()], which=[5]),
        "which",
    ),
    (
        "ledger-record_columns-default",
        lambda e: e.ledger.record_columns(e.table, [e.decision()], which=[0], sellr="x"),
        "sellr",
    ),
    (
        "ledger-record_columns-no-seller",
        lambda e: e.ledger.record_columns(_no_seller(e), [e.decision()], which=[0]),
        "seller",
    ),
    (
        "ledger-placed_calls-since",
        lambda e: e.ledger.placed_calls(2125550143, "acme", "sale", since=NAIVE, until=AT),
        "since",
    ),
    ("ledger-entries-since", lambda e: list(e.ledger.entries(since=NAIVE)), "since"),
    ("ledger-verify-anchor", lambda e: e.ledger.verify(anchor="x"), "anchor"),
    ("replay-tuning", lambda e: replay_.replay(e.guard, [], tuning=5), "tuning"),
    ("replay-tuning-chunk", lambda e: replay_.Tuning(chunk=0), "chunk"),
    # geography
    ("geography-area_code-str", lambda e: geography.area_code("212"), "area code"),
    ("geography-area_code-range", lambda e: geography.area_code(2125), "area code"),
    ("geography-regions-country", lambda e: geography.regions("MX"), "country"),
    ("geography-area_codes-country", lambda e: geography.area_codes("MX"), "country"),
    ("geography-region_zones", lambda e: geography.region_zones("US-XX"), "region"),
    ("geography-region_zones-type", lambda e: geography.region_zones(5), "region"),
    ("geography-region_country", lambda e: geography.region_country("XX"), "region"),
    ("geography-npas-float", lambda e: geography.npas(np.array([1.5])), "numbers"),
    ("geography-npas-11-digits", lambda e: geography.npas(np.array([12125550143])), "10-digit"),
    ("geography-zonesets", lambda e: geography.zonesets(np.array([1000])), "area code"),
    ("geography-regionsets-float", lambda e: geography.regionsets(np.array([1.5])), "area codes"),
    # numbers
    ("parse_number-float", lambda e: dncguard.parse_number(2.5), "parse_number()"),
    ("parse_numbers-int", lambda e: dncguard.parse_numbers(5), "parse_numbers()"),
    ("parse_numbers-int-array", lambda e: dncguard.parse_numbers(np.array([1, 2])), "parse_numbers()"),
    ("parse_numbers-threads", lambda e: dncguard.parse_numbers(["2125550143"], threads=0), "threads"),
    ("is_valid_area_code-str", lambda e: numbers.is_valid_area_code("212"), "area_code"),
    # the models
    ("call-at-naive", lambda e: Call(to="2125550143", at=NAIVE, seller="acme"), "at"),
    ("call-purpose", lambda e: Call(to="2125550143", at=AT, seller="acme", purpose="robbery"), "purpose"),
    ("call-seller-blank", lambda e: Call(to="2125550143", at=AT, seller=" "), "seller"),
    ("call-unknown-field", lambda e: Call(to="2125550143", at=AT, seller="acme", sellr="x"), "sellr"),
    (
        "call-model_validate",
        lambda e: Call.model_validate({"to": "2125550143", "at": "2026-03-16T14:00"}),
        "seller",
    ),
    ("call-model_validate_json", lambda e: Call.model_validate_json('{"to": "2125550143"}'), "at"),
    ("consent-kind", lambda e: dncguard.Consent(kind="telepathic", on=OBTAINED), "kind"),
    ("relationship-on", lambda e: dncguard.Relationship(kind="purchase", on="yesterday"), "on"),
    ("dnc_request-on-future", lambda e: dncguard.DncRequest(on=dt.date(2999, 1, 1)), "on"),
]


@pytest.mark.parametrize(("call", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_argument_is_a_dncguard_error_naming_it(
    env: Env, call: Callable[[Env], Any], named: str
) -> None:
    with pytest.raises(DncguardError) as raised:
        call(env)
    error = raised.value
    assert isinstance(error, ValueError | TypeError), type(error).__mro__
    assert named in str(error), str(error)


def test_the_table_is_broad() -> None:
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


def test_a_wrong_type_is_a_type_error_and_a_wrong_value_a_value_error(env: Env) -> None:
    """``except TypeError`` and ``except ValueError`` written before these classes still hold."""
    with pytest.raises(TypeError, match="path") as wrong_type:
        sources.ftc(5, obtained=OBTAINED)
    assert isinstance(wrong_type.value, ArgumentTypeError)
    with pytest.raises(ValueError, match="on_stale") as wrong_value:
        Guard(env.registry, on_stale="sometimes")
    assert isinstance(wrong_value.value, ArgumentError)


def test_a_models_error_is_still_pydantics_validation_error() -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        Call(to="2125550143", at=NAIVE, seller="acme")
    error = raised.value
    assert isinstance(error, InvalidModelError)
    assert [(e["loc"], e["type"]) for e in error.errors()] == [(("at",), "timezone_aware")]
    assert "1 validation error for Call" in str(error)


def test_a_models_error_keeps_each_field_and_message() -> None:
    """The errors pydantic found, every one, as pydantic gave them."""
    data = {"to": "2125550143", "at": NAIVE, "seller": " ", "purpose": "robbery"}
    with pytest.raises(InvalidModelError) as raised:
        Call(**data)
    try:
        Call.__pydantic_validator__.validate_python(data)
    except pydantic.ValidationError as e:
        expected = e

    def fields(error: pydantic.ValidationError) -> list[tuple[Any, ...]]:
        return [(e["type"], e["loc"], e["msg"], e["input"]) for e in error.errors()]

    assert fields(raised.value) == fields(expected)
    assert len(fields(expected)) == 3
    assert str(raised.value) == str(expected)


def test_guard_check_still_raises_invalid_call_error(env: Env) -> None:
    """``Guard.check`` of a dict names the field with ``InvalidCallError``, as documented."""
    with pytest.raises(dncguard.InvalidCallError) as raised:
        env.guard.check({"to": "2125550143", "at": "2026-03-16T14:00:00", "seller": "acme"})
    assert raised.value.field == "at"


def test_record_columns_row_errors_are_argument_errors(env: Env) -> None:
    """A bad cell in ``record_columns`` names its column and its row (from 0, as ``which``
    counts) of the whole table, not of the piece it was found in."""
    table = pa.table(
        {
            "to": ["2125550143"] * 3,
            "at": pa.array([AT] * 3),
            "seller": ["acme"] * 3,
            "purpose": ["sale", "sale", "robbery"],
        }
    )
    with pytest.raises(ArgumentError, match=r"^column 'purpose', row 2: 'robbery'"):
        env.ledger.record_columns(table, [env.decision()], which=[0, 0, 0])


ON_STALE = ("block", "raise")


@given(st.text().filter(lambda s: s not in ON_STALE) | st.integers() | st.none())
def test_any_on_stale_but_the_allowed_ones_is_an_argument_error(value: object) -> None:
    registry = Registry()
    with pytest.raises(ArgumentError, match=r"^on_stale="):
        Guard(registry, on_stale=value)  # type: ignore[arg-type]


@given(st.integers(max_value=0))
def test_any_thread_count_below_one_is_an_argument_error(threads: int) -> None:
    registry = Registry()
    guard = Guard(registry)
    table = pa.table({"to": ["2125550143"], "at": pa.array([AT]), "seller": ["acme"]})
    with pytest.raises(ArgumentError, match=f"^threads={threads}:"):
        guard.scrub(table, threads=threads)


AREA_CODE = re.compile(r"[2-9][0-9]{2}")


@example("2\u00b23")  # a superscript two: a digit to str.isdigit, not to int()
@example("2\u06612")  # an Arabic-Indic one: int() reads it, the registry never writes it
@given(st.one_of(st.text(), st.integers()).filter(lambda a: not AREA_CODE.fullmatch(str(a).strip())))
def test_any_area_code_that_is_not_three_digits_is_an_argument_error(
    tmp_path_factory: pytest.TempPathFactory, area: object
) -> None:
    path = tmp_path_factory.getbasetemp() / "ftc.txt"
    path.write_text("2125550143\n")
    with pytest.raises(ArgumentError, match=r"^area code "):
        sources.ftc(path, obtained=OBTAINED, area_codes=[212, area])


# Plain ``raise ValueError`` / ``raise TypeError`` left in the package, by file and function: each
# is caught inside dncguard (turned into a named error) or guards data dncguard wrote itself.
INTERNAL: dict[str, dict[str, int]] = {
    "_ledger/_arrowtext.py": {"_stamps": 1},  # a UTC offset of a day: no tzinfo gives one
    "_ledger/_chain.py": {"__init__": 5, "python_join": 1},  # the chain's own pieces, built by the ledger
    "_ledger/_encode.py": {"_at_json": 1, "_seconds": 1, "lines": 1},  # calls a Call already checked
    "_ledger/_format.py": {"decode": 2, "suffix": 1},  # stored entries: caught, a CorruptLedgerError
    "_ledger/_verify.py": {"check_anchor": 2},  # caught: an ArgumentError naming anchor=
    "_memtrim.py": {"__init__": 1},  # an internal helper's period
    "_stored.py": {"_date": 1},  # a stored date: caught, a CorruptIndexError
    "bulk/_columns.py": {"_region_column": 1},  # caught: a CallColumnError naming column and row
    "cli/_budget.py": {"__init__": 1},  # the command line's own byte budget
    "facts/_law.py": {"fresh_end": 1},  # a country of the built-in table without a freshness period
    "geography.py": {"_derive": 1},  # libphonenumber's data, when the tables are generated
    "index/__init__.py": {"encode_pieces": 1},  # an internal piece size
    "index/_history.py": {"encode_set": 2},  # history sets dncguard builds
    "jurisdictions/base.py": {"of": 1},  # the built-in calling hours
    # pydantic validators: pydantic makes their errors an InvalidModelError
    "models.py": {"_in_range": 1, "_known_zone": 1, "_not_a_number": 1, "_not_future": 1, "_to_date": 1,
                  "_region_shape": 1, "_seller_named": 1, "_seller_or_default": 1},
    "numbers/_plan.py": {"_parse_pattern": 1, "atom": 2},  # libphonenumber's metadata patterns
    "registry.py": {"__init__": 1},  # one index per layer, as dncguard builds them
    "sources/_delimited.py": {"pick_number_column": 3},  # caught: a RegistryFormatError naming the file
    "sources/_read.py": {"read_date": 4},  # caught: a RegistryFormatError naming file and line
    "sources/internal.py": {"layout": 3},  # caught: a RegistryFormatError naming the file
    "sources/state.py": {"layout": 2},  # caught: a RegistryFormatError naming the file
}  # fmt: skip


def _plain_raises() -> dict[str, dict[str, int]]:
    """Each ``raise ValueError`` / ``raise TypeError`` of the package, counted by file and by the
    innermost function holding it."""
    found: dict[str, dict[str, int]] = {}

    class Visitor(ast.NodeVisitor):
        def __init__(self, name: str) -> None:
            self.name = name
            self.stack: list[str] = ["<module>"]

        def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
            self.stack.append(node.name)
            self.generic_visit(node)
            self.stack.pop()

        visit_AsyncFunctionDef = visit_FunctionDef

        def visit_Raise(self, node: ast.Raise) -> None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id in ("ValueError", "TypeError"):
                counts = found.setdefault(self.name, {})
                counts[self.stack[-1]] = counts.get(self.stack[-1], 0) + 1

    for path in sorted(SRC.rglob("*.py")):
        Visitor(path.relative_to(SRC).as_posix()).visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_no_plain_value_or_type_error_is_raised_but_the_internal_ones() -> None:
    """A new ``raise ValueError`` for a user's argument is an ``ArgumentError`` (or a named error)."""
    assert _plain_raises() == INTERNAL
