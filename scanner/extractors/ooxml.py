"""Shared reading of Office Open XML packages (DOCX, XLSX, PPTX): safe XML, bounded members, properties,
part relationships, mc:AlternateContent branches and cell names.

Not an extractor itself (it has no FORMAT); the format modules use it.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import unquote

from lxml import etree

from scanner.errors import CorruptFile, EncryptedFile, TooLarge
from scanner.records import Location, TextBlock

MAX_MEMBER_BYTES = 512 * 1024 * 1024  # uncompressed size of one XML part
MAX_RATIO = 200  # uncompressed / compressed beyond this is a bomb, not a document
RATIO_FLOOR = 10 * 1024 * 1024  # parts smaller than this are never judged by ratio

NS_CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_DCTERMS = "http://purl.org/dc/terms/"
NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_APP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"

CORE_FIELDS = ("title", "subject", "creator", "keywords", "description", "lastModifiedBy",
               "category", "contentStatus")
APP_FIELDS = ("Company", "Manager")
NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
ALTERNATE_CONTENT = f"{{{NS_MC}}}AlternateContent"
_CHOICE, _FALLBACK = f"{{{NS_MC}}}Choice", f"{{{NS_MC}}}Fallback"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# A run whose font is Wingdings: U+0080-U+00FF become the font's private-use code points U+F0xx,
# so the Wingdings star (a "«" in such a run) is U+F0AB in every format.
WINGDINGS = {c: 0xF000 + c for c in range(0x80, 0x100)}

Strict = tuple[tuple[bytes, bytes], ...]  # (Strict OOXML namespace, its transitional namespace)
Rels = dict[str, tuple[str, str]]  # rId -> (relationship kind such as "header", target part name)


def parser() -> etree.XMLParser:
    """An XML parser that never expands entities, loads DTDs or touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True)


def open_package(data: BinaryIO) -> zipfile.ZipFile:
    """Open ``data`` as a zip package. Raises CorruptFile or EncryptedFile."""
    try:
        zf = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise CorruptFile(f"not a readable zip package: {exc}") from exc
    if any(info.flag_bits & 0x1 for info in zf.infolist()):
        raise EncryptedFile("package members are encrypted")
    return zf


def member_info(zf: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    try:
        return zf.getinfo(name)
    except KeyError:
        return None


def read_member(zf: zipfile.ZipFile, name: str) -> bytes | None:
    """The bytes of one package part, or None when it is absent.

    Raises TooLarge for parts whose declared size or compression ratio is
    that of a bomb, CorruptFile when the part cannot be inflated.
    """
    info = member_info(zf, name)
    if info is None:
        return None
    check_member(info)
    try:
        with zf.open(info) as fh:
            blob = fh.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise CorruptFile(f"part {name} cannot be read: {exc}") from exc
    if len(blob) > MAX_MEMBER_BYTES:
        raise TooLarge(f"part {name} exceeds {MAX_MEMBER_BYTES // (1024 * 1024)} MB uncompressed")
    return blob


def check_member(info: zipfile.ZipInfo) -> None:
    """Raise TooLarge when a part's declared sizes are those of a decompression bomb."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise TooLarge(f"part {info.filename} declares {info.file_size} bytes uncompressed")
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
        raise TooLarge(f"part {info.filename} compression ratio exceeds {MAX_RATIO}:1")


def parse_member(zf: zipfile.ZipFile, name: str, strict: Strict = ()) -> etree._Element | None:
    """Parse one XML part safely; None when absent. Raises CorruptFile on broken XML, MemoryError
    when libxml2 runs out of memory (under the worker's cap it reports that as a syntax error).

    ``strict`` maps Strict OOXML namespaces to the transitional ones the caller looks for.
    """
    blob = read_member(zf, name)
    if blob is None:
        return None
    if strict and b"purl.oclc.org/ooxml/" in blob:
        for strict_ns, transitional in strict:
            blob = blob.replace(strict_ns, transitional)
    try:
        return etree.fromstring(blob, parser())
    except etree.XMLSyntaxError as exc:
        if exc.code == etree.ErrorTypes.ERR_NO_MEMORY:
            raise MemoryError(f"part {name}: libxml2 ran out of memory") from exc
        raise CorruptFile(f"part {name} is not well-formed XML: {exc}") from exc


def rels(zf: zipfile.ZipFile, part: str, strict: Strict = ()) -> Rels:
    """rId -> (relationship kind, target part name) for one part's internal links, in file order."""
    folder, base = posixpath.split(part)
    root = parse_member(zf, posixpath.join(folder, "_rels", base + ".rels"), strict)
    out: Rels = {}
    for rel in root.iter(_RELATIONSHIP) if root is not None else ():
        if rel.get("TargetMode") != "External" and rel.get("Id"):
            kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
            out[rel.get("Id")] = (kind, resolve(folder, rel.get("Target") or ""))
    return out


def resolve(folder: str, target: str) -> str:
    """The part name a relationship target (percent-encoded, relative to ``folder`` or absolute) names."""
    target = unquote(target)
    path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
    return posixpath.normpath(path)


def branch(ac: etree._Element) -> etree._Element:
    """The branch of mc:AlternateContent to read: the first Choice, else the Fallback (never both)."""
    fallback = None
    for child in ac:
        if child.tag == _CHOICE:
            return child
        if child.tag == _FALLBACK:
            fallback = child
    return fallback if fallback is not None else etree.Element("empty")


def column_name(index: int) -> str:
    """A 0-based column index as spreadsheet letters: 0 -> "A", 25 -> "Z", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def properties(zf: zipfile.ZipFile) -> Iterator[TextBlock]:
    """Core, extended and custom document properties as ``part: properties`` blocks.

    Custom properties include Microsoft sensitivity labels (MSIP_Label_*).
    """
    core = parse_member(zf, "docProps/core.xml")
    if core is not None:
        for ns in (NS_DC, NS_CP, NS_DCTERMS):
            for el in core.iter(f"{{{ns}}}*"):
                local = etree.QName(el).localname
                if local in CORE_FIELDS and el.text and el.text.strip():
                    yield _prop(local, el.text)
    app = parse_member(zf, "docProps/app.xml")
    if app is not None:
        for local in APP_FIELDS:
            el = app.find(f"{{{NS_APP}}}{local}")
            if el is not None and el.text and el.text.strip():
                yield _prop(local, el.text)
    custom = parse_member(zf, "docProps/custom.xml")
    if custom is not None:
        for prop in custom.iter(f"{{{NS_CUSTOM}}}property"):
            name = prop.get("name") or ""
            value = "".join(prop.itertext()).strip()
            if value:
                yield _prop(name, value)


def _prop(name: str, value: str) -> TextBlock:
    return TextBlock(value.strip(), Location(part="properties", name=name))
