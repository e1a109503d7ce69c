"""Safe, readable cell text for the renderers (CSV, DOCX, HTML): shared by every report.

Everything that comes from a file (its name, its text) is hostile. Three defences live here:

* ``clean``: control characters, lone surrogates and bidi overrides are shown as visible
  ``[U+202E]`` markers instead of being passed through (a right-to-left override can make
  ``invoice\u202Excod.exe`` read as ``invoiceexe.docx``) or silently dropped (an inspector
  must be able to see that a name holds a hidden character). In prose (context, summaries)
  tabs and line breaks become spaces; in exact text (paths, names) they are markers too, and
  so are the other invisible format characters (zero-width space, BOM, ...).
* ``cap``: very long strings are cut with a note saying how long they were.
* ``neutralise``: spreadsheet formula injection (OWASP "CSV Injection"). A text cell whose
  first character is ``= + - @`` TAB, CR or LF gets a leading apostrophe. Our rule goes
  further than the OWASP list in two ways, both cheap: the test is made after skipping
  leading whitespace and invisible characters (spreadsheets that trim on import would
  otherwise see ``=``), and the full-width forms ``＝ ＋ － ＠`` count too (Chinese input
  methods produce them, and some spreadsheet programs convert them to their ASCII forms).
  Numbers that we write ourselves (sizes, scores) are not text and are never prefixed.

The rest are display names (levels, kinds, statuses, formats) and location wording
("第3页 第2行", "工作表 Sheet1 单元格 B7", "页眉", "文件名") in the words an inspector reads.
"""

from __future__ import annotations

import math
import os
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import IO, Any

from scanner.records import Level

MAX_CELL = 2_000  # characters in one report cell; a 10,000-character line is cut to this
UNKNOWN = "未知"

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n＝＋－＠")
_INVISIBLE_LEAD = "\u200b\u200c\u200d\u2060\ufeff"
BIDI_CONTROLS = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
_PROSE_SPACES = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")

LEVELS: tuple[str, ...] = tuple(level.value for level in Level)
KIND_NAMES = {"marking": "密级标志", "mention": "提及", "suspected": "疑似", "sensitive_info": "敏感信息",
              "fingerprint": "指纹匹配", "file": "文件异常"}
STATUS_NAMES = {"ok": "已检查", "error": "出错", "encrypted": "加密", "unsupported": "不支持",
                "skipped": "跳过"}

_FORM_FAMILIES = {
    "电子文档": ("docx", "doc", "wps", "pdf", "ofd", "txt", "rtf", "html", "odt"),
    "电子表格": ("xlsx", "xls", "et", "ods", "csv"),
    "电子演示文稿": ("pptx", "ppt", "dps", "odp"),
    "电子邮件": ("eml", "msg"),
    "电子图像": ("image", "png", "jpeg", "jpg", "tiff", "bmp"),
    "压缩包": ("zip", "7z", "rar", "tar", "gzip", "bzip2", "xz"),
}
FORM_NAMES = {fmt: family for family, fmts in _FORM_FAMILIES.items() for fmt in fmts}

_PART_NAMES = {"header": "页眉", "footer": "页脚", "filename": "文件名", "properties": "文档属性",
               "textbox": "文本框", "watermark": "水印", "comment": "批注", "footnote": "脚注",
               "endnote": "尾注", "sheetname": "工作表名称", "file": "整个文件", "notes": "备注",
               "title": "标题", "meta": "元数据", "attachment": "附件", "subject": "邮件主题"}
_RUNNING_KINDS = {"first": "首页", "even": "偶数页", "odd": "奇数页"}
_REASONS = (("larger than --max-size", "超过大小上限"), ("timeout after", "处理超时"),
            ("empty file", "空文件"), ("no text extractor", "无可用的文字提取方式"),
            ("password-protected", "设有密码"), ("encrypted", "已加密"), ("damaged", "文件损坏"),
            ("nested deeper", "嵌套层数超过上限"), ("cannot open", "无法打开"), ("cannot read", "无法读取"),
            ("file vanished", "检查时文件已不存在"), ("worker", "处理进程异常退出"))


def _marker(ch: str) -> str:
    return f"[U+{ord(ch):04X}]"


def _needs_marker(ch: str, exact: bool) -> bool:
    if ord(ch) in BIDI_CONTROLS or ord(ch) in (0xFFFE, 0xFFFF):  # the two are not XML characters
        return True
    category = unicodedata.category(ch)
    return category in ("Cc", "Cs") or (exact and category == "Cf")


def clean(value: object, *, limit: int = MAX_CELL, exact: bool = False) -> str:
    """``value`` as one safe line of text, capped at ``limit`` characters ("" for None).

    ``exact=True`` for identifiers (paths, names): every control or invisible character
    becomes a visible marker. Otherwise (prose) tabs and line breaks become spaces.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # no Cc/Cf/Cs characters (bidi controls are Cf): nothing to show or replace
        return cap(text, limit)
    out: list[str] = []
    for ch in text[: limit * 2]:  # more than enough for the markers that may follow
        if not exact and ch in _PROSE_SPACES:
            out.append(" ")
        elif _needs_marker(ch, exact):
            out.append(_marker(ch))
        else:
            out.append(ch)
    shown = "".join(out)
    return cap(shown, limit, total=len(text)) if len(shown) > limit or len(text) > limit * 2 else shown


def cap(text: str, limit: int = MAX_CELL, *, total: int | None = None) -> str:
    """``text`` cut to ``limit`` characters, with a note of its full length when cut."""
    if len(text) <= limit and total is None:
        return text
    return f"{text[:limit]}…（已截断，原长 {total or len(text)} 字符）"


def neutralise(cell: str) -> str:
    """The cell with a leading apostrophe when a spreadsheet could read it as a formula."""
    body = cell.lstrip().lstrip(_INVISIBLE_LEAD).lstrip()
    if body[:1] in FORMULA_TRIGGERS or cell[:1] in FORMULA_TRIGGERS:
        return "'" + cell
    return cell


def sheet_cell(value: object, *, exact: bool = False, limit: int = MAX_CELL) -> str | int | float:
    """One spreadsheet cell: numbers as they are, text cleaned, capped and neutralised."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    return neutralise(clean(value, limit=limit, exact=exact))


