"""Make the committed .doc fixtures: DOCX built with python-docx, converted ONCE by LibreOffice.

NOT run by the tests (LibreOffice is never needed at test or run time). Run by hand from the
repository root:

    /work/venv/bin/python tests/data/legacy/doc/make_fixtures.py [name ...]

It writes every ``<name>.docx`` to a temporary folder, converts them with
``soffice --headless --convert-to doc --outdir tests/data/legacy/doc <files>`` and makes
``encrypted.doc`` by loading ``gongwen.docx`` in LibreOffice through UNO (system python3 with
the ``uno`` module) and storing it with the "MS Word 97" filter and the password ``docscan``.
All text is synthetic.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))
sys.path.insert(0, ROOT)

from docx.enum.section import WD_SECTION  # noqa: E402
from docx.shared import Pt  # noqa: E402
from docx.text.paragraph import Paragraph  # noqa: E402

from tests.scanner import docx_builders as b  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
SOFFICE = "/usr/bin/soffice"
BODY = "各单位要严格落实保密工作责任制，加强涉密载体管理，定期开展保密自查自评。"


def field(paragraph: Paragraph, code: str, result: str) -> None:
    """Append a complex field (begin, instruction, separate, result, end) as five runs."""
    for run in ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>',
                f'<w:r><w:instrText xml:space="preserve"> {code} </w:instrText></w:r>',
                '<w:r><w:fldChar w:fldCharType="separate"/></w:r>', b.run(result),
                '<w:r><w:fldChar w:fldCharType="end"/></w:r>'):
        b.append_xml(paragraph, run)


def gongwen() -> bytes:
    """A 公文: 份号, 密级★期限, 紧急程度 as the first paragraphs; a PAGE field in the footer."""
    doc = b.new_document()
    doc.core_properties.title = "关于做好2024年度保密检查工作的通知"
    doc.core_properties.author = "市政府办公室"
    for text in ("000035", "秘密★1年", "特急", "", "某某市人民政府办公室文件", "某政办发〔2024〕12号",
                 "关于做好2024年度保密检查工作的通知", "各区人民政府，市政府各部门："):
        doc.add_paragraph(text)
    for i in range(3):
        doc.add_paragraph(f"{'一二三'[i]}、{BODY}")
    doc.add_paragraph("某某市人民政府办公室")
    doc.add_paragraph("2024年3月1日")
    footer = doc.sections[0].footer.paragraphs[0]
    footer.text = "— "
    field(footer, "PAGE", "1")
    footer.add_run(" —")
    b.set_custom_properties(doc, {"密级": "秘密", "项目编号": "2024-017"})
    return b.to_bytes(doc)


def header_mark() -> bytes:
    """``机密★10年`` only in the default page header; a first-page header and a footer besides."""
    doc = b.new_document()
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    section.header.paragraphs[0].text = "机密★10年"
    section.first_page_header.paragraphs[0].text = "首页页眉"
    section.footer.paragraphs[0].text = "某某公司办公室印发"
    doc.add_paragraph("会议纪要")
    for _ in range(40):
        doc.add_paragraph(BODY)
    return b.to_bytes(doc)


def table() -> bytes:
    """A paragraph, a 3x3 table (a two-paragraph cell, an empty cell), a paragraph."""
    doc = b.new_document()
    doc.add_paragraph("附件：保密检查登记表")
    grid = doc.add_table(rows=3, cols=3)
    for col, text in enumerate(("序号", "文件名称", "密级")):
        grid.cell(0, col).text = text
    grid.cell(1, 0).text = "1"
    grid.cell(1, 1).text = "年度工作总结"
    grid.cell(1, 2).text = "秘密"
    grid.cell(2, 0).text = "2"
    grid.cell(2, 1).text = "第一段"
    grid.cell(2, 1).add_paragraph("第二段")
    doc.add_paragraph("表后正文")
    return b.to_bytes(doc)


def booklet() -> bytes:
    """Page 1, a page break, page 2, a new-page section, page 3 opening with 内部资料 注意保存."""
    doc = b.new_document()
    doc.add_paragraph("2023年工作汇编")
    doc.add_paragraph(BODY)
    doc.add_page_break()
    doc.add_paragraph("第二部分 工作总结")
    doc.add_paragraph(BODY)
    doc.add_section(WD_SECTION.NEW_PAGE)
    doc.add_paragraph("内部资料 注意保存")
    doc.add_paragraph("第三部分 经验交流")
    doc.add_section(WD_SECTION.CONTINUOUS)
    doc.add_paragraph("续排正文")
    return b.to_bytes(doc)


def clean() -> bytes:
    """Clean Chinese text with notes, a comment, a text box, a hyperlink field and properties."""
    doc = b.new_document()
    props = doc.core_properties
    props.title, props.subject, props.author = "年度工作总结", "工作总结", "张三"
    props.keywords, props.comments, props.category = "总结;计划", "供参考", "综合"
    doc.add_paragraph("2023年度工作总结")
    note = doc.add_paragraph("全年完成培训十二场")
    b.append_xml(note, b.note_ref_run("footnote", 1))
    end = doc.add_paragraph("详见附表")
    b.append_xml(end, b.note_ref_run("endnote", 1))
    commented = doc.add_paragraph().add_run("下一步工作计划")
    doc.add_comment(commented, text="请补充数据", author="李四")
    link = doc.add_paragraph("参见")
    field(link, 'HYPERLINK "http://example.com/"', "单位网站")
    box = doc.add_paragraph("见文本框")
    b.append_xml(box, b.textbox_run("文本框内容"))
    doc.add_paragraph("English text, café naïve “quoted”.")
    b.add_notes(doc, "footnote", {1: "脚注内容"})
    b.add_notes(doc, "endnote", {1: "尾注内容"})
    return b.to_bytes(doc)


def symbol() -> bytes:
    """The Wingdings star as ``w:sym`` (绝密 sym 长期) and as « in a Wingdings run (机密«5年)."""
    doc = b.new_document()
    b.add_raw_paragraph(doc, b.run("绝密") + b.sym_run() + b.run("长期"))
    b.add_raw_paragraph(doc, b.run("机密") + b.wingdings_run("«") + b.run("5年"))
    doc.add_paragraph("正文").runs[0].font.size = Pt(12)
    return b.to_bytes(doc)


def watermark() -> bytes:
    """Word's VML watermark shape with ``秘密★1年`` in the default header."""
    doc = b.new_document()
    header = doc.sections[0].header.paragraphs[0]
    b.append_xml(header, b.vml_watermark_run("秘密★1年"))
    doc.add_paragraph("正文第一段")
    return b.to_bytes(doc)


