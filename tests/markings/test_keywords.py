"""Keyword lists (关键词检查): list format, word boundaries, rules, suspected, and a scan end to end."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import docx
import pytest

from markings import keywords
from markings.keywords import KeywordDetector, keyword_detector, load, validate
from markings.keywords_list import KeywordListError, parse_list
from markings.keywords_match import BlockView, Matcher, Segmenter
from markings.segment import tokenizer
from scanner.errors import RuleError
from scanner.options import ScanOptions
from scanner.records import FileEntry, Finding, FindingKind, Level, Location, Suspicion, TextBlock
from scanner.scan import scan_file


def write(tmp_path: Path, text: str, name: str = "装备.txt", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def body(*texts: str) -> list[TextBlock]:
    return [TextBlock(t, Location(part="body", paragraph=i)) for i, t in enumerate(texts, 1)]


def scan(paths: list[str], blocks: list[TextBlock]) -> tuple[list[Finding], Suspicion | None]:
    detector = KeywordDetector(load(paths))
    for block in blocks:
        detector.feed(block)
    return detector.finish(), detector.suspicion()


def texts(findings: list[Finding]) -> list[str]:
    return [f.text for f in findings]


# --- word boundaries -------------------------------------------------------------------------


def test_term_inside_continuous_text_matches(tmp_path: Path) -> None:
    path = write(tmp_path, "核潜艇\n蓝鲸工程\n")
    found, _ = scan([path], body("核潜艇部队进行演习", "启动蓝鲸工程建设"))
    assert [(f.text, f.location.paragraph, f.context) for f in found] == [
        ("核潜艇", 1, "核潜艇部队进行演习"), ("蓝鲸工程", 2, "启动蓝鲸工程建设")]
    assert all(f.kind is FindingKind.KEYWORD and f.rule == "keyword:装备" for f in found)


@pytest.mark.parametrize(("term", "text", "hits"), [
    ("潜艇", "核潜艇部队进行演习", 0),  # 核潜艇 is one word
    ("潜艇*", "核潜艇部队进行演习", 1),  # substring-marked
    ("潜艇", "核潜艇与常规潜艇", 1),  # the second one stands alone
    ("内部", "国内部分地区", 0),  # 国内/部分: the characters belong to two other words
    ("部分", "国内部分地区", 1),
    ("工程建", "启动蓝鲸工程建设", 0),
    ('"核 潜艇"', "关于核 潜艇部署", 1),  # ends on token boundaries, the space splits the runs
])
def test_part_of_a_longer_word_does_not_match(tmp_path: Path, term: str, text: str, hits: int) -> None:
    found, _ = scan([write(tmp_path, term + "\n")], body(text))
    assert len(found) == hits


def test_latin_terms_are_whole_words_in_any_case(tmp_path: Path) -> None:
    path = write(tmp_path, 'GPS\n"Blue Fin"\nJ-20\n')
    found, _ = scan([path], body("使用gps定位和GPS-2，不含GPSX与AGPS", "BLUE FIN计划", "ＧＰＳ模块", "J-205不算，J-20算"))
    line = "使用gps定位和GPS-2，不含GPSX与AGPS"
    assert [(f.text, f.location.paragraph, f.context) for f in found] == [
        ("GPS", 1, line[:20]), ("GPS", 1, line), ("Blue Fin", 2, "BLUE FIN计划"), ("GPS", 3, "ＧＰＳ模块"),
        ("J-20", 4, "J-205不算，J-20算")]


def test_ascii_edges_of_a_chinese_term_need_a_non_alphanumeric_neighbour(tmp_path: Path) -> None:
    found, _ = scan([write(tmp_path, "095型\n")], body("新型095型潜艇", "A095型"))
    assert [f.location.paragraph for f in found] == [1]


def test_at_most_ten_occurrences_of_a_term_are_listed(tmp_path: Path) -> None:
    found, _ = scan([write(tmp_path, "鱼雷\n")], body(*["发射鱼雷"] * 12))
    assert [f.location.paragraph for f in found] == list(range(1, 11))


def test_boundaries_are_jiebas() -> None:
    """Deciding a position from its zone alone gives the boundaries of jieba's own cut of the run."""
    seg = Segmenter(["核潜艇", "蓝鲸工程", "试验基地"])
    rng = random.Random(9)
    corpus = "核潜艇部队于今日在试验基地完成蓝鲸工程的国内部分测试工作并部署了新型装备中华人民共和国应当在毕业生"
    for _ in range(300):
        start = rng.randrange(len(corpus))
        run = corpus[start:start + rng.randrange(2, 30)]
        cuts, pos = {0}, 0
        for token in seg.tok.cut(run, HMM=False):
            pos += len(token)
            cuts.add(pos)
        assert seg.cuts(run) == cuts
        view = BlockView(run, seg)
        assert {p for p in range(len(run) + 1) if view._boundary(p)} == cuts


