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
READERS_OF_LAW = {"facts.py", "policy.py"}
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


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_only_facts_and_policy_read_the_law(path: Path) -> None:
    if path.relative_to(SRC).as_posix() in READERS_OF_LAW:
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


def test_the_rule_sees_an_import_and_an_attribute_read() -> None:
    """The rule itself catches what it is meant to (a function-level import, a field read)."""
    tree = ast.parse("def f(x):\n    from dncguard import jurisdictions\n    return x.fresh_days\n")
    assert "dncguard.jurisdictions" in imported(tree)
    assert any(isinstance(n, ast.Attribute) and n.attr in LAW_FIELDS for n in ast.walk(tree))
