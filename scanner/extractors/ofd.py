"""OFD (GB/T 33190-2016) documents: page text as positioned lines, DocInfo metadata, annotations.

An OFD file is a zip package: ``OFD.xml`` names documents (DocBody: DocInfo, DocRoot
``Doc_0/Document.xml``); a document lists its pages (``Pages/Page_N/Content.xml``), template
pages, resource files and annotations. Coordinates are millimetres from the top-left corner.

The text of every TextObject of a page (in layers, PageBlocks, and CompositeObjects whose units
live in resource files), with the text of the template pages it uses (a 版头 drawn once for every
page), is regrouped into lines by position with the PDF extractor's grouping: top to bottom, then
left to right, each line with its band from the page's PhysicalBox. So a mark written last in
Content.xml but standing at the top comes first.

Yields: each DocBody's DocInfo ("properties", name = field or CustomData Name); then per page its
lines ("body", page, line, band) and its annotations' Remark, Appearance lines and Parameter values
("comment", page, name = creator; "watermark" for Type="Watermark"). Pages are numbered on across
documents; a second document's first block has ``section_start``. Not read: signatures and seals
(binary SES structures whose appearance is a picture; a stamp annotation with text is read as an
annotation), attachments, custom tags, versions. ReadDirection is not applied to glyph positions.

Errors: Encryptions.xml (GM/T 0099) or encrypted zip members -> EncryptedFile. A missing or broken
OFD.xml or Document.xml -> CorruptFile at once; a missing or broken page, template or annotation
part -> CorruptFile after the readable pages were yielded. Entities are never expanded (an entity
bomb is broken XML; text behind a small entity reference is left out).
"""

from __future__ import annotations

import math
import posixpath
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import BinaryIO

from lxml import etree

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors import ooxml
from scanner.extractors.pdf import _group_lines, _join, _line_blocks, _Seg
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "ofd"

Matrix = tuple[float, float, float, float, float, float]  # a b c d e f: (x, y) -> (ax+cy+e, bx+dy+f)
Box = tuple[float, float, float, float]  # x, y, width, height (ST_Box)

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
A4: Box = (0.0, 0.0, 210.0, 297.0)  # when neither page, template nor document gives a PhysicalBox
DEFAULT_SIZE = 3.5  # mm, for a TextObject without a Size
ASCENT, DESCENT = 0.85, 0.15  # shares of the font size above and below the baseline
MIN_HEIGHT = 0.35  # mm (1 pt): a degenerate text box still gets a height
MAX_NESTING = 8  # graphic units expanded inside graphic units
UNIT_OBJECTS = 50_000  # objects read from graphic units for one page (or template, or annotation)
DOC_INFO = ("Title", "Author", "Subject", "Abstract", "Keywords", "Creator")


def sniff(probe: Probe) -> bool:
    """True for a zip package with the OFD entry point ``OFD.xml`` at its root, whatever its name."""
    return "OFD.xml" in probe.zip_names


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield DocInfo properties, then page lines and annotations (see the module docstring).

    Stops after about ``options.max_text_chars`` characters (properties are always given).
    Raises EncryptedFile, CorruptFile (see above), TooLarge (a part of bomb size).
    """
    with ooxml.open_package(data) as zf:
        pkg = _Package(zf)
        if pkg.find("Encryptions.xml") is not None:
            raise EncryptedFile("OFD package has encrypted parts (Encryptions.xml)")
        entry = pkg.find("OFD.xml")
        if entry is None:
            raise CorruptFile("OFD.xml is missing")
        bodies = pkg.parse(entry).findall("{*}DocBody")
        if not bodies:
            raise CorruptFile("OFD.xml names no DocBody")
        for body in bodies:
            yield from _doc_info(body)
        budget = options.max_text_chars
        for block in _documents(pkg, bodies):
            budget -= len(block.text)
            if budget < 0:
                break
            yield block
        if pkg.problems:
            more = f" (and {len(pkg.problems) - 1} more)" if len(pkg.problems) > 1 else ""
            raise CorruptFile(pkg.problems[0] + more)


class _Package:
    """The zip package: parts found by OFD locations (absolute, relative, any case), parsed safely."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names = {name.lower(): name for name in zf.namelist()}
        self.problems: list[str] = []  # missing or broken parts passed over so far

    def find(self, loc: str, *bases: str) -> str | None:
        """The part ``loc`` names, relative to each folder of ``bases`` in turn, then to the root."""
        loc = loc.strip().replace("\\", "/")
        if not loc:
            return None
        for base in ("",) if loc.startswith("/") else (*bases, ""):
            name = posixpath.normpath(posixpath.join(base, loc.lstrip("/")))
            if (hit := self.names.get(name.lower())) is not None:
                return hit
        return None

    def parse(self, name: str) -> etree._Element:
        """The parsed part (never expanding entities). Raises CorruptFile, TooLarge."""
        root = ooxml.parse_member(self.zf, name)
        if root is None:
            raise CorruptFile(f"part {name} is missing")
        return root

    def load(self, loc: str, what: str, *bases: str) -> tuple[str, etree._Element] | None:
        """(name, root) of the part ``loc``; None, with the problem noted, when missing or broken."""
        name = self.find(loc, *bases)
        if name is None:
            self.problems.append(f"{what}: part {loc!r} is missing")
            return None
        try:
            return name, self.parse(name)
        except CorruptFile as exc:
            self.problems.append(f"{what}: {exc}")
            return None


