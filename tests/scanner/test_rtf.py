"""The RTF extractor: parts with exact locations, code pages, Unicode escapes, skipped destinations."""

from __future__ import annotations

import io

import pytest

from markings.detect import detect, strongest
from scanner.errors import CorruptFile
from scanner.extractors import eml, html, rtf
from scanner.options import ScanOptions
from scanner.records import Level, Location, TextBlock
from scanner.sniff import probe

MARK = "机密★10年"
FONTS = (r"{\fonttbl{\f0\fnil\fcharset134 " + "".join(f"\\'{b:02x}" for b in "宋体".encode("gbk")) +
         r";}{\f1\fnil\fcharset2 Wingdings;}{\f2\fswiss\fcharset0 Arial;}{\f3\fnil\fcharset136 MingLiU;}}")


def esc(text: str, codec: str = "gbk") -> str:
    """Text as Word writes it into a \\ansicpg936 document: every non-ASCII byte as \\'hh."""
    return "".join(chr(b) if b < 0x80 else f"\\'{b:02x}" for b in text.encode(codec))


def doc(body: str, *, head: str = "", cpg: int = 936, fonts: str = FONTS) -> bytes:
    return (r"{\rtf1\ansi\ansicpg" + str(cpg) + r"\deff0" + fonts +
            r"{\colortbl;\red255\green0\blue0;}{\stylesheet{\s0 Normal;}}" + head + body + "}").encode("latin-1")


def blocks(data: bytes, **opts: int) -> list[TextBlock]:
    return list(rtf.extract(io.BytesIO(data), ScanOptions(**opts)))


def located(data: bytes) -> list[tuple[str, Location]]:
    return [(b.text, b.location) for b in blocks(data)]


def marked() -> bytes:
    return doc(r"\pard\plain\f0 " + esc(MARK) + r"\par\pard " + esc("关于调整值班安排的通知") + r"\par",
               head=r"{\header\pard\plain\f0 " + esc(MARK) + r"\par}")


def test_gbk_mark_in_header_and_first_paragraph():
    assert located(marked()) == [
        (MARK, Location("header", name="default")),
        (MARK, Location("body", page=1, paragraph=1)),
        ("关于调整值班安排的通知", Location("body", page=1, paragraph=2)),
    ]


def test_marks_are_markings_at_header_and_first_lines():
    findings = [f for f in detect(blocks(marked())) if f.kind.value == "marking"]
    assert [(f.level, f.location) for f in findings] == [
        (Level.JIMI, Location("header", name="default")), (Level.JIMI, Location("body", page=1, paragraph=1))]


def test_unmarked_document_is_clean():
    got = blocks(doc(r"\pard " + esc("各单位：请做好节假日值班安排。") + r"\par"))
    assert [b.text for b in got] == ["各单位：请做好节假日值班安排。"]
    assert strongest(detect(got)) is None


