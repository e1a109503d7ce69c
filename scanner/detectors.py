"""The detectors that read a file's text blocks, and the one place they are registered.

Each detector sees every text block of a document in reading order (``feed``) and then
returns its findings (``finish``). The marking detector always runs; the others run when
the options ask for them. A new detector is one module plus one line in ``FACTORIES``.
Factories are called once per scanned document, so they must be cheap: anything costly
(a keyword list, a fingerprint registry) is loaded once per process and cached by its module.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from markings.detect import MarkingDetector
from markings.pii import pii_detector
from markings.rule import load_rules
from scanner.options import ScanOptions
from scanner.records import FileRecord, Finding, Suspicion, TextBlock


class Detector(Protocol):
    def feed(self, block: TextBlock) -> None:
        """Read one text block (blocks come in reading order; the file name first)."""

    def finish(self) -> list[Finding]:
        """The document's findings, once every block has been fed."""


# Optional methods a detector may add (looked up with getattr):
#   suspicion() -> Suspicion | None   after finish(): a content verdict (e.g. a keyword list that counts
#                                     toward `suspected`); the strongest score of all verdicts is reported.
#   after(record: FileRecord) -> None once the document's record is built (e.g. register the fingerprints
#                                     of a marked document); runs in the worker, must not raise.


Factory = Callable[[ScanOptions], "Detector | None"]


def _markings(options: ScanOptions) -> Detector:
    return MarkingDetector(load_rules(options.rules_dir, options.rule_packs))


def _fingerprints(options: ScanOptions) -> Detector | None:
    """Fingerprints of a registry: None unless the store holds registered documents (or the scan registers)."""
    registers = options.fingerprint_marked or options.fingerprint_all
    if not options.fingerprints or not (registers or _registry_in_use(options.fingerprints)):
        return None
    from scanner.fingerprint import fingerprint_detector  # numpy and the registry only when asked for

    return fingerprint_detector(options)


_REGISTRY_SEEN: dict[str, tuple[float, bool]] = {}
REGISTRY_RECHECK = 2.0  # seconds: a registry filled while a worker or a watch runs is noticed this soon


def _registry_in_use(db: str) -> bool:
    """True when ``db`` holds registered documents (looked at every few seconds per process, so a plain
    results store costs its scans nothing)."""
    now = time.monotonic()
    seen = _REGISTRY_SEEN.get(db)
    if seen is None or now - seen[0] > REGISTRY_RECHECK:
        from scanner import fingerprint_index, fingerprint_spool

        try:
            version = fingerprint_index.version(db)  # "documents:top id", "" without a registry
        except (fingerprint_index.RegistryError, sqlite3.Error, OSError):
            version = "unusable"  # the detector says why in a warning; the scan goes on
        in_use = (version != "" and not version.startswith("0:")) or os.path.isdir(fingerprint_spool.folder(db))
        seen = _REGISTRY_SEEN[db] = (now, in_use)
    return seen[1]


def _keywords(options: ScanOptions) -> Detector | None:
    if not options.keywords:
        return None
    from markings.keywords import keyword_detector  # the lists and their tokenizer only when asked for

    return keyword_detector(options)


FACTORIES: tuple[Factory, ...] = (
    _markings,
    pii_detector,
    _fingerprints,
    _keywords,
)


def signature(options: ScanOptions) -> dict[str, Any]:
    """What the optional detectors were set to, with digests of their data files: a report says so,
    and an incremental scan reads everything again when it differs from the previous run's."""
    out: dict[str, Any] = {"pii": options.pii, "keywords": [_digest(path) for path in options.keywords]}
    if options.fingerprints and os.path.exists(options.fingerprints):
        from scanner import fingerprint_index  # a newly registered document: files are looked up again

        try:
            version = fingerprint_index.version(options.fingerprints)
        except (fingerprint_index.RegistryError, sqlite3.Error, OSError):
            version = "unusable"
        if version:  # a plain results store has no registry: its runs keep the same signature
            out["fingerprints"] = version
    return out


def _digest(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return "unreadable"


def detectors_for(options: ScanOptions) -> list[Detector]:
    """Fresh detectors for one document, as the options ask."""
    return [d for d in (factory(options) for factory in FACTORIES) if d is not None]


def run_detectors(blocks: Iterable[TextBlock], detectors: list[Detector]) -> list[Finding]:
    """Feed ``blocks`` to every detector once and return their findings in registration order."""
    for block in blocks:
        for detector in detectors:
            detector.feed(block)
    return [finding for detector in detectors for finding in detector.finish()]


def suspicions(detectors: list[Detector]) -> list[Suspicion]:
    """The content verdicts the detectors reached (after ``run_detectors``)."""
    found = (getattr(d, "suspicion", None) for d in detectors)
    return [s for s in (f() for f in found if f is not None) if s is not None]


def after(detectors: list[Detector], record: FileRecord) -> None:
    for detector in detectors:
        hook = getattr(detector, "after", None)
        if hook is not None:
            hook(record)