@dataclass(slots=True)
class _Doc:
    """One document (DocBody): its folder, common data, and what was loaded of it so far."""

    pkg: _Package
    base: str  # folder of Document.xml; locations in it are relative to this
    area: Box  # CommonData PageArea PhysicalBox
    templates: dict[str, str]  # TemplatePage ID -> location of its content
    pending: list[tuple[str, str]]  # resource files (location, folder) not indexed yet
    units: dict[str, etree._Element] = field(default_factory=dict)  # CompositeGraphicUnit by ID
    loaded: set[str] = field(default_factory=set)
    cache: dict[str, tuple[list[_Seg], Box | None]] = field(default_factory=dict)  # templates
    budget: int = UNIT_OBJECTS  # objects still to be read from graphic units (see _segments)

    def unit(self, rid: str) -> etree._Element | None:
        """The CompositeGraphicUnit ``rid``, indexing resource files on first need."""
        while rid not in self.units and self.pending:
            loc, folder = self.pending.pop(0)
            if not loc or self.pkg.find(loc, folder, self.base) in self.loaded:
                continue
            if (loaded := self.pkg.load(loc, "resources", folder, self.base)) is None:
                continue
            self.loaded.add(loaded[0])
            for unit in loaded[1].iter("{*}CompositeGraphicUnit"):
                self.units.setdefault(unit.get("ID", ""), unit)
        return self.units.get(rid)

    def template(self, tid: str) -> tuple[list[_Seg], Box | None]:
        """The text segments and PhysicalBox of template page ``tid``, read once."""
        if tid not in self.cache:
            self.cache[tid] = ([], None)
            loaded = self.pkg.load(self.templates.get(tid, ""), f"template page {tid}", self.base)
            if loaded is not None:
                root = loaded[1]
                self.cache[tid] = (_segments(self, root, IDENTITY), _physical_box(root.find("{*}Area")))
        return self.cache[tid]


def _documents(pkg: _Package, bodies: list[etree._Element]) -> Iterator[TextBlock]:
    number = 0
    for index, body in enumerate(bodies):
        doc, pages, annotations = _open_document(pkg, body)
        opening = index > 0
        for page in pages:
            number += 1
            loc = page.get("BaseLoc") or _child_text(page, "BaseLoc")  # some producers write a child
            notes = annotations.get(page.get("ID", ""), ())
            for block in chain(_page_blocks(doc, loc, number), _annotations(doc, notes, number)):
                yield replace(block, section_start=True) if opening else block
                opening = False


def _open_document(pkg: _Package, body: etree._Element
                   ) -> tuple[_Doc, list[etree._Element], dict[str, list[str]]]:
    """The document of a DocBody, its page entries, and its annotation parts by page ID.

    Raises CorruptFile when Document.xml or its page list is missing or broken.
    """
    loc = _child_text(body, "DocRoot")
    name = pkg.find(loc)
    if name is None:
        raise CorruptFile(f"document root {loc or '(none)'} is missing")
    root = pkg.parse(name)
    pages = root.find("{*}Pages")
    if pages is None:
        raise CorruptFile(f"{name} has no Pages")
    base = posixpath.dirname(name)
    common = root.find("{*}CommonData")
    common = common if common is not None else etree.Element("CommonData")
    templates = {t.get("ID", ""): t.get("BaseLoc", "") for t in common.iterfind("{*}TemplatePage")}
    res = [(_text(r).strip(), base) for r in common.iterfind("{*}PublicRes")]
    res += [(_text(r).strip(), base) for r in common.iterfind("{*}DocumentRes")]
    doc = _Doc(pkg, base, _physical_box(common.find("{*}PageArea")) or A4, templates, res)
    return doc, pages.findall("{*}Page"), _annotation_parts(doc, root)


