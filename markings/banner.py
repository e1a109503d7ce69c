"""Banner-line marking schemes (the ``en`` pack): where a banner counts, portion marks, authority blocks.

In US/UK/NATO practice (markings.md §12) the overall classification is a banner line in
capitals at the top and bottom of every page, portions carry ``(TS)``/``(S)``/``(C)``, and
page 1 may carry a classification authority block. So a banner rule (kind ``marking`` or
``negative``) counts only on a whole text unit in a banner position:

* a header, footer, watermark, slide master or layout part, or a mail subject;
* a line in the top or bottom band of any page (PDF, OFD, OCR);
* without page geometry (DOCX body, plain text, mail, slides): the first or last
  ``BANNER_LINES`` body lines of the document, of each page or section after a break, and
  of each slide. The last lines are known only when the page ends, so those candidates wait.

Elsewhere a whole-unit banner is a mention (prose never matches: rules are whole-line and
case-sensitive). Portion marks at a paragraph start (kind ``portion``) become findings only
when the document carries a classification banner somewhere: a footer's banner may come
last, so portions wait for ``finish()``; a single letter ``(C)``/``(S)``/``(R)`` is a list
enumerator when the document also opens paragraphs with ``(A)``, ``(B)``, ... Authority
lines (kind ``authority``: Classified By, Derived From, Declassify On, Reason 1.4) from
two different fields make a block: it raises the banners to the rule's confidence, or
alone is a mention.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

from markings.context import MAIL_ADDRESS_FIELDS
from markings.normalize import Normalized, unit_texts
from markings.rule import BANNER_SCHEMES, Rule
from scanner.records import Finding, FindingKind, Level, TextBlock

BANNER_LINES = 3  # first / last body lines of a page without geometry that may hold a banner
MAX_BANNER_LEN = 100
NO_GEOMETRY_CAP = 0.85  # a banner placed by line count, not by page geometry or a header part
MENTION_CONFIDENCE = 0.9
MAX_PORTIONS = 200  # distinct portion marks kept per document
MAX_MENTIONS = 100
_PARTS = {"header": "header", "footer": "footer", "watermark": "watermark", "master": "master",
          "layout": "layout"}
_SKIPPED = frozenset({"filename", "properties", "sheetname", "comment", "revision"})
_FLOW = frozenset({"body", "table"})  # the parts whose blocks count as lines of a page
_PORTION_PARTS = frozenset({"body", "table", "textbox", "cell", "footnote", "endnote"})
_ENUMERATOR = re.compile(r"^\((?![CRSU]\))[A-Z]\) ")  # (A) (B) (D) ...: an enumerated list
_LETTER = re.compile(r"^\([CRS]\)$")
_CAPITALS = re.compile("[A-ZＡ-Ｚ]{2}")
_Hit = tuple[Rule, re.Match[str]]


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A banner among the latest body lines, waiting to learn whether the page ends here."""

    unit: Normalized
    block: TextBlock
    rule: Rule
    line: int


