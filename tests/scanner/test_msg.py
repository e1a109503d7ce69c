"""The Outlook .msg extractor, on messages built in code by a small OLE2 writer (below).

extract-msg cannot write .msg files and no permissive library can, so ``cfb()`` (tests/scanner/ole_builders.py) writes a version-3
compound file ([MS-CFB]: header, FAT, mini stream for streams under 4096 bytes, a balanced
directory tree) and ``message_streams()`` lays out MAPI properties as Outlook does ([MS-OXMSG]).
The writer was checked once against extract-msg 0.57 (GPL, not a dependency), which read subject,
sender, date, body, attachments and the attached message of a built file as written here.
"""

from __future__ import annotations

import io
import struct

import docx as python_docx
import olefile
import pytest

from markings.detect import detect, strongest
from scanner.errors import CorruptFile, EncryptedFile, TooLarge
from scanner.extractors import eml, msg
from scanner.options import ScanOptions
from scanner.records import Level, Location, Member, Status, TextBlock
from scanner.sniff import probe
from tests.scanner.ole_builders import cfb, message_streams

# --- the tests ---------------------------------------------------------------------------------

SUBJECT = "【内部】关于调整值班安排的通知"
BODY = "秘密★1年\r\n\r\n各单位：\r\n请按要求做好节假日值班安排。\r\n"
JAN_1_2024 = struct.pack("<Q", 133485408000000000)  # FILETIME of 2024-01-01 00:00 UTC


def docx_bytes(*paragraphs: str) -> bytes:
    doc = python_docx.Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


ATTACHMENT = docx_bytes("机密★10年", "值班表")
HEADERS = {0x0037: SUBJECT, 0x0C1A: "办公室", 0x5D01: "office@example.cn", 0x0E04: "李四; 王五",
           0x0E03: "赵六", 0x001A: "IPM.Note"}


def build(strings: dict[int, str] | None = None, **kw) -> bytes:
    values = {**HEADERS, 0x1000: BODY} if strings is None else strings
    kw.setdefault("fixed", {0x00390040: JAN_1_2024})
    return cfb(message_streams("", "message", values, **kw))


def items(data: bytes, **opts: int) -> list[TextBlock | Member]:
    return list(msg.extract(io.BytesIO(data), ScanOptions(**opts)))


def blocks(data: bytes, **opts: int) -> list[TextBlock]:
    return [x for x in items(data, **opts) if isinstance(x, TextBlock)]


def members(data: bytes, **opts: int) -> list[Member]:
    return [x for x in items(data, **opts) if isinstance(x, Member)]


def test_the_writer_makes_a_compound_file_olefile_reads():
    data = build(attachments=[{"name": "big.bin", "data": bytes(range(256)) * 40}])
    ole = olefile.OleFileIO(data)
    assert ole.openstream("__substg1.0_0037001F").read().decode("utf-16-le") == SUBJECT
    assert ole.openstream("__attach_version1.0_#00000000/__substg1.0_37010102").read() == bytes(range(256)) * 40


def test_marked_message_headers_and_body_with_locations():
    got = [(b.text, b.location) for b in blocks(build())]
    assert got == [
        (SUBJECT, Location("header", name="subject")),
        ("办公室 <office@example.cn>", Location("header", name="from")),
        ("李四; 王五", Location("header", name="to")),
        ("赵六", Location("header", name="cc")),
        ("Mon, 01 Jan 2024 00:00:00 +0000", Location("header", name="date")),
        ("秘密★1年", Location("body", line=1)),
        ("各单位：", Location("body", line=3)),
        ("请按要求做好节假日值班安排。", Location("body", line=4)),
    ]


def test_marks_are_detected_in_subject_and_first_body_line():
    findings = [f for f in detect(blocks(build())) if f.kind.value == "marking"]
    assert [(f.level, f.location) for f in findings] == [
        (Level.NEIBU, Location("header", name="subject")), (Level.MIMI, Location("body", line=1))]


