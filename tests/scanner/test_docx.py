"""The DOCX extractor: every part with its exact Location, glyphs, pages, errors, sniffing."""

from __future__ import annotations

import io
import struct
import zipfile

import docx as python_docx
import pytest

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors import docx
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import probe
from tests.scanner import docx_builders as b
from tests.scanner.docx_builders import MSIP_NAME, SENTINEL

W_NS = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def blocks(data: bytes, **opts: int) -> list[TextBlock]:
    return list(docx.extract(io.BytesIO(data), ScanOptions(**opts)))


def content(data: bytes) -> list[TextBlock]:
    return [x for x in blocks(data) if x.location.part != "properties"]


def texts(data: bytes) -> list[str]:
    return [x.text for x in content(data)]


def paragraph_doc(*inner: str) -> bytes:
    """A document whose body paragraphs are the given raw XML paragraph contents."""
    doc = b.new_document()
    for xml in inner:
        b.add_raw_paragraph(doc, xml)
    return b.to_bytes(doc)


# --- the (part x location) matrix -------------------------------------------------------------

def test_fixture_matrix_every_part_has_its_exact_location():
    got = [x.location for x in blocks(b.fixture_matrix()) if x.text == SENTINEL]
    assert got == [
        Location("header", name="default"),
        Location("watermark", name="default"),
        Location("header", name="first"),
        Location("body", page=1, paragraph=2),
        Location("textbox", page=1),
        Location("table", page=2, table=2, cell="B3"),
        Location("footer", name="even"),
        Location("footnote", page=2),
        Location("endnote", page=2),
        Location("comment", page=2, name="审核人"),
        Location("properties", name="title"),
        Location("properties", name="密级"),
        Location("properties", name=MSIP_NAME),
    ]


def test_fixture_matrix_body_flow_and_section_start():
    body = [(x.text, x.location, x.section_start) for x in content(b.fixture_matrix())
            if x.location.part in ("body", "table")]
    assert body == [
        ("关于开展年度保密检查的通知", Location("body", page=1, paragraph=1), False),
        (SENTINEL, Location("body", page=1, paragraph=2), False),
        ("序号", Location("table", page=1, table=1, cell="A1"), False),
        ("见右侧文本框", Location("body", page=1, paragraph=3), False),
        # paragraph 4 is the page break; the first text after it opens page 2
        ("文件名称", Location("table", page=2, table=2, cell="A1"), True),
        (SENTINEL, Location("table", page=2, table=2, cell="B3"), False),
        ("正文脚注引用", Location("body", page=2, paragraph=5), False),
        ("正文尾注引用", Location("body", page=2, paragraph=6), False),
        ("批注所在文字", Location("body", page=2, paragraph=7), False),
    ]


def test_separator_footnotes_are_skipped_and_note_text_is_trimmed():
    notes = [x.text for x in blocks(b.fixture_matrix()) if x.location.part in ("footnote", "endnote")]
    assert notes == [SENTINEL, SENTINEL]


# --- glyphs and runs --------------------------------------------------------------------------

def test_mark_split_over_three_formatted_runs_stays_whole():
    assert texts(b.split_mark()) == ["秘密★1年"]


def test_wingdings_symbol_between_level_and_period_is_one_block_with_the_star():
    doc = b.new_document()
    p = doc.add_paragraph("绝密")
    b.append_xml(p, b.sym_run("Wingdings", "F0AB"))
    p.add_run("长期")
    data = b.to_bytes(doc)
    assert [(x.text, x.location) for x in content(data)] == [
        ("绝密\uf0ab长期", Location("body", page=1, paragraph=1))]
    # the reason for reading the XML ourselves: python-docx renders no w:sym
    assert python_docx.Document(io.BytesIO(data)).paragraphs[0].text == "绝密长期"


def test_sym_short_code_and_wingdings_run_guillemet_give_the_same_star():
    data = paragraph_doc(b.run("机密") + b.sym_run("Wingdings", "AB") + b.run("10年"),
                         b.run("秘密") + b.wingdings_run("«") + b.run("1年"))
    assert texts(data) == ["机密\uf0ab10年", "秘密\uf0ab1年"]


