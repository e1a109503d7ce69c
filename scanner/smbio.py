"""Reading from SMB shares with smbprotocol: sessions, read-only opens, and errors as OSError.

Every thread of every process has its own connection (a connection cache per thread, so no
connection is shared between threads), registered lazily from the credentials in the
environment (scanner.smb.prepare put them there before the forkserver workers started).
Files are opened with an access mask of FILE_READ_DATA | FILE_READ_ATTRIBUTES only (the
handle cannot write, truncate or set attributes) and a share mode of read|write|delete, so
a file another program has open still opens.
"""

from __future__ import annotations

import atexit
import errno
import io
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from smbprotocol.exceptions import LogonFailure, SMBAuthenticationError, SMBException
from smbprotocol.open import FilePipePrinterAccessMask

from scanner.smb import Address, credentials, parse

CHUNK = 1 << 20
CONNECT_TIMEOUT = 15  # seconds
READ_ACCESS = FilePipePrinterAccessMask.FILE_READ_DATA | FilePipePrinterAccessMask.FILE_READ_ATTRIBUTES
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

# NTSTATUS -> (errno, text): the texts are the local OS's, so a share and a local folder read alike.
_STATUS: dict[int, tuple[int, str | None]] = {
    0xC0000022: (errno.EACCES, None),  # STATUS_ACCESS_DENIED
    0xC000000F: (errno.ENOENT, None),  # STATUS_NO_SUCH_FILE
    0xC0000034: (errno.ENOENT, None),  # STATUS_OBJECT_NAME_NOT_FOUND
    0xC000003A: (errno.ENOENT, None),  # STATUS_OBJECT_PATH_NOT_FOUND
    0xC0000225: (errno.ENOENT, None),  # STATUS_NOT_FOUND
    0xC00000CC: (errno.ENOENT, "no such share"),  # STATUS_BAD_NETWORK_NAME
    0xC0000056: (errno.ENOENT, "file is being deleted"),  # STATUS_DELETE_PENDING
    0xC00000BA: (errno.EISDIR, None),  # STATUS_FILE_IS_A_DIRECTORY
    0xC0000043: (errno.EBUSY, "in exclusive use by another program (sharing violation)"),
    0xC0000054: (errno.EBUSY, "locked by another program (file lock conflict)"),  # STATUS_FILE_LOCK_CONFLICT
    0xC000006D: (errno.EACCES, "SMB logon failure"),  # STATUS_LOGON_FAILURE (the password changed mid-scan)
}

_local = threading.local()
_caches: list[dict[str, Any]] = []


class NoCredentials(OSError):
    """This process has no SMB credentials (scanner.smb.prepare did not run before it started)."""


def os_error(exc: BaseException, unc: str) -> OSError:
    """An smbprotocol failure as a plain OSError (FileNotFoundError, PermissionError, ...) naming ``unc``."""
    status = getattr(exc, "ntstatus", None) or getattr(exc, "status", None)
    if isinstance(status, int) and status in _STATUS:
        code, text = _STATUS[status]
        return OSError(code, text or os.strerror(code), unc)
    if isinstance(status, int):
        return OSError(errno.EIO, f"SMB error 0x{status:08X}", unc)
    text = " ".join(str(exc).split())[:200] or type(exc).__name__
    return OSError(errno.EIO, f"SMB failure: {text}", unc)


def connect(address: Address) -> dict[str, Any]:
    """Make sure this thread has a session with the server; the keyword arguments for smbclient calls.

    Raises NoCredentials, ValueError (server unreachable), SMBAuthenticationError / LogonFailure.
    """
    import smbclient

    creds = credentials()
    if creds is None:
        raise NoCredentials(errno.EACCES, "no SMB credentials in this process (DOCSCAN_SMB_USER/PASSWORD)")
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
        _caches.append(cache)
    smbclient.register_session(address.host, username=creds.username, password=creds.password,
                               port=address.port, encrypt=True if creds.encrypt else None,
                               connection_timeout=CONNECT_TIMEOUT, connection_cache=cache)
    return {"port": address.port, "connection_cache": cache}


