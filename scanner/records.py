"""The data that flows between the stages, and the one place the report's JSON shape is built.

Everything here is a frozen dataclass; ``FileRecord.to_json()`` produces the
contract of shared/spec/report-format.md and nothing else does.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any


class Level(enum.Enum):
    """Marking levels; declaration order is the rank (strongest first)."""

    JUEMI = "绝密"
    JIMI = "机密"
    MIMI = "秘密"
    HEXIN_SHANGMI = "核心商密"
    PUTONG_SHANGMI = "普通商密"
    GONGZUO_MIMI = "工作秘密"
    NEIBU = "内部"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]

    @classmethod
    def parse(cls, value: str) -> Level:
        """Return the level whose Chinese name is ``value``; raises ValueError."""
        return cls(value)


_LEVEL_RANK = {level: i for i, level in enumerate(Level)}


class Status(enum.Enum):
    OK = "ok"
    ERROR = "error"
    ENCRYPTED = "encrypted"
    UNSUPPORTED = "unsupported"
    SKIPPED = "skipped"


class FindingKind(enum.Enum):
    MARKING = "marking"
    MENTION = "mention"
    SENSITIVE_INFO = "sensitive_info"
    SUSPECTED = "suspected"
    FINGERPRINT = "fingerprint"
    KEYWORD = "keyword"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a file a piece of text stands. Numbers are 1-based."""

    part: str  # body, header, footer, filename, properties, comment, table, textbox, ...
    page: int | None = None
    paragraph: int | None = None
    sheet: str | None = None
    cell: str | None = None  # "B7"
    slide: int | None = None
    line: int | None = None
    table: int | None = None  # which table of a word-processing document
    name: str | None = None  # property name, header kind ("default", "first"), comment author ...

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}


@dataclass(frozen=True, slots=True)
class TextBlock:
    """One unit of text as an extractor found it, in reading order.

    ``band`` is geometry when the format has it: "top" when the block stands
    in the top band of its page, "bottom" in the bottom band, "middle"
    otherwise (decided from character boxes, never from line order); None
    when the format has no page geometry (DOCX body, TXT, cells).
    ``section_start`` says the block opens a new page or sub-document (page or
    section break in a word-processing file), so the lines after it count as
    "first lines" again, as in a compiled booklet.
    """

    text: str
    location: Location
    band: str | None = None
    section_start: bool = False


@dataclass(frozen=True, slots=True)
class Member:
    """A file inside a container: an archive member, a mail attachment, an embedded object.

    Container extractors yield these beside their TextBlocks; the scanner scans each as a
    file of its own, with the path ``container!/name``. ``data`` is None when the member
    was not extracted, and then ``status`` and ``reason`` say why (a limit, a password).
    """

    name: str  # path inside the container, "/"-separated, already decoded (GBK names too)
    data: bytes | None
    mtime: float | None = None  # POSIX time when the container records one
    status: Status | None = None  # None: extracted; else SKIPPED / ENCRYPTED / ERROR
    reason: str | None = None
    size: int | None = None  # declared uncompressed size, when data is None


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    level: Level | None
    rule: str
    text: str
    location: Location
    context: str
    confidence: float
    period: str | None = None
    star: str | None = None  # the original star glyph when it was not ★
    nonstandard: str | None = None
    declassified: bool = False
    scheme: str | None = None
    terms: tuple[str, ...] = ()  # a classifier finding's top contributing terms
    details: tuple[tuple[str, Any], ...] = ()  # kind-specific contract additions (JSON-ready values)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "level": self.level.value if self.level else None,
            "rule": self.rule,
            "text": self.text,
            "location": self.location.to_json(),
            "context": self.context,
            "confidence": round(self.confidence, 3),
        }
        for key in ("period", "star", "nonstandard", "scheme"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.declassified:
            out["declassified"] = True
        if self.terms:
            out["terms"] = list(self.terms)
        for key, value in self.details:
            out.setdefault(key, value)
        return out


@dataclass(frozen=True, slots=True)
class Marking:
    """The strongest marking a file carries as a marking (not a mention)."""

    level: Level
    text: str
    period: str | None
    location: Location
    rule: str
    confidence: float
    declassified: bool = False
    scheme: str | None = None  # another regime's mark (rule packs: "tw", "en"); None = the mainland's

    @classmethod
    def from_finding(cls, finding: Finding) -> Marking:
        assert finding.level is not None
        return cls(finding.level, finding.text, finding.period, finding.location,
                   finding.rule, finding.confidence, finding.declassified, finding.scheme)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "level": self.level.value,
            "text": self.text,
            "period": self.period,
            "location": self.location.to_json(),
            "rule": self.rule,
            "confidence": round(self.confidence, 3),
        }
        if self.declassified:
            out["declassified"] = True
        if self.scheme is not None:
            out["scheme"] = self.scheme
        return out


@dataclass(frozen=True, slots=True)
class Suspicion:
    label: str  # 涉密 | 内部
    score: float
    terms: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(self.score, 3), "terms": list(self.terms)}


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A file the walk reached. ``fspath`` opens it; ``path`` is how the report names it."""

    fspath: str  # may hold surrogate escapes for undecodable bytes (os.fsdecode)
    path: str  # printable: undecodable bytes shown as \\xNN
    size: int = 0
    mtime: float = 0.0
    inode: int = 0
    device: int = 0
    skip: str | None = None  # why the walk will not open it (special file, unreadable folder, ...)


@dataclass(frozen=True, slots=True)
class Evidence:
    size: int
    mtime: str  # ISO 8601 with offset
    sha256: str | None


@dataclass(frozen=True, slots=True)
class FileRecord:
    path: str
    status: Status
    error: str | None
    format: str | None
    size: int
    mtime: str | None
    sha256: str | None
    marking: Marking | None = None
    findings: tuple[Finding, ...] = ()
    suspected: Suspicion | None = None
    extra: tuple[tuple[str, Any], ...] = field(default=())  # contract additions, e.g. ("encoding", "gb18030")

    @property
    def flagged(self) -> bool:
        """True when the record counts towards exit status 1."""
        marked = self.marking is not None and not self.marking.declassified
        derived = any(f.kind is FindingKind.FINGERPRINT and f.level is not None for f in self.findings)
        return marked or self.suspected is not None or derived

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "status": self.status.value,
            "error": self.error,
            "format": self.format,
            "size": self.size,
            "mtime": self.mtime,
            "sha256": self.sha256,
            "marking": self.marking.to_json() if self.marking else None,
            "findings": [f.to_json() for f in self.findings],
            "suspected": self.suspected.to_json() if self.suspected else None,
        }
        for key, value in self.extra:
            out.setdefault(key, value)
        return out

    def to_line(self) -> str:
        """The record as one JSON Lines line (no trailing newline)."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))


def is_flagged(record: dict[str, Any]) -> bool:
    """True when a report record counts towards exit status 1 (FileRecord.flagged, for the JSON form)."""
    marking = record.get("marking")
    if (marking and not marking.get("declassified")) or record.get("suspected"):
        return True
    # text shared with a registered marked document is derived secret content (派生定密, 条例第十八条)
    return any(f.get("kind") == "fingerprint" and f.get("level") for f in record.get("findings", ()))
