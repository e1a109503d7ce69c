"""The PDF extractor: exact pages and lines, bands from geometry, metadata, errors, sniffing."""

from __future__ import annotations

import io
import random
import subprocess
import sys

import docx as python_docx
import pypdfium2
import pytest
from reportlab.lib import pdfencrypt

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors import pdf
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe, probe
from tests.scanner import pdf_builders as b
from tests.scanner.pdf_builders import Text

MARK = "秘密★1年"


def blocks(data: bytes, **opts: int) -> list[TextBlock]:
    return list(pdf.extract(io.BytesIO(data), ScanOptions(**opts)))


def body(data: bytes) -> list[tuple[str, int | None, int | None, str | None]]:
    return [(x.text, x.location.page, x.location.line, x.band) for x in blocks(data)
            if x.location.part == "body"]


def content_stream_text(data: bytes, index: int) -> str:
    """PDFium's own text of one page (system fonts off), in content-stream order."""
    doc = pdf._pdfium().PdfDocument(data)
    try:
        textpage = doc[index].get_textpage()
        return textpage.get_text_range()
    finally:
        doc.close()


def test_pages_and_lines_are_numbered_exactly() -> None:
    data = b.build_pdf([b.body_lines(1, 3), b.body_lines(4, 2)])
    got = blocks(data)
    assert [x for x in got if x.location.part == "body"] == [
        TextBlock("正文1：关于做好年度工作的安排意见", Location("body", page=1, line=1), band="top"),
        TextBlock("正文2：关于做好年度工作的安排意见", Location("body", page=1, line=2), band="top"),
        TextBlock("正文3：关于做好年度工作的安排意见", Location("body", page=1, line=3), band="top"),
        TextBlock("正文4：关于做好年度工作的安排意见", Location("body", page=2, line=1), band="top"),
        TextBlock("正文5：关于做好年度工作的安排意见", Location("body", page=2, line=2), band="top"),
    ]


def test_lines_are_numbered_by_geometry_not_drawing_order() -> None:
    lines = [Text(72, 400, "第三行"), Text(72, 300, "第一行"), Text(72, 350, "第二行")]
    assert [(t, line) for t, _, line, _ in body(b.build_pdf([lines]))] == [
        ("第一行", 1), ("第二行", 2), ("第三行", 3)]


def test_mark_drawn_last_but_standing_top_left_comes_first_with_band_top() -> None:
    page = [*b.body_lines(1, 30, y=150, step=20), Text(72, 60, MARK, size=16)]
    data = b.build_pdf([page])
    assert content_stream_text(data, 0).rstrip().endswith(MARK)  # PDFium alone puts it last
    got = body(data)
    assert got[0] == (MARK, 1, 1, "top")
    assert got[1][:3] == ("正文1：关于做好年度工作的安排意见", 1, 2)
    assert len(got) == 31


def test_bands_top_middle_bottom() -> None:
    height = b.PAGE_HEIGHT
    page = [Text(72, 0.20 * height, "上方文字"), Text(72, 0.5 * height, "中部文字"),
            Text(72, 0.80 * height, "偏下文字"), Text(72, 0.97 * height, "页脚文字")]
    assert [(t, band) for t, _, _, band in body(b.build_pdf([page]))] == [
        ("上方文字", "top"), ("中部文字", "middle"), ("偏下文字", "middle"), ("页脚文字", "bottom")]


def test_mark_at_top_of_page_seven() -> None:
    pages = [b.body_lines(1 + 5 * i, 5, y=300) for i in range(6)]
    pages.append([*b.body_lines(31, 5, y=300), Text(72, 60, MARK, size=16)])
    got = body(b.build_pdf(pages))
    assert (MARK, 7, 1, "top") in got
    assert [x for x in got if x[0] == MARK] == [(MARK, 7, 1, "top")]
    assert {page for _, page, _, _ in got} == set(range(1, 8))


