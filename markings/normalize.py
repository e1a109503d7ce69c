"""Text normalisation before any marking grammar is applied (markings.md §3).

``normalize`` is the fast path used for matching. ``normalize_with_map`` returns
the same string plus, for every character of it, the index of the character of
the input it came from, so a match can be reported as the text was found.
``unit_texts`` cuts a block into the units matched one at a time (a file name's
stem, each section of an Excel header/footer, §3.5).
"""

from __future__ import annotations

import re

from scanner.records import TextBlock

ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u2060\u00ad"
_SPACES = "\u3000\u00a0\t\r\n\v\f\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"
# U+F0AB is the Wingdings star as Word stores it (w:sym w:char="F0AB"); F0B5/F0B6 are
# Wingdings star variants. "«" is left alone: it is a star only in a Wingdings run,
# which the extractor knows and we do not.
_STARS = "★☆✩✪✫✬✭✮✯✰⭐⋆﹡✱✲✳*＊\uf0ab\uf0b5\uf0b6"
# Chinese punctuation kept as is even though it sits in the full-width block.
_KEEP_FULLWIDTH = "（），"
# Traditional -> simplified, only for characters the grammars use.
_TRADITIONAL = {
    "絕": "绝", "機": "机", "級": "级", "內": "内", "長": "长", "個": "个", "後": "后",
    "時": "时", "開": "开", "傳": "传", "資": "资", "業": "业", "務": "务", "項": "项",
    "檔": "档", "發": "发", "閱": "阅", "條": "条", "號": "号", "圖": "图", "準": "准",
    "僅": "仅", "參": "参", "閲": "阅", "將": "将", "帶": "带", "讀": "读", "電": "电",
    "徑": "径", "規": "规", "護": "护", "處": "处", "經": "经", "審": "审", "關": "关",
}


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(c): None for c in ZERO_WIDTH}
    table.update({ord(c): " " for c in _SPACES})
    for code in range(0xFF01, 0xFF5F):
        char = chr(code)
        if char not in _KEEP_FULLWIDTH:
            table[code] = chr(code - 0xFEE0)
    table.update({ord(c): "★" for c in _STARS})
    table.update({ord(k): v for k, v in _TRADITIONAL.items()})
    return table


_TABLE = _build_table()
# One space (exactly one) inside a level or urgency word, as the 1999 layout prints
# them (秘　密, 特　急). Two or more spaces are table or column noise and stay.
_INTRA_WORD = re.compile(
    r"(?:(?<=绝)|(?<=机)|(?<=秘)) (?=密)|(?<=特) (?=[急提])|(?<=加) (?=急)|(?<=急) (?=件)"
    r"|(?<=平) (?=急)|(?<=内) (?=部)"
)
_RUN = re.compile(r" {2,}")
# && (a literal &), the section switches &L &C &R, then font, size, colour and field codes.
_EXCEL_CODE = re.compile(r'&(?:(&)|([LCR])|"[^"]*"|K(?:[0-9A-Fa-f]{6}|\d\d[+-]\d{3})|\d{1,3}'
                         r'|[PNDTFAZGBIUSEXYH](?:[+-]\d+)?)')
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
_REPLY = re.compile(r"^(?:(?:回复|答复|转发|RE|Re|re|FW|Fw|fw|FWD|Fwd|fwd|AW|WG)\s*[:：]\s*)+")
_TITLE_SPANS = (re.compile(r"^[【\[(（]([^】\]）)]{1,24})[】\]）)]"),
                re.compile(r"[【\[(（]([^【\[(（]{1,24})[】\]）)]$"),
                re.compile(r"^([^_\- ]{2,24})[_\- ]"), re.compile(r"[_\- ]([^_\- ]{2,24})$"))


