"""Pictures of documents for the OCR part of the corpus: page renders, phone photos, scanned PDFs.

``page_images`` draws a ``Doc`` with Pillow and the Noto CJK fonts (fonts-noto-cjk: sans bold
for 份号/密级 lines, as 黑体; serif for title and body, as 小标宋/仿宋) on A4 pages at ``Look.dpi``
with the PDF builder's geometry (版心 80 pt from the left, first line 95 pt from the top), then
makes them look captured: a scanner's slight skew, grey noise and dust, or a phone photo's
paper tint, uneven light, skew with the desk showing at the corners and a little blur. All
randomness comes from a seeded generator, so a rerun gives the same pixels.

``write_scanned_pdf`` puts page images into an image-only PDF (no text layer: what a scanner's
"scan to PDF" writes), each page a JPEG (DCT) the size of an A4 page; reportlab, ``invariant=1``.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from builders import PAGE, Doc, Table
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

FONTS = Path("/usr/share/fonts/opentype/noto")
SC = 2  # the Simplified Chinese face of the Noto CJK collections
PAGE_W, PAGE_H = 595.2756, 841.8898  # points
LEFT, RIGHT, TOP, BOTTOM = 80.0, 520.0, 95.0, 752.0  # points from the top-left corner


@dataclass(frozen=True)
class Look:
    dpi: int = 150
    angle: float = 0.0  # skew in degrees (counter-clockwise)
    noise: float = 0.0  # sigma of grey noise, 0-255 scale
    dust: float = 0.0  # share of pixels turned dark (scanner glass dust)
    photo: bool = False  # paper tint, uneven light, desk at the corners, slight blur
    seed: str = ""


def _font(name: str, points: float, dpi: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / f"{name}.ttc"), round(points * dpi / 72), index=SC)


class _Painter:
    """Lays lines top-down over A4 pages at ``dpi`` (points in, pixels out)."""

    def __init__(self, dpi: int, max_pages: int) -> None:
        self.dpi, self.max_pages = dpi, max_pages
        self.pages: list[Image.Image] = []
        self.y = TOP
        self.new_page()

    def px(self, points: float) -> int:
        return round(points * self.dpi / 72)

    def new_page(self) -> bool:
        if len(self.pages) >= self.max_pages:
            return False
        self.pages.append(Image.new("RGB", (self.px(PAGE_W), self.px(PAGE_H)), "white"))
        self.draw = ImageDraw.Draw(self.pages[-1])
        self.y = TOP
        return True

    def line(self, text: str, size: float, face: str = "NotoSerifCJK-Regular", align: str = "left",
             indent: bool = False, gap: float = 0, red: bool = False) -> None:
        font = _font(face, size, self.dpi)
        self.y += gap
        width = self.px(RIGHT - LEFT)
        first = self.px(2 * size) if indent else 0
        for i, chunk in enumerate(_wrap(text, font, width - first, width) or [""]):
            if self.y > BOTTOM and not self.new_page():
                return
            span = font.getlength(chunk)
            x = {"left": self.px(LEFT) + (first if i == 0 else 0), "center": (self.px(PAGE_W) - span) / 2,
                 "right": self.px(RIGHT) - span}[align]
            self.draw.text((x, self.px(self.y)), chunk, font=font, fill=(200, 20, 20) if red else (0, 0, 0))
            self.y += size * 1.75

    def row(self, cells: tuple[str, ...], size: float = 10.5) -> None:
        if self.y > BOTTOM and not self.new_page():
            return
        font = _font("NotoSerifCJK-Regular", size, self.dpi)
        width = (RIGHT - LEFT) / len(cells)
        for i, cell in enumerate(cells):
            self.draw.text((self.px(LEFT + i * width + 3), self.px(self.y)), cell[:max(1, int(width // size) - 1)],
                           font=font, fill=(0, 0, 0))
        top, bottom = self.px(self.y - 4), self.px(self.y + size * 1.6)
        self.draw.rectangle((self.px(LEFT), top, self.px(RIGHT), bottom), outline=(0, 0, 0), width=1)
        self.y += size * 1.9


def _wrap(text: str, font: ImageFont.FreeTypeFont, first: int, rest: int) -> list[str]:
    lines, cur, limit = [], "", first
    for ch in text:
        if font.getlength(cur + ch) > limit and cur and ch not in "，。、；：！？）》”":
            lines.append(cur)
            cur, limit = "", rest
        cur += ch
    return lines + [cur] if cur else lines


def page_images(doc: Doc, look: Look, max_pages: int = 3) -> list[Image.Image]:
    """The first ``max_pages`` pages of ``doc``, rendered and made to look captured."""
    p = _Painter(look.dpi, max_pages)
    for t in doc.top:
        p.line(t, 16, "NotoSansCJK-Bold", doc.top_align or "left", red=bool(doc.stamp) and t == doc.stamp)
    if doc.red_head:
        p.line(doc.red_head, 26, "NotoSerifCJK-Bold", "center", gap=12, red=True)
    if doc.doc_no:
        p.line(doc.doc_no, 14, align="center")
    p.line(doc.title, 20, "NotoSerifCJK-Bold", "center", gap=10)
    for item in doc.body:
        if item == PAGE:
            if not p.new_page():
                break
        elif isinstance(item, Table):
            for row in item.rows:
                p.row(row)
        elif p.y == TOP and len(item) <= 24 and not item.endswith("。"):
            p.line(item, 16, "NotoSansCJK-Bold")
        else:
            p.line(item, 14, indent=True)
    for t in doc.tail:
        p.line(t, 14, align="left" if t.startswith("（") else "right", indent=t.startswith("（"))
    for n, page in enumerate(p.pages, 1):
        _running(page, doc, n, look.dpi)
    rng = np.random.default_rng(zlib.crc32(look.seed.encode("utf-8")))
    return [_capture(page, look, rng) for page in p.pages]


def _running(page: Image.Image, doc: Doc, number: int, dpi: int) -> None:
    draw = ImageDraw.Draw(page)
    small = _font("NotoSerifCJK-Regular", 10.5, dpi)
    for text, y in ((doc.header, 50.0), (doc.footer, PAGE_H - 72)):
        if text:
            draw.text((page.width / 2, round(y * dpi / 72)), text, font=small, fill=(0, 0, 0), anchor="mt")
    draw.text((page.width / 2, round((PAGE_H - 52) * dpi / 72)), f"— {number} —",
              font=_font("NotoSerifCJK-Regular", 12, dpi), fill=(0, 0, 0), anchor="mt")


def _capture(page: Image.Image, look: Look, rng: np.random.Generator) -> Image.Image:
    img = np.asarray(page, dtype=np.float32)
    h, w = img.shape[:2]
    if look.photo:
        img = img * (np.array([0.97, 0.95, 0.90], dtype=np.float32))
        light = np.linspace(1.0, 0.82, w, dtype=np.float32)[None, :] * np.linspace(0.98, 0.88, h,
                                                                                    dtype=np.float32)[:, None]
        img = img * light[:, :, None]
    if look.noise:
        img = img + rng.normal(0.0, look.noise, (h, w, 1)).astype(np.float32)
    if look.dust:
        mask = rng.random((h, w)) < look.dust
        img[mask] = 40.0
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    if look.angle:
        fill = (58, 52, 47) if look.photo else (255, 255, 255)
        out = out.rotate(look.angle, resample=Image.Resampling.BICUBIC, expand=look.photo, fillcolor=fill)
    if look.photo:
        out = out.filter(ImageFilter.GaussianBlur(0.6))
    return out


def save_image(image: Image.Image, path: Path) -> None:
    """PNG as a 16-level grey scan, JPEG as a colour photo (quality 80)."""
    if path.suffix.lower() == ".png":
        grey = image.convert("L").quantize(colors=16, dither=Image.Dither.NONE)
        grey.save(path, optimize=True)
    else:
        image.save(path, quality=80, optimize=True)


def write_scanned_pdf(path: Path, images: list[Image.Image]) -> None:
    """An image-only PDF: each image fills an A4 page, stored as a grey JPEG."""
    canvas = Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1)
    canvas.setAuthor("scanner")
    canvas.setCreator("Scan2PDF")
    for image in images:
        buf = io.BytesIO()
        image.convert("L").save(buf, format="JPEG", quality=60)
        buf.seek(0)
        canvas.drawImage(ImageReader(buf), 0, 0, PAGE_W, PAGE_H)
        canvas.showPage()
    canvas.save()
