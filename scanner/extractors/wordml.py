"""WordprocessingML paragraph walking for the DOCX extractor: runs, glyphs, breaks, shapes, tables.

Not an extractor itself (it has no FORMAT). ``inline`` walks a paragraph's content into an ``Acc``
(text, deleted text, text boxes and watermarks, note references), advancing a ``Flow`` (pages and
section starts of the main text) when it has one; ``flat`` and ``cells`` look through content
controls, custom XML and mc:AlternateContent to the paragraphs, tables and cells of a container.

Glyphs: a Wingdings symbol (``w:sym``, or a U+0080-U+00FF character in a run whose font is
Wingdings, such as ``«``) comes out as its private-use code point U+F0xx, so the Wingdings
star is always ``"\\uF0AB"``; other symbol fonts' codes come out as U+FFFD (``symbol_char``, which
the Word 97-2003 extractor shares).

Embedded objects: ``unwrap_object`` turns an OLE package object of ``word/embeddings/`` into the
file it wraps (``\\x01Ole10Native``, or an Acrobat ``CONTENTS`` stream), as a Member for the scanner.
"""

from __future__ import annotations

import posixpath
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from scanner.extractors.archive_limits import clean_name, decode_name
from scanner.extractors.ooxml import ALTERNATE_CONTENT, WINGDINGS, branch
from scanner.records import Member

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_V = "{urn:schemas-microsoft-com:vml}"
_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"

_R, _T, _TR, _TC, _RPR = (W + t for t in ("r", "t", "tr", "tc", "rPr"))
_BR, _CR, _SYM, _DELTEXT, _LRPB = (W + t for t in ("br", "cr", "sym", "delText", "lastRenderedPageBreak"))
_TXBX, _AC, _TEXTPATH, _VSHAPE = W + "txbxContent", ALTERNATE_CONTENT, _V + "textpath", _V + "shape"
_VAL, _TYPE = W + "val", W + "type"
_TABS = frozenset({W + "tab", W + "ptab"})
_SHAPES = frozenset({W + "drawing", W + "pict", W + "object"})
_DELETED = frozenset({W + "del", W + "moveFrom"})
_INLINE = frozenset(W + t for t in ("hyperlink", "ins", "moveTo", "smartTag", "customXml", "fldSimple",
                                    "sdt", "sdtContent", "bdo", "dir"))
_WRAPPERS = frozenset(W + t for t in ("sdt", "sdtContent", "customXml"))
_REFS = {W + "footnoteReference": "footnote", W + "endnoteReference": "endnote",
         W + "commentReference": "comment"}
_SYMBOL_FONTS = frozenset({"symbol", "wingdings 2", "wingdings 3", "webdings"})

Segment = tuple[int | None, bool, str]  # (page, section_start, text)


@dataclass(slots=True)
class Flow:
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


class Acc:
    """Collects the text of one paragraph (or table cell) and what hangs off it."""

    __slots__ = ("flow", "split", "parts", "segs", "page", "start", "deleted", "shapes", "deleting")

    def __init__(self, flow: Flow | None, split: bool = False) -> None:
        self.flow, self.split = flow, split  # split: an explicit page break inside starts a new block
        self.parts: list[str] = []
        self.segs: list[Segment] = []
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


def inline(el: etree._Element, acc: Acc) -> None:
    """Paragraph content: runs, also inside hyperlinks, insertions, fields and content controls."""
    for child in el:
        tag = child.tag
        if tag == _R:
            _run(child, acc)
        elif tag in _INLINE:
            inline(child, acc)
        elif tag in _DELETED:
            acc.deleting += 1
            inline(child, acc)
            acc.deleting -= 1
        elif tag == _AC:
            inline(branch(child), acc)


def _run(r: etree._Element, acc: Acc) -> None:
    wingdings = False
    for child in r:
        tag = child.tag
        if tag == _T:
            text = child.text
            if text:
                acc.add(text.translate(WINGDINGS) if wingdings else text)
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
            acc.add(_symbol(child.get(W + "font") or "", child.get(W + "char") or ""))
        elif tag == _DELTEXT:
            if child.text:
                acc.deleted.append(child.text)
        elif tag == _CR:
            acc.add("\n")
        elif tag in _SHAPES:
            _shapes(child, acc, False)
        elif tag == _AC:
            _run(branch(child), acc)
        elif tag in _REFS:
            acc.ref(f"{_REFS[tag]}:{child.get(W + 'id')}")
        elif tag == W + "noBreakHyphen":
            acc.add("-")


