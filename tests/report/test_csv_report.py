"""CSV report: BOM, row counts, Chinese text, locations; formula injection, control characters,
bidi overrides and long lines neutralised; owner-only file. Records come from a real scan."""

import csv
import io
import json
import os
import stat
import unicodedata
import zipfile

import openpyxl
import pytest
from docx import Document

from cli import main
from scanner.report import csv as csv_report
from scanner.report.cells import (
    BIDI_CONTROLS,
    MAX_CELL,
    clean,
    location_text,
    neutralise,
    reason_text,
    sheet_cell,
)
from tests.conftest import ROOT

NOTICE = "秘密★1年\n关于做好值班工作的通知\n各单位：请做好节日期间值班安排。\n"
LAW = "第四十八条 违反本法规定，泄露绝密级国家秘密的，依法给予处分。\n"
SUSPECT = {"path": "/data/疑似.docx", "status": "ok", "error": None, "format": "docx", "size": 1234,
           "mtime": "2024-05-01T10:00:00+08:00", "sha256": "ab" * 32, "marking": None, "findings": [],
           "suspected": {"label": "涉密", "score": 0.91, "terms": ["作战", "部署"]}}
TRIGGERS = ["=1+1", "+1", "-1", "@SUM(A1:A2)", "\t=1", "\r=1", "\n=1", "＝1+1", "＋1", "－1", "＠x",
            " =1", "\u3000=1", "\u00a0+1", "\u200b=1", "\ufeff@x"]


def build_tree(root):
    root.mkdir()
    (root / "通知.txt").write_text(NOTICE, encoding="utf-8")
    (root / "法规.txt").write_text(LAW * 2, encoding="gb18030")
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "机密★5年"
    doc.add_paragraph("数据中心迁移实施方案")
    doc.save(root / "方案.docx")
    book = openpyxl.Workbook()
    book.active.oddHeader.left.text = "秘密★6个月"
    book.active["A1"] = "经费支出明细"
    book.save(root / "经费.xlsx")
    with zipfile.ZipFile(root / "材料.zip", "w") as archive:
        archive.writestr("内/绝密文件.txt", "绝密★长期\n作战计划\n")
    (root / "empty.bin").write_bytes(b"")
    (root / "损坏.zip").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 2)
    (root / "big.txt").write_text("正文" * 60_000, encoding="utf-8")  # beyond --max-size: skipped


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    base = tmp_path_factory.mktemp("csv")
    build_tree(base / "docs")
    out = base / "report.jsonl"
    code = main(["scan", str(base / "docs"), "--no-model", "--quiet", "--jobs", "1", "--max-size", "100KB",
                 "--output", str(out)])
    assert code == 1
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def render(records, tmp_path, name="r.csv"):
    path = tmp_path / name
    csv_report.render(iter(records), None, str(path))
    raw = path.read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return raw, rows


def by_name(rows, name):
    return [r for r in rows if r["文件路径"].endswith(name)]


