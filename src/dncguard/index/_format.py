"""The byte layout of a registry index file (``.dncg``): the only module that knows file offsets.

An index file is a fixed header, a section table, a JSON metadata block, then the sections (raw
little-endian arrays), each starting on a 64-byte boundary::

    offset 0   fixed header (40 bytes, struct ``<8sHHIIIQQ``):
                 magic        8s   b"DNCGIDX\\x1a"
                 version      u16  FORMAT_VERSION
                 flags        u16  0 (reserved)
                 header_crc   u32  zlib.crc32 of bytes [0, header_length) with this field as zero
                 sections     u32  number of entries in the section table
                 meta_length  u32  length of the JSON metadata in bytes
                 header_length u64 offset of the first section (a multiple of 64)
                 file_length  u64  size of the whole file in bytes
    offset 40  section table: ``sections`` x 24 bytes (struct ``<QQII``):
                 offset u64, length u64, crc32 u32, reserved u32 (0)
    then       metadata: UTF-8 JSON (sorted keys), zero-padded up to header_length
    then       sections in table order; section i covers [offset, offset + align64(length)),
               the crc32 covering the padding too, and the next section starts where it ends;
               the last one ends at file_length.

Every byte of the file is therefore covered by exactly one checksum (the header's or a
section's), and the file length is recorded: a flipped bit anywhere or a truncation at any length
is detected. :func:`read_header` checks the magic, version, lengths and header checksum (cheap,
constant time); :func:`verify_sections` checks the section checksums (one pass at memory speed).

>>> blob = pack_file({"layers": []}, [b"abc"])
>>> len(blob), blob[:8]
(192, b'DNCGIDX\\x1a')
>>> header = read_header(blob, len(blob))
>>> header.meta, [s.length for s in header.sections]
({'layers': []}, [3])
>>> verify_sections(blob, header)
>>> read_header(b"NOTANIDX" + blob[8:], len(blob))
Traceback (most recent call last):
    ...
dncguard.errors.CorruptIndexError: not a dncguard index (wrong magic b'NOTANIDX')
>>> read_header(blob[:100], 100)
Traceback (most recent call last):
    ...
dncguard.errors.CorruptIndexError: truncated or extended: the header records 192 bytes, the file has 100
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from dncguard.errors import CorruptIndexError

__all__ = [
    "ALIGN",
    "FIXED",
    "FORMAT_VERSION",
    "MAGIC",
    "READS",
    "SECTION",
    "Header",
    "Section",
    "align",
    "pack_file",
    "pack_header",
    "read_header",
    "section_crc",
    "verify_sections",
]

MAGIC: Final = b"DNCGIDX\x1a"
#: Version 2 (dncguard 0.1): the metadata carries the registry's content id (``"id"``) and the
#: sections are checked for structure at open. Version 3: the same, plus (when the metadata's
#: ``"history"`` says so) two history sections after the layers' (the registry's history: a JSON
#: list of changes, and their number sets). Version 4: the same, the history's number sets with skip
#: tables (a past version answers a lookup without decoding them) and each change's layer metadata
#: compressed. Version 2 files are read as having no history, version 3 files' history without skip
#: tables (the next save writes version 4); files of any other version are refused: rebuild.
FORMAT_VERSION: Final = 4
#: The versions this dncguard reads.
READS: Final = (2, 3, 4)
ALIGN: Final = 64
FIXED: Final = struct.Struct("<8sHHIIIQQ")
SECTION: Final = struct.Struct("<QQII")
_CRC_AT: Final = 12  # byte offset of header_crc inside FIXED


def align(n: int, to: int = ALIGN) -> int:
    """``n`` rounded up to a multiple of ``to``."""
    return -(-n // to) * to


@dataclass(frozen=True)
class Section:
    """One section: where it starts, its length (without padding) and its checksum."""

    offset: int
    length: int
    crc: int


@dataclass(frozen=True)
class Header:
    """A parsed, validated header: the JSON metadata and the section table."""

    version: int
    meta: dict[str, Any]
    sections: tuple[Section, ...]
    header_length: int
    file_length: int


def _crc(buf: Any, start: int, stop: int) -> int:
    view = memoryview(buf)[start:stop]
    try:
        return zlib.crc32(view)
    finally:
        view.release()


def pack_header(meta: dict[str, Any], lengths: Sequence[int], crcs: Sequence[int]) -> bytes:
    """The header bytes (up to the first section) for sections of ``lengths`` with ``crcs``.

    ``crcs[i]`` is the crc32 of section i including its zero padding up to 64 bytes.
    """
    meta_bytes = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()
    header_length = align(FIXED.size + SECTION.size * len(lengths) + len(meta_bytes))
    offset = header_length
    table = bytearray()
    for length, crc in zip(lengths, crcs, strict=True):
        table += SECTION.pack(offset, length, crc, 0)
        offset += align(length)
    head = bytearray(header_length)
    FIXED.pack_into(
        head, 0, MAGIC, FORMAT_VERSION, 0, 0, len(lengths), len(meta_bytes), header_length, offset
    )
    head[FIXED.size : FIXED.size + len(table)] = table
    start = FIXED.size + len(table)
    head[start : start + len(meta_bytes)] = meta_bytes
    struct.pack_into("<I", head, _CRC_AT, zlib.crc32(head))
    return bytes(head)


def section_crc(data: Any) -> int:
    """The crc32 of a section's bytes followed by its zero padding to a multiple of 64."""
    view = memoryview(data).cast("B")
    pad = align(view.nbytes) - view.nbytes
    return zlib.crc32(bytes(pad), zlib.crc32(view))