def test_marking_tokenizer_is_left_alone() -> None:
    before = tokenizer().lcut("启动蓝鲸工程建设", HMM=False)
    Segmenter(["蓝鲸工程"])
    assert before == tokenizer().lcut("启动蓝鲸工程建设", HMM=False) == ["启动", "蓝鲸", "工程建设"]
    assert Segmenter(["蓝鲸工程"]).tok.lcut("启动蓝鲸工程建设", HMM=False) == ["启动", "蓝鲸工程", "建设"]


def test_pure_python_matcher_finds_the_same() -> None:
    keys = ["核潜艇", "潜艇", "gps", "艇", "部队进行"]
    text = "核潜艇部队进行演习，gps潜艇艇"
    assert sorted(Matcher(keys, native=False).find(text)) == sorted(Matcher(keys).find(text)) == [
        (0, 0, 3), (1, 1, 3), (1, 13, 15), (2, 10, 13), (3, 2, 3), (3, 14, 15), (3, 15, 16), (4, 3, 7)]


# --- rules ----------------------------------------------------------------------------------


RULES = "试验 AND 基地\n核潜艇 NEAR/5 部署\n演习 AND NOT 公开版\n"


@pytest.mark.parametrize(("blocks", "rules"), [
    (body("试验在一号区进行", "基地建设"), ["试验 AND 基地"]),  # AND: anywhere in the document
    (body("试验在一号区进行"), []),
    (body("核潜艇于今日部署"), ["核潜艇 NEAR/5 部署"]),  # 3 characters between
    (body("部署两艘核潜艇"), ["核潜艇 NEAR/5 部署"]),  # either order
    (body("核潜艇于今日上午完成部署"), []),  # 7 characters between
    (body("核潜艇于今", "部署"), ["核潜艇 NEAR/5 部署"]),  # consecutive paragraphs: 2 + the line break
    ([TextBlock("核潜艇", Location(part="header", name="default")), *body("部署")], []),  # another part
    (body("组织演习"), ["演习 AND NOT 公开版"]),
    (body("组织演习", "本文为公开版"), []),
])
def test_rules(tmp_path: Path, blocks: list[TextBlock], rules: list[str]) -> None:
    found, _ = scan([write(tmp_path, RULES)], blocks)
    assert texts(found) == rules


def test_rule_finding_points_at_its_first_term(tmp_path: Path) -> None:
    found, _ = scan([write(tmp_path, "核潜艇 NEAR/5 部署  机密  4\n")], body("前言", "核潜艇已部署完毕"))
    (finding,) = found
    assert finding.location == Location(part="body", paragraph=2)
    assert finding.level is Level.JIMI
    assert finding.confidence == pytest.approx(0.8)
    assert dict(finding.details) == {"list": "装备", "term": "核潜艇", "weight": 4, "rule": "核潜艇 NEAR/5 部署"}


# --- list files -----------------------------------------------------------------------------


LIST = """\
# 装备项目关键词（示例，虚构）
#! 名称: 装备项目
#! 计入疑似: 是
#! 阈值: 6
#! 级别: 内部
核潜艇\t涉密\t5
鱼雷, 秘密, 2      # 行尾注释
GPS               3
C#
"""


