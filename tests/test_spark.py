"""The distributed engine: ``dncguard.spark.scrub_dataframe`` on a local Spark session.

End to end: an index saved to disk, a few thousand synthetic calls in a DataFrame, scrubbed on
two local executor threads through ``mapInArrow``, and every row compared with ``Guard.check``.
Skipped, saying why, where pyspark (``pip install 'dncguard[spark]'``) or Java is missing.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from dncguard.guard import Guard
from dncguard.layers import Chunk, LayerKey, Op
from dncguard.registry import Registry

# pyspark's own import-time and shutdown warnings are not dncguard's to fix.
spark_test = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _marked(f: Any) -> Any:
    for mark in spark_test:
        f = mark(f)
    return f


UTC = dt.UTC
OBTAINED = dt.date(2026, 3, 2)
US_NPAS = (212, 305, 512, 713, 850, 907, 808, 787)
CA_NPAS = (416, 709, 306)


def _java_ok() -> bool:
    java = shutil.which("java") or (
        os.path.join(os.environ["JAVA_HOME"], "bin", "java") if "JAVA_HOME" in os.environ else None
    )
    if not java:
        return False
    try:
        return subprocess.run([java, "-version"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pyspark = pytest.importorskip(
        "pyspark", reason="pyspark is not installed: pip install 'dncguard[spark]' to run the Spark test"
    )
    del pyspark
    if not _java_ok():
        pytest.skip("Java (17+) is not installed: the Spark test needs a JVM")
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("dncguard-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _numbers(npas: tuple[int, ...], lines: range) -> np.ndarray:
    return np.array([npa * 10**7 + 5_550_000 + line for npa in npas for line in lines], np.uint64)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    us = {npa: OBTAINED for npa in US_NPAS}
    ca = {npa: OBTAINED for npa in CA_NPAS}
    internal = _numbers(US_NPAS[:3], range(100, 104))
    registry = Registry.build(
        [
            [
                Chunk(
                    LayerKey.national("US"),
                    Op.REPLACE,
                    _numbers(US_NPAS, range(100, 130)),
                    us,
                    obtained=OBTAINED,
                )
            ],
            [
                Chunk(
                    LayerKey.national("CA"),
                    Op.REPLACE,
                    _numbers(CA_NPAS, range(110, 140)),
                    ca,
                    obtained=OBTAINED,
                )
            ],
            [
                Chunk(
                    LayerKey.state("US-TX"),
                    Op.REPLACE,
                    _numbers((512, 713), range(125, 150)),
                    obtained=OBTAINED,
                )
            ],
            [
                Chunk(
                    LayerKey.internal("acme"),
                    Op.REPLACE,
                    internal,
                    dates=np.full(len(internal), np.datetime64("2026-03-01"), "datetime64[D]"),
                )
            ],
        ]
    )
    path = tmp_path_factory.mktemp("spark") / "registry.dncg"
    registry.save(path)
    return path


def _calls(n: int) -> pa.Table:
    rng = np.random.default_rng(43)
    npa = rng.choice(np.array([*US_NPAS, *CA_NPAS, 800, 876]), n)
    line = rng.integers(90, 160, n)
    styles = ("{a}{b}{c}", "({a}) {b}-{c}", "+1 {a} {b} {c}", "1-{a}-{b}-{c}")
    to = [
        styles[k].format(a=a, b="555", c=f"{c:04d}")
        for a, c, k in zip(npa, line, rng.integers(0, 4, n), strict=True)
    ]
    start = dt.datetime(2026, 3, 14, tzinfo=UTC)
    at = [start + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 4 * 1440, n)]
    purchase = [
        dt.date(2025, 1, 1) + dt.timedelta(days=int(d)) if d < 450 else None for d in rng.integers(0, 1500, n)
    ]
    return pa.table(
        {
            "id": np.arange(n),
            "to": to,
            "at": pa.array(at, pa.timestamp("us", tz="UTC")),
            "purpose": rng.choice(np.array(["sale", "sale", "survey", "donation"]), n),
            "caller": rng.choice(np.array(["seller", "charity"]), n),
            "callee_region": pa.array([None if r < 0.8 else "US-FL" for r in rng.random(n)], pa.string()),
            "last_purchase": pa.array(purchase, pa.date32()),
        }
    )


@_marked
def test_scrub_dataframe_agrees_with_check(spark: Any, index: Path) -> None:
    from dncguard.spark import scrub_dataframe

    calls = _calls(3000)
    df = spark.createDataFrame(calls.to_pandas()).repartition(4)
    out = scrub_dataframe(df, index, defaults={"seller": "acme"})
    assert out.columns == [*calls.column_names, "allowed", "reason", "reasons", "next_allowed_at"]
    result = out.toArrow().sort_by("id")
    assert result.num_rows == calls.num_rows

    guard = Guard(Registry.open(index))
    rows = result.to_pylist()
    blocked = 0
    for row in rows:
        call = {k: row[k] for k in ("to", "at", "purpose", "caller", "callee_region") if row[k] is not None}
        if row["last_purchase"] is not None:
            call["relationships"] = [{"kind": "purchase", "on": row["last_purchase"]}]
        d = guard.check({**call, "seller": "acme", "at": row["at"].replace(tzinfo=UTC)})
        codes = [r.code.value for r in d.reasons]
        got_next = row["next_allowed_at"]
        if got_next is not None and got_next.tzinfo is None:
            got_next = got_next.replace(tzinfo=UTC)
        assert (row["allowed"], row["reason"], row["reasons"], got_next) == (
            d.allowed,
            codes[0] if codes else None,
            codes,
            d.next_allowed_at,
        ), row
        blocked += not d.allowed
    assert 0 < blocked < len(rows)  # the data exercises both outcomes


@_marked
def test_scrub_dataframe_refuses_a_bad_option_on_the_driver(spark: Any, index: Path) -> None:
    from dncguard.spark import scrub_dataframe

    df = spark.createDataFrame(_calls(5).to_pandas())
    with pytest.raises(ValueError, match="on_stale"):
        scrub_dataframe(df, index, on_stale="sometimes")
    with pytest.raises(TypeError, match="colour"):
        scrub_dataframe(df, index, defaults={"colour": "red"})
    with pytest.raises(FileNotFoundError, match="nowhere"):
        scrub_dataframe(df, index.parent / "nowhere.dncg")


def test_worker_guard_opens_an_index_once_per_process(index: Path) -> None:
    """Executors reuse one guard per file and options; a file replaced in place is reopened."""
    from dncguard.spark import worker_guard

    first = worker_guard(str(index))
    assert worker_guard(str(index)) is first
    assert worker_guard(str(index), on_stale="raise") is not first
    Registry.open(index).save(index)  # replaced atomically: a new file at the same path
    assert worker_guard(str(index)) is not first
