"""HTML and XHTML pages, and other XML documents: visible text, title, meta, Word's properties.

HTML (pages saved by browsers, OA systems and Word's "save as web page", XHTML too) is read with
lxml's forgiving HTML parser: no network, no entities, comments and script never become text.
Yields, in this order: ``<title>`` (part "title"), ``<meta name=... content=...>`` (part "meta",
name = the meta name; technical names such as viewport are left out), the document properties
Word writes into conditional comments (part "properties", as DOCX names them), then the body.

Body text: every visual line (a block element's text, or a piece between ``<br>``s) is one block,
``Location(part="body", paragraph=N)`` with N counting the non-empty lines; a table cell is one
block ``Location(part="table", table=N, cell="B3")`` with its lines joined by newlines, as in DOCX.
There is no page geometry, so ``band`` is None and the first lines count as the first lines of a
document.

Other XML (a document that opens with ``<?xml`` and whose root is not ``html``) is read here too,
and its record's format is "html": each element's own text is one ``body`` block with its paragraph
number. Broken XML raises CorruptFile; HTML is never corrupt (browsers show anything).
"""

from __future__ import annotations

import codecs
import html as html_lib
import re
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from scanner.errors import CorruptFile
from scanner.extractors import ooxml
from scanner.extractors.txt import BOMS, detect_encoding
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "html"

SNIFF_WINDOW = 1024  # HTML tags must show within this many characters of the start
SAMPLE = 65_536
_TAGS = ("<html", "<head", "<body", "<meta", "<title")
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([-\w:.]+)""", re.I)
_XML_DECL = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([-\w:.]+)""", re.I)
_XML_DECL_TAG = re.compile(r"^[\ufeff \t\r\n]*<\?xml[^>]*>")
_XML_DECL_START = re.compile(r"^[\ufeff \t\r\n]*<\?xml[\s?]")
_SPACE = re.compile(r"[ \t\r\n\f\v]+")
_CHINESE = frozenset({"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "csgb2312", "euc-cn", "gb18030"})
_LATIN = frozenset({"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1"})

SKIP = frozenset({"script", "style", "noscript", "template", "head", "object", "iframe", "embed"})
BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "ul", "option", "legend"})
CELLS = frozenset({"td", "th"})
BREAKS = BLOCKS | CELLS | {"br", "table", "tr", "pre"}  # elements that end the line before them
TECHNICAL_META = frozenset({
    "viewport", "generator", "progid", "originator", "robots", "referrer", "theme-color", "renderer",
    "format-detection", "color-scheme", "csrf-token", "csrf-param", "x-ua-compatible", "googlebot",
    "apple-mobile-web-app-capable", "apple-mobile-web-app-status-bar-style", "msapplication-tilecolor"})
# Word "save as web page": <o:DocumentProperties> fields, named as the DOCX extractor names them.
WORD_FIELDS = {"Title": "title", "Subject": "subject", "Author": "creator", "Keywords": "keywords",
               "Description": "description", "LastAuthor": "lastModifiedBy", "Category": "category",
               "Manager": "Manager", "Company": "Company"}
_WORD_SECTION = re.compile(r"<o:(DocumentProperties|CustomDocumentProperties)>(.*?)</o:\1>", re.S)
_WORD_FIELD = re.compile(r"<o:([\w.\-]+)[^>]*>([^<]*)</o:\1>", re.S)
_XML_NAME_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def sniff(probe: Probe) -> bool:
    """True for HTML/XHTML (tags near the start) and for XML documents (an XML declaration)."""
    head = _head_text(probe.head)
    if head is None or not head.startswith("<"):
        return False
    low = head[:SNIFF_WINDOW].lower()
    return low.startswith(("<!doctype", "<?xml")) or any(tag in low for tag in _TAGS)