def normalize(text: str) -> str:
    """Return ``text`` normalised for matching: glyphs, spaces, width, script; stripped."""
    out = text.translate(_TABLE)
    if " " in out:
        out = _RUN.sub(" ", _INTRA_WORD.sub("", out)).strip()
    return out


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Return ``(normalize(text), index)``: ``index[i]`` is where char i came from in ``text``."""
    chars: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        mapped = _TABLE.get(ord(char), char)
        if mapped:
            chars.append(mapped)
            index.append(i)
    joined = "".join(chars)
    for regex, repl in ((_INTRA_WORD, ""), (_RUN, " ")):
        joined, index = _substitute(regex, repl, joined, index)
    start = len(joined) - len(joined.lstrip(" "))
    end = len(joined.rstrip(" "))
    return joined[start:end], index[start:end]


def _substitute(regex: re.Pattern[str], repl: str, text: str, index: list[int]) -> tuple[str, list[int]]:
    """Apply ``regex.sub(repl)`` keeping ``index`` aligned (repl is "" or one char)."""
    parts: list[str] = []
    new_index: list[int] = []
    pos = 0
    for match in regex.finditer(text):
        parts.append(text[pos:match.start()])
        new_index.extend(index[pos:match.start()])
        if repl:
            parts.append(repl)
            new_index.append(index[match.start()])
        pos = match.end()
    parts.append(text[pos:])
    new_index.extend(index[pos:])
    return "".join(parts), new_index


def original_span(original: str, index: list[int], start: int, end: int) -> str:
    """Return the text of ``original`` that normalised characters ``[start, end)`` came from."""
    if start >= end or not index:
        return ""
    return original[index[start]:index[end - 1] + 1]


class Normalized:
    """A text unit and its normalised form; the map back to the original is built on demand."""

    __slots__ = ("raw", "norm", "_index")

    def __init__(self, raw: str, norm: str | None = None) -> None:
        self.raw = raw
        self.norm = normalize(raw) if norm is None else norm
        self._index: list[int] | None = None

    def _map(self) -> list[int]:
        if self._index is None:
            self._index = normalize_with_map(self.raw)[1]
        return self._index

    def original(self, start: int, end: int) -> str:
        """Return the original text of normalised characters ``[start, end)``."""
        return original_span(self.raw, self._map(), start, end)

    def excerpt(self, start: int, end: int, width: int = 60) -> str:
        """Return at most ``width`` original characters centred on ``[start, end)``."""
        index = self._map()
        if start >= end or not index:
            return self.raw.strip()[:width]
        first, last = index[start], index[end - 1] + 1
        pad = max(0, (width - (last - first)) // 2)
        begin = max(0, min(first - pad, len(self.raw) - width))
        return self.raw[begin:begin + width].strip()


def unit_texts(block: TextBlock) -> list[str]:
    """The text units of a block: a file name's stem, an Excel header's sections, or the text."""
    loc = block.location
    if loc.part == "filename":
        return [_EXTENSION.sub("", re.split(r"[/\\]", block.text)[-1])]
    if loc.part in ("header", "footer") and loc.sheet is not None and "&" in block.text:
        return excel_sections(block.text)
    return [block.text]


def excel_sections(text: str) -> list[str]:
    """Split an Excel header/footer string into its left/centre/right texts, codes removed."""
    sections: list[str] = []
    current: list[str] = []
    pos = 0
    for match in _EXCEL_CODE.finditer(text):
        current.append(text[pos:match.start()])
        if match.group(1):
            current.append("&")
        elif match.group(2):
            sections.append("".join(current))
            current = []
        pos = match.end()
    current.append(text[pos:])
    sections.append("".join(current))
    return [section for section in sections if section.strip()]


def title_spans(norm: str, max_len: int = 64) -> list[tuple[int, int]]:
    """Spans of a file-name stem or subject that may hold a mark: the whole, a bracketed or
    separated head or tail (``（秘密）…``, ``…(机密★20年)``, ``…_秘密``), heads ending after a ★."""
    spans = [(0, len(norm))] if len(norm) <= max_len else []
    spans += [m.span(1) for regex in _TITLE_SPANS if (m := regex.search(norm))]
    if reply := _REPLY.match(norm):  # 转发：【内部】… / Re: Fw: (秘密)…: the mark follows the mail prefixes
        off = reply.end()
        spans += [(off + a, off + b) for a, b in title_spans(norm[off:], max_len)]
    if "★" in norm[:8]:
        spans += [(0, end) for end in range(min(len(norm), 30), 1, -1)]
    return spans
