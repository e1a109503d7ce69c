"""XML attacks planted in the parts of valid packages: entity expansion bombs (billion laughs),
external entities that would read a local file or fetch a URL, and element nesting beyond any
document's depth.

Each function returns the bytes of a part; ``inject`` puts it into a copy of a seed package.
"""

from __future__ import annotations

import io
import zipfile

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFD_NS = "http://www.ofdspec.org/2016"
LOL = "lol" * 3  # the innermost entity's text; a resolved bomb would repeat it 10**9 times


def laughs_dtd(root: str, levels: int = 10) -> str:
    """The billion-laughs DOCTYPE: each entity is ten copies of the one before."""
    ents = [f'<!ENTITY l0 "{LOL}">']
    ents += [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, levels)]
    return f"<!DOCTYPE {root} [{''.join(ents)}]>"


def external_dtd(root: str, url: str) -> str:
    """A DOCTYPE whose general entity ``x`` is the content of ``url``, plus a parameter entity
    that would fetch it while the DTD itself is read."""
    return f'<!DOCTYPE {root} [<!ENTITY x SYSTEM "{url}"><!ENTITY % p SYSTEM "{url}"> %p;]>'


def docx_document(dtd: str, text: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{dtd}<w:document xmlns:w="{W_NS}"><w:body>'
            f"<w:p><w:r><w:t>正文开始</w:t></w:r></w:p><w:p><w:r><w:t>{text}</w:t></w:r></w:p>"
            "</w:body></w:document>").encode()


def xlsx_sheet(dtd: str, text: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{dtd}<worksheet xmlns="{S_NS}"><sheetData>'
            f'<row r="1"><c r="A1" t="inlineStr"><is><t>{text}</t></is></c></row>'
            "</sheetData></worksheet>").encode()


def xlsx_strings(dtd: str, text: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{dtd}<sst xmlns="{S_NS}" count="3" uniqueCount="3">'
            f"<si><t>{text}</t></si><si><t>b</t></si><si><t>c</t></si></sst>").encode()


def pptx_slide(dtd: str, text: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{dtd}<p:sld xmlns:p="{P_NS}" xmlns:a="{A_NS}"><p:cSld>'
            "<p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>"
            "<p:grpSpPr/><p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"t\"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr>"
            f"<p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>{text}</a:t></a:r></a:p></p:txBody></p:sp>"
            "</p:spTree></p:cSld></p:sld>").encode()


def ofd_page(dtd: str, text: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{dtd}<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
            '<ofd:Layer ID="2"><ofd:TextObject ID="3" Boundary="20 20 170 10" Font="2" Size="4.2">'
            f'<ofd:TextCode X="0" Y="4">{text}</ofd:TextCode></ofd:TextObject></ofd:Layer>'
            "</ofd:Content></ofd:Page>").encode()


def deep_document(depth: int) -> bytes:
    """A Word body nested ``depth`` elements deep (libxml2 refuses more than 256 without huge_tree)."""
    inner = "<w:r><w:t>深处</w:t></w:r>"
    return (f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}"><w:body><w:p>'
            + "<w:smartTag>" * depth + inner + "</w:smartTag>" * depth
            + "</w:p></w:body></w:document>").encode()


def inject(package: bytes, parts: dict[str, bytes]) -> bytes:
    """A copy of the zip ``package`` with ``parts`` replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in parts:
                dst.writestr(info, src.read(info))
        for name, blob in parts.items():
            dst.writestr(name, blob)
    return out.getvalue()