def _page_blocks(doc: _Doc, loc: str, number: int) -> Iterator[TextBlock]:
    """The lines of one page, its templates' text included, each with its band."""
    loaded = doc.pkg.load(loc, f"page {number}", doc.base)
    if loaded is None:
        return
    name, root = loaded
    folder = posixpath.dirname(name)
    doc.pending += [(_text(r).strip(), folder) for r in root.iterfind("{*}PageRes")]
    area = _physical_box(root.find("{*}Area"))
    segments: list[_Seg] = []
    for ref in root.iterfind("{*}Template"):
        text, template_area = doc.template(ref.get("TemplateID", ""))
        segments += text
        area = area or template_area
    segments += _segments(doc, root, IDENTITY)
    x0, y0, _, height = area or doc.area
    if x0 or y0:
        segments = [_Seg(s.text, s.left - x0, s.top - y0, s.right - x0, s.bottom - y0) for s in segments]
    yield from _line_blocks((segments, height), number)


def _segments(doc: _Doc, container: etree._Element, outer: Matrix,
              path: tuple[str, ...] = ()) -> list[_Seg]:
    """Boxed text runs of the TextObjects in ``container`` (any nesting), in page coordinates.

    ``path`` holds the graphic units being expanded: a unit is never expanded inside itself, and
    units nest at most MAX_NESTING deep and yield at most UNIT_OBJECTS objects per call from the
    top, so units that reference each other many times cannot fan out like an entity bomb.
    """
    if not path:
        doc.budget = UNIT_OBJECTS
    out: list[_Seg] = []
    for obj in container.iter("{*}TextObject", "{*}CompositeObject"):
        if path:
            doc.budget -= 1
            if doc.budget < 0:
                break
        matrix = _object_matrix(obj, outer)
        if obj.tag.rpartition("}")[2] == "TextObject":
            out += _text_runs(obj, matrix)
            continue
        rid = obj.get("ResourceID", "")
        unit = doc.unit(rid) if rid not in path and len(path) < MAX_NESTING else None
        content = unit.find("{*}Content") if unit is not None else None
        if content is not None:
            out += _segments(doc, content, matrix, (*path, rid))
    return out


def _text_runs(obj: etree._Element, matrix: Matrix) -> Iterator[_Seg]:
    """One segment per TextCode: its text and box (font ascent to descent) on the page."""
    size = _float(obj.get("Size"), DEFAULT_SIZE)
    x = y = 0.0
    for code in obj.iterchildren("{*}TextCode"):
        x, y = _float(code.get("X"), x), _float(code.get("Y"), y)
        text = _text(code)
        if words := text.split():  # tabs and line breaks inside a TextCode become single spaces
            box = _run_box(text, x, y, size, code.get("DeltaX"), code.get("DeltaY"))
            yield _Seg(" ".join(words), *_transform(box, matrix))


def _run_box(text: str, x: float, y: float, size: float, delta_x: str | None,
             delta_y: str | None) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the visible glyphs of a TextCode in object space."""
    gaps = len(text) - 1
    dy = _deltas(delta_y, gaps)
    dx = _deltas(delta_x, gaps) or ([0.0] * gaps if dy else [_advance(c, size) for c in text[:-1]])
    dy = dy or [0.0] * gaps
    left = top = math.inf
    right = bottom = -math.inf
    for i, char in enumerate(text):
        if not char.isspace():
            left, right = min(left, x), max(right, x + _advance(char, size))
            top, bottom = min(top, y), max(bottom, y)
        if i < gaps:
            x, y = x + dx[i], y + dy[i]
    return left, top - ASCENT * size, right, bottom + DESCENT * size


def _advance(char: str, size: float) -> float:
    """A glyph's natural width: full for CJK and other wide characters, half otherwise."""
    return size if unicodedata.east_asian_width(char) in "WF" else size / 2


def _deltas(raw: str | None, count: int) -> list[float] | None:
    """``count`` offsets from a DeltaX/DeltaY array (``g N v`` repeats v N times; the last value
    fills a short array); None when absent or malformed."""
    if not raw or count <= 0:
        return None
    tokens, out, i = raw.split(), [], 0
    try:
        while i < len(tokens) and len(out) < count:
            if tokens[i] == "g" and i + 2 < len(tokens):
                out += [float(tokens[i + 2])] * min(int(tokens[i + 1]), count - len(out))
                i += 3
            else:
                out.append(float(tokens[i]))
                i += 1
    except ValueError:
        return None
    if not out or not all(math.isfinite(v) for v in out):
        return None
    return out + [out[-1]] * (count - len(out))


def _object_matrix(obj: etree._Element, outer: Matrix) -> Matrix:
    """Object space to page space: the object's CTM, then its Boundary origin, then ``outer``."""
    a, b, c, d, e, f = _floats(obj.get("CTM"), 6) or IDENTITY
    bx, by = (_floats(obj.get("Boundary"), 4) or (0.0, 0.0))[:2]
    e, f = e + bx, f + by
    if outer is IDENTITY:
        return a, b, c, d, e, f
    a2, b2, c2, d2, e2, f2 = outer
    return (a2 * a + c2 * b, b2 * a + d2 * b, a2 * c + c2 * d, b2 * c + d2 * d,
            a2 * e + c2 * f + e2, b2 * e + d2 * f + f2)


