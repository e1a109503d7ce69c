"""detect() and strongest() on block sequences modelling the fixtures of markings.md §13.3."""

from pathlib import Path

import pytest

from markings.detect import MAX_MENTIONS, detect, strongest
from scanner.records import Finding, FindingKind, Level, Location, TextBlock

LAW_TEXT = Path(__file__).resolve().parents[1] / "data" / "law-admin-0012.txt"


def body(*lines: str, start: int = 1) -> list[TextBlock]:
    return [TextBlock(t, Location("body", paragraph=start + i)) for i, t in enumerate(lines)]


def pdf(*lines: str, page: int = 1, band: str = "top") -> list[TextBlock]:
    return [TextBlock(t, Location("body", page=page, line=i + 1), band=band) for i, t in enumerate(lines)]


def cell(text: str, ref: str, sheet: str = "Sheet1") -> TextBlock:
    return TextBlock(text, Location("cell", sheet=sheet, cell=ref))


def filler(n: int, start: int) -> list[TextBlock]:
    return body(*["各单位要认真贯彻落实会议精神，结合实际抓好工作。"] * n, start=start)


def markings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind is FindingKind.MARKING and f.level is not None]


def only_marking(blocks: list[TextBlock]) -> Finding:
    found = markings(detect(blocks))
    assert len(found) == 1, found
    return found[0]


# --- §13.3 positives -------------------------------------------------------------------------

def test_docx_banner_block() -> None:
    found = only_marking(body("000035", "秘密★1年", "特急", "××市人民政府文件"))
    assert (found.level, found.period, found.location.paragraph) == (Level.MIMI, "1年", 2)
    assert found.text == "秘密★1年" and found.confidence == 0.98
    assert found.rule == "mimi-star+first-lines+header-block"


def test_1999_bare_level_with_urgency_below() -> None:
    found = only_marking(body("机　密", "特　急"))
    assert (found.level, found.period, found.text, found.confidence) == (Level.JIMI, None, "机　密", 0.95)


def test_bare_level_first_line() -> None:
    found = only_marking(body("秘密", "关于做好节日值班工作的通知"))
    assert (found.level, found.confidence, found.rule) == (Level.MIMI, 0.85, "mimi-star+first-lines")


def test_docx_header() -> None:
    blocks = [TextBlock("机密★10年", Location("header", name="default"))] + filler(3, 1)
    found = only_marking(blocks)
    assert (found.level, found.location.part, found.rule) == (Level.JIMI, "header", "jimi-star+header")
    assert strongest(detect(blocks)).level is Level.JIMI


def test_wingdings_star() -> None:
    found = only_marking(body("绝密\uf0ab长期"))
    assert (found.level, found.period, found.star, found.nonstandard) == (Level.JUEMI, "长期", None, None)
    assert found.confidence == 0.95


def test_watermark() -> None:
    found = only_marking([TextBlock("秘密★1年", Location("watermark", name="default"))])
    assert (found.level, found.rule) == (Level.MIMI, "mimi-star+watermark")


def test_pdf_merged_banner_line() -> None:
    found = only_marking(pdf("000123 秘密★1年 特急") + pdf("关于开展检查的通知", band="middle"))
    assert (found.level, found.period, found.text) == (Level.MIMI, "1年", "秘密★1年")
    assert found.rule == "mimi-star+page-top+merged+header-block" and found.confidence == 0.98


def test_pdf_libreoffice_digit_space() -> None:
    found = only_marking(pdf("000123 秘密★1 年 特急"))
    assert (found.period, found.text) == ("1年", "秘密★1 年")


def test_pdf_ocr_asterisk() -> None:
    found = only_marking(pdf("机密*5年"))
    expected = (Level.JIMI, "*", "star glyph", 0.75)
    assert (found.level, found.star, found.nonstandard, found.confidence) == expected