def test_every_part_has_its_location():
    head = (r"{\info{\title " + esc("值班通知") + r"}{\author " + esc("张三") + r"}{\creatim\yr2024\mo1\dy1}"
            r"{\*\company " + esc("某单位") + r"}}"
            r"{\*\userprops{\propname " + esc("密级") + r"}\proptype30{\staticval " + esc("秘密") + r"}}"
            r"{\headerf\pard " + esc("首页页眉") + r"\par}{\headerl\pard " + esc("偶数页页眉") + r"\par}"
            r"{\footer\pard " + esc("页脚") + r"\par}"
            r"{\header{\shp{\*\shpinst{\sp{\sn fillColor}{\sv 255}}{\sp{\sn gtextUNICODE}{\sv " + esc("内部") +
            r"}}}}}")
    body = (r"\pard " + esc("正文") + r"{\super\chftn{\footnote\pard\plain{\super\chftn}" + esc("脚注") + r"\par}}"
            r"{\super\chftn{\footnote\ftnalt\pard " + esc("尾注") + r"\par}}\par"
            r"{\*\atnid ZS}{\*\atnauthor " + esc("审核人") + r"}\chatn{\*\annotation\pard " + esc("批注") + r"\par}"
            r"{\shp{\*\shpinst{\shptxt\pard " + esc("文本框") + r"\par}}{\shprslt " + esc("文本框") + r"}}"
            r"\trowd\cellx1000\cellx2000\pard\intbl A1\cell B1\cell\row"
            r"\trowd\cellx1000\cellx2000\pard\intbl A2\cell " + esc("第一段") + r"\par " + esc("第二段") + r"\cell\row"
            r"\pard " + esc("表后") + r"\par")
    assert located(doc(body, head=head)) == [
        ("首页页眉", Location("header", name="first")),
        ("偶数页页眉", Location("header", name="even")),
        ("页脚", Location("footer", name="default")),
        ("内部", Location("watermark", name="default")),
        ("脚注", Location("footnote", page=1)),
        ("尾注", Location("endnote", page=1)),
        ("正文", Location("body", page=1, paragraph=1)),
        ("批注", Location("comment", page=1, name="审核人")),
        ("文本框", Location("textbox", page=1)),
        ("A1", Location("table", page=1, table=1, cell="A1")),
        ("B1", Location("table", page=1, table=1, cell="B1")),
        ("A2", Location("table", page=1, table=1, cell="A2")),
        ("第一段\n第二段", Location("table", page=1, table=1, cell="B2")),
        ("表后", Location("body", page=1, paragraph=2)),
        ("值班通知", Location("properties", name="title")),
        ("张三", Location("properties", name="creator")),
        ("某单位", Location("properties", name="Company")),
        ("秘密", Location("properties", name="密级")),
    ]


def test_pages_and_section_starts():
    body = (r"\pard one\par\pard two\page three\par\sect\sectd\pard four\par"
            r"\sect\sectd\sbknone\pard five\par\pard\pagebb six\par\pard\par\pard seven\line eight\par")
    got = [(b.text, b.location.page, b.location.paragraph, b.section_start) for b in blocks(doc(body))]
    assert got == [("one", 1, 1, False), ("two", 1, 2, False), ("three", 2, 2, True), ("four", 3, 3, True),
                   ("five", 3, 4, True), ("six", 4, 5, True), ("seven\neight", 4, 7, False)]


def test_unicode_escapes_skip_their_fallbacks():
    body = (r"\pard\uc1\u31192?\u23494?\u9733?1\u24180?\par"  # \uN with a one-byte fallback
            r"\pard\uc2\u26426\'bb\'fa\u23494\'c3\'dc\par"  # two-byte GBK fallbacks
            r"{\uc0\u20869\u37096}\u-3913?\par"  # \uc0 in a group; a negative \u (U+F0B7)
            r"\pard\u-10179?\u-8704?\par")  # a surrogate pair: U+1F600
    assert [b.text for b in blocks(doc(body))] == ["秘密★1年", "机密", "内部\uf0b7", "\U0001f600"]


def test_font_charsets_decide_over_the_document_code_page():
    body = (r"\pard\f0 " + esc("机密") + r"\f3 " + esc("機密", "big5") + r"\f2 caf\'e9\par"
            r"\pard\f0 " + esc("秘密") + r"{\f1\'ab}1" + esc("年") + r"\par")
    got = [b.text for b in blocks(doc(body, cpg=1252))]
    assert got == ["机密機密café", "秘密\uf0ab1年"]
    assert strongest(detect(blocks(doc(body, cpg=1252)))).level is Level.MIMI  # the Wingdings star


def test_raw_8bit_gbk_text_as_wps_writes_it():
    data = doc(r"\pard\f0 ").replace(b"\\f0 }", b"\\f0 " + MARK.encode("gbk") + b"\\par}")
    assert [b.text for b in blocks(data)] == [MARK]


