"""The reference the ``check`` report is tested against: each format written call by call from
``check``'s own decisions, independently of the templates ``dncguard check`` writes with
(ElementTree for JUnit, ``json.dumps`` of the decision for JSON, f-strings for text).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import re
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
    ``decisions``: every call's full decision by position (the text summary's provenance lines
    read them all: the registry id, the oldest national copy, the sellers without a list).
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


def terminal_safe(text: str) -> str:
    """``text`` as the text report shows it: C0 and C1 controls, DEL, the line separators and the
    bidirectional overrides as ``\\xNN`` / ``\\uNNNN`` (nothing reaches a terminal as a control)."""

    def unsafe(c: str) -> bool:
        o = ord(c)
        return (
            o < 0x20
            or 0x7F <= o <= 0x9F
            or o in (0x2028, 0x2029)
            or 0x202A <= o <= 0x202E
            or 0x2066 <= o <= 0x2069
        )

    return "".join(
        (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") if unsafe(c) else c for c in text
    )


def xml_safe(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold as ``\\xNN`` / ``\\uNNNN``."""

    def allowed(c: str) -> bool:
        o = ord(c)
        return o in (0x9, 0xA, 0xD) or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000

    return "".join(
        c if allowed(c) else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") for c in text
    )


def write_text(outcomes: Outcomes, path: str, out: TextIO, *, every: bool = False) -> None:
    """The blocked calls (every call with ``every``): verdict, row, number as written (controls
    escaped), a blocked call's reasons (code, jurisdiction) and when it may be made, an allowed
    one's exemptions; then the citations once each, and the counts (per reason code too)."""
    lines = []
    cited: set[tuple[str, str, str]] = set()
    per_reason: collections.Counter[str] = collections.Counter()
    for i, (row, to, ok) in enumerate(zip(outcomes.rows, outcomes.tos, outcomes.allowed, strict=True)):
        d = outcomes.decisions.get(i)
        if ok:
            if not every:
                continue
            assert d is not None
            items = [f"{e.code.value} [{e.jurisdiction}]" for e in d.exemptions]
            cited.update((e.code.value, e.jurisdiction, e.rule) for e in d.exemptions)
            suffix = "  " + "; ".join(items) if items else ""
            lines.append(f"ALLOWED  row {row}  {terminal_safe(to)}{suffix}\n")
            continue
        assert d is not None
        when = f"  next allowed {d.next_allowed_at.isoformat()}" if d.next_allowed_at else ""
        reasons = "; ".join(f"{r.code.value} [{r.jurisdiction}]" for r in d.reasons)
        cited.update((r.code.value, r.jurisdiction, r.rule) for r in d.reasons)
        per_reason.update(r.code.value for r in d.reasons)
        lines.append(f"BLOCKED  row {row}  {terminal_safe(to)}  {reasons}{when}\n")
    out.writelines(lines)
    if cited:
        out.write("\ncitations:\n")
        out.writelines(f"  {code} [{where}]: {rule}\n" for code, where, rule in sorted(cited))
        out.write("\n")
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
    for code, count in sorted(per_reason.items(), key=lambda item: (-item[1], item[0])):
        out.write(f"  {code}: {count}\n")


def _objects(outcomes: Outcomes) -> list[str]:
    return [
        json.dumps({"row": row, **outcomes.decisions[i].model_dump(mode="json")})
        for i, row in enumerate(outcomes.rows)
    ]


def write_jsonl(outcomes: Outcomes, path: str, out: TextIO, *, every: bool = False) -> None:
    """JSON Lines: ``{"row": N, **decision.model_dump(mode="json")}`` per call."""
    out.writelines(obj + "\n" for obj in _objects(outcomes))


def write_json(outcomes: Outcomes, path: str, out: TextIO, *, every: bool = False) -> None:
    """One JSON array of the objects :func:`write_jsonl` writes, one element a line."""
    objects = _objects(outcomes)
    out.write("[\n" + ",\n".join(objects) + "\n]\n" if objects else "[]\n")


