"""Fixtures of the SMB tests: the shares' folders and real smbd servers serving them.

The tests need Samba's ``smbd`` (Debian package ``samba``; .ci/run installs it). Without the
binary they are skipped with that reason; with it, a server that does not start FAILS them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from tests.smb import samba
from tests.smb.share import build_gbk_share, build_share, snapshot

SKIP_REASON = (f"Samba's smbd is not installed (Debian package '{samba.DEBIAN_PACKAGE}': "
               f"apt-get install {samba.DEBIAN_PACKAGE}; .ci/run installs it)")


def _folder(build) -> Iterator[str]:
    # Not under pytest's (or $TMPDIR's) 0700 folders: the SMB user `nobody` must be able to reach it.
    top = tempfile.mkdtemp(prefix="docscan-share-", dir="/tmp" if os.path.isdir("/tmp") else None)
    os.chmod(top, 0o755)
    root = os.path.join(top, "share")
    os.mkdir(root, 0o755)
    build(root)
    try:
        yield root
    finally:
        shutil.rmtree(top)


@pytest.fixture(scope="session")
def share_dir() -> Iterator[str]:
    yield from _folder(build_share)


@pytest.fixture(scope="session")
def share_before(share_dir: str) -> dict[bytes, tuple]:
    """The main share as built, before any server or scan has touched it."""
    return snapshot(share_dir)


@pytest.fixture(scope="session")
def gbk_dir() -> Iterator[str]:
    yield from _folder(build_gbk_share)


def _serve(shares: dict[str, str], charset: str = "UTF-8") -> Iterator[samba.Samba]:
    if samba.smbd_binary() is None:
        pytest.skip(SKIP_REASON)
    try:
        server = samba.start(shares, charset)
    except RuntimeError as exc:
        pytest.fail(f"Samba is installed but smbd could not be started: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def server(share_dir: str, share_before: dict[bytes, tuple]) -> Iterator[samba.Samba]:
    """smbd (unix charset UTF-8) serving the main share as ``docs``."""
    yield from _serve({"docs": share_dir})


@pytest.fixture(scope="session")
def gbk_server(gbk_dir: str) -> Iterator[samba.Samba]:
    """smbd with ``unix charset = GBK`` serving the GBK-named tree as ``gbk``."""
    yield from _serve({"gbk": gbk_dir}, "GBK")
