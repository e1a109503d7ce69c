"""OFD package access for the OFD extractor: parts by OFD location, safe parsing, element values, DocInfo.

Not an extractor itself (it has no FORMAT). OFD locations may be absolute or relative and their case
may differ from the zip's; a missing or broken part that is not essential is noted in
``Package.problems`` and passed over, so the readable pages are still read.
"""

from __future__ import annotations

import math
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from scanner.errors import CorruptFile
from scanner.extractors import ooxml
from scanner.records import Location, TextBlock

Box = tuple[float, float, float, float]  # x, y, width, height (ST_Box)

DOC_INFO = ("Title", "Author", "Subject", "Abstract", "Keywords", "Creator")


class Package:
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
class Resources:
    """The CompositeGraphicUnits of one document's resource files, indexed on first need."""

    pkg: Package
    base: str  # folder of Document.xml
    pending: list[tuple[str, str]]  # resource files (location, folder) not indexed yet
    units: dict[str, etree._Element] = field(default_factory=dict)  # CompositeGraphicUnit by ID
    loaded: set[str] = field(default_factory=set)

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


def annotation_parts(pkg: Package, base: str, root: etree._Element) -> dict[str, list[str]]:
    """Page ID -> the page annotation parts listed in a document's Annotations.xml (``base``: its folder)."""
    loc = child_text(root, "Annotations")
    loaded = pkg.load(loc, "annotations", base) if loc else None
    if loaded is None:
        return {}
    name, index = loaded
    parts: dict[str, list[str]] = {}
    for page in index.iterfind("{*}Page"):
        file_loc = child_text(page, "FileLoc")
        part = pkg.find(file_loc, posixpath.dirname(name), base)
        if part is None:
            pkg.problems.append(f"annotations: part {file_loc!r} is missing")
        else:
            parts.setdefault(page.get("PageID", ""), []).append(part)
    return parts


def doc_info(body: etree._Element) -> Iterator[TextBlock]:
    """DocInfo fields and CustomData entries of one DocBody, as properties."""
    info = body.find("{*}DocInfo")
    if info is None:
        return
    for name in DOC_INFO:
        el = info.find("{*}" + name)
        if el is None:
            continue
        if name == "Keywords":
            value = " ".join(t for k in el.iterfind("{*}Keyword") if (t := own_text(k).strip()))
        else:
            value = own_text(el).strip()
        if value:
            yield TextBlock(value, Location("properties", name=name))
    for custom in info.iterfind("{*}CustomDatas/{*}CustomData"):
        if value := own_text(custom).strip():
            yield TextBlock(value, Location("properties", name=custom.get("Name") or "CustomData"))


def physical_box(area: etree._Element | None) -> Box | None:
    """The PhysicalBox of a page Area or PageArea element; None when absent or empty."""
    box = floats(child_text(area, "PhysicalBox"), 4) if area is not None else None
    return (box[0], box[1], box[2], box[3]) if box and box[2] > 0 and box[3] > 0 else None


def own_text(el: etree._Element) -> str:
    """An element's own text; entity references (never expanded) contribute nothing."""
    if len(el) == 0:
        return el.text or ""
    return (el.text or "") + "".join(child.tail or "" for child in el)


def child_text(el: etree._Element, name: str) -> str:
    child = el.find("{*}" + name)
    return own_text(child).strip() if child is not None else ""


def to_float(raw: str | None, default: float) -> float:
    try:
        value = float(raw) if raw is not None else default
    except ValueError:
        return default
    return value if math.isfinite(value) else default


def floats(raw: str | None, count: int) -> tuple[float, ...] | None:
    """Exactly ``count`` finite numbers from a space-separated attribute; None otherwise."""
    parts = raw.split() if raw else ()
    if len(parts) != count:
        return None
    try:
        values = tuple(map(float, parts))
    except ValueError:
        return None
    return values if all(map(math.isfinite, values)) else None
