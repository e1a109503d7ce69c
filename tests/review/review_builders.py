"""Documents for the pre-publication review tests, built in code: compiled booklets (汇编) as PDF and
DOCX, embedded attachments, mail and archive members, a two-sheet workbook, slide notes, document
properties, tracked changes and comments. Every mark is synthetic."""

from __future__ import annotations

import io
import struct
import zipfile
from email.message import EmailMessage

import docx
import openpyxl
from pptx import Presentation
from pptx.util import Inches

from tests.scanner import docx_builders as db
from tests.scanner.archive_builders import raw_zip, stored, zipcrypto
from tests.scanner.ole_builders import cfb
from tests.scanner.pdf_builders import Text, body_lines, build_pdf

BOOKLET_PAGES = 40
ITEM_TITLE = "关于加强档案管理工作的通知"


def booklet_pdf(first_item: str = "关于做好年度统计工作的通知", marks: dict[int, str] | None = None) -> bytes:
    """A 40-page compiled booklet: a cover, items starting on pages 2, 20 and 37/38; ``marks`` puts a mark
    alone at the top of a page, right above that item's title (default: 内部文件 on 37, 内部资料 on 38)."""
    marks = {37: "内部文件", 38: "内部资料"} if marks is None else marks
    pages = []
    for number in range(1, BOOKLET_PAGES + 1):
        if number == 1:
            pages.append([Text(200, 120, "2024年政策文件汇编", size=22), Text(230, 200, "某县统计局编印")])
        elif number in (2, 20) or number in marks:
            head = [Text(72, 60, marks[number])] if number in marks else []
            title = first_item if number == 2 else ITEM_TITLE
            pages.append(head + [Text(120, 100, title, size=16)] + body_lines(1, 12, y=140))
        else:
            pages.append(body_lines(number * 30, 30, y=80))
    return build_pdf(pages)


def booklet_docx(first_item: str = "关于做好年度统计工作的通知") -> bytes:
    """A DOCX booklet: cover and first item, a page break before an item whose first line is 内部, and a
    next-page section break before an item whose first line is 秘密★1年."""
    doc = db.new_document()
    doc.add_paragraph("2024年政策文件汇编")
    doc.add_paragraph(first_item)
    for i in range(20):
        doc.add_paragraph(f"第{i + 1}条 各单位要认真做好年度统计工作，按时报送数据。")
    doc.add_page_break()
    doc.add_paragraph("内部")
    doc.add_paragraph(ITEM_TITLE)
    for i in range(10):
        doc.add_paragraph(f"档案管理要求第{i + 1}项。")
    db.add_section(doc)
    doc.add_paragraph("秘密★1年")
    doc.add_paragraph("关于调整值班安排的通知")
    doc.add_paragraph("各科室：现将值班安排通知如下。")
    return db.to_bytes(doc)


def plain_docx(*paragraphs: str) -> bytes:
    doc = db.new_document()
    for text in paragraphs:
        doc.add_paragraph(text)
    return db.to_bytes(doc)


def marked_pdf(mark: str = "秘密★5年") -> bytes:
    return build_pdf([[Text(72, 60, mark), Text(150, 100, "关于某项工作的通知", size=16)] + body_lines(1, 5)])


def ole_package(name: str, data: bytes) -> bytes:
    """An OLE package object (oleObject*.bin) wrapping ``data`` as Windows' Packager stores a file."""
    label = name.encode("gbk") + b"\0"
    source = ("C:\\Users\\张三\\Desktop\\" + name).encode("gbk") + b"\0"
    temp = ("C:\\Temp\\" + name).encode("gbk") + b"\0"
    body = (b"\x02\x00" + label + source + b"\x00\x00\x03\x00" + struct.pack("<I", len(temp)) + temp
            + struct.pack("<I", len(data)) + data)
    return cfb({"\x01Ole10Native": struct.pack("<I", len(body)) + body})


