"""DOCX and the other WordprocessingML packages (.docm, .dotx, .dotm): text with its place.

Reads the package XML with lxml; python-docx is several times slower and drops ``w:sym``. Yields, in
this order: headers (every section, every type), the body (paragraphs, table cells, text boxes,
watermarks, deleted revision text), footers, footnotes, endnotes, comments, then the document
properties. Block text is stripped; empty paragraphs are counted but not yielded.

Glyphs: a Wingdings symbol (``w:sym``, or a U+0080-U+00FF character in a run whose font is
Wingdings, such as ``«``) comes out as its private-use code point U+F0xx, so the Wingdings
star is always ``"\\uF0AB"``; markings normalises it to ★ and can still name the glyph.
Other symbol fonts' codes come out as U+FFFD, since U+F0AB from them is not a star.

Pages: 1 + the page breaks seen so far (``w:br w:type="page"``, ``w:pageBreakBefore``,
non-continuous section breaks, ``w:lastRenderedPageBreak``; a rendered break right after a
counted one is the same page). ``section_start`` marks the first non-empty block after an
explicit page break or any section break; a rendered break only advances the page.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO
from urllib.parse import unquote

from lxml import etree

from scanner.errors import CorruptFile
from scanner.extractors import ooxml
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "docx"

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_V = "{urn:schemas-microsoft-com:vml}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OVERRIDE = "{http://schemas.openxmlformats.org/package/2006/content-types}Override"
_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
_STRICT = ((b"http://purl.oclc.org/ooxml/wordprocessingml/main", _W[1:-1].encode()),
           (b"http://purl.oclc.org/ooxml/officeDocument/relationships", _R_ID[1:-3].encode()))
_MAIN_TYPES = frozenset(f"application/vnd.{k}.main+xml" for k in (
    "openxmlformats-officedocument.wordprocessingml.document",
    "openxmlformats-officedocument.wordprocessingml.template",
    "ms-word.document.macroEnabled", "ms-word.template.macroEnabledTemplate"))
_ALT_MAIN = re.compile(r"word/document\d*\.xml")

_P, _R, _T, _TBL, _TR, _TC, _PPR, _RPR = (_W + t for t in ("p", "r", "t", "tbl", "tr", "tc", "pPr", "rPr"))
_BR, _CR, _SYM, _DELTEXT, _LRPB, _SECTPR = (
    _W + t for t in ("br", "cr", "sym", "delText", "lastRenderedPageBreak", "sectPr"))
_TXBX, _AC, _TEXTPATH, _VSHAPE = _W + "txbxContent", _MC + "AlternateContent", _V + "textpath", _V + "shape"
_VAL, _TYPE = _W + "val", _W + "type"
_TABS = frozenset({_W + "tab", _W + "ptab"})
_SHAPES = frozenset({_W + "drawing", _W + "pict", _W + "object"})
_DELETED = frozenset({_W + "del", _W + "moveFrom"})
_INLINE = frozenset(_W + t for t in ("hyperlink", "ins", "moveTo", "smartTag", "customXml", "fldSimple",
                                     "sdt", "sdtContent", "bdo", "dir"))
_WRAPPERS = frozenset(_W + t for t in ("sdt", "sdtContent", "customXml"))
_REFS = {_W + "footnoteReference": "footnote", _W + "endnoteReference": "endnote",
         _W + "commentReference": "comment"}
_SECTION_REFS = {_W + "headerReference": "header", _W + "footerReference": "footer"}
_ROOTS = {"header": _W + "hdr", "footer": _W + "ftr"}
_SEPARATORS = frozenset({"separator", "continuationSeparator", "continuationNotice"})
_OFF = frozenset({"0", "false", "off"})
_SYMBOL_FONTS = frozenset({"symbol", "wingdings 2", "wingdings 3", "webdings"})
_WING = {c: 0xF000 + c for c in range(0x80, 0x100)}

_Segment = tuple[int | None, bool, str]  # (page, section_start, text)
_Rels = dict[str, tuple[str, str]]  # rId -> (relationship kind such as "header", target part name)


def sniff(probe: Probe) -> bool:
    """True for a WordprocessingML package (.docx/.docm/.dotx/.dotm), whatever its name."""
    names = probe.zip_names
    if "word/document.xml" in names:
        return True
    return "[Content_Types].xml" in names and any(_ALT_MAIN.fullmatch(n) for n in names)


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield the document's text blocks in reading order, then its properties.

    Stops after about ``options.max_text_chars`` characters (properties are always given).
    Raises EncryptedFile (encrypted members), CorruptFile (no main part, broken XML),
    TooLarge (a part of bomb size).
    """
    with ooxml.open_package(data) as zf:
        budget = options.max_text_chars
        for block in _document(zf):
            yield block
            budget -= len(block.text)
            if budget < 0:
                break
        yield from ooxml.properties(zf)