def _head_text(head: bytes) -> str | None:
    """The start of a text file, decoded and stripped of BOM and white space; None for binary."""
    stripped = head.lstrip(b" \t\r\n")
    if not stripped.startswith((b"<", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # cheap refusal before the encoding guess
    codec = detect_encoding(head[:SNIFF_WINDOW * 4])
    if codec is None:
        return None
    return head[:SNIFF_WINDOW * 4].decode(codec, errors="replace").lstrip("\ufeff \t\r\n")


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield title, meta, properties, then body text. Raises CorruptFile for broken XML only."""
    raw = data.read()
    text = decode(raw)
    budget = options.max_text_chars
    blocks = _html_blocks(text)
    if _XML_DECL_START.match(text):
        root = _xml_root(raw)
        if root is not None and etree.QName(root).localname.lower() != "html":
            blocks = _xml_blocks(root)
        elif root is None and "<html" not in text[:SAMPLE].lower():
            raise CorruptFile("not well-formed XML and not HTML")
    for block in blocks:
        yield block
        budget -= len(block.text)
        if budget < 0:
            return


def decode(raw: bytes) -> str:
    """The text of an HTML/XML file: BOM, then declared charset, then a guess; never raises."""
    for bom, codec in BOMS:
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace").lstrip("\ufeff")
    if b"\x00" in raw[:SNIFF_WINDOW]:  # UTF-16 without a BOM: NULs are valid UTF-8, so guess first
        return raw.decode(detect_encoding(raw[:SAMPLE]) or "utf-16-le", errors="replace")
    declared = _CHARSET.search(raw[:SAMPLE]) or _XML_DECL.search(raw[:SAMPLE].lstrip())
    codec = codec_name(declared.group(1).decode("ascii", "replace")) if declared else None
    # a wrong declaration (GBK text declared UTF-8) happens: then UTF-8, GB18030, a guess
    for candidate in (codec, "utf-8", "gb18030"):
        if candidate is not None:
            try:
                return raw.decode(candidate)
            except UnicodeDecodeError:
                continue
    guessed = detect_encoding(raw[:SAMPLE]) or "utf-8"
    return raw.decode(guessed, errors="replace").lstrip("\ufeff")


def codec_name(label: str) -> str | None:
    """The Python codec for a declared charset label (GB2312 -> gb18030); None when unknown."""
    name = label.strip().lower()
    if name in _CHINESE:
        return "gb18030"  # declared GB2312 pages routinely hold GBK characters
    if name in _LATIN:
        return "cp1252"  # as browsers read it (WHATWG encoding standard)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def visible_text(markup: str) -> Iterator[str]:
    """The visible lines of an HTML fragment or page (body and table text, no title or meta)."""
    for block in _html_blocks(markup):
        if block.location.part in ("body", "table"):
            yield block.text


def _html_blocks(text: str) -> Iterator[TextBlock]:
    # etree's HTML parser, not lxml.html's: its per-element class lookup doubles the walk's time.
    # huge_tree lifts libxml2's nesting limit of 256, past which a whole page silently comes out empty;
    # the HTML parser never expands entities, so it opens no bomb.
    parser = etree.HTMLParser(remove_comments=False, remove_pis=True, no_network=True, huge_tree=True)
    text = _XML_DECL_TAG.sub("", text, count=1)  # lxml refuses text that declares an encoding
    root = etree.fromstring(text, parser) if text.strip() else None
    if root is not None:
        yield from _head(root)
        yield from _Body().walk(root)
    _check_cut_short(parser)


def _check_cut_short(parser: etree.HTMLParser) -> None:
    """Raise when libxml2 stopped early, which recovering HTML parsing otherwise hides: CorruptFile past
    its nesting limit (the rest of the page was dropped: a mark wrapped in 3000 <div>s would vanish),
    MemoryError when it ran out of memory."""
    for entry in parser.error_log:
        if entry.type == etree.ErrorTypes.ERR_NO_MEMORY:
            raise MemoryError("libxml2 ran out of memory parsing HTML")
        if entry.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise CorruptFile(f"HTML cut short, the rest was not read: {entry.message}")


def _head(root: etree._Element) -> Iterator[TextBlock]:
    for title in root.iter("title"):
        value = _SPACE.sub(" ", "".join(title.itertext())).strip()
        if value:
            yield TextBlock(value, Location(part="title"))
        break
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip()
        value = _SPACE.sub(" ", meta.get("content") or "").strip()
        if name and value and name.lower() not in TECHNICAL_META:
            yield TextBlock(value, Location(part="meta", name=name))
    for comment in root.iter(etree.Comment):
        if comment.text and "<o:" in comment.text:
            yield from word_properties(comment.text)


def word_properties(xml: str) -> Iterator[TextBlock]:
    """Document and custom properties from Word's ``<xml>`` island (names ``_xHHHH_``-escaped)."""
    for section, body in _WORD_SECTION.findall(xml):
        for tag, value in _WORD_FIELD.findall(body):
            value = html_lib.unescape(value).strip()
            if section == "DocumentProperties":
                name = WORD_FIELDS.get(tag)
            else:
                name = _XML_NAME_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), tag)
            if name and value:
                yield TextBlock(value, Location(part="properties", name=name))


