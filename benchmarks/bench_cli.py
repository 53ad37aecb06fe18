"""Benchmark: ``dncguard check`` on a 10-million-row CSV against ``guard.scrub`` of the same rows.

Reproduce (2 cores; the index is ``bench_bulk.py``'s, ``benchmarks/out/bulk-us-258500000.dncg``,
built on first use from ``benchmarks/generate.py``'s US-scale list; the CSVs are written once to
``benchmarks/out/cli-calls-{rows}-b15.csv`` and reused)::

    python benchmarks/bench_cli.py --rows 10000000 --repeat 3 --rss-rows 10000000,100000000 \
        --write benchmarks/results/cli.md

Targets (issue 17): with about 15% of the calls blocked (``--blocked-share 0.15``, the default),
``dncguard check`` at most 1.5x ``guard.scrub`` of the same rows in memory for the default text
and the JUnit reports, at most 2.5x for ``--all`` and ``--format jsonl``; the peak RSS of
``check`` on 10M and 100M rows the same within 10% (``--rss-rows``: each count's CSV is
generated, then ``check --format text`` and ``--format jsonl`` run in a fresh process each, and
the peak is the kernel's ``ru_maxrss`` of that process).

The command line allocates Arrow's memory with jemalloc (where pyarrow has it), ``guard.scrub``
with pyarrow's default: the report's second line says which each used. Peak RSS is compared
between row counts of several batches each (a batch is about a million calls): below a few
batches the pipeline (a batch read ahead, two decided at once, one written) is not yet full.

``--phases N`` then times each phase of ``check`` (CSV parse, typing, deciding, formatting,
writing) alone, N times, with the command's own functions: where its CPU goes.
``--threads N`` then runs ``check`` whole N times and gives the CPU seconds of each of its
threads (reading and typing, bulk, formatting, the main thread, the rest): where a real run's
CPU goes, each stage competing with the others for the cores.
``--jsonl-rows N`` then times ``check`` of the first N rows written as JSON Lines (each record
validated as a ``Call``, then decided in bulk) against the same rows as CSV.

The rows are drawn from ``bench_bulk.py``'s generator a million at a time: a pool several times
larger is generated and decided, and the blocked and allowed rows are taken from it in the
proportion asked, shuffled.

What it measures, per repeat and back to back so both see the same machine state:

* ``guard.scrub(table, seller="acme")`` where ``table`` holds the CSV's rows already in memory,
  typed (``at`` as an aware timestamp, dates as dates: the form a pipeline hands to ``scrub``);
* ``dncguard check --registry INDEX --seller acme FILE --format F [--all]`` run in-process
  through ``dncguard.cli.main`` with file descriptor 1 redirected to a file in ``benchmarks/out``
  (the output is really written), for each of ``--formats`` (default: text, junit, text --all,
  jsonl). The command reads and checks the CSV, decides it in bulk, and writes the blocked calls
  (text, junit) or every call (``--all``, jsonl);
* after each command, unless ``--no-write-floor``: writing as many bytes as it wrote into a new
  file in ``benchmarks/out`` with plain 1 MiB ``os.write`` calls of one buffer (then deleted),
  the "write floor": what the page cache alone costs for that report on this machine, whatever
  program writes it, reported next to each command's ratio (``writing its N MB alone: X s =
  Y x guard.scrub``);
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


_CHUNK = 1 << 20
"""Rows generated (and written) at a time."""


def write_csv(path: Path, rows: int, listed: np.ndarray, guard: Any, share: float, say: Any) -> None:
    """Write ``rows`` generated calls to ``path`` as a CSV (once), about ``share`` of them blocked
    (decided by ``guard`` with seller acme, as the commands are), a chunk at a time."""
    if path.exists():
        say(f"Reusing {path.name}: {rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB.")
        return
    rng = np.random.default_rng(2026)
    t0 = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    writer: pa_csv.CSVWriter | None = None
    done = blocked_total = 0
    try:
        factor = 3  # pool rows per row written: grown while the pool is too small
        while done < rows:
            n = min(_CHUNK, rows - done)
            pool = calls_table(rng, factor * n + 1000, listed)
            allowed = np.asarray(
                guard.scrub(pool, seller="acme").column("allowed").to_numpy(zero_copy_only=False)
            )
            want_blocked = round(n * share)
            blocked_rows = np.flatnonzero(~allowed)[:want_blocked]
            allowed_rows = np.flatnonzero(allowed)[: n - want_blocked]
            if len(blocked_rows) < want_blocked or len(allowed_rows) < n - want_blocked:
                if factor >= 48:
                    raise SystemExit(f"the generated pool cannot give {share:.0%} blocked calls")
                factor *= 2
                continue
            chunk = pool.take(pa.array(rng.permutation(np.concatenate([allowed_rows, blocked_rows]))))
            chunk = chunk.set_column(1, "at", at_text(rng, chunk.column("at").combine_chunks()))
            if writer is None:
                options = pa_csv.WriteOptions(quoting_style="none")
                writer = pa_csv.CSVWriter(tmp, chunk.schema, write_options=options)
            writer.write_table(chunk)
            done += n
            blocked_total += want_blocked
    finally:
        if writer is not None:
            writer.close()
    os.replace(tmp, path)
    secs = time.perf_counter() - t0
    say(
        f"Wrote {path.name}: {rows:,} rows ({blocked_total / rows:.1%} blocked), "
        f"{path.stat().st_size / 1e6:,.0f} MB in {secs:.1f} s."
    )


def read_typed(path: Path) -> pa.Table:
    """The CSV's rows typed as a pipeline hands them to ``scrub`` (``at`` an aware timestamp,
    dates as dates)."""
    types = {"to": pa.string(), "consent_kind": pa.string(), "at": pa.timestamp("us", tz="UTC")}
    options = pa_csv.ConvertOptions(column_types=types, strings_can_be_null=True)
    return pa_csv.read_csv(path, convert_options=options)


def csv_path(rows: int, share: float) -> Path:
    return OUT / f"cli-calls-{rows}-b{round(share * 100)}.csv"


_PEAK = """
import sys
from dncguard.cli import main
code = main(sys.argv[2:])
with open("/proc/self/status") as status, open(sys.argv[1], "w") as out:
    out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
