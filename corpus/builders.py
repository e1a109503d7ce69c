"""Deterministic builders of realistic Chinese office documents for docscan's corpora.

DOCX through python-docx, XLSX through openpyxl, PDF through reportlab with the
non-embedded CID font STSong-Light, TXT in UTF-8 / GB18030 / UTF-16. The same
spec gives the same bytes on every run: zip members get a fixed timestamp,
core-property dates are pinned and reportlab runs with ``invariant=1``.

Body prose comes from corpus/public (public-domain texts, see corpus/README.md)
plus office phrases written for this project. Everything is fictional.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.font import Font as DocxFont
from docx.text.paragraph import Paragraph
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

PUBLIC = Path(__file__).resolve().parent / "public"
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
FIXED_ISO = "2024-01-01T00:00:00Z"
FIXED_DT = datetime(2024, 1, 1)
BODY_FONT, MARK_FONT, TITLE_FONT = "仿宋_GB2312", "黑体", "方正小标宋简体"

# ---------------------------------------------------------------------------- prose

OFFICE_SENTENCES = (
    "请各单位高度重视，结合实际认真抓好贯彻落实。",
    "各部门要明确责任分工，细化工作措施，确保各项任务按期完成。",
    "请于每月25日前将工作进展情况报送综合处。",
    "会议听取了各牵头单位关于重点项目推进情况的汇报。",
    "对工作中发现的问题，要建立台账，逐项整改销号。",
    "经研究，现将有关事项通知如下。",
    "联系人及电话请在回执中注明。",
    "本方案自印发之日起施行。",
    "各单位要加强统筹协调，形成工作合力。",
    "项目总投资约3.6亿元，计划于年底前完成主体工程建设。",
    "请各单位于会议召开前两个工作日报送参会人员名单。",
    "各责任单位要定期开展自查，及时报告存在的困难和问题。",
    "下一步，将继续完善制度机制，巩固提升工作成效。",
    "本次检查共抽查点位46个，发现问题17项，已整改完成12项。",
    "全年累计完成固定资产投资同比增长6.8%。",
    "会议要求，要进一步压实责任，强化督促检查。",
    "特此报告。",
    "以上意见妥否，请批示。",
)

TOPICS = (
    "做好2024年汛期安全防范工作", "开展安全生产大检查", "加强政务信息系统运维管理", "调整节假日值班安排",
    "推进老旧小区改造", "做好年度预算编制", "开展档案数字化整理", "规范公务接待管理", "加强办公用房管理",
    "做好冬季供暖保障", "开展消防安全专项整治", "推进营商环境优化", "做好重点项目融资对接",
    "加强数据中心机房管理", "开展网络安全应急演练", "做好统计数据质量核查", "推进智慧园区建设",
    "加强外包服务人员管理", "做好防汛物资储备", "开展科研项目中期检查", "规范合同审批流程",
    "调整部分岗位职责", "做好年度考核评价", "开展设备隐患排查", "推进政务服务一网通办",
    "加强应急值守工作", "做好新员工入职培训", "开展供应商履约评价", "推进能耗双控工作",
    "做好重大活动安全保障", "加强车辆使用管理", "开展固定资产清查", "推进产学研合作",
)
DOC_TYPES = ("通知", "报告", "方案", "意见", "请示", "通报", "纪要", "函")
ORGS = (
    "江川市人民政府办公室", "东陵区财政局", "临河县应急管理局", "华辰装备集团有限公司", "南屿市交通运输局",
    "青岚市科学技术局", "北湾区发展和改革委员会", "远山能源股份有限公司", "白塔市数据管理中心",
    "西岭县教育局", "宁川市住房和城乡建设局", "启明电子研究所",
)


SKIP_SENTENCE = re.compile(r"密|内部|公开|★|[A-Za-z]|^[一二三四五六七八九十]+、|^（[一二三四五六七八九十]+）")


def _public_sentences() -> tuple[str, ...]:
    out = []
    for line in (PUBLIC / "gov-report-2024.txt").read_text(encoding="utf-8").splitlines():
        for raw in re.split(r"(?<=[。！？])", line):
            s = raw.strip()
            if 16 <= len(s) <= 80 and s[-1] in "。！？" and not SKIP_SENTENCE.search(s):
                out.append(s)
    return tuple(out)


def law_lines(name: str) -> tuple[str, ...]:
    """The lines of a public law text in corpus/public from 第一条 on (articles, items, chapter titles)."""
    lines = [ln.strip() for ln in (PUBLIC / name).read_text(encoding="utf-8").splitlines() if ln.strip()]
    first = next(i for i, ln in enumerate(lines) if ln.startswith("第一条"))
    return tuple(lines[first:])


def law_title(name: str) -> str:
    return (PUBLIC / name).read_text(encoding="utf-8").splitlines()[0].strip()


class Prose:
    """Deterministic body text: report sentences from corpus/public mixed with office phrases."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pool = _public_sentences()

    def sentence(self) -> str:
        r = self.rng
        return r.choice(OFFICE_SENTENCES) if r.random() < 0.3 else r.choice(self.pool)

    def paragraph(self, lo: int = 2, hi: int = 4) -> str:
        return "".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    def paragraphs(self, n: int) -> list[str]:
        return [self.paragraph() for _ in range(n)]

    def topic(self) -> str:
        return self.rng.choice(TOPICS)

    def title(self, doc_type: str | None = None) -> str:
        return f"关于{self.topic()}的{doc_type or self.rng.choice(DOC_TYPES)}"

    def org(self) -> str:
        return self.rng.choice(ORGS)

    def date(self) -> str:
        r = self.rng
        return f"{r.choice((2022, 2023, 2024))}年{r.randint(1, 12)}月{r.randint(1, 28)}日"

    def doc_number(self) -> str:
        r = self.rng
        prefix = r.choice(("江政办发", "东财", "临应急", "华辰集团", "南交"))
        return f"{prefix}〔{r.choice((2023, 2024))}〕{r.randint(2, 88)}号"


