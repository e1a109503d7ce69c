"""HTML pages and RTF documents from a format-neutral ``Doc``, written by hand (deterministic).

HTML, as an OA system's 公文 page or Word's "save as web page": ``<title>``, optional ``<meta>``
tags and Word's ``<o:CustomDocumentProperties>`` island, then the running header, the top lines,
红头, 发文字号, title, body paragraphs and tables, tail and footer, one ``<p>`` each; UTF-8 or
GBK (``<meta charset="gbk">``). ``render_html`` returns the body's visual lines in order, so a
label can say which paragraph the mark is.

RTF as Chinese Word and WPS write it: ``\\ansicpg936`` with a ``\\fcharset134`` (GBK) font, every
non-ASCII character as ``\\'hh`` GBK bytes (``\\uN?`` when GBK lacks it), ``\\header`` /
``\\headerf`` (with ``\\titlepg``) / ``\\footer`` groups, tables as ``\\trowd ... \\cell ... \\row``,
``\\page`` breaks, ``\\info`` and custom ``\\userprops``, and the Wingdings star as ``\\'ab`` in a
``\\fcharset2`` Wingdings font. ``render_rtf`` returns the body paragraphs, empty ones included.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from builders import PAGE, Doc, Table

# ---------------------------------------------------------------------------- html


def render_html(doc: Doc, path: Path, meta: tuple[tuple[str, str], ...] = (), encoding: str = "utf-8",
                title: str | None = None) -> list[str]:
    """Write ``doc`` as an HTML page; ``doc.custom`` goes into Word's property island."""
    lines: list[str] = []
    html: list[str] = []

    def para(text: str, style: str = "") -> None:
        lines.append(text)
        html.append(f"<p{f' style={chr(34)}{style}{chr(34)}' if style else ''}>{escape(text)}</p>")

    if doc.header:
        para(doc.header, "text-align:center;font-size:10.5pt")
    for t in doc.top:
        para(t, "text-align:right" if doc.top_align == "right" else "font-family:黑体")
    if doc.red_head:
        para(doc.red_head, "text-align:center;color:red;font-size:26pt")
    if doc.doc_no:
        para(doc.doc_no, "text-align:center")
    para(doc.title, "text-align:center;font-size:22pt")
    for item in doc.body:
        if item == PAGE:
            html.append('<br clear=all style="page-break-before:always">')
        elif isinstance(item, Table):
            rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in item.rows)
            html.append(f'<table border="1" cellspacing="0">{rows}</table>')
        else:
            para(item, "text-indent:2em")
    for t in doc.tail:
        para(t, "text-indent:2em" if t.startswith("（") else "text-align:right")
    if doc.footer:
        para(doc.footer, "text-align:center;font-size:10.5pt")
    head = [f'<meta charset="{encoding}">', f"<title>{escape(title or doc.title)}</title>"]
    head += [f'<meta name="{escape(k)}" content="{escape(v)}">' for k, v in meta]
    if doc.custom:
        props = "".join(f'<o:{_word_name(k)} dt:dt="string">{escape(v)}</o:{_word_name(k)}>' for k, v in doc.custom)
        head.append("<!--[if gte mso 9]><xml>\n<o:DocumentProperties><o:Author>user</o:Author>"
                    f"</o:DocumentProperties>\n<o:CustomDocumentProperties>{props}"
                    "</o:CustomDocumentProperties>\n</xml><![endif]-->")
    page = ("<!DOCTYPE html>\n<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">\n<head>\n"
            + "\n".join(head) + "\n</head>\n<body>\n" + "\n".join(html) + "\n</body>\n</html>\n")
    path.write_bytes(page.encode(encoding))
    return lines


def _word_name(name: str) -> str:
    """A property name as Word writes it in XML: non-ASCII characters as ``_xHHHH_``."""
    return "".join(c if c.isascii() and c.isalnum() else f"_x{ord(c):04X}_" for c in name)


# ---------------------------------------------------------------------------- rtf

RTF_HEAD = ("{\\rtf1\\ansi\\ansicpg936\\deff0\\deflang1033\\deflangfe2052"
            "{\\fonttbl{\\f0\\fnil\\fcharset134 \\'cb\\'ce\\'cc\\'e5;}{\\f1\\fnil\\fcharset2 Wingdings;}"
            "{\\f2\\fnil\\fcharset134 \\'ba\\'da\\'cc\\'e5;}}\n")