def with_parts(package: bytes, parts: dict[str, bytes]) -> bytes:
    """``package`` (a zip) with extra parts added."""
    buf = io.BytesIO(package)
    with zipfile.ZipFile(buf, "a") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def embedding_docx() -> bytes:
    """A public-looking notice with two embedded objects: a packaged PDF marked 秘密★5年 and a DOCX marked 内部."""
    outer = plain_docx("关于印发工作方案的通知", "各单位：现将工作方案印发给你们，请认真贯彻执行。", "附件：工作方案")
    return with_parts(outer, {
        "word/embeddings/oleObject1.bin": ole_package("附件1.pdf", marked_pdf()),
        "word/embeddings/Microsoft_Word_Document.docx": plain_docx("内部", ITEM_TITLE, "正文。"),
    })


def mail_with_attachment() -> bytes:
    msg = EmailMessage()
    msg["Subject"] = "转发：年度工作材料"
    msg["From"] = "office@example.org"
    msg["To"] = "staff@example.org"
    msg.set_content("各位同事：材料见附件。")
    msg.add_attachment(plain_docx("机密★10年", ITEM_TITLE, "正文。"), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="材料.docx")
    return msg.as_bytes()


def zip_with(members: list[tuple[str, bytes]]) -> bytes:
    return raw_zip([stored(name, data) for name, data in members])


def zip_with_encrypted_member() -> bytes:
    return raw_zip([stored("公开说明.txt", "本材料为公开发布的统计公报。\n".encode()),
                    zipcrypto("附件.docx", plain_docx("关于某事的通知"), b"pw")])


def two_sheet_xlsx(mark: str = "内部资料 注意保存") -> bytes:
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "汇总"
    for row in range(1, 10):
        first.cell(row, 1, f"项目{row}")
        first.cell(row, 2, row * 10)
    second = wb.create_sheet("明细")
    second["A1"] = mark
    second["A2"], second["B2"] = "名称", "数量"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def notes_pptx() -> bytes:
    """Three slides: clean text on each; slide 2's notes hold a deck stamp, slide 3's notes a state mark."""
    prs = Presentation()
    for number, notes in ((1, ""), (2, "内部资料，请勿外传"), (3, "秘密★1年")):
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        slide.shapes.add_textbox(Inches(1), Inches(3), Inches(6), Inches(1)).text = f"第{number}部分 工作进展"
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def properties_docx() -> bytes:
    doc = docx.Document()
    doc.add_paragraph("关于举办业务培训班的通知")
    doc.add_paragraph("各单位：现将有关事项通知如下。")
    doc.core_properties.keywords = "内部"
    doc.core_properties.subject = "内部资料"
    return db.to_bytes(doc)


def tracked_docx() -> bytes:
    """An inserted 秘密★1年 as the first line (current text) and a deleted 机密★10年 later (still in the file)."""
    doc = db.new_document()
    db.add_raw_paragraph(doc, '<w:ins w:id="1" w:author="李四">' + db.run("秘密★1年") + "</w:ins>")
    doc.add_paragraph("关于调整值班安排的通知")
    for i in range(10):
        doc.add_paragraph(f"第{i + 1}项安排。")
    db.add_raw_paragraph(doc, db.run("附注：") + '<w:del w:id="2" w:author="李四"><w:r><w:delText>机密★10年'
                         "</w:delText></w:r></w:del>")
    return db.to_bytes(doc)


def deleted_mark_docx() -> bytes:
    """The document's mark was deleted with change tracking on: the first line is a w:del of 机密★10年."""
    doc = db.new_document()
    db.add_raw_paragraph(doc, '<w:del w:id="1" w:author="王五"><w:r><w:delText>机密★10年</w:delText></w:r></w:del>')
    doc.add_paragraph("关于调整值班安排的通知")
    doc.add_paragraph("各科室：现将值班安排通知如下。")
    return db.to_bytes(doc)


def comments_docx() -> bytes:
    doc = docx.Document()
    first = doc.add_paragraph("关于举办业务培训班的通知")
    doc.add_comment(first.runs[0], text="秘密★1年", author="李四")
    second = doc.add_paragraph("各单位：现将有关事项通知如下。")
    doc.add_comment(second.runs[0], text="此件为内部文件，请勿公开", author="张三")
    return db.to_bytes(doc)
