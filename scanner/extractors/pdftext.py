"""PDFium's text of one page as segments in display space, and its check for dropped text objects.

Not an extractor itself (it has no FORMAT): the PDF extractor passes in pypdfium2's ``raw`` bindings
and a page's frame (its visible box and /Rotate). PDFium gives text in content-stream order, one
segment per text line here, boxed by its end characters; the PDF extractor regroups the segments
into visual lines (layout.py).
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any

from scanner.extractors.layout import Seg, band, same_line

if TYPE_CHECKING:
    from pypdfium2 import PdfTextPage

JUMP = 3.0  # consecutive characters farther apart than this many character sizes part a line
# PDFium writes a hyphen that ends a line as \x02; other control characters are noise.
_CLEAN = {2: "-", 9: " ", 0xFFFE: None, 0xFFFF: None,
          **{c: None for c in (*range(0, 2), *range(3, 9), *range(10, 32))}}

Box = tuple[float, float, float, float]
Frame = tuple[Box, int]  # the page's visible box (PDF user space) and its /Rotate


def drops_text(raw: Any, holder: Any, frame: Frame, in_form: bool = False, depth: int = 0) -> bool:
    """True when a text object in a font that is not embedded has no width and stands where a
    mark would (the top or bottom band of the page).

    With no system fonts PDFium knows no glyph boxes for such a font, and its text page skips
    every text object of zero width: a single character drawn on its own (`秘`, a Wingdings ★)
    would be lost. In the middle of a page that is a stray `。` at the end of a wrapped line,
    not worth a second, far slower parse of the page; in the bands it may be half a mark.
    Objects in form XObjects are looked at too, a few levels deep.
    """
    count, get = ((raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject) if in_form
                  else (raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject))
    get_type, text_kind, form_kind = raw.FPDFPageObj_GetType, raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_FORM
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    height = display_height(*frame)
    for i in range(count(holder)):
        obj = get(holder, i)
        kind = get_type(obj)
        if kind == text_kind:
            if (raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
                    and right.value - left.value < 0.01
                    and not raw.FPDFFont_GetIsEmbedded(raw.FPDFTextObj_GetFont(obj))):
                box = _display_box((left.value, bottom.value, right.value, top.value), *frame)
                if band((box[1] + box[3]) / 2, height) != "middle":
                    return True
        elif kind == form_kind and depth < 4 and drops_text(raw, obj, frame, True, depth + 1):
            return True
    return False


def text_segments(raw: Any, textpage: PdfTextPage, frame: Frame) -> list[Seg]:
    """One segment per line of PDFium's text (content-stream order), boxed by its end characters."""
    count = textpage.count_chars()
    text = textpage.get_text_range()
    if len(text) != count:  # PDFium's text left out or added characters: index them one by one
        text = "".join(chr(raw.FPDFText_GetUnicode(textpage, i)) for i in range(count))
    rect = raw.FS_RECTF()
    segments: list[Seg] = []
    box: Box | None = None
    end = -2
    for line in text.split("\r\n"):
        start, end = end + 2, end + 2 + len(line)
        stripped = line.strip()
        if not stripped:
            continue
        first = start + len(line) - len(line.lstrip())
        ends = [_display_box(b, *frame) for i in (first, first + len(stripped) - 1)
                if (b := _char_box(raw, textpage, i, rect))]
        if len(ends) == 2 and not same_line(ends[0][1], ends[0][3], ends[1][1], ends[1][3]):
            segments += _runs(raw, textpage, first, stripped, frame)  # rotated, or strung together
            continue
        if ends:  # else the previous line's box, or the middle of the page
            box = _union(ends)
        middle = display_height(*frame) / 2
        segments.append(Seg(clean(stripped), *(box or (0, middle, 0, middle + 1))))
    return segments


def _runs(raw: Any, textpage: PdfTextPage, first: int, text: str, frame: Frame) -> list[Seg]:
    """A PDFium line whose ends stand on different lines, cut where the text jumps, from the
    boxes of all its characters: a diagonal stamp stays whole, text strung together does not."""
    rect = raw.FS_RECTF()
    runs: list[tuple[list[str], list[Box]]] = [([], [])]
    for offset, char in enumerate(text):
        box = None if char.isspace() else _char_box(raw, textpage, first + offset, rect)
        if box and runs[-1][1] and _jumps(runs[-1][1][-1], box):
            runs.append(([], []))
        runs[-1][0].append(char)
        if box:
            runs[-1][1].append(box)
    return [Seg(clean("".join(chars).strip()), *_display_box(_union(boxes), *frame))
            for chars, boxes in runs if boxes]


def _jumps(a: Box, b: Box) -> bool:
    """True when box ``b`` is not within a few character sizes (the smaller) of box ``a``."""
    size = max(min(a[3] - a[1], b[3] - b[1]), 1.0)
    dx = (a[0] + a[2] - b[0] - b[2]) / 2
    dy = (a[1] + a[3] - b[1] - b[3]) / 2
    return dx * dx + dy * dy > (JUMP * size) ** 2


def clean(text: str) -> str:
    return text if text.isprintable() else text.translate(_CLEAN)


def _char_box(raw: Any, textpage: PdfTextPage, index: int, rect: Any) -> Box | None:
    """The loose (font ascent to descent) box of one character: tight glyph boxes of
    non-embedded CJK fonts have no height. None when PDFium has no box for it."""
    if not raw.FPDFText_GetLooseCharBox(textpage, index, rect):
        return None
    return (rect.left, rect.bottom, rect.right, rect.top)


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _display_box(box: Box, bbox: Box, rotation: int) -> Box:
    """(left, top, right, bottom) from the top-left corner of the page as displayed.

    ``box`` and ``bbox`` (the visible page) are (left, bottom, right, top) in PDF user space;
    /Rotate turns the page clockwise for display, so with 90 the user-space left edge is the top.
    """
    left, bottom, right, top = box
    x0, y0, x1, y1 = bbox
    if rotation == 90:
        out = (bottom - y0, left - x0, top - y0, right - x0)
    elif rotation == 180:
        out = (x1 - right, bottom - y0, x1 - left, top - y0)
    elif rotation == 270:
        out = (y1 - top, x1 - right, y1 - bottom, x1 - left)
    else:
        out = (left - x0, y1 - top, right - x0, y1 - bottom)
    if out[3] - out[1] < 1.0:  # a degenerate box (zero-size font) still gets a height
        centre = (out[1] + out[3]) / 2
        out = (out[0], centre - 0.5, out[2], centre + 0.5)
    return out


def display_height(bbox: Box, rotation: int) -> float:
    x0, y0, x1, y1 = bbox
    return abs(x1 - x0) if rotation in (90, 270) else abs(y1 - y0)
