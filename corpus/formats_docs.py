"""Labelled documents in the formats beyond the first four: PPTX, OFD, HTML, RTF, and the legacy
binaries DOC, XLS, PPT and WPS-like files (made by LibreOffice from DOCX/XLSX/PPTX, legacy.py).

Each format has positives (``Pos``: level, mark, placement) in that format's strong positions
(shared/spec/markings.md §9 and the extractors' Location conventions) and hard negatives
(content.compose_negative kinds). Placement keys are those of placing.py, read per format:

* pptx/ppt: ``top`` = text box at the cover slide's top-left, ``header``/``footer`` = text box
  on the slide master (top-right / bottom), ``corner`` = text box in the top-right corner of
  slide 3, ``properties``, ``filename``; negative kind ``mention`` puts a mention into the
  speaker notes of slide 2;
* ofd: as PDF, plus ``stamp`` (mark object written last), ``template`` (a template page),
  ``watermark`` (a Watermark annotation), ``properties`` (DocInfo CustomData 密级);
* html: ``top``/``banhead`` lines, ``title`` (a 【内部】 prefix in <title>), ``meta``
  (<meta name="密级">), ``properties`` (Word's custom property island), ``table_cover``;
* rtf, doc, wps (Writer): as DOCX (rtf extra ``unicode``: ``\\uN?`` escapes as LibreOffice writes,
  else GBK bytes); xls, wps (Spreadsheets): as XLSX.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from builders import Doc, render
from content import NOTES_MENTIONS, compose_negative
from legacy import KSO_BUILD, WPS_EXT, Converter
from markup import render_html, render_rtf
from ofdwriter import OfdExtras, render_ofd
from placing import Label, Pos, compose_positive, seeded, unique, where_of
from slides import Extras, render_pptx

P = Pos
POSITIVES: dict[str, tuple[Pos, ...]] = {
    "pptx": (P("秘密", "秘密★1年", "top"), P("内部", "内部资料 注意保存", "header"),
             P("机密", "机密★5年", "corner"), P("核心商密", "华辰公司核心商密▲10年", "footer"),
             P("工作秘密", "工作秘密", "top"), P("机密", "(机密★20年)", "filename"),
             P("秘密", "秘密★6个月", "properties")),
    "ofd": (P("秘密", "秘密★1年", "banhead"), P("机密", "机　密", "right1999"), P("绝密", "绝密★长期", "stamp"),
            P("内部", "内部资料 注意保存", "watermark"), P("核心商密", "华辰公司核心商密▲5年", "template"),
            P("秘密", "秘密", "properties"), P("工作秘密", "税务工作秘密", "top")),
    "html": (P("秘密", "秘密★1年", "top"), P("内部", "【内部】", "title"), P("机密", "机密★5年", "meta"),
             P("工作秘密", "工作秘密", "properties"), P("核心商密", "核心商密★5年", "table_cover"),
             P("秘密", "秘密★1年", "banhead", "gbk")),
    "rtf": (P("秘密", "秘密★1年", "banhead"), P("机密", "机密★10年", "header"),
            P("内部", "内部资料 注意保存", "first_header"), P("绝密", "绝密★长期", "wingdings"),
            P("普通商密", "普通商密★1年", "top"), P("秘密", "秘密★6个月", "footer"),
            P("机密", "机密★5年", "top", "unicode")),
    "doc": (P("秘密", "秘密★1年", "banhead"), P("机密", "机密★10年", "header"), P("绝密", "绝密★长期", "wingdings"),
            P("内部", "内部事项 注意保管", "first_header"), P("核心商密", "核心商密▲10年", "properties"),
            P("机密", "机密★10年", "booklet", "秘密★5年")),
    "xls": (P("秘密", "秘密★6个月", "header", "codes"), P("机密", "机密★10年", "top"),
            P("绝密", "绝密★长期", "right1999"), P("内部", "内部", "properties"),
            P("秘密", "秘密★1年", "ledger_header")),
    "ppt": (P("秘密", "秘密★1年", "top"), P("内部", "内部资料 注意保存", "header"), P("机密", "机密★10年", "corner"),
            P("绝密", "【绝密】", "filename")),
    "wps": (P("秘密", "秘密★1年", "banhead", "docx"), P("机密", "机密★10年", "header", "docx"),
            P("内部", "内部资料 注意保存", "top", "xlsx"), P("工作秘密", "工作秘密", "top", "pptx")),
}
NEGATIVES: dict[str, tuple[tuple[str, int, str], ...]] = {  # kind, variant, source format of wps files
    "pptx": (("mention", 2, ""), ("quiz", 1, ""), ("compound", 0, ""), ("law", 1, ""), ("public", 2, ""),
             ("template", 2, ""), ("ledger", 0, "")),
    "ofd": (("law", 4, ""), ("quiz", 0, ""), ("template", 0, ""), ("ledger", 0, ""), ("compound", 6, ""),
            ("public", 1, "")),
    "html": (("law", 6, ""), ("compound", 9, ""), ("template", 0, ""), ("public", 1, ""), ("quiz", 0, ""),
             ("compound", 7, "")),
    "rtf": (("law", 0, ""), ("quiz", 1, ""), ("compound", 1, ""), ("ledger", 1, ""), ("public", 4, "")),
    "doc": (("law", 0, ""), ("quiz", 0, ""), ("ledger", 2, ""), ("compound", 3, ""), ("public", 1, ""),
            ("template", 1, "")),
    "xls": (("ledger", 0, ""), ("quiz", 2, ""), ("law", 1, ""), ("compound", 5, ""), ("template", 1, "")),
    "ppt": (("mention", 2, ""), ("quiz", 0, ""), ("compound", 0, ""), ("public", 0, "")),
    "wps": (("law", 2, "docx"), ("quiz", 1, "docx"), ("ledger", 1, "xlsx"), ("compound", 2, "pptx")),
}
BASE = {"pptx": "pdf", "ppt": "pdf", "ofd": "pdf", "html": "pdf", "rtf": "docx", "doc": "docx", "xls": "xlsx"}
FORMATS = tuple(POSITIVES)


def make(out: Path, work: Path, used: set[str], conv: Converter) -> list[Label]:
    """Write every file of FORMATS into ``out`` (legacy ones queued on ``conv``); their labels."""
    labels = []
    for fmt in FORMATS:
        for i, pos in enumerate(POSITIVES[fmt]):
            rng, prose = seeded(fmt, "pos", i)
            base = pos.extra if fmt == "wps" else BASE[fmt]
            doc, stem = compose_positive(base, pos._replace(extra="") if fmt == "wps" else pos, prose, rng)
            name = unique(stem, _ext(fmt, base), used)
            where = _write(fmt, base, doc, pos, out / name, work, conv, ())
            note = f"{pos.where} mark {pos.mark}" + (f" ({pos.extra})" if pos.extra and fmt != "wps" else "")
            labels.append(Label(name, fmt, pos.level, where, "none", note + _source_note(fmt, base)))
        for i, (kind, variant, source) in enumerate(NEGATIVES[fmt]):
            rng, prose = seeded(fmt, "neg", i)
            base = source or BASE[fmt]
            doc, stem, note = compose_negative(kind, variant, base, prose, rng)
            notes = ((2, NOTES_MENTIONS[i % 2]),) if kind == "mention" and fmt in ("pptx", "ppt") else ()
            name = unique(stem, _ext(fmt, base), used)
            _write(fmt, base, doc, Pos("", "", kind), out / name, work, conv, notes)
            if notes:
                note += f"; notes of slide 2: {notes[0][1][:16]}…"
            labels.append(Label(name, fmt, "", "", kind, note + _source_note(fmt, base)))
    return labels


def _ext(fmt: str, base: str) -> str:
    return WPS_EXT["." + base].lstrip(".") if fmt == "wps" else fmt


def _source_note(fmt: str, base: str) -> str:
    if fmt in ("doc", "xls", "ppt"):
        return f"; soffice --convert-to {fmt} from {'pptx' if fmt == 'ppt' else base}"
    if fmt == "wps":
        return f"; WPS-like: {base} + KSOProductBuildVer, soffice, app name WPS Office"
    return ""


def _write(fmt: str, base: str, doc: Doc, pos: Pos, path: Path, work: Path, conv: Converter,
           notes: tuple[tuple[int, str], ...]) -> str:
    """Write one file; returns the label's ``where``."""
    if fmt in ("pptx", "ppt") or (fmt == "wps" and base == "pptx"):
        extras = Extras(notes=notes, corner=(3, pos.mark, "right") if pos.where == "corner" else None)
        target = path if fmt == "pptx" else work / (path.stem + ".pptx")
        render_pptx(_wps(doc) if fmt == "wps" else doc, target, extras)
        if fmt != "pptx":
            conv.add(target, path, wps=fmt == "wps")
        return _slides_where(pos)
    if fmt in ("doc", "xls", "wps"):
        source = work / (path.stem + "." + base)
        render(_wps(doc) if fmt == "wps" else doc, base, source)
        conv.add(source, path, wps=fmt == "wps")
        return where_of(base, pos, doc, ()) if pos.level else ""
    if fmt == "ofd":
        return _write_ofd(doc, pos, path)
    if fmt == "html":
        title = pos.mark + doc.title if pos.where == "title" else None
        meta = (("密级", pos.mark),) if pos.where == "meta" else ()
        lines = render_html(doc, path, meta, pos.extra or "utf-8", title)
        return _lines_where(pos, lines, {"title": "title", "meta": "meta:密级"})
    paras = render_rtf(doc, path, unicode=pos.extra == "unicode")
    return _lines_where(pos, paras, {"header": "header:default", "first_header": "header:first",
                                     "footer": "footer:default"})


