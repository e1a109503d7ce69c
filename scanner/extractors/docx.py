"""DOCX and the other WordprocessingML packages (.docm, .dotx, .dotm): text with its place.

Reads the package XML with lxml; python-docx is several times slower and drops ``w:sym``. Yields, in
this order: headers (every section, every type), the body (paragraphs, table cells, text boxes,
watermarks, deleted revision text), footers, footnotes, endnotes, comments, then the document
properties. Block text is stripped; empty paragraphs are counted but not yielded. Then every embedded
object (``word/embeddings/``, altChunk parts) as a ``Member`` the scanner reads as a file of its own:
an OLE package object (``\\x01Ole10Native``) gives the file it wraps, named under the object
(``word/embeddings/oleObject1.bin/附件.pdf``), an equation object is passed over; limits are the
container limits of ScanOptions.

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

import re
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from typing import BinaryIO

from lxml import etree

from scanner.errors import CorruptFile, TooLarge
from scanner.extractors import ooxml
from scanner.extractors.wordml import Acc, Flow, W, cells, flat, inline, unwrap_object
from scanner.options import ScanOptions
from scanner.records import Location, Member, Status, TextBlock
from scanner.sniff import Probe

FORMAT = "docx"

_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OVERRIDE = "{http://schemas.openxmlformats.org/package/2006/content-types}Override"
_STRICT = ((b"http://purl.oclc.org/ooxml/wordprocessingml/main", W[1:-1].encode()),
           (b"http://purl.oclc.org/ooxml/officeDocument/relationships", _R_ID[1:-3].encode()))
_MAIN_TYPES = frozenset(f"application/vnd.{k}.main+xml" for k in (
    "openxmlformats-officedocument.wordprocessingml.document",
    "openxmlformats-officedocument.wordprocessingml.template",
    "ms-word.document.macroEnabled", "ms-word.template.macroEnabledTemplate"))
_EMBEDDINGS = "word/embeddings/"
_ALT_MAIN = re.compile(r"word/document\d*\.xml")

_P, _TBL, _PPR, _SECTPR = (W + t for t in ("p", "tbl", "pPr", "sectPr"))
_VAL, _TYPE = W + "val", W + "type"
_SECTION_REFS = {W + "headerReference": "header", W + "footerReference": "footer"}
_ROOTS = {"header": W + "hdr", "footer": W + "ftr"}
_SEPARATORS = frozenset({"separator", "continuationSeparator", "continuationNotice"})
_OFF = frozenset({"0", "false", "off"})


def sniff(probe: Probe) -> bool:
    """True for a WordprocessingML package (.docx/.docm/.dotx/.dotm), whatever its name."""
    names = probe.zip_names
    if "word/document.xml" in names:
        return True
    return "[Content_Types].xml" in names and any(_ALT_MAIN.fullmatch(n) for n in names)


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock | Member]:
    """Yield the document's text blocks in reading order, then its properties, then embedded objects.

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
        yield from _embedded(zf, options)


def _embedded(zf: zipfile.ZipFile, options: ScanOptions) -> Iterator[Member]:
    """Embedded objects and altChunk parts as Members (a part over a limit: a SKIPPED Member).

    Raises TooLarge past ``max_members`` objects.
    """
    chunks = [t for kind, t in ooxml.rels(zf, _main_part(zf), _STRICT).values() if kind == "aFChunk"]
    names = [i.filename for i in zf.infolist() if i.filename.startswith(_EMBEDDINGS) and not i.is_dir()]
    total = 0
    for count, name in enumerate(dict.fromkeys(names + chunks), 1):
        if count > options.max_members:
            raise TooLarge(f"more than {options.max_members} embedded objects; the first were scanned")
        info = ooxml.member_info(zf, name)
        if info is None:
            continue
        size = info.file_size
        if size > options.max_member_size or total + size > options.max_total_size:
            yield Member(name, None, None, Status.SKIPPED, "embedded object over the size limits", size)
            continue
        try:
            blob = ooxml.read_member(zf, name) or b""
        except (TooLarge, CorruptFile) as exc:
            yield Member(name, None, None, Status.ERROR, str(exc), size)
            continue
        total += len(blob)
        member = unwrap_object(name, blob)
        if member is not None:
            yield member


def _document(zf: zipfile.ZipFile) -> Iterator[TextBlock]:
    main = _main_part(zf)
    root = ooxml.parse_member(zf, main, _STRICT)
    if root is None:
        raise CorruptFile(f"main document part {main} is missing")
    body = root.find(W + "body")
    if root.tag != W + "document" or body is None:
        raise CorruptFile(f"part {main} is not a WordprocessingML document body")
    rels = ooxml.rels(zf, main, _STRICT)
    sects = [s for s in body.iter(_SECTPR) if s.getparent().tag != W + "sectPrChange"]
    sections = _section_parts(sects, rels)
    yield from _parts(zf, sections, "header")
    # a section's w:type says how it starts, so the break after a sectPr is the next one's type
    flow = Flow(starts={s: _start_type(n) for s, n in zip(sects, sects[1:], strict=False)})
    yield from _body(body, flow)
    yield from _parts(zf, sections, "footer")
    yield from _notes(zf, rels, flow)


