"""End to end through scan_file: one planted mark per (format x part), exact record fields.

Documents are built here in code so a reader sees what each one contains.
"""

import hashlib
import io
import os
import zipfile

import docx
import openpyxl
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from scanner.options import ScanOptions
from scanner.records import FileEntry, Status
from scanner.scan import scan_file
from scanner.walk import walk

OPTIONS = ScanOptions(jobs=1)
BODY = "根据工作安排，现将有关事项通知如下，请各单位认真抓好落实。"


def scan(path) -> "dict":
    [entry] = list(walk([str(path)]))
    [record] = scan_file(entry, OPTIONS)
    return record.to_json()


def make_docx(path, top=None, header=None, table_cell=None, page7=None):
    d = docx.Document()
    if header:
        d.sections[0].header.paragraphs[0].text = header
    if top:
        d.add_paragraph(top)
    d.add_paragraph("关于做好年度重点工作的通知")
    d.add_paragraph(BODY)
    if table_cell:
        t = d.add_table(rows=3, cols=3)
        t.cell(1, 1).text = table_cell
    if page7:
        for _ in range(6):
            d.add_page_break()
            d.add_paragraph(BODY)
        d.add_paragraph(page7)
        d.add_paragraph("关于印发实施方案的通知")
    d.save(path)
    return path


def make_xlsx(path, cells=(), header=None, sheet_title="Sheet1"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title
    for ref, value in cells:
        ws[ref] = value
    if header:
        ws.oddHeader.left.text = header
    wb.save(path)
    return path


def make_pdf(path, pages, stamp_last=None):
    """pages: list of lists of (y_from_top, text); stamp_last drawn after the body on page 1."""
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=(595, 842), invariant=1)
    for i, lines in enumerate(pages):
        c.setFont("STSong-Light", 14)
        for y, text in lines:
            c.drawString(80, 842 - y, text)
        if i == 0 and stamp_last:
            c.drawString(80, 842 - 60, stamp_last)
        c.showPage()
    c.save()
    return path


def body_page(n=1):
    return [(300 + 30 * k, BODY) for k in range(n)]


def test_docx_mark_in_first_lines(tmp_path):
    rec = scan(make_docx(tmp_path / "a.docx", top="秘密★1年"))
    assert rec["status"] == "ok" and rec["format"] == "docx"
    assert rec["marking"]["level"] == "秘密" and rec["marking"]["period"] == "1年"
    assert rec["marking"]["location"]["part"] == "body"
    assert rec["marking"]["location"]["paragraph"] == 1


def test_docx_mark_in_header(tmp_path):
    rec = scan(make_docx(tmp_path / "a.docx", header="机密★10年"))
    assert rec["marking"]["level"] == "机密"
    assert rec["marking"]["location"]["part"] == "header"


def test_docx_booklet_mark_on_page_7(tmp_path):
    rec = scan(make_docx(tmp_path / "a.docx", page7="内部资料 注意保存"))
    assert rec["marking"]["level"] == "内部"
    assert rec["marking"]["location"]["page"] == 7


def test_docx_full_mark_in_table_cell(tmp_path):
    rec = scan(make_docx(tmp_path / "a.docx", table_cell="绝密★长期"))
    assert rec["marking"]["level"] == "绝密"
    assert rec["marking"]["location"]["part"] == "table"
    assert rec["marking"]["location"]["cell"] == "B2"


def test_xlsx_mark_in_a1_and_header(tmp_path):
    rec = scan(make_xlsx(tmp_path / "a.xlsx", cells=[("A1", "内部★"), ("A2", "人员名单")]))
    assert rec["format"] == "xlsx" and rec["marking"]["level"] == "内部"
    assert rec["marking"]["location"] == {"part": "cell", "sheet": "Sheet1", "cell": "A1"}
    rec = scan(make_xlsx(tmp_path / "b.xlsx", cells=[("A1", "统计表")], header="秘密★6个月"))
    assert rec["marking"]["level"] == "秘密" and rec["marking"]["location"]["part"] == "header"


def test_xlsx_ledger_lists_levels_but_is_not_marked(tmp_path):
    rows = [("A1", "序号"), ("B1", "文件标题"), ("C1", "密级"), ("D1", "份数")]
    for i, level in enumerate(["秘密", "机密", "内部", "秘密"], start=2):
        rows += [(f"A{i}", str(i - 1)), (f"B{i}", f"关于工作的通知{i}"), (f"C{i}", level), (f"D{i}", "2")]
    rec = scan(make_xlsx(tmp_path / "台账.xlsx", cells=rows))
    assert rec["marking"] is None
    assert any(f["kind"] == "mention" and f["location"].get("sheet") == "Sheet1" for f in rec["findings"])


