"""The OFD extractor: pages, lines and bands from geometry, templates, metadata, annotations, errors."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest

from markings.detect import detect, strongest
from scanner.errors import CorruptFile, EncryptedFile
from scanner.extractors import docx, ofd, xlsx
from scanner.options import ScanOptions
from scanner.records import Level, Location, TextBlock
from scanner.sniff import probe
from tests.scanner import ofd_builders as b
from tests.scanner.ofd_builders import MARK, NS, Text

HEADER = "XX市人民政府办公室文件"


def blocks(data: bytes, **opts: int) -> list[TextBlock]:
    return list(ofd.extract(io.BytesIO(data), ScanOptions(**opts)))


def body(data: bytes) -> list[tuple[str, int | None, int | None, str | None]]:
    return [(x.text, x.location.page, x.location.line, x.band) for x in blocks(data)
            if x.location.part == "body"]


def raw_page(layer_xml: str, box: str = "") -> bytes:
    """A page Content.xml whose body layer holds ``layer_xml``."""
    area = f"<ofd:Area><ofd:PhysicalBox>{box}</ofd:PhysicalBox></ofd:Area>" if box else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}">{area}<ofd:Content>'
            f'<ofd:Layer ID="9">{layer_xml}</ofd:Layer></ofd:Content></ofd:Page>').encode()


# --- page text, lines and bands ------------------------------------------------------------------

def test_mark_at_top_left_of_page_one_is_line_one_in_the_top_band():
    data = b.build_ofd([[Text(MARK, 20, 15, 5.6), *b.body_page(1, 2)]])
    assert body(data)[0] == (MARK, 1, 1, "top")
    assert TextBlock(MARK, Location("body", page=1, line=1), band="top") in blocks(data)


def test_mark_written_last_but_standing_at_the_top_comes_first():
    data = b.build_ofd([[*b.body_page(1, 3), Text("正文末行", 25, 200), Text(MARK, 20, 15, 5.6)]])
    content = data_part(data, "Doc_0/Pages/Page_0/Content.xml")
    assert content.rindex(MARK) > content.rindex("正文末行")  # really drawn last
    assert body(data) == [
        (MARK, 1, 1, "top"),
        ("正文1：关于做好年度工作的安排意见", 1, 2, "middle"),
        ("正文2：关于做好年度工作的安排意见", 1, 3, "middle"),
        ("正文3：关于做好年度工作的安排意见", 1, 4, "middle"),
        ("正文末行", 1, 5, "middle"),
    ]


def test_mark_at_the_top_of_page_five():
    pages = [b.body_page(4 * i + 1, 4) for i in range(4)] + [[*b.body_page(17, 2), Text(MARK, 20, 12)]]
    got = body(b.build_ofd(pages))
    assert (MARK, 5, 1, "top") in got
    assert [x for x in got if x[0] == MARK] == [(MARK, 5, 1, "top")]
    assert {page for _, page, _, _ in got} == {1, 2, 3, 4, 5}


def test_bands_follow_the_physical_box():
    texts = [Text("顶部", 20, 10), Text("中部", 20, 120), Text("底部", 20, 280)]
    assert [(t, band) for t, _, _, band in body(b.build_ofd([texts]))] == [
        ("顶部", "top"), ("中部", "middle"), ("底部", "bottom")]
    # the same 120 mm stands in the bottom band of a 130 mm high page (a receipt, a slip)
    small = b.build_ofd([[Text("中部", 20, 120)]], box="0 0 210 130")
    assert body(small) == [("中部", 1, 1, "bottom")]


def test_page_area_overrides_the_document_default():
    page = raw_page(b.text_object(Text("横向页", 20, 150)), box="0 0 297 210")
    data = b.build_ofd([[]], parts={"Doc_0/Pages/Page_0/Content.xml": page})
    assert body(data) == [("横向页", 1, 1, "middle")]  # 150..156 mm of 210: middle, not top of 297


def test_objects_on_one_baseline_join_left_to_right_into_one_line():
    data = b.build_ofd([[Text("号", 150, 40), Text("密级：", 20, 40), Text("秘密", 35, 40),
                         Text("二〇二四年", 100, 60)]])
    assert body(data) == [("密级：秘密 号", 1, 1, "top"), ("二〇二四年", 1, 2, "top")]


def test_text_in_page_blocks_and_composite_objects_is_read_with_its_position():
    unit = ('<ofd:CompositeGraphicUnits><ofd:CompositeGraphicUnit ID="77" Width="60" Height="10">'
            f'<ofd:Content>{b.text_object(Text("复合对象文字", 0, 0))}</ofd:Content>'
            "</ofd:CompositeGraphicUnit></ofd:CompositeGraphicUnits>")
    page = [f'<ofd:PageBlock ID="5"><ofd:PageBlock ID="6">{b.text_object(Text("嵌套块", 20, 150))}'
            "</ofd:PageBlock></ofd:PageBlock>",
            '<ofd:CompositeObject ID="8" Boundary="20 10 60 10" ResourceID="77"/>']
    assert body(b.build_ofd([page], resources=unit)) == [("复合对象文字", 1, 1, "top"),
                                                          ("嵌套块", 1, 2, "middle")]


def test_graphic_units_referencing_themselves_or_fanning_out_stay_bounded():
    def unit(uid: int, inner: str) -> str:
        return (f'<ofd:CompositeGraphicUnit ID="{uid}" Width="60" Height="10"><ofd:Content>{inner}'
                "</ofd:Content></ofd:CompositeGraphicUnit>")

    def ref(uid: int) -> str:
        return f'<ofd:CompositeObject ID="{next(b._ids)}" Boundary="0 0 60 10" ResourceID="{uid}"/>'

    looping = unit(1, b.text_object(Text("自引用", 0, 0)) + ref(1))
    fanning = "".join(unit(uid, ref(uid + 1) * 10) for uid in range(10, 17))  # 10**7 paths
    fanning += unit(17, b.text_object(Text("扇出", 0, 0)))
    resources = f"<ofd:CompositeGraphicUnits>{looping}{fanning}</ofd:CompositeGraphicUnits>"
    page = [ref(1).replace('Boundary="0 0', 'Boundary="20 100'), ref(10).replace('Boundary="0 0', 'Boundary="20 200')]
    start = time.perf_counter()
    got = body(b.build_ofd([page], resources=resources))
    assert time.perf_counter() - start < 5.0
    assert got[0] == ("自引用", 1, 1, "middle")  # expanded once, not inside itself
    assert got[1][0].startswith("扇出")


def test_ctm_moves_and_scales_text():
    # glyph units in points (the CTM scales by 0.3527) and shifted: without the CTM the text would
    # stand at 50 mm (top band), with it its baseline is at 10 + 0.3527 * 40 + 260 = 284.1 mm
    obj = ('<ofd:TextObject ID="3" CTM="0.3527 0 0 0.3527 0 260" Boundary="100 10 40 6" Size="14">'
           '<ofd:TextCode X="0" Y="40" DeltaX="g 1 14">底部</ofd:TextCode></ofd:TextObject>')
    page = raw_page(obj + b.text_object(Text("正文", 20, 100)))
    data = b.build_ofd([[]], parts={"Doc_0/Pages/Page_0/Content.xml": page})
    assert body(data) == [("正文", 1, 1, "middle"), ("底部", 1, 2, "bottom")]


def test_text_codes_without_delta_x_and_with_abbreviated_delta_x():
    obj = ('<ofd:TextObject ID="3" Boundary="20 20 100 10" Size="5">'
           '<ofd:TextCode X="0" Y="5">秘密</ofd:TextCode>'
           '<ofd:TextCode X="12" Y="5" DeltaX="5 g 2 5">★1年</ofd:TextCode></ofd:TextObject>')
    data = b.build_ofd([[]], parts={"Doc_0/Pages/Page_0/Content.xml": raw_page(obj)})
    assert body(data) == [("秘密 ★1年", 1, 1, "top")]  # a 2 mm gap after 秘密 (10 mm wide) is a space


def test_delta_arrays():
    assert ofd._deltas("g 3 5.5", 3) == [5.5, 5.5, 5.5]
    assert ofd._deltas("1 g 2 3 4", 4) == [1.0, 3.0, 3.0, 4.0]
    assert ofd._deltas("2", 3) == [2.0, 2.0, 2.0]  # the last value fills a short array
    assert ofd._deltas("g 1000000000 1", 2) == [1.0, 1.0]  # never expanded beyond the text
    assert ofd._deltas("x y", 2) is None
    assert ofd._deltas("nan 1", 2) is None
    assert ofd._deltas(None, 2) is None


def test_rotated_text_gets_the_box_of_its_turned_corners():
    quarter = (0.0, 1.0, -1.0, 0.0, 100.0, 50.0)  # 90 degrees clockwise (y points down), then shifted
    assert ofd._transform((0.0, -4.0, 20.0, 1.0), quarter) == (99.0, 50.0, 104.0, 70.0)
    assert ofd._transform((0.0, 0.0, 5.0, 0.0), ofd.IDENTITY) == (0.0, -0.175, 5.0, 0.175)


def test_elements_without_the_ofd_namespace_are_read_too():
    page = (b'<Page><Content><Layer ID="1"><TextObject ID="2" Boundary="20 15 40 6" Size="5">'
            + f'<TextCode X="0" Y="5" DeltaX="g 5 5">{MARK}</TextCode>'.encode()
            + b"</TextObject></Layer></Content></Page>")
    data = b.build_ofd([[]], parts={"Doc_0/Pages/Page_0/Content.xml": page})
    assert body(data) == [(MARK, 1, 1, "top")]


def test_root_relative_locations_and_base_loc_child_elements_are_followed():
    data = b.build_ofd([[Text(MARK, 20, 15)]])
    document = data_part(data, "Doc_0/Document.xml").replace(
        'BaseLoc="Pages/Page_0/Content.xml"/>',
        "><ofd:BaseLoc>/Doc_0/Pages/Page_0/Content.xml</ofd:BaseLoc></ofd:Page>")
    assert body(replace_part(data, "Doc_0/Document.xml", document)) == [(MARK, 1, 1, "top")]


# --- template pages -----------------------------------------------------------------------------

def test_template_header_appears_on_every_page_that_uses_it():
    pages = [b.body_page(1, 2), b.body_page(3, 2), b.body_page(5, 2)]
    data = b.build_ofd(pages, template=[Text(HEADER, 40, 30, 8)], template_pages=[0, 2])
    got = body(data)
    assert [(page, line, band) for text, page, line, band in got if text == HEADER] == [
        (1, 1, "top"), (3, 1, "top")]
    assert ("正文3：关于做好年度工作的安排意见", 2, 1, "middle") in got  # page 2 has no template


def test_a_template_mark_below_page_text_keeps_its_geometric_place():
    data = b.build_ofd([[Text("标题", 60, 20)]], template=[Text(MARK, 20, 40)])
    assert body(data) == [("标题", 1, 1, "top"), (MARK, 1, 2, "top")]


# --- properties and annotations ---------------------------------------------------------------

def test_doc_info_fields_and_custom_data_are_properties():
    data = b.build_ofd([[Text("正文", 20, 100)]], title="关于2024年度工作的通知",
                       custom={"密级": "秘密", "保密期限": "1年"}, keywords=["保密", "检查"])
    props = [(x.location.name, x.text) for x in blocks(data) if x.location.part == "properties"]
    assert props == [("Title", "关于2024年度工作的通知"), ("Author", "办公室"), ("Keywords", "保密 检查"),
                     ("Creator", "docscan-tests"), ("密级", "秘密"), ("保密期限", "1年")]
    assert TextBlock("秘密", Location("properties", name="密级")) in blocks(data)


def test_annotation_text_is_a_comment_of_its_page():
    notes = {1: [b.annot(remark="请核实密级", appearance=[Text("机密", 100, 100), Text("★5年", 111, 100)]),
                 b.annot(kind="Watermark", creator="系统", appearance=[Text("内部资料", 60, 150, 20)])]}
    data = b.build_ofd([b.body_page(1, 1), b.body_page(2, 1)], annotations=notes)
    got = blocks(data)
    assert [(x.text, x.location) for x in got if x.location.part in ("comment", "watermark")] == [
        ("请核实密级", Location("comment", page=2, name="审核人")),
        ("机密 ★5年", Location("comment", page=2, name="审核人")),
        ("内部资料", Location("watermark", page=2)),
    ]
    parts = [x.location.part for x in got if x.location.page == 2]
    assert parts == ["body", "comment", "comment", "watermark"]  # after the page's lines


def test_missing_annotation_part_is_corrupt_after_the_page_text():
    data = b.build_ofd([[Text("正文", 20, 100)]], annotations={0: [b.annot(remark="批注")]},
                       parts={"Doc_0/Annots/Page_0/Annotation.xml": None})
    got = []
    with pytest.raises(CorruptFile, match="Annotation.xml"):
        for block in ofd.extract(io.BytesIO(data), ScanOptions()):
            got.append(block.text)
    assert "正文" in got


def test_annotation_parameters_and_locations_relative_to_the_document():
    data = b.build_ofd([[]], annotations={0: [b.annot(parameters={"备注": "工作秘密"})]})
    index = data_part(data, "Doc_0/Annots/Annotations.xml").replace(
        "<ofd:FileLoc>Page_0/", "<ofd:FileLoc>Annots/Page_0/")
    got = blocks(replace_part(data, "Doc_0/Annots/Annotations.xml", index))
    assert [(x.text, x.location) for x in got if x.location.part == "comment"] == [
        ("工作秘密", Location("comment", page=1, name="审核人"))]


# --- marks end to end (with the real rules) -----------------------------------------------------

def test_marked_ofd_has_a_marking_at_page_one_top_and_an_unmarked_one_is_clean():
    marked = b.build_ofd([[Text(MARK, 20, 15, 5.6), *b.body_page(1, 5)]], title="年度工作安排")
    found = strongest(detect(blocks(marked)))
    assert found is not None and found.level is Level.MIMI
    assert found.location == Location("body", page=1, line=1)
    clean = b.build_ofd([b.body_page(1, 6), b.body_page(7, 6)], title="年度工作安排")
    assert strongest(detect(blocks(clean))) is None


# --- limits, errors, encryption, sniffing ----------------------------------------------------

def test_max_text_chars_stops_early():
    data = b.build_ofd([b.body_page(1, 10), b.body_page(11, 10)])
    limited = [x for x in blocks(data, max_text_chars=60) if x.location.part == "body"]
    assert [x.text for x in limited] == ["正文1：关于做好年度工作的安排意见", "正文2：关于做好年度工作的安排意见",
                                         "正文3：关于做好年度工作的安排意见"]


def test_broken_content_xml_is_corrupt_after_the_readable_pages():
    data = b.build_ofd([[Text("第一页", 20, 100)], [Text("第二页", 20, 100)], [Text("第三页", 20, 100)]],
                       parts={"Doc_0/Pages/Page_1/Content.xml": b"<ofd:Page xmlns:ofd='x'><ofd:Content>"})
    got = []
    with pytest.raises(CorruptFile, match="page 2"):
        for block in ofd.extract(io.BytesIO(data), ScanOptions()):
            got.append(block.text)
    assert "第一页" in got and "第三页" in got


@pytest.mark.parametrize("missing", ["Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml"])
def test_missing_parts_are_corrupt(missing):
    with pytest.raises(CorruptFile):
        blocks(b.build_ofd([[Text("正文", 20, 100)]], parts={missing: None}))


@pytest.mark.parametrize("entry", [b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>", b"<ofd:OFD",
                                   b"\xff\xfe garbage"])
def test_broken_or_empty_ofd_xml_is_corrupt(entry):
    with pytest.raises(CorruptFile):
        blocks(b.build_ofd([[Text("正文", 20, 100)]], parts={"OFD.xml": entry}))


def test_not_a_zip_is_corrupt():
    with pytest.raises(CorruptFile):
        blocks(b"PK\x03\x04 truncated")


def test_entity_bomb_in_content_xml_does_not_expand():
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE ofd:Page [<!ENTITY l0 "lol">{lol}]>'
            f'<ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="1">'
            f'<ofd:TextObject ID="2" Boundary="20 20 100 10" Size="5"><ofd:TextCode X="0" Y="5">&l9;</ofd:TextCode>'
            f"</ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>").encode()
    data = b.build_ofd([[Text("正文", 20, 100)]], parts={"Doc_0/Pages/Page_0/Content.xml": bomb})
    start = time.perf_counter()
    try:
        texts = [x.text for x in blocks(data)]
    except CorruptFile:
        texts = []
    assert time.perf_counter() - start < 1.0
    assert not any("lol" in t for t in texts)


def test_a_small_entity_reference_is_left_out_not_expanded():
    page = (f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY m "秘密">]><ofd:Page xmlns:ofd="{NS}">'
            f'<ofd:Content><ofd:Layer ID="1"><ofd:TextObject ID="2" Boundary="20 20 100 10" Size="5">'
            f'<ofd:TextCode X="0" Y="5" DeltaX="g 4 5">&m;★1年</ofd:TextCode></ofd:TextObject>'
            f"</ofd:Layer></ofd:Content></ofd:Page>").encode()
    data = b.build_ofd([[]], parts={"Doc_0/Pages/Page_0/Content.xml": page})
    assert [t for t, _, _, _ in body(data)] == ["★1年"]


def test_encryptions_xml_means_encrypted():
    entry = (f'<ofd:Encryptions xmlns:ofd="{NS}"><ofd:EncryptInfo ID="1"><ofd:DecryptSeedLoc>'
             "Enc/seed.xml</ofd:DecryptSeedLoc></ofd:EncryptInfo></ofd:Encryptions>").encode()
    with pytest.raises(EncryptedFile):
        blocks(b.build_ofd([[Text("正文", 20, 100)]], parts={"Encryptions.xml": entry}))


def test_encrypted_zip_members_mean_encrypted():
    data = bytearray(b.build_ofd([[Text("正文", 20, 100)]]))
    pos = zipfile.ZipFile(io.BytesIO(bytes(data))).start_dir
    while data[pos:pos + 4] == b"PK\x01\x02":
        flags, = struct.unpack_from("<H", data, pos + 8)
        struct.pack_into("<H", data, pos + 8, flags | 1)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        pos += 46 + name_len + extra_len + comment_len
    with pytest.raises(EncryptedFile):
        blocks(bytes(data))


def test_ofd_renamed_to_zip_is_sniffed_as_ofd():
    data = b.build_ofd([[Text(MARK, 20, 15)]])
    found = probe(io.BytesIO(data), len(data), "公文.zip")
    assert ofd.sniff(found)
    assert not docx.sniff(found) and not xlsx.sniff(found)


def test_other_zips_are_not_ofd():
    plain = b.zip_files({"Doc_0/OFD.xml": b"<x/>", "readme.txt": b"hi"})
    assert not ofd.sniff(probe(io.BytesIO(plain), len(plain), "x.ofd"))


def test_second_document_continues_page_numbers_and_opens_a_section():
    data = b.build_ofd([[Text("甲文正文", 20, 100)]])
    second = data_part(data, "Doc_0/Pages/Page_0/Content.xml").replace("甲文正文", MARK)
    files = {n: data_part(data, n).encode() for n in zipfile.ZipFile(io.BytesIO(data)).namelist()}
    files["Doc_1/Document.xml"] = files["Doc_0/Document.xml"]
    files["Doc_1/PublicRes.xml"] = files["Doc_0/PublicRes.xml"]
    files["Doc_1/Pages/Page_0/Content.xml"] = second.encode()
    files["OFD.xml"] = b.ofd_xml({}, "乙文", doc_roots=("Doc_0/Document.xml", "Doc_1/Document.xml")).encode()
    got = [x for x in blocks(b.zip_files(files)) if x.location.part == "body"]
    assert [(x.text, x.location.page, x.section_start) for x in got] == [
        ("甲文正文", 1, False), (MARK, 2, True)]


# --- helpers ----------------------------------------------------------------------------------

def data_part(data: bytes, name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode()


def replace_part(data: bytes, name: str, text: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files[name] = text.encode()
    return b.zip_files(files)
