"""Placing a mark on a document, and saying where it landed: shared by every labelled format.

``Pos`` names one marked file (level, mark text, placement key, argument); ``compose_positive``
puts the mark on a plain office document (content.office_doc) as the placement key says: first
lines, GB/T 9704 版头, 1999 top-right layout, running header/footer, custom property, file
name, an 附件 page, a booklet page ...; ``where_of`` gives the labels.tsv ``where`` column.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

from builders import PAGE, Doc, Prose, Table
from content import MENTION_SENTENCES, REPORT_TITLES, compose_negative, office_doc

SEED = "docscan-labelled-v1"

class Pos(NamedTuple):
    level: str
    mark: str
    where: str  # placement key, see compose_positive
    extra: str = ""  # placement argument: cover mark, txt encoding, ...


@dataclass(frozen=True)
class Label:
    file: str
    format: str
    level: str
    where: str
    kind: str
    note: str

    def row(self) -> str:
        return "\t".join((self.file, self.format, self.level, self.where, self.kind, self.note))




Placer = Callable[[Doc, Pos, str, Prose, random.Random], Doc]


def _top(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    w = pos.where
    return replace(base, top=(pos.mark,), wingdings=w == "wingdings", split=w == "split",
                   stamp=pos.mark if w == "stamp" else None)


def _banhead(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    """GB/T 9704-2012 版头: 份号, mark, 紧急程度 above the 发文机关标志."""
    return replace(base, top=(f"{rng.randint(1, 400):06d}", pos.mark, rng.choice(("特急", "加急"))),
                   red_head=prose.org().replace("办公室", "") + "文件", doc_no=prose.doc_number())


def _merged(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    return replace(base, top=(f"{rng.randint(1, 400):06d} {pos.mark} 特急",), doc_no=prose.doc_number())


def _right1999(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    """GB/T 9704-1999 layout: letter-spaced level and urgency top-right, 主题词 in the 版记."""
    words = "主题词：" + rng.choice(("财政 预算 通知", "安全 检查 通报"))
    return replace(base, top=(pos.mark, "特　急"), top_align="right", doc_no=prose.doc_number(),
                   tail=base.tail + (words,))


def _label(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    number = f"编号：JS-{rng.randint(2021, 2024)}-{rng.randint(1, 99):03d}"
    return replace(base, top=(pos.mark, number), title=rng.choice(REPORT_TITLES))


def _table_cover(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    cover = Table((("密级", pos.mark), ("编号", f"HC-{rng.randint(100, 999)}"), ("版本", "V1.0")))
    return replace(base, body=(cover,) + base.body)


def _running(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    font = ("黑体,常规", 16) if pos.extra == "codes" else None
    return replace(base, **{pos.where: pos.mark}, header_font=font)


def _properties(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    return replace(base, custom=(("密级", pos.mark), ("编号", f"D{rng.randint(1000, 9999)}")))


def _attachment(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    att = (PAGE, "附件2", pos.mark, prose.title("方案"), prose.paragraph(), prose.paragraph())
    return replace(base, body=base.body + att)


def _publication(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    """内部资料性出版物 cover: the mark and the 准印证 number."""
    permit = f"准印证号：（江）内资准字{rng.randint(2023, 2024)}第{rng.randint(1, 90):03d}号"
    issue = rng.choice(("第3期", "第7期", "第12期"))
    return replace(base, top=(pos.mark, permit), title=f"江川科技简报（{issue}）")


def _ledger_header(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    """A ledger whose 密级 column lists higher levels than the sheet's own header mark."""
    return replace(compose_negative("ledger", 0, fmt, prose, rng)[0], header=pos.mark)


def _mentions(base: Doc, pos: Pos, fmt: str, prose: Prose, rng: random.Random) -> Doc:
    return replace(base, top=(pos.mark,), body=base.body + tuple(rng.sample(MENTION_SENTENCES, 3)))


PLACERS: dict[str, Placer] = {
    "top": _top, "wingdings": _top, "split": _top, "stamp": _top, "banhead": _banhead, "merged": _merged,
    "right1999": _right1999, "label": _label, "table_cover": _table_cover, "header": _running,
    "footer": _running, "first_header": _running, "properties": _properties, "attachment": _attachment,
    "publication": _publication, "ledger_header": _ledger_header, "mentions": _mentions,
    "filename": lambda base, pos, fmt, prose, rng: base,
    **{key: lambda base, pos, fmt, prose, rng: base  # placed by the format's writer (formats_*.py)
       for key in ("corner", "title", "meta", "watermark", "template")},
    "annotation": lambda base, pos, fmt, prose, rng: replace(base, tail=base.tail + (pos.mark,)),
    "booklet": lambda base, pos, fmt, prose, rng: booklet(prose, rng, fmt, pos.mark, pos.extra,
                                                          3 if fmt == "xlsx" else 7),
}
TXT_ENCODINGS = ("gb18030", "utf-16", "utf-8-sig")


