"""Normalisation (markings.md §3) and the map back to the original text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from markings.normalize import (
    Normalized,
    excel_sections,
    normalize,
    normalize_with_map,
    original_span,
    title_spans,
    unit_texts,
)
from scanner.records import Location, TextBlock


@pytest.mark.parametrize(("raw", "expected"), [
    ("绝密\uf0ab长期", "绝密★长期"),  # Word w:sym Wingdings F0AB
    ("机密 ★ 10年", "机密 ★ 10年"),
    ("机密  ★   10年", "机密 ★ 10年"),
    ("秘　密", "秘密"),  # 1999 layout, one ideographic space
    ("秘 密", "秘密"),
    ("秘  密", "秘 密"),  # two spaces: not collapsed into the level word
    ("绝\u3000\u3000密★", "绝 密★"),
    ("特　急", "特急"),
    ("急 件", "急件"),
    ("内 部", "内部"),
    ("秘密★１年", "秘密★1年"),  # full-width digits
    ("密级：秘密", "密级:秘密"),
    ("絕密★長期", "绝密★长期"),  # traditional
    ("機密★二十年", "机密★二十年"),
    ("內部資料", "内部资料"),
    ("秘密☆1年", "秘密★1年"),
    ("秘密*1年", "秘密★1年"),
    ("秘密＊1年", "秘密★1年"),
    ("机密⭐5年", "机密★5年"),
    ("秘\u200b密★1\u200d年\ufeff", "秘密★1年"),
    ("\t 秘密★1年\u00a0 ", "秘密★1年"),
    ("（秘密），【机密】", "（秘密），【机密】"),  # Chinese punctuation kept
    ("㈠①⼀", "㈠①⼀"),  # no blanket NFKC
    ("«", "«"),  # only a star inside a Wingdings run, which the extractor knows
    ("秘密\n1年", "秘密 1年"),
])
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert normalize_with_map(raw)[0] == expected


def test_map_points_to_original_characters() -> None:
    raw = " \u200b机　密 ★ １０年 "
    norm, index = normalize_with_map(raw)
    assert norm == "机密 ★ 10年"
    assert original_span(raw, index, 0, len(norm)) == "机　密 ★ １０年"
    assert original_span(raw, index, 3, 4) == "★"
    assert original_span(raw, index, 2, 2) == ""


def test_normalized_excerpt_is_bounded() -> None:
    raw = "甲" * 100 + "绝密级" + "乙" * 100
    unit = Normalized(raw)
    excerpt = unit.excerpt(100, 102)
    assert len(excerpt) == 60 and "绝密" in excerpt
    assert unit.original(100, 103) == "绝密级"


ALPHABET = list("秘密机绝内部特急件 \u3000\t\u200b★*＊１2年（）abc\uf0ab絕")


@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=40))
def test_map_and_fast_path_agree(raw: str) -> None:
    norm, index = normalize_with_map(raw)
    assert norm == normalize(raw)
    assert len(index) == len(norm)
    assert index == sorted(index) and len(set(index)) == len(index)
    assert all(0 <= i < len(raw) for i in index)


def block(text: str, part: str, **loc: object) -> TextBlock:
    return TextBlock(text, Location(part, **loc))


def test_excel_sections_and_unit_texts() -> None:
    assert excel_sections('&L&"黑体,常规"&16秘密★6个月&C第&P页&R&D') == ["秘密★6个月", "第页"]
    assert excel_sections("&CA&&B") == ["A&B"]
    hf = block('&L秘密★1年&R内部', part="header", sheet="S", name="odd")
    assert unit_texts(hf) == ["秘密★1年", "内部"]
    assert unit_texts(block("a&b", part="header", name="default")) == ["a&b"]
    assert unit_texts(block("d/x.zip!/y/（秘密）通知.docx", part="filename")) == ["（秘密）通知"]
    assert unit_texts(block("项目方案(机密★20年).tar", part="filename")) == ["项目方案(机密★20年)"]


def test_title_spans() -> None:
    def texts(norm: str) -> list[str]:
        return [norm[a:b] for a, b in title_spans(norm)]

    assert texts("（秘密）2024年工作要点")[:2] == ["（秘密）2024年工作要点", "秘密"]
    assert "机密★20年" in texts("项目方案(机密★20年)")
    assert "秘密" in texts("会议纪要_秘密")
    assert "内部" in texts("内部 通知")
    assert "内部★" in texts("内部★工作总结")
    assert texts("甲" * 70) == []