def _wps(doc: Doc) -> Doc:
    return replace(doc, custom=doc.custom + (KSO_BUILD,))


def _slides_where(pos: Pos) -> str:
    return {"top": "body:slide1:top", "header": "master:top", "footer": "master:bottom",
            "corner": "body:slide3:top", "properties": "properties:密级", "filename": "filename",
            "": ""}.get(pos.where if pos.level else "", "")


def _write_ofd(doc: Doc, pos: Pos, path: Path) -> str:
    w = pos.where
    extras = OfdExtras(template=(pos.mark,) if w == "template" else (),
                       watermark=pos.mark if w == "watermark" else "", custom=doc.custom)
    if w == "stamp":
        doc = replace(doc, top=("000087", pos.mark, "特急"), stamp=pos.mark)
    render_ofd(doc, path, extras)
    if not pos.level:
        return ""
    return {"right1999": "body:page1:top-right", "watermark": "watermark:page1",
            "template": "body:page1:top (template page)", "properties": "properties:密级",
            "filename": "filename"}.get(w, "body:page1:top")


def _lines_where(pos: Pos, lines: list[str], parts: dict[str, str]) -> str:
    if not pos.level:
        return ""
    if pos.where in parts:
        return parts[pos.where]
    if pos.where == "properties":
        return "properties:密级"
    if pos.where == "table_cover":
        return "table:1:B1"
    return f"body:p{lines.index(pos.mark) + 1}"