def rtf_text(text: str, unicode: bool = False) -> str:
    """``text`` as RTF: ASCII as is (\\ { } escaped), the rest as GBK ``\\'hh`` bytes, or as
    ``\\uN?`` when GBK lacks it or ``unicode`` is set (as LibreOffice writes RTF)."""
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 128:
            out.append(ch)
        else:
            gbk = None if unicode else _gbk(ch)
            code = ord(ch)
            out.append(gbk if gbk is not None else f"\\u{code - 65536 if code > 32767 else code}?")
    return "".join(out)


def _gbk(ch: str) -> str | None:
    try:
        return "".join(f"\\'{b:02x}" for b in ch.encode("gbk"))
    except UnicodeEncodeError:
        return None


def _rtf_para(text: str, align: str = "", size: int = 32, font: int = 0, wingdings: bool = False,
              unicode: bool = False) -> str:
    jc = {"center": "\\qc", "right": "\\qr"}.get(align, "\\qj")
    if wingdings and "★" in text:
        body = "{\\f1\\'ab}".join(rtf_text(part, unicode) for part in text.split("★"))
    else:
        body = rtf_text(text, unicode)
    return f"\\pard\\plain{jc}\\f{font}\\fs{size} {body}\\par\n"


def _rtf_table(table: Table) -> str:
    cols = max(len(r) for r in table.rows)
    width = 9000 // cols
    out = []
    for row in table.rows:
        cells = "".join(f"\\clbrdrt\\brdrs\\clbrdrl\\brdrs\\clbrdrb\\brdrs\\clbrdrr\\brdrs\\cellx{width * (i + 1)}"
                        for i in range(cols))
        text = "".join(f"{rtf_text(row[i] if i < len(row) else '')}\\cell " for i in range(cols))
        out.append(f"\\trowd\\trgaph108{cells}\n\\pard\\intbl\\plain\\f0\\fs21 {text}\\row\n")
    return "".join(out) + "\\pard\n"


def render_rtf(doc: Doc, path: Path, unicode: bool = False) -> list[str]:
    """Write ``doc`` as RTF; returns the body paragraphs in order (empty ones included).

    ``unicode`` writes every non-ASCII character of the body as ``\\uN?`` (\\uc1, ``?`` the
    fallback), as LibreOffice does, instead of GBK bytes."""
    paras: list[str] = []
    parts = [RTF_HEAD + ("\\uc1\n" if unicode else ""), "{\\info{\\title " + rtf_text(doc.title) + "}{\\author user}"
             "{\\creatim\\yr2024\\mo1\\dy1\\hr0\\min0}}\n"]
    if doc.custom:
        props = "".join(f"{{\\propname {rtf_text(k)}}}\\proptype30{{\\staticval {rtf_text(v)}}}" for k, v in doc.custom)
        parts.append("{\\*\\userprops " + props + "}\n")
    parts.append("\\paperw11906\\paperh16838\\margl1588\\margr1474\\margt2098\\margb1984\n")
    parts.append("\\sectd" + ("\\titlepg" if doc.first_header else "") + "\n")
    for word, text in (("header", doc.header), ("headerf", doc.first_header), ("footer", doc.footer)):
        if text:
            parts.append(f"{{\\{word}" + _rtf_para(text, "center", 21) + "}\n")
    body: list[str] = []

    def add(text: str, align: str = "", size: int = 32, font: int = 0, wingdings: bool = False) -> None:
        paras.append(text)
        body.append(_rtf_para(text, align, size, font, wingdings, unicode))

    for t in doc.top:
        add(t, doc.top_align or "", 32, 2, doc.wingdings)
    if doc.red_head:
        add(doc.red_head, "center", 52, 2)
    if doc.doc_no:
        add(doc.doc_no, "center")
    add(doc.title, "center", 44, 2)
    for item in doc.body:
        if item == PAGE:
            body.append("\\page\n")
        elif isinstance(item, Table):
            body.append(_rtf_table(item))
        else:
            add(item)
    for t in doc.tail:
        add(t, "" if t.startswith("（") else "right")
    path.write_bytes(("".join(parts) + "".join(body) + "}\n").encode("ascii"))
    return paras
