"""The image extractor: content sniffing, EXIF/PNG metadata, OCR lines with bands, frames, errors."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from scanner.errors import CorruptFile, TooLarge
from scanner.extractors import docx, image, pdf, txt
from scanner.options import ScanOptions
from scanner.records import FileEntry, Location, Status, TextBlock
from scanner.scan import scan_file
from scanner.sniff import Probe, probe

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "ocr" / "scan_top.png"


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def blocks(data: bytes, **opts: object) -> list[TextBlock]:
    return list(image.extract(io.BytesIO(data), ScanOptions(**opts)))


def props(data: bytes) -> list[tuple[str | None, str]]:
    return [(x.location.name, x.text) for x in blocks(data, ocr=False) if x.location.part == "properties"]


def sniffed(data: bytes, name: str = "x.bin") -> bool:
    return image.sniff(probe(io.BytesIO(data), len(data), name))


@pytest.fixture(scope="module")
def fixture_blocks() -> list[TextBlock]:
    return blocks(FIXTURE.read_bytes())


SMALL = Image.new("RGB", (40, 30), "white")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "BMP", "GIF", "WEBP"])
def test_sniff_every_image_format_by_content(fmt: str) -> None:
    assert sniffed(encode(SMALL, fmt))


def test_sniff_png_renamed_docx_is_an_image_not_a_document() -> None:
    data = FIXTURE.read_bytes()
    pr = probe(io.BytesIO(data), len(data), "通知.docx")
    assert image.sniff(pr) and not docx.sniff(pr) and not pdf.sniff(pr)


@pytest.mark.parametrize("head", [
    b"BM is how a note may begin, and it is no bitmap at all" * 4,
    b"BM" + struct.pack("<IHHII", 1000, 0, 0, 54, 999) + bytes(80),  # unknown DIB header size
    b"%PDF-1.7\n" + bytes(100),
    b"PK\x03\x04" + bytes(100),
    b"\xff\xd8",
    "秘密★1年".encode() * 20,
])
def test_sniff_rejects_other_content(head: bytes) -> None:
    assert not image.sniff(Probe(head, len(head), "x.png"))


def test_bmp_header_must_point_inside_the_file() -> None:
    data = encode(SMALL, "BMP")
    assert image.sniff(Probe(data, len(data), "x.bmp"))
    assert not image.sniff(Probe(data[:40], 40, "x.bmp"))  # pixel offset past the end


def test_ocr_lines_of_the_fixture_carry_page_line_and_band(fixture_blocks: list[TextBlock]) -> None:
    body = [x for x in fixture_blocks if x.location.part == "body"]
    assert "秘密" in body[0].text and "1年" in body[0].text
    assert body[0].location == Location("body", page=1, line=1, name="ocr") and body[0].band == "top"
    assert [x.location.line for x in body] == [1, 2, 3, 4]
    assert [x.band for x in body] == ["top", "top", "middle", "bottom"]
    assert "通知如下" in body[2].text and "1页" in body[3].text


def test_no_ocr_reads_no_pixels_but_the_file_is_still_ok(tmp_path: Path) -> None:
    assert blocks(FIXTURE.read_bytes(), ocr=False) == []
    path = tmp_path / "scan.png"
    path.write_bytes(FIXTURE.read_bytes())
    [record] = scan_file(FileEntry(str(path), str(path), path.stat().st_size), ScanOptions(ocr=False))
    assert (record.status, record.format, record.marking) == (Status.OK, "image", None)


def test_exif_text_tags_are_properties() -> None:
    exif = Image.Exif()
    exif[0x010E] = "密级：秘密★1年".encode()  # UTF-8 bytes in an ASCII tag, as Windows tools write them
    exif[0x013B] = "张三".encode("gbk")
    exif[0x9C9B] = "关于检查的通知".encode("utf-16-le") + b"\x00\x00"
    exif[0x9C9F] = "内部".encode("utf-16-le") + b"\x00\x00"
    exif[0x9C9E] = "保密;检查".encode("utf-16-le") + b"\x00\x00"
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + "机密★10年".encode("utf-16-be")  # big-endian EXIF
    data = encode(SMALL, "JPEG", exif=exif.tobytes())
    assert props(data) == [
        ("ImageDescription", "密级：秘密★1年"), ("Artist", "张三"), ("XPTitle", "关于检查的通知"),
        ("XPSubject", "内部"), ("XPKeywords", "保密;检查"), ("UserComment", "机密★10年")]


def test_little_endian_tiff_user_comment_and_png_text_chunks() -> None:
    exif = Image.Exif()
    exif.endian = "<"
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + "工作秘密".encode("utf-16-le")
    assert props(encode(SMALL, "TIFF", exif=exif.tobytes())) == [("UserComment", "工作秘密")]
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Title", "绝密★长期")
    info.add_text("Comment", "scan 2024")
    assert props(encode(SMALL, "PNG", pnginfo=info)) == [("Title", "绝密★长期"), ("Comment", "scan 2024")]


def test_each_tiff_frame_is_a_page_within_ocr_max_pages() -> None:
    blank = Image.new("L", (200, 280), 255)
    data = encode(blank, "TIFF", save_all=True, append_images=[Image.open(FIXTURE).convert("L")])
    got = [x for x in blocks(data) if x.location.part == "body"]
    assert {x.location.page for x in got} == {2} and got[0].location.line == 1
    assert "秘密" in got[0].text and got[0].band == "top"
    assert blocks(data, ocr_max_pages=1) == []  # the blank first frame was the only one read


def test_transparent_background_is_read_as_paper() -> None:
    grey = Image.open(FIXTURE).convert("L")
    ink = Image.merge("RGBA", (*[Image.new("L", grey.size, 0)] * 3, grey.point(lambda v: 255 - v)))
    got = [x for x in blocks(encode(ink, "PNG")) if x.location.part == "body"]
    assert "秘密" in got[0].text and got[0].band == "top"


def test_truncated_png_is_corrupt() -> None:
    data = FIXTURE.read_bytes()
    with pytest.raises(CorruptFile, match="unreadable image data"):
        blocks(data[:len(data) // 2])


def test_png_with_a_broken_header_is_corrupt() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + bytes(30)
    assert sniffed(data)
    with pytest.raises(CorruptFile, match="unreadable image"):
        blocks(data)


def png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_decompression_bomb_is_too_large() -> None:
    with pytest.raises(TooLarge, match="pixels"):
        blocks(png_header_only(20_000, 10_000))


def test_plain_text_extractor_does_not_claim_images() -> None:
    data = encode(SMALL, "PNG")
    assert not txt.sniff(probe(io.BytesIO(data), len(data), "x.txt"))


def scan(tmp_path: Path, name: str, data: bytes, **opts: object) -> list:
    path = tmp_path / name
    path.write_bytes(data)
    return scan_file(FileEntry(str(path), str(path), len(data)), ScanOptions(**opts))


def test_marked_scan_is_flagged_at_its_ocr_line_and_an_unmarked_one_is_clean(tmp_path: Path) -> None:
    [marked] = scan(tmp_path, "扫描件.png", FIXTURE.read_bytes())
    assert (marked.status, marked.format) == (Status.OK, "image")
    assert marked.marking is not None and marked.marking.level.value == "秘密"
    assert marked.marking.period == "1年"
    assert marked.marking.location == Location("body", page=1, line=1, name="ocr")
    page = Image.open(FIXTURE)
    # marks only: what the content classifier makes of the body text is tested in tests/models
    [clean] = scan(tmp_path, "正文.png", encode(page.crop((0, 220, page.width, page.height)), "PNG"), classify=False)
    assert (clean.status, clean.marking, clean.findings) == (Status.OK, None, ())


def test_exif_orientation_turns_a_sideways_photo_upright() -> None:
    page = Image.open(FIXTURE).convert("L")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned 90° counter-clockwise: viewers turn it clockwise
    data = encode(page.transpose(Image.Transpose.ROTATE_90), "JPEG", exif=exif.tobytes(), quality=90)
    got = [x for x in blocks(data) if x.location.part == "body"]
    assert "秘密" in got[0].text and got[0].band == "top" and got[-1].band == "bottom"