def check(address: Address) -> str | None:
    """Log on and look at ``address`` once, before a scan: None, or why the scan cannot start."""
    import smbclient

    where = f"{address.host}:{address.port}"
    try:
        smbclient.stat(address.unc, follow_symlinks=False, **connect(address))
    except ValueError as exc:  # smbprotocol's "Failed to connect to 'host:port': ..."
        reason = str(exc).rpartition(": ")[2] or str(exc)
        return f"无法连接 SMB 服务器 {where} (cannot connect): {reason}"
    except (LogonFailure, SMBAuthenticationError):
        creds = credentials()
        user = creds.username if creds else "?"
        return f"SMB 登录失败：用户名或密码错误 (logon failure for {user} at {where})"
    except (SMBException, OSError) as exc:
        err = os_error(exc, address.unc)
        if err.errno == errno.ENOENT:
            return f"SMB 共享或路径不存在 (no such share or path): {address.unc}"
        return f"无法读取 SMB 路径 (cannot read) {address.unc}: {err.strerror}"
    return None


class _ReadOnlyRaw(io.RawIOBase):
    """smbclient's unbuffered file, with failures reported as OSError and a close that cannot fail a scan."""

    def __init__(self, smb_file: Any) -> None:
        super().__init__()
        self._file = smb_file

    @property
    def name(self) -> str:
        return self._file.name

    @property
    def handle(self) -> Any:
        """smbprotocol's Open: size and times as the server reported them when the file was opened."""
        return self._file.fd

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            return self._file.readinto(b)
        except SMBException as exc:
            raise os_error(exc, self.name) from exc

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        if not self.closed:
            try:
                self._file.close()
            except (SMBException, OSError, ValueError):  # the connection is gone: so is the handle
                pass
        super().close()


class SmbFile(io.BufferedReader):
    """A file on a share, buffered, seekable. It has no descriptor: ``stat()`` gives its size and
    times as the server reported them when the file was opened (see scanner.evidence.fstat)."""

    def __init__(self, raw: _ReadOnlyRaw, size: int, atime_ns: int, mtime_ns: int) -> None:
        super().__init__(raw, buffer_size=CHUNK)
        self._stat = os.stat_result((stat.S_IFREG | 0o444, 0, 0, 1, 0, 0, size, atime_ns / 1e9, mtime_ns / 1e9,
                                     mtime_ns / 1e9),
                                    {"st_atime_ns": atime_ns, "st_mtime_ns": mtime_ns, "st_ctime_ns": mtime_ns})

    def stat(self) -> os.stat_result:
        return self._stat

    def fileno(self) -> int:
        raise io.UnsupportedOperation("a file on an SMB share has no descriptor")


def open_readonly(path: str) -> SmbFile:
    """Open ``path`` (smb:// URL or UNC) for reading only. Raises OSError (FileNotFoundError, ...)."""
    import smbclient

    address = parse(path)
    try:
        raw = _ReadOnlyRaw(smbclient.open_file(address.unc, mode="rb", buffering=0, share_access="rwd",
                                               desired_access=READ_ACCESS, **connect(address)))
    except NoCredentials:
        raise
    except (SMBException, OSError, ValueError) as exc:
        raise os_error(exc, address.unc) from exc
    try:
        handle = raw.handle
        return SmbFile(raw, handle.end_of_file, _ns(handle.last_access_time), _ns(handle.last_write_time))
    except BaseException:
        raw.close()
        raise


def _ns(value: datetime) -> int:
    """Nanoseconds since the epoch (smbprotocol's times are whole microseconds, UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return max(0, (value - EPOCH) // MICROSECOND * 1000)


def stamp(value: datetime) -> float:
    """POSIX time of a time smbprotocol reports."""
    return _ns(value) / 1e9


def _disconnect_all() -> None:
    for cache in _caches:
        for connection in list(cache.values()):
            try:
                connection.disconnect(close=True, timeout=2)
            except (SMBException, OSError, ValueError):
                pass
        cache.clear()


atexit.register(_disconnect_all)
