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
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import BinaryIO
from urllib.parse import unquote

from lxml import etree

from scanner.errors import CorruptFile
from scanner.extractors import ooxml
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "pptx"

MAIN = "ppt/presentation.xml"
DEFAULT_HEIGHT = 6858000  # EMU of a 7.5 inch (4:3 and 16:9 alike) slide when p:sldSz is missing
TOP_BAND, BOTTOM_BAND = 0.25, 0.90

_NS_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
_NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_P, _A = f"{{{_NS_P}}}", f"{{{_NS_A}}}"
_R_ID = f"{{{_NS_R}}}id"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_P188 = "{http://schemas.microsoft.com/office/powerpoint/2018/8/main}"  # modern (threaded) comments
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_STRICT = ((b"http://purl.oclc.org/ooxml/presentationml/main", _NS_P.encode()),
           (b"http://purl.oclc.org/ooxml/drawingml/main", _NS_A.encode()),
           (b"http://purl.oclc.org/ooxml/officeDocument/relationships", _NS_R.encode()))

_SP, _FRAME, _GROUP, _AC = _P + "sp", _P + "graphicFrame", _P + "grpSp", _MC + "AlternateContent"
_RUNS, _BR = frozenset({_A + "r", _A + "fld"}), _A + "br"
_PH = f"*/{_P}nvPr/{_P}ph"  # the placeholder mark under p:nvSpPr / p:nvGraphicFramePr
_TBL = f"{_A}graphic/{_A}graphicData/{_A}tbl"
_NOTES_SKIP = frozenset({"sldImg", "sldNum", "dt"})  # the slide picture, page number and date of a notes page
# The master placeholder a layout placeholder of this type inherits from (as PowerPoint and python-pptx do).
_BASE_TYPE = {"ctrTitle": "title", "subTitle": "body", "obj": "body", "chart": "body", "tbl": "body",
              "clipArt": "body", "dgm": "body", "media": "body", "pic": "body", "sldImg": "body"}
_OFF = frozenset({"0", "false", "off"})
_HIGH = re.compile("[\x80-\xff]")
_WING = {c: 0xF000 + c for c in range(0x80, 0x100)}  # Wingdings « is the star U+F0AB, as in docx

_Rels = dict[str, tuple[str, str]]  # rId -> (relationship kind such as "slide", target part name)
_Pos = tuple[float, float]  # (x, y) in EMU on the slide


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
class _Xf:
    """An affine map (offset and scale, no rotation) from a group's child coordinates to the slide."""

    ox: float = 0.0
    oy: float = 0.0
    sx: float = 1.0
    sy: float = 1.0

    def at(self, x: float, y: float) -> _Pos:
        return self.ox + self.sx * x, self.oy + self.sy * y

    def group(self, xfrm: etree._Element | None) -> _Xf:
        """This map composed with a p:grpSpPr/a:xfrm (off, ext, chOff, chExt)."""
        if xfrm is None:
            return self
        off, ext, ch_off, ch_ext = (xfrm.find(_A + t) for t in ("off", "ext", "chOff", "chExt"))
        kx = _emu(ext, "cx") / (_emu(ch_ext, "cx") or _emu(ext, "cx") or 1)
        ky = _emu(ext, "cy") / (_emu(ch_ext, "cy") or _emu(ext, "cy") or 1)
        gx, gy = _emu(off, "x") - kx * _emu(ch_off, "x"), _emu(off, "y") - ky * _emu(ch_off, "y")
        return _Xf(self.ox + self.sx * gx, self.oy + self.sy * gy, self.sx * kx, self.sy * ky)


