"""Word 97-2003 binary documents (.doc/.dot, [MS-DOC]): text from the piece table, with its place.

Reads the OLE2 streams with olefile and the Word structures with ``wordbin``; no office suite.
Yields, in this order: headers (PlcfHdd stories: part "header", name "default"/"first"/"even",
each distinct text once), WordArt text of shapes (part "watermark", as Word's watermarks are),
the main document (body paragraphs, table cells, tracked deletions), footers, header text boxes
(part "header"), text boxes (on the page of their anchor), footnotes, endnotes and comments (on
the page of their reference; comments named by author), then the document properties
(SummaryInformation and DocumentSummaryInformation with the user-defined ones, named like the
DOCX extractor's: title, subject, creator, keywords, description, lastModifiedBy, category,
Manager, Company, custom names). Block text is stripped; empty paragraphs are counted but not
yielded. The Kingsoft .wps extractor calls ``extract`` for its files too.

Body paragraphs are counted like the DOCX extractor's: every paragraph outside tables, 1-based.
Tables: the paragraph properties (PAPX) say which paragraphs are in a table and which 0x07 mark
ends a row (sprmPFTtp), so a cell is ``Location("table", table=N, cell="B3")``; a file with no
row-end properties at all falls back to "0x07 0x07 ends a row", which misreads an empty cell
before a row end. Nested tables are read as paragraphs of their outer cell. Pages: 1 + the page
breaks seen (0x0C inside a paragraph, sprmPFPageBreakBefore, section marks whose next section
is not continuous); ``section_start`` marks the first non-empty block after any of them and
after a continuous section mark. Tracked deletions (sprmCFRMarkDel) are not body text: they
come as part "revision" (name = the part they stand in), like the DOCX extractor's.

Fields keep their result and drop their code (a code never hides text past its paragraph);
object anchors (0x01, 0x08), note marks (0x02, 0x05) and other controls are dropped; 0x0B and
0x0E are line breaks, 0x1E is "-". Symbols: a 0x28 "(" whose run has sprmCSymbol (how Word
stores Insert > Symbol) becomes the symbol's code, Wingdings codes as U+F0xx, so the Wingdings
star is U+F0AB as in DOCX; a U+0080-U+00FF character in a run whose own font (sprmCRgFtc0) is
Wingdings (``«``) becomes U+F0xx too; U+F0AB in the text passes through (markings maps it to
★). Other symbol fonts' codes give U+FFFD. Fonts inherited from styles are not looked at.
"""

from __future__ import annotations

import bisect
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import olefile

from scanner.errors import CorruptFile
from scanner.extractors import wordbin as wb
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "doc"

_SPECIAL = re.compile(r"[\x00-\x1f(\x80-\xff]")
_KEEP = {"\t": "\t", "\x0b": "\n", "\x0e": "\n", "\x1e": "-"}
_HDD = (("header", "even"), ("header", "default"), ("footer", "even"), ("footer", "default"),
        ("header", "first"), ("footer", "first"))
_SYMBOL_FONTS = frozenset({"symbol", "wingdings 2", "wingdings 3", "webdings"})
_SUMMARY = {2: "title", 3: "subject", 4: "creator", 5: "keywords", 6: "description", 8: "lastModifiedBy"}
_DOCSUMMARY = {2: "category", 14: "Manager", 15: "Company"}
_USER_FMTID = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")