def test_attachment_is_a_member_with_exact_bytes_and_chinese_name():
    got = members(build(attachments=[{"name": "值班表.docx", "data": ATTACHMENT}]))
    assert got == [Member("值班表.docx", ATTACHMENT, None)]


def test_unmarked_message_is_clean():
    data = build({0x0037: "例会通知", 0x0C1A: "张三", 0x1000: "周五下午召开例会。"})
    got = blocks(data)
    assert [b.text for b in got if b.location.part == "body"] == ["周五下午召开例会。"]
    assert strongest(detect(got)) is None


def test_ansi_strings_use_the_message_code_page():
    data = build({0x0037: SUBJECT, 0x1000: "秘密★1年\r\n正文"}, unicode=False, codepage=936)
    assert [b.text for b in blocks(data)] == [SUBJECT, "Mon, 01 Jan 2024 00:00:00 +0000", "秘密★1年", "正文"]


def test_html_body_when_there_is_no_plain_text():
    markup = "<html><body><p>内部</p><p>正文<br>第二行</p><script>x='机密'</script></body></html>"
    data = build({0x0037: "通知"}, binaries={0x1013: markup.encode("gbk")}, codepage=936)
    got = [(b.text, b.location) for b in blocks(data) if b.location.part == "body"]
    assert got == [("内部", Location("body", line=1)), ("正文", Location("body", line=2)),
                   ("第二行", Location("body", line=3))]


def literal_lzfu(raw: bytes) -> bytes:
    """LZFu with literals only (control byte 0 before every 8 bytes), then the end marker."""
    body = bytearray()
    for i in range(0, len(raw), 8):
        body += b"\0" + raw[i:i + 8]
    end = (207 + len(raw)) % 4096  # the end marker refers to the write position
    if len(raw) % 8:
        body[-(len(raw) % 8) - 1] |= 1 << (len(raw) % 8)
    else:
        body += b"\x01"
    body += struct.pack(">H", end << 4)
    return struct.pack("<IIII", len(body) + 12, len(raw), 0x75465A4C, 0) + bytes(body)


