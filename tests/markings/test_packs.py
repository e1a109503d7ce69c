"""Optional rule packs (markings/packs/: tw, en): every pack rule's examples, load_rules(packs=...),
the Taiwan and English regimes on block sequences and on documents read through scan_file, and
the default behaviour left alone (no pack: no change; the packs on the simplified corpus: no change)."""

from __future__ import annotations

import argparse
import io
import os
import re
from pathlib import Path

import docx
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from markings import rulepacks
from markings.detect import MarkingDetector, detect, strongest
from markings.normalize import normalize
from markings.rule import load_rule, load_rules
from markings.rulepacks import PACKS_DIR, add_pack_argument, available_packs, pack_files
from scanner.detectors import detectors_for
from scanner.errors import RuleError
from scanner.options import ScanOptions
from scanner.records import FileEntry, FileRecord, Finding, FindingKind, Level, Location, TextBlock
from scanner.scan import scan_file
from scanner.walk import walk
from tests.conftest import ROOT
from tests.scanner.pdf_builders import Text, build_pdf

TRAD_FONT = "MSung-Light"  # reportlab's built-in CID font for traditional Chinese (not embedded)
pdfmetrics.registerFont(UnicodeCIDFont(TRAD_FONT))

TRAD = ["關於加強國家安全工作的通知", "各單位：為落實本部會議決議，請各單位於本月底前完成檢查並報告結果。",
        "本案由國防部辦理，相關資料請妥善保存，如有問題請與承辦人聯繫。"]
SIMP = ["关于加强安全工作的通知", "各单位：为落实会议决议，请各单位于本月底前完成检查并报告结果。",
        "本案由办公室办理，相关资料请妥善保存，如有问题请与承办人联系。"]
PROSE = [
    "The secret to a good sourdough is patience, and the recipe has been a family secret for years.",
    "Please keep this confidential between us until the announcement on Friday.",
    "Our internal review found that access to the server room is restricted to on-call staff.",
    "Top secret recipes from grandma's kitchen are finally published in a new cookbook.",
    "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and may be privileged.",
    "If you are not the intended recipient, please notify the sender and delete this message.",
    "This document is CONFIDENTIAL.",
    "STATUS: SECRET SAUCE",
    "Confidential Information",
    "Internal Audit Report 2024",
    "Restricted Stock Units",
    "Secret Santa gift exchange on December 20",
    "The agency said the report was classified by topic and derived from public sources.",
    "(C) 2024 Acme Corporation. All rights reserved.",
    "(A) Scope of work",
    "(S) Schedule",
]


def body(*lines: str, start: int = 1) -> list[TextBlock]:
    return [TextBlock(t, Location("body", paragraph=start + i)) for i, t in enumerate(lines)]


def header(text: str, part: str = "header") -> TextBlock:
    return TextBlock(text, Location(part, name="default"))


def run(blocks: list[TextBlock], *packs: str) -> list[Finding]:
    return detect(blocks, load_rules(packs=packs))


def marks(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind is FindingKind.MARKING and f.level is not None]


def summary(findings: list[Finding]) -> list[tuple[str | None, str, str | None]]:
    return [(f.level.value if f.level else None, f.rule, f.scheme) for f in marks(findings)]


# --- the rule files ------------------------------------------------------------------------------

def _examples() -> list:
    cases = []
    for pack, path in pack_files(available_packs()):
        rule = load_rule(path)
        cases += [pytest.param(rule, t, True, id=f"{pack}:{rule.id}+{t}") for t in rule.match_examples]
        cases += [pytest.param(rule, t, False, id=f"{pack}:{rule.id}-{t}") for t in rule.no_match_examples]
    return cases


@pytest.mark.parametrize(("rule", "text", "expected"), _examples())
def test_pack_rule_examples(rule, text: str, expected: bool) -> None:
    assert (rule.match(normalize(text)) is not None) is expected


