"""Writing OLE2 compound files and Outlook .msg streams for tests (and the labelled corpus).

A version-3 compound file writer ([MS-CFB]) and the MAPI property layout of [MS-OXMSG]; the
files it makes are read back by olefile in tests/scanner/test_msg.py (and were checked once
against extract-msg). No library writes .msg files, so the tests build them here.
"""

from __future__ import annotations

import struct

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def cfb(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` ("storage/stream" paths; storages implied)."""
    entries = [("Root Entry", 5, b"", "")]  # (name, type, data, path)
    for path in sorted(streams):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            storage = "/".join(parts[:depth])
            if not any(e[3] == storage for e in entries):
                entries.append((parts[depth - 1], 1, b"", storage))
        entries.append((parts[-1], 2, streams[path], path))
    index = {e[3]: i for i, e in enumerate(entries)}
    mini, mini_fat, starts = bytearray(), [], {}
    big = [(i, e[2]) for i, e in enumerate(entries) if e[1] == 2 and len(e[2]) >= CUTOFF]
    for i, e in enumerate(entries):
        if e[1] == 2 and 0 < len(e[2]) < CUTOFF:
            first, count = len(mini) // MINI, -(-len(e[2]) // MINI)
            starts[i] = first
            mini_fat += [first + k + 1 for k in range(count - 1)] + [END]
            mini += e[2].ljust(count * MINI, b"\0")
    sectors: list[bytes] = []
    fat: list[int] = []

    def chain(blob: bytes, marker: int | None = None) -> int:
        count = -(-len(blob) // SECTOR)
        if not count:
            return END
        first = len(sectors)
        for k in range(count):
            sectors.append(blob[k * SECTOR:(k + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(marker if marker is not None else (first + k + 1 if k < count - 1 else END))
        return first

    for i, data in big:
        starts[i] = chain(data)
    mini_start = chain(bytes(mini))
    minifat_start = chain(b"".join(struct.pack("<I", x) for x in mini_fat))
    minifat_count = -(-len(mini_fat) * 4 // SECTOR)
    children: dict[str, list[int]] = {}
    for i, e in enumerate(entries[1:], start=1):
        children.setdefault(e[3].rpartition("/")[0], []).append(i)
    links = {i: [NOSTREAM, NOSTREAM, NOSTREAM] for i in range(len(entries))}

    def tree(ids: list[int]) -> int:
        if not ids:
            return NOSTREAM
        ids = sorted(ids, key=lambda i: (len(entries[i][0]), entries[i][0].upper()))
        mid = len(ids) // 2
        links[ids[mid]][0], links[ids[mid]][1] = tree(ids[:mid]), tree(ids[mid + 1:])
        return ids[mid]

    for parent, ids in children.items():
        links[index[parent] if parent else 0][2] = tree(ids)
    directory = bytearray()
    for i, (name, kind, data, _path) in enumerate(entries):
        encoded = name.encode("utf-16-le") + b"\0\0"
        start = mini_start if kind == 5 else starts.get(i, END if kind == 2 else 0)
        size = len(mini) if kind == 5 else len(data)
        directory += struct.pack("<64sHBB3I16sI16sIQ", encoded, len(encoded), kind, 1, *links[i],
                                 b"\0" * 16, 0, b"\0" * 16, start, size)
    dir_start = chain(bytes(directory))
    n_fat = 1
    while n_fat * (SECTOR // 4) < len(sectors) + n_fat:
        n_fat += 1
    fat_first = len(sectors)
    fat += [FATSECT] * n_fat
    fat += [FREE] * (n_fat * (SECTOR // 4) - len(fat))
    table = b"".join(struct.pack("<I", x) for x in fat)
    sectors += [table[k * SECTOR:(k + 1) * SECTOR] for k in range(n_fat)]
    difat = [fat_first + k for k in range(n_fat)] + [FREE] * (109 - n_fat)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3,
                         0xFFFE, 9, 6, b"\0" * 6, 0, n_fat, dir_start, 0, CUTOFF,
                         minifat_start if mini_fat else END, minifat_count, END, 0)
    header += b"".join(struct.pack("<I", x) for x in difat)
    return header + b"".join(sectors)


# --- Outlook messages --------------------------------------------------------------------

PT_UNICODE, PT_STRING8, PT_BINARY, PT_LONG, PT_SYSTIME, PT_OBJECT = 0x1F, 0x1E, 0x102, 0x3, 0x40, 0xD


def properties(header: bytes, fixed: dict[int, bytes], variable: dict[int, int]) -> bytes:
    """A __properties_version1.0 stream: fixed values inline, variable ones by size."""
    out = bytearray(header)
    for tag, value in sorted(fixed.items()):
        out += struct.pack("<II", tag, 6) + value.ljust(8, b"\0")
    for tag, size in sorted(variable.items()):
        out += struct.pack("<IIII", tag, 6, size, 0)
    return bytes(out)


def message_streams(prefix: str, kind: str, strings: dict[int, str], *, unicode: bool = True,
                    codepage: int | None = None, binaries: dict[int, bytes] | None = None,
                    fixed: dict[int, bytes] | None = None,
                    attachments: list[dict] | None = None) -> dict[str, bytes]:
    """The streams of one message storage (kind "message" at the root, "embedded" inside an attachment).

    ``attachments``: dicts with "name" and "data" (bytes) or "message" (kwargs of a nested message).
    """
    streams: dict[str, bytes] = {}
    fixed = dict(fixed or {})
    variable: dict[int, int] = {}
    if codepage is not None:
        fixed[0x3FFD0003] = struct.pack("<i", codepage)
    for prop, text in strings.items():
        if unicode:
            tag, blob = prop << 16 | PT_UNICODE, text.encode("utf-16-le")
        else:
            tag, blob = prop << 16 | PT_STRING8, text.encode(f"cp{codepage or 1252}")
        streams[f"{prefix}__substg1.0_{tag:08X}"] = blob
        variable[tag] = len(blob) + (2 if unicode else 1)
    for prop, blob in (binaries or {}).items():
        tag = prop << 16 | PT_BINARY
        streams[f"{prefix}__substg1.0_{tag:08X}"] = blob
        variable[tag] = len(blob)
    atts = attachments or []
    for n, att in enumerate(atts):
        streams.update(_attachment(f"{prefix}__attach_version1.0_#{n:08X}/", att))
    counts = struct.pack("<8xIIII", 0, len(atts), 0, len(atts))
    header = counts + (b"\0" * 8 if kind == "message" else b"")
    streams[f"{prefix}__properties_version1.0"] = properties(header, fixed, variable)
    if kind == "message":
        for n in (2, 3, 4):
            streams[f"__nameid_version1.0/__substg1.0_000{n}0102"] = b""
    return streams


def _attachment(prefix: str, att: dict) -> dict[str, bytes]:
    name = att["name"]
    strings = {0x3707: name, 0x3704: name[:12], 0x3001: name}
    tags = {0x3707001F: len(name) * 2 + 2}
    streams = {f"{prefix}__substg1.0_{p:04X}001F": v.encode("utf-16-le") for p, v in strings.items()}
    if "message" in att:
        method = 5
        streams.update(message_streams(f"{prefix}__substg1.0_3701000D/", "embedded", **att["message"]))
    elif "object" in att:  # an embedded OLE object (attach method 6)
        method = 6
        streams[f"{prefix}__substg1.0_3701000D/CONTENTS"] = att["object"]
    else:
        method = att.get("method", 1)
        if att.get("data") is not None:
            streams[f"{prefix}__substg1.0_37010102"] = att["data"]
            tags[0x37010102] = len(att["data"])
    streams[f"{prefix}__properties_version1.0"] = properties(
        b"\0" * 8, {0x37050003: struct.pack("<i", method)}, tags)
    return streams