def sniff(probe: Probe) -> bool:
    """True for an OLE2 file with a WordDocument stream, whatever its name."""
    return probe.is_ole and "WordDocument" in probe.ole_names


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield the document's text blocks (see the module docstring), then its properties.

    Stops after about ``options.max_text_chars`` characters (properties are always given).
    Raises EncryptedFile (password-protected), CorruptFile (broken streams or structures),
    UnsupportedContent (Word 6/95).
    """
    try:
        ole = olefile.OleFileIO(data)
    except (OSError, ValueError, EOFError, IndexError, TypeError, struct.error) as exc:
        raise CorruptFile(f"not a readable OLE2 compound file: {exc}") from exc
    with ole:
        props, codepage = _properties(ole)
        budget = options.max_text_chars
        for block in _Reader(_load(ole, codepage), options.max_text_chars).blocks():
            yield block
            budget -= len(block.text)
            if budget < 0:
                break
        yield from props


@dataclass(slots=True)
class _Doc:
    fib: wb.Fib
    word: bytes
    table: bytes
    pieces: wb.Pieces
    papx: wb.Runs
    chpx: wb.Runs
    fonts: list[str]
    sections: dict[int, bool]  # CP of a section mark -> the next section starts on a new page

    def plc(self, index: int, cb_data: int) -> tuple[list[int], list[bytes]]:
        fc, lcb = self.fib.pair(index)
        return wb.plc(wb.blob_at(self.table, fc, lcb, "Word PLC"), cb_data, "Word PLC") if lcb else ([], [])


def _load(ole: olefile.OleFileIO, codepage: str | None) -> _Doc:
    try:
        word = _stream(ole, "WordDocument")
        fib = wb.parse_fib(word)
        table = _stream(ole, fib.table)
        fc, lcb = fib.pair(wb.CLX)
        pieces = wb.Pieces(word, wb.blob_at(table, fc, lcb, "Word CLX"), codepage or fib.codepage())
        papx = wb.fkp_runs(word, table, *fib.pair(wb.PLCFBTEPAPX), papx=True)
        chpx = wb.fkp_runs(word, table, *fib.pair(wb.PLCFBTECHPX), papx=False)
        fonts = wb.font_names(wb.blob_at(table, *fib.pair(wb.STTBFFFN), "Word font table"))
        doc = _Doc(fib, word, table, pieces, papx, chpx, fonts, {})
        cps, seds = doc.plc(wb.PLCFSED, 12)
    except (struct.error, IndexError) as exc:
        raise CorruptFile(f"Word structures are truncated: {exc}") from exc
    for i, cp in enumerate(cps[1:-1]):
        doc.sections[cp - 1] = _new_page(doc, seds[i + 1])
    return doc


def _stream(ole: olefile.OleFileIO, name: str) -> bytes:
    if not ole.exists(name):
        raise CorruptFile(f"Word document has no {name} stream")
    try:
        return ole.openstream(name).read()
    except (OSError, ValueError, EOFError, IndexError, struct.error) as exc:
        raise CorruptFile(f"stream {name} cannot be read: {exc}") from exc


def _new_page(doc: _Doc, sed: bytes) -> bool:
    """True unless the section's SEPX says it starts continuously or in a new column (sprmSBkc)."""
    fc = struct.unpack_from("<i", sed, 2)[0]
    if fc < 0 or fc + 2 > len(doc.word):
        return True
    grpprl = doc.word[fc + 2:fc + 2 + wb.u16(doc.word, fc)]
    return all(op[0] >= 2 for sprm, op in wb.sprms(grpprl) if sprm == 0x3009)


@dataclass(slots=True)
class _Para:
    start: int  # CP of its first character
    cp: int = 0  # CP of the mark that ends it
    mark: str = ""  # "\r", "\x07", "\x0c" (section mark) or "" (the story ended without a mark)
    segs: list[str] = field(default_factory=lambda: [""])  # text split at page breaks ...
    splits: list[int] = field(default_factory=list)  # ... at these CPs
    deleted: list[str] = field(default_factory=list)  # tracked deletions (sprmCFRMarkDel)


