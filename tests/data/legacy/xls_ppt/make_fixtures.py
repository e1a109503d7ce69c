"""Re-make the committed legacy fixtures of this folder (NOT run by the tests).

Builds .xlsx/.pptx/.docx sources in code (openpyxl, python-pptx, python-docx), converts them once
with LibreOffice through UNO (one private headless soffice, thumbnails off so the files stay small,
a password for the encrypted one) and patches the WPS-like copies with olefile. Run from anywhere:

    /work/venv/bin/python tests/data/legacy/xls_ppt/make_fixtures.py

Needs soffice and python3-uno (apt-get install libreoffice-calc-nogui libreoffice-impress-nogui
libreoffice-writer-nogui) and python-pptx; none of them is needed at run time or by the tests.
README.md in this folder says how each file was made.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOFFICE = "/usr/bin/soffice"
SYSTEM_PYTHON = "/usr/bin/python3"  # the interpreter python3-uno belongs to
PORT = 2719
PIDSI_APPNAME = 0x12
KSO_BUILD = ("KSOProductBuildVer", "2052-11.1.0.12345")  # the custom property WPS Office writes
NO_THUMBNAIL = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Common/Save/Document"><prop oor:name="GenerateThumbnail" oor:op="fuse">\
<value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Filter/Microsoft/Export"><prop oor:name="EnablePowerPointPreview" \
oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""
FILTERS = {".xls": "MS Excel 97", ".ppt": "MS PowerPoint 97", ".doc": "MS Word 97"}


# --- sources (venv python) -----------------------------------------------------------------------


def marked_xlsx(path: str, custom: tuple[str, str] | None = None) -> None:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.packaging.custom import StringProperty

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表一"
    ws["A1"] = "秘密★1年"
    ws["B2"] = "关于年度预算的说明"
    ws["B2"].comment = Comment("批注：请核对", "张三")
    ws["C3"] = 1234567890  # an identifier-like number
    ws["C4"] = 42.5  # an ordinary number: not text
    ws.oddHeader.left.text = "秘密★6个月"  # openpyxl writes &L秘密★6个月
    ws.oddFooter.center.text = "第&P页"
    hidden = wb.create_sheet("隐藏表")
    hidden["A2"] = "隐藏工作表中的文字"
    hidden.sheet_state = "hidden"
    wb.properties.title = "预算表标题"
    wb.properties.creator = "测试作者"
    wb.custom_doc_props.append(StringProperty(name="密级", value="内部"))
    if custom:
        wb.custom_doc_props.append(StringProperty(name=custom[0], value=custom[1]))
    wb.save(path)


def clean_xlsx(path: str) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "会议室预订表"
    ws["A2"] = "周一"
    ws["B2"] = 3
    wb.save(path)


def _textbox(shapes, left: float, top: float, width: float, height: float, *paragraphs: str):
    from pptx.util import Inches

    box = shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.text = paragraphs[0]
    for text in paragraphs[1:]:
        frame.add_paragraph().text = text
    return box


def marked_pptx(path: str, custom: tuple[str, str] | None = None) -> None:
    from pptx import Presentation

    prs = Presentation()  # 10 x 7.5 in (4:3)
    blank, title_only = prs.slide_layouts[6], prs.slide_layouts[5]
    one = prs.slides.add_slide(title_only)
    _textbox(one.shapes, 0.3, 0.2, 3.0, 0.5, "机密★10年")  # top-left corner of the cover slide
    one.shapes.title.text = "年度工作总结"
    _textbox(one.shapes, 1.0, 3.0, 8.0, 1.5, "第一段正文", "第二段正文")
    group = one.shapes.add_group_shape()
    _textbox(group.shapes, 1.0, 6.9, 4.0, 0.4, "组合中的文字")  # centre below 90% of the height
    two = prs.slides.add_slide(blank)
    _textbox(two.shapes, 1.0, 3.0, 8.0, 1.0, "第二页正文")
    two.notes_slide.notes_text_frame.text = "备注：仅供内部讨论"
    _footer(two, "仅供内部使用")
    scratch = prs.slides.add_slide(blank)  # a text box made on a slide, then moved onto the master
    element = _textbox(scratch.shapes, 6.0, 0.1, 3.5, 0.5, "内部资料 注意保存")._element
    element.getparent().remove(element)
    element.nvSpPr.cNvPr.set("id", "999")
    prs.slide_master.shapes._spTree.append(element)
    ids = prs.slides._sldIdLst
    prs.part.drop_rel(ids[2].rId)
    del ids[2]
    prs.core_properties.title = "演示文稿标题"
    prs.core_properties.author = "测试作者"
    if custom:
        _custom_property(prs, *custom)
    prs.save(path)


def _footer(slide, text: str) -> None:
    """Copy the layout's footer placeholder onto the slide and fill it (LibreOffice writes it as the
    slide's HeadersFootersContainer footer string)."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    for ph in slide.slide_layout.placeholders:
        if ph.placeholder_format.type == PP_PLACEHOLDER.FOOTER:
            slide.shapes.clone_placeholder(ph)
    for ph in slide.placeholders:
        if ph.placeholder_format.type == PP_PLACEHOLDER.FOOTER:
            ph.text = text