def test_packs_ship_with_their_readme_and_scheme() -> None:
    assert available_packs() == ("en", "tw")
    for pack in available_packs():
        assert (PACKS_DIR / pack / "README.md").is_file()
        rules = [load_rule(path) for name, path in pack_files([pack])]
        assert len(rules) >= 5
        assert all(r.scheme == pack and r.id.startswith(pack + "-") for r in rules)
    kinds = {r.kind for _p, path in pack_files(["en"]) for r in [load_rule(path)]}
    assert kinds == {"marking", "negative", "portion", "authority"}


def test_load_rules_with_packs_is_cached_and_ordered() -> None:
    base = load_rules()
    both = load_rules(packs=("tw", "en"))
    assert both is load_rules(packs=["en", "tw", "tw"]) and both is not base
    assert load_rules(packs=()) is base and all(r.scheme is None for r in base.rules)
    ids = [r.id for r in both.rules]
    assert set(ids) == {r.id for r in base.rules} | {p.stem for _n, p in pack_files(("tw", "en"))}
    assert ids.index("jimi-star") < ids.index("tw-jimi")  # the default rule matches first
    assert {r.id for r in load_rules(packs=("tw",)).rules if r.scheme} == {p.stem for _n, p in pack_files(["tw"])}


def test_unknown_pack_lists_the_available_ones() -> None:
    with pytest.raises(RuleError, match=r"unknown rules pack 'fr'; available packs: en, tw"):
        load_rules(packs=("fr",))


def test_cli_flag(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="docscan scan")
    add_pack_argument(parser)
    assert parser.parse_args([]).rule_packs == []
    assert parser.parse_args(["--rules-pack", "tw", "--rules-pack", "en"]).rule_packs == ["tw", "en"]
    with pytest.raises(SystemExit):
        parser.parse_args(["--rules-pack", "fr"])
    assert "invalid choice: 'fr' (choose from 'en', 'tw')" in capsys.readouterr().err


RULE = """kind = "marking"
level = "机密"
scheme = "tw"
pattern = '^(?P<level>机密)$'
confidence = 0.9

[examples]
match = ["機密"]
"""


@pytest.mark.parametrize(("old", "new", "message"), [
    ('scheme = "tw"', 'scheme = "TW"', "short lowercase name"),
    ('scheme = "tw"', 'scheme = "tw"\nscript = "cursive"', "script 'cursive'"),
    ('scheme = "tw"', 'scheme = "tw"\nreplaces = "jimi-star"', "replaces must be a list"),
    ('scheme = "tw"\n', 'replaces = ["jimi-star"]\n', "replaces needs a scheme"),
    ('kind = "marking"', 'kind = "portion"', "banner schemes"),
    ("confidence = 0.9", "confidence = 0.9\nlabel_lines = 80", "label_lines 80"),
    ("confidence = 0.9", "confidence = 0.9\nlabel_lines = 10", "needs a (?P<label>"),
])
def test_pack_keys_are_validated(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "x.toml"
    path.write_text(RULE.replace(old, new), encoding="utf-8")
    with pytest.raises(RuleError, match=re.escape(message)):
        load_rule(path)


def test_a_pack_rule_clashing_with_the_folder_names_both(tmp_path: Path) -> None:
    (tmp_path / "tw-jimi.toml").write_text(RULE.replace('scheme = "tw"\n', ""), encoding="utf-8")
    with pytest.raises(RuleError, match="also defined by") as info:
        load_rules(tmp_path, packs=("tw",))
    assert "tw-jimi.toml" in str(info.value)
    other = tmp_path / "other"  # a folder is loaded once per process: a new one
    other.mkdir()
    (other / "mine.toml").write_text(RULE, encoding="utf-8")  # scheme tw without the pack's script
    with pytest.raises(RuleError, match=r"tw-ji-jimi.toml: script 'traditional', but .*mine.toml of the same "
                                         r"scheme says None"):
        load_rules(other, packs=("tw",))


def test_a_pack_rule_without_scheme_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "zz").mkdir()
    (tmp_path / "zz" / "zz-rule.toml").write_text(RULE.replace('scheme = "tw"\n', ""), encoding="utf-8")
    monkeypatch.setattr(rulepacks, "PACKS_DIR", tmp_path)
    assert available_packs() == ("zz",)
    with pytest.raises(RuleError, match="zz-rule.toml: a pack rule needs a scheme"):
        load_rules(packs=("zz",))


