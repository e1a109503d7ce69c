"""Excel 97-2003 workbooks (.xls, BIFF8; BIFF5 "Book" streams too): cells, sheet names,
headers/footers, comments and document properties.

Cells and comments come from xlrd, fed the raw Workbook stream (olefile has already read the
compound file, so it is not parsed twice). xlrd does not read HEADER/FOOTER records, so each sheet's
prologue is walked here for them; they precede the cell table (MS-XLS PAGESETUP), so the walk
stops at DIMENSIONS and never touches the cells.

Block order, as for xlsx: document properties first, then per sheet in workbook order (hidden and
very hidden sheets too, chart and macro sheets by name and headers only): the sheet name,
header/footer sections, string cells (and identifier-like numbers of 7 or more digits) row-major,
comments. ``options.max_cells`` counts valued cells across the workbook; once it is spent no
further sheet is loaded. xlrd holds one sheet at a time (on_demand, ragged rows), so memory is
that of the largest sheet's cells, which BIFF8 caps at 65,536 x 256.

This module also holds the OLE2 helpers that ppt.py and wps.py share (opening the compound file,
bounded stream reads, document properties, the text cap).
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

import olefile
import xlrd
from xlrd.biffh import unpack_string, unpack_unicode, unpack_unicode_update_pos

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors.xlsx import header_footer_sections
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "xls"
STREAMS = ("Workbook", "Book")  # BIFF8 (Excel 97-2003) and BIFF5 (Excel 5/95)

BOF, EOF, FILEPASS, BOUNDSHEET, DIMENSIONS = 0x0809, 0x000A, 0x002F, 0x0085, 0x0200
HEADER, FOOTER, HEADER_FOOTER = 0x0014, 0x0015, 0x089C
EMPTY, TEXT, NUMBER, BLANK = xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_TEXT, xlrd.XL_CELL_NUMBER, xlrd.XL_CELL_BLANK
WORKSHEET = 0  # BOUNDSHEET sheet type; 1 macro sheet, 2 chart, 6 VBA module
MAX_PROLOGUE_RECORDS = 4096  # a sheet's records walked looking for its headers
# xlrd and BIFF garbage raise these; anything else is a bug and goes to scan.py's boundary.
XLRD_ERRORS = (xlrd.XLRDError, xlrd.compdoc.CompDocError, xlrd.formula.FormulaError, struct.error, IndexError,
               KeyError, ValueError, AssertionError, UnicodeDecodeError, LookupError, TypeError,
               ZeroDivisionError, UnboundLocalError)
OLE_ERRORS = (OSError, ValueError, EOFError, IndexError, TypeError, struct.error, KeyError)

# Property sets (MS-OLEPS), read here: olefile's get_metadata loops for ever on a vector property
# with a huge count. Property ids -> the names the OOXML extractors use.
PROPERTY_STREAMS = ("\x05SummaryInformation", "\x05DocumentSummaryInformation")
FMTID_SUMMARY = bytes.fromhex("e0859ff2f94f6810ab9108002b27b3d9")  # F29F85E0-4FF9-1068-AB91-08002B27B3D9
FMTID_DOC_SUMMARY = bytes.fromhex("02d5cdd59c2e1b10939708002b2cf9ae")  # D5CDD502-2E9C-101B-9397-...
FMTID_USER = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")  # D5CDD505-2E9C-101B-9397-08002B2CF9AE
PROPERTY_NAMES = {FMTID_SUMMARY: {2: "title", 3: "subject", 4: "creator", 5: "keywords", 6: "description",
                                  8: "lastModifiedBy"},
                  FMTID_DOC_SUMMARY: {2: "category", 14: "Manager", 15: "Company"}}
MAX_PROPERTIES = 4096
MAX_PROPERTY_SET = 16 << 20  # bytes; a few KB, or hundreds of KB with a thumbnail
VT_LPSTR, VT_LPWSTR, CP_UNICODE = 0x1E, 0x1F, 1200


def sniff(probe: Probe) -> bool:
    """True for OLE2 files with an Excel workbook stream."""
    return probe.is_ole and any(name in probe.ole_names for name in STREAMS)


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield properties, then per sheet its name, headers/footers, cells and comments.

    Raises EncryptedFile (FILEPASS: a password-protected workbook, after its unencrypted
    properties) or CorruptFile.
    """
    ole = open_ole(data)
    try:
        name = next((n for n in STREAMS if ole.exists(n)), None)
        if name is None:
            raise CorruptFile("no Workbook stream in this OLE2 file")
        stream = read_stream(ole, name, data)
        yield from cap_text(_blocks(ole, stream, options), options.max_text_chars)
    finally:
        ole.close()


