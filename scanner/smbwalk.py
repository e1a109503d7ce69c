"""An SMB share -> FileEntry, exactly as scanner.walk does for a local folder.

Sorted, depth-first; excludes match the name, the smb:// URL and the UNC path; anything
that cannot be listed comes out as an entry with ``skip`` set. Symbolic links and junctions
(reparse points) are never followed. A server may resolve links itself (Samba does, for
SMB2 clients): a folder reached a second time (same file id) is reported, not walked again,
so a link loop on the server cannot trap the walk.
"""

from __future__ import annotations

import fnmatch
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from smbprotocol.exceptions import SMBException

from scanner import smbio
from scanner.records import FileEntry
from scanner.smb import Address, SmbAddressError, parse

DIRECTORY = 0x10  # FILE_ATTRIBUTE_DIRECTORY
REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT
# Reparse tags of links (a reparse point with another tag, e.g. a deduplicated file, is read as a file).
LINK_TAGS = {
    0xA000000C: "symbolic link",  # IO_REPARSE_TAG_SYMLINK
    0xA0000003: "junction (mount point)",  # IO_REPARSE_TAG_MOUNT_POINT
    0xA000001D: "symbolic link (WSL)",  # IO_REPARSE_TAG_LX_SYMLINK
    0x80000014: "NFS special file",  # IO_REPARSE_TAG_NFS
}
MAX_DEPTH = 100  # folders below the top; a server whose file ids are all 0 cannot loop forever
READ_FAILURES = (SMBException, OSError, ValueError, UnicodeDecodeError)


@dataclass(frozen=True, slots=True)
class _Child:
    address: Address
    attributes: int
    reparse_tag: int
    size: int
    mtime: float
    file_id: int

    @property
    def is_dir(self) -> bool:
        return bool(self.attributes & DIRECTORY)


def walk(top: str, excludes: tuple[str, ...] = ()) -> Iterator[FileEntry]:
    """Yield an entry for every file under the SMB address ``top``, sorted, depth-first."""
    try:
        address = parse(top)
    except SmbAddressError as exc:
        yield FileEntry(top, top, skip=str(exc))
        return
    try:
        first, device = _stat(address)
    except READ_FAILURES as exc:
        yield _unreadable(address, "cannot be read", exc)
        return
    if not first.is_dir or first.attributes & REPARSE_POINT:
        yield _entry(first, device)
        return
    yield from _tree(first, device, excludes)


def _tree(top: _Child, device: int, excludes: tuple[str, ...]) -> Iterator[FileEntry]:
    seen = {top.file_id: top.address.unc}
    listed = _children(top.address)
    if isinstance(listed, FileEntry):
        yield listed
        return
    stack = [iter(listed)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        if _excluded(child.address, excludes):
            continue
        if not child.is_dir or child.attributes & REPARSE_POINT:
            yield _entry(child, device)
            continue
        if skip := _revisit(child, seen, len(stack)):
            yield FileEntry(child.address.url, child.address.unc, skip=skip)
            continue
        listed = _children(child.address)
        if isinstance(listed, FileEntry):
            yield listed
        else:
            stack.append(iter(listed))


def _revisit(child: _Child, seen: dict[int, str], depth: int) -> str | None:
    """Why a folder is not walked (reached before through a link on the server, or too deep), if so."""
    if child.file_id and child.file_id in seen:
        return f"same folder as {seen[child.file_id]} (a link on the server), not walked again"
    if depth >= MAX_DEPTH:
        return f"folder nested deeper than {MAX_DEPTH} levels, not walked"
    if child.file_id:
        seen[child.file_id] = child.address.unc
    return None


def _children(folder: Address) -> list[_Child] | FileEntry:
    """The folder's entries sorted by name (code point order, as the local walk's UTF-8 byte order)."""
    import smbclient

    try:  # connect() each time: a connection the server dropped is made again, with the credentials
        with smbclient.scandir(folder.unc, **smbio.connect(folder)) as listing:
            found = [_child(folder.child(e.name), e.smb_info) for e in listing]
    except READ_FAILURES as exc:
        return _unreadable(folder, "folder cannot be read", exc)
    return sorted(found, key=lambda c: c.address.name)


def _child(address: Address, info: Any) -> _Child:
    attributes = info.file_attributes
    # FILE_ID_FULL_DIRECTORY_INFORMATION carries a reparse point's tag in its EA size field.
    tag = info.ea_size if attributes & REPARSE_POINT else 0
    return _Child(address, attributes, tag, info.end_of_file, smbio.stamp(info.last_write_time), info.file_id)


def _stat(address: Address) -> tuple[_Child, int]:
    """The top itself, and its volume serial number (the entries' `device`, as st_dev locally)."""
    import smbclient

    st = smbclient.stat(address.unc, follow_symlinks=False, **smbio.connect(address))
    attributes = st.st_file_attributes | (DIRECTORY if stat.S_ISDIR(st.st_mode) else 0)
    child = _Child(address, attributes, st.st_reparse_tag, st.st_size, st.st_mtime_ns / 1e9, st.st_ino)
    return child, int(st.st_dev)


def _excluded(address: Address, excludes: tuple[str, ...]) -> bool:
    names = (address.name, address.url, address.unc)
    return any(fnmatch.fnmatch(name, pat) for pat in excludes for name in names)


def _entry(child: _Child, device: int) -> FileEntry:
    skip = None
    if child.attributes & REPARSE_POINT and (child.is_dir or child.reparse_tag in LINK_TAGS):
        kind = LINK_TAGS.get(child.reparse_tag, "reparse point")
        skip = f"{kind}, not followed"
    a = child.address
    return FileEntry(a.url, a.unc, child.size, child.mtime, child.file_id, device, skip)


def _unreadable(address: Address, what: str, exc: BaseException) -> FileEntry:
    plain = isinstance(exc, OSError) and not isinstance(exc, SMBException)
    err = exc if plain else smbio.os_error(exc, address.unc)
    return FileEntry(address.url, address.unc, skip=f"{what}: {err.strerror or err}")
