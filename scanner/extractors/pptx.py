"""PPTX and the other PresentationML packages (.pptm, .ppsx, .potx): slide text with its place.

Reads the package XML with lxml (python-pptx, used by the tests to build decks, was 1.5x slower on a
20-slide deck while reading less: no master text, comments or reading order). Yields, in this order:
each slide master and its layouts (text of NON-placeholder shapes only, since placeholder text there is
prompt text such as 单击此处编辑母版标题样式, while a 密级 text box on a master repeats on every
slide), then each slide in presentation order (hidden ones too): its shapes in reading order, its
speaker notes, its comments (legacy and modern); then the document properties.

Reading order: shapes sorted by top, then left; group members are placed through the group transforms;
a placeholder without a position of its own takes that of the layout placeholder with the same idx
(else type), else that of the master placeholder of that type. One block per non-empty paragraph (runs
and fields joined, a line break becomes a space); ``paragraph`` counts the non-empty paragraphs of the
slide (of its notes, of a master or layout). A table cell is one block (paragraphs joined by newlines)
with ``table`` counting tables across the deck. ``band`` comes from the top of the shape (of the table
row) against the slide height: "top" in the top 25%, "bottom" in the bottom 10%, else "middle"; notes
and comments have none. The first block of each slide has ``section_start`` (a slide is a new page).
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import BinaryIO

from lxml import etree

from scanner.errors import CorruptFile
from scanner.extractors import ooxml
from scanner.extractors.drawingml import NS_A, NS_P, PH, A, P, Places, Xf, emu, paragraph_text, positions
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "pptx"

MAIN = "ppt/presentation.xml"
DEFAULT_HEIGHT = 6858000  # EMU of a 7.5 inch (4:3 and 16:9 alike) slide when p:sldSz is missing
TOP_BAND, BOTTOM_BAND = 0.25, 0.90

_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_R_ID = f"{{{_NS_R}}}id"
_P188 = "{http://schemas.microsoft.com/office/powerpoint/2018/8/main}"  # modern (threaded) comments
_STRICT = ((b"http://purl.oclc.org/ooxml/presentationml/main", NS_P.encode()),
           (b"http://purl.oclc.org/ooxml/drawingml/main", NS_A.encode()),
           (b"http://purl.oclc.org/ooxml/officeDocument/relationships", _NS_R.encode()))

_SP, _FRAME, _GROUP, _AC = P + "sp", P + "graphicFrame", P + "grpSp", ooxml.ALTERNATE_CONTENT
_TBL = f"{A}graphic/{A}graphicData/{A}tbl"
_NOTES_SKIP = frozenset({"sldImg", "sldNum", "dt"})  # the slide picture, page number and date of a notes page
_OFF = frozenset({"0", "false", "off"})


def sniff(probe: Probe) -> bool:
    """True for a PresentationML package (pptx, pptm, ppsx, potx), whatever its name."""
    return MAIN in probe.zip_names


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield the deck's text blocks (see the module docstring), then its properties.

    Stops after ``options.max_text_chars`` characters (properties are always given).
    Raises EncryptedFile (encrypted members), CorruptFile (no presentation part, broken XML),
    TooLarge (a part of bomb size).
    """
    with ooxml.open_package(data) as zf:
        left = options.max_text_chars
        for block in _deck(zf):
            if len(block.text) >= left:
                if left > 0:
                    yield replace(block, text=block.text[:left])
                break
            left -= len(block.text)
            yield block
        yield from ooxml.properties(zf)