@dataclass(frozen=True, slots=True)
class _Places:
    """Placeholder positions a slide inherits: its layout's (by idx, by type), then its master's (by type)."""

    layout: dict[str, _Pos] = field(default_factory=dict)
    master: dict[str, _Pos] = field(default_factory=dict)

    def find(self, ph: etree._Element) -> _Pos | None:
        kind, idx = ph.get("type") or "obj", ph.get("idx")
        for key in ((f"idx:{idx}",) if idx else ()) + (f"type:{kind}",):
            if key in self.layout:
                return self.layout[key]
        return self.master.get(f"type:{kind}") or self.master.get(f"type:{_BASE_TYPE.get(kind, 'body')}")


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
    places: dict[str, _Places] = field(default_factory=dict)  # layout part -> inherited positions


def _deck(zf: zipfile.ZipFile) -> Iterator[TextBlock]:
    root = _parse(zf, MAIN)
    if root is None:
        raise CorruptFile(f"presentation part {MAIN} is missing")
    if root.tag != _P + "presentation":
        raise CorruptFile(f"part {MAIN} is not a PresentationML presentation")
    rels = _rels(zf, MAIN)
    size = root.find(_P + "sldSz")
    deck = _Deck(zf, _emu(size, "cy") or DEFAULT_HEIGHT)
    for master in _targets(root, "sldMasterIdLst", rels):
        yield from _master(deck, master)
    authors = _authors(zf, rels)
    for number, slide in enumerate(_targets(root, "sldIdLst", rels), start=1):
        yield from _slide(deck, number, slide, authors)


def _master(deck: _Deck, name: str) -> Iterator[TextBlock]:
    """The non-placeholder text of a slide master, then of each of its layouts."""
    root = _parse(deck.zf, name)
    if root is None:
        return
    scope = _Scope("master", name=posixpath.basename(name), height=deck.height, placeholders=False)
    yield from _tree(root, scope, deck, _Places())
    for layout in _targets(root, "sldLayoutIdLst", _rels(deck.zf, name)):
        layout_root = _parse(deck.zf, layout)
        if layout_root is not None:
            scope = replace(scope, part="layout", name=posixpath.basename(layout))
            yield from _tree(layout_root, scope, deck, _Places())


def _slide(deck: _Deck, number: int, name: str, authors: dict[str, str]) -> Iterator[TextBlock]:
    """One slide's shapes, notes and comments; the first block opens the slide (section_start)."""
    root = _parse(deck.zf, name)
    if root is None:
        return
    rels = _rels(deck.zf, name)
    layout = next((t for k, t in rels.values() if k == "slideLayout"), None)
    body = _tree(root, _Scope("body", slide=number, height=deck.height), deck, _places(deck, layout))
    notes = (t for k, t in rels.values() if k == "notesSlide")
    first = True
    for block in chain(body, _notes(deck, number, next(notes, None)), _comments(deck, number, rels, authors)):
        if first:
            block, first = replace(block, section_start=True), False
        yield block


def _notes(deck: _Deck, number: int, name: str | None) -> Iterator[TextBlock]:
    root = _parse(deck.zf, name) if name else None
    if root is not None:
        yield from _tree(root, _Scope("notes", slide=number, skip=_NOTES_SKIP), deck, _Places())


def _tree(root: etree._Element, scope: _Scope, deck: _Deck, places: _Places) -> Iterator[TextBlock]:
    """The text of one part's shape tree in reading order: paragraphs and table cells."""
    tree = root.find(f"{_P}cSld/{_P}spTree")
    if tree is None:
        return
    shapes = sorted(_shapes(tree, _Xf(), places, scope), key=lambda s: (s.y or 0.0, s.x))
    paragraph = 0
    for shape in shapes:
        table = shape.el.find(_TBL)
        if table is not None:
            yield from _table(table, shape, scope, deck)
            continue
        body = shape.el.find(_P + "txBody")
        band = _band(shape.y, scope.height)
        for p in body.iterfind(_A + "p") if body is not None else ():
            text = _text(p)
            if text:
                paragraph += 1
                loc = Location(scope.part, slide=scope.slide, paragraph=paragraph, name=scope.name)
                yield TextBlock(text, loc, band=band)


