"""XLSX/XLSM/XLTX workbooks: cells, sheet names, headers/footers, comments and document properties.

The package XML is read directly (openpyxl is several times slower). Shared strings and worksheets
are streamed through expat in chunks (sheetml), so memory stays bounded on million-row sheets. Small
parts (workbook, relationships, comments) go through ooxml's safe lxml parser.

Block order: document properties first (so the cell and text limits never cut them off), then
per sheet in workbook order (hidden sheets too): the sheet name, header/footer sections, string
cells row-major, comments. ``options.max_cells`` counts cells holding a value across the workbook;
``options.max_text_chars`` cuts the text of the whole file.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO

from lxml import etree

from scanner.errors import CorruptFile
from scanner.extractors import ooxml
from scanner.extractors.sheetml import StringItems, cell_batches, header_footer, stream, to_int, unescape
from scanner.extractors.sheetml import header_footer_sections as header_footer_sections  # xls.py uses it
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "xlsx"

WORKBOOK = "xl/workbook.xml"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_THREADED = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"


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
        yield list(header_footer(zf, part, book.ns, name))
        if used < options.max_cells:
            used += yield from cell_batches(zf, part, book.ns, book.strings, name, options.max_cells - used)
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
    strings = StringItems(ns)
    for _ in stream(zf, (_related(rels, "sharedStrings") or ["xl/sharedStrings.xml"])[0], strings):
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
            index = to_int(comment.get("authorId"), -1)
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
    return unescape("".join(parts))
