"""Build synthetic PPTX decks for the extractor tests: python-pptx plus raw XML put into the package.

python-pptx writes slides, text boxes, placeholders, tables, notes and core properties; what it
cannot write (text on the slide master, comments of either kind, group transforms with a child
offset) is injected as raw XML, into python-pptx's element trees or as extra parts with proper
relationships. Sizes are EMU (914400 per inch); the default slide is 10 x 7.5 inches.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from xml.sax.saxutils import escape

import pptx
from pptx.opc.package import Part
from pptx.opc.packuri import PackURI
from pptx.oxml import parse_xml
from pptx.presentation import Presentation
from pptx.slide import Slide
from pptx.util import Inches

SENTINEL = "秘密★1年"
PROMPT = "单击此处编辑母版标题样式"
HEIGHT = 6858000

NS = {
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p188": "http://schemas.microsoft.com/office/powerpoint/2018/8/main",
}
NSDECLS = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
RT_COMMENTS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
RT_AUTHORS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/commentAuthors"
RT_MODERN_COMMENTS = "http://schemas.microsoft.com/office/2018/10/relationships/comments"
RT_MODERN_AUTHORS = "http://schemas.microsoft.com/office/2018/10/relationships/authors"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.presentationml.comments+xml"
CT_AUTHORS = "application/vnd.openxmlformats-officedocument.presentationml.commentAuthors+xml"
CT_MODERN_COMMENTS = "application/vnd.ms-powerpoint.comments+xml"
CT_MODERN_AUTHORS = "application/vnd.ms-powerpoint.authors+xml"
AUTHOR_GUID = "{6B1A0C5E-3F1D-4E2B-9A7C-1D2E3F4A5B6C}"

BLANK, TITLE_ONLY, TITLE_AND_CONTENT = 6, 5, 1  # layouts of python-pptx's default template


def new_deck() -> Presentation:
    return pptx.Presentation()


def to_bytes(prs: Presentation) -> bytes:
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def add_slide(prs: Presentation, layout: int = BLANK) -> Slide:
    return prs.slides.add_slide(prs.slide_layouts[layout])


def add_box(slide: Slide, x: float, y: float, *paragraphs: str) -> None:
    """A text box at (x, y) inches holding the given paragraphs."""
    frame = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(3), Inches(0.5)).text_frame
    frame.text = paragraphs[0]
    for text in paragraphs[1:]:
        frame.add_paragraph().text = text


def a_run(text: str, rpr: str = "") -> str:
    return f'<a:r><a:rPr lang="zh-CN"{">" + rpr + "</a:rPr>" if rpr else "/>"}<a:t>{escape(text)}</a:t></a:r>'


def sp_xml(inner_paragraphs: str, y: int, x: int = 457200, shape_id: int = 90, ph: str = "") -> str:
    """A raw p:sp text box at (x, y) EMU; ``inner_paragraphs`` is a:p XML; ``ph`` a p:ph element."""
    return (f'<p:sp {NSDECLS}><p:nvSpPr><p:cNvPr id="{shape_id}" name="TextBox {shape_id}"/>'
            f'<p:cNvSpPr txBox="1"/><p:nvPr>{ph}</p:nvPr></p:nvSpPr><p:spPr><a:xfrm><a:off x="{x}" y="{y}"/>'
            '<a:ext cx="2743200" cy="369332"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
            f'</p:spPr><p:txBody><a:bodyPr/><a:lstStyle/>{inner_paragraphs}</p:txBody></p:sp>')


def append_shape(tree_owner: object, xml: str) -> None:
    """Append raw shape XML to a slide's, layout's or master's p:spTree."""
    tree_owner.shapes._spTree.append(parse_xml(xml))  # type: ignore[attr-defined]


def set_master_prompt(prs: Presentation, text: str = PROMPT) -> None:
    """Write PowerPoint's Chinese prompt text into the master's title placeholder."""
    prs.slide_master.placeholders[0].text_frame.text = text


def add_part(prs: Presentation, source: object, name: str, content_type: str, xml: str, reltype: str) -> None:
    """Add a package part related from ``source`` (a slide or the presentation)."""
    part = Part(PackURI(name), content_type, prs.part.package, xml.encode("utf-8"))
    source.part.relate_to(part, reltype)  # type: ignore[attr-defined]


def add_legacy_comment(prs: Presentation, slide: Slide, number: int, author: str, text: str) -> None:
    """ppt/comments/commentN.xml (p:cm with p:text) and ppt/commentAuthors.xml."""
    authors = (f'<p:cmAuthorLst {NSDECLS}><p:cmAuthor id="0" name="{escape(author)}" initials="SH" '
               'lastIdx="1" clrIdx="0"/></p:cmAuthorLst>')
    add_part(prs, prs, "/ppt/commentAuthors.xml", CT_AUTHORS, authors, RT_AUTHORS)
    comments = (f'<p:cmLst {NSDECLS}><p:cm authorId="0" dt="2024-05-01T08:00:00.000" idx="1">'
                f'<p:pos x="10" y="10"/><p:text>{escape(text)}</p:text></p:cm></p:cmLst>')
    add_part(prs, slide, f"/ppt/comments/comment{number}.xml", CT_COMMENTS, comments, RT_COMMENTS)


