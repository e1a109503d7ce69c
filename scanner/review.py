"""Pre-publication review (信息公开保密审查): a verdict per document from its report records.

《保守国家秘密法实施条例》第四十二条: information is reviewed before it is published (先审查、后公开).
This module is pure: it reads the contract's record dicts (shared/spec/report-format.md) and finds
findings by ``kind`` and ``rule``, so it does not depend on the detectors that made them.

Verdicts, gravest first:
- 不得公开: a marking the scanner judged a marking (any level, any page, any part, any member), an
  explicit 不予公开 / 不公开 公开属性 note, or a fingerprint match with a registered marked document.
- 需人工复核: a declassified mark (解密 must be verified before publication); a standalone mark text
  the scanner did not count as the document's marking (in a comment, a deleted revision, speaker notes,
  a ledger column, a paragraph-level ``（秘密）`` ...); internal handling phrases; personal information;
  the classifier's suspicion; keyword hits; and every partial read (encrypted, unreadable, skipped or
  unsupported content, findings left out) - the reviewer cannot vouch for what was not read.
- 可以公开: none of the above.

A record's verdict is the worst over itself and every member inside it (``path!/member``), so an
archive or a booklet with a marked attachment is 不得公开 as a whole; member reasons name the member.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BLOCK, REVIEW, PUBLISH = "不得公开", "需人工复核", "可以公开"
VERDICTS = (BLOCK, REVIEW, PUBLISH)  # gravest first
MARKING_THRESHOLD = 0.7  # as markings.detect: a marking finding below it is not the document's marking
MAX_PER_CODE = 20  # reasons of one code per record; the rest are counted in one more reason
ARTICLE = "《保守国家秘密法实施条例》第四十二条（先审查、后公开）"
# Mention rules for a unit that is a whole mark by itself, judged a mention only by where it stands.
STANDALONE_MENTIONS = {"mention:outside-strong-position": "不在文件首部、页眉页脚等标志位置",
                       "mention:cell": "在单元格或备注中，且不是带★和期限的完整标志",
                       "mention:cue-before": "前一行像是举例说明",
                       "mention:training-document": "文件像是培训或讲解材料",
                       "mention:ledger-column": "在密级登记表的密级栏中"}
HIDDEN_PARTS = {"comment": "批注", "revision": "修订记录（已删除的文字）"}
READABLE_PARTS = {"revision": "修订记录（已删除的文字）", "notes": "演讲者备注", "master": "幻灯片母版",
                  "layout": "幻灯片版式"}
NONPUBLIC_WORDS = ("不予公开", "不公开")
# reason key -> (stable code, verdict it supports); the texts cite what the verdict rests on.
CODES = {
    "marking": ("marking", BLOCK), "explicit-nonpublic": ("explicit-nonpublic", BLOCK),
    "fingerprint": ("fingerprint", BLOCK), "fingerprint-unmarked": ("fingerprint", REVIEW),
    "declassified": ("declassified", REVIEW),
    "weak-mark": ("mark-text", REVIEW), "hidden-mark": ("mark-text", REVIEW),
    "standalone-mark": ("mark-text", REVIEW), "handling": ("handling", REVIEW),
    "personal-info": ("personal-info", REVIEW), "suspected": ("suspected", REVIEW),
    "keyword": ("keyword", REVIEW), "status": ("partial-read", REVIEW), "unread": ("partial-read", REVIEW),
    "truncated": ("partial-read", REVIEW), "no-ocr": ("partial-read", REVIEW),
}
TEXTS = {
    "marking": "{where}有密级标志“{text}”（{level}），属于不得公开的内容；{article}",
    "explicit-nonpublic": "文件标明公开属性为不予公开（“{text}”），不得公开；{article}",
    "fingerprint": "与已登记的标密文件“{source}”（{level}）内容相同或相近{overlap}（指纹比对），"
                   "按原件管理，不得公开；{article}",
    "fingerprint-unmarked": "与已登记的文件“{source}”内容相同或相近{overlap}（指纹比对；登记时未标密），"
                            "须人工确认能否公开",
    "overlap": "，内容重合约 {:.0%}",
    "declassified": "密级标志“{text}”（{level}）旁注有解密字样：须核实解密手续和解密范围后方可公开；"
                    "{article}",
    "weak-mark": "“{text}”像是密级标注（{level}，{rule}，置信度 {confidence:.2f}），"
                 "须人工确认所在段落或文件是否涉密",
    "hidden-mark": "{where}中有“{text}”（{level}）：{kept}须人工确认，公开前应清除修订记录和批注",
    "kept-revision": "已删除的修订内容仍保存在文件中，会随文件一同公开；",
    "kept-comment": "批注会随文件一同公开；",
    "standalone-mark": "有独立成行的密级标志字样“{text}”（{level}），因{why}未认定为文件密级，"
                       "须人工确认",
    "handling": "有内部管理用语“{text}”，表明文件可能限内部使用，须人工确认能否公开",
    "personal-info": "含个人信息“{text}”（{rule}），公开前须核实是否已取得同意或作去标识化处理"
                     "（《政府信息公开条例》第十五条）",
    "suspected": "内容分类模型判断疑似{label}（得分 {score}，超过阈值）{terms}；须人工审查内容",
    "terms": "，主要依据词：{}",
    "keyword": "命中敏感关键词“{text}”（{rule}），须人工判断内容能否公开",
    "status": "{head}（{why}），无法确认其中没有密级标志或其他不得公开的内容，"
              "须取得可读文件后重新审查；{article}",
    "unread": "部分内容未能读取（{text}，如扫描页文字识别失败），不能确认其中没有密级标志，"
              "须人工检查；{article}",
    "no-ocr": "图片中的文字未识别（审查时关闭了文字识别），不能确认其中没有密级标志，须人工查看；{article}",
    "truncated": "发现项过多，报告未能全部列出（{text}），须人工检查全文",
    "more": "另有 {} 处同类发现未逐条列出（见完整检查记录）",
}
STATUS_TEXT = {"encrypted": "文件已加密", "error": "文件未能完整读取", "skipped": "文件未被读取",
               "unsupported": "无法识别或读取此文件的内容"}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a document gets its verdict: a stable code, a one-line explanation, where, and in which member."""

    code: str
    verdict: str
    text: str
    location: Mapping[str, Any] | None = None
    member: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "verdict": self.verdict, "text": self.text,
                "location": dict(self.location) if self.location is not None else None, "member": self.member}


