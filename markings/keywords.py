"""Keyword lists (关键词检查, issue 9): the detector, its factory and the up-front check.

``--keywords FILE`` (repeatable) names lists in the format of markings/keywords_list.py.
Every occurrence of a term is found in each text block (markings/keywords_match.py says how
word boundaries are decided) and becomes a ``keyword`` finding:

* rule ``keyword:<list name>``, text = the term as listed (a rule: the rule as written),
  location = the block's, context = the block text about 15 characters either side;
* level = the entry's level when it is a marking level (绝密 ... 内部), else None (涉密, 敏感
  and the entry's level are then in ``list_level``);
* confidence = weight / (weight + 1): weight 1 -> 0.5, 4 -> 0.8, 9 -> 0.9;
* details: ``list``, ``term``, ``weight``, and ``rule`` for a rule. The first 10 occurrences
  of a term are listed per document (later ones are not even checked: the word-boundary check
  is the costly part), at most 1,000 keyword findings in all (the scanner keeps fewer and counts
  the rest). A term used in a NEAR rule is followed up to 1,000 occurrences.

Rules: ``A AND B`` holds when both occur anywhere in the document, ``NOT A`` when A occurs
nowhere in it, ``A NEAR/n B`` when an A and a B that do not overlap are at most n characters
apart (between the end of one and the start of the other) within one part of the document:
consecutive blocks of the same part (body, one table, one sheet, one header kind, ...) count as
one text with a line break (one character) between blocks, so PDF lines and paragraphs join.
A rule gives one finding, at its first positive clause's first (NEAR: first close) occurrence.

``suspected``: a list whose header says ``#! 计入疑似: 是`` adds up the weights of its entries
that hit (each entry once, however often it occurs). When the sum reaches the list's threshold
(``#! 阈值``, default 1) the verdict is Suspicion(label, score, terms) with label 涉密 when one
of those entries is 绝密/机密/秘密/涉密 and 内部 otherwise, score = 1 - 0.3 ** (sum / threshold)
(0.7 at the threshold, 0.91 at twice it), terms = the five heaviest entries that hit. Of
several such lists, the highest score is the verdict.

Loading is cached per process: by path, size and mtime for the file, then by content digest
for the search structures. The jieba tokenizer with the terms is built on the first block
where a term occurs (about 0.2 s and 40 MB more than the marking tokenizer, which it copies;
once per worker process).
"""

from __future__ import annotations

import argparse
import bisect
import functools
import itertools
import os
from dataclasses import dataclass

from markings.keywords_list import SECRET_LEVELS, Entry, KeywordList, KeywordListError, Term, fold, read_list
from markings.keywords_match import BlockView, Matcher, Segmenter, is_chinese
from scanner.options import ScanOptions
from scanner.records import Finding, FindingKind, Level, Suspicion, TextBlock

MAX_PER_TERM = 10  # occurrences of one term looked for and listed per document
MAX_FINDINGS = 1000  # keyword findings per document
MAX_KEPT = 1000  # occurrences of a NEAR operand looked for per document
CONTEXT = 15  # characters of context either side
CHUNK = 65_536  # characters searched in one call: fewer calls into the automaton, bounded memory
TOP_TERMS = 5
_LEVELS = {level.value: level for level in Level}


class Compiled:
    """The lists of one scan, ready to search: read-only once built (cached per process).

    Each distinct (folded term, substring?) is a term id; the matcher searches each distinct
    folded term once and ``by_key`` maps its hits back to the term ids.
    """

    def __init__(self, lists: tuple[KeywordList, ...]) -> None:
        self.lists = lists
        self.slots: list[tuple[str, bool, bool]] = []  # term id -> (key, substring, chinese)
        self.slot_of: dict[tuple[str, bool], int] = {}
        # term id -> (list index, entry index) of the entries it can make hit (a rule: its positive terms)
        self.entries_of: dict[int, list[tuple[int, int]]] = {}
        near: set[int] = set()
        for li, lst in enumerate(lists):
            for ei, entry in enumerate(lst.entries):
                for clause in entry.clauses:
                    ids = [self._slot(term) for term in clause.terms]
                    for tid in ids if clause.op != "not" else ():
                        self.entries_of.setdefault(tid, []).append((li, ei))
                    near.update(ids if clause.op == "near" else ())
        self.limits = [MAX_KEPT if tid in near else MAX_PER_TERM for tid in range(len(self.slots))]
        keys = sorted({key for key, _, _ in self.slots})
        key_index = {key: i for i, key in enumerate(keys)}
        by_key: list[list[int]] = [[] for _ in keys]
        for tid, (key, _, _) in enumerate(self.slots):
            by_key[key_index[key]].append(tid)
        self.by_key = tuple(tuple(ids) for ids in by_key)
        self.matcher = Matcher(keys)
        self._segmenter: Segmenter | None = None

    def _slot(self, term: Term) -> int:
        slot = (term.key, term.substring)
        if slot not in self.slot_of:
            self.slot_of[slot] = len(self.slots)
            self.slots.append((term.key, term.substring, is_chinese(term.key)))
        return self.slot_of[slot]

    def segmenter(self) -> Segmenter | None:
        """The jieba tokenizer with the terms, built on first use; None when no term needs one."""
        if self._segmenter is None and any(chinese and not sub for _, sub, chinese in self.slots):
            self._segmenter = Segmenter(key for key, sub, chinese in self.slots if chinese and not sub)
        return self._segmenter