# ---------------------------------------------------------------------------- zip packages

def finalize_ooxml(path: Path, custom: tuple[tuple[str, str], ...] = ()) -> None:
    """Rewrite an OOXML zip with fixed timestamps and dates; add custom properties when given."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    if custom:
        items = _with_custom_properties(items, custom)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + FIXED_ISO.encode() + rb"\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            z.writestr(info, data)
    path.write_bytes(buf.getvalue())


def _with_custom_properties(items: list[tuple[str, bytes]],
                            custom: tuple[tuple[str, str], ...]) -> list[tuple[str, bytes]]:
    props = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i}" name="{escape(k)}">'
        f"<vt:lpwstr>{escape(v)}</vt:lpwstr></property>" for i, (k, v) in enumerate(custom, 2))
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
           'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
           f"{props}</Properties>")
    override = (b'<Override PartName="/docProps/custom.xml" '
                b'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>')
    rel = (b'<Relationship Id="rIdCustom1" Target="docProps/custom.xml" Type="http://schemas.openxmlformats.org/'
           b'officeDocument/2006/relationships/custom-properties"/>')
    out = []
    for name, data in items:
        if name == "[Content_Types].xml":
            data = data.replace(b"</Types>", override + b"</Types>")
        elif name == "_rels/.rels":
            data = data.replace(b"</Relationships>", rel + b"</Relationships>")
        out.append((name, data))
    out.append(("docProps/custom.xml", xml.encode("utf-8")))
    return out


# ---------------------------------------------------------------------------- docx

@dataclass(frozen=True)
class Para:
    """One Word paragraph. ``wingdings`` writes each ★ as <w:sym w:font="Wingdings" w:char="F0AB"/>."""

    text: str = ""
    align: str | None = None  # "center" | "right"
    size: float | None = None  # points
    bold: bool = False
    font: str | None = None
    wingdings: bool = False
    split: bool = False  # spread the text over several runs, as edited Word files do
    page_break: bool = False  # a page break (its own paragraph, like Ctrl+Enter) before this one
    indent: bool = False  # first-line indent of two characters


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class DocxSpec:
    body: tuple[Para | Table, ...]
    header: str | None = None
    footer: str | None = None  # None: a centred "— PAGE —" field
    first_header: str | None = None  # a different first-page header
    author: str = "user"
    title: str = ""
    keywords: str = ""
    custom: tuple[tuple[str, str], ...] = ()
    base_size: float = 16


def write_docx(path: Path, spec: DocxSpec) -> None:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(spec.base_size)
    _east_asia(normal.font, normal.element, BODY_FONT)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    if spec.header is not None:
        _header_text(sec.header.paragraphs[0], spec.header, 10.5)
    if spec.first_header is not None:
        sec.different_first_page_header_footer = True
        _header_text(sec.first_page_header.paragraphs[0], spec.first_header, 10.5)
    if spec.footer is None:
        _page_field(sec.footer.paragraphs[0])
    else:
        _header_text(sec.footer.paragraphs[0], spec.footer, 10.5)
    for item in spec.body:
        if isinstance(item, Table):
            _add_table(doc, item)
        else:
            _add_para(doc, item)
    cp = doc.core_properties
    cp.author = cp.last_modified_by = spec.author
    cp.title, cp.keywords = spec.title, spec.keywords
    cp.comments, cp.subject, cp.category, cp.revision = "", "", "", 1
    cp.created = cp.modified = FIXED_DT
    doc.save(str(path))
    finalize_ooxml(path, spec.custom)


def _east_asia(font: DocxFont, element: Any, name: str) -> None:
    font.name = name
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def _align(paragraph: Paragraph, align: str | None) -> None:
    if align:
        paragraph.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER,
                               "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]


def _header_text(paragraph: Paragraph, text: str, size: float) -> None:
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    _align(paragraph, "center")


def _page_field(paragraph: Paragraph) -> None:
    paragraph.add_run("— ")
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run, text = OxmlElement("w:r"), OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)
    paragraph.add_run(" —")
    _align(paragraph, "center")


def _pieces(para: Para) -> list[tuple[str, bool]]:
    """(text, is_wingdings_star) runs of a paragraph."""
    if para.wingdings:
        out: list[tuple[str, bool]] = []
        for i, chunk in enumerate(para.text.split("★")):
            if i:
                out.append(("", True))
            if chunk:
                out.append((chunk, False))
        return out
    if para.split and len(para.text) >= 3:
        cut = [m.start() for m in re.finditer("★", para.text)] or [len(para.text) // 2]
        a, b = cut[0], cut[0] + (1 if "★" in para.text else 0)
        return [(t, False) for t in (para.text[:a], para.text[a:b], para.text[b:]) if t]
    return [(para.text, False)] if para.text else []


def _add_para(doc: DocxDocument, para: Para) -> None:
    if para.page_break:
        doc.add_page_break()
    p = doc.add_paragraph()
    _align(p, para.align)
    if para.indent:
        p.paragraph_format.first_line_indent = Pt(2 * (para.size or 16))
    for text, sym in _pieces(para):
        run = p.add_run(text)
        if sym:
            el = OxmlElement("w:sym")
            el.set(qn("w:font"), "Wingdings")
            el.set(qn("w:char"), "F0AB")
            run._r.append(el)
        if para.size:
            run.font.size = Pt(para.size)
        run.bold = para.bold or None
        if para.font:
            _east_asia(run.font, run._element, para.font)


def _add_table(doc: DocxDocument, table: Table) -> None:
    cols = max(len(r) for r in table.rows)
    t = doc.add_table(rows=len(table.rows), cols=cols)
    t.style = "Table Grid"
    for r, row in enumerate(table.rows):
        for c, value in enumerate(row):
            t.cell(r, c).text = value


# ---------------------------------------------------------------------------- xlsx

@dataclass(frozen=True)
class Sheet:
    title: str
    rows: tuple[tuple[object, ...], ...]
    merges: tuple[str, ...] = ()
    bold_rows: tuple[int, ...] = ()  # 1-based
    header: tuple[str, str, str] | None = None  # odd page header: left, centre, right
    header_font: tuple[str, int] | None = None  # ("黑体,常规", 16) for the left section
    footer: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class XlsxSpec:
    sheets: tuple[Sheet, ...]
    creator: str = "user"
    title: str = ""
    keywords: str = ""
    custom: tuple[tuple[str, str], ...] = ()


def write_xlsx(path: Path, spec: XlsxSpec) -> None:
    wb = Workbook()
    for i, sheet in enumerate(spec.sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        _fill_sheet(ws, sheet)
    p = wb.properties
    p.creator = p.lastModifiedBy = spec.creator
    p.title, p.keywords = spec.title or None, spec.keywords or None
    p.created = p.modified = FIXED_DT
    wb.save(str(path))
    finalize_ooxml(path, spec.custom)


def _fill_sheet(ws: Worksheet, sheet: Sheet) -> None:
    ws.title = sheet.title
    widths: dict[int, int] = {}
    for r, row in enumerate(sheet.rows, 1):
        for c, value in enumerate(row, 1):
            if value is None or value == "":
                continue
            cell = ws.cell(r, c, value)
            if r in sheet.bold_rows:
                cell.font = Font(bold=True)
            widths[c] = max(widths.get(c, 6), min(60, 2 * len(str(value)) + 2))
    for c, w in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = w
    for rng in sheet.merges:
        ws.merge_cells(rng)
    for spec_hf, hf in ((sheet.header, ws.oddHeader), (sheet.footer, ws.oddFooter)):
        if spec_hf:
            hf.left.text, hf.center.text, hf.right.text = (t or None for t in spec_hf)
    if sheet.header and sheet.header_font:
        ws.oddHeader.left.font, ws.oddHeader.left.size = sheet.header_font


# ---------------------------------------------------------------------------- pdf

@dataclass(frozen=True)
class PdfLine:
    """A paragraph laid from the top of the page down, wrapped; ``cells`` lays a table row instead."""

    text: str = ""
    size: float = 14
    align: str = "left"  # left | center | right
    indent: bool = False
    gap: float = 0  # extra space before, in points
    cells: tuple[str, ...] = ()
    red: bool = False


@dataclass(frozen=True)
class PdfSpec:
    pages: tuple[tuple[PdfLine, ...], ...]  # each starts a new page; overflow flows onto extra pages
    header: str | None = None  # running header, every page
    footer: str | None = None  # running footer, every page
    stamp: PdfLine | None = None  # drawn LAST on page 1 at the first line's place (leave that line blank)
    page_numbers: bool = True
    author: str = "user"
    title: str = ""


PDF_FONT = "STSong-Light"
PAGE_W, PAGE_H = 595.2756, 841.8898  # A4
LEFT, RIGHT, TOP, BOTTOM = 80.0, 595.2756 - 75, 841.8898 - 95, 90.0


def write_pdf(path: Path, spec: PdfSpec) -> tuple[int, ...]:
    """Write the PDF; returns the 1-based physical page on which each spec page starts."""
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    pager = _Pager(Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1), spec)
    starts = []
    for lines in spec.pages:
        pager.new_page()
        starts.append(pager.pno)
        for line in lines:
            pager.lay(line)
    pager.finish()
    pager.c.save()
    return tuple(starts)


class _Pager:
    """Lays lines top-down, turning the page (with running header, footer, number) when full."""

    def __init__(self, c: Canvas, spec: PdfSpec) -> None:
        self.c, self.spec, self.pno, self.y = c, spec, 0, TOP
        c.setAuthor(spec.author)
        c.setTitle(spec.title)

    def new_page(self) -> None:
        if self.pno:
            self.finish()
        self.pno += 1
        self.y = TOP
        if self.spec.header:
            _draw(self.c, PdfLine(self.spec.header, 10.5, "center"), PAGE_H - 50)

    def finish(self) -> None:
        if self.spec.footer:
            _draw(self.c, PdfLine(self.spec.footer, 10.5, "center"), 62)
        if self.spec.page_numbers:
            _draw(self.c, PdfLine(f"— {self.pno} —", 12, "center"), 42)
        if self.pno == 1 and self.spec.stamp:
            _draw(self.c, self.spec.stamp, TOP)
        self.c.showPage()

    def lay(self, line: PdfLine) -> None:
        lead = line.size * 1.75
        self.y -= line.gap
        if line.cells:
            self._room(lead)
            width = (RIGHT - LEFT) / len(line.cells)
            for i, cell in enumerate(line.cells):
                room = max(1, int(width // line.size) - 1)
                _draw(self.c, PdfLine(cell[:room], line.size), self.y, i * width)
            self.y -= lead
            return
        for i, chunk in enumerate(_wrap(line.text, line.size, 2 * line.size if line.indent else 0) or [""]):
            self._room(lead)
            shift = 2 * line.size if (line.indent and i == 0) else 0
            _draw(self.c, PdfLine(chunk, line.size, line.align, red=line.red), self.y, shift)
            self.y -= lead

    def _room(self, lead: float) -> None:
        if self.y < BOTTOM:
            self.new_page()


def _wrap(text: str, size: float, first_indent: float) -> list[str]:
    lines, cur, x = [], "", first_indent
    for ch in text:
        w = pdfmetrics.stringWidth(ch, PDF_FONT, size)
        if x + w > RIGHT - LEFT and cur:
            lines.append(cur)
            cur, x = "", 0.0
        cur += ch
        x += w
    return lines + [cur] if cur else lines


def _draw(c: Canvas, line: PdfLine, y: float, shift: float = 0) -> None:
    c.setFont(PDF_FONT, line.size)
    c.setFillColorRGB(*((0.8, 0, 0) if line.red else (0, 0, 0)))
    if line.align == "center":
        c.drawCentredString(PAGE_W / 2, y, line.text)
    elif line.align == "right":
        c.drawRightString(RIGHT, y, line.text)
    else:
        c.drawString(LEFT + shift, y, line.text)


# ---------------------------------------------------------------------------- txt

def write_txt(path: Path, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> None:
    """Write lines; ``utf-16`` writes a BOM (little-endian), ``utf-8-sig`` a UTF-8 BOM."""
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


# ---------------------------------------------------------------------------- format-neutral documents

PAGE = "\f"  # a body item: page break (docx), new page (pdf), new sheet (xlsx), blank line (txt)


@dataclass(frozen=True)
class Doc:
    """A document independent of its format; ``render`` lays it out as docx, pdf, xlsx or txt.

    ``top`` lines stand above the title in mark type (份号, 密级, 紧急程度); ``red_head`` is the
    发文机关标志 and ``doc_no`` the 发文字号 under it; ``tail`` closes the body (signature, date,
    附注). ``header``/``footer`` are running lines (docx header, pdf page band, xlsx sheet header).
    """

    title: str
    body: tuple[str | Table, ...] = ()
    top: tuple[str, ...] = ()
    top_align: str | None = None
    red_head: str = ""
    doc_no: str = ""
    tail: tuple[str, ...] = ()
    header: str | None = None
    footer: str | None = None
    first_header: str | None = None  # docx only
    custom: tuple[tuple[str, str], ...] = ()  # docx/xlsx custom properties
    wingdings: bool = False  # docx: ★ in top lines as a Wingdings symbol
    split: bool = False  # docx: top lines split over runs
    stamp: str | None = None  # pdf: top[0] is drawn last, in red, as a stamp
    header_font: tuple[str, int] | None = None  # xlsx: font codes in the sheet header
    sheets: tuple[str, ...] = ()  # xlsx: sheet names, one per PAGE-separated part
    encoding: str = "utf-8"  # txt
    newline: str = "\n"  # txt


def render(doc: Doc, fmt: str, path: Path) -> tuple[int, ...]:
    """Write ``doc`` as ``fmt``; for pdf, returns the physical page each PAGE-separated part starts on."""
    if fmt == "pdf":
        return _render_pdf(doc, path)
    {"docx": _render_docx, "xlsx": _render_xlsx, "txt": _render_txt}[fmt](doc, path)
    return ()


def _is_tail_note(line: str) -> bool:
    return line.startswith("（") and line.endswith("）")


def _render_docx(doc: Doc, path: Path) -> None:
    items: list[Para | Table] = [
        Para(t, align=doc.top_align, size=16, font=MARK_FONT, wingdings=doc.wingdings and "★" in t,
             split=doc.split) for t in doc.top]
    if doc.red_head:
        items.append(Para(doc.red_head, align="center", size=28, bold=True, font=TITLE_FONT))
    if doc.doc_no:
        items.append(Para(doc.doc_no, align="center"))
    items.append(Para(doc.title, align="center", size=22, font=TITLE_FONT))
    brk = False
    for item in doc.body:
        if item == PAGE:
            brk = True
        elif isinstance(item, Table):
            items.append(item)
        else:
            items.append(Para(item, indent=True, page_break=brk))
            brk = False
    items += [Para(t, indent=True) if _is_tail_note(t) else Para(t, align="right") for t in doc.tail]
    write_docx(path, DocxSpec(tuple(items), header=doc.header, footer=doc.footer,
                              first_header=doc.first_header, title=doc.title, custom=doc.custom))


def _render_pdf(doc: Doc, path: Path) -> tuple[int, ...]:
    first: list[PdfLine] = [PdfLine(t, 16, doc.top_align or "left") for t in doc.top]
    if doc.stamp:
        first[0] = PdfLine("", 16)
    if doc.red_head:
        first.append(PdfLine(doc.red_head, 26, "center", gap=12, red=True))
    if doc.doc_no:
        first.append(PdfLine(doc.doc_no, 14, "center"))
    first.append(PdfLine(doc.title, 20, "center", gap=10))
    pages: list[list[PdfLine]] = [first]
    for item in doc.body:
        if item == PAGE:
            pages.append([])
        elif isinstance(item, Table):
            pages[-1] += [PdfLine(cells=row, size=10.5) for row in item.rows]
        elif not pages[-1] and len(item) <= 24 and not item.endswith("。"):
            pages[-1].append(PdfLine(item, 16, "left"))  # a heading or mark opening a page
        else:
            pages[-1].append(PdfLine(item, 14, indent=True))
    pages[-1] += [PdfLine(t, 14, indent=True) if _is_tail_note(t) else PdfLine(t, 14, "right")
                  for t in doc.tail]
    stamp = PdfLine(doc.stamp, 16, red=True) if doc.stamp else None
    return write_pdf(path, PdfSpec(tuple(tuple(p) for p in pages), header=doc.header, footer=doc.footer,
                                   stamp=stamp, title=doc.title))


def _render_txt(doc: Doc, path: Path) -> None:
    pad = "　" * 18 if doc.top_align == "right" else ""
    lines = [pad + t for t in doc.top] + [x for x in (doc.red_head, doc.doc_no) if x] + [doc.title, ""]
    for item in doc.body:
        if item == PAGE:
            lines.append("")
        elif isinstance(item, Table):
            lines += ["\t".join(row) for row in item.rows]
        else:
            lines.append(item)
    lines += [""] + list(doc.tail)
    write_txt(path, lines, doc.encoding, doc.newline)


def _render_xlsx(doc: Doc, path: Path) -> None:
    parts: list[list[str | Table]] = [[]]
    for item in doc.body:
        if item == PAGE:
            parts.append([])
        else:
            parts[-1].append(item)
    sheets = []
    for i, part in enumerate(parts):
        rows: list[tuple[object, ...]] = []
        if i == 0:
            width = 6 if doc.top_align == "right" else 1
            rows += [("",) * (width - 1) + (t,) for t in doc.top]
            rows.append((doc.title,))
        for item in part:
            if isinstance(item, Table):
                rows += [tuple(_cell_value(v) for v in row) for row in item.rows]
            else:
                rows.append((item,))
        title_row = len(doc.top) + 1 if i == 0 else 0
        name = doc.sheets[i] if i < len(doc.sheets) else f"Sheet{i + 1}"
        header = None
        if doc.header:  # with font codes the mark goes left (&L&"黑体,常规"&16...), else centred
            header = (doc.header, "", "") if doc.header_font else ("", doc.header, "")
        sheets.append(Sheet(name, tuple(rows), merges=(f"A{title_row}:F{title_row}",) if title_row else (),
                            bold_rows=(title_row,) if title_row else (), header=header,
                            header_font=doc.header_font, footer=("", doc.footer or "", "第 &P 页")))
    write_xlsx(path, XlsxSpec(tuple(sheets), title=doc.title, custom=doc.custom))


def _cell_value(value: str) -> object:
    return int(value) if value.isdigit() and len(value) < 6 else value
