"""Paths longer than the system allows (PATH_MAX, 4096 bytes on Linux): reached one folder at a time.

A share can hold folders nested so deep that their full path is too long for any system call
(``ENAMETOOLONG``). The walk and the reads fall back to these functions, which open the path's
folders one by one, each relative to the one before (``openat``), never following a link, and then
list, stat or open the last component relative to its folder. Where the system has no ``dir_fd``
support (Windows), they raise the original error and the entry gets its `skipped` record as before.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
SUPPORTED = os.open in os.supports_dir_fd and os.stat in os.supports_dir_fd


def too_long(exc: OSError) -> bool:
    return exc.errno == errno.ENAMETOOLONG and SUPPORTED


def open_folder(path: str) -> int:
    """A descriptor of the folder ``path`` (any length), opened component by component. Raises OSError."""
    absolute = os.path.isabs(path)
    parts = [p for p in path.split(os.sep) if p]
    fd = os.open(os.sep if absolute else os.curdir, _DIR_FLAGS)
    try:
        for part in parts:
            nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def in_parent(path: str, action: Callable[[str, int], T]) -> T:
    """``action(name, parent_fd)`` for the last component of ``path``, its folder opened by open_folder."""
    parent, name = os.path.split(path)
    fd = open_folder(parent or os.curdir)
    try:
        return action(name, fd)
    finally:
        os.close(fd)


def lstat(path: str) -> os.stat_result:
    try:
        return os.lstat(path)
    except OSError as exc:
        if not too_long(exc):
            raise
    return in_parent(path, lambda name, fd: os.stat(name, dir_fd=fd, follow_symlinks=False))


def listdir(path: str) -> list[str]:
    """The names in folder ``path`` (any length)."""
    try:
        with os.scandir(path) as it:
            return [e.name for e in it]
    except OSError as exc:
        if not too_long(exc):
            raise
    fd = open_folder(path)
    try:
        return os.listdir(fd)
    finally:
        os.close(fd)


def open_file(path: str, flags: int) -> int:
    """os.open(path, flags) for a path of any length (the last component opened relative to its folder)."""
    try:
        return os.open(path, flags)
    except OSError as exc:
        if not too_long(exc):
            raise
    return in_parent(path, lambda name, fd: os.open(name, flags, dir_fd=fd))