def _shapes(el: etree._Element, acc: Acc, watermark: bool) -> None:
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
            _shapes(branch(child), acc, watermark)
        elif tag == _DOCPR:
            watermark = watermark or "watermark" in (child.get("name") or "").lower()
        elif tag == _VSHAPE:
            _shapes(child, acc, watermark or "watermark" in (child.get("id") or "").lower())
        elif len(child):
            _shapes(child, acc, watermark)


def _page(acc: Acc) -> int | None:
    return acc.flow.page if acc.flow is not None else None


def _is_wingdings(rpr: etree._Element) -> bool:
    fonts = rpr.find(W + "rFonts")
    if fonts is None:
        return False
    return any((fonts.get(W + k) or "").strip().lower() == "wingdings" for k in ("ascii", "hAnsi"))


def _symbol(font: str, char: str) -> str:
    """A ``w:sym`` (its font and hexadecimal character code) as text."""
    try:
        code = int(char, 16)
    except ValueError:
        return "\ufffd"
    return symbol_char(font, code)


def symbol_char(font: str, code: int) -> str:
    """A symbol-font character as text: Wingdings codes as U+F0xx (the star is U+F0AB), other symbol
    fonts' codes and impossible code points as U+FFFD (see the module docstring)."""
    low = code < 0x100 or 0xF000 <= code <= 0xF0FF
    font = font.strip().lower()
    if font == "wingdings" and low:
        return chr(0xF000 | (code & 0xFF))
    if (low and font in _SYMBOL_FONTS) or 0xF000 <= code <= 0xF0FF or not 0 < code < 0x110000:
        return "\ufffd"
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)


def flat(el: etree._Element) -> Iterator[etree._Element]:
    """Children of a block container, looking through content controls, custom XML and mc branches."""
    for child in el:
        tag = child.tag
        if tag in _WRAPPERS:
            yield from flat(child)
        elif tag == _AC:
            yield from flat(branch(child))
        else:
            yield child


def cells(tbl: etree._Element) -> Iterator[tuple[int, int, etree._Element]]:
    """(row 1-based, grid column 0-based, w:tc) for each cell, honouring gridBefore and gridSpan."""
    row = 0
    for tr in flat(tbl):
        if tr.tag != _TR:
            continue
        row += 1
        col = _grid(tr.find(W + "trPr"), "gridBefore", 0)
        for tc in flat(tr):
            if tc.tag == _TC:
                yield row, col, tc
                col += max(1, _grid(tc.find(W + "tcPr"), "gridSpan", 1))


def _grid(props: etree._Element | None, name: str, default: int) -> int:
    el = props.find(W + name) if props is not None else None
    try:
        return int(el.get(_VAL, default)) if el is not None else default
    except ValueError:
        return default


def unwrap_object(name: str, blob: bytes) -> Member | None:
    """The file an OLE package object wraps (Ole10Native, Acrobat CONTENTS), else the object itself;
    None for an equation (Equation Editor / MathType objects hold formulas, not files or text)."""
    if not blob.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Member(name, blob)
    import olefile

    try:
        with olefile.OleFileIO(blob) as ole:
            if ole.exists("Equation Native"):
                return None
            if ole.exists("\x01Ole10Native"):
                wrapped = ole10native(ole.openstream("\x01Ole10Native").read())
                if wrapped is not None:
                    return Member(f"{name}/{wrapped[0]}", wrapped[1])
            if ole.exists("CONTENTS"):
                contents = ole.openstream("CONTENTS").read()
                if contents.startswith(b"%PDF"):
                    return Member(f"{name}/CONTENTS.pdf", contents)
    except (OSError, ValueError, EOFError, IndexError, TypeError, struct.error):
        pass  # not a readable compound file: the scanner reads the object as it is
    return Member(name, blob)


def ole10native(stream: bytes) -> tuple[str, bytes] | None:
    """(file name, bytes) of an OLE package object's ``\\x01Ole10Native`` stream; None when malformed.

    Layout: total size (4), flags (2), label and source path (NUL-terminated, ANSI), 4 bytes, temp
    path length (4) and temp path, data size (4) and the data.
    """
    try:
        label, pos = _cstring(stream, 6)
        source, pos = _cstring(stream, pos)
        (temp,) = struct.unpack_from("<I", stream, pos + 4)
        (size,) = struct.unpack_from("<I", stream, pos + 8 + temp)
    except (struct.error, ValueError):
        return None
    start = pos + 12 + temp
    data = stream[start:start + size]
    if len(data) != size:
        return None
    raw = (source or label).replace(b"\\", b"/")
    base = clean_name(posixpath.basename(decode_name(raw, "latin-1")))
    return (base or "package.bin"), data


def _cstring(blob: bytes, pos: int) -> tuple[bytes, int]:
    end = blob.index(b"\0", pos)
    return blob[pos:end], end + 1
