"""The process pool: per-file deadlines, a killed worker costs only its file, nothing is lost."""

import os
import signal
import threading
import time

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from scanner import workers
from scanner.options import ScanOptions
from scanner.walk import walk
from tests.processes import descendants, has_open


def long_pdf(path, pages):
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), invariant=1)
    for p in range(pages):
        c.setFont("STSong-Light", 10)
        for k in range(60):
            c.drawString(40, 800 - 12 * k, f"第{p + 1}页第{k + 1}行：根据工作安排，现将有关事项通知如下。" * 2)
        c.showPage()
    c.save()
    return path


def small_files(folder, n):
    for i in range(n):
        (folder / f"note{i:02d}.txt").write_text(f"第{i}份普通通知，请按时参加会议。\n", encoding="utf-8")


def scan(folder, **opts):
    records = []
    workers.run(walk([str(folder)]), ScanOptions(**opts), lambda entry, recs: records.extend(recs))
    return {os.path.basename(r.path): r for r in records}


def test_every_file_gets_one_record_in_parallel(tmp_path):
    small_files(tmp_path, 25)
    recs = scan(tmp_path, jobs=2)
    assert len(recs) == 25 and all(r.status.value == "ok" for r in recs.values())


def test_timeout_kills_the_worker_and_the_scan_goes_on(tmp_path):
    long_pdf(tmp_path / "a_slow.pdf", 1500)  # seconds of work; the small notes take milliseconds
    small_files(tmp_path, 5)
    started = time.monotonic()
    recs = scan(tmp_path, jobs=1, timeout=0.5)
    assert recs["a_slow.pdf"].status.value == "error"
    assert recs["a_slow.pdf"].error == "timeout after 0.5 s"
    assert recs["a_slow.pdf"].sha256 and recs["a_slow.pdf"].size > 0  # evidence taken all the same
    assert all(recs[f"note{i:02d}.txt"].status.value == "ok" for i in range(5))  # the replacement worker
    assert time.monotonic() - started < 60






def test_a_crashed_worker_costs_only_its_file(tmp_path):
    long_pdf(tmp_path / "a_big.pdf", 400)
    small_files(tmp_path, 5)

    target = str(tmp_path / "a_big.pdf")

    def kill_the_worker():  # SIGKILL, as a segfault in a native parser would end it, while it reads the PDF
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for pid in descendants(os.getpid()):
                if has_open(pid, target):
                    os.kill(pid, signal.SIGKILL)
                    return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    recs = scan(tmp_path, jobs=1, timeout=120)
    killer.join()
    assert len(recs) == 6
    assert recs["a_big.pdf"].status.value == "error"
    assert "worker process died" in recs["a_big.pdf"].error
    assert all(recs[f"note{i:02d}.txt"].status.value == "ok" for i in range(5))


def test_largest_first_within_the_lookahead():
    from scanner.records import FileEntry

    entries = [FileEntry(str(i), str(i), size=s) for i, s in enumerate([5, 1, 9, 3, 7, 2])]
    assert [e.size for e in workers.largest_first(entries, 100)] == [9, 7, 5, 3, 2, 1]
    # with a lookahead of 2, memory stays bounded and order is only locally by size
    assert sorted(e.size for e in workers.largest_first(entries, 2)) == [1, 2, 3, 5, 7, 9]
    assert [e.size for e in workers.largest_first(entries, 2)][0] == 9
