"""Benchmark: ``dncguard check`` on a 10-million-row CSV against ``guard.scrub`` of the same rows.

Reproduce (2 cores; the index is ``bench_bulk.py``'s, ``benchmarks/out/bulk-us-258500000.dncg``,
built on first use from ``benchmarks/generate.py``'s US-scale list; the CSV is written once to
``benchmarks/out/cli-calls-10000000.csv`` and reused)::

    python benchmarks/bench_cli.py --rows 10000000 --repeat 3 --phases 3 --write benchmarks/results/cli.md

``--phases N`` then times each phase of ``check`` (CSV parse, typing, deciding, formatting,
writing) alone, N times, with the command's own functions: where its CPU goes.
``--jsonl-rows N`` then times ``check`` of the first N rows written as JSON Lines (each record
validated as a ``Call``, then decided in bulk) against the same rows as CSV.

Target (issue 6): ``dncguard check`` on a 10-million-row CSV in under 1.5x the time of
``guard.scrub`` on the same rows loaded in memory (the command line adds I/O, not a slow path).

What it measures, per repeat and back to back so both see the same machine state:

* ``guard.scrub(table, seller="acme")`` where ``table`` holds the CSV's rows already in memory,
  typed (``at`` as an aware timestamp, dates as dates: the form a pipeline hands to ``scrub``);
* ``dncguard check --registry INDEX --seller acme FILE --format F`` run in-process through
  ``dncguard.cli.main`` with file descriptor 1 redirected to a file in ``benchmarks/out`` (the
  output is really written: about 1 GB of text for 10 million rows), for each ``--format`` asked
  (text, junit, json). The command reads and checks the CSV, decides it in bulk, and writes a
  line (text), a test case (junit) or a full decision (json) per call;
* ``dncguard scrub --registry INDEX --seller acme FILE OUT`` in-process, for each ``--scrub-to``
  kind of OUT (Parquet, CSV): the pipeline command, writing every row plus its decision columns.
  No target of its own; it is reported against ``guard.scrub`` the same way.

The report gives each median and the ratio check / scrub per repeat (scrub timed just before).
Rows: ``bench_bulk.py``'s generator (messy ``to`` spelled 11 ways, 1% invalid, half registered;
sparse purchase / inquiry / consent / request dates), with ``at`` written as ISO 8601 text in
four UTC offsets (``-04:00``, ``-05:00``, ``-07:00``, ``Z``). Synthetic numbers only.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import gc
import itertools
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

sys.path.insert(0, str(Path(__file__).parent))

from bench_bulk import build_registry, calls_table  # the same generator and index

OUT = Path(__file__).parent / "out"
OFFSETS = (("-04:00", -4 * 3600), ("-05:00", -5 * 3600), ("-07:00", -7 * 3600), ("Z", 0))


def at_text(rng: np.random.Generator, at: pa.Array) -> pa.Array:
    """``at`` (UTC timestamps) as ISO 8601 text in one of :data:`OFFSETS` per row."""
    pick = rng.integers(0, len(OFFSETS), len(at))
    seconds = np.array([s for _, s in OFFSETS], np.int64)[pick]
    local = pc.add(at.cast(pa.int64()), pa.array(seconds * 1_000_000)).cast(pa.timestamp("us"))
    wall = pc.strftime(local.cast(pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%S")
    suffix = pc.take(pa.array([text for text, _ in OFFSETS]), pa.array(pick))
    return pc.binary_join_element_wise(wall, suffix, "")


def write_csv(path: Path, rows: int, listed: np.ndarray, say: Any) -> pa.Table:
    """Generate ``rows`` calls, write them to ``path`` as a CSV (once), return the typed table."""
    rng = np.random.default_rng(2026)
    t0 = time.perf_counter()
    table = calls_table(rng, rows, listed)
    text = table.set_column(1, "at", at_text(rng, table.column("at").combine_chunks()))
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        pa_csv.write_csv(text, tmp, write_options=pa_csv.WriteOptions(quoting_style="none"))
        os.replace(tmp, path)
        secs = time.perf_counter() - t0
        say(f"Wrote {path.name}: {rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB in {secs:.1f} s.")
    else:
        say(f"Reusing {path.name}: {rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB.")
    return table


@contextlib.contextmanager
def stdout_to(path: Path) -> Iterator[None]:
    """File descriptor 1 (and ``sys.stdout``) redirected to ``path`` for the block."""
    sys.stdout.flush()
    saved = os.dup(1)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.close(fd)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def run_check(index: str, csv: Path, fmt: str, out: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (all threads) and exit code of ``dncguard check``."""
    from dncguard.cli import main

    gc.collect()
    with stdout_to(out):
        t0, c0 = time.perf_counter(), time.process_time()
        code = main(["check", "--registry", index, "--seller", "acme", str(csv), "--format", fmt])
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return secs, cpu, code


