"""PDF documents: page text as lines ordered by geometry, each with its band, plus Info metadata.

PDFium (pypdfium2) reads the text; pdfplumber (pdfminer) is the fallback when PDFium cannot
open a damaged file. PDFium gives text in content-stream order, so a mark stamped onto a page
last but standing at its top would come out last: lines are regrouped and sorted by their
boxes (top to bottom, then left to right) before they are numbered. A page with no text layer
(a scan) is rendered and read by OCR when ``options.ocr`` is on (scanner/ocr.py).
"""

from __future__ import annotations

import ctypes
import functools
import io
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from scanner import ocr
from scanner.errors import CorruptFile, EncryptedFile
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

if TYPE_CHECKING:
    from pypdfium2 import PdfDocument, PdfTextPage

FORMAT = "pdf"

TOP_BAND = 0.25  # a line whose centre lies in the top 25% of the page height is "top"
BOTTOM_BAND = 0.90  # ... below 90% of it, "bottom"
INFO_KEYS = ("Title", "Subject", "Keywords", "Author")
SKIPPED_KEYS = frozenset({"Creator", "Producer", "CreationDate", "ModDate", "Trapped"})
MAX_CUSTOM_KEYS = 64
SCAN_WINDOW = 65536  # bytes searched for the trailer's /Info reference, the Info object, a catalog
JOIN_GAP = 0.15  # a horizontal gap wider than this share of the line height becomes a space
MIN_OVERLAP = 0.5  # boxes on one line overlap vertically by at least half the smaller height
MAX_HEIGHT_RATIO = 3.0  # a box this many times taller than another (a diagonal stamp) stays apart
JUMP = 3.0  # consecutive characters farther apart than this many character sizes part a line
OCR_DPI = 150  # a page without text is rendered at this resolution for OCR (at most ocr.MAX_SIDE px)

_INFO_REF = re.compile(rb"/Info\s+(\d+)\s+(\d+)\s+R")
_OBJ_HEADER = re.compile(rb"(?<!\d)(\d+)\s+(\d+)\s+obj\b")
_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# PDFium writes a hyphen that ends a line as \x02; other control characters are noise.
_CLEAN = {2: "-", 9: " ", 0xFFFE: None, 0xFFFF: None,
          **{c: None for c in (*range(0, 2), *range(3, 9), *range(10, 32))}}

Box = tuple[float, float, float, float]


class _Seg(NamedTuple):
    """A piece of text and its box in display space: points from the page's top-left corner."""

    text: str
    left: float
    top: float
    right: float
    bottom: float


