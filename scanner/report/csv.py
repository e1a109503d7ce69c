"""CSV report: one row per finding, for sorting and filtering in a spreadsheet.

UTF-8 with a byte order mark, so Excel on Chinese Windows reads it as UTF-8 (without the
BOM it guesses GBK and the Chinese turns to mojibake); ``\\r\\n`` line ends; minimal quoting.
Rows, in report order:

* one row per finding (the file's columns repeated on each);
* one more row for each file whose status is not ``ok`` (its 状态 and 错误原因 filled, the
  finding columns empty), so every file that was not fully read shows up even without findings;
* one row for a flagged file (marking or classifier verdict) that has no findings at all.

Clean, fully read files without findings get no row. Records are streamed: memory stays
flat however long the report. (Excel shows at most 1,048,576 rows; a longer report opens cut
there, and the JSONL report stays complete.) Text cells are cleaned and neutralised (cells.py).
Row numbers and numeric columns are written as numbers. The run's description is not in
this table; it is in the DOCX inspection record and the run manifest.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from scanner.report.cells import (
    create_private,
    kind_name,
    location_text,
    marking_label,
    reason_text,
    sheet_cell,
    status_name,
)

COLUMNS = ("序号", "文件路径", "状态", "格式", "密级(文件)", "发现类型", "级别", "规则", "匹配文字", "位置",
           "上下文", "置信度", "疑似类别", "疑似分数", "依据词", "大小", "修改时间", "SHA-256", "错误原因")
EXACT = frozenset({"文件路径", "格式", "规则", "SHA-256"})  # identifiers: hidden characters shown as markers

Row = dict[str, Any]


def render(records: Iterable[Mapping[str, Any]], run: Mapping[str, Any] | None, path: str) -> None:
    """Write the CSV report of ``records`` to ``path`` (created 0600). ``run`` is not used here."""
    del run  # the table is per finding; the run is described in the DOCX record and the manifest
    with create_private(path, encoding="utf-8-sig") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        number = 0
        for record in records:
            for row in rows(record):
                number += 1
                row["序号"] = number
                writer.writerow([sheet_cell(row.get(name), exact=name in EXACT) for name in COLUMNS])


def rows(record: Mapping[str, Any]) -> Iterator[Row]:
    """The rows of one record (before cleaning): a status row, then one row per finding."""
    base = _file_columns(record)
    findings = [f for f in record.get("findings") or () if isinstance(f, Mapping)]
    flagged = bool(record.get("marking") or record.get("suspected"))
    if record.get("status") != "ok" or (flagged and not findings):
        yield dict(base)
    for finding in findings:
        yield {**base, **_finding_columns(finding, record)}


def _file_columns(record: Mapping[str, Any]) -> Row:
    suspected = record.get("suspected") or {}
    return {
        "文件路径": record.get("path"),
        "状态": status_name(record.get("status")),
        "格式": record.get("format"),
        "密级(文件)": marking_label(record),
        "疑似类别": suspected.get("label"),
        "疑似分数": _number(suspected.get("score")),
        "依据词": _terms(suspected.get("terms")),
        "大小": _number(record.get("size")),
        "修改时间": record.get("mtime"),
        "SHA-256": record.get("sha256"),
        "错误原因": reason_text(record.get("error")) if record.get("error") else None,
    }


def _finding_columns(finding: Mapping[str, Any], record: Mapping[str, Any]) -> Row:
    out: Row = {
        "发现类型": kind_name(finding.get("kind")),
        "级别": finding.get("level"),
        "规则": finding.get("rule"),
        "匹配文字": finding.get("text"),
        "位置": location_text(finding.get("location")),
        "上下文": finding.get("context"),
        "置信度": _number(finding.get("confidence")),
    }
    if finding.get("terms"):
        out["依据词"] = _terms(finding.get("terms"))
    return out


def _number(value: object) -> int | float | str | None:
    """A number as a number; anything else as text (so it is cleaned and neutralised like text)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None if value is None else str(value)


def _terms(terms: object) -> str:
    if isinstance(terms, (list, tuple)):
        return "、".join(str(t) for t in terms)
    return "" if terms is None else str(terms)
