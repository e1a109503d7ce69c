"""Masking marks and handling phrases out of text before training and prediction.

The classifier must learn what a document says, not whether someone stamped it: a
training set of marked documents would otherwise teach it that 秘密★1年 means 涉密.
Whole lines that the marking rules recognise (marks, handling phrases, explicit
public notes, 份号, urgency) are dropped; marks and handling phrases inside a line are
cut out.
"""

from __future__ import annotations

import re

from markings.normalize import normalize
from markings.rule import load_rules

_LINE_KINDS = frozenset({"note", "marking", "negative", "handling", "serial", "urgency", "declassified"})
_INLINE = re.compile(
    r"(?:绝|机|秘|絕|機)\s?密\s*[★☆*＊\uf0ab]\s*(?:\d{1,2}\s*(?:年|个月|月)|长期|[一二三四五六七八九十]{1,3}年)?"
    r"|(?:核心|普通)商(?:业秘)?密\s*[★▲△]?\s*(?:\d{1,2}\s*(?:年|个月|月)|长期)?"
    r"|内部(?:资料|文件|事项|材料)?\s*[，,、★]?\s*(?:注意保[存管密]|免费交流|请勿外传|不得外传)"
    r"|(?:文件)?密\s?级\s*[:：]\s*\S{1,8}"
    r"|会后收回|阅后收回|请勿外传|不得外传|此件不予?公开|此件公开发布|此件依申请公开|不得翻印"
)


def mask(text: str) -> str:
    """``text`` without mark lines and inline marks; other lines keep their order."""
    rules = [r for r in load_rules().rules if r.kind in _LINE_KINDS]
    kept = []
    for line in text.splitlines():
        norm = normalize(line)
        if not norm or any(rule.match(norm) for rule in rules):
            continue
        kept.append(_INLINE.sub(" ", line))
    return "\n".join(kept)