def test_pdf_stamp_drawn_last_is_still_top_of_page_1(tmp_path):
    path = make_pdf(tmp_path / "a.pdf", [body_page(10)], stamp_last="绝密★长期")
    rec = scan(path)
    assert rec["format"] == "pdf" and rec["marking"]["level"] == "绝密"
    assert rec["marking"]["location"]["page"] == 1


def test_pdf_booklet_mark_at_top_of_page_7(tmp_path):
    pages = [body_page(5) for _ in range(6)] + [[(60, "秘密★5年")] + body_page(5)]
    rec = scan(make_pdf(tmp_path / "汇编.pdf", pages))
    assert rec["marking"]["level"] == "秘密" and rec["marking"]["location"]["page"] == 7


def test_pdf_law_text_is_only_a_mention(tmp_path):
    law = "第四十八条 违反本法规定，泄露绝密级国家秘密的，依法给予处分。"
    rec = scan(make_pdf(tmp_path / "法规.pdf", [[(60, law)] + body_page(3)]))
    assert rec["marking"] is None
    assert any(f["kind"] == "mention" for f in rec["findings"])


def test_filename_mark_with_clean_content(tmp_path):
    rec = scan(make_docx(tmp_path / "【机密】部署方案.docx"))
    assert rec["marking"]["level"] == "机密"
    assert rec["marking"]["location"] == {"part": "filename"}


def test_txt_gb18030_first_line(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("工作秘密\n关于调整值班安排的说明\n".encode("gb18030"))
    rec = scan(path)
    assert rec["format"] == "txt" and rec["marking"]["level"] == "工作秘密"
    assert rec["marking"]["location"] == {"part": "body", "line": 1}


def test_content_decides_format_not_extension(tmp_path):
    docx_as_jpg = make_docx(tmp_path / "photo.jpg", top="秘密★1年")
    pdf_as_txt = tmp_path / "readme.txt"
    make_pdf(pdf_as_txt, [[(60, "机密★20年")] + body_page(2)])
    assert scan(docx_as_jpg)["format"] == "docx"
    assert scan(pdf_as_txt)["format"] == "pdf"
    assert scan(pdf_as_txt)["marking"]["level"] == "机密"


def test_evidence_fields(tmp_path):
    path = make_docx(tmp_path / "a.docx", top="秘密★1年")
    rec = scan(path)
    data = path.read_bytes()
    assert rec["sha256"] == hashlib.sha256(data).hexdigest()
    assert rec["size"] == len(data)
    assert rec["mtime"][:4].isdigit() and rec["mtime"][-6] in "+-"


@pytest.mark.parametrize("name,data,status,fmt", [
    ("empty.docx", b"", Status.UNSUPPORTED, None),
    ("broken.docx", b"PK\x03\x04" + os.urandom(3000), Status.ERROR, None),
    ("noise.bin", bytes(range(256)) * 40, Status.UNSUPPORTED, None),
    ("truncated.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", Status.ERROR, "pdf"),
])
def test_bad_files_get_a_sensible_record(tmp_path, name, data, status, fmt):
    path = tmp_path / name
    path.write_bytes(data)
    rec = scan(path)
    assert rec["status"] == status.value
    assert rec["error"] and "\n" not in rec["error"]
    assert rec["format"] == fmt
    assert rec["sha256"] == hashlib.sha256(data).hexdigest()


def test_encrypted_ooxml_and_pdf(tmp_path):
    import olefile  # noqa: F401  (the OLE2 container below is written by hand: no writer library exists)
    ole = tmp_path / "locked.docx"
    ole.write_bytes(_ole_with_stream("EncryptedPackage"))
    rec = scan(ole)
    assert rec["status"] == "encrypted" and rec["format"] == "docx"

    pdf = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(pdf), encrypt="userpass")
    c.drawString(80, 700, "hello")
    c.save()
    rec = scan(pdf)
    assert rec["status"] == "encrypted" and rec["format"] == "pdf"


def test_partial_read_keeps_findings_and_marks_error(tmp_path):
    path = make_docx(tmp_path / "a.docx", top="秘密★1年")
    with zipfile.ZipFile(path, "a") as zf:  # a broken footnotes part after a good body
        zf.writestr("word/footnotes.xml", "<w:footnotes xmlns:w='x'><broken")
    rec = scan(path)
    if rec["status"] == "error":
        assert rec["marking"]["level"] == "秘密"
    else:
        assert rec["status"] == "ok"


def test_vanished_file(tmp_path):
    path = tmp_path / "gone.txt"
    path.write_text("x")
    [entry] = list(walk([str(path)]))
    os.remove(path)
    [rec] = scan_file(entry, OPTIONS)
    assert rec.status is Status.ERROR and "vanished" in rec.error


