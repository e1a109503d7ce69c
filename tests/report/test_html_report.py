"""The HTML report: escaping, the JSON island, counts, coverage, limits, and a real headless browser.

Records come from the real scanner run over documents built here (scanner.workers.run), from
the golden samples, and from hand-made hostile records.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import browser
import docx
import pypdfium2
import pytest

from scanner import walk, workers
from scanner.options import ScanOptions
from scanner.report import html

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "samples.jsonl"
HOSTILE = "<img src=x onerror=alert(1)>.docx"
BREAKOUT = "</script><img src=y onerror=alert(2)>.txt"  # a real path: folder "x<", file "script>..."


class Page(HTMLParser):
    """What a browser's parser would build: elements with attributes, and each script's text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._in_script: dict[str, str | None] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    def island(self) -> dict[str, Any]:
        [body] = [text for attrs, text in self.scripts if attrs.get("type") == "application/json"]
        return json.loads(body)

    def table_rows(self, body_text: str, start: str, end: str) -> str:
        return body_text[body_text.index(start):body_text.index(end)]


def record(path: str, **fields: Any) -> dict[str, Any]:
    base = {"path": path, "status": "ok", "error": None, "format": "docx", "size": 1000,
            "mtime": "2024-05-01T10:00:00+08:00", "sha256": "ab" * 32, "marking": None, "findings": [],
            "suspected": None}
    return {**base, **fields}


def marked(path: str, level: str, text: str = "", context: str = "", **fields: Any) -> dict[str, Any]:
    loc = {"part": "body", "page": 1, "paragraph": 1}
    finding = {"kind": "marking", "level": level, "rule": "test-rule", "text": text or f"{level}★1年",
               "location": loc, "context": context or f"{level}★1年", "confidence": 0.9}
    mark = {"level": level, "text": finding["text"], "period": "1年", "location": loc, "rule": "test-rule",
            "confidence": 0.9}
    return record(path, marking=mark, findings=[finding], **fields)


def render_text(tmp_path: Path, records: list[dict[str, Any]], run: dict[str, Any] | None = None) -> str:
    out = tmp_path / "report.html"
    html.render(iter(records), run, str(out))
    return out.read_text(encoding="utf-8")


def make_docx(path: Path, lines: list[str]) -> None:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """A folder of documents with marks, a hostile name and a broken file, scanned for real."""
    root = tmp_path_factory.mktemp("docs")
    (root / "x<").mkdir()
    (root / "子目录").mkdir()
    body = "根据工作安排，现将有关事项通知如下。"
    make_docx(root / HOSTILE, ["机密★5年", "关于数据中心迁移的实施方案", body])
    make_docx(root / "a-通知.docx", ["秘密★1年", "关于做好年度重点工作的通知", body])
    make_docx(root / "子目录" / "b-plain.docx", ["关于做好年度重点工作的通知", "保守国家秘密是每个公民的义务。"])
    (root / "子目录" / "c-内部.txt").write_text("内部资料 注意保存\n关于调整值班安排的情况说明\n", encoding="utf-8")
    (root / "d-绝密.txt").write_text("绝密★长期\n关于开展网络安全攻防演练的通知\n", encoding="utf-8")
    (root / ("x" + BREAKOUT)).write_text("工作秘密\n关于调整节假日值班安排的情况说明\n", encoding="utf-8")
    (root / "e-broken.docx").write_bytes(b"PK\x03\x04" + bytes(40))
    records: list[dict[str, Any]] = []
    workers.run(walk.walk([str(root)]), ScanOptions(jobs=1, classify=False, ocr=False),
                lambda entry, recs: records.extend(r.to_json() for r in recs))
    return root, records


def run_info(root: Path) -> dict[str, Any]:
    return {"paths": [str(root)], "started": "2024-05-01T10:00:00+08:00", "finished": "2024-05-01T10:01:00+08:00",
            "host": "inspect-pc", "os": "Linux 6.1 (x86_64)", "user": "检查员", "tool": "docscan 0.1.0",
            "rules": "cd" * 32, "model": None, "counts": {}, "options": {}}


# ---- the real scan, rendered -------------------------------------------------------------------


