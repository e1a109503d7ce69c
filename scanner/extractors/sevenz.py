"""7z archives (py7zr): each regular member as a file of its own, under the bomb limits.

py7zr decompresses by pushing bytes into writer objects, block ("folder") by block, and a
solid block can only be decompressed from its start. So the members are planned first from
the sizes the header lists (limits, passwords, links; what must be decompressed to reach a
member counts against the total limit, skipped members before it in its solid block
included), then ONE py7zr extraction of the chosen members runs in a helper thread and hands
each finished member over a queue of one: at most three members are in memory (one being
scanned, one waiting, one being decompressed), and the consumer of ``extract`` paces the
decompression; closing the generator stops the thread. py7zr never produces more than the listed
size of a member, and its own ``max_extract_size`` bounds the whole run besides.

Header-encrypted archives raise EncryptedFile; members of password-protected blocks are
ENCRYPTED Members; links are SKIPPED; directories are not members. A damaged block raises
CorruptFile after the members before it were yielded (a solid stream cannot be resumed).
"""

from __future__ import annotations

import lzma
import queue
import re
import struct
import tempfile
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

from scanner.errors import CorruptFile, EncryptedFile, TooLarge, UnsupportedContent
from scanner.extractors.archive_limits import (
    SYMLINK_REASON,
    Budget,
    clean_name,
    encrypted,
    failed,
    skipped,
)
from scanner.options import ScanOptions
from scanner.records import Member, TextBlock
from scanner.sniff import Probe

if TYPE_CHECKING:
    from py7zr import SevenZipFile
    from py7zr.py7zr import ArchiveFile

FORMAT = "7z"

MAGIC = b"7z\xbc\xaf\x27\x1c"
THREAD_NAME = "docscan-7z-extract"
_OPEN_ERRORS = (EOFError, OSError, ValueError, KeyError, IndexError, TypeError, struct.error, lzma.LZMAError,
                zlib.error)
_DONE = object()
_DRIVE = re.compile(r"^[A-Za-z]:")


def sniff(probe: Probe) -> bool:
    return probe.head.startswith(MAGIC)


@dataclass(frozen=True, slots=True)
class _Plan:
    file: Any  # py7zr ArchiveFile
    name: str
    mtime: float | None
    ready: Member | None  # decided without decompressing; None: extract it


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock | Member]:
    """Yield one Member per regular member. Raises EncryptedFile, CorruptFile, TooLarge."""
    budget = Budget(options)
    archive = _open(data, options)
    try:
        plans, more = _plan(archive, budget)
        yield from _deliver(archive, plans, budget)
        if more:
            budget.admit()  # raises TooLarge naming the member limit
    finally:
        archive.close()


def _open(data: BinaryIO, options: ScanOptions) -> SevenZipFile:
    import py7zr
    from py7zr.exceptions import ArchiveError, PasswordRequired

    data.seek(0)
    try:
        return py7zr.SevenZipFile(data, mode="r", max_extract_size=options.max_total_size)
    except PasswordRequired as exc:
        raise EncryptedFile("7z archive headers are encrypted (password required to list members)") from exc
    except (ArchiveError, *_OPEN_ERRORS) as exc:
        raise CorruptFile(f"not a readable 7z archive: {exc}") from exc


def _plan(archive: SevenZipFile, budget: Budget) -> tuple[list[_Plan], bool]:
    """Decide every member before decompressing anything. Returns (plans, more members beyond the limit)."""
    ratios = _block_ratios(archive.files)
    gaps: dict[int, int] = {}  # per solid block: bytes of skipped members since the last extracted one
    plans: list[_Plan] = []
    for file in archive.files:
        if file.is_directory or file.is_socket:
            continue
        if budget.members >= budget.options.max_members:
            return _resolve_names(archive, plans), True
        budget.admit()
        plans.append(_decide(file, budget, ratios, gaps))
    return _resolve_names(archive, plans), False


def _decide(file: ArchiveFile, budget: Budget, ratios: dict[int, float], gaps: dict[int, int]) -> _Plan:
    from py7zr.compressor import SupportedMethods

    name = clean_name(file.filename)
    stamp = file.lastwritetime
    mtime = stamp.totimestamp() if stamp is not None else None
    folder = file.folder
    size = file.uncompressed or 0
    if file.is_symlink or file.is_junction:
        return _Plan(file, name, mtime, skipped(name, mtime, SYMLINK_REASON, size))
    if folder is not None and SupportedMethods.needs_password(folder.coders):
        return _Plan(file, name, mtime, encrypted(name, mtime, size))
    if folder is None or size == 0:
        return _Plan(file, name, mtime, Member(name, b"", mtime))
    gap = gaps.get(id(folder), 0)
    reason = budget.precheck(size, max(1, int(size / ratios[id(folder)])), cost=gap + size)
    if reason:
        gaps[id(folder)] = gap + size
        return _Plan(file, name, mtime, skipped(name, mtime, reason, size))
    if not _extractable_path(file.filename):
        reason = "py7zr refuses to extract this member path"
        return _Plan(file, name, mtime, failed(name, mtime, reason, size))
    budget.charge(gap + size)
    gaps[id(folder)] = 0
    return _Plan(file, name, mtime, None)


def _block_ratios(files: Any) -> dict[int, float]:
    """Uncompressed / compressed size of each block (members of a solid block share one ratio)."""
    sizes: dict[int, list[int]] = {}
    for file in files:
        if file.folder is not None:
            packed_unpacked = sizes.setdefault(id(file.folder), [0, 0])
            packed_unpacked[0] += file.compressed or 0
            packed_unpacked[1] += file.uncompressed or 0
    return {key: unpacked / max(packed, 1) for key, (packed, unpacked) in sizes.items()}


