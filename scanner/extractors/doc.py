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

Text within a story (fields, controls, symbols and Wingdings glyphs, tracked deletions) is read as
``wordtext`` describes: fields keep their result, the Wingdings star is U+F0AB as in DOCX.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO

import olefile

from scanner.errors import CorruptFile
from scanner.extractors import oleprops
from scanner.extractors import wordbin as wb
from scanner.extractors.ooxml import column_name
from scanner.extractors.wordtext import Para, Paragraphs, Pieces, join_surrogates
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "doc"

_HDD = (("header", "even"), ("header", "default"), ("footer", "even"), ("footer", "default"),
        ("header", "first"), ("footer", "first"))


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
        props, codepages = oleprops.properties(ole)
        codepage = next((wb.CJK_CODEPAGES[cp] for cp in codepages if cp in wb.CJK_CODEPAGES), None)
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
    pieces: Pieces
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
        pieces = Pieces(word, wb.blob_at(table, fc, lcb, "Word CLX"), codepage or fib.codepage())
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


class _Reader:
    """Walks the stories of one document and yields its blocks."""

    def __init__(self, doc: _Doc, limit: int) -> None:
        self.doc = doc
        self.page, self.start, self.paragraph, self.tables = 1, False, 0, 0
        self.row = self.col = 0
        self.cell: list[str] = []
        self.cell_deleted: list[str] = []
        self.prev_mark = ""
        self.breaks: list[int] = []  # CPs where a new page begins
        self.text = Paragraphs(doc.pieces, doc.chpx, doc.fonts, doc.sections, limit)
        self.ttp = any(s in (0x2417, 0x244C) for g in doc.papx.grpprls for s, _ in wb.sprms(g))

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
        for para in self.text.read(0, self.doc.fib.ccp["main"], main=True):
            grpprl = self.doc.papx.at(self.doc.pieces.fc(para.cp))
            flags = {s: op[0] for s, op in wb.sprms(grpprl) if s in (0x2416, 0x2417, 0x2407, 0x6649)}
            if flags.get(0x2407) and (self.paragraph or self.tables):  # sprmPFPageBreakBefore
                self._break(para.start)
            if flags.get(0x2416) or flags.get(0x6649) or para.mark == "\x07":
                yield from self._table_paragraph(para, bool(flags.get(0x2417)))
            else:
                yield from self._body_paragraph(para)

    def _body_paragraph(self, para: Para) -> Iterator[TextBlock]:
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

    def _table_paragraph(self, para: Para, row_end: bool) -> Iterator[TextBlock]:
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
            cell = f"{column_name(self.col)}{self.row}"
            loc = Location("table", page=self.page, table=self.tables, cell=cell)
            yield from self._emit("\n".join(c for c in self.cell if c), loc)
            yield from _revision(self.cell_deleted, loc)
        if para.mark == "\x07" or row_end:
            self.cell, self.cell_deleted = [], []
            self.row, self.col = (self.row + 1, 0) if row_end else (self.row, self.col + 1)
        for cp in para.splits:
            self._break(cp)

    def _emit(self, text: str, loc: Location) -> Iterator[TextBlock]:
        text = join_surrogates(text).strip()
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
            for para in self.text.read(a, b):
                text = _text(para)
                if text and (part, name, text) not in seen:
                    seen.add((part, name, text))
                    yield TextBlock(text, Location(part, name=name))

    def _plain(self, story: str, loc: Location) -> Iterator[TextBlock]:
        start = self.doc.fib.story_start(story)
        for para in self.text.read(start, start + self.doc.fib.ccp[story]):
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
            for para in self.text.read(a, b):
                yield from _blocks(para, loc)

    def _page_at(self, cp: int | None) -> int | None:
        return None if cp is None else 1 + bisect.bisect_right(self.breaks, cp)

def _text(para: Para) -> str:
    return join_surrogates(" ".join(s for s in para.segs if s)).strip()


def _blocks(para: Para, loc: Location) -> Iterator[TextBlock]:
    text = _text(para)
    if text:
        yield TextBlock(text, loc)
    yield from _revision(para.deleted, loc)


def _revision(deleted: list[str], loc: Location) -> Iterator[TextBlock]:
    """Tracked-deleted text of a paragraph or cell, at its place (like the DOCX extractor's)."""
    text = join_surrogates("".join(deleted)).strip()
    if text:
        yield TextBlock(text, replace(loc, part="revision", name=loc.part))
