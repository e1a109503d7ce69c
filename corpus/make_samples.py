#!/usr/bin/env python3
"""Generate corpus/samples: a dozen realistic documents for the README quick start.

    python corpus/make_samples.py [--out DIR]

Marked and unmarked files in every format of the scanner (DOCX, PDF, XLSX, TXT),
with the expected result of each in corpus/samples-expected.tsv (kept outside the folder, which is scanned as a whole). Deterministic: fixed seeds,
fixed zip timestamps and core dates, reportlab invariant mode. Everything is
fictional except the law excerpt, which is public-domain text from corpus/public.
"""

from __future__ import annotations

import argparse
import random
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pypdfium2
from builders import Doc, Prose, Table, law_lines, law_title, render
from make_labelled import booklet, ledger_doc, locate, office_doc, quiz_doc

HERE = Path(__file__).resolve().parent
SEED = "docscan-samples-v1"
LAW = "law-admin-0012.txt"

Sample = tuple[Doc, str]  # the document and the "where" of its expected marking ("" when none)


def redhead_notice(prose: Prose, rng: random.Random) -> Sample:
    """红头 公文, GB/T 9704-2012 版头: 份号 / 密级 / 紧急程度, then 版记."""
    doc = replace(office_doc(prose, rng, 7), top=("000035", "秘密★1年", "特急"),
                  red_head="江川市人民政府文件", doc_no="江政发〔2024〕12号",
                  title="关于做好2024年汛期安全防范工作的通知",
                  tail=("江川市人民政府", "2024年5月20日", "抄送：市委办公室，市人大常委会办公室。",
                        "江川市人民政府办公室　　2024年5月20日印发"))
    return doc, "body:p2 (版头 line 2, under 份号 000035)"


def header_plan(prose: Prose, rng: random.Random) -> Sample:
    doc = replace(office_doc(prose, rng, 8), title="数据中心迁移实施方案", header="机密★10年")
    return doc, "header:default"


def stamped_notice(prose: Prose, rng: random.Random) -> Sample:
    doc = replace(office_doc(prose, rng), title="关于开展网络安全攻防演练的通知", top=("绝密★长期",),
                  stamp="绝密★长期")
    return doc, "body:page1:top (top-left, drawn last in the content stream)"


def compiled_booklet(prose: Prose, rng: random.Random) -> Sample:
    doc = replace(booklet(prose, rng, "pdf", "内部资料 注意保存", at=6), title="2024年度信息化工作材料汇编")
    return doc, ""  # filled in from the rendered layout


def ledger(prose: Prose, rng: random.Random) -> Sample:
    return ledger_doc(0, "xlsx", prose, rng)[0], ""


def expense_sheet(prose: Prose, rng: random.Random) -> Sample:
    rows = [("序号", "日期", "部门", "摘要", "金额（元）", "经办人")]
    for i in range(24):
        rows.append((str(i + 1), f"2024-{rng.randint(4, 6):02d}-{rng.randint(1, 28):02d}",
                     rng.choice(("办公室", "财务处", "信息中心", "后勤中心")),
                     rng.choice(("办公用品采购", "差旅费报销", "设备维修", "会议场地租赁", "印刷费")),
                     f"{rng.randint(200, 90000)}.{rng.randint(0, 99):02d}",
                     rng.choice(("王某", "李某", "赵某"))))
    doc = Doc(title="2024年第二季度经费支出明细表", body=(Table(tuple(rows)),), header="秘密★6个月",
              header_font=("黑体,常规", 16))
    return doc, "header:Sheet1 (&L&\"黑体,常规\"&16 秘密★6个月)"


def work_secret_note(prose: Prose, rng: random.Random) -> Sample:
    doc = replace(office_doc(prose, rng, 4), title="关于调整节假日值班安排的情况说明", top=("工作秘密",),
                  encoding="gb18030", newline="\r\n")
    return doc, "body:line1"


def law_excerpt(prose: Prose, rng: random.Random) -> Sample:
    """Articles of the public 保守国家秘密法实施条例 around its first 绝密级国家秘密."""
    lines = law_lines(LAW)
    at = next(i for i, line in enumerate(lines) if "绝密级国家秘密" in line)
    return Doc(title=law_title(LAW) + "（节选）", body=lines[at - 4:at + 10]), ""


def quiz(prose: Prose, rng: random.Random) -> Sample:
    return quiz_doc(0, "docx", prose, rng)[0], ""


def clean_plan(prose: Prose, rng: random.Random) -> Sample:
    return replace(office_doc(prose, rng), title="部署方案"), "filename"


def trade_minutes(prose: Prose, rng: random.Random) -> Sample:
    doc = replace(office_doc(prose, rng, 5), top=("核心商密★5年",),
                  title="华辰装备集团有限公司2024年第5次总经理办公会会议纪要")
    return doc, "body:page1:top"


def public_notice(prose: Prose, rng: random.Random) -> Sample:
    base = office_doc(prose, rng, 3)
    doc = replace(base, title="关于2024年端午节放假安排的通知", tail=base.tail + ("（此件公开发布）",),
                  encoding="utf-16")
    return doc, ""


SAMPLES: tuple[tuple[str, str, str, Callable[[Prose, random.Random], Sample]], ...] = (
    # file name, expected level ("无" = none), note, builder
    ("关于做好2024年汛期安全防范工作的通知.docx", "秘密", "红头公文, 份号/密级/特急", redhead_notice),
    ("数据中心迁移实施方案.docx", "机密", "mark in the page header", header_plan),
    ("关于开展网络安全攻防演练的通知.pdf", "绝密", "stamp added after the body", stamped_notice),
    ("2024年度信息化工作材料汇编.pdf", "内部", "8-page booklet; the material on page 6 is marked",
     compiled_booklet),
    ("2024年涉密载体管理台账.xlsx", "无", "ledger: levels are data in a 密级 column", ledger),
    ("2024年第二季度经费支出明细表.xlsx", "秘密", "sheet header with font/size codes", expense_sheet),
    ("关于调整节假日值班安排的情况说明.txt", "工作秘密", "GB18030, CRLF", work_secret_note),
    ("保守国家秘密法实施条例节选.txt", "无", "law text: 绝密级国家秘密 is a mention", law_excerpt),
    ("保密知识测试题.docx", "无", "quiz options such as A.机密★10年", quiz),
    ("【机密】部署方案.docx", "机密", "mark only in the file name", clean_plan),
    ("华辰装备集团总经理办公会会议纪要.pdf", "核心商密", "enterprise trade-secret mark", trade_minutes),
    ("关于2024年端午节放假安排的通知.txt", "无", "UTF-16; explicit （此件公开发布）", public_notice),
)


def build(out: Path) -> list[str]:
    """Write the samples into ``out``; returns the samples-expected.tsv rows."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rows = ["file\tformat\texpected_level\twhere\tnote"]
    for i, (name, level, note, make) in enumerate(SAMPLES):
        rng = random.Random(f"{SEED}-{i}")
        doc, where = make(Prose(rng), rng)
        fmt = name.rsplit(".", 1)[1]
        starts = render(doc, fmt, out / name)
        if make is compiled_booklet:
            where = locate(doc, fmt, "内部资料 注意保存", starts)
            pages = len(pypdfium2.PdfDocument(out / name))
            assert (where, pages) == ("body:page6:top", 8), (where, pages)
        rows.append("\t".join((name, fmt, level, where, note)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / "samples")
    args = ap.parse_args()
    rows = build(args.out)
    (args.out.parent / "samples-expected.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"make_samples: {len(rows) - 1} files in {args.out}")


if __name__ == "__main__":
    main()