def _extractable_path(filename: str) -> bool:
    """py7zr's own rule for member paths (helpers._sanitize_member_name), without its per-name realpath."""
    if _DRIVE.match(filename):
        return False
    parts = [p for p in PurePosixPath(filename.lstrip("/")).parts if p != "."]
    return bool(parts) and ".." not in parts


def _resolve_names(archive: SevenZipFile, plans: list[_Plan]) -> list[_Plan]:
    """py7zr selects members by name: a name shared with a member not to extract is not extracted either."""
    chosen = {p.file.id for p in plans if p.ready is None}  # py7zr makes new ArchiveFile objects per access
    others = {f.filename for f in archive.files
              if f.id not in chosen and not (f.is_directory or f.is_socket)}
    reason = "another member of the same name is not extracted (7z members are selected by name)"
    return [_Plan(p.file, p.name, p.mtime, skipped(p.name, p.mtime, reason, p.file.uncompressed))
            if p.ready is None and p.file.filename in others else p for p in plans]


def _deliver(archive: SevenZipFile, plans: list[_Plan], budget: Budget) -> Iterator[Member]:
    """Yield the plans in order, taking each extracted member from the helper thread as it finishes."""
    cap = budget.options.max_member_size
    targets = [p.file.filename for p in plans if p.ready is None]
    if not targets:
        yield from (p.ready for p in plans if p.ready is not None)
        return
    handoff = _Handoff()
    worker = threading.Thread(target=_run, args=(archive, targets, handoff, cap), name=THREAD_NAME,
                              daemon=True)
    worker.start()
    try:
        for plan in plans:
            if plan.ready is not None:
                yield plan.ready
                continue
            item = handoff.items.get()
            if isinstance(item, BaseException):
                _reraise(item, plan.name)
            if item is _DONE:
                raise CorruptFile(f"7z member {plan.name} was listed but never extracted")
            if isinstance(item, int):
                yield skipped(plan.name, plan.mtime, budget.member_reason(), item)
            else:
                yield Member(plan.name, item, plan.mtime)
    finally:
        handoff.stop.set()
        worker.join()


def _run(archive: SevenZipFile, targets: list[str], handoff: _Handoff, cap: int) -> None:
    """The helper thread: one py7zr extraction of ``targets``; hands over _DONE or the exception."""
    try:
        # Nothing is written there (the factory keeps the bytes), but py7zr checks each member path
        # against a real directory: an empty one of our own, not the working directory and its symlinks.
        with tempfile.TemporaryDirectory(prefix="docscan-7z-") as scratch:
            archive.extract(path=scratch, targets=targets, factory=_Factory(handoff, cap))  # type: ignore[arg-type]
        handoff.put(_DONE)
    except _Stopped:
        return
    except Exception as exc:  # a relay, not a handler: _deliver re-raises it in the consumer's thread
        try:
            handoff.put(exc)
        except _Stopped:
            return


def _reraise(exc: BaseException, name: str) -> NoReturn:
    """Raise the helper thread's exception in the consumer's thread, as the project's errors where known."""
    from py7zr.exceptions import (
        ArchiveError,
        DecompressionBombError,
        PasswordRequired,
        UnsupportedCompressionMethodError,
    )

    try:
        raise exc
    except PasswordRequired as err:
        raise EncryptedFile(f"7z member {name} needs a password") from err
    except DecompressionBombError as err:
        raise TooLarge(f"7z decompression passed the total limit at member {name}: {err}") from err
    except UnsupportedCompressionMethodError as err:
        raise UnsupportedContent(f"7z member {name} uses an unsupported method: {err}") from err
    except (ArchiveError, *_OPEN_ERRORS) as err:
        raise CorruptFile(f"7z member {name} cannot be decompressed: {type(err).__name__}: {err}") from err


class _Stopped(Exception):
    """The consumer stopped: the helper thread abandons the extraction."""


class _Handoff:
    """Carries finished members from the helper thread to the generator, one at a time."""

    def __init__(self) -> None:
        self.items: queue.Queue[object] = queue.Queue(maxsize=1)
        self.stop = threading.Event()

    def put(self, item: object) -> None:
        while not self.stop.is_set():
            try:
                self.items.put(item, timeout=0.05)
                return
            except queue.Full:
                continue
        raise _Stopped


class _Sink:
    """py7zr's writer of one member (a duck-typed Py7zIO): keeps up to ``cap`` bytes, hands them over."""

    def __init__(self, handoff: _Handoff, cap: int) -> None:
        self.handoff = handoff
        self.cap = cap
        self.chunks: list[bytes] = []
        self.got = 0

    def write(self, data: bytes | bytearray) -> int:
        if self.handoff.stop.is_set():
            raise _Stopped
        self.got += len(data)
        if self.got <= self.cap:
            self.chunks.append(bytes(data))
        else:
            self.chunks.clear()
        return len(data)

    def close(self) -> None:
        self.handoff.put(self.got if self.got > self.cap else b"".join(self.chunks))
        self.chunks = []

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self.got


@dataclass(frozen=True, slots=True)
class _Factory:
    """py7zr's WriterFactory (duck-typed): a fresh sink per member."""

    handoff: _Handoff
    cap: int

    def create(self, filename: str) -> _Sink:
        return _Sink(self.handoff, self.cap)
