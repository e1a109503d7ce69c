"""DOCX inspection record: title, run information, carriers, counts by level, coverage, legal notes,
signature lines, page setup and fonts; hostile names; the row cap. Records come from a real scan."""

import json
import os
import stat
import zipfile

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from cli import main
from scanner.report import docx as docx_report
from scanner.report import officedoc

RUN = {"paths": ["/srv/检查目录"], "started": "2024-05-01T10:00:00+08:00", "finished": "2024-05-01T10:05:30+08:00",
       "host": "inspect-pc-01", "os": "Linux 6.1 (x86_64)", "user": "inspector", "tool": "docscan 0.1.0",
       "rules": "c0" * 32, "model": None, "counts": {}, "options": {"jobs": 1, "ocr": False},
       "integrity": {"records": "report.jsonl", "chain_head": "9f" * 32, "records_count": 8}}
SUSPECT = {"path": "/srv/疑似.docx", "status": "ok", "error": None, "format": "docx", "size": 1234,
           "mtime": "2024-05-01T10:00:00+08:00", "sha256": "ab" * 32, "marking": None, "findings": [],
           "suspected": {"label": "涉密", "score": 0.91, "terms": ["作战", "部署"]}}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    root = tmp_path_factory.mktemp("docx") / "docs"
    root.mkdir()
    (root / "关于做好值班工作的通知.txt").write_text("秘密★1年\n关于做好值班工作的通知\n请做好值班安排。\n",
                                               encoding="utf-8")
    (root / "法规.txt").write_text("第四十八条 违反本法规定，泄露绝密级国家秘密的，依法给予处分。\n", encoding="utf-8")
    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "机密★5年"
    doc.add_paragraph("数据中心迁移实施方案")
    doc.save(root / "数据中心迁移实施方案.docx")
    book = openpyxl.Workbook()
    book.active.oddHeader.left.text = "秘密★6个月"
    book.save(root / "经费.xlsx")
    with zipfile.ZipFile(root / "材料.zip", "w") as archive:
        archive.writestr("内/绝密文件.txt", "绝密★长期\n作战计划\n")
    (root / "empty.bin").write_bytes(b"")
    (root / "损坏.zip").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 2)
    out = root.parent / "report.jsonl"
    assert main(["scan", str(root), "--no-model", "--quiet", "--jobs", "1", "--output", str(out)]) == 1
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def by_name(records, name):
    (record,) = [r for r in records if r["path"].endswith(name)]
    return record


def section_of(doc, table):
    """Which section a table stands in: a section ends with the paragraph that holds its w:sectPr."""
    section = 0
    for child in doc.element.body:
        if child is table._tbl:
            return section
        section += child.find(qn("w:pPr") + "/" + qn("w:sectPr")) is not None


