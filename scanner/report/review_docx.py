"""The 保密审查单 (pre-publication review form) as DOCX, from reviewed records.

A first page lists every reviewed document with its verdict; then each document gets a form of its
own on a new page: 文件名称, 文件哈希, 页数/大小, 审查人, 审查日期, 审查结论, 理由及位置, the
signature lines of 承办人 / 审核人 / 批准人 and a note citing 条例第四十二条. Page layout and the
signature block are scanner.report.officedoc's (GB/T 9704 style), as for the inspection record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from docx.document import Document as DocumentType

from scanner.report.cells import clean, file_name, location_text, size_text
from scanner.report.officedoc import (
    add_heading,
    add_signatures,
    add_table,
    add_text,
    add_title,
    new_document,
    save,
)
from scanner.review import ARTICLE, PUBLISH, VERDICTS, documents, readable_location

TITLE = "信息公开保密审查单"
FORMS_MAX = 200  # documents that get a form of their own; the list and the JSONL hold them all
LIST_MAX = 2_000  # documents in the first page's list
REASONS_MAX = 60  # reasons written into one form
SIGNERS = ("承办人（签字）", "审核人（签字）", "批准人（签字）")
FORM_WIDTHS = (36, 120)  # mm: the portrait text width is 156 mm
LIST_HEADER = ("序号", "文件名称", "审查结论", "理由数")
LIST_WIDTHS = (14, 92, 28, 22)
NOTES = (
    f"1. 依据{ARTICLE}，拟公开的信息应当先经保密审查；审查结论为“不得公开”或“需人工复核”的，不得直接公开。",
    "2. “不得公开”：文件任一位置（含各页、附件、工作表、备注、文档属性、修订和批注）有密级标志、"
    "标明不予公开，或与已登记的标密文件内容相同或相近。“需人工复核”：须由审查人逐条核实理由后作出决定。",
    "3. 本审查单由软件生成审查结论和理由，供审查人核对；最终结论以签字人意见为准。",
)


def render(records: Iterable[Mapping[str, Any]], run: Mapping[str, Any] | None, path: str) -> None:
    """Write the 保密审查单 of ``records`` (reviewed records) to ``path`` (created 0600)."""
    write_forms(records, run, path)


def write_forms(records: Iterable[Mapping[str, Any]], run: Mapping[str, Any] | None, path: str, *,
                forms_max: int = FORMS_MAX) -> int:
    """Write the list and one form per document (at most ``forms_max``); returns the documents reviewed."""
    info = run or {}
    reviewer = clean(info.get("reviewer"), limit=100)
    when = review_date(info.get("finished") or info.get("started"))
    docs = [(doc, members) for doc, members in documents(records)]
    doc = new_document(TITLE)
    add_title(doc, TITLE)
    _overview(doc, docs, reviewer, when)
    for doc_record, members in docs[:forms_max]:
        doc.add_page_break()
        _form(doc, doc_record, members, reviewer, when)
    if len(docs) > forms_max:
        doc.add_page_break()
        rest = len(docs) - forms_max
        add_text(doc, f"另有 {rest} 个文件未单独填写审查单，其结论和理由见上表及 JSONL 记录文件。")
    save(doc, path)
    return len(docs)


def review_date(value: object) -> str:
    """``2024-05-01T10:00:00+08:00`` as 2024年5月1日; today when the run does not say."""
    try:
        day = datetime.fromisoformat(str(value)).date() if value else date.today()
    except ValueError:
        day = date.today()
    return f"{day.year}年{day.month}月{day.day}日"


def _overview(doc: DocumentType, docs: list[tuple[Mapping[str, Any], int]], reviewer: str, when: str) -> None:
    counts = {v: sum(1 for d, _ in docs if d.get("verdict") == v) for v in VERDICTS}
    tally = "，".join(f"{v} {n} 个" for v, n in counts.items())
    add_text(doc, f"审查人：{reviewer or '（未填写）'}　　审查日期：{when}")
    add_text(doc, f"共审查 {len(docs)} 个文件：{tally}。逐个文件的审查单附后。", keep=True)
    rows = [(str(i), clean(file_name(str(d.get("path") or "")), exact=True, limit=255),
             clean(d.get("verdict"), limit=20), str(len(d.get("reasons") or ())))
            for i, (d, _) in enumerate(docs[:LIST_MAX], 1)]
    add_table(doc, LIST_HEADER, LIST_WIDTHS, rows)
    if len(docs) > LIST_MAX:
        add_text(doc, f"另有 {len(docs) - LIST_MAX} 个文件未列出，见 JSONL 记录文件。")


def _form(doc: DocumentType, record: Mapping[str, Any], members: int, reviewer: str, when: str) -> None:
    add_heading(doc, TITLE)
    path = str(record.get("path") or "")
    verdict = clean(record.get("verdict"), limit=20)
    add_table(doc, ("项目", "内容"), FORM_WIDTHS, [
        ("文件名称", clean(file_name(path), exact=True, limit=255) + "\n"
         + clean(path, exact=True, limit=1000)),
        ("文件哈希", "SHA-256：" + (clean(record.get("sha256"), exact=True, limit=64) or "未计算")),
        ("页数/大小", _pages(record) + "；大小：" + size_text(record.get("size"))
         + (f"；含附件或成员 {members} 个" if members else "")),
        ("审查人", reviewer or "　"),
        ("审查日期", when),
        ("审查结论", verdict),
        ("理由及位置", reasons_text(record.get("reasons") or ())),
    ])
    for note in NOTES:
        add_text(doc, note)
    add_signatures(doc, SIGNERS)


def _pages(record: Mapping[str, Any]) -> str:
    pages = record.get("pages")
    return f"页数：{pages}" if isinstance(pages, int) else "页数：未统计"


def reasons_text(reasons: Iterable[Any]) -> str:
    """Numbered reasons, each with its verdict, location and member: the 理由及位置 cell."""
    lines = []
    listed = [r for r in reasons if isinstance(r, Mapping)]
    for i, reason in enumerate(listed[:REASONS_MAX], 1):
        loc = reason.get("location")
        where = location_text(readable_location(loc)) if isinstance(loc, Mapping) else "整个文件"
        member = clean(reason.get("member"), exact=True, limit=500)
        inside = f"；所在附件/成员：{member}" if member else ""
        text = clean(reason.get("text"), limit=600)
        lines.append(f"{i}. 〔{clean(reason.get('verdict'), limit=20)}〕{text}（位置：{where}{inside}）")
    if len(listed) > REASONS_MAX:
        lines.append(f"……另有 {len(listed) - REASONS_MAX} 条理由，见 JSONL 记录文件。")
    return "\n".join(lines) or f"未发现不得公开或需复核的情况（{PUBLISH}）。"
