"""Where a text unit stands, and the cues that veto a mark (markings.md §9, §10.4, §10.5).

``DocState`` is the streaming state of one document: the first-lines window (reset
by section starts and 附件 headings), the previous unit and its part, spreadsheet and
table columns (ledger detection) and the training-document evidence. It keeps no
blocks, only counters and the last unit's text.

"Near the end of the body" for 附注 lines cannot be known while streaming; a
standalone parenthesised 附注 line counts anywhere in the body (rule fuzhu-nonpublic).

Compiled booklets (汇编): a mark at the head of a sub-document (the top of a later PDF page, the
first lines after a DOCX page/section break or an 附件 heading) that is followed within a few lines
by that document's own title, 发文字号 or 发文机关标志 is a confirmed sub-document head. The
training-document heuristic never demotes it: a booklet whose first item is a notice about a 培训班
still carries the 内部 mark of its page-37 item (markings.md §4.4, 汇编).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from markings.rule import STATE_LEVELS, Rule, word_level
from markings.segment import covering_token, word_tag
from scanner.records import Finding, Level, TextBlock

WINDOW_LINES = 8  # first non-empty body lines of a document or section
ATTACHMENT_LINES = 3  # lines right after an 附件N heading
TOP_ROWS = 3  # spreadsheet rows whose whole-value marks count
LEDGER_MIN_LEVELS = 3
CUE_TAIL_CHARS = 10  # a cue word counts in this many closing characters of the previous unit
CUE_SHORT_UNIT = 20  # ... of a short unit, or of a longer one not ending a sentence
HEAD_LINES = 6  # body lines after a sub-document's mark in which its title, 文号 or 发文机关 may follow


@dataclass(frozen=True, slots=True)
class Position:
    """A strong position; ``name`` goes into the finding's rule (``mimi-star+header``)."""

    name: str
    demotable: bool = False  # the training-document heuristic may demote a hit here
    cap: float = 1.0  # confidence ceiling
    complete_only: bool = False  # only a complete state/trade mark (★ and period) counts


FIRST_LINES = Position("first-lines")
SECTION_START = Position("section-start", demotable=True)
ATTACHMENT = Position("attachment", demotable=True)
PAGE_TOP = Position("page-top")
PAGE_TOP_LATER = Position("page-top", demotable=True)
PAGE_BOTTOM = Position("page-bottom")
FILENAME = Position("filename", cap=0.8)
SUBJECT = Position("subject", cap=0.8)
PROPERTIES = Position("properties", cap=0.8)
TOP_ROWS_POS = Position("top-rows")
TOP_TABLE = Position("top-table", demotable=True)  # a quiz table can open a training document
CELL = Position("cell", demotable=True, cap=0.75, complete_only=True)
COVER_SLIDE = Position("cover-slide")
_PARTS = {"header": Position("header"), "footer": Position("footer"),
          "master": Position("master"), "layout": Position("layout"),
          "notes": Position("notes", demotable=True, cap=0.75, complete_only=True),
          "watermark": Position("watermark"), "textbox": Position("textbox"),
          "filename": FILENAME, "properties": PROPERTIES,
          "title": SUBJECT, "meta": PROPERTIES}
MAIL_ADDRESS_FIELDS = frozenset({"from", "to", "cc", "bcc", "date", "sender", "reply-to"})

PREFILTER = re.compile("密|[内內]部|公[开開]|收回|退回|外[传傳]|翻印|转发|此件|附件")
TRAINING_TITLE = re.compile("保密知识|试题|题库|培训|公文格式|标注方法|模板")
_CUE_ANYWHERE = re.compile("例如|比如|标注为|标明|标有|标为|印有|注明|字样|标志|标识|格式|正确|错误|应当"
                           "|不得|泄露|窃取|刺探|收买|非法提供|知悉|属于|定为|确定为|列为|如下")
