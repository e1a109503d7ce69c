"""Make the OCR test fixtures in this folder. Run by hand, never by the tests:

    /work/venv/bin/python tests/data/ocr/make_fixtures.py

Needs the Noto Sans CJK fonts (Debian: fonts-noto-cjk). Writes scan_top.png: the top of a
synthetic official document as a scanner at 100 dpi would see it (A4, 827 x 1169 pixels, 16
grey levels): the mark 秘密★1年 at the top left, a title, a body line in the middle, a page
number at the bottom. Every text is made up.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
SANS = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SANS_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
SC = 2  # face index of the Simplified Chinese face in the collections
DPI = 100
WIDTH, HEIGHT = 827, 1169  # A4 at 100 dpi


def pixels(points: float) -> int:
    return round(points * DPI / 72)


def scan_top() -> Image.Image:
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    mark = ImageFont.truetype(SANS_BOLD, pixels(16), index=SC)
    title = ImageFont.truetype(SANS_BOLD, pixels(22), index=SC)
    body = ImageFont.truetype(SANS, pixels(16), index=SC)
    draw.text((110, 150), "秘密★1年", font=mark, fill=0)
    draw.text((WIDTH // 2, 250), "关于开展年度检查工作的通知", font=title, fill=0, anchor="mt")
    draw.text((110, 560), "各单位：现将有关事项通知如下。", font=body, fill=0)
    draw.text((WIDTH // 2, 1100), "第1页", font=body, fill=0, anchor="mt")
    return image.quantize(colors=16, dither=Image.Dither.NONE)


def main() -> None:
    path = HERE / "scan_top.png"
    scan_top().save(path, optimize=True)
    print(path, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