def test_merged_header_line_stays_one_block() -> None:
    # 份号, mark and urgency on one baseline, drawn right to left after the body.
    page = [*b.body_lines(1, 3), Text(330, 60, "特急", size=16), Text(170, 60, MARK, size=16),
            Text(72, 60, "000123", size=16)]
    got = body(b.build_pdf([page]))
    assert got[0] == ("000123 秘密★1年 特急", 1, 1, "top")
    assert len(got) == 4


def test_adjacent_pieces_without_a_gap_join_without_a_space() -> None:
    page = [Text(72, 100, "秘密"), Text(96, 100, "★1年")]  # 2 glyphs of 12 pt: ends at x=96
    assert body(b.build_pdf([page])) == [("秘密★1年", 1, 1, "top")]


@pytest.mark.parametrize("year", ["年", "年 "])
def test_libreoffice_style_mark_keeps_digits_and_year(year: str) -> None:
    # LibreOffice writes CJK and Latin runs as separate pieces with small gaps: "秘密★1 年".
    # A lone "年" in a font that is not embedded is a text object PDFium skips (pdfminer reads
    # the page); "年 " has a width, and PDFium reads it.
    page = [Text(72, 100, "秘密★"), Text(110, 100, "1", font="Helvetica"), Text(120, 100, year)]
    data = b.build_pdf([page])
    assert ("年" in content_stream_text(data, 0)) == (year != "年")
    (text, page_no, line, band), = body(data)
    assert (page_no, line, band) == (1, 1, "top")
    assert text.replace(" ", "") == MARK
    assert "1" in text and text.index("1") < text.index("年")


def test_two_lines_close_together_stay_apart() -> None:
    page = [Text(72, 100, "第一行文字"), Text(72, 113, "第二行文字")]  # 12 pt text, 13 pt apart
    assert [(t, line) for t, _, line, _ in body(b.build_pdf([page]))] == [
        ("第一行文字", 1), ("第二行文字", 2)]


def test_diagonal_stamp_stays_whole_and_apart_from_the_lines_it_crosses() -> None:
    stamp = Text(150, 500, "内部资料 严禁外传", size=40, angle=35)
    page = [*b.body_lines(1, 8, y=300), stamp, *b.body_lines(9, 3, y=600), Text(72, 60, MARK)]
    got = [t for t, _, _, _ in body(b.build_pdf([page]))]
    assert got == [MARK, "内部资料 严禁外传",
                   *(f"正文{i}：关于做好年度工作的安排意见" for i in range(1, 12))]


def test_rotated_page_bands_follow_the_displayed_page() -> None:
    # /Rotate 90 turns the page clockwise for display: the user-space left edge is displayed at
    # the top. Text drawn running upwards in user space reads left to right on the display.
    # (The mapping was checked against pdftoppm renderings of all four rotations.)
    placed = ((800, "底部文字"), (60, "顶部文字"), (420, "中部文字"))
    page = [Text(x, 495, text, angle=90) for x, text in placed]
    assert body(b.build_pdf([page], rotation=90)) == [
        ("顶部文字", 1, 1, "top"), ("中部文字", 1, 2, "middle"), ("底部文字", 1, 3, "bottom")]


def test_single_characters_in_a_font_that_is_not_embedded_are_kept() -> None:
    # 1999-style letter-spaced mark: each character its own text object. Without system fonts
    # PDFium has no glyph box for them and its text page skips them; pdfminer reads that page.
    page = [Text(72, 100, "秘", size=16), Text(120, 100, "密", size=16), *b.body_lines(1, 2)]
    data = b.build_pdf([page])
    assert "秘" not in content_stream_text(data, 0)
    assert body(data) == [("秘 密", 1, 1, "top"),
                          ("正文1：关于做好年度工作的安排意见", 1, 2, "top"),
                          ("正文2：关于做好年度工作的安排意见", 1, 3, "top")]


