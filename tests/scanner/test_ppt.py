"""The PPT extractor: exact locations in LibreOffice-made decks, and record streams built here
for what LibreOffice never writes (PowerPoint's outline placeholders, fast saves, scaled groups,
encryption), plus broken files."""

from __future__ import annotations

import io
import random
import struct
from pathlib import Path

import pytest

from markings.detect import detect, strongest
from markings.rule import load_rules
from scanner.errors import CorruptFile, DocscanError, EncryptedFile
from scanner.extractors import ppt
from scanner.options import ScanOptions
from scanner.records import Level, Location, TextBlock
from scanner.sniff import probe

DATA = Path(__file__).resolve().parents[1] / "data" / "legacy" / "xls_ppt"


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def blocks(data: bytes, **options: int) -> list[TextBlock]:
    return list(ppt.extract(io.BytesIO(data), ScanOptions(**options)))


def body(slide: int, paragraph: int, part: str = "body") -> Location:
    return Location(part=part, slide=slide, paragraph=paragraph)


# --- sniffing -------------------------------------------------------------------------------


def test_sniff_decides_from_content_not_extension() -> None:
    data = fixture("marked.ppt")
    assert ppt.sniff(probe(io.BytesIO(data), len(data), "notes.txt"))
    other = fixture("marked.xls")
    assert not ppt.sniff(probe(io.BytesIO(other), len(other), "slides.ppt"))


# --- the LibreOffice fixtures ---------------------------------------------------------------


def test_marked_deck_slides_notes_master_footer() -> None:
    found = [(b.text, b.location, b.band, b.section_start) for b in blocks(fixture("marked.ppt"))
             if b.location.part != "properties"]
    master = [(t, loc, band) for t, loc, band, _ in found if loc.part == "master"]
    assert master[0] == ("内部资料 注意保存", Location(part="master", paragraph=1), "top")
    assert len({t for t, _, _ in master}) == len(master)  # LibreOffice's second master repeats the first
    assert [f for f in found if f[1].part != "master"] == [
        ("机密★10年", body(1, 1), "top", False),  # text box at the top-left corner
        ("年度工作总结", body(1, 2), "top", False),  # title placeholder, just below it
        ("第一段正文", body(1, 3), "middle", False),
        ("第二段正文", body(1, 4), "middle", False),
        ("组合中的文字", body(1, 5), "bottom", False),  # inside a group near the bottom edge
        ("第二页正文", body(2, 1), "middle", True),
        ("仅供内部使用", Location(part="footer", slide=2), None, False),
        ("备注：仅供内部讨论", body(2, 1, "notes"), None, False),
    ]


def test_marked_deck_properties() -> None:
    props = {b.location.name: b.text for b in blocks(fixture("marked.ppt")) if b.location.part == "properties"}
    assert props["title"] == "演示文稿标题" and props["creator"] == "测试作者"


def test_cover_mark_is_the_files_marking() -> None:
    marking = strongest(detect(blocks(fixture("marked.ppt")), load_rules()))
    assert marking is not None
    assert (marking.level, marking.text, marking.location) == (Level.JIMI, "机密★10年", body(1, 1))


def test_clean_deck_has_no_marking() -> None:
    found = blocks(fixture("clean.ppt"))
    assert [(b.text, b.location) for b in found if b.location.part == "body"] == [
        ("季度例会", body(1, 1)), ("议程：工作安排", body(1, 2))]
    assert strongest(detect(found, load_rules())) is None


def test_max_text_chars_cuts_the_text() -> None:
    found = blocks(fixture("marked.ppt"), max_text_chars=8)
    assert "".join(b.text for b in found) == "演示文稿标题测试"


# --- encrypted and broken files -------------------------------------------------------------


def test_encrypted_current_user_token_raises() -> None:
    data = fixture("clean.ppt")
    plain = struct.pack("<I", ppt.TOKEN_PLAIN)
    assert data.count(plain) == 1  # the Current User stream's header token
    locked = data.replace(plain, struct.pack("<I", ppt.TOKEN_ENCRYPTED))
    with pytest.raises(EncryptedFile, match="Current User"):
        blocks(locked)


def test_truncated_file_is_corrupt() -> None:
    with pytest.raises(CorruptFile):
        blocks(fixture("marked.ppt")[:9000])


