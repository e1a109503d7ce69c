"""Keyword list files (关键词表): reading, parsing and validating them (issue 9, 关键词检查).

A list is a text file in UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030, one
entry a line. Columns are separated by tabs, spaces or commas (``,``/``，``)::

    #! 名称: 装备项目               list name (default: the file name without extension)
    #! 计入疑似: 是                 hits count toward `suspected` (default 否)
    #! 阈值: 6                      total weight at which a document is suspected (default 1)
    #! 级别: 涉密                   level of entries that give none (default: none)
    #! 权重: 2                      weight of entries that give none (default 1)
    #! 子串: 是                     every term matches as a substring, as if it ended in * (default 否)
    核潜艇      涉密    5           term [level] [weight]
    潜艇*                           trailing * : matches anywhere, also inside a longer word
    "Blue Fin"  内部                quoted: a term with spaces or commas; latin terms ignore case
    核潜艇 NEAR/20 部署  机密  8    rule: both within 20 characters
    试验 AND 基地 AND NOT 公开版    rule: both in the document and 公开版 nowhere in it

Directives may also be written in English (``name``, ``suspected``, ``threshold``, ``level``,
``weight``, ``substring``) and with ``=`` or ``：``. A line starting with ``#`` is a comment, and so is
`` #...`` after whitespace (so ``C#`` is a term). Levels: 绝密 机密 秘密 核心商密 普通商密
工作秘密 内部 (the marking levels) and 涉密 敏感. Weights are numbers in (0, 1000].

Rule grammar (operators are the uppercase words, never quoted)::

    rule   = clause { "AND" clause } [level] [weight]
    clause = term | "NOT" term | term "NEAR/" n term        (0 <= n <= 10000)

At least one clause must be a term that occurs (a NOT alone never matches). Any error
(bad encoding, unknown level or directive, non-numeric weight, empty or duplicate term,
malformed rule) raises KeywordListError naming the file and line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from scanner.errors import RuleError
from scanner.records import Level

SECRET_LEVELS = frozenset({"绝密", "机密", "秘密", "涉密"})  # suspected label 涉密; the others give 内部
LEVEL_NAMES = tuple(level.value for level in Level) + ("涉密", "敏感")
MAX_WEIGHT = 1000.0
MAX_DISTANCE = 10_000
_DIRECTIVES = {"名称": "name", "name": "name", "计入疑似": "suspected", "suspected": "suspected",
               "阈值": "threshold", "threshold": "threshold", "级别": "level", "level": "level",
               "权重": "weight", "weight": "weight", "子串": "substring", "substring": "substring"}
_YES = {**dict.fromkeys(("是", "yes", "true", "1"), True), **dict.fromkeys(("否", "no", "false", "0"), False)}
_DIRECTIVE = re.compile(r"#!\s*(?P<key>[^:：=]+?)\s*[:：=]\s*(?P<value>.*?)\s*$")
_COLUMN = re.compile(r'"(?P<quoted>[^"]*)"(?P<star>\*?)|(?P<plain>[^\s,，"]+)')
_SEPARATORS = re.compile(r"[\s,，]*")
_COMMENT = re.compile(r"\s#.*$")
_NEAR = re.compile(r"NEAR/(\d+)")
_OPERATORS = ("AND", "NOT", "OR", "NEAR")
# Length-preserving folding (offsets stay valid): ASCII and full-width letters/digits -> ASCII lower case.
_FOLD = {**{c: c + 32 for c in range(ord("A"), ord("Z") + 1)},
         **{c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)},
         **{c: c - 0xFEE0 + 32 for c in range(0xFF21, 0xFF3B)},
         **{c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)}}
_NEEDS_FOLD = re.compile("[A-Z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


class KeywordListError(RuleError):
    """A keyword list cannot be used; the message names the file and line. Stops the run (exit 2)."""


def fold(text: str) -> str:
    """``text`` with ASCII and full-width letters and digits folded to ASCII lower case (same length)."""
    return text.translate(_FOLD) if _NEEDS_FOLD.search(text) else text


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # as written, without quotes and star
    key: str  # folded: what is searched for
    substring: bool  # matches anywhere, not only on word boundaries


@dataclass(frozen=True, slots=True)
class Clause:
    op: str  # "has" | "not" | "near"
    terms: tuple[Term, ...]  # two for "near"
    distance: int = 0


@dataclass(frozen=True, slots=True)
class Entry:
    """A term line (one "has" clause) or a rule line."""

    text: str  # the term, or the rule as written with single spaces
    clauses: tuple[Clause, ...]
    level: str | None
    weight: float
    line: int
    rule: bool


@dataclass(frozen=True, slots=True)
class KeywordList:
    """A parsed list. Equal (and hashed) by path and content digest only."""

    path: str
    sha256: str
    name: str = field(compare=False)
    encoding: str = field(compare=False)
    entries: tuple[Entry, ...] = field(compare=False)
    suspected: bool = field(compare=False)
    threshold: float = field(compare=False)


@dataclass(slots=True)
class _Column:
    value: str
    quoted: bool
    star: bool

    def is_op(self, name: str) -> bool:
        return not self.quoted and (self.value == name or (name == "NEAR" and self.value.startswith("NEAR")))


def read_list(path: str | Path) -> KeywordList:
    """Read and validate one list file. Raises KeywordListError (OSError reading it is wrapped too)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise KeywordListError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_list(data, str(path))