def test_default_detector_runs_no_pack() -> None:
    assert MarkingDetector(load_rules()).packs == []
    assert [type(p).__name__ for p in MarkingDetector(load_rules(packs=("en", "tw"))).packs] == [
        "BannerPack", "ScriptPass"]


# --- Taiwan (tw) on blocks -------------------------------------------------------------------------

def test_tw_off_reads_traditional_jimi_as_mainland() -> None:
    assert summary(run(body("機密", *TRAD))) == [("机密", "jimi-star+first-lines", None)]


@pytest.mark.parametrize(("line", "level", "rule"), [
    ("機密", "秘密", "tw-jimi+first-lines"),
    ("（機密）", "秘密", "tw-jimi+first-lines"),
    ("絕對機密", "绝密", "tw-juedui-jimi+first-lines"),
    ("極機密", "机密", "tw-ji-jimi+first-lines"),
    ("密", "内部", "tw-mi+first-lines"),
    ("密等及解密條件或保密期限：極機密，公布後解密", "机密", "tw-ji-jimi+first-lines"),
    ("密等：機密", "秘密", "tw-jimi+first-lines"),
])
def test_tw_levels(line: str, level: str, rule: str) -> None:
    found = run(body(line, *TRAD), "tw")
    assert summary(found) == [(level, rule, "tw")]
    assert strongest(found).level.value == level


def test_tw_header_and_page_top() -> None:
    found = run([header("極機密"), *body(*TRAD)], "tw")
    assert summary(found) == [("机密", "tw-ji-jimi+header", "tw")]
    pdf = [TextBlock("絕對機密", Location("body", page=2, line=1), band="top"),
           *[TextBlock(t, Location("body", page=2, line=i + 2), band="middle") for i, t in enumerate(TRAD)]]
    assert summary(run(pdf, "tw")) == [("绝密", "tw-juedui-jimi+page-top", "tw")]


def test_tw_keeps_mainland_forms_mainland() -> None:
    assert summary(run(body("機密★10年", *TRAD), "tw")) == [("机密", "jimi-star+first-lines", None)]
    assert summary(run(body("絕密★長期", *TRAD), "tw")) == [("绝密", "juemi-star+first-lines", None)]
    # a ★ mark elsewhere says the document is mainland (converted to traditional): 機密 stays 机密
    found = run([header("秘密★1年"), *body("機密", *TRAD)], "tw")
    assert summary(found) == [("秘密", "mimi-star+header", None), ("机密", "jimi-star+first-lines", None)]
    # so does a GB/T 9704 版头 around it (份号 above, 紧急程度 below)
    found = run(body("000035", "機密", "特急", *TRAD), "tw")
    assert summary(found) == [("机密", "jimi-star+first-lines+header-block", None)]


def test_tw_leaves_simplified_jimi_alone() -> None:
    assert summary(run(body("机密", *SIMP), "tw")) == [("机密", "jimi-star+first-lines", None)]
    assert summary(run(body("機密", *SIMP), "tw")) == [("机密", "jimi-star+first-lines", None)]


def test_another_taiwan_mark_makes_a_short_document_taiwanese() -> None:
    # too little text to tell the script, but 極機密 in the header is Taiwan's alone
    assert summary(run([header("極機密"), *body("機密")], "tw")) == [
        ("机密", "tw-ji-jimi+header", "tw"), ("秘密", "tw-jimi+first-lines", "tw")]
    assert summary(run(body("機密"), "tw")) == [("机密", "jimi-star+first-lines", None)]


