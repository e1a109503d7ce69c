"""The script a document is written in, and the pack rules that depend on it (``script``, ``replaces``).

Normalisation folds traditional characters into simplified ones before any rule matches
(機密 and 机密 are one pattern), so rules that must know the script (the Taiwan pack,
markings.md §2 and §12) are settled once the whole document has been read:

* ``script = "traditional"``: the regime is written in traditional characters. A finding of
  that rule's scheme stands only when its own text holds a traditional character or the
  document is mostly written in traditional characters; otherwise it becomes a plain
  mention (no level, no scheme): ``密`` or ``极机密`` in a simplified document is no Taiwan mark.
* ``replaces = ["jimi-star"]``: a marking made by rule jimi-star is re-read by this rule when
  the marking's own text is written in traditional characters (機密, not 机密), this rule's
  pattern matches it, the document is a traditional-script one or holds another marking of
  this rule's scheme, and neither another state mark of the default rules (★ forms, 絕密,
  秘密, ...) nor a 版头 (份号 or 紧急程度 next to the mark) stands in the document, because a
  mainland document converted to traditional characters keeps its mainland marks. The finding
  keeps its position, text and (at most) its confidence and takes this rule's level, scheme and id.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from markings.normalize import normalize
from markings.rule import STATE_LEVELS, Rule
from scanner.records import Finding, FindingKind, TextBlock

SCRIPT_CHARS = 50_000  # characters of a document counted for its script
MIN_TRADITIONAL = 4  # a traditional-script document shows at least this many traditional characters
RATIO = 3  # ... and this many times more of them than simplified-only ones
MARKING_THRESHOLD = 0.7
MENTION_CONFIDENCE = 0.9
# Frequent characters that differ between the scripts (traditional, then its simplified form).
_PAIRS = ("們们這这為为國国與与說说會会對对來来過过還还進进學学應应請请辦办實实體体間间題题員员"
          "單单計计據据無无軍军報报區区門门樣样當当動动從从現现點点問问縣县總总產产義义長长機机"
          "絕绝級级內内個个時时開开傳传資资業业務务項项檔档發发閱阅條条號号圖图參参將将讀读電电"
          "規规護护處处經经審审關关極极層层數数標标議议論论認认統统區区組组織织書书這这東东車车")
_TRADITIONAL = re.compile("[" + "".join(dict.fromkeys(_PAIRS[0::2])) + "]")
_SIMPLIFIED = re.compile("[" + "".join(dict.fromkeys(_PAIRS[1::2])) + "]")


def has_traditional(text: str) -> bool:
    """True when ``text`` holds a traditional character (one of the pairs above, or one that
    normalisation folds, such as 機 or 絕)."""
    if _TRADITIONAL.search(text) is not None:
        return True
    return any("\u4e00" <= ch <= "\u9fff" and normalize(ch) != ch for ch in text)


class ScriptPass:
    """Counts a document's script while it is read; settles ``script``/``replaces`` rules at the end."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        rules = tuple(rules)
        self.scripts = {r.scheme: r.script for r in rules if r.scheme and r.script}
        self.replacers = [r for r in rules if r.replaces]
        self.traditional_chars = 0
        self.simplified_chars = 0
        self.budget = SCRIPT_CHARS

    @staticmethod
    def wanted(rules: Iterable[Rule]) -> bool:
        return any(r.script or r.replaces for r in rules)

    def feed(self, block: TextBlock) -> None:
        if self.budget <= 0:
            return
        text = block.text[:self.budget]
        self.budget -= len(text)
        self.traditional_chars += len(_TRADITIONAL.findall(text))
        self.simplified_chars += len(_SIMPLIFIED.findall(text))

    @property
    def traditional(self) -> bool:
        """True when the document read so far is mostly written in traditional characters."""
        trad = self.traditional_chars
        return trad >= MIN_TRADITIONAL and trad >= RATIO * self.simplified_chars

    def finish(self, findings: list[Finding]) -> list[Finding]:
        """Return ``findings`` with script-bound findings settled (see the module docstring)."""
        settled = [self._gate(f) for f in findings]
        for rule in self.replacers:
            settled = self._replace(rule, settled)
        return settled

    def _gate(self, finding: Finding) -> Finding:
        script = self.scripts.get(finding.scheme)
        if script is None or self.traditional or has_traditional(finding.text):
            return finding
        return dataclasses.replace(finding, kind=FindingKind.MENTION, level=None, scheme=None,
                                   rule="mention:not-traditional-script", confidence=MENTION_CONFIDENCE)

    def _replace(self, rule: Rule, findings: list[Finding]) -> list[Finding]:
        candidates = [i for i, f in enumerate(findings) if self._candidate(rule, f)]
        if not candidates:
            return findings
        chosen = set(candidates)
        native = any(f.kind is FindingKind.MARKING and f.scheme is None and f.level in STATE_LEVELS
                     and f.confidence >= MARKING_THRESHOLD and i not in chosen
                     for i, f in enumerate(findings))
        ours = any(f.kind is FindingKind.MARKING and f.scheme == rule.scheme and f.level is not None
                   for f in findings)
        if native or not (self.traditional or ours):
            return findings
        out = list(findings)
        for i in candidates:
            f = findings[i]
            where = f.rule.partition("+")[2]
            out[i] = dataclasses.replace(f, level=rule.level, scheme=rule.scheme, rule=f"{rule.id}+{where}",
                                         confidence=min(f.confidence, rule.confidence))
        return out

    @staticmethod
    def _candidate(rule: Rule, finding: Finding) -> bool:
        if finding.kind is not FindingKind.MARKING or finding.scheme is not None or finding.level is None:
            return False
        base = finding.rule.partition("+")[0]
        if base not in rule.replaces or "+header-block" in finding.rule:  # a GB/T 9704 版头 is mainland
            return False
        return has_traditional(finding.text) and rule.match(normalize(finding.text)) is not None
