"""PDF documents: page text as lines ordered by geometry, each with its band, plus Info metadata.

PDFium (pypdfium2) reads the text; pdfplumber (pdfminer) is the fallback when PDFium cannot
open a damaged file. PDFium gives text in content-stream order, so a mark stamped onto a page
last but standing at its top would come out last: lines are regrouped and sorted by their
boxes (top to bottom, then left to right) before they are numbered. A page with no text layer
(a scan) is rendered and read by OCR when ``options.ocr`` is on (scanner/ocr.py). Helpers:
pdftext (PDFium's text page), layout (lines and bands), pdffallback (the pdfminer reader).
"""

from __future__ import annotations

import ctypes
import functools
import io
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from scanner import ocr
from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors.layout import Seg, line_blocks
from scanner.extractors.pdffallback import (
    PdfminerPages,
    close_quietly,
    pdfminer_error,
    pdfminer_errors,
    plumber_segments,
)
from scanner.extractors.pdftext import display_height, drops_text, text_segments
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

if TYPE_CHECKING:
    from pypdfium2 import PdfDocument

FORMAT = "pdf"

INFO_KEYS = ("Title", "Subject", "Keywords", "Author")
SKIPPED_KEYS = frozenset({"Creator", "Producer", "CreationDate", "ModDate", "Trapped"})
MAX_CUSTOM_KEYS = 64
SCAN_WINDOW = 65536  # bytes searched for the trailer's /Info reference, the Info object, a catalog
OCR_DPI = 150  # a page without text is rendered at this resolution for OCR (at most ocr.MAX_SIDE px)

_INFO_REF = re.compile(rb"/Info\s+(\d+)\s+(\d+)\s+R")
_OBJ_HEADER = re.compile(rb"(?<!\d)(\d+)\s+(\d+)\s+obj\b")
_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

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
    pdfminer = PdfminerPages(blob)
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
                yield from line_blocks((segments, height), index + 1)
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
                   check_drops: bool = True) -> tuple[list[Seg], float, bool] | None:
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
            segs = text_segments(pdfium.raw, textpage, frame)
        finally:
            textpage.close()
        lossy = check_drops and drops_text(pdfium.raw, page.raw, frame)
        return segs, display_height(*frame), lossy
    except pdfium.PdfiumError:
        return None
    finally:
        page.close()


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


def _fallback_blocks(blob: bytes, reason: str) -> Iterator[TextBlock]:
    """Blocks read by pdfplumber (pdfminer), which copes with some damage PDFium rejects.

    ``reason`` says why PDFium failed. Raises EncryptedFile or CorruptFile.
    """
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(blob))
    except pdfminer_errors() as exc:
        raise pdfminer_error(exc, reason) from exc
    try:
        for key, value in pdf.metadata.items():
            if key not in SKIPPED_KEYS and isinstance(value, str) and value.strip():
                yield TextBlock(value.strip(), Location(part="properties", name=key))
        try:
            pages = pdf.pages
        except pdfminer_errors() as exc:
            raise pdfminer_error(exc, reason) from exc
        for number, page in enumerate(pages, 1):
            try:
                segments = plumber_segments(page)
            except pdfminer_errors() as exc:
                raise pdfminer_error(exc, reason) from exc
            yield from line_blocks(segments, number)
    finally:
        close_quietly(pdf)