def test_real_scan_renders_levels_and_coverage(scanned: tuple[Path, list[dict[str, Any]]],
                                               tmp_path: Path) -> None:
    root, records = scanned
    levels = {Path(r["path"]).name: (r["marking"] or {}).get("level") for r in records}
    assert levels[HOSTILE] == "机密" and levels["d-绝密.txt"] == "绝密"  # the scanner did its part
    page = Page(render_text(tmp_path, records, run_info(root)))
    rows = page.island()["rows"]
    assert [r["path"] for r in rows] == sorted(r["path"] for r in rows)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert {r["label"] for r in rows} == {"绝密", "机密", "秘密", "工作秘密", "内部"}
    assert "b-plain.docx" not in json.dumps(rows, ensure_ascii=False)  # a mention only: counted, not listed
    text = "".join(page.text)
    assert "e-broken.docx" in text.split("四、未能检查的文件（1 个）")[1]
    assert "子目录/" in text and "（检查路径根目录）" in text


# ---- escaping ----------------------------------------------------------------------------------


def test_hostile_name_context_and_terms_are_text(tmp_path: Path) -> None:
    rec = marked(f"/d/{HOSTILE}", "机密", text="<b>机密</b>", context="<script>alert(3)</script>机密★5年",
                 suspected={"label": "涉密", "score": 0.8, "terms": ["<i>term</i>", "\"'&"]})
    rec["findings"].append({"kind": "suspected", "level": None, "rule": "classifier", "text": "涉密",
                            "location": {"part": "body", "name": "<svg onload=alert(4)>"},
                            "context": "主要依据", "confidence": 0.8, "terms": ["<u>x</u>"]})
    raw = render_text(tmp_path, [rec])
    page = Page(raw)
    assert page.names().isdisjoint({"img", "b", "i", "u", "svg"})
    assert [attrs.get("type") for attrs, _ in page.scripts] == ["application/json", None]
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    text = "".join(page.text)
    for shown in (HOSTILE, "<script>alert(3)</script>机密★5年", "<i>term</i>", "<u>x</u>", "<svg onload=alert(4)>"):
        assert shown in text
    assert "&lt;img src=x onerror=alert(1)&gt;.docx" in raw


def test_json_island_cannot_be_closed_from_a_record(tmp_path: Path) -> None:
    path = "/d/x</script><script>alert(1)</script><!--<script>.docx"
    raw = render_text(tmp_path, [marked(path, "秘密", context="</SCRIPT >&amp;\u2028")])
    page = Page(raw)
    assert len(page.scripts) == 2  # the island and the page's own script, nothing else
    [row] = page.island()["rows"]
    assert row["path"] == path
    island = raw[raw.index('id="docscan-data">'):]
    island = island[:island.index("</script>")]
    assert "<" not in island[len('id="docscan-data">'):] and "\\u003c/script\\u003e" in island


def test_island_escape_round_trips() -> None:
    data = {"s": "</script><!-- & \u2028\u2029 \"'"}
    text = str(html.json_island(data))
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == data


def test_rtl_override_and_controls_are_neutralised(tmp_path: Path) -> None:
    path = "/d/invoice\u202eKCOD.exe"
    raw = render_text(tmp_path, [marked(path, "秘密", context="a\x07b\x1bc\u2066d\u2069\ufeff\ud800")])
    assert not re.search("[\u202a-\u202e\u2066-\u2069\ufeff\x00-\x08\x0b\x0c\x0e-\x1f]", raw)
    assert "invoice[U+202E]KCOD.exe" in raw
    assert "a\\x07b\\x1bc[U+2066]d[U+2069][U+FEFF][U+D800]" in raw


def test_long_strings_are_capped(tmp_path: Path) -> None:
    long_context = "密" * 50_000
    raw = render_text(tmp_path, [marked("/d/a.docx", "秘密", context=long_context), record(
        "/d/" + "n" * 20_000, status="error", error="e" * 30_000, format=None)])
    assert max(len(m) for m in re.findall("密+", raw)) == html.CAP
    assert max(len(m) for m in re.findall("e+", raw)) == html.CAP
    assert "已截断，原长 50000 字符" in raw and "已截断，原长 30000 字符" in raw
    assert "已截断，原长 20003 字符" in raw


def test_clean_keeps_ordinary_text() -> None:
    assert html.clean("机密★5年 (A&B) <x>") == "机密★5年 (A&B) <x>"
    assert html.clean("a\r\nb\tc") == "a↵↵b c"
    assert html.clean(None) == ""


# ---- content -----------------------------------------------------------------------------------


