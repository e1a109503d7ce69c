"""``docscan review`` end to end: exit codes, the JSONL contract with verdicts, the HTML page, the DOCX
保密审查单, owner-only files, the manifest, usage errors and the options a review scans with."""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import html
import io
import json
import os
import re
import stat
from pathlib import Path

import docx
import pytest
from PIL import Image, ImageDraw

from scanner.report import manifest
from scanner.review import BLOCK, PUBLISH, REVIEW
from scanner.review_run import OCR_PAGES, add_parser, command, review_options
from tests.report import browser
from tests.review import review_builders as rb

CONTRACT = ("path", "status", "error", "format", "size", "mtime", "sha256", "marking", "findings", "suspected")
HOSTILE = "<img src=x onerror=alert(1)>\u202egpj.docx"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="docscan")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["review", *argv])


def review_cli(*argv: str) -> int:
    return command(parse(*argv, "--no-model", "--jobs", "1"))


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def private(path: Path) -> bool:
    return stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.fixture(scope="module")
def upload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder to be published: a booklet with marks on pages 37/38, a notice with a commented mark, a
    public notice, and a marked file with a hostile name."""
    folder = tmp_path_factory.mktemp("upload")
    (folder / "2024年政策文件汇编.pdf").write_bytes(rb.booklet_pdf())
    (folder / "培训通知.docx").write_bytes(rb.comments_docx())
    (folder / "健身活动.docx").write_bytes(rb.plain_docx("关于举办全民健身活动的通知", "欢迎参加。"))
    (folder / HOSTILE).write_bytes(rb.plain_docx("秘密★1年", rb.ITEM_TITLE))
    return folder


def test_exit_0_only_when_every_document_may_be_published(tmp_path, capsys):
    folder = tmp_path / "public"
    folder.mkdir()
    (folder / "健身活动.docx").write_bytes(rb.plain_docx("关于举办全民健身活动的通知", "欢迎参加。"))
    (folder / "公报.txt").write_text("2024年全县生产总值同比增长5.1%。\n", encoding="utf-8")
    out = tmp_path / "review.jsonl"
    assert review_cli(str(folder), "--output", str(out)) == 0
    assert [r["verdict"] for r in lines(out)] == [PUBLISH, PUBLISH]
    assert "可以公开 2 个" in capsys.readouterr().err


def test_jsonl_records_keep_the_contract_and_add_verdict_and_reasons(upload, tmp_path, capsys):
    out = tmp_path / "review.jsonl"
    assert review_cli(str(upload), "--output", str(out)) == 1
    records = {Path(r["path"]).name: r for r in lines(out)}
    assert {name: r["verdict"] for name, r in records.items()} == {
        "2024年政策文件汇编.pdf": BLOCK, "培训通知.docx": REVIEW, "健身活动.docx": PUBLISH, HOSTILE: BLOCK}
    booklet = records["2024年政策文件汇编.pdf"]
    assert all(key in booklet for key in CONTRACT) and booklet["marking"]["level"] == "内部"
    assert [(r["code"], r["location"]["page"]) for r in booklet["reasons"]] == [("marking", 37), ("marking", 38)]
    assert set(booklet["reasons"][0]) == {"code", "verdict", "text", "location", "member"}
    assert private(out) and private(Path(str(out) + ".manifest.json"))
    assert list(manifest.verify(str(out) + ".manifest.json")) == []
    err = capsys.readouterr().err
    assert "审查 4 个文件：不得公开 2 个，需人工复核 1 个，可以公开 1 个" in err
    assert "【不得公开】" in err and "【需人工复核】" in err and "\u202e" not in err


@pytest.fixture(scope="module")
def html_review(upload: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "review.html"
    assert review_cli(str(upload), "--format", "html", "--output", str(out), "--reviewer", "王五", "-q") == 1
    return out


def test_html_review_is_escaped_self_contained_and_lists_reasons_with_locations(html_review):
    out = html_review
    page = out.read_text(encoding="utf-8")
    assert private(out) and private(Path(str(out) + ".jsonl")) and len(lines(Path(str(out) + ".jsonl"))) == 4
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page and "[U+202E]" in page
    assert "<script" not in page and "src=" not in page.replace("src=x onerror", "")
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp and "script-src 'none'" in csp and "default-src 'none'" in csp
    summary = re.search(r'<table id="sum-verdicts">(.*?)</table>', page, re.S).group(1)
    assert re.findall(r'<span class="v-\w+">(\S+)</span></td><td class="n">(\d+)', summary) == [
        (BLOCK, "2"), (REVIEW, "1"), (PUBLISH, "1")]
    assert "第37页 第1行" in page and "第38页 第1行" in page and "批注（李四）" in page
    assert "王五" in page and "第四十二条" in page
    assert list(manifest.verify(str(out) + ".manifest.json")) == []


def test_html_review_in_a_real_browser_runs_nothing_and_keeps_its_style(html_review, tmp_path):
    reason = browser.missing()
    if reason:
        pytest.skip(reason)
    with browser.launch(tmp_path / "profile") as chromium:
        session = chromium.open(html_review.as_uri())
        page = session.page
        assert page.locator("img, script, iframe, object").count() == 0
        names = page.eval_on_selector_all("#documents tbody tr", "rows => rows.map(r => r.cells[1].textContent)")
        assert upload_name(names) == HOSTILE.replace("\u202e", "[U+202E]")  # shown as text, the bidi mark visible
        colour = page.eval_on_selector(".v-block", "e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(140, 28, 19)"  # the hashed style block was allowed to apply
        assert session.errors == [] and session.dialogs == [] and session.requests == [html_review.as_uri()]


def upload_name(names: list[str]) -> str:
    """The hostile name among the document paths shown in the table."""
    return next(Path(name).name for name in names if "onerror" in name)


def _form(document: docx.document.Document, name: str) -> dict[str, str]:
    for table in document.tables:
        rows = {row.cells[0].text: row.cells[1].text for row in table.rows if len(row.cells) == 2}
        if rows.get("文件名称", "").startswith(name):
            return rows
    raise AssertionError(f"no form for {name}")


def test_docx_review_form_holds_every_field(upload, tmp_path):
    out = tmp_path / "保密审查单.docx"
    assert review_cli(str(upload), "--format", "docx", "--output", str(out), "--reviewer", "王五", "-q") == 1
    assert private(out) and private(Path(str(out) + ".jsonl")) and private(Path(str(out) + ".manifest.json"))
    document = docx.Document(str(out))
    booklet = upload / "2024年政策文件汇编.pdf"
    form = _form(document, booklet.name)
    finished = json.loads(Path(str(out) + ".manifest.json").read_text(encoding="utf-8"))["run"]["finished"]
    day = datetime.datetime.fromisoformat(finished).date()
    assert form["文件名称"] == f"{booklet.name}\n{booklet}"
    assert form["文件哈希"] == "SHA-256：" + hashlib.sha256(booklet.read_bytes()).hexdigest()
    assert "大小：" in form["页数/大小"] and f"{booklet.stat().st_size:,} 字节" in form["页数/大小"]
    assert form["审查人"] == "王五"
    assert form["审查日期"] == f"{day.year}年{day.month}月{day.day}日"
    assert form["审查结论"] == BLOCK
    reasons = form["理由及位置"].split("\n")
    assert len(reasons) == 2 and "“内部文件”" in reasons[0] and "（位置：第37页 第1行）" in reasons[0]
    assert "（位置：第38页 第1行）" in reasons[1]
    assert _form(document, "健身活动.docx")["审查结论"] == PUBLISH
    assert _form(document, "培训通知.docx")["审查结论"] == REVIEW
    hostile = _form(document, "<img src=x onerror=alert(1)>")
    assert hostile["审查结论"] == BLOCK and "\u202e" not in hostile["文件名称"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert text.count("承办人（签字）") == 4 and text.count("审核人（签字）") == 4 and text.count("批准人（签字）") == 4
    assert "第四十二条" in text and "信息公开保密审查单" in text
    overview = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert overview[0] == ["序号", "文件名称", "审查结论", "理由数"] and len(overview) == 5


def test_images_are_partial_reads_when_ocr_is_off(tmp_path):
    image = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(image).rectangle((20, 20, 380, 60), fill="black")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    (tmp_path / "扫描件.png").write_bytes(buf.getvalue())
    out = tmp_path / "r.jsonl"
    assert review_cli(str(tmp_path / "扫描件.png"), "--no-ocr", "--output", str(out), "-q") == 1
    (rec,) = lines(out)
    assert rec["verdict"] == REVIEW and rec["reasons"][0]["code"] == "partial-read"


@pytest.mark.parametrize("argv,message", [
    (["/no/such/file.pdf"], "路径不存在"),
    (["{dir}", "--format", "html"], "--format html 需要 --output FILE"),
    (["{dir}", "--db", "/no/such/fingerprints.db"], "指纹库不存在"),
    (["{dir}", "--keywords", "/no/such/list.txt"], "关键词表不存在"),
    (["{dir}", "--timeout", "0"], "--timeout 须 > 0"),
])
def test_usage_errors_exit_2(tmp_path, capsys, argv, message):
    assert command(parse(*[a.replace("{dir}", str(tmp_path)) for a in argv])) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_format_is_an_argparse_usage_error():
    with pytest.raises(SystemExit) as exc:
        parse(".", "--format", "csv")
    assert exc.value.code == 2


def test_an_output_that_cannot_be_written_exits_2(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("公开信息。\n", encoding="utf-8")
    assert review_cli(str(tmp_path / "a.txt"), "--output", str(tmp_path / "missing" / "r.jsonl"), "-q") == 2
    assert "无法写入输出" in capsys.readouterr().err


def test_review_options_turn_every_detector_on(tmp_path):
    db = tmp_path / "fp.db"
    db.write_bytes(b"")
    options = review_options(parse(".", "--db", str(db), "--keywords", "k.txt", "--no-ocr"))
    assert options.pii and options.redact_pii and options.fingerprints == str(db.resolve())
    assert options.keywords == (os.path.abspath("k.txt"),) and not options.ocr and options.classify
    assert options.ocr_max_pages == OCR_PAGES and options.max_findings >= 10_000
    assert not review_options(parse(".", "--no-redact", "--no-model")).redact_pii
    assert not review_options(parse(".", "--no-model")).classify


def test_a_public_attribute_of_not_for_release_blocks_publication(tmp_path):
    """公开属性：不予公开 in a notice's 版记 (a DOCX table cell or a body line) is an explicit non-public
    attribute; 依申请公开 is not."""
    folder = tmp_path / "upload"
    folder.mkdir()
    blocked = docx.Document()
    blocked.add_paragraph("关于调整机构设置的通知")
    blocked.add_paragraph("请认真贯彻执行。")
    blocked.add_table(rows=1, cols=1).cell(0, 0).text = "公开属性：不予公开"
    blocked.save(folder / "机构.docx")
    (folder / "依申请.txt").write_text("关于办事指南的说明\n请遵照执行。\n\n公开属性：依申请公开\n", encoding="utf-8")
    out = tmp_path / "review.jsonl"
    assert review_cli(str(folder), "--output", str(out)) == 1
    got = {os.path.basename(r["path"]): r for r in lines(out)}
    assert got["机构.docx"]["verdict"] == BLOCK
    assert [r["code"] for r in got["机构.docx"]["reasons"]] == ["explicit-nonpublic"]
    assert got["机构.docx"]["reasons"][0]["location"]["part"] == "table"
    assert got["依申请.txt"]["verdict"] == PUBLISH
