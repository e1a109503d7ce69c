"""RTF documents (Word, WPS, WordPad): text with its part, page and paragraph, code pages done right.

A compact tokenizer and group-state machine rather than a library: striprtf (the maintained
RTF-to-text package; 0.0.35 does decode ``\\ansicpg936`` and ``\\fcharset134`` right) drops the
header and footer groups, where marks live, returns one flat string with no paragraphs, pages or
parts, and raises on undecodable bytes by default. Bytes (``\\'hh`` escapes and raw 8-bit text) are
decoded with the current font's charset (``\\fcharset134`` = GBK) or else the document's
``\\ansicpgN`` (936 = GBK for Chinese Word/WPS files); ``\\uN`` escapes skip their ``\\ucN``
fallback characters; of an ``\\upr`` pair only the Unicode ``\\ud`` copy is read. Wingdings bytes
come out as U+F0xx, as in DOCX (the Wingdings star is U+F0AB).

Yields, as DOCX does: header/footer paragraphs (part "header"/"footer", name "default"/"first"/
"even"), body paragraphs ``Location("body", page=P, paragraph=N)`` (N counts every body paragraph,
empty ones too; ``\\line`` is a newline inside one, as ``w:br`` is), table cells (part "table",
table=N, cell="B3"), text boxes, WordArt watermarks, footnotes, endnotes, comments; then the
document properties (``\\info`` fields and custom ``\\userprops``) as part "properties".
Pages: 1 + ``\\page`` / ``\\pagebb`` / ``\\sect`` breaks seen (a ``\\sbknone`` section is
continuous); ``section_start`` marks the first block after an explicit break or section break.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO

from scanner.errors import CorruptFile
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "rtf"

MAX_DEPTH = 1000  # Word nests groups a few dozen deep; a million open braces is a memory bomb

_TOKEN = re.compile(rb"\\(?P<word>[a-zA-Z]{1,32})(?P<num>-?\d{1,10})? ?|(?P<hex>(?:\\'[0-9a-fA-F]{2})+)"
                    rb"|\\(?P<sym>.)|(?P<brace>[{}])|[\r\n]+|(?P<text>[^\\{}\r\n]+)", re.S)
# \fcharsetN -> codec; 0 (ANSI) and 1 (default) use the document's \ansicpg
CHARSETS = {77: "mac_roman", 128: "cp932", 129: "cp949", 130: "johab", 134: "gb18030", 136: "cp950",
            161: "cp1253", 162: "cp1254", 163: "cp1258", 177: "cp1255", 178: "cp1256", 186: "cp1257",
            204: "cp1251", 222: "cp874", 238: "cp1250", 254: "cp437", 255: "cp850"}
WINGDINGS, SYMBOL = "wingdings", "symbol"
PARTS = {"header": ("header", "default"), "headerr": ("header", "default"), "headerl": ("header", "even"),
         "headerf": ("header", "first"), "footer": ("footer", "default"), "footerr": ("footer", "default"),
         "footerl": ("footer", "even"), "footerf": ("footer", "first"), "footnote": ("footnote", None),
         "annotation": ("comment", None), "shptxt": ("textbox", None)}
INFO = {"title": "title", "subject": "subject", "author": "creator", "keywords": "keywords",
        "doccomm": "description", "operator": "lastModifiedBy", "category": "category",
        "manager": "Manager", "company": "Company"}
CAPTURE = frozenset({"sn", "propname", "atnauthor"})  # small values other groups refer to
SKIP = frozenset({
    "colortbl", "stylesheet", "pict", "object", "objdata", "fldinst", "themedata", "colorschememapping",
    "datastore", "latentstyles", "listtable", "listoverridetable", "rsidtbl", "generator", "xmlnstbl",
    "filetbl", "revtbl", "pgdsctbl", "bkmkstart", "bkmkend", "listtext", "pntext", "pntxta", "pntxtb",
    "ftnsep", "ftnsepc", "aftnsep", "aftnsepc", "shprslt", "nonshppict", "template", "docvar", "xe",
    "tc", "fldtype", "datafield", "atnid", "atnref", "atndate", "private", "mmathPr"})
CHARS = {"tab": "\t", "emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022", "lquote": "\u2018",
         "rquote": "\u2019", "ldblquote": "\u201c", "rdblquote": "\u201d", "emspace": "\u2003",
         "enspace": "\u2002", "qmspace": "\u2005", "nestcell": "\t", "nestrow": "\n", "line": "\n"}
_SURROGATE = re.compile("[\ud800-\udfff]")
SYMBOLS = {b"~": "\u00a0", b"_": "-", b"\\": "\\", b"{": "{", b"}": "}"}


def sniff(probe: Probe) -> bool:
    return probe.head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf")


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield the document's blocks, then its properties.

    Raises CorruptFile for content that is not RTF, and after yielding everything for a file
    that ends inside open groups (truncated).
    """
    raw = data.read()
    start = len(raw) - len(raw.lstrip(b"\xef\xbb\xbf \t\r\n"))
    if not raw.startswith(b"{\\rtf", start):
        raise CorruptFile("not an RTF document (no {\\rtf header)")
    parser = _Parser()
    budget = options.max_text_chars
    for block in parser.run(raw, start):
        yield block
        budget -= len(block.text)
        if budget < 0:
            return
    yield from parser.properties
    if parser.depth > 0:
        raise CorruptFile(f"RTF ends inside {parser.depth} unclosed groups (truncated file)")


