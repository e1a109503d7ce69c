"""Paths -> FileEntry, sorted, symlinks never followed, special files never opened.

Anything the walk cannot or will not open still comes out, as an entry with
``skip`` set, so the scan writes a record for it and nothing is lost silently.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator

from scanner import longpath, smb
from scanner.records import FileEntry

SPECIAL = (
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


def printable(fspath: str) -> str:
    """The path as a report shows it: bytes that are not UTF-8 become \\xNN escapes."""
    return os.fsencode(fspath).decode("utf-8", errors="backslashreplace")


def walk(paths: Iterable[str], excludes: tuple[str, ...] = ()) -> Iterator[FileEntry]:
    """Yield an entry for every file under ``paths`` in sorted, depth-first order."""
    for top in paths:  # smb://HOST/SHARE/path is listed over SMB, never mounted (scanner/smbwalk.py)
        yield from smb.walk(top, excludes) if smb.is_smb(top) else _walk_one(top, excludes)


def _walk_one(top: str, excludes: tuple[str, ...]) -> Iterator[FileEntry]:
    try:
        st = longpath.lstat(top)
    except OSError as exc:
        yield _unreadable(top, f"cannot be read: {exc.strerror}")
        return
    if not stat.S_ISDIR(st.st_mode):
        yield _entry(top, st)
        return
    children = _children(top)
    if isinstance(children, FileEntry):
        yield children
        return
    stack = [iter(children)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        name, path = item
        if _excluded(name, path, excludes):
            continue
        try:
            child = longpath.lstat(path)  # a path past PATH_MAX is reached folder by folder
        except OSError as exc:
            yield _unreadable(path, f"cannot be read: {exc.strerror}")
            continue
        if not stat.S_ISDIR(child.st_mode):
            yield _entry(path, child)
            continue
        children = _children(path)
        if isinstance(children, FileEntry):
            yield children
        else:
            stack.append(iter(children))


def _children(folder: str) -> list[tuple[str, str]] | FileEntry:
    try:
        names = sorted(os.fsencode(name) for name in longpath.listdir(folder))
    except OSError as exc:
        return _unreadable(folder, f"folder cannot be read: {exc.strerror}")
    return [(os.fsdecode(n), os.path.join(folder, os.fsdecode(n))) for n in names]


def _excluded(name: str, path: str, excludes: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, pat) or fnmatch.fnmatch(path, pat) for pat in excludes)


def _entry(path: str, st: os.stat_result) -> FileEntry:
    skip = None
    if stat.S_ISLNK(st.st_mode):
        skip = "symbolic link, not followed"
    else:
        for test, what in SPECIAL:
            if test(st.st_mode):
                skip = f"special file ({what}), not opened"
    return FileEntry(path, printable(path), st.st_size, st.st_mtime, st.st_ino, st.st_dev, skip)


def _unreadable(path: str, reason: str) -> FileEntry:
    return FileEntry(path, printable(path), skip=reason)