def pack_file(meta: dict[str, Any], sections: Sequence[bytes]) -> bytes:
    """A whole index file in memory (for tests and small registries)."""
    head = pack_header(meta, [len(s) for s in sections], [section_crc(s) for s in sections])
    return head + b"".join(s + bytes(align(len(s)) - len(s)) for s in sections)


def read_header(buf: Any, size: int) -> Header:
    """Parse and validate the header of the file whose bytes are ``buf`` (``size`` long).

    Checks the magic, the version, the recorded file length, the header checksum and that the
    sections tile the file exactly. Raises :class:`CorruptIndexError` (without a path; the caller
    adds it) on any mismatch.
    """
    if size < FIXED.size:
        raise CorruptIndexError(f"truncated: {size} bytes is shorter than the {FIXED.size}-byte header")
    magic, version, _flags, crc, count, meta_length, header_length, file_length = FIXED.unpack_from(buf, 0)
    if magic != MAGIC:
        raise CorruptIndexError(f"not a dncguard index (wrong magic {bytes(magic)!r})")
    if version not in READS:
        advice = (
            "it was written by a newer dncguard: upgrade dncguard (pip install -U dncguard) to read it"
            if version > FORMAT_VERSION
            else "rebuild the index with this version of dncguard (dncguard build, or Registry.build)"
        )
        raise CorruptIndexError(
            f"format version {version}, this dncguard reads versions {READS[0]}-{READS[-1]}: {advice}"
        )
    if file_length != size:
        raise CorruptIndexError(
            f"truncated or extended: the header records {file_length} bytes, the file has {size}"
        )
    if header_length % ALIGN or not FIXED.size <= header_length <= size:
        raise CorruptIndexError(f"bad header length {header_length}")
    if FIXED.size + SECTION.size * count + meta_length > header_length:
        raise CorruptIndexError("section table and metadata overrun the header")
    head = bytearray(memoryview(buf)[:header_length])
    struct.pack_into("<I", head, _CRC_AT, 0)
    if zlib.crc32(head) != crc:
        raise CorruptIndexError("header checksum mismatch: the file is damaged")
    sections = []
    expect = header_length
    for i in range(count):
        offset, length, scrc, _ = SECTION.unpack_from(head, FIXED.size + SECTION.size * i)
        if offset != expect:
            raise CorruptIndexError(f"section {i} starts at {offset}, expected {expect}")
        sections.append(Section(offset, length, scrc))
        expect = offset + align(length)
    if expect != file_length:
        raise CorruptIndexError(f"sections end at {expect}, the file at {file_length}")
    start = FIXED.size + SECTION.size * count
    try:
        meta = json.loads(bytes(head[start : start + meta_length]))
    except (ValueError, RecursionError) as e:  # RecursionError: a forged, deeply nested document
        raise CorruptIndexError(f"unreadable metadata: {e}") from None
    if not isinstance(meta, dict):
        raise CorruptIndexError("unreadable metadata: not a JSON object")
    return Header(version, meta, tuple(sections), header_length, file_length)


def verify_sections(buf: Any, header: Header) -> None:
    """Check every section's crc32 (padding included); :class:`CorruptIndexError` on a mismatch."""
    for i, s in enumerate(header.sections):
        if _crc(buf, s.offset, s.offset + align(s.length)) != s.crc:
            raise CorruptIndexError(f"checksum mismatch in section {i}: the file is damaged")
