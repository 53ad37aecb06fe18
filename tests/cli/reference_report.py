"""The reference the ``check`` report is tested against: each format written call by call from
``check``'s own decisions, independently of the templates ``dncguard check`` writes with
(ElementTree for JUnit, ``json.dumps`` of the decision for JSON Lines, f-strings for text).
"""

from __future__ import annotations

import dataclasses
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TextIO

from dncguard.cli._batches import _batch_calls
from dncguard.cli._callfile import Batch
from dncguard.cli._common import PROG
from dncguard.cli._decide import _check_calls
from dncguard.guard import Guard
from dncguard.models import Decision


@dataclasses.dataclass
class Outcomes:
    """Decided calls, column by column (a million calls make no million objects).

    ``rows``: the 1-based data rows; ``tos``: the numbers as written; ``allowed``: the verdicts;
    ``decisions``: full decisions by position, for every blocked call (and for every call when
    asked), the others decided in bulk.
    """

    rows: list[int] = dataclasses.field(default_factory=list)
    tos: list[str] = dataclasses.field(default_factory=list)
    allowed: list[bool] = dataclasses.field(default_factory=list)
    decisions: dict[int, Decision] = dataclasses.field(default_factory=dict)

    @property
    def blocked(self) -> int:
        return self.allowed.count(False)


def decide_table_per_call(guard: Guard, batches: Sequence[Batch], *, path: str) -> Outcomes:
    """Decide CSV / Parquet batches with a ``check`` per call: the reference the bulk path matches."""
    outcomes = Outcomes()
    for batch in batches:
        rows, calls = _batch_calls(batch, path=path)
        decisions = _check_calls(guard, calls, rows, path=path)
        offset = len(outcomes.rows)
        outcomes.rows.extend(rows)
        outcomes.tos.extend(batch.calls.column("to").to_pylist())
        outcomes.allowed.extend(d.allowed for d in decisions)
        outcomes.decisions.update((offset + i, d) for i, d in enumerate(decisions))
    return outcomes


def reason_text(decision: Decision) -> str:
    return "; ".join(f"{r.code.value} [{r.jurisdiction}, {r.rule}]" for r in decision.reasons)


def write_text(outcomes: Outcomes, path: str, out: TextIO) -> None:
    """A line per call: verdict, row, number as written; for a blocked call its reasons (code,
    jurisdiction, citation) and when it may be made; then a count."""
    width = max(map(len, outcomes.tos), default=0)
    row_width = len(str(outcomes.rows[-1])) if outcomes.rows else 0
    lines = []
    for i, (row, to, ok) in enumerate(zip(outcomes.rows, outcomes.tos, outcomes.allowed, strict=True)):
        where = f"row {row:<{row_width}}"
        if ok:
            lines.append(f"ALLOWED  {where}  {to}\n")
            continue
        d = outcomes.decisions[i]
        when = f"  next allowed {d.next_allowed_at.isoformat()}" if d.next_allowed_at else ""
        lines.append(f"BLOCKED  {where}  {to:<{width}}  {reason_text(d)}{when}\n")
    out.writelines(lines)
    n, blocked = len(outcomes.rows), outcomes.blocked
    if n:
        decisions = list(outcomes.decisions.values())
        dated = [
            (c.obtained, c.layer)
            for d in decisions
            for c in d.consulted
            if c.layer in ("us-ftc", "ca-dncl") and c.obtained is not None
        ]
        if dated:
            obtained, layer = min(dated)
            copy = f"oldest national copy used: {layer} obtained {obtained.isoformat()}"
        else:
            copy = "no national copy used"
        out.write(f"registry {decisions[0].registry_id}; {copy}\n")
        sellers = sorted(
            {
                c.layer[len("internal:") :]
                for d in decisions
                for c in d.consulted
                if c.layer.startswith("internal:") and c.listed is None
            }
        )
        if sellers:
            plural = "s" if len(sellers) > 1 else ""
            out.write(f"no internal list loaded for seller{plural} {', '.join(map(repr, sellers))}\n")
    out.write(f"{n} calls: {n - blocked} allowed, {blocked} blocked\n")


def write_json(outcomes: Outcomes, path: str, out: TextIO) -> None:
    """JSON Lines: ``{"row": N, **decision.model_dump(mode="json")}`` per call."""
    for i, row in enumerate(outcomes.rows):
        decision = outcomes.decisions[i]  # asked with explain_allowed: every decision is at hand
        out.write(json.dumps({"row": row, **decision.model_dump(mode="json")}) + "\n")


def write_junit(outcomes: Outcomes, path: str, out: TextIO) -> None:
    """JUnit XML: a test case per call; a blocked call is a failure carrying its reasons."""
    n = len(outcomes.rows)
    counts = {"tests": str(n), "failures": str(outcomes.blocked), "errors": "0", "skipped": "0"}
    suites = ET.Element("testsuites", {"name": f"{PROG} check", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": path, **counts})
    classname = os.path.splitext(os.path.basename(path))[0]
    for i, (row, to, ok) in enumerate(zip(outcomes.rows, outcomes.tos, outcomes.allowed, strict=True)):
        case = ET.SubElement(
            suite, "testcase", {"classname": classname, "name": f"row {row}: {to}", "time": "0"}
        )
        if ok:
            continue
        d = outcomes.decisions[i]
        lines = [f"{r.code.value} ({r.jurisdiction}, {r.rule}): {r.message}" for r in d.reasons]
        if d.next_allowed_at is not None:
            lines.append(f"next allowed at {d.next_allowed_at.isoformat()}")
        codes = [r.code.value for r in d.reasons]
        failure = ET.SubElement(
            case,
            "failure",
            {"message": f"{to} blocked: {', '.join(codes)}", "type": codes[0] if codes else "blocked"},
        )
        failure.text = "\n".join(lines)
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode") + "\n")


def write_records(decisions: Sequence[Decision], rows: Sequence[int], tos: Sequence[str]) -> Outcomes:
    """Decisions of JSON records, as the reference writers take them."""
    return Outcomes(list(rows), list(tos), [d.allowed for d in decisions], dict(enumerate(decisions)))


WRITERS = {"text": write_text, "json": write_json, "junit": write_junit}