@dataclass(slots=True)
class _Flow:
    """Where the main text flow stands: page, pending section start, counters, note references."""

    page: int = 1
    pending: bool = False  # a break was counted and no text followed yet
    start: bool = False  # the next non-empty block opens a page or section
    paragraph: int = 0
    table: int = 0
    refs: dict[str, int] = field(default_factory=dict)  # "footnote:2" -> page of its reference
    starts: dict[etree._Element, str] = field(default_factory=dict)  # ending sectPr -> next section's type

    def brk(self, rendered: bool = False) -> None:
        if not rendered:
            self.page += 1
            self.start = True
        elif not self.pending:
            self.page += 1
        self.pending = True


class _Acc:
    """Collects the text of one paragraph (or table cell) and what hangs off it."""

    __slots__ = ("flow", "split", "parts", "segs", "page", "start", "deleted", "shapes", "deleting")

    def __init__(self, flow: _Flow | None, split: bool = False) -> None:
        self.flow, self.split = flow, split  # split: an explicit page break inside starts a new block
        self.parts: list[str] = []
        self.segs: list[_Segment] = []
        self.page: int | None = None
        self.start = False
        self.deleted: list[str] = []
        self.shapes: list[tuple[int | None, str, object]] = []  # (page, "box"/"wmbox"/"mark", payload)
        self.deleting = 0

    def add(self, text: str) -> None:
        if self.deleting:
            self.deleted.append(text)
            return
        flow = self.flow
        if flow is not None and (self.page is None or flow.pending) and not text.isspace():
            flow.pending = False
            if self.page is None:
                self.page, self.start, flow.start = flow.page, flow.start, False
        self.parts.append(text)

    def page_break(self, rendered: bool) -> None:
        if self.flow is None:
            return
        if self.split and not rendered and self.page is not None:
            self.close()
        self.flow.brk(rendered)

    def close(self) -> None:
        text = "".join(self.parts).strip()
        if text:
            self.segs.append((self.page, self.start, text))
        self.parts, self.page, self.start = [], None, False

    def ref(self, key: str) -> None:
        if self.flow is not None:
            self.flow.refs.setdefault(key, self.flow.page)


def _document(zf: zipfile.ZipFile) -> Iterator[TextBlock]:
    main = _main_part(zf)
    root = _parse(zf, main)
    if root is None:
        raise CorruptFile(f"main document part {main} is missing")
    body = root.find(_W + "body")
    if root.tag != _W + "document" or body is None:
        raise CorruptFile(f"part {main} is not a WordprocessingML document body")
    rels = _rels(zf, main)
    sects = [s for s in body.iter(_SECTPR) if s.getparent().tag != _W + "sectPrChange"]
    sections = _section_parts(sects, rels)
    yield from _parts(zf, sections, "header")
    # a section's w:type says how it starts, so the break after a sectPr is the next one's type
    flow = _Flow(starts={s: _start_type(n) for s, n in zip(sects, sects[1:], strict=False)})
    yield from _body(body, flow)
    yield from _parts(zf, sections, "footer")
    yield from _notes(zf, rels, flow)


def _body(body: etree._Element, flow: _Flow) -> Iterator[TextBlock]:
    for el in _flat(body):
        if el.tag == _P:
            yield from _body_paragraph(el, flow)
        elif el.tag == _TBL:
            yield from _table(el, flow)


