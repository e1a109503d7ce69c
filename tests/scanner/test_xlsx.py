"""The XLSX extractor: exact locations of planted marks, limits, bounded memory, broken packages."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors import xlsx
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import probe
from tests.scanner.xlsx_builders import (
    NS_MAIN,
    NS_STRICT,
    REL,
    REL_PERSON,
    REL_THREADED,
    RawSheet,
    big_xlsx,
    cell,
    header_footer,
    inline,
    legacy_comments,
    persons,
    raw_xlsx,
    row,
    set_encrypted_flag,
    shared_strings,
    threaded_comments,
    workbook_bytes,
)

MARK = "秘密★1年"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def blocks(data: bytes, **options: int) -> list[TextBlock]:
    return list(xlsx.extract(io.BytesIO(data), ScanOptions(**options)))


def where(data: bytes, text: str) -> list[Location]:
    return [b.location for b in blocks(data) if b.text == text]


def cells_of(data: bytes) -> list[tuple[str, str | None]]:
    return [(b.text, b.location.cell) for b in blocks(data) if b.location.part == "cell"]


def parts_of(data: bytes, *parts: str) -> list[tuple[str, Location]]:
    return [(b.text, b.location) for b in blocks(data) if b.location.part in parts]


def cell_at(sheet: str, ref: str) -> Location:
    return Location(part="cell", sheet=sheet, cell=ref)


def three_sheets() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.active.title = "表一"
    wb.create_sheet("表二")
    wb.create_sheet("表三")
    return wb


# --- sniffing -------------------------------------------------------------------------------


def test_sniff_decides_from_content_not_extension() -> None:
    data = workbook_bytes(openpyxl.Workbook())
    assert xlsx.sniff(probe(io.BytesIO(data), len(data), "report.txt"))


@pytest.mark.parametrize("member", ["xl/workbook.bin", "word/document.xml"])
def test_sniff_rejects_xlsb_and_other_packages(member: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, b"x")
    data = buf.getvalue()
    assert not xlsx.sniff(probe(io.BytesIO(data), len(data), "book.xlsx"))


def test_sniff_rejects_plain_text() -> None:
    data = "秘密★1年".encode()
    assert not xlsx.sniff(probe(io.BytesIO(data), len(data), "a.xlsx"))


# --- planted marks --------------------------------------------------------------------------


def test_mark_in_a1_of_first_sheet() -> None:
    wb = three_sheets()
    wb["表一"]["A1"] = MARK
    assert where(workbook_bytes(wb), MARK) == [cell_at("表一", "A1")]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheet_is_read(state: str) -> None:
    wb = three_sheets()
    wb["表三"].sheet_state = state
    wb["表三"]["D40"] = MARK
    assert where(workbook_bytes(wb), MARK) == [cell_at("表三", "D40")]


def test_sheet_name_is_a_block() -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "机密资料"
    assert where(workbook_bytes(wb), "机密资料") == [Location(part="sheetname", sheet="机密资料")]


def test_header_format_codes_are_stripped() -> None:
    hf = header_footer(oddHeader='&L&"黑体,常规"&16秘密★6个月&C&P/&N&R&D &T')
    data = raw_xlsx([RawSheet("S1", row(1, inline("A1", "x")), header_footer=hf)])
    headers = [b for b in blocks(data) if b.location.part == "header"]
    assert headers == [TextBlock("秘密★6个月", Location(part="header", sheet="S1", name="odd")),
                       TextBlock("/", Location(part="header", sheet="S1", name="odd"))]


def test_footer_even_and_first_kinds() -> None:
    hf = header_footer(oddFooter="&C第&P页", evenFooter='&R&"宋体,加粗"&K0000FF机密★5年',
                       firstHeader="&L&12内部&&外部")
    data = raw_xlsx([RawSheet("S1", header_footer=hf)])
    found = {(b.text, b.location) for b in blocks(data) if b.location.part in ("header", "footer")}
    assert found == {("第页", Location(part="footer", sheet="S1", name="odd")),
                     ("机密★5年", Location(part="footer", sheet="S1", name="even")),
                     ("内部&外部", Location(part="header", sheet="S1", name="first"))}


def test_header_footer_written_by_openpyxl() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.oddHeader.left.text, ws.oddHeader.left.font, ws.oddHeader.left.size = "秘密★6个月", "黑体,常规", 16
    ws.oddFooter.right.text = MARK
    assert parts_of(workbook_bytes(wb), "header", "footer") == [
        ("秘密★6个月", Location(part="header", sheet="台账", name="odd")),
        (MARK, Location(part="footer", sheet="台账", name="odd"))]


@pytest.mark.parametrize(("value", "sections"), [
    ('&L&"黑体,常规"&16秘密★6个月', ["秘密★6个月"]),
    ("秘密★1年", ["秘密★1年"]),  # no section code: centre
    ("&L左&C中&R右", ["左", "中", "右"]),
    ("&R右&L左", ["左", "右"]),
    ("&C&B&I&U&E&S&X&Y&O&H机密&B", ["机密"]),
    ("&L&KFF0000红&K01+033字", ["红字"]),
    ("&C第&P+1页 共&N页 &A &F &Z&G", ["第页 共页"]),
    ("A&&B", ["A&B"]),
    ("&L&12 ", []),
    ("", []),
])
def test_header_footer_sections(value: str, sections: list[str]) -> None:
    assert xlsx.header_footer_sections(value) == sections


def test_header_in_prefixed_namespace_sheet() -> None:
    hf = '<x:headerFooter><x:oddHeader>&amp;L秘密★1年</x:oddHeader></x:headerFooter>'
    cells = '<x:row r="2"><x:c r="B2" t="inlineStr"><x:is><x:t>内部</x:t></x:is></x:c></x:row>'
    data = raw_xlsx([RawSheet("P", cells, header_footer=hf, prefix="x")])
    assert [(b.text, b.location) for b in blocks(data)][1:] == [
        (MARK, Location(part="header", sheet="P", name="odd")), ("内部", cell_at("P", "B2"))]


def test_comment_with_author() -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "S"
    wb.active["C5"].comment = Comment(MARK, "张三")
    assert where(workbook_bytes(wb), MARK) == [Location(part="comment", sheet="S", cell="C5", name="张三")]


def test_threaded_comment_replaces_its_legacy_mirror() -> None:
    pid = "{11111111-2222-3333-4444-555555555555}"
    legacy = legacy_comments(["tc=x", "李四"], [("B2", 0, "[Threaded comment] ..."), ("D4", 1, "内部")])
    sheet = RawSheet("S", rels=[(REL_THREADED, "../threadedComments/tc1.xml"),
                                (REL + "comments", "../comments1.xml")])
    data = raw_xlsx([sheet], book_rels=[(REL_PERSON, "persons/person.xml")], parts={
        "xl/threadedComments/tc1.xml": threaded_comments([("B2", pid, MARK)]),
        "xl/comments1.xml": legacy, "xl/persons/person.xml": persons([(pid, "王五")])})
    comments = [(b.text, b.location) for b in blocks(data) if b.location.part == "comment"]
    assert comments == [(MARK, Location(part="comment", sheet="S", cell="B2", name="王五")),
                        ("内部", Location(part="comment", sheet="S", cell="D4", name="李四"))]


def test_rich_text_shared_string_stays_whole() -> None:
    strings = shared_strings(
        "<t>普通</t>",
        '<r><rPr><b/><rFont val="黑体"/></rPr><t>秘</t></r><r><t>密</t></r><r><rPr><sz val="9"/></rPr>'
        '<t xml:space="preserve">★1年</t></r><rPh sb="0" eb="1"><t>ミ</t></rPh>',
    )
    data = raw_xlsx([RawSheet("S", row(2, cell("A2", "0", "s"), cell("B2", "1", "s")))], strings=strings)
    assert [(b.text, b.location) for b in blocks(data) if b.location.part == "cell"] == [
        ("普通", cell_at("S", "A2")), (MARK, cell_at("S", "B2"))]


def test_pretty_printed_rich_text_keeps_no_indentation() -> None:
    strings = shared_strings("\n  <r>\n    <t>秘密</t>\n  </r>\n  <r>\n    <t>★1年</t>\n  </r>\n")
    data = raw_xlsx([RawSheet("S", row(1, cell("A1", "0", "s")))], strings=strings)
    assert where(data, MARK) == [cell_at("S", "A1")]


def test_inline_formula_and_escaped_strings() -> None:
    cells = row(3, inline("A3", MARK), '<c r="B3" t="str"><f>"机密"&amp;"★10年"</f><v>机密★10年</v></c>',
                inline("C3", "第一行_x000D_\n第二行"), cell("D3", "a < b & c", "str"))
    assert cells_of(raw_xlsx([RawSheet("S", cells)])) == [
        (MARK, "A3"), ("机密★10年", "B3"), ("第一行\r\n第二行", "C3"), ("a < b & c", "D3")]


def test_numbers_only_when_identifier_like() -> None:
    cells = row(1, cell("A1", "13800138000"), cell("B1", "12.5"), cell("C1", "123456"),
                cell("D1", "1.10101199003077E+17"), cell("E1", "1234567.0"), cell("F1", "1", "b"),
                cell("G1", "#N/A", "e"), cell("H1", "-12345678"), cell("I1", "1234567.5"))
    assert cells_of(raw_xlsx([RawSheet("S", cells)])) == [
        ("13800138000", "A1"), ("110101199003077000", "D1"), ("1234567", "E1")]


def test_cells_without_references_get_computed_ones() -> None:
    def no_ref(text: str) -> str:
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'

    cells = f'<row r="4">{no_ref("甲")}{inline("C4", "乙")}{no_ref("丙")}</row><row>{no_ref("丁")}</row>'
    assert cells_of(raw_xlsx([RawSheet("S", cells)])) == [
        ("甲", "A4"), ("乙", "C4"), ("丙", "D4"), ("丁", "A5")]


def test_strict_ooxml_namespace() -> None:
    data = raw_xlsx([RawSheet("严格", row(1, inline("A1", MARK)))], ns=NS_STRICT)
    assert where(data, MARK) == [cell_at("严格", "A1")]


def test_properties_core_and_custom_come_first() -> None:
    wb = openpyxl.Workbook()
    wb.properties.title = "关于某项目的报告"
    wb.custom_doc_props.append(StringProperty(name="密级", value="秘密"))
    wb.active["A1"] = "正文"
    got = blocks(workbook_bytes(wb))
    props = {(b.location.name, b.text) for b in got if b.location.part == "properties"}
    assert {("title", "关于某项目的报告"), ("密级", "秘密")} <= props
    assert all(b.location.part == "properties" for b in got[:len(props)])


def test_block_order_within_a_workbook() -> None:
    hf = header_footer(oddHeader="&C内部")
    comments = legacy_comments(["甲"], [("A1", 0, "批注")])
    sheets = [RawSheet("一", row(1, inline("A1", "a1")) + row(2, inline("A2", "a2")), header_footer=hf,
                       rels=[(REL + "comments", "../comments1.xml")]),
              RawSheet("二", row(1, inline("B1", "b1")))]
    got = [(b.location.part, b.text) for b in blocks(raw_xlsx(sheets, parts={"xl/comments1.xml": comments}))]
    assert got == [("sheetname", "一"), ("header", "内部"), ("cell", "a1"), ("cell", "a2"),
                   ("comment", "批注"), ("sheetname", "二"), ("cell", "b1")]


def test_sheet_whose_part_is_missing_keeps_its_name() -> None:
    data = raw_xlsx([RawSheet("有"), RawSheet("无")], parts={})
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet2.xml":
                dst.writestr(info, src.read(info))
    assert [b.text for b in blocks(buf.getvalue())] == ["有", "无"]


# --- limits and memory ----------------------------------------------------------------------


def test_max_cells_counts_across_sheets() -> None:
    sheets = [RawSheet("一", row(1, inline("A1", "1"), inline("B1", "2"), inline("C1", "3"))),
              RawSheet("二", row(1, inline("A1", "4"), inline("B1", "5"), inline("C1", "6")),
                       header_footer=header_footer(oddFooter="页脚"))]
    got = [(b.location.part, b.text) for b in blocks(raw_xlsx(sheets), max_cells=4)]
    assert got == [("sheetname", "一"), ("cell", "1"), ("cell", "2"), ("cell", "3"),
                   ("sheetname", "二"), ("footer", "页脚"), ("cell", "4")]


def test_max_text_chars_cuts_the_file() -> None:
    data = raw_xlsx([RawSheet("S", row(1, inline("A1", "一二三四五"), inline("B1", "六七八")))])
    assert [b.text for b in blocks(data, max_text_chars=8)] == ["S", "一二三四五", "六七"]


@pytest.fixture(scope="module")
def big_numeric(tmp_path_factory: pytest.TempPathFactory) -> str:
    """200,000 rows of one number each (10 MB of sheet XML) and the mark in C150000."""
    path = str(tmp_path_factory.mktemp("xlsx") / "big.xlsx")
    big_xlsx(path, 200_000, mark_row=150_000, text=False)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 10_000_000
    return path


def test_big_sheet_streams_with_bounded_python_memory(big_numeric: str) -> None:
    tracemalloc.start()
    try:
        with open(big_numeric, "rb") as fh:
            got = [(b.text, b.location) for b in xlsx.extract(fh, ScanOptions())]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == [("大表", Location(part="sheetname", sheet="大表")), (MARK, cell_at("大表", "C150000"))]
    assert peak < 4 * 1024 * 1024  # the sheet part alone is 10 MB: it is never held whole


RSS_PROBE = """
import resource, sys
from scanner.extractors import xlsx
from scanner.options import ScanOptions
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "rb") as fh:
    n = sum(1 for _ in xlsx.extract(fh, ScanOptions()))
