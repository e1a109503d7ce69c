"""The kinds of personal information docscan reports, their label words and confidences (issue 7).

Confidence (0..1): each type has a base confidence when a value stands alone and a higher one
when a label word (身份证号, 手机, 卡号 ...) stands at most LABEL_WINDOW characters before it in
the same text, heads its table column, or stands in an earlier cell of its table row.

=============  ====  =======  =====================================================================
type           base  label    why
=============  ====  =======  =====================================================================
ID (18)        0.8   0.95     MOD 11-2 check + birth date + province code: ~1 random hit in 70,000
ID (15)        -     0.8      no check digit; date and province only: reported only with a label
mobile         0.5   0.9      no check digit; 11 digits of a segment in use
bank card      0.5   0.9      Luhn passes 1 in 10: without a label only for known issuer prefixes
USCC           0.7   0.95     MOD 31 check + authority/type pair + region code
passport       -     0.85     a shape without a check character: reported only with a label
e-mail         0.8   0.95     address syntax with a letter top-level domain that is no file type
=============  ====  =======  =====================================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markings import pii_validate as v

LABEL_WINDOW = 20  # characters before a value searched for a label word

_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_TABLE.update({0x3000: 0x20, 0xA0: 0x20, 0x2010: 0x2D, 0x2011: 0x2D, 0x2012: 0x2D, 0x2013: 0x2D,
               0x2212: 0x2D})
_MAPPED = re.compile("[\uff01-\uff5e\u3000\u00a0\u2010-\u2013\u2212]")  # translate() only when needed


def _labels(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PiiType:
    """One kind of personal information: its rule id, report name and label words."""

    rule: str
    name: str
    labels: re.Pattern[str]
    mask: Callable[[str], str]
    base: float | None  # confidence without a label; None = reported only with a label
    labelled: float


ID_CARD = PiiType("pii-id-card", "身份证号码",
                  _labels(r"身份证(?:号码|号)?|公民身份号码|身份号码|证件号码?|(?<![A-Za-z])ID ?(?:card|No)"),
                  v.mask_id, 0.8, 0.95)
MOBILE = PiiType("pii-mobile", "手机号码",
                 _labels(r"手机|移动电话|电话|联系方式|(?<![A-Za-z])(?:tel|mobile|phone|cell)"),
                 v.mask_mobile, 0.5, 0.9)
BANK_CARD = PiiType("pii-bank-card", "银行卡号",
                    _labels(r"银行卡|工资卡|卡号|账号|帐号|账户|帐户|开户行|开户银行|借记卡|信用卡|储蓄卡"),
                    v.mask_bank_card, 0.5, 0.9)
USCC = PiiType("pii-uscc", "统一社会信用代码",
               _labels(r"统一社会信用代码|社会信用代码|信用代码|纳税人识别号|税号"), v.mask_uscc, 0.7, 0.95)
PASSPORT = PiiType("pii-passport", "护照号码", _labels(r"护照(?:号码|号)?|(?<![A-Za-z])passport"),
                   v.mask_passport, None, 0.85)
EMAIL = PiiType("pii-email", "电子邮箱",
                _labels(r"邮箱|电子邮件|邮件地址|(?<![A-Za-z])e-?mail|(?<![A-Za-z])mail"),
                v.mask_email, 0.8, 0.95)
TYPES = (ID_CARD, MOBILE, BANK_CARD, USCC, PASSPORT, EMAIL)


@dataclass(frozen=True, slots=True)
class Hit:
    """A validated value: span in the text, canonical value, confidence and why."""

    kind: PiiType
    start: int
    end: int
    value: str
    confidence: float
    label: str | None
    check: str
    extra: tuple[tuple[str, Any], ...] = ()


def normalize(text: str) -> str:
    """Full-width letters, digits and signs to ASCII, one character for one (offsets unchanged)."""
    return text.translate(_TABLE) if _MAPPED.search(text) is not None else text


def label_words(text: str) -> dict[str, str]:
    """The label word of each type that ``text`` holds (a table header such as 身份证号), by rule id."""
    norm = normalize(text)
    found = ((t.rule, t.labels.search(norm)) for t in TYPES)
    return {rule: m.group() for rule, m in found if m is not None}