@dataclass(frozen=True, slots=True)
class _Sheet:
    name: str
    position: int  # offset of the sheet's BOF in the Workbook stream
    kind: int  # BOUNDSHEET type


def _blocks(ole: olefile.OleFileIO, stream: bytes, options: ScanOptions) -> Iterator[TextBlock]:
    yield from ole_properties(ole)
    book = _open_book(stream)
    try:
        unicode = book.biff_version >= 80
        used, index = 0, 0
        for sheet in _sheets(stream, unicode, book.encoding):
            if sheet.name.strip():
                yield TextBlock(sheet.name, Location(part="sheetname", sheet=sheet.name))
            yield from _header_footer(stream, sheet, unicode, book.encoding)
            if sheet.kind != WORKSHEET:
                continue
            if used < options.max_cells:
                try:
                    loaded = book.sheet_by_index(index)
                except XLRD_ERRORS as exc:
                    raise CorruptFile(f"sheet {sheet.name!r} cannot be read: {_one_line(exc)}") from exc
                used += yield from _cells(loaded, sheet.name, options.max_cells - used)
                yield from _comments(loaded, sheet.name)
                book.unload_sheet(index)
            index += 1
    finally:
        book.release_resources()


def _open_book(stream: bytes) -> xlrd.book.Book:
    """Open the workbook globals with xlrd. Raises EncryptedFile or CorruptFile."""
    try:
        return xlrd.open_workbook(file_contents=stream, on_demand=True, ragged_rows=True,
                                  formatting_info=False, logfile=_Discard(), verbosity=0)
    except XLRD_ERRORS as exc:
        if "encrypted" in str(exc).lower():
            raise EncryptedFile("password-protected workbook (FILEPASS)") from exc
        raise CorruptFile(f"not a readable Excel workbook: {_one_line(exc)}") from exc


class _Discard:
    """xlrd's log sink: it writes warnings to stdout otherwise, and stdout is the report."""

    def write(self, _: str) -> int:
        return 0


def _records(stream: bytes, pos: int) -> Iterator[tuple[int, bytes]]:
    """(type, data) of the BIFF records from ``pos`` to the end of the stream."""
    end = len(stream)
    while pos + 4 <= end:
        kind, size = struct.unpack_from("<HH", stream, pos)
        yield kind, stream[pos + 4:pos + 4 + size]
        pos += 4 + size


def _sheets(stream: bytes, unicode: bool, encoding: str) -> list[_Sheet]:
    """Every BOUNDSHEET of the globals substream, in workbook order."""
    sheets = []
    for kind, rec in _records(stream, 0):
        if kind == EOF:
            break
        if kind == BOUNDSHEET and len(rec) >= 7:
            position, kind_byte = struct.unpack_from("<I", rec)[0], rec[5]
            try:
                sheets.append(_Sheet(_string(rec, 6, 1, unicode, encoding), position, kind_byte))
            except XLRD_ERRORS as exc:
                raise CorruptFile(f"a sheet name cannot be decoded: {_one_line(exc)}") from exc
    return sheets


