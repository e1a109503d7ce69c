"""Marking rules as data: one TOML file per rule in markings/rules/, validated on load.

A rule's ``pattern`` is applied to one normalised text unit. Patterns may use the
shared fragments below as ``{NAME}`` (plain text replacement, so regex braces such
as ``{1,2}`` are untouched). Every rule carries examples that must (not) match.

Optional marking regimes are rule packs: each folder in markings/packs/ (``tw``,
``en``) holds more rule files, loaded only when asked for (``load_rules(packs=...)``).
Pack rules carry a ``scheme`` that the detector copies into their findings; a rule
may also say ``script = "traditional"`` (it counts only in text written in
traditional characters) and ``replaces = [ids]`` (it re-reads what those rules
matched, see markings/script.py) and ``label_lines = N`` (a match with a label, a form
field such as 密等：…, also counts in the first N body lines of page 1). Kinds ``portion``
and ``authority`` belong to the banner-line schemes read by markings/banner.py.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markings.normalize import normalize
from markings.rulepacks import pack_files
from scanner.errors import RuleError
from scanner.records import Level

RULES_DIR = Path(__file__).with_name("rules")
BANNER_SCHEMES = frozenset({"en"})  # schemes whose rules markings/banner.py reads (own positions)
SCRIPTS = frozenset({"traditional"})
STATE_LEVELS = frozenset({Level.JUEMI, Level.JIMI, Level.MIMI})
TRADE_LEVELS = frozenset({Level.HEXIN_SHANGMI, Level.PUTONG_SHANGMI})
MAX_YEARS = {Level.JUEMI: 30, Level.JIMI: 20, Level.MIMI: 10}
_CHINESE_PERIOD = re.compile("[一二三四五六七八九十两]{1,3} ?(?:年|个月|月)")
_YEARS = re.compile(r"(\d{1,2}) ?年")

# Kinds, in the order the detector tries them on a whole unit.
KINDS = ("note", "marking", "negative", "handling", "serial", "urgency", "attachment",
         "declassified", "mention", "portion", "authority")
_LEVEL_KINDS = frozenset({"marking", "handling", "note", "portion"})
_BANNER_KINDS = frozenset({"portion", "authority"})
_KEYS = frozenset({"kind", "level", "pattern", "confidence", "parts", "examples", "description",
                   "scheme", "script", "replaces", "label_lines"})
_SCHEME = re.compile("[a-z]{2,8}")
_REQUIRED = ("kind", "pattern", "confidence", "examples")

FRAGMENTS: dict[str, str] = {
    "LABEL": r"(?P<label>(?:文件|文档)?(?:密 ?级|保密等级|保密级别|密级标识|密级变更为) ?:? ?)",
    "OPEN": r"[\[【(（]",
    "CLOSE": r"[\]】)）]",
    "STAR": r"(?P<star>★{1,3})",
    "NUM": r"(?:\d{1,2}|[一二三四五六七八九十两]{1,3})",
    "PERIOD": r"(?P<period>{NUM} ?(?:年|个月|月)|长期"
              r"|\d{4} ?年 ?\d{1,2} ?月(?: ?\d{1,2} ?日)?(?:前|止|解密)?"
              r"|\d{4}[./-]\d{1,2}(?:[./-]\d{1,2})?|[\u4e00-\u9fff]{2,16}?(?:前|后|时))",
    "NOTE": r"(?: ?[（(][^（）()]{1,20}[)）])",
    "OWNER": r"(?P<owner>[\u4e00-\u9fffA-Za-z0-9]{1,16}?(?:公司|集团|院|所|厂|局|中心|股份|银行|有限))",
    "HANDLE": r"(?:注意保存|注意保管|注意保密|妥善保管|请勿外传|不得外传|严禁外传|不得翻印|请勿翻印"
              r"|免费交流|仅供参考|会后收回|阅后收回)",
    # Taiwan (pack tw): the 公文 field 密等及解密條件或保密期限 and what may follow a level.
    "TW_LABEL": r"(?P<label>密等(?:及解密条件或保密期限)? ?:? ?)",
    "TW_TAIL": r"(?: ?[，,、;；] ?[^，,;；]{1,40}| ?[（(][^（）()]{1,40}[)）])",
    # English banners (pack en): capitals only; control markings after // (NOFORN, REL TO USA, FVEY).
    "EN_LABEL": r"(?:(?:(?:SECURITY )?CLASSIFICATION|(?:Security )?Classification|PROTECTIVE MARKING) ?: ?)",
    "EN_CONTROLS": r"(?: ?// ?[A-Z0-9][A-Z0-9 ,/\-]{0,60})",
}
_FRAGMENT_REF = re.compile(r"\{([A-Z_]+)\}")


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated rule; ``id`` is the file stem."""

    id: str
    kind: str
    level: Level | None
    pattern: re.Pattern[str]
    confidence: float
    parts: frozenset[str]
    path: Path
    match_examples: tuple[str, ...]
    no_match_examples: tuple[str, ...]
    scheme: str | None = None  # an optional regime (pack): "tw", "en"; copied into findings
    script: str | None = None  # "traditional": counts only in text written in traditional characters
    replaces: frozenset[str] = frozenset()  # ids of rules whose findings this rule may re-read
    label_lines: int = 0  # a match with a label (form field) also counts in the first N body lines of page 1

    def match(self, text: str) -> re.Match[str] | None:
        """Return the match of this rule on a normalised unit (whole unit; any hit for mentions)."""
        if self.kind == "mention":
            return self.pattern.search(text)
        return self.pattern.fullmatch(text)

    def allows(self, part: str) -> bool:
        """True when a hit in ``part`` may count as a marking (empty ``parts`` = anywhere)."""
        return not self.parts or part in self.parts


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules, grouped by kind in the order the detector uses them."""

    rules: tuple[Rule, ...]

    def of_kind(self, kind: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.kind == kind)

    def get(self, rule_id: str) -> Rule:
        """Return the rule called ``rule_id``; raises KeyError."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def expand(pattern: str) -> str:
    """Replace ``{NAME}`` fragment references (fragments may nest); raises KeyError."""
    for _ in range(4):
        expanded = _FRAGMENT_REF.sub(lambda m: FRAGMENTS[m.group(1)], pattern)
        if expanded == pattern:
            break
        pattern = expanded
    return pattern