def test_bands_are_measured_on_the_crop_box() -> None:
    # Only the lower half of the A4 MediaBox is shown: y=442 from the MediaBox top is near the
    # top of what is displayed, though in the middle of the MediaBox.
    page = [Text(72, 442, "裁切框顶部"), Text(72, 812, "裁切框底部")]
    assert body(b.build_pdf([page], crop_box=(0, 0, b.PAGE_WIDTH, 421))) == [
        ("裁切框顶部", 1, 1, "top"), ("裁切框底部", 1, 2, "bottom")]


def test_non_embedded_cid_font_is_read_with_system_fonts_off() -> None:
    data = b.build_pdf([[Text(72, 100, "保密管理：秘密★1年，机密★10年，绝密★长期")]])
    assert b"/FontFile" not in data and b"STSong-Light" in data  # the font is not embedded
    assert body(data) == [("保密管理：秘密★1年，机密★10年，绝密★长期", 1, 1, "top")]
    assert pdf._no_system_fonts.cache_info().currsize == 1  # done once for the process


def test_system_fonts_are_not_touched_at_import() -> None:
    code = ("import scanner.extractors.pdf as m; "
            "assert m._pdfium.cache_info().currsize == 0; "
            "assert m._no_system_fonts.cache_info().currsize == 0")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=pdf.__file__.rsplit("/scanner/", 1)[0])


def test_info_metadata_as_properties() -> None:
    data = b.build_pdf([b.body_lines(1, 1)], title="项目方案（机密★20年）", subject="年度计划",
                       author="张三", keywords="内部 资料")
    props = [x for x in blocks(data) if x.location.part == "properties"]
    assert props == [
        TextBlock("项目方案（机密★20年）", Location("properties", name="Title")),
        TextBlock("年度计划", Location("properties", name="Subject")),
        TextBlock("内部 资料", Location("properties", name="Keywords")),
        TextBlock("张三", Location("properties", name="Author")),
    ]


def test_custom_info_keys_from_the_latest_update() -> None:
    data = b.add_info_entries(b.build_pdf([b.body_lines(1, 1)], title="旧标题"),
                              {"Title": "新标题", "密级": "秘密★1年", "Classification": "内部"})
    props = [(x.location.name, x.text) for x in blocks(data) if x.location.part == "properties"]
    assert props == [("Title", "新标题"), ("密级", "秘密★1年"), ("Classification", "内部")]


def test_password_protected_pdf_is_encrypted() -> None:
    data = b.build_pdf([b.body_lines(1, 2)], encrypt="secret")
    with pytest.raises(EncryptedFile, match="password-protected PDF"):
        blocks(data)


def test_pdfminer_encryption_error_is_unwrapped() -> None:
    data = b.build_pdf([b.body_lines(1, 2)], encrypt="secret")
    with pytest.raises(EncryptedFile, match="password-protected PDF"):
        list(pdf._fallback_blocks(data, "PDFium: test"))


def test_empty_user_password_opens_and_is_read() -> None:
    encrypt = pdfencrypt.StandardEncryption("", ownerPassword="owner-only", canCopy=0)
    data = b.build_pdf([b.body_lines(1, 2)], encrypt=encrypt)
    assert b"/Encrypt" in data
    assert [t for t, _, _, _ in body(data)] == ["正文1：关于做好年度工作的安排意见",
                                                "正文2：关于做好年度工作的安排意见"]


