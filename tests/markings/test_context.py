"""Positions, ledger columns, cues and helpers of markings.context."""

import pytest

from markings import context as ctx
from markings.rule import load_rules, nonstandard
from scanner.records import Finding, FindingKind, Level, Location, TextBlock


def block(text: str = "x", part: str = "body", band: str | None = None, section_start: bool = False,
          **loc: object) -> TextBlock:
    return TextBlock(text, Location(part, **loc), band=band, section_start=section_start)


def test_first_lines_window_counts_non_empty_body_units() -> None:
    state = ctx.DocState()
    windows = [state.advance(block(paragraph=i)) for i in range(1, 11)]
    assert windows == [ctx.FIRST_LINES] * 8 + [None, None]
    assert state.advance(block("附件", "header")) is None
    assert state.advance(block(section_start=True)) is ctx.SECTION_START
    state.open_attachment()
    assert [state.advance(block()) for _ in range(4)] == [ctx.ATTACHMENT] * 3 + [None]


def test_pdf_lines_use_bands_not_the_window() -> None:
    state = ctx.DocState()
    first = block(band="top", page=1, line=1)
    assert state.advance(first) is None
    assert state.position(first, None) is ctx.PAGE_TOP
    later = block(band="top", page=7, line=1)
    assert state.position(later, None) is ctx.PAGE_TOP_LATER and ctx.PAGE_TOP_LATER.demotable
    assert state.position(block(band="bottom", page=2), None) is ctx.PAGE_BOTTOM
    assert state.position(block(band="middle", page=2), None) is None


@pytest.mark.parametrize(("part", "extra", "expected"), [
    ("header", {"name": "default"}, "header"),
    ("footer", {"name": "even"}, "footer"),
    ("watermark", {}, "watermark"),
    ("textbox", {"slide": 1}, "textbox"),
    ("filename", {}, "filename"),
    ("properties", {"name": "密级"}, "properties"),
    ("header", {"name": "Subject"}, "subject"),
    ("cell", {"sheet": "S", "cell": "C3"}, "top-rows"),
    ("cell", {"sheet": "S", "cell": "C4"}, "cell"),
    ("table", {"table": 1, "cell": "A2"}, "top-table"),
    ("comment", {}, None),
    ("footnote", {}, None),
    ("sheetname", {"sheet": "S"}, None),
])
def test_positions(part: str, extra: dict, expected: str | None) -> None:
    pos = ctx.DocState().position(block(part=part, **extra), None)
    assert (pos.name if pos else None) == expected


def test_caps_and_complete_only() -> None:
    assert ctx.FILENAME.cap == ctx.PROPERTIES.cap == ctx.SUBJECT.cap == 0.8
    assert ctx.CELL.cap == 0.75 and ctx.CELL.complete_only and ctx.CELL.demotable
    assert not ctx.FIRST_LINES.demotable and ctx.SECTION_START.demotable and ctx.ATTACHMENT.demotable


def test_table_top_rows_only_near_document_start() -> None:
    state = ctx.DocState()
    for i in range(8):
        state.advance(block(paragraph=i + 1))
    assert state.position(block(part="table", table=1, cell="A1"), None) is ctx.CELL


def test_columns_and_ledger() -> None:
    state = ctx.DocState()
    a = state.column(block(part="cell", sheet="S", cell="C2"))
    assert a is state.column(block(part="cell", sheet="S", cell="C99"))
    assert a is not state.column(block(part="cell", sheet="T", cell="C2"))
    assert a is not state.column(block(part="table", table=1, cell="C2"))
    assert state.column(block()) is None
    a.levels = 2
    assert not a.ledger
    a.levels = 3
    assert a.ledger
    assert ctx.Column(headed=True).ledger
    assert all(ctx.LEDGER_HEADER.match(t) for t in ("密级", "密 级", "保密等级", "密级:"))
    assert not ctx.LEDGER_HEADER.match("密级:秘密")


def test_cue_before() -> None:
    state = ctx.DocState()
    state.remember(block("正确的标注格式如下："))
    assert state.cue_before(block("秘密★1年"))
    assert not state.cue_before(block("秘密★1年", section_start=True))
    assert not state.cue_before(block("秘密★1年", part="header"))
    state.remember(block("请参照例如"))
    assert state.cue_before(block("秘密★1年"))
    state.remember(block("如有问题请联系办公室"))  # a single-character cue only counts at the end
    assert not state.cue_before(block("秘密★1年"))
    state.remember(block("根据工作安排，现将有关事项通知如下，请各单位认真抓好落实。"))
    assert not state.cue_before(block("内部资料 注意保存"))
    state.remember(block("1. 某文件机密级，保密期限10年，正确标注为（ ）"))
    assert state.cue_before(block("A. 机密★10年"))
    state.remember(block("000035"))
    assert not state.cue_before(block("秘密★1年"))
    state.remember(block("标注为：", band="middle", page=1))
    assert not state.cue_before(block("秘密★1年", band="top", page=2))


