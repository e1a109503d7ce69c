"""Every page counts: real documents built in code, scanned, reviewed; each mark found and located."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from markings.detect import detect, strongest
from scanner.options import ScanOptions
from scanner.records import FileEntry, FindingKind, Level, Location, TextBlock
from scanner.review import BLOCK, PUBLISH, REVIEW, review
from scanner.scan import scan_file
from tests.review import review_builders as rb

OPTIONS = ScanOptions(jobs=1, classify=False, ocr=False, pii=True, max_findings=10_000)


def reviewed(tmp_path: Path, name: str, data: bytes) -> list[dict[str, Any]]:
    path = tmp_path / name
    path.write_bytes(data)
    return review([r.to_json() for r in scan_file(FileEntry(str(path), str(path)), OPTIONS)])


def reasons(rec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str | None]]:
    return [(r["code"], r["verdict"], r["location"], r["member"]) for r in rec["reasons"]]


# --- the booklet (汇编) -------------------------------------------------------------------------

@pytest.mark.parametrize("first_item", ["关于做好年度统计工作的通知", "关于举办业务培训班的通知"])
def test_pdf_booklet_marks_on_pages_37_and_38_block_the_whole_booklet(tmp_path, first_item):
    (top,) = reviewed(tmp_path, "2024年政策文件汇编.pdf", rb.booklet_pdf(first_item))
    assert top["verdict"] == BLOCK
    assert reasons(top) == [("marking", BLOCK, {"part": "body", "page": 37, "line": 1}, None),
                            ("marking", BLOCK, {"part": "body", "page": 38, "line": 1}, None)]
    assert "“内部文件”" in top["reasons"][0]["text"] and "“内部资料”" in top["reasons"][1]["text"]


def test_pdf_booklet_without_marks_may_be_published(tmp_path):
    (top,) = reviewed(tmp_path, "汇编.pdf", rb.booklet_pdf(marks={}))
    assert (top["verdict"], top["reasons"]) == (PUBLISH, [])


@pytest.mark.parametrize("first_item", ["关于做好年度统计工作的通知", "关于举办业务培训班的通知"])
def test_docx_booklet_marks_after_a_page_break_and_a_section_break(tmp_path, first_item):
    (top,) = reviewed(tmp_path, "汇编.docx", rb.booklet_docx(first_item))
    assert top["verdict"] == BLOCK
    assert reasons(top) == [("marking", BLOCK, {"part": "body", "page": 2, "paragraph": 24}, None),
                            ("marking", BLOCK, {"part": "body", "page": 3, "paragraph": 37}, None)]
    assert top["marking"]["level"] == "秘密"


def test_training_booklet_title_alone_no_longer_hides_a_later_item_mark():
    """The fix in markings/context.py: a sub-document head confirmed by its own title survives the
    training-document heuristic, an unconfirmed one is still demoted."""
    head = [TextBlock("关于举办业务培训班的通知", Location("body", page=1, paragraph=1)),
            TextBlock("内部", Location("body", page=2, paragraph=9), section_start=True)]
    confirmed = detect(head + [TextBlock(rb.ITEM_TITLE, Location("body", page=2, paragraph=10))])
    assert strongest(confirmed).level is Level.NEIBU
    example = detect(head + [TextBlock("这是内部事项的标注方法示例。", Location("body", page=2, paragraph=10))])
    assert strongest(example) is None
    assert [f.rule for f in example if f.location.paragraph == 9] == ["mention:training-document"]


def test_a_title_split_over_two_pdf_lines_confirms_the_page_top_mark():
    blocks = [TextBlock("保密知识培训汇编", Location("filename")),
              TextBlock("秘密★1年", Location("body", page=5, line=1), band="top"),
              TextBlock("关于进一步加强", Location("body", page=5, line=2), band="top"),
              TextBlock("档案管理工作的通知", Location("body", page=5, line=3), band="top")]
    found = detect(blocks)
    assert strongest(found).level is Level.MIMI and found[0].kind is FindingKind.MARKING
    placeholder = blocks[:2] + [TextBlock("关于××的通知", Location("body", page=5, line=2), band="top")]
    assert strongest(detect(placeholder)) is None


# --- attachments and members --------------------------------------------------------------------

def test_objects_embedded_in_a_docx_are_scanned_and_roll_up(tmp_path):
    top, packaged, inner = reviewed(tmp_path, "通知.docx", rb.embedding_docx())
    assert packaged["path"].endswith("通知.docx!/word/embeddings/oleObject1.bin/附件1.pdf")
    assert packaged["format"] == "pdf" and inner["format"] == "docx"
    assert top["verdict"] == BLOCK
    assert reasons(top) == [
        ("marking", BLOCK, {"part": "body", "page": 1, "line": 1}, "word/embeddings/oleObject1.bin/附件1.pdf"),
        ("marking", BLOCK, {"part": "body", "page": 1, "paragraph": 1}, "word/embeddings/Microsoft_Word_Document.docx")]


def test_mail_attachment_mark_blocks_the_mail(tmp_path):
    top, attachment = reviewed(tmp_path, "转发.eml", rb.mail_with_attachment())
    assert attachment["path"].endswith("转发.eml!/材料.docx") and attachment["verdict"] == BLOCK
    assert reasons(top) == [("marking", BLOCK, {"part": "body", "page": 1, "paragraph": 1}, "材料.docx"),
                            ("personal-info", REVIEW, {"part": "header", "name": "from"}, None),
                            ("personal-info", REVIEW, {"part": "header", "name": "to"}, None)]


@pytest.mark.parametrize("redact", [True, False])
def test_personal_information_in_a_real_document_needs_review(tmp_path, redact):
    data = rb.plain_docx("关于公布获奖名单的通知", "一等奖：张三，身份证号码 11010519491231002X。")
    path = tmp_path / "名单.docx"
    path.write_bytes(data)
    options = ScanOptions(jobs=1, classify=False, ocr=False, pii=True, redact_pii=redact)
    (top,) = review([r.to_json() for r in scan_file(FileEntry(str(path), str(path)), options)])
    assert top["verdict"] == REVIEW
    ((code, verdict, location, member),) = reasons(top)
    assert (code, location) == ("personal-info", {"part": "body", "page": 1, "paragraph": 2})
    assert "身份证号码" in top["reasons"][0]["text"]
    assert ("11010519491231002X" in top["reasons"][0]["text"]) is not redact


def test_zip_member_deep_inside_blocks_the_archive(tmp_path):
    data = rb.zip_with([("说明.txt", "统计公报。\n".encode()), ("汇编/第3册.pdf", rb.booklet_pdf())])
    top, *_ = reviewed(tmp_path, "材料.zip", data)
    assert top["verdict"] == BLOCK
    assert {(r["member"], r["location"]["page"]) for r in top["reasons"]} == {("汇编/第3册.pdf", 37),
                                                                              ("汇编/第3册.pdf", 38)}


def test_encrypted_attachment_is_a_partial_read_of_the_archive(tmp_path):
    top, plain, locked = reviewed(tmp_path, "材料.zip", rb.zip_with_encrypted_member())
    assert (plain["verdict"], locked["status"]) == (PUBLISH, "encrypted")
    assert top["verdict"] == REVIEW
    assert reasons(top) == [("partial-read", REVIEW, {"part": "file"}, "附件.docx")]


# --- parts of a document -------------------------------------------------------------------------

def test_mark_at_the_top_of_a_second_sheet(tmp_path):
    (top,) = reviewed(tmp_path, "统计表.xlsx", rb.two_sheet_xlsx())
    assert reasons(top) == [("marking", BLOCK, {"part": "cell", "sheet": "明细", "cell": "A1"}, None)]


def test_marks_in_slide_notes(tmp_path):
    (top,) = reviewed(tmp_path, "汇报.pptx", rb.notes_pptx())
    assert top["verdict"] == BLOCK
    assert reasons(top) == [("marking", BLOCK, {"part": "notes", "paragraph": 1, "slide": 3}, None),
                            ("mark-text", REVIEW, {"part": "notes", "paragraph": 1, "slide": 2}, None)]


def test_marks_in_document_properties(tmp_path):
    (top,) = reviewed(tmp_path, "培训通知.docx", rb.properties_docx())
    assert reasons(top) == [("marking", BLOCK, {"part": "properties", "name": "subject"}, None),
                            ("marking", BLOCK, {"part": "properties", "name": "keywords"}, None)]


def test_inserted_mark_is_text_and_deleted_mark_is_read_and_located(tmp_path):
    (top,) = reviewed(tmp_path, "值班.docx", rb.tracked_docx())
    assert reasons(top) == [
        ("marking", BLOCK, {"part": "body", "page": 1, "paragraph": 1}, None),
        ("mark-text", REVIEW, {"part": "revision", "page": 1, "paragraph": 13, "name": "body"}, None)]
    assert "已删除的修订内容仍保存在文件中" in top["reasons"][1]["text"]


def test_a_mark_deleted_with_change_tracking_still_stops_publication(tmp_path):
    (top,) = reviewed(tmp_path, "值班.docx", rb.deleted_mark_docx())
    assert top["verdict"] == REVIEW
    assert reasons(top) == [("mark-text", REVIEW, {"part": "revision", "page": 1, "paragraph": 1, "name": "body"},
                             None)]


def test_marks_in_comments(tmp_path):
    (top,) = reviewed(tmp_path, "培训通知.docx", rb.comments_docx())
    assert top["verdict"] == REVIEW
    assert [(r["code"], r["location"]) for r in top["reasons"]] == [
        ("mark-text", {"part": "comment", "page": 1, "name": "李四"}),
        ("mark-text", {"part": "comment", "page": 1, "name": "张三"})]


def test_explicit_nonpublic_note_in_a_real_document(tmp_path):
    data = rb.plain_docx("关于调整值班安排的通知", "各科室：现将值班安排通知如下。", "某县统计局", "2024年5月1日",
                         "（此件不予公开）")
    (top,) = reviewed(tmp_path, "值班.docx", data)
    assert reasons(top) == [("explicit-nonpublic", BLOCK, {"part": "body", "page": 1, "paragraph": 5}, None)]


def test_a_plain_public_notice_may_be_published(tmp_path):
    data = rb.plain_docx("关于举办全民健身活动的通知", "各社区：定于5月1日在体育公园举办全民健身活动，欢迎参加。",
                         "（此件公开发布）")
    (top,) = reviewed(tmp_path, "健身.docx", data)
    assert (top["verdict"], top["reasons"]) == (PUBLISH, [])