def test_zeroed_document_stream_is_corrupt() -> None:
    data = fixture("clean.ppt")
    header = struct.pack("<HH", 0x000F, ppt.DOCUMENT)  # the DocumentContainer's record header
    assert data.count(header) == 1
    stream_start = data.index(header)
    broken = data[:stream_start] + b"\x00" * 4000 + data[stream_start + 4000:]
    with pytest.raises(CorruptFile):
        blocks(broken)


# --- record streams built here --------------------------------------------------------------


def rec(kind: int, payload: bytes = b"", instance: int = 0, version: int = 0) -> bytes:
    return struct.pack("<HHI", instance << 4 | version, kind, len(payload)) + payload


def box(kind: int, *children: bytes, instance: int = 0) -> bytes:
    return rec(kind, b"".join(children), instance, 0xF)


def chars(text: str) -> bytes:
    return rec(ppt.TEXT_CHARS, text.encode("utf-16-le"))


def shape(*props: bytes) -> bytes:
    return box(ppt.SHAPE, rec(0xF00A, bytes(8)), *props)


def client_anchor(top: int, left: int, right: int, bottom: int) -> bytes:
    return rec(ppt.CLIENT_ANCHOR, struct.pack("<4h", top, left, right, bottom))


def outline_ref(index: int) -> bytes:
    return box(ppt.CLIENT_DATA, rec(ppt.OUTLINE_REF, struct.pack("<i", index)))


def textbox(*children: bytes) -> bytes:
    return box(ppt.CLIENT_TEXTBOX, rec(ppt.TEXT_HEADER, struct.pack("<I", 4)), *children)


def slide(*shapes: bytes) -> bytes:
    patriarch = shape(rec(ppt.GROUP_PROPS, bytes(16)))
    drawing = box(ppt.DRAWING, box(0xF002, rec(0xF008, bytes(8)), box(ppt.GROUP, patriarch, *shapes)))
    return box(ppt.SLIDE, rec(0x03EF, bytes(24), version=2), drawing)


def document(outline: list[bytes], footer: str = "") -> bytes:
    atom = rec(ppt.DOCUMENT_ATOM, struct.pack("<ii", 5760, 4320) + bytes(32), version=1)
    persist = rec(ppt.SLIDE_PERSIST, struct.pack("<IIiII", 2, 0, len(outline), 256, 0))
    slides = box(ppt.SLIDE_LIST, persist, *outline)
    hf = box(ppt.HEADERS_FOOTERS, rec(0x0FDA, bytes(4)), rec(ppt.CSTRING, footer.encode("utf-16-le"),
                                                             instance=2), instance=3) if footer else b""
    return box(ppt.DOCUMENT, atom, slides, hf)


class Stream:
    """Appends objects and edits to a PowerPoint Document stream as PowerPoint's saves do."""

    def __init__(self) -> None:
        self.data, self.last_edit = b"", 0

    def add(self, blob: bytes) -> int:
        at = len(self.data)
        self.data += blob
        return at

    def save(self, objects: dict[int, int], crypt_ref: int | None = None) -> None:
        """Write a persist directory for ``objects`` (persist id -> offset) and a UserEditAtom."""
        entries = b"".join(struct.pack("<II", 1 << 20 | pid, off) for pid, off in sorted(objects.items()))
        directory = self.add(rec(ppt.PERSIST_DIR, entries))
        fields = struct.pack("<IHBBIIIIHH", 256, 0, 0, 3, self.last_edit, directory, 1, 4, 1, 0)
        if crypt_ref is not None:
            fields += struct.pack("<I", crypt_ref)
        self.last_edit = self.add(rec(ppt.USER_EDIT, fields))

    def current_user(self, token: int = ppt.TOKEN_PLAIN) -> bytes:
        return rec(0x0FF6, struct.pack("<IIIHHBBH", 20, token, self.last_edit, 0, 0x03F4, 3, 0, 0))


def deck(stream: Stream, token: int = ppt.TOKEN_PLAIN) -> list[tuple[str, Location, str | None]]:
    return [(b.text, b.location, b.band) for b in ppt.read_deck(stream.data, stream.current_user(token))]


def outline(*texts: str) -> list[bytes]:
    out = []
    for text in texts:
        atom = rec(ppt.TEXT_BYTES, text.encode("latin-1")) if text.isascii() else chars(text)
        out += [rec(ppt.TEXT_HEADER, struct.pack("<I", 0)), atom]
    return out


