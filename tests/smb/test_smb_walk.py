"""The SMB walk and read-only opens against a real smbd, in this process (no worker pool).

Each file is scanned with scan_file twice, over SMB and from the folder on disk, and the
records must agree apart from the path. The differences that remain are listed in SMB_ONLY,
LOCAL_ONLY and SKIPS and explained there; they come from the server (Samba resolves links itself, hides names it
cannot convert) or from who reads (the local scan runs as root, the SMB user is `nobody`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from smbprotocol.exceptions import SMBResponseException

from scanner import evidence, smbio
from scanner.options import ScanOptions
from scanner.records import FileEntry
from scanner.scan import scan_file
from scanner.smb import parse
from scanner.walk import walk
from tests.smb.samba import PASSWORD, USER, Samba
from tests.smb.share import GBK_REL, SMB_PREFIX, rel

OPTIONS = ScanOptions(jobs=1)
SMB_ONLY = {  # what the SMB walk yields that the local walk does not, and why
    "locked": "folder cannot be read: Permission denied",  # root-only folder; the SMB user is nobody
}
LOCAL_ONLY = {
    "locked/inside.txt",  # the local scan runs as root and reads the root-only folder
    GBK_REL,  # Samba (unix charset UTF-8) does not list a name that is not valid UTF-8
}
SKIPS = {  # rel path -> (local skip, SMB skip)
    "link-to-notes.txt": ("symbolic link, not followed", None),  # Samba resolves it: read as a file
    "loop": ("symbolic link, not followed", "same folder as \\\\127.0.0.1\\docs (a link on the server), "
                                            "not walked again"),
    "pipe": ("special file (named pipe (FIFO)), not opened", None),  # Samba shows a 0-byte file
}


@pytest.fixture(scope="module", autouse=True)
def _credentials() -> Iterator[None]:
    """This process's SMB credentials, as scanner.smb.prepare leaves them for the workers."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DOCSCAN_SMB_USER", USER)
    mp.setenv("DOCSCAN_SMB_PASSWORD", PASSWORD)
    mp.setenv("DOCSCAN_SMB_ENCRYPT", "0")
    mp.delenv("DOCSCAN_SMB_DOMAIN", raising=False)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def entries(server: Samba, share_dir: str) -> tuple[dict[str, FileEntry], dict[str, FileEntry]]:
    remote = {rel(e.path, share_dir): e for e in walk([server.url("docs")])}
    local = {rel(e.path, share_dir): e for e in walk([share_dir])}
    return local, remote


def test_walk_order_and_entries(server: Samba, share_dir: str) -> None:
    remote = [rel(e.path, share_dir) for e in walk([server.url("docs")])]
    local = [rel(e.path, share_dir) for e in walk([share_dir])]
    # The same order as the local walk: the root-only folder is one skipped entry, the GBK name is not listed.
    assert remote == ["locked" if r == "locked/inside.txt" else r for r in local if r != GBK_REL]
    assert remote[:4] == ["bundle.zip", "empty.txt", "link-to-notes.txt", "locked"]
    assert remote[-4:] == ["公开通知.docx", "内部材料.pdf", "报表.xlsx", "秘密通知.docx"]


def test_entries_carry_size_mtime_and_identity(entries, server: Samba, share_dir: str) -> None:
    local, remote = entries
    for name, entry in remote.items():
        if entry.skip or name not in local or local[name].skip:
            continue
        st = os.stat(os.path.join(share_dir, name))
        assert entry.fspath == server.url("docs", *name.split("/"))
        assert entry.path == SMB_PREFIX + name.replace("/", "\\")
        assert entry.size == st.st_size
        assert abs(entry.mtime - st.st_mtime) < 2e-6  # SMB: 100 ns ticks, smbprotocol keeps microseconds
        assert entry.inode == st.st_ino  # Samba's file id is the inode number
        assert entry.device != 0


def test_skips(entries) -> None:
    local, remote = entries
    for name, reason in SMB_ONLY.items():
        assert remote[name].skip == reason
    for name, (local_skip, remote_skip) in SKIPS.items():
        assert local[name].skip == local_skip
        assert remote[name].skip == remote_skip


def test_excludes_match_names_and_paths(server: Samba) -> None:
    got = [e.path for e in walk([server.url("docs")], excludes=("*.pdf", "sub", "*\\locked", "loop"))]
    assert not any(p.endswith(".pdf") or "\\sub\\" in p or p.endswith(("locked", "loop")) for p in got)
    assert SMB_PREFIX + "notes.txt" in got and SMB_PREFIX + "报表.xlsx" in got


def test_a_single_file_and_a_subfolder_as_the_top(server: Samba, share_dir: str) -> None:
    [one] = walk([server.url("docs", "sub", "深层", "说明.txt")])
    assert one.path == SMB_PREFIX + "sub\\深层\\说明.txt" and one.skip is None
    assert one.size == os.path.getsize(os.path.join(share_dir, "sub", "深层", "说明.txt"))
    sub = [e.path for e in walk([server.url("docs", "sub")])]
    assert sub == [SMB_PREFIX + "sub\\ordinary.docx", SMB_PREFIX + "sub\\深层\\说明.txt"]


def test_a_missing_top_is_one_skipped_entry(server: Samba) -> None:
    [entry] = walk([server.url("docs", "no-such-folder")])
    assert entry.path == SMB_PREFIX + "no-such-folder"
    assert entry.skip == "cannot be read: No such file or directory"


