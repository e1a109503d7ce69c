"""The HTML/XHTML/XML extractor: visible text with locations, title, meta, Word properties, charsets."""

from __future__ import annotations

import codecs
import io

import pytest

from markings.detect import detect, strongest
from scanner.errors import CorruptFile
from scanner.extractors import eml, html, rtf
from scanner.options import ScanOptions
from scanner.records import Level, Location, TextBlock
from scanner.sniff import probe


def blocks(data: bytes, **opts: int) -> list[TextBlock]:
    return list(html.extract(io.BytesIO(data), ScanOptions(**opts)))


def located(data: bytes) -> list[tuple[str, Location]]:
    return [(b.text, b.location) for b in blocks(data)]


PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>秘密★1年</title>
<meta name="keywords" content="值班, 安排"><meta name="密级" content="秘密">
<meta name="viewport" content="width=device-width"><meta name="generator" content="FrontPage">
<style>p {{ color: red }}</style><script>var level = "绝密";</script>
</head><body>
<div class="header">{first}</div>
<h1>关于调整值班安排的通知</h1>
<p>各单位：<br>请按要求做好<b>节假日</b>值班安排。</p>
<!-- 机密 draft note -->
<noscript>请启用脚本</noscript><template><p>模板</p></template>
<table><tr><th>序号</th><th colspan="2">姓名</th><th>日期</th></tr>
<tr><td>1</td><td><p>张三</p><p>李四</p></td><td>王五</td><td>1月1日</td></tr></table>
<pre>第一行
第二行</pre>
</body></html>"""


def page(first: str = "秘密★1年") -> bytes:
    return PAGE.format(first=first).encode("gbk")


def test_marked_page_every_part_has_its_location():
    assert located(page()) == [
        ("秘密★1年", Location("title")),
        ("值班, 安排", Location("meta", name="keywords")),
        ("秘密", Location("meta", name="密级")),
        ("秘密★1年", Location("body", paragraph=1)),
        ("关于调整值班安排的通知", Location("body", paragraph=2)),
        ("各单位：", Location("body", paragraph=3)),
        ("请按要求做好节假日值班安排。", Location("body", paragraph=4)),
        ("序号", Location("table", table=1, cell="A1")),
        ("姓名", Location("table", table=1, cell="B1")),
        ("日期", Location("table", table=1, cell="D1")),
        ("1", Location("table", table=1, cell="A2")),
        ("张三\n李四", Location("table", table=1, cell="B2")),
        ("王五", Location("table", table=1, cell="C2")),
        ("1月1日", Location("table", table=1, cell="D2")),
        ("第一行", Location("body", paragraph=5)),
        ("第二行", Location("body", paragraph=6)),
    ]


def test_first_paragraph_mark_is_a_marking_without_band():
    got = blocks(page())
    assert all(b.band is None for b in got)
    mark = strongest(detect(got))
    assert mark is not None and mark.level is Level.MIMI
    assert mark.location == Location("body", paragraph=1)


def test_unmarked_page_is_clean():
    got = blocks(PAGE.replace("<title>秘密★1年</title>", "<title>值班通知</title>")
                 .replace('<meta name="密级" content="秘密">', "").format(first="值班通知").encode("gbk"))
    assert strongest(detect(got)) is None
    assert not any("绝密" in b.text or "机密" in b.text or "模板" in b.text for b in got)


def test_word_saved_page_properties_and_mso_markup():
    data = """<html xmlns:o="urn:schemas-microsoft-com:office:office">
<head><meta http-equiv=Content-Type content="text/html; charset=gb2312">
<meta name=ProgId content=Word.Document><meta name=Generator content="Microsoft Word 15">
<!--[if gte mso 9]><xml>
 <o:DocumentProperties>
  <o:Author>张三</o:Author><o:Title>关于值班的通知</o:Title><o:Pages>1</o:Pages>
 </o:DocumentProperties>
 <o:CustomDocumentProperties>
  <o:_x5BC6__x7EA7_ dt:dt="string">机密</o:_x5BC6__x7EA7_>
 </o:CustomDocumentProperties>
</xml><![endif]-->
</head><body lang=ZH-CN><div class=WordSection1>
<p class=MsoNormal><span style='font-family:黑体'>机密★10年</span></p>
<p class=MsoNormal><![if !supportLists]><span>1.</span><![endif]>第一条&nbsp;内容</p>
</div></body></html>""".encode("gbk")
    got = located(data)
    assert got[:3] == [("张三", Location("properties", name="creator")),
                       ("关于值班的通知", Location("properties", name="title")),
                       ("机密", Location("properties", name="密级"))]
    assert got[3] == ("机密★10年", Location("body", paragraph=1))
    assert got[4][0].endswith("第一条\u00a0内容")
    assert strongest(detect(blocks(data))).location == Location("body", paragraph=1)


def test_xhtml_with_xml_declaration_reads_as_html():
    data = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>通知</title></head>
<body><p>内部</p><p>正文</p></body></html>""".encode()
    assert located(data) == [("通知", Location("title")), ("内部", Location("body", paragraph=1)),
                             ("正文", Location("body", paragraph=2))]