def write_junit(outcomes: Outcomes, path: str, out: TextIO, *, every: bool = False) -> None:
    """JUnit XML: a failed test case per blocked call, carrying its reasons; the allowed calls
    as one passing test case (each its own with ``every``); the counts as properties."""
    n, blocked = len(outcomes.rows), outcomes.blocked
    aggregate = not every and n - blocked > 0
    tests = n if every else blocked + aggregate
    counts = {"tests": str(tests), "failures": str(blocked), "errors": "0", "skipped": "0"}
    suites = ET.Element("testsuites", {"name": f"{PROG} check", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": xml_safe(path), **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("calls", n), ("allowed", n - blocked), ("blocked", blocked)):
        ET.SubElement(properties, "property", {"name": name, "value": str(value)})
    classname = xml_safe(os.path.splitext(os.path.basename(path))[0])
    cited: set[tuple[str, str, str]] = set()
    if aggregate:
        ET.SubElement(
            suite, "testcase", {"classname": classname, "name": f"{n - blocked} allowed calls", "time": "0"}
        )
    for i, (row, to, ok) in enumerate(zip(outcomes.rows, outcomes.tos, outcomes.allowed, strict=True)):
        if ok and not every:
            continue
        case = ET.SubElement(
            suite, "testcase", {"classname": classname, "name": f"row {row}: {xml_safe(to)}", "time": "0"}
        )
        if ok:
            continue
        d = outcomes.decisions[i]
        lines = [f"{r.code.value} [{r.jurisdiction}]: {r.message}" for r in d.reasons]
        cited.update((r.code.value, r.jurisdiction, r.rule) for r in d.reasons)
        if d.next_allowed_at is not None:
            lines.append(f"next allowed at {d.next_allowed_at.isoformat()}")
        codes = [r.code.value for r in d.reasons]
        failure = ET.SubElement(
            case,
            "failure",
            {
                "message": xml_safe(f"{to} blocked: {', '.join(codes)}"),
                "type": codes[0] if codes else "blocked",
            },
        )
        failure.text = xml_safe("\n".join(lines))
    if cited:  # each blocked call's reasons cited once, as the text report's legend does
        legend = "".join(f"  {code} [{where}]: {rule}\n" for code, where, rule in sorted(cited))
        ET.SubElement(suite, "system-out").text = xml_safe("citations:\n" + legend)
    ET.indent(suites)
    text = ET.tostring(suites, encoding="unicode") + "\n"
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(with_room(text, classname, every=every))


COUNT_WIDTH = 20
"""The characters each count of a JUnit report's opening part takes, its digits then spaces
before the end of its tag: the opening part is as long whatever the counts (so ``check`` can
write it before it knows them, and write it again in place once it does)."""


def _room(*counts: str) -> str:
    return " " * sum(COUNT_WIDTH - len(c) for c in counts)


def with_room(xml: str, classname: str, *, every: bool) -> str:
    """ElementTree's JUnit document with the room for its counts: spaces before the ``>`` of the
    suites' tags and the ``/>`` of the properties and of the allowed calls' test case; where
    there is no such test case (``--all``, or no allowed call), ``</properties>`` instead holds
    that test case's room as spaces (``--all``: nothing)."""
    lines = xml.split("\n")
    allowed_case = re.compile(r'    <testcase classname="[^"]*" name="(\d+) allowed calls" time="0" />')
    has_case = False
    for i, line in enumerate(lines):
        if suite := re.fullmatch(r'(\s*<testsuites? name="[^"]*" tests="(\d+)" failures="(\d+)".*)>', line):
            lines[i] = suite[1] + _room(suite[2], suite[3]) + ">"
        elif prop := re.fullmatch(r'(\s*<property name="\w+" value="(\d+)")( />)', line):
            lines[i] = prop[1] + _room(prop[2]) + prop[3]
        elif case := allowed_case.fullmatch(line):
            lines[i] = line[: -len(" />")] + _room(case[1]) + " />"
            has_case = True
    if not every and not has_case:
        attributes = {"classname": classname, "name": "0 allowed calls", "time": "0"}
        case = ET.tostring(ET.Element("testcase", attributes), encoding="unicode")
        room = f"    {case.removesuffix(' />')}{_room('0')} />\n"
        return "\n".join(lines).replace("</properties>", "</properties" + " " * len(room.encode()) + ">", 1)
    return "\n".join(lines)


def write_records(decisions: Sequence[Decision], rows: Sequence[int], tos: Sequence[str]) -> Outcomes:
    """Decisions of JSON records, as the reference writers take them."""
    return Outcomes(list(rows), list(tos), [d.allowed for d in decisions], dict(enumerate(decisions)))


WRITERS = {"text": write_text, "json": write_json, "jsonl": write_jsonl, "junit": write_junit}