@dataclass(frozen=True, slots=True)
class _Shape:
    y: float | None  # top on the slide; None when neither the shape nor a placeholder it inherits says
    x: float
    sy: float  # vertical scale of the groups around it (table row heights are in its own units)
    el: etree._Element


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where the shapes of one part go: its Location fields, geometry, which placeholders to skip."""

    part: str  # body (a slide), notes, master, layout
    slide: int | None = None
    name: str | None = None
    height: int | None = None  # slide height in EMU when blocks get a band
    placeholders: bool = True  # False on masters and layouts, whose placeholder text is prompt text
    skip: frozenset[str] = frozenset()  # placeholder types never read


@dataclass(slots=True)
class _Deck:
    zf: zipfile.ZipFile
    height: int
    tables: int = 0
    places: dict[str, Places] = field(default_factory=dict)  # layout part -> inherited positions


def _deck(zf: zipfile.ZipFile) -> Iterator[TextBlock]:
    root = ooxml.parse_member(zf, MAIN, _STRICT)
    if root is None:
        raise CorruptFile(f"presentation part {MAIN} is missing")
    if root.tag != P + "presentation":
        raise CorruptFile(f"part {MAIN} is not a PresentationML presentation")
    rels = ooxml.rels(zf, MAIN, _STRICT)
    size = root.find(P + "sldSz")
    deck = _Deck(zf, emu(size, "cy") or DEFAULT_HEIGHT)
    for master in _targets(root, "sldMasterIdLst", rels):
        yield from _master(deck, master)
    authors = _authors(zf, rels)
    for number, slide in enumerate(_targets(root, "sldIdLst", rels), start=1):
        yield from _slide(deck, number, slide, authors)


def _master(deck: _Deck, name: str) -> Iterator[TextBlock]:
    """The non-placeholder text of a slide master, then of each of its layouts."""
    root = ooxml.parse_member(deck.zf, name, _STRICT)
    if root is None:
        return
    scope = _Scope("master", name=posixpath.basename(name), height=deck.height, placeholders=False)
    yield from _tree(root, scope, deck, Places())
    for layout in _targets(root, "sldLayoutIdLst", ooxml.rels(deck.zf, name, _STRICT)):
        layout_root = ooxml.parse_member(deck.zf, layout, _STRICT)
        if layout_root is not None:
            scope = replace(scope, part="layout", name=posixpath.basename(layout))
            yield from _tree(layout_root, scope, deck, Places())


def _slide(deck: _Deck, number: int, name: str, authors: dict[str, str]) -> Iterator[TextBlock]:
    """One slide's shapes, notes and comments; the first block opens the slide (section_start)."""
    root = ooxml.parse_member(deck.zf, name, _STRICT)
    if root is None:
        return
    rels = ooxml.rels(deck.zf, name, _STRICT)
    layout = next((t for k, t in rels.values() if k == "slideLayout"), None)
    body = _tree(root, _Scope("body", slide=number, height=deck.height), deck, _places(deck, layout))
    notes = (t for k, t in rels.values() if k == "notesSlide")
    first = True
    for block in chain(body, _notes(deck, number, next(notes, None)), _comments(deck, number, rels, authors)):
        if first:
            block, first = replace(block, section_start=True), False
        yield block


def _notes(deck: _Deck, number: int, name: str | None) -> Iterator[TextBlock]:
    root = ooxml.parse_member(deck.zf, name, _STRICT) if name else None
    if root is not None:
        yield from _tree(root, _Scope("notes", slide=number, skip=_NOTES_SKIP), deck, Places())


def _tree(root: etree._Element, scope: _Scope, deck: _Deck, places: Places) -> Iterator[TextBlock]:
    """The text of one part's shape tree in reading order: paragraphs and table cells."""
    tree = root.find(f"{P}cSld/{P}spTree")
    if tree is None:
        return
    shapes = sorted(_shapes(tree, Xf(), places, scope), key=lambda s: (s.y or 0.0, s.x))
    paragraph = 0
    for shape in shapes:
        table = shape.el.find(_TBL)
        if table is not None:
            yield from _table(table, shape, scope, deck)
            continue
        body = shape.el.find(P + "txBody")
        band = _band(shape.y, scope.height)
        for p in body.iterfind(A + "p") if body is not None else ():
            text = paragraph_text(p)
            if text:
                paragraph += 1
                loc = Location(scope.part, slide=scope.slide, paragraph=paragraph, name=scope.name)
                yield TextBlock(text, loc, band=band)


def _shapes(tree: etree._Element, xf: Xf, places: Places, scope: _Scope) -> Iterator[_Shape]:
    """Text-bearing shapes (p:sp, graphic frames) under ``tree`` with their slide positions."""
    for el in tree:
        tag = el.tag
        if tag == _GROUP:
            yield from _shapes(el, xf.group(el.find(f"{P}grpSpPr/{A}xfrm")), places, scope)
        elif tag == _AC:
            yield from _shapes(ooxml.branch(el), xf, places, scope)
        elif tag == _SP or tag == _FRAME:
            ph = el.find(PH)
            if ph is not None and (not scope.placeholders or (ph.get("type") or "obj") in scope.skip):
                continue
            off = el.find(f"{P}spPr/{A}xfrm/{A}off" if tag == _SP else f"{P}xfrm/{A}off")
            if off is not None:
                x, y = xf.at(emu(off, "x"), emu(off, "y"))
                yield _Shape(y, x, xf.sy, el)
            else:
                pos = places.find(ph) if ph is not None else None
                yield _Shape(pos[1] if pos else None, pos[0] if pos else 0.0, xf.sy, el)