def test_xlsx_header_codes() -> None:
    header = Location("header", sheet="Sheet1", name="odd")
    blocks = [TextBlock('&L&"黑体,常规"&16秘密★6个月&C第&P页', header)]
    found = only_marking(blocks)
    assert (found.level, found.period) == (Level.MIMI, "6个月")


def test_xlsx_merged_a1() -> None:
    found = only_marking([cell("内部资料 注意保存", "A1"), cell("2024年项目台账", "A2")])
    assert (found.level, found.rule, found.confidence) == (Level.NEIBU, "neibu+top-rows", 0.9)


def test_pptx_textboxes() -> None:
    found = only_marking([TextBlock("机密★会议开始前", Location("textbox", slide=1))])
    assert (found.level, found.period) == (Level.JIMI, "会议开始前")
    found = only_marking([TextBlock("内部★", Location("textbox", name="slideMaster1"))])
    assert found.level is Level.NEIBU


@pytest.mark.parametrize(("name", "level", "period", "text"), [
    ("（秘密）2024年工作要点.docx", Level.MIMI, None, "秘密"),
    ("项目方案(机密★20年).pdf", Level.JIMI, "20年", "机密★20年"),
    ("【机密】部署方案.docx", Level.JIMI, None, "机密"),
    ("内部★工作总结.docx", Level.NEIBU, None, "内部★"),
    ("会议纪要_秘密.docx", Level.MIMI, None, "秘密"),
    ("archive.zip!/docs/通知(内部).doc", Level.NEIBU, None, "内部"),
])
def test_filename(name: str, level: Level, period: str | None, text: str) -> None:
    found = only_marking([TextBlock(name, Location("filename"))])
    assert (found.level, found.period, found.text, found.confidence) == (level, period, text, 0.8)
    assert found.rule.endswith("+filename")


@pytest.mark.parametrize("name", ["方案(公开).docx", "（非密）通知.pdf"])
def test_filename_explicit_public(name: str) -> None:
    findings = detect([TextBlock(name, Location("filename"))])
    assert [(f.kind, f.level, f.rule) for f in findings] == [(FindingKind.MARKING, None, "explicit-public")]
    assert strongest(findings) is None


@pytest.mark.parametrize("name", ["内部控制评价报告.pdf", "秘密花园.jpg", "2024年保密工作总结.docx"])
def test_filename_without_mark(name: str) -> None:
    assert markings(detect([TextBlock(name, Location("filename"))])) == []


def test_cover_label_field() -> None:
    found = only_marking(body("密 级：秘密", "编 号：2024-01"))
    assert (found.level, found.text, found.confidence) == (Level.MIMI, "密 级：秘密", 0.85)
    found = only_marking(body("密级：机密★5年"))
    assert (found.level, found.period, found.confidence) == (Level.JIMI, "5年", 0.9)


@pytest.mark.parametrize(("line", "level", "period"), [
    ("株机公司普通商密▲5年", Level.PUTONG_SHANGMI, "5年"),
    ("核心商密★长期", Level.HEXIN_SHANGMI, "长期"),
    ("警务工作秘密", Level.GONGZUO_MIMI, None),
    ("内部资料，免费交流", Level.NEIBU, None),
    ("内部事项 注意保管", Level.NEIBU, None),
])
def test_first_line_families(line: str, level: Level, period: str | None) -> None:
    found = only_marking(body(line, "准印证号：（川）内资准字123号"))
    assert (found.level, found.period, found.confidence) == (level, period, 0.9)


def test_mail_subject() -> None:
    found = only_marking([TextBlock("【内部】关于调整值班安排的通知", Location("header", name="subject"))])
    assert (found.level, found.text, found.rule) == (Level.NEIBU, "内部", "neibu+subject")


