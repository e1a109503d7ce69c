"""Scale-out over Dask: the same report as the local pool, per-file deadlines, a dead worker costs its file.

A LocalCluster of two worker processes on loopback stands in for file servers sharing a mount.
Its scheduler gives up on a task at the first worker death (allowed-failures 0), so the
killed-worker test sees the failure path; with Dask's default (3) the task is retried on another
worker, which would cost that test a full parse of its big PDF.
"""

import io
import os
import shutil
import signal
import socket
import sys
import threading
import time
import zipfile

import dask
import docx
import pytest
from distributed import LocalCluster
from reportlab.pdfgen import canvas

from scanner import cluster, workers
from scanner.options import ScanOptions
from scanner.walk import walk
from tests.processes import descendants, has_open
from tests.scanner.pdf_builders import CJK_FONT, Text, build_pdf

BODY = "根据工作安排，现将有关事项通知如下，请各单位认真抓好落实。"


@pytest.fixture(scope="module")
def address():
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                             dashboard_address=None)
    try:
        yield local.scheduler_address
    finally:
        local.close()


@pytest.fixture(scope="module")
def slow_pdf(tmp_path_factory):
    """1500 pages of CJK text: seconds of parsing, against milliseconds for the other files."""
    path = tmp_path_factory.mktemp("slow") / "a_slow.pdf"
    c = canvas.Canvas(str(path), invariant=1)
    for p in range(1500):
        c.setFont(CJK_FONT, 10)
        for k in range(60):
            c.drawString(40, 800 - 12 * k, f"第{p + 1}页第{k + 1}行：根据工作安排，现将有关事项通知如下。" * 2)
        c.showPage()
    c.save()
    return path


def docx_bytes(*paragraphs):
    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def build_tree(root):
    """Marked and unmarked DOCX/TXT/PDF, a broken DOCX, a zip inside a zip, a FIFO the walk skips."""
    files = {
        "docs/marked.docx": docx_bytes("秘密★1年", "关于做好年度重点工作的通知", BODY),
        "docs/plain.docx": docx_bytes("关于做好年度重点工作的通知", BODY),
        "docs/broken.docx": docx_bytes("机密★5年", BODY)[:700],
        "txt/marked.txt": f"机密★10年\n关于召开工作会议的通知\n{BODY}\n".encode(),
        "txt/plain.txt": f"关于召开工作会议的通知\n{BODY}\n".encode(),
        "pdf/marked.pdf": build_pdf([[Text(72, 60, "秘密★6个月"), Text(72, 150, "关于印发实施方案的通知"),
                                      Text(72, 170, BODY)]]),
        "pdf/plain.pdf": build_pdf([[Text(72, 150, "关于印发实施方案的通知"), Text(72, 170, BODY)]]),
        "zips/outer.zip": zip_bytes([
            ("note.txt", f"内部\n{BODY}\n".encode()),
            ("inner.zip", zip_bytes([("deep.docx", docx_bytes("绝密★长期", "关于保密工作的通知", BODY))])),
        ]),
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    os.mkfifo(root / "txt" / "pipe")
    return root


def collect(records):
    def emit(entry, recs):
        assert recs[0].path == entry.path  # the file's own record first, then its members'
        records.extend(recs)

    return emit


def on_cluster(address, root, window=None, **opts):
    records = []
    cluster.run(walk([str(root)]), ScanOptions(**opts), collect(records), address, window=window)
    return records


def in_pool(root, **opts):
    records = []
    workers.run(walk([str(root)]), ScanOptions(**opts), collect(records))
    return records


def report(records):
    return sorted((r.to_json() for r in records), key=lambda r: r["path"])


def by_name(records, root):
    return {os.path.relpath(r.path, root): r for r in records}


def test_the_cluster_report_is_the_local_pool_report(address, tmp_path):
    root = build_tree(tmp_path)
    records = on_cluster(address, root, jobs=2)
    assert report(records) == report(in_pool(root, jobs=2))
    recs = {k: (r.status.value, r.marking.level.value if r.marking else None) for k, r in by_name(records, root).items()}
    assert recs == {
        "docs/marked.docx": ("ok", "秘密"),
        "docs/plain.docx": ("ok", None),
        "docs/broken.docx": ("error", None),
        "txt/marked.txt": ("ok", "机密"),
        "txt/plain.txt": ("ok", None),
        "txt/pipe": ("skipped", None),
        "pdf/marked.pdf": ("ok", "秘密"),
        "pdf/plain.pdf": ("ok", None),
        "zips/outer.zip": ("ok", None),
        "zips/outer.zip!/note.txt": ("ok", "内部"),
        "zips/outer.zip!/inner.zip": ("ok", None),
        "zips/outer.zip!/inner.zip!/deep.docx": ("ok", "绝密"),
    }


def test_a_window_of_one_file_still_scans_everything(address, tmp_path):
    for i in range(12):
        (tmp_path / f"note{i:02d}.txt").write_text(f"第{i}份普通通知，请按时参加会议。\n", encoding="utf-8")
    records = on_cluster(address, tmp_path, window=1)
    assert sorted(os.path.basename(r.path) for r in records) == [f"note{i:02d}.txt" for i in range(12)]
    assert {r.status.value for r in records} == {"ok"}


def test_a_file_over_its_deadline_is_killed_on_the_worker(address, slow_pdf, tmp_path):
    os.link(slow_pdf, tmp_path / "a_slow.pdf")
    for i in range(6):
        (tmp_path / f"note{i}.txt").write_text(f"秘密★{i + 1}年\n{BODY}\n", encoding="utf-8")
    started = time.monotonic()
    recs = by_name(on_cluster(address, tmp_path, timeout=0.5), tmp_path)
    assert time.monotonic() - started < 20  # the parse alone takes far longer than the whole scan
    slow = recs.pop("a_slow.pdf")
    assert (slow.status.value, slow.error) == ("error", "timeout after 0.5 s")
    assert slow.sha256 and slow.size == os.path.getsize(slow_pdf)  # evidence taken all the same
    assert {k: (r.status.value, r.error, r.marking and r.marking.level.value) for k, r in recs.items()} == {
        f"note{i}.txt": ("ok", None, "秘密") for i in range(6)}




def _parent(pid):
    with open(f"/proc/{pid}/stat", "rb") as fh:
        stat = fh.read()
    return int(stat[stat.rindex(b")") + 2:].split()[1])




def test_a_dead_worker_costs_only_its_file(address, slow_pdf, tmp_path):
    os.link(slow_pdf, tmp_path / "a_big.pdf")
    for i in range(6):
        (tmp_path / f"note{i}.txt").write_text(f"第{i}份普通通知，请按时参加会议。\n", encoding="utf-8")
    target = str(tmp_path / "a_big.pdf")
    killed = []

    def kill_the_worker():  # SIGKILL the Dask worker (the parser child's parent) while the PDF is read
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not killed:
            for pid in descendants(os.getpid()):
                if has_open(pid, target):
                    killed.append(_parent(pid))
                    os.kill(killed[0], signal.SIGKILL)
                    return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    started = time.monotonic()
    # two files in flight over two workers: the dying worker holds only the PDF
    recs = by_name(on_cluster(address, tmp_path, window=2, timeout=120), tmp_path)
    killer.join()
    assert killed and killed[0] != os.getpid()
    assert time.monotonic() - started < 20  # nobody waited for the parse of the big PDF
    big = recs.pop("a_big.pdf")
    assert big.status.value == "error"
    assert big.error.startswith("cluster worker died while reading this file (last on tcp://127.0.0.1:")
    assert big.sha256 and big.size == os.path.getsize(slow_pdf)  # hashed here, on the client
    assert {k: r.status.value for k, r in recs.items()} == {f"note{i}.txt": "ok" for i in range(6)}


def test_an_unreachable_scheduler_is_a_cluster_error(tmp_path):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "a.txt").write_text("通知\n", encoding="utf-8")
    records = []
    with pytest.raises(cluster.ClusterError, match=rf"cannot reach the cluster at tcp://127.0.0.1:{port}"):
        cluster.run(walk([str(tmp_path)]), ScanOptions(), collect(records), f"tcp://127.0.0.1:{port}",
                    connect_timeout=1)
    assert records == []


