"""The house rules of the layout, checked on the source itself (imports and attribute reads,
not literal text): the law stays in ``dncguard.jurisdictions`` and only ``facts`` and ``policy``
read it, so a rule is written once and every front end (``Guard``, bulk, the command line)
gets it from them."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from dncguard.jurisdictions.base import Jurisdiction

SRC = Path(__file__).resolve().parent.parent / "src" / "dncguard"
READERS_OF_LAW = {"facts", "policy"}
"""The modules (or packages: every module in them) that may read the law."""
# Field names too generic to tell a Jurisdiction from anything else (a layer has a ``name``...).
GENERIC = {"code", "name", "country", "lists", "hours", "holidays", "source"}
LAW_FIELDS = {f.name for f in dataclasses.fields(Jurisdiction)} - GENERIC


def modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "jurisdictions" not in p.relative_to(SRC).parts)


def imported(tree: ast.AST) -> set[str]:
    """Every module an import statement names, anywhere in the tree (functions included)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def reader_of_law(path: Path) -> bool:
    """``facts.py``/``policy.py``, or any module of the ``facts/``/``policy/`` packages."""
    top = path.relative_to(SRC).parts[0]
    return top.removesuffix(".py") in READERS_OF_LAW


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_only_facts_and_policy_read_the_law(path: Path) -> None:
    if reader_of_law(path):
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    law = sorted(n for n in imported(tree) if n.startswith("dncguard.jurisdictions"))
    assert not law, f"{path.name} imports {law}: ask dncguard.facts or dncguard.policy instead"
    read = sorted({n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in LAW_FIELDS})
    assert not read, f"{path.name} reads Jurisdiction fields {read}: a rule belongs in facts or policy"


def test_the_law_does_not_import_the_models() -> None:
    """``jurisdictions/base.py`` (the shapes law takes) names codes, not pydantic models."""
    tree = ast.parse((SRC / "jurisdictions" / "base.py").read_text(encoding="utf-8"))
    assert not {n for n in imported(tree) if n.startswith(("dncguard.models", "pydantic"))}


def test_the_readers_are_the_facts_and_policy_packages() -> None:
    """Only ``facts`` and ``policy`` (module or package) are exempt: not ``guard``, not ``bulk/``."""
    assert reader_of_law(SRC / "facts" / "_law.py")
    assert reader_of_law(SRC / "policy.py")
    assert reader_of_law(SRC / "policy" / "_decide.py")
    assert not reader_of_law(SRC / "guard.py")
    assert not reader_of_law(SRC / "bulk" / "_steps.py")
    assert not reader_of_law(SRC / "factsheet.py")
    assert any(reader_of_law(p) for p in modules())
    assert not all(reader_of_law(p) for p in modules())


def test_the_rule_sees_an_import_and_an_attribute_read() -> None:
    """The rule itself catches what it is meant to (a function-level import, a field read)."""
    tree = ast.parse("def f(x):\n    from dncguard import jurisdictions\n    return x.fresh_days\n")
    assert "dncguard.jurisdictions" in imported(tree)
    assert any(isinstance(n, ast.Attribute) and n.attr in LAW_FIELDS for n in ast.walk(tree))


def _int64_min_literals(tree: ast.AST) -> list[int]:
    """Lines spelling "no date" by hand: ``np.iinfo(np.int64).min`` or ``-(2**63)``."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "min"
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func).endswith("iinfo")
            and "int64" in ast.unparse(node.value.args[0] if node.value.args else node.value)
        ) or (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and ast.unparse(node) == "-2 ** 63"
        ):
            found.append(node.lineno)
    return found


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_one_sentinel_for_no_date(path: Path) -> None:
    """Day numbers have one "no date", ``dncguard._calendar.NO_DATE``, defined once (NaT stays
    where the type is ``datetime64``: it is numpy's own none, and ``NO_DATE`` is its bits)."""
    if path.relative_to(SRC).as_posix() == "_calendar.py":
        return
    lines = _int64_min_literals(ast.parse(path.read_text(encoding="utf-8")))
    assert not lines, f"{path.name}, lines {lines}: spell no date as dncguard._calendar.NO_DATE"


def test_no_date_is_nat_bits_everywhere() -> None:
    import numpy as np

    from dncguard import facts, index
    from dncguard._calendar import FAR_PAST, NO_DATE

    assert np.datetime64("NaT", "D").astype(np.int64) == NO_DATE < FAR_PAST
    assert facts.NO_DATE is NO_DATE
    assert index.NAT is NO_DATE


def test_the_sentinel_rule_sees_a_literal() -> None:
    assert _int64_min_literals(
        ast.parse("import numpy as np\nx = np.iinfo(np.int64).min\ny = -(2**63)\n")
    ) == [2, 3]


def test_every_test_file_has_a_name_of_its_own() -> None:
    """The test directories are not packages: pytest imports each file by its base name, so two
    files of one name (tests/policy/test_attacks.py and tests/sources/test_attacks.py) stop the
    whole run with an import error."""
    tests = Path(__file__).resolve().parent
    names: dict[str, list[str]] = {}
    for path in tests.rglob("test_*.py"):
        names.setdefault(path.name, []).append(str(path.relative_to(tests)))
    assert not {name: paths for name, paths in names.items() if len(paths) > 1}
