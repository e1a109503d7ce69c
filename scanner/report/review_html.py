"""The pre-publication review (信息公开保密审查) as one self-contained, offline HTML page.

Renders reviewed records (records with ``verdict`` and ``reasons``, see scanner.review): a count per
verdict, one table row per document, and for every document that may not simply be published its
reasons with their locations (page, paragraph, sheet, cell, slide, member). It shares the scan
report's house style: the CSS is the scan report template's own style block, every value from a
record is cleaned (``scanner.report.html.clean``) and escaped by Jinja, and a Content-Security-Policy
allows nothing but that style (the page has no script).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
from markupsafe import Markup

from scanner.report.html import TEMPLATES, clean, human_size, location_text, run_view
from scanner.report.jsonl import open_private
from scanner.review import ARTICLE, BLOCK, PUBLISH, REVIEW, VERDICTS, documents, readable_location

VERDICT_CLASS = {BLOCK: "v-block", REVIEW: "v-review", PUBLISH: "v-ok"}
RUN_LABELS = {"检查时间": "审查时间", "检查路径": "审查路径"}  # the scan report's labels, in review words
MAX_REASONS_SHOWN = 200  # per document (the record caps each kind of reason already)
EXTRA_STYLE = """
.v-block { color: #fff; background: var(--accent); padding: 0 6px; border-radius: 3px; white-space: nowrap; }
.v-review { color: #5c3b00; background: #f6d88f; padding: 0 6px; border-radius: 3px; white-space: nowrap; }
.v-ok { color: #14532d; background: #cdebd6; padding: 0 6px; border-radius: 3px; white-space: nowrap; }
table.reasons th:nth-child(1) { width: 11%; } table.reasons th:nth-child(2) { width: 45%; }
table.reasons th:nth-child(3) { width: 20%; } table.reasons th:nth-child(4) { width: 24%; }
"""


@dataclass(slots=True)
class ReasonView:
    verdict: str
    css: str
    code: str
    text: str
    where: str
    member: str


@dataclass(slots=True)
class DocView:
    seq: int
    path: str
    verdict: str
    css: str
    format: str
    size: str
    sha256: str
    members: int
    reasons: list[ReasonView]
    hidden: int


@dataclass(slots=True)
class ReviewSummary:
    verdicts: Counter = field(default_factory=Counter)
    members: int = 0
    docs: list[DocView] = field(default_factory=list)


def _reason_view(reason: Mapping[str, Any]) -> ReasonView:
    verdict = str(reason.get("verdict") or "")
    location = reason.get("location") if isinstance(reason.get("location"), Mapping) else None
    return ReasonView(verdict=clean(verdict, 20), css=VERDICT_CLASS.get(verdict, ""),
                      code=clean(reason.get("code"), 40), text=clean(reason.get("text"), 2000),
                      where=location_text(readable_location(location)) if location else "整个文件",
                      member=clean(reason.get("member") or "", 1000))


def summarize(records: Iterable[Mapping[str, Any]]) -> ReviewSummary:
    """One view per document (members rolled in), in the order the review met them."""
    s = ReviewSummary()
    for seq, (doc, members) in enumerate(documents(records), 1):
        verdict = str(doc.get("verdict") or REVIEW)
        reasons = [r for r in doc.get("reasons") or () if isinstance(r, Mapping)]
        s.verdicts[verdict] += 1
        s.members += members
        s.docs.append(DocView(
            seq=seq, path=clean(doc.get("path")), verdict=clean(verdict, 20),
            css=VERDICT_CLASS.get(verdict, ""),
            format=clean(doc.get("format") or "未识别", 50), size=human_size(doc.get("size")),
            sha256=clean(doc.get("sha256") or "未计算", 128), members=members,
            reasons=[_reason_view(r) for r in reasons[:MAX_REASONS_SHOWN]],
            hidden=max(0, len(reasons) - MAX_REASONS_SHOWN)))
    return s


@functools.cache
def _template() -> tuple[jinja2.Template, str, str]:
    """The page template, its style (the scan report's own plus the verdict colours) and its CSP."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["size"], env.filters["conf"] = human_size, str  # the scan report's filters, so it compiles
    report = env.get_template("report.html.j2")
    style = "".join(report.blocks["style"](report.new_context({}))) + EXTRA_STYLE
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = (f"default-src 'none'; style-src 'sha256-{digest}'; script-src 'none'; img-src 'none'; "
           "base-uri 'none'; form-action 'none'")
    return env.get_template("review.html.j2"), style, csp


def render(records: Iterable[Mapping[str, Any]], run: Mapping[str, Any] | None, path: str) -> None:
    """Write the review page of ``records`` to ``path`` (created 0600). Raises OSError when it cannot."""
    summary = summarize(records)
    template, style, csp = _template()
    info = dict(run or {})
    pairs = [("审查人", clean(info.get("reviewer")) or "（未填写）"),
             *((RUN_LABELS.get(label, label), value) for label, value in run_view(info))]
    context = {"csp": csp, "style": Markup(style), "run": pairs, "s": summary, "article": ARTICLE,
               "counts": [(v, VERDICT_CLASS[v], summary.verdicts[v]) for v in VERDICTS],
               "flagged": [d for d in summary.docs if d.verdict != PUBLISH]}
    with open_private(path) as out:
        for chunk in template.generate(context):
            out.write(chunk)
