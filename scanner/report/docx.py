"""DOCX output: official-document helpers (GB/T 9704 style) and the inspection record.

The page follows the party and government document format (GB/T 9704-2012) closely
enough to print and sign: A4, margins 37/35/28/26 mm, body 仿宋_GB2312 三号 at a fixed
28 pt line pitch, headings 黑体, title 方正小标宋简体 二号, page numbers "— 1 —". Chinese
font names are set as East Asian fonts (``w:rFonts w:eastAsia``) with Times New Roman
for Latin text; a machine without a font gets Word's or LibreOffice's substitute.
Wide tables go into landscape sections. Table rows are written as XML directly: python-docx's
``add_row`` costs O(rows) per call, too slow for a few thousand rows.

``render`` writes the inspection record (保密检查技术核查记录); scanner.report.register uses
the same helpers for the 登记保存清单.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
    LEVELS,
    STATUS_NAMES,
    UNKNOWN,
    carrier_form,
    clean,
    create_private,
    file_name,
    level_rank,
    marking_label,
    reason_text,
    size_text,
    status_name,
    suspected_label,
    time_text,
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


def render(records: Iterable[Mapping[str, Any]], run: Mapping[str, Any] | None, path: str) -> None:
    """Write the inspection record (保密检查技术核查记录) of ``records`` to ``path`` (created 0600)."""
    write_record(records, run, path)


def save(doc: DocumentType, path: str) -> None:
    """Write ``doc`` to ``path``, created readable by its owner only (0600)."""
    with create_private(path, binary=True) as out:
        doc.save(out)


# ---- the inspection record (保密检查技术核查记录) ----

RECORD_TITLE = "保密检查技术核查记录"
CARRIER_ROWS = 2_000  # carriers, and files not fully read, listed in the record; the JSONL/CSV hold them all
SUMMARY_CHARS = 60
CARRIER_HEADER = ("序号", "文件名", "密级/疑似", "数量（标志处数）", "载体形式", "存放位置（原件存放处）",
                  "SHA-256", "概要内容")
CARRIER_WIDTHS = (12, 36, 20, 15, 24, 48, 36, 34)  # 225 mm: the landscape text width
COVERAGE_HEADER = ("序号", "文件路径", "状态", "原因", "大小")
COVERAGE_WIDTHS = (12, 92, 16, 77, 28)
SUSPECTED_KEYS = ("疑似涉密", "疑似内部")
OPTION_NAMES = {"jobs": "并行进程数", "timeout": "单个文件时限（秒）", "max_size": "解析大小上限（字节）",
                "ocr": "文字识别（OCR）", "redact": "脱敏输出", "excludes": "排除规则",
                "classify": "内容分类"}
RECORD_SIGNERS = ("检查人员（签名）", "检查人员（签名）", "被检查人（签名）", "见证人（签名）")
LEGAL_NOTES = (
    "1. 本记录所列电子数据提取自被检查的原始存储介质，“存放位置”栏载明原件存放处，SHA-256 校验值用于核对"
    "复制件与原件是否一致（《泄密案件查处办法》第二十一条、第二十二条）。",
    "2. “密级/疑似”“数量”“载体形式”“概要内容”为软件技术核查结果，供办案和密级鉴定参考（参照《泄密案件"
    "查处办法》第五十四条），不代替密级鉴定结论。标为“疑似”的文件未见密级标志，系依内容判断，需人工核实。",
    "3. “未能完整检查的文件”中的文件可能含有未被发现的密级标志，应人工核查或以其他方式检查。",
    "4. 本记录由检查人员和被检查人签名；被检查人拒绝签名或者不能签名的，由检查人员注明情况，并由见证人签名"
    "（《泄密案件查处办法》第四十四条）。",
    "5. 本记录含有被检查文件的名称和概要内容，应根据所列内容确定本记录的密级，按相应密级管理。",
)


@dataclass(slots=True)
class RecordSummary:
    """What the record needs from a stream of records: counts, and a bounded number of table rows."""

    max_rows: int = CARRIER_ROWS
    files: int = 0
    statuses: Counter = field(default_factory=Counter)
    levels: Counter = field(default_factory=Counter)  # "秘密" / "疑似涉密" -> files
    declassified: int = 0
    mentions_only: int = 0
    carriers: list[tuple[tuple[int, str], tuple[str, ...]]] = field(default_factory=list)
    carrier_total: int = 0
    uncovered: list[tuple[str, ...]] = field(default_factory=list)
    uncovered_total: int = 0

    def add(self, record: Mapping[str, Any]) -> None:
        self.files += 1
        self.statuses[str(record.get("status"))] += 1
        if record.get("status") != "ok":
            self.uncovered_total += 1
            if len(self.uncovered) < self.max_rows:
                self.uncovered.append(_uncovered_cells(record))
        marking, suspected = record.get("marking") or {}, record.get("suspected") or {}
        if marking or suspected.get("label"):
            self._add_carrier(record, marking, suspected)
        elif any(isinstance(f, Mapping) and f.get("kind") == "mention" for f in record.get("findings") or ()):
            self.mentions_only += 1

    def _add_carrier(self, record: Mapping[str, Any], marking: Mapping, suspected: Mapping) -> None:
        self.carrier_total += 1
        if marking:
            key = clean(marking.get("level"), exact=True, limit=40)
            self.declassified += bool(marking.get("declassified"))
            rank = level_rank(marking.get("level"))
        else:
            key = "疑似" + clean(suspected.get("label"), exact=True, limit=20)
            rank = len(LEVELS) + (0 if suspected.get("label") == "涉密" else 1)
        self.levels[key] += 1
        self.carriers.append(((rank, str(record.get("path"))), _carrier_cells(record)))
        if len(self.carriers) > 2 * self.max_rows:  # keep memory bounded: only the top rows survive
            self.carriers = self.top_carriers()

    def top_carriers(self) -> list[tuple[tuple[int, str], tuple[str, ...]]]:
        return sorted(self.carriers, key=lambda c: c[0])[: self.max_rows]


def _carrier_cells(record: Mapping[str, Any]) -> tuple[str, ...]:
    path = str(record.get("path") or "")
    findings = [f for f in record.get("findings") or () if isinstance(f, Mapping)]
    marks = sum(f.get("kind") == "marking" for f in findings)
    return (clean(file_name(path), exact=True, limit=255), marking_label(record) or suspected_label(record),
            str(marks), carrier_form(record.get("format"), path), clean(path, exact=True, limit=1000),
            clean(record.get("sha256"), exact=True, limit=64) or "未计算", _summary(record, findings))


def _summary(record: Mapping[str, Any], findings: list[Mapping[str, Any]]) -> str:
    """概要内容: the words around a mark or another finding in the text; else "无法提取" and why.

    Records carry no title or first line, so the words around the findings are all there is.
    """
    in_text = [f for f in findings if f.get("kind") in ("marking", "mention", "sensitive_info")
               and (f.get("location") or {}).get("part") not in ("filename", "properties")]
    in_text.sort(key=lambda f: f.get("kind") != "marking")
    for finding in in_text:
        context = clean(finding.get("context"), limit=400).strip()
        if context and context != clean(finding.get("text"), limit=400).strip():
            return _short(context)
    mark = clean((record.get("marking") or {}).get("text"), limit=40).strip()
    if mark:
        return f"无法提取（仅见标志“{_short(mark)}”）"
    terms = (record.get("suspected") or {}).get("terms") or ()
    return _short("内容分类依据词：" + "、".join(clean(t, limit=40) for t in terms)) if terms else "无法提取"


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS] + "…"


def _uncovered_cells(record: Mapping[str, Any]) -> tuple[str, ...]:
    return (clean(record.get("path"), exact=True, limit=1000), status_name(record.get("status")),
            reason_text(record.get("error")), size_text(record.get("size")))


def write_record(records: Iterable[Mapping[str, Any]], run: Mapping[str, Any] | None, path: str, *,
                 max_rows: int = CARRIER_ROWS) -> RecordSummary:
    """Write the inspection record to ``path`` (0600) and return what it counted."""
    summary = RecordSummary(max_rows=max_rows)
    for record in records:
        if isinstance(record, Mapping):
            summary.add(record)
    doc = new_document(RECORD_TITLE)
    top = doc.add_paragraph("密级：", style=HEADING_STYLE)
    top.add_run(SIGN_LINE[:6]).font.underline = True
    add_title(doc, RECORD_TITLE)
    add_text(doc, "检查人员使用 docscan 对下列路径中的电子文件进行了密级标志技术核查，结果记录如下。")
    add_heading(doc, "一、检查基本情况")
    add_table(doc, ("项目", "内容"), (40, 116), run_rows(run, summary))
    add_heading(doc, "二、标密及疑似载体数量")
    _counts(doc, summary)
    wide = bool(summary.carrier_total or summary.uncovered_total)  # the wide tables get landscape pages
    if wide:
        new_section(doc, landscape=True)
    _carriers(doc, summary)
    _coverage(doc, summary)
    if wide:
        new_section(doc, landscape=False)
    add_heading(doc, "五、说明")
    for i, note in enumerate(LEGAL_NOTES, 1):
        add_text(doc, note, keep=i == len(LEGAL_NOTES))  # no signature page without text above it
    add_signatures(doc, RECORD_SIGNERS)
    save(doc, path)
    return summary


def run_rows(run: Mapping[str, Any] | None, summary: RecordSummary) -> list[tuple[str, str]]:
    """The run information table: what was checked, when, where, by whom, with which rules and model."""
    info = run or {}

    def value(key: str) -> str:
        return clean(info.get(key), limit=500) or UNKNOWN

    paths = run_paths(info)
    shown = [clean(p, exact=True, limit=1000) for p in paths[:50]]
    if len(paths) > 50:
        shown.append(f"……另有 {len(paths) - 50} 个路径")
    statuses = "，".join(f"{status_name(k)} {v} 个" for k, v in _by_status(summary.statuses))
    rows = [("检查时间", f"{time_text(info.get('started'))} 至 {time_text(info.get('finished'))}"),
            ("主机名", value("host")), ("操作系统", value("os")), ("执行检查的用户", value("user")),
            ("检查路径", "\n".join(shown) or UNKNOWN), ("工具版本", value("tool")),
            ("规则集（SHA-256）", value("rules")),
            ("分类模型", model_text(info.get("model")) if run is not None else UNKNOWN)]
    if isinstance(info.get("options"), Mapping):
        rows.append(("检查选项", _pairs({OPTION_NAMES.get(k, k): v for k, v in info["options"].items()})))
    rows.append(("检查文件数", f"共 {summary.files} 个" + (f"（{statuses}）" if statuses else "")))
    return rows + _integrity_rows(info.get("integrity"))


def _by_status(statuses: Counter) -> list[tuple[str, int]]:
    """Counts in the contract's order of statuses (ok first), unknown statuses last."""
    order = {status: i for i, status in enumerate(STATUS_NAMES)}
    return sorted(statuses.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


def _integrity_rows(integrity: object) -> list[tuple[str, str]]:
    """The JSON Lines report this record was made from, and the head of its hash chain (the manifest's)."""
    if not isinstance(integrity, Mapping):
        return []
    rows = [("检查结果记录文件", clean(integrity.get("records"), exact=True, limit=500) or UNKNOWN),
            ("记录条数", clean(integrity.get("records_count"), limit=40) or UNKNOWN),
            ("记录链校验值（SHA-256）", clean(integrity.get("chain_head"), exact=True, limit=80) or UNKNOWN)]
    if integrity.get("records_sha256"):
        rows.append(("记录文件校验值（SHA-256）", clean(integrity["records_sha256"], exact=True, limit=80)))
    return rows


def run_paths(info: Mapping[str, Any]) -> list[str]:
    """The checked paths of a run dict, whatever shape they came in."""
    paths = info.get("paths")
    if isinstance(paths, str):
        return [paths]
    return [str(p) for p in paths if p] if isinstance(paths, (list, tuple)) else []


def model_text(model: object) -> str:
    """The classifier as the run used it: its identifying fields and hashes, or "未使用"."""
    if not model:
        return "未使用"
    if not isinstance(model, Mapping):
        return clean(model, limit=500)
    picked = {k: model[k] for k in ("name", "version", "path", "format", "threshold") if k in model}
    digests = model.get("sha256")
    if isinstance(digests, Mapping):
        picked.update({f"sha256 {k}": v for k, v in digests.items()})
    elif digests:
        picked["sha256"] = digests
    training = model.get("training")
    if isinstance(training, Mapping) and (manifest := training.get("manifest_sha256")):
        picked["训练语料清单 sha256"] = manifest
    return _pairs(picked or {k: v for k, v in model.items() if isinstance(v, (str, int, float))})


def _pairs(mapping: object) -> str:
    if not isinstance(mapping, Mapping):
        return clean(mapping, limit=500)
    return "\n".join(f"{clean(k, limit=60)}：{_value(v)}" for k, v in mapping.items()) or UNKNOWN


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(clean(v, limit=100) for v in value) or "无"
    return clean(value, limit=200)


def _counts(doc: DocumentType, summary: RecordSummary) -> None:
    others = sorted(k for k in summary.levels if k.startswith("疑似") and k not in SUSPECTED_KEYS)
    keys = [*LEVELS, *SUSPECTED_KEYS, *others]
    counted = "、".join(f"{k} {summary.levels[k]} 份" for k in keys if summary.levels[k])
    declassified = f"（其中 {summary.declassified} 份标注已解密）" if summary.declassified else ""
    add_text(doc, f"本次检查发现标密或疑似载体共 {summary.carrier_total} 份{declassified}"
             + (f"，其中{counted}。" if counted else "。")
             + (f"另有 {summary.mentions_only} 个文件仅在文字中提及密级词语（不是密级标志），未列入载体清单，"
                "详见 CSV 报告。" if summary.mentions_only else ""), keep=True)
    header = (*keys, "合计")
    counts = (*(f"{summary.levels[k]} 份" for k in keys), f"{summary.carrier_total} 份")
    width = 156 / len(header)
    add_table(doc, header, [width] * len(header), [counts])


def _carriers(doc: DocumentType, summary: RecordSummary) -> None:
    add_heading(doc, "三、标密及疑似载体清单")
    if not summary.carrier_total:
        add_text(doc, "本次检查未发现标密或疑似载体。")
        return
    add_text(doc, "按密级由高到低排列。数量为文件中识别出的密级标志处数；存放位置即原件存放处"
             "（“!/”表示压缩包或邮件内的文件）；概要内容取自密级标志或正文发现处附近的文字。", keep=True)
    top = summary.top_carriers()
    add_table(doc, CARRIER_HEADER, CARRIER_WIDTHS, ((str(i), *cells) for i, (_, cells) in enumerate(top, 1)))
    if summary.carrier_total > len(top):
        add_text(doc, f"另有 {summary.carrier_total - len(top)} 个载体未在本记录中列出，"
                 "见同次检查的 JSONL/CSV 报告。")


def _coverage(doc: DocumentType, summary: RecordSummary) -> None:
    add_heading(doc, "四、未能完整检查的文件")
    if not summary.uncovered_total:
        add_text(doc, "本次检查的全部文件均已完整检查。")
        return
    by_status = "、".join(f"{status_name(k)} {v} 个" for k, v in _by_status(summary.statuses) if k != "ok")
    add_text(doc, f"共 {summary.uncovered_total} 个文件未能完整检查（{by_status}），其中可能含有未被发现的"
             "密级标志，需人工核查。", keep=True)
    rows = ((str(i), *cells) for i, cells in enumerate(summary.uncovered, 1))
    add_table(doc, COVERAGE_HEADER, COVERAGE_WIDTHS, rows)
    if summary.uncovered_total > len(summary.uncovered):
        more = summary.uncovered_total - len(summary.uncovered)
        add_text(doc, f"另有 {more} 个未能完整检查的文件未在本记录中列出，见同次检查的 JSONL/CSV 报告。")