def run_scrub(index: str, csv: Path, out: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (all threads) and exit code of ``dncguard scrub CSV OUT``."""
    from dncguard.cli import main

    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    code = main(["scrub", "--registry", index, "--seller", "acme", str(csv), str(out)])
    return time.perf_counter() - t0, time.process_time() - c0, code


def jsonl_against_csv(index: str, csv: Path, rows: int, repeat: int, say: Any) -> None:
    """``check`` of the same ``rows`` calls as JSON Lines (a record a line, each validated as a
    ``Call``: a record may hold nested evidence) and as CSV, alternately."""
    head = OUT / f"cli-calls-head-{rows}.csv"
    lines = OUT / f"cli-calls-head-{rows}.jsonl"
    with open(csv, encoding="utf-8") as src, open(head, "w", encoding="utf-8") as dst:
        dst.writelines(itertools.islice(src, rows + 1))
    as_text = pa_csv.ConvertOptions(strings_can_be_null=True, column_types={"to": pa.string()})
    table = pa_csv.read_csv(head, convert_options=as_text)
    with open(lines, "w", encoding="utf-8") as f:
        for record in table.cast(pa.schema([(n, pa.string()) for n in table.column_names])).to_pylist():
            f.write(json.dumps({k: v for k, v in record.items() if v is not None}) + "\n")
    times: dict[str, list[float]] = {"jsonl": [], "csv": []}
    for _ in range(repeat):
        for kind, path in (("jsonl", lines), ("csv", head)):
            target = OUT / f"cli-check-out.{kind}.txt"
            secs, _, _ = run_check(index, path, "text", target)
            times[kind].append(secs)
            target.unlink()
    say("")
    say(f"check --format text of the first {rows:,} rows, as JSON Lines and as CSV:")
    for kind, values in times.items():
        med = statistics.median(values)
        each = ", ".join(f"{t:.2f}" for t in values)
        say(f"  {kind}: median {med:.2f} s ({each}): {rows / med:,.0f} calls/s")
    ratios = [j / c for j, c in zip(times["jsonl"], times["csv"], strict=True)]
    say(f"  JSON Lines / CSV per repeat {', '.join(f'{x:.1f}' for x in ratios)}")
    head.unlink()
    lines.unlink()


def phases(index: str, csv: Path, fmt: str, repeat: int, say: Any) -> None:
    """CPU seconds of each phase of ``check`` alone, one after the other in this process: the
    command's own functions (``dncguard.cli`` internals), not a model."""
    from dncguard import bulk
    from dncguard.cli import _batches, _callfile, _common, _decide, _main, _report

    args = _main._parser().parse_args(["check", "--registry", index, "--seller", "acme", str(csv)])
    defaults = _common._defaults(args)
    guard = _common._guard(args)
    times: dict[str, list[float]] = collections.defaultdict(list)

    def timed(name: str, work: Any) -> Any:
        c0 = time.process_time()
        result = work()
        times[name].append(time.process_time() - c0)
        return result

    def one_round() -> None:
        raw = timed("CSV parse (`_callfile._raw_batches`)", lambda: list(_callfile._raw_batches(csv)))
        calls = timed(
            "typing and checking (`_callfile.normalise`)",
            lambda: [_callfile.normalise(r, path=str(csv), first_row=1, defaults=defaults) for r in raw],
        )
        read = _batches._ReadBatches([_callfile.Batch(r, c, 1) for r, c in zip(raw, calls, strict=True)])

        def decide() -> list[Any]:
            tables, bulk_defaults = _batches._bulk_tables(read)
            return list(bulk.decide_batches(guard, tables, columns=False, **bulk_defaults))

        decided = timed("`bulk.decide_batches(columns=False)`", decide)
        pieces, start = [], 0
        for d in decided:
            pieces.append(_decide._Piece.of(start, d))
            start += len(d.inverse)
        explainer = _report._Explainer(guard, path=str(csv))
        target = OUT / f"cli-phase-out.{fmt}"
        with open(target, "w", encoding="utf-8") as out:
            writer = timed(
                "whole-file index for formatting (`_PieceWriter`)",
                lambda: _report._PieceWriter(
                    explainer, _report._calls_table(read.batches), fmt=fmt, path=str(csv), out=out
                ),
            )
            format_cpu = write_cpu = 0.0
            for piece in pieces:
                for lo in range(0, len(piece.inverse), _report._FORMAT_ROWS):
                    c0 = time.process_time()
                    lines = writer.builder.lines(
                        piece, lo, min(lo + _report._FORMAT_ROWS, len(piece.inverse))
                    )
                    c1 = time.process_time()
                    writer.sink.lines(lines)
                    format_cpu, write_cpu = format_cpu + c1 - c0, write_cpu + time.process_time() - c1
            times[f"formatting, {fmt}"].append(format_cpu)
            times["writing"].append(write_cpu)
        target.unlink()

    for _ in range(repeat):
        gc.collect()
        one_round()
    say("")
    say(f"Phases of `check --format {fmt}`, each alone, CPU seconds (median of {repeat}; all threads):")
    total = 0.0
    for name, values in times.items():
        total += statistics.median(values)
        say(f"  {name}: {statistics.median(values):.2f} ({', '.join(f'{v:.2f}' for v in values)})")
    say(f"  sum of the medians: {total:.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=258_500_000, help="national listings (default: US scale)")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", default="text,junit,json", help="comma-separated --format values")
    ap.add_argument(
        "--scrub-to",
        default="parquet,csv",
        help="also time `dncguard scrub CSV OUT` to these output kinds (comma-separated; '' for none)",
    )
    ap.add_argument("--write", type=Path, help="write the results as Markdown here")
    ap.add_argument("--phases", type=int, default=0, help="then time each phase of check alone, N times")
    ap.add_argument(
        "--jsonl-rows",
        type=int,
        default=0,
        help="then time check on the first N rows as JSON Lines and as CSV",
    )
    args = ap.parse_args(argv)

    from dncguard.guard import Guard

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    registry, listed, how = build_registry(args.count)
    index = str(OUT / f"bulk-us-{args.count}.dncg")
    guard = Guard(registry)
    layers = ", ".join(f"{layer.name} {layer.count:,}" for layer in registry.layers)
    say(f"Index: {layers}; {how}.")
    say(f"Load average before the run (1/5/15 min): {' / '.join(f'{x:.1f}' for x in os.getloadavg())}.")
    csv = OUT / f"cli-calls-{args.rows}.csv"
    table = write_csv(csv, args.rows, listed, say)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    scrub_kinds = [k.strip() for k in args.scrub_to.split(",") if k.strip()]
    # Each command timed after guard.scrub in every repeat: (label, check's --format or None for
    # the scrub command, output kind).
    commands = [(f"check --format {f}", f, f) for f in formats]
    commands += [(f"scrub to .{k}", None, k) for k in scrub_kinds]
    labels = [label for label, _, _ in commands]
    checks = [label for label, fmt, _ in commands if fmt is not None]

    guard.scrub(table.slice(0, 200_000), seller="acme")  # warm-up: zone tables, caches
    scrub_times: list[float] = []
    scrub_cpu: list[float] = []
    check_times: dict[str, list[float]] = {label: [] for label in labels}
    check_cpu: dict[str, list[float]] = {label: [] for label in labels}
    sizes: dict[str, int] = {}
    codes: dict[str, int] = {}
    allowed = 0
    for r in range(args.repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        out = guard.scrub(table, seller="acme")
        scrub_times.append(time.perf_counter() - t0)
        scrub_cpu.append(time.process_time() - c0)
        allowed = pc.sum(out.column("allowed")).as_py()
        del out
        for label, fmt, kind in commands:
            target = OUT / f"cli-command-out.{kind}"
            if fmt is not None:
                secs, cpu, code = run_check(index, csv, fmt, target)
            else:
                secs, cpu, code = run_scrub(index, csv, target)
            check_times[label].append(secs)
            check_cpu[label].append(cpu)
            sizes[label], codes[label] = target.stat().st_size, code
            target.unlink()
        say(
            f"repeat {r + 1}: scrub {scrub_times[-1]:.2f} s; "
            + "; ".join(f"{label} {check_times[label][-1]:.2f} s" for label in labels)
            + f" (load {os.getloadavg()[0]:.1f})"
        )
    say("")
    med = statistics.median(scrub_times)
    say(
        f"guard.scrub(table) of the {args.rows:,} rows in memory: median {med:.2f} s "
        f"({', '.join(f'{t:.2f}' for t in scrub_times)}); {allowed:,} allowed."
    )
    for fmt in labels:
        times = check_times[fmt]
        ratios = [c / s for c, s in zip(times, scrub_times, strict=True)]
        say(
            f"dncguard {fmt}: median {statistics.median(times):.2f} s "
            f"({', '.join(f'{t:.2f}' for t in times)}), exit {codes[fmt]}, "
            f"{sizes[fmt] / 1e6:,.0f} MB written; command / guard.scrub per repeat "
            f"{', '.join(f'{x:.2f}' for x in ratios)} (median {statistics.median(ratios):.2f}x; "
            f"ratio of medians {statistics.median(times) / med:.2f}x)."
        )
    say("")
    say(
        f"CPU seconds (all threads; less sensitive to the other users of the machine): scrub median "
        f"{statistics.median(scrub_cpu):.1f} ({', '.join(f'{t:.1f}' for t in scrub_cpu)})"
    )
    for fmt in labels:
        ratios = [c / s for c, s in zip(check_cpu[fmt], scrub_cpu, strict=True)]
        say(
            f"  {fmt}: median {statistics.median(check_cpu[fmt]):.1f} "
            f"({', '.join(f'{t:.1f}' for t in check_cpu[fmt])}); command / guard.scrub per repeat "
            f"{', '.join(f'{x:.2f}' for x in ratios)}."
        )
    say("")
    for fmt in checks:  # the target is check's; the scrub command is reported for comparison
        ratio = statistics.median(c / s for c, s in zip(check_times[fmt], scrub_times, strict=True))
        verdict = "met" if ratio < 1.5 else "NOT met"
        say(
            f"Target check < 1.5x scrub (wall, median of per-repeat ratios), {fmt}: {verdict} ({ratio:.2f}x)."
        )
    if args.phases and formats:
        phases(index, csv, formats[0], args.phases, say)
    if args.jsonl_rows:
        jsonl_against_csv(index, csv, args.jsonl_rows, args.repeat, say)

    if args.write:
        command = " ".join(["python benchmarks/bench_cli.py", *(argv if argv is not None else sys.argv[1:])])
        header = [
            "<!-- Generated by benchmarks/bench_cli.py; rerun it to refresh. -->",
            "# dncguard check on a 10-million-row CSV against guard.scrub",
            "",
            f"Command: `{command}`",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()}; {dt.date.today()}. The machine is shared: the load average is "
            "printed before the run and after each repeat.",
            "",
            "Target (issue 6): `dncguard check` on a 10-million-row CSV in under 1.5x the time of",
            "`guard.scrub` on the same rows loaded in memory. `check` runs in-process (`cli.main`, file",
            "descriptor 1 redirected to a file); `scrub` gets the rows already typed in memory.",
            "`dncguard scrub FILE OUT` (the command, in-process) is timed in the same repeats, for",
            "comparison.",
            "",
        ]
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text("\n".join([*header, "```", *lines, "```", ""]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
