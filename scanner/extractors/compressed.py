"""Single compressed files (.gz, .bz2, .xz that are not tars): the one file inside, as a Member.

FORMAT is "compressed" for all three compressors: the record is the wrapper, and the file
inside gets its own record and format (``report.txt.gz!/report.txt``). Its name is the one
the gzip header stores (FNAME), else "content" (bzip2 and xz store no name); the gzip
comment (FCOMMENT) is ``part="comment"`` text. A tar inside is found by the tar extractor,
which comes first; one it could not recognise from the first bytes (a large .bz2 without a
tar name) is still scanned, as the member "content", which the scanner recurses into.

Decompression is streamed and bounded: more than ``max_member_size`` (or the total limit), or a
ratio over ``max_ratio`` to the compressed file size once past 1 MB, makes the member SKIPPED.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from scanner.errors import CorruptFile
from scanner.extractors.archive_limits import (
    DECOMPRESS_ERRORS,
    Budget,
    codec_of,
    comment_blocks,
    decode_name,
    decompressing,
    skipped,
)
from scanner.options import ScanOptions
from scanner.records import Member, TextBlock
from scanner.sniff import Probe

FORMAT = "compressed"

DEFAULT_NAME = "content"
GZIP_HEADER_BYTES = 65_536 + 1024  # FEXTRA is at most 64 KB; the names follow it
_FEXTRA, _FNAME, _FCOMMENT = 0x04, 0x08, 0x10


def sniff(probe: Probe) -> bool:
    return codec_of(probe.head) is not None


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock | Member]:
    """Yield the gzip comment and the one Member. Raises CorruptFile on a damaged stream."""
    data.seek(0)
    head = data.read(GZIP_HEADER_BYTES)
    codec = codec_of(head)
    if codec is None:
        raise CorruptFile("not a gzip, bzip2 or xz stream")
    name, mtime, comment = gzip_header(head) if codec == "gzip" else (None, None, None)
    yield from comment_blocks(comment)
    size = data.seek(0, 2)
    data.seek(0)
    budget = Budget(options)
    budget.admit()
    try:
        payload, reason = budget.read(decompressing(data, codec), lambda: size)
    except DECOMPRESS_ERRORS as exc:
        raise CorruptFile(f"{codec} stream is damaged: {exc}") from exc
    member = name or DEFAULT_NAME
    yield skipped(member, mtime, reason) if reason else Member(member, payload, mtime)


def gzip_header(head: bytes) -> tuple[str | None, float | None, str | None]:
    """(file name without folders, mtime, comment) from a gzip member header; None where absent."""
    flags = head[3] if len(head) > 3 else 0
    stamp = int.from_bytes(head[4:8], "little")
    pos = 10
    if flags & _FEXTRA:
        pos += 2 + int.from_bytes(head[pos:pos + 2], "little")
    name = comment = None
    if flags & _FNAME:
        raw, pos = _zero_terminated(head, pos)
        name = decode_name(raw, fallback="latin-1").replace("\\", "/").rsplit("/", 1)[-1] or None
    if flags & _FCOMMENT:
        raw, pos = _zero_terminated(head, pos)
        comment = decode_name(raw, fallback="latin-1")
    return name, float(stamp) if stamp else None, comment


def _zero_terminated(buf: bytes, pos: int) -> tuple[bytes, int]:
    end = buf.find(b"\x00", pos)
    if end < 0:
        return b"", len(buf)
    return buf[pos:end], end + 1
