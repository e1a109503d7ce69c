"""RAR archives (rarfile, RAR 1.5 to 5): each regular member as a file of its own, under the bomb limits.

rarfile reads the headers itself and the data of stored (uncompressed) members too, but RAR
compression needs an external program: unrar, unar, 7z/7zz or bsdtar, whichever rarfile finds
first on PATH at run time (``rar_backend()``). Without one the members are still listed, each
compressed one as a SKIPPED Member saying so; with one, the archive is copied once to a
temporary file and each member is piped out of the program, bounded by the limits.

Header-encrypted archives raise EncryptedFile; encrypted members are ENCRYPTED Members; links
are SKIPPED; directories are not members; the archive comment is ``part="comment"`` text.
A damaged archive raises CorruptFile after the members listed before the damage were yielded.
RAR 2/3 names without the Unicode flag are OEM bytes: decoded as GB18030 when valid.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors.archive_limits import (
    CHUNK,
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

if TYPE_CHECKING:
    from rarfile import RarFile, RarInfo

FORMAT = "rar"

MAGICS = (b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")  # RAR 1.5-4.x, RAR 5
NO_BACKEND_REASON = "no RAR decompressor available (install unrar, unar, 7z or bsdtar)"
_STORED = 0x30  # rarfile.RAR_M0: data kept as is, readable without a backend


def sniff(probe: Probe) -> bool:
    return probe.head.startswith(MAGICS)


def rar_backend() -> str | None:
    """The program rarfile decompresses with ("unrar", "unar", "7z", "7zz", "bsdtar"); None if none works."""
    import rarfile

    try:
        setup = rarfile.tool_setup()
    except rarfile.RarCannotExec:
        return None
    tool = setup.setup["open_cmd"][0]  # the name of a rarfile setting, such as "UNAR_TOOL"
    return str(getattr(rarfile, tool, tool))


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock | Member]:
    """Yield the comment and one Member per regular member. Raises EncryptedFile, CorruptFile, TooLarge."""
    data.seek(0)
    archive = _open(data)
    infos = archive.infolist()
    if archive.needs_password() and not infos:
        raise EncryptedFile("RAR archive headers are encrypted (password required to list members)")
    damage = archive.strerror()
    if damage and not infos:
        raise CorruptFile(f"not a readable RAR archive: {damage}")
    yield from comment_blocks(archive.comment)
    backend = rar_backend() if any(_needs_backend(i) for i in infos) else None
    if backend is None:
        yield from _members(archive, None, options)
    else:
        with _on_disk(data) as path:
            yield from _members(_open(path), backend, options)
    if damage:  # the headers before the damage were listed and their members yielded
        raise CorruptFile(f"RAR archive is damaged after {len(infos)} entries: {damage}")


def _open(source: BinaryIO | str) -> RarFile:
    import rarfile

    try:
        return rarfile.RarFile(source)
    except rarfile.PasswordRequired as exc:
        raise EncryptedFile(f"RAR archive needs a password: {exc}") from exc
    except (rarfile.Error, OSError, EOFError, ValueError) as exc:
        raise CorruptFile(f"not a readable RAR archive: {exc}") from exc


def _members(archive: RarFile, backend: str | None, options: ScanOptions) -> Iterator[Member]:
    budget = Budget(options)
    for info in archive.infolist():
        if info.is_dir():
            continue
        budget.admit()
        yield _member(archive, info, backend, budget)


def _member(archive: RarFile, info: RarInfo, backend: str | None, budget: Budget) -> Member:
    import rarfile

    name, mtime, size = member_name(info), _mtime(info.mtime), info.file_size
    if info.is_symlink():
        return skipped(name, mtime, SYMLINK_REASON, size)
    if info.needs_password():
        return encrypted(name, mtime, size)
    reason = budget.precheck(size, info.compress_size)
    if reason:
        return skipped(name, mtime, reason, size)
    if _needs_backend(info) and backend is None:
        return skipped(name, mtime, NO_BACKEND_REASON, size)
    try:
        with archive.open(info) as stream:
            payload, reason = budget.read(stream, lambda: info.compress_size)  # type: ignore[arg-type]
    except (rarfile.Error, OSError, EOFError, ValueError) as exc:
        via = f" with {backend}" if _needs_backend(info) else ""
        return failed(name, mtime, f"member cannot be decompressed{via}: {type(exc).__name__}: {exc}", size)
    if reason:
        return skipped(name, mtime, reason, size)
    return Member(name, payload, mtime)


def member_name(info: RarInfo) -> str:
    """The member's path; RAR 2/3 names stored without the Unicode flag are decoded from their OEM bytes."""
    import rarfile

    raw = info.orig_filename
    if isinstance(info, rarfile.Rar3Info) and not info.flags & rarfile.RAR_FILE_UNICODE and \
            isinstance(raw, bytes):
        return clean_name(decode_name(raw))
    return clean_name(info.filename or "")


def _needs_backend(info: RarInfo) -> bool:
    return info.compress_type != _STORED and not info.is_dir() and not info.is_symlink()


def _mtime(stamp: datetime | None) -> float | None:
    """POSIX time; RAR 2/3 times carry no zone and are local time, as the archiver wrote them."""
    if stamp is None:
        return None
    try:
        return stamp.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


@contextmanager
def _on_disk(data: BinaryIO) -> Iterator[str]:
    """The archive as a temporary file, which the external decompressor can open by name."""
    with tempfile.NamedTemporaryFile(prefix="docscan-", suffix=".rar") as copy:
        data.seek(0)
        shutil.copyfileobj(data, copy, CHUNK)
        copy.flush()
        yield copy.name
