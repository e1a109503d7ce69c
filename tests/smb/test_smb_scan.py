"""`docscan scan smb://...` end to end, as a user runs it: a subprocess, worker processes, a real smbd.

The same share is scanned over SMB and from its folder on disk; the reports must agree apart
from the paths (the known differences are those of test_smb_walk). The share must be exactly
as it was (bytes, mtime, ctime) afterwards, and the password must appear nowhere.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT
from tests.smb.samba import PASSWORD, USER, Samba
from tests.smb.share import GBK_FOLDER, GBK_NAME, GBK_REL, SMB_PREFIX, rel, snapshot

DIFFER = {"root-only.txt", "link-to-notes.txt", "loop", "pipe", "locked", "locked/inside.txt", GBK_REL}


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    records: list[dict]
    outputs: dict[str, str]  # file name -> text of everything the scan wrote
    home: str | None = None  # HOME and TMPDIR of the scan, when the test gave one


def docscan(args: Sequence[str], folder: str, password: str | None = PASSWORD, quiet: bool = True,
            home: str | None = None) -> Run:
    """Run `python cli.py scan ... --output folder/report.jsonl` with the password in the environment only.

    ``home``: an empty folder to serve as HOME and TMPDIR, to see what the scan leaves there.
    """
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DOCSCAN_SMB_")}
    if home:
        environ.update(HOME=home, TMPDIR=home, XDG_CACHE_HOME=os.path.join(home, ".cache"))
    if password is not None:
        environ["DOCSCAN_SMB_PASSWORD"] = password
    out = os.path.join(folder, "report.jsonl")
    proc = subprocess.run([sys.executable, "cli.py", "scan", *args, "--output", out, "-j", "2",
                           *(["--quiet"] if quiet else [])],
                          cwd=ROOT, env=environ, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=600)
    outputs = {}
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as fh:
            outputs[name] = fh.read()
    records = [json.loads(line) for line in outputs.get("report.jsonl", "").splitlines()]
    return Run(proc.returncode, proc.stdout, proc.stderr, records, outputs, home)


@pytest.fixture(scope="module")
def scans(server: Samba, share_dir: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    # Not quiet: the progress display counts the files in a second walk, in a thread of its own.
    remote = docscan([server.url("docs"), "--smb-user", USER], str(tmp_path_factory.mktemp("smb")), quiet=False,
                     home=str(tmp_path_factory.mktemp("home")))
    local = docscan([share_dir], str(tmp_path_factory.mktemp("local")))
    return remote, local


def test_smb_scan_reports_the_same_records_as_a_local_scan(scans: tuple[Run, Run], share_dir: str) -> None:
    remote, local = scans
    assert remote.code == local.code == 1, remote.stderr
    assert "扫描中" in remote.stderr and "Traceback" not in remote.stderr  # the progress display ran
    got = {rel(r["path"], share_dir): r for r in remote.records}
    want = {rel(r["path"], share_dir): r for r in local.records}
    assert set(got) - DIFFER == set(want) - DIFFER
    assert len(set(got) - DIFFER) == 14  # 12 files and the two members of the zip
    for name in set(got) - DIFFER:
        assert {**got[name], "path": None} == {**want[name], "path": None}, name
    assert all(r["path"].startswith(SMB_PREFIX) for r in remote.records)
    levels = {name: (got[name]["marking"] or {}).get("level") for name in got}
    assert levels["秘密通知.docx"] == "秘密" and levels["报表.xlsx"] == "机密" and levels["notes.txt"] == "绝密"
    assert levels["内部材料.pdf"] == "内部" and levels["bundle.zip!/inner/秘密附件.docx"] == "秘密"
    assert levels["公开通知.docx"] is None and levels["public.pdf"] is None


def test_a_file_the_user_cannot_read_gets_its_own_error_record(scans: tuple[Run, Run], share_dir: str) -> None:
    remote, _ = scans
    got = {rel(r["path"], share_dir): r for r in remote.records}
    assert (got["root-only.txt"]["status"], got["root-only.txt"]["error"]) == ("error", "cannot open: Permission denied")
    assert got["root-only.txt"]["size"] == os.path.getsize(os.path.join(share_dir, "root-only.txt"))
    assert got["root-only.txt"]["sha256"] is None
    assert (got["locked"]["status"], got["locked"]["error"]) == ("skipped", "folder cannot be read: Permission denied")


def test_the_share_is_unchanged_and_nothing_is_left_behind(scans: tuple[Run, Run], share_dir: str,
                                                            share_before: dict) -> None:
    assert snapshot(share_dir) == share_before
    remote, _ = scans
    assert remote.home and os.listdir(remote.home) == []  # no cache, no temporary copy of a remote file


def test_the_password_appears_nowhere(scans: tuple[Run, Run]) -> None:
    remote, _ = scans
    assert set(remote.outputs) >= {"report.jsonl", "report.jsonl.manifest.json"}
    for text in (remote.stdout, remote.stderr, *remote.outputs.values()):
        assert PASSWORD not in text
    manifest = json.loads(remote.outputs["report.jsonl.manifest.json"])
    assert "smb://127.0.0.1:" in json.dumps(manifest, ensure_ascii=False)


def test_wrong_password_stops_before_scanning(server: Samba, tmp_path) -> None:
    run = docscan([server.url("docs"), "--smb-user", USER], str(tmp_path), password="not-the-password")
    assert run.code == 2 and run.records == [] and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        f"docscan: SMB 登录失败：用户名或密码错误 (logon failure for {USER} at 127.0.0.1:{server.port})"]
    assert "not-the-password" not in run.stderr


def test_no_password_and_no_terminal(server: Samba, tmp_path) -> None:
    run = docscan([server.url("docs"), "--smb-user", USER], str(tmp_path), password=None)
    assert run.code == 2 and "DOCSCAN_SMB_PASSWORD" in run.stderr and run.records == []


def test_unreachable_server_and_missing_share(server: Samba, tmp_path) -> None:
    closed = docscan(["smb://127.0.0.1:1/docs", "--smb-user", USER], str(tmp_path))
    assert closed.code == 2 and "无法连接 SMB 服务器 127.0.0.1:1" in closed.stderr
    assert len(closed.stderr.strip().splitlines()) == 1
    missing = docscan([server.url("no-such-share"), "--smb-user", USER], str(tmp_path))
    assert missing.code == 2 and "SMB 共享或路径不存在" in missing.stderr and "\\\\127.0.0.1\\no-such-share" in missing.stderr


def test_encrypted_transport(server: Samba, tmp_path) -> None:
    run = docscan([server.url("docs", "notes.txt"), "--smb-user", USER, "--smb-encrypt", "--no-model"], str(tmp_path))
    assert run.code == 1, run.stderr
    [record] = run.records
    assert record["path"] == SMB_PREFIX + "notes.txt" and record["marking"]["level"] == "绝密"


def test_gbk_names_on_a_gbk_server(gbk_server: Samba, gbk_dir: str, tmp_path_factory) -> None:
    """With `unix charset = GBK` Samba presents GBK names as Chinese; the local scan shows their bytes."""
    remote = docscan([gbk_server.url("gbk"), "--smb-user", USER, "--no-model"], str(tmp_path_factory.mktemp("gbk1")))
    local = docscan([gbk_dir, "--no-model"], str(tmp_path_factory.mktemp("gbk2")))
    assert remote.code == local.code == 1, remote.stderr
    prefix = "\\\\127.0.0.1\\gbk\\"
    names = {GBK_NAME: "机密文件.txt", GBK_FOLDER + b"/" + "秘密报告.docx".encode("gbk"): "内部资料\\秘密报告.docx",
             b"ascii.txt": "ascii.txt"}
    want = {prefix + smb_name: next(r for r in local.records
                                    if r["path"] == os.fsencode(gbk_dir).decode() + "/" + _printable(raw))
            for raw, smb_name in names.items()}
    got = {r["path"]: r for r in remote.records}
    assert set(got) == set(want)
    for path, record in got.items():
        assert {**record, "path": None} == {**want[path], "path": None}, path
    assert got[prefix + "机密文件.txt"]["marking"]["level"] == "秘密"


def _printable(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")


def test_password_prompt_on_a_terminal(server: Samba, share_dir: str, tmp_path) -> None:
    """Without DOCSCAN_SMB_PASSWORD, a terminal gets a prompt; the typed password is not echoed and
    reaches the worker processes (the file is read)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DOCSCAN_SMB_")}
    out = str(tmp_path / "r.jsonl")
    argv = [sys.executable, "cli.py", "scan", server.url("docs", "notes.txt"), "--smb-user", USER, "--quiet",
            "--no-model", "-j", "1", "--output", out]
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session of its own whose controlling terminal is the pty
        try:
            os.chdir(ROOT)
            os.execve(sys.executable, argv, environ)
        finally:
            os._exit(127)  # never go on running the test suite in the child
    screen, typed = b"", False
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], 0.5)[0]:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
        if not typed and "SMB 密码 (nobody): ".encode() in screen:
            os.write(fd, f"{PASSWORD}\n".encode())
            typed = True
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    os.close(fd)
    assert typed and status == 1, screen
    assert PASSWORD.encode() not in screen
    with open(out, encoding="utf-8") as fh:
        [record] = [json.loads(line) for line in fh]
    assert record["path"] == SMB_PREFIX + "notes.txt" and record["marking"]["level"] == "绝密"


def test_collect_from_a_share_names_copies_by_their_own_file_name(server: Samba, tmp_path) -> None:
    evidence, out = tmp_path / "evidence", tmp_path / "out"
    out.mkdir()
    run = docscan([server.url("docs"), "--smb-user", USER, "--collect", str(evidence)], str(out))
    assert run.code == 1, run.stderr
    copies = sorted(os.listdir(evidence))
    assert copies and all("\\" not in name and not name.startswith(("0001_\\", "0001_smb")) for name in copies)
    flagged = {r["path"].split("!/", 1)[0].rsplit("\\", 1)[-1] for r in run.records if r.get("marking") or r.get("suspected")}
    assert {name.split("_", 1)[1] for name in copies if name[:4].isdigit()} <= flagged | {"登记保存清单.csv"}