def _custom_property(prs, name: str, value: str) -> None:
    """Add docProps/custom.xml with one string property (python-pptx has no API for it)."""
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT
    from pptx.opc.package import Part
    from pptx.opc.packuri import PackURI

    fmtid = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns='
           '"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt='
           '"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property '
           f'fmtid="{fmtid}" pid="2" name="{name}"><vt:lpwstr>{value}</vt:lpwstr>'
           '</property></Properties>')
    ct = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
    part = Part(PackURI("/docProps/custom.xml"), ct, prs.part.package, xml.encode())
    prs.part.package.relate_to(part, RT.CUSTOM_PROPERTIES)


def clean_pptx(path: str) -> None:
    from pptx import Presentation

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = "季度例会"
    _textbox(slide.shapes, 1.0, 3.0, 8.0, 1.0, "议程：工作安排")
    prs.save(path)


def wps_docx(path: str) -> None:
    import docx

    doc = docx.Document()
    doc.add_paragraph("秘密★5年")
    doc.add_paragraph("这是一份用于测试的文字处理文档。")
    doc.core_properties.title = "文字文稿"
    doc.save(path)


# --- conversion (system python with python3-uno) ------------------------------------------------


def uno_convert(jobs: list[tuple[str, str, str | None]], profile: str) -> None:
    """Convert (source, output, password) jobs in one private soffice; runs under /usr/bin/python3."""
    import uno
    from com.sun.star.beans import PropertyValue

    def props(**kw: object) -> tuple:
        out = []
        for k, v in kw.items():
            p = PropertyValue()
            p.Name, p.Value = k, v
            out.append(p)
        return tuple(out)

    office = subprocess.Popen([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
                               "--norestore", f"--accept=socket,host=127.0.0.1,port={PORT};urp;"])
    try:
        resolver = uno.getComponentContext().ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", uno.getComponentContext())
        for _ in range(100):
            try:
                ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={PORT};urp;StarOffice.ComponentContext")
                break
            except Exception:  # noqa: BLE001 - soffice is still starting
                time.sleep(0.3)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        for src, dst, password in jobs:
            doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, props(Hidden=True))
            extra = {"Password": password} if password else {}
            doc.storeToURL(uno.systemPathToFileUrl(dst),
                           props(FilterName=FILTERS[os.path.splitext(dst)[1]], Overwrite=True, **extra))
            doc.close(True)
        desktop.terminate()
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()


# --- post-processing (venv python, olefile) -----------------------------------------------------