def _header_footer(stream: bytes, sheet: _Sheet, unicode: bool, encoding: str) -> Iterator[TextBlock]:
    """Header/footer sections of one sheet: HEADER, FOOTER and the Excel 2007 HeaderFooter record."""
    found: list[tuple[str, str, str]] = []  # (part, kind, raw string)
    for count, (kind, rec) in enumerate(_records(stream, sheet.position)):
        if kind in (DIMENSIONS, EOF) or count > MAX_PROLOGUE_RECORDS or (kind == BOF and count):
            break
        try:
            if kind in (HEADER, FOOTER) and rec:
                raw = _string(rec, 0, 2 if unicode else 1, unicode, encoding)
                found.append(("header" if kind == HEADER else "footer", "odd", raw))
            elif kind == HEADER_FOOTER:
                found.extend(_even_first(rec))
        except XLRD_ERRORS as exc:
            raise CorruptFile(f"sheet {sheet.name!r} has a broken header/footer: {_one_line(exc)}") from exc
    for part, kind, raw in found:
        for text in header_footer_sections(raw):
            yield TextBlock(text, Location(part=part, sheet=sheet.name, name=kind))


def _string(rec: bytes, pos: int, lenlen: int, unicode: bool, encoding: str) -> str:
    """A BIFF8 Unicode string, or a BIFF5 byte string in the workbook's code page."""
    if unicode:
        return unpack_unicode(rec, pos, lenlen=lenlen)
    return unpack_string(rec, pos, encoding, lenlen=lenlen)


def _even_first(rec: bytes) -> list[tuple[str, str, str]]:
    """The even-page and first-page headers/footers of a HeaderFooter record (MS-XLS 2.4.136)."""
    counts = struct.unpack_from("<4H", rec, 30)  # after frtHeader (12), guidSView (16), flags (2)
    pos, out = 38, []
    wheres = (("header", "even"), ("footer", "even"), ("header", "first"), ("footer", "first"))
    for cch, where in zip(counts, wheres, strict=True):
        if cch:
            raw, pos = unpack_unicode_update_pos(rec, pos, lenlen=2)
            out.append((where[0], where[1], raw))
    return out


def _cells(sheet: Any, name: str, limit: int) -> Generator[TextBlock, None, int]:
    """String cells and identifier-like numbers, row-major; returns how many valued cells were read."""
    count = 0
    for row in range(sheet.nrows):
        number = str(row + 1)
        for col, (kind, value) in enumerate(zip(sheet.row_types(row), sheet.row_values(row), strict=True)):
            if kind == TEXT:
                text = value
            elif kind == NUMBER:
                text = _identifier(value)
            elif kind == EMPTY or kind == BLANK:
                continue
            else:
                text = ""
            count += 1
            if text and not text.isspace():
                yield TextBlock(text, Location(part="cell", sheet=name, cell=COLUMNS[col] + number))
            if count >= limit:
                return count
    return count


def _identifier(value: float) -> str:
    """The digits of a number that looks like an identifier (an integer of 7 or more digits), else ''."""
    if 1_000_000 <= value < 1e30 and value == int(value):
        return str(int(value))
    return ""


def _column(col: int) -> str:
    """Column letters of a 0-based column index (any index: a damaged NOTE can name any)."""
    letters, col = "", col + 1
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


COLUMNS = [_column(col) for col in range(256)]  # BIFF8 and BIFF5 sheets have 256 columns


def _comments(sheet: Any, name: str) -> Iterator[TextBlock]:
    for (row, col), note in sorted(sheet.cell_note_map.items()):
        if note.text and note.text.strip():
            yield TextBlock(note.text, Location(part="comment", sheet=name, cell=_column(col) + str(row + 1),
                                                name=(note.author or "").strip() or None))


# --- OLE2 helpers shared with ppt.py and wps.py ---------------------------------------------------


def open_ole(data: BinaryIO) -> olefile.OleFileIO:
    """Open ``data`` as an OLE2 compound file. Raises CorruptFile."""
    data.seek(0)
    try:
        return olefile.OleFileIO(data)
    except OLE_ERRORS as exc:
        raise CorruptFile(f"not a readable OLE2 compound file: {_one_line(exc)}") from exc


def read_stream(ole: olefile.OleFileIO, name: str, data: BinaryIO) -> bytes:
    """The bytes of one stream. Raises CorruptFile when it cannot be read or declares more
    bytes than the whole file holds (a looping sector chain would otherwise read forever)."""
    size = data.seek(0, 2)
    try:
        if ole.get_size(name) > size:
            raise CorruptFile(f"stream {name} declares more bytes than the file holds")
        return ole.openstream(name).read()
    except OLE_ERRORS as exc:
        raise CorruptFile(f"stream {name} cannot be read: {_one_line(exc)}") from exc