def table_rows(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


@pytest.fixture(scope="module")
def record_doc(scanned, tmp_path_factory):
    path = tmp_path_factory.mktemp("out") / "record.docx"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    docx_report.render(iter([*scanned, SUSPECT]), RUN, str(path))
    return path, docx.Document(str(path))


def test_title_properties_and_owner_only(record_doc):
    path, doc = record_doc
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    texts = [p.text for p in doc.paragraphs]
    assert texts[1] == "保密检查技术核查记录" and doc.paragraphs[1].style.name == officedoc.TITLE_STYLE
    assert texts[0].startswith("密级：")
    assert doc.core_properties.title == "保密检查技术核查记录" and doc.core_properties.author == "docscan"


def test_run_information_table(record_doc):
    _, doc = record_doc
    info = dict(table_rows(doc.tables[0])[1:])
    assert info["检查时间"] == "2024-05-01 10:00:00 +08:00 至 2024-05-01 10:05:30 +08:00"
    assert (info["主机名"], info["操作系统"], info["执行检查的用户"]) == ("inspect-pc-01", "Linux 6.1 (x86_64)",
                                                                 "inspector")
    assert (info["检查路径"], info["工具版本"], info["规则集（SHA-256）"]) == ("/srv/检查目录", "docscan 0.1.0", "c0" * 32)
    assert info["分类模型"] == "未使用"
    assert info["检查选项"] == "并行进程数：1\n文字识别（OCR）：否"
    assert info["检查文件数"] == "共 9 个（已检查 7 个，出错 1 个，不支持 1 个）"
    assert (info["检查结果记录文件"], info["记录条数"], info["记录链校验值（SHA-256）"]) == ("report.jsonl", "8", "9f" * 32)


def test_unknown_run_and_model_summary(tmp_path):
    path = tmp_path / "r.docx"
    docx_report.render([SUSPECT], None, str(path))
    info = dict(table_rows(docx.Document(str(path)).tables[0])[1:])
    assert info["主机名"] == info["检查路径"] == info["分类模型"] == info["规则集（SHA-256）"] == "未知"
    assert info["检查时间"] == "未知 至 未知"
    model = {"path": "/m", "sha256": {"arrays.npz": "aa" * 32}, "threshold": 0.6,
             "training": {"documents": 300, "manifest_sha256": "bb" * 32}}
    assert docx_report.model_text(model) == ("path：/m\nthreshold：0.6\nsha256 arrays.npz：" + "aa" * 32
                                             + "\n训练语料清单 sha256：" + "bb" * 32)


def test_counts_by_level(record_doc):
    _, doc = record_doc
    header, counts = table_rows(doc.tables[1])
    got = dict(zip(header, counts, strict=True))
    assert got == {"绝密": "1 份", "机密": "1 份", "秘密": "2 份", "核心商密": "0 份", "普通商密": "0 份",
                   "工作秘密": "0 份", "内部": "0 份", "疑似涉密": "1 份", "疑似内部": "0 份", "合计": "5 份"}
    sentence = next(p.text for p in doc.paragraphs if p.text.startswith("本次检查发现标密或疑似载体共"))
    assert "共 5 份，其中绝密 1 份、机密 1 份、秘密 2 份、疑似涉密 1 份。" in sentence
    assert "另有 1 个文件仅在文字中提及密级词语" in sentence


def test_carrier_rows(scanned, record_doc):
    _, doc = record_doc
    rows = table_rows(doc.tables[2])
    assert tuple(rows[0]) == docx_report.CARRIER_HEADER
    names = [r[1] for r in rows[1:]]
    assert names == ["绝密文件.txt", "数据中心迁移实施方案.docx", "关于做好值班工作的通知.txt", "经费.xlsx", "疑似.docx"]
    member = by_name(scanned, "材料.zip!/内/绝密文件.txt")
    assert rows[1] == ["1", "绝密文件.txt", "绝密", "1", "电子文档（TXT），压缩包/邮件内文件", member["path"],
                       member["sha256"], "无法提取（仅见标志“绝密★长期”）"]
    plan = by_name(scanned, "数据中心迁移实施方案.docx")
    assert rows[2][2:7] == ["机密", "1", "电子文档（DOCX）", plan["path"], plan["sha256"]]
    sheet = by_name(scanned, "经费.xlsx")
    assert rows[4][2:7] == ["秘密", "1", "电子表格（XLSX）", sheet["path"], sheet["sha256"]]
    assert rows[5][2:] == ["疑似涉密（0.91）", "0", "电子文档（DOCX）", "/srv/疑似.docx", "ab" * 32,
                           "内容分类依据词：作战、部署"]


def test_coverage_list(scanned, record_doc):
    _, doc = record_doc
    rows = table_rows(doc.tables[3])
    assert tuple(rows[0]) == docx_report.COVERAGE_HEADER
    got = {r[1]: r[2:] for r in rows[1:]}
    empty, broken = by_name(scanned, "empty.bin"), by_name(scanned, "损坏.zip")
    assert got[empty["path"]] == ["不支持", "空文件（empty file (0 bytes)）", "0 字节"]
    assert got[broken["path"]][0] == "出错" and got[broken["path"]][1].startswith("文件损坏（damaged zip")
    assert len(rows) == 3
    assert any(p.text.startswith("共 2 个文件未能完整检查（出错 1 个、不支持 1 个）") for p in doc.paragraphs)


def test_legal_notes_and_signature_lines(record_doc):
    _, doc = record_doc
    texts = [p.text for p in doc.paragraphs]
    notes = "".join(texts)
    for article in ("第二十一条、第二十二条", "第五十四条", "第四十四条"):
        assert article in notes
    labels = [t.split("：")[0] for t in texts[-5:]]
    assert labels == ["检查人员（签名）", "检查人员（签名）", "被检查人（签名）", "见证人（签名）", "日期"]
    signature = doc.paragraphs[-5]
    assert signature.runs[-1].font.underline and signature.runs[-1].text.strip("\u3000") == ""
    assert texts[-1].endswith("年\u3000\u3000月\u3000\u3000日")


def test_page_setup_and_fonts(record_doc):
    _, doc = record_doc
    first, carriers, last = doc.sections[0], doc.sections[1], doc.sections[-1]

    def mm(*lengths):
        return tuple(round(length.mm, 1) for length in lengths)

    assert mm(first.page_width, first.page_height) == (210, 297)
    assert mm(first.top_margin, first.bottom_margin, first.left_margin, first.right_margin) == (37, 35, 28, 26)
    assert mm(carriers.page_width, carriers.page_height) == (297, 210)
    assert mm(last.page_width, last.page_height) == (210, 297)
    assert len(doc.sections) == 3 and section_of(doc, doc.tables[2]) == section_of(doc, doc.tables[3]) == 1
    assert section_of(doc, doc.tables[0]) == 0

    def east_asia(style_name):
        return doc.styles[style_name].element.rPr.rFonts.get(qn("w:eastAsia"))

    assert east_asia("Normal") == "仿宋_GB2312" and doc.styles["Normal"].font.size.pt == 16
    assert east_asia(officedoc.TITLE_STYLE) == "方正小标宋简体"
    assert east_asia(officedoc.HEADING_STYLE) == east_asia(officedoc.TABLE_HEAD_STYLE) == "黑体"
    header_row = doc.tables[2].rows[0]._tr
    assert header_row.trPr.find(qn("w:tblHeader")) is not None  # repeats on every page


def test_hostile_names_survive_exactly_or_visibly(tmp_path):
    names = ["<img src=x onerror=alert(1)>.docx", "=cmd|' -C calc'!A0.docx", "a\x00b\x07c\u202egpj.docx",
             "bad\udcff.docx", "&amp; \"quoted\" 'x'.docx"]
    records = [{**SUSPECT, "path": f"/srv/{name}", "marking": {"level": "秘密", "text": "秘密★1年"},
                "findings": [{"kind": "marking", "level": "秘密", "rule": "r", "text": "秘密★1年",
                              "context": "秘密★1年 " + "长" * 10_000 + "\x1b", "location": {"part": "body"},
                              "confidence": 0.9}]} for name in names]
    path = tmp_path / "r.docx"
    docx_report.render(records, {"paths": ["/srv"], "host": "h\u202eost\x00"}, str(path))
    doc = docx.Document(str(path))
    rows = table_rows(doc.tables[2])[1:]
    assert sorted(r[1] for r in rows) == sorted(["<img src=x onerror=alert(1)>.docx", "=cmd|' -C calc'!A0.docx",
                                                 "a[U+0000]b[U+0007]c[U+202E]gpj.docx", "bad[U+DCFF].docx",
                                                 "&amp; \"quoted\" 'x'.docx"])
    assert all(r[7] == "秘密★1年 " + "长" * 54 + "…" for r in rows)  # 60 characters and an ellipsis
    assert dict(table_rows(doc.tables[0])[1:])["主机名"] == "h[U+202E]ost[U+0000]"


def test_row_cap_keeps_the_highest_levels(tmp_path):
    levels = ["内部", "秘密", "绝密", "工作秘密", "机密"] * 3
    records = [{**SUSPECT, "path": f"/srv/{i:02d}.docx", "suspected": None,
                "marking": {"level": level, "text": level}, "findings": []} for i, level in enumerate(levels)]
    records += [{**SUSPECT, "path": f"/srv/e{i}.bin", "status": "error", "error": "boom", "suspected": None}
                for i in range(4)]
    path = tmp_path / "r.docx"
    summary = docx_report.write_record(iter(records), None, str(path), max_rows=4)
    doc = docx.Document(str(path))
    rows = table_rows(doc.tables[2])[1:]
    assert [(r[1], r[2]) for r in rows] == [("02.docx", "绝密"), ("07.docx", "绝密"), ("12.docx", "绝密"),
                                            ("04.docx", "机密")]
    texts = [p.text for p in doc.paragraphs]
    assert "另有 11 个载体未在本记录中列出，见同次检查的 JSONL/CSV 报告。" in texts
    assert len(table_rows(doc.tables[3])) == 1 + 4 and summary.uncovered_total == 4
    assert summary.carrier_total == 15


def test_default_cap_at_2000_rows(tmp_path):
    def records():
        for i in range(2_100):
            yield {**SUSPECT, "path": f"/srv/{i}.docx", "marking": {"level": "秘密", "text": "秘密"}}
            yield {**SUSPECT, "path": f"/srv/{i}.bin", "status": "skipped", "error": "x", "suspected": None}

    path = tmp_path / "r.docx"
    docx_report.render(records(), None, str(path))
    doc = docx.Document(str(path))
    assert len(doc.tables[2].rows) == len(doc.tables[3].rows) == 2_001
    texts = [p.text for p in doc.paragraphs]
    assert "另有 100 个载体未在本记录中列出，见同次检查的 JSONL/CSV 报告。" in texts
    assert "另有 100 个未能完整检查的文件未在本记录中列出，见同次检查的 JSONL/CSV 报告。" in texts


def test_nothing_found(tmp_path):
    clean_record = {**SUSPECT, "suspected": None}
    path = tmp_path / "r.docx"
    docx_report.render([clean_record], RUN, str(path))
    texts = [p.text for p in docx.Document(str(path)).paragraphs]
    assert "本次检查未发现标密或疑似载体。" in texts and "本次检查的全部文件均已完整检查。" in texts
    assert len(docx.Document(str(path)).sections) == 1  # no landscape pages without wide tables
