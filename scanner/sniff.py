"""Probe: what the first bytes and the container say a file is.

Extractors decide from a Probe, never from the file name's extension.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import BinaryIO

HEAD_BYTES = 8192
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
MAX_ZIP_NAMES = 100_000


@dataclass(frozen=True, slots=True)
class Probe:
    head: bytes  # the first HEAD_BYTES bytes
    size: int
    name: str  # the file name, a hint only (csv vs txt), never the deciding fact
    zip_names: frozenset[str] = frozenset()
    ole_names: frozenset[str] = frozenset()  # "/"-joined stream paths of an OLE2 file

    @property
    def is_zip(self) -> bool:
        return self.head.startswith(ZIP_MAGICS)

    @property
    def is_ole(self) -> bool:
        return self.head.startswith(OLE_MAGIC)


def probe(data: BinaryIO, size: int, name: str) -> Probe:
    """Read the head and container directory of ``data``; leaves it at offset 0.

    Never raises for broken containers: a zip or OLE2 file whose directory
    cannot be read just has no member names, and the extractor reports it.
    """
    data.seek(0)
    head = data.read(HEAD_BYTES)
    zip_names: frozenset[str] = frozenset()
    ole_names: frozenset[str] = frozenset()
    if head.startswith(ZIP_MAGICS):
        zip_names = _zip_names(data)
    elif head.startswith(OLE_MAGIC):
        ole_names = _ole_names(data)
    data.seek(0)
    return Probe(head, size, name, zip_names, ole_names)


def _zip_names(data: BinaryIO) -> frozenset[str]:
    try:
        data.seek(0)
        with zipfile.ZipFile(data) as zf:
            infos = zf.infolist()
            return frozenset(i.filename for i in infos[:MAX_ZIP_NAMES])
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return frozenset()


def _ole_names(data: BinaryIO) -> frozenset[str]:
    import olefile

    try:
        data.seek(0)
        ole = olefile.OleFileIO(data)
        try:
            return frozenset("/".join(parts) for parts in ole.listdir(streams=True, storages=False))
        finally:
            ole.close()
    except (OSError, ValueError, EOFError, IndexError, TypeError):  # olefile raises these on garbage
        return frozenset()