_CUE_TAIL = re.compile(r"(?:如|即)[:：,，、 ]*$")
_ENUMERATOR = re.compile(r"^(?:\d{1,3}[.、)]|[（(][一二三四五六七八九十]{1,3}[)）]"
                         r"|[一二三四五六七八九十]{1,3}、)")
_QUIZ = re.compile(r"^(?:[A-Ha-h] ?[.．、)]|[（(][A-Ha-h][)）]|[①-⑳])")
_LAW = re.compile(r"^第[一二三四五六七八九十百千零〇\d]+条")
_PLACEHOLDER = re.compile(r"[×○□]|__|[XxNn]{1,2} ?[年月]")
LEDGER_HEADER = re.compile(r"^(?:密 ?级|保密等级|保密级别|密级标识) ?:?$")
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")
# A 公文's own heading lines: title (关于…的通知), 发文字号 (×发〔2024〕5号), 发文机关标志 (××市人民政府文件).
DOC_HEAD = re.compile(r"^关于.{2,60}(?:通知|通报|意见|决定|办法|规定|细则|方案|报告|请示|批复|函|纪要"
                      r"|规划|计划|要点|总结|公告|通告|决议|指示|命令|议案|条例|准则)$"
                      r"|^.{1,12}[〔\[(（]\d{4}[〕\])）]\s?\d{1,4}\s?号$"
                      r"|^.{2,30}(?:人民政府|委员会|办公室|办公厅|厅|局|委|部|院)文件$")
_DOC_HEAD_PLACEHOLDER = re.compile(r"[×X○□]|__")
_LEVEL_COMPOUND = re.compile("(?:绝密|机密|秘密)级")
_QUOTES = (("“", "”"), ("「", "」"), ("『", "』"), ("‘", "’"))
_TITLES = (("《", "》"), ("〈", "〉"))


@dataclass(slots=True)
class Column:
    """One table or sheet column: is it a ledger (a 密级 column)?"""

    headed: bool = False
    levels: int = 0
    findings: list[int] = field(default_factory=list)

    @property
    def ledger(self) -> bool:
        return self.headed or self.levels >= LEDGER_MIN_LEVELS


