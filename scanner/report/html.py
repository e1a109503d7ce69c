"""The self-contained HTML report: one offline file, in Chinese, for an inspector to read, sort and print.

Records stream through: flagged files (marked, suspected, sensitive information or a fingerprint
match) are kept in full, files that could not be inspected as one line each, every other file as
counts only. Everything from a record is hostile: it is capped, control and bidi characters are
made visible (``clean``), and Jinja escapes it on output. The table's sort and filter script reads
its data from a JSON island whose ``<``, ``>`` and ``&`` are JSON escapes, so no value can close
the script element. A Content-Security-Policy with hashes of the page's own style and script
blocks stops anything else from running or loading, should escaping ever fail.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from scanner.records import Level
from scanner.report.jsonl import open_private

CAP = 10_000  # characters kept of any one string from a record
MAX_FINDINGS_SHOWN = 500  # per file; the rest are counted, never dropped silently
TOP_FOLDERS = 20
LEVELS = tuple(level.value for level in Level)
STATUS_NAMES = {"ok": "已检查", "error": "出错", "encrypted": "加密", "unsupported": "不支持",
                "skipped": "跳过"}
KIND_NAMES = {"marking": "密级标志", "mention": "提及", "suspected": "疑似", "sensitive_info": "敏感信息",
              "fingerprint": "指纹匹配", "file": "文件异常"}
FLAG_KINDS = ("sensitive_info", "fingerprint", "suspected")
PART_NAMES = {"body": "正文", "table": "表格", "cell": "单元格", "sheetname": "工作表名", "header": "页眉",
              "footer": "页脚", "textbox": "文本框", "watermark": "水印", "comment": "批注",
              "footnote": "脚注", "endnote": "尾注", "properties": "文档属性", "filename": "文件名",
              "file": "文件"}
PLACES = (("sheet", "工作表 {}"), ("slide", "第{}张幻灯片"), ("page", "第{}页"), ("table", "第{}个表格"),
          ("paragraph", "第{}段"), ("line", "第{}行"), ("cell", "{}"))
HEADER_KINDS = {"default": "默认", "first": "首页", "even": "偶数页", "odd": "奇数页"}
# C0/C1 controls, lone surrogates, and the invisible marks that reorder or hide text (bidi, BOM).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
TEMPLATES = Path(__file__).with_name("templates")


def _visible(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in "\r\n":
        return "↵"
    if ch == "\t":
        return " "
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"[U+{ord(ch):04X}]"


def clean(value: object, cap: int = CAP) -> str:
    """``value`` as display text: at most ``cap`` characters (and a note), controls and bidi marks shown."""
    text = "" if value is None else str(value)
    if len(text) > cap:
        text = f"{text[:cap]}…〔已截断，原长 {len(text)} 字符〕"
    return _UNSAFE.sub(_visible, text)


def json_island(data: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` element: ``</script>`` cannot occur in it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text))


def human_size(size: object) -> str:
    if not isinstance(size, int):
        return "未知"
    value, unit = float(size), "B"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            break
        value /= 1024
    return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"


def location_text(loc: dict[str, Any] | None) -> str:
    """A location as an inspector reads it: 正文 第2页 第5段, 单元格 工作表 Sheet1 C3, ..."""
    loc = loc or {}
    part = str(loc.get("part", ""))
    name = loc.get("name")
    bits = [PART_NAMES.get(part, part) + (f"（{HEADER_KINDS.get(name, name)}）" if name else "")]
    bits += [fmt.format(loc[key]) for key, fmt in PLACES if loc.get(key) is not None]
    return clean(" ".join(b for b in bits if b), 500)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


@dataclass(slots=True)
class FindingView:
    kind: str
    level: str
    rule: str
    text: str
    where: str
    context: str
    confidence: float | None
    terms: str
    note: str


@dataclass(slots=True)
class Row:
    """A flagged file: one table row and one details section."""

    seq: int
    path: str
    shown: str  # the path under its scanned folder, for the table
    label: str  # 机密, 秘密（已解密）, 疑似涉密, 敏感信息 ...
    rank: int  # lower is graver; the table sorts 密级/疑似 by it
    category: str  # the filter chip it belongs to
    rule: str
    confidence: float | None
    format: str
    size: int | None
    mtime: str
    sha256: str
    terms: str
    findings: list[FindingView]
    hidden_findings: int

    @property
    def sha_short(self) -> str:
        return f"{self.sha256[:12]}…" if len(self.sha256) > 12 else (self.sha256 or "无")

    def data(self) -> dict[str, Any]:
        """What the table script sorts and filters on."""
        return {"seq": self.seq, "rank": self.rank, "cat": self.category, "format": self.format,
                "size": -1 if self.size is None else self.size, "mtime": self.mtime,
                "conf": -1 if self.confidence is None else self.confidence, "path": self.path,
                "rule": self.rule, "sha": self.sha256, "label": self.label}


@dataclass(slots=True)
class Uninspected:
    path: str
    status: str
    reason: str
    format: str
    size: str


@dataclass(slots=True)
class Summary:
    """Counts over every record, and the few records that are kept."""

    files: int = 0
    statuses: Counter = field(default_factory=Counter)
    levels: Counter = field(default_factory=Counter)
    declassified: int = 0
    suspected: Counter = field(default_factory=Counter)
    mentions_only: int = 0  # level words found, none of them judged a marking
    formats: Counter = field(default_factory=Counter)
    formats_flagged: Counter = field(default_factory=Counter)
    folders: Counter = field(default_factory=Counter)
    folders_flagged: Counter = field(default_factory=Counter)
    rows: list[Row] = field(default_factory=list)
    uninspected: list[Uninspected] = field(default_factory=list)


def is_flagged(rec: dict[str, Any]) -> bool:
    """Marked (declassified too), suspected, or carrying sensitive information or a fingerprint match."""
    kinds = {f.get("kind") for f in rec.get("findings") or ()}
    return bool(rec.get("marking") or rec.get("suspected") or kinds.intersection(FLAG_KINDS))


def _rank(level: object) -> int:
    return LEVELS.index(level) if level in LEVELS else 9


def _verdict(rec: dict[str, Any]) -> tuple[str, int, str, str, object]:
    """(label, rank, filter category, rule, confidence) of a flagged record."""
    mark, sus = rec.get("marking"), rec.get("suspected") or {}
    if mark:
        level, declassified = str(mark.get("level")), bool(mark.get("declassified"))
        return (f"{level}（已解密）" if declassified else level, _rank(level) * 10 + 5 * declassified, level,
                str(mark.get("rule", "")), mark.get("confidence"))
    hits = [f for f in rec.get("findings") or () if f.get("kind") in ("fingerprint", "sensitive_info")]
    hits.sort(key=lambda f: (_rank(f.get("level")), f.get("kind") != "fingerprint"))
    if hits and (hits[0].get("level") or not sus):
        hit = hits[0]
        kind, level = KIND_NAMES[hit["kind"]], hit.get("level")
        rank = _rank(level) * 10 + (1 if hit["kind"] == "fingerprint" else 2)
        label = f"{level}（{kind}）" if level else kind
        return label, rank, kind, str(hit.get("rule", "")), hit.get("confidence")
    label = str(sus.get("label", ""))
    return f"疑似{label}", 70 + 5 * (label != "涉密"), "疑似", "分类模型", sus.get("score")


def _finding_view(f: dict[str, Any]) -> FindingView:
    notes = [f"期限 {f['period']}" if f.get("period") else "", "已解密" if f.get("declassified") else "",
             f"非标准写法 {f['nonstandard']}" if f.get("nonstandard") else ""]
    return FindingView(kind=clean(KIND_NAMES.get(str(f.get("kind")), f.get("kind")), 100),
                       level=clean(f.get("level") or "—", 100), rule=clean(f.get("rule"), 300),
                       text=clean(f.get("text")), where=location_text(f.get("location")),
                       context=clean(f.get("context")), confidence=_number(f.get("confidence")),
                       terms=clean("、".join(map(str, f.get("terms") or ()))),
                       note=clean("；".join(n for n in notes if n)))


def _row(rec: dict[str, Any], roots: list[str]) -> Row:
    label, rank, category, rule, conf = _verdict(rec)
    findings = list(rec.get("findings") or ())
    size, path = rec.get("size"), str(rec.get("path"))
    return Row(seq=0, path=clean(path), shown=clean(relative(path, roots)), label=clean(label, 200),
               rank=rank, category=clean(category, 100), rule=clean(rule, 300), confidence=_number(conf),
               format=clean(rec.get("format") or "未识别", 50), size=size if isinstance(size, int) else None,
               mtime=clean(rec.get("mtime") or "未知", 100), sha256=clean(rec.get("sha256") or "", 128),
               terms=clean("、".join(map(str, (rec.get("suspected") or {}).get("terms") or ()))),
               findings=[_finding_view(f) for f in findings[:MAX_FINDINGS_SHOWN]],
               hidden_findings=max(0, len(findings) - MAX_FINDINGS_SHOWN))


def relative(path: str, roots: list[str]) -> str:
    """``path`` under the scanned folder that holds it, or whole when none does."""
    for root in sorted(roots, key=len, reverse=True):
        base = root.rstrip("/")
        if path.startswith(base + "/") and len(path) > len(base) + 1:
            return path[len(base) + 1:]
    return path


def top_folder(path: str, roots: list[str]) -> str:
    """The first folder under the scanned path that holds ``path`` (archive members: their archive's)."""
    outer = path.split("!/", 1)[0]
    for root in sorted(roots, key=len, reverse=True):
        base = root.rstrip("/")
        if outer == base or outer.startswith(base + "/"):
            parts = outer[len(base):].lstrip("/").split("/")
            if len(roots) > 1:
                return f"{base}/{parts[0]}/" if len(parts) > 1 else f"{base or '/'}（根目录）"
            return f"{parts[0]}/" if len(parts) > 1 else "（检查路径根目录）"
    return outer.rsplit("/", 1)[0] + "/" if "/" in outer else "（当前目录）"


def summarize(records: Iterable[dict[str, Any]], roots: list[str]) -> Summary:
    """Stream ``records`` once into counts, flagged rows (numbered in path order) and the uninspected."""
    s = Summary()
    for rec in records:
        s.files += 1
        status, fmt = str(rec.get("status")), clean(rec.get("format") or "未识别", 50)
        folder = clean(top_folder(str(rec.get("path", "")), roots), 500)
        s.statuses[status] += 1
        s.formats[fmt] += 1
        s.folders[folder] += 1
        if mark := rec.get("marking"):
            s.levels[str(mark.get("level"))] += 1
            s.declassified += bool(mark.get("declassified"))
        if sus := rec.get("suspected"):
            s.suspected[str(sus.get("label"))] += 1
        if status != "ok":
            s.uninspected.append(Uninspected(clean(rec.get("path")), clean(STATUS_NAMES.get(status, status)),
                                             clean(rec.get("error") or "未说明原因"), fmt,
                                             human_size(rec.get("size"))))
        if is_flagged(rec):
            s.formats_flagged[fmt] += 1
            s.folders_flagged[folder] += 1
            s.rows.append(_row(rec, roots))
        elif any(f.get("kind") in ("mention", "marking") for f in rec.get("findings") or ()):
            s.mentions_only += 1
    s.rows.sort(key=lambda r: r.path)
    for seq, row in enumerate(s.rows, 1):
        row.seq = seq
    s.uninspected.sort(key=lambda u: u.path)
    return s


@functools.cache
def _template() -> tuple[jinja2.Template, str]:
    """The page template and its Content-Security-Policy (hashes of its own style and script)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["size"] = human_size
    env.filters["conf"] = lambda value: "—" if value is None else f"{value:.2f}"
    template = env.get_template("report.html.j2")

    def digest(block: str) -> str:
        text = "".join(template.blocks[block](template.new_context({})))
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    csp = (f"default-src 'none'; style-src {digest('style')}; script-src {digest('script')}; "
           "img-src 'none'; base-uri 'none'; form-action 'none'")
    return template, csp


def run_view(run: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The header's (label, value) pairs; 未知 for whatever the run does not say."""
    run = run or {}

    def get(key: str) -> str:
        return clean(run[key]) if run.get(key) not in (None, "") else "未知"

    model = run.get("model")
    if "model" not in run:
        model_text = "未知"
    elif not model:
        model_text = "未使用（分类已关闭或未提供模型）"
    elif isinstance(model, dict):
        model_text = "；".join(f"{clean(k, 100)}: {clean(v, 500)}" for k, v in model.items())
    else:
        model_text = clean(model)
    pairs = [("检查时间", get("started") + (f" 至 {clean(run['finished'])}" if run.get("finished") else "")),
             ("主机", get("host")), ("操作系统", get("os")), ("用户", get("user")),
             ("检查路径", "；".join(clean(p) for p in run.get("paths") or ()) or "未知"),
             ("工具版本", get("tool")), ("规则集 sha256", get("rules")), ("分类模型", model_text)]
    integrity = run.get("integrity")
    if isinstance(integrity, dict) and integrity.get("chain_head"):
        records, count = clean(integrity.get("records")), clean(integrity.get("records_count"))
        head = clean(integrity["chain_head"])
        pairs.append(("记录文件", f"{records}，{count} 条，链式校验末项 sha256 {head}"))
    return pairs


def _ranked(counter: Counter, order: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    """Counter items in ``order`` first, then by count descending."""
    return sorted(counter.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order),
                                                   -kv[1], kv[0]))