def test_booklet_section_start() -> None:
    blocks = body("秘密★5年", "某某文件汇编") + filler(30, 3)
    blocks.append(TextBlock("机密★10年", Location("body", paragraph=33, page=7), section_start=True))
    blocks += filler(5, 34)
    found = markings(detect(blocks))
    assert [(f.level, f.rule) for f in found] == [(Level.MIMI, "mimi-star+first-lines"),
                                                  (Level.JIMI, "jimi-star+section-start")]
    assert strongest(found).level is Level.JIMI


def test_booklet_after_prose_with_cue_word_inside() -> None:
    prose = "根据工作安排，现将有关事项通知如下，请各单位认真抓好落实，不得延误。"
    blocks = body("关于做好年度重点工作的通知", prose)
    blocks += [TextBlock(prose, Location("body", paragraph=4, page=7), section_start=True)]
    blocks += body("内部资料 注意保存", "关于印发实施方案的通知", start=5)
    found = only_marking(blocks)
    assert (found.level, found.rule, found.location.paragraph) == (Level.NEIBU, "neibu+section-start", 5)


def test_booklet_pdf_page_seven_top() -> None:
    blocks = pdf("某某文件汇编") + pdf(*["正文内容"] * 10, band="middle")
    blocks += pdf("机密★10年", page=7) + pdf("正文", page=7, band="middle")
    found = only_marking(blocks)
    assert (found.level, found.location.page, found.rule) == (Level.JIMI, 7, "jimi-star+page-top")


def test_without_section_start_deep_body_is_a_mention() -> None:
    findings = detect(body("关于印发的通知") + filler(20, 2) + body("机密★10年", start=22))
    assert markings(findings) == []
    assert [(f.kind, f.rule) for f in findings] == [(FindingKind.MENTION, "mention:outside-strong-position")]


def test_attachment_heading() -> None:
    blocks = body("关于印发的通知") + filler(20, 2) + body("附件2", "秘密★1年", "某某实施方案", start=22)
    found = only_marking(blocks)
    assert (found.level, found.location.paragraph, found.rule) == (Level.MIMI, 23, "mimi-star+attachment")


def test_end_note_not_public() -> None:
    blocks = body("关于印发的通知") + filler(20, 2)
    blocks += body("某某市人民政府", "2024年1月5日", "（此件不予公开）", start=22)
    found = only_marking(blocks)
    assert (found.level, found.confidence, found.rule) == (Level.NEIBU, 0.75, "fuzhu-nonpublic+body")
    assert strongest(detect(blocks)).level is Level.NEIBU


def test_bottom_band_footer_mark() -> None:
    found = only_marking(pdf("正文", band="middle") + pdf("内部资料 注意保存", band="bottom"))
    assert found.rule == "neibu+page-bottom"


def test_properties() -> None:
    found = only_marking([TextBlock("机密", Location("properties", name="密级"))])
    assert (found.level, found.confidence) == (Level.JIMI, 0.8)
    found = only_marking([TextBlock("内部", Location("properties", name="MSIP_Label_1234_Name"))])
    assert found.level is Level.NEIBU


def test_table_cells() -> None:
    top = TextBlock("内部", Location("table", table=1, cell="A1"))
    assert only_marking([top]).rule == "neibu+top-table"
    assert markings(detect(filler(10, 1) + [top])) == []  # a table deep in the body
    after_break = TextBlock("工作秘密", Location("table", table=2, cell="B1"), section_start=True)
    assert only_marking(filler(10, 1) + [after_break]).rule == "gongzuo-mimi+top-table"
    mid = [cell("名称", "A1"), cell("秘密★1年", "F20"), cell("内部", "F21", sheet="Other")]
    findings = detect(mid)
    assert [(f.kind, f.level, f.rule, f.confidence) for f in findings] == [
        (FindingKind.MARKING, Level.MIMI, "mimi-star+cell", 0.75),
        (FindingKind.MENTION, Level.NEIBU, "mention:cell", 0.9)]


