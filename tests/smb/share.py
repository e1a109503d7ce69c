"""The folders the SMB tests serve and scan: marked and unmarked documents, built in code.

``build_share`` writes a tree with every case the SMB walk must handle: several formats,
a nested folder, a zip (random access), a GBK-named file (raw bytes), a root-only file and
folder (unreadable for the SMB user), links and a FIFO. ``build_gbk_share`` writes a tree
whose names are all GBK bytes, for a server whose ``unix charset`` is GBK.
"""

from __future__ import annotations

import hashlib
import io
import os

import docx
import openpyxl

from scanner.walk import printable
from tests.scanner.archive_builders import zip_of
from tests.scanner.pdf_builders import Text, body_lines, build_pdf
from tests.scanner.xlsx_builders import workbook_bytes

BODY = "根据工作安排，现将有关事项通知如下，请各单位认真抓好落实。"
GBK_NAME = "机密文件.txt".encode("gbk")
GBK_FOLDER = "内部资料".encode("gbk")
GBK_REL = printable(os.fsdecode(GBK_NAME))  # how the local report shows it: the GBK bytes as \xNN escapes
SMB_PREFIX = "\\\\127.0.0.1\\docs\\"  # the main share's files in reports: \\127.0.0.1\docs\...


def rel(path: str, root: str) -> str:
    """A report path relative to the main share: one string for the local and the SMB form."""
    head, sep, member = path.partition("!/")
    if head.startswith(SMB_PREFIX):
        head = head[len(SMB_PREFIX):].replace("\\", "/")
    else:
        head = os.path.relpath(head, root)
    return head + sep + member


def marked_docx(mark: str | None, title: str = "关于做好年度重点工作的通知") -> bytes:
    d = docx.Document()
    if mark:
        d.add_paragraph(mark)
    d.add_paragraph(title)
    d.add_paragraph(BODY)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def marked_xlsx(mark: str | None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    if mark:
        ws["A1"] = mark
    ws["A2"] = "人员名单"
    ws["B2"] = "统计表"
    return workbook_bytes(wb)


def marked_pdf(mark: str | None) -> bytes:
    page = ([Text(72, 60, mark)] if mark else []) + body_lines(1, 5)
    return build_pdf([page], title="年度工作安排")


def _write(path: bytes | str, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)


def build_share(root: str) -> None:
    """The main share (see the module docstring); ``root`` must exist and be world-readable."""
    files: dict[str, bytes] = {
        "秘密通知.docx": marked_docx("秘密★1年"),
        "公开通知.docx": marked_docx(None, "关于举办运动会的通知"),
        "报表.xlsx": marked_xlsx("机密★5年"),
        "plain.xlsx": marked_xlsx(None),
        "内部材料.pdf": marked_pdf("内部"),
        "public.pdf": marked_pdf(None),
        "notes.txt": "绝密★长期\n关于工作的安排\n".encode(),
        "plain.txt": "今天天气很好，大家去公园散步。\n".encode(),
        "empty.txt": b"",
        "bundle.zip": zip_of([("inner/秘密附件.docx", marked_docx("秘密★6个月")), ("readme.txt", b"hello")]),
        "sub/深层/说明.txt": "工作秘密\n本通知仅限内部传达。\n".encode(),
        "sub/ordinary.docx": marked_docx(None),
        "root-only.txt": "秘密★1年\n仅管理员可读。\n".encode(),
        "locked/inside.txt": "机密★\n锁定文件夹中的文件。\n".encode(),
    }
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        _write(path, data)
        os.chmod(path, 0o644)
    _write(os.path.join(os.fsencode(root), GBK_NAME), "秘密★3年\nGBK 文件名。\n".encode())
    os.chmod(os.path.join(root, "root-only.txt"), 0o600)
    os.chmod(os.path.join(root, "locked"), 0o700)
    os.symlink("notes.txt", os.path.join(root, "link-to-notes.txt"))
    os.symlink(".", os.path.join(root, "loop"))
    os.mkfifo(os.path.join(root, "pipe"))


def build_gbk_share(root: str) -> None:
    """Every name GBK bytes on disk: a marked file at the top and one in a GBK-named folder."""
    broot = os.fsencode(root)
    os.mkdir(os.path.join(broot, GBK_FOLDER), 0o755)
    _write(os.path.join(broot, GBK_NAME), "秘密★3年\nGBK 文件名。\n".encode())
    _write(os.path.join(broot, GBK_FOLDER, "秘密报告.docx".encode("gbk")), marked_docx("秘密★1年"))
    _write(os.path.join(broot, b"ascii.txt"), "内部\n普通说明。\n".encode())


def snapshot(root: str) -> dict[bytes, tuple]:
    """Every entry under ``root``: type, size, mtime and ctime (ns) and the sha256 of a regular file.

    ctime moves with any change of metadata (permissions, extended attributes), so an unchanged
    snapshot means the share was neither written nor had its attributes touched.
    """
    out: dict[bytes, tuple] = {}
    for folder, dirs, names in os.walk(os.fsencode(root)):
        for name in dirs + names:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            digest = None
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            out[path] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, digest)
    return out
