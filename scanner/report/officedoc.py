"""Official-document DOCX helpers (GB/T 9704 style) for the inspection record and the 登记保存清单.

The page follows the party and government document format (GB/T 9704-2012) closely
enough to print and sign: A4, margins 37/35/28/26 mm, body 仿宋_GB2312 三号 at a fixed
28 pt line pitch, headings 黑体, title 方正小标宋简体 二号, page numbers "— 1 —". Chinese
font names are set as East Asian fonts (``w:rFonts w:eastAsia``) with Times New Roman
for Latin text; a machine without a font gets Word's or LibreOffice's substitute.
Wide tables go into landscape sections. Table rows are written as XML directly: python-docx's
``add_row`` costs O(rows) per call, too slow for a few thousand rows.

scanner.report.docx writes the inspection record (保密检查技术核查记录) with them, and
scanner.report.register the 登记保存清单.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from docx.table import Table

from scanner.report.cells import (
    create_private,
)

BODY_FONT, HEADING_FONT, TITLE_FONT, LATIN_FONT = "仿宋_GB2312", "黑体", "方正小标宋简体", "Times New Roman"
SIZE_2, SIZE_3, SIZE_4, SIZE_5 = Pt(22), Pt(16), Pt(14), Pt(10.5)  # 二号, 三号, 四号, 五号
PORTRAIT_MARGINS_MM = (37, 35, 28, 26)  # top, bottom, left (binding side), right: GB/T 9704 7.2
LANDSCAPE_MARGINS_MM = (28, 26, 37, 35)  # the same page turned: the binding edge stays where it was
TABLE_STYLE, TABLE_HEAD_STYLE = "docscan 表格文字", "docscan 表头"
HEADING_STYLE, TITLE_STYLE = "docscan 标题", "docscan 文件标题"
TWIPS_PER_MM = 1440 / 25.4
SIGN_LINE = "\u3000" * 10  # underlined ideographic spaces: room for a signature


def new_document(title: str, *, landscape: bool = False) -> DocumentType:
    """An empty A4 document with the official-document styles and page numbers."""
    doc = Document()
    _font(doc.styles["Normal"], BODY_FONT, SIZE_3)
    normal = doc.styles["Normal"].paragraph_format
    normal.line_spacing_rule, normal.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    normal.space_before = normal.space_after = Pt(0)
    _style(doc, TITLE_STYLE, TITLE_FONT, SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, spacing=Pt(36))
    _style(doc, HEADING_STYLE, HEADING_FONT, SIZE_3, spacing=Pt(28), keep=True)
    _style(doc, TABLE_STYLE, BODY_FONT, SIZE_5, spacing=None)
    _style(doc, TABLE_HEAD_STYLE, HEADING_FONT, SIZE_5, align=WD_ALIGN_PARAGRAPH.CENTER, spacing=None)
    _page(doc.sections[0], landscape=landscape)
    _page_numbers(doc.sections[0])
    props = doc.core_properties
    props.title, props.author, props.last_modified_by, props.comments = title, "docscan", "docscan", ""
    props.keywords, props.subject, props.category = "保密检查", title, ""
    return doc


def _font(style: Any, east_asia: str, size: Pt, bold: bool = False) -> None:
    style.font.name, style.font.size, style.font.bold = LATIN_FONT, size, bold
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)


def _style(doc: DocumentType, name: str, east_asia: str, size: Pt, *, align: Any = None,
           spacing: Pt | None, keep: bool = False) -> None:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    _font(style, east_asia, size)
    fmt = style.paragraph_format
    fmt.alignment, fmt.keep_with_next = align, keep
    if spacing is None:  # table text: single spacing, a little air
        fmt.line_spacing_rule, fmt.space_before, fmt.space_after = WD_LINE_SPACING.SINGLE, Pt(1), Pt(1)
    else:
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, spacing


def _page(section: Any, *, landscape: bool) -> None:
    short, long = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    top, bottom, left, right = LANDSCAPE_MARGINS_MM if landscape else PORTRAIT_MARGINS_MM
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)


def _page_numbers(section: Any) -> None:
    """"— 7 —" centred in the footer (a PAGE field, so Word and LibreOffice number the pages)."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("— ").font.size = SIZE_4
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph.add_run(" —").font.size = SIZE_4


