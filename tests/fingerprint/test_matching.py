"""A registered marked document is found again in copies, extracts and embeddings of its text."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from scanner.records import Level, Location
from tests.fingerprint.conftest import fingerprints, scan, write_docx, write_txt
from tests.fingerprint.texts import PARAGRAPHS, TITLE, corpus_texts, wrap
from tests.scanner.pdf_builders import Text, build_pdf

BODY = "".join(PARAGRAPHS)


def _one(record):  # noqa: ANN001, ANN202 - a FileRecord in, its only fingerprint finding out
    found = fingerprints(record)
    assert len(found) == 1, [f.to_json() for f in found]
    return found[0]


def test_txt_copy_of_the_docx_reports_source_level_and_passages(source: Path, db: str, tmp_path: Path) -> None:
    copy = write_txt(tmp_path / "copy.txt", [TITLE, *wrap(BODY, 37)])
    finding = _one(scan(copy, db))
    data = finding.to_json()
    assert finding.level is Level.JIMI and data["level"] == "机密" and data["rule"] == "fingerprint"
    assert data["source"]["path"] == str(source) and data["source"]["level"] == "机密"
    assert data["source"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert data["source"]["marking"] == "机密★10年"
    assert "迁建方案.docx" in data["text"] and "same_file" not in data
    assert data["share"] >= 0.9 and data["matched_chars"] >= 250
    assert finding.location == Location("body", line=1)  # the title line starts the shared text
    assert data["passages"][0] == {"part": "body", "line": 1}
    assert finding.confidence >= 0.95


def test_pdf_copy_with_other_line_breaks(source: Path, db: str, tmp_path: Path) -> None:
    lines = wrap(BODY, 30)
    pdf = build_pdf([[Text(72, 100 + 20 * i, line) for i, line in enumerate(lines)]])
    path = tmp_path / "转存.pdf"
    path.write_bytes(pdf)
    data = _one(scan(path, db)).to_json()
    assert data["source"]["path"] == str(source) and data["level"] == "机密"
    assert data["share"] >= 0.9
    assert data["location"]["part"] == "body" and data["location"]["page"] == 1


def test_whitespace_and_punctuation_changes(source: Path, db: str, tmp_path: Path) -> None:
    edited = [p.replace("，", ", ").replace("。", ".  ").replace("、", "/") for p in PARAGRAPHS]
    spaced = [" ".join(p) for p in edited[:2]] + edited[2:]  # a space between every character
    path = write_txt(tmp_path / "edited.txt", ["", *spaced, "\t"])
    data = _one(scan(path, db)).to_json()
    assert data["share"] >= 0.85 and data["source"]["path"] == str(source)


def test_full_width_and_half_width(source: Path, db: str, tmp_path: Path) -> None:
    wide = unicodedata.normalize("NFKC", BODY).translate(
        {c: c + 0xFEE0 for c in range(0x21, 0x7F)})  # GX-7 -> ＧＸ－７, 350 -> ３５０
    assert "ＧＸ－７型" in wide and "３５０米" in wide
    data = _one(scan(write_txt(tmp_path / "wide.txt", [wide]), db)).to_json()
    assert data["share"] > 0.95


def test_paragraph_reordering(source: Path, db: str, tmp_path: Path) -> None:
    path = write_docx(tmp_path / "汇编.docx", list(reversed(PARAGRAPHS)), mark=None, title="材料汇编")
    data = _one(scan(path, db)).to_json()
    assert data["share"] >= 0.8
    paragraphs = {p["paragraph"] for p in data["passages"]}
    assert paragraphs >= {2, 3, 4, 5, 6}  # every reordered paragraph is a passage of its own


def _host() -> str:
    """A long public document unrelated to the source (a law text from the training corpus)."""
    text = max((t for _, t in corpus_texts("public-train")[:40]), key=len)
    assert len(text) > 5000
    return text


def test_passage_of_55_characters_embedded_in_a_long_document(source: Path, db: str, tmp_path: Path) -> None:
    passage = PARAGRAPHS[2][4:59]
    assert len(passage) == 55
    lines = _host().splitlines()
    at = len(lines) // 2
    path = write_txt(tmp_path / "long.txt", [*lines[:at], "附：" + passage + "。", *lines[at:]])
    finding = _one(scan(path, db))
    data = finding.to_json()
    assert finding.location == Location("body", line=at + 1)
    assert data["passages"] == [{"part": "body", "line": at + 1}]
    assert 35 <= data["matched_chars"] <= 55 and data["share"] < 0.02
    assert passage[:10] in finding.context  # the scanned document's own words, where it matched


def test_passage_split_over_lines_and_pages_of_a_pdf(source: Path, db: str, tmp_path: Path) -> None:
    passage = PARAGRAPHS[1][10:62]  # 52 characters, broken over a page
    filler = [f"第{i + 1}项：本页为会议纪要的其余部分，与该工程无关。" for i in range(30)]
    pages = [[Text(72, 100 + 20 * i, t) for i, t in enumerate([*filler, passage[:20]])],
             [Text(72, 100, passage[20:]), *[Text(72, 120 + 20 * i, t) for i, t in enumerate(filler)]]]
    path = tmp_path / "纪要.pdf"
    path.write_bytes(build_pdf(pages))
    data = _one(scan(path, db)).to_json()
    assert data["location"]["page"] == 1 and data["location"]["line"] == 31


def test_short_passage_is_not_enough(source: Path, db: str, tmp_path: Path) -> None:
    passage = PARAGRAPHS[2][4:29]  # 25 characters: a phrase, not a passage
    lines = _host().splitlines()
    path = write_txt(tmp_path / "short.txt", [*lines[:50], passage, *lines[50:]])
    assert fingerprints(scan(path, db)) == []


def test_same_file_is_reported_as_itself(source: Path, db: str) -> None:
    data = _one(scan(source, db)).to_json()
    assert data["same_file"] is True and "本身" in data["text"]
    assert data["share"] == 1.0


def test_two_sources_each_reported(source: Path, db: str, tmp_path: Path) -> None:
    from tests.fingerprint.conftest import register

    other = corpus_texts("train/内部")[0][1]
    second = write_txt(tmp_path / "内部通知.txt", ["内部", *other.splitlines()])
    [rec] = register(second, db)
    assert rec.marking is not None and rec.marking.level is Level.NEIBU
    mixed = write_txt(tmp_path / "mixed.txt", [PARAGRAPHS[0], *other.splitlines()])
    found = fingerprints(scan(mixed, db))
    assert {f.to_json()["source"]["path"] for f in found} == {str(source), str(second)}
    assert {f.level for f in found} == {Level.JIMI, Level.NEIBU}
