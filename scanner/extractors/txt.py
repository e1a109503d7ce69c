"""Plain text (txt, csv, md, log, ...): encoding detected from content, one block per line."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

from charset_normalizer import from_bytes

from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "txt"

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Legacy Chinese encodings charset-normalizer chooses between; UTF-8/16/32 are recognised before it.
LEGACY = ("gb18030", "big5")
CHUNK = 1 << 20
MAX_LINE = 65_536  # a longer line is cut into pieces that keep its line number
SAMPLE = 65_536


def sniff(probe: Probe) -> bool:
    return detect_encoding(probe.head) is not None


def detect_encoding(head: bytes) -> str | None:
    """The codec name for text whose first bytes are ``head``, or None for binary content."""
    for bom, codec in BOMS:
        if head.startswith(bom):
            return codec
    if not head:
        return None
    try:
        head.decode("utf-8")
        return "utf-8" if b"\x00" not in head else None
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and b"\x00" not in head:  # a character cut by the sample's end
            return "utf-8"
    for codec in ("utf-16-le", "utf-16-be"):
        if _plausible(head[: len(head) - len(head) % 2].decode(codec, errors="replace")) >= 0.95:
            return codec
    if b"\x00" in head:
        return None
    best = from_bytes(head[:SAMPLE], cp_isolation=list(LEGACY)).best()
    if best is None or _plausible(str(best)) < 0.9:
        return None
    return "big5" if best.encoding.startswith("big5") else "gb18030"


def _plausible(text: str) -> float:
    """Share of characters that office text is made of: CJK, ASCII, CJK and full-width punctuation."""
    if not text:
        return 0.0
    good = sum(1 for ch in text if ch.isprintable() and _office_char(ch) or ch in "\r\n\t")
    return good / len(text)


def _office_char(ch: str) -> bool:
    o = ord(ch)
    return (o < 0x7F or 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF
            or 0x2000 <= o <= 0x27BF or 0x3400 <= o <= 0x4DBF or 0xA0 <= o <= 0x17F or 0xF000 <= o <= 0xF0FF)


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield each non-empty line with its 1-based line number; never raises on bad bytes."""
    data.seek(0)
    codec = detect_encoding(data.read(SAMPLE)) or "utf-8"
    data.seek(0)
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    pending, line_no, budget = "", 1, options.max_text_chars
    while budget > 0:
        chunk = data.read(CHUNK)
        pending += decoder.decode(chunk, final=not chunk)
        lines = pending.splitlines(keepends=True)
        pending = lines.pop() if chunk and lines and not lines[-1].endswith("\n") else ""
        for line in lines:
            for block in _blocks(line, line_no):
                budget -= len(block.text)
                yield block
            line_no += 1
            if budget <= 0:
                return
        if len(pending) > MAX_LINE:  # one endless line: emit what we have, keep its number
            yield from _blocks(pending, line_no)
            budget -= len(pending)
            pending = ""
        if not chunk:
            break


def _blocks(line: str, line_no: int) -> Iterator[TextBlock]:
    text = line.rstrip("\r\n")
    for start in range(0, len(text), MAX_LINE):
        piece = text[start:start + MAX_LINE]
        if piece.strip():
            yield TextBlock(piece, Location(part="body", line=line_no))
