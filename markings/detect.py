"""detect(blocks) -> findings; strongest(findings) -> Marking (markings.md §10).

Blocks are consumed in reading order. A cheap prefilter drops every block that
cannot hold a mark; the rest is normalised and matched whole-unit against the
rules; context.py says whether the unit stands in a strong position. Level words
that are not marks become mentions (jieba decides compounds, only on that path).
Per document, at most MAX_MENTIONS mentions are reported and a marking repeated
with the same rule and text in the same part (a running header) is reported once.

Rule packs (markings/packs/): a rule's ``scheme`` is copied into its findings. Banner
schemes (``en``) have positions of their own and are read by markings.banner; rules
with a ``script`` or ``replaces`` are settled after the document by markings.script.
Without packs neither runs and nothing here changes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from markings import context as ctx
from markings.banner import BannerPack
from markings.normalize import ZERO_WIDTH, Normalized, normalize, title_spans, unit_texts
from markings.rule import STATE_LEVELS, Rule, RuleSet, complete, load_rules, nonstandard, word_level
from markings.script import ScriptPass
from scanner.records import Finding, FindingKind, Level, Marking, TextBlock

MARKING_THRESHOLD = 0.7
MAX_MARK_LEN = 64  # longer units cannot be a whole-line mark
MAX_MENTIONS = 1000  # per document; the scanner keeps fewer and says how many it left out
MENTION_CONFIDENCE = 0.9
_BRACKET_START = re.compile(r"^[（(【\[](?P<word>(?:警务)?工作秘密|核心商密|普通商密|绝密|机密|秘密|内部)"
                            r"(?:★[^）)】\]]{0,8})?[）)】\]](?=\S)")
_Hit = tuple[Rule, re.Match[str]]
_INVISIBLE = re.compile(f"[{ZERO_WIDTH}]")  # removed by normalize(): must not split 内部 before the prefilter
HEADER_FIELD = ctx.Position("header-field")  # rules with label_lines: a form field of page 1's header block


class _Unit(Normalized):
    """A normalised text unit and the block it came from."""

    __slots__ = ("block",)

    def __init__(self, block: TextBlock, raw: str, norm: str) -> None:
        super().__init__(raw, norm)
        self.block = block


def detect(blocks: Iterable[TextBlock], rules: RuleSet | None = None) -> list[Finding]:
    """Return the findings of one document's blocks (given in reading order)."""
    detector = MarkingDetector(rules or load_rules())
    for block in blocks:
        detector.feed(block)
    return detector.finish()


def strongest(findings: Iterable[Finding]) -> Marking | None:
    """Return the highest-level marking with confidence >= 0.7 (ties: confidence, then order)."""
    best: tuple[int, float, int] | None = None
    chosen: Finding | None = None
    for i, finding in enumerate(findings):
        if finding.kind is not FindingKind.MARKING or finding.level is None:
            continue
        if finding.confidence < MARKING_THRESHOLD:
            continue
        key = (finding.level.rank, -finding.confidence, i)
        if best is None or key < best:
            best, chosen = key, finding
    return Marking.from_finding(chosen) if chosen is not None else None


