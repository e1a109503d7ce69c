"""scan_file(entry, options) -> records: THE one failure boundary for an input file.

Whatever happens inside (a broken file, a parser bug, a vanished file), each file gets
exactly one record with a status and a one-line reason; text read before a failure still
yields its findings. A container (archive, mail) also yields one record per member, each
scanned through the same boundary, with the path ``container!/member``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from markings.detect import detect, strongest
from markings.pii import redact as redact_pii
from markings.rule import load_rules
from scanner import detectors as dets
from scanner import evidence
from scanner.errors import CorruptFile, EncryptedFile, ModelError, TooLarge, UnsupportedContent
from scanner.extractors import EXTRACTORS
from scanner.formats import EXTENSIONS, extension_mismatch
from scanner.options import ScanOptions
from scanner.records import (
    Evidence,
    FileEntry,
    FileRecord,
    Finding,
    FindingKind,
    Location,
    Member,
    Status,
    Suspicion,
    TextBlock,
)
from scanner.sniff import Probe, probe
from scanner.text import NOT_CONTENT

SAMPLE_CHARS = 8000  # content kept for the classifier (it reads the first max_chars after masking)
OOXML_HINTS = {ext: fmt for fmt in ("docx", "xlsx", "pptx") for ext in EXTENSIONS[fmt]}


@dataclass(frozen=True, slots=True)
class _Subject:
    """What is being scanned: a file on disk or a member of a container."""

    path: str  # as the report names it
    name: str  # its own file name (a block of text, and the extension to check)
    depth: int  # containers around it
    members: list[int] = field(default_factory=lambda: [0], compare=False)  # shared by a file's whole tree


@dataclass(slots=True)
class _Guard:
    """Passes an extractor's text blocks on, hands members to ``on_member``, and keeps
    (instead of raising) the error that ends the stream, so text read before it still counts."""

    items: Iterable[TextBlock | Member]
    on_member: Callable[[Member], None]
    error: BaseException | None = field(default=None)

    def __iter__(self) -> Iterator[TextBlock]:
        try:
            for item in self.items:
                if isinstance(item, Member):
                    self.on_member(item)
                else:
                    yield item
        except Exception as exc:  # deferred to _scan_content's boundary, which classifies it
            self.error = exc


def scan_file(entry: FileEntry, options: ScanOptions) -> list[FileRecord]:
    """Read one file and return its record (then its members' records). Never raises for the file."""
    name = filename_block(entry.fspath)
    subject = _Subject(entry.path, name.text, 0)
    names = _name_findings(name, options)
    if entry.skip:
        return [_record(subject, Status.SKIPPED, entry.skip, None, _entry_evidence(entry), names)]
    try:
        fh = evidence.open_readonly(entry.fspath)
    except FileNotFoundError:
        return [_record(subject, Status.ERROR, "file vanished before it could be read", None,
                        _entry_evidence(entry), names)]
    except OSError as exc:
        return [_record(subject, Status.ERROR, f"cannot open: {_os_reason(exc)}", None,
                        _entry_evidence(entry), names)]
    with fh:
        size = evidence.fstat(fh).st_size
        if size > options.max_size:
            reason = f"larger than --max-size ({size} > {options.max_size} bytes)"
            return [_record(subject, Status.SKIPPED, reason, None, evidence.take(fh, hash_it=False), names)]
        try:
            ev = evidence.take(fh)
        except OSError as exc:
            return [_record(subject, Status.ERROR, f"cannot read: {_os_reason(exc)}", None,
                            _entry_evidence(entry), names)]
        return _scan_content(subject, fh, ev, options, names)


def _scan_content(subject: _Subject, fh: BinaryIO, ev: Evidence, options: ScanOptions,
                  names: tuple[Finding, ...]) -> list[FileRecord]:
    """Sniff, extract and detect; the records of the subject and of its members."""
    children: list[FileRecord] = []
    fmt = None
    try:
        pr = probe(fh, ev.size, subject.name)
        if encrypted := _encrypted_container(pr):
            return [_record(subject, Status.ENCRYPTED, "password-protected Office document", encrypted, ev,
                            names)]
        extractor = next((x for x in EXTRACTORS if x.sniff(pr)), None)
        if extractor is None:
            status, reason = (Status.ERROR, damaged) if (damaged := _damaged_container(pr)) else (
                Status.UNSUPPORTED, _unsupported_reason(pr))
            return [_record(subject, status, reason, None, ev, names)]
        fmt = extractor.FORMAT
        mismatch = extension_mismatch(subject.name, fmt)
        guard = _Guard(extractor.extract(fh, options),
                       lambda member: children.extend(_scan_member(subject, member, options)))
        sample = _Sample(guard, SAMPLE_CHARS)
        # The name leads the text: a title such as 保密知识题库 tells the detector it reads training material.
        text = itertools.chain([TextBlock(subject.name, Location(part="filename"))], sample)
        detectors = dets.detectors_for(options)
        findings = ((mismatch,) if mismatch else ()) + tuple(dets.run_detectors(text, detectors))
        status, reason = _classify(guard.error) if guard.error is not None else (Status.OK, None)
        try:
            verdict = suspect(sample.text(), options)
        except ModelError as exc:  # the marks found still count; say why there is no content verdict
            verdict = None
            findings += (Finding(FindingKind.FILE, None, "classifier-unavailable", "内容分类未进行",
                                 Location(part="file"), _one_line(exc), 1.0),)
        suspicion = _strongest_suspicion([verdict, *dets.suspicions(detectors)])
        findings += (_suspected_finding(suspicion),) if suspicion else ()
        record = _record(subject, status, reason, fmt, ev, findings, options, suspicion)
        dets.after(detectors, record)
        return [record, *children]
    except Exception as exc:  # the one broad boundary: any failure becomes this file's status
        status, reason = _classify(exc)
        return [_record(subject, status, reason, fmt, ev, names), *children]


@dataclass(slots=True)
class _Sample:
    """Passes blocks through and keeps the first ``limit`` characters of content for the classifier."""

    blocks: Iterable[TextBlock]
    limit: int
    parts: list[str] = field(default_factory=list)
    size: int = 0

    def __iter__(self) -> Iterator[TextBlock]:
        for block in self.blocks:
            if self.size < self.limit and block.location.part not in NOT_CONTENT:
                self.parts.append(block.text)
                self.size += len(block.text) + 1
            yield block

    def text(self) -> str:
        return "\n".join(self.parts)


def suspect(text: str, options: ScanOptions) -> Suspicion | None:
    """The classifier's verdict on a file's text (None when classification is off or no model ships).

    Raises ModelError when the model cannot be loaded; the CLI loads it once before the scan.
    """
    if not options.classify:
        return None
    from models.classify import shipped_or  # scikit-learn is imported only where a model is used

    classifier = shipped_or(options.model)
    return classifier.predict(text) if classifier is not None else None


def _strongest_suspicion(verdicts: list[Suspicion | None]) -> Suspicion | None:
    found = [v for v in verdicts if v is not None]
    return max(found, key=lambda v: v.score) if found else None


def _suspected_finding(s: Suspicion) -> Finding:
    return Finding(FindingKind.SUSPECTED, None, "classifier", s.label, Location(part="body"),
                   "主要依据: " + "、".join(s.terms), s.score, terms=s.terms)


def _scan_member(parent: _Subject, member: Member, options: ScanOptions) -> list[FileRecord]:
    """The records of one container member, scanned as a file of its own.

    Raises TooLarge once the file on disk holds more members in all (nested containers
    included) than the limit: that ends every container around it, each with a `skipped`
    status naming the limit, instead of a bomb of small archives running into the deadline.
    """
    parent.members[0] += 1
    if parent.members[0] > options.max_members:
        raise TooLarge(f"more than {options.max_members} members in all (nested containers included); "
                       "the rest were not scanned")
    subject = _Subject(f"{parent.path}!/{member.name}", member.name.rsplit("/", 1)[-1], parent.depth + 1,
                       parent.members)
    names = _name_findings(TextBlock(subject.name, Location(part="filename")), options)
    mtime = evidence.iso_mtime(member.mtime) if member.mtime else None
    if member.data is None:
        ev = Evidence(member.size or 0, mtime, None)  # type: ignore[arg-type]
        return [_record(subject, member.status or Status.ERROR, member.reason or "not extracted", None, ev,
                        names)]
    ev = Evidence(len(member.data), mtime, hashlib.sha256(member.data).hexdigest())  # type: ignore[arg-type]
    if subject.depth > options.max_depth:
        reason = f"nested deeper than the limit of {options.max_depth} containers"
        return [_record(subject, Status.SKIPPED, reason, None, ev, names)]
    return _scan_content(subject, io.BytesIO(member.data), ev, options, names)


def filename_block(fspath: str) -> TextBlock:
    """The file name as text; names in GBK bytes (Chinese Windows archives) are decoded as such."""
    raw = os.fsencode(os.path.basename(fspath))
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        name = raw.decode("gb18030", errors="backslashreplace")
    return TextBlock(name, Location(part="filename"))


def _name_findings(block: TextBlock, options: ScanOptions) -> tuple[Finding, ...]:
    return tuple(detect([block], load_rules(options.rules_dir, options.rule_packs)))


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


def _os_reason(exc: OSError) -> str:
    """An OS error's reason without the file name (the record names the file; a name may hold newlines)."""
    return exc.strerror or _one_line(exc)


def _one_line(exc: BaseException) -> str:
    """The exception's message on one printable line (control characters escaped), at most 300 characters."""
    text = " ".join(str(exc).split())
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)[:300]


