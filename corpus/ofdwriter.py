"""OFD (GB/T 33190-2016) documents from a format-neutral ``Doc``: laid out like the PDF builder.

The package follows tests/scanner/ofd_builders.py (OFD.xml -> Doc_0/Document.xml -> one
Content.xml per page, a public resource file, optional template page and annotations), made
deterministic: object IDs count from 100 per package and zip members carry a fixed timestamp.
Coordinates are millimetres from the top-left corner of an A4 page; a TextObject is one laid line.

Layout (GB/T 9704 版心 28 mm from the left, 37 mm from the top, 156 mm wide): ``top`` lines
(份号, 密级, 紧急程度) at the top-left (top-right with ``top_align="right"``), the red
发文机关标志, 发文字号, title, body lines wrapped at the right margin, ``tail`` right-aligned,
a running ``header`` / ``footer`` and a page number on every page. ``stamp`` writes the first
top line LAST in the page's content (still drawn at the top). ``OfdExtras`` adds a template page
(版头 drawn once for every page), a watermark annotation and DocInfo CustomData.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from builders import FIXED_ZIP_TIME, PAGE, Doc, Table

NS = "http://www.ofdspec.org/2016"
DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT, TOP, BOTTOM = 28.0, 184.0, 37.0, 262.0
BODY, MARK, TITLE, RED, SMALL = 5.5, 5.6, 7.7, 9.0, 3.7  # glyph sizes (mm): 3号 ~ 5.6 mm
NO_LINE_START = "，。、；：！？）》”"


@dataclass(frozen=True)
class Text:
    """A line whose top-left corner stands at (x, y) mm, glyphs ``size`` mm wide."""

    text: str
    x: float
    y: float
    size: float = BODY
    red: bool = False


@dataclass(frozen=True)
class OfdExtras:
    template: tuple[str, ...] = ()  # lines of a template page at the top-left, used by every page
    watermark: str = ""  # a Type="Watermark" annotation on page 1
    custom: tuple[tuple[str, str], ...] = ()  # DocInfo CustomData (Name, value)


def render_ofd(doc: Doc, path: Path, extras: OfdExtras = OfdExtras()) -> int:
    """Write ``doc`` as OFD; returns the number of pages."""
    pages = _layout(doc)
    template = [Text(t, LEFT, 22.0 + 9.0 * i, MARK) for i, t in enumerate(extras.template)]
    path.write_bytes(_package(pages, doc, template, extras))
    return len(pages)


class _Layout:
    def __init__(self) -> None:
        self.pages: list[list[Text]] = [[]]
        self.y = TOP

    def new_page(self) -> None:
        self.pages.append([])
        self.y = TOP

    def line(self, text: str, size: float, align: str = "left", indent: bool = False, gap: float = 0,
             red: bool = False) -> None:
        self.y += gap
        width = RIGHT - LEFT
        first = 2 * size if indent else 0
        chunks = _wrap(text, int((width - first) // size), int(width // size)) or [""]
        for i, chunk in enumerate(chunks):
            if self.y > BOTTOM:
                self.new_page()
            span = len(chunk) * size
            x = {"left": LEFT + (first if i == 0 else 0), "center": (PAGE_W - span) / 2,
                 "right": RIGHT - span}[align]
            if chunk:
                self.pages[-1].append(Text(chunk, round(x, 2), round(self.y, 2), size, red))
            self.y += size * 1.75

    def row(self, cells: tuple[str, ...], size: float = 4.2) -> None:
        if self.y > BOTTOM:
            self.new_page()
        width = (RIGHT - LEFT) / len(cells)
        for i, cell in enumerate(cells):
            text = cell[:max(1, int(width // size) - 1)]
            if text:
                self.pages[-1].append(Text(text, round(LEFT + i * width, 2), round(self.y, 2), size))
        self.y += size * 1.9


def _wrap(text: str, first: int, rest: int) -> list[str]:
    """Cut ``text`` into lines of ``first``, then ``rest`` glyphs; a closing mark stays on its line."""
    out, cut = [], max(1, first)
    while text:
        n = cut + 1 if len(text) > cut and text[cut] in NO_LINE_START else cut
        out.append(text[:n])
        text, cut = text[n:], max(1, rest)
    return out


def _layout(doc: Doc) -> list[list[Text]]:
    lay = _Layout()
    for t in doc.top:
        lay.line(t, MARK, doc.top_align or "left")
    if doc.red_head:
        lay.line(doc.red_head, RED, "center", gap=4, red=True)
    if doc.doc_no:
        lay.line(doc.doc_no, BODY * 0.9, "center")
    lay.line(doc.title, TITLE, "center", gap=4)
    for item in doc.body:
        if item == PAGE:
            lay.new_page()
        elif isinstance(item, Table):
            for row in item.rows:
                lay.row(row)
        elif not lay.pages[-1] and len(item) <= 24 and not item.endswith("。"):
            lay.line(item, MARK)  # a heading or mark opening a page
        else:
            lay.line(item, BODY, indent=True)
    for t in doc.tail:
        lay.line(t, BODY, "left" if t.startswith("（") and t.endswith("）") else "right", indent=True)
    pages = lay.pages
    for n, page in enumerate(pages, 1):
        if doc.header:
            page.append(Text(doc.header, (PAGE_W - len(doc.header) * SMALL) / 2, 15.0, SMALL))
        if doc.footer:
            page.append(Text(doc.footer, (PAGE_W - len(doc.footer) * SMALL) / 2, 272.0, SMALL))
        number = f"— {n} —"
        page.append(Text(number, (PAGE_W - len(number) * 2.6) / 2, 280.0, 4.2))
    if doc.stamp and doc.top:  # the mark object written last, drawn where the first top line stands
        first = next(i for i, t in enumerate(pages[0]) if t.text == doc.top[0])
        pages[0].append(pages[0].pop(first))
    return pages


def _text_object(t: Text, ids: itertools.count) -> str:
    width = max(1, len(t.text)) * t.size
    delta = f' DeltaX="g {len(t.text) - 1} {t.size:g}"' if len(t.text) > 1 else ""
    colour = "200 0 0" if t.red else "0 0 0"
    return (f'<ofd:TextObject ID="{next(ids)}" Boundary="{t.x:g} {t.y:g} {width:g} {t.size * 1.2:g}" '
            f'Font="2" Size="{t.size:g}"><ofd:FillColor Value="{colour}"/>'
            f'<ofd:TextCode X="0" Y="{t.size:g}"{delta}>{escape(t.text)}</ofd:TextCode></ofd:TextObject>')


def _page_xml(texts: list[Text], ids: itertools.count, template: bool) -> str:
    ref = '<ofd:Template TemplateID="1" ZOrder="Background"/>' if template else ""
    objects = "".join(_text_object(t, ids) for t in texts)
    return (f'{DECL}<ofd:Page xmlns:ofd="{NS}">{ref}<ofd:Content><ofd:Layer ID="{next(ids)}" Type="Body">'
            f"{objects}</ofd:Layer></ofd:Content></ofd:Page>")


def _doc_info(doc: Doc, custom: tuple[tuple[str, str], ...]) -> str:
    fields = (f"<ofd:DocID>{abs(hash_text(doc.title)):032x}</ofd:DocID><ofd:Title>{escape(doc.title)}</ofd:Title>"
              "<ofd:Author>办公室</ofd:Author><ofd:CreationDate>2024-01-01</ofd:CreationDate>"
              "<ofd:Creator>docscan-corpus</ofd:Creator>")
    if custom:
        fields += "<ofd:CustomDatas>" + "".join(
            f"<ofd:CustomData Name={quoteattr(k)}>{escape(v)}</ofd:CustomData>" for k, v in custom) + \
            "</ofd:CustomDatas>"
    return f"<ofd:DocInfo>{fields}</ofd:DocInfo>"


def hash_text(text: str) -> int:
    """A stable 128-bit number from text (Python's hash() is salted per process)."""
    return int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16)