class MarkingDetector:
    """Marks and mentions of one document (markings.md §10): feed blocks in reading order, then finish()."""

    def __init__(self, rules: RuleSet) -> None:
        own = RuleSet(tuple(r for r in rules.rules if not BannerPack.reads(r)))
        self.whole = [r for r in own.rules if r.kind != "mention"]
        self.marks = own.of_kind("marking")
        self.title_rules = self.marks + own.of_kind("negative")
        self.aux = [r for r in own.rules if r.kind in ("serial", "urgency", "declassified")]
        self.level_words = own.of_kind("mention")
        banners = [r for r in rules.rules if BannerPack.reads(r)]
        self.packs: list[BannerPack | ScriptPass] = [BannerPack(banners)] if banners else []
        if ScriptPass.wanted(own.rules):
            self.packs.append(ScriptPass(own.rules))
        self.state = ctx.DocState()
        self.findings: list[Finding] = []
        self.seen: set[tuple[str, str, str]] = set()
        self.mentions = 0
        self.pending: tuple[int, str, int] | None = None  # last state mark: index, part, units left

    def feed(self, block: TextBlock) -> None:
        text = block.text
        if not text or text.isspace():
            return
        for pack in self.packs:
            pack.feed(block)
        window = self.state.advance(block)
        if self.pending is not None:
            self._follow_up(block)
        if ctx.PREFILTER.search(text) is not None or (
                _INVISIBLE.search(text) is not None and ctx.PREFILTER.search(_INVISIBLE.sub("", text)) is not None):
            for raw in unit_texts(block):
                norm = normalize(raw)
                if norm:
                    self._unit(_Unit(block, raw, norm), window)
        self.state.remember(block)

    def finish(self) -> list[Finding]:
        state = self.state
        for column in state.columns.values():
            if column.ledger:
                for i in column.findings:
                    self._demote(i, "mention:ledger-column", mentions_too=True)
        if state.training or len(state.standalone) >= 3:
            for i in state.demotable:
                self._demote(i, "mention:training-document", mentions_too=False)
        findings = self.findings
        for pack in self.packs:
            findings = pack.finish(findings)
        return findings

    def _unit(self, unit: _Unit, window: ctx.Position | None) -> None:
        block = unit.block
        pos = self.state.position(block, window)
        column = self.state.column(block)
        if column is not None and ctx.LEDGER_HEADER.match(unit.norm):
            column.headed = True
            return
        if block.location.part == "filename" or pos is ctx.SUBJECT:
            if self._title(unit, pos):
                return
        elif len(unit.norm) <= MAX_MARK_LEN:
            hit = self._match(unit.norm, self.whole, block.location.part)
            if hit is not None:
                self._whole(unit, pos, column, *hit)
                return
            if pos is not None and self._merged(unit, pos, column):
                return
        if block.location.part == "body" and self._bracket(unit):
            return
        self._mentions(unit, column, 0)

    def _whole(self, unit: _Unit, pos: ctx.Position | None, column: ctx.Column | None,
               rule: Rule, match: re.Match[str]) -> None:
        part = unit.block.location.part
        if pos is None and self._header_field(unit.block, rule, match):
            pos = HEADER_FIELD
        if column is not None and rule.kind in ("marking", "negative"):
            column.levels += 1
        if rule.kind == "marking":
            reason = self._veto(unit, pos, column, rule, match)
            if reason is None and pos is not None:
                self._mark(unit, pos, column, rule, match, 0, set())
            else:
                reason = reason or "mention:outside-strong-position"
                self._mention(unit, rule.level, reason, 0, len(unit.norm), column, rule.scheme)
        elif rule.kind == "attachment" and part == "body":
            self.state.open_attachment()
        elif rule.kind == "declassified":
            self.state.note_declassified(part)
        elif self._applies(rule, pos, unit.block):
            name = "explicit-public" if rule.kind == "negative" else f"{rule.id}+{pos.name if pos else part}"
            finding = self._finding(unit, rule.level, name, 0, len(unit.norm), rule.confidence, rule.scheme)
            self._add(finding, rule.kind == "note" or (pos is not None and pos.demotable), column)

    def _header_field(self, block: TextBlock, rule: Rule, match: re.Match[str]) -> bool:
        """A labelled form field (密等：…) in the first ``rule.label_lines`` body lines of page 1."""
        loc = block.location
        return (rule.label_lines > 0 and match.groupdict().get("label") is not None and loc.part == "body"
                and (loc.page or 1) == 1 and self.state.body_units <= rule.label_lines)

    def _applies(self, rule: Rule, pos: ctx.Position | None, block: TextBlock) -> bool:
        """Where a negative, handling or note rule yields a finding (§5.4, §6.2, §8)."""
        if rule.kind == "note":
            return not self.state.cue_before(block)
        if pos is None or pos.complete_only:
            return False
        return rule.kind == "negative" or (rule.kind == "handling" and pos.cap == 1.0)

    def _veto(self, unit: _Unit, pos: ctx.Position | None, column: ctx.Column | None,
              rule: Rule, match: re.Match[str]) -> str | None:
        """Return why a whole-unit mark is only a mention here, or None (§10.4)."""
        part = unit.block.location.part
        if column is not None and column.ledger:
            return "mention:ledger-column"
        if pos is None or not rule.allows(part):
            if rule.level in STATE_LEVELS and part == "body":
                self.state.standalone.add(unit.norm)
            return "mention:cell" if column is not None else "mention:outside-strong-position"
        if pos.complete_only and not complete(rule.level, match.groupdict()):
            return "mention:cell"
        if self.state.cue_before(unit.block):
            return "mention:cue-before"
        return None

    def _mark(self, unit: _Unit, pos: ctx.Position, column: ctx.Column | None, rule: Rule,
              match: re.Match[str], start: int, flags: set[str]) -> None:
        """Add a MARKING finding for ``match`` (made on ``unit.norm[start:]``)."""
        key = (rule.id, match.group(), unit.block.location.part)
        if key in self.seen:
            return
        self.seen.add(key)
        groups = match.groupdict()
        glyph = None
        if groups.get("star"):
            glyph = unit.original(start + match.start("star"), start + match.start("star") + 1)
            glyph = None if glyph in ("★", "\uf0ab") else glyph
        oddity = nonstandard(rule.level, groups, glyph)
        confidence = ctx.confidence(rule, groups, oddity, pos)
        name = f"{rule.id}+{pos.name}" + ("+merged" if flags else "")
        period = groups.get("period")
        finding = Finding(FindingKind.MARKING, rule.level, name, unit.original(start, start + match.end()),
                          unit.block.location, unit.excerpt(start, start + match.end()), confidence,
                          period=period.replace(" ", "") if period else None, star=glyph,
                          nonstandard=oddity, scheme=rule.scheme,
                          declassified="declassified" in flags or self.state.declassified_before(key[2]))
        if flags & {"serial", "urgency"} or self._prev_is("serial", unit.block):
            finding = ctx.boost(finding)
        index = self._add(finding, pos.demotable, column)
        if rule.level in STATE_LEVELS:
            self.pending = (index, key[2], 2)

    def _merged(self, unit: _Unit, pos: ctx.Position, column: ctx.Column | None) -> bool:
        """A merged 版头 line such as ``000123 秘密★1年 特急`` (§4.5)."""
        tokens = unit.norm.split(" ")
        flags: set[str] = set()
        lead, trail = 0, len(tokens)
        while lead < trail and (kind := self._aux_kind(tokens[lead])):
            flags.add(kind)
            lead += 1
        while trail > lead and (kind := self._aux_kind(tokens[trail - 1])):
            flags.add(kind)
            trail -= 1
        if not flags or lead >= trail:
            return False
        start = sum(len(t) + 1 for t in tokens[:lead])
        middle = " ".join(tokens[lead:trail])
        hit = self._match(middle, self.marks)
        if hit is None:
            return False
        if self._veto(unit, pos, column, *hit) is not None:
            return False
        self._mark(unit, pos, column, hit[0], hit[1], start, flags)
        return True

    def _title(self, unit: _Unit, pos: ctx.Position | None) -> bool:
        """A file name stem or mail subject that starts or ends with a mark."""
        if pos is None:
            return False
        norm = unit.norm
        for start, end in title_spans(norm, MAX_MARK_LEN):
            hit = self._match(norm[start:end], self.title_rules)
            if hit is None:
                continue
            if hit[0].kind == "negative":
                finding = self._finding(unit, None, "explicit-public", start, end, hit[0].confidence,
                                        hit[0].scheme)
                self._add(finding, False, None)
            else:
                self._mark(unit, pos, None, hit[0], hit[1], start, set())
            return True
        return False

    def _bracket(self, unit: _Unit) -> bool:
        """A paragraph opening with a bracketed level: ``（秘密）……`` (§4.4), confidence 0.6."""
        match = _BRACKET_START.match(unit.norm)
        if match is None:
            return False
        level = word_level(match.group("word"))
        finding = self._finding(unit, level, "bracket-level+paragraph-start", 0, match.end(), 0.6)
        self._add(finding, True, None)
        self._mentions(unit, None, match.end())
        return True

    def _mentions(self, unit: _Unit, column: ctx.Column | None, start: int) -> None:
        ledger = column is not None and column.ledger
        for s, e, level, reason in ctx.mention_hits(unit.norm, self.level_words, start, ledger):
            if self.mentions >= MAX_MENTIONS:
                return
            self._mention(unit, level, reason, s, e, column)

    def _mention(self, unit: _Unit, level: Level | None, reason: str, start: int, end: int,
                 column: ctx.Column | None, scheme: str | None = None) -> None:
        self.mentions += 1
        finding = self._finding(unit, level, reason, start, end, MENTION_CONFIDENCE, scheme)
        self._add(dataclasses.replace(finding, kind=FindingKind.MENTION), False, column)

    def _finding(self, unit: _Unit, level: Level | None, rule: str, start: int, end: int,
                 confidence: float, scheme: str | None = None) -> Finding:
        return Finding(FindingKind.MARKING, level, rule, unit.original(start, end), unit.block.location,
                       unit.excerpt(start, end), confidence, scheme=scheme)

    def _add(self, finding: Finding, demotable: bool, column: ctx.Column | None) -> int:
        index = len(self.findings)
        self.findings.append(finding)
        if demotable:
            self.state.demotable.append(index)
        if column is not None:
            column.findings.append(index)
        return index

    def _demote(self, index: int, reason: str, mentions_too: bool) -> None:
        finding = self.findings[index]
        if finding.kind is FindingKind.MARKING:
            self.findings[index] = dataclasses.replace(finding, kind=FindingKind.MENTION, rule=reason,
                                                       confidence=MENTION_CONFIDENCE)
        elif mentions_too:
            self.findings[index] = dataclasses.replace(finding, rule=reason)

    def _follow_up(self, block: TextBlock) -> None:
        """The units after a state mark: 紧急程度 raises it to a 版头, 解密 declassifies it."""
        assert self.pending is not None
        index, part, left = self.pending
        self.pending = (index, part, left - 1) if left > 1 and block.location.part == part else None
        if block.location.part != part:
            return
        kind = self._aux_kind(normalize(block.text))
        if kind == "urgency":
            self.findings[index] = ctx.boost(self.findings[index])
        elif kind == "declassified":
            self.findings[index] = dataclasses.replace(self.findings[index], declassified=True)

    def _prev_is(self, kind: str, block: TextBlock) -> bool:
        state = self.state
        if state.prev_part != block.location.part or block.section_start:
            return False
        return self._aux_kind(normalize(state.prev_text)) == kind

    def _aux_kind(self, norm: str) -> str | None:
        hit = self._match(norm, self.aux) if len(norm) <= MAX_MARK_LEN else None
        return hit[0].kind if hit else None

    @staticmethod
    def _match(norm: str, rules: Iterable[Rule], part: str | None = None) -> _Hit | None:
        """Return the first rule matching the whole of ``norm`` (notes and handling only in their parts)."""
        for rule in rules:
            if part is not None and rule.kind in ("note", "handling") and not rule.allows(part):
                continue
            match = rule.pattern.fullmatch(norm)
            if match is not None:
                return rule, match
        return None
