"""Labelled mail: .eml (mail.py) and Outlook .msg (olewriter.py) messages, with attachments.

A mail is marked by its Subject prefix (【内部】, [内部], 【秘密★1年】, （机密）) or its first body
line; unmarked mails carry hard-negative text (mentions warning against mailing 涉密 files,
《绝密使命》, an English confidentiality footer, a 保密自查 notice) or are plain covers for
attachments. Attachments are scanned as files of their own: the label of ``mail.eml!/附件.docx``
is the attachment's, and a mail that only carries a marked attachment is labelled unmarked
(kind ``container``). A zip attached to a mail nests: ``mail.eml!/材料.zip!/x.txt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builders import PAGE, Doc, Table
from content import compose_negative, office_doc
from formats_archives import Item, build_member
from mail import Attachment, Mail, eml_bytes
from olewriter import msg_bytes
from placing import Label, seeded

SENDERS = (("综合办公室", "office@jiangchuan.example.cn"), ("王某", "wang@huachen.example.com"),
           ("保密办", "bmb@jiangchuan.example.cn"), ("李某", "li@yuanshan.example.com"))
RECIPIENTS = (("各部门", "all@jiangchuan.example.cn"), ("张某", "zhang@huachen.example.com"))


@dataclass(frozen=True)
class MailSpec:
    name: str  # file stem
    subject: str = ""  # "" = the title of the mail's document
    level: str = ""  # the mail's own expected level
    where: str = ""
    top: tuple[str, ...] = ()  # first body lines
    kind: str = ""  # negative kind of the mail's text ("" = a plain office text)
    variant: int = 0
    charset: str = "utf-8"  # eml: utf-8 or gbk; msg: "gbk" = 8-bit strings in code page 936
    html: bool = False
    rfc2231: bool = True  # eml attachment names: RFC 2231, else GBK encoded words
    attachments: tuple[Item, ...] = ()


M, S = Item, MailSpec
EML: tuple[MailSpec, ...] = (
    S("关于调整值班安排的通知", "【内部】关于调整值班安排的通知", "内部", "header:subject"),
    S("值班安排", "节假日值班安排", "秘密", "body:line1", top=("秘密★1年",), charset="gbk"),
    S("转发防汛物资储备方案", "转发：关于做好防汛物资储备的方案", rfc2231=False, attachments=(
        M("附件1：关于做好防汛物资储备的方案.docx", "机密", "机密★10年", "header"),
        M("附件2：物资清单.xlsx", kind="ledger", variant=0))),
    S("第12周例会纪要", "[内部]第12周例会纪要", "内部", "header:subject", html=True),
    S("会议材料", "会议材料请查收", attachments=(
        M("远山能源总经理办公会纪要.pdf", "普通商密", "普通商密▲3年", "top"),
        M("保密知识测试题.txt", kind="quiz", variant=0))),
    S("关于严禁通过互联网邮件传递涉密文件的提醒", kind="mention", variant=0),
    S("周末观影推荐", kind="compound", variant=9),
    S("新员工内部培训", kind="compound", variant=10),
    S("保密自查自评工作通知", kind="compound", variant=11, charset="gbk"),
    S("转发值班安排", "转发：【内部】关于节假日值班安排的通知", "内部", "header:subject"),
    S("法规学习资料", "法规学习资料（请各支部组织学习）", attachments=(
        M("保守国家秘密法学习摘编.docx", kind="law", variant=1),)),
    S("检查材料打包", "检查材料打包发送", attachments=(
        M("检查材料.zip", members=(M("内部★值班工作安排.txt", "内部", "内部★", "filename"),
                                  M("会议室预订说明.docx", kind="public", variant=3))),)),
)
MSG: tuple[MailSpec, ...] = (
    S("网络安全检查通知", "【秘密★1年】关于网络安全检查的通知", "秘密", "header:subject"),
    S("资料室整理", "资料室整理安排", "内部", "body:line1", top=("内部资料 注意保存",)),
    S("设备采购请示", "（机密）关于设备采购的请示", "机密", "header:subject", charset="gbk"),
    S("安全生产大检查", "安全生产大检查通知及学习材料", attachments=(
        M("附件：关于开展安全生产大检查的通知.docx", "秘密", "秘密★1年", "banhead"),
        M("保守国家秘密法实施条例.docx", kind="law", variant=0))),
    S("加强载体管理", kind="mention", variant=1),
    S("内部培训安排", kind="compound", variant=10),
    S("放假通知", kind="public", variant=1),
    S("保密测试题", "第3期保密知识测试题", attachments=(M("保密知识测试题第3期.docx", kind="quiz", variant=0),)),
)


def _lines(doc: Doc) -> list[str]:
    """A document as the lines of a mail body (tables as tab-separated rows)."""
    out = list(doc.top)
    for item in doc.body:
        if isinstance(item, Table):
            out += ["\t".join(row) for row in item.rows]
        elif item != PAGE:
            out.append(item)
    return out + [""] + list(doc.tail)


def _compose(fmt: str, n: int, spec: MailSpec) -> tuple[str, list[str], str]:
    """Subject, body lines and the label note of one mail."""
    rng, prose = seeded(fmt, "mail", n)
    if spec.kind:
        doc, _, note = compose_negative(spec.kind, spec.variant, "txt", prose, rng)
    else:
        doc, note = office_doc(prose, rng, paragraphs=2), "plain office text"
    return spec.subject or doc.title, list(spec.top) + _lines(doc), note


def make(out: Path, work: Path, used: set[str]) -> list[Label]:
    labels: list[Label] = []
    for fmt, specs in (("eml", EML), ("msg", MSG)):
        for n, spec in enumerate(specs):
            name = f"{spec.name}.{fmt}"
            used.add(name)
            subject, body, note = _compose(fmt, n, spec)
            atts, att_labels = [], []
            for j, item in enumerate(spec.attachments):
                blob, lbs = build_member(item, f"{name}!/{item.name}", fmt, f"att{n}-{j}", work)
                atts.append((item.name, blob))
                att_labels += lbs
            sender, to = SENDERS[n % len(SENDERS)], RECIPIENTS[n % len(RECIPIENTS)]
            if fmt == "eml":
                mail = Mail(subject, sender, (to,), tuple(body), tuple(Attachment(a, b, spec.rfc2231) for a, b in atts),
                            spec.charset, spec.html, msgid=f"{n + 1:04d}")
                (out / name).write_bytes(eml_bytes(mail))
            else:
                (out / name).write_bytes(msg_bytes(subject, sender, to[0], "\r\n".join(body), atts,
                                                   936 if spec.charset == "gbk" else None))
            kind = "none" if spec.level else (spec.kind or "container")
            extra = f"; {len(atts)} attachment(s)" if atts else ""
            labels.append(Label(name, fmt, spec.level, spec.where, kind, f"{spec.charset}; {note}{extra}"))
            labels += att_labels
    return labels