def test_open_is_random_access_and_stat_shows_the_remote_file(server: Samba, share_dir: str) -> None:
    local_path = os.path.join(share_dir, "bundle.zip")
    with open(local_path, "rb") as fh:
        data = fh.read()
    with evidence.open_readonly(server.url("docs", "bundle.zip")) as fh:
        assert fh.read(4) == b"PK\x03\x04"
        fh.seek(-22, os.SEEK_END)
        assert fh.read() == data[-22:] and fh.tell() == len(data)
        fh.seek(100)
        assert fh.read(50) == data[100:150]
        st, local = evidence.fstat(fh), os.stat(local_path)
        assert st.st_size == local.st_size and abs(st.st_mtime_ns - local.st_mtime_ns) < 1000
        with pytest.raises(OSError):  # no local descriptor stands for a remote file
            fh.fileno()
    with evidence.open_readonly(local_path) as fh:
        local_ev = evidence.take(fh)
    assert evidence.take_path(server.url("docs", "bundle.zip")) == local_ev
    assert evidence.take_path(SMB_PREFIX + "bundle.zip") == local_ev  # the report's UNC path opens too


@pytest.mark.parametrize(("name", "error"), [("root-only.txt", PermissionError),
                                             ("no-such.txt", FileNotFoundError), ("sub", IsADirectoryError)])
def test_open_failures_are_plain_os_errors(server: Samba, name: str, error: type) -> None:
    with pytest.raises(error) as err:
        evidence.open_readonly(server.url("docs", name))
    assert err.value.filename == SMB_PREFIX + name and "NtStatus" not in str(err.value)


def test_records_over_smb_equal_the_local_ones(entries, share_dir: str) -> None:
    local, remote = entries
    got = {rel(r["path"], share_dir): r for e in remote.values()
           for r in (x.to_json() for x in scan_file(e, OPTIONS))}
    want = {rel(r["path"], share_dir): r for e in local.values()
            for r in (x.to_json() for x in scan_file(e, OPTIONS))}
    differ = {"root-only.txt", "link-to-notes.txt", "loop", "pipe"} | set(SMB_ONLY)
    for name in set(got) - differ:
        assert {**got[name], "path": None} == {**want[name], "path": None}, name
    assert "bundle.zip!/inner/秘密附件.docx" in got and got["秘密通知.docx"]["marking"]["level"] == "秘密"
    assert got["root-only.txt"]["status"] == "error"
    assert got["root-only.txt"]["error"] == "cannot open: Permission denied"
    assert want["root-only.txt"]["marking"]["level"] == "秘密"  # root reads it locally
    for key in ("status", "format", "size", "mtime", "sha256", "marking"):  # the server read the link's target
        assert got["link-to-notes.txt"][key] == want["notes.txt"][key]
    assert got["pipe"]["status"] == "unsupported" and want["pipe"]["status"] == "skipped"
    assert got["loop"]["status"] == want["loop"]["status"] == "skipped"


def test_without_credentials_the_file_gets_an_error_record(server: Samba, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCSCAN_SMB_PASSWORD", raising=False)
    entry = FileEntry(server.url("docs", "notes.txt"), SMB_PREFIX + "notes.txt", 10)
    [record] = scan_file(entry, OPTIONS)
    assert record.status.value == "error"
    assert record.error == "cannot open: no SMB credentials in this process (DOCSCAN_SMB_USER/PASSWORD)"


def test_each_thread_has_its_own_session_and_encryption_is_negotiated_when_asked(
        server: Samba, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCSCAN_SMB_ENCRYPT", "1")
    found: list = []

    def connect() -> None:
        cache = smbio.connect(parse(server.url("docs")))["connection_cache"]
        found.append((id(cache), [s.encrypt_data for c in cache.values() for s in c.session_table.values()]))

    threads = [threading.Thread(target=connect) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({cache for cache, _ in found}) == 2
    assert [sessions for _, sessions in found] == [[True], [True]]


def test_a_dropped_connection_is_made_again_with_the_credentials(server: Samba, share_dir: str) -> None:
    cache = smbio.connect(parse(server.url("docs")))["connection_cache"]
    for connection in list(cache.values()):
        connection.disconnect(close=False)  # the socket goes away without a logoff, as when a link drops
    size = os.path.getsize(os.path.join(share_dir, "notes.txt"))
    assert evidence.take_path(server.url("docs", "notes.txt")).size == size
    for connection in list(cache.values()):
        connection.disconnect(close=False)
    assert [e.skip for e in walk([server.url("docs", "sub")])] == [None, None]


def test_the_handle_cannot_write_even_on_a_writable_share(server: Samba, share_dir: str) -> None:
    """The server itself refuses: the open asked for FILE_READ_DATA | FILE_READ_ATTRIBUTES only."""
    with open(os.path.join(share_dir, "plain.txt"), "rb") as fh:
        before = fh.read()
    with evidence.open_readonly(server.url("docs", "plain.txt")) as fh:
        with pytest.raises(SMBResponseException) as err:
            fh.raw.handle.write(b"overwritten", 0)
        assert err.value.status == 0xC0000022  # STATUS_ACCESS_DENIED
        assert fh.read() == before
    with open(os.path.join(share_dir, "plain.txt"), "rb") as fh:
        assert fh.read() == before
