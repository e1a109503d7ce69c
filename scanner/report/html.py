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

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from scanner.records import Level

CAP = 10_000  # characters kept of any one string from a record
MAX_FINDINGS_SHOWN = 500  # per file; the rest are counted, never dropped silently
TOP_FOLDERS = 20
LEVELS = tuple(level.value for level in Level)
STATUS_NAMES = {"ok": "已检查", "error": "出错", "encrypted": "加密", "unsupported": "不支持", "skipped": "跳过"}
KIND_NAMES = {"marking": "密级标志", "mention": "提及", "suspected": "疑似", "sensitive_info": "敏感信息",
              "fingerprint": "指纹匹配", "file": "文件异常"}
FLAG_KINDS = ("sensitive_info", "fingerprint", "suspected")
PART_NAMES = {"body": "正文", "table": "表格", "cell": "单元格", "sheetname": "工作表名", "header": "页眉",
              "footer": "页脚", "textbox": "文本框", "watermark": "水印", "comment": "批注", "footnote": "脚注",
              "endnote": "尾注", "properties": "文档属性", "filename": "文件名", "file": "文件"}
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


def human_size(size: int | None) -> str:
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
    bits = [PART_NAMES.get(part, part)]
    if loc.get("name"):
        bits.append(f"（{loc['name']}）")
    for key, fmt in (("sheet", "工作表 {}"), ("slide", "第{}张幻灯片"), ("page", "第{}页"), ("table", "第{}个表格"),
                     ("paragraph", "第{}段"), ("line", "第{}行"), ("cell", "{}")):
        if loc.get(key) is not None:
            bits.append(fmt.format(loc[key]))
    return clean(" ".join(b for b in bits if b), 500)


@dataclass(slots=True)
class FindingView:
    kind: str
    level: str
    rule: str
    text: str
    where: str
    context: str
    confidence: str
    terms: str
    note: str