@dataclass(frozen=True, slots=True)
class _Occ:
    order: tuple[int, int]  # block number, start: reading order
    stream: tuple[str | int | None, ...]
    at: int  # offset of the start in the stream of its part
    block: TextBlock
    start: int
    end: int


class KeywordDetector:
    """Keyword findings of one document: feed blocks in reading order, then finish()."""

    def __init__(self, compiled: Compiled) -> None:
        self.c = compiled
        self.hits: dict[int, list[_Occ]] = {}
        self.offsets: dict[tuple[str | int | None, ...], int] = {}
        self.blocks = 0
        self.pending: list[tuple[TextBlock, tuple[str | int | None, ...], int, int]] = []
        self.pending_chars = 0
        self._verdict: Suspicion | None = None

    def feed(self, block: TextBlock) -> None:
        text, loc = block.text, block.location
        stream = (loc.part, loc.sheet, loc.table, loc.name)
        base = self.offsets.get(stream, 0)
        self.offsets[stream] = base + len(text) + 1
        self.blocks += 1
        if text:
            self.pending.append((block, stream, base, self.blocks))
            self.pending_chars += len(text) + 1
            if self.pending_chars >= CHUNK:
                self._search()

    def _search(self) -> None:
        """Search the pending blocks in one call (joined by line breaks, which no term holds)."""
        pending, self.pending, self.pending_chars = self.pending, [], 0
        joined = fold("\n".join(item[0].text for item in pending))
        matches = self.c.matcher.find(joined)
        if not matches:
            return
        starts = list(itertools.accumulate((len(item[0].text) + 1 for item in pending[:-1]), initial=0))
        views: dict[int, BlockView] = {}
        slots, by_key, limits, found = self.c.slots, self.c.by_key, self.c.limits, self.hits
        for key_index, start, end in matches:
            i = bisect.bisect_right(starts, start) - 1
            offset = starts[i]
            start, end = start - offset, end - offset
            for tid in by_key[key_index]:
                occs = found.get(tid)
                if occs is not None and len(occs) >= limits[tid]:
                    continue  # enough of this term: the boundary check is the costly part
                _, substring, chinese = slots[tid]
                if not substring:
                    view = views.get(i)
                    if view is None:
                        size = len(pending[i][0].text)
                        view = views[i] = BlockView(joined[offset:offset + size], self.c.segmenter())
                    if not (view.on_tokens(start, end) if chinese else view.whole_word(start, end)):
                        continue
                block, stream, base, number = pending[i]
                if occs is None:
                    occs = found[tid] = []
                occs.append(_Occ((number, start), stream, base + start, block, start, end))

    def finish(self) -> list[Finding]:
        self._search()
        found: list[tuple[tuple[int, int], Finding]] = []
        hit: list[list[Entry]] = [[] for _ in self.c.lists]
        candidates = {pair for tid in self.hits for pair in self.c.entries_of.get(tid, ())}
        for li, ei in sorted(candidates):
            lst = self.c.lists[li]
            entry = lst.entries[ei]
            occs = self._rule(entry) if entry.rule else self._term(entry)
            if occs:
                hit[li].append(entry)
                found.extend((o.order, self._finding(lst, entry, o)) for o in occs)
        verdicts = [suspicion_of(lst, hit[li]) for li, lst in enumerate(self.c.lists) if lst.suspected]
        self._verdict = max((v for v in verdicts if v is not None), key=lambda v: v.score, default=None)
        found.sort(key=lambda pair: pair[0])
        return [finding for _, finding in found[:MAX_FINDINGS]]

    def suspicion(self) -> Suspicion | None:
        """After finish(): the verdict of the lists that count toward `suspected`, or None."""
        return self._verdict

    def _hits(self, term: Term) -> list[_Occ] | None:
        return self.hits.get(self.c.slot_of[(term.key, term.substring)])

    def _term(self, entry: Entry) -> list[_Occ]:
        return (self._hits(entry.clauses[0].terms[0]) or [])[:MAX_PER_TERM]

    def _rule(self, entry: Entry) -> list[_Occ]:
        """[the occurrence the rule's finding points at] when every clause holds, else []."""
        where: _Occ | None = None
        for clause in entry.clauses:
            if clause.op == "near":
                first = self._near(clause.terms[0], clause.terms[1], clause.distance)
            else:
                hits = self._hits(clause.terms[0])
                if (hits is not None) == (clause.op == "not"):
                    return []
                first = hits[0] if hits else None
            if clause.op != "not" and first is None:
                return []
            where = where or first
        return [where] if where else []

    def _near(self, a: Term, b: Term, distance: int) -> _Occ | None:
        """The first occurrence of ``a`` with a ``b`` at most ``distance`` characters away, or None."""
        hits_a, hits_b = self._hits(a), self._hits(b)
        if hits_a is None or hits_b is None:
            return None
        starts: dict[tuple[str | int | None, ...], list[int]] = {}
        for occ in hits_b:
            starts.setdefault(occ.stream, []).append(occ.at)
        size_a, size_b = len(a.key), len(b.key)
        for occ in hits_a:
            row = starts.get(occ.stream)
            if row is None:
                continue
            after = bisect.bisect_left(row, occ.at + size_a)  # first b starting after this a
            if after < len(row) and row[after] - occ.at - size_a <= distance:
                return occ
            before = bisect.bisect_right(row, occ.at - size_b) - 1  # last b ending before it
            if before >= 0 and occ.at - row[before] - size_b <= distance:
                return occ
        return None

    def _finding(self, lst: KeywordList, entry: Entry, occ: _Occ) -> Finding:
        raw = occ.block.text
        context = " ".join(raw[max(0, occ.start - CONTEXT):occ.end + CONTEXT].split())
        weight = int(entry.weight) if entry.weight.is_integer() else entry.weight
        term = raw[occ.start:occ.end] if entry.rule else entry.text
        details: list[tuple[str, object]] = [("list", lst.name), ("term", term), ("weight", weight)]
        if entry.rule:
            details.append(("rule", entry.text))
        if entry.level is not None and entry.level not in _LEVELS:
            details.append(("list_level", entry.level))
        return Finding(FindingKind.KEYWORD, _LEVELS.get(entry.level or ""), f"keyword:{lst.name}", entry.text,
                       occ.block.location, context, entry.weight / (entry.weight + 1), details=tuple(details))