def test_bare_mi_only_as_a_whole_unit_in_a_strong_position() -> None:
    late = run(body(*TRAD, *TRAD, *TRAD, "密"), "tw")  # line 10: outside the first lines
    assert marks(late) == []
    words = run(body("保密", "密切聯繫", "密碼", "密件", *TRAD), "tw")
    assert [f for f in words if f.scheme] == []
    assert summary(run(body("（密）", *TRAD), "tw")) == [("内部", "tw-mi+first-lines", "tw")]


def test_bare_mi_in_a_simplified_document_is_no_taiwan_mark() -> None:
    found = run(body("密", *SIMP), "tw")
    assert marks(found) == [] and [f for f in found if f.scheme] == []
    assert [f.rule for f in found] == ["mention:not-traditional-script"]
    assert [f.scheme for f in run(body("极机密", *SIMP), "tw")] == [None]


def test_tw_in_prose_is_a_mention() -> None:
    found = run(body("本案列為絕對機密，請妥善保管。", *TRAD), "tw")
    assert marks(found) == []


def test_tw_explicit_public_field() -> None:
    found = run(body("密等及解密條件或保密期限：普通", *TRAD), "tw")
    assert [(f.kind, f.level, f.rule, f.scheme) for f in found] == [
        (FindingKind.MARKING, None, "explicit-public", "tw")]
    assert strongest(found) is None


GONGWEN_HEAD = ["檔　　號：", "保存年限：", "國防部　函", "地址：臺北市中山區北安路409號", "承辦人：王小明",
                "電話：02-12345678", "受文者：如正副本", "發文日期：中華民國113年5月1日", "發文字號：國備字第1130001234號",
                "速別：普通件"]


def test_tw_gongwen_header_field_below_the_first_lines() -> None:
    field = "密等及解密條件或保密期限：極機密，公布後解密"
    found = run(body(*GONGWEN_HEAD, field, "附件：如文", "主旨：檢送本部會議紀錄一份，請查照。"), "tw")
    assert summary(found) == [("机密", "tw-ji-jimi+header-field", "tw")]
    assert marks(found)[0].text == field
    late = run(body(*GONGWEN_HEAD, *TRAD * 4, field), "tw")  # line 23 of the body: no longer the header block
    assert marks(late) == [] and [f.rule for f in late if f.scheme] == ["mention:outside-strong-position"]
    bare = run(body(*GONGWEN_HEAD, "極機密"), "tw")  # only the labelled field, not a bare level
    assert marks(bare) == []
    page2 = [TextBlock(field, Location("body", page=2, paragraph=3))]
    assert marks(run([*body(*GONGWEN_HEAD), *page2], "tw")) == []


def test_tw_file_name() -> None:
    blocks = [TextBlock("（極機密）專案計畫.docx", Location("filename")), *body(*TRAD)]
    assert summary(run(blocks, "tw")) == [("机密", "tw-ji-jimi+filename", "tw")]


# --- English banners (en) on blocks ----------------------------------------------------------------

@pytest.mark.parametrize(("block", "level", "rule"), [
    (header("SECRET//NOFORN"), "机密", "en-secret+header"),
    (header("TOP SECRET//SI//NOFORN", "footer"), "绝密", "en-top-secret+footer"),
    (header("CONFIDENTIAL", "watermark"), "秘密", "en-confidential+watermark"),
    (TextBlock("SECRET//REL TO USA, FVEY", Location("body", page=3, line=40), band="bottom"), "机密",
     "en-secret+page-bottom"),
    (TextBlock("OFFICIAL-SENSITIVE", Location("body", page=2, line=1), band="top"), "内部",
     "en-restricted+page-top"),
    (TextBlock("INTERNAL USE ONLY", Location("header", sheet="Sheet1", name="odd")), "内部", "en-internal+header"),
    (TextBlock("SECRET", Location("header", name="Subject")), "机密", "en-secret+subject"),
])
def test_banner_positions(block: TextBlock, level: str, rule: str) -> None:
    found = run([block, *body(*PROSE[:3])], "en")
    assert summary(found) == [(level, rule, "en")]


