"""OLE2 document property sets ([MS-OLEPS]): SummaryInformation and DocumentSummaryInformation.

Not an extractor itself (it has no FORMAT). ``properties`` reads both streams of an olefile compound
file into ``part: properties`` blocks named like the OOXML extractors' (title, subject, creator,
keywords, description, lastModifiedBy, category, Manager, Company, and the user-defined names);
``property_sets`` parses one property set stream. A broken property set hides nothing of a
document's text, so it ends the reading of its stream quietly.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import olefile

from scanner.records import Location, TextBlock

SUMMARY = {2: "title", 3: "subject", 4: "creator", 5: "keywords", 6: "description", 8: "lastModifiedBy"}
DOC_SUMMARY = {2: "category", 14: "Manager", 15: "Company"}
USER_FMTID = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")  # the user-defined properties' section
STREAMS = (("\x05SummaryInformation", SUMMARY), ("\x05DocumentSummaryInformation", DOC_SUMMARY))


def properties(ole: olefile.OleFileIO) -> tuple[list[TextBlock], list[int]]:
    """Document properties as blocks, and the codepage of each property set section read, in order."""
    blocks: list[TextBlock] = []
    codepages: list[int] = []
    for stream, names in STREAMS:
        if not ole.exists(stream):
            continue
        try:
            blob = ole.openstream(stream).read()
            for fmtid, values, cp in property_sets(blob):
                codepages.append(cp)
                table = values.pop(0, {}) if fmtid == USER_FMTID else names
                for pid, value in values.items():
                    if pid in table and isinstance(value, str) and value.strip():
                        blocks.append(TextBlock(value.strip(), Location("properties", name=table[pid])))
        except (struct.error, IndexError, ValueError, OSError):
            continue  # broken property sets hide nothing of the text; the body is still read
    return blocks, codepages


def property_sets(blob: bytes) -> Iterator[tuple[bytes, dict, int]]:
    """(FMTID, {property id: value}, codepage) of each section of a property set stream ([MS-OLEPS])."""
    for i in range(struct.unpack_from("<I", blob, 24)[0]):
        fmtid = blob[28 + 20 * i:44 + 20 * i]
        base = struct.unpack_from("<I", blob, 44 + 20 * i)[0]
        count = struct.unpack_from("<I", blob, base + 4)[0]
        pairs = struct.unpack_from(f"<{2 * count}I", blob, base + 8)
        offsets = dict(zip(pairs[::2], pairs[1::2], strict=True))
        cp = struct.unpack_from("<H", blob, base + offsets[1] + 4)[0] if 1 in offsets else 1252
        values: dict[int, object] = {}
        for pid, off in offsets.items():
            values[pid] = _dictionary(blob, base + off, cp) if pid == 0 else _value(blob, base + off, cp)
        yield fmtid, values, cp


def _value(blob: bytes, at: int, cp: int) -> object:
    kind, size = struct.unpack_from("<HxxI", blob, at)
    if kind == 30:  # VT_LPSTR in the section's codepage
        return _decode(blob[at + 8:at + 8 + size], cp)
    if kind == 31:  # VT_LPWSTR
        return blob[at + 8:at + 8 + 2 * size].decode("utf-16-le", "replace").split("\x00", 1)[0]
    if kind == 3:  # VT_I4
        return str(struct.unpack_from("<i", blob, at + 4)[0])
    return None


def _dictionary(blob: bytes, at: int, cp: int) -> dict[int, str]:
    names: dict[int, str] = {}
    pos = at + 4
    for _ in range(struct.unpack_from("<I", blob, at)[0]):
        pid, size = struct.unpack_from("<II", blob, pos)
        if cp == 1200:
            names[pid] = _decode(blob[pos + 8:pos + 8 + 2 * size], cp)
            pos += 8 + 2 * size + (-2 * size % 4)
        else:
            names[pid] = _decode(blob[pos + 8:pos + 8 + size], cp)
            pos += 8 + size
    return names


def _decode(raw: bytes, cp: int) -> str:
    codec = {1200: "utf-16-le", 65001: "utf-8", 936: "gb18030", 10008: "gb18030"}.get(cp, f"cp{cp}")
    try:
        return raw.decode(codec, "replace").split("\x00", 1)[0]
    except LookupError:
        return raw.decode("cp1252", "replace").split("\x00", 1)[0]