def test_a_worker_that_cannot_load_the_rules_stops_the_scan(address, tmp_path):
    (tmp_path / "a.txt").write_text("通知\n", encoding="utf-8")
    missing = str(tmp_path / "no-such-rules")  # custom rules must sit at the same path on every worker
    with pytest.raises(cluster.ClusterError, match=rf"a cluster worker cannot scan\): RuleError: {missing}: rules folder"):
        on_cluster(address, tmp_path, rules_dir=missing)


def test_a_missing_distributed_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what `import distributed` meets when not installed
    with pytest.raises(cluster.ClusterError, match=r"pip install 'docscan\[cluster\]'"):
        cluster.run(walk([str(tmp_path)]), ScanOptions(), print, "tcp://127.0.0.1:8786")


def test_the_parser_child_is_reused_and_replaced_after_a_timeout(slow_pdf, tmp_path):
    shutil.copy(slow_pdf, tmp_path / "slow.pdf")
    (tmp_path / "a.txt").write_text("秘密★1年\n通知\n", encoding="utf-8")
    entries = {os.path.basename(e.path): e for e in walk([str(tmp_path)])}
    options = ScanOptions(timeout=0.5)
    [first] = cluster.scan_isolated(entries["a.txt"], options)
    pids = [child.proc.pid for child in cluster._idle.children]
    [again] = cluster.scan_isolated(entries["a.txt"], options)
    assert [child.proc.pid for child in cluster._idle.children] == pids and len(pids) == 1
    assert first == again and first.marking.level.value == "秘密"
    [slow] = cluster.scan_isolated(entries["slow.pdf"], options)
    assert slow.error == "timeout after 0.5 s"
    assert not cluster._idle.children  # the stuck child was killed, not given back
    [after] = cluster.scan_isolated(entries["a.txt"], options)
    assert after == first and [c.proc.pid for c in cluster._idle.children] != pids
    while cluster._idle.children:
        cluster._idle.children.pop().kill()


def test_cli_cluster_unreachable_is_exit_2(tmp_path, capsys):
    from cli import main

    (tmp_path / "a.txt").write_text("正文", encoding="utf-8")
    assert main(["scan", str(tmp_path / "a.txt"), "--cluster", "tcp://127.0.0.1:9", "--quiet", "--no-model"]) == 2
    assert "cannot reach the cluster" in capsys.readouterr().err
