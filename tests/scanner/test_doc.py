"""The Word 97-2003 binary (.doc) extractor: exact locations, Chinese text, symbols, errors, sniffing.

The fixtures in tests/data/legacy/doc/ were made once by LibreOffice from DOCX files built by
make_fixtures.py there (see its README). Variants that LibreOffice never writes (8-bit pieces,
GBK pieces, sprmCSymbol, a set fEncrypted flag, broken structures) are made here by patching the
fixtures' streams and writing a new compound file with ``compound_file`` below.
"""

from __future__ import annotations

import io
import random
import struct
from collections.abc import Callable
from pathlib import Path

import olefile
import pytest

from markings.detect import detect, strongest
from scanner.errors import CorruptFile, EncryptedFile, UnsupportedContent
from scanner.extractors import doc
from scanner.extractors import wordbin as wb
from scanner.options import ScanOptions
from scanner.records import Level, Location, TextBlock
from scanner.sniff import probe
from tests.scanner.docx_builders import MSIP_NAME, SENTINEL

DATA = Path(__file__).resolve().parents[1] / "data" / "legacy" / "doc"
BODY = "各单位要严格落实保密工作责任制，加强涉密载体管理，定期开展保密自查自评。"
TEXT_FC = 0x800  # where LibreOffice puts the (single) text piece of every fixture


def fixture(name: str) -> bytes:
    return (DATA / f"{name}.doc").read_bytes()


def blocks(data: bytes, **opts: int) -> list[TextBlock]:
    return list(doc.extract(io.BytesIO(data), ScanOptions(**opts)))


def content(data: bytes) -> list[tuple[str, Location]]:
    return [(b.text, b.location) for b in blocks(data) if b.location.part != "properties"]


def properties(data: bytes) -> dict[str, str]:
    return {b.location.name: b.text for b in blocks(data) if b.location.part == "properties"}


# --- a minimal compound file writer, to rebuild fixtures with patched streams ---------------------

def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE2 file (version 3, 512-byte sectors) holding ``streams`` at its root.

    Every stream is padded to 4096 bytes so that none lives in the mini stream.
    """
    end, free, fatsect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    body, fat, starts = b"", [], {}
    for name in names:
        data = streams[name].ljust(4096, b"\0")
        count = -(-len(data) // 512)
        starts[name] = len(fat)
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [end]
        body += data.ljust(512 * count, b"\0")
    entries = [_dir_entry("Root Entry", 5, end, 0, child=1 if names else free)]
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else free
        entries.append(_dir_entry(name, 2, starts[name], len(streams[name].ljust(4096, b"\0")), right=right))
    directory = b"".join(entries).ljust(512 * -(-len(entries) // 4), b"\0")
    dir_start = len(fat)
    dir_count = len(directory) // 512
    fat += [dir_start + i + 1 for i in range(dir_count - 1)] + [end]
    fat_count = 1
    while fat_count * 128 < len(fat) + fat_count:
        fat_count += 1
    fat_start = len(fat)
    fat += [fatsect] * fat_count
    fat += [free] * (fat_count * 128 - len(fat))
    difat = list(range(fat_start, fat_start + fat_count)) + [free] * (109 - fat_count)
    header = (olefile.MAGIC + b"\0" * 16 + struct.pack("<HHHHHxxxxxxIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0,
                                                       fat_count, dir_start, 0, 4096, end, 0, end, 0)
              + struct.pack("<109I", *difat))
    return header + body + directory + struct.pack(f"<{len(fat)}I", *fat)


def _dir_entry(name: str, kind: int, start: int, size: int, child: int = 0xFFFFFFFF,
               right: int = 0xFFFFFFFF) -> bytes:
    raw = name.encode("utf-16-le") + b"\0\0"
    return (raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, 0xFFFFFFFF, right, child)
            + b"\0" * 36 + struct.pack("<IIxxxx", start, size))


def streams_of(data: bytes) -> dict[str, bytes]:
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        return {"/".join(p): ole.openstream(p).read() for p in ole.listdir()}


def patched(name: str, **edits: Callable[[bytearray], None]) -> bytes:
    """``name``.doc rebuilt with its streams changed in place by ``edits`` (keyword = stream name)."""
    streams = streams_of(fixture(name))
    for stream, edit in edits.items():
        key = {"word": "WordDocument", "table": "1Table"}.get(stream, stream)
        blob = bytearray(streams[key])
        edit(blob)
        streams[key] = bytes(blob)
    return compound_file(streams)


def set_text(text: bytes, compressed: bool) -> Callable[[bytearray], None]:
    """Put ``text`` at the piece's bytes; a compressed piece reads it as 8-bit characters."""
    def edit(word: bytearray) -> None:
        word[TEXT_FC:TEXT_FC + len(text)] = text
    return edit


