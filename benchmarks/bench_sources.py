"""Benchmark dncguard.sources against a plain Python line loop, in the same run.

    python benchmarks/bench_sources.py parse            # 50M-line FTC zip, medians of 3 runs each
    python benchmarks/bench_sources.py parse --lines 5000000 --repeat 5
    python benchmarks/bench_sources.py memory           # peak memory of dncguard at 2M, 20M, 50M lines
    python benchmarks/bench_sources.py e2e              # 258.5M-number FTC zip -> Registry -> saved index
    python benchmarks/bench_sources.py attacks          # zip bombs and adversarial XML: seconds, peak RSS

``parse`` writes a synthetic FTC full download (numbers clustered like a real registry by
``benchmarks/generate.py``; one zip member per area code, every other member in the
``AAA,NNNNNNN`` layout, the rest one number per line) under ``benchmarks/out/`` and reads it, in
separate processes so that each peak memory is its own, with:

- ``dncguard``: ``dncguard.sources.ftc(path, obtained=...)``, iterating its chunks;
- ``python-loop``: the baseline, a plain Python loop over the same members' lines that handles
  the same two layouts, checks the NANP shape and collects ``uint64`` chunks;
- ``inflate-only``: reading the members' bytes and nothing else (the floor both share).

It prints medians, the ratio, and peak resident memory, as a markdown section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import zipfile
from array import array
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
OBTAINED = dt.date(2026, 3, 10)
_POW10 = np.array([10**k for k in range(9, -1, -1)], dtype=np.uint64)


def numbers_for(count: int, seed: int = 20260310) -> npt.NDArray[np.uint64]:
    """``count`` registry-like numbers (sorted), cached under benchmarks/out/."""
    cached = OUT / f"us-{count}-{seed}.npy"
    if cached.exists():
        return np.load(cached, mmap_mode="r")
    sys.path.insert(0, str(HERE))
    from generate import generate  # benchmarks/generate.py

    numbers, _ = generate(count, "US", seed)
    OUT.mkdir(exist_ok=True)
    np.save(cached, numbers)
    return numbers


def text_of(numbers: npt.NDArray[np.uint64], comma: bool) -> bytes:
    """Lines ``2125550143\\n`` or ``212,5550143\\n``, built column-wise."""
    parts = []
    for i in range(0, len(numbers), 1 << 20):
        n = np.asarray(numbers[i : i + (1 << 20)], dtype=np.uint64)
        digits = ((n[:, None] // _POW10[None, :]) % np.uint64(10)).astype(np.uint8) + np.uint8(48)
        if comma:
            rows = np.empty((len(n), 12), np.uint8)
            rows[:, :3], rows[:, 3], rows[:, 4:11] = digits[:, :3], ord(","), digits[:, 3:]
        else:
            rows = np.empty((len(n), 11), np.uint8)
            rows[:, :10] = digits
        rows[:, -1] = ord("\n")
        parts.append(rows.tobytes())
    return b"".join(parts)


def write_download(path: Path, numbers: npt.NDArray[np.uint64], compression: str) -> dict[str, int]:
    """One member per area code, alternating layouts; returns lines and uncompressed bytes."""
    acs = np.asarray(numbers // np.uint64(10_000_000))
    bounds = np.flatnonzero(np.diff(acs)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(numbers)]])
    method = zipfile.ZIP_DEFLATED if compression == "deflate" else zipfile.ZIP_STORED
    size = 0
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=method, compresslevel=1, allowZip64=True) as z:
        for k, (s, e) in enumerate(zip(starts, ends, strict=True)):
            data = text_of(numbers[s:e], comma=bool(k % 2))
            size += len(data)
            with z.open(f"ftc/{int(acs[s])}.txt", "w", force_zip64=True) as f:
                f.write(data)
    tmp.rename(path)
    return {"lines": len(numbers), "bytes": size, "members": len(starts)}


def python_loop(path: str) -> Iterator[npt.NDArray[np.uint64]]:
    """The baseline: a plain line loop over the members that handles both layouts."""
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            with z.open(info) as member:
                buf = array("Q")
                for n, raw in enumerate(io.BufferedReader(member, 1 << 20), 1):
                    line = raw.strip()
                    if not line:
                        continue
                    if b"," in line:
                        area, _, local = line.partition(b",")
                        v = int(area) * 10_000_000 + int(local)
                    else:
                        v = int(line)
                    if not (2_000_000_000 <= v < 10_000_000_000 and (v // 1_000_000) % 10 >= 2):
                        raise ValueError(f"{path}:{info.filename}, line {n}: not a NANP number")
                    buf.append(v)
                    if len(buf) >= 1 << 22:
                        yield np.frombuffer(buf, dtype=np.uint64).copy()
                        buf = array("Q")
                yield np.frombuffer(buf, dtype=np.uint64).copy()


def inflate_only(path: str) -> Iterator[npt.NDArray[np.uint64]]:
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            with z.open(info) as member:
                while member.read(4 << 20):
                    pass
    yield np.empty(0, np.uint64)


def dncguard_ftc(path: str) -> Iterator[npt.NDArray[np.uint64]]:
    from dncguard import sources

    for chunk in sources.ftc(path, obtained=OBTAINED):
        yield chunk.numbers


IMPLS = {"dncguard": dncguard_ftc, "python-loop": python_loop, "inflate-only": inflate_only}


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(impl: str, path: str) -> dict[str, float]:
    """In this process: time one implementation over the file; peak RSS of the process."""
    import dncguard.sources  # noqa: F401 (imported before the clock starts, for every implementation)

    t = time.perf_counter()
    count = checksum = 0
    for numbers in IMPLS[impl](path):
        count += len(numbers)
        checksum ^= int(np.bitwise_xor.reduce(numbers)) if len(numbers) else 0
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "numbers": count, "checksum": checksum, "peak_mib": peak_mib()}


def spawn(impl: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "_run", impl, str(path)], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out))


def download(lines: int, compression: str) -> tuple[Path, dict[str, int]]:
    """The generated download of ``lines`` numbers (made on first use) and its facts."""
    path = OUT / f"ftc-{lines}-{compression}.zip"
    OUT.mkdir(exist_ok=True)
    meta_path = path.with_suffix(".json")
    if not path.exists():
        t = time.perf_counter()
        meta_path.write_text(json.dumps(write_download(path, numbers_for(lines), compression)))
        print(f"generated {path} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return path, dict(json.loads(meta_path.read_text()))


def memory(args: argparse.Namespace) -> None:
    print("\n### Peak memory does not grow with the file\n")
    print(f"`python benchmarks/bench_sources.py memory --lines {' '.join(map(str, args.lines))}`\n")
    print("| lines | MB | seconds | peak RSS MiB |")
    print("|---|---|---|---|")
    for lines in args.lines:
        path, meta = download(lines, "deflate")
        res = spawn("dncguard", path)
        assert res["numbers"] == lines
        mb, seconds, peak = meta["bytes"] / 1e6, res["seconds"], res["peak_mib"]
        print(f"| {lines / 1e6:.0f}M | {mb:.0f} | {seconds:.1f} | {peak:.0f} |")


def parse(args: argparse.Namespace) -> None:
    path, meta = download(args.lines, args.compression)
    impls = ["dncguard", "python-loop", "inflate-only"]
    runs: dict[str, list[dict[str, float]]] = {i: [] for i in impls}
    for r in range(args.repeat):
        for impl in impls if r % 2 == 0 else impls[::-1]:
            res = spawn(impl, path)
            runs[impl].append(res)
            print(impl, json.dumps(res), file=sys.stderr)
    assert runs["dncguard"][0]["numbers"] == runs["python-loop"][0]["numbers"] == meta["lines"]
    assert runs["dncguard"][0]["checksum"] == runs["python-loop"][0]["checksum"]
    med = {i: statistics.median(x["seconds"] for x in runs[i]) for i in impls}
    peak = {i: max(x["peak_mib"] for x in runs[i]) for i in impls}
    mb = meta["bytes"] / 1e6
    print(
        f"\n### Parse an FTC full download: {meta['lines'] / 1e6:.0f}M lines, {mb:.0f} MB, "
        f"{meta['members']} members ({args.compression} zip)\n"
    )
    print(
        f"`python benchmarks/bench_sources.py parse --lines {args.lines} --compression {args.compression} "
        f"--repeat {args.repeat}`; {os.cpu_count()} cores; medians of {args.repeat} runs, each in its own "
        "process.\n"
    )
    print("| reader | median s | M lines/s | MB/s | peak RSS MiB | vs python-loop |")
    print("|---|---|---|---|---|---|")
    for i in impls:
        s = med[i]
        lines = "" if i == "inflate-only" else f"{meta['lines'] / s / 1e6:.1f}"
        print(f"| {i} | {s:.2f} | {lines} | {mb / s:.0f} | {peak[i]:.0f} | {med['python-loop'] / s:.1f}x |")


def e2e(args: argparse.Namespace) -> None:
    count = args.numbers
    path, _ = download(count, "deflate")
    res = subprocess.run(
        [sys.executable, __file__, "_e2e", str(path)], check=True, capture_output=True, text=True
    ).stdout
    out = json.loads(res)
    print(f"\n### End to end: {count / 1e6:.1f}M-number FTC download -> saved index\n")
    print(f"`python benchmarks/bench_sources.py e2e --numbers {count}`; one run.\n")
    print("| step | seconds |")
    print("|---|---|")
    for k in ("build", "save", "total"):
        print(f"| {k} | {out[k]:.1f} |")
    print(
        f"\nPeak RSS {out['peak_mib']:.0f} MiB; index {out['index_mib']:.0f} MiB "
        f"({out['bits_per_number']:.2f} bits/number); {out['numbers']} numbers in us-ftc."
    )


def run_e2e(path: str) -> dict[str, float]:
    from dncguard import sources
    from dncguard.registry import Registry

    out = Path(path).with_suffix(".dncg")
    t0 = time.perf_counter()
    registry = Registry.build([sources.ftc(path, obtained=OBTAINED)])
    t1 = time.perf_counter()
    registry.save(out)
    t2 = time.perf_counter()
    count = sum(layer.count for layer in registry.layers)
    size = out.stat().st_size
    return {
        "build": t1 - t0,
        "save": t2 - t1,
        "total": t2 - t0,
        "numbers": count,
        "index_mib": size / 2**20,
        "bits_per_number": size * 8 / max(count, 1),
        "peak_mib": peak_mib(),
    }


def _attack_files(mib: int) -> dict[str, tuple[str, Path]]:
    """Hostile downloads of about ``mib`` MiB inflated (made on first use): reader, path."""
    OUT.mkdir(exist_ok=True)
    files: dict[str, tuple[str, Path]] = {}
    piece = 1 << 20

    def gz(name: str, unit: bytes, head: bytes = b"") -> Path:
        path = OUT / f"attack-{name}-{mib}.gz"
        if not path.exists():
            with gzip.open(path, "wb", compresslevel=1) as g:
                g.write(head)
                block = unit * (piece // len(unit))
                for _ in range(mib):
                    g.write(block)
        return path

    files["gzip: blank lines"] = ("ftc", gz("blank", b"\n", b"2125550143\n"))
    files["gzip: one number repeated"] = ("ftc", gz("repeat", b"2125550143\n"))
    bomb = OUT / f"attack-zip-{mib}.zip"
    if not bomb.exists():
        with (
            zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z,
            z.open("ftc/212.txt", "w", force_zip64=True) as f,
        ):
            block = b"\n" * piece
            for _ in range(mib):
                f.write(block)
    files["zip member 212.txt: blank lines"] = ("ftc", bomb)
    size = 4 << 20
    xml = {
        "spaces in a tag": b"<list>\n<a" + b" " * size + b"\n",
        "many <ph openings": b"<list>" + b"<ph" * (size // 3),
        "many <ph val= openings": b"<list>" + b"<ph val='" * (size // 9),
        "<ph> without text end": b"<list>" + b"<ph>2" * (size // 5),
        "sibling elements": b"<list>" + b"<ac val='212'></ac>" * (size // 19) + b"</list>",
    }
    for name, doc in xml.items():
        path = OUT / f"attack-xml-{name.replace(' ', '-').replace('<', '').replace('=', '')}.xml"
        path.write_bytes(doc)
        files[f"4 MiB XML: {name}"] = ("ftc", path)
    return files


def run_attack(reader: str, path: str) -> dict[str, object]:
    """In this process: read one hostile download; how long, how much memory, what was said."""
    from dncguard import DncguardError, sources

    t = time.perf_counter()
    try:
        count = sum(c.numbers.size for c in sources.SOURCES[reader](path, obtained=OBTAINED))
        said = f"read {count} numbers"
    except DncguardError as e:
        said = e.detail if hasattr(e, "detail") else str(e)
    return {"seconds": time.perf_counter() - t, "peak_mib": peak_mib(), "said": said[:90]}


def attacks(args: argparse.Namespace) -> None:
    print("\n### Hostile downloads: refused early, in bounded memory\n")
    print(f"`python benchmarks/bench_sources.py attacks --mib {args.mib}`; each in its own process.\n")
    print("| download | size on disk | seconds | peak RSS MiB | dncguard says |")
    print("|---|---|---|---|---|")
    for name, (reader, path) in _attack_files(args.mib).items():
        out = subprocess.run(
            [sys.executable, __file__, "_attack", reader, str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        res = json.loads(out)
        disk = path.stat().st_size
        cells = [
            name,
            f"{disk / 2**20:.1f} MiB",
            f"{res['seconds']:.2f}",
            f"{res['peak_mib']:.0f}",
            res["said"],
        ]
        print("| " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_run":
        print(json.dumps(run_one(argv[1], argv[2])))
        return 0
    if argv and argv[0] == "_attack":
        print(json.dumps(run_attack(argv[1], argv[2])))
        return 0
    if argv and argv[0] == "_e2e":
        print(json.dumps(run_e2e(argv[1])))
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("parse")
    pp.add_argument("--lines", type=int, default=50_000_000)
    pp.add_argument("--repeat", type=int, default=3)
    pp.add_argument("--compression", choices=["deflate", "stored"], default="deflate")
    pm = sub.add_parser("memory")
    pm.add_argument("--lines", type=int, nargs="+", default=[2_000_000, 20_000_000, 50_000_000])
    pe = sub.add_parser("e2e")
    pe.add_argument("--numbers", type=int, default=258_500_000)
    pa = sub.add_parser("attacks")
    pa.add_argument("--mib", type=int, default=2048, help="inflated size of each bomb, MiB")
    args = p.parse_args(argv)
    {"parse": parse, "memory": memory, "e2e": e2e, "attacks": attacks}[args.cmd](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
