"""The detectors that read a file's text blocks, and the one place they are registered.

Each detector sees every text block of a document in reading order (``feed``) and then
returns its findings (``finish``). The marking detector always runs; the others run when
the options ask for them. A new detector is one module plus one line in ``FACTORIES``.
Factories are called once per scanned document, so they must be cheap: anything costly
(a keyword list, a fingerprint registry) is loaded once per process and cached by its module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from markings.detect import MarkingDetector
from markings.rule import load_rules
from scanner.options import ScanOptions
from scanner.records import Finding, TextBlock


class Detector(Protocol):
    def feed(self, block: TextBlock) -> None:
        """Read one text block (blocks come in reading order; the file name first)."""

    def finish(self) -> list[Finding]:
        """The document's findings, once every block has been fed."""


Factory = Callable[[ScanOptions], "Detector | None"]


def _markings(options: ScanOptions) -> Detector:
    return MarkingDetector(load_rules(options.rules_dir))


FACTORIES: tuple[Factory, ...] = (
    _markings,
)


def detectors_for(options: ScanOptions) -> list[Detector]:
    """Fresh detectors for one document, as the options ask."""
    return [d for d in (factory(options) for factory in FACTORIES) if d is not None]


def run_detectors(blocks: Iterable[TextBlock], options: ScanOptions) -> list[Finding]:
    """Feed ``blocks`` to every detector once and return their findings in registration order."""
    detectors = detectors_for(options)
    for block in blocks:
        for detector in detectors:
            detector.feed(block)
    return [finding for detector in detectors for finding in detector.finish()]