def _shapes(tree: etree._Element, xf: _Xf, places: _Places, scope: _Scope) -> Iterator[_Shape]:
    """Text-bearing shapes (p:sp, graphic frames) under ``tree`` with their slide positions."""
    for el in tree:
        tag = el.tag
        if tag == _GROUP:
            yield from _shapes(el, xf.group(el.find(f"{_P}grpSpPr/{_A}xfrm")), places, scope)
        elif tag == _AC:
            yield from _shapes(_branch(el), xf, places, scope)
        elif tag == _SP or tag == _FRAME:
            ph = el.find(_PH)
            if ph is not None and (not scope.placeholders or (ph.get("type") or "obj") in scope.skip):
                continue
            off = el.find(f"{_P}spPr/{_A}xfrm/{_A}off" if tag == _SP else f"{_P}xfrm/{_A}off")
            if off is not None:
                x, y = xf.at(_emu(off, "x"), _emu(off, "y"))
                yield _Shape(y, x, xf.sy, el)
            else:
                pos = places.find(ph) if ph is not None else None
                yield _Shape(pos[1] if pos else None, pos[0] if pos else 0.0, xf.sy, el)


def _table(tbl: etree._Element, shape: _Shape, scope: _Scope, deck: _Deck) -> Iterator[TextBlock]:
    """Each cell of an a:tbl as one block; merged-over cells (hMerge/vMerge) hold no text of their own."""
    deck.tables += 1
    part = "table" if scope.part == "body" else scope.part
    top = shape.y
    for row, tr in enumerate(tbl.iterfind(_A + "tr"), start=1):
        band = _band(top, scope.height)
        for col, tc in enumerate(tc for tc in tr if tc.tag == _A + "tc"):
            if (tc.get("hMerge") or "0") not in _OFF or (tc.get("vMerge") or "0") not in _OFF:
                continue
            body = tc.find(_A + "txBody")
            paragraphs = body.iterfind(_A + "p") if body is not None else ()
            text = "\n".join(t for t in map(_text, paragraphs) if t)
            if text:
                loc = Location(part, slide=scope.slide, cell=f"{_column(col)}{row}", table=deck.tables,
                               name=scope.name)
                yield TextBlock(text, loc, band=band)
        if top is not None:
            top += _emu(tr, "h") * shape.sy


def _comments(deck: _Deck, number: int, rels: _Rels, authors: dict[str, str]) -> Iterator[TextBlock]:
    """Legacy (p:cm, text in p:text) and modern threaded comments (p188:cm and replies) of a slide."""
    for kind, target in rels.values():
        root = _parse(deck.zf, target) if kind == "comments" else None
        if root is None:
            continue
        for cm in root.iter(_P + "cm", _P188 + "cm", _P188 + "reply"):
            loc = Location("comment", slide=number, name=authors.get(cm.get("authorId") or ""))
            if cm.tag == _P + "cm":
                lines = (cm.findtext(_P + "text") or "").splitlines()
            else:
                body = cm.find(_P188 + "txBody")
                lines = [_text(p) for p in body.iterfind(_A + "p")] if body is not None else []
            for line in lines:
                if line.strip():
                    yield TextBlock(line.strip(), loc)


def _authors(zf: zipfile.ZipFile, rels: _Rels) -> dict[str, str]:
    """Comment author id -> name, from ppt/commentAuthors.xml (legacy) and ppt/authors.xml (modern)."""
    out: dict[str, str] = {}
    for kind, target in rels.values():
        root = _parse(zf, target) if kind in ("commentAuthors", "authors") else None
        for author in root.iter(_P + "cmAuthor", _P188 + "author") if root is not None else ():
            out.setdefault(author.get("id") or "", author.get("name") or "")
    return out