def _body(body: etree._Element, flow: Flow) -> Iterator[TextBlock]:
    for el in flat(body):
        if el.tag == _P:
            yield from _body_paragraph(el, flow)
        elif el.tag == _TBL:
            yield from _table(el, flow)


def _body_paragraph(p: etree._Element, flow: Flow) -> Iterator[TextBlock]:
    flow.paragraph += 1
    n = flow.paragraph
    ppr = p.find(_PPR)
    sect = None
    if ppr is not None:
        pbb = ppr.find(W + "pageBreakBefore")
        if pbb is not None and (n > 1 or flow.table) and pbb.get(_VAL) not in _OFF:
            flow.brk()
        sect = ppr.find(_SECTPR)
    acc = Acc(flow, split=True)
    inline(p, acc)
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


def _table(tbl: etree._Element, flow: Flow) -> Iterator[TextBlock]:
    """Each cell of a body table as one block (its paragraphs joined by newlines); nested tables after."""
    flow.table += 1
    number = flow.table
    for row, col, tc in cells(tbl):
        acc = Acc(flow)
        nested = []
        for el in flat(tc):
            if el.tag == _P:
                if acc.parts:
                    acc.parts.append("\n")
                inline(el, acc)
            elif el.tag == _TBL:
                nested.append(el)
        acc.close()
        page = acc.segs[0][0] if acc.segs else flow.page
        loc = Location("table", page=page, table=number, cell=f"{ooxml.column_name(col)}{row}")
        for _page, start, text in acc.segs:
            yield TextBlock(text, loc, section_start=start)
        yield from _extras(acc, loc, flow)
        for inner in nested:
            yield from _table(inner, flow)


def _extras(acc: Acc, loc: Location, flow: Flow) -> Iterator[TextBlock]:
    """Deleted text and the text boxes / watermarks anchored in a body paragraph or cell."""
    deleted = "".join(acc.deleted).strip()
    if deleted:
        yield TextBlock(deleted, replace(loc, part="revision", name=loc.part))
    for block in _shape_blocks(acc, None, Location("watermark")):
        if flow.start:
            block, flow.start = replace(block, section_start=True), False
        yield block


def _shape_blocks(acc: Acc, loc: Location | None, mark: Location) -> Iterator[TextBlock]:
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
    for child in flat(el):
        if child.tag == _TBL:
            for _row, _col, tc in cells(child):
                yield from _plain(tc, loc, mark)
        elif child.tag == _P:
            acc = Acc(None)
            inline(child, acc)
            acc.close()
            for _page, _start, text in acc.segs:
                yield TextBlock(text, loc)
            deleted = "".join(acc.deleted).strip()
            if deleted:
                yield TextBlock(deleted, replace(loc, part="revision", name=loc.part))
            yield from _shape_blocks(acc, loc, mark)


def _parts(zf: zipfile.ZipFile, sections: list[tuple[str, str, str]], kind: str) -> Iterator[TextBlock]:
    """The blocks of every header (or footer) part; an absent part (dangling reference) is skipped."""
    for part_kind, name, target in sections:
        root = ooxml.parse_member(zf, target, _STRICT) if part_kind == kind else None
        if root is not None and root.tag == _ROOTS[kind]:
            yield from _plain(root, Location(kind, name=name), Location("watermark", name=name))


def _notes(zf: zipfile.ZipFile, rels: ooxml.Rels, flow: Flow) -> Iterator[TextBlock]:
    """Footnotes and endnotes (separators skipped) and comments (name = author), with reference pages."""
    targets = {kind: target for kind, target in rels.values()}
    for kind in ("footnote", "endnote", "comment"):
        root = ooxml.parse_member(zf, targets[kind + "s"], _STRICT) if kind + "s" in targets else None
        if root is None:
            continue
        for note in root.iterchildren(W + kind):
            if note.get(_TYPE) in _SEPARATORS:
                continue
            page = flow.refs.get(f"{kind}:{note.get(W + 'id')}")
            name = (note.get(W + "author") or None) if kind == "comment" else None
            yield from _plain(note, Location(kind, page=page, name=name), Location("watermark", page=page))


def _start_type(sect: etree._Element) -> str:
    kind = sect.find(_TYPE)
    return (kind.get(_VAL) or "nextPage") if kind is not None else "nextPage"


def _section_parts(sects: list[etree._Element], rels: ooxml.Rels) -> list[tuple[str, str, str]]:
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
    root = ooxml.parse_member(zf, "_rels/.rels", _STRICT)
    for rel in root.iter(_REL) if root is not None else ():
        if (rel.get("Type") or "").endswith("/officeDocument") and rel.get("TargetMode") != "External":
            name = ooxml.resolve("", rel.get("Target") or "")
            if ooxml.member_info(zf, name) is not None:
                return name
    types = ooxml.parse_member(zf, "[Content_Types].xml", _STRICT)
    for override in types.iter(_OVERRIDE) if types is not None else ():
        name = ooxml.resolve("", override.get("PartName") or "")
        if override.get("ContentType") in _MAIN_TYPES and ooxml.member_info(zf, name) is not None:
            return name
    return "word/document.xml"
