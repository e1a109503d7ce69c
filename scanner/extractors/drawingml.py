"""DrawingML text and shape placement for the PPTX extractor.

Not an extractor itself (it has no FORMAT). ``paragraph_text`` reads an a:p (runs and fields
joined, a line break as a space, Wingdings text as U+F0xx as in DOCX); ``Xf`` places group members
on the slide through the group transforms; ``Places`` and ``positions`` give a placeholder without a
position of its own that of the layout placeholder with the same idx (else type), else that of the
master placeholder of that type; ``emu`` reads a coordinate attribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from scanner.extractors.ooxml import ALTERNATE_CONTENT, WINGDINGS, branch

NS_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P, A = f"{{{NS_P}}}", f"{{{NS_A}}}"
PH = f"*/{P}nvPr/{P}ph"  # the placeholder mark under p:nvSpPr / p:nvGraphicFramePr

_RUNS, _BR = frozenset({A + "r", A + "fld"}), A + "br"
# The master placeholder a layout placeholder of this type inherits from (as PowerPoint and python-pptx do).
_BASE_TYPE = {"ctrTitle": "title", "subTitle": "body", "obj": "body", "chart": "body", "tbl": "body",
              "clipArt": "body", "dgm": "body", "media": "body", "pic": "body", "sldImg": "body"}
_HIGH = re.compile("[\x80-\xff]")

Pos = tuple[float, float]  # (x, y) in EMU on the slide


@dataclass(frozen=True, slots=True)
class Xf:
    """An affine map (offset and scale, no rotation) from a group's child coordinates to the slide."""

    ox: float = 0.0
    oy: float = 0.0
    sx: float = 1.0
    sy: float = 1.0

    def at(self, x: float, y: float) -> Pos:
        return self.ox + self.sx * x, self.oy + self.sy * y

    def group(self, xfrm: etree._Element | None) -> Xf:
        """This map composed with a p:grpSpPr/a:xfrm (off, ext, chOff, chExt)."""
        if xfrm is None:
            return self
        off, ext, ch_off, ch_ext = (xfrm.find(A + t) for t in ("off", "ext", "chOff", "chExt"))
        kx = emu(ext, "cx") / (emu(ch_ext, "cx") or emu(ext, "cx") or 1)
        ky = emu(ext, "cy") / (emu(ch_ext, "cy") or emu(ext, "cy") or 1)
        gx, gy = emu(off, "x") - kx * emu(ch_off, "x"), emu(off, "y") - ky * emu(ch_off, "y")
        return Xf(self.ox + self.sx * gx, self.oy + self.sy * gy, self.sx * kx, self.sy * ky)


@dataclass(frozen=True, slots=True)
class Places:
    """Placeholder positions a slide inherits: its layout's (by idx, by type), then its master's (by type)."""

    layout: dict[str, Pos] = field(default_factory=dict)
    master: dict[str, Pos] = field(default_factory=dict)

    def find(self, ph: etree._Element) -> Pos | None:
        kind, idx = ph.get("type") or "obj", ph.get("idx")
        for key in ((f"idx:{idx}",) if idx else ()) + (f"type:{kind}",):
            if key in self.layout:
                return self.layout[key]
        return self.master.get(f"type:{kind}") or self.master.get(f"type:{_BASE_TYPE.get(kind, 'body')}")


def positions(root: etree._Element | None, by_idx: bool) -> dict[str, Pos]:
    """"idx:N" / "type:T" -> (x, y) of the placeholders in a layout or master that have a position."""
    out: dict[str, Pos] = {}
    tree = root.find(f"{P}cSld/{P}spTree") if root is not None else None
    for el in tree if tree is not None else ():
        ph, off = el.find(PH), el.find(f"{P}spPr/{A}xfrm/{A}off")
        if ph is None or off is None:
            continue
        pos = (float(emu(off, "x")), float(emu(off, "y")))
        if by_idx and ph.get("idx"):
            out.setdefault(f"idx:{ph.get('idx')}", pos)
        out.setdefault(f"type:{ph.get('type') or 'obj'}", pos)
    return out


def paragraph_text(p: etree._Element) -> str:
    """A paragraph's text: runs and fields joined, a line break as a space, stripped."""
    parts: list[str] = []
    _runs(p, parts)
    return "".join(parts).strip()


def _runs(el: etree._Element, parts: list[str]) -> None:
    for child in el:
        tag = child.tag
        if tag in _RUNS:
            text = child.findtext(A + "t")
            if text:
                parts.append(text.translate(WINGDINGS) if _HIGH.search(text) and _wingdings(child) else text)
        elif tag == _BR:
            parts.append(" ")
        elif tag == ALTERNATE_CONTENT:
            _runs(branch(child), parts)


def _wingdings(run: etree._Element) -> bool:
    rpr = run.find(A + "rPr")
    if rpr is None:
        return False
    fonts = (rpr.find(A + t) for t in ("latin", "sym"))
    return any(f is not None and (f.get("typeface") or "").strip().lower() == "wingdings" for f in fonts)


def emu(el: etree._Element | None, attr: str) -> int:
    """An integer coordinate attribute; 0 when absent or malformed (a position is a hint, not content)."""
    try:
        return int(el.get(attr) or 0) if el is not None else 0
    except ValueError:
        return 0