def test_summary_counts_from_golden_and_hand_made(tmp_path: Path) -> None:
    golden = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]
    extra = [
        record("/d/s1.docx", suspected={"label": "涉密", "score": 0.7, "terms": ["部署"]}),
        record("/d/s2.docx", suspected={"label": "内部", "score": 0.6, "terms": ["值班"]}),
        record("/d/i.txt", format="txt", findings=[{"kind": "sensitive_info", "level": None, "rule": "id-card",
                                                     "text": "1101…", "location": {"part": "body", "line": 3},
                                                     "context": "身份证号", "confidence": 0.9}]),
        record("/d/old.docx", marking={"level": "秘密", "text": "秘密", "period": None, "location": {"part": "body"},
                                       "rule": "r", "confidence": 0.9, "declassified": True}),
        record("/d/enc.docx", status="encrypted", error="password protected"),
    ]
    s = html.summarize(golden + extra, [])
    assert s.files == 17
    assert dict(s.statuses) == {"ok": 16, "encrypted": 1}
    assert dict(s.levels) == {"内部": 1, "秘密": 3, "机密": 2, "绝密": 1, "核心商密": 1, "工作秘密": 1}
    assert s.declassified == 1
    # the classifier reads the carrier ledger and the (marked) expense sheet as internal, plus s1/s2
    assert dict(s.suspected) == {"涉密": 1, "内部": 3}
    assert s.mentions_only == 2  # the regulation excerpt and the quiz
    assert len(s.rows) == 13 and s.formats_flagged["docx"] == 6 and s.formats_flagged["txt"] == 2
    labels = {Path(r.path).name: r.label for r in s.rows}
    assert labels["old.docx"] == "秘密（已解密）" and labels["s2.docx"] == "疑似内部"
    assert labels["i.txt"] == "敏感信息"
    page = Page(render_text(tmp_path, golden + extra))
    text = "".join(page.text)
    assert "共检查 17 个文件" in text and "需关注 13 个" in text and "其中已解密" in text


def test_level_column_sorts_by_rank() -> None:
    recs = [marked("/d/1", "内部"), record("/d/2", suspected={"label": "涉密", "score": 0.7, "terms": []}),
            marked("/d/3", "绝密"), marked("/d/4", "工作秘密"), marked("/d/5", "机密")]
    ranks = {Path(r.path).name: r.rank for r in html.summarize(recs, []).rows}
    assert sorted(ranks, key=ranks.__getitem__) == ["3", "5", "4", "1", "2"]


def test_coverage_lists_every_record_not_inspected(tmp_path: Path) -> None:
    bad = [record(f"/d/{status}-{i}.bin", status=status, error=f"reason {status} {i}", format=None)
           for status in ("error", "encrypted", "unsupported", "skipped") for i in range(3)]
    bad.append(record("/d/no-reason.bin", status="error", error=None))
    page = Page(render_text(tmp_path, [record("/d/ok.txt")] + bad))
    text = "".join(page.text)
    coverage = text[text.index("四、未能检查的文件（13 个）"):text.index("五、签字")]
    for rec in bad:
        assert rec["path"] in coverage
        assert (rec["error"] or "未说明原因") in coverage
    assert "/d/ok.txt" not in coverage
    for name in ("出错", "加密", "不支持", "跳过"):
        assert coverage.count(name) >= 3


def test_locations_read_as_chinese() -> None:
    assert html.location_text({"part": "body", "page": 2, "paragraph": 5}) == "正文 第2页 第5段"
    assert html.location_text({"part": "cell", "sheet": "Sheet1", "cell": "C3"}) == "单元格 工作表 Sheet1 C3"
    assert html.location_text({"part": "header", "name": "first", "page": 1}) == "页眉（首页） 第1页"
    assert html.location_text({"part": "table", "table": 2, "cell": "B3"}) == "表格 第2个表格 B3"
    assert html.location_text({"part": "slide-notes", "slide": 4}) == "slide-notes 第4张幻灯片"


def test_top_folders() -> None:
    assert html.top_folder("/s/a/b/c.docx", ["/s"]) == "a/"
    assert html.top_folder("/s/c.docx", ["/s"]) == "（检查路径根目录）"
    assert html.top_folder("/s/a.zip!/x/y.docx", ["/s"]) == "（检查路径根目录）"
    assert html.top_folder("/t/q/y.docx", ["/s", "/t"]) == "/t/q/"
    assert html.top_folder("rel/y.docx", []) == "rel/"


