"""XLSX/XLSM/XLTX workbooks: cells, sheet names, headers/footers, comments and document properties.

The package XML is read directly (openpyxl is several times slower). Shared strings and worksheets
are streamed through expat (stdlib, C) in chunks without building a tree, so memory stays bounded
on million-row sheets; lxml iterparse was measured 2-3x slower per cell. Small parts (workbook,
relationships, comments) go through ooxml's safe lxml parser.

Block order: document properties first (so the cell and text limits never cut them off), then
per sheet in workbook order (hidden sheets too): the sheet name, header/footer sections, string
cells row-major, comments. ``options.max_cells`` counts cells holding a value across the workbook;
``options.max_text_chars`` cuts the text of the whole file.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import BinaryIO
from xml.parsers import expat

from lxml import etree

from scanner.errors import CorruptFile
from scanner.extractors import ooxml
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "xlsx"

WORKBOOK = "xl/workbook.xml"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_THREADED = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
HEADER_FOOTER = {"oddHeader": ("header", "odd"), "oddFooter": ("footer", "odd"),
                 "evenHeader": ("header", "even"), "evenFooter": ("footer", "even"),
                 "firstHeader": ("header", "first"), "firstFooter": ("footer", "first")}
CHUNK = 1 << 18
MAX_HEADER_FOOTER = 1 << 20  # bytes of one <headerFooter> element; Excel caps each string at 255 chars
READ_ERRORS = (zipfile.BadZipFile, OSError, EOFError, zlib.error)

# An Excel header/footer code: && (a literal &), the section switches &L &C &R, a font &"name,style",
# a size &12, a colour &KRRGGBB / &K01+000, and the fields and toggles (&P+1, &N, &D, &B, ...).
_HF_CODE = re.compile(r'&(?:(&)|([LCR])|"[^"]*"|\d+|K(?:[0-9A-Fa-f]{6}|\d\d[+-]\d{3})|P(?:[+-]\d+)?'
                      r"|[NDTFAZGBIUEXYSOH])")
_HF_START = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?headerFooter(?=[\s/>])")
_XML_DECL = re.compile(rb"\s*<\?xml[^>]*\?>")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # OOXML ST_Xstring escapes such as _x000D_
_ID_DIGITS = re.compile(r"\d{7,}")


def sniff(probe: Probe) -> bool:
    """True for SpreadsheetML packages (xlsx, xlsm, xltx); xlsb has xl/workbook.bin instead."""
    return WORKBOOK in probe.zip_names


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield the workbook's text blocks. Raises CorruptFile, EncryptedFile, TooLarge."""
    left = options.max_text_chars
    with ooxml.open_package(data) as zf:
        for batch in _batches(zf, options):  # batches: one generator layer per block, not four
            for block in batch:
                if len(block.text) >= left:
                    if left > 0:
                        yield replace(block, text=block.text[:left])
                    return
                left -= len(block.text)
                yield block


@dataclass(frozen=True, slots=True)
class _Book:
    ns: str  # SpreadsheetML namespace: transitional or strict
    sheets: tuple[tuple[str, str | None], ...]  # (name, part path or None when unresolvable)
    strings: list[str]
    persons: dict[str, str]  # threaded-comment person id -> display name


def _batches(zf: zipfile.ZipFile, options: ScanOptions) -> Iterator[list[TextBlock]]:
    """The workbook's blocks in reading order, in lists (see the module docstring for the order)."""
    yield list(ooxml.properties(zf))
    book = _load_book(zf)
    used = 0
    for name, part in book.sheets:
        if name.strip():
            yield [TextBlock(name, Location(part="sheetname", sheet=name))]
        if part is None or ooxml.member_info(zf, part) is None:
            continue
        yield list(_header_footer(zf, part, book.ns, name))
        if used < options.max_cells:
            used += yield from _cells(zf, part, book, name, options.max_cells - used)
        yield list(_comments(zf, part, book, name))


def _load_book(zf: zipfile.ZipFile) -> _Book:
    """Sheets in workbook order, shared strings and comment authors. Raises CorruptFile."""
    root = ooxml.parse_member(zf, WORKBOOK)
    if root is None:
        raise CorruptFile(f"{WORKBOOK} is missing")
    qname = etree.QName(root)
    if qname.localname != "workbook":
        raise CorruptFile(f"{WORKBOOK} root is <{qname.localname}>, not <workbook>")
    ns = qname.namespace or ""
    rels = _rels(zf, WORKBOOK)
    sheets = []
    for sheet in root.iter(f"{{{ns}}}sheet"):
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), "")
        sheets.append((sheet.get("name") or "", rels[rid][1] if rid in rels else None))
    strings = _StringItems(ns)
    for _ in _parse(zf, (_related(rels, "sharedStrings") or ["xl/sharedStrings.xml"])[0], strings):
        pass
    persons: dict[str, str] = {}
    for part in _related(rels, "person"):
        people = ooxml.parse_member(zf, part)
        if people is not None:
            persons.update((p.get("id") or "", p.get("displayName") or "")
                           for p in people.iter(f"{{{NS_THREADED}}}person"))
    return _Book(ns, tuple(sheets), strings.items, persons)


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type's last path segment, resolved part path) for one package part."""
    folder, base = posixpath.split(part)
    root = ooxml.parse_member(zf, posixpath.join(folder, "_rels", base + ".rels"))
    out: dict[str, tuple[str, str]] = {}
    for rel in () if root is None else root.iter(f"{{{NS_PKG_REL}}}Relationship"):
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id") or ""] = ((rel.get("Type") or "").rsplit("/", 1)[-1], path)
    return out


