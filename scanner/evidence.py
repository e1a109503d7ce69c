"""Evidence taken before any parsing: size, mtime and a streamed sha256.

Files are opened read-only with O_NOATIME where the OS allows it, so that a
scan leaves even the access time of what it inspects unchanged.
"""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import UTC, datetime
from typing import BinaryIO

from scanner import longpath, smb
from scanner.records import Evidence

CHUNK = 1 << 20
O_NOATIME = getattr(os, "O_NOATIME", 0)
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the walk must not block us
O_BINARY = getattr(os, "O_BINARY", 0)


class NotRegularFile(OSError):
    """The path no longer names a regular file (replaced after the walk)."""


def open_readonly(fspath: str) -> BinaryIO:
    """Open a regular file for reading without touching its atime or following links.

    Raises OSError (NotRegularFile when it is no longer a regular file).
    """
    if smb.is_smb(fspath):  # a file on an SMB share, read over the network (scanner/smbio.py)
        return smb.open_readonly(fspath)
    flags = os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_BINARY
    try:
        fd = longpath.open_file(fspath, flags | O_NOATIME)  # any length of path
    except PermissionError:  # O_NOATIME needs ownership (or CAP_FOWNER); fall back without it
        fd = longpath.open_file(fspath, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile("not a regular file any more (replaced after the walk)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=CHUNK)
    except BaseException:
        os.close(fd)
        raise


def fstat(fh: BinaryIO) -> os.stat_result:
    """Size and times of an open file: the file's own ``stat()`` when it has one (a file on an SMB
    share, which has no descriptor), else fstat of its descriptor."""
    own = getattr(fh, "stat", None)
    return own() if own is not None else os.fstat(fh.fileno())


def iso_mtime(mtime: float) -> str:
    """ISO 8601 with the local UTC offset, to the second."""
    return datetime.fromtimestamp(mtime, tz=UTC).astimezone().isoformat(timespec="seconds")


def take(fh: BinaryIO, hash_it: bool = True) -> Evidence:
    """Size and mtime from the open file, sha256 of its bytes; leaves ``fh`` at offset 0."""
    st = fstat(fh)
    digest = None
    if hash_it:
        h = hashlib.sha256()
        fh.seek(0)
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
        digest = h.hexdigest()
        fh.seek(0)
    return Evidence(st.st_size, iso_mtime(st.st_mtime), digest)


def take_path(fspath: str, hash_it: bool = True) -> Evidence:
    """Evidence for a path (used when a worker died before it could report). Raises OSError."""
    with open_readonly(fspath) as fh:
        return take(fh, hash_it)
