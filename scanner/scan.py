"""scan_file(entry, options) -> FileRecord: THE one failure boundary for an input file.

Whatever happens inside (a broken file, a parser bug, a vanished file), the
caller gets exactly one record with a status and a one-line reason. Text that
was read before a failure still yields its findings.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from markings.detect import detect, strongest
from markings.rule import load_rules
from scanner import evidence
from scanner.errors import CorruptFile, EncryptedFile, TooLarge, UnsupportedContent
from scanner.extractors import EXTRACTORS
from scanner.options import ScanOptions
from scanner.records import Evidence, FileEntry, FileRecord, Finding, FindingKind, Location, Status, TextBlock
from scanner.sniff import Probe, probe

OOXML_HINTS = {".docx": "docx", ".docm": "docx", ".xlsx": "xlsx", ".xlsm": "xlsx", ".pptx": "pptx"}


@dataclass(slots=True)
class _Guard:
    """Iterates an extractor's blocks and keeps, instead of raising, the error that ends them."""

    blocks: Iterable[TextBlock]
    error: BaseException | None = field(default=None)

    def __iter__(self) -> Iterator[TextBlock]:
        try:
            yield from self.blocks
        except Exception as exc:  # deferred to scan_file's boundary, which classifies it
            self.error = exc


def scan_file(entry: FileEntry, options: ScanOptions) -> FileRecord:
    """Read one file and return its record. Never raises for anything about the file."""
    rules = load_rules(options.rules_dir)
    name_findings = tuple(detect([filename_block(entry.fspath)], rules))
    if entry.skip:
        return _record(entry, Status.SKIPPED, entry.skip, None, _entry_evidence(entry), name_findings)
    try:
        fh = evidence.open_readonly(entry.fspath)
    except FileNotFoundError:
        return _record(entry, Status.ERROR, "file vanished before it could be read", None,
                       _entry_evidence(entry), name_findings)
    except OSError as exc:
        return _record(entry, Status.ERROR, f"cannot open: {exc.strerror or exc}", None,
                       _entry_evidence(entry), name_findings)
    with fh:
        return _scan_open(entry, fh, options, name_findings)


def _scan_open(entry: FileEntry, fh: BinaryIO, options: ScanOptions,
               name_findings: tuple[Finding, ...]) -> FileRecord:
    fmt = None
    ev = _entry_evidence(entry)
    try:
        size = os.fstat(fh.fileno()).st_size
        if size > options.max_size:
            ev = evidence.take(fh, hash_it=False)
            reason = f"larger than --max-size ({size} > {options.max_size} bytes)"
            return _record(entry, Status.SKIPPED, reason, None, ev, name_findings)
        ev = evidence.take(fh)
        pr = probe(fh, ev.size, os.path.basename(entry.fspath))
        encrypted = _encrypted_container(pr)
        if encrypted:
            return _record(entry, Status.ENCRYPTED, "password-protected Office document", encrypted, ev,
                           name_findings)
        extractor = next((x for x in EXTRACTORS if x.sniff(pr)), None)
        damaged = _damaged_container(pr)
        if extractor is None and damaged:
            return _record(entry, Status.ERROR, damaged, None, ev, name_findings)
        if extractor is None:
            return _record(entry, Status.UNSUPPORTED, _unsupported_reason(pr), None, ev, name_findings)
        fmt = extractor.FORMAT
        guard = _Guard(extractor.extract(fh, options))
        findings = name_findings + tuple(detect(guard, load_rules(options.rules_dir)))
        if guard.error is not None:
            status, reason = _classify(guard.error)
            return _record(entry, status, reason, fmt, ev, findings, options)
        return _record(entry, Status.OK, None, fmt, ev, findings, options)
    except Exception as exc:  # the one broad boundary: any failure becomes this file's status
        status, reason = _classify(exc)
        return _record(entry, status, reason, fmt, ev, name_findings)


def filename_block(fspath: str) -> TextBlock:
    """The file name as text; names in GBK bytes (Chinese Windows archives) are decoded as such."""
    raw = os.fsencode(os.path.basename(fspath))
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        name = raw.decode("gb18030", errors="backslashreplace")
    return TextBlock(name, Location(part="filename"))


def _encrypted_container(pr: Probe) -> str | None:
    """The format of an encrypted OOXML file (an OLE2 file with an EncryptedPackage stream)."""
    if pr.is_ole and "EncryptedPackage" in pr.ole_names:
        return OOXML_HINTS.get(os.path.splitext(pr.name)[1].lower(), "ooxml")
    return None


def _damaged_container(pr: Probe) -> str | None:
    """Why a file that starts like a zip or OLE2 container has no readable directory, if so."""
    if pr.is_zip and not pr.zip_names:
        return "damaged zip container: its member directory cannot be read"
    if pr.is_ole and not pr.ole_names:
        return "damaged OLE2 compound file: its directory cannot be read"
    return None


def _unsupported_reason(pr: Probe) -> str:
    if pr.size == 0:
        return "empty file (0 bytes)"
    return "no text extractor for this content"


def _classify(exc: BaseException) -> tuple[Status, str]:
    """Status and one-line reason for an exception, unwrapping library wrappers."""
    if isinstance(exc, EncryptedFile):
        return Status.ENCRYPTED, _one_line(exc) or "encrypted"
    if isinstance(exc, TooLarge):
        return Status.SKIPPED, _one_line(exc)
    if isinstance(exc, UnsupportedContent):
        return Status.UNSUPPORTED, _one_line(exc)
    if isinstance(exc, CorruptFile):
        return Status.ERROR, _one_line(exc)
    if isinstance(exc, MemoryError):
        return Status.ERROR, "out of memory while reading this file"
    return Status.ERROR, f"{type(exc).__name__}: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300]


def _entry_evidence(entry: FileEntry) -> Evidence:
    mtime = evidence.iso_mtime(entry.mtime) if entry.mtime else None
    return Evidence(entry.size, mtime, None)  # type: ignore[arg-type]


def _cap(findings: tuple[Finding, ...], options: ScanOptions) -> tuple[Finding, ...]:
    """Keep every marking; keep at most max_findings other findings and say how many were left out."""
    kept: list[Finding] = []
    others = 0
    for f in findings:
        if f.kind is FindingKind.MARKING or others < options.max_findings:
            kept.append(f)
        others += f.kind is not FindingKind.MARKING
    dropped = others - options.max_findings
    if dropped > 0:
        kept.append(Finding(FindingKind.FILE, None, "findings-truncated",
                            f"{dropped} more findings not listed", Location(part="file"),
                            f"{others} non-marking findings in all", 1.0))
    return tuple(kept)


def _record(entry: FileEntry, status: Status, error: str | None, fmt: str | None, ev: Evidence,
            findings: tuple[Finding, ...], options: ScanOptions | None = None) -> FileRecord:
    if options is not None:
        findings = _cap(findings, options)
    return FileRecord(path=entry.path, status=status, error=error, format=fmt, size=ev.size,
                      mtime=ev.mtime, sha256=ev.sha256, marking=strongest(findings), findings=findings)


def failed_record(entry: FileEntry, reason: str, options: ScanOptions) -> FileRecord:
    """The record of a file whose worker never returned (timeout, crash): evidence taken here."""
    try:
        ev = evidence.take_path(entry.fspath)
    except OSError:
        ev = _entry_evidence(entry)
    findings = tuple(detect([filename_block(entry.fspath)], load_rules(options.rules_dir)))
    return _record(entry, Status.ERROR, reason, None, ev, findings)
