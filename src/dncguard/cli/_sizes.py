"""How many calls ``check`` and ``scrub`` read, decide and write at a time.

262,144 by default: small enough that memory stays bounded and flat (it does not grow with the
file, only with the batch: at a million rows a batch, ``check``'s peak grew some 17% from 10 to
100 million rows, as the C heap of two threads' batch-sized arrays fragmented and more batches
met at their peaks; at 262,144, 9%, and a third less memory; at 524,288, 10%), at a cost in
speed: bulk's work for each distinct combination of facts is per batch, and a 10-million-row
text report took some 20% longer than with batches of a million (11% at 524,288). The environment
variable ``DNCGUARD_BATCH_ROWS`` sets another size, e.g. to bound memory more tightly on a small
machine (at some cost in speed) or to see a small file go through many batches:

>>> import os
>>> os.environ["DNCGUARD_BATCH_ROWS"] = "1000"
>>> batch_rows(), read_rows(), record_rows(), format_rows(), format_rows("jsonl")
(1000, 500, 1000, 250, 62)
>>> os.environ["DNCGUARD_BATCH_ROWS"] = "a lot"
>>> batch_rows()
Traceback (most recent call last):
...
dncguard.errors.UsageError: DNCGUARD_BATCH_ROWS='a lot': expected a whole number of calls from 1 up
>>> del os.environ["DNCGUARD_BATCH_ROWS"]
>>> batch_rows()
262144

Every size follows from that one: the rows handed to ``bulk`` at a time (:func:`batch_rows`),
the rows of a Parquet file read at a time (:func:`read_rows`: half of it, so that two reads make
a batch; a CSV file is parsed in blocks of bytes, :func:`csv_block`, cut to at most a batch),
the records of a JSON
file validated at a time (:func:`record_rows`), the report lines built at a time
(:func:`format_rows`), and the bytes of a CSV file ``check`` holds between reading and reporting
them (:func:`flight_bytes`).
"""

from __future__ import annotations

import os
from typing import Final

from dncguard.errors import UsageError

BATCH_ROWS_VARIABLE: Final = "DNCGUARD_BATCH_ROWS"

_DEFAULT_ROWS: Final = 1 << 18


def batch_rows() -> int:
    """Calls decided at a time (``DNCGUARD_BATCH_ROWS``, default 262,144)."""
    text = os.environ.get(BATCH_ROWS_VARIABLE, "").strip()
    if not text:
        return _DEFAULT_ROWS
    try:
        rows = int(text)
    except ValueError:
        rows = 0
    if rows < 1:
        raise UsageError(f"{BATCH_ROWS_VARIABLE}={text!r}: expected a whole number of calls from 1 up")
    return rows


def read_rows() -> int:
    """Rows of a CSV / Parquet file read (and typed) at a time: half a batch."""
    return max(batch_rows() // 2, 1)


def csv_block() -> int:
    """Bytes of CSV parsed at a time: about 32 bytes a row of a batch, from 1 MiB (a row never
    straddles more than one block boundary) to 4 MiB (by default: some 90,000 rows, joined into
    batches).

    Arrow's CSV reader reads up to 32 blocks ahead of the parsing in a thread of its own (a
    queue of its own, which no option sets). With blocks of 32 MiB, the whole of a
    10-million-row file (470 MB) was held at once, and 1 GiB of one of 100 million rows:
    ``check`` then took 1.1 GiB more for the larger file. Blocks of 4 MiB held at most 128 MiB,
    whatever the file's size, and more or less of it at each moment: ``check`` reads the blocks
    only as a budget of bytes admits them (:func:`flight_bytes`).
    """
    return min(max(batch_rows() * 32, 1 << 20), CSV_BLOCK_MAX)


CSV_BLOCK_MAX: Final = 1 << 22
"""The largest CSV block (:func:`csv_block`): 32 of them are the most Arrow's reader reads ahead."""


_FLIGHT_BLOCKS: Final = 16
"""Blocks of a CSV file ``check`` holds at most between reading them and reporting their rows."""


def flight_bytes() -> int:
    """Bytes of a CSV call file ``check`` holds at most between reading them and reporting their
    rows (:class:`._budget._Budget`): 16 blocks, 64 MiB by default. Bulk decides about two blocks
    a table on each of two threads, with a table waiting for each; the report holds one, and
    the reading a few more, typed or parsed; what is left is read ahead."""
    return _FLIGHT_BLOCKS * csv_block()


def record_rows() -> int:
    """Records of a JSON call file validated and decided at a time (at most 32,768: each is a
    few Python objects until it is decided)."""
    return min(batch_rows(), 1 << 15)


def format_rows(fmt: str = "text") -> int:
    """Rows of the ``check`` report built (and written) at a time: bounds the report's text in
    memory (at 262,144 rows the report's slices took some 450 MB more at the peak, for no gain
    in speed).

    At most 65,536 rows, where most rows write no line (text and JUnit list the blocked calls)
    or a short one (``--all``); at most 16,384 for JSON and JSON Lines, which write some 500
    bytes for every call (some 8 MB a slice). Their slices of 65,536 rows (some 30 MB of text,
    and as much again taken to build it) cost more than their formatting in the kernel: a
    fresh buffer's pages faulted in, then copied out to the file from memory long out of the
    cache. With a 1-million-row file, 1.4-1.5 CPU seconds went to formatting and writing the
    JSON Lines, 0.9 of them in the kernel, against 0.7-0.8 (0.15) with slices of 16,384 or
    32,768 rows."""
    if fmt in ("json", "jsonl"):
        return max(min(batch_rows() // 16, 1 << 14), 1)
    return max(min(batch_rows() // 4, 1 << 16), 1)