class BannerPack:
    """The banner schemes' findings of one document: feed blocks in reading order, then finish()."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        rules = tuple(rules)
        self.banners = [r for r in rules if r.kind in ("marking", "negative")]
        self.portion_rules = [r for r in rules if r.kind == "portion"]
        self.authority_rules = [r for r in rules if r.kind == "authority"]
        self.findings: list[Finding] = []
        self.seen: set[tuple[str, str, str]] = set()
        self.lines = 0  # flowing lines of the current page, section or slide
        self.slide: int | None = None
        self.tail: list[_Candidate] = []
        self.portions: dict[tuple[str, str], Finding] = {}
        self.enumerated = False
        self.authority: dict[str, tuple[Finding, float]] = {}  # field -> first line, rule confidence
        self.mentions = 0

    @staticmethod
    def reads(rule: Rule) -> bool:
        """True for the rules of a banner scheme (this class reads them, not the Chinese detector)."""
        return rule.scheme in BANNER_SCHEMES

    def feed(self, block: TextBlock) -> None:
        loc = block.location
        if loc.part in _SKIPPED:
            return
        flowing = loc.part in _FLOW and block.band is None
        if flowing:
            if block.section_start or loc.slide != self.slide:
                self._page_end()
                self.slide = loc.slide
            self.lines += 1
            self._expire()
        for raw in unit_texts(block):
            if _worth_reading(raw):
                unit = Normalized(raw)
                if unit.norm:
                    self._unit(unit, block, flowing)

    def finish(self, findings: list[Finding]) -> list[Finding]:
        """Return ``findings`` followed by this pack's (banners, then portions, then authority)."""
        self._page_end()
        banners = [f for f in self.findings if f.kind is FindingKind.MARKING and f.level is not None]
        found = list(self.findings)
        if banners:
            found += [f for f in self.portions.values() if not (self.enumerated and _LETTER.match(f.text))]
        if len(self.authority) >= 2:
            found = self._authority(found, bool(banners))
        return findings + found

    def _unit(self, unit: Normalized, block: TextBlock, flowing: bool) -> None:
        norm, part = unit.norm, block.location.part
        if len(norm) <= MAX_BANNER_LEN and (hit := _first(self.banners, norm)) is not None:
            self._banner(unit, block, flowing, hit[0])
        elif norm[0] == "(" and part in _PORTION_PARTS:
            if _ENUMERATOR.match(norm):
                self.enumerated = True
            elif (hit := _first(self.portion_rules, norm)) is not None:
                self._portion(unit, block, *hit)
        elif ":" in norm[:24] and (hit := _first(self.authority_rules, norm)) is not None:
            field = " ".join(next((v for v in hit[1].groupdict().values() if v), "").lower().split())
            if field not in self.authority:
                self.authority[field] = (self._finding(unit, block, None, "mention:authority-block", hit[0],
                                                       MENTION_CONFIDENCE, FindingKind.MENTION),
                                         hit[0].confidence)

    def _banner(self, unit: Normalized, block: TextBlock, flowing: bool, rule: Rule) -> None:
        where = self._position(block, flowing)
        if where == "tail":
            self.tail.append(_Candidate(unit, block, rule, self.lines))
        elif where is not None:
            self._emit(unit, block, rule, where)
        elif rule.kind == "marking":
            self._mention(unit, block, rule)

    def _position(self, block: TextBlock, flowing: bool) -> str | None:
        """The banner position of ``block``: a name, "tail" (decided later), or None."""
        loc = block.location
        if block.band in ("top", "bottom"):
            return "page-" + block.band
        name = (loc.name or "").lower()
        if loc.part == "header" and name == "subject":
            return "subject"
        if loc.part == "header" and name in MAIL_ADDRESS_FIELDS:
            return None
        if loc.part in _PARTS:
            return _PARTS[loc.part]
        if flowing and loc.part == "body":
            return "first-lines" if self.lines <= BANNER_LINES else "tail"
        return None

    def _expire(self) -> None:
        """Banner candidates that are no longer among the last lines of their page: mentions."""
        while self.tail and self.tail[0].line <= self.lines - BANNER_LINES:
            old = self.tail.pop(0)
            if old.rule.kind == "marking":
                self._mention(old.unit, old.block, old.rule)

    def _page_end(self) -> None:
        for candidate in self.tail:
            self._emit(candidate.unit, candidate.block, candidate.rule, "last-lines")
        self.tail = []
        self.lines = 0

    def _emit(self, unit: Normalized, block: TextBlock, rule: Rule, where: str) -> None:
        key = (rule.id, unit.norm, where)
        if key in self.seen:
            return
        self.seen.add(key)
        confidence = rule.confidence
        if where in ("first-lines", "last-lines"):
            confidence = min(confidence, NO_GEOMETRY_CAP)
        name = f"{rule.id}+{where}" if rule.kind == "marking" else "explicit-public"
        finding = self._finding(unit, block, rule.level, name, rule, confidence, FindingKind.MARKING)
        self.findings.append(finding)

    def _mention(self, unit: Normalized, block: TextBlock, rule: Rule) -> None:
        key = (rule.id, unit.norm, "mention")
        if key in self.seen or self.mentions >= MAX_MENTIONS:
            return
        self.seen.add(key)
        self.mentions += 1
        self.findings.append(self._finding(unit, block, rule.level, "mention:outside-banner-position", rule,
                                           MENTION_CONFIDENCE, FindingKind.MENTION))

    def _portion(self, unit: Normalized, block: TextBlock, rule: Rule, match: re.Match[str]) -> None:
        start, end = match.span("mark") if "mark" in match.groupdict() else match.span()
        key = (rule.id, unit.norm[start:end])
        if key in self.portions or len(self.portions) >= MAX_PORTIONS:
            return
        self.portions[key] = Finding(FindingKind.MARKING, rule.level, f"{rule.id}+paragraph-start",
                                     unit.original(start, end), block.location, unit.excerpt(start, end),
                                     rule.confidence, scheme=rule.scheme)

    def _authority(self, found: list[Finding], banners: bool) -> list[Finding]:
        """Two authority fields: the banners are backed by a classification authority block."""
        if not banners:
            return found + [next(iter(self.authority.values()))[0]]  # the block's first line
        value = max(confidence for _f, confidence in self.authority.values())
        return [dataclasses.replace(f, confidence=max(f.confidence, value), rule=f.rule + "+authority-block")
                if f.kind is FindingKind.MARKING and f.level is not None and "+paragraph-start" not in f.rule
                else f for f in found]

    @staticmethod
    def _finding(unit: Normalized, block: TextBlock, level: Level | None, name: str, rule: Rule,
                 confidence: float, kind: FindingKind) -> Finding:
        end = len(unit.norm)
        return Finding(kind, level, name, unit.original(0, end), block.location, unit.excerpt(0, end),
                       confidence, scheme=rule.scheme)


def _worth_reading(raw: str) -> bool:
    """Cheap test before normalising: a short line with capitals, a paragraph opening with a
    bracket, or a label with a colon near its start."""
    head = raw.lstrip()[:32]
    if head.startswith("(") and head[1:2].isupper() or ":" in head or "：" in head:
        return True
    return len(raw) <= 2 * MAX_BANNER_LEN and _CAPITALS.search(raw) is not None


def _first(rules: Iterable[Rule], norm: str) -> _Hit | None:
    """The first rule whose pattern matches the whole of ``norm``."""
    for rule in rules:
        match = rule.pattern.fullmatch(norm)
        if match is not None:
            return rule, match
    return None