def test_skipped_entry_still_reports_filename_mark():
    entry = FileEntry("/x/（秘密）管道", "/x/（秘密）管道", skip="special file (named pipe (FIFO)), not opened")
    [rec] = scan_file(entry, OPTIONS)
    assert rec.status is Status.SKIPPED and rec.marking and rec.marking.level.value == "秘密"


def _ole_with_stream(name: str) -> bytes:
    """A minimal valid OLE2 compound file holding one small stream ``name`` (MS-CFB, 512-byte sectors)."""
    import struct

    sector = 512
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # directory starts at sector 1
    struct.pack_into("<I", header, 56, 4096)  # mini stream cutoff
    struct.pack_into("<I", header, 60, 0xFFFFFFFE)  # no mini FAT
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)  # no DIFAT sectors
    difat = [0] + [0xFFFFFFFF] * 108
    struct.pack_into("<109I", header, 76, *difat)
    chain = list(range(3, 10)) + [0xFFFFFFFE]  # the stream: sectors 2..9, a regular (not mini) stream
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + chain + [0xFFFFFFFF] * 118
    fat_sector = struct.pack("<128I", *fat)

    def entry(ename, etype, child, start, size):
        raw = ename.encode("utf-16-le") + b"\x00\x00"
        e = bytearray(128)
        e[0:len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), etype, 1)
        struct.pack_into("<III", e, 68, 0xFFFFFFFF, 0xFFFFFFFF, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    payload = b"\x00" * 4096
    directory = (entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry(name, 2, 0xFFFFFFFF, 2, len(payload))
                 + b"\x00" * 256)
    return bytes(header) + fat_sector + directory + payload


def test_renamed_file_gets_an_extension_mismatch_finding(tmp_path):
    rec = scan(make_docx(tmp_path / "holiday.jpg", top="秘密★1年"))
    mismatch = [f for f in rec["findings"] if f["rule"] == "extension-mismatch"]
    assert rec["format"] == "docx" and len(mismatch) == 1
    assert mismatch[0]["kind"] == "file" and mismatch[0]["text"] == ".jpg"
    assert mismatch[0]["location"] == {"part": "filename"}
    honest = scan(make_docx(tmp_path / "holiday.docx"))
    assert not [f for f in honest["findings"] if f["rule"] == "extension-mismatch"]


@pytest.mark.parametrize("name,fmt,lies", [
    ("a.log", "txt", False), ("a.csv", "txt", False), ("a.py", "txt", False), ("a.pdf", "txt", True),
    ("a.docx", "pdf", True), ("report", "pdf", True), ("a.PDF", "pdf", False), ("a.wps", "wps", False),
])
def test_extension_mismatch_rules(name, fmt, lies):
    from scanner.formats import extension_mismatch

    assert (extension_mismatch(name, fmt) is not None) is lies


def test_mail_attachment_is_a_file_of_its_own(tmp_path):
    from email.message import EmailMessage

    attachment = make_docx(tmp_path / "att.docx", top="秘密★1年").read_bytes()
    msg = EmailMessage()
    msg["Subject"] = "【内部】关于调整值班安排的通知"
    msg["From"] = "office@example.org"
    msg["To"] = "staff@example.org"
    msg.set_content("各位同事：值班安排见附件。")
    msg.add_attachment(attachment, maintype="application", subtype="octet-stream", filename="附件.docx")
    path = tmp_path / "mail.eml"
    path.write_bytes(bytes(msg))
    [entry] = list(walk([str(path)]))
    records = [r.to_json() for r in scan_file(entry, OPTIONS)]
    assert [r["path"] for r in records] == [str(path), f"{path}!/附件.docx"]
    mail, member = records
    assert mail["format"] == "eml" and mail["marking"]["level"] == "内部"
    assert mail["marking"]["location"] == {"part": "header", "name": "subject"}
    assert member["format"] == "docx" and member["marking"]["level"] == "秘密"
    assert member["sha256"] == hashlib.sha256(attachment).hexdigest() and member["size"] == len(attachment)


def test_a_nested_archive_bomb_stops_at_the_total_member_limit(tmp_path):
    """Archives of archives: each level small, the whole tree huge. The total member budget ends it."""
    level = io.BytesIO()
    with zipfile.ZipFile(level, "w") as zf:
        zf.writestr("leaf.txt", "普通文本")
    data = level.getvalue()
    for depth in range(4):  # 8 copies per level: 8**4 = 4096 leaves
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for i in range(8):
                zf.writestr(f"d{depth}-{i}.zip", data)
        data = buf.getvalue()
    path = tmp_path / "bomb.zip"
    path.write_bytes(data)
    [entry] = list(walk([str(path)]))
    records = scan_file(entry, ScanOptions(jobs=1, max_members=300, max_depth=10))
    assert len(records) <= 301
    outer = records[0]
    assert outer.path == str(path) and outer.status is Status.SKIPPED
    assert "more than 300 members in all" in outer.error
