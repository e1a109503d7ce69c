"""Personal information in a document (issue 7): sensitive_info findings, masked unless asked.

``PiiDetector`` reads a document's text blocks (scanner/detectors.py protocol) and reports
居民身份证号码, mobile numbers, bank card numbers, 统一社会信用代码, passport numbers and e-mail
addresses (markings/pii_scan.py finds them, markings/pii_validate.py checks them). Numbers
whose check character fails are not reported. With ``redact_pii`` (the default) neither the
finding's text nor its context ever holds a full value: each value is masked, and so is any
other long number in the excerpt.

Per document at most CAP findings per type are listed; past that one summary finding per
type (rule ``<rule>-summary``, listed first) carries the full count, so a 10,000-row HR
spreadsheet gives 51 findings with the right count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markings.pii_scan import PREFILTER, BlockScan, find
from markings.pii_types import LABEL_WINDOW, TYPES, Hit, PiiType, label_words
from scanner.options import ScanOptions
from scanner.records import Finding, FindingKind, Location, TextBlock

CAP = 50  # findings listed per type per document
CONTEXT = 20  # characters of excerpt on each side of a value
_TABLE_PARTS = ("cell", "table")
_MAX_HEADER = 24  # a table cell this short that holds a label word labels its column
SUMMARY_SUFFIX = "-summary"
NAMES = {t.rule: t.name for t in TYPES}

__all__ = ["CAP", "LABEL_WINDOW", "NAMES", "PiiDetector", "count_findings", "pii_detector", "redact"]


def pii_detector(options: ScanOptions) -> PiiDetector | None:
    """A fresh detector for one document when the options ask for personal information, else None."""
    return PiiDetector(redact=options.redact_pii) if options.pii else None


class PiiDetector:
    """Personal information of one document: feed blocks in reading order, then finish()."""

    def __init__(self, redact: bool = True) -> None:
        self.redact = redact
        self.findings: list[Finding] = []
        self.counts: dict[str, int] = {t.rule: 0 for t in TYPES}
        self.values: dict[str, set[str]] = {t.rule: set() for t in TYPES}
        self.best: dict[str, float] = {}
        self.columns: dict[tuple[Any, ...], dict[str, str]] = {}  # table column -> its header's labels
        self.row: tuple[tuple[Any, ...], dict[str, str]] | None = None  # last label cell of a row

    def feed(self, block: TextBlock) -> None:
        text = block.text
        if not text:
            return
        column, row = _table_keys(block.location)
        if PREFILTER.search(text) is None:
            if column is not None and len(text) <= _MAX_HEADER:
                self._note_header(text, column, row)
            return
        scan = find(text, self._outer_labels(column, row))
        excerpts = _Excerpts(text, scan if self.redact else None)
        for hit in scan.hits:
            self._add(block, hit, excerpts)

    def finish(self) -> list[Finding]:
        """Summary findings first (one per type listed only in part), then the listed findings."""
        summaries = [self._summary(t) for t in TYPES if self.counts[t.rule] > CAP]
        return summaries + self.findings

    def summary(self) -> dict[str, int]:
        """Occurrences per rule id (every type, zeros included), after the blocks were fed."""
        return dict(self.counts)

    def distinct(self) -> dict[str, int]:
        """Distinct values per rule id."""
        return {rule: len(values) for rule, values in self.values.items()}

    def _add(self, block: TextBlock, hit: Hit, excerpts: _Excerpts) -> None:
        rule = hit.kind.rule
        self.counts[rule] += 1
        self.values[rule].add(hit.value)
        self.best[rule] = max(self.best.get(rule, 0.0), hit.confidence)
        if self.counts[rule] > CAP:
            return
        shown = hit.kind.mask(hit.value) if self.redact else block.text[hit.start:hit.end]
        details: list[tuple[str, Any]] = [("pii", hit.kind.name), ("valid", True), ("check", hit.check)]
        if hit.label is not None:
            details.append(("label", hit.label))
        details.extend(hit.extra)
        details.append(("redacted", self.redact))
        self.findings.append(Finding(FindingKind.SENSITIVE_INFO, None, rule, shown, block.location,
                                     excerpts.around(hit), hit.confidence,
                                     details=tuple(details)))

    def _summary(self, kind: PiiType) -> Finding:
        rule, count = kind.rule, self.counts[kind.rule]
        text = f"{kind.name} 共 {count} 处，列出前 {CAP} 处"
        details = (("pii", kind.name), ("count", count), ("listed", CAP),
                   ("distinct", len(self.values[rule])), ("redacted", self.redact))
        return Finding(FindingKind.SENSITIVE_INFO, None, rule + SUMMARY_SUFFIX, text, Location(part="file"),
                       text, self.best[rule], details=details)

    def _note_header(self, text: str, column: tuple[Any, ...], row: tuple[Any, ...] | None) -> None:
        """A short label cell (身份证号) labels its column below and the cells after it in its row."""
        labels = label_words(text)
        if labels:
            self.columns[column] = labels
            self.row = (row, labels) if row is not None else None

    def _outer_labels(self, column: tuple[Any, ...] | None, row: tuple[Any, ...] | None) -> dict[str, str]:
        if column is None:
            return {}
        labels = dict(self.columns.get(column, {}))
        if self.row is not None and self.row[0] == row:
            labels.update(self.row[1])
        return labels


class _Excerpts:
    """Excerpts of about CONTEXT characters each side of a block's values; with ``scan`` given
    (redaction) every value in the block is masked, the masked text built once, on first use."""

    __slots__ = ("text", "scan", "masked", "where")

    def __init__(self, text: str, scan: BlockScan | None) -> None:
        self.text = text
        self.scan = scan
        self.masked: str | None = None
        self.where: dict[int, tuple[int, int]] = {}  # value start in text -> its span in masked

    def around(self, hit: Hit) -> str:
        if self.scan is None:
            return _window(self.text, hit.start, hit.end)
        if self.masked is None:
            self.masked = self._mask(self.scan)
        span = self.where.get(hit.start)
        return _window(self.masked, *span) if span is not None else hit.kind.mask(hit.value)

    def _mask(self, scan: BlockScan) -> str:
        masked, self.where = _masked(self.text, scan)
        return masked


def _masked(text: str, scan: BlockScan) -> tuple[str, dict[int, tuple[int, int]]]:
    """``text`` with every span of ``scan`` masked, and where each span (by its start) landed."""
    pieces: list[str] = []
    where: dict[int, tuple[int, int]] = {}
    pos = length = 0
    for start, end, shown in scan.masks():
        if start < pos:
            continue
        pieces.extend((text[pos:start], shown))
        length += start - pos
        where[start] = (length, length + len(shown))
        length += len(shown)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces), where


def redact(text: str) -> str:
    """``text`` with every personal number and any other long number in it masked, for the
    excerpts other detectors report (a mention's context can hold an ID number in full)."""
    if PREFILTER.search(text) is None:
        return text
    return _masked(text, find(text))[0]


def _window(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - CONTEXT):end + CONTEXT].split())


def _table_keys(loc: Location) -> tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]:
    """(column key, row key) of a spreadsheet or table cell such as B7, else (None, None)."""
    if loc.part not in _TABLE_PARTS or not loc.cell:
        return None, None
    letters = loc.cell.rstrip("0123456789")
    base = (loc.part, loc.sheet, loc.table)
    return base + (letters,), base + (loc.cell[len(letters):],)


def count_findings(findings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Occurrences per pii rule id from a report record's ``findings`` (JSON form): the summary's
    count where a type was listed only in part, else the number of listed findings."""
    listed = {rule: 0 for rule in NAMES}
    totals: dict[str, int] = {}
    for finding in findings:
        rule = str(finding.get("rule", ""))
        if rule in listed:
            listed[rule] += 1
        elif rule.endswith(SUMMARY_SUFFIX) and rule[:-len(SUMMARY_SUFFIX)] in listed:
            totals[rule[:-len(SUMMARY_SUFFIX)]] = int(finding.get("count", 0))
    return {rule: totals.get(rule, n) for rule, n in listed.items()}
