"""OFD (GB/T 33190-2016) documents: page text as positioned lines, DocInfo metadata, annotations.

An OFD file is a zip package: ``OFD.xml`` names documents (DocBody: DocInfo, DocRoot
``Doc_0/Document.xml``); a document lists its pages (``Pages/Page_N/Content.xml``), template
pages, resource files and annotations. Coordinates are millimetres from the top-left corner.

The text of every TextObject of a page (in layers, PageBlocks, and CompositeObjects whose units
live in resource files), with the text of the template pages it uses (a 版头 drawn once for every
page), is regrouped into lines by position as PDF pages are (layout.py): top to bottom, then
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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import BinaryIO

from lxml import etree

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors import ofdpkg, ooxml
from scanner.extractors.layout import Seg, group_lines, join, line_blocks
from scanner.extractors.ofdpkg import Box, child_text, floats, own_text, to_float
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "ofd"

Matrix = tuple[float, float, float, float, float, float]  # a b c d e f: (x, y) -> (ax+cy+e, bx+dy+f)

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
A4: Box = (0.0, 0.0, 210.0, 297.0)  # when neither page, template nor document gives a PhysicalBox
DEFAULT_SIZE = 3.5  # mm, for a TextObject without a Size
ASCENT, DESCENT = 0.85, 0.15  # shares of the font size above and below the baseline
MIN_HEIGHT = 0.35  # mm (1 pt): a degenerate text box still gets a height
MAX_NESTING = 8  # graphic units expanded inside graphic units
UNIT_OBJECTS = 50_000  # objects read from graphic units for one page (or template, or annotation)


def sniff(probe: Probe) -> bool:
    """True for a zip package with the OFD entry point ``OFD.xml`` at its root, whatever its name."""
    return "OFD.xml" in probe.zip_names


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield DocInfo properties, then page lines and annotations (see the module docstring).

    Stops after about ``options.max_text_chars`` characters (properties are always given).
    Raises EncryptedFile, CorruptFile (see above), TooLarge (a part of bomb size).
    """
    with ooxml.open_package(data) as zf:
        pkg = ofdpkg.Package(zf)
        if pkg.find("Encryptions.xml") is not None:
            raise EncryptedFile("OFD package has encrypted parts (Encryptions.xml)")
        entry = pkg.find("OFD.xml")
        if entry is None:
            raise CorruptFile("OFD.xml is missing")
        bodies = pkg.parse(entry).findall("{*}DocBody")
        if not bodies:
            raise CorruptFile("OFD.xml names no DocBody")
        for body in bodies:
            yield from ofdpkg.doc_info(body)
        budget = options.max_text_chars
        for block in _documents(pkg, bodies):
            budget -= len(block.text)
            if budget < 0:
                break
            yield block
        if pkg.problems:
            more = f" (and {len(pkg.problems) - 1} more)" if len(pkg.problems) > 1 else ""
            raise CorruptFile(pkg.problems[0] + more)


@dataclass(slots=True)
class _Doc:
    """One document (DocBody): its folder, common data, and what was loaded of it so far."""

    pkg: ofdpkg.Package
    base: str  # folder of Document.xml; locations in it are relative to this
    area: Box  # CommonData PageArea PhysicalBox
    templates: dict[str, str]  # TemplatePage ID -> location of its content
    res: ofdpkg.Resources  # its resource files' graphic units
    cache: dict[str, tuple[list[Seg], Box | None]] = field(default_factory=dict)  # templates
    budget: int = UNIT_OBJECTS  # objects still to be read from graphic units (see _segments)

    def template(self, tid: str) -> tuple[list[Seg], Box | None]:
        """The text segments and PhysicalBox of template page ``tid``, read once."""
        if tid not in self.cache:
            self.cache[tid] = ([], None)
            loaded = self.pkg.load(self.templates.get(tid, ""), f"template page {tid}", self.base)
            if loaded is not None:
                root = loaded[1]
                self.cache[tid] = (_segments(self, root, IDENTITY), ofdpkg.physical_box(root.find("{*}Area")))
        return self.cache[tid]


def _documents(pkg: ofdpkg.Package, bodies: list[etree._Element]) -> Iterator[TextBlock]:
    number = 0
    for index, body in enumerate(bodies):
        doc, pages, annotations = _open_document(pkg, body)
        opening = index > 0
        for page in pages:
            number += 1
            loc = page.get("BaseLoc") or child_text(page, "BaseLoc")  # some producers write a child
            notes = annotations.get(page.get("ID", ""), ())
            for block in chain(_page_blocks(doc, loc, number), _annotations(doc, notes, number)):
                yield replace(block, section_start=True) if opening else block
                opening = False