def test_banner_outside_banner_positions_is_a_mention() -> None:
    middle = TextBlock("SECRET", Location("body", page=1, line=20), band="middle")
    lines = body("Quarterly report", "Summary", "Details", "SECRET", "More details", "Notes", "End notes", "Bye")
    cell = TextBlock("TOP SECRET", Location("cell", sheet="Sheet1", cell="A1"))
    mail_from = TextBlock("SECRET", Location("header", name="From"))
    for blocks in ([middle], lines, [cell], [mail_from]):
        found = run(blocks, "en")
        assert marks(found) == []
    assert [(f.kind, f.rule) for f in run(lines, "en")] == [
        (FindingKind.MENTION, "mention:outside-banner-position")]


def test_banner_in_first_and_last_lines_without_geometry() -> None:
    lines = body("TOP SECRET//NOFORN", "Memo", *PROSE[:3], "Signed", "TOP SECRET//NOFORN")
    assert summary(run(lines, "en")) == [("绝密", "en-top-secret+first-lines", "en"),
                                         ("绝密", "en-top-secret+last-lines", "en")]
    assert marks(run(lines, "en"))[0].confidence == 0.85
    # the last lines of a page end at a page break (DOCX section_start), not only at the end
    page1 = body("Memo", *PROSE[:4], "SECRET")
    page2 = [TextBlock(PROSE[5], Location("body", page=2, paragraph=7), section_start=True), *body(
        *PROSE[6:9], "Closing remarks", start=8)]
    assert summary(run(page1 + page2, "en")) == [("机密", "en-secret+last-lines", "en")]


def test_lowercase_titlecase_and_prose_never_hit() -> None:
    for text in ("Secret", "secret", "Top Secret", "Confidential", "This document is CONFIDENTIAL.",
                 "CONFIDENTIALITY NOTICE: private", "SECRET SAUCE", "Internal"):
        assert run([header(text), *body(text, text)], "en") == [], text


def test_portion_marks_need_a_banner() -> None:
    paragraphs = ["(S) The source reported troop movements.", "(TS//SI) Intercept summary.",
                  "(U) Background.", "(S) A second secret paragraph."]
    with_banner = run([header("SECRET//NOFORN"), *body(*paragraphs)], "en")
    assert summary(with_banner) == [("机密", "en-secret+header", "en"),
                                    ("机密", "en-portion-secret+paragraph-start", "en"),
                                    ("绝密", "en-portion-top-secret+paragraph-start", "en")]
    assert [f.text for f in marks(with_banner)[1:]] == ["(S)", "(TS//SI)"]
    assert strongest(with_banner).level is Level.JUEMI  # a (TS) portion under a SECRET banner
    assert run(body("Memo", *paragraphs), "en") == []
    unclassified = run([header("UNCLASSIFIED"), *body(*paragraphs)], "en")
    assert [(f.level, f.rule, f.scheme) for f in unclassified] == [(None, "explicit-public", "en")]
    assert strongest(unclassified) is None


def test_a_footer_banner_read_last_still_admits_the_portions() -> None:
    blocks = [*body("(C) Budget figures are attached.", "Other text"), header("CONFIDENTIAL", "footer")]
    assert summary(run(blocks, "en")) == [("秘密", "en-confidential+footer", "en"),
                                          ("秘密", "en-portion-confidential+paragraph-start", "en")]


def test_enumerated_lists_and_copyright_lines_are_not_portions() -> None:
    blocks = [header("SECRET"), *body("(A) Scope", "(B) Budget", "(C) Schedule", "(S) Staff", "(TS) Sources",
                                      "(C) 2024 Acme Corp.")]
    assert [f.text for f in marks(run(blocks, "en"))] == ["SECRET", "(TS)"]
    copyright_only = [header("SECRET"), *body("(C) 2024 Acme Corp.", "(C) Copyright Acme")]
    assert [f.text for f in marks(run(copyright_only, "en"))] == ["SECRET"]