def new_section(doc: DocumentType, *, landscape: bool) -> None:
    """Start a new page in the given orientation (footers follow the previous section)."""
    _page(doc.add_section(WD_SECTION.NEW_PAGE), landscape=landscape)


def add_title(doc: DocumentType, text: str) -> None:
    doc.add_paragraph(text, style=TITLE_STYLE)


def add_heading(doc: DocumentType, text: str) -> None:
    doc.add_paragraph(text, style=HEADING_STYLE)


def add_text(doc: DocumentType, text: str, *, keep: bool = False) -> None:
    """A body paragraph, first line indented by two characters; ``keep``: on the page of what follows."""
    paragraph = doc.add_paragraph(text)
    paragraph.paragraph_format.first_line_indent = Pt(32)
    paragraph.paragraph_format.keep_with_next = keep


def add_table(doc: DocumentType, header: Sequence[str], widths_mm: Sequence[float],
              rows: Iterable[Sequence[str]]) -> Table:
    """A bordered fixed-width table; the header row repeats on every page. "\\n" in a cell breaks the line."""
    table = doc.add_table(rows=0, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for col, width in zip(table._tbl.tblGrid.gridCol_lst, widths_mm, strict=True):
        col.w = Mm(width)
    tbl = table._tbl
    head_style, body_style = doc.styles[TABLE_HEAD_STYLE].style_id, doc.styles[TABLE_STYLE].style_id
    head = _row(header, widths_mm, head_style)
    head.insert(0, parse_xml(f"<w:trPr {nsdecls('w')}><w:tblHeader/><w:cantSplit/></w:trPr>"))
    tbl.append(head)
    for values in rows:
        tbl.append(_row(values, widths_mm, body_style))
    return table


def _row(values: Sequence[str], widths_mm: Sequence[float], style_id: str) -> Any:
    """One w:tr, built as text and parsed once: much faster than an element per node."""
    cells = []
    for value, width in zip(values, widths_mm, strict=True):
        lines = str(value).split("\n")
        runs = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in lines)
        cells.append(f'<w:tc><w:tcPr><w:tcW w:w="{round(width * TWIPS_PER_MM)}" w:type="dxa"/></w:tcPr>'
                     f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/></w:pPr><w:r>{runs}</w:r></w:p></w:tc>')
    return parse_xml(f'<w:tr {nsdecls("w")}>{"".join(cells)}</w:tr>')


def add_signatures(doc: DocumentType, labels: Sequence[str], *, per_line: int = 1) -> None:
    """Signature lines ("检查人员（签名）：" and an underlined space), ``per_line`` to a line, and the date
    (on the last line when it has room, else on a line of its own).

    Labels are padded with ideographic spaces so the lines start at the same place, and the
    block stays on one page.
    """
    width = max(len(label) for label in labels) + 1
    blank = "\u3000\u3000"
    when = f"{blank * 2}年{blank}月{blank}日"
    lines = [list(labels[start:start + per_line]) for start in range(0, len(labels), per_line)]
    date_inline = len(lines[-1]) < per_line
    for n, line in enumerate(lines, 1):
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(14 if n == 1 else 6)
        paragraph.paragraph_format.keep_with_next = n < len(lines) or not date_inline
        for i, label in enumerate(line):
            paragraph.add_run((blank if i else "") + f"{label}：".ljust(width, "\u3000"))
            paragraph.add_run(SIGN_LINE).font.underline = True
        if n == len(lines) and date_inline:
            paragraph.add_run(f"{blank}日期：{when}")
    if not date_inline:
        doc.add_paragraph("日期：".ljust(width, "\u3000") + when).paragraph_format.space_before = Pt(6)

def save(doc: DocumentType, path: str) -> None:
    """Write ``doc`` to ``path``, created readable by its owner only (0600)."""
    with create_private(path, binary=True) as out:
        doc.save(out)