def reason_text(error: object, limit: int = 300) -> str:
    """Why a file was not fully read: a Chinese gloss for the usual reasons, then the scanner's words."""
    text = clean(error, limit=limit)
    lowered = text.lower()
    gloss = next((zh for key, zh in _REASONS if lowered.startswith(key) or key in lowered[:40]), "")
    return f"{gloss}（{text}）" if gloss and text else text or "未说明"


def level_rank(level: str | None) -> int:
    """Rank of a level name (0 = 绝密); unknown or missing levels rank last."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def kind_name(kind: object) -> str:
    return KIND_NAMES.get(str(kind), clean(kind, exact=True, limit=60)) if kind else ""


def status_name(status: object) -> str:
    return STATUS_NAMES.get(str(status), clean(status, exact=True, limit=60)) if status else UNKNOWN


def marking_label(record: Mapping[str, Any]) -> str:
    """The file's level as shown in a report: "秘密", "秘密（已标注解密）" or ""."""
    marking = record.get("marking") or {}
    level = clean(marking.get("level"), exact=True, limit=40)
    return f"{level}（已标注解密）" if level and marking.get("declassified") else level


def suspected_label(record: Mapping[str, Any]) -> str:
    """"疑似涉密（0.87）" when the classifier flagged the file, else ""."""
    suspected = record.get("suspected") or {}
    if not suspected.get("label"):
        return ""
    score = suspected.get("score")
    shown = f"（{score:.2f}）" if isinstance(score, (int, float)) else ""
    return f"疑似{clean(suspected['label'], exact=True, limit=20)}{shown}"


def carrier_form(fmt: object, path: str = "") -> str:
    """载体形式 of an electronic file: "电子文档（DOCX）", noting when it sits inside a container."""
    if not fmt:
        form = "电子文件（格式未识别）"
    else:
        shown = clean(fmt, exact=True, limit=20)
        form = f"{FORM_NAMES.get(shown.lower(), '电子文件')}（{shown.upper()}）"
    return form + "，压缩包/邮件内文件" if "!/" in path else form


def file_name(path: object) -> str:
    """The last component of a report path (archive members too: ``a.zip!/b/c.docx`` -> ``c.docx``)."""
    text = str(path or "")
    member = text.rsplit("!/", 1)[-1]
    separator = "/" if "/" in member else "\\"  # a Windows path; on POSIX a backslash is part of a name
    return member.rsplit(separator, 1)[-1] or text


def location_text(location: object) -> str:
    """Where in a file, in words: "第3页 第2行", "工作表 Sheet1 单元格 B7", "页眉（首页）", "文件名"."""
    if not isinstance(location, Mapping):
        return ""
    loc = {k: clean(v, exact=True, limit=80) for k, v in location.items() if v is not None}
    part = loc.get("part", "")
    words: list[str] = []
    if "sheet" in loc and part != "sheetname":
        words.append(f"工作表 {loc['sheet']}")
    if "slide" in loc:
        words.append(f"第{loc['slide']}张幻灯片")
    if "page" in loc:
        words.append(f"第{loc['page']}页")
    words.append(_part_words(part, loc))
    if "table" in loc:
        words.append(f"表格{loc['table']}")
    if "cell" in loc:
        words.append(f"单元格 {loc['cell']}")
    if "paragraph" in loc:
        words.append(f"第{loc['paragraph']}段")
    if "line" in loc:
        words.append(f"第{loc['line']}行")
    return " ".join(w for w in words if w) or "正文"


def _part_words(part: str, loc: Mapping[str, str]) -> str:
    """The part's own words; empty for body text, tables and cells (their numbers say it)."""
    name = loc.get("name", "")
    if part in ("body", "table", "cell", ""):
        return ""
    if part == "sheetname":
        return f"工作表名称 {loc.get('sheet', name)}".strip()
    label = _PART_NAMES.get(part, part)
    if part in ("header", "footer"):
        kind = _RUNNING_KINDS.get(name, "" if name in ("default", "") else name)
        return f"{label}（{kind}）" if kind else label
    return f"{label}（{name}）" if name else label


def size_text(size: object) -> str:
    """"12.3 KB（12,600 字节）"; "未知" when there is no size."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return UNKNOWN
    value, unit = float(size), "字节"
    for unit in ("字节", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            break
        value /= 1024
    if unit == "字节":
        return f"{size} 字节"
    return f"{value:.1f} {unit}（{size:,} 字节）"


def time_text(value: object) -> str:
    """An ISO 8601 time as "2024-05-01 10:00:00 +08:00"; "未知" when missing, cleaned text when odd."""
    if not value:
        return UNKNOWN
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return clean(value, exact=True, limit=60)
    shown = moment.strftime("%Y-%m-%d %H:%M:%S")
    offset = moment.strftime("%z")
    return f"{shown} {offset[:3]}:{offset[3:]}" if offset else shown


def create_private(path: str, *, binary: bool = False, encoding: str = "utf-8") -> IO[Any]:
    """Create or truncate ``path`` readable by its owner only (0600), even when it existed before."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT leaves an existing file's mode alone
    except OSError:
        os.close(fd)
        raise
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding=encoding, newline="")