def test_declassified_window() -> None:
    state = ctx.DocState()
    state.advance(block())
    state.note_declassified("body")
    state.advance(block())
    assert state.declassified_before("body") and not state.declassified_before("header")
    state.advance(block())
    state.advance(block())
    assert not state.declassified_before("body")


def test_training_title() -> None:
    state = ctx.DocState()
    state.advance(block("2024年保密知识培训课件"))
    assert state.training
    state = ctx.DocState()
    state.advance(block("公文格式模板.docx", part="filename"))
    assert state.training
    state = ctx.DocState()
    for text in ("一", "二", "三", "保密知识培训"):
        state.advance(block(text))
    assert not state.training


@pytest.mark.parametrize(("text", "span", "reason"), [
    ("他说“内部”", (3, 5), "mention:quoted"),
    ('he said "秘密" twice', (9, 11), "mention:quoted"),
    ("见《内部资料管理办法》", (2, 4), "mention:title"),
    ("第三十条 机密", (5, 7), "mention:law-text"),
    ("秘密★××年", (0, 2), "mention:placeholder"),
    ("B、机密★10年", (2, 4), "mention:quiz"),
    ("① 秘密", (2, 4), "mention:quiz"),
    ("3. 秘密", (3, 5), "mention:enumerated"),
    ("（一）绝密", (3, 5), "mention:enumerated"),
    ("文件属于秘密", (4, 6), "mention:in-sentence"),
    ("“内部”之外的秘密", (7, 9), "mention:in-sentence"),
])
def test_mention_reason(text: str, span: tuple[int, int], reason: str) -> None:
    assert ctx.mention_reason(text, *span) == reason


def test_mention_hits_use_the_tokenizer() -> None:
    words = load_rules().of_kind("mention")
    hits = list(ctx.mention_hits("泄露绝密级国家秘密，国内部分地区内部", words, 0, False))
    assert hits == [(2, 4, Level.JUEMI, "mention:compound:绝密级"),
                    (7, 9, None, "mention:compound:国家秘密"),
                    (16, 18, Level.NEIBU, "mention:in-sentence")]
    assert list(ctx.mention_hits("秘密", words, 0, True)) == [(0, 2, Level.MIMI, "mention:ledger-column")]


def _marking(level: Level, confidence: float, rule: str = "r", nonstandard: str | None = None) -> Finding:
    return Finding(FindingKind.MARKING, level, rule, "t", Location("body"), "c", confidence,
                   nonstandard=nonstandard)


def test_boost() -> None:
    assert ctx.boost(_marking(Level.MIMI, 0.95)).confidence == 0.98
    assert ctx.boost(_marking(Level.MIMI, 0.85)).confidence == 0.95
    assert ctx.boost(_marking(Level.MIMI, 0.95)).rule == "r+header-block"
    assert ctx.boost(ctx.boost(_marking(Level.MIMI, 0.95))).rule == "r+header-block"
    for unchanged in (_marking(Level.MIMI, 0.8), _marking(Level.NEIBU, 0.9),
                      _marking(Level.MIMI, 0.75, nonstandard="star glyph")):
        assert ctx.boost(unchanged) == unchanged


@pytest.mark.parametrize(("rule_id", "text", "pos", "expected"), [
    ("mimi-star", "秘密★1年", ctx.FIRST_LINES, 0.95),
    ("mimi-star", "秘密", ctx.FIRST_LINES, 0.85),
    ("mimi-star", "密级:秘密★5年", ctx.FIRST_LINES, 0.9),
    ("mimi-star", "秘密★1年", ctx.FILENAME, 0.8),
    ("mimi-star", "秘密★1年", ctx.CELL, 0.75),
    ("mimi-nostar", "秘密 1年", ctx.FIRST_LINES, 0.75),
    ("jimi-star", "机密★三年", ctx.FIRST_LINES, 0.75),
    ("hexin-shangmi", "核心商密★长期", ctx.FIRST_LINES, 0.9),
    ("neibu", "内部", ctx.FIRST_LINES, 0.9),
])
def test_confidence(rule_id: str, text: str, pos: ctx.Position, expected: float) -> None:
    rule = load_rules().get(rule_id)
    groups = rule.match(text).groupdict()
    assert ctx.confidence(rule, groups, nonstandard(rule.level, groups, None), pos) == expected
