"""The detectors that read a file's text blocks, and the one place they are registered.

Each detector sees every text block of a document in reading order (``feed``) and then
returns its findings (``finish``). The marking detector always runs; the others run when
the options ask for them. A new detector is one module plus one line in ``FACTORIES``.
Factories are called once per scanned document, so they must be cheap: anything costly
(a keyword list, a fingerprint registry) is loaded once per process and cached by its module.
"""

from __future__ import annotations

import hashlib
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


FACTORIES: tuple[Factory, ...] = (
    _markings,
    pii_detector,
)


def signature(options: ScanOptions) -> dict[str, Any]:
    """What the optional detectors were set to, with digests of their data files: a report says so,
    and an incremental scan reads everything again when it differs from the previous run's."""
    return {"pii": options.pii, "keywords": [_digest(path) for path in options.keywords]}


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
