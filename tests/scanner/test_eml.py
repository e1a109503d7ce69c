"""The e-mail extractor: decoded headers, body lines, attachments as Members with limits, sniffing."""

from __future__ import annotations

import base64
import io
from email.message import EmailMessage

import docx as python_docx
import pytest

from markings.detect import detect, strongest
from scanner.errors import EncryptedFile, TooLarge
from scanner.extractors import eml, html, rtf, txt
from scanner.options import ScanOptions
from scanner.records import Level, Location, Member, Status, TextBlock
from scanner.sniff import probe

SUBJECT = "【内部】关于调整值班安排的通知"
CRLF = b"\r\n"


def items(data: bytes, **opts: int) -> list[TextBlock | Member]:
    return list(eml.extract(io.BytesIO(data), ScanOptions(**opts)))


def blocks(data: bytes, **opts: int) -> list[TextBlock]:
    return [x for x in items(data, **opts) if isinstance(x, TextBlock)]


def members(data: bytes, **opts: int) -> list[Member]:
    return [x for x in items(data, **opts) if isinstance(x, Member)]


def b64(text: str, codec: str = "gbk") -> str:
    return base64.b64encode(text.encode(codec)).decode()


def docx_bytes(*paragraphs: str) -> bytes:
    doc = python_docx.Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


ATTACHMENT = docx_bytes("机密★10年", "关于值班安排的附件")


def marked_mail() -> bytes:
    """A Chinese client's mail: GBK encoded words (one character split across two words), a raw GBK
    To header, a GBK body with a mark on line 1, an HTML alternative and a .docx with an RFC 2231 name."""
    subject = SUBJECT.encode("gbk")
    cut = len("【内部】关于".encode("gbk")) + 1  # the second word starts inside the character 调
    words = [base64.b64encode(subject[:cut]).decode(), base64.b64encode(subject[cut:]).decode()]
    name = "".join(f"%{b:02X}" for b in "值班附件.docx".encode("gbk"))
    body = "秘密★1年\n\n各单位：\n请按要求做好节假日值班安排。\n".encode("gbk")
    return CRLF.join([
        f"From: =?gb2312?B?{b64('办公室')}?= <office@example.cn>".encode(),
        "To: 李四 <lisi@example.cn>".encode("gbk"),
        b"Cc: wang@example.cn",
        f"Subject: =?GBK?B?{words[0]}?=\r\n =?GBK?B?{words[1]}?=".encode(),
        b"Date: Mon, 01 Jan 2024 08:00:00 +0800",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="outer"',
        b"", b"--outer",
        b'Content-Type: multipart/alternative; boundary="alt"',
        b"", b"--alt",
        b"Content-Type: text/plain; charset=gb2312",
        b"Content-Transfer-Encoding: base64",
        b"", base64.encodebytes(body).strip(),
        b"--alt",
        b"Content-Type: text/html; charset=utf-8",
        b"", "<p>秘密★1年</p><p>HTML 版本不应重复出现</p>".encode(), b"--alt--",
        b"--outer",
        b"Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        f"Content-Disposition: attachment; filename*=gbk''{name}".encode(),
        b"Content-Transfer-Encoding: base64",
        b"", base64.encodebytes(ATTACHMENT).strip(),
        b"--outer--", b""])


