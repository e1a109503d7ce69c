"""Word 97-2003 text ([MS-DOC]): the piece table, 8-bit and CJK decoding, and the paragraphs of a CP range.

Not an extractor itself (it has no FORMAT); the doc extractor uses it. A character position (CP) is
one 8-bit byte in a compressed piece (cp1252 per the spec) or one UTF-16 code unit otherwise;
``Pieces.text`` keeps one Python character per CP (surrogate halves stay unpaired) so CP arithmetic
holds, and ``join_surrogates`` pairs them when text leaves the extractor. A compressed piece of a
Chinese document (FIB lid or SummaryInformation codepage says so) whose bytes decode in that
codepage with every non-ASCII character a printable multi-byte one (at least two of them) is read
in that codepage instead: some non-Microsoft writers store GBK there, and cp1252 would turn it into
Latin-1 noise.

``Paragraphs`` splits a CP range into paragraphs: fields keep their result and drop their code (a
code never hides text past its paragraph); object anchors (0x01, 0x08), note marks (0x02, 0x05) and
other controls are dropped; 0x0B and 0x0E are line breaks, 0x1E is "-". Symbols: a 0x28 "(" whose
run has sprmCSymbol (how Word stores Insert > Symbol) becomes the symbol's code, Wingdings codes as
U+F0xx; a U+0080-U+00FF character in a run whose own font (sprmCRgFtc0) is Wingdings becomes U+F0xx
too; U+F0AB in the text passes through (markings maps it to ★). Other symbol fonts' codes give
U+FFFD. Fonts inherited from styles are not looked at. Tracked deletions (sprmCFRMarkDel) are taken
out of the text and kept apart, per paragraph.
"""

from __future__ import annotations

import bisect
import codecs
import re
import struct
from collections.abc import Container, Iterator
from dataclasses import dataclass, field

from scanner.errors import CorruptFile
from scanner.extractors.wordbin import Runs, blob_at, plc, sprms, u16
from scanner.extractors.wordml import symbol_char

_SPECIAL = re.compile(r"[\x00-\x1f(\x80-\xff]")
_KEEP = {"\t": "\t", "\x0b": "\n", "\x0e": "\n", "\x1e": "-"}
# compressed text: cp1252, whose five undefined bytes stay Latin-1 as the spec's table says
_COMPRESSED = str.maketrans({chr(b): bytes([b]).decode("cp1252") for b in range(0x80, 0xA0)
                             if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)})