def test_declassified_next_or_previous_line() -> None:
    assert only_marking(body("秘密★1年", "已解密")).declassified
    assert only_marking(body("解密", "机密★5年")).declassified
    assert only_marking(pdf("000123 秘密★1年 已解密")).declassified
    assert only_marking(body("秘密★1年", "特急", "解密")).declassified  # within two lines
    assert not only_marking(body("秘密★1年", "关于某事的通知", "各单位：", "解密")).declassified
    assert not only_marking(body("解密", "各单位：", "关于某事的通知", "机密★5年")).declassified


def test_paragraph_start_bracket_is_low_confidence() -> None:
    blocks = filler(12, 1) + body("（秘密）该项目的技术参数如下，不得对外提供。", start=13)
    findings = detect(blocks)
    assert [(f.kind, f.level, f.rule, f.confidence) for f in findings] == [
        (FindingKind.MARKING, Level.MIMI, "bracket-level+paragraph-start", 0.6)]
    assert strongest(findings) is None


def test_handling_phrase_is_only_weak() -> None:
    findings = detect([TextBlock("会后收回", Location("header", name="default"))])
    assert [(f.level, f.confidence, f.rule) for f in findings] == [(Level.NEIBU, 0.5, "handling+header")]
    assert strongest(findings) is None


# --- §13.3 negatives and §11 structural false positives ---------------------------------------

NEGATIVE_DOCUMENTS = {
    "law": ["第四十八条 违反本法规定，泄露绝密级国家秘密的，依法给予处分。",
            "第×条 违反本法规定，泄露绝密级国家秘密的……"],
    "case": ["该单位文件上标注“内部，注意保存”等字样，但未按规定定密。"],
    "explainer": ["应标注：机密★10年。书面形式的密件，其国家秘密的标识为“★”……", "如“机密★10年”"],
    "quiz": ["1. 某文件机密级，保密期限10年，正确标注为（ ）", "A. 机密★10年", "B. ★机密10年", "C、秘密★10年",
             "（D）绝密★长期"],
    "template": ["某某单位文件", "秘密★×年", "××××★××年", "密级：________", "机密★X年"],
    "internal-words": ["内部控制评价报告", "加强内部审计工作", "党内法规", "国内部分地区"],
    "trade-words": ["商业秘密保护管理办法", "（二）普通商密", "本规定所称普通商密，是指……"],
    "telegram-number": ["国办发明电〔2023〕7号"],
    "stars": ["★★★★☆ 推荐指数", "★长期要求", "★重点", "五星级"],
    "english": ["This e-mail is confidential and may be privileged."],
    "blog": ["成功的秘密", "秘密花园", "绝密使命", "这是一个秘密的故事", "这也是机密文件"],
    "meeting": ["请各单位于会后收回材料并妥善保管。"],
    "tech": ["机密计算（Confidential Computing）", "Key Vault 机密", "Kubernetes Secret（秘密）"],
    "spacing": ["绝  密★", "机  密"],
    "long-sentence": ["秘密★1年期限的文件，应当在首页左上角标注密级和保密期限。", "机密文件应当由专人保管"],
    "cue-before": ["正确的标注格式如下：", "秘密★1年"],
    "disclaimer": ["本邮件及附件含有保密信息，仅限收件人使用。"],
}


@pytest.mark.parametrize("name", sorted(NEGATIVE_DOCUMENTS))
def test_negative_documents(name: str) -> None:
    lines = NEGATIVE_DOCUMENTS[name]
    for blocks in (body(*lines), pdf(*lines), [TextBlock(t, Location("header")) for t in lines]):
        findings = detect(blocks)
        assert markings(findings) == [], (name, findings)
        assert strongest(findings) is None


@pytest.mark.parametrize("text", ["国办发明电〔2023〕7号", "★★★★☆ 推荐指数", "★长期要求",
                                  "This e-mail is confidential and may be privileged.", "国内部分地区"])
def test_not_even_a_mention(text: str) -> None:
    assert detect(body(text)) == []


