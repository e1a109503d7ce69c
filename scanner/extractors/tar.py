"""Tar archives, plain or compressed (.tar.gz/.tgz, .tar.bz2, .tar.xz): members read as a stream.

The decompressor is ours (gzip/bz2/lzma file objects), wrapped in two meters: one on the raw
file tells how much compressed input each member consumed (its compression ratio), one on the
decompressed stream stops the whole archive at ``max_total_size``: in a compressed stream even a
skipped member has to be decompressed to reach the next header, so the stream itself is bounded.
tarfile reads it in stream mode ("r|"), one member after another, never seeking back.

Member names are UTF-8 (PAX) or, in old/GNU headers, bytes: decoded as UTF-8, else GB18030.
Links are SKIPPED Members, directories and special files are not members. Raises CorruptFile
on a broken stream (after yielding the members before the damage), TooLarge on the limits.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import BinaryIO

from scanner.errors import CorruptFile, TooLarge
from scanner.extractors.archive_limits import (
    DECOMPRESS_ERRORS,
    HARDLINK_REASON,
    MB,
    SYMLINK_REASON,
    Budget,
    Metered,
    clean_name,
    codec_of,
    decode_name,
    decompressing,
    human_size,
    peek_decompressed,
    skipped,
)
from scanner.options import ScanOptions
from scanner.records import Member, TextBlock
from scanner.sniff import Probe

FORMAT = "tar"

BLOCK = 512
MAX_META = MB  # a PAX or GNU long-name header larger than this is a bomb, not metadata
BZIP2_TAR_NAMES = (".tar.bz2", ".tbz2", ".tbz", ".tb2")
_META_TYPES = frozenset({tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                         tarfile.GNUTYPE_LONGLINK})
_STREAM_ERRORS = (tarfile.TarError, *DECOMPRESS_ERRORS, UnicodeError)


def sniff(probe: Probe) -> bool:
    """A tar header at the start, or at the start of what a gzip/bzip2/xz stream holds."""
    if is_tar_header(probe.head[:BLOCK]):
        return True
    codec = codec_of(probe.head)
    if codec is None:
        return False
    inner = peek_decompressed(probe.head, codec, BLOCK)
    if not inner and codec == "bzip2":  # bzip2 yields nothing before a whole block: the name decides
        return probe.name.lower().endswith(BZIP2_TAR_NAMES)
    return is_tar_header(inner)


def is_tar_header(block: bytes) -> bool:
    """True for a 512-byte tar header (ustar, GNU or v7) whose checksum is right."""
    if len(block) < BLOCK or block[0] == 0:
        return False
    field = block[148:156].replace(b"\x00", b" ").strip()
    if not field or not field.isdigit() or b"8" in field or b"9" in field:
        return False
    return int(field, 8) == sum(block[:148]) + 8 * 32 + sum(block[156:BLOCK])


class _GuardedTarInfo(tarfile.TarInfo):
    """Refuses oversized PAX/long-name headers, which tarfile would read whole into memory.

    ``_proc_member`` is tarfile's private dispatch (stable since Python 2); were it renamed, the
    override would only stop being called, and the stream meter still bounds the read.
    """

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _META_TYPES and self.size > MAX_META:
            raise TooLarge(f"tar metadata header of {self.size} bytes exceeds {human_size(MAX_META)}")
        return super()._proc_member(tarfile_)  # type: ignore[misc]


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock | Member]:
    """Yield one Member per regular member, in stream order. Raises CorruptFile, TooLarge."""
    data.seek(0)
    codec = codec_of(data.read(16))
    data.seek(0)
    raw = Metered(data)
    limit = options.max_total_size
    stream = Metered(decompressing(raw, codec) if codec else raw, limit,  # type: ignore[arg-type]
                     f"tar stream exceeds the {human_size(limit)} total uncompressed limit; "
                     "later members were not read")
    try:
        archive = tarfile.open(fileobj=stream, mode="r|", tarinfo=_GuardedTarInfo,  # type: ignore[arg-type]
                               encoding="utf-8", errors="surrogateescape")
    except _STREAM_ERRORS as exc:
        raise CorruptFile(f"not a readable tar archive: {exc}") from exc
    with archive:
        yield from _members(archive, raw, Budget(options))


def _members(archive: tarfile.TarFile, raw: Metered, budget: Budget) -> Iterator[Member]:
    entries = iter(archive)
    while True:
        try:
            entry = next(entries)
        except StopIteration:
            return
        except _STREAM_ERRORS as exc:
            raise CorruptFile(f"tar stream is damaged after {budget.members} members: {exc}") from exc
        if entry.isreg() or entry.issym() or entry.islnk():
            budget.admit()
            yield _member(archive, entry, raw, budget)


def _member(archive: tarfile.TarFile, entry: tarfile.TarInfo, raw: Metered, budget: Budget) -> Member:
    name, mtime, size = member_name(entry.name), float(entry.mtime) or None, entry.size
    if entry.issym():
        return skipped(name, mtime, SYMLINK_REASON)
    if entry.islnk():
        return skipped(name, mtime, HARDLINK_REASON)
    reason = budget.precheck(size, None)
    if reason:
        return skipped(name, mtime, reason, size)
    start = raw.count
    try:
        stream = archive.extractfile(entry)
        if stream is None:
            return skipped(name, mtime, "tar member has no readable data", size)
        # compressed input consumed by this member, plus one read of slack for what was buffered before it
        payload, reason = budget.read(stream, lambda: raw.count - start + raw.largest)  # type: ignore[arg-type]
    except _STREAM_ERRORS as exc:
        raise CorruptFile(f"tar member {name} is damaged: {exc}") from exc
    if reason:
        return skipped(name, mtime, reason, size)
    return Member(name, payload, mtime)


def member_name(stored: str) -> str:
    """The member's path: tarfile's surrogate-escaped bytes decoded as UTF-8, else GB18030."""
    raw = stored.encode("utf-8", errors="surrogateescape")
    return clean_name(decode_name(raw))