class Pieces:
    """The piece table (PlcPcd of the CLX): which bytes of the WordDocument stream hold each CP."""

    def __init__(self, word: bytes, clx: bytes, codepage: str | None) -> None:
        self.word, self.codepage = word, codepage
        pos = 0
        while pos < len(clx) and clx[pos] == 0x01:  # Prc: property modifiers for pieces, skipped
            pos += 3 + struct.unpack_from("<h", clx, pos + 1)[0] if pos + 3 <= len(clx) else len(clx)
        if pos + 5 > len(clx) or clx[pos] != 0x02:
            raise CorruptFile("Word piece table (CLX Pcdt) not found")
        size = struct.unpack_from("<I", clx, pos + 1)[0]
        self.cps, pcds = plc(blob_at(clx, pos + 5, size, "Word piece table"), 8, "Word piece table")
        self.fcs = [struct.unpack_from("<I", p, 2)[0] for p in pcds]
        if any(b < a for a, b in zip(self.cps, self.cps[1:], strict=False)):
            raise CorruptFile("Word piece table positions are not in order")

    def text(self, start: int, end: int) -> str:
        """The characters of CPs [start, end), one per CP; CPs beyond the last piece are absent."""
        out: list[str] = []
        i = max(0, bisect.bisect_right(self.cps, start) - 1)
        while i < len(self.fcs) and self.cps[i] < end:
            a, b = max(start, self.cps[i]), min(end, self.cps[i + 1])
            if a < b:
                out.append(self._decode(i, a - self.cps[i], b - a))
            i += 1
        return "".join(out)

    def fc(self, cp: int) -> int | None:
        """The byte offset in the WordDocument stream of the character at ``cp``."""
        i = bisect.bisect_right(self.cps, cp) - 1
        if i < 0 or i >= len(self.fcs):
            return None
        raw = self.fcs[i]
        if raw & 0x40000000:
            return (raw & 0x3FFFFFFF) // 2 + cp - self.cps[i]
        return raw + 2 * (cp - self.cps[i])

    def cps_of(self, fc_a: int, fc_b: int) -> Iterator[tuple[int, int]]:
        """The CP ranges whose bytes lie in [fc_a, fc_b) of the WordDocument stream."""
        for i, raw in enumerate(self.fcs):
            width = 1 if raw & 0x40000000 else 2
            base = (raw & 0x3FFFFFFF) // 2 if width == 1 else raw
            a, b = max(fc_a, base), min(fc_b, base + width * (self.cps[i + 1] - self.cps[i]))
            if a < b:
                yield self.cps[i] + (a - base) // width, self.cps[i] + (b - base + width - 1) // width

    def _decode(self, i: int, skip: int, count: int) -> str:
        raw = self.fcs[i]
        if raw & 0x40000000:
            start = (raw & 0x3FFFFFFF) // 2 + skip
            data = blob_at(self.word, start, count, "Word text piece")
            return compressed(data, self.codepage)
        data = blob_at(self.word, raw + 2 * skip, 2 * count, "Word text piece")
        return data.decode("utf-16-le", "surrogatepass")


def compressed(data: bytes, codepage: str | None) -> str:
    """An 8-bit piece: cp1252 (the spec), or a CJK codepage when the bytes are clearly that.

    A multi-byte character is followed by NULs so that the text keeps one character per CP.
    """
    if codepage and any(b >= 0x80 for b in data):
        text = _multibyte(data, codepage)
        if text is not None:
            return text
    return data.decode("latin-1").translate(_COMPRESSED)


def _multibyte(data: bytes, codepage: str) -> str | None:
    """``data`` in ``codepage`` when it decodes fully, with at least two multi-byte characters and
    every non-ASCII character multi-byte and printable (Latin text with accents fails this)."""
    decoder = codecs.getincrementaldecoder(codepage)()
    out: list[str] = []
    wide = pending = 0
    try:
        for i in range(len(data)):
            pending += 1
            char = decoder.decode(data[i:i + 1])
            if not char:
                continue
            if len(char) != 1 or (ord(char) >= 0x80 and (pending < 2 or not _printable(char))):
                return None
            wide += pending > 1
            out.append(char + "\x00" * (pending - 1))
            pending = 0
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return "".join(out) if wide >= 2 and not pending else None


def _printable(c: str) -> bool:
    o = ord(c)
    return not (0xE000 <= o <= 0xF8FF or o == 0xFFFD or 0x80 <= o < 0xA0)


def join_surrogates(text: str) -> str:
    """Pair UTF-16 surrogate halves kept one per CP; a lone half becomes U+FFFD."""
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@dataclass(slots=True)
class Para:
    """One paragraph of a CP range: its text (split at page breaks), its end, its tracked deletions."""

    start: int  # CP of its first character
    cp: int = 0  # CP of the mark that ends it
    mark: str = ""  # "\r", "\x07", "\x0c" (section mark) or "" (the story ended without a mark)
    segs: list[str] = field(default_factory=lambda: [""])  # text split at page breaks ...
    splits: list[int] = field(default_factory=list)  # ... at these CPs
    deleted: list[str] = field(default_factory=list)  # tracked deletions (sprmCFRMarkDel)


