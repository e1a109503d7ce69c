"""SpreadsheetML worksheet reading for the XLSX extractor: streamed cells and shared strings, headers/footers.

Not an extractor itself (it has no FORMAT). Shared strings and worksheets are streamed through expat
(stdlib, C) in chunks without building a tree, so memory stays bounded on million-row sheets; lxml
iterparse was measured 2-3x slower per cell. A sheet's <headerFooter> follows its <sheetData>, so it
is found by a byte scan and parsed alone, keeping the sheet name -> header -> cells order.
``header_footer_sections`` splits an Excel header/footer string (the xls extractor uses it too).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from decimal import Decimal, InvalidOperation
from xml.parsers import expat

from lxml import etree

from scanner.errors import CorruptFile
from scanner.extractors import ooxml
from scanner.records import Location, TextBlock

HEADER_FOOTER = {"oddHeader": ("header", "odd"), "oddFooter": ("footer", "odd"),
                 "evenHeader": ("header", "even"), "evenFooter": ("footer", "even"),
                 "firstHeader": ("header", "first"), "firstFooter": ("footer", "first")}
CHUNK = 1 << 18
MAX_HEADER_FOOTER = 1 << 20  # bytes of one <headerFooter> element; Excel caps each string at 255 chars
READ_ERRORS = (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError)

# An Excel header/footer code: && (a literal &), the section switches &L &C &R, a font &"name,style",
# a size &12, a colour &KRRGGBB / &K01+000, and the fields and toggles (&P+1, &N, &D, &B, ...).
_HF_CODE = re.compile(r'&(?:(&)|([LCR])|"[^"]*"|\d+|K(?:[0-9A-Fa-f]{6}|\d\d[+-]\d{3})|P(?:[+-]\d+)?'
                      r"|[NDTFAZGBIUEXYSOH])")
_HF_START = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?headerFooter(?=[\s/>])")
_XML_DECL = re.compile(rb"\s*<\?xml[^>]*\?>")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # OOXML ST_Xstring escapes such as _x000D_
_ID_DIGITS = re.compile(r"\d{7,}")


class _Done(Exception):
    """Raised inside an expat handler to stop reading a part early."""


# The expat handlers below finish an item when the next one starts (and in close()). ``open`` holds
# the text element being read, and its C-level discard() is the end-element handler: fewer Python
# calls per cell, which are most of the cost of reading a sheet.
class StringItems:
    """Collects shared strings: <t> of plain and rich-text runs joined, phonetic <rPh> left out."""

    def __init__(self, ns: str) -> None:
        self.si, self.t, self.rph = f"{ns} si", f"{ns} t", f"{ns} rPh"
        self.items: list[str] = []
        self.parts: list[str] | None = None
        self.open: set[str] = set()
        self.phonetic = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == self.t:
            if not self.phonetic:
                self.open.add(name)
        elif name == self.si:
            if self.parts is not None:
                self.items.append("".join(self.parts))
            self.parts, self.phonetic = [], False
        elif name == self.rph:
            self.phonetic = True

    def data(self, text: str) -> None:
        if self.open and self.parts is not None:
            self.parts.append(text)

    def close(self) -> None:
        if self.parts is not None:
            self.items.append("".join(self.parts))
            self.parts = None
        self.items = [unescape(s) if "_x" in s else s for s in self.items]


class _Cells:
    """Turns <c> elements into cell blocks in ``out``; raises _Done after ``limit`` valued cells."""

    def __init__(self, ns: str, strings: list[str], sheet: str, limit: int) -> None:
        self.c, self.v, self.t, self.row, self.rph = (f"{ns} {x}" for x in ("c", "v", "t", "row", "rPh"))
        self.strings, self.sheet, self.limit = strings, sheet, limit
        self.out: list[TextBlock] = []
        self.open: set[str] = set()
        self.parts: list[str] = []
        self.count, self.row_no, self.ref, self.kind, self.phonetic = 0, 0, "", "", False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == self.v or name == self.t:
            if not self.phonetic:
                self.open.add(name)
        elif name == self.c:
            if self.parts:
                self.close()
            self.ref = attrs.get("r") or _next_ref(self.ref, self.row_no)
            self.kind, self.parts, self.phonetic = attrs.get("t", "n"), [], False
        elif name == self.row:
            if self.parts:
                self.close()
            self.row_no, self.ref = to_int(attrs.get("r"), self.row_no + 1), ""
        elif name == self.rph:
            self.phonetic = True

    def data(self, text: str) -> None:
        if self.open:
            self.parts.append(text)

    def close(self) -> None:
        """Finish the pending cell, if it holds a value."""
        if not self.parts:
            return
        value, kind, self.parts = "".join(self.parts), self.kind, []
        if kind == "s":
            index = to_int(value, -1)
            text = self.strings[index] if 0 <= index < len(self.strings) else ""
        elif kind == "inlineStr" or kind == "str":
            text = unescape(value)
        else:
            text = _identifier(value) if kind == "n" and len(value) >= 7 else ""
        if text and not text.isspace():
            self.out.append(TextBlock(text, Location(part="cell", sheet=self.sheet, cell=self.ref)))
        self.count += 1
        if self.count >= self.limit:
            raise _Done


def stream(zf: zipfile.ZipFile, part: str, handler: StringItems | _Cells) -> Iterator[None]:
    """Feed one part to expat chunk by chunk, pausing after each chunk so the caller can drain
    what the handler gathered. An absent part yields nothing.

    Raises CorruptFile on broken XML, a DTD or an unreadable member; TooLarge for a bomb.
    """
    info = ooxml.member_info(zf, part)
    if info is None:
        return
    ooxml.check_member(info)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler, parser.CharacterDataHandler = handler.start, handler.data
    parser.EndElementHandler = handler.open.discard
    parser.StartDoctypeDeclHandler = _refuse_dtd(part)  # OOXML forbids DTDs: no entity tricks
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                parser.Parse(chunk, False)
                yield
            parser.Parse(b"", True)
        handler.close()
    except _Done:
        pass
    except (expat.ExpatError, LookupError) as exc:  # LookupError: an encoding Python does not know
        raise CorruptFile(f"part {part} is not well-formed XML: {exc}") from exc
    except READ_ERRORS as exc:
        raise CorruptFile(f"part {part} cannot be read: {_one_line(exc)}") from exc
    yield


def _refuse_dtd(part: str) -> Callable[..., None]:
    def refuse(*_: object) -> None:
        raise CorruptFile(f"part {part} declares a DTD")
    return refuse


def cell_batches(zf: zipfile.ZipFile, part: str, ns: str, strings: list[str], sheet: str,
                 limit: int) -> Generator[list[TextBlock], None, int]:
    """Yield batches of string cells and identifier-like numbers, row-major; return how many
    valued cells were read."""
    handler = _Cells(ns, strings, sheet, limit)
    for _ in stream(zf, part, handler):
        if handler.out:
            yield handler.out
            handler.out = []
    return handler.count



def header_footer(zf: zipfile.ZipFile, part: str, ns: str, sheet: str) -> Iterator[TextBlock]:
    """Header/footer sections of a sheet, one block each, found by a byte scan before the cells.

    <headerFooter> follows <sheetData>, so it is located in the raw bytes (a literal '<' only
    opens markup in XML) and parsed alone, keeping the sheet name -> header -> cells order.
    """
    found = _find_header_footer(zf, part)
    if found is None:
        return
    decl, prefix, fragment = found
    xmlns = b' xmlns:%s="%s"' % (prefix, ns.encode()) if prefix else b' xmlns="%s"' % ns.encode()
    try:
        root = etree.fromstring(decl + b"<hf" + xmlns + b">" + fragment + b"</hf>", ooxml.parser())
    except etree.XMLSyntaxError as exc:
        raise CorruptFile(f"part {part} has a broken headerFooter: {_one_line(exc)}") from exc
    for el in root.iter(f"{{{ns}}}*"):
        where = HEADER_FOOTER.get(etree.QName(el).localname)
        if where and el.text:
            for text in header_footer_sections(unescape(el.text)):
                yield TextBlock(text, Location(part=where[0], sheet=sheet, name=where[1]))


def _find_header_footer(zf: zipfile.ZipFile, part: str) -> tuple[bytes, bytes, bytes] | None:
    """(XML declaration, tag prefix, raw element) of the sheet's <headerFooter>, or None."""
    try:
        with zf.open(part) as fh:
            buf = fh.read(CHUNK)
            decl = m.group(0) if (m := _XML_DECL.match(buf)) else b""
            while (start := _hf_search(buf)) is None:
                if not (chunk := fh.read(CHUNK)):
                    return None
                buf = buf[-64:] + chunk
            prefix, buf = start.group(1) or b"", buf[start.start():]
            while (end := _element_end(buf, prefix)) is None:
                if not (chunk := fh.read(CHUNK)) or len(buf) > MAX_HEADER_FOOTER:
                    return None
                buf += chunk
    except READ_ERRORS as exc:
        raise CorruptFile(f"part {part} cannot be read: {_one_line(exc)}") from exc
    return decl, prefix, buf[:end]