def _table(tbl: etree._Element, shape: _Shape, scope: _Scope, deck: _Deck) -> Iterator[TextBlock]:
    """Each cell of an a:tbl as one block; merged-over cells (hMerge/vMerge) hold no text of their own."""
    deck.tables += 1
    part = "table" if scope.part == "body" else scope.part
    top = shape.y
    for row, tr in enumerate(tbl.iterfind(A + "tr"), start=1):
        band = _band(top, scope.height)
        for col, tc in enumerate(tc for tc in tr if tc.tag == A + "tc"):
            if (tc.get("hMerge") or "0") not in _OFF or (tc.get("vMerge") or "0") not in _OFF:
                continue
            body = tc.find(A + "txBody")
            paragraphs = body.iterfind(A + "p") if body is not None else ()
            text = "\n".join(t for t in map(paragraph_text, paragraphs) if t)
            if text:
                cell = f"{ooxml.column_name(col)}{row}"
                loc = Location(part, slide=scope.slide, cell=cell, table=deck.tables, name=scope.name)
                yield TextBlock(text, loc, band=band)
        if top is not None:
            top += emu(tr, "h") * shape.sy


def _comments(deck: _Deck, number: int, rels: ooxml.Rels, authors: dict[str, str]) -> Iterator[TextBlock]:
    """Legacy (p:cm, text in p:text) and modern threaded comments (p188:cm and replies) of a slide."""
    for kind, target in rels.values():
        root = ooxml.parse_member(deck.zf, target, _STRICT) if kind == "comments" else None
        if root is None:
            continue
        for cm in root.iter(P + "cm", _P188 + "cm", _P188 + "reply"):
            loc = Location("comment", slide=number, name=authors.get(cm.get("authorId") or ""))
            if cm.tag == P + "cm":
                lines = (cm.findtext(P + "text") or "").splitlines()
            else:
                body = cm.find(_P188 + "txBody")
                lines = [paragraph_text(p) for p in body.iterfind(A + "p")] if body is not None else []
            for line in lines:
                if line.strip():
                    yield TextBlock(line.strip(), loc)


def _authors(zf: zipfile.ZipFile, rels: ooxml.Rels) -> dict[str, str]:
    """Comment author id -> name, from ppt/commentAuthors.xml (legacy) and ppt/authors.xml (modern)."""
    out: dict[str, str] = {}
    for kind, target in rels.values():
        root = ooxml.parse_member(zf, target, _STRICT) if kind in ("commentAuthors", "authors") else None
        for author in root.iter(P + "cmAuthor", _P188 + "author") if root is not None else ():
            out.setdefault(author.get("id") or "", author.get("name") or "")
    return out


def _places(deck: _Deck, layout: str | None) -> Places:
    """The placeholder positions a slide on ``layout`` inherits (cached per layout)."""
    if layout is None:
        return Places()
    if layout not in deck.places:
        root = ooxml.parse_member(deck.zf, layout, _STRICT)
        rels = ooxml.rels(deck.zf, layout, _STRICT)
        master = next((t for k, t in rels.values() if k == "slideMaster"), None)
        master_root = ooxml.parse_member(deck.zf, master, _STRICT) if master else None
        deck.places[layout] = Places(positions(root, True), positions(master_root, False))
    return deck.places[layout]


def _band(y: float | None, height: int | None) -> str | None:
    if y is None or not height:
        return None
    if y < TOP_BAND * height:
        return "top"
    return "bottom" if y >= BOTTOM_BAND * height else "middle"


def _targets(root: etree._Element, listing: str, rels: ooxml.Rels) -> list[str]:
    """Part names of the r:id entries of a list such as p:sldIdLst, in order, those that resolve."""
    ids = root.find(P + listing)
    found = (rels.get(el.get(_R_ID) or "") for el in (ids if ids is not None else ()))
    return [target for _kind, target in (r for r in found if r is not None)]
