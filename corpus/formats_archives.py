"""Labelled archives: zip (UTF-8 and GBK member names, a zip inside a zip), 7z and tar.gz.

The labels are on the members, by the path the scanner gives them (``材料.zip!/通知/x.docx``,
nested ``材料.zip!/往年材料.zip!/y.txt``); the archive itself is labelled unmarked with kind
``container`` (an archive path is no mark: markings.md §9). Members are DOCX/PDF/XLSX/TXT made by
the same builders and placements as the first four formats (``Item``), so a member is as hard
as the file on its own. Mail attachments (formats_mail.py) use ``Item`` too.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from builders import render
from content import compose_negative
from packs import sevenz_bytes, tar_gz_bytes, zip_bytes
from placing import Label, Pos, compose_positive, seeded, where_of


@dataclass(frozen=True)
class Item:
    """One member: a marked file (``level``, ``mark``, placement ``where``) or an unmarked one
    (negative ``kind`` and ``variant``), or, when ``members`` is set, a zip of those members."""

    name: str  # member name, folders allowed; its extension is the member's format
    level: str = ""
    mark: str = ""
    where: str = ""
    kind: str = ""
    variant: int = 0
    extra: str = ""
    members: tuple[Item, ...] = ()


def build_member(item: Item, key: str, fmt: str, seed: str, work: Path) -> tuple[bytes, list[Label]]:
    """The member's bytes and the labels of it (and of its members, for a nested zip).

    ``key`` is its path as the scanner reports it relative to the corpus; ``fmt`` the labels'
    format column (the outermost container's format); ``seed`` makes its content unique.
    """
    if item.members:
        inner = [build_member(m, f"{key}!/{m.name}", fmt, f"{seed}-{j}", work) for j, m in enumerate(item.members)]
        blob = zip_bytes([(m.name, data) for m, (data, _) in zip(item.members, inner, strict=True)])
        labels = [Label(key, fmt, "", "", "container", f"zip inside the {fmt}")]
        return blob, labels + [lb for _, lbs in inner for lb in lbs]
    ext = item.name.rsplit(".", 1)[-1]
    rng, prose = seeded(fmt, seed, 0)
    path = work / f"member-{abs(hash_key(key))}.{ext}"
    if item.level:
        pos = Pos(item.level, item.mark, item.where, item.extra)
        doc, _ = compose_positive(ext, pos, prose, rng)
        starts = render(doc, ext, path)
        label = Label(key, fmt, item.level, where_of(ext, pos, doc, starts), "none",
                      f"{ext} member; {item.where} mark {item.mark}")
    else:
        doc, _, note = compose_negative(item.kind, item.variant, ext, prose, rng)
        render(doc, ext, path)
        label = Label(key, fmt, "", "", item.kind, f"{ext} member; {note}")
    blob = path.read_bytes()
    path.unlink()
    return blob, [label]


def hash_key(key: str) -> int:
    return zlib.crc32(key.encode("utf-8"))


M = Item
ARCHIVES: tuple[tuple[str, str, tuple[Item, ...]], ...] = (  # file name, writer, members
    ("2024年保密检查材料.zip", "zip", (
        M("通知/关于做好汛期安全防范工作的通知.docx", "秘密", "秘密★1年", "banhead"),
        M("通知/安全生产大检查会议纪要.pdf", "机密", "机密★5年", "top"),
        M("台账/涉密载体管理台账.xlsx", kind="ledger", variant=0),
        M("学习资料/保守国家秘密法实施条例节选.txt", kind="law", variant=0),
        M("往年材料.zip", members=(
            M("关于加强应急值守工作的报告.txt", "内部", "内部资料 注意保存", "top"),
            M("公文版式模板.docx", kind="template", variant=0))),
    )),
    ("文件备份.zip", "zip-gbk", (
        M("（秘密）关于开展网络安全应急演练的报告.docx", "秘密", "（秘密）", "filename"),
        M("关于召开第三季度工作推进会的通知.docx", kind="compound", variant=7),
        M("华辰集团总经理办公会纪要.pdf", "核心商密", "核心商密★5年", "top"),
        M("保密知识测试题.xlsx", kind="quiz", variant=0),
    )),
    ("项目资料.7z", "7z", (
        M("技术报告.docx", "机密", "密级：机密★5年", "label"),
        M("进度表.xlsx", "普通商密", "普通商密★1年", "top"),
        M("会议通知.txt", "工作秘密", "工作秘密", "top", extra="gb18030"),
        M("法规摘编.pdf", kind="law", variant=5),
        M("供应商评价.xlsx", kind="compound", variant=5),
        M("培训讲稿.docx", kind="quiz", variant=1),
    )),
    ("备份.7z", "7z", (
        M("内部资料汇编.docx", "内部", "内部资料 注意保存", "header"),
        M("学位论文.docx", kind="public", variant=0),
    )),
    ("导出文件.tar.gz", "tar", (
        M("export/关于调整节假日值班安排的通知.txt", "秘密", "秘密★1年", "top", extra="gb18030"),
        M("export/网络安全攻防演练方案.pdf", "绝密", "绝密★长期", "top"),
        M("export/收文登记簿.xlsx", kind="ledger", variant=1),
        M("export/内部控制评价报告.docx", kind="compound", variant=0),
        M("export/定密审批表.docx", kind="template", variant=1),
        M("export/数据中心迁移实施方案.docx", "机密", "机密★10年", "header"),
    )),
    ("日志.tar.gz", "tar", (
        M("logs/值班记录.txt", "内部", "内部★", "top"),
        M("logs/放假通知.txt", kind="public", variant=1),
    )),
)
WRITERS: dict[str, Callable[[list[tuple[str, bytes]]], bytes]] = {
    "zip": zip_bytes, "zip-gbk": lambda members: zip_bytes(members, gbk=True), "7z": sevenz_bytes,
    "tar": tar_gz_bytes}


def make(out: Path, work: Path, used: set[str]) -> list[Label]:
    labels: list[Label] = []
    for n, (name, writer, items) in enumerate(ARCHIVES):
        fmt = writer.split("-")[0]
        used.add(name)
        members, member_labels = [], []
        for j, item in enumerate(items):
            blob, lbs = build_member(item, f"{name}!/{item.name}", fmt, f"arc{n}-{j}", work)
            members.append((item.name, blob))
            member_labels += lbs
        (out / name).write_bytes(WRITERS[writer](members))
        note = "member names GBK, no UTF-8 flag" if writer == "zip-gbk" else f"{len(items)} members"
        labels += [Label(name, fmt, "", "", "container", note)] + member_labels
    return labels
