"""Synthetic PDFs for the PDF extractor's tests, drawn with reportlab (CJK via STSong-Light)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import NamedTuple

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

CJK_FONT = "STSong-Light"  # a CID font reportlab does not embed: PDFium must not need a system font
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

PAGE_WIDTH, PAGE_HEIGHT = A4


class Text(NamedTuple):
    """One drawString call: ``y`` is the baseline's distance from the top of the MediaBox (the
    user-space top, which a /Rotate turns away from the displayed top), in points."""

    x: float
    y: float
    text: str
    font: str = CJK_FONT
    size: float = 12
    angle: float = 0  # degrees counter-clockwise about the start of the baseline


Page = Sequence[Text]


def build_pdf(pages: Sequence[Page], *, title: str | None = None, subject: str | None = None,
              author: str | None = None, keywords: str | None = None,
              encrypt: object = None, rotation: int = 0, compress: bool = True,
              crop_box: tuple[float, float, float, float] | None = None) -> bytes:
    """A PDF whose pages draw their texts in the given order (the content-stream order)."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt, pageCompression=1 if compress else 0)
    for setter, value in ((pdf.setTitle, title), (pdf.setSubject, subject),
                          (pdf.setAuthor, author), (pdf.setKeywords, keywords)):
        if value is not None:
            setter(value)
    top = PAGE_WIDTH if rotation in (90, 270) else PAGE_HEIGHT  # reportlab swaps a turned MediaBox
    for page in pages:
        pdf.setPageRotation(rotation)
        if crop_box:
            pdf.setCropBox(crop_box)
        for item in page:
            pdf.saveState()
            pdf.translate(item.x, top - item.y)
            pdf.rotate(item.angle)
            pdf.setFont(item.font, item.size)
            pdf.drawString(0, 0, item.text)
            pdf.restoreState()
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def body_lines(first: int, count: int, *, y: float = 150, step: float = 18,
               label: str = "正文") -> list[Text]:
    """``count`` body lines ``{label}{n}：...`` from ``y`` down, numbered from ``first``."""
    return [Text(72, y + i * step, f"{label}{first + i}：关于做好年度工作的安排意见") for i in range(count)]


def add_info_entries(pdf: bytes, entries: dict[str, str]) -> bytes:
    """Append an incremental update whose new Info dictionary holds ``entries`` (custom keys).

    Keys are written as PDF names with #xx escapes for non-ASCII bytes (UTF-8), values as
    UTF-16BE hex strings, as PDF writers do for non-Latin text.
    """
    size = int(re.findall(rb"/Size (\d+)", pdf)[-1])
    root = re.findall(rb"/Root (\d+ \d+ R)", pdf)[-1]
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    items = b" ".join(b"/" + _name(k) + b" <FEFF" + v.encode("utf-16-be").hex().upper().encode() + b">"
                      for k, v in entries.items())
    head = pdf if pdf.endswith(b"\n") else pdf + b"\n"
    obj_offset = len(head)
    update = b"%d 0 obj\n<< %s >>\nendobj\n" % (size, items)
    xref_offset = obj_offset + len(update)
    xref = (b"xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (size, obj_offset, size + 1, root, size, prev, xref_offset))
    return head + update + xref


def _name(key: str) -> bytes:
    return b"".join(bytes([b]) if 0x21 <= b <= 0x7E and b not in b"#/()<>[]{}%" else b"#%02X" % b
                    for b in key.encode("utf-8"))