class DocState:
    """Streaming state of one document (see module docstring)."""

    def __init__(self) -> None:
        self.window = WINDOW_LINES
        self.window_pos: Position = FIRST_LINES
        self.body_units = 0
        self.units = 0
        self.prev_text = ""
        self.prev_part = ""
        self.prev_page: int | None = None
        self.columns: dict[tuple[str, str | int | None, str], Column] = {}
        self.training = False
        self.standalone: set[str] = set()
        self.demotable: list[int] = []
        self.declass_unit: dict[str, int] = {}
        self.last_pos: Position | None = None  # the position of the last unit placed
        self.seen_demotable = 0  # len(demotable) when the previous block was counted
        self.heads: list[int] = []  # demotable marks at a sub-document start awaiting its title
        self.head_left = 0
        self.head_page: int | None = None

    def advance(self, block: TextBlock) -> Position | None:
        """Count a non-empty block; return its first-lines window position, if any."""
        self.units += 1
        loc = block.location
        self._watch_heads(block)
        if loc.part == "filename" and TRAINING_TITLE.search(block.text):
            self.training = True
        if loc.part not in ("body", "table"):
            return None
        if block.section_start and block.band is None:
            self.window, self.window_pos = WINDOW_LINES, SECTION_START
        if loc.part == "table":
            return None
        self.body_units += 1
        if self.body_units <= 3 and TRAINING_TITLE.search(block.text):
            self.training = True
        if block.band is not None or self.window <= 0:
            return None
        self.window -= 1
        return self.window_pos

    def _watch_heads(self, block: TextBlock) -> None:
        """Confirm the marks that opened a sub-document once its own title follows (module docstring).

        Marks added by the previous block at a section start, a later page top or after an 附件
        heading become candidates; a 公文 heading line within HEAD_LINES body lines on the same page
        confirms them, which takes them out of ``demotable``.
        """
        added = self.demotable[self.seen_demotable:]
        if added and self.last_pos in (SECTION_START, PAGE_TOP_LATER, ATTACHMENT):
            self.heads, self.head_left, self.head_page = list(added), HEAD_LINES, block.location.page
        if self.heads and block.location.part == "body":
            text = "".join(block.text.split())
            joined = "".join(self.prev_text.split()) + text  # a title broken over two lines
            same_page = block.band is None or block.location.page == self.head_page
            if same_page and (_doc_head(text) or joined.startswith("关于") and _doc_head(joined)):
                confirmed = set(self.heads)
                self.demotable = [i for i in self.demotable if i not in confirmed]
                self.heads = []
            self.head_left -= 1
            if self.head_left <= 0 or not same_page:
                self.heads = []
        self.seen_demotable = len(self.demotable)

    def open_attachment(self) -> None:
        """An 附件N heading: the next lines are first lines of a sub-document."""
        self.window, self.window_pos = ATTACHMENT_LINES, ATTACHMENT

    def remember(self, block: TextBlock) -> None:
        self.prev_text, self.prev_part, self.prev_page = block.text, block.location.part, block.location.page

    def position(self, block: TextBlock, window: Position | None) -> Position | None:
        """Return the strong position ``block`` stands in, or None (remembered as ``last_pos``)."""
        self.last_pos = pos = self._position(block, window)
        return pos

    def _position(self, block: TextBlock, window: Position | None) -> Position | None:
        loc = block.location
        part = loc.part
        if block.band == "top" and part not in ("filename", "properties"):
            return PAGE_TOP if (loc.page or loc.slide or 1) == 1 else PAGE_TOP_LATER
        if block.band == "bottom" and part not in ("filename", "properties"):
            return PAGE_BOTTOM
        if part == "body" and loc.slide == 1:
            return COVER_SLIDE  # a deck's cover slide is its first page, text boxes anywhere on it
        if part == "body":
            return window
        if part == "header" and (loc.name or "").lower() == "subject":
            return SUBJECT
        if part == "header" and (loc.name or "").lower() in MAIL_ADDRESS_FIELDS:
            return None  # From/To/Date of a mail: names and addresses, not a page header
        if part in ("cell", "table"):
            row = cell_row(loc.cell)
            if row is None or row > TOP_ROWS:
                return CELL
            if part == "cell":
                return TOP_ROWS_POS
            if self.window > 0:  # a layout table among the first lines of the document or section
                return TOP_TABLE
            return CELL
        return _PARTS.get(part)

    def column(self, block: TextBlock) -> Column | None:
        """Return the column of a table/sheet cell (created on first use), else None."""
        loc = block.location
        if loc.part not in ("cell", "table") or not loc.cell:
            return None
        match = _CELL_REF.match(loc.cell)
        if match is None:
            return None
        key = (loc.part, loc.sheet if loc.part == "cell" else loc.table, match.group(1))
        return self.columns.setdefault(key, Column())

    def cue_before(self, block: TextBlock) -> bool:
        """True when the previous unit of the same part introduces an example (§10.4).

        The cue must close that unit (``正确的标注格式如下：``); a finished sentence of
        prose (``现将有关事项通知如下，请各单位认真抓好落实，不得延误。``) is no cue.
        """
        loc = block.location
        if block.section_start or self.prev_part != loc.part or loc.part in ("filename", "properties"):
            return False
        if block.band is not None and self.prev_page != loc.page:
            return False
        prev = self.prev_text.strip()
        if len(prev) > CUE_SHORT_UNIT and prev[-1] in "。！？；!?;":
            return False  # a finished sentence of prose, not an introduction
        tail = prev[-CUE_TAIL_CHARS:]
        return bool(_CUE_ANYWHERE.search(tail) or _CUE_TAIL.search(tail))

    def note_declassified(self, part: str) -> None:
        self.declass_unit[part] = self.units

    def declassified_before(self, part: str) -> bool:
        """True when a 解密 line stood in the same part at most two units before."""
        unit = self.declass_unit.get(part)
        return unit is not None and self.units - unit <= 2