def parse_list(data: bytes, path: str) -> KeywordList:
    """Parse the bytes of a list file named ``path``. Raises KeywordListError."""
    text, encoding = decode(data, path)
    parser = _Parser(path)
    for lineno, line in enumerate(text.splitlines(), 1):
        parser.line(lineno, line)
    return parser.result(hashlib.sha256(data).hexdigest(), encoding)


def decode(data: bytes, path: str) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (BOM optional), UTF-16 with BOM, else GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    raise KeywordListError(f"{path}: not a text file in UTF-8, UTF-16 (with BOM) or GB18030")


class _Parser:
    """Collects entries and directives line by line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.settings: dict[str, tuple[str, int]] = {}
        self.rows: list[tuple[str, tuple[Clause, ...], str | None, float | None, int, bool]] = []
        self.seen: dict[str, int] = {}

    def fail(self, lineno: int, message: str) -> KeywordListError:
        return KeywordListError(f"{self.path}:{lineno}: {message}")

    def line(self, lineno: int, line: str) -> None:
        stripped = line.strip()
        if stripped.startswith("#!"):
            self._directive(lineno, stripped)
            return
        if not stripped or stripped.startswith("#"):
            return
        columns = self._columns(lineno, _COMMENT.sub("", stripped))
        if any(c.is_op(op) for c in columns for op in _OPERATORS):
            clauses, rest = self._rule(lineno, columns)
            text = " AND ".join(_clause_text(c) for c in clauses)
        else:
            clauses, rest = (Clause("has", (self._term(lineno, columns[0]),)),), columns[1:]
            text = clauses[0].terms[0].text
        level, weight = self._level_weight(lineno, rest)
        rule = len(clauses) > 1 or clauses[0].op != "has"
        key = text if rule else clauses[0].terms[0].key + "*" * clauses[0].terms[0].substring
        if key in self.seen:
            raise self.fail(lineno, f"duplicate entry {text!r} (first on line {self.seen[key]})")
        self.seen[key] = lineno
        self.rows.append((text, clauses, level, weight, lineno, rule))

    def _directive(self, lineno: int, line: str) -> None:
        match = _DIRECTIVE.match(line)
        key = _DIRECTIVES.get(match.group("key").lower()) if match else None
        if match is None or key is None:
            raise self.fail(lineno, f"unknown directive {line!r} (known: {', '.join(_DIRECTIVES)})")
        if key in self.settings:
            raise self.fail(lineno, f"directive {match.group('key')!r} given twice "
                                    f"(first on line {self.settings[key][1]})")
        value = match.group("value")
        if key in ("suspected", "substring") and value.lower() not in _YES:
            raise self.fail(lineno, f"{match.group('key')} must be 是/否 (yes/no), not {value!r}")
        if key in ("threshold", "weight"):
            self._number(lineno, value)
        if key == "level":
            self._level(lineno, value)
        if key == "name" and not value:
            raise self.fail(lineno, "empty list name")
        self.settings[key] = (value, lineno)

    def _columns(self, lineno: int, line: str) -> list[_Column]:
        columns, pos = [], 0
        for match in _COLUMN.finditer(line):
            if _SEPARATORS.fullmatch(line, pos, match.start()) is None:
                raise self.fail(lineno, f"unbalanced quote in {line!r}")
            quoted = match.group("quoted")
            columns.append(_Column(quoted if quoted is not None else match.group("plain"), quoted is not None,
                                   bool(match.group("star"))))
            pos = match.end()
        if _SEPARATORS.fullmatch(line, pos) is None:
            raise self.fail(lineno, f"unbalanced quote in {line!r}")
        return columns

    def _term(self, lineno: int, column: _Column) -> Term:
        value, star = column.value, column.star
        if not column.quoted and value.endswith("*"):
            value, star = value[:-1], True
        value = value.strip()
        if not value:
            raise self.fail(lineno, "empty term")
        if not column.quoted and any(column.is_op(op) for op in _OPERATORS):
            raise self.fail(lineno, f"operator {value!r} where a term was expected")
        return Term(value, fold(value), star)

    def _rule(self, lineno: int, columns: list[_Column]) -> tuple[tuple[Clause, ...], list[_Column]]:
        """Parse ``clause { AND clause }``; return the clauses and the columns left (level, weight)."""
        clauses: list[Clause] = []
        i, n = 0, len(columns)
        while True:
            negated = i < n and columns[i].is_op("NOT")
            i += negated
            if i >= n:
                raise self.fail(lineno, "rule ends where a term was expected")
            first = self._term(lineno, columns[i])
            i += 1
            if i < n and columns[i].is_op("NEAR"):
                distance = self._distance(lineno, columns[i].value)
                if negated or i + 1 >= n:
                    raise self.fail(lineno, "NEAR needs a term on each side and cannot follow NOT")
                clauses.append(Clause("near", (first, self._term(lineno, columns[i + 1])), distance))
                i += 2
            else:
                clauses.append(Clause("not" if negated else "has", (first,)))
            if i < n and columns[i].is_op("AND"):
                i += 1
                continue
            break
        rest = columns[i:]
        if any(c.is_op(op) for c in rest for op in _OPERATORS):
            raise self.fail(lineno, "operators must be AND, NOT and NEAR/n between terms (OR: one line each)")
        if all(c.op == "not" for c in clauses):
            raise self.fail(lineno, "a rule needs a term that must occur (NOT alone never matches)")
        return tuple(clauses), rest

    def _distance(self, lineno: int, value: str) -> int:
        match = _NEAR.fullmatch(value)
        if match is None or int(match.group(1)) > MAX_DISTANCE:
            raise self.fail(lineno, f"NEAR needs a distance in characters, 0-{MAX_DISTANCE}: "
                                    f"NEAR/20, not {value!r}")
        return int(match.group(1))

    def _level_weight(self, lineno: int, rest: list[_Column]) -> tuple[str | None, float | None]:
        level = weight = None
        if rest and _is_number(rest[0].value):
            weight, rest = self._number(lineno, rest[0].value), rest[1:]
        elif rest:
            level, rest = self._level(lineno, rest[0].value), rest[1:]
            if rest:
                weight, rest = self._number(lineno, rest[0].value), rest[1:]
        if rest:
            raise self.fail(lineno, f"unexpected column {rest[0].value!r} after the level and weight")
        return level, weight

    def _level(self, lineno: int, value: str) -> str:
        if value not in LEVEL_NAMES:
            raise self.fail(lineno, f"unknown level {value!r} (known: {' '.join(LEVEL_NAMES)})")
        return value

    def _number(self, lineno: int, value: str) -> float:
        if not _is_number(value) or not 0 < float(value) <= MAX_WEIGHT:
            raise self.fail(lineno, f"weight must be a number in (0, {MAX_WEIGHT:g}], not {value!r}")
        return float(value)

    def result(self, sha256: str, encoding: str) -> KeywordList:
        if not self.rows:
            raise KeywordListError(f"{self.path}: the list has no terms")
        get = self.settings.get
        default_level = get("level", (None, 0))[0]
        default_weight = float(get("weight", ("1", 0))[0])
        anywhere = _YES[get("substring", ("否", 0))[0].lower()]
        entries = tuple(Entry(text, _substrings(clauses) if anywhere else clauses, level or default_level,
                              weight or default_weight, lineno, rule)
                        for text, clauses, level, weight, lineno, rule in self.rows)
        name = get("name", (Path(self.path).stem, 0))[0]
        return KeywordList(self.path, sha256, name, encoding, entries,
                           _YES[get("suspected", ("否", 0))[0].lower()], float(get("threshold", ("1", 0))[0]))


def _substrings(clauses: tuple[Clause, ...]) -> tuple[Clause, ...]:
    return tuple(replace(c, terms=tuple(replace(t, substring=True) for t in c.terms)) for c in clauses)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return value.strip().lower() not in ("nan", "inf", "-inf", "infinity", "+inf")


def _clause_text(clause: Clause) -> str:
    """The clause as it would be written (terms with spaces or commas quoted)."""
    def term(t: Term) -> str:
        shown = f'"{t.text}"' if re.search(r"[\s,，]", t.text) else t.text
        return shown + ("*" if t.substring else "")
    if clause.op == "near":
        return f"{term(clause.terms[0])} NEAR/{clause.distance} {term(clause.terms[1])}"
    return ("NOT " if clause.op == "not" else "") + term(clause.terms[0])
