"""The PPTX extractor: every part with its exact Location and band, reading order, errors, sniffing."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from pptx.util import Emu, Inches

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors import docx, pptx, xlsx
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import probe
from tests.scanner import pptx_builders as b
from tests.scanner.pptx_builders import PROMPT, SENTINEL


def blocks(data: bytes, **opts: int) -> list[TextBlock]:
    return list(pptx.extract(io.BytesIO(data), ScanOptions(**opts)))


def content(data: bytes) -> list[TextBlock]:
    return [x for x in blocks(data) if x.location.part != "properties"]


def texts(data: bytes) -> list[str]:
    return [x.text for x in content(data)]


def para(*runs: str) -> str:
    return f"<a:p>{''.join(runs)}</a:p>"


# --- the (part x location) matrix -------------------------------------------------------------

def test_fixture_matrix_every_part_has_its_exact_location_and_band():
    got = [(x.location, x.band) for x in blocks(b.fixture_matrix()) if x.text == SENTINEL]
    assert got == [
        (Location("master", paragraph=1, name="slideMaster1.xml"), "top"),
        (Location("body", slide=1, paragraph=1), "top"),
        (Location("table", slide=2, table=1, cell="B2"), "middle"),
        (Location("notes", slide=2, paragraph=1), None),
        (Location("comment", slide=2, name="李四"), None),
        (Location("body", slide=3, paragraph=3), "middle"),
        (Location("comment", slide=3, name="审核人"), None),
        (Location("properties", name="title"), None),
    ]


def test_fixture_matrix_slide_flow_and_section_start():
    flow = [(x.text, x.location.part, x.location.slide, x.section_start) for x in content(b.fixture_matrix())
            if x.location.slide is not None]
    assert flow == [
        (SENTINEL, "body", 1, True),
        ("关于年度保密检查情况的汇报", "body", 1, False),  # the title inherits its position from the layout
        ("检查对象一览", "body", 2, True),
        ("文件名称", "table", 2, False),
        ("份数", "table", 2, False),
        (SENTINEL, "table", 2, False),
        (SENTINEL, "notes", 2, False),
        (SENTINEL, "comment", 2, False),
        ("检查发现的问题", "body", 3, True),
        ("一、部分载体未登记", "body", 3, False),
        (SENTINEL, "body", 3, False),
        (SENTINEL, "comment", 3, False),
    ]


def test_master_placeholder_prompt_text_is_not_content():
    got = texts(b.fixture_matrix())
    assert not any(PROMPT in t or "Click to edit" in t or "Second level" in t for t in got)
    assert [x.location.part for x in content(b.fixture_matrix())].count("master") == 1


def test_layout_text_box_is_read_with_the_layout_file_name():
    prs = b.new_deck()
    b.append_shape(prs.slide_layouts[b.BLANK], b.sp_xml(para(b.a_run("内部★")), y=6400800))
    b.add_box(b.add_slide(prs), 1, 3, "正文")
    got = [(x.text, x.location, x.band) for x in content(b.to_bytes(prs)) if x.location.part == "layout"]
    assert got == [("内部★", Location("layout", paragraph=1, name="slideLayout7.xml"), "bottom")]


def test_unmarked_deck_yields_only_body_text():
    got = [(x.text, x.location) for x in content(b.unmarked_deck())]
    assert got == [
        ("2024年工作总结", Location("body", slide=1, paragraph=1)),
        ("办公室", Location("body", slide=1, paragraph=2)),
        ("主要工作", Location("body", slide=2, paragraph=1)),
        ("完成年度预算编制", Location("body", slide=2, paragraph=2)),
        ("组织业务培训两次", Location("body", slide=2, paragraph=3)),
    ]


# --- text of a paragraph ----------------------------------------------------------------------

def test_mark_split_over_runs_stays_whole():
    runs = b.a_run("秘密", '<a:latin typeface="黑体"/>') + b.a_run("★") + b.a_run("1年", "")
    assert texts(b.single_slide(b.sp_xml(para(runs), y=100000))) == [SENTINEL]


def test_line_break_joins_with_a_space_and_fields_are_text():
    field = '<a:fld id="{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}" type="slidenum"><a:t>1</a:t></a:fld>'
    paragraph = para(b.a_run("密级："), "<a:br/>", b.a_run(SENTINEL), b.a_run(" 第"), field, b.a_run("页"))
    assert texts(b.single_slide(b.sp_xml(paragraph, y=100000))) == ["密级： 秘密★1年 第1页"]


def test_wingdings_star_comes_out_as_its_private_use_code_point():
    star = b.a_run("«", '<a:latin typeface="Wingdings"/><a:sym typeface="Wingdings"/>')
    assert texts(b.single_slide(b.sp_xml(para(b.a_run("秘密"), star, b.a_run("1年")), y=0))) == [
        "秘密\uf0ab1年"]


def test_empty_paragraphs_are_not_counted():
    xml = b.sp_xml(para() + para(b.a_run("  ")) + para(b.a_run("第一条")) + para(b.a_run("第二条")), y=3000000)
    assert [x.location.paragraph for x in content(b.single_slide(xml))] == [1, 2]


# --- geometry: reading order, groups, placeholders, bands --------------------------------------

def test_shapes_come_in_reading_order_top_then_left():
    prs = b.new_deck()
    slide = b.add_slide(prs)
    b.add_box(slide, 5, 3, "右")
    b.add_box(slide, 1, 3, "左")
    b.add_box(slide, 1, 7, "页脚")
    b.add_box(slide, 1, 1, "上")
    got = [(x.text, x.band) for x in content(b.to_bytes(prs))]
    assert got == [("上", "top"), ("左", "middle"), ("右", "middle"), ("页脚", "bottom")]


@pytest.mark.parametrize(("off_y", "ch_off_y", "scale", "child_y", "expected"), [
    (6400000, 0, 1.0, 0, [("标题", "top"), (SENTINEL, "bottom")]),  # the group moves its child down
    (0, 6400000, 1.0, 6400000, [(SENTINEL, "top"), ("标题", "top")]),  # child space starts at 6400000
    (0, 0, 0.5, 6400000, [("标题", "top"), (SENTINEL, "middle")]),  # a group shrunk by half: 3200000
])
def test_group_members_are_placed_through_the_group_transform(off_y, ch_off_y, scale, child_y, expected):
    group = b.group_xml(b.sp_xml(para(b.a_run(SENTINEL)), y=child_y), off_y, ch_off_y, scale)
    got = content(b.single_slide(b.sp_xml(para(b.a_run("标题")), y=1000000), group))
    assert [(x.text, x.band) for x in got] == expected


def test_placeholder_without_position_falls_back_to_layout_then_master():
    prs = b.new_deck()
    prs.slide_master.placeholders[0].top = Emu(6400000)  # the master title moves to the bottom band
    cover = b.add_slide(prs, 0)  # Title Slide: its layout places the centred title at 2130425 (middle)
    cover.shapes.title.text = "封面标题"
    plain = b.add_slide(prs, b.TITLE_ONLY)  # Title Only: the layout title has no xfrm, the master's counts
    plain.shapes.title.text = SENTINEL
    content_slide = b.add_slide(prs, b.TITLE_AND_CONTENT)  # obj placeholder idx 1 -> the master body
    content_slide.placeholders[1].text = "正文"
    got = [(x.text, x.band) for x in content(b.to_bytes(prs))]
    assert got == [("封面标题", "middle"), (SENTINEL, "bottom"), ("正文", "top")]


def test_table_rows_get_their_own_band():
    prs = b.new_deck()
    slide = b.add_slide(prs)
    table = slide.shapes.add_table(3, 2, Inches(1), Inches(1), Inches(6), Inches(6)).table
    for row in range(3):
        table.cell(row, 0).text = f"第{row + 1}行"
    got = [(x.location.cell, x.band) for x in content(b.to_bytes(prs))]
    assert got == [("A1", "top"), ("A2", "middle"), ("A3", "middle")]  # rows at 1, 3 and 5 inches


def test_merged_table_cells_are_read_once_and_tables_are_counted_across_the_deck():
    prs = b.new_deck()
    for _ in range(2):
        table = b.add_slide(prs).shapes.add_table(2, 3, Inches(1), Inches(3), Inches(6), Inches(1)).table
        table.cell(0, 0).merge(table.cell(0, 1))
        table.cell(0, 0).text = "合并"
        table.cell(1, 2).text = "第一段\n第二段"
    got = [(x.text, x.location) for x in content(b.to_bytes(prs))]
    assert got == [
        ("合并", Location("table", slide=1, table=1, cell="A1")),
        ("第一段\n第二段", Location("table", slide=1, table=1, cell="C2")),
        ("合并", Location("table", slide=2, table=2, cell="A1")),
        ("第一段\n第二段", Location("table", slide=2, table=2, cell="C2")),
    ]


def test_slide_height_comes_from_the_presentation():
    prs = b.new_deck()
    prs.slide_height = Inches(20)  # a tall poster: 7 inches down is no longer the bottom band
    b.add_box(b.add_slide(prs), 1, 7, "海报")
    assert [x.band for x in content(b.to_bytes(prs))] == ["middle"]


# --- slides, notes, comments -------------------------------------------------------------------

def test_slides_follow_presentation_order_and_hidden_slides_are_read():
    prs = b.new_deck()
    for text in ("甲", "乙", "丙"):
        b.add_box(b.add_slide(prs), 1, 3, text)
    prs.slides._sldIdLst.insert(0, prs.slides._sldIdLst[2])  # 丙 is now shown first
    prs.slides[1].element.set("show", "0")  # 甲 is hidden
    got = [(x.text, x.location.slide, x.section_start) for x in content(b.to_bytes(prs))]
    assert got == [("丙", 1, True), ("甲", 2, True), ("乙", 3, True)]


def test_notes_skip_slide_number_and_image_placeholders():
    prs = b.new_deck()
    slide = b.add_slide(prs)
    notes = slide.notes_slide
    notes.notes_text_frame.text = "讲解要点"
    b.append_shape(notes, b.sp_xml(para(b.a_run("7")), y=0, ph='<p:ph type="sldNum" idx="5"/>'))
    assert [(x.text, x.location, x.section_start) for x in content(b.to_bytes(prs))] == [
        ("讲解要点", Location("notes", slide=1, paragraph=1), True)]


def test_modern_comment_replies_are_read_with_their_author():
    prs = b.new_deck()
    slide = b.add_slide(prs)
    b.add_modern_comment(prs, slide, 1, "王五", "请核对密级", reply=SENTINEL)
    got = [(x.text, x.location) for x in content(b.to_bytes(prs))]
    assert got == [("请核对密级", Location("comment", slide=1, name="王五")),
                   (SENTINEL, Location("comment", slide=1, name="王五"))]


# --- limits, errors, package variants ----------------------------------------------------------

def test_max_text_chars_cuts_the_text_but_keeps_properties():
    got = blocks(b.fixture_matrix(), max_text_chars=8)
    assert [x.text for x in got if x.location.part != "properties"] == [SENTINEL, "秘密★"]
    assert Location("properties", name="title") in [x.location for x in got]


def test_broken_slide_xml_is_a_corrupt_file():
    data = b.rewrite(b.fixture_matrix(), {"ppt/slides/slide2.xml": lambda x: x[:200]})
    with pytest.raises(CorruptFile, match="ppt/slides/slide2.xml"):
        blocks(data)


def test_broken_presentation_xml_is_a_corrupt_file():
    data = b.rewrite(b.fixture_matrix(), {"ppt/presentation.xml": lambda x: x.replace(b"</p:", b"</q:", 1)})
    with pytest.raises(CorruptFile, match="ppt/presentation.xml"):
        blocks(data)


def test_missing_presentation_part_is_a_corrupt_file():
    data = b.rewrite(b.fixture_matrix(), {"ppt/presentation.xml": lambda x: None})
    with pytest.raises(CorruptFile, match="missing"):
        blocks(data)


def test_presentation_part_that_is_not_a_presentation_is_a_corrupt_file():
    data = b.rewrite(b.fixture_matrix(), {"ppt/presentation.xml": lambda x: b"<root/>"})
    with pytest.raises(CorruptFile, match="not a PresentationML"):
        blocks(data)


def test_not_a_zip_is_a_corrupt_file():
    with pytest.raises(CorruptFile):
        blocks(b"PK\x03\x04 truncated")


def test_encrypted_zip_members_raise_encrypted_file():
    data = bytearray(b.unmarked_deck())
    pos = data.rfind(b"PK\x05\x06")
    count, = struct.unpack_from("<H", data, pos + 10)
    start, = struct.unpack_from("<I", data, pos + 16)
    for _ in range(count):  # set the 'encrypted' flag on every central directory entry
        flags, = struct.unpack_from("<H", data, start + 8)
        struct.pack_into("<H", data, start + 8, flags | 1)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, start + 28)
        start += 46 + name_len + extra_len + comment_len
    with pytest.raises(EncryptedFile):
        blocks(bytes(data))


def test_strict_ooxml_namespaces_are_read():
    strict = {b"http://schemas.openxmlformats.org/presentationml/2006/main":
              b"http://purl.oclc.org/ooxml/presentationml/main",
              b"http://schemas.openxmlformats.org/drawingml/2006/main": b"http://purl.oclc.org/ooxml/drawingml/main"}

    def to_strict(blob: bytes) -> bytes:
        for old, new in strict.items():
            blob = blob.replace(old, new)
        return blob

    data = b.fixture_matrix()
    names = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("ppt/")]
    assert texts(b.rewrite(data, dict.fromkeys(names, to_strict))) == texts(data)


def test_pptx_renamed_docx_is_sniffed_as_pptx_only():
    data = b.fixture_matrix()
    pr = probe(io.BytesIO(data), len(data), "会议纪要.docx")
    assert pptx.sniff(pr)
    assert not docx.sniff(pr) and not xlsx.sniff(pr)


def test_other_packages_are_not_sniffed_as_pptx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    data = out.getvalue()
    assert not pptx.sniff(probe(io.BytesIO(data), len(data), "x.pptx"))
