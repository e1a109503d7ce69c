"""Faults during a scan, through the real worker pool (scanner.workers.run): files that change
between listing and reading, a worker killed as a segfault would kill it, a file past the per-file
deadline, and files that need more memory than the worker's cap. Each costs only its own file."""

from __future__ import annotations

import io
import os
import random
import re
import signal
import threading
import time
import zipfile
from pathlib import Path

from scanner import workers
from scanner.options import MB, ScanOptions
from scanner.walk import walk
from tests.hostile import seeds, xmlbombs
from tests.processes import descendants, has_open
from tests.scanner.xlsx_builders import big_xlsx

FAST = {"classify": False, "ocr": False}


def scan(entries, **opts):
    records = []
    workers.run(entries, ScanOptions(**opts), lambda entry, recs: records.extend(recs))
    return {os.path.basename(r.path): r for r in records if "!/" not in r.path}


def notes(folder: Path, n: int) -> None:
    for i in range(n):
        (folder / f"note{i}.txt").write_text(f"{seeds.MARK}\n第{i}份通知\n", encoding="utf-8")


def test_files_that_change_between_listing_and_reading(tmp_path):
    names = ["gone.txt", "emptied.txt", "grown.txt", "fifo.txt", "link.txt", "folder.txt"]
    for name in names:
        (tmp_path / name).write_text("普通通知\n", encoding="utf-8")
    listed = list(walk([str(tmp_path)]))  # the walk has seen regular files ...
    (tmp_path / "gone.txt").unlink()  # ... and now they change under the scanner
    (tmp_path / "emptied.txt").write_bytes(b"")
    (tmp_path / "grown.txt").write_text(f"{seeds.MARK}\n普通通知\n", encoding="utf-8")
    (tmp_path / "fifo.txt").unlink()
    os.mkfifo(tmp_path / "fifo.txt")  # opening it for reading would block if the scanner were not careful
    (tmp_path / "link.txt").unlink()
    (tmp_path / "link.txt").symlink_to("/etc/passwd")
    (tmp_path / "folder.txt").unlink()
    (tmp_path / "folder.txt").mkdir()
    started = time.monotonic()
    recs = scan(listed, jobs=2, timeout=30, **FAST)
    assert time.monotonic() - started < 30
    assert sorted(recs) == sorted(names)
    assert (recs["gone.txt"].status.value, recs["gone.txt"].error) == ("error", "file vanished before it could be read")
    assert recs["emptied.txt"].status.value == "unsupported" and recs["emptied.txt"].size == 0
    grown = recs["grown.txt"]  # evidence and text come from what was read, consistently
    assert grown.status.value == "ok" and grown.marking.level.value == "秘密"
    assert grown.size == len(f"{seeds.MARK}\n普通通知\n".encode())
    for name in ("fifo.txt", "link.txt", "folder.txt"):
        rec = recs[name]
        assert rec.status.value == "error" and rec.error.startswith("cannot open"), rec


def test_the_reason_stays_one_line_when_a_replaced_file_has_control_characters_in_its_name(tmp_path):
    for name in ("line\nbreak.txt", "esc\x1b[31m.txt"):
        (tmp_path / name).write_text("普通通知\n", encoding="utf-8")
    listed = list(walk([str(tmp_path)]))
    for name in ("line\nbreak.txt", "esc\x1b[31m.txt"):
        (tmp_path / name).unlink()
        os.mkfifo(tmp_path / name)
    recs = scan(listed, jobs=1, timeout=30, **FAST)
    for rec in recs.values():
        assert rec.status.value == "error" and rec.error.startswith("cannot open"), rec
        assert not re.search(r"[\x00-\x1f]", rec.error), rec  # one line, no control characters