def _doc_head(text: str) -> bool:
    """True for a 公文 heading line (title, 发文字号, 发文机关标志) that is not a template placeholder."""
    return DOC_HEAD.match(text) is not None and _DOC_HEAD_PLACEHOLDER.search(text) is None


def cell_row(cell: str | None) -> int | None:
    """Return the 1-based row number of a cell reference such as "B3"."""
    if not cell:
        return None
    match = _CELL_REF.fullmatch(cell)
    return int(match.group(2)) if match else None


def mention_hits(norm: str, rules: Iterable[Rule], start: int,
                 ledger: bool) -> Iterator[tuple[int, int, Level | None, str]]:
    """Yield ``(start, end, level, reason)`` for each level word mentioned in ``norm``.

    A word that is only part of a longer dictionary word is a compound (国家秘密:
    level None; 绝密级 keeps its level); one whose characters belong to other words
    (内部 in 国内部分) is not a mention at all.
    """
    for rule in rules:
        for match in rule.pattern.finditer(norm, start):
            s, e = match.span()
            word, level = match.group(), word_level(match.group())
            if ledger:
                yield s, e, level, "mention:ledger-column"
                continue
            token = covering_token(norm, s, e)
            if token is None:
                continue
            if token == word:
                yield s, e, level, mention_reason(norm, s, e)
            elif _LEVEL_COMPOUND.fullmatch(token) or word_tag(token) == "mk":
                yield s, e, level, f"mention:compound:{token}"
            else:
                yield s, e, None, f"mention:compound:{token}"


def mention_reason(norm: str, start: int, end: int) -> str:
    """Return why a level word at ``norm[start:end]`` is a mention (not a compound)."""
    for opener, closer in _QUOTES:
        if _enclosed(norm, start, end, opener, closer):
            return "mention:quoted"
    if norm.count('"', 0, start) % 2 == 1 and '"' in norm[end:]:
        return "mention:quoted"
    for opener, closer in _TITLES:
        if _enclosed(norm, start, end, opener, closer):
            return "mention:title"
    if _LAW.match(norm):
        return "mention:law-text"
    if _PLACEHOLDER.search(norm):
        return "mention:placeholder"
    if _QUIZ.match(norm):
        return "mention:quiz"
    if _ENUMERATOR.match(norm):
        return "mention:enumerated"
    return "mention:in-sentence"


def _enclosed(norm: str, start: int, end: int, opener: str, closer: str) -> bool:
    i = norm.rfind(opener, 0, start)
    return i >= 0 and norm.find(closer, i, start) < 0 and norm.find(closer, end) >= 0


def confidence(rule: Rule, groups: dict[str, str | None], nonstandard: str | None, pos: Position) -> float:
    """Return a mark's confidence from its form and position (§10.5 table)."""
    value = rule.confidence
    if rule.level in STATE_LEVELS:
        if "star" in groups and groups["star"] is None:
            value = min(value, 0.85)  # bare level
        if groups.get("label"):
            value = min(value, 0.9)
        if nonstandard:
            value = min(value, 0.75)
    return min(value, pos.cap)


def boost(finding: Finding) -> Finding:
    """A state mark inside a 版头 block (份号 above or 紧急程度 below): 0.98, bare level 0.95."""
    if finding.level not in STATE_LEVELS or finding.nonstandard or "+header-block" in finding.rule:
        return finding
    if finding.confidence < 0.85:  # capped position (file name, property, cell)
        return finding
    value = 0.98 if finding.confidence >= 0.9 else 0.95
    return dataclasses.replace(finding, confidence=value, rule=finding.rule + "+header-block")