AUTHORITY = ["Classified By: J. Smith, Director", "Derived From: Multiple Sources", "Declassify On: 20351231"]


def test_authority_block_backs_the_banner_or_is_a_mention() -> None:
    found = run([header("SECRET"), *body(*AUTHORITY, "(S) Text.")], "en")
    assert [(f.rule, f.confidence) for f in marks(found)] == [
        ("en-secret+header+authority-block", 0.98), ("en-portion-secret+paragraph-start", 0.8)]
    alone = run(body("Memo", *AUTHORITY), "en")
    assert [(f.kind, f.level, f.rule, f.text) for f in alone] == [
        (FindingKind.MENTION, None, "mention:authority-block", AUTHORITY[0])]
    assert run(body("Memo", AUTHORITY[1]), "en") == []  # one field is no block


def test_running_banners_are_reported_once_per_position() -> None:
    pages = []
    for page in (1, 2, 3):
        pages += [TextBlock("SECRET", Location("body", page=page, line=1), band="top"),
                  TextBlock(PROSE[0], Location("body", page=page, line=2), band="middle"),
                  TextBlock("SECRET", Location("body", page=page, line=3), band="bottom")]
    assert summary(run(pages, "en")) == [("机密", "en-secret+page-top", "en"),
                                         ("机密", "en-secret+page-bottom", "en")]


def test_packs_leave_chinese_detection_alone() -> None:
    blocks = [header("SECRET"), *body("秘密★1年", *SIMP)]
    found = run(blocks, "en", "tw")
    assert summary(found) == [("秘密", "mimi-star+first-lines", None), ("机密", "en-secret+header", "en")]
    assert [f for f in run(blocks) if f.scheme] == []
    assert summary(run(blocks)) == [("秘密", "mimi-star+first-lines", None)]


# --- documents through scan_file -------------------------------------------------------------------

def test_the_scanner_hands_the_packs_of_its_options_to_the_detector() -> None:
    (detector, *_others) = detectors_for(ScanOptions(rule_packs=("en", "tw"), classify=False))
    assert isinstance(detector, MarkingDetector)
    assert len(detector.packs) == 2, "scanner/detectors._markings must pass options.rule_packs to load_rules"
    assert MarkingDetector(load_rules()).packs == [] and detectors_for(ScanOptions())[0].packs == []


def scan(path: Path, *packs: str) -> FileRecord:
    options = ScanOptions(rule_packs=packs, classify=False, ocr=False)
    (record, *_members) = scan_file(FileEntry(str(path), str(path)), options)
    return record


def docx_file(path: Path, paragraphs: list[str], head: str | None = None, foot: str | None = None) -> Path:
    doc = docx.Document()
    if head is not None:
        doc.sections[0].header.paragraphs[0].text = head
    if foot is not None:
        doc.sections[0].footer.paragraphs[0].text = foot
    for text in paragraphs:
        doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(buf.getvalue())
    return path


def test_docx_banner_and_portions(tmp_path: Path) -> None:
    path = docx_file(tmp_path / "memo.docx", ["MEMORANDUM FOR THE RECORD", "(S//NF) The meeting took place.",
                                              "(U) Logistics were routine.", *PROSE[:3]],
                     head="SECRET//NOFORN", foot="SECRET//NOFORN")
    record = scan(path, "en")
    assert record.marking is not None and record.marking.level is Level.JIMI
    assert (record.marking.rule, record.marking.location.part) == ("en-secret+header", "header")
    assert summary(list(record.findings)) == [("机密", "en-secret+header", "en"), ("机密", "en-secret+footer", "en"),
                                              ("机密", "en-portion-secret+paragraph-start", "en")]
    assert record.to_json()["findings"][0]["scheme"] == "en"
    off = scan(path)
    assert off.marking is None and [f for f in off.findings if f.scheme] == []