def _package(pages: list[list[Text]], doc: Doc, template: list[Text], extras: OfdExtras) -> bytes:
    ids = itertools.count(100)
    files: dict[str, str] = {}
    ofd = (f'{DECL}<ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD"><ofd:DocBody>'
           f"{_doc_info(doc, extras.custom)}<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
    files["OFD.xml"] = ofd
    tpl = ""
    if template:
        tpl = '<ofd:TemplatePage ID="1" BaseLoc="Tpls/Tpl_0/Content.xml"/>'
        files["Doc_0/Tpls/Tpl_0/Content.xml"] = _page_xml(template, ids, False)
    refs = []
    for index, texts in enumerate(pages):
        refs.append(f'<ofd:Page ID="{1000 + index}" BaseLoc="Pages/Page_{index}/Content.xml"/>')
        files[f"Doc_0/Pages/Page_{index}/Content.xml"] = _page_xml(texts, ids, bool(template))
    annots = ""
    if extras.watermark:
        annots = "<ofd:Annotations>Annots/Annotations.xml</ofd:Annotations>"
        mark = Text(extras.watermark, 45.0, 140.0, 12.0)
        files["Doc_0/Annots/Annotations.xml"] = (
            f'{DECL}<ofd:Annotations xmlns:ofd="{NS}"><ofd:Page PageID="1000"><ofd:FileLoc>'
            "Page_0/Annotation.xml</ofd:FileLoc></ofd:Page></ofd:Annotations>")
        files["Doc_0/Annots/Page_0/Annotation.xml"] = (
            f'{DECL}<ofd:PageAnnot xmlns:ofd="{NS}"><ofd:Annot ID="{next(ids)}" Type="Watermark" '
            f'Creator="办公室" LastModDate="2024-01-01"><ofd:Appearance Boundary="0 0 210 297">'
            f"{_text_object(mark, ids)}</ofd:Appearance></ofd:Annot></ofd:PageAnnot>")
    files["Doc_0/PublicRes.xml"] = (f'{DECL}<ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
                                    '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>')
    files["Doc_0/Document.xml"] = (
        f'{DECL}<ofd:Document xmlns:ofd="{NS}"><ofd:CommonData><ofd:MaxUnitID>{next(ids)}</ofd:MaxUnitID>'
        f"<ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}</ofd:PhysicalBox></ofd:PageArea>"
        f"<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>{tpl}</ofd:CommonData>"
        f'<ofd:Pages>{"".join(refs)}</ofd:Pages>{annots}</ofd:Document>')
    return zip_bytes([(name, text.encode("utf-8")) for name, text in files.items()])


def zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    """A deflated zip of ``members`` with a fixed timestamp (deterministic)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zf.writestr(info, blob)
    return buf.getvalue()
