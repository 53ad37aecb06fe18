"""``dncguard lookup`` and ``dncguard info``: what an index holds."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from dncguard.cli._common import EXIT_BLOCKED, EXIT_OK, _index_path, _open_registry
from dncguard.errors import UsageError
from dncguard.facts import age_limits

if TYPE_CHECKING:
    from dncguard.layers import Layer


def _cmd_lookup(args: argparse.Namespace) -> int:
    from dncguard import geography
    from dncguard.errors import InvalidNumberError
    from dncguard.numbers import parse_number

    registry = _open_registry(args.registry, "--registry")
    national = {
        layer.jurisdiction: layer
        for layer in registry.layers
        if layer.kind == "national" and layer.jurisdiction is not None
    }
    results: list[dict[str, Any]] = []
    for number in args.numbers:
        try:
            listings = registry.lookup(number)
            npa = parse_number(number) // 10_000_000
        except InvalidNumberError as e:
            results.append({"number": number, "valid": False, "error": e.why, "lists": []})
            continue
        lists = [{"layer": x.layer.name, "on": x.on.isoformat() if x.on else None} for x in listings]
        # As check judges it: a national list that does not cover the area code says nothing of
        # the number (check blocks it with area_code_not_covered), so "not listed" would mislead.
        area = geography.area_code(npa)
        layer = None if area is None else national.get(area.country)
        covered = layer is not None and npa in layer.area_codes
        results.append({"number": number, "valid": True, "covered": covered, "lists": lists})
    if args.format == "json":
        for r in results:
            print(json.dumps(r))
        return EXIT_OK
    width = max(len(n) for n in args.numbers)
    for r in results:
        if not r["valid"]:
            text = f"invalid number: {r['error']}"
        else:
            listed = [x["layer"] + (f" (requested {x['on']})" if x["on"] else "") for x in r["lists"]]
            if not r["covered"]:
                listed.append("not covered (no national list loaded covers its area code)")
            text = ", ".join(listed) or "not listed"
        print(f"{r['number'].ljust(width)}  {text}")
    return EXIT_OK


def _ranges(codes: Iterable[int]) -> str:
    """``201, 202, 203, 205`` -> ``201-203, 205``."""
    out: list[str] = []
    run: list[int] = []
    for code in sorted(codes):
        if run and code == run[-1] + 1:
            run.append(code)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [code]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(out)


def _layer_info(layer: Layer, today: dt.date) -> dict[str, Any]:
    return {
        "name": layer.name,
        "kind": layer.kind,
        "jurisdiction": layer.jurisdiction,
        "seller": layer.seller,
        "obtained": layer.obtained.isoformat() if layer.obtained else None,
        "published": layer.published.isoformat() if layer.published else None,
        "age_days": (today - layer.obtained).days if layer.obtained else None,
        "area_codes": len(layer.area_codes),
        "coverage": _ranges(layer.area_codes),
        "count": layer.count,
    }


def _on_day(text: str | None) -> dt.date:
    """``--on DATE``: the day freshness is judged on (default today)."""
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--on {text!r}: not a date: write YYYY-MM-DD") from None


def _cmd_info(args: argparse.Namespace) -> int:
    index = _index_path(args)
    registry = _open_registry(index, "INDEX")
    today = _on_day(args.on)
    stale = False  # a national list too old for an area code it covers: calls to it are blocked
    national_days, state_days, list_states = age_limits()
    layers = [_layer_info(layer, today) for layer in registry.layers]
    warnings: list[str] = []
    for layer in registry.layers:
        limit = national_days.get(layer.jurisdiction or "") if layer.kind == "national" else None
        if limit is not None:
            old = {code: on for code, on in layer.area_codes.items() if (today - on).days > limit}
            if old:
                stale = True
                warnings.append(
                    f"{layer.name}: {len(old)} area code(s) obtained more than {limit} days ago "
                    f"({_ranges(old)}; oldest {min(old.values()).isoformat()}): "
                    "calls to them are blocked as stale until you download them again"
                )
        elif (
            layer.kind == "state"
            and state_days is not None
            and layer.obtained
            and (today - layer.obtained).days > state_days
        ):
            warnings.append(
                f"{layer.name}: obtained {layer.obtained.isoformat()}, more than {state_days} days ago: "
                "download the current list"
            )
        elif layer.kind == "internal" and layer.count == 0:
            warnings.append(
                f"{layer.name}: empty: no number is on this seller's do-not-call list; "
                "check that the right file was given"
            )
    loaded = {layer.jurisdiction for layer in registry.layers if layer.kind == "state"}
    missing = [s for s in list_states if s not in loaded]
    if missing:
        warnings.append(
            f"state lists not loaded: {', '.join(missing)}: sales calls into these states are blocked"
            " (state_list_not_loaded) until you add their lists with --state REGION=PATH@DATE"
        )
    size = os.path.getsize(index)
    history = _history_info(registry)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "index": index,
                    "id": registry.id,
                    "size": size,
                    "today": today.isoformat(),
                    "stale": stale,
                    "layers": layers,
                    "history": history,
                    "warnings": warnings,
                },
                indent=2,
            )
        )
        return EXIT_BLOCKED if stale else EXIT_OK
    print(f"{index}: {registry.id}, {size:,} bytes, {len(layers)} layer(s), checked {today.isoformat()}")
    header = ("layer", "kind", "obtained", "age", "count", "coverage")
    rows = [
        (
            x["name"],
            x["kind"],
            x["obtained"] or "-",
            f"{x['age_days']}d" if x["age_days"] is not None else "-",
            f"{x['count']:,}",
            f"{x['area_codes']} area codes: {x['coverage']}" if x["area_codes"] else "-",
        )
        for x in layers
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    if history["changes"]:
        print(
            f"history: {history['first']} to {history['last']}, {history['versions']} version(s), "
            f"{history['changes']} change(s), {history['size']:,} bytes"
        )
    else:
        print("history: none kept")
    for w in warnings:
        print(f"warning: {w}")
    return EXIT_BLOCKED if stale else EXIT_OK


def _history_info(registry: Any) -> dict[str, Any]:
    """The history the index keeps: its span, versions, changes and size in bytes."""
    changes = registry.history
    return {
        "first": changes[0].obtained.isoformat() if changes else None,
        "last": changes[-1].obtained.isoformat() if changes else None,
        "versions": len({c.registry_id for c in changes}),
        "changes": len(changes),
        "size": registry.history_size(),
    }