def sniff(probe: Probe) -> bool:
    """True when the PDF header appears within the first 1024 bytes (as readers accept it)."""
    return b"%PDF-" in probe.head[:1024]


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield Info metadata ("properties") then one block per text line ("body", page, line, band).

    A page with no text line but something drawn on it is OCRed instead (Location name "ocr"),
    while ``options.ocr`` is on and the OCR budget (ocr_max_pages, time) lasts.

    Stops quietly once ``options.max_text_chars`` would be exceeded. Raises EncryptedFile for a
    password-protected PDF, CorruptFile when neither PDFium nor pdfminer can read it.
    """
    # The whole file in memory: PDFium reads one buffer (a file object costs a Python callback
    # per read), and the Info key scan, the repair and the fallback reuse the same bytes.
    blob = data.read()
    yield from _limit(_blocks(blob, ocr.Budget(options)), options.max_text_chars)


def _limit(blocks: Iterable[TextBlock], max_chars: int) -> Iterator[TextBlock]:
    total = 0
    for block in blocks:
        total += len(block.text)
        if total > max_chars:
            return
        yield block


def _blocks(blob: bytes, budget: ocr.Budget) -> Iterator[TextBlock]:
    doc, reason = _open(blob)
    if doc is None:
        yield from _fallback_blocks(blob, reason)
        return
    pdfminer = _PdfminerPages(blob)
    try:
        yield from _properties(doc, blob)
        loaded, check = 0, not _fonts_all_embedded(blob)
        for index in range(len(doc)):
            page = _page_segments(doc, index, check)
            if page is None:  # a page PDFium cannot load is passed over, like one without text
                continue
            loaded += 1
            segments, height, lossy = page
            if lossy:
                segments, height = pdfminer.segments(index) or (segments, height)
            if segments or not budget.pages_left:
                yield from _line_blocks((segments, height), index + 1)
            else:
                yield from _ocr_page(doc, index, budget)
        if not loaded:
            raise CorruptFile("PDFium cannot load any page")
    finally:
        doc.close()
        pdfminer.close()


def _ocr_page(doc: PdfDocument, index: int, budget: ocr.Budget) -> list[TextBlock]:
    """OCR lines of page ``index``, rendered at OCR_DPI; nothing for a page with no objects
    (blank), one PDFium cannot render, or once the budget is spent."""
    pdfium = _pdfium()
    try:
        page = doc[index]
    except pdfium.PdfiumError:
        return []
    try:
        if not pdfium.raw.FPDFPage_CountObjects(page.raw) or not budget.take():
            return []
        width, height = page.get_size()
        image = page.render(scale=min(OCR_DPI / 72, ocr.MAX_SIDE / max(width, height, 1.0))).to_pil()
    except pdfium.PdfiumError:
        return []
    finally:
        page.close()
    return ocr.page_blocks(image, index + 1)


def _open(blob: bytes) -> tuple[PdfDocument | None, str]:
    """PDFium's document, or (None, why) when PDFium cannot open the bytes. Raises EncryptedFile.

    A truncated file has lost its cross-reference table and trailer; given a trailer naming
    its catalog, PDFium rebuilds the table and reads the pages that survive.
    """
    doc = _try_open(blob)
    if isinstance(doc, str) and (repaired := _with_trailer(blob)) is not None:
        return (None, doc) if isinstance(again := _try_open(repaired), str) else (again, "")
    return (None, doc) if isinstance(doc, str) else (doc, "")


def _try_open(blob: bytes) -> PdfDocument | str:
    """The document, or PDFium's reason for not opening it. Raises EncryptedFile."""
    pdfium = _pdfium()
    try:
        return pdfium.PdfDocument(blob)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium.raw.FPDF_ERR_PASSWORD, pdfium.raw.FPDF_ERR_SECURITY):
            raise EncryptedFile("password-protected PDF") from exc
        return f"PDFium: {str(exc).rstrip('.')}"


def _with_trailer(blob: bytes) -> bytes | None:
    """``blob`` with a trailer naming its last catalog object appended; None without one."""
    end = len(blob)
    for _ in range(8):
        pos = blob.rfind(b"/Catalog", 0, end)
        if pos < 0:
            return None
        window = blob[max(0, pos - SCAN_WINDOW):pos]
        headers = list(_OBJ_HEADER.finditer(window))
        if headers and b"endobj" not in window[headers[-1].end():]:
            root = b"%s %s R" % headers[-1].groups()
            return blob + b"\nendstream\nendobj\ntrailer\n<< /Root " + root + b" >>\n%%EOF\n"
        end = pos
    return None


@functools.cache
def _pdfium() -> Any:
    """pypdfium2, imported on first use, with PDFium's system-font lookup turned off."""
    import pypdfium2

    _no_system_fonts(pypdfium2.raw)
    return pypdfium2


@functools.cache
def _no_system_fonts(raw: Any) -> Any:
    """Give PDFium an empty FPDF_SYSFONTINFO, so it maps no system font. Once per process.

    Non-embedded fonts (reportlab's CID fonts, many CJK documents) then need no search of the
    system's fonts, which costs far more than reading the page; their text still comes from
    the fonts' CMaps and ToUnicode maps. Returns the struct, which the cache keeps alive:
    PDFium holds a pointer to it.
    """
    info = raw.FPDF_SYSFONTINFO()  # every callback NULL
    info.version = 1
    raw.FPDF_SetSystemFontInfo(ctypes.byref(info))
    return info