def suspicion_of(lst: KeywordList, hit: list[Entry]) -> Suspicion | None:
    """The list's verdict on a document whose entries ``hit`` occurred (module docstring), or None."""
    total = sum(entry.weight for entry in hit)
    if not hit or total < lst.threshold:
        return None
    label = "涉密" if any(entry.level in SECRET_LEVELS for entry in hit) else "内部"
    heaviest = sorted(range(len(hit)), key=lambda i: (-hit[i].weight, i))[:TOP_TERMS]
    return Suspicion(label, 1 - 0.3 ** (total / lst.threshold), tuple(hit[i].text for i in heaviest))


def keyword_detector(options: ScanOptions) -> KeywordDetector | None:
    """A detector for one document when ``options.keywords`` names lists, else None.

    Raises KeywordListError when a list cannot be read or is invalid (the CLI checks first).
    """
    if not options.keywords:
        return None
    return KeywordDetector(load(options.keywords))


def load(paths: tuple[str, ...] | list[str]) -> Compiled:
    """The compiled lists (cached per process). Raises KeywordListError."""
    lists = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError as exc:
            raise KeywordListError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        lists.append(_read(os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ino))
    names: dict[str, str] = {}
    for lst in lists:
        if lst.name in names:
            raise KeywordListError(f"{lst.path}: list name {lst.name!r} is also the name of "
                                   f"{names[lst.name]} (give one a '#! 名称: ...' line)")
        names[lst.name] = lst.path
    return _compile(tuple(lists))


def validate(paths: tuple[str, ...] | list[str]) -> None:
    """Check every list before a scan. Raises KeywordListError with a message for people."""
    try:
        load(paths)
    except KeywordListError as exc:
        raise KeywordListError(f"关键词表错误 (keyword list error): {exc}") from exc


def summary(paths: tuple[str, ...] | list[str]) -> list[dict[str, object]]:
    """What each list is, for a run's metadata (as the model summary). Raises KeywordListError."""
    return [{"name": lst.name, "path": lst.path, "sha256": lst.sha256, "entries": len(lst.entries),
             "suspected": lst.suspected} for lst in load(paths).lists]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--keywords FILE`` (repeatable) to a scan/watch/review parser."""
    parser.add_argument("--keywords", metavar="FILE", action="append", default=[],
                        help="关键词表 (keyword list; repeatable): one term a line, "
                             "optional 级别 and 权重 columns")


@functools.lru_cache(maxsize=16)
def _read(path: str, size: int, mtime_ns: int, inode: int) -> KeywordList:
    return read_list(path)


@functools.lru_cache(maxsize=4)
def _compile(lists: tuple[KeywordList, ...]) -> Compiled:
    return Compiled(lists)