def codec_for(codepage: int) -> str:
    """The Python codec of a Windows code page (936 -> gb18030); cp1252 when unknown."""
    name = {936: "gb18030", 10000: "mac_roman", 65001: "utf-8", 54936: "gb18030"}.get(codepage,
                                                                                      f"cp{codepage}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "cp1252"


class _Sink:
    """Where the text of a destination goes: a part, its paragraph buffer and undecoded bytes."""

    __slots__ = ("part", "name", "chars", "pending", "codec", "owner")

    def __init__(self, part: str, name: str | None, owner: int) -> None:
        self.part, self.name, self.owner = part, name, owner
        self.chars: list[str] = []
        self.pending = bytearray()
        self.codec = "cp1252"

    def add_bytes(self, blob: bytes, codec: str) -> None:
        if self.pending and codec != self.codec:
            self.settle()
        self.pending += blob
        self.codec = codec

    def add(self, text: str) -> None:
        self.settle()
        self.chars.append(text)

    def settle(self) -> None:
        if self.pending:
            self.chars.append(_decode(bytes(self.pending), self.codec))
            self.pending.clear()

    def take(self) -> str:
        self.settle()
        text = "".join(self.chars).strip()
        self.chars.clear()
        if _SURROGATE.search(text):  # \uN pairs beyond the BMP join; a lone half becomes U+FFFD
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", errors="replace")
        return text


def _decode(blob: bytes, codec: str) -> str:
    if codec == WINGDINGS:
        return "".join(chr(0xF000 + b) if b >= 0x80 else chr(b) for b in blob)
    if codec == SYMBOL:
        return "".join("\ufffd" if b >= 0x80 else chr(b) for b in blob)
    return blob.decode(codec, errors="replace")


class _Group:
    """Group-scoped state: destination, font codec, \\uc count, in-table paragraph flag."""

    __slots__ = ("sink", "codec", "uc", "intbl")

    def __init__(self, sink: _Sink | None, codec: str, uc: int = 1, intbl: bool = False) -> None:
        self.sink, self.codec, self.uc, self.intbl = sink, codec, uc, intbl

    def copy(self) -> _Group:
        return _Group(self.sink, self.codec, self.uc, self.intbl)


class _Parser:
    """Runs the tokens through group states; finished blocks collect in ``out``."""

    def __init__(self) -> None:
        self.codec, self.deff, self.font_def = "cp1252", 0, 0
        self.fonts: dict[int, list] = {}  # number -> [charset, code page, name bytes]
        self.body = _Sink("body", None, 0)
        self.g = _Group(self.body, self.codec)
        self.stack: list[_Group] = []
        self.skip_at = 0  # depth of the group being skipped, 0 when none
        self.upr = 0  # depth of an open \upr group (ANSI text, then its \*\ud Unicode twin)
        self.first = self.starred = False
        self.unicode_skip = 0
        self.out: list[TextBlock] = []
        self.properties: list[TextBlock] = []
        self.captured: dict[str, str] = {}
        self.page, self.paragraph, self.start, self.section = 1, 0, False, ""
        self.table, self.row, self.col, self.in_table = 0, 0, 0, False

    @property
    def depth(self) -> int:
        return len(self.stack)

    def run(self, raw: bytes, pos: int) -> Iterator[TextBlock]:
        match, end = _TOKEN.match, len(raw)
        while pos < end:
            m = match(raw, pos)
            if m is None:
                pos += 1
                continue
            pos, kind = m.end(), m.lastgroup
            if kind == "brace":
                if m.group(kind) == b"{":
                    self.open()
                elif self.close():
                    break
            elif kind in ("word", "num"):
                word, number = m.group("word"), int(m.group("num")) if kind == "num" else None
                if word == b"bin":
                    pos += max(0, number or 0)
                elif not self.skip_at:
                    self.word(word.decode("ascii"), number)
            elif self.skip_at or kind is None:
                continue
            elif kind == "hex":  # a run of \'hh escapes: one multi-byte character needs them together
                self.add_bytes(bytes.fromhex(m.group(kind).replace(b"\\'", b"").decode("ascii")))
            elif kind == "sym":
                self.symbol(m.group(kind))
            else:
                self.add_bytes(m.group(kind))
            if self.out:
                yield from self.out
                self.out.clear()
        self.end_sink(self.body)
        yield from self.out

    def open(self) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise CorruptFile(f"RTF groups nested deeper than {MAX_DEPTH}")
        self.stack.append(self.g)
        self.g = self.g.copy()
        self.first, self.starred, self.unicode_skip = not self.skip_at, False, 0

    def close(self) -> bool:
        """Leave a group; True when the document's root group is closed."""
        if not self.stack:
            return True
        sink = self.g.sink
        if not self.skip_at and sink is not None and sink.owner == self.depth:
            self.end_sink(sink)
        if self.skip_at == self.depth:
            self.skip_at = 0
        if self.upr == self.depth:
            self.upr = 0
        self.g = self.stack.pop()
        self.first = self.starred = False
        self.unicode_skip = 0
        return not self.stack

    def word(self, w: str, n: int | None) -> None:
        first, self.first = self.first, False
        if first and self.destination(w):
            return
        if w == "u" and n is not None:
            self.add_text(chr(n & 0xFFFF))
            self.unicode_skip = self.g.uc
            return
        self.unicode_skip = 0
        if w in CHARS:
            self.add_text(CHARS[w])
        elif self.g.sink is not None and self.g.sink.part == "fonts":
            self.font_word(w, n or 0)
        else:
            self.flow_word(w, n)

    def destination(self, w: str) -> bool:
        """Set up the group a destination word opens; True when ``w`` was one."""
        starred, self.starred = self.starred, False
        g, depth = self.g, self.depth
        outer = g.sink.name if g.sink is not None and g.sink.part == "header" else None
        if self.upr and self.upr == depth - 1 and w != "ud":
            self.skip_at = depth  # the ANSI copy inside \upr: its \ud twin follows
        elif w in ("upr", "ud"):
            self.upr = depth if w == "upr" else self.upr
        elif w in PARTS:
            part, name = PARTS[w]
            g.sink = _Sink(part, self.captured.get("atnauthor") if part == "comment" else name, depth)
        elif w in INFO:
            g.sink = _Sink("properties", INFO[w], depth)
        elif w in CAPTURE:
            g.sink = _Sink("capture", w, depth)
        elif w == "staticval":
            g.sink = _Sink("properties", self.captured.get("propname") or "userprop", depth)
        elif w == "sv" and self.captured.get("sn", "").lower() in ("gtextunicode", "gtext"):
            g.sink = _Sink("watermark", outer, depth)
        elif w == "fonttbl":
            g.sink = _Sink("fonts", None, depth)
        elif w in ("info", "userprops"):
            g.sink = None
        elif w in SKIP or w == "sv" or (starred and w != "shpinst"):
            self.skip_at = depth
        else:
            return False
        return True

    def font_word(self, w: str, n: int) -> None:
        if w == "f":
            self.font_def = n
            self.fonts.setdefault(n, [0, 0, b""])
        elif w in ("fcharset", "cpg"):
            self.fonts.setdefault(self.font_def, [0, 0, b""])[0 if w == "fcharset" else 1] = n

    def flow_word(self, w: str, n: int | None) -> None:
        g = self.g
        if w == "par":
            self.paragraph_end(g.sink)
        elif w == "cell":
            self.cell()
        elif w == "row":
            self.row, self.col = self.row + 1, 0
        elif w == "page" or (w == "pagebb" and g.sink is self.body and self.paragraph):
            if w == "page" and not g.intbl:  # text before a break inside a paragraph is a block of its own
                text = self.body.take()
                if text:
                    self.emit(text, Location("body", page=self.page, paragraph=self.paragraph + 1))
            self.body_break("page")
        elif w == "sect":
            if self.body.chars or self.body.pending:
                self.paragraph_end(self.body)
            self.section = "page"
        elif w == "sbknone" and self.section:
            self.section = "none"
        elif w in ("pard", "intbl"):
            g.intbl = w == "intbl"
        elif w == "f":
            g.codec = self.font_codec(n or 0)
        elif w == "plain":
            g.codec = self.font_codec(self.deff)
        elif w == "uc":
            g.uc = max(0, n if n is not None else 1)
        elif w == "deff":
            self.deff = n or 0
        elif w in ("ansicpg", "ansi", "mac", "pc", "pca"):
            cp = {"ansi": 1252, "mac": 10000, "pc": 437, "pca": 850}.get(w, n or 1252)
            self.codec = g.codec = codec_for(cp)
        elif w == "ftnalt" and g.sink is not None and g.sink.part == "footnote":
            g.sink.part = "endnote"

    def font_codec(self, n: int) -> str:
        font = self.fonts.get(n)
        if font is None:
            return self.codec
        charset, cpg, name = font
        if name.split(b";")[0].strip().lower() == b"wingdings":
            return WINGDINGS
        if charset == 2:
            return SYMBOL
        return codec_for(cpg) if cpg else CHARSETS.get(charset, self.codec)

    def symbol(self, sym: bytes) -> None:
        self.first = self.first and sym == b"*"
        if sym == b"*":
            self.starred = True
        elif sym in (b"\n", b"\r"):
            self.paragraph_end(self.g.sink)
        elif sym in SYMBOLS:
            self.add_text(SYMBOLS[sym])

    def add_bytes(self, blob: bytes) -> None:
        self.first = False
        if self.unicode_skip:
            cut = min(self.unicode_skip, len(blob))
            blob, self.unicode_skip = blob[cut:], self.unicode_skip - cut
        sink = self.g.sink
        if not blob or sink is None:
            return
        if sink.part == "fonts":
            font = self.fonts.setdefault(self.font_def, [0, 0, b""])
            font[2] += blob
            return
        if sink is self.body and self.section:
            self.body_break(self.section)
        sink.add_bytes(blob, self.g.codec)

    def add_text(self, text: str) -> None:
        self.first = False
        sink = self.g.sink
        if sink is None or sink.part == "fonts":
            return
        if sink is self.body and self.section:
            self.body_break(self.section)
        sink.add(text)

    def body_break(self, kind: str) -> None:
        """A page ("page") or continuous section ("none") break in the body flow."""
        self.page += kind == "page"
        self.start, self.section = True, ""

    def paragraph_end(self, sink: _Sink | None) -> None:
        if sink is None:
            return
        if sink.part in ("capture", "properties") or (sink is self.body and self.g.intbl):
            sink.add("\n")
            return
        text = sink.take()
        if sink is self.body:
            self.in_table = False
            self.paragraph += 1
            if text:
                self.emit(text, Location("body", page=self.page, paragraph=self.paragraph))
        elif text:
            page = self.page if sink.part in ("footnote", "endnote", "comment", "textbox") else None
            self.out.append(TextBlock(text, Location(sink.part, page=page, name=sink.name)))

    def end_sink(self, sink: _Sink) -> None:
        """A destination group closed: its last paragraph, captured value or property."""
        if sink.part == "capture":
            self.captured[sink.name or ""] = sink.take()
        elif sink.part == "properties":
            text = sink.take()
            if text:
                self.properties.append(TextBlock(text, Location("properties", name=sink.name)))
        elif sink.part != "fonts" and (sink.chars or sink.pending):
            self.paragraph_end(sink)

    def cell(self) -> None:
        if not self.in_table:
            self.table, self.row, self.col, self.in_table = self.table + 1, 1, 0, True
        self.col += 1
        text = self.body.take()
        if text:
            cell = f"{_column(self.col)}{self.row}"
            self.emit(text, Location("table", page=self.page, table=self.table, cell=cell))

    def emit(self, text: str, location: Location) -> None:
        self.out.append(TextBlock(text, location, section_start=self.start))
        self.start = False


def _column(n: int) -> str:
    letters = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
