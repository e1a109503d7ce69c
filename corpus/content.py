"""What the labelled documents say: office prose, hard-negative documents and their tables.

Shared by make_labelled.py (every format): ``office_doc`` is the plain 通知/报告 a mark is placed
on, ``compose_negative`` the unmarked hard negatives (law texts, quizzes, templates, ledgers,
compounds, public documents). Content only; how a document is laid out is builders.py's job.
All fictional or public-domain law text (corpus/public).
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from builders import Doc, Prose, Table, law_lines, law_title

REPORT_TITLES = ("EV200智能终端安全加固技术研究报告", "城市供水管网漏损监测系统技术报告",
                 "新型储能电站并网试验研究报告", "港口装卸设备远程运维方案论证报告")
MENTION_SENTENCES = (
    "泄露绝密级国家秘密的，依法追究法律责任。",
    "本通知仅供内部使用，请勿对外公开。",
    "各单位要进一步加强机密载体管理，落实专人负责制度。",
    "密级和保密期限一般标注在首页左上角，例如“秘密★1年”。",
    "要健全内部控制制度，加强内部审计监督。",
)



def office_doc(prose: Prose, rng: random.Random, paragraphs: int = 6) -> Doc:
    """A plain 通知/报告 with headings, a signature and a date."""
    body: list[str | Table] = [prose.org().replace("办公室", "") + "各部门、各单位："]
    for i in range(paragraphs):
        if i in (1, 4):
            body.append(("一、", "二、", "三、", "四、", "五、")[i // 2] + prose.topic())
        body.append(prose.paragraph())
    return Doc(title=prose.title(), body=tuple(body), tail=(prose.org(), prose.date()))


# ---------------------------------------------------------------------------- hard negatives

LAWS = (("law-admin-0012.txt", "保守国家秘密法实施条例"), ("law-national-0084.txt", "保守国家秘密法"),
        ("law-local-0019.txt", "北京市保守国家秘密条例"),
        ("law-judicial-0035.txt", "商业秘密民事案件司法解释"),
        ("law-national-0057.txt", "反不正当竞争法"), ("law-judicial-0032.txt", "涉境外窃密案件司法解释"),
        ("law-national-0097.txt", "密码法"))
COMPANIES = ("华辰装备集团有限公司", "远山能源股份有限公司", "启明电子研究所", "南屿港务集团有限公司")
SECRECY = re.compile(r"绝密|机密|秘密级|密级|内部|商业秘密")


def compose_negative(kind: str, variant: int, fmt: str, prose: Prose,
                     rng: random.Random) -> tuple[Doc, str, str]:
    """An unmarked hard-negative document: (doc, file name stem, note)."""
    return {"law": law_doc, "quiz": quiz_doc, "template": template_doc, "ledger": ledger_doc,
            "compound": compound_doc, "public": public_doc, "mention": mention_doc}[kind](variant, fmt, prose, rng)


def law_doc(variant: int, fmt: str, prose: Prose, rng: random.Random) -> tuple[Doc, str, str]:
    """Consecutive lines of a public law text around its secrecy terms; odd variants as a study excerpt."""
    name, short = LAWS[variant % len(LAWS)]
    lines = law_lines(name)
    hits = [i for i, ln in enumerate(lines) if SECRECY.search(ln)] or [0]
    start = max(0, rng.choice(hits) - 3)
    window = lines[start:start + rng.randint(12, 18)]
    title = law_title(name)
    if fmt == "xlsx":
        rows = tuple((str(i + 1), ln.split(" ", 1)[0] if ln.startswith("第") else "", ln.split(" ", 1)[-1])
                     for i, ln in enumerate(window))
        body: tuple[str | Table, ...] = (Table((("序号", "条目", "内容"),) + rows),)
    else:
        body = window
    note = f"lines {start + 1}-{start + len(window)} of public/{name}"
    if variant % 2:
        intro = f"为深入学习贯彻《{title}》，现将有关条款摘编如下，供各部门学习参考。"
        doc = Doc(title=f"《{short}》学习摘编", body=(intro,) + body, header="保密法律法规学习资料")
        return doc, f"{short}学习摘编", note + " (study excerpt)"
    return Doc(title=title, body=body), short if len(title) > 30 else title, note


QUIZ_LINES = (
    "一、单项选择题（每题5分）",
    "1. 某文件确定为机密级，保密期限为10年，其国家秘密标志正确标注为（　）。",
    "A.机密★10年", "B.★机密10年", "C.机密10年★", "D.10年★机密",
    "2. 国家秘密的密级分为（　）。",
    "A.绝密、机密、秘密", "B.绝密、机密、内部", "C.机密、秘密、工作秘密", "D.核心商密、普通商密",
    "3. 保密期限在1年以下的，应当以（　）计。", "A.月　B.日　C.周　D.季度",
    "二、判断题（每题5分）",
    "4. “秘密★6个月”表示该文件的保密期限为6个月。（　）",
    "5. 工作秘密可以标注“秘密★1年”。（　）",
    "6. 仅标注“机密★”而未标注保密期限的，保密期限按20年认定。（　）",
    "参考答案：1.A　2.A　3.A　4.√　5.×　6.√",
)
TRAINING_LINES = (
    "国家秘密标志由密级和保密期限组成，中间用“★”隔开。",
    "书面形式的密件，应当在封面或者首页左上角标注国家秘密标志，例如“秘密★1年”。",
    "保密期限在1年及以上的以年计，在1年以下的以月计，如“秘密★6个月”。",
    "仅标注密级、未标注保密期限的，例如“机密★”，按照机密级事项的法定期限20年认定。",
    "工作秘密不属于国家秘密，不得标注国家秘密标志，一般可标注“内部”字样。",
    "汇编涉密文件的，应当按照其中最高密级和最长保密期限标注。",
)
QUIZ_TABLE = (
    ("题号", "题目", "选项A", "选项B", "选项C", "选项D", "答案"),
    ("1", "国家秘密的密级分为几级？", "一级", "二级", "三级", "四级", "C"),
    ("2", "某文件机密级、保密期限10年，正确的标注是",
     "机密★10年", "★机密10年", "机密10年★", "10年★机密", "A"),
    ("3", "秘密级国家秘密的保密期限，除另有规定外，不超过", "5年", "10年", "20年", "30年", "B"),
    ("4", "下列标注中，适用于工作秘密的是", "内部", "秘密★1年", "绝密★长期", "机密★", "A"),
    ("5", "密级标志应当标注在首页的", "左上角", "右下角", "页脚", "正文末尾", "A"),
)


def quiz_doc(variant: int, fmt: str, prose: Prose, rng: random.Random) -> tuple[Doc, str, str]:
    """保密 quiz whose options show marks; training notes with a deep example block; a question bank."""
    issue = rng.randint(1, 12)
    if variant == 0:
        return (Doc(title=f"保密知识测试题（第{issue}期）", body=QUIZ_LINES), f"保密知识测试题第{issue}期",
                "quiz options A.机密★10年 ...")
    if variant == 1:
        body = TRAINING_LINES[:3] + tuple(prose.sentence() for _ in range(6)) + TRAINING_LINES[3:] + (
            "正确示例：", "机密★10年", "错误示例：", "机密10年★", prose.paragraph())
        return (Doc(title="保密知识培训讲稿：国家秘密标志的标注", body=body, footer="保密教育培训材料"),
                f"保密培训讲稿{issue}", "training notes; standalone example mark line after 正确示例")
    edition = rng.choice(("机关", "企业", "新入职人员"))
    return (Doc(title=f"保密知识题库（{edition}版）", body=(Table(QUIZ_TABLE),)),
            f"保密知识题库{issue}", "question bank table; option cells hold whole marks (rows 4+)")


def template_doc(variant: int, fmt: str, prose: Prose, rng: random.Random) -> tuple[Doc, str, str]:
    """公文 layout template with placeholders, 定密审批 form, format guide with a sample 版头 block."""
    if variant == 0:
        body = ("××××××：", "（正文）××××××××××××××××××××××××××××××。",
                "注：密级和保密期限按“××★××年”格式标注，不涉密的公文不标注。", "附件：1.××××××××")
        doc = Doc(title="关于××××××的通知", body=body, top=("××××××", "秘密★×年", "特急"),
                  red_head="××××××文件", doc_no="××〔20××〕××号", tail=("××××××", "20××年×月×日"))
        return doc, "公文版式模板（上行文）", "template placeholders 秘密★×年 / ××★××年"
    if variant == 1:
        table = Table((("事项名称", "", "承办部门", ""),
                       ("拟定密级", "□绝密　□机密　□秘密", "保密期限", "____年"),
                       ("知悉范围", "", "定密依据", ""), ("承办人意见", "", "定密责任人意见", "")))
        body = ("填表说明：", table, "1. 密级：________（在相应方框内打“√”）；", "2. 保密期限以年或月计；",
                "3. 本表一式两份，由定密责任人签字后存档。")
        doc = Doc(title="国家秘密事项定密审批表（样表）", body=body)
        return doc, "定密审批表（样表）", "form with 密级：____"
    guide = ("一、版头部分", "份号：涉密公文应当标注份号，用6位3号阿拉伯数字，顶格编排在版心左上角第一行。",
             "密级和保密期限：用3号黑体字，顶格编排在版心左上角第二行。",
             "保密期限中的数字用阿拉伯数字标注。", "紧急程度：用3号黑体字，顶格编排在版心左上角。",
             "发文机关标志：由发文机关全称或者规范化简称加“文件”组成。",
             "发文字号：编排在发文机关标志下空二行位置，居中排布。", "签发人：上行文应当标注签发人姓名。",
             "版头示例：")
    return (Doc(title="党政机关公文格式要点（培训材料）", body=guide + ("000001", "机密★1年", "特急") + (
        "二、主体部分", prose.paragraph(1, 2))), "公文格式要点培训材料",
        "format guide; sample 版头 block 000001/机密★1年/特急 after 版头示例 (line 10+)")


LEDGER_LEVELS = ("秘密", "机密", "秘密", "内部", "绝密", "秘密", "机密", "内部")


def ledger_doc(variant: int, fmt: str, prose: Prose, rng: random.Random) -> tuple[Doc, str, str]:
    """Registers listing levels as data in a 密级 column (the first data row holds a level)."""
    year = rng.choice((2023, 2024))
    n = rng.randint(8, 14)
    if variant == 0:
        head = ("序号", "载体名称", "密级", "保密期限", "数量", "责任人", "存放位置")
        rows = [(str(i + 1), prose.title(), (lv := LEDGER_LEVELS[i % 8]),
                 "" if lv == "内部" else rng.choice(("1年", "5年", "10年", "20年")), str(rng.randint(1, 6)),
                 rng.choice(("王某", "李某", "张某", "刘某")), rng.choice(("保密柜A", "保密柜B", "机要室")))
                for i in range(n)]
        title = f"{year}年涉密载体管理台账"
    elif variant in (1, 3):
        levels = ("核心商密", "普通商密", "普通商密", "公开") if variant == 3 else LEDGER_LEVELS
        head = ("序号", "收文日期", "来文单位", "文号", "文件标题", "密 级", "份数", "处理情况")
        rows = [(str(i + 1), f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", prose.org(),
                 prose.doc_number(), prose.title(), levels[i % len(levels)], str(rng.randint(1, 3)),
                 rng.choice(("已办结", "传阅中", "已归档"))) for i in range(n)]
        title = f"{year}年{'合同文本' if variant == 3 else '收文'}登记簿"
    else:
        head = ("编号", "文件标题", "密级", "制发日期", "定密责任人")
        marks = ("秘密★1年", "机密★10年", "秘密★6个月", "内部", "绝密★长期", "机密★5年")
        rows = [(f"OA-{year}-{i + 1:04d}", prose.title(), marks[i % len(marks)], prose.date(),
                 rng.choice(("赵某", "钱某", "孙某"))) for i in range(n)]
        title = f"{year}年定密事项登记表（系统导出）"
    body: tuple[str | Table, ...] = (Table((head,) + tuple(rows)),)
    if fmt == "docx":
        body = (f"本台账由{prose.org()}保密办负责维护，每季度核对一次。",) + body
    return Doc(title=title, body=body), title, f"ledger variant {variant}: 密级 column with level values"


COMPOUNDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("2023年度内部控制评价报告", "内部控制评价报告", (
        "根据《企业内部控制基本规范》及其配套指引的规定，公司对2023年12月31日内部控制的有效性进行了评价。",
        "一、重要声明", "二、内部控制评价结论",
        "根据公司财务报告内部控制重大缺陷的认定情况，于内部控制评价报告基准日，不存在财务报告内部控制重大缺陷。",
        "三、内部控制评价工作情况", "（一）内部控制评价范围",
        "纳入评价范围的主要事项包括：内部环境、风险评估、控制活动、信息与沟通、内部监督。")),
    ("关于加强内部审计工作的实施意见", "", (
        "为贯彻落实党内法规和审计法有关规定，进一步加强内部审计工作，提出如下意见。",
        "一、健全内部审计机构", "各单位应当配备与内部审计任务相适应的内部审计人员。",
        "二、完善内部管理制度", "要加强对内部人员的培训，推动内部审计结果运用。")),
    ("成功的秘密：写给新入职员工的一封信", "", (
        "很多同事问我，成功的秘密是什么？", "其实并没有什么秘密武器，公开的秘密就是坚持和复盘。",
        "每个人心里都有一座秘密花园，工作之余也要照顾好它。", "愿你们在这里找到属于自己的小秘密。")),
    ("商业秘密保护管理办法", "", (
        "第一章　总则",
        "第一条　为加强公司商业秘密保护工作，根据《中华人民共和国反不正当竞争法》等规定，制定本办法。",
        "第二条　本办法所称商业秘密，是指不为公众所知悉、具有商业价值并经公司采取相应保密措施的"
        "技术信息和经营信息。",
        "第三条　公司商业秘密分为以下两级：", "（一）核心商密", "（二）普通商密",
        "第四条　商业秘密载体应当标注密级和保密期限，密级标注统一为“核心商密”“普通商密”。",
        "第五条　侵犯商业秘密的，依照有关规定追究责任。")),
    ("机密计算技术在政务云中的应用探讨", "", (
        "机密计算（Confidential Computing）是一种在基于硬件的可信执行环境中保护使用中数据的技术。",
        "机密性、完整性和可用性是信息安全的三个基本属性。",
        "在Kubernetes中，Secret（秘密）对象用于保存口令、令牌等敏感信息；Key Vault 机密可集中管理应用凭据。",
        "机密虚拟机和机密容器正在成为云服务商的标准能力。")),
    ("2024年办公设备供应商服务评价汇总", "", (
        "推荐指数：★★★★☆", "★重点：售后响应时间不超过4小时。", "★长期要求：备件库存不少于30天。",
        "综合评分：★★★☆☆（良好）")),
    ("江川市人民政府办公室关于转发部分节假日安排的通知", "", (
        "各区县人民政府，市政府各部门：", "国办发明电〔2023〕7号",
        "现将国务院办公厅部分节假日安排的通知转发给你们，请遵照执行。",
        "节假日期间，各单位要妥善安排值班和安全保卫等工作。")),
    ("关于召开第三季度工作推进会的通知", "", (
        "会议定于9月26日上午9时在三楼会议室召开。", "本通知仅供内部使用，请勿对外公开。",
        "请各单位于会后收回材料并妥善保管。", "参会人员请提前10分钟入场。")),
    ("关于2024年上半年保密检查情况的通报", "", (
        "检查发现，个别单位文件上标注“内部，注意保存”等字样，但未按规定履行定密程序。",
        "抽查的文件中，含标“机密”4份、标“秘密”6份，均已按要求登记。", "经鉴定，该文件为工作秘密。",
        "有的单位将工作秘密标注为“秘密★1年”，属于错误标注。")),
    ("周末观影推荐：《绝密使命》", "", (
        "这部以红色交通线为背景的电影，讲述了交通员护送物资的故事。", "另推荐一本书：《秘密花园》。",
        "评分：★★★★☆")),
    ("关于开展2024年新员工内部培训的通知", "This e-mail is confidential and may be privileged.", (
        "为帮助新员工尽快熟悉岗位，定于下月开展内部培训。",
        "培训内容包括内部管理制度、内部招聘流程和信息安全基础。",
        "请各部门于本周五前报送参训名单。")),
    ("关于开展2024年度保密自查自评工作的通知", "", (
        "为深入贯彻落实保守国家秘密法及其实施条例，决定开展年度保密自查自评工作。",
        "一、自查范围", "涉密人员、涉密载体、涉密信息系统以及定密工作情况。", "二、自查重点",
        "（一）是否存在将绝密级、机密级、秘密级国家秘密载体带出工作场所的情况；",
        "（二）是否存在在非涉密计算机上处理涉密信息的情况；",
        "（三）定密责任人是否按规定标注密级和保密期限。",
        "三、工作要求", "请于11月30日前将自查报告报送市保密办。")),
)


def compound_doc(variant: int, fmt: str, prose: Prose, rng: random.Random) -> tuple[Doc, str, str]:
    """Ordinary documents whose words contain the level words (内部控制, 成功的秘密, 国办发明电 ...)."""
    title, running, lines = COMPOUNDS[variant]
    if variant in (0, 3):
        title = rng.choice(COMPANIES) + title
    body: list[str | Table] = []
    for i, line in enumerate(lines):
        body.append(line)
        if i % 2 == 1:
            body.append(prose.paragraph(1, 3))
    if variant == 5:
        body.append(Table((("供应商", "响应速度", "服务评分"), ("甲公司", "★★★★☆", "4.5"),
                           ("乙公司", "★★★☆☆", "3.6"))))
    footer = running if running.startswith("This") else None
    header = running if running and not footer else None
    doc = Doc(title=title, body=tuple(body), header=header, footer=footer, tail=(prose.org(), prose.date()))
    if fmt == "txt" and footer:
        doc = replace(doc, footer=None, tail=doc.tail + (footer,))
    return doc, title[:40], f"compound variant {variant}: {lines[0][:24]}"


def public_doc(variant: int, fmt: str, prose: Prose, rng: random.Random) -> tuple[Doc, str, str]:
    """Explicitly public documents: 密级：公开 covers, （此件公开发布） notes, (公开) file names."""
    base = office_doc(prose, rng)
    if variant == 0:
        doc = Doc(title="基于图神经网络的交通流量预测方法研究",
                  top=("分类号：TP391", "密级：公开", "UDC：004.8"),
                  body=("硕士学位论文", "摘要", prose.paragraph(3, 5), prose.paragraph(3, 5)))
        return doc, "硕士学位论文-交通流量预测", "thesis cover 密级：公开"
    if variant == 1:
        doc = replace(base, red_head=prose.org().replace("办公室", "") + "文件", doc_no=prose.doc_number(),
                      tail=base.tail + ("（此件公开发布）",))
        return doc, base.title, "public 公文 with （此件公开发布）"
    if variant == 2:
        doc = Doc(title="EV200开发板快速入门指南", top=("文件密级：公开资料",), header="文件密级：公开资料",
                  body=("1. 概述", "本文档介绍EV200开发板的上电、烧录与调试方法。",
                        "2. 环境准备", prose.paragraph(),
                        Table((("版本", "日期", "说明"), ("V1.0", "2024-03-01", "初始版本")))))
        return doc, "EV200开发板快速入门指南", "developer guide 文件密级：公开资料"
    if variant == 3:
        return base, "（公开）" + base.title, "file name prefix （公开）"
    if variant == 4:
        return replace(base, tail=base.tail + ("（此件依申请公开）",)), base.title, "附注 （此件依申请公开）"
    doc = replace(base, top=("密级：非密",), title=prose.title("方案"))
    return doc, doc.title, "top line 密级：非密"


NOTES_MENTIONS = (
    "讲解提示：涉密文件的密级标志应标注在封面左上角，例如“秘密★1年”，本次汇报材料不涉密。",
    "备注：上次检查发现个别单位将工作秘密误标为“机密★10年”，请在讲解时重点提示。",
)
MAIL_MENTIONS = (
    "请注意：涉密文件（如标注“秘密★1年”的文件）严禁通过互联网邮件传递。",
    "附件材料不涉及国家秘密，如发现标有“机密”“秘密”字样的文件，请立即停止转发并报告保密办。",
    "各单位要进一步加强机密载体管理，落实专人负责制度。",
)


def mention_doc(variant: int, fmt: str, prose: Prose, rng: random.Random) -> tuple[Doc, str, str]:
    """A plain office document that mentions levels in body sentences: variant 0 as a mail warns,
    1 two of MENTION_SENTENCES; 2 none (the caller puts the mention elsewhere: slide notes)."""
    base = office_doc(prose, rng)
    mentions = (MAIL_MENTIONS, tuple(rng.sample(MENTION_SENTENCES, 2)), ())[variant]
    body = base.body[:3] + mentions + base.body[3:]
    what = "level words in body sentences" if mentions else "no mention in the body"
    return replace(base, body=body), base.title, f"mention variant {variant}: {what}"