def _transform(box: tuple[float, float, float, float], m: Matrix) -> tuple[float, float, float, float]:
    """The page-space bounding box (left, top, right, bottom) of an object-space box."""
    if m[1] == m[2] == 0 and m[0] > 0 and m[3] * (box[3] - box[1]) >= MIN_HEIGHT:  # no rotation
        return m[0] * box[0] + m[4], m[3] * box[1] + m[5], m[0] * box[2] + m[4], m[3] * box[3] + m[5]
    corners = [(x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
    xs = [m[0] * x + m[2] * y + m[4] for x, y in corners]
    ys = [m[1] * x + m[3] * y + m[5] for x, y in corners]
    centre, half = (min(ys) + max(ys)) / 2, max(max(ys) - min(ys), MIN_HEIGHT) / 2
    return min(xs), centre - half, max(xs), centre + half


def _annotation_parts(doc: _Doc, root: etree._Element) -> dict[str, list[str]]:
    """Page ID -> the page annotation parts listed in the document's Annotations.xml."""
    loc = _child_text(root, "Annotations")
    loaded = doc.pkg.load(loc, "annotations", doc.base) if loc else None
    if loaded is None:
        return {}
    name, index = loaded
    parts: dict[str, list[str]] = {}
    for page in index.iterfind("{*}Page"):
        file_loc = _child_text(page, "FileLoc")
        part = doc.pkg.find(file_loc, posixpath.dirname(name), doc.base)
        if part is None:
            doc.pkg.problems.append(f"annotations: part {file_loc!r} is missing")
        else:
            parts.setdefault(page.get("PageID", ""), []).append(part)
    return parts


def _annotations(doc: _Doc, parts: Iterable[str], number: int) -> Iterator[TextBlock]:
    """The text of each annotation of page ``number``: Remark, Appearance lines, Parameters."""
    for part in parts:
        loaded = doc.pkg.load("/" + part, f"annotations of page {number}")
        for annot in loaded[1].iterfind("{*}Annot") if loaded else ():
            if annot.get("Type") == "Watermark":
                location = Location("watermark", page=number)
            else:
                location = Location("comment", page=number, name=annot.get("Creator") or None)
            texts = [_child_text(annot, "Remark")]
            appearance = annot.find("{*}Appearance")
            if appearance is not None:
                lines = _group_lines(_segments(doc, appearance, IDENTITY))
                texts += [_join(line) for line, _ in lines]
            texts += [_text(p).strip() for p in annot.iterfind("{*}Parameters/{*}Parameter")]
            yield from (TextBlock(text, location) for text in texts if text)


def _doc_info(body: etree._Element) -> Iterator[TextBlock]:
    """DocInfo fields and CustomData entries of one DocBody, as properties."""
    info = body.find("{*}DocInfo")
    if info is None:
        return
    for name in DOC_INFO:
        el = info.find("{*}" + name)
        if el is None:
            continue
        if name == "Keywords":
            value = " ".join(t for k in el.iterfind("{*}Keyword") if (t := _text(k).strip()))
        else:
            value = _text(el).strip()
        if value:
            yield TextBlock(value, Location("properties", name=name))
    for custom in info.iterfind("{*}CustomDatas/{*}CustomData"):
        if value := _text(custom).strip():
            yield TextBlock(value, Location("properties", name=custom.get("Name") or "CustomData"))


def _physical_box(area: etree._Element | None) -> Box | None:
    """The PhysicalBox of a page Area or PageArea element; None when absent or empty."""
    box = _floats(_child_text(area, "PhysicalBox"), 4) if area is not None else None
    return (box[0], box[1], box[2], box[3]) if box and box[2] > 0 and box[3] > 0 else None


def _text(el: etree._Element) -> str:
    """An element's own text; entity references (never expanded) contribute nothing."""
    if len(el) == 0:
        return el.text or ""
    return (el.text or "") + "".join(child.tail or "" for child in el)


def _child_text(el: etree._Element, name: str) -> str:
    child = el.find("{*}" + name)
    return _text(child).strip() if child is not None else ""


def _float(raw: str | None, default: float) -> float:
    try:
        value = float(raw) if raw is not None else default
    except ValueError:
        return default
    return value if math.isfinite(value) else default


def _floats(raw: str | None, count: int) -> tuple[float, ...] | None:
    """Exactly ``count`` finite numbers from a space-separated attribute; None otherwise."""
    parts = raw.split() if raw else ()
    if len(parts) != count:
        return None
    try:
        values = tuple(map(float, parts))
    except ValueError:
        return None
    return values if all(map(math.isfinite, values)) else None
