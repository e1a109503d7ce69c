"""SMB shares read directly (issue 9): addresses, credentials, and the command-line hooks.

``docscan scan smb://HOST[:PORT]/SHARE/path --smb-user U`` enumerates and reads files over
SMB 2/3 without mounting anything and without ever asking the server for write access.
Reports name such a file by its UNC path (``\\\\HOST\\SHARE\\path\\file.docx``); the walk's
``fspath`` is the ``smb://`` URL (always with its port) that opens it again.

The password comes from the environment variable DOCSCAN_SMB_PASSWORD or a terminal prompt,
never from the command line. ``prepare`` leaves the credentials in this process's environment
before any worker starts, so forkserver workers inherit them and each registers its own SMB
session on first use (scanner/smbio.py). This module stays light: smbprotocol is imported
only where a share is really read.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from scanner.records import FileEntry

ENV_USER = "DOCSCAN_SMB_USER"
ENV_PASSWORD = "DOCSCAN_SMB_PASSWORD"
ENV_DOMAIN = "DOCSCAN_SMB_DOMAIN"
ENV_ENCRYPT = "DOCSCAN_SMB_ENCRYPT"
DEFAULT_PORT = 445
_PORTS: dict[str, int] = {}  # host -> port of the smb:// URLs this process was given (for UNC paths)


class SmbAddressError(ValueError):
    """A path that starts like an SMB address but is not a usable one."""


@dataclass(frozen=True, slots=True)
class Address:
    """A file or folder on a share: ``host``, ``port``, ``share`` and the path components below it."""

    host: str
    port: int
    share: str
    parts: tuple[str, ...] = ()
    user: str | None = None  # smb://user@host/... (never a password)

    @property
    def unc(self) -> str:
        """``\\\\HOST\\SHARE\\dir\\name``: how reports name it and how smbclient opens it."""
        return "\\\\" + "\\".join((self.host, self.share, *self.parts))

    @property
    def url(self) -> str:
        """``smb://HOST:PORT/SHARE/dir/name``: the walk's fspath (names raw, never percent-encoded)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"smb://{host}:{self.port}/" + "/".join((self.share, *self.parts))

    @property
    def name(self) -> str:
        return self.parts[-1] if self.parts else self.share

    def child(self, name: str) -> Address:
        return Address(self.host, self.port, self.share, (*self.parts, name), self.user)


def is_smb(path: str) -> bool:
    """True for ``smb://...`` URLs and ``\\\\HOST\\SHARE`` UNC paths."""
    return path[:6].lower() == "smb://" or path.startswith("\\\\")


def parse(text: str) -> Address:
    """``smb://[user@]host[:port]/share[/path]`` or ``\\\\host\\share[\\path]``. Raises SmbAddressError."""
    if text.startswith("\\\\"):
        host, _, rest = text[2:].partition("\\")
        user, port, components = None, _PORTS.get(host.lower(), DEFAULT_PORT), rest.split("\\")
    elif is_smb(text):
        authority, _, rest = text[6:].partition("/")
        user, host, port = _authority(authority, text)
        components = rest.split("/")
    else:
        raise SmbAddressError(f"不是 SMB 地址 (not an SMB address): {text}")
    components = [c for c in components if c]
    if not host or not components:
        raise SmbAddressError(f"SMB 地址需要主机和共享名，如 smb://HOST/SHARE/路径 (need host and share): "
                              f"{text}")
    if any(c in (".", "..") for c in components):
        raise SmbAddressError(f"SMB 地址中不能有 . 或 .. (no . or .. components): {text}")
    return Address(host, port, components[0], tuple(components[1:]), user)


def _authority(authority: str, text: str) -> tuple[str | None, str, int]:
    user, at, hostport = authority.rpartition("@")
    if at and ":" in user:
        raise SmbAddressError("SMB 地址中不能写密码；请用环境变量 DOCSCAN_SMB_PASSWORD 或终端输入 "
                              "(a password in the URL is not accepted)")
    if hostport.startswith("["):  # [IPv6]:port
        host, _, tail = hostport[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise SmbAddressError(f"SMB 端口无效 (bad port): {text}")
    port = int(port_text) if port_text else DEFAULT_PORT
    _PORTS[host.lower()] = port
    return user or None, host, port


@dataclass(frozen=True, slots=True)
class Credentials:
    user: str
    password: str = field(repr=False)
    domain: str | None = None
    encrypt: bool = False

    @property
    def username(self) -> str:
        return f"{self.domain}\\{self.user}" if self.domain else self.user


def credentials() -> Credentials | None:
    """The credentials ``prepare`` left in the environment (inherited by workers), or None."""
    user, password = os.environ.get(ENV_USER), os.environ.get(ENV_PASSWORD)
    if not user or password is None:
        return None
    return Credentials(user, password, os.environ.get(ENV_DOMAIN) or None, os.environ.get(ENV_ENCRYPT) == "1")


def walk(top: str, excludes: tuple[str, ...]) -> Iterator[FileEntry]:
    """The entries under an SMB address, as scanner.walk yields them for a local folder."""
    from scanner import smbwalk

    return smbwalk.walk(top, excludes)


def open_readonly(path: str) -> BinaryIO:
    """A file on a share opened for reading only (see scanner.smbio.open_readonly). Raises OSError."""
    from scanner import smbio

    return smbio.open_readonly(path)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The scan command's SMB options."""
    parser.add_argument("--smb-user", metavar="USER",
                        help="smb://HOST/SHARE/路径 的登录用户名；密码取自环境变量 DOCSCAN_SMB_PASSWORD，"
                             "未设置时在终端提示输入，从不从命令行读取")
    parser.add_argument("--smb-domain", metavar="DOMAIN", help="SMB 登录的域名或工作组（可选）")
    parser.add_argument("--smb-encrypt", action="store_true", help="要求 SMB3 加密传输（服务器不支持时报错）")


def prepare(args: argparse.Namespace) -> str | None:
    """Check every smb:// path of ``args.paths`` before the scan: address, credentials, server, share.

    Leaves the credentials in os.environ for the workers. Returns a one-line error, or None.
    """
    addresses = []
    for path in (p for p in args.paths if is_smb(p)):
        try:
            addresses.append(parse(path))
        except SmbAddressError as exc:
            return str(exc)
    if not addresses:
        return None
    if getattr(args, "cluster", None):
        return ("smb:// 路径不能与 --cluster 同用（集群 worker 没有 SMB 凭据）"
                "(smb:// paths cannot be scanned on a cluster)")
    user = getattr(args, "smb_user", None) or addresses[0].user or os.environ.get(ENV_USER)
    if not user:
        return "smb:// 路径需要 --smb-user 用户名 (an SMB user name is needed: --smb-user)"
    password = _password(user)
    if password is None:
        return ("需要 SMB 密码：请设置环境变量 DOCSCAN_SMB_PASSWORD，或在终端中运行以便输入 "
                "(no SMB password: set DOCSCAN_SMB_PASSWORD or run from a terminal)")
    os.environ.update({ENV_USER: user, ENV_PASSWORD: password,
                       ENV_ENCRYPT: "1" if getattr(args, "smb_encrypt", False) else "0"})
    domain = getattr(args, "smb_domain", None)
    if domain:
        os.environ[ENV_DOMAIN] = domain
    from scanner import smbio

    for address in addresses:
        problem = smbio.check(address)
        if problem:
            return problem
    return None


def _password(user: str) -> str | None:
    password = os.environ.get(ENV_PASSWORD)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(f"SMB 密码 ({user}): ")
    except (EOFError, KeyboardInterrupt):
        return None