def _open_document(pkg: ofdpkg.Package, body: etree._Element
                   ) -> tuple[_Doc, list[etree._Element], dict[str, list[str]]]:
    """The document of a DocBody, its page entries, and its annotation parts by page ID.

    Raises CorruptFile when Document.xml or its page list is missing or broken.
    """
    loc = child_text(body, "DocRoot")
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
    res = [(own_text(r).strip(), base) for r in common.iterfind("{*}PublicRes")]
    res += [(own_text(r).strip(), base) for r in common.iterfind("{*}DocumentRes")]
    area = ofdpkg.physical_box(common.find("{*}PageArea")) or A4
    doc = _Doc(pkg, base, area, templates, ofdpkg.Resources(pkg, base, res))
    return doc, pages.findall("{*}Page"), ofdpkg.annotation_parts(pkg, base, root)


def _page_blocks(doc: _Doc, loc: str, number: int) -> Iterator[TextBlock]:
    """The lines of one page, its templates' text included, each with its band."""
    loaded = doc.pkg.load(loc, f"page {number}", doc.base)
    if loaded is None:
        return
    name, root = loaded
    folder = posixpath.dirname(name)
    doc.res.pending += [(own_text(r).strip(), folder) for r in root.iterfind("{*}PageRes")]
    area = ofdpkg.physical_box(root.find("{*}Area"))
    segments: list[Seg] = []
    for ref in root.iterfind("{*}Template"):
        text, template_area = doc.template(ref.get("TemplateID", ""))
        segments += text
        area = area or template_area
    segments += _segments(doc, root, IDENTITY)
    x0, y0, _, height = area or doc.area
    if x0 or y0:
        segments = [Seg(s.text, s.left - x0, s.top - y0, s.right - x0, s.bottom - y0) for s in segments]
    yield from line_blocks((segments, height), number)


def _segments(doc: _Doc, container: etree._Element, outer: Matrix,
              path: tuple[str, ...] = ()) -> list[Seg]:
    """Boxed text runs of the TextObjects in ``container`` (any nesting), in page coordinates.

    ``path`` holds the graphic units being expanded: a unit is never expanded inside itself, and
    units nest at most MAX_NESTING deep and yield at most UNIT_OBJECTS objects per call from the
    top, so units that reference each other many times cannot fan out like an entity bomb.
    """
    if not path:
        doc.budget = UNIT_OBJECTS
    out: list[Seg] = []
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
        unit = doc.res.unit(rid) if rid not in path and len(path) < MAX_NESTING else None
        content = unit.find("{*}Content") if unit is not None else None
        if content is not None:
            out += _segments(doc, content, matrix, (*path, rid))
    return out


def _text_runs(obj: etree._Element, matrix: Matrix) -> Iterator[Seg]:
    """One segment per TextCode: its text and box (font ascent to descent) on the page."""
    size = to_float(obj.get("Size"), DEFAULT_SIZE)
    x = y = 0.0
    for code in obj.iterchildren("{*}TextCode"):
        x, y = to_float(code.get("X"), x), to_float(code.get("Y"), y)
        text = own_text(code)
        if words := text.split():  # tabs and line breaks inside a TextCode become single spaces
            box = _run_box(text, x, y, size, code.get("DeltaX"), code.get("DeltaY"))
            yield Seg(" ".join(words), *_transform(box, matrix))


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
    a, b, c, d, e, f = floats(obj.get("CTM"), 6) or IDENTITY
    bx, by = (floats(obj.get("Boundary"), 4) or (0.0, 0.0))[:2]
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


def _annotations(doc: _Doc, parts: Iterable[str], number: int) -> Iterator[TextBlock]:
    """The text of each annotation of page ``number``: Remark, Appearance lines, Parameters."""
    for part in parts:
        loaded = doc.pkg.load("/" + part, f"annotations of page {number}")
        for annot in loaded[1].iterfind("{*}Annot") if loaded else ():
            if annot.get("Type") == "Watermark":
                location = Location("watermark", page=number)
            else:
                location = Location("comment", page=number, name=annot.get("Creator") or None)
            texts = [child_text(annot, "Remark")]
            appearance = annot.find("{*}Appearance")
            if appearance is not None:
                lines = group_lines(_segments(doc, appearance, IDENTITY))
                texts += [join(line) for line, _ in lines]
            texts += [own_text(p).strip() for p in annot.iterfind("{*}Parameters/{*}Parameter")]
            yield from (TextBlock(text, location) for text in texts if text)