def compose_positive(fmt: str, pos: Pos, prose: Prose, rng: random.Random) -> tuple[Doc, str]:
    """The document for one positive row and its file name stem."""
    doc = PLACERS[pos.where](office_doc(prose, rng), pos, fmt, prose, rng)
    stem = doc.title
    if pos.where == "filename":
        stem = pos.mark + stem if pos.mark[0] in "（【" or pos.mark.endswith("★") else stem + pos.mark
    if fmt == "txt":
        enc = pos.extra if pos.extra in TXT_ENCODINGS else "utf-8"
        doc = replace(doc, encoding=enc, newline="\r\n" if enc == "gb18030" else "\n")
        if pos.extra == "blank-lines":
            doc = replace(doc, top=("", "") + doc.top)
    return doc, stem


def booklet(prose: Prose, rng: random.Random, fmt: str, mark: str, cover_mark: str = "", at: int = 7) -> Doc:
    """A compiled booklet (汇编): a cover with contents, then one material per page (per sheet in xlsx).

    ``mark`` opens the material that starts on page ``at`` (sheet ``at`` of a workbook); a PDF
    material that overflows its page pushes the later ones back, which render() reports.
    """
    year = rng.choice((2023, 2024))
    parts = 3 if fmt == "xlsx" else 7
    body: list[str | Table] = ["目录"] + [f"{i + 1}. {prose.title()}" for i in range(parts)]
    for i in range(parts):
        opening: tuple[str, ...] = (mark,) if i == at - 2 else ()
        body += [PAGE, *opening, prose.title(), prose.paragraph(2, 4), prose.paragraph(2, 4)]
    sheets = ("目录",) + tuple(f"材料{i + 1}" for i in range(parts)) if fmt == "xlsx" else ()
    return Doc(title=f"{year}年度重点工作材料汇编", body=tuple(body), top=(cover_mark,) if cover_mark else (),
               sheets=sheets, tail=(prose.org(), f"{year}年12月"))



def locate(doc: Doc, fmt: str, text: str, starts: tuple[int, ...]) -> str:
    """Where ``text`` (a top line or a body item) lands in the rendered ``fmt`` file.

    ``starts`` are the physical pages on which a PDF's PAGE-separated parts begin.
    """
    if text in doc.top and fmt != "txt":
        i = doc.top.index(text) + 1
        if fmt == "docx":
            return f"body:p{i}"
        if fmt == "pdf":
            return "body:page1:top-right" if doc.top_align == "right" else "body:page1:top"
        return f"cell:Sheet1!{'F' if doc.top_align == 'right' else 'A'}{i}"
    if fmt == "txt":
        lines = [t for t in doc.top] + [x for x in (doc.red_head, doc.doc_no) if x] + [doc.title, ""]
        lines += ["" if isinstance(b, Table) or b == PAGE else b for b in doc.body]
        return f"body:line{lines.index(text) + 1}"
    paragraph = len(doc.top) + bool(doc.red_head) + bool(doc.doc_no) + 1
    page = 1
    for item in doc.body:
        if item == PAGE:
            page += 1
            paragraph += fmt == "docx"
        elif not isinstance(item, Table):
            paragraph += 1
            if item == text:
                if fmt == "docx":
                    return f"body:p{paragraph}:page{page}"
                if fmt == "pdf":
                    return f"body:page{starts[page - 1]}:top"
                return f"cell:{doc.sheets[page - 1]}!A1"
    raise ValueError(f"{text} not in document")


def where_of(fmt: str, pos: Pos, doc: Doc, starts: tuple[int, ...]) -> str:
    w = pos.where
    if w in ("header", "footer", "first_header", "ledger_header"):
        part = "footer" if w == "footer" else "header"
        return {"docx": f"{part}:{'first' if w == 'first_header' else 'default'}",
                "pdf": f"{part}:every-page", "xlsx": f"{part}:Sheet1"}[fmt]
    if w == "properties":
        return "properties:密级"
    if w == "filename":
        return "filename"
    if w == "table_cover":
        return "table:1:B1"
    if w == "annotation":
        return "body:last-paragraph"
    if w == "merged":
        return "body:page1:top"
    return locate(doc, fmt, pos.mark, starts)


def unique(stem: str, fmt: str, used: set[str]) -> str:
    name, n = f"{stem}.{fmt}", 2
    while name in used:
        name, n = f"{stem}（{n}）.{fmt}", n + 1
    used.add(name)
    return name


def seeded(fmt: str, tag: str, i: int) -> tuple[random.Random, Prose]:
    """The generator and prose of one labelled file: independent of every other file."""
    rng = random.Random(f"{SEED}-{fmt}-{tag}-{i}")
    return rng, Prose(rng)