def hostile_zip(path: Path, copies: int, levels: int, leaf: int) -> None:
    """A 42.zip-shaped bomb whose leaves stay under the ratio floor, so only the deadline can stop it."""
    blob = _zip([(f"z{i}.bin", bytes(leaf)) for i in range(copies)])
    for level in range(levels):
        blob = _zip([(f"l{level}-{i}.zip", blob) for i in range(copies)])
    path.write_bytes(blob)


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def test_the_per_file_deadline_ends_a_bomb_and_the_scan_goes_on(tmp_path):
    hostile_zip(tmp_path / "a-bomb.zip", copies=8, levels=4, leaf=MB)  # 32 GB to inflate in all
    notes(tmp_path, 3)
    started = time.monotonic()
    recs = scan(walk([str(tmp_path)]), jobs=1, timeout=1.5, **FAST)
    assert time.monotonic() - started < 30
    assert (recs["a-bomb.zip"].status.value, recs["a-bomb.zip"].error) == ("error", "timeout after 1.5 s")
    assert recs["a-bomb.zip"].sha256  # its evidence all the same
    assert all(recs[f"note{i}.txt"].marking for i in range(3))  # read by the replacement worker


def test_a_worker_that_segfaults_costs_only_its_file(tmp_path):
    big_xlsx(str(tmp_path / "a-rows.xlsx"), 200_000)
    notes(tmp_path, 4)
    target = str(tmp_path / "a-rows.xlsx")
    killed = []

    def segfault_the_reader():  # as a crash in a native parser would end the worker
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            for pid in descendants(os.getpid()):
                if has_open(pid, target):
                    os.kill(pid, signal.SIGSEGV)
                    killed.append(pid)
                    return
            time.sleep(0.002)

    killer = threading.Thread(target=segfault_the_reader)
    killer.start()
    recs = scan(walk([str(tmp_path)]), jobs=1, timeout=60, **FAST)
    killer.join()
    assert killed and len(recs) == 5
    assert recs["a-rows.xlsx"].status.value == "error"
    assert recs["a-rows.xlsx"].error == "worker process died while reading this file (exit code -11)"
    assert all(recs[f"note{i}.txt"].marking for i in range(4))


def big_member_zip(path: Path, megabytes: int) -> None:
    """One member of ``megabytes`` MB that deflates about 130:1 (under the bomb ratio limit of 200)."""
    block = random.Random(5).randbytes(1024) * 1024
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("big.bin", "w", force_zip64=True) as fh:
            for _ in range(megabytes):
                fh.write(block)


def big_docx(path: Path, paragraphs: int) -> None:
    """A DOCX whose body is ``paragraphs`` paragraphs (20 MB of XML for 400,000): libxml2's tree of it
    takes about 12 times that."""
    rng = random.Random(7)
    para = "".join(f"<w:p><w:r><w:t>第{i}段{rng.randrange(10**9)}</w:t></w:r></w:p>" for i in range(20_000))
    body = (f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{xmlbombs.W_NS}"><w:body>'
            + para * (paragraphs // 20_000) + "</w:body></w:document>").encode()
    path.write_bytes(xmlbombs.inject(seeds.seeds()["a.docx"], {"word/document.xml": body}))


def worker_memory(note: Path) -> int:
    """Bytes of address space a worker of this test session holds once it has scanned a small file
    (it depends on what the forkserver preloads: under pytest, pytest itself)."""
    options = ScanOptions(jobs=1, **FAST)
    with workers.pool(options) as pool:
        pool.schedule(workers.scan_in_worker, (next(walk([str(note)])), options)).result()
        status = pool.schedule(Path.read_text, (Path("/proc/self/status"),)).result()
    return int(re.search(r"VmSize:\s+(\d+) kB", status).group(1)) * 1024


def test_a_file_over_the_memory_cap_is_its_own_error_and_the_worker_goes_on(tmp_path):
    notes(tmp_path, 3)
    cap = worker_memory(tmp_path / "note0.txt") + 160 * MB
    big_member_zip(tmp_path / "a-member.zip", 190)  # 190 MB in memory, twice while its pieces are joined
    big_docx(tmp_path / "b-body.docx", 400_000)  # libxml2 needs some 240 MB for its tree
    big_member_zip(tmp_path / "c-small-member.zip", 20)
    recs = scan(walk([str(tmp_path)]), jobs=1, max_memory=cap, **FAST)
    for name in ("a-member.zip", "b-body.docx"):
        assert (recs[name].status.value, recs[name].error) == ("error", "out of memory while reading this file")
    assert recs["c-small-member.zip"].status.value == "ok"  # a smaller file of the same kind fits
    assert all(recs[f"note{i}.txt"].marking for i in range(3))  # the same worker, after two MemoryErrors
