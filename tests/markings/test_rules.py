"""Every rule file's examples, and load_rules() validation."""

from pathlib import Path

import pytest

from markings.normalize import normalize
from markings.rule import RULES_DIR, expand, load_rule, load_rules, nonstandard
from scanner.errors import RuleError
from scanner.records import Level

RULE_FILES = sorted(RULES_DIR.glob("*.toml"))


def _examples() -> list:
    cases = []
    for path in RULE_FILES:
        rule = load_rule(path)
        cases += [pytest.param(rule, text, True, id=f"{rule.id}+{text}") for text in rule.match_examples]
        cases += [pytest.param(rule, text, False, id=f"{rule.id}-{text}") for text in rule.no_match_examples]
    return cases


@pytest.mark.parametrize(("rule", "text", "expected"), _examples())
def test_rule_examples(rule, text: str, expected: bool) -> None:
    assert (rule.match(normalize(text)) is not None) is expected


def test_default_rules_loaded_once_and_complete() -> None:
    rules = load_rules()
    assert rules is load_rules()
    assert {r.id for r in rules.rules} == {p.stem for p in RULE_FILES}
    assert len(RULE_FILES) >= 19
    kinds = {r.kind for r in rules.rules}
    assert {"marking", "negative", "handling", "note", "serial", "urgency", "attachment",
            "declassified", "mention"} <= kinds
    assert rules.get("mimi-star").level is Level.MIMI


def test_every_level_has_a_marking_rule() -> None:
    levels = {r.level for r in load_rules().of_kind("marking")}
    assert levels == set(Level)


GOOD = """kind = "marking"
level = "秘密"
pattern = '^(?P<level>秘密){STAR}?$'
confidence = 0.9
parts = ["header"]

[examples]
match = ["秘密", "秘密★"]
no_match = ["国家秘密"]
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_folder_loads(tmp_path: Path) -> None:
    _write(tmp_path, "my-rule.toml", GOOD)
    rules = load_rules(tmp_path)
    (rule,) = rules.rules
    assert rule.id == "my-rule" and rule.parts == frozenset({"header"}) and rule.confidence == 0.9
    assert rule.allows("header") and not rule.allows("body")


@pytest.mark.parametrize(("old", "new", "message"), [
    ('pattern = \'^(?P<level>秘密){STAR}?$\'', "pattern = '^(秘密$'", "missing )"),
    ('pattern = \'^(?P<level>秘密){STAR}?$\'', "pattern = '^秘密{NOPE}$'", "unknown fragment"),
    ('pattern = \'^(?P<level>秘密){STAR}?$\'', "pattern = '秘密'", "anchored"),
    ('level = "秘密"', 'level = "TOP"', "level 'TOP'"),
    ('level = "秘密"\n', "", "needs a level"),
    ("confidence = 0.9", "confidence = 1.5", "confidence"),
    ("confidence = 0.9", 'confidence = "high"', "confidence"),
    ('kind = "marking"', 'kind = "stamp"', "kind 'stamp'"),
    ('kind = "marking"\n', "", "missing keys ['kind']"),
    ('no_match = ["国家秘密"]', 'no_match = ["秘密★"]', "no_match example '秘密★' matches"),
    ('match = ["秘密", "秘密★"]', 'match = ["秘密", "机密"]', "example '机密' does not match"),
    ('match = ["秘密", "秘密★"]', "match = []", "must not be empty"),
    ("parts = [\"header\"]", "parts = \"header\"", "parts must be a list"),
    ("confidence = 0.9", "confidence = 0.9\ncolour = 1", "unknown keys ['colour']"),
    ("[examples]", "[examples]\nmaybe = []", "match and no_match"),
    ("kind", "kind = = broken\nkind", "cannot read rule"),
])
def test_invalid_rule_names_the_file(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    _write(tmp_path, "a-good.toml", GOOD)
    bad = _write(tmp_path, "bad.toml", GOOD.replace(old, new, 1))
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    assert str(info.value).startswith(str(bad))
    assert message in str(info.value)


def test_missing_or_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no rule files"):
        load_rules(tmp_path)
    with pytest.raises(RuleError, match="not found"):
        load_rules(tmp_path / "absent")


def test_fragments_nest_and_keep_regex_braces() -> None:
    assert "{" not in expand("{PERIOD}").replace("{1,2}", "").replace("{4}", "").replace(
        "{2,16}", "").replace("{1,3}", "")
    assert expand(r"^\d{1,2}$") == r"^\d{1,2}$"


@pytest.mark.parametrize(("rule_id", "text", "expected"), [
    ("mimi-star", "秘密★1年", None),
    ("mimi-star", "秘密★15年", "period exceeds maximum"),
    ("jimi-star", "机密★20年", None),
    ("jimi-star", "机密★三年", "chinese numerals"),
    ("jimi-star", "机密★★★", "extra stars"),
    ("juemi-nostar", "绝密·永久", "period not a legal value"),
    ("mimi-nostar", "秘密 10年", "no star"),
    ("hexin-shangmi", "核心商密★长期", "star reserved for state secrets"),
    ("putong-shangmi", "株机公司普通商密▲5年", None),
    ("neibu", "内部★5年", None),
])
def test_nonstandard_forms(rule_id: str, text: str, expected: str | None) -> None:
    rule = load_rules().get(rule_id)
    match = rule.match(normalize(text))
    assert match is not None
    assert nonstandard(rule.level, match.groupdict(), None) == expected
