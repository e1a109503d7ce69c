"""Builders of synthetic test workbooks: openpyxl for the ordinary ones, raw XML in a zip for the
shapes openpyxl cannot write (shared rich text, threaded comments, strict namespace, big sheets)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import openpyxl

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml."
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
REL_THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
REL_PERSON = "http://schemas.microsoft.com/office/2017/10/relationships/person"
NS_THREADED = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def workbook_bytes(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class RawSheet:
    """One worksheet written as XML: ``cells`` is the inside of <sheetData>."""

    name: str
    cells: str = ""
    header_footer: str = ""  # the whole <headerFooter> element, placed after sheetData
    state: str | None = None  # hidden / veryHidden
    rels: list[tuple[str, str]] = field(default_factory=list)  # (relationship type, target from the sheet)
    prefix: str = ""  # write the sheet with this namespace prefix ("x") instead of a default namespace
    raw: str | None = None  # the complete part, verbatim (broken XML, DTDs)


def sheet_xml(sheet: RawSheet, ns: str = NS_MAIN) -> str:
    if sheet.raw is not None:
        return sheet.raw
    p = f"{sheet.prefix}:" if sheet.prefix else ""
    xmlns = f'xmlns:{sheet.prefix}="{ns}"' if sheet.prefix else f'xmlns="{ns}"'
    return (f'{DECL}<{p}worksheet {xmlns} xmlns:r="{NS_R}"><{p}sheetData>{sheet.cells}</{p}sheetData>'
            f'<{p}pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            f"{sheet.header_footer}</{p}worksheet>")


def cell(ref: str, value: str, kind: str | None = None) -> str:
    """A <c> element with a <v> value (kind "s" for a shared-string index, "str", "b", "e", None)."""
    t = f' t="{kind}"' if kind else ""
    return f'<c r="{ref}"{t}><v>{escape(value)}</v></c>'


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def header_footer(**parts: str) -> str:
    """<headerFooter> with e.g. oddHeader='&L秘密' (the values are XML-escaped here)."""
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in parts.items())
    return f'<headerFooter differentOddEven="1" differentFirst="1">{inner}</headerFooter>'


def shared_strings(*items: str) -> str:
    """sharedStrings.xml; each item is the inside of one <si> (plain <t> or rich-text <r> runs)."""
    body = "".join(f"<si>{item}</si>" for item in items)
    return f'{DECL}<sst xmlns="{NS_MAIN}" count="{len(items)}" uniqueCount="{len(items)}">{body}</sst>'


def legacy_comments(authors: Iterable[str], comments: Iterable[tuple[str, int, str]]) -> str:
    """comments1.xml: ``comments`` are (ref, author index, text)."""
    names = "".join(f"<author>{escape(a)}</author>" for a in authors)
    items = "".join(f'<comment ref="{ref}" authorId="{who}"><text><r><t>{escape(text)}</t></r></text>'
                    "</comment>" for ref, who, text in comments)
    return (f'{DECL}<comments xmlns="{NS_MAIN}"><authors>{names}</authors>'
            f"<commentList>{items}</commentList></comments>")


def threaded_comments(comments: Iterable[tuple[str, str, str]]) -> str:
    """threadedComment1.xml: ``comments`` are (ref, person id, text)."""
    items = "".join(f'<threadedComment ref="{ref}" dT="2024-01-01T00:00:00.00" personId="{pid}" '
                    f'id="{{00000000-0000-0000-0000-00000000000{i}}}"><text>{escape(text)}</text></threadedComment>'
                    for i, (ref, pid, text) in enumerate(comments))
    return f'{DECL}<ThreadedComments xmlns="{NS_THREADED}">{items}</ThreadedComments>'


def persons(people: Iterable[tuple[str, str]]) -> str:
    """person.xml: ``people`` are (id, display name)."""
    items = "".join(f'<person displayName={quoteattr(name)} id="{pid}" userId="u" providerId="None"/>'
                    for pid, name in people)
    return f'{DECL}<personList xmlns="{NS_THREADED}">{items}</personList>'


def raw_xlsx(sheets: list[RawSheet], strings: str | None = None, parts: dict[str, str | bytes] | None = None,
             book_rels: list[tuple[str, str]] = (), ns: str = NS_MAIN) -> bytes:
    """A minimal SpreadsheetML package. ``parts`` adds or replaces members (None-free)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _package(sheets, strings, list(book_rels), ns).items():
            if parts is None or name not in parts:
                zf.writestr(name, data)
        for name, data in (parts or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def _package(sheets: list[RawSheet], strings: str | None, book_rels: list[tuple[str, str]],
             ns: str) -> dict[str, str]:
    out = {"_rels/.rels": _rels([(REL + "officeDocument", "xl/workbook.xml")])}
    entries, rels, types = [], [], [("/xl/workbook.xml", "sheet.main")]
    for i, sheet in enumerate(sheets, 1):
        state = f' state="{sheet.state}"' if sheet.state else ""
        entries.append(f'<sheet name={quoteattr(sheet.name)} sheetId="{i}"{state} r:id="rId{i}"/>')
        rels.append((REL + "worksheet", f"worksheets/sheet{i}.xml"))
        types.append((f"/xl/worksheets/sheet{i}.xml", "worksheet"))
        out[f"xl/worksheets/sheet{i}.xml"] = sheet_xml(sheet, ns)
        if sheet.rels:
            out[f"xl/worksheets/_rels/sheet{i}.xml.rels"] = _rels(sheet.rels)
    if strings is not None:
        rels.append((REL + "sharedStrings", "sharedStrings.xml"))
        types.append(("/xl/sharedStrings.xml", "sharedStrings"))
        out["xl/sharedStrings.xml"] = strings
    out["xl/_rels/workbook.xml.rels"] = _rels(rels + book_rels)
    out["xl/workbook.xml"] = (f'{DECL}<workbook xmlns="{ns}" xmlns:r="{NS_R}"><sheets>{"".join(entries)}'
                              "</sheets></workbook>")
    overrides = "".join(f'<Override PartName="{name}" ContentType="{CT}{kind}+xml"/>' for name, kind in types)
    out["[Content_Types].xml"] = (f'{DECL}<Types xmlns="{NS_TYPES}"><Default Extension="rels" ContentType='
                                  f'"application/vnd.openxmlformats-package.relationships+xml"/><Default '
                                  f'Extension="xml" ContentType="application/xml"/>{overrides}</Types>')
    return out


def _rels(rels: list[tuple[str, str]]) -> str:
    items = "".join(f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
                    for i, (kind, target) in enumerate(rels, 1))
    return f'{DECL}<Relationships xmlns="{NS_PKG}">{items}</Relationships>'


def big_xlsx(path: str, rows: int, mark_row: int | None = None, text: bool = True) -> None:
    """A workbook whose one sheet has ``rows`` rows of an inline string (A, when ``text``) and a
    number (B), streamed into the zip so building it stays quick and small in memory.
    ``mark_row`` puts 秘密★1年 in column C of that row."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _package([RawSheet("大表")], None, [], NS_MAIN).items():
            if not name.startswith("xl/worksheets/"):
                zf.writestr(name, data)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(f'{DECL}<worksheet xmlns="{NS_MAIN}"><sheetData>'.encode())
            batch = []
            for r in range(1, rows + 1):
                words = f"第{r}行 记录{r * 7919 % 100003}"
                a = f'<c r="A{r}" t="inlineStr"><is><t>{words}</t></is></c>' if text else ""
                c = f'<c r="C{r}" t="inlineStr"><is><t>秘密★1年</t></is></c>' if r == mark_row else ""
                batch.append(f'<row r="{r}">{a}<c r="B{r}"><v>{r * 31 % 9973}.{r % 97}</v></c>{c}</row>')
                if len(batch) == 5000:
                    fh.write("".join(batch).encode())
                    batch = []
            fh.write(("".join(batch) + "</sheetData></worksheet>").encode())


def set_encrypted_flag(data: bytes) -> bytes:
    """The zip ``data`` with the 'encrypted' bit set on every member (local and central headers)."""
    out = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            out[at + flag_offset] |= 0x01
            at = out.find(signature, at + 4)
    return bytes(out)
