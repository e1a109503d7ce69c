"""Build synthetic DOCX files for the extractor tests: python-docx plus raw XML put into the package.

python-docx writes the ordinary structure (paragraphs, tables, headers, comments, core
properties); what it cannot write (w:sym, text boxes, VML watermarks, footnotes, endnotes,
custom properties, tracked changes, rendered page breaks) is injected as raw XML, into the
python-docx element tree or as extra package parts with proper relationships.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from xml.sax.saxutils import escape

import docx
from docx.document import Document
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.shared import Pt
from docx.text.paragraph import Paragraph

SENTINEL = "机密★10年"
MSIP_NAME = "MSIP_Label_3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b_Name"

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
}
NSDECLS = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())


def new_document() -> Document:
    return docx.Document()


def to_bytes(doc: Document) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def xml_el(fragment: str):  # noqa: ANN201 - an lxml element of python-docx's oxml flavour
    """Parse one XML element written with the w/r/mc/wps/wp/a/v/o prefixes."""
    head, rest = fragment.split(">", 1)
    return parse_xml(f"{head} {NSDECLS}>{rest}")


def t(text: str) -> str:
    return f'<w:t xml:space="preserve">{escape(text)}</w:t>'


def run(text: str, rpr: str = "") -> str:
    return f"<w:r>{f'<w:rPr>{rpr}</w:rPr>' if rpr else ''}{t(text)}</w:r>"


def append_xml(paragraph: Paragraph, fragment: str) -> None:
    """Append raw run-level XML (a w:r, w:ins, w:del, w:fldSimple ...) to a paragraph."""
    paragraph._p.append(xml_el(fragment))


def add_raw_paragraph(doc: Document, inner: str, ppr: str = "") -> None:
    """Append a body paragraph written as raw XML (before the final sectPr)."""
    p = xml_el(f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{inner}</w:p>")
    doc.element.body.insert(len(doc.element.body) - 1, p)


def sym_run(font: str = "Wingdings", char: str = "F0AB") -> str:
    return f'<w:r><w:sym w:font="{font}" w:char="{char}"/></w:r>'


def wingdings_run(text: str) -> str:
    return run(text, '<w:rFonts w:ascii="Wingdings" w:hAnsi="Wingdings"/>')


def textbox_run(text: str, name: str = "Text Box 1", fallback: bool = True) -> str:
    """A DrawingML text box in mc:AlternateContent, with Word's VML copy in mc:Fallback."""
    box = f"<w:txbxContent><w:p>{run(text)}</w:p></w:txbxContent>"
    choice = (
        '<mc:Choice Requires="wps"><w:drawing><wp:anchor distT="0" distB="0" distL="0" distR="0" '
        'simplePos="0" relativeHeight="1" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
        f'<wp:simplePos x="0" y="0"/><wp:extent cx="1800000" cy="400000"/><wp:docPr id="1" name="{name}"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f"<wps:wsp><wps:txbx>{box}</wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic>"
        "</wp:anchor></w:drawing></mc:Choice>"
    )
    vml = f'<w:pict><v:shape id="{name}" type="#_x0000_t202"><v:textbox>{box}</v:textbox></v:shape></w:pict>'
    back = f"<mc:Fallback>{vml}</mc:Fallback>" if fallback else ""
    return f"<w:r><mc:AlternateContent>{choice}{back}</mc:AlternateContent></w:r>"


def vml_watermark_run(text: str) -> str:
    """Word's "Insert > Watermark" shape: VML WordArt with the text in v:textpath/@string."""
    return (
        '<w:r><w:pict><v:shape id="PowerPlusWaterMarkObject357922611" o:spid="_x0000_s2049" '
        'type="#_x0000_t136" style="position:absolute;rotation:315" fillcolor="silver" stroked="f">'
        f'<v:fill opacity=".5"/><v:textpath style="font-family:&quot;宋体&quot;" string="{escape(text)}"/>'
        "</v:shape></w:pict></w:r>"
    )


def add_part(doc: Document, name: str, content_type: str, xml: str, reltype: str,
             from_package: bool = False) -> str:
    """Add a package part related from the main document (or the package); returns the rId."""
    part = Part(PackURI(name), content_type, xml.encode("utf-8"), doc.part.package)
    source = doc.part.package if from_package else doc.part
    return source.relate_to(part, reltype)


def _notes_xml(kind: str, notes: dict[int, str]) -> str:
    seps = (f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
            f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
            f"</w:r></w:p></w:{kind}>")
    body = "".join(f'<w:{kind} w:id="{i}"><w:p><w:r><w:{kind}Ref/></w:r>{run(" " + text)}</w:p></w:{kind}>'
                   for i, text in notes.items())
    return f'<?xml version="1.0" encoding="UTF-8"?><w:{kind}s {NSDECLS}>{seps}{body}</w:{kind}s>'