def test_gb18030_list_with_comments_and_directives(tmp_path: Path) -> None:
    path = write(tmp_path, LIST, encoding="gb18030")
    lst = load([path]).lists[0]
    assert (lst.name, lst.encoding, lst.suspected, lst.threshold) == ("装备项目", "gb18030", True, 6.0)
    assert [(e.text, e.level, e.weight, e.line) for e in lst.entries] == [
        ("核潜艇", "涉密", 5.0, 6), ("鱼雷", "秘密", 2.0, 7), ("GPS", "内部", 3.0, 8), ("C#", "内部", 1.0, 9)]
    found, _ = scan([path], body("核潜艇和鱼雷，C#与GPS"))
    assert [(f.text, f.level, dict(f.details).get("list_level"), round(f.confidence, 3)) for f in found] == [
        ("核潜艇", None, "涉密", 0.833), ("鱼雷", Level.MIMI, None, 0.667), ("C#", Level.NEIBU, None, 0.5),
        ("GPS", Level.NEIBU, None, 0.75)]
    assert dict(found[0].details) == {"list": "装备项目", "term": "核潜艇", "weight": 5, "list_level": "涉密"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_other_encodings(tmp_path: Path, encoding: str) -> None:
    lst = load([write(tmp_path, LIST, encoding=encoding)]).lists[0]
    assert lst.encoding == ("utf-16" if encoding == "utf-16" else "utf-8")
    assert lst.entries[0].text == "核潜艇"


@pytest.mark.parametrize(("text", "line", "message"), [
    ("核潜艇 绝绝密\n", 1, "unknown level '绝绝密'"),
    ("核潜艇\n鱼雷 涉密 很多\n", 2, "weight must be a number"),
    ("核潜艇 0\n", 1, "weight must be a number"),
    ('""\n', 1, "empty term"),
    ("*\n", 1, "empty term"),
    ("核潜艇\n# x\n核潜艇 涉密\n", 3, "duplicate entry '核潜艇' (first on line 1)"),
    ("GPS\ngps\n", 2, "duplicate entry"),
    ("试验 AND\n", 1, "rule ends where a term was expected"),
    ("NOT 公开版\n", 1, "a rule needs a term that must occur"),
    ("核潜艇 NEAR 部署\n", 1, "NEAR needs a distance"),
    ("核潜艇 NEAR/x 部署\n", 1, "NEAR needs a distance"),
    ("核潜艇 NEAR/5\n", 1, "NEAR needs a term on each side"),
    ("AND 基地\n", 1, "operator 'AND' where a term was expected"),
    ("试验 OR 基地\n", 1, "operators must be AND, NOT and NEAR/n"),
    ("试验 AND 基地 OR\n", 1, "operators must be AND, NOT and NEAR/n"),
    ("试验 AND 基地 部署\n", 1, "unknown level '部署'"),
    ("核潜艇 涉密 5 6\n", 1, "unexpected column '6'"),
    ('"核潜艇 涉密\n', 1, "unbalanced quote"),
    ("#! 颜色: 红\n核潜艇\n", 1, "unknown directive"),
    ("#! 阈值: 5\n#! threshold: 6\n核潜艇\n", 2, "given twice (first on line 1)"),
    ("#! 计入疑似: 也许\n核潜艇\n", 1, "must be 是/否"),
    ("#! 级别: 绝绝密\n核潜艇\n", 1, "unknown level"),
])
def test_malformed_lines_name_the_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(KeywordListError) as caught:
        load([path])
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)


def test_whole_file_errors(tmp_path: Path) -> None:
    with pytest.raises(KeywordListError, match="no terms"):
        load([write(tmp_path, "# 空表\n\n")])
    with pytest.raises(KeywordListError, match="not a text file"):
        load([str(_binary(tmp_path))])
    with pytest.raises(KeywordListError, match="cannot read"):
        load([str(tmp_path / "missing.txt")])
    first = write(tmp_path, "核潜艇\n", name="a.txt")
    other = tmp_path / "sub"
    other.mkdir()
    with pytest.raises(KeywordListError, match="list name 'a' is also the name of"):
        load([first, write(other, "鱼雷\n", name="a.txt")])


def _binary(tmp_path: Path) -> Path:
    path = tmp_path / "bin.txt"
    path.write_bytes(b"\x00\x01\x02\xff\xfe" * 3)
    return path


def test_validate_stops_the_run_with_a_rule_error(tmp_path: Path) -> None:
    path = write(tmp_path, "核潜艇 涉密 很多\n")
    with pytest.raises(RuleError) as caught:
        validate([path])
    assert str(caught.value) == f"关键词表错误 (keyword list error): {path}:1: weight must be a number " \
                                "in (0, 1000], not '很多'"
    validate([write(tmp_path, LIST, name="ok.txt")])


def test_parse_list_keeps_the_rule_text() -> None:
    lst = parse_list('A AND NOT "b c"* 涉密\nx NEAR/0 y AND z 2\n'.encode(), "r.txt")
    assert [(e.text, e.rule, e.level, e.weight) for e in lst.entries] == [
        ('A AND NOT "b c"*', True, "涉密", 1.0), ("x NEAR/0 y AND z", True, None, 2.0)]
    assert [c.op for c in lst.entries[0].clauses] == ["has", "not"]
    assert lst.entries[0].clauses[1].terms[0].substring


# --- suspected ------------------------------------------------------------------------------


