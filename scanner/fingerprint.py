"""Fingerprints of marked documents (派生定密): find registered passages in other documents.

保守国家秘密法实施条例 第十八条: summaries, compilations and extracts of classified items stay
classified, so a passage of a marked document pasted into a new, unmarked file must be found. A
marked document is registered as hashed, winnowed character shingles (scanner.fingerprint_text) in
the results store's SQLite file (scanner.fingerprint_index); no text is stored. Every scanned
document's fingerprints are looked up in the inverted index; fingerprints of one registered
document that stand close together in the scanned one form passages, and a passage long enough
(``MIN_SPAN``, about 50 characters of ordinary text) is a ``fingerprint`` finding naming the source.

``fingerprint_detector`` is the factory for scanner.detectors.FACTORIES. With
``options.fingerprint_marked`` its ``after`` hook registers every marked document the scan finds.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field

import numpy as np

from scanner import fingerprint_index as index
from scanner import fingerprint_spool as spool
from scanner.fingerprint_index import Registration, RegistryError, Source
from scanner.fingerprint_text import Builder, Fingerprints, K, W, kgram_hashes, normalize
from scanner.options import ScanOptions
from scanner.records import FileRecord, Finding, FindingKind, Level, Status, TextBlock

MIN_FINGERPRINTS = 3  # fingerprints of one source forming a passage ...
MIN_SPAN = 30  # ... spanning at least this many normalised characters (about 50 with punctuation)
MAX_GAP = W + K  # fingerprints further apart than this start a new passage (one changed character is not)
MAX_PASSAGES = 20  # passage locations listed per finding
MAX_SOURCES = 50  # registered documents reported per scanned document
COMMON_MIN, COMMON_SHARE = 200, 0.05  # a hash in more registered documents than both is boilerplate
ABSENT_RETRY = 1.0  # seconds before looking again for a registry that was absent
# Security notices that many marked documents carry word for word: never evidence of a passage.
BOILERPLATE = (
    "本文件含有国家秘密，未经批准不得复制、摘抄、翻印，阅后请交回",
    "本文件含有国家秘密，请妥善保管，不得擅自复制、摘抄、转借或者带出办公场所",
    "此件只发至县团级，不得翻印，用后退回",
    "注意保密，阅后收回，不得翻印、复制、摘抄",
    "本件为内部资料，未经批准不得对外提供，严禁上传互联网",
    "涉密文件，请按照保密规定管理，严禁在非涉密计算机和互联网上存储、处理、传输",
)
log = logging.getLogger(__name__)


@functools.cache
def stop_hashes() -> np.ndarray:
    """Every shingle (not just the winnowed ones) of the security notices and of the formulaic phrases of
    public laws and reports (scanner.fingerprint_common): shared, they are no evidence of a shared passage."""
    from scanner.fingerprint_common import PHRASES

    texts = [normalize(t) for t in BOILERPLATE] + PHRASES.split()
    return np.unique(np.concatenate([kgram_hashes(text) for text in texts]))


@dataclass(frozen=True, slots=True)
class Passage:
    start: int  # normalised offsets in the scanned document
    end: int
    count: int  # fingerprints in it


@dataclass(frozen=True, slots=True)
class Match:
    source: Source
    passages: tuple[Passage, ...]
    share: float  # of the scanned document's fingerprints, those in these passages

    @property
    def chars(self) -> int:
        return sum(p.end - p.start for p in self.passages)


def passages(positions: list[int]) -> list[Passage]:
    """The runs of sorted fingerprint ``positions`` that are long enough to count as shared passages."""
    found: list[Passage] = []
    start = 0
    for i in range(1, len(positions) + 1):
        if i == len(positions) or positions[i] - positions[i - 1] > MAX_GAP:
            first, last = positions[start], positions[i - 1]
            if i - start >= MIN_FINGERPRINTS and last - first + K >= MIN_SPAN:
                found.append(Passage(first, last + K, i - start))
            start = i
    return found


def _candidates(prints: Fingerprints, db: str) -> list[tuple[Source, np.ndarray]]:
    """(source, its hashes among the document's) for every registered document sharing enough fingerprints."""
    uniq = np.unique(prints.hashes)
    found: list[tuple[Source, np.ndarray]] = []
    conn = _reader(db)
    if conn is not None and len(uniq):
        rows = np.array(index.hits(conn, uniq.tolist()), dtype=np.int64).reshape(-1, 2)
        hashes, counts = np.unique(rows[:, 0], return_counts=True)
        common = hashes[counts > max(COMMON_MIN, COMMON_SHARE * index.count(conn))]
        rows = rows[~np.isin(rows[:, 0], common)]
        rows = rows[np.argsort(rows[:, 1], kind="stable")]
        ids, first, size = np.unique(rows[:, 1], return_index=True, return_counts=True)
        wanted = {int(d): (int(a), int(n)) for d, a, n in zip(ids, first, size, strict=True) if n >= MIN_FINGERPRINTS}
        registered = index.sources(conn, wanted)
        found += [(registered[d], rows[a:a + n, 0]) for d, (a, n) in wanted.items() if d in registered]
    for source, hashes in spool.pending(db):
        shared = uniq[np.isin(uniq, hashes, assume_unique=True)]
        if len(shared) >= MIN_FINGERPRINTS:
            found.append((source, shared))
    return found


_ABSENT: dict[str, float] = {}


def _reader(db: str) -> sqlite3.Connection | None:
    if time.monotonic() < _ABSENT.get(db, 0.0):
        return None
    conn = index.reader(db)
    if conn is None:
        _ABSENT[db] = time.monotonic() + ABSENT_RETRY
    return conn


def lookup(prints: Fingerprints, db: str) -> list[Match]:
    """The registered documents ``prints`` shares passages with, most shared text first.

    Returns [] when ``db`` holds no registry. Raises RegistryError when it holds an unusable one.
    """
    if len(prints.hashes) == 0:
        return []
    uniq, inverse = np.unique(prints.hashes, return_inverse=True)
    order = np.argsort(inverse, kind="stable")  # fingerprint indices grouped by distinct hash ...
    groups = np.split(order, np.searchsorted(inverse[order], np.arange(1, len(uniq))))
    matches: dict[str, Match] = {}
    for source, hashes in _candidates(prints, db):  # ... so a source costs its shared hashes, not the document
        chosen = np.concatenate([groups[i] for i in np.searchsorted(uniq, hashes)])
        found = passages(sorted(prints.positions[chosen].tolist()))
        if not found:
            continue
        inside = sum(p.count for p in found)
        match = Match(source, tuple(found), inside / len(prints.hashes))
        key = source.sha256 or f"{source.id}:{source.path}"
        if key not in matches or matches[key].chars < match.chars:
            matches[key] = match
    return sorted(matches.values(), key=lambda m: (-m.chars, m.source.path))[:MAX_SOURCES]


def confidence(chars: int) -> float:
    """0.6 for a 45-character passage, 0.8 for 90, 0.9 for 135, approaching 0.99."""
    return max(0.5, min(0.99, 1 - 0.4 * 2 ** (-(chars - 45) / 45)))


def finding(match: Match, prints: Fingerprints, context: str, same_file: bool) -> Finding:
    """The ``fingerprint`` finding for one matched source (its text never appears in it)."""
    source = match.source
    name = source.path.replace("\\", "/").rsplit("/", 1)[-1]
    kind = "标密文件" if source.level else "文件"
    locations: list[dict] = []
    for p in match.passages:  # every block a passage covers (a reordered compilation: each paragraph)
        for start in prints.blocks_between(p.start, p.end - K):
            loc = prints.locations[start].to_json()
            if not locations or locations[-1] != loc:
                locations.append(loc)
    text = f"与已登记的{kind}《{name}》有 {len(locations)} 处相同段落" + ("（即该登记文件本身）" if same_file else "")
    details: tuple[tuple[str, object], ...] = (
        ("source", source.to_json()), ("share", round(match.share, 3)), ("matched_chars", match.chars),
        ("passages", locations[:MAX_PASSAGES]))
    if same_file:
        details += (("same_file", True),)
    return Finding(FindingKind.FINGERPRINT, _level(source.level), "fingerprint", text,
                   prints.location_at(match.passages[0].start), context, confidence(match.chars), details=details)


def _level(value: str | None) -> Level | None:
    try:
        return Level(value) if value else None
    except ValueError:
        return None


@dataclass(slots=True)
class FingerprintDetector:
    """Looks a document up in the registry (``finish``) and registers it when asked (``after``)."""

    db: str
    register_marked: bool = False
    register_all: bool = False  # `docscan fingerprint add`: the inspector vouches for every given file
    level: str | None = None  # the level of a registered file that carries no marking
    builder: Builder = field(default_factory=lambda: Builder(stop_hashes()))
    raw: list[str] = field(default_factory=list)  # the blocks' own text, for a finding's context
    name: str = ""
    prints: Fingerprints | None = None

    def feed(self, block: TextBlock) -> None:
        if block.location.part == "filename":
            self.name = block.text
        before = len(self.builder.parts)
        self.builder.add(block)
        if len(self.builder.parts) > before:
            self.raw.append(block.text)

    def finish(self) -> list[Finding]:
        self.prints = prints = self.builder.build()
        if self.register_all:
            return []
        try:
            matches = lookup(prints, self.db)
        except (RegistryError, sqlite3.DatabaseError, OSError) as exc:
            log.warning("fingerprint registry %s not read: %s", self.db, exc)
            return []
        return [finding(m, prints, self._context(m.passages[0].start), self._same(m, prints)) for m in matches]

    def _context(self, position: int) -> str:
        """About 40 characters of the scanned document's own text where a passage starts."""
        assert self.prints is not None
        starts = self.prints.starts
        i = max(0, int(np.searchsorted(starts, position, side="right")) - 1)
        end = starts[i + 1] if i + 1 < len(starts) else self.prints.length
        raw = self.raw[i]
        at = int(len(raw) * (position - starts[i]) / max(1, end - starts[i]))
        return " ".join(raw[max(0, at - 4):at + 40].split())

    def _same(self, match: Match, prints: Fingerprints) -> bool:
        """The document is the registered one: same name and exactly its fingerprints, all matched."""
        source = match.source
        same_name = os.path.basename(source.path.replace("!/", "/")) == self.name
        return same_name and source.fingerprints == len(prints.unique()) and match.share > 0.999

    def after(self, record: FileRecord) -> None:
        if not (self.register_marked or self.register_all) or self.prints is None:
            return
        reg = registration(record, self.prints, self.level if self.register_all else None, self.register_all)
        if reg is None:
            return
        try:
            spool.store(self.db, reg)
        except (RegistryError, sqlite3.DatabaseError, OSError) as exc:
            log.warning("fingerprints of %s not registered in %s: %s", record.path, self.db, exc)


def registration(record: FileRecord, prints: Fingerprints, level: str | None, every: bool) -> Registration | None:
    """What registering ``record`` stores, or None when it is not to be registered.

    A marked (not declassified) document is registered with its marking's level; with ``every`` any
    document is, with ``level`` when it carries no marking. Documents without enough text are not.
    """
    marking = record.marking if record.marking and not record.marking.declassified else None
    if record.status is not Status.OK or (marking is None and not every):
        return None
    hashes = prints.unique()
    if len(hashes) < MIN_FINGERPRINTS:
        return None
    if marking is not None:
        return Registration(record.path, record.sha256, marking.level.value, marking.text, record.size, hashes)
    return Registration(record.path, record.sha256, level, None, record.size, hashes)


def fingerprint_detector(options: ScanOptions) -> FingerprintDetector | None:
    """The detector for scanner.detectors.FACTORIES: None unless ``options.fingerprints`` names a registry."""
    if not options.fingerprints:
        return None
    return FingerprintDetector(options.fingerprints, register_marked=options.fingerprint_marked,
                               register_all=options.fingerprint_all, level=options.fingerprint_level)