sys.exit(code)
"""
"""``dncguard`` that writes its own peak RSS (``VmHWM``) to a file: the wait status's
``ru_maxrss`` would report the parent's, which fork and exec carry over."""


def peak_rss(index: str, csv: Path, flags: list[str]) -> tuple[int, float, int]:
    """Peak RSS (bytes), wall seconds and exit code of ``dncguard check`` in a fresh process."""
    import subprocess

    peak = OUT / "cli-peak-rss.txt"
    argv = [
        sys.executable,
        "-c",
        _PEAK,
        str(peak),
        "check",
        "--registry",
        index,
        "--seller",
        "acme",
        str(csv),
    ]
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        code = subprocess.run([*argv, *flags], stdout=sink).returncode
    secs = time.perf_counter() - t0
    value = int(peak.read_text()) * 1024
    peak.unlink()
    return value, secs, code


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
    """Wall seconds, CPU seconds (all threads) and exit code of ``dncguard check``; ``fmt``: the
    ``--format`` value, then any further flags (``"text --all"``)."""
    from dncguard.cli import main

    name, *flags = fmt.split()
    gc.collect()
    with stdout_to(out):
        t0, c0 = time.perf_counter(), time.process_time()
        code = main(["check", "--registry", index, "--seller", "acme", str(csv), "--format", name, *flags])
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return secs, cpu, code


_FLOOR_BLOCK = memoryview(b"x" * (1 << 20))
"""What :func:`write_floor` writes at a time (one buffer, made once)."""


def write_floor(size: int, directory: Path) -> tuple[float, float]:
    """Wall and CPU seconds (all threads) to write ``size`` bytes into a new file in
    ``directory`` with plain 1 MiB ``os.write`` calls of one buffer made beforehand, the file
    deleted after (not timed): what writing a report of that size costs whatever program writes
    it, on this machine, the page cache's share included."""
    path = directory / "cli-write-floor.bin"
    gc.collect()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        left = size
        while left > 0:
            left -= os.write(fd, _FLOOR_BLOCK[: min(left, len(_FLOOR_BLOCK))])
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        os.close(fd)
        path.unlink()
    return secs, cpu