def _body_paragraph(p: etree._Element, flow: _Flow) -> Iterator[TextBlock]:
    flow.paragraph += 1
    n = flow.paragraph
    ppr = p.find(_PPR)
    sect = None
    if ppr is not None:
        pbb = ppr.find(_W + "pageBreakBefore")
        if pbb is not None and (n > 1 or flow.table) and pbb.get(_VAL) not in _OFF:
            flow.brk()
        sect = ppr.find(_SECTPR)
    acc = _Acc(flow, split=True)
    _inline(p, acc)
    acc.close()
    for page, start, text in acc.segs:
        yield TextBlock(text, Location("body", page=page, paragraph=n), section_start=start)
    if acc.deleted or acc.shapes:
        page = acc.segs[0][0] if acc.segs else flow.page
        yield from _extras(acc, Location("body", page=page, paragraph=n), flow)
    if sect is not None:
        if flow.starts.get(sect) in ("continuous", "nextColumn"):
            flow.start = True
        else:
            flow.brk()


def _table(tbl: etree._Element, flow: _Flow) -> Iterator[TextBlock]:
    """Each cell of a body table as one block (its paragraphs joined by newlines); nested tables after."""
    flow.table += 1
    number = flow.table
    for row, col, tc in _cells(tbl):
        acc = _Acc(flow)
        nested = []
        for el in _flat(tc):
            if el.tag == _P:
                if acc.parts:
                    acc.parts.append("\n")
                _inline(el, acc)
            elif el.tag == _TBL:
                nested.append(el)
        acc.close()
        page = acc.segs[0][0] if acc.segs else flow.page
        loc = Location("table", page=page, table=number, cell=f"{_column(col)}{row}")
        for _page, start, text in acc.segs:
            yield TextBlock(text, loc, section_start=start)
        yield from _extras(acc, loc, flow)
        for inner in nested:
            yield from _table(inner, flow)


def _extras(acc: _Acc, loc: Location, flow: _Flow) -> Iterator[TextBlock]:
    """Deleted text and the text boxes / watermarks anchored in a body paragraph or cell."""
    deleted = "".join(acc.deleted).strip()
    if deleted:
        yield TextBlock(deleted, replace(loc, part="revision", name=loc.part))
    for block in _shape_blocks(acc, None, Location("watermark")):
        if flow.start:
            block, flow.start = replace(block, section_start=True), False
        yield block


def _shape_blocks(acc: _Acc, loc: Location | None, mark: Location) -> Iterator[TextBlock]:
    """Text boxes at ``loc`` (None: a body text box on its page) and watermarks at ``mark``."""
    for page, kind, payload in acc.shapes:
        if page is not None:
            mark = replace(mark, page=page)
        if kind == "mark":
            yield TextBlock(str(payload), mark)
            continue
        box = mark if kind == "wmbox" else loc or Location("textbox", page=page)
        yield from _plain(payload, box, mark)  # type: ignore[arg-type]


def _plain(el: etree._Element, loc: Location, mark: Location) -> Iterator[TextBlock]:
    """Every paragraph under a header, note, comment or text box, table cells included, at ``loc``."""
    for child in _flat(el):
        if child.tag == _TBL:
            for _row, _col, tc in _cells(child):
                yield from _plain(tc, loc, mark)
        elif child.tag == _P:
            acc = _Acc(None)
            _inline(child, acc)
            acc.close()
            for _page, _start, text in acc.segs:
                yield TextBlock(text, loc)
            deleted = "".join(acc.deleted).strip()
            if deleted:
                yield TextBlock(deleted, replace(loc, part="revision", name=loc.part))
            yield from _shape_blocks(acc, loc, mark)


def _inline(el: etree._Element, acc: _Acc) -> None:
    """Paragraph content: runs, also inside hyperlinks, insertions, fields and content controls."""
    for child in el:
        tag = child.tag
        if tag == _R:
            _run(child, acc)
        elif tag in _INLINE:
            _inline(child, acc)
        elif tag in _DELETED:
            acc.deleting += 1
            _inline(child, acc)
            acc.deleting -= 1
        elif tag == _AC:
            _inline(_branch(child), acc)


