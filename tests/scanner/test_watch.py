"""Watch mode with real file system events: settle, rescans, moves, bursts, a re-created folder, stop."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import docx
import pytest

from scanner.options import ScanOptions
from scanner.records import FileRecord, Level
from scanner.watch import WatchStats, watch

OPTIONS = ScanOptions(jobs=2, classify=False, ocr=False, excludes=("*.bak", "归档"))
QUIET = 1.5  # seconds to wait before concluding that no further record comes (settle is 0.5)
MARKED = "秘密★1年\n关于开展年度保密检查工作的通知\n各单位：现将有关事项通知如下。\n"
PLAIN = "关于开展年度保密检查工作的通知\n各单位：现将有关事项通知如下。\n"


class Session:
    """``watch`` running in a thread of its own, collecting records."""

    def __init__(self, paths: list[Path], ignore: set[str] = frozenset(), poll: float | None = None) -> None:
        self.records: list[FileRecord] = []
        self.emitters: set[int] = set()
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.stats: WatchStats | None = None
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(paths, ignore, poll, ready.set))
        self.thread.start()
        assert ready.wait(60), "watch never became ready"

    def _run(self, paths: list[Path], ignore: set[str], poll: float | None, on_ready: Callable[[], None]) -> None:
        self.stats = watch([str(p) for p in paths], OPTIONS, self._emit, self.stop, on_ready=on_ready,
                           ignore=ignore, poll=poll)

    def _emit(self, record: FileRecord) -> None:
        with self.cond:
            self.emitters.add(threading.get_ident())
            self.records.append(record)
            self.cond.notify_all()

    def under(self, folder: Path) -> list[FileRecord]:
        with self.cond:
            return [r for r in self.records if r.path.startswith(str(folder) + os.sep)]

    def wait_for(self, folder: Path, count: int, timeout: float = 30, quiet: bool = True) -> list[FileRecord]:
        """The records under ``folder`` once there are ``count`` of them (then QUIET seconds for extras)."""
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.under(folder)) >= count, timeout), self.under(folder)
        if quiet:
            time.sleep(QUIET)
        return self.under(folder)

    def close(self) -> WatchStats:
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive() and self.stats is not None
        assert len(self.emitters) <= 1  # emit never ran in two threads
        return self.stats


@contextmanager
def watching(paths: list[Path], ignore: set[str] = frozenset(), poll: float | None = None) -> Iterator[Session]:
    session = Session(paths, ignore, poll)
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(scope="module")
def share(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Session]]:
    """One watched folder shared by the tests that need no watch of their own (one pool start-up)."""
    root = tmp_path_factory.mktemp("share")
    with watching([root], ignore={str(root / "report.jsonl"), str(root / "scan.db")}) as session:
        yield root, session


def marked_docx(path: Path, mark: str) -> None:
    doc = docx.Document()
    for text in (mark, "关于开展年度保密检查工作的通知", "各单位：现将有关事项通知如下。"):
        doc.add_paragraph(text)
    doc.save(str(path))


def test_created_docx_and_txt_yield_one_record_each_with_the_marking(share):
    root, session = share
    folder = root / "created"
    folder.mkdir()
    marked_docx(folder / "通知.docx", "机密★10年")
    (folder / "note.txt").write_text(MARKED, encoding="utf-8")
    records = {os.path.basename(r.path): r for r in session.wait_for(folder, 2)}
    assert len(session.under(folder)) == 2
    assert records["通知.docx"].format == "docx" and records["通知.docx"].marking.level is Level.JIMI
    assert records["note.txt"].format == "txt" and records["note.txt"].marking.level is Level.MIMI
    assert records["note.txt"].path == str(folder / "note.txt")


def test_a_file_written_in_pieces_yields_one_record_of_its_final_content(share):
    root, session = share
    folder = root / "pieces"
    folder.mkdir()
    pieces = [MARKED.encode()] + [f"第{i}段：请各单位按要求完成自查。\n".encode() for i in range(6)]
    with open(folder / "slow.txt", "wb") as fh:
        for piece in pieces:  # 1.2 s of writing with pauses shorter than the settle time
            fh.write(piece)
            fh.flush()
            time.sleep(0.2)
    (record,) = session.wait_for(folder, 1)
    content = b"".join(pieces)
    assert record.size == len(content) and record.sha256 == hashlib.sha256(content).hexdigest()
    assert record.marking.level is Level.MIMI


def test_a_modified_file_is_scanned_again(share):
    root, session = share
    folder = root / "modified"
    folder.mkdir()
    (folder / "draft.txt").write_text(PLAIN, encoding="utf-8")
    (first,) = session.wait_for(folder, 1)
    assert first.marking is None
    (folder / "draft.txt").write_text(MARKED, encoding="utf-8")
    first_again, second = session.wait_for(folder, 2)
    assert first_again is first and second.path == first.path
    assert second.marking.level is Level.MIMI and second.sha256 != first.sha256


def test_files_moved_in_yield_records_and_temporary_names_do_not(share, tmp_path):
    root, session = share
    folder = root / "moved"
    folder.mkdir()
    marked_docx(tmp_path / "outside.docx", "绝密★长期")
    os.rename(tmp_path / "outside.docx", folder / "收到.docx")  # moved in from an unwatched folder
    (folder / "~WRL0001.tmp").write_text(MARKED, encoding="utf-8")  # the way Word saves: temp, then rename
    os.rename(folder / "~WRL0001.tmp", folder / "saved.txt")
    records = {os.path.basename(r.path): r for r in session.wait_for(folder, 2)}
    assert sorted(records) == ["saved.txt", "收到.docx"] and len(session.under(folder)) == 2
    assert records["收到.docx"].marking.level is Level.JUEMI
    assert records["saved.txt"].marking.level is Level.MIMI


def test_temp_lock_output_and_excluded_files_are_ignored(share):
    root, session = share
    folder = root / "ignored"
    folder.mkdir()
    for name in ("~$通知.docx", ".~lock.通知.docx#", "x.tmp", ".notes.txt.swp", ".notes.txt.swx", "old.bak"):
        (folder / name).write_text(MARKED, encoding="utf-8")
    (folder / "归档").mkdir()  # an excluded folder
    (folder / "归档" / "old.txt").write_text(MARKED, encoding="utf-8")
    for name in ("report.jsonl", "scan.db", "scan.db-journal"):  # the outputs of this very watch
        (root / name).write_text(MARKED, encoding="utf-8")
    (folder / "real.txt").write_text(MARKED, encoding="utf-8")
    (record,) = session.wait_for(folder, 1)
    assert record.path == str(folder / "real.txt")
    assert not [r for r in session.records if os.path.dirname(r.path) == str(root)]


def test_a_burst_of_2000_files_loses_none(tmp_path):
    with watching([tmp_path]) as session:
        for i in range(2000):
            (tmp_path / f"f{i:04d}.txt").write_text(f"第{i}号通知\n", encoding="utf-8")
        records = session.wait_for(tmp_path, 2000, timeout=120)
    stats = session.stats
    assert len(records) == 2000 and {os.path.basename(r.path) for r in records} == {
        f"f{i:04d}.txt" for i in range(2000)}
    assert all(r.status.value == "ok" for r in records)
    assert stats.scanned == 2000 and stats.records == 2000 and stats.abandoned == 0
    assert stats.events >= 2000 and stats.queue_high_water > 2 * 4  # more waited than the in-flight window


def test_the_watched_folder_deleted_and_recreated_is_watched_again(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    with watching([folder]) as session:
        (folder / "before.txt").write_text(MARKED, encoding="utf-8")
        session.wait_for(folder, 1, quiet=False)
        shutil.rmtree(folder)
        folder.mkdir()
        (folder / "at-once.txt").write_text(MARKED, encoding="utf-8")  # before the folder is watched again
        session.wait_for(folder, 2, quiet=False)
        (folder / "later.txt").write_text(MARKED, encoding="utf-8")
        session.wait_for(folder, 3, quiet=False)
        os.rename(folder, tmp_path / "away")  # renamed away and a new one made: the new one is watched
        folder.mkdir()
        time.sleep(0.6)
        (folder / "last.txt").write_text(MARKED, encoding="utf-8")
        records = session.wait_for(folder, 4)
    names = [os.path.basename(r.path) for r in records]
    assert names == ["before.txt", "at-once.txt", "later.txt", "last.txt"]
    assert all(r.marking.level is Level.MIMI for r in records)
    assert session.stats.rewatched == 2


def test_stop_returns_promptly_and_abandons_unfinished_files(tmp_path):
    session = Session([tmp_path])
    with open(tmp_path / "big.txt", "w", encoding="utf-8") as fh:  # seconds of work for one worker
        fh.write("各单位：现将有关事项通知如下，请认真贯彻落实。\n" * 400_000)
    for i in range(300):
        (tmp_path / f"n{i:03d}.txt").write_text(PLAIN, encoding="utf-8")
    with session.cond:
        assert session.cond.wait_for(lambda: session.records, 30)
    started = time.monotonic()
    stats = session.close()
    assert time.monotonic() - started < 1.5
    emitted = len(session.records)
    time.sleep(1.0)
    assert len(session.records) == emitted == stats.records  # nothing emitted after watch returned
    assert stats.abandoned > 0 and stats.scanned + stats.abandoned == 301


def test_after_lost_events_changed_files_are_looked_at_again_and_scanned_ones_skipped(tmp_path):
    # Files written just before the watch starts raise no event for it, like files whose events the kernel
    # dropped when its queue overflowed (a real overflow takes ~50,000 files: benchmarks/watch_latency.py
    # --burst). watchdog reports an overflow only as this log record, which is what watch listens to.
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(MARKED, encoding="utf-8")
    with watching([tmp_path]) as session:
        (tmp_path / "seen.txt").write_text(PLAIN, encoding="utf-8")
        assert [os.path.basename(r.path) for r in session.wait_for(tmp_path, 1)] == ["seen.txt"]
        logging.getLogger("watchdog.observers.inotify_c").warning(
            "Inotify queue overflowed; filesystem events were lost")
        records = session.wait_for(tmp_path, 3)
    assert sorted(os.path.basename(r.path) for r in records) == ["a.txt", "b.txt", "seen.txt"]
    assert session.stats.overflows == 1 and session.stats.unchanged == 1  # seen.txt: not scanned twice


def test_polling_sees_created_and_modified_files(tmp_path):
    with watching([tmp_path], poll=0.2) as session:
        (tmp_path / "a.txt").write_text(PLAIN, encoding="utf-8")
        session.wait_for(tmp_path, 1, quiet=False)
        (tmp_path / "a.txt").write_text(MARKED + "（修改后）\n", encoding="utf-8")
        first, second = session.wait_for(tmp_path, 2)
    assert first.marking is None and second.marking.level is Level.MIMI


def test_a_path_that_is_not_a_folder_is_refused(tmp_path):
    (tmp_path / "file.txt").write_text(PLAIN, encoding="utf-8")
    for path in (tmp_path / "missing", tmp_path / "file.txt"):
        with pytest.raises(NotADirectoryError):
            watch([str(path)], OPTIONS, print, threading.Event())


def test_cli_watch_writes_records_and_stops_on_sigterm(tmp_path):
    """`docscan watch` as a process: a marked file appears, SIGTERM ends it cleanly with a verifiable report."""
    import json
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    folder, out = tmp_path / "inbox", tmp_path / "watch.jsonl"
    folder.mkdir()
    proc = subprocess.Popen([sys.executable, "cli.py", "watch", str(folder), "--output", str(out), "--no-model",
                             "--jobs", "1"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "监视中" in line
        (folder / "新文件.txt").write_text("秘密★1年\n关于行动的通知\n", encoding="utf-8")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (out.exists() and out.read_text(encoding="utf-8").strip()):
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 1  # something marked was found
    finally:
        proc.kill()
    [rec] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rec["marking"]["level"] == "秘密" and rec["path"].endswith("新文件.txt")
    from cli import main

    assert main(["verify", str(out) + ".manifest.json"]) == 0