def load_rules(folder: str | Path | None = None, packs: Iterable[str] = ()) -> RuleSet:
    """Load and validate every ``*.toml`` in ``folder`` (default markings/rules/), plus the
    rule files of each named pack (markings/packs/<name>/).

    Raises RuleError whose message starts with the offending file's path (an unknown pack
    name: the message lists the available packs). Each (folder, packs) set is loaded once
    per process.
    """
    return _cached_folder(str(Path(folder or RULES_DIR).resolve()), tuple(sorted(set(packs))))


@functools.cache
def _cached_folder(folder: str, packs: tuple[str, ...] = ()) -> RuleSet:
    if not packs:
        return _load_folder(Path(folder))
    extra = [load_rule(path) for _pack, path in pack_files(packs)]
    if unnamed := next((rule for rule in extra if rule.scheme is None), None):
        raise RuleError(f"{unnamed.path}: a pack rule needs a scheme")
    rules = list(_cached_folder(folder).rules) + extra
    seen: dict[str, Rule] = {}
    for rule in rules:
        _check_with(rule, seen.setdefault(rule.id, rule), seen.setdefault(f"scheme:{rule.scheme}", rule))
    return RuleSet(tuple(sorted(rules, key=_order)))


def _check_with(rule: Rule, same_id: Rule, same_scheme: Rule) -> None:
    """Raise RuleError when ``rule`` clashes with the first rule of its id or of its scheme."""
    if same_id is not rule:
        raise RuleError(f"{rule.path}: rule id {rule.id!r} is also defined by {same_id.path}")
    if rule.scheme is not None and same_scheme.script != rule.script:
        raise RuleError(f"{rule.path}: script {rule.script!r}, but {same_scheme.path} of the same scheme "
                        f"says {same_scheme.script!r}")


def _order(rule: Rule) -> tuple[int, bool, str]:
    """Kind order, then the default rules before any pack's (the first whole-unit match wins)."""
    return KINDS.index(rule.kind), rule.scheme is not None, rule.id


def _load_folder(folder: Path) -> RuleSet:
    if not folder.is_dir():
        raise RuleError(f"{folder}: rules folder not found")
    # regular files only: a FIFO named x.toml would block the read forever
    rules = [load_rule(path) for path in sorted(folder.glob("*.toml")) if path.is_file()]
    if not rules:
        raise RuleError(f"{folder}: no rule files")
    rules.sort(key=_order)
    return RuleSet(tuple(rules))


