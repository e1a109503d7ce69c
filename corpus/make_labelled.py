#!/usr/bin/env python3
"""Generate corpus/labelled: marked documents and hard negatives, with ground truth in labels.tsv.

    python corpus/make_labelled.py [--out DIR]

44 files per format (DOCX, PDF, XLSX, TXT): 22 carry a marking (all seven levels, in the
forms and positions of shared/spec/markings.md §4-§8 and §13.2) and 22 carry none but
are hard negatives: law texts (corpus/public), 保密 quizzes and training notes that show
example marks, templates, ledgers with a 密级 column, ordinary compounds (内部控制,
成功的秘密, ★★★★☆ ...) and explicitly public documents. Deterministic: the same files,
byte for byte, on every run. All content is fictional or public-domain law text.

Then, unchanged in front of them, the later formats (``build_more``): PPTX, OFD, HTML, RTF and
legacy DOC/XLS/PPT/WPS-like files (formats_docs.py; the legacy ones converted by LibreOffice,
so ``soffice`` must be installed), EML/MSG mail with attachments (formats_mail.py), zip/7z/tar.gz
archives whose members carry the labels (formats_archives.py), and PNG/JPEG pictures and
image-only PDFs read by OCR (formats_ocr.py). labels.tsv has one row per labelled file or member.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
from pathlib import Path

import formats_archives
import formats_docs
import formats_mail
import formats_ocr
from builders import Prose, render
from content import compose_negative, ledger_doc, office_doc, quiz_doc
from legacy import Converter
from placing import SEED, Label, Pos, booklet, compose_positive, locate, unique, where_of

HERE = Path(__file__).resolve().parent
FOR_SAMPLES = (booklet, ledger_doc, locate, office_doc, quiz_doc)  # make_samples.py imports these from here
FORMATS = ("docx", "pdf", "xlsx", "txt")


POSITIVES: dict[str, tuple[Pos, ...]] = {
    "docx": (
        Pos("秘密", "秘密★1年", "banhead"), Pos("机密", "机密★10年", "header"),
        Pos("绝密", "绝密★长期", "wingdings"), Pos("机密", "机　密", "right1999"),
        Pos("秘密", "秘密★6个月", "split"), Pos("机密", "密级：机密★5年", "label"),
        Pos("机密", "机密★5年", "table_cover"), Pos("机密", "机密★10年", "booklet", "秘密★5年"),
        Pos("秘密", "（秘密）", "filename"), Pos("机密", "(机密★20年)", "filename"),
        Pos("核心商密", "核心商密★长期", "top"), Pos("普通商密", "华辰公司普通商密▲5年", "header"),
        Pos("普通商密", "普通商密★1年", "top"), Pos("核心商密", "核心商密▲10年", "properties"),
        Pos("工作秘密", "警务工作秘密", "top"), Pos("工作秘密", "工作秘密", "header"),
        Pos("内部", "内部资料 注意保存", "header"), Pos("内部", "内部★", "top"),
        Pos("内部", "内部事项 注意保管", "first_header"), Pos("内部", "（此件不予公开）", "annotation"),
        Pos("绝密", "绝密★公开发布前", "attachment"), Pos("秘密", "秘密 ★ 2年", "mentions"),
    ),
    "pdf": (
        Pos("绝密", "绝密★长期", "stamp"), Pos("秘密", "秘密★1年", "merged"),
        Pos("秘密", "秘密★1年", "banhead"), Pos("机密", "机密*5年", "top"),
        Pos("秘密", "秘　密", "right1999"), Pos("内部", "内部资料 注意保存", "header"),
        Pos("机密", "机密★10年", "footer"), Pos("秘密", "秘密★3年", "booklet"),
        Pos("机密", "机密★会议开始前", "top"), Pos("机密", "(机密★20年)", "filename"),
        Pos("内部", "内部资料，免费交流", "publication"),
        Pos("核心商密", "远山能源公司核心商密▲长期", "header"),
        Pos("普通商密", "普通商密 ▲ 3年", "top"), Pos("工作秘密", "工作秘密★2年", "top"),
        Pos("绝密", "绝密☆30年", "top"), Pos("机密", "密 级：机密★2026年12月31日", "label"),
        Pos("秘密", "秘密★6个月", "attachment"), Pos("内部", "内部★5年", "top"),
        Pos("工作秘密", "税务工作秘密", "top"), Pos("秘密", "【秘密】", "filename"),
        Pos("核心商密", "核心商密★5年", "top"), Pos("普通商密", "华辰公司普通商密▲1年", "footer"),
    ),
    "xlsx": (
        Pos("秘密", "秘密★6个月", "header", "codes"), Pos("内部", "内部资料 注意保存", "top"),
        Pos("机密", "机密★10年", "top"), Pos("秘密", "密级：秘密", "label"),
        Pos("绝密", "绝密★长期", "right1999"), Pos("机密", "机密★5年", "footer"),
        Pos("秘密", "秘密★1年", "properties"), Pos("内部", "内部", "properties"),
        Pos("普通商密", "普通商密★1年", "top"), Pos("核心商密", "华辰公司核心商密▲5年", "header"),
        Pos("工作秘密", "工作秘密", "top"), Pos("秘密", "秘密★2年", "booklet"),
        Pos("机密", "(机密★20年)", "filename"), Pos("内部", "内部★", "filename"),
        Pos("秘密", "秘密★1年", "ledger_header"), Pos("机密", "机密 ★ 10年", "top"),
        Pos("绝密", "绝密★二十年", "top"), Pos("工作秘密", "警务工作秘密", "header", "codes"),
        Pos("内部", "内部★注意保管", "top"), Pos("普通商密", "普通商密▲公布前", "footer"),
        Pos("核心商密", "核心商密", "top"), Pos("秘密", "秘密★3个月", "mentions"),
    ),
    "txt": (
        Pos("工作秘密", "工作秘密", "top", "gb18030"), Pos("秘密", "秘密★1年", "banhead"),
        Pos("机密", "机密★10年", "top", "utf-16"), Pos("绝密", "绝密★长期", "top", "utf-8-sig"),
        Pos("内部", "内部资料 注意保存", "top", "gb18030"), Pos("秘密", "秘　密", "right1999"),
        Pos("机密", "密级：机密★5年", "label"), Pos("秘密", "（秘密）", "filename"),
        Pos("内部", "仅供内部使用", "top"), Pos("核心商密", "核心商密★5年", "top"),
        Pos("普通商密", "华辰公司普通商密▲3年", "top", "gb18030"), Pos("机密", "机密☆3年", "top"),
        Pos("秘密", "秘密*2年", "top"), Pos("绝密", "绝密★30年", "top", "blank-lines"),
        Pos("工作秘密", "警务工作秘密", "top", "utf-16"), Pos("内部", "【内部】", "top"),
        Pos("秘密", "秘密★1年", "attachment"), Pos("机密", "机密★会议开始前", "top"),
        Pos("内部", "内部事项 注意保管", "top"), Pos("普通商密", "普通商密★2年", "top"),
        Pos("绝密", "【绝密】", "filename"), Pos("秘密", "（秘密★1年）", "mentions"),
    ),
}
NEGATIVES: dict[str, tuple[tuple[str, int], ...]] = {
    "docx": (("law", 0), ("law", 1), ("law", 2), ("law", 3), ("quiz", 0), ("quiz", 1), ("quiz", 2),
             ("template", 0), ("template", 1), ("template", 2), ("ledger", 0), ("ledger", 1), ("ledger", 2),
             ("compound", 0), ("compound", 1), ("compound", 2), ("compound", 3), ("compound", 7),
             ("compound", 11), ("public", 0), ("public", 1), ("public", 3)),
    "pdf": (("law", 4), ("law", 5), ("law", 6), ("law", 7), ("quiz", 0), ("quiz", 1), ("template", 0),
            ("template", 2), ("ledger", 0), ("ledger", 1), ("ledger", 2), ("compound", 4), ("compound", 5),
            ("compound", 6), ("compound", 8), ("compound", 9), ("compound", 10), ("compound", 11),
            ("public", 1), ("public", 2), ("public", 4), ("public", 5)),
    "xlsx": (("law", 1), ("law", 3), ("law", 5), ("quiz", 2), ("quiz", 0), ("template", 1), ("template", 0),
             ("template", 2), ("ledger", 0), ("ledger", 1), ("ledger", 2), ("ledger", 3), ("compound", 0),
             ("compound", 5), ("compound", 3), ("compound", 11), ("compound", 6), ("compound", 2),
             ("compound", 8), ("public", 0), ("public", 2), ("public", 5)),
    "txt": (("law", 0), ("law", 2), ("law", 4), ("law", 6), ("quiz", 0), ("quiz", 1), ("quiz", 2),
            ("template", 0), ("template", 2), ("ledger", 1), ("ledger", 2), ("compound", 2), ("compound", 4),
            ("compound", 6), ("compound", 7), ("compound", 8), ("compound", 9), ("compound", 10),
            ("compound", 11), ("public", 1), ("public", 3), ("public", 4)),
}



def build(out: Path) -> list[Label]:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    labels: list[Label] = []
    used: set[str] = set()
    for fmt in FORMATS:
        for i, pos in enumerate(POSITIVES[fmt]):
            rng = random.Random(f"{SEED}-{fmt}-pos-{i}")
            doc, stem = compose_positive(fmt, pos, Prose(rng), rng)
            name = unique(stem, fmt, used)
            starts = render(doc, fmt, out / name)
            note = f"{pos.where} mark {pos.mark}" + (f" ({pos.extra})" if pos.extra else "")
            labels.append(Label(name, fmt, pos.level, where_of(fmt, pos, doc, starts), "none", note))
        for i, (kind, variant) in enumerate(NEGATIVES[fmt]):
            rng = random.Random(f"{SEED}-{fmt}-neg-{i}")
            doc, stem, note = compose_negative(kind, variant, fmt, Prose(rng), rng)
            name = unique(stem, fmt, used)
            render(doc, fmt, out / name)
            labels.append(Label(name, fmt, "", "", kind, note))
    return labels + build_more(out, used)


def build_more(out: Path, used: set[str]) -> list[Label]:
    """The formats added after the first four (issue 3): documents, mail, archives, OCR."""
    with tempfile.TemporaryDirectory(prefix="corpus-labelled-") as tmp:
        work, conv = Path(tmp), Converter()
        labels = formats_docs.make(out, work, used, conv)
        conv.run()
        labels += formats_mail.make(out, work, used)
        labels += formats_archives.make(out, work, used)
    return labels + formats_ocr.make(out, used)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / "labelled")
    args = ap.parse_args()
    labels = build(args.out)
    header = "file\tformat\texpected_level\twhere\thard_negative_kind\tnote"
    (args.out / "labels.tsv").write_text("\n".join([header] + [lb.row() for lb in labels]) + "\n",
                                         encoding="utf-8")
    files = [p for p in args.out.iterdir() if p.name != "labels.tsv"]
    size = sum(p.stat().st_size for p in args.out.iterdir())
    marked = sum(1 for lb in labels if lb.level)
    print(f"make_labelled: {len(files)} files, {len(labels)} labels ({marked} marked, "
          f"{len(labels) - len(files)} of them archive/mail members) in {args.out}, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