_DESCRIPTOR = re.compile(rb"/Type\s*/FontDescriptor\b")


def _fonts_all_embedded(blob: bytes) -> bool:
    """True when every font descriptor visible in the raw bytes has an embedded font file.

    Then PDFium cannot drop zero-width text of a non-embedded font, and the per-object scan
    of every page (a sixth of the time on office PDFs) is not needed. Descriptors hidden in
    compressed object streams are not visible: those files are scanned page by page.
    """
    descriptors = len(_DESCRIPTOR.findall(blob))
    return descriptors > 0 and blob.count(b"/FontFile") >= descriptors


def _page_segments(doc: PdfDocument, index: int,
                   check_drops: bool = True) -> tuple[list[_Seg], float, bool] | None:
    """The text segments of page ``index``, the page's display height, and whether PDFium
    dropped text objects of the page (only looked for with ``check_drops``); None when
    PDFium cannot load the page."""
    pdfium = _pdfium()
    try:
        page = doc[index]
    except pdfium.PdfiumError:
        return None
    try:
        frame = (page.get_bbox(), page.get_rotation())
        textpage = page.get_textpage()
        try:
            segments = _segments(textpage, frame)
        finally:
            textpage.close()
        lossy = check_drops and _drops_text(pdfium.raw, page.raw, frame)
        return segments, _display_height(*frame), lossy
    except pdfium.PdfiumError:
        return None
    finally:
        page.close()


def _drops_text(raw: Any, holder: Any, frame: tuple[Box, int], in_form: bool = False,
                depth: int = 0) -> bool:
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
    height = _display_height(*frame)
    for i in range(count(holder)):
        obj = get(holder, i)
        kind = get_type(obj)
        if kind == text_kind:
            if (raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
                    and right.value - left.value < 0.01
                    and not raw.FPDFFont_GetIsEmbedded(raw.FPDFTextObj_GetFont(obj))):
                box = _display_box((left.value, bottom.value, right.value, top.value), *frame)
                if _band((box[1] + box[3]) / 2, height) != "middle":
                    return True
        elif kind == form_kind and depth < 4 and _drops_text(raw, obj, frame, True, depth + 1):
            return True
    return False


def _segments(textpage: PdfTextPage, frame: tuple[Box, int]) -> list[_Seg]:
    """One segment per line of PDFium's text (content-stream order), boxed by its end characters."""
    raw = _pdfium().raw
    count = textpage.count_chars()
    text = textpage.get_text_range()
    if len(text) != count:  # PDFium's text left out or added characters: index them one by one
        text = "".join(chr(raw.FPDFText_GetUnicode(textpage, i)) for i in range(count))
    rect = raw.FS_RECTF()
    segments: list[_Seg] = []
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
        if len(ends) == 2 and not _same_line(ends[0][1], ends[0][3], ends[1][1], ends[1][3]):
            segments += _runs(raw, textpage, first, stripped, frame)  # rotated, or strung together
            continue
        if ends:  # else the previous line's box, or the middle of the page
            box = _union(ends)
        middle = _display_height(*frame) / 2
        segments.append(_Seg(_clean(stripped), *(box or (0, middle, 0, middle + 1))))
    return segments


def _runs(raw: Any, textpage: PdfTextPage, first: int, text: str, frame: tuple[Box, int]) -> list[_Seg]:
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
    return [_Seg(_clean("".join(chars).strip()), *_display_box(_union(boxes), *frame))
            for chars, boxes in runs if boxes]


def _jumps(a: Box, b: Box) -> bool:
    """True when box ``b`` is not within a few character sizes (the smaller) of box ``a``."""
    size = max(min(a[3] - a[1], b[3] - b[1]), 1.0)
    dx = (a[0] + a[2] - b[0] - b[2]) / 2
    dy = (a[1] + a[3] - b[1] - b[3]) / 2
    return dx * dx + dy * dy > (JUMP * size) ** 2