def test_other_symbol_fonts_never_produce_the_wingdings_star():
    data = paragraph_doc(b.run("a") + b.sym_run("Symbol", "F0AB") + b.run("b"),
                         b.run("c") + b.sym_run("SimSun", "2605") + b.run("d"),
                         b.run("«") + b.run("e", '<w:rFonts w:ascii="Arial" w:hAnsi="Arial"/>'))
    assert texts(data) == ["a\ufffdb", "c★d", "«e"]


def test_tabs_line_breaks_and_no_break_hyphens():
    data = paragraph_doc('<w:r><w:t>密级</w:t><w:tab/><w:t>秘密</w:t><w:br/><w:t>A</w:t>'
                         "<w:noBreakHyphen/><w:t>1</w:t><w:cr/><w:t>B</w:t></w:r>")
    assert texts(data) == ["密级\t秘密\nA-1\nB"]


def test_hyperlinks_simple_fields_and_complex_field_results_are_text_but_field_codes_are_not():
    data = paragraph_doc(
        '<w:hyperlink r:id="rId99">' + b.run("链接") + "</w:hyperlink>"
        '<w:fldSimple w:instr=" DOCPROPERTY 密级 ">' + b.run("秘密") + "</w:fldSimple>"
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + b.run("3") +
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    assert texts(data) == ["链接秘密3"]


def test_content_control_paragraphs_are_body_paragraphs():
    doc = b.new_document()
    doc.add_paragraph("first")
    sdt = b.xml_el(f"<w:sdt><w:sdtPr><w:alias w:val=\"密级\"/></w:sdtPr><w:sdtContent>"
                   f"<w:p>{b.run('机密')}</w:p></w:sdtContent></w:sdt>")
    doc.element.body.insert(len(doc.element.body) - 1, sdt)
    doc.add_paragraph("third")
    assert [(x.text, x.location.paragraph) for x in content(b.to_bytes(doc))] == [
        ("first", 1), ("机密", 2), ("third", 3)]


# --- tracked changes ---------------------------------------------------------------------------

def test_inserted_text_is_text_and_deleted_text_is_a_revision_block():
    data = paragraph_doc(
        b.run("密级：") + '<w:ins w:id="1" w:author="x">' + b.run("公开") + "</w:ins>"
        '<w:del w:id="2" w:author="x"><w:r><w:delText>机密★10年</w:delText></w:r></w:del>')
    assert [(x.text, x.location) for x in content(data)] == [
        ("密级：公开", Location("body", page=1, paragraph=1)),
        ("机密★10年", Location("revision", page=1, paragraph=1, name="body")),
    ]


def test_moved_from_text_is_a_revision_and_moved_to_text_is_body():
    data = paragraph_doc('<w:moveFrom w:id="1" w:author="x">' + b.run("旧位置") + "</w:moveFrom>"
                         '<w:moveTo w:id="2" w:author="x">' + b.run("新位置") + "</w:moveTo>")
    assert [(x.text, x.location.part) for x in content(data)] == [("新位置", "body"), ("旧位置", "revision")]


# --- pages and sections ------------------------------------------------------------------------

def test_mark_after_six_page_breaks_is_on_page_seven_and_opens_a_section():
    doc = b.new_document()
    doc.add_paragraph("汇编封面")
    for i in range(6):
        doc.add_page_break()
        doc.add_paragraph(f"第{i + 2}页正文")
    doc.paragraphs[-1].text = "机密★10年"
    got = content(b.to_bytes(doc))
    assert (got[-1].text, got[-1].location, got[-1].section_start) == (
        "机密★10年", Location("body", page=7, paragraph=13), True)
    assert [x.location.page for x in got] == [1, 2, 3, 4, 5, 6, 7]
    assert [x.section_start for x in got] == [False] + [True] * 6


def test_every_kind_of_break_counts_once():
    doc = b.new_document()
    doc.add_paragraph("p1")
    b.add_raw_paragraph(doc, b.run("p1 end") + '<w:r><w:br w:type="page"/></w:r>' + b.run("p2 in same"))
    b.add_raw_paragraph(doc, b.run("p3"), ppr="<w:pageBreakBefore/>")
    b.add_raw_paragraph(doc, b.run("p3 still"), ppr='<w:pageBreakBefore w:val="0"/>')
    b.add_section(doc, "NEW_PAGE")  # the paragraph before it ends section 1
    doc.add_paragraph("p4")
    doc.add_page_break()
    rendered = "<w:r><w:lastRenderedPageBreak/></w:r>"
    b.add_raw_paragraph(doc, rendered + b.run("p5 (rendered break is the same page)"))
    b.add_raw_paragraph(doc, b.run("p5 end") + rendered + b.run(" p6 flows"))
    doc.add_paragraph("p6")
    got = [(x.text, x.location.page, x.section_start) for x in content(b.to_bytes(doc))]
    assert got == [
        ("p1", 1, False), ("p1 end", 1, False), ("p2 in same", 2, True), ("p3", 3, True),
        ("p3 still", 3, False), ("p4", 4, True), ("p5 (rendered break is the same page)", 5, True),
        ("p5 end p6 flows", 5, False), ("p6", 6, False),
    ]


def test_continuous_section_break_starts_a_section_on_the_same_page():
    doc = b.new_document()
    doc.add_paragraph("正文")
    b.add_section(doc, "CONTINUOUS")
    doc.add_paragraph("附件1")
    got = [(x.text, x.location.page, x.section_start) for x in content(b.to_bytes(doc))]
    assert got == [("正文", 1, False), ("附件1", 1, True)]


def test_empty_paragraphs_are_counted_but_not_yielded():
    doc = b.new_document()
    doc.add_paragraph("")
    doc.add_paragraph("   ")
    doc.add_paragraph()
    doc.add_paragraph("秘密★1年")
    assert [(x.text, x.location) for x in content(b.to_bytes(doc))] == [
        ("秘密★1年", Location("body", page=1, paragraph=4))]


def test_text_box_after_a_break_opens_the_section_when_its_anchor_is_empty():
    doc = b.new_document()
    doc.add_paragraph("cover")
    doc.add_page_break()
    b.add_raw_paragraph(doc, b.textbox_run("机密★10年"))
    got = [(x.text, x.location, x.section_start) for x in content(b.to_bytes(doc))]
    assert got == [("cover", Location("body", page=1, paragraph=1), False),
                   ("机密★10年", Location("textbox", page=2), True)]


# --- tables ------------------------------------------------------------------------------------

def test_cell_addresses_follow_the_grid_through_spans_and_grid_before():
    doc = b.new_document()
    table = doc.add_table(rows=3, cols=3)
    table.cell(1, 0).merge(table.cell(1, 1))  # A2:B2 is one w:tc with gridSpan 2
    table.cell(1, 0).text = "merged"
    table.cell(1, 2).text = "after span"
    table.cell(2, 2).add_paragraph("second line")
    table.cell(2, 2).paragraphs[0].text = "first line"
    tr = table.rows[0]._tr
    tr.remove(tr.tc_lst[0])
    tr.insert(0, b.xml_el('<w:trPr><w:gridBefore w:val="1"/></w:trPr>'))
    tr.tc_lst[0].append(b.xml_el(f"<w:p>{b.run('after grid before')}</w:p>"))
    got = [(x.text, x.location.cell) for x in content(b.to_bytes(doc))]
    assert got == [("after grid before", "B1"), ("merged", "A2"), ("after span", "C2"),
                   ("first line\nsecond line", "C3")]


def test_nested_tables_have_their_own_numbers_in_document_order():
    doc = b.new_document()
    outer = doc.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "outer A1"
    inner = outer.cell(0, 0).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "inner A1"
    outer.cell(0, 1).text = "outer B1"
    doc.add_table(rows=1, cols=1).cell(0, 0).text = "next"
    got = [(x.text, x.location.table, x.location.cell) for x in content(b.to_bytes(doc))]
    assert got == [("outer A1", 1, "A1"), ("inner A1", 2, "A1"), ("outer B1", 1, "B1"), ("next", 3, "A1")]


def test_paragraphs_inside_tables_are_not_counted():
    doc = b.new_document()
    doc.add_paragraph("one")
    doc.add_table(rows=2, cols=2).cell(1, 1).text = "cell"
    doc.add_paragraph("two")
    assert [(x.text, x.location.paragraph) for x in content(b.to_bytes(doc))] == [
        ("one", 1), ("cell", None), ("two", 2)]


# --- text boxes and watermarks -----------------------------------------------------------------

def test_text_box_choice_and_fallback_give_one_block():
    data = paragraph_doc(b.run("anchor") + b.textbox_run("框内文字"))
    assert [(x.text, x.location) for x in content(data)] == [
        ("anchor", Location("body", page=1, paragraph=1)), ("框内文字", Location("textbox", page=1))]


def test_vml_text_boxes_are_read_bare_or_as_the_only_branch():
    pict = ('<w:pict><v:shape id="_x0000_s1026" type="#_x0000_t202"><v:textbox><w:txbxContent>'
            "<w:p>{}</w:p></w:txbxContent></v:textbox></v:shape></w:pict>")
    bare = f"<w:r>{pict.format(b.run('VML框'))}</w:r>"
    only_fallback = ("<w:r><mc:AlternateContent><mc:Fallback>" + pict.format(b.run("后备框")) +
                     "</mc:Fallback></mc:AlternateContent></w:r>")
    got = [(x.text, x.location) for x in content(paragraph_doc(bare, only_fallback))]
    assert got == [("VML框", Location("textbox", page=1)), ("后备框", Location("textbox", page=1))]


def test_drawingml_shape_named_as_watermark_is_a_watermark():
    data = paragraph_doc(b.textbox_run("秘密★1年", name="PowerPlusWaterMarkObject1", fallback=False))
    assert [(x.text, x.location) for x in content(data)] == [("秘密★1年", Location("watermark", page=1))]


def test_watermark_and_text_box_in_a_header():
    doc = b.new_document()
    header = doc.sections[0].header.paragraphs[0]
    b.append_xml(header, b.vml_watermark_run("内部资料 注意保存"))
    b.append_xml(header, b.textbox_run("秘密★1年"))
    header.add_run("页眉")
    got = [(x.text, x.location) for x in content(b.to_bytes(doc))]
    assert got == [("页眉", Location("header", name="default")),
                   ("内部资料 注意保存", Location("watermark", name="default")),
                   ("秘密★1年", Location("header", name="default"))]


# --- headers and footers of several sections ---------------------------------------------------

def test_headers_of_every_section_once_each():
    doc = b.new_document()
    doc.add_paragraph("section 1")
    doc.sections[0].header.paragraphs[0].text = "H1"
    b.add_section(doc)
    doc.add_paragraph("section 2")
    second = doc.sections[1]
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "H2"
    table = second.footer.add_table(1, 2, second.page_width)
    table.cell(0, 1).text = "F2 cell"
    got = [(x.text, x.location) for x in content(b.to_bytes(doc))]
    assert got == [("H1", Location("header", name="default")), ("H2", Location("header", name="default")),
                   ("section 1", Location("body", page=1, paragraph=1)),
                   # python-docx's add_section ends section 1 with an empty paragraph (number 2)
                   ("section 2", Location("body", page=2, paragraph=3)),
                   ("F2 cell", Location("footer", name="default"))]


# --- package structure -------------------------------------------------------------------------

def test_main_part_is_found_through_the_package_relationships():
    data = b.rewrite(b.split_mark(), {
        "word/document.xml": lambda x: None,
        "_rels/.rels": lambda x: x.replace(b'Target="word/document.xml"', b'Target="word/main.xml"'),
        "[Content_Types].xml": lambda x: x.replace(b"/word/document.xml", b"/word/main.xml"),
        "word/_rels/document.xml.rels": lambda x: None,
    })
    original = zipfile.ZipFile(io.BytesIO(b.split_mark()))
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("word/main.xml", original.read("word/document.xml"))
        zf.writestr("word/_rels/main.xml.rels", original.read("word/_rels/document.xml.rels"))
    assert texts(buf.getvalue()) == ["秘密★1年"]


def test_strict_open_xml_namespaces_are_read():
    def strict(x: bytes) -> bytes:
        return (x.replace(W_NS, b"http://purl.oclc.org/ooxml/wordprocessingml/main")
                .replace(R_NS, b"http://purl.oclc.org/ooxml/officeDocument/relationships"))

    doc = b.new_document()
    doc.sections[0].header.paragraphs[0].text = "页眉秘密"
    doc.add_paragraph("正文")
    data = b.rewrite(b.to_bytes(doc), {"word/document.xml": strict, "word/header1.xml": strict})
    assert [(x.text, x.location.part) for x in content(data)] == [("页眉秘密", "header"), ("正文", "body")]


def test_max_text_chars_stops_the_text_but_keeps_the_properties():
    doc = b.new_document()
    doc.core_properties.title = "标题"
    for i in range(100):
        doc.add_paragraph(f"{i:03d}" + "字" * 97)
    got = blocks(b.to_bytes(doc), max_text_chars=1000)
    body = [x for x in got if x.location.part == "body"]
    assert len(body) == 11
    assert Location("properties", name="title") in [x.location for x in got]


# --- errors ------------------------------------------------------------------------------------

def test_broken_document_xml_is_a_corrupt_file_with_a_one_line_reason():
    data = b.rewrite(b.split_mark(), {"word/document.xml": lambda x: x[: len(x) // 2]})
    with pytest.raises(CorruptFile) as info:
        blocks(data)
    assert "word/document.xml" in str(info.value)
    assert "\n" not in str(info.value)


def test_broken_header_xml_is_a_corrupt_file():
    doc = b.new_document()
    doc.sections[0].header.paragraphs[0].text = "页眉"
    data = b.rewrite(b.to_bytes(doc), {"word/header1.xml": lambda x: x.replace(b"</w:hdr>", b"")})
    with pytest.raises(CorruptFile, match="word/header1.xml"):
        blocks(data)


def test_missing_main_part_is_a_corrupt_file():
    data = b.rewrite(b.split_mark(), {"word/document.xml": lambda x: None})
    with pytest.raises(CorruptFile, match="missing"):
        blocks(data)


def test_main_part_that_is_not_a_document_is_a_corrupt_file():
    data = b.rewrite(b.split_mark(), {"word/document.xml": lambda x: b"<root/>"})
    with pytest.raises(CorruptFile, match="not a WordprocessingML"):
        blocks(data)


def test_not_a_zip_is_a_corrupt_file():
    with pytest.raises(CorruptFile):
        blocks(b"PK\x03\x04 truncated")


def test_encrypted_zip_members_raise_encrypted_file():
    with pytest.raises(EncryptedFile):
        blocks(_with_encrypted_flag(b.split_mark()))


def _with_encrypted_flag(blob: bytes) -> bytes:
    """Set the 'encrypted' general-purpose flag on every central directory entry."""
    data = bytearray(blob)
    pos = zipfile.ZipFile(io.BytesIO(blob)).start_dir
    while data[pos:pos + 4] == b"PK\x01\x02":
        flags, = struct.unpack_from("<H", data, pos + 8)
        struct.pack_into("<H", data, pos + 8, flags | 1)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(data)


# --- sniffing ----------------------------------------------------------------------------------

def test_docx_renamed_to_jpg_is_sniffed_as_docx():
    data = b.split_mark()
    assert docx.sniff(probe(io.BytesIO(data), len(data), "holiday-photo.jpg"))


@pytest.mark.parametrize("names", [
    ["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"],
    ["readme.txt", "word/readme.xml"],
    [],
])
def test_other_zips_are_not_docx(names):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            zf.writestr(name, "<x/>")
        if not names:
            zf.writestr("a.txt", "hello")
    data = buf.getvalue()
    assert not docx.sniff(probe(io.BytesIO(data), len(data), "report.docx"))


def test_text_file_named_docx_is_not_docx():
    data = "秘密★1年".encode()
    assert not docx.sniff(probe(io.BytesIO(data), len(data), "a.docx"))