def compress_piece(table: bytearray) -> None:
    """Mark the one piece of symbol.doc's piece table compressed (fc = 2 * byte offset | bit 30)."""
    fc, _lcb = wb.parse_fib(streams_of(fixture("symbol"))["WordDocument"]).pair(wb.CLX)
    at = fc + 5 + 8 + 2  # clxt, lcb, two CPs, the PCD's flags
    assert table[fc] == 2 and struct.unpack_from("<I", table, at)[0] == TEXT_FC
    table[at:at + 4] = struct.pack("<I", (2 * TEXT_FC) | 0x40000000)


def set_u16(offset: int, value: int) -> Callable[[bytearray], None]:
    def edit(word: bytearray) -> None:
        word[offset:offset + 2] = struct.pack("<H", value)
    return edit


# --- fixtures made by LibreOffice ----------------------------------------------------------------

def test_gongwen_first_paragraphs_are_exact_and_chinese_is_decoded():
    got = content(fixture("gongwen"))
    assert got[:5] == [
        ("000035", Location("body", page=1, paragraph=1)),
        ("秘密★1年", Location("body", page=1, paragraph=2)),
        ("特急", Location("body", page=1, paragraph=3)),
        # paragraph 4 is empty: counted, not yielded
        ("某某市人民政府办公室文件", Location("body", page=1, paragraph=5)),
        ("某政办发〔2024〕12号", Location("body", page=1, paragraph=6)),
    ]
    assert got[-3:] == [
        ("某某市人民政府办公室", Location("body", page=1, paragraph=12)),
        ("2024年3月1日", Location("body", page=1, paragraph=13)),
        ("— 1 —", Location("footer", name="default")),  # the PAGE field's result, not its code
    ]
    assert not any(0x80 <= ord(c) <= 0xFF for text, _ in got for c in text)  # no cp1252/GBK mojibake


def test_gongwen_properties_standard_and_custom():
    props = properties(fixture("gongwen"))
    assert props["title"] == "关于做好2024年度保密检查工作的通知"
    assert props["creator"] == "市政府办公室"
    assert props["密级"] == "秘密"
    assert props["项目编号"] == "2024-017"


def test_gongwen_mark_is_found_at_paragraph_two():
    marking = strongest(detect(blocks(fixture("gongwen"))))
    assert marking is not None and marking.level is Level.MIMI
    assert (marking.text, marking.period, marking.location) == ("秘密★1年", "1年", Location("body", 1, 2))


def test_header_mark_only_in_the_default_header():
    got = content(fixture("header_mark"))
    assert got[:3] == [
        ("机密★10年", Location("header", name="default")),
        ("首页页眉", Location("header", name="first")),
        ("会议纪要", Location("body", page=1, paragraph=1)),
    ]
    assert got[-1] == ("某某公司办公室印发", Location("footer", name="default"))
    assert [t for t, loc in got if loc.part == "body"] == ["会议纪要"] + [BODY] * 40
    marking = strongest(detect(blocks(fixture("header_mark"))))
    assert marking is not None and marking.level is Level.JIMI
    assert marking.location == Location("header", name="default")


def test_table_cells_have_their_references():
    assert content(fixture("table")) == [
        ("附件：保密检查登记表", Location("body", page=1, paragraph=1)),
        ("序号", Location("table", page=1, table=1, cell="A1")),
        ("文件名称", Location("table", page=1, table=1, cell="B1")),
        ("密级", Location("table", page=1, table=1, cell="C1")),
        ("1", Location("table", page=1, table=1, cell="A2")),
        ("年度工作总结", Location("table", page=1, table=1, cell="B2")),
        ("秘密", Location("table", page=1, table=1, cell="C2")),
        ("2", Location("table", page=1, table=1, cell="A3")),
        ("第一段\n第二段", Location("table", page=1, table=1, cell="B3")),  # C3 is empty
        ("表后正文", Location("body", page=1, paragraph=2)),  # table paragraphs are not counted
    ]


def test_table_without_row_end_properties_falls_back_to_the_double_cell_mark():
    def no_ttp(word: bytearray) -> None:
        assert bytes(word).count(b"\x17\x24\x01") == 2  # sprmPFTtp 1: the row-end marks share 2 PAPXs
        word[:] = bytes(word).replace(b"\x17\x24\x01", b"\x31\x24\x00")  # -> sprmPFWidowControl 0
    assert content(patched("table", word=no_ttp)) == content(fixture("table"))


