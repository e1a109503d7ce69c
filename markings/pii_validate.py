"""Validators and masks for personal numbers (issue 7): pure functions of one canonical value.

A canonical value has its separators removed and its letters upper-cased (ASCII only; the
caller normalises full-width forms first). Validators return True only when the structure
and the check character hold; none of them looks at context. Masks keep just enough of a
value for a reviewer to recognise it (the region of an ID, the issuer of a card).
"""

from __future__ import annotations

import datetime
import operator
import re

# GB/T 2260 province-level codes (first two digits of an ID's region code); 71/81/82/83 are the
# codes residence permits of Taiwan, Hong Kong and Macao residents carry.
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
})

# GB 11643-1999: ISO 7064 MOD 11-2, weight of position i is 2**(17-i) mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_ZERO = 48 * sum(_ID_WEIGHTS)  # the weighted sum of ASCII '0's, taken off the byte sum
_ID_CHECK = "10X98765432"  # indexed by (weighted sum mod 11)
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")

# Mainland mobile segments in use (13x, 145-149, 150-159 but 154, 162/165-167, 170-178, 18x, 19x but 194).
_MOBILE = re.compile(r"1(?:3[0-9]|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8[0-9]|9[0-35-9])[0-9]{8}")

# GB 32100-2015: 31 characters (no I, O, Z, S, V); weight of position i is 3**i mod 31.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARS)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration authority (position 1) -> organisation types it issues (position 2).
_USCC_TYPES = {
    "1": "1239", "2": "19", "3": "1234569", "4": "19", "5": "1239", "6": "129", "7": "129",
    "8": "19", "9": "123", "A": "19", "N": "1239", "Y": "1",
}
_USCC_REGIONS = PROVINCES | {"10"}  # 100000: organs registered at national level

# Chinese passports: E/G + 8 digits, E + letter (no I/O) + 7 digits; DE/SE/PE official e-passports.
_PASSPORT = re.compile(r"[EG][0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[DSP]E[0-9]{7}")

# Card issuer prefixes accepted without a label (ISO/IEC 7812 IIN ranges).
_ISSUERS = (
    (re.compile(r"62"), "UnionPay"),
    (re.compile(r"4"), "Visa"),
    (re.compile(r"5[1-5]|2(?:22[1-9]|2[3-9][0-9]|[3-6][0-9]{2}|7[01][0-9]|720)"), "Mastercard"),
    (re.compile(r"35(?:2[89]|[3-8][0-9])"), "JCB"),
)


def id_check_char(first17: str) -> str:
    """Return the GB 11643 check character ('0'-'9' or 'X') of 17 digits."""
    return _ID_CHECK[(sum(map(operator.mul, first17.encode(), _ID_WEIGHTS)) - _ID_ZERO) % 11]


def _born(year: int, month: int, day: int, today: datetime.date | None) -> bool:
    try:
        born = datetime.date(year, month, day)
    except ValueError:
        return False
    return year >= 1900 and born <= (today or datetime.date.today())


def valid_id18(value: str, today: datetime.date | None = None) -> bool:
    """True for an 18-character 居民身份证号码: province code, check character, birth date."""
    if _ID18.fullmatch(value) is None or value[:2] not in PROVINCES or id_check_char(value[:17]) != value[17]:
        return False
    return _born(int(value[6:10]), int(value[10:12]), int(value[12:14]), today)


def valid_id15(value: str) -> bool:
    """True for a 15-digit first-generation ID: province code and a 19YYMMDD birth date (no check digit)."""
    if _ID15.fullmatch(value) is None or value[:2] not in PROVINCES:
        return False
    return _born(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]), None)


def valid_mobile(digits: str) -> bool:
    """True for an 11-digit mainland mobile number of a segment in use."""
    return _MOBILE.fullmatch(digits) is not None


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn (mod 10) check."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = ord(char) - 48
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """Return the digit that makes ``partial`` + digit pass the Luhn check."""
    return next(d for d in "0123456789" if luhn_ok(partial + d))


def card_issuer(digits: str) -> str | None:
    """The network of a card number by its prefix (UnionPay, Visa, Mastercard, JCB), or None."""
    for prefix, name in _ISSUERS:
        if prefix.match(digits):
            return name
    return None


def valid_bank_card(digits: str) -> bool:
    """True for 16-19 digits, not starting with 0, that pass the Luhn check."""
    return 16 <= len(digits) <= 19 and digits.isascii() and digits.isdigit() and digits[0] != "0" \
        and luhn_ok(digits)


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character of 17 code characters."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def valid_uscc(value: str) -> bool:
    """True for a 统一社会信用代码: charset, authority/type pair, region code, check character."""
    if len(value) != 18 or any(c not in _USCC_VALUE for c in value):
        return False
    if value[1] not in _USCC_TYPES.get(value[0], "") or not value[2:8].isdigit():
        return False
    return value[2:4] in _USCC_REGIONS and uscc_check_char(value[:17]) == value[17]


def valid_passport(value: str) -> bool:
    """True for the shape of a Chinese passport number (there is no check character)."""
    return _PASSPORT.fullmatch(value) is not None


def mask_id(value: str) -> str:
    """110105********002X: region code and the last four kept."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(digits: str) -> str:
    """138****5678."""
    return digits[:3] + "****" + digits[-4:]


def mask_bank_card(digits: str) -> str:
    """6222 **** **** 1234: issuer prefix and the last four kept."""
    return f"{digits[:4]} **** **** {digits[-4:]}"


def mask_uscc(value: str) -> str:
    """91110108**********: authority, type and region kept."""
    return value[:8] + "*" * 10


def mask_passport(value: str) -> str:
    """E1****678."""
    return value[:2] + "*" * (len(value) - 5) + value[-3:]


def mask_email(address: str) -> str:
    """z***@example.com: the first character of the mailbox and the domain kept."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def mask_other(value: str) -> str:
    """A long number that was not validated, masked in context all the same: 12******89."""
    return value[:2] + "*" * max(len(value) - 4, 1) + value[-2:]