def _clean(text: str) -> str:
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


def _display_height(bbox: Box, rotation: int) -> float:
    x0, y0, x1, y1 = bbox
    return abs(x1 - x0) if rotation in (90, 270) else abs(y1 - y0)


def _line_blocks(page: tuple[list[_Seg], float], number: int) -> Iterator[TextBlock]:
    """Blocks for the visual lines of one page, numbered top to bottom from 1."""
    segments, height = page
    for line_no, (line, (top, bottom)) in enumerate(_group_lines(segments), 1):
        yield TextBlock(_join(line), Location(part="body", page=number, line=line_no),
                        band=_band((top + bottom) / 2, height))


def _band(centre: float, height: float) -> str:
    if height > 0 and centre < TOP_BAND * height:
        return "top"
    return "bottom" if height > 0 and centre > BOTTOM_BAND * height else "middle"


def _group_lines(segments: list[_Seg]) -> list[tuple[list[_Seg], tuple[float, float]]]:
    """Segments whose vertical extents overlap form one line: (segments left to right,
    (top, bottom)) for each line, top to bottom (a line's top is its first segment's)."""
    lines: list[list[_Seg]] = []
    extents: list[tuple[float, float]] = []
    for seg in sorted(segments, key=lambda s: (s.top, s.left)):
        for i in range(len(lines) - 1, max(-1, len(lines) - 5), -1):  # the few lines just above
            top, bottom = extents[i]
            if seg.top < bottom and _same_line(top, bottom, seg.top, seg.bottom):
                lines[i].append(seg)
                extents[i] = (top, max(bottom, seg.bottom))
                break
        else:
            lines.append([seg])
            extents.append((seg.top, seg.bottom))
    return [(sorted(line, key=lambda s: s.left) if len(line) > 1 else line, extent)
            for line, extent in zip(lines, extents, strict=True)]


def _same_line(top: float, bottom: float, top2: float, bottom2: float) -> bool:
    overlap = min(bottom, bottom2) - max(top, top2)
    low, high = sorted((bottom - top, bottom2 - top2))
    return overlap >= MIN_OVERLAP * low and high <= MAX_HEIGHT_RATIO * low


def _join(line: list[_Seg]) -> str:
    """Segments left to right, with a single space where a visible horizontal gap parts them."""
    parts = [line[0].text]
    right = line[0].right
    for seg in line[1:]:
        if seg.left - right > JOIN_GAP * (seg.bottom - seg.top):
            parts.append(" ")
        parts.append(seg.text)
        right = max(right, seg.right)
    return "".join(parts)


def _properties(doc: PdfDocument, blob: bytes) -> Iterator[TextBlock]:
    """The Info dictionary's text entries: the standard ones, then custom keys found in the file."""
    get_meta = _pdfium().raw.FPDF_GetMetaText
    seen: set[str] = set()
    for name, raw_key in [(key, key.encode()) for key in INFO_KEYS] + _custom_keys(blob):
        if name in seen or name in SKIPPED_KEYS:
            continue
        seen.add(name)
        tag = raw_key + b"\x00"
        size = get_meta(doc, tag, None, 0)
        buffer = ctypes.create_string_buffer(size)
        get_meta(doc, tag, buffer, size)
        value = buffer.raw[:max(0, size - 2)].decode("utf-16-le", errors="replace").strip()
        if value:
            yield TextBlock(value, Location(part="properties", name=name))