print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_big_sheet_streams_with_bounded_process_memory(big_numeric: str) -> None:
    """tracemalloc cannot see the XML parser's C memory; the process's peak RSS can."""
    env = {**os.environ, "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", RSS_PROBE, big_numeric], capture_output=True, text=True,
                         env=env, check=True, timeout=120).stdout.split()
    assert int(out[0]) == 2
    assert int(out[1]) < 30 * 1024  # KiB; a tree of the sheet would take hundreds of MB


def test_big_sheet_honours_max_cells(tmp_path: Path) -> None:
    path = str(tmp_path / "big.xlsx")
    big_xlsx(path, 200_000)
    with open(path, "rb") as fh:
        cells = [b for b in xlsx.extract(fh, ScanOptions(max_cells=1001)) if b.location.part == "cell"]
    assert len(cells) == 501  # A and B count, only A is text
    assert cells[-1].location == cell_at("大表", "A501")


# --- broken and protected packages ----------------------------------------------------------


def test_broken_sheet_xml_is_corrupt() -> None:
    raw = f'<worksheet xmlns="{NS_MAIN}"><sheetData><row r="1">'
    data = raw_xlsx([RawSheet("S", raw=raw + '<c r="A1" t="inlineStr"><is><t>x</t></is></c></sheetData>')])
    with pytest.raises(CorruptFile, match=r"xl/worksheets/sheet1\.xml.*mismatched tag") as err:
        blocks(data)
    assert "\n" not in str(err.value)


def test_broken_shared_strings_are_corrupt() -> None:
    data = raw_xlsx([RawSheet("S")], strings="<sst><si><t>秘密</si></sst>")
    with pytest.raises(CorruptFile, match=r"xl/sharedStrings\.xml"):
        blocks(data)


def test_missing_workbook_part_is_corrupt() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    with pytest.raises(CorruptFile, match="xl/workbook.xml is missing"):
        blocks(buf.getvalue())


def test_not_a_zip_is_corrupt() -> None:
    with pytest.raises(CorruptFile):
        blocks(b"PK\x03\x04 but then garbage")


def test_encrypted_members_raise_encrypted() -> None:
    data = set_encrypted_flag(raw_xlsx([RawSheet("S", row(1, inline("A1", MARK)))]))
    with pytest.raises(EncryptedFile):
        blocks(data)


def test_dtd_entity_bomb_is_refused() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            f'<worksheet xmlns="{NS_MAIN}"><sheetData><row r="1">'
            '<c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>')
    with pytest.raises(CorruptFile, match="declares a DTD"):
        blocks(raw_xlsx([RawSheet("S", raw=bomb)]))