def _context(s: Summary, run: dict[str, Any] | None, csp: str) -> dict[str, Any]:
    folders = sorted(s.folders.items(), key=lambda kv: (-s.folders_flagged[kv[0]], -kv[1], kv[0]))
    grav: dict[str, int] = {}
    for row in s.rows:
        grav[row.category] = min(grav.get(row.category, row.rank), row.rank)
    return {
        "csp": csp, "run": run_view(run), "s": s, "rows": s.rows, "inspected": s.statuses.get("ok", 0),
        "statuses": [(STATUS_NAMES.get(k, clean(k)), v) for k, v in _ranked(s.statuses, tuple(STATUS_NAMES))],
        "levels": _ranked(s.levels, LEVELS), "suspected": _ranked(s.suspected, ("涉密", "内部")),
        "formats": [(k, v, s.formats_flagged[k]) for k, v in _ranked(s.formats)],
        "folders": [(k, v, s.folders_flagged[k]) for k, v in folders[:TOP_FOLDERS]],
        "folders_total": len(folders), "categories": sorted(grav, key=lambda c: (grav[c], c)),
        "table_formats": sorted({r.format for r in s.rows}),
        "data": json_island({"rows": [r.data() for r in s.rows]}), "collapse": len(s.uninspected) > 200,
    }


def render(records: Iterable[dict[str, Any]], run: dict[str, Any] | None, path: str) -> None:
    """Write the HTML report of ``records`` to ``path`` (created 0600). Raises OSError when it cannot."""
    summary = summarize(records, [str(p) for p in (run or {}).get("paths") or ()])
    template, csp = _template()
    with open_private(path) as out:
        for chunk in template.generate(_context(summary, run, csp)):
            out.write(chunk)
