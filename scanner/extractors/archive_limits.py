"""What every archive extractor shares: bomb limits, bounded reading, decompression, member names.

Not an extractor itself (it has no FORMAT); ziparchive, sevenz, rar, tar and compressed use it.

Limits come from ScanOptions and are checked twice: before decompressing, against the sizes a
header declares (``Budget.precheck``), and while decompressing, by counting the bytes that
actually come out (``Budget.read``, ``Metered``), so a header that lies cannot pass them.
A member over a limit becomes a SKIPPED Member whose reason names the limit; once
``max_members`` members were yielded the next one raises TooLarge, so the container's own
record says why the rest was not scanned.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from scanner.errors import TooLarge
from scanner.options import ScanOptions
from scanner.records import Location, Member, Status, TextBlock

MB = 1024 * 1024
CHUNK = 1 << 20
RATIO_FLOOR = MB  # members up to this size are never judged by their compression ratio
ENCRYPTED_REASON = "password-protected member"
SYMLINK_REASON = "symbolic link in archive, not followed"
HARDLINK_REASON = "hard link in archive, not followed"
# Errors the standard decompressors raise on damaged data (gzip.BadGzipFile is an OSError).
DECOMPRESS_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)
_BZ2_BLOCK = (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")  # first block, or end of stream


def human_size(n: int) -> str:
    """``n`` bytes as people write a limit: "200 MB", "64 KB", "1000 bytes"."""
    if n >= MB and n % MB == 0:
        return f"{n // MB} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"


def decode_name(raw: bytes, fallback: str = "cp437") -> str:
    """A name stored as bytes of unknown encoding: UTF-8 if valid, else GB18030 if valid, else ``fallback``.

    UTF-8 comes first because macOS and Linux tools write UTF-8 names without saying so;
    GB18030 (a superset of GBK/CP936) is what Chinese Windows writes; CP437 is the zip default.
    """
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode(fallback, errors="replace")


def clean_name(name: str) -> str:
    """A member path "/"-separated and relative: backslashes, leading "./" and "/" removed."""
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/")


def comment_blocks(text: str | None, name: str | None = None) -> Iterator[TextBlock]:
    """An archive (or member) comment as ``part="comment"`` blocks, one per non-empty line."""
    for number, line in enumerate((text or "").splitlines(), start=1):
        if line.strip():
            yield TextBlock(line.strip(), Location(part="comment", line=number, name=name))


def skipped(name: str, mtime: float | None, reason: str, size: int | None = None) -> Member:
    """A member not extracted because of a limit or its kind; ``size`` is its declared size."""
    return Member(name, None, mtime, Status.SKIPPED, reason, size)


def encrypted(name: str, mtime: float | None, size: int | None = None) -> Member:
    return Member(name, None, mtime, Status.ENCRYPTED, ENCRYPTED_REASON, size)


def failed(name: str, mtime: float | None, reason: str, size: int | None = None) -> Member:
    return Member(name, None, mtime, Status.ERROR, " ".join(reason.split())[:300], size)


@dataclass(slots=True)
class Budget:
    """The limit state of one container: members yielded and uncompressed bytes spent so far."""

    options: ScanOptions
    members: int = 0
    total: int = 0
    exhausted: bool = False  # the total limit was reached: every later member is skipped

    def admit(self) -> None:
        """Count one more member. Raises TooLarge when it would be one past max_members."""
        limit = self.options.max_members
        if self.members >= limit:
            raise TooLarge(f"archive has more than {limit} members; the first {limit} were scanned")
        self.members += 1

    def precheck(self, size: int | None, compressed: int | None, cost: int | None = None) -> str | None:
        """Why a member whose header declares these sizes must not be decompressed, or None.

        ``cost`` is what must be decompressed to reach it (its size, unless a solid block
        holds skipped members before it). Does not charge the budget.
        """
        if self.exhausted:
            return self.total_reason()
        if size is None:
            return None
        if size > self.options.max_member_size:
            return self.member_reason()
        ratio = self.ratio_reason(size, compressed)
        if ratio:
            return ratio
        if self.total + (size if cost is None else cost) > self.options.max_total_size:
            self.exhausted = True
            return self.total_reason()
        return None

    def charge(self, size: int) -> None:
        self.total += size

    def read(self, stream: BinaryIO, compressed: Callable[[], int | None]) -> tuple[bytes | None, str | None]:
        """Read one member from ``stream`` under the limits, counting what comes out.

        Returns (data, None), or (None, reason) when a limit was passed while reading; then
        the rest of the member is left unread. ``compressed`` tells the compressed bytes
        consumed so far (or declared) for the ratio check. Decompressor errors propagate.
        """
        cap = max(0, min(self.options.max_member_size, self.options.max_total_size - self.total))
        chunks: list[bytes] = []
        got = 0
        while piece := stream.read(min(CHUNK, cap + 1 - got)):
            chunks.append(piece)
            got += len(piece)
            if got > cap:
                return None, self._overflow(got)
            ratio = self.ratio_reason(got, compressed())
            if ratio:
                return None, ratio
        self.total += got
        return b"".join(chunks), None

    def ratio_reason(self, size: int, compressed: int | None) -> str | None:
        if compressed is None or size <= RATIO_FLOOR:
            return None
        limit = self.options.max_ratio
        if size > limit * max(compressed, 1):
            return f"compression ratio {size // max(compressed, 1)}:1 exceeds the limit {limit}:1"
        return None

    def member_reason(self) -> str:
        return f"member exceeds the {human_size(self.options.max_member_size)} per-member limit"

    def total_reason(self) -> str:
        return f"members exceed the {human_size(self.options.max_total_size)} total uncompressed limit"

    def _overflow(self, got: int) -> str:
        if got > self.options.max_member_size:
            return self.member_reason()
        self.exhausted = True
        return self.total_reason()


class Metered:
    """A read-only stream that counts the bytes passing through it and refuses more than ``limit``.

    Wrapped around the raw file it tells how much compressed input was consumed (``count``,
    ``largest`` read); wrapped around a decompressor it bounds what a bomb can produce:
    passing ``limit`` raises TooLarge with ``message``.
    """

    def __init__(self, inner: BinaryIO, limit: int | None = None, message: str = "") -> None:
        self.inner = inner
        self.limit = limit
        self.message = message
        self.count = 0
        self.largest = 0

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        data = self.inner.read(size)
        self.count += len(data)
        self.largest = max(self.largest, len(data))
        if self.limit is not None and self.count > self.limit:
            raise TooLarge(self.message)
        return data

    def readable(self) -> bool:
        return True


def codec_of(head: bytes) -> str | None:
    """"gzip", "bzip2" or "xz" when ``head`` starts a stream of that compressor, else None."""
    if head.startswith(b"\x1f\x8b\x08"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit() and head[3:4] != b"0" and head[4:10] in _BZ2_BLOCK:
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    return None


def decompressing(raw: BinaryIO, codec: str) -> BinaryIO:
    """A stream of what ``raw`` decompresses to (concatenated streams included)."""
    if codec == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if codec == "bzip2":
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    return lzma.LZMAFile(raw, format=lzma.FORMAT_XZ)  # type: ignore[return-value]


def peek_decompressed(head: bytes, codec: str, size: int) -> bytes:
    """Up to ``size`` bytes that the start of a compressed stream decompresses to; b"" if none.

    bzip2 gives nothing until a whole block (up to 900 kB) is in ``head``.
    """
    try:
        if codec == "gzip":
            return zlib.decompressobj(wbits=31).decompress(head, size)
        if codec == "bzip2":
            return bz2.BZ2Decompressor().decompress(head, size)
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(head, size)
    except DECOMPRESS_ERRORS:
        return b""
