"""Find personal numbers in one text: candidates, validation, labels and confidence (issue 7).

``find(text)`` returns the validated hits of a text and every span a redacted excerpt
must mask. Full-width forms are mapped to ASCII character for character (the NFKC mapping
of the U+FF01-FF5E block, plus U+3000 and hyphen variants), so every offset found in the
normalised text is an offset in the original too. Confidence and labels: pii_types.py.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from markings import pii_validate as v
from markings.pii_types import (
    BANK_CARD,
    EMAIL,
    ID_CARD,
    LABEL_WINDOW,
    MOBILE,
    PASSPORT,
    USCC,
    Hit,
    PiiType,
    normalize,
)

MIN_MASKED = 9  # a non-validated candidate this long with 7+ digits is still masked in excerpts

# Anything that can start a personal number: 6 digits in a row (ID, USCC region, card, passport),
# 3-4 digits, a separator and 4 digits (grouped mobile or card numbers), or an at sign. It opens
# with a character class so the regex engine skips ahead to candidates (3x faster than alternation).
_D = "[0-9\uff10-\uff19]"
PREFILTER = re.compile(f"[0-9\uff10-\uff19@\uff20](?:(?<=[@\uff20])|{_D}{{5}}|{_D}{{2,3}}"
                       f"[ \\-\u00a0\u3000\uff0d\u2010-\u2013\u2212]{_D}{{4}})")
# A run of digit groups (single space or hyphen between them), maybe led by + or by one or
# two capitals (passports, USCCs) and holding letters (USCC); never part of a longer run.
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])(?<![0-9]\.)(?=[A-Za-z0-9 +\-]{9})(\+?)"
                        r"((?:[A-Z]{1,2})?[0-9][A-Za-z0-9]*(?:[ \-][0-9]+[Xx]?)*)"
                        r"(?![A-Za-z0-9])(?!\.[0-9])")
_SEPARATOR = re.compile(r"[ \-]")
_TOKEN = re.compile(r"[^ \-]+")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
                    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})"
                    r"(?![A-Za-z0-9\-])")
# "icon@2x.png" is a file name, not an address.
_FILE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "bmp", "svg", "webp", "tif", "tiff", "pdf", "doc",
                        "docx", "xls", "xlsx", "ppt", "pptx", "txt", "zip", "rar", "js", "css", "htm",
                        "html", "xml", "json", "mp3", "mp4"})


@dataclass(frozen=True, slots=True)
class BlockScan:
    hits: list[Hit]
    spans: list[tuple[int, int, Callable[[str], str], str]]  # every value an excerpt must mask: mask, value

    def masks(self) -> list[tuple[int, int, str]]:
        """(start, end, masked value) of every span an excerpt must mask, in text order."""
        return sorted((s, e, mask(value)) for s, e, mask, value in self.spans)


@dataclass(frozen=True, slots=True)
class _Cand:
    kind: PiiType
    value: str
    start: int
    end: int
    check: str
    base: float | None
    extra: tuple[tuple[str, Any], ...] = ()


def find(text: str, outer_labels: Mapping[str, str] | None = None) -> BlockScan:
    """Return the personal numbers in ``text`` and the spans to mask (``outer_labels``: rule -> word
    of labels that stand outside the text, such as the table column's header)."""
    norm = normalize(text)
    emails = _emails(norm) if "@" in norm else []
    numbers, others = _numbers(norm)
    hits: list[Hit] = []
    starts = [e.start for e in emails]
    spans = [(s, e, v.mask_other, value) for s, e, value in others if not _inside(s, emails, starts)]
    for cand in emails + [c for c in numbers if not _inside(c.start, emails, starts)]:
        hit = _label(norm, cand, outer_labels or {})
        if hit is not None:
            hits.append(hit)
        spans.append((cand.start, cand.end, cand.kind.mask, cand.value))
    hits.sort(key=lambda h: h.start)
    return BlockScan(hits, spans)


def _inside(start: int, emails: list[_Cand], starts: list[int]) -> bool:
    """True when ``start`` falls inside one of ``emails`` (in text order; ``starts`` their starts)."""
    i = bisect.bisect_right(starts, start) - 1
    return i >= 0 and start < emails[i].end


def _label(norm: str, cand: _Cand, outer: Mapping[str, str]) -> Hit | None:
    """The hit ``cand`` makes with the labels around it, or None when it needs a label it lacks."""
    kind = cand.kind
    found = kind.labels.search(norm, max(0, cand.start - LABEL_WINDOW), cand.start)
    label = found.group() if found is not None else outer.get(kind.rule)
    if label is None and cand.base is None:
        return None
    confidence = kind.labelled if label is not None else cand.base
    assert confidence is not None
    return Hit(kind, cand.start, cand.end, cand.value, confidence, label, cand.check, cand.extra)


def _emails(norm: str) -> list[_Cand]:
    out = []
    for m in _EMAIL.finditer(norm):
        if ".." in m.group() or m.group(1).lower() in _FILE_TLDS:
            continue
        out.append(_Cand(EMAIL, m.group(), m.start(), m.end(), "address syntax", EMAIL.base))
    return out


def _numbers(norm: str) -> tuple[list[_Cand], list[tuple[int, int, str]]]:
    """Validated number candidates, and the long unvalidated tokens (start, end, value) to mask."""
    cands: list[_Cand] = []
    others: list[tuple[int, int, str]] = []
    for m in _CANDIDATE.finditer(norm):
        body = m.group(2)
        if " " not in body and "-" not in body:  # one token: the common case, kept short
            cand = _single(body.upper(), m.start(2), m.end(2), m.start() if m.group(1) else None)
            if cand is not None:
                cands.append(cand)
            elif len(body) >= MIN_MASKED and sum(map(str.isdigit, body)) >= 7:
                others.append((m.start(2), m.end(2), body))
            continue
        found = _run(body, m.start(2), m.start() if m.group(1) else None)
        cands.extend(found)
        groups = _SEPARATOR.split(body)
        if not found and len(groups) > 1 and min(map(len, groups)) >= 3 and len(body) >= MIN_MASKED:
            others.append((m.start(2), m.end(2), body))  # 6222 0212 3456 7890 123 that failed its check
            continue
        others.extend(_uncovered(_tokens(body, m.start(2)), found))
    return cands, others


def _uncovered(tokens: list[tuple[int, int, str]], found: list[_Cand]) -> list[tuple[int, int, str]]:
    """The long tokens of a run that no value covers (both lists in text order)."""
    out = []
    j = 0
    for s, e, token in tokens:
        while j < len(found) and found[j].end <= s:
            j += 1
        covered = j < len(found) and found[j].start <= s
        if not covered and e - s >= MIN_MASKED and sum(map(str.isdigit, token)) >= 7:
            out.append((s, e, token))
    return out


def _tokens(body: str, start: int) -> list[tuple[int, int, str]]:
    return [(start + t.start(), start + t.end(), t.group()) for t in _TOKEN.finditer(body)]


def _run(body: str, start: int, plus: int | None) -> list[_Cand]:
    """The values of one candidate run, left to right: the longest grouped number at each group
    (138 1234 5678), else the group alone. ``plus`` is the offset of a leading + sign, if any."""
    upper = body.upper()
    toks = _tokens(upper, start)
    out = []
    i = 0
    while i < len(toks):
        cand, after = _grouped_at(toks, i, upper, start, plus if i == 0 else None)
        if cand is None and _hyphen_free(toks, i, upper, start):
            s, e, token = toks[i]
            cand = _single(token, s, e, plus if i == 0 else None)
        if cand is not None:
            out.append(cand)
        i = after if cand is not None and after > i else i + 1
    return out


def _edge(toks: list[tuple[int, int, str]], i: int, body: str, start: int, outside: int) -> bool:
    """True when a number may begin at group ``i`` or end before it: the run ends there, or a space
    (not a hyphen) stands there and the group beyond it on the ``outside`` side (-1 left, 0 right)
    is at least _SEPARATE long (a separate number, not a continuation)."""
    if i == 0 or i == len(toks):
        return True
    if body[toks[i][0] - start - 1] != " ":
        return False
    return len(toks[i + outside][2]) >= _SEPARATE


def _hyphen_free(toks: list[tuple[int, int, str]], i: int, body: str, start: int) -> bool:
    """True when group ``i`` is not hyphen-joined to a neighbour (138-1234-5678-9 is one number)."""
    before = i > 0 and body[toks[i][0] - start - 1] == "-"
    after = i + 1 < len(toks) and body[toks[i][1] - start] == "-"
    return not (before or after)


def _grouped_at(toks: list[tuple[int, int, str]], i: int, body: str, start: int,
                plus: int | None) -> tuple[_Cand | None, int]:
    """The longest grouped number starting at group ``i`` with clean edges, and the group after it."""
    if not _edge(toks, i, body, start, -1):
        return None, i
    for j in range(min(len(toks), i + 6), i + 1, -1):
        if _edge(toks, j, body, start, 0):
            cand = _grouped([t for _, _, t in toks[i:j]], toks[i][0], toks[j - 1][1], plus)
            if cand is not None:
                return cand, j
    return None, i


def _grouped(groups: list[str], start: int, end: int, plus: int | None) -> _Cand | None:
    """A number written in groups: 138 1234 5678, +86-138-1234-5678, 6222 0212 3456 7890, 110105 ..."""
    digits = "".join(groups)
    shape = tuple(len(g) for g in groups)
    if groups[0] in ("86", "0086") and shape[1:] in _MOBILE_SHAPES:
        return _mobile(digits[len(groups[0]):], start if plus is None else plus, end)
    if shape in _MOBILE_SHAPES[:2]:
        return _mobile(digits, start, end)
    if shape == (6, 8, 4):
        return _id18(digits, start, end)
    if shape == (6, 6, 3):
        return _id15(digits, start, end)
    if len(shape) >= 4 and set(shape[:-1]) == {4} and 1 <= shape[-1] <= 4 and digits.isdigit():
        return _card(digits, start, end)
    return None


def _single(token: str, start: int, end: int, plus: int | None) -> _Cand | None:
    """What one ungrouped token is, if anything (ID, USCC, card, mobile, passport)."""
    n = len(token)
    if not token.isdigit():
        if n == 18:
            return _id18(token, start, end) or _uscc(token, start, end)
        if n == 9 and v.valid_passport(token):
            return _Cand(PASSPORT, token, start, end, "passport number shape (no check character)", None)
        return None
    if n == 11:
        return _mobile(token, start, end)
    if n == 13 and plus is not None and token.startswith("86"):
        return _mobile(token[2:], plus, end)
    if n == 15:
        return _mobile(token[4:], start, end) if token.startswith("0086") else _id15(token, start, end)
    if n == 18:
        return _id18(token, start, end) or _uscc(token, start, end) or _card(token, start, end)
    return _card(token, start, end) if 16 <= n <= 19 else None


_MOBILE_SHAPES = ((3, 4, 4), (3, 8), (11,))
_SEPARATE = 5  # a grouped number inside a spaced run needs neighbours this long (separate numbers)


def _mobile(digits: str, start: int, end: int) -> _Cand | None:
    if not v.valid_mobile(digits):
        return None
    return _Cand(MOBILE, digits, start, end, "mobile number segment (no check digit)", MOBILE.base)


def _id18(value: str, start: int, end: int) -> _Cand | None:
    if not v.valid_id18(value):
        return None
    return _Cand(ID_CARD, value, start, end, "GB 11643-1999 MOD 11-2 check, birth date, region", ID_CARD.base)


def _id15(digits: str, start: int, end: int) -> _Cand | None:
    if not v.valid_id15(digits):
        return None
    return _Cand(ID_CARD, digits, start, end, "15-digit ID: birth date, region (no check digit)", None)


def _uscc(value: str, start: int, end: int) -> _Cand | None:
    if not v.valid_uscc(value):
        return None
    return _Cand(USCC, value, start, end, "GB 32100-2015 MOD 31 check, authority, region", USCC.base)


def _card(digits: str, start: int, end: int) -> _Cand | None:
    if not v.valid_bank_card(digits):
        return None
    issuer = v.card_issuer(digits)
    extra: tuple[tuple[str, Any], ...] = (("issuer", issuer),) if issuer else ()
    return _Cand(BANK_CARD, digits, start, end, "Luhn", BANK_CARD.base if issuer else None, extra)
