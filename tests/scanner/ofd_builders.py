"""Build synthetic OFD (GB/T 33190-2016) packages in code for the extractor tests.

The package has the layout real producers write: ``OFD.xml`` -> ``Doc_0/Document.xml`` ->
``Doc_0/Pages/Page_N/Content.xml``, a public resource file, optional template pages under
``Doc_0/Tpls/``, and optional annotations under ``Doc_0/Annots/``. Text is placed at given
millimetre coordinates (top-left corner of the text), one TextObject per ``Text``, with DeltaX
in the compressed ``g N v`` form.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

NS = "http://www.ofdspec.org/2016"
MARK = "秘密★1年"
DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'

_ids = itertools.count(100)


@dataclass(frozen=True)
class Text:
    """A run of text whose top-left corner stands at (x, y) mm, glyphs ``size`` mm wide."""

    text: str
    x: float
    y: float
    size: float = 5.0


Item = Text | str  # a Text, or raw XML of page objects (PageBlock, CompositeObject, ...)


def text_object(t: Text, *, ctm: str | None = None) -> str:
    """One TextObject whose baseline lies ``size`` below its Boundary's top."""
    width = max(1, len(t.text)) * t.size
    delta = f' DeltaX="g {len(t.text) - 1} {t.size:g}"' if len(t.text) > 1 else ""
    ctm_attr = f' CTM="{ctm}"' if ctm else ""
    return (f'<ofd:TextObject ID="{next(_ids)}" Boundary="{t.x:g} {t.y:g} {width:g} {t.size * 1.2:g}"'
            f'{ctm_attr} Font="2" Size="{t.size:g}"><ofd:FillColor Value="0 0 0"/>'
            f'<ofd:TextCode X="0" Y="{t.size:g}"{delta}>{escape(t.text)}</ofd:TextCode></ofd:TextObject>')


def objects(items: Iterable[Item]) -> str:
    return "".join(text_object(i) if isinstance(i, Text) else i for i in items)


def page_xml(items: Iterable[Item], *, templates: Sequence[str] = (), box: str | None = None) -> str:
    """A page (or template page) Content.xml holding ``items`` in one body layer."""
    area = f"<ofd:Area><ofd:PhysicalBox>{box}</ofd:PhysicalBox></ofd:Area>" if box else ""
    refs = "".join(f'<ofd:Template TemplateID="{tid}" ZOrder="Background"/>' for tid in templates)
    return (f'{DECL}<ofd:Page xmlns:ofd="{NS}">{area}{refs}<ofd:Content>'
            f'<ofd:Layer ID="{next(_ids)}" Type="Body">{objects(items)}</ofd:Layer>'
            f'</ofd:Content></ofd:Page>')


def annot(*, remark: str | None = None, appearance: Iterable[Item] = (), creator: str = "审核人",
          kind: str = "Highlight", parameters: Mapping[str, str] | None = None) -> str:
    """One Annot of a page annotation file."""
    inner = f"<ofd:Remark>{escape(remark)}</ofd:Remark>" if remark else ""
    if parameters:
        inner += "<ofd:Parameters>" + "".join(
            f"<ofd:Parameter Name={quoteattr(k)}>{escape(v)}</ofd:Parameter>"
            for k, v in parameters.items()) + "</ofd:Parameters>"
    inner += f'<ofd:Appearance Boundary="0 0 210 297">{objects(appearance)}</ofd:Appearance>'
    return (f'<ofd:Annot ID="{next(_ids)}" Type="{kind}" Creator={quoteattr(creator)} '
            f'LastModDate="2024-05-01">{inner}</ofd:Annot>')


def doc_info(title: str | None, custom: Mapping[str, str], keywords: Sequence[str]) -> str:
    fields = "<ofd:DocID>5f1c0c1e2d3b4a5968778695a4b3c2d1</ofd:DocID>"
    if title is not None:
        fields += f"<ofd:Title>{escape(title)}</ofd:Title>"
    fields += "<ofd:Author>办公室</ofd:Author><ofd:CreationDate>2024-05-01</ofd:CreationDate>"
    if keywords:
        fields += "<ofd:Keywords>" + "".join(f"<ofd:Keyword>{escape(k)}</ofd:Keyword>"
                                             for k in keywords) + "</ofd:Keywords>"
    fields += "<ofd:Creator>docscan-tests</ofd:Creator>"
    if custom:
        fields += "<ofd:CustomDatas>" + "".join(
            f"<ofd:CustomData Name={quoteattr(k)}>{escape(v)}</ofd:CustomData>"
            for k, v in custom.items()) + "</ofd:CustomDatas>"
    return f"<ofd:DocInfo>{fields}</ofd:DocInfo>"