class _Reader:
    """Walks the stories of one document and yields its blocks."""

    def __init__(self, doc: _Doc, limit: int) -> None:
        self.doc, self.limit = doc, limit
        self.page, self.start, self.paragraph, self.tables = 1, False, 0, 0
        self.row = self.col = 0
        self.cell: list[str] = []
        self.cell_deleted: list[str] = []
        self.prev_mark = ""
        self.breaks: list[int] = []  # CPs where a new page begins
        chpx = list(zip(doc.chpx.starts, doc.chpx.ends, [dict(wb.sprms(g)) for g in doc.chpx.grpprls],
                        strict=True))
        self.ttp = any(s in (0x2417, 0x244C) for g in doc.papx.grpprls for s, _ in wb.sprms(g))
        self.sym = any(0x6A09 in props for _a, _b, props in chpx)
        self.wing = any(f.strip().lower() == "wingdings" for f in doc.fonts)
        self.deleted = sorted(r for a, b, props in chpx if props.get(0x0800, b"\0")[0] & 1
                              for r in doc.pieces.cps_of(a, b))
        self.gone: dict[int, str] = {}

    def blocks(self) -> Iterator[TextBlock]:
        headers = list(self._headers())
        yield from (b for b in headers if b.location.part == "header")
        for text in wb.art_texts(self._blob(wb.DGGINFO)):
            if text.strip():
                yield TextBlock(text.strip(), Location("watermark"))
        yield from self._body()
        yield from (b for b in headers if b.location.part == "footer")
        yield from self._plain("header_textbox", Location("header"))
        yield from self._textboxes()
        yield from self._notes("footnote", wb.PLCFNDREF, wb.PLCFNDTXT, 2)
        yield from self._notes("endnote", wb.PLCFENDREF, wb.PLCFENDTXT, 2)
        yield from self._notes("comment", wb.PLCFANDREF, wb.PLCFANDTXT, 30)

    def _blob(self, index: int) -> bytes:
        fc, lcb = self.doc.fib.pair(index)
        return wb.blob_at(self.doc.table, fc, lcb, "Word table stream data") if lcb else b""

    def _body(self) -> Iterator[TextBlock]:
        for para in self._paragraphs(0, self.doc.fib.ccp["main"], main=True):
            grpprl = self.doc.papx.at(self.doc.pieces.fc(para.cp))
            flags = {s: op[0] for s, op in wb.sprms(grpprl) if s in (0x2416, 0x2417, 0x2407, 0x6649)}
            if flags.get(0x2407) and (self.paragraph or self.tables):  # sprmPFPageBreakBefore
                self._break(para.start)
            if flags.get(0x2416) or flags.get(0x6649) or para.mark == "\x07":
                yield from self._table_paragraph(para, bool(flags.get(0x2417)))
            else:
                yield from self._body_paragraph(para)

    def _body_paragraph(self, para: _Para) -> Iterator[TextBlock]:
        self.row, self.cell, self.cell_deleted, self.prev_mark = 0, [], [], ""
        self.paragraph += 1
        for i, seg in enumerate(para.segs):
            if i:
                self._break(para.splits[i - 1])
            yield from self._emit(seg, Location("body", page=self.page, paragraph=self.paragraph))
        yield from _revision(para.deleted, Location("body", page=self.page, paragraph=self.paragraph))
        if para.mark == "\x0c":
            if self.doc.sections.get(para.cp, True):
                self._break(para.cp + 1)
            self.start = True

    def _table_paragraph(self, para: _Para, row_end: bool) -> Iterator[TextBlock]:
        """A paragraph in a table: part of a cell, the end of a cell (0x07) or of a row (TTP)."""
        text = "\n".join(s for s in para.segs if s)
        if not self.row:
            self.tables, self.row, self.col = self.tables + 1, 1, 0
        if not self.ttp:  # no row-end properties in this file: guess from the marks
            row_end = self.prev_mark == "\x07" and para.mark == "\x07" and not text
        self.prev_mark = para.mark
        self.cell.append(text)
        self.cell_deleted += para.deleted
        if para.mark == "\x07" and not row_end:
            loc = Location("table", page=self.page, table=self.tables, cell=f"{_column(self.col)}{self.row}")
            yield from self._emit("\n".join(c for c in self.cell if c), loc)
            yield from _revision(self.cell_deleted, loc)
        if para.mark == "\x07" or row_end:
            self.cell, self.cell_deleted = [], []
            self.row, self.col = (self.row + 1, 0) if row_end else (self.row, self.col + 1)
        for cp in para.splits:
            self._break(cp)

    def _emit(self, text: str, loc: Location) -> Iterator[TextBlock]:
        text = wb.join_surrogates(text).strip()
        if text:
            yield TextBlock(text, loc, section_start=self.start)
            self.start = False

    def _break(self, cp: int) -> None:
        self.page += 1
        self.start = True
        self.breaks.append(cp)

    def _headers(self) -> Iterator[TextBlock]:
        """Each header/footer story once (a section that inherits its predecessor's has an empty one)."""
        size = self.doc.fib.ccp["header"]
        cps, _ = self.doc.plc(wb.PLCFHDD, 0)
        if size and len(cps) < 8:  # no story table: the whole header document as one "header"
            yield from self._plain("header", Location("header"))
            return
        base = self.doc.fib.story_start("header")
        seen: set[tuple[str, str, str]] = set()
        for i in range(6, len(cps) - 2):  # stories 0-5 are note separators; two closing CPs
            part, name = _HDD[(i - 6) % 6]
            a, b = (base + max(0, min(cp, size)) for cp in cps[i:i + 2])
            for para in self._paragraphs(a, b):
                text = _text(para)
                if text and (part, name, text) not in seen:
                    seen.add((part, name, text))
                    yield TextBlock(text, Location(part, name=name))

    def _plain(self, story: str, loc: Location) -> Iterator[TextBlock]:
        start = self.doc.fib.story_start(story)
        for para in self._paragraphs(start, start + self.doc.fib.ccp[story]):
            yield from _blocks(para, loc)

    def _textboxes(self) -> Iterator[TextBlock]:
        """Text boxes, each on the page of its anchor in the main text (FTXBXS.lid = FSPA.spid)."""
        cps, data = self.doc.plc(wb.PLCFTXBXTXT, 22)
        spa_cps, spas = self.doc.plc(wb.PLCSPAMOM, 26)
        anchors = {int.from_bytes(spa[:4], "little"): cp for cp, spa in zip(spa_cps, spas, strict=False)}
        pages = [self._page_at(anchors.get(int.from_bytes(d[14:18], "little"))) for d in data]
        yield from self._parts("textbox", cps, [Location("textbox", page=p) for p in pages])

    def _notes(self, story: str, ref_index: int, txt_index: int, cb_ref: int) -> Iterator[TextBlock]:
        """Footnotes, endnotes, comments: each on the page of its reference, comments named by author."""
        refs, data = self.doc.plc(ref_index, cb_ref)
        txt, _ = self.doc.plc(txt_index, 0)
        owners = wb.xst_list(self._blob(wb.GRPXSTATNOWNERS)) if story == "comment" else []
        locs = []
        for ref, item in zip(refs, data, strict=False):
            ibst = wb.u16(item, 20) if story == "comment" else len(owners)  # ATRDPre10.ibst: the author
            name = owners[ibst] or None if ibst < len(owners) else None
            locs.append(Location(story, page=self._page_at(ref), name=name))
        yield from self._parts(story, txt, locs)

    def _parts(self, story: str, cps: list[int], locs: list[Location]) -> Iterator[TextBlock]:
        """Sub-stories [cps[i], cps[i+1]) of ``story`` at ``locs[i]``; the whole story when unsplit."""
        size = self.doc.fib.ccp[story]
        if not size or not locs or len(cps) <= len(locs):
            yield from self._plain(story, Location(story))
            return
        base = self.doc.fib.story_start(story)
        for i, loc in enumerate(locs):
            a, b = (base + max(0, min(cp, size)) for cp in cps[i:i + 2])
            for para in self._paragraphs(a, b):
                yield from _blocks(para, loc)

    def _page_at(self, cp: int | None) -> int | None:
        return None if cp is None else 1 + bisect.bisect_right(self.breaks, cp)

    def _paragraphs(self, start: int, end: int, main: bool = False) -> Iterator[_Para]:
        """The paragraphs of CPs [start, end): field codes dropped, controls mapped, breaks split.

        A field code never hides text beyond its paragraph, so a broken field cannot hide a document.
        """
        end = min(end, start + self.limit)
        text = self._deletions(start, self.doc.pieces.text(start, end))
        fields: list[bool] = []  # per open field: True once its result began
        para, pos = _Para(start), 0
        for match in _SPECIAL.finditer(text):
            at = match.start()
            if all(fields):
                para.segs[-1] += text[pos:at]
            pos = at + 1
            c, cp = match.group(), start + at
            if c in "\r\x07" or (c == "\x0c" and cp in self.doc.sections):
                para.cp, para.mark = cp, c
                yield para
                para, fields = _Para(cp + 1), [f for f in fields if f]
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
        props = dict(wb.sprms(self.doc.chpx.at(self.doc.pieces.fc(cp))))
        symbol, font = props.get(0x6A09, b""), props.get(0x4A4F, b"")
        if c == "(" and len(symbol) == 4:  # sprmCSymbol: font index, character code
            return _symbol(self._font(wb.u16(symbol, 0)), wb.u16(symbol, 2))
        if c != "(" and len(font) == 2 and self._font(wb.u16(font, 0)) == "wingdings":  # sprmCRgFtc0
            return chr(0xF000 | ord(c))
        return c

    def _font(self, index: int) -> str:
        return self.doc.fonts[index].strip().lower() if index < len(self.doc.fonts) else ""


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _symbol(font: str, code: int) -> str:
    low = code < 0x100 or 0xF000 <= code <= 0xF0FF
    if font == "wingdings" and low:
        return chr(0xF000 | (code & 0xFF))
    if (low and font in _SYMBOL_FONTS) or 0xF000 <= code <= 0xF0FF or 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return chr(code) if code else "\ufffd"