@pytest.mark.parametrize(("line", "rule", "level"), [
    ("第四十八条 违反本法规定，泄露绝密级国家秘密的", "mention:compound:绝密级", Level.JUEMI),
    ("保守国家秘密是公民的义务", "mention:compound:国家秘密", None),
    ("该单位文件上标注“内部，注意保存”等字样", "mention:quoted", Level.NEIBU),
    ("《内部资料性出版物管理办法》", "mention:compound:内部资料性出版物", None),
    ("A. 机密★10年", "mention:quiz", Level.JIMI),
    ("秘密★×年", "mention:placeholder", Level.MIMI),
    ("第十二条 机关、单位对所产生的秘密事项", "mention:compound:秘密事项", None),
    ("第五条 经鉴定属于秘密", "mention:law-text", Level.MIMI),
    ("本通知仅供内部使用，请勿对外公开。", "mention:in-sentence", Level.NEIBU),
    ("泄露工作秘密的，依照有关规定追究责任。", "mention:in-sentence", Level.GONGZUO_MIMI),
    ("（二）普通商密", "mention:enumerated", Level.PUTONG_SHANGMI),
    ("他说“秘密”两个字", "mention:quoted", Level.MIMI),
])
def test_mention_reasons(line: str, rule: str, level: Level | None) -> None:
    findings = detect(filler(9, 1) + body(line, start=10))
    assert [(f.kind, f.rule, f.level) for f in findings][:1] == [(FindingKind.MENTION, rule, level)]


def test_mention_text_and_context_are_original() -> None:
    line = "各单位要加强機密载体的管理，" + "落实责任" * 20
    (found,) = detect(body(line))
    assert (found.text, found.level, found.rule) == ("機密", Level.JIMI, "mention:in-sentence")
    assert found.context == line[:60]
    (found,) = detect(body("落实责任" * 20 + "，防止泄露秘　密。"))
    assert found.text == "秘　密" and len(found.context) == 60
    assert found.context.endswith("，防止泄露秘　密。")


def test_ledger_column_with_header() -> None:
    blocks = [cell(v, f"{c}1") for c, v in zip("ABCD", ["序号", "文件标题", "密级", "份数"], strict=True)]
    for row, level in enumerate(["秘密", "机密", "内部"], start=2):
        blocks += [cell(str(row - 1), f"A{row}"), cell("关于某事的通知", f"B{row}"), cell(level, f"C{row}")]
    findings = detect(blocks)
    assert markings(findings) == []
    assert [f.rule for f in findings] == ["mention:ledger-column"] * 3


def test_ledger_column_by_count_demotes_earlier_top_rows() -> None:
    values = ["秘密★1年", "机密", "公开", "内部"]
    blocks = [cell(level, f"C{row}") for row, level in enumerate(values, start=1)]
    findings = detect(blocks)
    assert markings(findings) == [] and strongest(findings) is None
    assert {f.rule for f in findings} == {"mention:ledger-column"}


def test_docx_table_ledger() -> None:
    blocks = [TextBlock("密 级", Location("table", table=2, cell="C1"))]
    blocks += [TextBlock("秘密★1年", Location("table", table=2, cell=f"C{r}")) for r in (2, 3)]
    assert markings(detect(blocks)) == []


def test_explicit_public_cover() -> None:
    for line in ("密级：公开", "文件密级：公开资料", "（此件公开发布）"):
        findings = detect(body(line))
        expected = [(FindingKind.MARKING, None, "explicit-public")]
        assert [(f.kind, f.level, f.rule) for f in findings] == expected
        assert strongest(findings) is None


def test_explicit_public_never_lowers_a_mark() -> None:
    findings = detect(body("密级：公开", "某某报告") + [TextBlock("秘密★1年", Location("header"))])
    assert strongest(findings).level is Level.MIMI


# --- training documents ----------------------------------------------------------------------