def set_app_name(path: str, app: str) -> None:
    """Give the SummaryInformation property set an application name (PIDSI_APPNAME = ``app``).

    LibreOffice writes no application name. The first section is rebuilt with the code page, the
    title and the author kept, the timestamps and counts dropped and PIDSI_APPNAME added, then
    NUL-padded to the stream's old length: olefile's write_stream only replaces a stream with one
    of the same size.
    """
    import olefile

    ole = olefile.OleFileIO(path, write_mode=True)
    try:
        old = ole.openstream("\x05SummaryInformation").read()
        props = [(pid, blob) for pid, blob in _section_props(old) if pid in (1, 2, 4)]
        name = app.encode("ascii") + b"\x00"
        name += b"\x00" * (-len(name) % 4)
        props.append((PIDSI_APPNAME, struct.pack("<II", 0x1E, len(name)) + name))
        new = _property_set(old[:44], props)
        if len(new) > len(old):
            raise SystemExit(f"{path}: the rebuilt SummaryInformation does not fit")
        ole.write_stream("\x05SummaryInformation", new.ljust(len(old), b"\x00"))
    finally:
        ole.close()


def _section_props(stream: bytes) -> list[tuple[int, bytes]]:
    """(property id, raw typed value) of the first section, values cut at the next offset."""
    start = struct.unpack_from("<I", stream, 44)[0]
    size, count = struct.unpack_from("<II", stream, start)
    entries = sorted(struct.unpack_from("<II", stream, start + 8 + 8 * i)[::-1] for i in range(count))
    ends = [offset for offset, _ in entries[1:]] + [size]
    return [(pid, stream[start + off:start + end]) for (off, pid), end in zip(entries, ends, strict=True)]


def _property_set(header: bytes, props: list[tuple[int, bytes]]) -> bytes:
    """A one-section property-set stream: ``header`` (byte order .. FMTID) + offset 48 + the section."""
    table, values = b"", b""
    base = 8 + 8 * len(props)
    for pid, blob in props:
        table += struct.pack("<II", pid, base + len(values))
        values += blob
    section = struct.pack("<II", base + len(values), len(props)) + table + values
    return header[:24] + struct.pack("<I", 1) + header[28:44] + struct.pack("<I", 48) + section


def main() -> None:
    if sys.argv[1:2] == ["--uno"]:
        uno_convert(json.loads(sys.argv[2]), sys.argv[3])
        return
    with tempfile.TemporaryDirectory() as tmp:
        profile = os.path.join(tmp, "profile")
        os.makedirs(os.path.join(profile, "user"))
        with open(os.path.join(profile, "user", "registrymodifications.xcu"), "w") as fh:
            fh.write(NO_THUMBNAIL)
        sources = {"marked.xlsx": marked_xlsx, "clean.xlsx": clean_xlsx, "marked.pptx": marked_pptx,
                   "clean.pptx": clean_pptx, "wps.docx": wps_docx,
                   "wps.xlsx": lambda p: marked_xlsx(p, KSO_BUILD), "wps.pptx": lambda p: marked_pptx(p, KSO_BUILD)}
        for name, build in sources.items():
            build(os.path.join(tmp, name))
        jobs = [("marked.xlsx", "marked.xls", None), ("clean.xlsx", "clean.xls", None),
                ("clean.xlsx", "encrypted.xls", "x"), ("marked.pptx", "marked.ppt", None),
                ("clean.pptx", "clean.ppt", None),
                ("wps.xlsx", "wps_like.et", None), ("wps.pptx", "wps_like.dps", None),
                ("wps.docx", "wps_like.wps", None)]
        uno_jobs = [(os.path.join(tmp, s), os.path.join(tmp, d.replace(".et", ".xls").replace(".dps", ".ppt")
                                                        .replace(".wps", ".doc")), pw) for s, d, pw in jobs]
        subprocess.run([SYSTEM_PYTHON, __file__, "--uno", json.dumps(uno_jobs), profile], check=True, timeout=600)
        for (_, dst, _), (_, out, _) in zip(jobs, uno_jobs, strict=True):
            shutil.copyfile(out, os.path.join(HERE, dst))
    for name in ("wps_like.et", "wps_like.dps", "wps_like.wps"):
        set_app_name(os.path.join(HERE, name), "WPS Office")
    for name in sorted(os.listdir(HERE)):
        print(f"{name}: {os.path.getsize(os.path.join(HERE, name))} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
