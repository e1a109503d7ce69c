"""PowerPoint 97-2003 presentations (.ppt): slide, notes and master text with shape geometry, properties.

The "PowerPoint Document" record stream (MS-PPT) is read the way PowerPoint reads it: Current User ->
the last UserEditAtom -> its persist directory and those of earlier edits (fast saves leave stale
copies of slides that a linear scan would report) -> the DocumentContainer, whose SlideListWithText
lists name the slides (instance 0), masters (1) and notes pages (2) in order.

A shape's text is in its OfficeArtClientTextbox or, for PowerPoint's placeholders, in the slide's
SlideListWithText entry that its OutlineTextRefAtom points at. Shapes are read top-to-bottom, then
left-to-right by anchor (group children mapped through their groups' coordinates); paragraphs split
at CR, a vertical tab is a line break, field placeholders (slide number, date) are dropped. ``band``
is the shape's vertical centre against the DocumentAtom's slide height (top 25%, bottom 10%, as for
PDF pages); notes pages have none.

Blocks: properties; master text ("master", paragraphs numbered across masters, repeats left out); the
deck's header/footer strings; then per slide its body ("body", slide, paragraph; ``section_start`` on
the first block of slides 2..), its header/footer strings and its notes ("notes").
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import olefile

from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors.xls import cap_text, ole_properties, open_ole, read_stream
from scanner.options import ScanOptions
from scanner.records import Location, TextBlock
from scanner.sniff import Probe

FORMAT = "ppt"
STREAM, CURRENT_USER, ENCRYPTED_SUMMARY = "PowerPoint Document", "Current User", "EncryptedSummary"
TOKEN_PLAIN, TOKEN_ENCRYPTED = 0xE391C05F, 0xF3D1C4DF

DOCUMENT, DOCUMENT_ATOM, SLIDE, NOTES, NOTES_ATOM = 0x03E8, 0x03E9, 0x03EE, 0x03F0, 0x03F1
MAIN_MASTER = 0x03F8
SLIDE_PERSIST, SLIDE_LIST, USER_EDIT, PERSIST_DIR, CRYPT_SESSION = 0x03F3, 0x0FF0, 0x0FF5, 0x1772, 0x2F14
HEADERS_FOOTERS, CSTRING, DRAWING = 0x0FD9, 0x0FBA, 0x040C
TEXT_HEADER, TEXT_CHARS, TEXT_BYTES, OUTLINE_REF = 0x0F9F, 0x0FA0, 0x0FA8, 0x0F9E
FIELDS = frozenset({0x0FD8, 0x0FF7, 0x0FF8, 0x0FF9, 0x0FFA})  # slide number, date-time, header, footer
GROUP, SHAPE, GROUP_PROPS, CHILD_ANCHOR, CLIENT_ANCHOR = 0xF003, 0xF004, 0xF009, 0xF00F, 0xF010
CLIENT_TEXTBOX, CLIENT_DATA = 0xF00D, 0xF011
HF_PARTS = {1: "header", 2: "footer"}  # CString instances in a HeadersFootersContainer (0 = date)
TOP_BAND, BOTTOM_BAND = 0.25, 0.90
MAX_DEPTH = 32  # nested groups and containers; deeper is a crafted file
MAX_EDITS = 10_000


@dataclass(frozen=True, slots=True)
class _Rec:
    kind: int
    instance: int
    start: int  # body offset
    end: int


@dataclass(slots=True)
class _Entry:
    """One SlideListWithText entry: the persist reference, the slide id and its outline texts."""

    ref: int
    slide_id: int
    texts: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Deck:
    stream: bytes
    offsets: dict[int, int]  # persist id -> stream offset of the object
    height: int  # slide height in master units, 0 when unknown
    lists: dict[int, list[_Entry]]  # SlideListWithText instance -> entries
    document: _Rec


def sniff(probe: Probe) -> bool:
    """True for OLE2 files with a PowerPoint document stream."""
    return probe.is_ole and STREAM in probe.ole_names


def extract(data: BinaryIO, options: ScanOptions) -> Iterator[TextBlock]:
    """Yield properties, master text, then slides with their notes. Raises EncryptedFile (after the
    unencrypted properties) or CorruptFile."""
    ole = open_ole(data)
    try:
        if not ole.exists(STREAM) or not ole.exists(CURRENT_USER):
            raise CorruptFile("a PowerPoint file needs both the PowerPoint Document and Current User streams")
        stream, user = read_stream(ole, STREAM, data), read_stream(ole, CURRENT_USER, data)
        encrypted = ole.exists(ENCRYPTED_SUMMARY)
        yield from cap_text(_blocks(ole, stream, user, encrypted), options.max_text_chars)
    finally:
        ole.close()


def _blocks(ole: olefile.OleFileIO, stream: bytes, user: bytes, encrypted: bool) -> Iterator[TextBlock]:
    yield from ole_properties(ole)
    if encrypted:
        raise EncryptedFile("password-protected presentation (EncryptedSummary stream)")
    yield from read_deck(stream, user)


def read_deck(stream: bytes, current_user: bytes) -> Iterator[TextBlock]:
    """The text blocks of a "PowerPoint Document" stream, given the "Current User" stream, in the
    order of the module docstring. Raises EncryptedFile or CorruptFile."""
    deck = _load(stream, current_user)
    yield from _masters(deck)
    yield from _headers_footers(deck, deck.document, None)
    notes = _notes_by_slide(deck)
    for number, entry in enumerate(deck.lists.get(0, []), 1):
        first = number > 1
        for paragraph, text, band in _paragraphs(deck, entry, with_band=True):
            yield TextBlock(text, Location(part="body", slide=number, paragraph=paragraph), band, first)
            first = False
        if (rec := _record_at(deck, entry.ref)) is not None:
            yield from _headers_footers(deck, rec, number)
        page = notes.get(entry.slide_id)
        for paragraph, text, _ in _paragraphs(deck, page, with_band=False) if page else ():
            yield TextBlock(text, Location(part="notes", slide=number, paragraph=paragraph))


def _masters(deck: _Deck) -> Iterator[TextBlock]:
    """Master text, paragraphs numbered across masters; a paragraph an earlier master had is left out
    (LibreOffice writes one master per layout, all alike)."""
    seen: set[str] = set()
    base = 0
    for entry in deck.lists.get(1, []):
        last = 0
        for last, text, band in _paragraphs(deck, entry, with_band=True):
            if text not in seen:
                seen.add(text)
                yield TextBlock(text, Location(part="master", paragraph=base + last), band)
        base += last


def _notes_by_slide(deck: _Deck) -> dict[int, _Entry]:
    """Notes pages by the slide id their NotesAtom names."""
    notes = {}
    for entry in deck.lists.get(2, []):
        rec = _record_at(deck, entry.ref)
        atom = _child(deck.stream, rec, NOTES_ATOM) if rec and rec.kind == NOTES else None
        if atom is not None and atom.end - atom.start >= 4:
            notes[struct.unpack_from("<I", deck.stream, atom.start)[0]] = entry
    return notes


def _load(stream: bytes, user: bytes) -> _Deck:
    """Follow Current User to the live persist directory and the DocumentContainer."""
    if len(user) < 20:
        raise CorruptFile("the Current User stream is too short")
    token, edit = struct.unpack_from("<II", user, 12)
    if token == TOKEN_ENCRYPTED:
        raise EncryptedFile("password-protected presentation (encrypted Current User token)")
    if token != TOKEN_PLAIN:
        raise CorruptFile(f"not a PowerPoint 97-2003 presentation (Current User token {token:#x})")
    offsets: dict[int, int] = {}
    doc_ref, crypt_ref, seen = None, 0, set()
    while edit and edit not in seen and len(seen) < MAX_EDITS:
        seen.add(edit)
        rec = _record(stream, edit, len(stream))
        if rec is None or rec.kind != USER_EDIT or rec.end - rec.start < 28:
            raise CorruptFile(f"no UserEditAtom at offset {edit}")
        last, directory, doc = struct.unpack_from("<III", stream, rec.start + 8)
        if doc_ref is None:
            doc_ref = doc
            if rec.end - rec.start >= 32:  # encryptSessionPersistIdRef
                crypt_ref = struct.unpack_from("<I", stream, rec.start + 28)[0]
        _persist_directory(stream, directory, offsets)
        edit = last
    crypt = _record(stream, offsets[crypt_ref], len(stream)) if crypt_ref in offsets else None
    if crypt is not None and crypt.kind == CRYPT_SESSION:
        raise EncryptedFile("password-protected presentation (CryptSession10Container)")
    document = _record(stream, offsets.get(doc_ref or 0, -1), len(stream))
    if document is None or document.kind != DOCUMENT:
        raise CorruptFile("the persist directory names no DocumentContainer")
    height, lists = 0, {}
    for rec in _children(stream, document):
        if rec.kind == DOCUMENT_ATOM and rec.end - rec.start >= 8:
            height = struct.unpack_from("<i", stream, rec.start + 4)[0]
        elif rec.kind == SLIDE_LIST:
            lists.setdefault(rec.instance, _slide_list(stream, rec))
    return _Deck(stream, offsets, height, lists, document)


def _persist_directory(stream: bytes, offset: int, out: dict[int, int]) -> None:
    """Add one PersistDirectoryAtom's entries to ``out``; newer edits were added first and win."""
    rec = _record(stream, offset, len(stream))
    if rec is None or rec.kind != PERSIST_DIR:
        raise CorruptFile(f"no PersistDirectoryAtom at offset {offset}")
    pos = rec.start
    while pos + 4 <= rec.end:
        head = struct.unpack_from("<I", stream, pos)[0]
        first, count = head & 0xFFFFF, head >> 20
        for i in range(min(count, (rec.end - pos - 4) // 4)):
            out.setdefault(first + i, struct.unpack_from("<I", stream, pos + 4 + 4 * i)[0])
        pos += 4 + 4 * count


def _slide_list(stream: bytes, rec: _Rec) -> list[_Entry]:
    entries: list[_Entry] = []
    for child in _children(stream, rec):
        if child.kind == SLIDE_PERSIST and child.end - child.start >= 16:
            ref, _, _, slide_id = struct.unpack_from("<IIiI", stream, child.start)
            entries.append(_Entry(ref, slide_id))
        elif entries and child.kind == TEXT_HEADER:
            entries[-1].texts.append("")
        elif entries and entries[-1].texts and child.kind in (TEXT_CHARS, TEXT_BYTES):
            entries[-1].texts[-1] = _decode(stream, child)
    return entries


def _paragraphs(deck: _Deck, entry: _Entry, with_band: bool) -> Iterator[tuple[int, str, str | None]]:
    """(paragraph number, text, band) of one slide, master or notes page, shapes in reading order;
    empty paragraphs are counted, not yielded."""
    rec = _record_at(deck, entry.ref)
    if rec is None or rec.kind not in (SLIDE, NOTES, MAIN_MASTER):
        return
    drawing = _child(deck.stream, rec, DRAWING)
    shapes: list[tuple[tuple[float, float, float] | None, str]] = []
    for group in _children(deck.stream, drawing) if drawing else ():
        for top in _children(deck.stream, group):
            if top.kind == GROUP:
                _group(deck, top, entry, (0.0, 1.0, 0.0, 1.0), shapes, 0)
    shapes.sort(key=lambda s: (s[0] is None, s[0][:2] if s[0] else (0, 0)))
    paragraph = 0
    for box, text in shapes:
        band = _band(box[2], deck.height) if with_band and box else None
        for para in text.split("\r"):
            paragraph += 1
            para = para.replace("\x0b", "\n").strip()
            if para:
                yield paragraph, para, band


def _group(deck: _Deck, rec: _Rec, entry: _Entry, transform: tuple[float, float, float, float],
           out: list[tuple[tuple[float, float, float] | None, str]], depth: int) -> None:
    """Collect the shapes of an OfficeArtSpgrContainer; the first child is the group itself, whose
    anchor and child rectangle map its children's coordinates into the parent's."""
    if depth > MAX_DEPTH:
        raise CorruptFile("shape groups nested too deeply")
    inner = transform
    for i, child in enumerate(_children(deck.stream, rec)):
        if child.kind == GROUP:
            _group(deck, child, entry, inner, out, depth + 1)
            continue
        if child.kind != SHAPE:
            continue
        props = {c.kind: c for c in _children(deck.stream, child)}
        rect = _anchor(deck.stream, props, transform if i == 0 else inner)
        if i == 0:
            inner = _inner(deck.stream, props.get(GROUP_PROPS), rect, transform)
            continue
        text = _shape_text(deck, props, entry)
        if text:
            out.append(((rect[1], rect[0], (rect[1] + rect[3]) / 2) if rect else None, text))


def _anchor(stream: bytes, props: dict[int, _Rec], t: tuple[float, float, float, float]
            ) -> tuple[float, float, float, float] | None:
    """(left, top, right, bottom) of a shape in slide coordinates, or None without an anchor."""
    if (rec := props.get(CLIENT_ANCHOR)) is not None:
        if rec.end - rec.start >= 16:
            top, left, right, bottom = struct.unpack_from("<4i", stream, rec.start)
        elif rec.end - rec.start >= 8:
            top, left, right, bottom = struct.unpack_from("<4h", stream, rec.start)
        else:
            return None
    elif (rec := props.get(CHILD_ANCHOR)) is not None and rec.end - rec.start >= 16:
        left, top, right, bottom = struct.unpack_from("<4i", stream, rec.start)
    else:
        return None
    ax, sx, ay, sy = t
    return ax + left * sx, ay + top * sy, ax + right * sx, ay + bottom * sy


def _inner(stream: bytes, props: _Rec | None, rect: tuple[float, float, float, float] | None,
           outer: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The transform of a group's children: its child rectangle (OfficeArtFSPGR) onto its anchor."""
    if props is None or rect is None or props.end - props.start < 16:
        return outer
    left, top, right, bottom = struct.unpack_from("<4i", stream, props.start)
    sx = (rect[2] - rect[0]) / (right - left) if right != left else 1.0
    sy = (rect[3] - rect[1]) / (bottom - top) if bottom != top else 1.0
    return rect[0] - left * sx, sx, rect[1] - top * sy, sy


def _shape_text(deck: _Deck, props: dict[int, _Rec], entry: _Entry) -> str:
    """A shape's own text without field placeholders, or the outline text its placeholder refers to."""
    box = props.get(CLIENT_TEXTBOX)
    if box is not None:
        text, fields = "", []
        for rec in _children(deck.stream, box):
            if rec.kind in (TEXT_CHARS, TEXT_BYTES):
                text = _decode(deck.stream, rec)
            elif rec.kind in FIELDS and rec.end - rec.start >= 4:
                fields.append(struct.unpack_from("<i", deck.stream, rec.start)[0])
        for pos in sorted(fields, reverse=True):
            if 0 <= pos < len(text) and text[pos] == "*":
                text = text[:pos] + text[pos + 1:]
        return text
    data = props.get(CLIENT_DATA)
    ref = _child(deck.stream, data, OUTLINE_REF) if data else None
    if ref is not None and ref.end - ref.start >= 4:
        index = struct.unpack_from("<i", deck.stream, ref.start)[0]
        return entry.texts[index] if 0 <= index < len(entry.texts) else ""
    return ""


def _headers_footers(deck: _Deck, rec: _Rec, slide: int | None) -> Iterator[TextBlock]:
    """Header and footer strings of a slide's or the deck's HeadersFootersContainers."""
    for hf in _children(deck.stream, rec):
        if hf.kind != HEADERS_FOOTERS:
            continue
        name = "notes" if slide is None and hf.instance == 4 else None
        for atom in _children(deck.stream, hf):
            text = _decode(deck.stream, atom).strip() if atom.kind == CSTRING else ""
            if text and atom.instance in HF_PARTS:
                yield TextBlock(text, Location(part=HF_PARTS[atom.instance], slide=slide, name=name))


def _band(centre: float, height: int) -> str | None:
    if height <= 0:
        return None
    return "top" if centre < TOP_BAND * height else "bottom" if centre > BOTTOM_BAND * height else "middle"


def _decode(stream: bytes, rec: _Rec) -> str:
    raw = stream[rec.start:rec.end]
    if rec.kind == TEXT_BYTES:
        return raw.decode("latin-1")  # the low bytes of UTF-16 code units whose high byte is 0
    return raw[:len(raw) & ~1].decode("utf-16-le", errors="replace")


def _record(stream: bytes, pos: int, end: int) -> _Rec | None:
    """The record whose header is at ``pos``, or None when it does not fit before ``end``."""
    if pos < 0 or pos + 8 > end:
        return None
    head, kind, size = struct.unpack_from("<HHI", stream, pos)
    if pos + 8 + size > end:
        return None
    return _Rec(kind, head >> 4, pos + 8, pos + 8 + size)


def _children(stream: bytes, rec: _Rec) -> Iterator[_Rec]:
    """The records inside a container, stopping at one that runs past its end."""
    pos = rec.start
    while (child := _record(stream, pos, rec.end)) is not None:
        yield child
        pos = child.end


def _child(stream: bytes, rec: _Rec, kind: int) -> _Rec | None:
    return next((c for c in _children(stream, rec) if c.kind == kind), None)


def _record_at(deck: _Deck, ref: int) -> _Rec | None:
    offset = deck.offsets.get(ref)
    return None if offset is None else _record(deck.stream, offset, len(deck.stream))
