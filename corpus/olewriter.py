"""OLE2 compound files for the labelled corpus: Outlook .msg messages, and the WPS signature patch.

``cfb`` and ``message_streams`` are copied from tests/scanner/test_msg.py (a version-3 compound
file writer, [MS-CFB], and the MAPI property layout of [MS-OXMSG]; checked there against
extract-msg). ``msg_bytes`` makes a message with a subject, sender, recipients, a fixed date,
a body and attachments; ``set_app_name`` (from tests/data/legacy/xls_ppt/make_fixtures.py)
writes PIDSI_APPNAME into a LibreOffice-made file's SummaryInformation, as WPS Office does.
Deterministic: no timestamps are written into the directory entries.
"""

from __future__ import annotations

import struct
from pathlib import Path

import olefile

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


JAN_1_2024 = struct.pack("<Q", 133485408000000000)  # FILETIME of 2024-01-01 00:00 UTC


def msg_bytes(subject: str, sender: tuple[str, str], to: str, body: str,
              attachments: list[tuple[str, bytes]] = (), codepage: int | None = None) -> bytes:
    """An Outlook message; ``codepage`` (936 = GBK) writes 8-bit strings instead of UTF-16."""
    strings = {0x0037: subject, 0x0C1A: sender[0], 0x5D01: sender[1], 0x0E04: to, 0x001A: "IPM.Note",
               0x1000: body}
    atts = [{"name": name, "data": data} for name, data in attachments]
    return cfb(message_streams("", "message", strings, unicode=codepage is None, codepage=codepage,
                               fixed={0x00390040: JAN_1_2024}, attachments=atts))


PIDSI_APPNAME = 0x12


def set_app_name(path: Path, app: str) -> None:
    """Give the SummaryInformation property set an application name (PIDSI_APPNAME = ``app``).

    The first section is rebuilt with the code page, title and author kept and PIDSI_APPNAME
    added, NUL-padded to the stream's old length (olefile replaces a stream of the same size only).
    """
    ole = olefile.OleFileIO(str(path), write_mode=True)
    try:
        old = ole.openstream("\x05SummaryInformation").read()
        props = [(pid, blob) for pid, blob in _section_props(old) if pid in (1, 2, 4)]
        name = app.encode("ascii") + b"\x00"
        name += b"\x00" * (-len(name) % 4)
        props.append((PIDSI_APPNAME, struct.pack("<II", 0x1E, len(name)) + name))
        new = _property_set(old[:44], props)
        if len(new) > len(old):
            raise SystemExit(f"{path}: the rebuilt SummaryInformation does not fit")
        ole.write_stream("\x05SummaryInformation", new.ljust(len(old), b"\x00"))
    finally:
        ole.close()


def _section_props(stream: bytes) -> list[tuple[int, bytes]]:
    """(property id, raw typed value) of the first section, values cut at the next offset."""
    start = struct.unpack_from("<I", stream, 44)[0]
    size, count = struct.unpack_from("<II", stream, start)
    entries = sorted(struct.unpack_from("<II", stream, start + 8 + 8 * i)[::-1] for i in range(count))
    ends = [offset for offset, _ in entries[1:]] + [size]
    return [(pid, stream[start + off:start + end]) for (off, pid), end in zip(entries, ends, strict=True)]


def _property_set(header: bytes, props: list[tuple[int, bytes]]) -> bytes:
    """A one-section property-set stream: ``header`` (byte order .. FMTID) + offset 48 + the section."""
    table, values = b"", b""
    base = 8 + 8 * len(props)
    for pid, blob in props:
        table += struct.pack("<II", pid, base + len(values))
        values += blob
    section = struct.pack("<II", base + len(values), len(props)) + table + values
    return header[:24] + struct.pack("<I", 1) + header[28:44] + struct.pack("<I", 48) + section