def run_scrub(index: str, csv: Path, out: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (all threads) and exit code of ``dncguard scrub CSV OUT``."""
    from dncguard.cli import main

    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    code = main(["scrub", "--registry", index, "--seller", "acme", str(csv), str(out)])
    return time.perf_counter() - t0, time.process_time() - c0, code


def floor_line(size: int, times: list[float], cpu: list[float], scrub_times: list[float]) -> str:
    """What writing ``size`` bytes alone took (:func:`write_floor`), against ``guard.scrub``."""
    ratios = [f / s for f, s in zip(times, scrub_times, strict=True)]
    secs = statistics.median(times)
    rate = f"{size / secs / 1e9:.2f} GB/s" if secs > 0 else "-"
    return (
        f"writing its {size / 1e6:,.0f} MB alone: median {secs:.2f} s"
        f" ({', '.join(f'{t:.2f}' for t in times)}; {rate}; CPU {statistics.median(cpu):.2f} s)"
        f" = {statistics.median(ratios):.2f}x guard.scrub"
        f" (per repeat {', '.join(f'{x:.2f}' for x in ratios)})"
    )


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
    from dncguard.cli import _batches, _callfile, _check, _common, _decide, _main, _report, _sizes, _tablefile

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
        raw = timed("CSV parse (`_tablefile._raw_batches`)", lambda: list(_tablefile._raw_batches(csv)))
        typed = timed(
            "typing and checking (`_tablefile._typed`)",
            lambda: [_tablefile._typed(r, path=str(csv), first_row=1, defaults=defaults) for r in raw],
        )
        # With the instants of each ``at`` column, which bulk then takes instead of parsing it.
        read = _batches._ReadBatches(
            [_callfile.Batch(r, c, 1, at) for r, (c, at) in zip(raw, typed, strict=True)]
        )

        bulk_defaults: dict[str, Any] = {}

        def decide() -> list[Any]:
            tables, given = _batches._bulk_tables(read)
            bulk_defaults.update(given)
            return list(bulk.decide_batches(guard, tables, columns=False, **given))

        decided = timed("`bulk.decide_batches(columns=False)`", decide)
        explainer = _report._Explainer(guard, path=str(csv), defaults=bulk_defaults)
        pieces, start = [], 0
        for d in decided:
            piece = _decide._Piece.of(start, d)
            if not fmt.startswith("text"):  # the invalid numbers' texts, as the command works them out
                piece = _check._explained(explainer, fmt.split()[0], piece)
            pieces.append(piece)
            start += len(d.inverse)
        target = OUT / f"cli-phase-out.{fmt.split()[0]}"
        with open(target, "w", encoding="utf-8") as out:
            name, *flags = fmt.split()
            writer = _report._Report(explainer, fmt=name, path=str(csv), out=out, every="--all" in flags)
            format_cpu = write_cpu = 0.0
            for piece in pieces:
                c0 = time.process_time()
                prepared = writer.builder.prepare(piece)
                format_cpu += time.process_time() - c0
                step = _sizes.format_rows(name)
                for lo in range(0, len(piece.inverse), step):
                    c0 = time.process_time()
                    lines = writer.builder.lines(piece, lo, min(lo + step, len(piece.inverse)), prepared)
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


def thread_cpu(index: str, csv: Path, fmt: str, repeat: int, say: Any) -> None:
    """CPU seconds of each thread of ``check`` run whole (the pipeline as it runs, every stage
    competing for the cores), by the thread's name: ``dncguard-read`` (the CSV parsed and typed),
    ``dncguard-scrub`` (bulk's deciding), ``dncguard-format`` (the report's lines, written),
    ``dncguard-explain``, the main thread (joining tables, handing pieces on), and the rest of
    the process (threads Python did not start: Arrow's, jemalloc's). Where :func:`phases` times
    each phase alone, this says where a real run's CPU goes. A thread still running when the
    command returns is counted in the rest."""
    import threading

    times: dict[str, list[float]] = collections.defaultdict(list)
    run = threading.Thread.run
    for _ in range(repeat):
        spent: collections.Counter[str] = collections.Counter()

        def timed_run(self: threading.Thread, spent: collections.Counter[str] = spent) -> None:
            try:
                run(self)
            finally:
                spent[self.name.rsplit("_", 1)[0]] += time.thread_time()

        threading.Thread.run = timed_run  # type: ignore[method-assign]
        target = OUT / f"cli-thread-out.{fmt.split()[0]}"
        try:
            gc.collect()
            main0, c0 = time.thread_time(), time.process_time()
            run_check(index, csv, fmt, target)
            total, main = time.process_time() - c0, time.thread_time() - main0
        finally:
            threading.Thread.run = run  # type: ignore[method-assign]
            target.unlink(missing_ok=True)
        spent["main thread"] = main
        spent["rest of the process"] = total - sum(spent.values())
        spent["total"] = total
        for name, cpu in spent.items():
            times[name].append(cpu)
    say("")
    say(f"CPU seconds by thread of `check --format {fmt}` run whole (median of {repeat}):")
    for name, values in sorted(times.items(), key=lambda kv: -statistics.median(kv[1])):
        say(f"  {name}: {statistics.median(values):.2f} ({', '.join(f'{v:.2f}' for v in values)})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=258_500_000, help="national listings (default: US scale)")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--formats",
        default="text,junit,text --all,jsonl",
        help="comma-separated --format values, each with any further flags (default: %(default)s)",
    )
    ap.add_argument("--blocked-share", type=float, default=0.15, help="share of blocked calls (default 0.15)")
    ap.add_argument(
        "--rss-rows",
        default="",
        help="comma-separated row counts: peak RSS of check (text, jsonl) in a fresh process on each",
    )
    ap.add_argument(
        "--scrub-to",
        default="parquet,csv",
        help="also time `dncguard scrub CSV OUT` to these output kinds (comma-separated; '' for none)",
    )
    ap.add_argument(
        "--no-write-floor",
        action="store_true",
        help="do not time, after each command, writing as many bytes as it wrote (1 MiB os.write calls"
        " into a new file in benchmarks/out): the page cache's cost, whatever program writes",
    )
    ap.add_argument("--write", type=Path, help="write the results as Markdown here")
    ap.add_argument("--phases", type=int, default=0, help="then time each phase of check alone, N times")
    ap.add_argument(
        "--threads",
        type=int,
        default=0,
        help="then the CPU of each thread of check (first of --formats) run whole, N times",
    )
    ap.add_argument(
        "--jsonl-rows",
        type=int,
        default=0,
        help="then time check on the first N rows as JSON Lines and as CSV",
    )
    args = ap.parse_args(argv)

    from dncguard.cli import _common
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
    with _common._arrow_memory():
        command_pool = pa.default_memory_pool().backend_name
    say(
        f"Arrow allocator: guard.scrub runs with pyarrow's default ({pa.default_memory_pool().backend_name}),"
        f" the commands with {command_pool} (dncguard's command line chooses it; ARROW_DEFAULT_MEMORY_POOL"
        " set for this script sets both)."
    )
    csv = csv_path(args.rows, args.blocked_share)
    write_csv(csv, args.rows, listed, guard, args.blocked_share, say)
    table = read_typed(csv)
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
    floor_times: dict[str, list[float]] = {label: [] for label in labels}
    floor_cpu: dict[str, list[float]] = {label: [] for label in labels}
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
            if not args.no_write_floor:
                secs, cpu = write_floor(sizes[label], OUT)
                floor_times[label].append(secs)
                floor_cpu[label].append(cpu)
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
    if not args.no_write_floor:
        say("")
        say(
            "Write floor: after each command, as many bytes as it wrote written into a new file in"
            " benchmarks/out with plain 1 MiB os.write calls (then deleted): the page cache's cost"
            " of the report, whatever program writes it."
        )
        for fmt in labels:
            say(f"  {fmt}: {floor_line(sizes[fmt], floor_times[fmt], floor_cpu[fmt], scrub_times)}")
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
        limit = 2.5 if ("--all" in fmt or "json" in fmt) else 1.5
        verdict = "met" if ratio <= limit else "NOT met"
        floor = ""
        if not args.no_write_floor:
            alone = statistics.median(f / s for f, s in zip(floor_times[fmt], scrub_times, strict=True))
            secs = statistics.median(floor_times[fmt])
            floor = f"; writing its {sizes[fmt] / 1e6:,.0f} MB alone: {secs:.2f} s = {alone:.2f}x guard.scrub"
        say(
            f"Target {fmt} <= {limit}x scrub (wall, median of per-repeat ratios): {verdict} ({ratio:.2f}x)"
            f"{floor}."
        )
    rss_rows = [int(x) for x in args.rss_rows.split(",") if x.strip()]
    if rss_rows:
        del table
        gc.collect()
        say("")
        say("Peak RSS of `dncguard check` in a fresh process (ru_maxrss):")
        peaks: dict[str, list[int]] = collections.defaultdict(list)
        for rows in rss_rows:
            path = csv_path(rows, args.blocked_share)
            write_csv(path, rows, listed, guard, args.blocked_share, say)
            for flags in (["--format", "text"], ["--format", "jsonl"]):
                peak, secs, code = peak_rss(index, path, flags)
                peaks[" ".join(flags)].append(peak)
                say(f"  {rows:,} rows, {' '.join(flags)}: {peak / 2**20:,.0f} MiB, {secs:.1f} s, exit {code}")
        for label, values in peaks.items():
            spread = max(values) / min(values) - 1
            verdict = "met" if spread <= 0.10 else "NOT met"
            say(f"Target peak RSS the same within 10% ({label}): {verdict} ({spread:.1%} apart).")
    if args.phases and formats:
        phases(index, csv, formats[0], args.phases, say)
    if args.threads and formats:
        thread_cpu(index, csv, formats[0], args.threads, say)
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
            "Targets (issue 17): `dncguard check` on a 10-million-row CSV, about 15% blocked, at most",
            "1.5x `guard.scrub` of the same rows in memory (text, junit), 2.5x (`--all`, jsonl); peak",
            "RSS on 10M and 100M rows the same within 10%. `check` runs in-process (`cli.main`, file",
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