def add_modern_comment(prs: Presentation, slide: Slide, number: int, author: str, text: str,
                       reply: str = "") -> None:
    """ppt/comments/modernComment_N.xml (p188:cm, optional reply) and ppt/authors.xml."""
    authors = (f'<p188:authorLst {NSDECLS}><p188:author id="{AUTHOR_GUID}" name="{escape(author)}" '
               f'initials="LS" userId="{escape(author)}" providerId="None"/></p188:authorLst>')
    add_part(prs, prs, "/ppt/authors.xml", CT_MODERN_AUTHORS, authors, RT_MODERN_AUTHORS)
    body = f"<p188:txBody><a:bodyPr/><a:lstStyle/><a:p>{a_run(text)}</a:p></p188:txBody>"
    replies = (f'<p188:replyLst><p188:reply id="{{0A1B2C3D-0000-4000-8000-000000000002}}" '
               f'authorId="{AUTHOR_GUID}" created="2024-05-01T09:00:00.000"><p188:txBody><a:bodyPr/>'
               f"<a:lstStyle/><a:p>{a_run(reply)}</a:p></p188:txBody></p188:reply></p188:replyLst>"
               if reply else "")
    comments = (f'<p188:cmLst {NSDECLS}><p188:cm id="{{0A1B2C3D-0000-4000-8000-000000000001}}" '
                f'authorId="{AUTHOR_GUID}" created="2024-05-01T08:00:00.000">{body}{replies}</p188:cm>'
                "</p188:cmLst>")
    add_part(prs, slide, f"/ppt/comments/modernComment_{number}.xml", CT_MODERN_COMMENTS, comments,
             RT_MODERN_COMMENTS)


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


def fixture_matrix() -> bytes:
    """One deck with SENTINEL planted once in every part the extractor reads (see test_pptx)."""
    prs = new_deck()
    prs.core_properties.title = SENTINEL
    set_master_prompt(prs)
    append_shape(prs.slide_master, sp_xml(f"<a:p>{a_run(SENTINEL)}</a:p>", y=91440, x=6400800))

    one = add_slide(prs, TITLE_ONLY)  # slide 1: cover, mark top-left above the inherited title
    one.shapes.title.text = "关于年度保密检查情况的汇报"
    add_box(one, 0.3, 0.1, SENTINEL)

    two = add_slide(prs, BLANK)  # slide 2: a table, notes, a modern comment
    add_box(two, 1, 1, "检查对象一览")
    table = two.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(6), Inches(1.2)).table
    table.cell(0, 0).text = "文件名称"
    table.cell(0, 1).text = "份数"
    table.cell(1, 1).text = SENTINEL  # B2
    two.notes_slide.notes_text_frame.text = SENTINEL
    add_modern_comment(prs, two, 1, "李四", SENTINEL)

    three = add_slide(prs, BLANK)  # slide 3: mark in the middle of the body, a legacy comment
    add_box(three, 1, 1, "检查发现的问题")
    add_box(three, 1, 3, "一、部分载体未登记", SENTINEL)
    add_legacy_comment(prs, three, 1, "审核人", SENTINEL)
    return to_bytes(prs)


def unmarked_deck() -> bytes:
    """A plain two-slide deck: title slide placeholders and a text box, nothing marked."""
    prs = new_deck()
    set_master_prompt(prs)
    one = add_slide(prs, 0)
    one.shapes.title.text = "2024年工作总结"
    one.placeholders[1].text = "办公室"
    two = add_slide(prs, TITLE_AND_CONTENT)
    two.shapes.title.text = "主要工作"
    two.placeholders[1].text_frame.text = "完成年度预算编制"
    two.placeholders[1].text_frame.add_paragraph().text = "组织业务培训两次"
    return to_bytes(prs)


def single_slide(*shapes_xml: str, layout: int = BLANK) -> bytes:
    """A one-slide deck whose slide holds the given raw shapes."""
    prs = new_deck()
    slide = add_slide(prs, layout)
    for xml in shapes_xml:
        append_shape(slide, xml)
    return to_bytes(prs)


def group_xml(child: str, off_y: int, ch_off_y: int = 0, scale: float = 1.0) -> str:
    """A p:grpSp at (0, off_y) whose child coordinates start at (0, ch_off_y), scaled by ``scale``."""
    ext, ch_ext = 2000000, int(2000000 / scale)
    return (f'<p:grpSp {NSDECLS}><p:nvGrpSpPr><p:cNvPr id="80" name="Group 80"/><p:cNvGrpSpPr/><p:nvPr/>'
            f'</p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x="0" y="{off_y}"/><a:ext cx="{ext}" cy="{ext}"/>'
            f'<a:chOff x="0" y="{ch_off_y}"/><a:chExt cx="{ch_ext}" cy="{ch_ext}"/></a:xfrm></p:grpSpPr>'
            f"{child}</p:grpSp>")


def typical_deck(slides: int = 20) -> bytes:
    """A plain 汇报 deck for timing: title slides with bullet bodies, a table every fifth slide, notes."""
    prs = new_deck()
    for i in range(slides):
        slide = add_slide(prs, TITLE_AND_CONTENT)
        slide.shapes.title.text = f"第{i + 1}部分 保密工作情况"
        body = slide.placeholders[1].text_frame
        body.text = "严格落实保密工作责任制，加强涉密载体管理。"
        for j in range(5):
            body.add_paragraph().text = f"要点{j + 1}：定期开展保密检查，确保国家秘密安全。"
        if i % 5 == 4:
            table = slide.shapes.add_table(4, 3, Inches(1), Inches(5), Inches(8), Inches(1.6)).table
            for r in range(4):
                for c in range(3):
                    table.cell(r, c).text = f"单元{r}{c}"
        slide.notes_slide.notes_text_frame.text = "讲解要点：结合本单位实际。"
    return to_bytes(prs)