def test_outline_placeholders_scaled_groups_and_fields() -> None:
    s = Stream()
    title = shape(client_anchor(100, 50, 2000, 400), outline_ref(0))
    plain = shape(client_anchor(2000, 50, 2000, 2300), outline_ref(1))
    inner = box(ppt.GROUP,
                shape(rec(ppt.GROUP_PROPS, struct.pack("<4i", 0, 0, 1000, 1000)), client_anchor(3800, 0, 500, 4300)),
                shape(rec(ppt.CHILD_ANCHOR, struct.pack("<4i", 0, 900, 1000, 1000)),
                      textbox(chars("组内文字*"), rec(0x0FD8, struct.pack("<i", 4)))))
    doc = s.add(document(outline("秘密★1年\r\r第三段\x0b换行", "plain text"), footer="页脚文字"))
    sld = s.add(slide(inner, plain, title))  # drawing order is not reading order
    s.save({1: doc, 2: sld})
    assert deck(s) == [
        ("页脚文字", Location(part="footer"), None),
        ("秘密★1年", body(1, 1), "top"),
        ("第三段\n换行", body(1, 3), "top"),
        ("plain text", body(1, 4), "middle"),
        ("组内文字", body(1, 5), "bottom"),  # child y 900..1000 of 0..1000 onto 3800..4300: 4250..4300
    ]


def test_fast_save_reads_the_live_slide_only() -> None:
    s = Stream()
    doc = s.add(document([]))
    old = s.add(slide(shape(client_anchor(100, 0, 100, 200), textbox(chars("旧版本")))))
    s.save({1: doc, 2: old})
    new = s.add(slide(shape(client_anchor(100, 0, 100, 200), textbox(chars("新版本")))))
    s.save({2: new})  # an incremental save: only the changed slide and a new directory
    assert deck(s) == [("新版本", body(1, 1), "top")]


def test_crypt_session_container_means_encrypted() -> None:
    s = Stream()
    doc = s.add(document([]))
    crypt = s.add(box(ppt.CRYPT_SESSION, rec(0x0FA0, b"x\x00")))
    s.save({1: doc, 3: crypt}, crypt_ref=3)
    with pytest.raises(EncryptedFile, match="CryptSession10Container"):
        deck(s)


def test_encrypted_token_in_a_built_stream() -> None:
    s = Stream()
    s.save({1: s.add(document([]))})
    with pytest.raises(EncryptedFile):
        deck(s, token=ppt.TOKEN_ENCRYPTED)


@pytest.mark.parametrize("damage", ["token", "edit", "directory", "document"])
def test_broken_persist_chain_is_corrupt(damage: str) -> None:
    s = Stream()
    doc = s.add(document([]))
    s.save({1: doc})
    user = s.current_user(0x12345678 if damage == "token" else ppt.TOKEN_PLAIN)
    if damage == "edit":
        user = user[:16] + struct.pack("<I", 3) + user[20:]
    data = s.data
    if damage == "directory":
        at = data.index(struct.pack("<HH", 0, ppt.PERSIST_DIR))
        data = data[:at] + struct.pack("<HH", 0, 0x1234) + data[at + 4:]
    if damage == "document":
        data = b"\x00" * 8 + data[8:]
    with pytest.raises(CorruptFile):
        list(ppt.read_deck(data, user))


def test_groups_nested_too_deeply_are_corrupt() -> None:
    s = Stream()
    nested = shape(client_anchor(0, 0, 10, 10), textbox(chars("x")))
    for _ in range(ppt.MAX_DEPTH + 2):
        nested = box(ppt.GROUP, shape(rec(ppt.GROUP_PROPS, bytes(16))), nested)
    doc = s.add(document([]))
    s.save({1: doc, 2: s.add(slide(nested))})
    with pytest.raises(CorruptFile, match="nested"):
        deck(s)


def test_random_damage_gives_only_the_projects_errors() -> None:
    """Bytes flipped past the OLE2 header: every outcome is blocks or one of scanner.errors."""
    data = fixture("marked.ppt")
    rnd = random.Random(5)
    for _ in range(150):
        damaged = bytearray(data)
        for _ in range(rnd.randint(1, 20)):
            damaged[rnd.randrange(512, len(damaged))] = rnd.randrange(256)
        try:
            blocks(bytes(damaged))
        except DocscanError:
            pass
