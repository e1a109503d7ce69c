"""Fixtures: a registry path, the detector wired into the scan, and helpers to register and scan."""

from __future__ import annotations

import os
from pathlib import Path

import docx
import pytest

from scanner import detectors
from scanner import fingerprint_spool as spool
from scanner.options import ScanOptions
from scanner.records import FileEntry, FileRecord, Finding, FindingKind
from scanner.scan import scan_file
from tests.fingerprint.texts import MARK, PARAGRAPHS, TITLE

FACTORIES_AS_SHIPPED = detectors.FACTORIES


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "results.db")


def scan(path: Path | str, db: str, **options: object) -> FileRecord:
    """The record of one file scanned in this process with the registry ``db``."""
    opts = ScanOptions(fingerprints=db, classify=False, ocr=False, **options)  # type: ignore[arg-type]
    records = scan_file(FileEntry(str(path), str(path)), opts)
    assert records[0].status.value == "ok", records[0].error
    return records[0]


def register(path: Path | str, db: str, level: str | None = None) -> list[FileRecord]:
    """Register a file (and its members) in this process, as `fingerprint add` does in its workers."""
    spool.writer(db, 5.0)  # `add` creates the registry before its workers register into it
    opts = ScanOptions(fingerprints=db, fingerprint_marked=True, fingerprint_all=True, fingerprint_level=level,
                           classify=False, ocr=False)
    return scan_file(FileEntry(str(path), str(path)), opts)


def fingerprints(record: FileRecord) -> list[Finding]:
    return [f for f in record.findings if f.kind is FindingKind.FINGERPRINT]


def write_docx(path: Path, paragraphs: tuple[str, ...] | list[str], mark: str | None = MARK,
               title: str = TITLE) -> Path:
    doc = docx.Document()
    if mark:
        doc.add_paragraph(mark)
    doc.add_paragraph(title)
    for text in paragraphs:
        doc.add_paragraph(text)
    doc.save(str(path))
    return path


def write_txt(path: Path, lines: list[str] | tuple[str, ...], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


@pytest.fixture
def source(tmp_path: Path, db: str) -> Path:
    """The marked DOCX, registered."""
    path = write_docx(tmp_path / "迁建方案.docx", PARAGRAPHS)
    [record] = register(path, db)
    assert record.marking is not None and record.marking.level.value == "机密"
    assert os.path.exists(db)
    return path
