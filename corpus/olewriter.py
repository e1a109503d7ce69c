"""OLE2 compound files for the labelled corpus: Outlook .msg messages, and the WPS signature patch.

``cfb`` and ``message_streams`` come from tests/scanner/ole_builders.py (a version-3 compound
file writer, [MS-CFB], and the MAPI property layout of [MS-OXMSG]; checked there against
extract-msg). ``msg_bytes`` makes a message with a subject, sender, recipients, a fixed date,
a body and attachments; ``set_app_name`` (from tests/data/legacy/xls_ppt/make_fixtures.py)
writes PIDSI_APPNAME into a LibreOffice-made file's SummaryInformation, as WPS Office does.
Deterministic: no timestamps are written into the directory entries.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import olefile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the writer lives with the tests
from tests.scanner.ole_builders import cfb, message_streams  # noqa: E402

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