class _Body:
    """Walks the element tree once, cutting text into lines and table cells (collected in ``out``)."""

    def __init__(self) -> None:
        self.paragraph = 0
        self.tables = 0
        self.line: list[str] = []  # the pieces of the current line outside tables
        self.cells: list[tuple[int, list[str]]] = []  # open cells, innermost last: (column, lines)
        self.grid: list[list[int]] = []  # open tables: [number, row, next free column (0-based)]
        self.pre = 0
        self.out: list[TextBlock] = []

    def walk(self, root: etree._Element) -> Iterator[TextBlock]:
        walker = etree.iterwalk(root, events=("start", "end", "comment"))
        for event, el in walker:
            tag = el.tag if isinstance(el.tag, str) else ""
            if event == "start":
                if tag in SKIP:
                    walker.skip_subtree()
                    continue
                if tag in BREAKS:
                    self.start(tag, el)
                if el.text:
                    self.add(el.text)
            else:
                if event == "end" and tag in BREAKS and tag not in SKIP:
                    self.end(tag)
                if el.tail:
                    self.add(el.tail)
            if self.out:
                yield from self.out
                self.out.clear()
        self.flush()
        yield from self.out

    def start(self, tag: str, el: etree._Element) -> None:
        self.flush()
        if tag == "table":
            self.tables += 1
            self.grid.append([self.tables, 0, 0])
        elif tag == "tr" and self.grid:
            self.grid[-1][1] += 1
            self.grid[-1][2] = 0
        elif tag in CELLS and self.grid:
            col = self.grid[-1][2]
            self.grid[-1][2] = col + _span(el.get("colspan"))
            self.cells.append((col, []))
        elif tag == "pre":
            self.pre += 1

    def end(self, tag: str) -> None:
        if tag not in ("br", "tr"):
            self.flush()
        if tag == "pre":
            self.pre -= 1
        elif tag in CELLS and self.grid and self.cells:
            number, row = self.grid[-1][0], max(self.grid[-1][1], 1)
            col, lines = self.cells.pop()
            if lines:
                location = Location(part="table", table=number, cell=f"{_column(col)}{row}")
                self.out.append(TextBlock("\n".join(lines), location))
        elif tag == "table" and self.grid:
            self.grid.pop()

    def add(self, text: str) -> None:
        if not self.pre:
            self.line.append(text)
            return
        first, *rest = text.split("\n")
        self.line.append(first)
        for piece in rest:
            self.flush()
            self.line.append(piece)

    def flush(self) -> None:
        if not self.line:
            return
        joined = "".join(self.line)
        text = (joined if self.pre else _SPACE.sub(" ", joined)).strip()
        self.line = []
        if not text:
            return
        if self.cells:
            self.cells[-1][1].append(text)
            return
        self.paragraph += 1
        self.out.append(TextBlock(text, Location(part="body", paragraph=self.paragraph)))


def _span(value: str | None) -> int:
    """Columns a cell spans (colspan), so cell letters are grid columns as in DOCX."""
    try:
        return min(max(1, int(value or 1)), 1000)
    except ValueError:
        return 1


def _column(index: int) -> str:
    """Spreadsheet-style column letters for a 0-based column index."""
    letters, n = "", index + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _xml_root(raw: bytes) -> etree._Element | None:
    """The root of a well-formed XML document (parsed safely), or None."""
    try:
        return etree.fromstring(raw, ooxml.parser())
    except etree.XMLSyntaxError:
        return None


def _xml_blocks(root: etree._Element) -> Iterator[TextBlock]:
    """Each element's own text (and text after it) of a generic XML document, numbered in order."""
    n = 0
    for el in root.iter():
        for piece in (el.text if isinstance(el.tag, str) else None, el.tail if el is not root else None):
            text = _SPACE.sub(" ", piece or "").strip()
            if text:
                n += 1
                yield TextBlock(text, Location(part="body", paragraph=n))