def _custom_keys(blob: bytes) -> list[tuple[str, bytes]]:
    """(name, raw key) of the names in the Info dictionary's bytes (PDFium cannot list keys).

    PDFium reads the values, so a name that is no key just yields nothing. An Info dictionary
    inside a compressed object stream is not seen: then only the standard keys count.
    """
    refs = _INFO_REF.findall(blob[-SCAN_WINDOW:]) or _INFO_REF.findall(blob[:SCAN_WINDOW])
    start = _find_object(blob, b"%s %s obj" % refs[-1]) if refs else -1
    if start < 0:
        return []
    body = blob[start:start + SCAN_WINDOW].split(b"endobj", 1)[0]
    keys = []
    for raw_name in list(dict.fromkeys(_NAME.findall(body)))[:MAX_CUSTOM_KEYS]:
        raw_key = _NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), raw_name)
        try:
            keys.append((raw_key.decode("utf-8"), raw_key))
        except UnicodeDecodeError:
            keys.append((raw_key.decode("gb18030", errors="replace"), raw_key))
    return keys


def _find_object(blob: bytes, needle: bytes) -> int:
    """Offset just after the last ``N G obj`` header (not ``1N G obj``), or -1."""
    end = len(blob)
    while (pos := blob.rfind(needle, 0, end)) > 0 and blob[pos - 1:pos].isdigit():
        end = pos
    return pos + len(needle) if pos >= 0 else -1


class _PdfminerPages:
    """pdfplumber's view of the same bytes, opened on first use, for pages PDFium read in part."""

    def __init__(self, blob: bytes) -> None:
        self._blob = blob
        self._pdf: Any = None
        self._failed = False

    def segments(self, index: int) -> tuple[list[_Seg], float] | None:
        """Page ``index`` as pdfminer reads it; None when it cannot."""
        if self._failed:
            return None
        try:
            if self._pdf is None:
                import pdfplumber

                self._pdf = pdfplumber.open(io.BytesIO(self._blob))
            return _plumber_segments(self._pdf.pages[index])
        except _pdfminer_errors():
            self._failed = self._pdf is None
            return None

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()


def _plumber_segments(page: Any) -> tuple[list[_Seg], float]:
    """A pdfplumber page's text lines (top measured from the page top) and its height."""
    lines = page.extract_text_lines(return_chars=False)
    segments = [_Seg(_clean(line["text"]), line["x0"], line["top"], line["x1"], line["bottom"])
                for line in lines if line["text"].strip()]
    page.close()
    return segments, float(page.height)


def _fallback_blocks(blob: bytes, reason: str) -> Iterator[TextBlock]:
    """Blocks read by pdfplumber (pdfminer), which copes with some damage PDFium rejects.

    ``reason`` says why PDFium failed. Raises EncryptedFile or CorruptFile.
    """
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(blob))
    except _pdfminer_errors() as exc:
        raise _pdfminer_error(exc, reason) from exc
    with pdf:
        for key, value in pdf.metadata.items():
            if key not in SKIPPED_KEYS and isinstance(value, str) and value.strip():
                yield TextBlock(value.strip(), Location(part="properties", name=key))
        try:
            pages = pdf.pages
        except _pdfminer_errors() as exc:
            raise _pdfminer_error(exc, reason) from exc
        for number, page in enumerate(pages, 1):
            try:
                segments = _plumber_segments(page)
            except _pdfminer_errors() as exc:
                raise _pdfminer_error(exc, reason) from exc
            yield from _line_blocks(segments, number)


@functools.cache
def _pdfminer_errors() -> tuple[type[BaseException], ...]:
    """What pdfminer raises on damaged input: its own types, pdfplumber's wrapper, builtins."""
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    return (PdfminerException, PSException, ValueError, KeyError, TypeError, IndexError,
            AttributeError, AssertionError, EOFError, OSError)


def _pdfminer_error(exc: BaseException, reason: str) -> EncryptedFile | CorruptFile:
    """pdfplumber wraps pdfminer's exceptions; an encryption error inside means 'encrypted'."""
    from pdfminer.pdfdocument import PDFEncryptionError

    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    if isinstance(inner, PDFEncryptionError):
        return EncryptedFile("password-protected PDF")
    detail = " ".join(f"{type(inner).__name__}: {inner}".split())[:200]
    return CorruptFile(f"unreadable PDF ({reason}; pdfminer: {detail})")
