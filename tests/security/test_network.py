"""No network at run time: a scan whose every process has network sockets blocked gives the very same
report as an ordinary scan, and nothing in the scanner even tries to reach the network.

The block is an audit hook installed by a ``sitecustomize`` module put first on PYTHONPATH: every
Python process of the scan runs it at start-up (the CLI, the multiprocessing forkserver, the resource
tracker) and the workers, forked from the forkserver, inherit it. It refuses (and logs) any socket
that is not a Unix-domain one, every name lookup and every urllib request. When the machine allows it
(root, or unprivileged user namespaces) the scan also runs in a new network namespace
(``unshare -n``), which has no interfaces at all, for native code that bypasses Python's sockets.
The documents refer to a loopback listener in every way they can (remote images, stylesheets, frames,
external DTDs and entities, external relationships): it must receive no connection from either scan.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.hostile import seeds, xmlbombs
from tests.hostile.scanrun import Listener

SITECUSTOMIZE = textwrap.dedent('''
    import os, socket, sys
    _LOG = os.environ["DOCSCAN_NET_LOG"]
    _LOOKUPS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo",
                "urllib.Request"}

    def _refuse(event, args):
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {event} {args!r}\\n")
        raise PermissionError(f"network blocked by the test: {event}")

    def _hook(event, args):
        if event == "socket.__new__" and args[1] not in (socket.AF_UNIX, -1):
            _refuse(event, args)
        elif event in ("socket.connect", "socket.sendto") and not isinstance(args[1], (str, bytes)):
            _refuse(event, args)
        elif event in _LOOKUPS:
            _refuse(event, args)

    sys.addaudithook(_hook)
    with open(_LOG + ".armed", "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\\n")
''')


def netns_available() -> bool:
    unshare = shutil.which("unshare")
    return bool(unshare) and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0


def referring_documents(folder: Path, url: str) -> None:
    """Documents that point at ``url`` in every way a reader could be tempted to follow."""
    s = seeds.seeds()
    html = (f'<html><head><link rel="stylesheet" href="{url}/a.css"><script src="{url}/a.js"></script></head>'
            f'<body><p>{seeds.MARK}</p><img src="{url}/a.png"><iframe src="{url}/f.html"></iframe>'
            f'<p>正文</p></body></html>')
    (folder / "remote.html").write_text(html, encoding="utf-8")
    (folder / "dtd.xml").write_text(f'<?xml version="1.0"?><!DOCTYPE a SYSTEM "{url}/a.dtd"><a>{seeds.MARK}</a>',
                                    encoding="utf-8")
    (folder / "entity.docx").write_bytes(xmlbombs.inject(s["a.docx"], {
        "word/document.xml": xmlbombs.docx_document(xmlbombs.external_dtd("w:document", url), "&x;"),
        "word/_rels/document.xml.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId9" TargetMode="External" Target="' + url + '/t.dotx" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"/>'
            "</Relationships>").encode()}))
    for name in ("a.xlsx", "a.pptx", "a.ofd", "a.pdf", "a.eml", "a.msg", "a.zip", "a.doc"):
        (folder / name).write_bytes(s[name])
    shutil.copy(Path(ROOT) / "tests" / "data" / "ocr" / "scan_top.png", folder / "scan.png")  # OCR, offline


def records(path: Path) -> list[dict]:
    return sorted((json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()),
                  key=lambda r: r["path"])


def test_a_scan_without_network_is_complete_and_identical_to_an_ordinary_one(tmp_path):
    tree, hook, out = tmp_path / "tree", tmp_path / "hook", tmp_path / "out"
    for folder in (tree, hook, out):
        folder.mkdir()
    listener = Listener()
    referring_documents(tree, listener.url.rsplit("/", 1)[0])
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = tmp_path / "network.log"
    blocked_env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get(
        "PYTHONPATH")])), "DOCSCAN_NET_LOG": str(log)}
    scan = [sys.executable, "cli.py", "scan", str(tree), "--jobs", "1", "--quiet", "--output"]
    prefix = ["unshare", "-n", "--"] if netns_available() else []
    runs = [subprocess.Popen(scan + [str(out / "normal.jsonl")], cwd=ROOT, stderr=subprocess.PIPE),
            subprocess.Popen(prefix + scan + [str(out / "offline.jsonl")], cwd=ROOT, env=blocked_env,
                             stderr=subprocess.PIPE)]
    errors = [proc.communicate(timeout=300)[1] for proc in runs]
    assert [proc.returncode for proc in runs] == [1, 1], errors  # both found the marked files
    assert listener.close() == 0  # not one connection, from either scan
    assert len(set(log.with_suffix(".log.armed").read_text().split())) >= 2  # the CLI and the forkserver
    assert not log.exists(), log.read_text()  # nothing even tried
    normal, offline = records(out / "normal.jsonl"), records(out / "offline.jsonl")
    assert offline == normal
    assert len({r["path"] for r in normal if "!/" not in r["path"]}) == 12
    assert all(r["status"] == "ok" for r in normal), [r for r in normal if r["status"] != "ok"]
    ocr = next(r for r in offline if r["path"].endswith("scan.png"))
    assert ocr["marking"]["level"] == "秘密"  # the OCR engine and the classifier model loaded offline
    assert any(r["suspected"] is not None or r["marking"] for r in offline)


def test_the_block_reaches_forkserver_workers_and_logs_what_it_refuses(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = tmp_path / "network.log"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DOCSCAN_NET_LOG": str(log)}
    probe = textwrap.dedent("""
        import multiprocessing, socket
        def lookup():
            try:
                socket.getaddrinfo("example.com", 80)
            except PermissionError:
                return "refused"
            return "resolved"
        if __name__ == "__main__":
            with multiprocessing.get_context("forkserver").Pool(1) as pool:
                print(pool.apply(lookup))
    """)
    script = tmp_path / "probe.py"
    script.write_text(probe, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "refused", done.stderr
    assert "socket.getaddrinfo ('example.com', 80" in log.read_text()


@pytest.mark.parametrize("family", ["AF_INET", "AF_INET6"])
def test_the_block_refuses_network_sockets_but_not_unix_ones(tmp_path, family):
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DOCSCAN_NET_LOG": str(tmp_path / "net.log")}
    code = (f"import socket\nsocket.socket(socket.AF_UNIX).close()\n"
            f"try:\n    socket.socket(socket.{family})\nexcept PermissionError:\n    print('refused')")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "refused", done.stderr