def test_suspected_when_the_weights_reach_the_threshold(tmp_path: Path) -> None:
    path = write(tmp_path, LIST)
    assert scan([path], body("核潜艇"))[1] is None  # 5 < 6
    _, verdict = scan([path], body("核潜艇与GPS", "C#"))  # 5 + 3 + 1
    assert verdict == Suspicion("涉密", pytest.approx(1 - 0.3 ** (9 / 6)), ("核潜艇", "GPS", "C#"))
    _, verdict = scan([path], body("鱼雷、GPS和C#"))  # 2 + 3 + 1, 秘密 among them
    assert verdict is not None and verdict.label == "涉密" and verdict.score == pytest.approx(0.7)


def test_suspected_label_internal_and_lists_that_do_not_count(tmp_path: Path) -> None:
    counting = write(tmp_path, "#! 计入疑似: yes\nGPS 内部\n北斗 敏感\n", name="a.txt")
    silent = write(tmp_path, "核潜艇 涉密 9\n", name="b.txt")
    found, verdict = scan([counting, silent], body("核潜艇用北斗"))
    assert texts(found) == ["核潜艇", "北斗"]
    assert verdict == Suspicion("内部", pytest.approx(0.7), ("北斗",))


# --- factory, caching, end to end -----------------------------------------------------------


def test_factory_and_cache(tmp_path: Path) -> None:
    assert keyword_detector(ScanOptions()) is None
    path = write(tmp_path, "核潜艇\n")
    detector = keyword_detector(ScanOptions(keywords=(path,)))
    assert isinstance(detector, KeywordDetector)
    assert load([path]) is load([path]) is detector.c
    Path(path).write_text("鱼雷\n核潜艇\n", encoding="utf-8")
    assert [e.text for e in load([path]).lists[0].entries] == ["鱼雷", "核潜艇"]


def test_scan_file_end_to_end(tmp_path: Path) -> None:
    """ScanOptions(keywords=...) turns the registered detector on in a real scan."""
    document = docx.Document()
    document.add_paragraph("关于年度工作安排的通知")
    document.add_paragraph("核潜艇部队将于下月部署。")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 1).text = "GPS模块"
    path = tmp_path / "通知.docx"
    document.save(str(path))
    lists = write(tmp_path, LIST)
    options = ScanOptions(ocr=False, classify=False, keywords=(lists,))
    (record,) = scan_file(FileEntry(str(path), str(path)), options)
    found = [f.to_json() for f in record.findings if f.kind is FindingKind.KEYWORD]
    assert [(f["text"], f["location"], f["context"]) for f in found] == [
        ("核潜艇", {"part": "body", "paragraph": 2, "page": 1}, "核潜艇部队将于下月部署。"),
        ("GPS", {"part": "table", "page": 1, "table": 1, "cell": "B1"}, "GPS模块")]
    assert found[0]["list"] == "装备项目" and found[0]["rule"] == "keyword:装备项目"
    assert record.suspected is not None and record.suspected.label == "涉密"
    assert record.suspected.terms == ("核潜艇", "GPS")


def test_cli_flag_and_summary(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    keywords.add_arguments(parser)
    first, second = write(tmp_path, LIST, name="a.txt"), write(tmp_path, "鱼雷\n", name="b.txt")
    args = parser.parse_args(["--keywords", first, "--keywords", second])
    assert args.keywords == [first, second] and parser.parse_args([]).keywords == []
    assert [(s["name"], s["entries"], s["suspected"]) for s in keywords.summary(args.keywords)] == [
        ("装备项目", 4, True), ("b", 1, False)]


def test_blocks_searched_in_chunks_give_the_same_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "核潜艇\n潜艇\nGPS\n鱼雷*\n" + RULES)
    blocks = body("核潜艇于今", "部署", "试验在一号区进行", "GPS与潜艇", "反鱼雷", "基地建设", "组织演习")
    whole = scan([path], blocks)
    monkeypatch.setattr(keywords, "CHUNK", 8)
    assert scan([path], blocks) == whole
    assert [(f.text, f.location.paragraph) for f in whole[0]] == [
        ("核潜艇", 1), ("核潜艇 NEAR/5 部署", 1), ("试验 AND 基地", 3), ("GPS", 4), ("潜艇", 4), ("鱼雷", 5),
        ("演习 AND NOT 公开版", 7)]


def test_substring_directive_makes_every_term_a_substring(tmp_path: Path) -> None:
    path = write(tmp_path, "#! 子串: 是\n潜艇\n内部 AND 试验\n")
    found, _ = scan([path], body("核潜艇部队", "国内部分试验"))
    assert texts(found) == ["潜艇", "内部 AND 试验"]
    assert all(t.substring for e in load([path]).lists[0].entries for c in e.clauses for t in c.terms)