def verdict_of(reasons: Iterable[Reason]) -> str:
    """The gravest verdict the reasons support; 可以公开 when there are none."""
    found = {r.verdict for r in reasons}
    return next((v for v in VERDICTS if v in found), PUBLISH)


def record_reasons(record: Mapping[str, Any], ocr: bool = True) -> list[Reason]:
    """Every reason one record gives by itself (its members are not looked at here)."""
    reasons = _status_reasons(record)
    if not ocr and record.get("format") == "image" and record.get("status") == "ok":
        reasons.append(_reason("no-ocr", {"part": "file"}))
    for finding in record.get("findings") or ():
        if isinstance(finding, Mapping):
            reason = finding_reason(finding)
            if reason is not None:
                reasons.append(reason)
    return reasons + _record_level_reasons(record, reasons)


def finding_reason(f: Mapping[str, Any]) -> Reason | None:
    """The reason one finding gives, or None when it does not bear on publication (a mention in prose)."""
    kind, rule, text = str(f.get("kind")), str(f.get("rule") or ""), _short(f.get("text"))
    loc = f.get("location") if isinstance(f.get("location"), Mapping) else None
    if kind == "marking":
        return _marking_reason(f, rule, text, loc)
    if kind == "mention":
        return _mention_reason(f, rule, text, loc)
    if kind == "fingerprint":
        return _fingerprint_reason(f, text, loc)
    if kind == "sensitive_info":
        return _reason("personal-info", loc, text=text, rule=_short(f.get("pii") or rule))
    if kind == "keyword":
        return _reason("keyword", loc, text=text, rule=rule)
    if kind == "file" and rule == "findings-truncated":
        return _reason("truncated", loc, text=text)
    if kind == "file" and rule.startswith(("ocr", "unread")):
        return _reason("unread", loc, text=text)
    return None


Location = Mapping[str, Any] | None


def _marking_reason(f: Mapping[str, Any], rule: str, text: str, loc: Location) -> Reason | None:
    level, confidence = f.get("level"), f.get("confidence")
    if level is None:
        return None  # explicit-public and other level-less notes never speak against publication
    if any(word in text for word in NONPUBLIC_WORDS):
        return _reason("explicit-nonpublic", loc, text=text)
    if isinstance(confidence, int | float) and confidence < MARKING_THRESHOLD:
        if rule.startswith("handling"):
            return _reason("handling", loc, text=text)
        return _reason("weak-mark", loc, text=text, level=level, rule=rule, confidence=confidence)
    if f.get("declassified"):
        return _reason("declassified", loc, text=text, level=level)
    where = HIDDEN_PARTS.get(str((loc or {}).get("part")), "")
    return _reason("marking", loc, text=text, level=level, where=where)


def _fingerprint_reason(f: Mapping[str, Any], text: str, loc: Location) -> Reason:
    """A registered marked document's text is in this one: block; a registered unmarked one: review."""
    source = f.get("source")
    info = source if isinstance(source, Mapping) else {"path": source}
    level = f.get("level") or info.get("level")
    share = f.get("share")
    overlap = TEXTS["overlap"].format(share) if isinstance(share, int | float) else ""
    name = _short(str(info.get("path") or text).replace("\\", "/").rsplit("/", 1)[-1])
    if level:
        return _reason("fingerprint", loc, source=name, level=level, overlap=overlap)
    return _reason("fingerprint-unmarked", loc, source=name, overlap=overlap)