@pytest.mark.parametrize("packed,expected", [
    # [MS-OXRTFCP] section 4.1 examples (the second has a run that overlaps its own output)
    (bytes.fromhex("2d0000002b0000004c5a4675f1c5c7a703000a00726370673132354232"
                   "0af32068656c090020627705b06c647d0a800fa0"), b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"),
    (bytes.fromhex("1a0000001c0000004c5a4675e2d44b51410004205758595a0d6e7d010eb0"),
     b"{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}"),
    (struct.pack("<IIII", 17, 5, 0x414C454D, 0) + b"{\\rtf}", b"{\\rtf"),  # "MELA": stored
])
def test_compressed_rtf_examples(packed, expected):
    assert msg.decompress_rtf(packed) == expected


def test_compressed_rtf_body_when_it_is_the_only_body():
    rtf = (r"{\rtf1\ansi\ansicpg936{\fonttbl{\f0\fcharset134 x;}}\pard\f0 " +
           "".join(f"\\'{b:02x}" for b in "秘密★1年".encode("gbk")) + r"\par\pard body\par}").encode()
    assert msg.decompress_rtf(literal_lzfu(rtf)) == rtf
    data = build({0x0037: "通知"}, binaries={0x1009: literal_lzfu(rtf)})
    got = [(b.text, b.location) for b in blocks(data) if b.location.part == "body"]
    assert got == [("秘密★1年", Location("body", line=1)), ("body", Location("body", line=2))]


def test_attached_message_becomes_an_eml_member_the_mail_extractor_reads():
    inner = {"strings": {0x0037: "原始通知", 0x0C1A: "张三", 0x1000: "机密★10年\r\n原文", 0x001A: "IPM.Note"},
             "attachments": [{"name": "名单.xls", "data": b"inner bytes"}]}
    (member,) = members(build(attachments=[{"name": "转发.msg", "message": inner}]))
    assert member.name == "转发.eml" and member.status is None
    assert member.data == members(build(attachments=[{"name": "转发.msg", "message": inner}]))[0].data
    nested = list(eml.extract(io.BytesIO(member.data), ScanOptions()))
    texts = [(b.text, b.location) for b in nested if isinstance(b, TextBlock)]
    assert texts[:2] == [("原始通知", Location("header", name="subject")), ("张三", Location("header", name="from"))]
    assert ("机密★10年", Location("body", line=1)) in texts
    assert [(m.name, m.data) for m in nested if isinstance(m, Member)] == [("名单.xls", b"inner bytes")]


def test_limits_and_attachments_without_data():
    atts = [{"name": "big.bin", "data": b"x" * 5000}, {"name": "object.bin", "object": b"ole"},
            {"name": "link.url", "data": None, "method": 2}, {"name": "ok.txt", "data": b"ok"}]
    got = members(build(attachments=atts), max_member_size=4999)
    assert [(m.name, m.status, m.size) for m in got] == [
        ("big.bin", Status.SKIPPED, 5000), ("object.bin", Status.SKIPPED, None),
        ("link.url", Status.SKIPPED, None), ("ok.txt", None, None)]
    assert "4999-byte per-member limit" in got[0].reason
    assert "embedded OLE object" in got[1].reason and "no attached data" in got[2].reason


def test_member_count_limit_raises_after_the_first_n():
    data = build(attachments=[{"name": f"f{i}.txt", "data": b"x"} for i in range(4)])
    seen: list = []
    with pytest.raises(TooLarge, match="more than 2 attachments"):
        for item in msg.extract(io.BytesIO(data), ScanOptions(max_members=2)):
            seen.append(item)
    assert [m.name for m in seen if isinstance(m, Member)] == ["f0.txt", "f1.txt"]


@pytest.mark.parametrize("kind,attachment", [("IPM.Note.SMIME", "smime.p7m"), ("IPM.Note", "message.rpmsg")])
def test_encrypted_and_rights_protected_give_headers_then_encrypted(kind, attachment):
    data = build({0x0037: "机密文件", 0x001A: kind}, attachments=[{"name": attachment, "data": b"\x30\x80"}])
    gen = msg.extract(io.BytesIO(data), ScanOptions())
    assert next(gen).text == "机密文件"
    with pytest.raises(EncryptedFile):
        list(gen)


def test_signed_message_is_read():
    data = build({0x0037: "签名邮件", 0x001A: "IPM.Note.SMIME.MultipartSigned", 0x1000: "正文"})
    assert [b.text for b in blocks(data)][-1] == "正文"


def test_damaged_compound_file_is_corrupt():
    with pytest.raises(CorruptFile):
        items(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 100)
    with pytest.raises(CorruptFile):
        items(build()[:1536])  # the directory and the streams are cut off


def test_sniff_by_content():
    data = build()
    assert msg.sniff(probe(io.BytesIO(data), len(data), "mail.txt")) is True
    other = cfb({"WordDocument": b"\0" * 100, "1Table": b"\0" * 10})
    assert msg.sniff(probe(io.BytesIO(other), len(other), "x.msg")) is False
    assert msg.sniff(probe(io.BytesIO(b"From: a\r\nTo: b\r\n"), 16, "x.msg")) is False


def test_sensitivity_label_from_transport_headers():
    headers = "Received: from x\r\nmsip_labels: MSIP_Label_abc_Enabled=True; MSIP_Label_abc_Name=机密\r\n\r\n"
    got = blocks(build({0x0037: "x", 0x007D: headers}))
    assert ("机密", Location("properties", name="MSIP_Label_abc_Name")) in [(b.text, b.location) for b in got]


def test_damaged_rtf_body_keeps_its_text_and_the_attachments():
    rtf = br"{\rtf1\ansi\pard first\par\pard cut"  # truncated: the group never closes
    data = build({0x0037: "x"}, binaries={0x1009: literal_lzfu(rtf)},
                 attachments=[{"name": "a.txt", "data": b"a"}])
    got = items(data)
    assert [b.text for b in got if isinstance(b, TextBlock) and b.location.part == "body"] == ["first", "cut"]
    assert [m.name for m in got if isinstance(m, Member)] == ["a.txt"]