def _run(r: etree._Element, acc: _Acc) -> None:
    wingdings = False
    for child in r:
        tag = child.tag
        if tag == _T:
            text = child.text
            if text:
                acc.add(text.translate(_WING) if wingdings else text)
        elif tag == _RPR:
            wingdings = _is_wingdings(child)
        elif tag in _TABS:
            acc.add("\t")
        elif tag == _BR:
            if child.get(_TYPE) == "page":
                acc.page_break(rendered=False)
            else:
                acc.add("\n")
        elif tag == _LRPB:
            acc.page_break(rendered=True)
        elif tag == _SYM:
            acc.add(_symbol(child.get(_W + "font") or "", child.get(_W + "char") or ""))
        elif tag == _DELTEXT:
            if child.text:
                acc.deleted.append(child.text)
        elif tag == _CR:
            acc.add("\n")
        elif tag in _SHAPES:
            _shapes(child, acc, False)
        elif tag == _AC:
            _run(_branch(child), acc)
        elif tag in _REFS:
            acc.ref(f"{_REFS[tag]}:{child.get(_W + 'id')}")
        elif tag == _W + "noBreakHyphen":
            acc.add("-")


def _shapes(el: etree._Element, acc: _Acc, watermark: bool) -> None:
    """Find text boxes and WordArt text (VML textpath) in a drawing, not descending into boxes."""
    for child in el:
        tag = child.tag
        if tag == _TXBX:
            acc.shapes.append((_page(acc), "wmbox" if watermark else "box", child))
        elif tag == _TEXTPATH:
            text = (child.get("string") or "").strip()
            if text:
                acc.shapes.append((_page(acc), "mark", text))
        elif tag == _AC:
            _shapes(_branch(child), acc, watermark)
        elif tag == _DOCPR:
            watermark = watermark or "watermark" in (child.get("name") or "").lower()
        elif tag == _VSHAPE:
            _shapes(child, acc, watermark or "watermark" in (child.get("id") or "").lower())
        elif len(child):
            _shapes(child, acc, watermark)


def _page(acc: _Acc) -> int | None:
    return acc.flow.page if acc.flow is not None else None


def _branch(ac: etree._Element) -> etree._Element:
    """The branch of mc:AlternateContent to read: the first Choice, else the Fallback (never both)."""
    fallback = ac
    for child in ac:
        if child.tag == _MC + "Choice":
            return child
        if child.tag == _MC + "Fallback":
            fallback = child
    return fallback if fallback is not ac else etree.Element("empty")


def _is_wingdings(rpr: etree._Element) -> bool:
    fonts = rpr.find(_W + "rFonts")
    if fonts is None:
        return False
    return any((fonts.get(_W + k) or "").strip().lower() == "wingdings" for k in ("ascii", "hAnsi"))


def _symbol(font: str, char: str) -> str:
    """A ``w:sym`` as text: Wingdings codes as U+F0xx (the star is U+F0AB), see the module docstring."""
    try:
        code = int(char, 16)
    except ValueError:
        return "\ufffd"
    low = code < 0x100 or 0xF000 <= code <= 0xF0FF
    font = font.strip().lower()
    if font == "wingdings" and low:
        return chr(0xF000 | (code & 0xFF))
    if (low and font in _SYMBOL_FONTS) or 0xF000 <= code <= 0xF0FF or not 0 < code < 0x110000:
        return "\ufffd"
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)


def _flat(el: etree._Element) -> Iterator[etree._Element]:
    """Children of a block container, looking through content controls, custom XML and mc branches."""
    for child in el:
        tag = child.tag
        if tag in _WRAPPERS:
            yield from _flat(child)
        elif tag == _AC:
            yield from _flat(_branch(child))
        else:
            yield child


def _cells(tbl: etree._Element) -> Iterator[tuple[int, int, etree._Element]]:
    """(row 1-based, grid column 0-based, w:tc) for each cell, honouring gridBefore and gridSpan."""
    row = 0
    for tr in _flat(tbl):
        if tr.tag != _TR:
            continue
        row += 1
        col = _grid(tr.find(_W + "trPr"), "gridBefore", 0)
        for tc in _flat(tr):
            if tc.tag == _TC:
                yield row, col, tc
                col += max(1, _grid(tc.find(_W + "tcPr"), "gridSpan", 1))