@dataclass(slots=True)
class Row:
    seq: int
    path: str
    label: str
    rank: int
    category: str
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
    def size_text(self) -> str:
        return human_size(self.size)

    @property
    def sha_short(self) -> str:
        return f"{self.sha256[:12]}…" if len(self.sha256) > 12 else (self.sha256 or "无")

    def data(self) -> dict[str, Any]:
        """What the table script sorts and filters on."""
        return {"seq": self.seq, "rank": self.rank, "cat": self.category, "format": self.format,
                "size": self.size if self.size is not None else -1, "mtime": self.mtime,
                "conf": self.confidence if self.confidence is not None else -1, "path": self.path,
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
    mentions_only: int = 0
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


def _verdict(rec: dict[str, Any]) -> tuple[str, int, str, str, float | None]:
    """(label, sort rank, filter category, rule, confidence) of a flagged record; lower rank is graver."""
    mark, sus = rec.get("marking"), rec.get("suspected")
    if mark:
        level, declassified = str(mark.get("level")), bool(mark.get("declassified"))
        rank = _level_rank(level) * 10 + (5 if declassified else 0)
        return (f"{level}（已解密）" if declassified else level, rank, level, str(mark.get("rule", "")),
                mark.get("confidence"))
    hits = [f for f in rec.get("findings") or () if f.get("kind") in ("fingerprint", "sensitive_info")]
    hits.sort(key=lambda f: (_level_rank(f.get("level")), f.get("kind") != "fingerprint"))
    if hits and (hits[0].get("level") or not sus):
        f, kind = hits[0], KIND_NAMES[hits[0]["kind"]]
        level = f.get("level")
        rank = _level_rank(level) * 10 + (1 if f["kind"] == "fingerprint" else 2)
        return (f"{level}（{kind}）" if level else kind, rank, kind, str(f.get("rule", "")), f.get("confidence"))
    label = str((sus or {}).get("label", ""))
    return f"疑似{label}", 70 + (0 if label == "涉密" else 5), "疑似", "分类模型", (sus or {}).get("score")


def _level_rank(level: object) -> int:
    return LEVELS.index(level) if level in LEVELS else 9


def _finding_view(f: dict[str, Any]) -> FindingView:
    notes = [f"期限 {f['period']}" if f.get("period") else "", "已解密" if f.get("declassified") else "",
             f"非标准写法 {f['nonstandard']}" if f.get("nonstandard") else ""]
    conf = f.get("confidence")
    return FindingView(clean(KIND_NAMES.get(str(f.get("kind")), f.get("kind")), 100), clean(f.get("level") or "—"),
                       clean(f.get("rule"), 300), clean(f.get("text")), location_text(f.get("location")),
                       clean(f.get("context")), f"{conf:.2f}" if isinstance(conf, int | float) else "—",
                       clean("、".join(map(str, f.get("terms") or ()))), clean("；".join(n for n in notes if n)))


def _row(rec: dict[str, Any], seq: int) -> Row:
    label, rank, category, rule, conf = _verdict(rec)
    findings = list(rec.get("findings") or ())
    sus = rec.get("suspected") or {}
    size = rec.get("size")
    return Row(seq, clean(rec.get("path")), clean(label, 200), rank, clean(category, 100), clean(rule, 300),
               float(conf) if isinstance(conf, int | float) else None, clean(rec.get("format") or "未识别", 50),
               size if isinstance(size, int) else None, clean(rec.get("mtime") or "未知", 100),
               clean(rec.get("sha256") or "", 128), clean("、".join(map(str, sus.get("terms") or ()))),
               [_finding_view(f) for f in findings[:MAX_FINDINGS_SHOWN]],
               max(0, len(findings) - MAX_FINDINGS_SHOWN))


def top_folder(path: str, roots: list[str]) -> str:
    """The first folder under the scanned path that holds ``path`` (archive members: their archive's)."""
    outer = path.split("!/", 1)[0]
    for root in sorted(roots, key=len, reverse=True):
        base = root.rstrip("/") or "/"
        if outer == base or outer.startswith(base.rstrip("/") + "/"):
            parts = outer[len(base):].lstrip("/").split("/")
            if len(parts) < 2:
                return f"{base}（根目录）" if len(roots) > 1 else "（检查路径根目录）"
            return parts[0] + "/" if len(roots) == 1 else f"{base.rstrip('/')}/{parts[0]}/"
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
        mark = rec.get("marking")
        if mark:
            s.levels[str(mark.get("level"))] += 1
            s.declassified += bool(mark.get("declassified"))
        if rec.get("suspected"):
            s.suspected[str(rec["suspected"].get("label"))] += 1
        if status != "ok":
            s.uninspected.append(Uninspected(clean(rec.get("path")), clean(STATUS_NAMES.get(status, status), 50),
                                             clean(rec.get("error") or "未说明原因"), fmt,
                                             human_size(rec.get("size"))))
        if is_flagged(rec):
            s.formats_flagged[fmt] += 1
            s.folders_flagged[folder] += 1
            s.rows.append(_row(rec, 0))
        elif any(f.get("kind") == "mention" for f in rec.get("findings") or ()):
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
    unknown = "未知"

    def get(key: str) -> str:
        value = run.get(key)
        return clean(value) if value not in (None, "") else unknown

    when = get("started") + (f" 至 {clean(run['finished'])}" if run.get("finished") else "")
    paths = "；".join(clean(p) for p in run.get("paths") or ()) or unknown
    model = run.get("model")
    if "model" not in run:
        model_text = unknown
    elif not model:
        model_text = "未使用（分类已关闭或未提供模型）"
    elif isinstance(model, dict):
        model_text = "；".join(f"{clean(k, 100)}: {clean(v, 500)}" for k, v in model.items())
    else:
        model_text = clean(model)
    pairs = [("检查时间", when if run else unknown), ("主机", get("host")), ("操作系统", get("os")),
             ("用户", get("user")), ("检查路径", paths), ("工具版本", get("tool")), ("规则集 sha256", get("rules")),
             ("分类模型", model_text)]
    integrity = run.get("integrity")
    if isinstance(integrity, dict) and integrity.get("chain_head"):
        pairs.append(("记录文件链式校验", f"{clean(integrity.get('records'))}："
                                          f"{clean(integrity.get('records_count'))} 条，"
                                          f"末项 sha256 {clean(integrity['chain_head'])}"))
    return pairs


def _ranked(counter: Counter, order: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    key = (lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), -kv[1], kv[0]))
    return sorted(counter.items(), key=key)


def render(records: Iterable[dict[str, Any]], run: dict[str, Any] | None, path: str) -> None:
    """Write the HTML report of ``records`` to ``path`` (created 0600). Raises OSError when it cannot."""
    roots = [str(p) for p in (run or {}).get("paths") or ()]
    s = summarize(records, roots)
    template, csp = _template()
    folders = sorted(s.folders.items(), key=lambda kv: (-s.folders_flagged[kv[0]], -kv[1], kv[0]))
    context = {
        "csp": csp, "run": run_view(run), "s": s, "rows": s.rows,
        "statuses": [(STATUS_NAMES.get(k, clean(k, 50)), v) for k, v in _ranked(s.statuses, tuple(STATUS_NAMES))],
        "levels": _ranked(s.levels, LEVELS), "suspected": _ranked(s.suspected, ("涉密", "内部")),
        "formats": [(k, v, s.formats_flagged[k]) for k, v in _ranked(s.formats)],
        "folders": [(k, v, s.folders_flagged[k]) for k, v in folders[:TOP_FOLDERS]],
        "folders_total": len(s.folders),
        "categories": sorted({r.category for r in s.rows}, key=lambda c: min(x.rank for x in s.rows
                                                                             if x.category == c)),
        "table_formats": sorted({r.format for r in s.rows}),
        "data": json_island({"rows": [r.data() for r in s.rows]}),
        "inspected": s.statuses.get("ok", 0), "collapse": len(s.uninspected) > 200,
    }
    with open_private(path) as out:
        for chunk in template.generate(context):
            out.write(chunk)
