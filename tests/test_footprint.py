"""A scan writes only the outputs the user named, all owner-only; nothing in HOME or the temp folder."""

import os
import stat
import subprocess
import sys

import docx

from tests.conftest import ROOT


def snapshot(folder):
    return {os.path.join(d, f) for d, _, files in os.walk(folder) for f in files} | {
        os.path.join(d, s) for d, subs, _ in os.walk(folder) for s in subs}


def test_scan_leaves_no_trace_outside_its_outputs_and_outputs_are_owner_only(tmp_path):
    share, home, tmp, out = (tmp_path / n for n in ("share", "home", "tmp", "out"))
    for folder in (share, home, tmp, out):
        folder.mkdir()
    d = docx.Document()
    d.add_paragraph("秘密★1年")
    d.add_paragraph("关于行动方案的通知：行动组凌晨集结，抓捕方案另附。")
    d.save(share / "方案.docx")
    (share / "法规.txt").write_text("第四十八条 泄露绝密级国家秘密的，依法给予处分。\n", encoding="utf-8")
    before_share = {p: os.stat(p).st_mtime_ns for p in snapshot(share)}
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(home / ".cache")}
    cmd = [sys.executable, "cli.py", "scan", str(share), "--format", "html", "--output", str(out / "r.html"),
           "--collect", str(out / "evidence"), "--db", str(out / "r.db"), "--quiet"]
    assert subprocess.run(cmd, cwd=ROOT, env=env, timeout=300).returncode == 1
    assert snapshot(home) == set() and snapshot(tmp) == set()  # no jieba cache, no model cache, no temp files
    assert {p: os.stat(p).st_mtime_ns for p in snapshot(share)} == before_share
    written = snapshot(out)
    assert {os.path.basename(p) for p in written} >= {"r.html", "r.html.jsonl", "r.html.manifest.json", "r.db",
                                                      "evidence", "0001_方案.docx", "登记保存清单.csv",
                                                      "登记保存清单.docx"}
    for path in written:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode == (0o700 if os.path.isdir(path) else 0o600), (path, oct(mode))