def _mention_reason(f: Mapping[str, Any], rule: str, text: str, loc: Location) -> Reason | None:
    part, level = str((loc or {}).get("part")), f.get("level")
    if level is None:
        return None
    if part in HIDDEN_PARTS:
        return _reason("hidden-mark", loc, text=text, level=level, where=HIDDEN_PARTS[part],
                       kept=TEXTS["kept-" + part])
    if rule in STANDALONE_MENTIONS:
        return _reason("standalone-mark", loc, text=text, level=level, why=STANDALONE_MENTIONS[rule])
    return None  # a level word inside a sentence: laws and public explanations are full of them


def _status_reasons(record: Mapping[str, Any]) -> list[Reason]:
    status = str(record.get("status") or "ok")
    if status == "ok":
        return []
    if status == "unsupported" and record.get("size") == 0:
        return []  # an empty file has nothing to hide
    head = STATUS_TEXT.get(status, f"文件状态为 {status}")
    why = _short(record.get("error") or "未说明原因", 200)
    return [_reason("status", {"part": "file"}, head=head, why=why)]


def _record_level_reasons(record: Mapping[str, Any], found: list[Reason]) -> list[Reason]:
    """The record's ``suspected`` verdict, and its ``marking`` if no finding stood for it (older records)."""
    out = []
    suspected = record.get("suspected")
    if isinstance(suspected, Mapping) and suspected.get("label"):
        score = suspected.get("score")
        terms = "、".join(str(t) for t in (suspected.get("terms") or ())[:8])
        out.append(_reason("suspected", {"part": "body"}, label=suspected["label"],
                           score=f"{score:.2f}" if isinstance(score, int | float) else "?",
                           terms=TEXTS["terms"].format(terms) if terms else ""))
    marking = record.get("marking")
    if isinstance(marking, Mapping) and not {r.code for r in found} & {"marking", "declassified",
                                                                      "explicit-nonpublic"}:
        reason = finding_reason({**marking, "kind": "marking"})
        if reason is not None:
            out.append(reason)
    return out


def _reason(key: str, loc: Location, **values: Any) -> Reason:
    code, verdict = CODES[key]
    return Reason(code, verdict, TEXTS[key].format(article=ARTICLE, **values), loc)


def _capped(reasons: list[Reason]) -> list[Reason]:
    counts: Counter[str] = Counter()
    kept = []
    for reason in reasons:
        counts[reason.code] += 1
        if counts[reason.code] <= MAX_PER_CODE:
            kept.append(reason)
    for code, n in counts.items():
        if n > MAX_PER_CODE:
            verdict = next(r.verdict for r in reasons if r.code == code)
            kept.append(Reason(code, verdict, TEXTS["more"].format(n - MAX_PER_CODE)))
    return kept


def _short(value: object, limit: int = 80) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= limit else text[:limit] + "…"


def review(records: Sequence[Mapping[str, Any]], ocr: bool = True) -> list[dict[str, Any]]:
    """Copies of one scanned file's records (the file first, then its members) with ``verdict`` and
    ``reasons`` added. Each record's verdict is the worst over itself and every member inside it;
    a member's reasons carry its path relative to the record (``member``). ``ocr``: whether the scan
    read images by OCR (when not, an image's text was never read)."""
    paths = [str(r.get("path") or "") for r in records]
    rolled: dict[str, list[Reason]] = {path: [] for path in paths}
    for path, record in zip(paths, records, strict=True):
        reasons = record_reasons(record, ocr)
        rolled[path] += reasons
        for outer in _containers(path):
            if outer in rolled and reasons:
                member = path[len(outer) + 2:]
                rolled[outer] += [Reason(r.code, r.verdict, r.text, r.location, member) for r in reasons]
    out = []
    for path, record in zip(paths, records, strict=True):
        reasons = _capped(sorted(rolled[path], key=lambda r: VERDICTS.index(r.verdict)))  # gravest first
        out.append({**record, "verdict": verdict_of(rolled[path]), "reasons": [r.to_json() for r in reasons]})
    return out


def _containers(path: str) -> list[str]:
    """The paths of the containers around a member: ``a.zip!/b.zip!/c.pdf`` -> ``a.zip``, ``a.zip!/b.zip``."""
    parts = path.split("!/")
    return ["!/".join(parts[:i]) for i in range(1, len(parts))]


def readable_location(location: Mapping[str, Any]) -> dict[str, Any]:
    """A location for a report renderer: parts the renderers do not name get Chinese names."""
    part = str(location.get("part") or "")
    if part not in READABLE_PARTS:
        return dict(location)
    shown = {k: v for k, v in location.items() if not (part == "revision" and k == "name")}
    return {**shown, "part": READABLE_PARTS[part]}


def documents(records: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Mapping[str, Any], int]]:
    """The reviewed documents of a record stream and how many member records each had.

    Records come as the scan wrote them: a file, then its members (``file!/member``); a record is a
    member when its path lies inside the current document's, so a folder named ``x!`` is no container.
    """
    current: Mapping[str, Any] | None = None
    members = 0
    for record in records:
        path = str(record.get("path") or "")
        if current is not None and path.startswith(str(current.get("path") or "") + "!/"):
            members += 1
            continue
        if current is not None:
            yield current, members
        current, members = record, 0
    if current is not None:
        yield current, members