def simple(body: str = "各位同事：周五下午召开例会。", **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = headers.get("sender", "张三 <zhang@example.cn>")
    msg["To"] = "all@example.cn"
    msg["Subject"] = headers.get("subject", "例会通知")
    msg["Date"] = "Tue, 02 Jan 2024 09:00:00 +0800"
    msg.set_content(body)
    return msg.as_bytes()


# --- headers, body, attachment ------------------------------------------------------------------

def test_marked_mail_headers_are_decoded_with_their_locations():
    got = [(b.text, b.location) for b in blocks(marked_mail()) if b.location.part == "header"]
    assert got == [
        (SUBJECT, Location("header", name="subject")),
        ("办公室 <office@example.cn>", Location("header", name="from")),
        ("李四 <lisi@example.cn>", Location("header", name="to")),
        ("wang@example.cn", Location("header", name="cc")),
        ("Mon, 01 Jan 2024 08:00:00 +0800", Location("header", name="date")),
    ]


def test_marked_mail_body_lines_come_from_the_plain_alternative_only():
    body = [(b.text, b.location) for b in blocks(marked_mail()) if b.location.part == "body"]
    assert body == [
        ("秘密★1年", Location("body", line=1)),
        ("各单位：", Location("body", line=3)),
        ("请按要求做好节假日值班安排。", Location("body", line=4)),
    ]


def test_attachment_is_a_member_with_exact_bytes_and_decoded_gbk_name():
    (member,) = members(marked_mail())
    assert member == Member("值班附件.docx", ATTACHMENT, None)
    assert python_docx.Document(io.BytesIO(member.data)).paragraphs[0].text == "机密★10年"


def test_marks_are_detected_in_subject_and_first_body_line():
    findings = [f for f in detect(blocks(marked_mail())) if f.kind.value == "marking"]
    assert [(f.level, f.location) for f in findings] == [
        (Level.NEIBU, Location("header", name="subject")),
        (Level.MIMI, Location("body", line=1)),
    ]
    assert strongest(findings).level is Level.MIMI


def test_unmarked_mail_is_clean():
    got = blocks(simple())
    assert [b.text for b in got if b.location.part == "body"] == ["各位同事：周五下午召开例会。"]
    assert strongest(detect(got)) is None
    assert members(simple()) == []


@pytest.mark.parametrize("disposition,expected", [
    ('attachment; filename="=?GB2312?B?' + b64("会议纪要.pdf") + '?="', "会议纪要.pdf"),
    ("attachment;\r\n filename*0*=utf-8''%E4%BC%9A%E8%AE%AE;\r\n filename*1*=%E7%BA%AA%E8%A6%81.pdf", "会议纪要.pdf"),
    ("attachment; filename=\"..\\\\..\\\\evil/名单.xls\"", ".._.._evil_名单.xls"),
])
def test_attachment_name_encodings(disposition, expected):
    data = CRLF.join([b"From: a@example.cn", b"Subject: x", b"MIME-Version: 1.0",
                      b'Content-Type: multipart/mixed; boundary="b"', b"", b"--b",
                      b"Content-Type: text/plain", b"", b"body", b"--b",
                      b"Content-Type: application/octet-stream",
                      f"Content-Disposition: {disposition}".encode(), b"", b"payload", b"--b--", b""])
    assert [m.name for m in members(data)] == [expected]


def test_raw_gbk_filename_and_header_bytes_are_decoded():
    data = CRLF.join([b"From: a@example.cn", "Subject: 工作安排".encode("gbk"), b"MIME-Version: 1.0",
                      b'Content-Type: multipart/mixed; boundary="b"', b"", b"--b",
                      b"Content-Type: application/octet-stream",
                      b'Content-Disposition: attachment; filename="' + "名单.xls".encode("gbk") + b'"',
                      b"", b"payload", b"--b--", b""])
    assert [b.text for b in blocks(data) if b.location.name == "subject"] == ["工作安排"]
    assert [m.name for m in members(data)] == ["名单.xls"]


def test_forwarded_message_inline_image_and_duplicate_names():
    outer = EmailMessage()
    outer["From"], outer["Subject"] = "a@example.cn", "转发"
    outer.set_content("见附件")
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "b@example.cn", "原始通知"
    inner.set_content("秘密★1年\n原文")
    outer.add_attachment(inner)
    outer.add_attachment(b"one", maintype="application", subtype="octet-stream", filename="表.xls")
    outer.add_attachment(b"two", maintype="application", subtype="octet-stream", filename="表.xls")
    outer.add_attachment(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", disposition="inline")
    got = members(outer.as_bytes())
    assert [m.name for m in got] == ["原始通知.eml", "表.xls", "表 (2).xls", "part4.png"]
    assert [m.data for m in got[1:]] == [b"one", b"two", b"\x89PNG\r\n\x1a\n"]
    nested = blocks(got[0].data)  # the scanner scans it as a mail of its own
    assert [(b.text, b.location) for b in nested if b.location.part == "body"][0] == (
        "秘密★1年", Location("body", line=1))


def test_html_only_mail_body_is_its_visible_text():
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "a@example.cn", "通知"
    msg.set_content("<html><head><style>p{}</style></head><body><p>内部</p><p>正文<br>第二行</p>"
                    "<script>var x='机密';</script></body></html>", subtype="html")
    got = [(b.text, b.location.line) for b in blocks(msg.as_bytes()) if b.location.part == "body"]
    assert got == [("内部", 1), ("正文", 2), ("第二行", 3)]


def test_msip_labels_header_becomes_properties():
    data = CRLF.join([b"From: a@example.cn", b"Subject: x",
                      b"msip_labels: MSIP_Label_abc_Enabled=True; MSIP_Label_abc_Name==?utf-8?B?" +
                      b64("机密", "utf-8").encode() + b"?=", b"", b"body", b""])
    props = [(b.text, b.location) for b in blocks(data) if b.location.part == "properties"]
    assert ("机密", Location("properties", name="MSIP_Label_abc_Name")) in props


# --- limits -----------------------------------------------------------------------------------------

def many_attachments(n: int, size: int = 10) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "a@example.cn", "附件多"
    msg.set_content("正文")
    for i in range(n):
        msg.add_attachment(bytes([i % 256]) * size, maintype="application", subtype="octet-stream",
                           filename=f"f{i}.bin")
    return msg.as_bytes()


def test_oversized_attachment_is_skipped_naming_the_limit():
    data = many_attachments(2, size=1000)
    got = members(data, max_member_size=999)
    assert [(m.name, m.data, m.status, m.size) for m in got] == [
        ("f0.bin", None, Status.SKIPPED, 1000), ("f1.bin", None, Status.SKIPPED, 1000)]
    assert "999-byte per-member limit" in got[0].reason


def test_total_size_limit_skips_the_rest():
    got = members(many_attachments(3, size=100), max_total_size=250)
    assert [m.status for m in got] == [None, None, Status.SKIPPED]
    assert "250-byte total limit" in got[2].reason


def test_member_count_limit_raises_after_the_first_n():
    gen = eml.extract(io.BytesIO(many_attachments(5)), ScanOptions(max_members=3))
    seen = []
    with pytest.raises(TooLarge, match="more than 3 attachments"):
        for item in gen:
            seen.append(item)
    assert [m.name for m in seen if isinstance(m, Member)] == ["f0.bin", "f1.bin", "f2.bin"]
    assert any(isinstance(b, TextBlock) and b.location.part == "body" for b in seen)


# --- damaged and encrypted ------------------------------------------------------------------------

def test_truncated_mail_still_gives_headers_and_body():
    data = marked_mail()
    cut = data[: data.index(b"--outer--") - 300]  # ends inside the attachment's base64
    got = items(cut)
    assert [b.text for b in got if isinstance(b, TextBlock)][:1] == [SUBJECT]
    assert any(isinstance(b, TextBlock) and b.text == "秘密★1年" for b in got)
    assert [m.name for m in got if isinstance(m, Member)] == ["值班附件.docx"]


def test_broken_encodings_are_replaced_never_raised():
    data = CRLF.join([b"From: =?x-unknown-charset?Q?=E5=BC=A0?= <a@example.cn>",
                      b"Subject: =?gbk?B?####?= =?utf-8?Q?=FF=FE?= ok", b"Content-Type: text/plain; charset=bogus",
                      b"", b"\xff\xfe\xb1\xa3\xc3\xdc", b""])
    got = blocks(data)
    assert got[0].location.name == "subject" and got[0].text.endswith(" ok")
    assert got[1].text == "张 <a@example.cn>"
    assert [b.location.part for b in got][-1] == "body"


def test_smime_encrypted_mail_gives_headers_then_encrypted():
    data = CRLF.join([b"From: a@example.cn", b"Subject: =?utf-8?B?" + b64("机密文件", "utf-8").encode() + b"?=",
                      b"MIME-Version: 1.0",
                      b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
                      b"Content-Transfer-Encoding: base64", b"", b"MIAGCSqGSIb3DQEHA6CAMIACAQAxggE=", b""])
    gen = eml.extract(io.BytesIO(data), ScanOptions())
    assert [b.text for b in [next(gen), next(gen)]] == ["机密文件", "a@example.cn"]
    with pytest.raises(EncryptedFile):
        next(gen)


# --- sniffing ---------------------------------------------------------------------------------

def sniffs(data: bytes, name: str = "x.bin") -> dict[str, bool]:
    pr = probe(io.BytesIO(data), len(data), name)
    return {m.FORMAT: m.sniff(pr) for m in (eml, html, rtf, txt)}


def test_eml_renamed_txt_is_eml():
    got = sniffs(marked_mail(), "mail.txt")
    assert (got["eml"], got["html"], got["rtf"]) == (True, False, False)


@pytest.mark.parametrize("data", [
    "会议纪要\n请注意 From: 张三 To: 李四\nSubject: 无\n".encode(),
    "From: 张三\n今天的会议改到下午。\n".encode("gbk"),
    b"Note: x\nTodo: y\n\nbody\n",
    b"<html><body>From: a\nTo: b</body></html>",
    b"From: a@example.cn\nTo: b@example.cn\n\x00\x01binary",
    "from: 北京\nto: 上海\ndate: 2024-01-01\n".encode(),  # YAML keys
])
def test_text_with_mail_words_is_not_eml(data):
    assert sniffs(data)["eml"] is False


@pytest.mark.parametrize("data", [
    b"From alice@example.cn Mon Jan  1 08:00:00 2024\nFrom: alice@example.cn\nSubject: mbox\n\nbody\n",
    b"From: <Saved by Windows Internet Explorer 8>\r\nSubject: page\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/related; boundary="x"\r\n\r\n',
    b"Received: from mx.example.cn\r\n\tby mail.example.cn; Mon, 1 Jan 2024\r\nReturn-Path: <a@example.cn>\r\n",
])
def test_mbox_mht_and_server_copies_are_eml(data):
    assert sniffs(data)["eml"] is True