def test_run_header(tmp_path: Path) -> None:
    run = run_info(Path("/srv/检查目录")) | {"integrity": {"records": "r.jsonl", "records_count": 3,
                                                          "chain_head": "ef" * 32}}
    text = "".join(Page(render_text(tmp_path, [], run)).text)
    for value in ("inspect-pc", "检查员", "docscan 0.1.0", "cd" * 32, "/srv/检查目录", "未使用", "ef" * 32,
                  "2024-05-01T10:00:00+08:00 至 2024-05-01T10:01:00+08:00", "未发现需关注的文件"):
        assert value in text
    unknown = "".join(Page(render_text(tmp_path, [], None)).text)
    assert unknown.count("未知") >= 8


def test_csp_hashes_match_the_inline_blocks(tmp_path: Path) -> None:
    import base64
    import hashlib

    raw = render_text(tmp_path, [marked("/d/a.docx", "秘密")])
    [csp] = [a["content"] for t, a in Page(raw).tags if a.get("http-equiv") == "Content-Security-Policy"]
    style = raw[raw.index("<style>") + 7:raw.index("</style>")]
    script = [text for attrs, text in Page(raw).scripts if not attrs.get("type")][0]
    for block in (style, script):
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", raw)  # nothing fetched from anywhere


def test_file_is_owner_only(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    out.write_text("old")
    os.chmod(out, 0o644)
    html.render([], None, str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "电子文件密级标志检查报告" in out.read_text(encoding="utf-8")


def test_twenty_thousand_records_render_in_reasonable_time(tmp_path: Path) -> None:
    levels = ("绝密", "机密", "秘密", "内部")

    def records() -> Any:
        for i in range(20_000):
            path = f"/s/dir{i % 50}/file{i:05d}.docx"
            if i % 4 == 0:
                yield marked(path, levels[i % 16 // 4], context="根据工作安排，现将有关事项通知如下。" * 3)
            elif i % 97 == 0:
                yield record(path, status="error", error="damaged zip container")
            else:
                yield record(path)

    out = tmp_path / "big.html"
    start = time.perf_counter()
    html.render(records(), {"paths": ["/s"]}, str(out))
    elapsed = time.perf_counter() - start
    print(f"\n20,000 records (5,000 flagged) rendered in {elapsed:.2f} s, {out.stat().st_size / 1e6:.1f} MB")
    assert elapsed < 60
    text = out.read_text(encoding="utf-8")
    assert text.count('<section class="file"') == 5000 and "共检查 <strong>20000</strong> 个文件" in text


# ---- a real headless browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Any:
    reason = browser.missing()
    if reason:
        pytest.skip(reason)
    with browser.launch(tmp_path_factory.mktemp("profile")) as running:
        yield running


@pytest.fixture(scope="module")
def session(scanned: tuple[Path, list[dict[str, Any]]], chromium: browser.Chromium,
            tmp_path_factory: pytest.TempPathFactory) -> Any:
    root, records = scanned
    out = tmp_path_factory.mktemp("report") / "report.html"
    html.render(iter(records), run_info(root), str(out))
    s = chromium.open(out.as_uri())
    yield s, out, root
    s.page.close()


def _first_column(s: Any, column: int) -> list[str]:
    return s.page.eval_on_selector_all(
        "#flagged tbody tr:not(.hidden)", f"rows => rows.map(r => r.cells[{column}].textContent)")


def test_browser_shows_hostile_name_as_text(session: Any) -> None:
    s, _, root = session
    assert s.page.locator("#flagged img, #details img, img").count() == 0
    names = _first_column(s, 1)  # paths under the scanned folder
    assert names == [HOSTILE, "a-通知.docx", "d-绝密.txt", "x" + BREAKOUT, "子目录/c-内部.txt"]
    title = s.page.get_attribute("#flagged tbody tr:first-child td:nth-child(2)", "title")
    assert title == str(root / HOSTILE)
    assert s.page.locator("script").count() == 2
    assert s.dialogs == [] and s.errors == []


def test_browser_sorts_by_level(session: Any) -> None:
    s, _, _ = session
    assert _first_column(s, 2) == ["机密", "秘密", "绝密", "工作秘密", "内部"]  # path order
    s.page.click("#flagged th[data-key=rank]")
    assert _first_column(s, 2) == ["绝密", "机密", "秘密", "工作秘密", "内部"]
    assert s.page.get_attribute("#flagged th[data-key=rank]", "aria-sort") == "ascending"
    s.page.click("#flagged th[data-key=rank]")
    assert _first_column(s, 2) == ["内部", "工作秘密", "秘密", "机密", "绝密"]
    s.page.focus("#flagged th[data-key=format]")
    s.page.keyboard.press("Enter")  # the headers work from the keyboard too
    assert _first_column(s, 5) == ["docx", "docx", "txt", "txt", "txt"]
    s.page.click("#flagged th[data-key=seq]")
    assert _first_column(s, 0) == ["1", "2", "3", "4", "5"]
    assert s.errors == []


def test_browser_filters(session: Any) -> None:
    s, _, _ = session
    s.page.fill("#filter-text", "onerror")
    assert len(_first_column(s, 1)) == 2
    s.page.fill("#filter-text", "绝密")
    assert _first_column(s, 1) == ["d-绝密.txt"]
    assert s.page.inner_text("#shown") == "显示 1 / 5 个文件"
    s.page.fill("#filter-text", "")
    s.page.click("#chips .chip[data-cat=秘密]")
    s.page.click("#chips .chip[data-cat=机密]")
    assert sorted(_first_column(s, 2)) == ["机密", "秘密"]
    s.page.click("#chips .chip[data-cat=秘密]")
    s.page.click("#chips .chip[data-cat=机密]")
    s.page.select_option("#filter-format", "txt")
    assert sorted(_first_column(s, 2)) == ["内部", "工作秘密", "绝密"]
    s.page.select_option("#filter-format", "")
    assert len(_first_column(s, 0)) == 5
    assert s.errors == []


def test_browser_screenshot_pdf_and_no_network(session: Any, tmp_path: Path) -> None:
    s, report, scanned_root = session
    shot = tmp_path / "html-report.png"
    s.page.screenshot(path=str(shot), full_page=True)
    pdf = tmp_path / "html-report.pdf"
    s.page.emulate_media(media="print")
    assert s.page.locator("#controls").is_hidden()
    s.page.pdf(path=str(pdf), format="A4", print_background=True)
    s.page.emulate_media(media="null")
    texts = [page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(str(pdf))]
    pages = len(texts)
    starts = [next(i for i, t in enumerate(texts) if f"{n}. " + str(scanned_root) in t.replace("\r\n", ""))
              for n in range(1, 6)]
    assert starts == sorted(set(starts)) and pages > starts[-1]  # a page of its own for each flagged file
    assert not any("筛选" in t for t in texts)  # no filter controls on paper
    artifacts = os.environ.get("DOCSCAN_ARTIFACTS")
    if artifacts:
        os.makedirs(artifacts, exist_ok=True)
        for made in (shot, pdf, report):
            shutil.copy(made, artifacts)
    print(f"\nscreenshot: {shot}\nPDF ({pages} pages): {pdf}")
    assert shot.stat().st_size > 10_000
    assert s.requests == [report.as_uri()]  # the page itself, and nothing else was asked for
    assert s.errors == [] and s.dialogs == []


def test_browser_print_repeats_table_header_and_opens_coverage(chromium: browser.Chromium,
                                                              tmp_path: Path) -> None:
    records = [marked(f"/s/d/f{i:03d}.docx", "秘密") for i in range(120)]
    records += [record(f"/s/e/{i:03d}.bin", status="error", error="REASON-MARK", format=None) for i in range(250)]
    out, pdf = tmp_path / "long.html", tmp_path / "long.pdf"
    html.render(records, {"paths": ["/s"]}, str(out))
    assert "<details id=\"coverage-list\">" in out.read_text(encoding="utf-8")  # collapsed on screen
    s = chromium.open(out.as_uri())
    s.page.emulate_media(media="print")
    s.page.pdf(path=str(pdf), format="A4")
    s.page.close()
    assert s.errors == [] and s.requests == [out.as_uri()]
    texts = [page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(str(pdf))]
    table_pages = [t for t in texts if re.search(r"d/f\d{3}\.docx 秘密", t)]
    assert len(table_pages) >= 3
    assert all("序号 文件 密级/疑似 依据 置信度 格式 大小 修改时间 SHA-256" in t for t in table_pages)
    assert sum(t.count("REASON-MARK") for t in texts) == 250  # printed in full though collapsed
    assert all(re.search(r"第 \d+ 页 / 共 \d+ 页", t) for t in texts)
