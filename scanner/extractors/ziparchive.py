"""Zip archives: each regular member as a file of its own, read one at a time under the bomb limits.

Office packages are zips too: a zip holding ``[Content_Types].xml`` (OOXML), ``OFD.xml`` (OFD)
or ``mimetype`` (ODF, EPUB) belongs to its own extractor and is not claimed here.

Member names: with the UTF-8 flag (bit 11) set they are UTF-8; without it, the Info-ZIP
Unicode Path field when present, else the raw bytes as UTF-8 when valid (macOS and Linux
tools), else GB18030 when valid (Chinese Windows writes GBK/CP936), else CP437.
Yields the archive comment (``part="comment"``), then, in directory order, each member's
comment and its Member: encrypted ones (flag bit 0) as ENCRYPTED, symbolic links as SKIPPED,
members over a limit as SKIPPED naming it, undecompressable ones as ERROR. Directories are
not members. Raises CorruptFile when the central directory cannot be read, TooLarge after
``max_members`` members.
"""

from __future__ import annotations

import lzma
import stat
import time
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from scanner.errors import CorruptFile
from scanner.extractors.archive_limits import (
    SYMLINK_REASON,
    Budget,
    clean_name,
    comment_blocks,
    decode_name,
    encrypted,
    failed,
    skipped,
)
from scanner.options import ScanOptions
from scanner.records import Member, TextBlock
from scanner.sniff import Probe

FORMAT = "zip"

PACKAGE_MARKERS = ("[Content_Types].xml", "OFD.xml", "mimetype")
EMPTY_ZIP = b"PK\x05\x06"  # an archive with no members starts with its end record
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_UNIX = 3
_UNICODE_PATH = 0x7075  # Info-ZIP Unicode Path extra field
_EXT_TIME = 0x5455  # extended timestamp: UTC modification time
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError,
                ValueError)


def sniff(probe: Probe) -> bool:
    """A zip whose directory is readable and which is not an Office/OFD/ODF package."""
    if not probe.is_zip or not (probe.zip_names or probe.head.startswith(EMPTY_ZIP)):
        return False  # a damaged directory: the scanner reports the damaged container
    return not any(marker in probe.zip_names for marker in PACKAGE_MARKERS)


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock | Member]:
    """Yield the comments and one Member per regular member. Raises CorruptFile, TooLarge."""
    data.seek(0)
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise CorruptFile(f"not a readable zip archive: {exc}") from exc
    with archive:
        yield from comment_blocks(decode_name(archive.comment))
        budget = Budget(options)
        for info in archive.infolist():
            if info.is_dir():
                continue
            budget.admit()
            name = member_name(info)
            if info.comment:
                yield from comment_blocks(decode_name(info.comment), name)
            yield _member(archive, info, name, budget)


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: Budget) -> Member:
    mtime, size = member_mtime(info), info.file_size
    if info.create_system == _UNIX and stat.S_ISLNK(info.external_attr >> 16):
        return skipped(name, mtime, SYMLINK_REASON, size)
    if info.flag_bits & _ENCRYPTED_FLAG:
        return encrypted(name, mtime, size)
    reason = budget.precheck(size, info.compress_size)
    if reason:
        return skipped(name, mtime, reason, size)
    try:
        with archive.open(info) as stream:
            payload, reason = budget.read(stream, lambda: info.compress_size)  # type: ignore[arg-type]
    except _READ_ERRORS as exc:
        return failed(name, mtime, f"member cannot be decompressed: {exc}", size)
    if reason:
        return skipped(name, mtime, reason, size)
    return Member(name, payload, mtime)


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's path, decoded as its writer meant it (see the module docstring)."""
    if info.flag_bits & _UTF8_FLAG:
        return clean_name(info.filename)
    raw = info.orig_filename.encode("cp437")  # zipfile decoded the raw bytes as CP437: undo it
    unicode_path = _extra_field(info.extra, _UNICODE_PATH)
    if len(unicode_path) > 5 and unicode_path[0] == 1 and \
            int.from_bytes(unicode_path[1:5], "little") == zlib.crc32(raw):
        try:
            return clean_name(unicode_path[5:].decode("utf-8"))
        except UnicodeDecodeError:
            pass
    return clean_name(decode_name(raw))


def member_mtime(info: zipfile.ZipInfo) -> float | None:
    """POSIX mtime: the extended timestamp (UTC) if present, else the DOS time read as local time."""
    ext = _extra_field(info.extra, _EXT_TIME)
    if len(ext) >= 5 and ext[0] & 1:
        return float(int.from_bytes(ext[1:5], "little", signed=True))
    year, month, day, hour, minute, second = info.date_time
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    try:
        return time.mktime((year, month, day, hour, minute, second, 0, 0, -1))
    except (OverflowError, ValueError):
        return None


def _extra_field(extra: bytes, wanted: int) -> bytes:
    """The data of extra field ``wanted`` in a zip extra block, or b"" when absent."""
    pos = 0
    while pos + 4 <= len(extra):
        kind = int.from_bytes(extra[pos:pos + 2], "little")
        size = int.from_bytes(extra[pos + 2:pos + 4], "little")
        if kind == wanted:
            return extra[pos + 4:pos + 4 + size]
        pos += 4 + size
    return b""