def test_truncated_pdf_yields_the_text_that_survives() -> None:
    # reportlab writes the catalog and page objects before the content streams. Page 2 holds
    # random characters, so its compressed stream is long and the 60% cut falls well inside
    # it: the xref table and trailer are gone, page 1's stream is whole, page 2's is cut.
    # PDFium rejects the bytes; given a trailer naming the catalog it rebuilds the table and
    # reads page 1 and the part of page 2's stream that survives.
    rng = random.Random(1)
    noise = ["".join(chr(0x4E00 + rng.randrange(0x5000)) for _ in range(30)) for _ in range(40)]
    data = b.build_pdf([b.body_lines(1, 10), [Text(72, 60 + 18 * i, t) for i, t in enumerate(noise)]])
    cut = data[: int(len(data) * 0.6)]
    with pytest.raises(pypdfium2.PdfiumError):
        pypdfium2.PdfDocument(cut)
    got = body(cut)
    assert [(t, page, line) for t, page, line, _ in got[:10]] == [
        (f"正文{i}：关于做好年度工作的安排意见", 1, i) for i in range(1, 11)]
    rest = [t for t, page, _, _ in got[10:] if page == 2]
    assert len(rest) == len(got) - 10 and 1 < len(rest) < 40
    assert rest[:-1] == noise[: len(rest) - 1] and noise[len(rest) - 1].startswith(rest[-1])


def test_truncated_before_the_catalog_is_corrupt() -> None:
    data = b.build_pdf([b.body_lines(1 + 10 * i, 10) for i in range(5)])
    with pytest.raises(CorruptFile, match=r"^unreadable PDF \(PDFium: .*; pdfminer: "):
        blocks(data[: data.index(b"/Catalog") - 200])


def test_garbage_after_header_is_corrupt() -> None:
    noise = random.Random(7).randbytes(20_000)
    with pytest.raises(CorruptFile) as info:
        blocks(b"%PDF-1.7\n" + noise)
    assert "\n" not in str(info.value)


def test_empty_file_is_corrupt() -> None:
    with pytest.raises(CorruptFile):
        blocks(b"%PDF-1.4\n")


def test_page_without_text_yields_nothing_but_others_are_read() -> None:
    data = b.build_pdf([b.body_lines(1, 1), [], b.body_lines(2, 1)])
    assert [(t[:3], page) for t, page, _, _ in body(data)] == [("正文1", 1), ("正文2", 3)]


def test_max_text_chars_stops_quietly() -> None:
    data = b.build_pdf([b.body_lines(1 + 10 * i, 10) for i in range(3)], title="标题")
    full = blocks(data)
    cut = blocks(data, max_text_chars=100)
    assert sum(len(x.text) for x in cut) <= 100 < sum(len(x.text) for x in full)
    assert cut == full[: len(cut)] and len(cut) >= 3


def test_sniff_decides_by_content_not_name() -> None:
    data = b.build_pdf([b.body_lines(1, 1)])
    assert pdf.sniff(probe(io.BytesIO(data), len(data), "report.txt"))
    assert pdf.sniff(Probe(b"\x00" * 500 + data[:4000], 4500, "x.bin"))  # junk before the header
    assert not pdf.sniff(Probe(b"\x00" * 1100 + data[:4000], 5100, "x.pdf"))


def test_sniff_rejects_docx() -> None:
    buf = io.BytesIO()
    document = python_docx.Document()
    document.add_paragraph("%PDF-1.7 正文")
    document.save(buf)
    data = buf.getvalue()
    assert not pdf.sniff(probe(io.BytesIO(data), len(data), "fake.pdf"))


def test_fonts_all_embedded_decides_the_dropped_text_scan(tmp_path):
    """Office PDFs embed every font, so the per-object scan for dropped text is skipped for them."""
    import os

    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from scanner.extractors.pdf import _fonts_all_embedded

    vera = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
    pdfmetrics.registerFont(TTFont("VeraEmbedded", vera))
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    embedded, cid = tmp_path / "embedded.pdf", tmp_path / "cid.pdf"
    for path, font in ((embedded, "VeraEmbedded"), (cid, "STSong-Light")):
        c = canvas.Canvas(str(path))
        c.setFont(font, 12)
        c.drawString(72, 700, "Secret 1")
        c.save()
    assert _fonts_all_embedded(embedded.read_bytes()) is True
    assert _fonts_all_embedded(cid.read_bytes()) is False
