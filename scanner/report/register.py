"""登记保存清单: the list of evidence collected during an inspection, as CSV and DOCX.

《泄密案件查处办法》第四十五条 asks a 登记保存清单 to state each item's name, specification,
quantity, characteristics and place. For a copied electronic file these are: its name;
its format and size (规格); one file (数量); its level or the classifier's verdict and its
SHA-256 (特征); where the original is kept and where the copy was put (存放地点), with
the time of copying. A copy that is not faithful carries its problem in 备注.

Items are dicts {name, size, format, level, original_path, sha256, collected_path,
collected_at[, problem]} as scanner.collect makes them. Both files are created 0600.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

from scanner.report.cells import (
    UNKNOWN,
    carrier_form,
    clean,
    create_private,
    sheet_cell,
    size_text,
    time_text,
)
from scanner.report.docx import run_paths
from scanner.report.officedoc import (
    add_signatures,
    add_table,
    add_text,
    add_title,
    new_document,
    save,
)

REGISTER_TITLE = "登记保存清单"
COLUMNS = ("序号", "名称", "规格", "数量", "特征（密级/疑似）", "SHA-256", "原件存放地点", "登记保存位置",
           "登记保存时间", "备注")
EXACT = frozenset({"名称", "SHA-256", "原件存放地点", "登记保存位置"})  # identifiers: hidden characters shown
WIDTHS = (10, 34, 34, 10, 18, 36, 32, 32, 19)  # the DOCX table leaves 备注 out when no item has one
SIGNERS = ("检查人员（签名）", "检查人员（签名）", "持有人（签名）")
NOTE = ("依据《泄密案件查处办法》第四十五条，对下列物品共 {count} 件予以登记保存，载明名称、规格、数量、"
        "特征和存放地点。电子文件以复制件登记保存，SHA-256 校验值用于核对复制件与原件一致。")


def render_register(items: Iterable[Mapping[str, Any]], run: Mapping[str, Any] | None,
                    csv_path: str, docx_path: str) -> None:
    """Write the 登记保存清单 of ``items`` as CSV (``csv_path``) and DOCX (``docx_path``), both 0600."""
    rows = [register_row(i, item) for i, item in enumerate(items, 1) if isinstance(item, Mapping)]
    write_csv(rows, csv_path)
    write_docx(rows, run, docx_path)


def register_row(number: int, item: Mapping[str, Any]) -> dict[str, Any]:
    """One item's columns, as raw values (cleaned by each writer)."""
    fmt = item.get("format")
    return {
        "序号": number,
        "名称": item.get("name"),
        "规格": f"{carrier_form(fmt)}，{size_text(item.get('size'))}",
        "数量": 1,
        "特征（密级/疑似）": item.get("level") or "未标明",
        "SHA-256": item.get("sha256") or "未取得",
        "原件存放地点": item.get("original_path"),
        "登记保存位置": item.get("collected_path") or "未保存",
        "登记保存时间": time_text(item.get("collected_at")),
        "备注": item.get("problem"),
    }


def write_csv(rows: list[dict[str, Any]], path: str) -> None:
    """UTF-8 with BOM, \\r\\n, formula-safe: the same conventions as the CSV report."""
    with create_private(path, encoding="utf-8-sig") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([sheet_cell(row.get(name), exact=name in EXACT) for name in COLUMNS])


def write_docx(rows: list[dict[str, Any]], run: Mapping[str, Any] | None, path: str) -> None:
    """The list on landscape A4: heading lines, the table, the total, the signatures."""
    doc = new_document(REGISTER_TITLE, landscape=True)
    add_title(doc, REGISTER_TITLE)
    info = run or {}
    where = "；".join(clean(p, exact=True, limit=300) for p in run_paths(info)[:10]) or UNKNOWN
    host = clean(info.get("host"), limit=200) or UNKNOWN
    add_text(doc, f"检查时间：{time_text(info.get('started'))}　主机名：{host}　检查路径：{where}")
    add_text(doc, NOTE.format(count=len(rows)), keep=True)
    remarks = any(row.get("备注") for row in rows)
    columns = COLUMNS if remarks else COLUMNS[:-1]
    widths = _widths(remarks)
    cells = ([_docx_cell(row.get(name), name) for name in columns] for row in rows)
    add_table(doc, columns, widths, cells)
    add_signatures(doc, SIGNERS, per_line=2)
    save(doc, path)


def _widths(remarks: bool) -> tuple[float, ...]:
    if not remarks:
        return WIDTHS
    return (*(w * 0.86 for w in WIDTHS), 225 * 0.14)  # 备注 takes 14% of the 225 mm text width


def _docx_cell(value: object, name: str) -> str:
    return clean(value, exact=name in EXACT, limit=1000) if value is not None else ""

