"""PPTX decks from a format-neutral ``Doc`` (python-pptx), deterministic like the other builders.

Layout of a deck made from a Doc (10 x 7.5 inch slides, python-pptx's default template):

* slide 1 (cover): ``top`` lines in a text box at the top-left corner (top-right when
  ``top_align`` is "right"), the title in the title placeholder, ``red_head`` / ``doc_no`` /
  ``tail`` in the subtitle;
* ``header`` / ``footer``: a text box on the slide MASTER, at its top-right / bottom, so it
  repeats on every slide (python-pptx cannot add shapes to a master: raw p:sp XML);
* body: one slide per ``PAGE``-separated part and at most ``PER_SLIDE`` paragraphs per slide; a
  short line without a full stop that opens a slide is its title; a Table becomes a table shape
  on a slide of its own;
* extras: speaker notes per slide and a text box in a top corner of any slide (``Extras``).

The same extras drive the legacy .ppt copies (converted by LibreOffice, see legacy.py).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pptx
from builders import PAGE, Doc, Table, finalize_ooxml
from pptx.oxml import parse_xml
from pptx.presentation import Presentation
from pptx.slide import Slide
from pptx.util import Inches, Pt

PER_SLIDE = 4
TITLE_SLIDE, TITLE_AND_CONTENT, TITLE_ONLY, BLANK = 0, 1, 5, 6
EMU = 914400
NSDECLS = ('xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
           'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"')


@dataclass(frozen=True)
class Extras:
    """What a Doc cannot say about a deck: notes and a corner box on a given slide (1-based)."""

    notes: tuple[tuple[int, str], ...] = ()
    corner: tuple[int, str, str] | None = None  # (slide, text, "left" | "right")


def render_pptx(doc: Doc, path: Path, extras: Extras = Extras()) -> int:
    """Write ``doc`` as a deck; returns the number of slides."""
    prs = pptx.Presentation()
    _master_boxes(prs, doc)
    _cover(prs, doc)
    for chunk in _chunks(doc.body):
        _content_slide(prs, chunk, doc.title)
    for number, text in extras.notes:
        prs.slides[number - 1].notes_slide.notes_text_frame.text = text
    if extras.corner:
        number, text, side = extras.corner
        _box(prs.slides[number - 1], 6.6 if side == "right" else 0.3, 0.15, (text,), size=14)
    core = prs.core_properties
    core.author = core.last_modified_by = "user"
    core.title, core.revision, core.comments = doc.title, 1, ""
    buf = io.BytesIO()
    prs.save(buf)
    path.write_bytes(buf.getvalue())
    finalize_ooxml(path, doc.custom)
    return len(prs.slides)


def _box(slide: Slide, x: float, y: float, lines: tuple[str, ...], size: float = 16,
         right: bool = False) -> None:
    frame = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(3.2), Inches(0.4 * len(lines))).text_frame
    for i, text in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = text
        run.font.size = Pt(size)
        if right:
            para.alignment = 3  # PP_ALIGN.RIGHT


def _master_boxes(prs: Presentation, doc: Doc) -> None:
    """Running header/footer as text boxes on the slide master (they show on every slide)."""
    for n, (text, y, x) in enumerate(((doc.header, 91440, 6035040), (doc.footer, 6583680, 457200))):
        if not text:
            continue
        xml = (f'<p:sp {NSDECLS}><p:nvSpPr><p:cNvPr id="{90 + n}" name="TextBox {90 + n}"/>'
               f'<p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="{x}" y="{y}"/>'
               '<a:ext cx="2743200" cy="369332"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
               '</p:spPr><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="zh-CN" sz="1200"/>'
               f"<a:t>{escape(text)}</a:t></a:r></a:p></p:txBody></p:sp>")
        prs.slide_master.shapes._spTree.append(parse_xml(xml))


def _cover(prs: Presentation, doc: Doc) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_SLIDE])
    slide.shapes.title.text = doc.title
    sub = [x for x in (doc.red_head, doc.doc_no) if x] + list(doc.tail)
    if sub:
        frame = slide.placeholders[1].text_frame
        frame.text = sub[0]
        for text in sub[1:]:
            frame.add_paragraph().text = text
    if doc.top:
        right = doc.top_align == "right"
        _box(slide, 6.5 if right else 0.3, 0.15, doc.top, right=right)


def _chunks(body: tuple[str | Table, ...]) -> list[list[str | Table]]:
    """Body items per slide: PAGE starts a slide, a Table stands alone, at most PER_SLIDE texts."""
    slides: list[list[str | Table]] = [[]]
    for item in body:
        if item == PAGE:
            slides.append([])
        elif isinstance(item, Table):
            slides += [[item], []]
        else:
            if len(slides[-1]) >= PER_SLIDE or (slides[-1] and isinstance(slides[-1][0], Table)):
                slides.append([])
            slides[-1].append(item)
    return [s for s in slides if s]


def _is_heading(text: str) -> bool:
    return len(text) <= 24 and not text.endswith(("。", "：", ":"))


def _content_slide(prs: Presentation, items: list[str | Table], title: str) -> None:
    first = items[0]
    if isinstance(first, Table):
        slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
        slide.shapes.title.text = title
        rows, cols = len(first.rows), max(len(r) for r in first.rows)
        shape = slide.shapes.add_table(rows, cols, Inches(0.4), Inches(1.6), Inches(9.2), Inches(0.4 * rows))
        for r, row in enumerate(first.rows):
            for c, value in enumerate(row):
                shape.table.cell(r, c).text = value
        return
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_AND_CONTENT])
    texts = [t for t in items if isinstance(t, str)]
    if _is_heading(texts[0]):
        slide.shapes.title.text, texts = texts[0], texts[1:]
    else:
        slide.shapes.title.text = title
    frame = slide.placeholders[1].text_frame
    for i, text in enumerate(texts or [""]):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.text = text