def test_destinations_and_binary_data_are_skipped():
    body = (r"{\*\generator Riched20;}{\*\listtable{\list{\listlevel{\leveltext\'02\'00.;}}}}"
            r"\pard{\listtext 1.\tab}" + esc("条目") + r"{\*\bkmkstart mark1}{\*\bkmkend mark1}\par"
            r"\pard{\field{\*\fldinst HYPERLINK \"http://example.cn\"}{\fldrslt " + esc("链接") + r"}}\par"
            r"\pard{\pict\pngblip 89504e470d0a1a0a}{\*\unknowndest secret}{\object{\*\objdata 0102}}"
            r"{\*\shppict{\pict\bin4 }{\}}}x\par"
            r"\pard " + esc("结束") + r"\par")
    assert [b.text for b in blocks(doc(body))] == ["条目", "链接", "x", "结束"]


def test_symbols_and_special_characters():
    body = r"\pard a\~b\_c\-d\{e\}f\\g\tab h\emdash\ldblquote i\rdblquote\par"
    assert [b.text for b in blocks(doc(body))] == ["a\u00a0b-cd{e}f\\g\th\u2014\u201ci\u201d"]


def test_truncated_file_gives_its_text_then_corrupt():
    data = marked()[:-30]
    gen = rtf.extract(io.BytesIO(data), ScanOptions())
    got = []
    with pytest.raises(CorruptFile, match="unclosed"):
        for block in gen:
            got.append(block)
    assert [b.location for b in got][:2] == [Location("header", name="default"), Location("body", page=1, paragraph=1)]


def test_not_rtf_is_corrupt_and_text_after_the_root_group_is_ignored():
    with pytest.raises(CorruptFile):
        blocks(b"{\\rtx1 hello}")
    assert [b.text for b in blocks(doc(r"\pard ok\par") + b"}} trailing {garbage")] == ["ok"]


def test_text_budget_stops_reading():
    got = blocks(doc((r"\pard " + esc("内容") * 50 + r"\par") * 100), max_text_chars=300)
    assert sum(len(b.text) for b in got) == 400  # blocks of 100 until the budget of 300 is passed


def sniffs(data: bytes, name: str = "x.bin") -> dict[str, bool]:
    pr = probe(io.BytesIO(data), len(data), name)
    return {m.FORMAT: m.sniff(pr) for m in (rtf, html, eml)}


@pytest.mark.parametrize("data", [marked(), b"\xef\xbb\xbf\r\n{\\rtf1\\ansi x}", b"{\\rtf1}"])
def test_rtf_renamed_txt_is_rtf(data):
    assert sniffs(data, "note.txt") == {"rtf": True, "html": False, "eml": False}


@pytest.mark.parametrize("data", [b"see {\\rtf1 in the middle", b"{\\rt", "{\\rtf 文本".encode("utf-16-le")])
def test_text_mentioning_rtf_is_not_rtf(data):
    assert sniffs(data)["rtf"] is False


def test_code_page_names():
    assert [rtf.codec_for(n) for n in (936, 950, 1252, 65001, 12345)] == [
        "gb18030", "cp950", "cp1252", "utf-8", "cp1252"]


def test_nesting_bomb_is_corrupt_after_the_text_before_it():
    data = doc(r"\pard " + esc(MARK) + r"\par" + "{" * 100_000)
    got = []
    with pytest.raises(CorruptFile, match="nested deeper"):
        for block in rtf.extract(io.BytesIO(data), ScanOptions()):
            got.append(block)
    assert [b.text for b in got] == [MARK]


def test_upr_pairs_give_only_their_unicode_copy():
    """LibreOffice and Word write \\info fields twice: ANSI ("????" for Chinese), then Unicode in \\*\\ud."""
    head = r"{\info{\upr{\title \'3f\'3f}{\*\ud{\title \u20540\'3f\u29677\'3f}}}{\author x}}"
    assert located(doc(r"\pard body\par", head=head)) == [
        ("body", Location("body", page=1, paragraph=1)),
        ("值班", Location("properties", name="title")), ("x", Location("properties", name="creator"))]
