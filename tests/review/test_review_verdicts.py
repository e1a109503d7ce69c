"""The review's verdict logic on report record dicts: every verdict path, every reason code, roll-up."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.review import (
    BLOCK,
    MAX_PER_CODE,
    PUBLISH,
    REVIEW,
    documents,
    readable_location,
    record_reasons,
    review,
)
from scanner.review_run import ReviewTally


def record(path: str = "/docs/a.docx", findings: list[dict[str, Any]] | None = None, **fields: Any) -> dict:
    base = {"path": path, "status": "ok", "error": None, "format": "docx", "size": 1000,
            "mtime": "2024-05-01T10:00:00+08:00", "sha256": "ab" * 32, "marking": None,
            "findings": findings or [], "suspected": None}
    return {**base, **fields}


def finding(kind: str, text: str, rule: str, level: str | None = None, confidence: float = 0.9,
            **extra: Any) -> dict:
    loc = extra.pop("location", {"part": "body", "page": 1, "paragraph": 1})
    return {"kind": kind, "level": level, "rule": rule, "text": text, "location": loc, "context": text,
            "confidence": confidence, **extra}


def verdict(rec: dict) -> tuple[str, list[str]]:
    out = review([rec])[0]
    return out["verdict"], [r["code"] for r in out["reasons"]]


# --- 可以公开 ----------------------------------------------------------------------------------

def test_a_record_without_findings_may_be_published():
    out = review([record()])[0]
    assert (out["verdict"], out["reasons"]) == (PUBLISH, [])


def test_level_words_in_sentences_and_explicit_public_do_not_stop_publication():
    rec = record(findings=[
        finding("mention", "秘密", "mention:compound:国家秘密"),
        finding("mention", "秘密", "mention:in-sentence", level="秘密"),
        finding("mention", "机密", "mention:law-text", level="机密"),
        finding("marking", "密级：公开", "explicit-public", level=None),
        finding("file", ".jpg", "extension-mismatch", location={"part": "filename"}),
    ])
    assert verdict(rec) == (PUBLISH, [])


def test_an_empty_file_has_nothing_to_hide():
    assert verdict(record(status="unsupported", error="empty file (0 bytes)", size=0)) == (PUBLISH, [])


# --- 不得公开 ----------------------------------------------------------------------------------

def test_a_marking_on_page_37_blocks_publication_and_keeps_its_location():
    loc = {"part": "body", "page": 37, "line": 1}
    rec = record(findings=[finding("marking", "内部文件", "neibu+page-top", level="内部", location=loc)])
    out = review([rec])[0]
    assert out["verdict"] == BLOCK
    (reason,) = out["reasons"]
    assert reason["code"] == "marking" and reason["verdict"] == BLOCK and reason["location"] == loc
    assert reason["member"] is None
    assert "“内部文件”" in reason["text"] and "第四十二条" in reason["text"]


def test_explicit_nonpublic_note_blocks_with_its_own_code():
    rec = record(findings=[finding("marking", "（此件不予公开）", "fuzhu-nonpublic+first-lines", level="内部",
                                   confidence=0.75)])
    out = review([rec])[0]
    assert out["verdict"] == BLOCK and out["reasons"][0]["code"] == "explicit-nonpublic"
    assert "不予公开" in out["reasons"][0]["text"]
    rec = record(findings=[finding("marking", "（此件不公开）", "fuzhu-nonpublic+body", level="内部", confidence=0.75)])
    assert verdict(rec) == (BLOCK, ["explicit-nonpublic"])


def test_other_nonpublic_notes_are_markings():
    rec = record(findings=[finding("marking", "（此件发至县级）", "fuzhu-nonpublic+body", level="内部", confidence=0.75)])
    assert verdict(rec) == (BLOCK, ["marking"])


def source(level: str | None) -> dict[str, Any]:
    return {"id": 3, "path": "/registry/工作要点.docx", "sha256": "cd" * 32, "level": level,
            "marking": "秘密★1年" if level else None}


def test_a_fingerprint_match_with_a_registered_marked_document_blocks_and_names_it():
    rec = record(findings=[finding("fingerprint", "与已登记的标密文件《工作要点.docx》有 3 处相同段落", "fingerprint",
                                   level="秘密", source=source("秘密"), share=0.62, matched_chars=900,
                                   passages=[{"part": "body", "page": 2, "paragraph": 5}])])
    out = review([rec])[0]
    assert out["verdict"] == BLOCK
    reason = out["reasons"][0]
    assert reason["code"] == "fingerprint" and "“工作要点.docx”（秘密）" in reason["text"] and "62%" in reason["text"]


def test_a_fingerprint_match_with_a_registered_unmarked_document_needs_review():
    rec = record(findings=[finding("fingerprint", "与已登记的文件《工作要点.docx》有 1 处相同段落", "fingerprint",
                                   source=source(None), share=0.2)])
    out = review([rec])[0]
    assert out["verdict"] == REVIEW and out["reasons"][0]["code"] == "fingerprint"


def test_a_record_marking_without_its_finding_still_blocks():
    rec = record(marking={"level": "机密", "text": "机密★10年", "period": "10年", "rule": "jimi-star+header",
                          "location": {"part": "header", "name": "default"}, "confidence": 0.95})
    assert verdict(rec) == (BLOCK, ["marking"])


# --- 需人工复核 --------------------------------------------------------------------------------

def test_a_declassified_mark_alone_needs_review_not_block():
    rec = record(findings=[finding("marking", "秘密★1年", "mimi-star+first-lines", level="秘密", declassified=True)])
    out = review([rec])[0]
    assert out["verdict"] == REVIEW and out["reasons"][0]["code"] == "declassified"
    assert "解密" in out["reasons"][0]["text"]


def test_declassified_and_live_marks_together_block():
    rec = record(findings=[
        finding("marking", "秘密★1年", "mimi-star+first-lines", level="秘密", declassified=True),
        finding("marking", "机密★10年", "jimi-star+section-start", level="机密",
                location={"part": "body", "page": 7, "paragraph": 40}),
    ])
    assert verdict(rec) == (BLOCK, ["marking", "declassified"])  # gravest first


def test_handling_phrase_needs_review():
    rec = record(findings=[finding("marking", "会后收回", "handling+header", level="内部", confidence=0.5,
                                   location={"part": "header", "name": "default"})])
    assert verdict(rec) == (REVIEW, ["handling"])


def test_paragraph_level_bracket_mark_needs_review():
    rec = record(findings=[finding("marking", "（秘密）", "bracket-level+paragraph-start", level="秘密",
                                   confidence=0.6)])
    out = review([rec])[0]
    assert out["verdict"] == REVIEW and out["reasons"][0]["code"] == "mark-text"


@pytest.mark.parametrize("rule", ["mention:outside-strong-position", "mention:cell", "mention:cue-before",
                                  "mention:training-document", "mention:ledger-column"])
def test_a_standalone_mark_the_scanner_did_not_count_needs_review(rule):
    rec = record(findings=[finding("mention", "秘密★1年", rule, level="秘密")])
    out = review([rec])[0]
    assert out["verdict"] == REVIEW and out["reasons"][0]["code"] == "mark-text"
    assert "mention:" not in out["reasons"][0]["text"]  # explained in words


@pytest.mark.parametrize("part,words", [("revision", "已删除的修订内容仍保存在文件中"), ("comment", "批注")])
def test_a_mark_in_deleted_text_or_a_comment_needs_review(part, words):
    loc = {"part": part, "page": 1, "paragraph": 3, "name": "body"} if part == "revision" else {"part": part}
    rec = record(findings=[finding("mention", "机密★10年", "mention:in-sentence", level="机密", location=loc)])
    out = review([rec])[0]
    assert out["verdict"] == REVIEW and words in out["reasons"][0]["text"]
    assert out["reasons"][0]["location"] == loc


def test_personal_information_needs_review():
    rec = record(findings=[finding("sensitive_info", "1101**********1234", "id-card", level=None)])
    out = review([rec])[0]
    assert out["verdict"] == REVIEW and out["reasons"][0]["code"] == "personal-info"
    assert "1101**********1234" in out["reasons"][0]["text"]


def test_classifier_suspicion_needs_review():
    rec = record(suspected={"label": "涉密", "score": 0.91, "terms": ["作战", "部署"]},
                 findings=[finding("suspected", "涉密", "classifier", confidence=0.91)])
    out = review([rec])[0]
    assert out["verdict"] == REVIEW and [r["code"] for r in out["reasons"]] == ["suspected"]
    assert "0.91" in out["reasons"][0]["text"] and "作战" in out["reasons"][0]["text"]


def test_keyword_hit_needs_review():
    rec = record(findings=[finding("keyword", "某型号", "keywords:单位关键词表")])
    assert verdict(rec) == (REVIEW, ["keyword"])


@pytest.mark.parametrize("status,error", [("encrypted", "password-protected Office document"),
                                          ("error", "CorruptFile: broken"), ("skipped", "larger than --max-size"),
                                          ("unsupported", "no text extractor for this content")])
def test_every_partial_read_needs_review(status, error):
    out = review([record(status=status, error=error)])[0]
    assert out["verdict"] == REVIEW and out["reasons"][0]["code"] == "partial-read"
    assert error in out["reasons"][0]["text"]


@pytest.mark.parametrize("rule", ["ocr-failed", "unread-pages"])
def test_ocr_failure_findings_are_partial_reads(rule):
    rec = record(findings=[finding("file", "第3页未能识别", rule, location={"part": "body", "page": 3})])
    assert verdict(rec) == (REVIEW, ["partial-read"])


def test_truncated_findings_are_a_partial_read():
    rec = record(findings=[finding("file", "12 more findings not listed", "findings-truncated",
                                   location={"part": "file"})])
    assert verdict(rec) == (REVIEW, ["partial-read"])


def test_images_not_read_by_ocr_need_review():
    rec = record(path="/docs/scan.png", format="image")
    assert review([rec], ocr=True)[0]["verdict"] == PUBLISH
    out = review([rec], ocr=False)[0]
    assert out["verdict"] == REVIEW and out["reasons"][0]["code"] == "partial-read"


# --- roll-up -----------------------------------------------------------------------------------

def test_a_marked_member_blocks_the_archive_and_is_named():
    records = [record("/up/材料.zip", format="zip"),
               record("/up/材料.zip!/公开说明.txt", format="txt"),
               record("/up/材料.zip!/汇编/第3册.pdf", format="pdf", findings=[
                   finding("marking", "内部资料", "neibu+page-top", level="内部",
                           location={"part": "body", "page": 37, "line": 1})])]
    top, clean_member, marked = review(records)
    assert top["verdict"] == BLOCK
    assert [(r["code"], r["member"], r["location"]["page"]) for r in top["reasons"]] == [
        ("marking", "汇编/第3册.pdf", 37)]
    assert (clean_member["verdict"], clean_member["reasons"]) == (PUBLISH, [])
    assert marked["verdict"] == BLOCK and marked["reasons"][0]["member"] is None


def test_roll_up_goes_through_nested_containers_only():
    records = [record("/a.zip", format="zip"), record("/a.zip!/b.zip", format="zip"),
               record("/a.zip!/b.zip!/c.docx", status="encrypted", error="password-protected Office document"),
               record("/a.zip!/d.docx")]
    out = {r["path"]: r for r in review(records)}
    assert out["/a.zip"]["verdict"] == REVIEW and out["/a.zip"]["reasons"][0]["member"] == "b.zip!/c.docx"
    assert out["/a.zip!/b.zip"]["reasons"][0]["member"] == "c.docx"
    assert out["/a.zip!/d.docx"]["verdict"] == PUBLISH


def test_the_worst_member_decides_and_reasons_come_gravest_first():
    records = [record("/m.eml", format="eml", findings=[finding("sensitive_info", "138****0000", "phone")]),
               record("/m.eml!/附件.docx", findings=[finding("marking", "秘密★1年", "mimi-star+first-lines",
                                                              level="秘密")])]
    top = review(records)[0]
    assert top["verdict"] == BLOCK
    assert [(r["code"], r["member"]) for r in top["reasons"]] == [("marking", "附件.docx"), ("personal-info", None)]


def test_reasons_of_one_code_are_capped_and_counted():
    many = [finding("mention", "秘密", "mention:ledger-column", level="秘密",
                    location={"part": "cell", "sheet": "台账", "cell": f"C{i}"}) for i in range(2, 2 + MAX_PER_CODE + 5)]
    reasons = review([record(findings=many)])[0]["reasons"]
    assert len(reasons) == MAX_PER_CODE + 1
    assert "另有 5 处" in reasons[-1]["text"] and reasons[-1]["location"] is None
    assert len(record_reasons(record(findings=many))) == MAX_PER_CODE + 5  # the record's own reasons are all there


def test_records_keep_every_contract_field():
    rec = record(findings=[finding("marking", "秘密★1年", "mimi-star+header", level="秘密")], encoding="utf-8")
    out = review([rec])[0]
    assert {k: v for k, v in out.items() if k not in ("verdict", "reasons")} == rec


# --- documents and the tally --------------------------------------------------------------------

def test_documents_group_members_under_their_file_but_not_a_folder_named_like_a_container():
    records = [record("/d/a.zip"), record("/d/a.zip!/x.docx"), record("/d/a.zip!/y.docx"),
               record("/d/b!/c.docx"), record("/d/b!/c.docx!/word/embeddings/o.bin")]
    assert [(d["path"], n) for d, n in documents(records)] == [("/d/a.zip", 2), ("/d/b!/c.docx", 1)]


def test_tally_exit_status_is_zero_only_when_everything_may_be_published():
    tally = ReviewTally()
    tally.add({"verdict": PUBLISH})
    assert tally.exit_status == 0
    tally.add({"verdict": REVIEW}, members=3)
    assert tally.exit_status == 1
    assert tally.counts() == {BLOCK: 0, REVIEW: 1, PUBLISH: 1}
    assert tally.summary() == "审查 2 个文件（含其中的 3 个附件或压缩包成员）：不得公开 0 个，需人工复核 1 个，可以公开 1 个"
    assert ReviewTally().exit_status == 0  # nothing to review


def test_readable_location_names_revisions_and_notes():
    assert readable_location({"part": "revision", "page": 1, "name": "body"}) == {
        "part": "修订记录（已删除的文字）", "page": 1}
    assert readable_location({"part": "notes", "slide": 2})["part"] == "演讲者备注"
    assert readable_location({"part": "body", "page": 3}) == {"part": "body", "page": 3}