def test_training_title_demotes_body_only_hits() -> None:
    blocks = body("保密知识培训材料", "第一讲 密级标志")
    blocks.append(TextBlock("秘密★1年", Location("body", paragraph=3, page=2), section_start=True))
    findings = detect(blocks)
    assert markings(findings) == []
    assert [f.rule for f in findings if f.text == "秘密★1年"] == ["mention:training-document"]


def test_training_title_keeps_first_line_and_header_hits() -> None:
    blocks = body("秘密★1年", "关于开展2024年保密培训的通知") + [TextBlock("秘密★1年", Location("header"))]
    assert len(markings(detect(blocks))) == 2


def test_three_standalone_example_lines_make_a_training_document() -> None:
    blocks = body("关于密级标志的说明") + filler(10, 2)
    blocks += body("秘密★1年", "机密★10年", "绝密★长期", start=12)
    blocks += body("附件1", "秘密★5年", start=15)
    findings = detect(blocks)
    assert markings(findings) == []
    assert any(f.rule == "mention:training-document" and f.text == "秘密★5年" for f in findings)


# --- law text --------------------------------------------------------------------------------

def _law_lines() -> list[str]:
    return [line for line in LAW_TEXT.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_law_text_as_body_never_marks() -> None:
    lines = _law_lines()
    assert len(lines) > 200 and any("绝密级国家秘密" in line for line in lines)
    findings = detect(body(*lines))
    assert markings(findings) == [] and strongest(findings) is None
    assert len(findings) > 100 and all(f.kind is FindingKind.MENTION for f in findings)
    assert sum(f.rule == "mention:compound:国家秘密" for f in findings) > 50


def test_mentions_are_capped_per_document() -> None:
    findings = detect(body(*["保守国家秘密，严守秘密。"] * (MAX_MENTIONS // 2 + 5)))
    assert len(findings) == MAX_MENTIONS


def test_law_text_as_pdf_lines_never_marks() -> None:
    blocks = [TextBlock(line, Location("body", page=i // 40 + 1, line=i % 40 + 1),
                        band="top" if i % 40 == 0 else "middle") for i, line in enumerate(_law_lines())]
    findings = detect(blocks)
    assert markings(findings) == [] and strongest(findings) is None


# --- strongest -------------------------------------------------------------------------------

def _finding(level: Level | None, confidence: float, kind: FindingKind = FindingKind.MARKING) -> Finding:
    return Finding(kind, level, "r", "t", Location("body"), "c", confidence)


def test_strongest_rank_threshold_and_ties() -> None:
    weak_top = _finding(Level.JUEMI, 0.6)
    mention = _finding(Level.JUEMI, 0.99, FindingKind.MENTION)
    internal = _finding(Level.NEIBU, 0.9)
    first, better = _finding(Level.MIMI, 0.8), _finding(Level.MIMI, 0.95)
    assert strongest([weak_top, mention, internal, first, better]).confidence == 0.95
    assert strongest([internal, first]).level is Level.MIMI
    assert strongest([weak_top, mention, _finding(None, 0.9)]) is None
    equal = [_finding(Level.JIMI, 0.9), _finding(Level.JIMI, 0.9)]
    assert strongest(equal) == strongest(equal[:1])


def test_empty_and_blank_input() -> None:
    assert detect([]) == []
    assert detect(body("", "   ", "\u3000")) == []


def test_mail_subject_mark_after_reply_and_forward_prefixes():
    from markings.detect import detect, strongest
    from scanner.records import Location, TextBlock

    for subject in ("转发：【内部】关于调整值班安排的通知", "Re: Fw: 【机密】会议安排", "回复：(秘密★1年)议题"):
        found = strongest(detect([TextBlock(subject, Location(part="header", name="subject"))]))
        assert found is not None, subject
    assert strongest(detect([TextBlock("转发：关于内部控制的通知", Location(part="header", name="subject"))])) is None