def _text(para: _Para) -> str:
    return wb.join_surrogates(" ".join(s for s in para.segs if s)).strip()


def _blocks(para: _Para, loc: Location) -> Iterator[TextBlock]:
    text = _text(para)
    if text:
        yield TextBlock(text, loc)
    yield from _revision(para.deleted, loc)


def _revision(deleted: list[str], loc: Location) -> Iterator[TextBlock]:
    """Tracked-deleted text of a paragraph or cell, at its place (like the DOCX extractor's)."""
    text = wb.join_surrogates("".join(deleted)).strip()
    if text:
        yield TextBlock(text, replace(loc, part="revision", name=loc.part))


def _properties(ole: olefile.OleFileIO) -> tuple[list[TextBlock], str | None]:
    """Document properties as blocks, and the CJK codepage of SummaryInformation (if it is one)."""
    blocks: list[TextBlock] = []
    codepage = None
    streams = (("\x05SummaryInformation", _SUMMARY), ("\x05DocumentSummaryInformation", _DOCSUMMARY))
    for stream, names in streams:
        if not ole.exists(stream):
            continue
        try:
            blob = ole.openstream(stream).read()
            for fmtid, values, cp in _property_sets(blob):
                codepage = codepage or wb.CJK_CODEPAGES.get(cp)
                table = values.pop(0, {}) if fmtid == _USER_FMTID else names
                for pid, value in values.items():
                    if pid in table and isinstance(value, str) and value.strip():
                        blocks.append(TextBlock(value.strip(), Location("properties", name=table[pid])))
        except (struct.error, IndexError, ValueError, OSError):
            continue  # broken property sets hide nothing of the text; the body is still read
    return blocks, codepage