def _places(deck: _Deck, layout: str | None) -> _Places:
    """The placeholder positions a slide on ``layout`` inherits (cached per layout)."""
    if layout is None:
        return _Places()
    if layout not in deck.places:
        root = _parse(deck.zf, layout)
        master = next((t for k, t in _rels(deck.zf, layout).values() if k == "slideMaster"), None)
        master_root = _parse(deck.zf, master) if master else None
        deck.places[layout] = _Places(_positions(root, True), _positions(master_root, False))
    return deck.places[layout]


def _positions(root: etree._Element | None, by_idx: bool) -> dict[str, _Pos]:
    """"idx:N" / "type:T" -> (x, y) of the placeholders in a layout or master that have a position."""
    out: dict[str, _Pos] = {}
    tree = root.find(f"{_P}cSld/{_P}spTree") if root is not None else None
    for el in tree if tree is not None else ():
        ph, off = el.find(_PH), el.find(f"{_P}spPr/{_A}xfrm/{_A}off")
        if ph is None or off is None:
            continue
        pos = (float(_emu(off, "x")), float(_emu(off, "y")))
        if by_idx and ph.get("idx"):
            out.setdefault(f"idx:{ph.get('idx')}", pos)
        out.setdefault(f"type:{ph.get('type') or 'obj'}", pos)
    return out


def _text(p: etree._Element) -> str:
    """A paragraph's text: runs and fields joined, a line break as a space, stripped."""
    parts: list[str] = []
    _runs(p, parts)
    return "".join(parts).strip()


def _runs(el: etree._Element, parts: list[str]) -> None:
    for child in el:
        tag = child.tag
        if tag in _RUNS:
            text = child.findtext(_A + "t")
            if text:
                parts.append(text.translate(_WING) if _HIGH.search(text) and _wingdings(child) else text)
        elif tag == _BR:
            parts.append(" ")
        elif tag == _AC:
            _runs(_branch(child), parts)


def _wingdings(run: etree._Element) -> bool:
    rpr = run.find(_A + "rPr")
    if rpr is None:
        return False
    fonts = (rpr.find(_A + t) for t in ("latin", "sym"))
    return any(f is not None and (f.get("typeface") or "").strip().lower() == "wingdings" for f in fonts)


def _band(y: float | None, height: int | None) -> str | None:
    if y is None or not height:
        return None
    if y < TOP_BAND * height:
        return "top"
    return "bottom" if y >= BOTTOM_BAND * height else "middle"


def _column(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _emu(el: etree._Element | None, attr: str) -> int:
    """An integer coordinate attribute; 0 when absent or malformed (a position is a hint, not content)."""
    try:
        return int(el.get(attr) or 0) if el is not None else 0
    except ValueError:
        return 0


def _branch(ac: etree._Element) -> etree._Element:
    """The branch of mc:AlternateContent to read: the first Choice, else the Fallback (never both)."""
    fallback = None
    for child in ac:
        if child.tag == _MC + "Choice":
            return child
        if child.tag == _MC + "Fallback":
            fallback = child
    return fallback if fallback is not None else etree.Element("empty")


def _targets(root: etree._Element, listing: str, rels: _Rels) -> list[str]:
    """Part names of the r:id entries of a list such as p:sldIdLst, in order, those that resolve."""
    ids = root.find(_P + listing)
    found = (rels.get(el.get(_R_ID) or "") for el in (ids if ids is not None else ()))
    return [target for _kind, target in (r for r in found if r is not None)]


def _rels(zf: zipfile.ZipFile, part: str) -> _Rels:
    """rId -> (relationship kind, target part name) for one part's internal links, in file order."""
    folder, base = posixpath.split(part)
    root = _parse(zf, posixpath.join(folder, "_rels", base + ".rels"))
    out: _Rels = {}
    for rel in root.iter(_REL) if root is not None else ():
        if rel.get("TargetMode") != "External" and rel.get("Id"):
            kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
            target = unquote(rel.get("Target") or "")
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            out[rel.get("Id")] = (kind, posixpath.normpath(path))
    return out


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