def test_booklet_pages_and_section_starts():
    got = [(b.text[:9], b.location, b.section_start) for b in blocks(fixture("booklet"))
           if b.location.part == "body"]
    assert got == [
        ("2023年工作汇编", Location("body", page=1, paragraph=1), False),
        (BODY[:9], Location("body", page=1, paragraph=2), False),
        # paragraph 3 is empty; LibreOffice made the page break "page break before" on paragraph 4
        ("第二部分 工作总结", Location("body", page=2, paragraph=4), True),
        (BODY[:9], Location("body", page=2, paragraph=5), False),  # ends with a new-page section mark
        ("内部资料 注意保存", Location("body", page=3, paragraph=6), True),
        ("第三部分 经验交流", Location("body", page=3, paragraph=7), False),  # a continuous section mark
        ("续排正文", Location("body", page=3, paragraph=8), True),
    ]
    marking = strongest(detect(blocks(fixture("booklet"))))
    assert marking is not None and marking.level is Level.NEIBU
    assert marking.location == Location("body", page=3, paragraph=6)


def test_clean_document_every_story_and_no_finding():
    data = fixture("clean")
    assert content(data) == [
        ("2023年度工作总结", Location("body", page=1, paragraph=1)),
        ("全年完成培训十二场", Location("body", page=1, paragraph=2)),  # the footnote mark is dropped
        ("详见附表", Location("body", page=1, paragraph=3)),
        ("下一步工作计划", Location("body", page=1, paragraph=4)),
        ("参见单位网站", Location("body", page=1, paragraph=5)),  # HYPERLINK code dropped, result kept
        ("见文本框", Location("body", page=1, paragraph=6)),  # the two shape anchors are dropped
        ("English text, café naïve “quoted”.", Location("body", page=1, paragraph=7)),
        ("文本框内容", Location("textbox", page=1)),
        ("脚注内容", Location("footnote", page=1)),
        ("尾注内容", Location("endnote", page=1)),
        ("请补充数据", Location("comment", page=1, name="李四")),
    ]
    assert detect(blocks(data)) == []


def test_clean_document_properties():
    props = properties(fixture("clean"))
    assert {k: props[k] for k in ("title", "subject", "creator", "description")} == {
        "title": "年度工作总结", "subject": "工作总结", "creator": "张三", "description": "供参考"}
    assert props["keywords"] == "总结, 计划"  # as LibreOffice stores keywords
    assert props["OOXMLCorePropertyCategory"] == "综合"  # LibreOffice keeps the category as a custom one


def test_wingdings_star_passes_through_and_guillemet_in_wingdings_run_becomes_it():
    got = content(fixture("symbol"))
    assert got == [
        ("绝密\uf0ab长期", Location("body", page=1, paragraph=1)),
        ("机密\uf0ab5年", Location("body", page=1, paragraph=2)),
        ("正文", Location("body", page=1, paragraph=3)),
    ]
    marking = strongest(detect(blocks(fixture("symbol"))))
    assert marking is not None and (marking.level, marking.period) == (Level.JUEMI, "长期")


def test_wordart_watermark_text_is_a_watermark_block():
    assert content(fixture("watermark")) == [
        ("秘密★1年", Location("watermark")),
        ("正文第一段", Location("body", page=1, paragraph=1)),
    ]


def test_deleted_revision_text_is_a_revision_block_not_body_text():
    assert content(fixture("revision")) == [
        ("密级：公开", Location("body", page=1, paragraph=1)),
        ("秘密★1年", Location("revision", page=1, paragraph=1, name="body")),
        ("正文", Location("body", page=1, paragraph=2)),
    ]


def test_docx_fixture_matrix_as_doc_has_the_sentinel_in_every_part():
    got = [(b.location, b.section_start) for b in blocks(fixture("matrix")) if b.text == SENTINEL]
    assert got == [
        (Location("header", name="default"), False),
        (Location("header", name="first"), False),
        (Location("watermark"), False),
        (Location("body", page=1, paragraph=2), False),
        # paragraph 4 held the page break; LibreOffice moved it to "page break before" on the table
        (Location("table", page=2, table=2, cell="B3"), False),
        (Location("footer", name="even"), False),
        (Location("textbox", page=1), False),
        (Location("footnote", page=2), False),
        (Location("endnote", page=2), False),
        (Location("comment", page=2, name="审核人"), False),
        (Location("properties", name="title"), False),
        (Location("properties", name=MSIP_NAME), False),
        (Location("properties", name="密级"), False),
    ]
    first_after_break = next(b for b in blocks(fixture("matrix")) if b.section_start)
    assert (first_after_break.text, first_after_break.location) == (
        "文件名称", Location("table", page=2, table=2, cell="A1"))