def test_pdf_banner_top_and_bottom_of_each_page(tmp_path: Path) -> None:
    prose = [Text(72, 300 + 20 * i, line, font="Helvetica") for i, line in enumerate(PROSE[:6])]
    page = [Text(250, 40, "TOP SECRET//NOFORN", font="Helvetica"), *prose,
            Text(250, 815, "TOP SECRET//NOFORN", font="Helvetica")]
    path = tmp_path / "brief.pdf"
    path.write_bytes(build_pdf([page, page]))
    record = scan(path, "en")
    assert summary(list(record.findings)) == [("绝密", "en-top-secret+page-top", "en"),
                                              ("绝密", "en-top-secret+page-bottom", "en")]
    assert record.marking.level is Level.JUEMI and record.marking.location.page == 1


def test_plain_text_first_and_last_lines(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("\n".join(["CONFIDENTIAL", "", "Subject: travel", *PROSE[:4], "", "CONFIDENTIAL", ""]),
                    encoding="utf-8")
    record = scan(path, "en")
    assert [(f.rule, f.location.line) for f in marks(list(record.findings))] == [
        ("en-confidential+first-lines", 1), ("en-confidential+last-lines", 9)]
    assert record.marking.level is Level.MIMI


def test_traditional_docx_with_and_without_the_tw_pack(tmp_path: Path) -> None:
    path = docx_file(tmp_path / "trad.docx", ["機密", *TRAD])
    on, off = scan(path, "tw"), scan(path)
    assert (on.marking.level, on.marking.rule) == (Level.MIMI, "tw-jimi+first-lines")
    assert [f.scheme for f in marks(list(on.findings))] == ["tw"]
    assert (off.marking.level, off.marking.rule) == (Level.JIMI, "jimi-star+first-lines")


def test_traditional_pdf_page_top(tmp_path: Path) -> None:
    lines = [Text(420, 60, "極機密", font=TRAD_FONT, size=16)]
    lines += [Text(72, 300 + 24 * i, t, font=TRAD_FONT) for i, t in enumerate(TRAD)]
    path = tmp_path / "trad.pdf"
    path.write_bytes(build_pdf([lines]))
    record = scan(path, "tw")
    assert (record.marking.level, record.marking.rule, record.marking.text) == (
        Level.JIMI, "tw-ji-jimi+page-top", "極機密")
    assert scan(path).marking is None


# --- no false hits -----------------------------------------------------------------------------------

def test_ordinary_english_documents_have_no_en_findings(tmp_path: Path) -> None:
    text = tmp_path / "letter.txt"
    text.write_text("\n".join(["Dear colleagues,", *PROSE, "Best regards,", "Confidential"]), encoding="utf-8")
    word = docx_file(tmp_path / "letter.docx", ["Internal Audit Report", *PROSE, "Restricted"],
                     head="Confidential", foot="Page 1 of 2 - Company Internal")
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(build_pdf([[Text(72, 40, "Confidential - Draft", font="Helvetica")]
                               + [Text(72, 300 + 18 * i, t, font="Helvetica") for i, t in enumerate(PROSE)]]))
    for path in (text, word, pdf):
        record = scan(path, "en", "tw")
        assert record.marking is None, path
        assert [f for f in record.findings if f.scheme] == [], path


def test_packs_change_nothing_on_the_simplified_corpus() -> None:
    folders = [os.path.join(ROOT, "corpus", name) for name in ("samples", "labelled")]
    checked = 0
    for entry in walk(folders):
        options = ScanOptions(classify=False, ocr=False)
        plain = scan_file(entry, options)
        packed = scan_file(entry, ScanOptions(rule_packs=("tw", "en"), classify=False, ocr=False))
        for mine, theirs in zip(packed, plain, strict=True):
            assert [f for f in mine.findings if f.scheme] == [], mine.path
            assert mine.marking == theirs.marking, mine.path
            assert marks(list(mine.findings)) == marks(list(theirs.findings)), mine.path
            checked += 1
    assert checked > 300
