"""Property-based tests of the marking normaliser and rules (hypothesis, derandomized).

Arbitrary text in any part never makes normalisation or detection raise; normalisation is
idempotent; and the decision for a line (the strongest marking, or none) does not change when its
spaces become other spaces, its ASCII becomes full-width, whitespace is added around it, or
invisible zero-width characters are slipped into it. The lines are every example of every rule file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from markings.detect import detect, strongest
from markings.normalize import normalize, normalize_with_map
from scanner.records import Level, Location, TextBlock
from tests.conftest import ROOT

PROPS = settings(max_examples=300, deadline=None, derandomize=True, database=None)
PARTS = ["body", "header", "footer", "filename", "cell", "table", "properties", "comment", "sheetname",
         "textbox", "watermark", "footnote", "sheetname"]
SPACES = [" ", "\u3000", "\u00a0", "\t", "\u2002", "\u202f"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad"]
KEPT_ASCII = ",()"  # their full-width forms ，（） are kept by the normaliser, so they are not equivalent


def rule_examples() -> list[str]:
    lines: set[str] = set()
    for path in sorted((Path(ROOT) / "markings" / "rules").glob("*.toml")):
        examples = tomllib.loads(path.read_text(encoding="utf-8")).get("examples", {})
        lines.update(examples.get("match", []) + examples.get("no_match", []))
    return sorted(lines)


LINES = rule_examples()


def block(text: str, part: str) -> TextBlock:
    sheet, cell = ("S", "A1") if part in ("cell", "sheetname") else (None, None)
    return TextBlock(text, Location(part=part, page=1, line=1, paragraph=1, sheet=sheet, cell=cell))


def decision(text: str, part: str) -> Level | None:
    """The level of the strongest marking of a document whose first line in ``part`` is ``text``."""
    follow = TextBlock("关于做好年度工作的通知", Location(part="body", page=1, line=2, paragraph=2))
    marking = strongest(detect([block(text, part), follow]))
    return marking.level if marking else None


@PROPS
@given(st.lists(st.tuples(st.text(max_size=300), st.sampled_from(PARTS)), max_size=8))
def test_arbitrary_text_in_any_part_never_raises(blocks: list[tuple[str, str]]) -> None:
    findings = detect([block(text, part) for text, part in blocks])
    strongest(findings)


@PROPS
@given(st.text())
def test_normalising_is_idempotent_and_its_map_agrees(text: str) -> None:
    norm = normalize(text)
    assert normalize(norm) == norm
    mapped, index = normalize_with_map(text)
    assert mapped == norm and len(index) == len(norm)


@st.composite
def respaced(draw: st.DrawFn, zero_width: bool) -> tuple[str, str, str]:
    """(rule example, the same line with other spaces, full-width ASCII and maybe zero-width characters,
    the part it stands in)."""
    line = draw(st.sampled_from(LINES))
    out = []
    for ch in line:
        if ch.isspace():
            ch = draw(st.sampled_from(SPACES))
        elif 0x21 <= ord(ch) <= 0x7E and ch not in KEPT_ASCII and draw(st.booleans()):
            ch = chr(ord(ch) + 0xFEE0)
        if zero_width and draw(st.integers(0, 4)) == 0:
            ch = draw(st.sampled_from(ZERO_WIDTH)) + ch
        out.append(ch)
    lead, trail = draw(st.sampled_from(["", " ", "\u3000", "\t"])), draw(st.sampled_from(["", " ", "\u3000", "\r"]))
    return line, lead + "".join(out) + trail, draw(st.sampled_from(["body", "header", "footer", "filename", "cell"]))


@settings(PROPS, max_examples=400)
@given(respaced(zero_width=False))
def test_marking_decision_is_stable_under_whitespace_and_full_width(sample: tuple[str, str, str]) -> None:
    line, variant, part = sample
    assert decision(variant, part) == decision(line, part)


@settings(PROPS, max_examples=300)
@given(respaced(zero_width=True))
def test_zero_width_characters_cannot_hide_a_mark(sample: tuple[str, str, str]) -> None:
    line, variant, part = sample
    assert decision(variant, part) == decision(line, part)