# --- encryption, damage, limits -------------------------------------------------------------------

def test_password_protected_document_made_by_libreoffice():
    with pytest.raises(EncryptedFile, match="password-protected Word document"):
        blocks(fixture("encrypted"))


def test_fib_encrypted_flag_on_a_copy():
    data = patched("clean", word=lambda w: w.__setitem__(11, w[11] | 0x01))  # fEncrypted: 0x0100 of the flags
    with pytest.raises(EncryptedFile):
        blocks(data)


def test_word_95_fib_is_unsupported_content():
    with pytest.raises(UnsupportedContent, match="Word 6/95"):
        blocks(patched("clean", word=set_u16(2, 104)))


def test_garbage_word_document_stream_is_corrupt():
    data = patched("clean", word=lambda w: w.__setitem__(slice(0, len(w)), bytes(len(w))))
    with pytest.raises(CorruptFile, match="wIdent"):
        blocks(data)


def test_piece_table_outside_its_stream_is_corrupt():
    def far_clx(word: bytearray) -> None:
        word[0x1A2:0x1A6] = struct.pack("<I", 10_000_000)  # fcClx
    with pytest.raises(CorruptFile, match="CLX"):
        blocks(patched("clean", word=far_clx))


def test_fib_longer_than_its_stream_is_corrupt():
    with pytest.raises(CorruptFile, match="FIB is truncated"):
        blocks(patched("clean", word=set_u16(152, 0xFFFF)))  # cbRgFcLcb: 64K (fc, lcb) pairs


def test_text_piece_beyond_the_stream_is_corrupt():
    def far_piece(table: bytearray) -> None:
        compress_piece(table)
        at = bytes(table).index(struct.pack("<I", (2 * TEXT_FC) | 0x40000000))
        table[at:at + 4] = struct.pack("<I", 0x100000)
    with pytest.raises(CorruptFile, match="text piece lies outside"):
        blocks(patched("symbol", table=far_piece))


def test_truncated_file_is_corrupt():
    with pytest.raises(CorruptFile):
        blocks(fixture("clean")[:2048])


def test_random_damage_raises_only_documented_errors():
    rng = random.Random(20240301)
    base = streams_of(fixture("clean"))
    for _ in range(150):
        streams = dict(base)
        for key in ("WordDocument", "1Table"):
            blob = bytearray(streams[key])
            for _ in range(rng.randint(1, 12)):
                blob[rng.randrange(len(blob))] = rng.randrange(256)
            streams[key] = bytes(blob)
        try:
            blocks(compound_file(streams))
        except (CorruptFile, EncryptedFile, UnsupportedContent):
            pass


def test_text_budget_stops_early_but_keeps_properties():
    got = blocks(fixture("header_mark"), max_text_chars=100)
    body = [b for b in got if b.location.part == "body"]
    assert 1 < len(body) < 5
    assert any(b.location.part == "properties" for b in got)


# --- piece encodings, surrogates, fields, symbols: patched fixtures --------------------------------
# symbol.doc's main text is 15 CPs: "绝密\uf0ab长期\r机密«5年\r正文\r"; patches keep that length.

def test_compressed_piece_is_cp1252_with_its_special_characters():
    data = patched("symbol", word=set_text(b"ab  caf\xe9\r\x93\x80\x94\r!\r", True), table=compress_piece)
    assert [t for t, _ in content(data)] == ["ab  café", "“€”", "!"]


GBK_TEXT = "正文a\r机密★5年".encode("gbk")  # 15 bytes; CPs 4-5 are ASCII (a Wingdings run lies there)


def test_compressed_piece_of_a_chinese_document_in_gbk():
    data = patched("symbol", word=lambda w: (set_text(GBK_TEXT, True)(w), set_u16(6, 0x0804)(w)),
                   table=compress_piece)
    assert content(data) == [("正文a", Location("body", page=1, paragraph=1)),
                             ("机密★5年", Location("body", page=1, paragraph=2))]


def test_east_asian_language_id_or_summary_codepage_936_also_select_gbk():
    by_lid_fe = patched("symbol", word=lambda w: (set_text(GBK_TEXT, True)(w), set_u16(60, 0x0804)(w)),
                        table=compress_piece)
    assert content(by_lid_fe)[1][0] == "机密★5年"

    def codepage_936(summary: bytearray) -> None:
        at = bytes(summary).index(b"\x02\x00\x00\x00\xe9\xfd")  # VT_I2 65001, as LibreOffice writes it
        summary[at + 4:at + 6] = struct.pack("<H", 936)
    by_summary = patched("symbol", word=set_text(GBK_TEXT, True), table=compress_piece,
                         **{"\x05SummaryInformation": codepage_936})
    assert content(by_summary)[1][0] == "机密★5年"