def test_generic_xml_gives_each_element_text():
    data = """<?xml version="1.0" encoding="GB2312"?>
<公文><密级>秘密★1年</密级><标题>关于值班的通知</标题><正文>各单位：<b>请</b>做好安排。</正文></公文>""".encode("gbk")
    assert located(data) == [("秘密★1年", Location("body", paragraph=1)),
                             ("关于值班的通知", Location("body", paragraph=2)),
                             ("各单位：", Location("body", paragraph=3)),
                             ("请", Location("body", paragraph=4)),
                             ("做好安排。", Location("body", paragraph=5))]


def test_xml_entities_are_never_expanded_or_fetched():
    data = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY ext SYSTEM "file:///etc/passwd">]><r><x>&b;</x><y>&ext;</y><z>text</z></r>"""
    got = [b.text for b in blocks(data)]
    assert got == ["text"]


def test_broken_xml_is_corrupt():
    with pytest.raises(CorruptFile):
        blocks(b'<?xml version="1.0"?><data><item>unclosed</data>')


def test_empty_and_broken_html_are_graceful():
    assert blocks(b"<html></html>") == []
    assert [b.text for b in blocks(b"<html><body><p>one<p>two</div></table><td>three")] == ["one", "two", "three"]


@pytest.mark.parametrize("raw", [
    "<html><body><p>秘密★1年</p></body></html>".encode("utf-16-le"),
    codecs.BOM_UTF16_LE + "<html><body><p>秘密★1年</p></body></html>".encode("utf-16-le"),
    codecs.BOM_UTF8 + "<html><body><p>秘密★1年</p></body></html>".encode(),
    '<html><head><meta charset="utf-8"></head><body><p>秘密★1年</p></body></html>'.encode("gbk"),
    "<html><body><p>秘密★1年</p><p>没有声明编码的网页正文内容</p></body></html>".encode("gb18030"),
])
def test_charsets_bom_declared_misdeclared_and_guessed(raw):
    assert blocks(raw)[0].text == "秘密★1年"


def test_text_budget_stops_reading():
    data = ("<html><body>" + "<p>内容内容内容内容</p>" * 2000 + "</body></html>").encode()
    got = blocks(data, max_text_chars=400)
    assert 400 <= sum(len(b.text) for b in got) < 420


def test_visible_text_for_mail_bodies():
    assert list(html.visible_text("<div>秘密★1年</div><div>正文<br/>下一行</div><style>x</style>")) == [
        "秘密★1年", "正文", "下一行"]


def sniffs(data: bytes, name: str = "x.bin") -> dict[str, bool]:
    pr = probe(io.BytesIO(data), len(data), name)
    return {m.FORMAT: m.sniff(pr) for m in (html, eml, rtf)}


@pytest.mark.parametrize("data", [
    page(), b"  \n<HTML><BODY>x</BODY></HTML>", b"<!-- saved -->\n<html>", b'<?xml version="1.0"?><r/>',
    codecs.BOM_UTF16_LE + "<html><body>x</body></html>".encode("utf-16-le"),
    b"<div>\n<meta name=x content=y><p>fragment</p>",
])
def test_html_renamed_txt_is_html(data):
    assert sniffs(data, "page.txt") == {"html": True, "eml": False, "rtf": False}


@pytest.mark.parametrize("data", [
    "会议纪要：讨论了 <html> 标签的用法\n".encode(), "<<关于值班的通知>>\n正文\n".encode("gbk"),
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR<html>", b"", "<p>段落</p>".encode() * 3,
])
def test_text_mentioning_tags_is_not_html(data):
    assert sniffs(data)["html"] is False


def test_mail_is_not_html():
    assert sniffs(b"From: a@example.cn\nSubject: x\n\n<html><body>hi</body></html>")["html"] is False
    assert eml.sniff(probe(io.BytesIO(page()), len(page()), "x.eml")) is False


def test_deeply_nested_markup_keeps_its_text():
    depth = 1000  # past libxml2's default limit of 256, which would lose the whole page
    data = ("<html><body>" + "<div>" * depth + "秘密★1年" + "</div>" * depth + "<p>正文</p></body></html>").encode()
    assert [b.text for b in blocks(data)] == ["秘密★1年", "正文"]