def _entry_evidence(entry: FileEntry) -> Evidence:
    mtime = evidence.iso_mtime(entry.mtime) if entry.mtime else None
    return Evidence(entry.size, mtime, None)  # type: ignore[arg-type]


def _cap(findings: tuple[Finding, ...], options: ScanOptions) -> tuple[Finding, ...]:
    """Keep every marking; keep at most max_findings other findings and say how many were left out."""
    kept: list[Finding] = []
    others = 0
    for f in findings:
        always = f.kind is FindingKind.MARKING or f.location.part == "file"  # markings and detectors' summaries
        if always or others < options.max_findings:
            kept.append(f)
        others += not always
    dropped = others - options.max_findings
    if dropped > 0:
        kept.append(Finding(FindingKind.FILE, None, "findings-truncated",
                            f"{dropped} more findings not listed", Location(part="file"),
                            f"{others} non-marking findings in all", 1.0))
    return tuple(kept)


def _record(subject: _Subject, status: Status, error: str | None, fmt: str | None, ev: Evidence,
            findings: tuple[Finding, ...], options: ScanOptions | None = None,
            suspicion: Suspicion | None = None) -> FileRecord:
    if options is not None:
        findings = _cap(findings, options)
        if options.pii and options.redact_pii:  # another detector's excerpt may hold a personal number
            findings = tuple(f if f.kind is FindingKind.SENSITIVE_INFO else
                             dataclasses.replace(f, context=redact_pii(f.context)) for f in findings)
    return FileRecord(path=subject.path, status=status, error=error, format=fmt, size=ev.size,
                      mtime=ev.mtime, sha256=ev.sha256, marking=strongest(findings), findings=findings,
                      suspected=suspicion)


def failed_record(entry: FileEntry, reason: str, options: ScanOptions) -> FileRecord:
    """The record of a file whose worker never returned (timeout, crash): evidence taken here."""
    try:
        ev = evidence.take_path(entry.fspath)
    except OSError:
        ev = _entry_evidence(entry)
    name = filename_block(entry.fspath)
    subject = _Subject(entry.path, name.text, 0)
    return _record(subject, Status.ERROR, reason, None, ev, _name_findings(name, options))