class Paragraphs:
    """Reads the paragraphs of CP ranges of one document's text (see the module docstring)."""

    def __init__(self, pieces: Pieces, chpx: Runs, fonts: list[str], sections: Container[int],
                 limit: int) -> None:
        self.pieces, self.chpx, self.fonts, self.sections, self.limit = pieces, chpx, fonts, sections, limit
        props = list(zip(chpx.starts, chpx.ends, [dict(sprms(g)) for g in chpx.grpprls], strict=True))
        self.sym = any(0x6A09 in p for _a, _b, p in props)
        self.wing = any(f.strip().lower() == "wingdings" for f in fonts)
        self.deleted = sorted(r for a, b, p in props if p.get(0x0800, b"\0")[0] & 1  # sprmCFRMarkDel
                              for r in pieces.cps_of(a, b))
        self.gone: dict[int, str] = {}

    def read(self, start: int, end: int, main: bool = False) -> Iterator[Para]:
        """The paragraphs of CPs [start, end): field codes dropped, controls mapped, breaks split.

        A field code never hides text beyond its paragraph, so a broken field cannot hide a document.
        """
        end = min(end, start + self.limit)
        text = self._deletions(start, self.pieces.text(start, end))
        fields: list[bool] = []  # per open field: True once its result began
        para, pos = Para(start), 0
        for match in _SPECIAL.finditer(text):
            at = match.start()
            if all(fields):
                para.segs[-1] += text[pos:at]
            pos = at + 1
            c, cp = match.group(), start + at
            if c in "\r\x07" or (c == "\x0c" and cp in self.sections):
                para.cp, para.mark = cp, c
                yield para
                para, fields = Para(cp + 1), [f for f in fields if f]
            elif c == "\x13":
                fields.append(False)
            elif c == "\x14" and fields:
                fields[-1] = True
            elif c == "\x15" and fields:
                fields.pop()
            elif c == "\x1a":  # stands for a deleted run, see _deletions
                para.deleted.append(self.gone.pop(cp, ""))
            elif all(fields) and c == "\x0c" and main:
                para.segs.append("")
                para.splits.append(cp)
            elif all(fields):
                para.segs[-1] += _KEEP.get(c) or self._char(c, cp)
        if all(fields):
            para.segs[-1] += text[pos:]
        if any(para.segs) or para.deleted:
            para.cp = end
            yield para

    def _deletions(self, start: int, text: str) -> str:
        """Take tracked-deleted runs out of ``text``: each becomes 0x1A, its text kept in ``gone``."""
        end, chars = start + len(text), None
        for a, b in self.deleted[max(0, bisect.bisect_left(self.deleted, (start, 0)) - 1):]:
            if a >= end:
                break
            lo, hi = max(a, start) - start, min(b, end) - start
            if lo >= hi:
                continue
            chars = chars if chars is not None else list(text)
            run = None  # CP where the current deleted run (within one paragraph) began
            for i in range(lo, hi):
                c = text[i]
                if c in "\r\x07\x0c":
                    run = None
                    continue
                keep = c if c >= " " or c == "\t" else ""
                if run is None:
                    run, chars[i] = start + i, "\x1a"
                    self.gone[run] = keep
                else:
                    chars[i] = "\x00"
                    self.gone[run] += keep
        return text if chars is None else "".join(chars)

    def _char(self, c: str, cp: int) -> str:
        """A 0x28 or U+0080-U+00FF character after its run's symbol/font properties; "" for controls."""
        if c < " ":
            return ""
        if (c == "(" and not self.sym) or (c != "(" and not self.wing):
            return c
        props = dict(sprms(self.chpx.at(self.pieces.fc(cp))))
        symbol, font = props.get(0x6A09, b""), props.get(0x4A4F, b"")
        if c == "(" and len(symbol) == 4:  # sprmCSymbol: font index, character code
            return symbol_char(self._font(u16(symbol, 0)), u16(symbol, 2))
        if c != "(" and len(font) == 2 and self._font(u16(font, 0)) == "wingdings":  # sprmCRgFtc0
            return chr(0xF000 | ord(c))
        return c

    def _font(self, index: int) -> str:
        return self.fonts[index].strip().lower() if index < len(self.fonts) else ""
