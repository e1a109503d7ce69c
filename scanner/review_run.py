"""docscan review: the pre-publication review command (信息公开保密审查; 条例第四十二条 先审查、后公开).

    docscan review FILE|DIR ... [--format jsonl|html|docx] [--output FILE] [--reviewer NAME] [--db FILE]

Scans with every detector a review needs (markings, personal information, keyword lists, fingerprints
of registered marked documents, the classifier), adds ``verdict`` and ``reasons`` to each record
(scanner.review) and writes the JSON Lines records (0600), the rendered HTML review or DOCX 保密审查单
beside them, and the manifest, as ``docscan scan`` does (scanner.outputs). Exit status: 0 only when
every document may be published, 1 otherwise, 2 on a usage error or when the review could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markings.rulepacks import add_pack_argument
from scanner.options import ScanOptions
from scanner.records import FileEntry
from scanner.review import BLOCK, PUBLISH, REVIEW, VERDICTS, review

FORMATS = ("jsonl", "html", "docx")
RENDERERS = {"html": "review_html", "docx": "review_docx"}  # modules of scanner.report
OCR_PAGES = 500  # every page counts: scanned pages OCRed per file (the per-file timeout still bounds it)
MAX_FINDINGS = 10_000  # findings kept per file, so personal information is not cut off at the scan's 200
DEFAULT_TIMEOUT = 300.0  # seconds per file: a review reads long booklets in full
MAX_LISTED = 30  # documents named in the summary on standard error


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``review`` on the CLI's subparsers and return its parser."""
    p = subparsers.add_parser(
        "review", help="信息公开前的保密审查 (pre-publication review)",
        description="信息公开前的保密审查（《保守国家秘密法实施条例》第四十二条：先审查、后公开）：逐个文件给出"
                    "“不得公开”“需人工复核”或“可以公开”的结论及理由和位置（页、段、工作表、单元格、附件）。",
        epilog="退出码: 0 全部可以公开; 1 有文件不得公开或需人工复核; 2 用法错误或无法运行。")
    p.add_argument("paths", nargs="+", metavar="FILE|DIR", help="拟公开的文件或文件夹")
    p.add_argument("--format", choices=FORMATS, default="jsonl",
                   help="输出格式（默认 jsonl）；html/docx 时另在旁边写出同名 .jsonl 记录文件")
    p.add_argument("--output", "-o", default="-", metavar="FILE",
                   help="输出文件（默认 - 即标准输出，仅 jsonl）；仅所有者可读写 (0600)，旁边写出校验清单")
    p.add_argument("--reviewer", default="", metavar="NAME", help="审查人姓名，写入保密审查单 (reviewer)")
    p.add_argument("--db", metavar="FILE",
                   help="已登记标密文件的指纹库（结果库），与其相同或相近的文件不得公开 (fingerprint store)")
    p.add_argument("--keywords", action="append", default=[], metavar="FILE", help="敏感关键词表，可重复")
    add_pack_argument(p)
    p.add_argument("--no-redact", action="store_true", help="个人信息（证件号码等）完整显示，不作遮盖")
    p.add_argument("--no-model", action="store_true", help="不做内容分类 (no classifier)")
    p.add_argument("--no-ocr", action="store_true", help="不做文字识别（图片文件因此需人工复核） (no OCR)")
    p.add_argument("--jobs", "-j", type=int, default=max(1, os.cpu_count() or 1), metavar="N",
                   help="并行进程数 (worker processes)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"单个文件的处理时限（默认 {DEFAULT_TIMEOUT:.0f} 秒），超时的文件需人工复核")
    p.add_argument("--quiet", "-q", action="store_true", help="不显示进度和汇总")
    return p


@dataclass(slots=True)
class ReviewTally:
    """Verdicts of the reviewed documents (the files given, members rolled into them); the exit status."""

    verdicts: Counter = field(default_factory=Counter)
    members: int = 0

    def add(self, document: Mapping[str, Any], members: int = 0) -> None:
        self.verdicts[str(document.get("verdict"))] += 1
        self.members += members

    @property
    def documents(self) -> int:
        return sum(self.verdicts.values())

    @property
    def exit_status(self) -> int:
        """0 only when every document may be published, else 1."""
        return 0 if self.verdicts[PUBLISH] == self.documents else 1

    def counts(self) -> dict[str, int]:
        return {v: self.verdicts[v] for v in VERDICTS}

    def summary(self) -> str:
        inside = f"（含其中的 {self.members} 个附件或压缩包成员）" if self.members else ""
        return (f"审查 {self.documents} 个文件{inside}：不得公开 {self.verdicts[BLOCK]} 个，"
                f"需人工复核 {self.verdicts[REVIEW]} 个，可以公开 {self.verdicts[PUBLISH]} 个")


@dataclass(slots=True)
class Outcome:
    """What a review found: the tally (exit status) and the first documents that may not be published."""

    tally: ReviewTally = field(default_factory=ReviewTally)
    listed: list[tuple[str, str, str]] = field(default_factory=list)  # (verdict, path, first reason)


def command(args: argparse.Namespace) -> int:
    """Run ``docscan review``; returns the exit status (0 all publishable, 1 otherwise, 2 usage/run error)."""
    from scanner.errors import ModelError, RuleError

    problem = usage_problem(args)
    if problem:
        print(f"docscan: {problem}", file=sys.stderr)
        return 2
    try:
        model = _model(args.no_model)
        from markings.rule import load_rules

        load_rules(None, args.rule_packs)
        if args.keywords:
            from markings.keywords import validate

            validate([os.path.abspath(k) for k in args.keywords])
    except (RuleError, ModelError) as exc:
        print(f"docscan: {exc}", file=sys.stderr)
        return 2
    try:
        outcome = run_review(args.paths, review_options(args), args.format, args.output, args.reviewer, model)
    except OSError as exc:
        print(f"docscan: 无法写入输出 (cannot write output): {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("docscan: 已中断，审查未完成 (interrupted)", file=sys.stderr)
        return 2
    if not args.quiet:
        print(summary(outcome), file=sys.stderr)
    return outcome.tally.exit_status


def usage_problem(args: argparse.Namespace) -> str | None:
    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing:
        return f"路径不存在 (no such path): {', '.join(map(printable, missing))}"
    if args.jobs < 1 or args.timeout <= 0:
        return "--jobs 须 >= 1，--timeout 须 > 0"
    if args.format != "jsonl" and args.output == "-":
        return f"--format {args.format} 需要 --output FILE"
    if args.db and not os.path.isfile(args.db):
        return f"指纹库不存在 (no such fingerprint store): {printable(args.db)}"
    absent = [k for k in args.keywords if not os.path.isfile(k)]
    if absent:
        return f"关键词表不存在 (no such keyword list): {', '.join(map(printable, absent))}"
    return None


def review_options(args: argparse.Namespace) -> ScanOptions:
    """The scan options of a review: every detector on, every page read, nothing cut short."""
    return ScanOptions(jobs=args.jobs, timeout=args.timeout, quiet=args.quiet, ocr=not args.no_ocr,
                       ocr_max_pages=OCR_PAGES, classify=not args.no_model, max_findings=MAX_FINDINGS,
                       pii=True, redact_pii=not args.no_redact,
                       keywords=tuple(os.path.abspath(k) for k in args.keywords),
                       fingerprints=os.path.abspath(args.db) if args.db else None,
                       rule_packs=tuple(sorted(set(args.rule_packs))))


def run_review(paths: Sequence[str], options: ScanOptions, fmt: str, output: str, reviewer: str,
               model: dict[str, Any] | None) -> Outcome:
    """Review ``paths`` and write every output; raises OSError when an output cannot be written."""
    from scanner.outputs import Plan, render
    from scanner.report import manifest
    from scanner.report.jsonl import JsonlWriter, read_records
    from scanner.report.meta import RunInfo, now, rules_digest
    from scanner.run import scan_paths

    plan = Plan(fmt, output)
    run = RunInfo([os.path.abspath(p) for p in paths], model=model,
                  rules=rules_digest(options.rules_dir, options.rule_packs),
                  mode="review", options=_described(options))
    chain, outcome = manifest.Chain(), Outcome()
    with JsonlWriter(plan.jsonl) as writer:
        def sink(entry: FileEntry, records: list[dict[str, Any]]) -> None:
            reviewed = review(records, ocr=options.ocr)
            for data in reviewed:
                line = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
                writer.write_line(line)
                chain.add(line)
            _count(outcome, reviewed)

        scan_paths(paths, options, [sink])
    run.finished, run.counts = now(), outcome.tally.counts()
    info = {**run.to_json(), "reviewer": reviewer,
            "integrity": {"records": os.path.basename(plan.jsonl), "chain_head": chain.head,
                          "records_count": len(chain.lines)}}
    written = [] if plan.jsonl == "-" else [plan.jsonl]
    if fmt in RENDERERS:
        render(RENDERERS[fmt], read_records(plan.jsonl), info, plan.output)
        written.append(plan.output)
    if plan.manifest:
        manifest.write(plan.manifest, info, plan.jsonl, chain, written)
    return outcome


def _count(outcome: Outcome, reviewed: list[dict[str, Any]]) -> None:
    document = reviewed[0]
    outcome.tally.add(document, members=len(reviewed) - 1)
    if document["verdict"] != PUBLISH and len(outcome.listed) < MAX_LISTED:
        first = document["reasons"][0] if document["reasons"] else {}
        member = f"〔{first['member']}〕" if first.get("member") else ""
        text = member + str(first.get("text", ""))
        outcome.listed.append((document["verdict"], str(document.get("path")), text))


def _described(options: ScanOptions) -> dict[str, Any]:
    return {"jobs": options.jobs, "timeout": options.timeout, "ocr": options.ocr,
            "classify": options.classify, "pii": options.pii, "redact_pii": options.redact_pii,
            "keywords": list(options.keywords), "fingerprints": options.fingerprints}


def _model(off: bool) -> dict[str, Any] | None:
    """Load the shipped classifier once (a broken model stops the review: ModelError) and describe it."""
    if off:
        return None
    from models.classify import SHIPPED, shipped_or

    classifier = shipped_or(None)
    if classifier is None:
        return None
    card = classifier.data.card
    return {"path": str(SHIPPED), "sha256": card.get("sha256"), "threshold": card.get("threshold")}


def summary(outcome: Outcome) -> str:
    """The Chinese summary for standard error: counts per verdict, then the documents not publishable."""
    lines = [f"docscan review: {outcome.tally.summary()}"]
    for verdict, path, reason in outcome.listed:
        lines.append(f"  【{verdict}】{printable(path)}：{printable(reason)}")
    hidden = outcome.tally.documents - outcome.tally.verdicts[PUBLISH] - len(outcome.listed)
    if hidden > 0:
        lines.append(f"  ……另有 {hidden} 个文件不能直接公开，见输出文件")
    return "\n".join(lines)


def printable(text: str) -> str:
    """Text safe to print on a terminal: control characters and undecodable bytes escaped."""
    raw = os.fsencode(text).decode("utf-8", errors="backslashreplace")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in raw)