def test_compressed_piece_stays_cp1252_when_the_document_is_not_chinese():
    data = patched("symbol", word=set_text(GBK_TEXT, True), table=compress_piece)
    assert [t for t, _ in content(data)] == ["ÕýÎÄa", "»úÃÜ¡ï5Äê"]


def test_one_latin_accent_in_a_chinese_document_stays_cp1252():
    data = patched("symbol", word=lambda w: (set_text(b"na\xefve\rabcdefgh\r", True)(w), set_u16(6, 0x0804)(w)),
                   table=compress_piece)
    assert [t for t, _ in content(data)] == ["naïve", "abcdefgh"]


def test_surrogate_pair_in_a_utf16_piece_is_one_character():
    text = "绝密\U00020000\r".encode("utf-16-le")  # 5 CPs: the pair takes two
    data = patched("symbol", word=set_text(text, False))
    assert content(data)[0] == ("绝密\U00020000", Location("body", page=1, paragraph=1))


def test_nested_fields_keep_results_and_an_unclosed_code_hides_only_its_paragraph():
    text = "\x13\x13B\x14内\x15\x14果\x15\r\x13码\r正文\r".encode("utf-16-le")
    data = patched("symbol", word=set_text(text, False))
    assert [t for t, _ in content(data)] == ["果", "正文"]


def _symbol_run(font: str, code: int) -> Callable[[bytearray], None]:
    """Give the run of the U+F0AB character sprmCSymbol(font, code) and make the character "("."""
    def edit(word: bytearray) -> None:
        streams = streams_of(fixture("symbol"))
        fib = wb.parse_fib(streams["WordDocument"])
        table = streams[fib.table]
        fonts = wb.font_names(wb.blob_at(table, *fib.pair(wb.STTBFFFN), "fonts"))
        fc = TEXT_FC + 2 * 2  # the third character
        word[fc:fc + 2] = b"(\0"
        _fcs, pns = wb.plc(wb.blob_at(table, *fib.pair(wb.PLCFBTECHPX), "bte"), 4, "bte")
        page = struct.unpack("<I", pns[0])[0] * 512
        crun = word[page + 511]
        starts = struct.unpack_from(f"<{crun + 1}I", word, page)
        run = next(i for i in range(crun) if starts[i] <= fc < starts[i + 1])
        at = page + 2 * word[page + 4 * (crun + 1) + run]
        grpprl = struct.pack("<HHH", 0x6A09, fonts.index(font), code)
        assert word[at] >= len(grpprl)
        word[at:at + 1 + len(grpprl)] = bytes([len(grpprl)]) + grpprl
    return edit


def test_sprm_symbol_in_wingdings_gives_the_private_use_star():
    data = patched("symbol", word=_symbol_run("Wingdings", 0xF0AB))
    assert content(data)[0][0] == "绝密\uf0ab长期"


def test_sprm_symbol_in_a_text_font_gives_its_character_and_symbol_font_codes_never_a_star():
    assert content(patched("symbol", word=_symbol_run("Times New Roman", 0x2605)))[0][0] == "绝密★长期"
    assert content(patched("symbol", word=_symbol_run("Symbol", 0xF0AB)))[0][0] == "绝密\ufffd长期"


def test_plain_parenthesis_without_sprm_symbol_stays():
    data = patched("symbol", word=set_text("（注(1)\r".encode("utf-16-le"), False))
    assert content(data)[0][0] == "（注(1)"


# --- sniffing ------------------------------------------------------------------------------------

def test_sniff_by_content_even_when_named_txt():
    data = fixture("gongwen")
    assert doc.sniff(probe(io.BytesIO(data), len(data), "通知.txt"))
    assert doc.sniff(probe(io.BytesIO(data), len(data), "x.wps"))  # a Kingsoft file is a Word binary too


def test_sniff_rejects_other_ole_files_and_non_ole_files():
    other = compound_file({"Workbook": b"\0" * 100})
    assert not doc.sniff(probe(io.BytesIO(other), len(other), "a.doc"))
    assert not doc.sniff(probe(io.BytesIO(b"PK\x03\x04" + b"\0" * 100), 104, "a.doc"))
    assert not doc.sniff(probe(io.BytesIO("秘密★1年".encode()), 12, "a.doc"))
