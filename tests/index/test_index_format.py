"""The index file layout: golden header bytes, and every way a header can be wrong."""

from __future__ import annotations

import struct
import zlib

import pytest

from dncguard.errors import CorruptIndexError
from dncguard.index import _format as fmt


def test_golden_header_bytes() -> None:
    meta = {"layers": [], "sections": ["x"]}
    section = b"\x01\x02\x03"
    blob = fmt.pack_file(meta, [section])

    meta_bytes = b'{"layers":[],"sections":["x"]}'
    header_length = 128  # 40 fixed + 24 table + 30 metadata, rounded up to 64
    section_crc = zlib.crc32(section + bytes(61))
    table = struct.pack("<QQII", 128, 3, section_crc, 0)

    def fixed(crc: int) -> bytes:
        return struct.pack("<8sHHIIIQQ", b"DNCGIDX\x1a", 4, 0, crc, 1, len(meta_bytes), header_length, 192)

    body = table + meta_bytes
    unsigned = fixed(0) + body + bytes(header_length - 40 - len(body))
    header = fixed(zlib.crc32(unsigned)) + body + bytes(header_length - 40 - len(body))
    assert blob == header + section + bytes(61)
    assert fmt.FORMAT_VERSION == 4
    assert fmt.READS == (2, 3, 4)


def test_read_header_round_trip() -> None:
    blob = fmt.pack_file({"k": [1, 2]}, [b"a" * 100, b"", b"b"])
    h = fmt.read_header(blob, len(blob))
    assert h.meta == {"k": [1, 2]}
    assert [s.length for s in h.sections] == [100, 0, 1]
    assert [s.offset % 64 for s in h.sections] == [0, 0, 0]
    fmt.verify_sections(blob, h)


def _with(blob: bytes, at: int, new: bytes) -> bytes:
    return blob[:at] + new + blob[at + len(new) :]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: _with(b, 0, b"PK\x03\x04"), "wrong magic"),
        (
            lambda b: _with(b, 8, struct.pack("<H", 1)),
            "format version 1, .* rebuild the index with this version",
        ),
        (
            lambda b: _with(b, 8, struct.pack("<H", 5)),
            "format version 5, .* written by a newer dncguard: upgrade dncguard",
        ),
        (lambda b: b + b"\0", "header records 192 bytes, the file has 193"),
        (lambda b: b[:150], "truncated"),
        (lambda b: b[:10], "shorter than the 40-byte header"),
        (lambda b: _with(b, 70, b"X"), "header checksum mismatch"),
    ],
)
def test_bad_headers_are_refused(mutate: object, message: str) -> None:
    blob = fmt.pack_file({"layers": []}, [b"abc"])
    bad = mutate(blob)  # type: ignore[operator]
    with pytest.raises(CorruptIndexError, match=message):
        fmt.read_header(bad, len(bad))


def test_a_flipped_section_byte_fails_verification() -> None:
    blob = fmt.pack_file({"layers": []}, [b"abc" * 30])
    h = fmt.read_header(blob, len(blob))
    for at in range(h.sections[0].offset, len(blob)):  # padding included
        bad = _with(blob, at, bytes([blob[at] ^ 0x10]))
        with pytest.raises(CorruptIndexError, match="checksum mismatch in section 0"):
            fmt.verify_sections(bad, fmt.read_header(bad, len(bad)))