def add_notes(doc: Document, kind: str, notes: dict[int, str]) -> None:
    """Add word/footnotes.xml or word/endnotes.xml (kind "footnote"/"endnote") with separators."""
    ctype = CT.WML_FOOTNOTES if kind == "footnote" else CT.WML_ENDNOTES
    rtype = RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES
    add_part(doc, f"/word/{kind}s.xml", ctype, _notes_xml(kind, notes), rtype)


def note_ref_run(kind: str, note_id: int) -> str:
    return f'<w:r><w:{kind}Reference w:id="{note_id}"/></w:r>'


def set_custom_properties(doc: Document, props: dict[str, str]) -> None:
    """docProps/custom.xml with string properties (how MIP stores MSIP_Label_* too)."""
    items = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i}" name="{escape(k)}">'
        f"<vt:lpwstr>{escape(v)}</vt:lpwstr></property>" for i, (k, v) in enumerate(props.items(), start=2))
    xml = ('<?xml version="1.0" encoding="UTF-8"?><Properties '
           'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
           'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
           f"{items}</Properties>")
    add_part(doc, "/docProps/custom.xml", CT.OFC_CUSTOM_PROPERTIES, xml, RT.CUSTOM_PROPERTIES,
             from_package=True)


def rewrite(blob: bytes, edits: dict[str, Callable[[bytes], bytes | None]]) -> bytes:
    """Copy a package, passing the named members through ``edits`` (returning None drops a member)."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in edits:
                data = edits[info.filename](data)
            if data is not None:
                dst.writestr(info.filename, data)
    return out.getvalue()


def add_section(doc: Document, start: str = "NEW_PAGE") -> None:
    from docx.enum.section import WD_SECTION

    doc.add_section(getattr(WD_SECTION, start))


def fixture_matrix() -> bytes:
    """One document with SENTINEL planted once in every part the extractor reads (see test_docx)."""
    doc = new_document()
    doc.core_properties.title = SENTINEL
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    doc.settings.odd_and_even_pages_header_footer = True
    header = section.header.paragraphs[0]
    header.text = SENTINEL
    append_xml(header, vml_watermark_run(SENTINEL))
    section.first_page_header.paragraphs[0].text = SENTINEL
    section.footer.paragraphs[0].text = "第 1 页"
    section.even_page_footer.paragraphs[0].text = SENTINEL

    doc.add_paragraph("关于开展年度保密检查的通知")  # paragraph 1
    doc.add_paragraph(SENTINEL)  # paragraph 2
    first = doc.add_table(rows=2, cols=2)  # table 1
    first.cell(0, 0).text = "序号"
    doc.add_paragraph("见右侧文本框")  # paragraph 3
    append_xml(doc.paragraphs[-1], textbox_run(SENTINEL))
    doc.add_page_break()  # paragraph 4: page 2 starts
    second = doc.add_table(rows=3, cols=3)  # table 2
    second.cell(0, 0).text = "文件名称"
    second.cell(2, 1).text = SENTINEL  # B3
    note = doc.add_paragraph("正文脚注引用")  # paragraph 5
    append_xml(note, note_ref_run("footnote", 1))
    end = doc.add_paragraph("正文尾注引用")  # paragraph 6
    append_xml(end, note_ref_run("endnote", 1))
    commented = doc.add_paragraph().add_run("批注所在文字")  # paragraph 7
    doc.add_comment(commented, text=SENTINEL, author="审核人")
    add_notes(doc, "footnote", {1: SENTINEL})
    add_notes(doc, "endnote", {1: SENTINEL})
    set_custom_properties(doc, {"密级": SENTINEL, MSIP_NAME: SENTINEL, "项目编号": "2024-017"})
    return to_bytes(doc)


def split_mark() -> bytes:
    """``秘密`` ``★`` ``1年`` in three runs of different formatting."""
    doc = new_document()
    p = doc.add_paragraph()
    p.add_run("秘密").bold = True
    p.add_run("★").font.size = Pt(16)
    p.add_run("1年").italic = True
    return to_bytes(doc)


def typical_document(paragraphs: int = 30) -> bytes:
    """A plain 公文-like document for timing: header, a mark, body paragraphs and one table."""
    doc = new_document()
    doc.sections[0].header.paragraphs[0].text = "某某单位文件"
    doc.add_paragraph("000123")
    doc.add_paragraph("秘密★1年")
    doc.add_paragraph("关于做好年度保密自查自评工作的通知")
    for i in range(paragraphs - 3):
        p = doc.add_paragraph(f"第{i + 1}条 ")
        p.add_run("各单位要严格落实保密工作责任制，").bold = i % 2 == 0
        p.add_run("加强涉密载体管理，定期开展保密检查，确保国家秘密安全。")
    table = doc.add_table(rows=4, cols=3)
    for r in range(4):
        for c in range(3):
            table.cell(r, c).text = f"单元{r}{c}"
    return to_bytes(doc)