def _property_sets(blob: bytes) -> Iterator[tuple[bytes, dict, int]]:
    """(FMTID, {property id: value}, codepage) of each section of a property set stream ([MS-OLEPS])."""
    for i in range(struct.unpack_from("<I", blob, 24)[0]):
        fmtid = blob[28 + 20 * i:44 + 20 * i]
        base = struct.unpack_from("<I", blob, 44 + 20 * i)[0]
        count = struct.unpack_from("<I", blob, base + 4)[0]
        pairs = struct.unpack_from(f"<{2 * count}I", blob, base + 8)
        offsets = dict(zip(pairs[::2], pairs[1::2], strict=True))
        cp = struct.unpack_from("<H", blob, base + offsets[1] + 4)[0] if 1 in offsets else 1252
        values: dict[int, object] = {}
        for pid, off in offsets.items():
            values[pid] = _dictionary(blob, base + off, cp) if pid == 0 else _value(blob, base + off, cp)
        yield fmtid, values, cp


def _value(blob: bytes, at: int, cp: int) -> object:
    kind, size = struct.unpack_from("<HxxI", blob, at)
    if kind == 30:  # VT_LPSTR in the section's codepage
        return _decode(blob[at + 8:at + 8 + size], cp)
    if kind == 31:  # VT_LPWSTR
        return blob[at + 8:at + 8 + 2 * size].decode("utf-16-le", "replace").split("\x00", 1)[0]
    if kind == 3:  # VT_I4
        return str(struct.unpack_from("<i", blob, at + 4)[0])
    return None


def _dictionary(blob: bytes, at: int, cp: int) -> dict[int, str]:
    names: dict[int, str] = {}
    pos = at + 4
    for _ in range(struct.unpack_from("<I", blob, at)[0]):
        pid, size = struct.unpack_from("<II", blob, pos)
        if cp == 1200:
            names[pid] = _decode(blob[pos + 8:pos + 8 + 2 * size], cp)
            pos += 8 + 2 * size + (-2 * size % 4)
        else:
            names[pid] = _decode(blob[pos + 8:pos + 8 + size], cp)
            pos += 8 + size
    return names


def _decode(raw: bytes, cp: int) -> str:
    codec = {1200: "utf-16-le", 65001: "utf-8", 936: "gb18030", 10008: "gb18030"}.get(cp, f"cp{cp}")
    try:
        return raw.decode(codec, "replace").split("\x00", 1)[0]
    except LookupError:
        return raw.decode("cp1252", "replace").split("\x00", 1)[0]