def revision() -> bytes:
    """A tracked deletion of ``秘密★1年`` and a tracked insertion in the first paragraph."""
    doc = b.new_document()
    when = 'w:author="审核人" w:date="2024-03-01T00:00:00Z"'
    b.add_raw_paragraph(doc, b.run("密级：") + f'<w:del w:id="1" {when}><w:r><w:delText>秘密★1年</w:delText>'
                        f'</w:r></w:del><w:ins w:id="2" {when}>{b.run("公开")}</w:ins>')
    doc.add_paragraph("正文")
    return b.to_bytes(doc)


BUILDERS = {"gongwen": gongwen, "header_mark": header_mark, "table": table, "booklet": booklet,
            "clean": clean, "symbol": symbol, "watermark": watermark, "revision": revision,
            "matrix": b.fixture_matrix}  # the DOCX tests' matrix: the sentinel in every part

UNO_SCRIPT = textwrap.dedent("""
    import sys, time, uno
    from com.sun.star.beans import PropertyValue
    def prop(name, value):
        p = PropertyValue(); p.Name = name; p.Value = value; return p
    src, dst, pipe = sys.argv[1:4]
    ctx = uno.getComponentContext()
    resolver = ctx.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", ctx)
    for _ in range(100):
        try:
            remote = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.2)
    desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))
    doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "MS Word 97"), prop("Password", "docscan")))
    doc.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
""")


def encrypt(src: str, dst: str, profile: str) -> None:
    """Store ``src`` as a password-protected Word 97 file through LibreOffice's UNO API."""
    pipe = "docscan_fixtures"
    office = subprocess.Popen([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless",
                               "--invisible", "--norestore", f"--accept=pipe,name={pipe};urp;"])
    try:
        env = dict(os.environ, PYTHONPATH="/usr/lib/libreoffice/program")
        subprocess.run(["/usr/bin/python3", "-c", UNO_SCRIPT, src, dst, pipe], check=True, env=env,
                       timeout=120)
        office.wait(timeout=60)
    finally:
        if office.poll() is None:
            office.terminate()


def main(names: list[str]) -> None:
    """Make the named fixtures (all when none is named; "encrypted" is made from gongwen)."""
    names = names or [*BUILDERS, "encrypted"]
    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        for name, build in BUILDERS.items():
            if name not in names and not (name == "gongwen" and "encrypted" in names):
                continue
            path = os.path.join(tmp, f"{name}.docx")
            with open(path, "wb") as fh:
                fh.write(build())
            sources.append(path)
        profile = os.path.join(tmp, "profile")
        convert = [p for p in sources if os.path.basename(p)[:-5] in names]
        if convert:
            subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless",
                            "--convert-to", "doc", "--outdir", OUT, *convert], check=True, timeout=300)
        if "encrypted" in names:
            encrypt(os.path.join(tmp, "gongwen.docx"), os.path.join(OUT, "encrypted.doc"), profile)


if __name__ == "__main__":
    main(sys.argv[1:])
