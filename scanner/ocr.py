"""Offline OCR of page images with rapidocr-onnxruntime (PP-OCR models shipped inside its wheel).

The engine is built on first use, once per process (a worker pays about half a second the
first time it meets an image or a scanned page; nothing is loaded at import time), runs on
one thread (the scan already runs one worker per core) and logs nothing. It never touches
the network: the models are files of the installed package.

``page_blocks`` turns one image into TextBlocks like a PDF page's: one block per visual line,
numbered top to bottom, with the band taken from the boxes' geometry and Location name "ocr".
``Budget`` bounds the OCR of one file: ``options.ocr_max_pages`` images or pages, and a share
of the per-file timeout (an engine call cannot be interrupted, so the clock is checked between
pages).
"""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from scanner.options import ScanOptions
from scanner.records import Location, TextBlock

if TYPE_CHECKING:
    from PIL.Image import Image

MAX_SIDE = 2000  # longer sides are scaled down to this many pixels before OCR
TOP_BAND = 0.25  # as in PDF pages: a line whose centre lies in the top 25% of the height is "top"
BOTTOM_BAND = 0.90  # ... below 90% of it, "bottom"
TIME_SHARE = 0.5  # share of options.timeout that one file may spend in OCR
MIN_OVERLAP = 0.5  # boxes on one line overlap vertically by at least half the smaller height
THREADS = 1  # onnxruntime threads per engine (one scan worker per core already)
SMOOTH_STEP = 8  # grey levels between neighbouring pixels of a smooth background
SMOOTH_SHARE = 0.5  # a page has at least this share of smooth neighbours (scans: 0.8-0.99; noise: < 0.45)
INK_CONTRAST = 60  # grey levels between ink and the background (the median)
INK_SHARE = 0.002  # a page with text has at least this share of ink pixels
_LOGGERS = ("RapidOCR", "OrtInferSession")


class OcrLine(NamedTuple):
    """One text box as the engine read it, in pixels of the image it was given."""

    text: str
    left: float
    top: float
    right: float
    bottom: float
    score: float


class Budget:
    """How many more pages one file may OCR, and until when."""

    def __init__(self, options: ScanOptions) -> None:
        self.pages_left = options.ocr_max_pages if options.ocr else 0
        self.deadline = time.monotonic() + options.timeout * TIME_SHARE
        self.used = 0

    def take(self) -> bool:
        """True (and one page fewer left) when another page may be OCRed now."""
        if self.pages_left <= 0 or time.monotonic() >= self.deadline:
            return False
        self.pages_left -= 1
        self.used += 1
        return True


@functools.cache
def engine() -> Any:
    """The process-wide RapidOCR engine, built on first call, with its logging silenced."""
    import onnxruntime
    from rapidocr_onnxruntime import RapidOCR

    onnxruntime.set_default_logger_severity(3)  # errors only from the C++ side
    _silence()
    ocr = RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=THREADS)
    _silence()  # loggers made while the sessions were built
    return ocr


def _silence() -> None:
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL)
        logger.propagate = False


def fit(image: Image) -> Image:
    """``image`` as RGB on white (transparency flattened), its longer side at most MAX_SIDE."""
    from PIL import Image as PILImage

    if image.mode.startswith(("I", "F")):
        image = _to_8bit(image)
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = PILImage.new("RGBA", rgba.size, "white")
        flat.alpha_composite(rgba)
        image = flat
    if image.mode != "RGB":
        image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE), PILImage.Resampling.BILINEAR, reducing_gap=2.0)
    return image


def _to_8bit(image: Image) -> Image:
    """A 16-bit, 32-bit or float grey image stretched to 8 bits between its extremes."""
    image = image.convert("F")
    low, high = image.getextrema()
    scale = 255.0 / (high - low) if high > low else 1.0
    return image.point(lambda v: (v - low) * scale).convert("L")


def read_lines(image: Image) -> tuple[list[OcrLine], int]:
    """The engine's text boxes of ``image`` (RGB, already fitted) and the image height."""
    result, _ = engine()(image)
    lines = []
    for box, text, score in result or ():
        xs = [float(point[0]) for point in box]
        ys = [float(point[1]) for point in box]
        if text.strip():
            lines.append(OcrLine(text.strip(), min(xs), min(ys), max(xs), max(ys), float(score)))
    return lines, image.height


def looks_like_page(image: Image) -> bool:
    """True unless ``image`` cannot hold readable text: noise or texture with no smooth background,
    or a background with nothing on it that stands out (a blank or washed-out page).

    Text detection costs a large part of a second per image whether or not there is text; a
    document page, scanned or photographed, is mostly smooth background (neighbouring pixels
    close) with some ink clearly darker or lighter than it.
    """
    import numpy as np

    grey = np.asarray(image.convert("L"), dtype=np.int16)
    if grey.shape[1] < 2:
        return False
    smooth = np.abs(np.diff(grey, axis=1)) <= SMOOTH_STEP
    ink = np.abs(grey - int(np.median(grey))) > INK_CONTRAST  # text stands out from the background
    return float(smooth.mean()) >= SMOOTH_SHARE and float(ink.mean()) >= INK_SHARE


def page_blocks(image: Image, page: int) -> list[TextBlock]:
    """OCR ``image`` (any mode, any size): one body block per visual line, top to bottom.

    Images that do not look like a page (looks_like_page) are not read: no blocks.
    """
    fitted = fit(image)
    if not looks_like_page(fitted):
        return []
    lines, height = read_lines(fitted)
    blocks = []
    for number, (text, top, bottom) in enumerate(group_lines(lines), 1):
        blocks.append(TextBlock(text, Location(part="body", page=page, line=number, name="ocr"),
                                band=band((top + bottom) / 2, height)))
    return blocks


def band(centre: float, height: float) -> str:
    """"top", "middle" or "bottom" for a line whose vertical centre is ``centre`` pixels down."""
    if height > 0 and centre < TOP_BAND * height:
        return "top"
    return "bottom" if height > 0 and centre > BOTTOM_BAND * height else "middle"


def group_lines(lines: list[OcrLine]) -> list[tuple[str, float, float]]:
    """(text, top, bottom) of each visual line: boxes that overlap vertically by half the
    smaller height join, left to right, with one space between them."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda b: (b.top, b.left)):
        for row in reversed(rows[-4:]):  # the few rows just above
            if _same_row(row, line):
                row.append(line)
                break
        else:
            rows.append([line])
    out = []
    for row in rows:
        row.sort(key=lambda b: b.left)
        out.append((" ".join(b.text for b in row), min(b.top for b in row), max(b.bottom for b in row)))
    out.sort(key=lambda r: (r[1] + r[2]) / 2)
    return out


def _same_row(row: list[OcrLine], box: OcrLine) -> bool:
    top, bottom = min(b.top for b in row), max(b.bottom for b in row)
    overlap = min(bottom, box.bottom) - max(top, box.top)
    return overlap >= MIN_OVERLAP * min(bottom - top, box.bottom - box.top)
