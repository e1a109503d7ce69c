"""The registry: no text stored, list and remove, absent or empty registries, another scheme, unrelated documents."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from scanner import fingerprint_index as index
from scanner import fingerprint_spool as spool
from scanner.fingerprint import BOILERPLATE, FingerprintDetector, fingerprint_detector, stop_hashes
from scanner.fingerprint_cli import add_parser, command
from scanner.fingerprint_text import Builder, normalize
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.store import Store
from tests.fingerprint.conftest import FACTORIES_AS_SHIPPED, fingerprints, register, scan, write_txt
from tests.fingerprint.texts import BODY_SENTENCE, DISTINCTIVE, PARAGRAPHS, TITLE, corpus_texts


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="docscan")
    add_parser(parser.add_subparsers(dest="command"))
    return command(parser.parse_args(argv))


def _files_bytes(db: str) -> bytes:
    folder = os.path.dirname(db)
    return b"".join(Path(folder, n).read_bytes() for n in os.listdir(folder) if n.startswith(os.path.basename(db))
                    and os.path.isfile(os.path.join(folder, n)))


def test_no_plain_text_in_the_registry(source: Path, db: str) -> None:
    index.forget_reader(db)
    data = _files_bytes(db)
    assert len(data) > 10_000  # the registry is there ...
    for text in (DISTINCTIVE, DISTINCTIVE[:6], BODY_SENTENCE, normalize(DISTINCTIVE), TITLE):
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert text.encode(encoding) not in data  # ... but none of the text, in any encoding
    assert "迁建方案.docx".encode() in data  # the path and the marking name the source
    conn = sqlite3.connect(db)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"fp_documents", "fp_hashes", "fp_meta"} <= tables
    assert conn.execute("SELECT typeof(hash) FROM fp_hashes LIMIT 1").fetchone() == ("integer",)


def test_list_and_remove(source: Path, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = write_txt(tmp_path / "second.txt", ["秘密★1年", *PARAGRAPHS[3:]])
    register(other, db)
    capsys.readouterr()
    assert _run(["fingerprint", "list", "--db", db, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["id"], r["path"], r["level"]) for r in rows] == [(1, str(source), "机密"), (2, str(other), "秘密")]
    assert rows[0]["fingerprints"] > 50 and rows[0]["marking"] == "机密★10年"
    assert _run(["fingerprint", "list", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split("\t")[:2] == ["1", "机密"] and lines[2].endswith(str(other))
    assert _run(["fingerprint", "remove", "1", "--db", db]) == 0
    assert _run(["fingerprint", "remove", str(other), "--db", db]) == 0
    assert _run(["fingerprint", "remove", "7", "--db", db]) == 1
    capsys.readouterr()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM fp_documents").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM fp_hashes").fetchone() == (0,)
    copy = write_txt(tmp_path / "copy.txt", list(PARAGRAPHS))
    assert fingerprints(scan(copy, db)) == []  # removed sources no longer match


def test_absent_and_empty_registries_are_harmless(tmp_path: Path) -> None:
    copy = write_txt(tmp_path / "copy.txt", list(PARAGRAPHS))
    absent = str(tmp_path / "none.db")
    assert fingerprints(scan(copy, absent)) == [] and not os.path.exists(absent)
    store_only = str(tmp_path / "store.db")
    Store(store_only).close()  # a results store without registry tables
    assert fingerprints(scan(copy, store_only)) == []
    empty = str(tmp_path / "empty.db")
    spool.writer(empty, 1.0)
    assert fingerprints(scan(copy, empty)) == []
    assert _run(["fingerprint", "list", "--db", empty]) == 0
    assert _run(["fingerprint", "list", "--db", absent]) == 2


def test_factory_follows_options() -> None:
    assert fingerprint_detector(ScanOptions()) is None
    assert fingerprint_detector(ScanOptions(fingerprint_marked=True)) is None  # nowhere to register
    found = fingerprint_detector(ScanOptions(fingerprints="x.db", fingerprint_marked=True))
    assert isinstance(found, FingerprintDetector) and found.register_marked and not found.register_all


def test_registered_in_the_scan_pipeline(tmp_path: Path) -> None:
    """A scan that registers, or a store holding registered documents, runs the detector; a plain
    results store without registered documents costs its scans nothing."""
    def made(options: ScanOptions) -> bool:
        return any(isinstance(factory(options), FingerprintDetector) for factory in FACTORIES_AS_SHIPPED)

    plain = str(tmp_path / "results.db")
    Store(plain).close()
    assert not made(ScanOptions(fingerprints=plain))
    assert made(ScanOptions(fingerprints=plain, fingerprint_marked=True))
    registry = str(tmp_path / "registry.db")
    register(write_txt(tmp_path / "源.txt", list(PARAGRAPHS)), registry)
    assert made(ScanOptions(fingerprints=registry))


def test_registry_of_another_scheme_is_refused(source: Path, db: str, tmp_path: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE fp_meta SET value = 'k99' WHERE key = 'scheme'")
    conn.commit()
    index.forget_reader(db)
    copy = write_txt(tmp_path / "copy.txt", list(PARAGRAPHS))
    assert fingerprints(scan(copy, db)) == []  # a warning, not a broken scan
    assert _run(["fingerprint", "list", "--db", db]) == 2
    index.forget_reader(db)


def test_boilerplate_notices_never_count(db: str, tmp_path: Path) -> None:
    notice = "本文件含有国家秘密，未经批准不得复制、摘抄、翻印，阅后请交回。注意保密，阅后收回，不得翻印、复制、摘抄。"
    register(write_txt(tmp_path / "a.txt", ["秘密", notice, *PARAGRAPHS[:2]]), db)
    other = write_txt(tmp_path / "b.txt", ["会议通知", notice, "请各单位按时参加会议并做好记录。"])
    assert fingerprints(scan(other, db)) == []
    for text in BOILERPLATE:
        builder = Builder(stop_hashes())
        builder.add(TextBlock(text, Location("body")))
        assert len(builder.build().hashes) == 0


def test_unrelated_documents_on_similar_topics_do_not_match(db: str) -> None:
    """Two independent writers' documents on the same kinds of subjects (corpus/train vs corpus/eval)."""
    conn = spool.writer(db, 5.0)
    for path, text in corpus_texts("train/涉密") + corpus_texts("train/内部"):
        builder = Builder(stop_hashes())
        for i, line in enumerate(text.splitlines()):
            builder.add(TextBlock(line, Location("body", line=i + 1)))
        hashes = builder.build().unique()
        index.register(conn, index.Registration(path, None, "秘密", None, len(text), hashes))
    assert index.count(conn) > 300
    matched = []
    for path, text in corpus_texts("eval/涉密") + corpus_texts("eval/内部"):
        detector = FingerprintDetector(db)
        for i, line in enumerate(text.splitlines()):
            detector.feed(TextBlock(line, Location("body", line=i + 1)))
        matched += [(path, f.to_json()["source"]["path"]) for f in detector.finish()]
    assert matched == []