def build_ofd(pages: Sequence[Iterable[Item]], *, title: str | None = "关于开展年度保密检查的通知",
              custom: Mapping[str, str] | None = None, keywords: Sequence[str] = (),
              template: Iterable[Item] | None = None, template_pages: Iterable[int] | None = None,
              annotations: Mapping[int, Sequence[str]] | None = None, resources: str = "",
              box: str = "0 0 210 297", parts: Mapping[str, bytes | None] | None = None) -> bytes:
    """An OFD package with one document of ``pages`` (items of each page).

    ``template`` is the content of template page 1, used by the pages whose 0-based index is
    in ``template_pages`` (default: all); ``annotations`` maps a page index to its Annot XML;
    ``resources`` is raw XML put into the public resource file; ``parts`` replaces (bytes) or
    removes (None) package parts after they are built.
    """
    files: dict[str, bytes] = {"OFD.xml": ofd_xml(custom or {}, title, keywords).encode()}
    using = set(range(len(pages)) if template_pages is None else template_pages)
    tpl = ""
    if template is not None:
        tpl = '<ofd:TemplatePage ID="1" BaseLoc="Tpls/Tpl_0/Content.xml"/>'
        files["Doc_0/Tpls/Tpl_0/Content.xml"] = page_xml(template).encode()
    page_refs = []
    for index, items in enumerate(pages):
        pid = 1000 + index
        page_refs.append(f'<ofd:Page ID="{pid}" BaseLoc="Pages/Page_{index}/Content.xml"/>')
        templates = ["1"] if template is not None and index in using else []
        files[f"Doc_0/Pages/Page_{index}/Content.xml"] = page_xml(items, templates=templates).encode()
    annots = ""
    if annotations:
        annots = "<ofd:Annotations>Annots/Annotations.xml</ofd:Annotations>"
        entries = ""
        for index, items in annotations.items():
            entries += (f'<ofd:Page PageID="{1000 + index}"><ofd:FileLoc>Page_{index}/Annotation.xml'
                        f"</ofd:FileLoc></ofd:Page>")
            files[f"Doc_0/Annots/Page_{index}/Annotation.xml"] = (
                f'{DECL}<ofd:PageAnnot xmlns:ofd="{NS}">{"".join(items)}</ofd:PageAnnot>').encode()
        files["Doc_0/Annots/Annotations.xml"] = (
            f'{DECL}<ofd:Annotations xmlns:ofd="{NS}">{entries}</ofd:Annotations>').encode()
    files["Doc_0/PublicRes.xml"] = (
        f'{DECL}<ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="宋体" '
        f'FamilyName="宋体"/></ofd:Fonts>{resources}</ofd:Res>').encode()
    files["Doc_0/Document.xml"] = (
        f'{DECL}<ofd:Document xmlns:ofd="{NS}"><ofd:CommonData><ofd:MaxUnitID>9999</ofd:MaxUnitID>'
        f"<ofd:PageArea><ofd:PhysicalBox>{box}</ofd:PhysicalBox></ofd:PageArea>"
        f"<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>{tpl}</ofd:CommonData>"
        f'<ofd:Pages>{"".join(page_refs)}</ofd:Pages>{annots}</ofd:Document>').encode()
    for name, blob in (parts or {}).items():
        if blob is None:
            files.pop(name, None)
        else:
            files[name] = blob
    return zip_files(files)


def ofd_xml(custom: Mapping[str, str], title: str | None = None, keywords: Sequence[str] = (),
            doc_roots: Sequence[str] = ("Doc_0/Document.xml",)) -> str:
    bodies = "".join(f"<ofd:DocBody>{doc_info(title, custom, keywords)}<ofd:DocRoot>{root}</ofd:DocRoot>"
                     f"</ofd:DocBody>" for root in doc_roots)
    return f'{DECL}<ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">{bodies}</ofd:OFD>'


def zip_files(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)
    return buf.getvalue()


def body_page(first: int, count: int, top: float = 80.0) -> list[Text]:
    """``count`` ordinary body lines, 8 mm apart, starting ``top`` mm from the page top."""
    return [Text(f"正文{n}：关于做好年度工作的安排意见", 25.0, top + 8.0 * i, 4.2)
            for i, n in enumerate(range(first, first + count))]