def _grid(props: etree._Element | None, name: str, default: int) -> int:
    el = props.find(_W + name) if props is not None else None
    try:
        return int(el.get(_VAL, default)) if el is not None else default
    except ValueError:
        return default


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _parts(zf: zipfile.ZipFile, sections: list[tuple[str, str, str]], kind: str) -> Iterator[TextBlock]:
    """The blocks of every header (or footer) part; an absent part (dangling reference) is skipped."""
    for part_kind, name, target in sections:
        root = _parse(zf, target) if part_kind == kind else None
        if root is not None and root.tag == _ROOTS[kind]:
            yield from _plain(root, Location(kind, name=name), Location("watermark", name=name))


def _notes(zf: zipfile.ZipFile, rels: _Rels, flow: _Flow) -> Iterator[TextBlock]:
    """Footnotes and endnotes (separators skipped) and comments (name = author), with reference pages."""
    targets = {kind: target for kind, target in rels.values()}
    for kind in ("footnote", "endnote", "comment"):
        root = _parse(zf, targets[kind + "s"]) if kind + "s" in targets else None
        if root is None:
            continue
        for note in root.iterchildren(_W + kind):
            if note.get(_TYPE) in _SEPARATORS:
                continue
            page = flow.refs.get(f"{kind}:{note.get(_W + 'id')}")
            name = (note.get(_W + "author") or None) if kind == "comment" else None
            yield from _plain(note, Location(kind, page=page, name=name), Location("watermark", page=page))


def _start_type(sect: etree._Element) -> str:
    kind = sect.find(_TYPE)
    return (kind.get(_VAL) or "nextPage") if kind is not None else "nextPage"


def _section_parts(sects: list[etree._Element], rels: _Rels) -> list[tuple[str, str, str]]:
    """(header|footer, default|first|even, part name) for every reference of every section, once."""
    seen: dict[str, tuple[str, str, str]] = {}
    for sect in sects:
        for ref in sect:
            kind = _SECTION_REFS.get(ref.tag)
            rel = rels.get(ref.get(_R_ID) or "")
            if kind is not None and rel is not None and rel[0] == kind:
                seen.setdefault(rel[1], (kind, ref.get(_TYPE) or "default", rel[1]))
    return list(seen.values())


def _main_part(zf: zipfile.ZipFile) -> str:
    """The main document part: from _rels/.rels, else [Content_Types].xml, else word/document.xml."""
    root = _parse(zf, "_rels/.rels")
    for rel in root.iter(_REL) if root is not None else ():
        if (rel.get("Type") or "").endswith("/officeDocument") and rel.get("TargetMode") != "External":
            name = _resolve("", rel.get("Target") or "")
            if ooxml.member_info(zf, name) is not None:
                return name
    types = _parse(zf, "[Content_Types].xml")
    for override in types.iter(_OVERRIDE) if types is not None else ():
        name = _resolve("", override.get("PartName") or "")
        if override.get("ContentType") in _MAIN_TYPES and ooxml.member_info(zf, name) is not None:
            return name
    return "word/document.xml"


def _rels(zf: zipfile.ZipFile, part: str) -> _Rels:
    """rId -> (relationship kind such as "header", target part name) for one part's internal links."""
    folder, base = posixpath.split(part)
    root = _parse(zf, posixpath.join(folder, "_rels", base + ".rels"))
    out: dict[str, tuple[str, str]] = {}
    for rel in root.iter(_REL) if root is not None else ():
        if rel.get("TargetMode") != "External" and rel.get("Id"):
            kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
            out[rel.get("Id")] = (kind, _resolve(folder, rel.get("Target") or ""))
    return out


def _resolve(folder: str, target: str) -> str:
    target = unquote(target)
    path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
    return posixpath.normpath(path)


def _parse(zf: zipfile.ZipFile, name: str) -> etree._Element | None:
    """Parse one part (Strict OOXML namespaces mapped to transitional); None when absent."""
    blob = ooxml.read_member(zf, name)
    if blob is None:
        return None
    if b"purl.oclc.org/ooxml/" in blob:
        for strict, transitional in _STRICT:
            blob = blob.replace(strict, transitional)
    try:
        return etree.fromstring(blob, ooxml.parser())
    except etree.XMLSyntaxError as exc:
        raise CorruptFile(f"part {name} is not well-formed XML: {exc}") from exc
