"""The inspection record (保密检查技术核查记录) as DOCX, from report records.

Page helpers (GB/T 9704 style, landscape sections for wide tables, signature lines) are in
scanner.report.officedoc.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from docx.document import Document as DocumentType

from scanner.report.cells import (
    LEVELS,
    STATUS_NAMES,
    UNKNOWN,
    carrier_form,
    clean,
    file_name,
    level_rank,
    marking_label,
    reason_text,
    size_text,
    status_name,
    suspected_label,
    time_text,
)
from scanner.report.officedoc import (
    HEADING_STYLE,
    SIGN_LINE,
    add_heading,
    add_signatures,
    add_table,
    add_text,
    add_title,
    new_document,
    new_section,
    save,
)


def render(records: Iterable[Mapping[str, Any]], run: Mapping[str, Any] | None, path: str) -> None:
    """Write the inspection record (保密检查技术核查记录) of ``records`` to ``path`` (created 0600)."""
    write_record(records, run, path)


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