def _related(rels: dict[str, tuple[str, str]], kind: str) -> list[str]:
    return [path for rel_kind, path in rels.values() if rel_kind == kind]


class _Done(Exception):
    """Raised inside an expat handler to stop reading a part early."""


# The expat handlers below finish an item when the next one starts (and in close()). ``open`` holds
# the text element being read, and its C-level discard() is the end-element handler: fewer Python
# calls per cell, which are most of the cost of reading a sheet.
class _StringItems:
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
        self.items = [_unescape(s) if "_x" in s else s for s in self.items]


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
            self.row_no, self.ref = _int(attrs.get("r"), self.row_no + 1), ""
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
            index = _int(value, -1)
            text = self.strings[index] if 0 <= index < len(self.strings) else ""
        elif kind == "inlineStr" or kind == "str":
            text = _unescape(value)
        else:
            text = _identifier(value) if kind == "n" and len(value) >= 7 else ""
        if text and not text.isspace():
            self.out.append(TextBlock(text, Location(part="cell", sheet=self.sheet, cell=self.ref)))
        self.count += 1
        if self.count >= self.limit:
            raise _Done


def _parse(zf: zipfile.ZipFile, part: str, handler: _StringItems | _Cells) -> Iterator[None]:
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
    except expat.ExpatError as exc:
        raise CorruptFile(f"part {part} is not well-formed XML: {exc}") from exc
    except READ_ERRORS as exc:
        raise CorruptFile(f"part {part} cannot be read: {_one_line(exc)}") from exc
    yield


def _refuse_dtd(part: str) -> Callable[..., None]:
    def refuse(*_: object) -> None:
        raise CorruptFile(f"part {part} declares a DTD")
    return refuse


def _cells(zf: zipfile.ZipFile, part: str, book: _Book, sheet: str,
           limit: int) -> Generator[list[TextBlock], None, int]:
    """Yield batches of string cells and identifier-like numbers, row-major; return how many
    valued cells were read."""
    handler = _Cells(book.ns, book.strings, sheet, limit)
    for _ in _parse(zf, part, handler):
        if handler.out:
            yield handler.out
            handler.out = []
    return handler.count


def _header_footer(zf: zipfile.ZipFile, part: str, ns: str, sheet: str) -> Iterator[TextBlock]:
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
            for text in header_footer_sections(_unescape(el.text)):
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


def _comments(zf: zipfile.ZipFile, part: str, book: _Book, sheet: str) -> Iterator[TextBlock]:
    """Threaded comments (author = person's display name), then legacy notes on other cells."""
    rels = _rels(zf, part)
    threaded: set[str] = set()
    for path in _related(rels, "threadedComment"):
        root = ooxml.parse_member(zf, path)
        for tc in () if root is None else root.iter(f"{{{NS_THREADED}}}threadedComment"):
            ref, text = tc.get("ref") or "", tc.findtext(f"{{{NS_THREADED}}}text") or ""
            threaded.add(ref)
            if text.strip():
                author = book.persons.get(tc.get("personId") or "") or None
                yield TextBlock(text, Location(part="comment", sheet=sheet, cell=ref, name=author))
    ns = book.ns
    for path in _related(rels, "comments"):
        root = ooxml.parse_member(zf, path)
        if root is None:
            continue
        authors = [a.text or "" for a in root.iter(f"{{{ns}}}author")]
        for comment in root.iter(f"{{{ns}}}comment"):
            ref = comment.get("ref") or ""
            text = _rich_text(comment.find(f"{{{ns}}}text"), ns)
            if ref in threaded or not text.strip():  # Excel mirrors threaded comments as legacy notes
                continue
            index = _int(comment.get("authorId"), -1)
            author = authors[index] if 0 <= index < len(authors) and authors[index] else None
            yield TextBlock(text, Location(part="comment", sheet=sheet, cell=ref, name=author))


def _rich_text(el: etree._Element | None, ns: str) -> str:
    """Text of a comment's <text>: plain <t> and rich-text runs joined, phonetic guides left out."""
    if el is None:
        return ""
    t, r = f"{{{ns}}}t", f"{{{ns}}}r"
    parts = []
    for child in el:
        if child.tag == t:
            parts.append(child.text or "")
        elif child.tag == r:
            parts.extend(run.text or "" for run in child.iterchildren(t))
    return _unescape("".join(parts))


def _unescape(text: str) -> str:
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
    letters, col = "", col + 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _one_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