def _hf_search(buf: bytes) -> re.Match[bytes] | None:
    at = buf.find(b"headerFooter")  # a plain find skips the chunks without it cheaply
    return _HF_START.search(buf, max(0, at - 64)) if at >= 0 else None


def _element_end(buf: bytes, prefix: bytes) -> int | None:
    """End offset of the element that opens ``buf``, when it is complete in ``buf``."""
    close = buf.find(b">")
    if close < 0:
        return None
    if buf[close - 1:close] == b"/":
        return close + 1
    name = prefix + b":headerFooter" if prefix else b"headerFooter"
    m = re.compile(rb"</" + re.escape(name) + rb"\s*>").search(buf, close)
    return m.end() if m else None


def header_footer_sections(value: str) -> list[str]:
    """The non-empty left, centre and right sections of an Excel header/footer string.

    Formatting and field codes are removed and ``&&`` becomes ``&``: for example
    ``&L&"黑体,常规"&16秘密★6个月`` gives ``["秘密★6个月"]``. Text before any section code
    belongs to the centre, as in Excel.
    """
    sections: dict[str, list[str]] = {"L": [], "C": [], "R": []}
    current, pos = "C", 0
    for m in _HF_CODE.finditer(value):
        sections[current].append(value[pos:m.start()])
        if m.group(1):
            sections[current].append("&")
        elif m.group(2):
            current = m.group(2)
        pos = m.end()
    sections[current].append(value[pos:])
    return [text for key in "LCR" if (text := "".join(sections[key]).strip())]


def unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _identifier(value: str) -> str:
    """The digits of a number that looks like an identifier (>= 7 integer digits), else ''."""
    if _ID_DIGITS.fullmatch(value):
        return value
    if "E" not in value and "e" not in value and "." not in value:
        return ""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return ""
    if number.is_finite() and 1_000_000 <= number < 10**30 and number == number.to_integral_value():
        return str(int(number))
    return ""


def _next_ref(prev: str, row: int) -> str:
    """The reference of a cell written without r=, one column right of ``prev`` in the same row."""
    col = 0
    for ch in prev:
        if not ch.isalpha():
            break
        col = col * 26 + ord(ch.upper()) - 64
    return f"{ooxml.column_name(col)}{row}"  # col: the 1-based column of prev, the 0-based one of the next


def to_int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _one_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]

