"""Registering through the real scan: `fingerprint add` and `scan --fingerprint-marked`, in worker processes."""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from scanner import fingerprint_cli, store
from scanner import fingerprint_spool as spool
from scanner.fingerprint_cli import add
from scanner.options import ScanOptions
from scanner.records import FileEntry
from scanner.run import scan_paths
from scanner.store import Store
from tests.fingerprint.conftest import write_docx, write_txt
from tests.fingerprint.texts import PARAGRAPHS, corpus_texts


def _docx_bytes(tmp_path: Path, paragraphs: list[str] | tuple[str, ...], mark: str | None) -> bytes:
    return write_docx(tmp_path / "member.docx", paragraphs, mark=mark).read_bytes()


def _registry(db: str) -> dict[str, tuple[str | None, int]]:
    conn = sqlite3.connect(db)
    return {p: (lv, n) for p, lv, n in conn.execute("SELECT path, level, fingerprints FROM fp_documents")}


def test_add_registers_every_file_and_archive_member(db: str, tmp_path: Path) -> None:
    folder = tmp_path / "登记"
    folder.mkdir()
    marked = write_docx(folder / "方案.docx", PARAGRAPHS[:3])
    plain = write_txt(folder / "无标志.txt", list(PARAGRAPHS[3:]))
    law = corpus_texts("public-train")[0][1]
    with zipfile.ZipFile(folder / "材料.zip", "w") as zf:
        zf.writestr("内/秘密文件.docx", _docx_bytes(tmp_path, law.splitlines()[:20], "秘密★5年"))
    write_txt(folder / "空.txt", ["。"])
    results = add(db, [str(folder)], ScanOptions(jobs=2, quiet=True, ocr=False, fingerprint_level="秘密"))
    by_path = {r.path: r for r in results}
    member = f"{folder / '材料.zip'}!/内/秘密文件.docx"
    assert set(by_path) == {str(marked), str(plain), member, str(folder / "空.txt")}  # the zip itself: no text
    assert _registry(db) == {str(marked): ("机密", by_path[str(marked)].registered.fingerprints),
                             str(plain): ("秘密", by_path[str(plain)].registered.fingerprints),
                             member: ("秘密", by_path[member].registered.fingerprints)}
    assert all(by_path[p].new for p in (str(marked), str(plain), member))
    assert by_path[str(folder / "空.txt")].registered is None and "too little text" in by_path[
        str(folder / "空.txt")].reason
    again = add(db, [str(marked)], ScanOptions(jobs=1, quiet=True, ocr=False))
    assert [(r.path, r.new, r.registered.id) for r in again] == [(str(marked), False, by_path[str(marked)].registered.id)]


def test_add_command_line(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_txt(tmp_path / "底稿.txt", list(PARAGRAPHS))
    parser = argparse.ArgumentParser(prog="docscan")
    fingerprint_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["fingerprint", "add", str(source), "--db", db, "--level", "绝密", "-j", "1", "-q"])
    assert fingerprint_cli.command(args) == 0
    out, err = capsys.readouterr()
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["path"] == str(source) and row["level"] == "绝密" and row["new"] is True and row["id"] == 1
    assert "新登记 1 个" in err
    bad = parser.parse_args(["fingerprint", "add", str(tmp_path / "none"), "--db", db])
    assert fingerprint_cli.command(bad) == 2
    assert fingerprint_cli.command(parser.parse_args(["fingerprint"])) == 2


def test_scan_registers_marked_files_while_the_results_store_holds_its_lock(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worst case: the results store never commits until the scan ends, and one worker."""
    monkeypatch.setattr(store, "BATCH", 10**9)
    monkeypatch.setattr(store, "COMMIT_SECONDS", 10**9)
    folder = tmp_path / "检查"
    folder.mkdir()
    first = write_docx(folder / "一.docx", PARAGRAPHS[:3])
    second = write_txt(folder / "二.txt", ["秘密★1年", *PARAGRAPHS[3:]])
    declassified = write_txt(folder / "三.txt", ["秘密★1年", "已解密", *corpus_texts("train/内部")[1][1]
                                               .splitlines()])
    for i, (_, text) in enumerate(corpus_texts("eval/公开")[:6]):
        write_txt(folder / f"公开{i}.txt", text.splitlines())
    results = Store(db)
    run_id = results.begin_run({"started": "now"})
    results.add_entry(run_id, FileEntry("x", "x"), [{"path": "x", "status": "ok", "sha256": None}])  # lock taken

    def sink(entry: FileEntry, records: list[dict[str, Any]]) -> None:
        results.add_entry(run_id, entry, records)

    options = ScanOptions(fingerprints=db, fingerprint_marked=True, jobs=1, classify=False, ocr=False, quiet=True)
    began = time.monotonic()
    scan_paths([str(folder)], options, [sink])
    took = time.monotonic() - began
    results.close()
    assert took < 30  # never waited out a lock cycle (each marked file waits at most WRITE_WAIT once)
    assert len(list((Path(spool.folder(db))).iterdir())) == 2  # both kept pending, not lost
    spool.merge(db, spool.writer(db, 5.0))
    assert set(_registry(db)) == {str(first), str(second)}  # marked ones only; declassified is not
    assert str(declassified) not in _registry(db)
    copy = write_txt(tmp_path / "摘抄.txt", [PARAGRAPHS[1], PARAGRAPHS[4]])
    records: list[dict[str, Any]] = []
    scan_paths([str(copy)], ScanOptions(fingerprints=db, jobs=1, classify=False, ocr=False, quiet=True),
               [lambda _e, recs: records.extend(recs)])
    found = {f["source"]["path"]: f["level"] for f in records[0]["findings"] if f["kind"] == "fingerprint"}
    assert found == {str(first): "机密", str(second): "秘密"}


def test_member_of_an_archive_found_by_a_scan(db: str, tmp_path: Path) -> None:
    add(db, [str(write_docx(tmp_path / "源.docx", PARAGRAPHS))], ScanOptions(jobs=1, quiet=True, ocr=False))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("转发/摘录.txt", "\n".join(PARAGRAPHS[2:4]).encode("gb18030"))
    (tmp_path / "包.zip").write_bytes(buf.getvalue())
    records: list[dict[str, Any]] = []
    scan_paths([str(tmp_path / "包.zip")], ScanOptions(fingerprints=db, jobs=1, classify=False, ocr=False, quiet=True),
               [lambda _e, recs: records.extend(recs)])
    [member] = [r for r in records if r["path"].endswith("!/转发/摘录.txt")]
    [finding] = [f for f in member["findings"] if f["kind"] == "fingerprint"]
    assert finding["source"]["path"] == str(tmp_path / "源.docx") and finding["level"] == "机密"
    assert finding["location"] == {"part": "body", "line": 1}
