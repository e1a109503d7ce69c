"""登记保存清单 (CSV + DOCX): the items of files flagged by a real scan and copied as evidence,
plus hostile names; BOM, formula safety, the table, the total, the signature lines, 0600."""

import csv
import hashlib
import io
import json
import os
import shutil
import stat

import docx
import pytest

from cli import main
from scanner.report.register import COLUMNS, render_register

RUN = {"paths": ["/srv/检查目录"], "started": "2024-05-01T10:00:00+08:00", "host": "inspect-pc-01"}


@pytest.fixture(scope="module")
def items(tmp_path_factory):
    """Scan a folder, copy each flagged file as the collector does, and describe the copies."""
    base = tmp_path_factory.mktemp("register")
    docs, evidence = base / "docs", base / "evidence"
    docs.mkdir()
    evidence.mkdir()
    (docs / "关于做好值班工作的通知.txt").write_text("秘密★1年\n关于做好值班工作的通知\n", encoding="utf-8")
    (docs / "机密方案.txt").write_text("机密★5年\n实施方案\n" + "正文。" * 400, encoding="utf-8")
    (docs / "新闻.txt").write_text("市政府召开新闻发布会。\n", encoding="utf-8")
    out = base / "report.jsonl"
    assert main(["scan", str(docs), "--no-model", "--quiet", "--jobs", "1", "--output", str(out)]) == 1
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    made = []
    for number, record in enumerate(sorted((r for r in records if r["marking"]), key=lambda r: r["path"]), 1):
        name = os.path.basename(record["path"])
        target = evidence / f"{number:04d}_{name}"
        shutil.copy2(record["path"], target)
        made.append({"name": name, "size": record["size"], "format": record["format"],
                     "level": record["marking"]["level"], "original_path": record["path"],
                     "sha256": hashlib.sha256(target.read_bytes()).hexdigest(), "collected_path": str(target),
                     "collected_at": "2024-05-01T10:06:00+08:00", "problem": None})
    assert [m["name"] for m in made] == ["关于做好值班工作的通知.txt", "机密方案.txt"]
    assert all(m["sha256"] == r["sha256"] for m in made for r in records if r["path"] == m["original_path"])
    return made


def render(items, tmp_path, run=RUN):
    csv_path, docx_path = tmp_path / "登记保存清单.csv", tmp_path / "登记保存清单.docx"
    render_register(iter(items), run, str(csv_path), str(docx_path))
    raw = csv_path.read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return raw, rows, docx.Document(str(docx_path)), (csv_path, docx_path)


def table_rows(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_csv_rows(items, tmp_path):
    raw, rows, _, paths = render(items, tmp_path)
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\n") == raw.count(b"\r\n") == 3
    assert list(rows[0]) == list(COLUMNS)
    first = rows[0]
    assert (first["序号"], first["名称"], first["数量"], first["特征（密级/疑似）"]) == (
        "1", "关于做好值班工作的通知.txt", "1", "秘密")
    assert first["规格"] == f"电子文档（TXT），{items[0]['size']} 字节"
    assert rows[1]["规格"] == f"电子文档（TXT），{items[1]['size'] / 1024:.1f} KB（{items[1]['size']:,} 字节）"
    assert (first["SHA-256"], first["原件存放地点"], first["登记保存位置"]) == (
        items[0]["sha256"], items[0]["original_path"], items[0]["collected_path"])
    assert (first["登记保存时间"], first["备注"]) == ("2024-05-01 10:06:00 +08:00", "")
    for path in paths:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_docx_table_total_and_signatures(items, tmp_path):
    _, _, doc, _ = render(items, tmp_path)
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "登记保存清单" and doc.core_properties.title == "登记保存清单"
    assert texts[1] == "检查时间：2024-05-01 10:00:00 +08:00\u3000主机名：inspect-pc-01\u3000检查路径：/srv/检查目录"
    assert "第四十五条，对下列物品共 2 件予以登记保存，载明名称、规格、数量、特征和存放地点。" in texts[2]
    (table,) = doc.tables
    rows = table_rows(table)
    assert tuple(rows[0]) == COLUMNS[:-1]  # no 备注 column when every copy is faithful
    assert rows[1] == ["1", "关于做好值班工作的通知.txt", f"电子文档（TXT），{items[0]['size']} 字节", "1", "秘密",
                       items[0]["sha256"], items[0]["original_path"], items[0]["collected_path"],
                       "2024-05-01 10:06:00 +08:00"]
    assert rows[2][1] == "机密方案.txt" and rows[2][4] == "机密"
    assert texts[-2].startswith("检查人员（签名）：") and texts[-2].count("检查人员（签名）：") == 2
    assert texts[-1].startswith("持有人（签名）：") and "日期：" in texts[-1] and texts[-1].endswith("日")
    assert [bool(run.font.underline) for run in doc.paragraphs[-1].runs] == [False, True, False]
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (297, 210)


def test_hostile_and_failed_items(tmp_path):
    items = [{"name": '=HYPERLINK("http://x")\u202egpj.docx', "size": 10, "format": "docx", "level": "疑似涉密",
              "original_path": "+/srv/a\x07.docx", "sha256": None, "collected_path": None,
              "collected_at": None, "problem": "@无法复制 (cannot copy): Permission denied"},
             {"name": "-" + "长" * 10_000, "size": None, "format": None, "level": None,
              "original_path": "/srv/b", "sha256": "cd" * 32, "collected_path": "/e/b",
              "collected_at": "not a time", "problem": None}]
    _, rows, doc, _ = render(items, tmp_path, run=None)
    first, second = rows
    assert first["名称"] == '\'=HYPERLINK("http://x")[U+202E]gpj.docx'
    assert (first["原件存放地点"], first["备注"]) == ("'+/srv/a[U+0007].docx", "'@无法复制 (cannot copy): Permission denied")
    assert (first["SHA-256"], first["登记保存位置"], first["登记保存时间"]) == ("未取得", "未保存", "未知")
    assert (second["规格"], second["特征（密级/疑似）"], second["登记保存时间"]) == ("电子文件（格式未识别），未知", "未标明",
                                                                   "not a time")
    assert second["名称"].startswith("'-长") and second["名称"].endswith("（已截断，原长 10001 字符）")
    rows = table_rows(doc.tables[0])
    assert rows[0][-1] == "备注" and rows[1][-1] == "@无法复制 (cannot copy): Permission denied"
    assert rows[1][1] == '=HYPERLINK("http://x")[U+202E]gpj.docx'  # DOCX is not a spreadsheet: no apostrophe
    assert len(rows[2][1]) < 1_100
    assert doc.paragraphs[1].text == "检查时间：未知\u3000主机名：未知\u3000检查路径：未知"


def test_empty_register(tmp_path):
    raw, rows, doc, _ = render([], tmp_path)
    assert rows == [] and raw.count(b"\r\n") == 1
    assert "共 0 件" in doc.paragraphs[2].text and len(doc.tables[0].rows) == 1