def load_rule(path: Path) -> Rule:
    """Parse and validate one rule file; raises RuleError naming ``path``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: cannot read rule: {exc}") from exc
    try:
        rule = _build(path, data)
        _check_examples(rule)
    except (ValueError, TypeError, KeyError, re.error) as exc:
        raise RuleError(f"{path}: {exc}") from exc
    return rule


def _build(path: Path, data: dict[str, Any]) -> Rule:
    unknown = set(data) - _KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise ValueError(f"missing keys {missing}")
    kind = _typed(data, "kind", str)
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {KINDS}")
    level = _level(kind, data.get("level"))
    confidence = data["confidence"]
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1:
        raise ValueError(f"confidence {confidence!r} is not a number in [0, 1]")
    raw = _typed(data, "pattern", str)
    if kind != "mention" and not (raw.startswith("^") and raw.endswith("$")):
        raise ValueError("pattern must be anchored with ^ and $")
    try:
        pattern = re.compile(expand(raw))
    except KeyError as exc:
        raise ValueError(f"unknown fragment {exc}") from None
    parts = data.get("parts", [])
    if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
        raise TypeError("parts must be a list of strings")
    examples = data["examples"]
    if not isinstance(examples, dict) or set(examples) - {"match", "no_match"}:
        raise ValueError("[examples] holds only match and no_match")
    scheme, script, replaces = _pack_keys(kind, data)
    lines = data.get("label_lines", 0)
    if isinstance(lines, bool) or not isinstance(lines, int) or not 0 <= lines <= 60:
        raise ValueError(f"label_lines {lines!r} is not a number of lines in [0, 60]")
    if lines and "label" not in pattern.groupindex:
        raise ValueError("label_lines needs a (?P<label>...) group in the pattern")
    return Rule(path.stem, kind, level, pattern, float(confidence), frozenset(parts), path,
                _strings(examples, "match"), _strings(examples, "no_match"), scheme, script, replaces, lines)


def _pack_keys(kind: str, data: dict[str, Any]) -> tuple[str | None, str | None, frozenset[str]]:
    """Validate ``scheme``, ``script`` and ``replaces`` (the keys of pack rules)."""
    scheme = data.get("scheme")
    if scheme is not None and not (isinstance(scheme, str) and _SCHEME.fullmatch(scheme)):
        raise ValueError(f"scheme {scheme!r} is not a short lowercase name")
    if kind in _BANNER_KINDS and scheme not in BANNER_SCHEMES:
        raise ValueError(f"kind {kind!r} belongs to the banner schemes {sorted(BANNER_SCHEMES)}")
    script = data.get("script")
    if script is not None and script not in SCRIPTS:
        raise ValueError(f"script {script!r} is not one of {sorted(SCRIPTS)}")
    replaces = data.get("replaces", [])
    if not isinstance(replaces, list) or not all(isinstance(r, str) for r in replaces):
        raise TypeError("replaces must be a list of rule ids")
    if replaces and scheme is None:
        raise ValueError("replaces needs a scheme")
    return scheme, script, frozenset(replaces)


def _typed(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data[key]
    if not isinstance(value, kind):
        raise TypeError(f"{key} must be a {kind.__name__}")
    return value


def _level(kind: str, value: object) -> Level | None:
    if value is None:
        if kind in _LEVEL_KINDS:
            raise ValueError(f"kind {kind!r} needs a level")
        return None
    if not isinstance(value, str):
        raise TypeError("level must be a string")
    try:
        return Level.parse(value)
    except ValueError:
        raise ValueError(f"level {value!r} is not one of {[lv.value for lv in Level]}") from None


def _strings(examples: dict[str, Any], key: str) -> tuple[str, ...]:
    values = examples.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"examples.{key} must be a list of strings")
    return tuple(values)


def _check_examples(rule: Rule) -> None:
    if not rule.match_examples:
        raise ValueError("examples.match must not be empty")
    for text in rule.match_examples:
        if rule.match(normalize(text)) is None:
            raise ValueError(f"example {text!r} does not match")
    for text in rule.no_match_examples:
        if rule.match(normalize(text)) is not None:
            raise ValueError(f"no_match example {text!r} matches")


def word_level(word: str) -> Level:
    """Return the level a level word names (警务工作秘密 -> 工作秘密, 核心商业秘密 -> 核心商密)."""
    if word.endswith("工作秘密"):
        return Level.GONGZUO_MIMI
    if word.startswith("核心"):
        return Level.HEXIN_SHANGMI
    if word.startswith("普通"):
        return Level.PUTONG_SHANGMI
    return Level.parse(word)


def complete(level: Level | None, groups: dict[str, str | None]) -> bool:
    """True for a state/trade mark with its star (or 商密 separator) and a period."""
    if level not in STATE_LEVELS | TRADE_LEVELS or not groups.get("period"):
        return False
    return bool(groups.get("star") or (level in TRADE_LEVELS and groups.get("sep")))


def nonstandard(level: Level | None, groups: dict[str, str | None], glyph: str | None) -> str | None:
    """Return why a matched mark departs from the standard form, or None (§4.2, §4.3)."""
    star, sep, period = groups.get("star"), groups.get("sep"), groups.get("period") or ""
    if level in TRADE_LEVELS:
        return "star reserved for state secrets" if sep == "★" else None
    if level not in STATE_LEVELS:
        return None
    if glyph is not None:
        return "star glyph"
    if star is not None and len(star) > 1:
        return "extra stars"
    if "sep" in groups:  # a *-nostar rule
        return "period not a legal value" if period == "永久" else "no star"
    if _CHINESE_PERIOD.fullmatch(period):
        return "chinese numerals"
    years = _YEARS.fullmatch(period)
    if years and int(years.group(1)) > MAX_YEARS[level]:
        return "period exceeds maximum"
    return None