def test_pending_registrations_are_found_and_merged(source: Path, db: str, tmp_path: Path) -> None:
    builder = Builder(stop_hashes())
    for i, text in enumerate(PARAGRAPHS[::-1]):
        builder.add(TextBlock(text + "另附说明。", Location("body", paragraph=i)))
    reg = index.Registration("pending.docx", "ab" * 32, "绝密", "绝密", 1, builder.build().unique())
    spool.spool(db, reg)
    copy = write_txt(tmp_path / "copy.txt", list(PARAGRAPHS))
    found = {f.to_json()["source"]["path"]: f.to_json()["source"]["id"] for f in fingerprints(scan(copy, db))}
    assert found == {str(source): 1, "pending.docx": None}
    assert index.version(db) == "1:1"
    assert spool.flush(db) == 1 and os.listdir(spool.folder(db)) == [] and spool.flush(db) == 0
    assert index.version(db) == "2:2"
    found = {f.to_json()["source"]["path"]: f.to_json()["source"]["id"] for f in fingerprints(scan(copy, db))}
    assert found == {str(source): 1, "pending.docx": 2}
    assert np.array_equal(np.sort(reg.hashes), reg.hashes)


def test_a_worker_never_creates_the_registry(tmp_path: Path) -> None:
    """A cluster worker on another machine: no database appears there, the registration is skipped."""
    absent = str(tmp_path / "elsewhere.db")
    marked = write_txt(tmp_path / "marked.txt", ["秘密★1年", *PARAGRAPHS])
    record = scan(marked, absent, fingerprint_marked=True)
    assert record.marking is not None and not os.path.exists(absent)
    assert not os.path.exists(spool.folder(absent))