def test_bom_crlf_header_and_owner_only(scanned, tmp_path):
    target = tmp_path / "r.csv"
    target.write_text("old")
    os.chmod(target, 0o644)
    raw, rows = render(scanned, tmp_path)
    assert raw.startswith(b"\xef\xbb\xbf\xe5\xba\x8f\xe5\x8f\xb7,")  # BOM then 序号
    assert raw.count(b"\n") == raw.count(b"\r\n") == len(rows) + 1
    assert raw.splitlines()[0].decode("utf-8-sig").split(",") == list(csv_report.COLUMNS)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_one_row_per_finding_plus_non_ok_and_flagged_without_findings(scanned, tmp_path):
    records = [*scanned, SUSPECT]
    _, rows = render(records, tmp_path)
    findings = sum(len(r["findings"]) for r in records)
    not_ok = sum(r["status"] != "ok" for r in records)
    assert {r["status"] for r in scanned} == {"ok", "unsupported", "error", "skipped"}
    assert len(rows) == findings + not_ok + 1
    assert [r["序号"] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    (suspect,) = by_name(rows, "疑似.docx")
    assert (suspect["疑似类别"], suspect["疑似分数"], suspect["依据词"], suspect["发现类型"]) == ("涉密", "0.91",
                                                                                       "作战、部署", "")


def test_chinese_text_and_locations_read_back(scanned, tmp_path):
    _, rows = render(scanned, tmp_path)
    (notice,) = by_name(rows, "/通知.txt")
    assert (notice["状态"], notice["格式"], notice["密级(文件)"], notice["发现类型"], notice["级别"]) == (
        "已检查", "txt", "秘密", "密级标志", "秘密")
    assert (notice["匹配文字"], notice["位置"], notice["置信度"]) == ("秘密★1年", "第1行", "0.95")
    (plan,) = by_name(rows, "方案.docx")
    assert (plan["匹配文字"], plan["位置"], plan["密级(文件)"]) == ("机密★5年", "页眉", "机密")
    (sheet,) = by_name(rows, "经费.xlsx")
    assert sheet["位置"] == "工作表 Sheet 页眉（奇数页）"
    member = [r for r in by_name(rows, "材料.zip!/内/绝密文件.txt") if r["发现类型"] == "密级标志"]
    assert member[0]["匹配文字"] == "绝密★长期"
    law = by_name(rows, "法规.txt")
    assert {r["发现类型"] for r in law} == {"提及"} and law[0]["密级(文件)"] == ""
    assert "泄露绝密级国家秘密" in law[0]["上下文"]


def test_file_columns_match_the_records(scanned, tmp_path):
    _, rows = render(scanned, tmp_path)
    for record in scanned:
        for row in by_name(rows, record["path"]):
            assert row["SHA-256"] == (record["sha256"] or "")
            assert row["大小"] == str(record["size"]) and row["修改时间"] == record["mtime"]


def test_files_not_fully_read_get_their_own_row(scanned, tmp_path):
    _, rows = render(scanned, tmp_path)
    (big,) = by_name(rows, "big.txt")
    assert (big["状态"], big["发现类型"], big["匹配文字"]) == ("跳过", "", "")
    assert big["错误原因"].startswith("超过大小上限（larger than --max-size")
    (empty,) = by_name(rows, "empty.bin")
    assert (empty["状态"], empty["错误原因"]) == ("不支持", "空文件（empty file (0 bytes)）")
    (broken,) = by_name(rows, "损坏.zip")
    assert broken["状态"] == "出错" and broken["错误原因"].startswith("文件损坏（damaged zip container")


def test_golden_samples_render(tmp_path):
    with open(os.path.join(ROOT, "tests", "golden", "samples.jsonl"), encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    _, rows = render(records, tmp_path)
    flagged_bare = sum(1 for r in records if (r["marking"] or r["suspected"]) and not r["findings"])
    assert len(rows) == sum(len(r["findings"]) + (r["status"] != "ok") for r in records) + flagged_bare
    assert by_name(rows, "2024年第二季度经费支出明细表.xlsx")[0]["位置"] == "工作表 Sheet1 页眉（奇数页）"


def hostile(value):
    finding = {"kind": "marking", "level": "秘密", "rule": value, "text": value, "context": value,
               "location": {"part": "cell", "sheet": value, "cell": "B7"}, "confidence": 0.9}
    return {"path": value, "status": "error", "error": value, "format": value, "size": 5, "mtime": value,
            "sha256": value, "marking": {"level": value, "text": value}, "findings": [finding],
            "suspected": {"label": value, "score": 0.5, "terms": [value]}}


def formula_safe(cell):
    body = cell.lstrip().lstrip("\u200b\u200c\u200d\u2060\ufeff").lstrip()
    return cell.startswith("'") or body[:1] not in set("=+-@\t\r\n＝＋－＠")


@pytest.mark.parametrize("payload", TRIGGERS)
def test_every_formula_trigger_is_neutralised_in_every_column(payload, tmp_path):
    _, rows = render([hostile(payload)], tmp_path)
    assert len(rows) == 2  # the error row and the finding row
    for row in rows:
        for column, cell in row.items():
            assert formula_safe(cell), (column, cell)
    assert rows[1]["匹配文字"].startswith("'") and rows[1]["上下文"].startswith("'")


def test_the_classic_payload_and_numbers(tmp_path):
    payload = "=cmd|' /C calc'!A0"
    record = {**SUSPECT, "path": payload, "size": 12, "findings": [
        {"kind": "mention", "level": None, "rule": "r", "text": "-2+3", "context": "@x",
         "location": {"part": "body", "line": 1}, "confidence": 0.5}]}
    _, rows = render([record], tmp_path)
    assert rows[0]["文件路径"] == "'" + payload
    assert (rows[0]["匹配文字"], rows[0]["上下文"]) == ("'-2+3", "'@x")
    assert (rows[0]["大小"], rows[0]["置信度"], rows[0]["疑似分数"]) == ("12", "0.5", "0.91")  # numbers stay numbers


def test_neutralise_rules():
    assert neutralise("=1") == "'=1" and neutralise("  =1") == "'  =1" and neutralise("\u3000＝1") == "'\u3000＝1"
    assert neutralise("普通文字") == "普通文字" and neutralise("a=1") == "a=1" and neutralise("") == ""
    assert sheet_cell(-5) == -5 and sheet_cell(float("-inf")) == "'-inf" and sheet_cell(True) == "是"


def test_control_characters_and_bidi_overrides_are_shown_not_passed(tmp_path):
    record = {**SUSPECT, "path": "/data/evil\u202egpj.docx", "findings": [
        {"kind": "marking", "level": "秘密", "rule": "x", "text": "秘密\u200f★1年",
         "context": "a\x00b\x1b[31mc\u2066d\nline2\tend\udcff", "location": {"part": "body", "line": 1},
         "confidence": 0.9}]}
    _, rows = render([record], tmp_path)
    (row,) = rows
    assert row["文件路径"] == "/data/evil[U+202E]gpj.docx"
    assert row["匹配文字"] == "秘密[U+200F]★1年"
    assert row["上下文"] == "a[U+0000]b[U+001B][31mc[U+2066]d line2 end[U+DCFF]"
    for cell in row.values():
        assert not any(unicodedata.category(ch) in ("Cc", "Cs") or ord(ch) in BIDI_CONTROLS for ch in cell)


def test_exact_text_shows_every_invisible_character():
    assert clean("a\tb\nc\u200bd", exact=True) == "a[U+0009]b[U+000A]c[U+200B]d"
    assert clean("a\tb\nc\u200bd") == "a b c\u200bd"  # prose: whitespace becomes spaces


def test_long_lines_are_capped(tmp_path):
    record = {**SUSPECT, "path": "/data/" + "长" * 10_000 + ".docx", "findings": [
        {"kind": "mention", "level": "秘密", "rule": "x", "text": "秘密", "context": "秘" * 10_000 + "\x07" * 10_000,
         "location": {"part": "body", "line": 1}, "confidence": 0.9}]}
    _, rows = render([record], tmp_path)
    (row,) = rows
    assert len(row["上下文"]) <= MAX_CELL + 30 and row["上下文"].endswith("（已截断，原长 20000 字符）")
    assert row["上下文"].startswith("秘" * 100)
    assert len(row["文件路径"]) <= MAX_CELL + 30 and row["文件路径"].endswith("原长 10011 字符）")


def test_records_are_streamed_once(tmp_path):
    def records():
        for i in range(20_000):
            yield {"path": f"/d/{i}.txt", "status": "ok" if i % 4 else "skipped", "error": None,
                   "format": "txt", "size": i, "mtime": None, "sha256": None, "marking": None,
                   "findings": [{"kind": "mention", "level": "秘密", "rule": "m", "text": "秘密", "context": "",
                                 "location": {"part": "body", "line": 1}, "confidence": 0.9}],
                   "suspected": None}

    _, rows = render(records(), tmp_path)
    assert len(rows) == 20_000 + 5_000


@pytest.mark.parametrize(("location", "words"), [
    ({"part": "body", "page": 3, "line": 2}, "第3页 第2行"),
    ({"part": "cell", "sheet": "Sheet1", "cell": "B7"}, "工作表 Sheet1 单元格 B7"),
    ({"part": "header", "name": "default"}, "页眉"),
    ({"part": "footer", "name": "first", "page": 1}, "第1页 页脚（首页）"),
    ({"part": "header", "name": "even", "sheet": "汇总"}, "工作表 汇总 页眉（偶数页）"),
    ({"part": "filename"}, "文件名"),
    ({"part": "table", "table": 2, "cell": "B3", "page": 1}, "第1页 表格2 单元格 B3"),
    ({"part": "properties", "name": "title"}, "文档属性（title）"),
    ({"part": "sheetname", "sheet": "秘密"}, "工作表名称 秘密"),
    ({"part": "body", "paragraph": 5, "page": 2}, "第2页 第5段"),
    ({"part": "body", "slide": 3}, "第3张幻灯片"),
    ({"part": "comment", "name": "张三"}, "批注（张三）"),
    ({"part": "body"}, "正文"),
    ({"part": "新部位\u202e"}, "新部位[U+202E]"),
    (None, ""),
])
def test_location_words(location, words):
    assert location_text(location) == words


def test_reason_glosses():
    assert reason_text("timeout after 60 s") == "处理超时（timeout after 60 s）"
    assert reason_text("something odd") == "something odd" and reason_text(None) == "未说明"
