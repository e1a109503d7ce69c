"""One small valid file per format the scanner reads, built in code (the legacy OLE2 binaries, which
no library writes, come from tests/data/legacy). The hostile cases damage, encrypt or wrap these.

Each seed carries a planted mark, so a test can tell a file that was read from one that was not.
"""

from __future__ import annotations

import functools
import gzip
import io
from pathlib import Path

import docx as python_docx
from PIL import Image

from tests.scanner import archive_builders as ab
from tests.scanner import ofd_builders as ofdb
from tests.scanner import pdf_builders as pdfb
from tests.scanner import pptx_builders as pptxb
from tests.scanner import xlsx_builders as xb
from tests.scanner.ole_builders import cfb, message_streams

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy"
MARK = "秘密★1年"
BODY = "关于做好年度保密检查工作的通知，请各单位按时报送材料。"


def docx_seed(*paragraphs: str) -> bytes:
    doc = python_docx.Document()
    doc.core_properties.title = "年度工作通知"
    for text in paragraphs or (MARK, BODY):
        doc.add_paragraph(text)
    doc.sections[0].header.paragraphs[0].text = "办公室"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def xlsx_seed() -> bytes:
    strings = xb.shared_strings(*(f"<t>{t}</t>" for t in (MARK, BODY, "第二行")))
    cells = xb.row(1, xb.cell("A1", "0", "s"), xb.cell("B1", "1", "s")) + xb.row(
        2, xb.cell("A2", "2", "s"), xb.inline("B2", "内联文字"), xb.cell("C2", "12345678"))
    sheet = xb.RawSheet("登记表", cells, header_footer=xb.header_footer(oddHeader="&C内部"))
    return xb.raw_xlsx([sheet, xb.RawSheet("空表")], strings)


def pptx_seed() -> bytes:
    prs = pptxb.new_deck()
    slide = pptxb.add_slide(prs)
    pptxb.add_box(slide, 1, 0.5, MARK)
    pptxb.add_box(slide, 1, 2, BODY, "第二段")
    return pptxb.to_bytes(prs)


def ofd_seed() -> bytes:
    page = [ofdb.Text(MARK, 20.0, 20.0, 4.2), *ofdb.body_page(1, 3)]
    return ofdb.build_ofd([page, ofdb.body_page(4, 2)])


def pdf_seed(**kw: object) -> bytes:
    page = [pdfb.Text(72, 60, MARK), *pdfb.body_lines(1, 4)]
    return pdfb.build_pdf([page, pdfb.body_lines(5, 3)], title="年度工作通知", **kw)


def eml_seed() -> bytes:
    return "\r\n".join([
        "From: office@example.cn", "To: all@example.cn", "Subject: =?utf-8?B?5YWz5LqO5YC854+t55qE6YCa55+l?=",
        "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b1"', "",
        "--b1", "Content-Type: text/plain; charset=utf-8", "", MARK, BODY, "",
        "--b1", 'Content-Type: text/plain; name="a.txt"', 'Content-Disposition: attachment; filename="a.txt"',
        "", "附件正文", "--b1--", ""]).encode("utf-8")


def msg_seed(kind: str = "IPM.Note") -> bytes:
    values = {0x001A: kind, 0x0037: "关于值班的通知", 0x0C1A: "办公室", 0x1000: f"{MARK}\r\n{BODY}"}
    return cfb(message_streams("", "message", values,
                               attachments=[{"name": "附件.txt", "data": "附件正文".encode()}]))


def html_seed() -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>通知</title></head><body>"
            f"<p>{MARK}</p><p>{BODY}</p><table><tr><td>单元格</td></tr></table></body></html>").encode()


def rtf_seed() -> bytes:
    def esc(text: str) -> str:
        return "".join(f"\\'{b:02x}" for b in text.encode("gbk"))
    return (r"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset134 SimSun;}}"
            r"{\header " + esc("办公室") + r"\par}" + esc(MARK) + r"\par " + esc(BODY) + r"\par}").encode()


def png_seed() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buf, "PNG")
    return buf.getvalue()


def legacy(name: str) -> bytes:
    folder = "doc" if name.endswith(".doc") else "xls_ppt"
    return (LEGACY / folder / name).read_bytes()


@functools.cache
def seeds() -> dict[str, bytes]:
    """File name -> bytes of one readable, marked file per format (cached: some take a while to build)."""
    text = f"{MARK}\n{BODY}\n".encode()
    return {
        "a.docx": docx_seed(),
        "a.xlsx": xlsx_seed(),
        "a.pptx": pptx_seed(),
        "a.ofd": ofd_seed(),
        "a.pdf": pdf_seed(),
        "a.doc": legacy("header_mark.doc"),
        "a.xls": legacy("marked.xls"),
        "a.ppt": legacy("marked.ppt"),
        "a.wps": legacy("wps_like.wps"),
        "a.eml": eml_seed(),
        "a.msg": msg_seed(),
        "a.html": html_seed(),
        "a.rtf": rtf_seed(),
        "a.txt": text,
        "a.png": png_seed(),
        "a.zip": ab.zip_of([("通知.txt", text), ("sub/b.txt", "普通文字".encode())]),
        "a.7z": ab.sevenz([("通知.txt", text)]),
        "a.tar": ab.tar_of([("通知.txt", text)]),
        "a.rar": ab.rar5([ab.RarMember("通知.txt", text)]),
        "a.txt.gz": gzip.compress(text, mtime=0),
    }