def ole_properties(ole: olefile.OleFileIO) -> Iterator[TextBlock]:
    """Summary, document summary and custom (user-defined) string properties as ``properties``
    blocks, named as the OOXML extractors name them. Unreadable property sets are left out."""
    for stream in PROPERTY_STREAMS:
        try:  # olefile reads a whole stream when opening it: refuse absurd sizes first
            small = ole.exists(stream) and ole.get_size(stream) <= MAX_PROPERTY_SET
            blob = ole.openstream(stream).read() if small else b""
        except OLE_ERRORS:
            continue
        for name, value in property_strings(blob):
            yield TextBlock(value, Location(part="properties", name=name))


def property_strings(blob: bytes) -> list[tuple[str, str]]:
    """(name, value) of the string properties of a property-set stream: the known summary fields
    and every named user-defined one; [] when the stream is broken."""
    out = []
    try:
        for i in range(min(struct.unpack_from("<I", blob, 24)[0], 8)):
            fmtid, offset = blob[28 + 20 * i:44 + 20 * i], struct.unpack_from("<I", blob, 44 + 20 * i)[0]
            values, names = property_section(blob, offset)
            known = PROPERTY_NAMES.get(fmtid, names if fmtid == FMTID_USER else {})
            out += [(known[pid], value) for pid, value in values.items() if pid in known]
    except (struct.error, KeyError):
        pass
    return out


def property_section(blob: bytes, start: int) -> tuple[dict[int, str], dict[int, str]]:
    """The non-empty string values and the dictionary (id -> name) of the property-set section at
    ``start``. Raises struct.error or KeyError when it is broken."""
    count = struct.unpack_from("<I", blob, start + 4)[0]
    entries = range(min(count, MAX_PROPERTIES))
    table = dict(struct.unpack_from("<II", blob, start + 8 + 8 * i) for i in entries)
    cp = struct.unpack_from("<H", blob, start + table[1] + 4)[0] if 1 in table else 1252
    names: dict[int, str] = {}
    if 0 in table:  # the dictionary of a user-defined section
        pos = start + table[0]
        for _ in range(min(struct.unpack_from("<I", blob, pos)[0], MAX_PROPERTIES)):
            pid, cch = struct.unpack_from("<II", blob, pos + 4)
            raw = blob[pos + 12:pos + 12 + cch * (2 if cp == CP_UNICODE else 1)]
            names[pid] = _decode(raw, cp)
            pos += 8 + len(raw) + (-len(raw) % 4 if cp == CP_UNICODE else 0)
    values = {}
    for pid, offset in table.items():
        vt, cch = struct.unpack_from("<II", blob, start + offset)
        wide = vt & 0xFFFF == VT_LPWSTR
        if pid > 1 and vt & 0xFFFF in (VT_LPSTR, VT_LPWSTR):
            raw = blob[start + offset + 8:start + offset + 8 + cch * (2 if wide else 1)]
            if value := _decode(raw, CP_UNICODE if wide else cp).strip():
                values[pid] = value
    return values, names


def _decode(raw: bytes, codepage: int) -> str:
    """Bytes of a property string in its code page, NULs removed."""
    codec = "utf-16-le" if codepage == CP_UNICODE else f"cp{codepage}"
    try:
        codecs.lookup(codec)
    except LookupError:
        codec = "latin-1"
    return raw.decode(codec, errors="replace").replace("\x00", "")


def cap_text(blocks: Iterable[TextBlock], limit: int) -> Iterator[TextBlock]:
    """Pass ``blocks`` on until ``limit`` characters of text have gone by, cutting the last one."""
    left = limit
    for block in blocks:
        if len(block.text) >= left:
            if left > 0:
                yield replace(block, text=block.text[:left])
            return
        left -= len(block.text)
        yield block


def _one_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
