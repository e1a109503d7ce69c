"""OCR: the engine wrapper (lazy, offline, bounded) and scanned PDF pages read through it."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from scanner import ocr
from scanner.extractors import pdf
from scanner.options import ScanOptions
from scanner.records import FileEntry, Location, Status, TextBlock
from scanner.scan import scan_file
from tests.scanner import pdf_builders as b

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "ocr" / "scan_top.png"
ROOT = Path(__file__).resolve().parents[2]


def scanned_pdf(pages: int, text_first: bool = False) -> bytes:
    """An image-only PDF: the fixture drawn over each A4 page, no text layer (page 1 may have text)."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    for number in range(1, pages + 1):
        if text_first and number == 1:
            c.setFont(b.CJK_FONT, 12)
            c.drawString(72, A4[1] - 72, "第一页是文字页")
        else:
            c.drawImage(ImageReader(str(FIXTURE)), 0, 0, width=A4[0], height=A4[1])
        c.showPage()
    c.save()
    return out.getvalue()


def body(data: bytes, **opts: object) -> list[TextBlock]:
    return [x for x in pdf.extract(io.BytesIO(data), ScanOptions(**opts)) if x.location.part == "body"]


@pytest.fixture(scope="module")
def scanned_one_page() -> list[TextBlock]:
    return body(scanned_pdf(1))


def test_importing_the_extractors_loads_no_ocr_engine() -> None:
    code = ("import sys, scanner.ocr, scanner.extractors.pdf, scanner.extractors.image\n"
            "heavy = {'rapidocr_onnxruntime', 'onnxruntime', 'cv2'} & set(sys.modules)\n"
            "assert not heavy, heavy\n"
            "assert scanner.ocr.engine.cache_info().currsize == 0\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_ocr_runs_with_the_network_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted during OCR")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    ocr.engine.cache_clear()  # the engine is built (models loaded) under the block too
    blocks = ocr.page_blocks(Image.open(FIXTURE), 1)
    assert ocr.engine.cache_info().currsize == 1
    assert "秘密" in blocks[0].text and "1年" in blocks[0].text


def test_engine_is_built_once_per_process() -> None:
    assert ocr.engine() is ocr.engine()


def test_scanned_pdf_page_is_read_with_positions(scanned_one_page: list[TextBlock]) -> None:
    first = scanned_one_page[0]
    assert "秘密" in first.text and "1年" in first.text
    assert first.location == Location("body", page=1, line=1, name="ocr")
    assert first.band == "top"
    assert [x.location.line for x in scanned_one_page] == list(range(1, len(scanned_one_page) + 1))
    assert [x.band for x in scanned_one_page] == ["top", "top", "middle", "bottom"]
    assert "现将有关事项通知如下" in scanned_one_page[2].text


def test_no_ocr_leaves_a_scanned_page_without_text() -> None:
    assert body(scanned_pdf(1), ocr=False) == []


def test_pages_with_a_text_layer_are_not_ocred() -> None:
    got = body(scanned_pdf(2, text_first=True), ocr_max_pages=5)
    assert got[0] == TextBlock("第一页是文字页", Location("body", page=1, line=1), band="top")
    assert {x.location.page for x in got[1:]} == {2}
    assert all(x.location.name == "ocr" for x in got[1:])
    assert "秘密" in got[1].text


def test_ocr_max_pages_bounds_a_scanned_pdf() -> None:
    got = body(scanned_pdf(5), ocr_max_pages=2)
    assert sorted({x.location.page for x in got}) == [1, 2]
    assert [x.location.line for x in got if x.location.page == 2][0] == 1


def test_blank_page_spends_no_ocr_budget() -> None:
    doc = pdf._pdfium().PdfDocument(b.build_pdf([[]]))
    try:
        budget = ocr.Budget(ScanOptions())
        assert pdf._ocr_page(doc, 0, budget) == []
        assert budget.used == 0
    finally:
        doc.close()


def test_budget_counts_pages_and_time() -> None:
    budget = ocr.Budget(ScanOptions(ocr_max_pages=2))
    assert [budget.take() for _ in range(3)] == [True, True, False]
    assert budget.used == 2
    assert not ocr.Budget(ScanOptions(timeout=0.0)).take()  # no time left at all
    assert not ocr.Budget(ScanOptions(ocr=False)).take()


def test_boxes_on_one_row_join_left_to_right_and_rows_sort_top_down() -> None:
    lines = [
        ocr.OcrLine("正文", 100, 500, 300, 530, 0.9),
        ocr.OcrLine("特急", 600, 102, 660, 130, 0.9),
        ocr.OcrLine("秘密★1年", 100, 100, 220, 128, 0.9),
        ocr.OcrLine("第1页", 380, 950, 440, 975, 0.9),
    ]
    assert ocr.group_lines(lines) == [("秘密★1年 特急", 100, 130), ("正文", 500, 530), ("第1页", 950, 975)]
    assert [ocr.band((top + bottom) / 2, 1000) for _, top, bottom in ocr.group_lines(lines)] == [
        "top", "middle", "bottom"]


def test_fit_flattens_transparency_and_caps_the_longer_side() -> None:
    image = ocr.fit(Image.new("RGBA", (5000, 1000), (0, 0, 0, 0)))
    assert image.mode == "RGB" and image.size == (ocr.MAX_SIDE, 400)
    assert image.getpixel((10, 10)) == (255, 255, 255)  # transparent is paper, not black
    grey16 = ocr.fit(Image.frombytes("I;16", (2, 1), b"\x00\x00\xff\xff"))
    assert grey16.getpixel((0, 0)) == (0, 0, 0) and grey16.getpixel((1, 0)) == (255, 255, 255)


def test_scanned_pdf_mark_is_found_by_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "扫描件.pdf"
    path.write_bytes(scanned_pdf(1))
    [record] = scan_file(FileEntry(str(path), str(path), path.stat().st_size), ScanOptions())
    assert (record.status, record.format) == (Status.OK, "pdf")
    assert record.marking is not None and record.marking.text == "秘密★1年"
    assert record.marking.location == Location("body", page=1, line=1, name="ocr")


def test_noise_is_not_a_page_and_is_not_read() -> None:
    """Texture and noise have no smooth background: text detection is not run on them at all."""
    import random

    from PIL import Image

    from scanner import ocr

    rng = random.Random(5)
    noise = Image.frombytes("RGB", (600, 400), rng.randbytes(600 * 400 * 3))
    assert not ocr.looks_like_page(noise)
    assert ocr.page_blocks(noise, 1) == []
    page = Image.open(Path(__file__).parent.parent / "data" / "ocr" / "scan_top.png")
    assert ocr.looks_like_page(ocr.fit(page))


def test_a_washed_out_page_with_nothing_on_it_is_not_read() -> None:
    """Light noise (a blank, grainy scan) is smooth enough but has no ink: no text detection either."""
    import random

    from PIL import Image, ImageFilter

    from scanner import ocr

    rng = random.Random(6)
    grain = Image.frombytes("L", (600, 800), bytes(192 | b for b in rng.randbytes(600 * 800)))
    blank = grain.filter(ImageFilter.GaussianBlur(1.5))
    assert not ocr.looks_like_page(blank)
