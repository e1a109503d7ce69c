"""docscan 命令行 (command line): parse arguments, run the scanner, return the exit status.

    docscan scan PATH [PATH ...] --format jsonl|html|csv|docx --output FILE
    docscan report REPORT.jsonl --format html|csv|docx --output FILE
    docscan verify MANIFEST [--files]
    docscan train / evaluate ...
    python cli.py ...        (the same, from a checkout)

Exit status: 0 nothing flagged (or all verified), 1 something marked or suspected (or a mismatch),
2 usage error or the command could not run.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from markings.rulepacks import add_pack_argument
from scanner import __version__, bundle, fingerprint_cli, review_run, smb
from scanner.errors import DocscanError, ModelError, RuleError
from scanner.options import MB, ScanOptions

SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": MB, "MB": MB, "G": 1024 * MB, "GB": 1024 * MB}
FORMATS = ("jsonl", "html", "csv", "docx")
LABELS = ("涉密", "内部", "公开")


def parse_size(text: str) -> int:
    """'200MB', '1.5G', '4096' -> bytes. Raises argparse.ArgumentTypeError."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?B?)\s*", text.upper())
    if not m:
        raise argparse.ArgumentTypeError(f"无法识别的大小: {text!r}（示例: 200MB、1.5G、4096）")
    return int(float(m.group(1)) * SIZE_UNITS[m.group(2)])


def _label_dir(text: str) -> tuple[str, str]:
    label, sep, path = text.partition("=")
    if not sep or label not in LABELS or not path:
        raise argparse.ArgumentTypeError(f"应为 涉密=DIR、内部=DIR 或 公开=DIR: {text!r}")
    return label, path


def add_keyword_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keywords", metavar="FILE", action="append", default=[],
                        help="关键词表，可重复：每行一个词，可带 级别、权重 两列，# 为注释；支持 A AND B、A NEAR/20 B、NOT "
                             "(keyword list; see README 关键词检查)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docscan",
        description="docscan：文件密级标志检查工具（保密检查）。查找带有密级标志的文件，区分真实标志与正文提及。",
        epilog="退出码: 0 未发现标密或疑似文件; 1 发现标密或疑似文件; 2 用法错误或无法运行。",
    )
    parser.add_argument("--version", action="version", version=f"docscan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    _add_scan(sub)
    review_run.add_parser(sub)
    fingerprint_cli.add_parser(sub)
    _add_report(sub)
    _add_verify(sub)
    _add_diff(sub)
    _add_watch(sub)
    _add_train(sub)
    _add_evaluate(sub)
    bundle.add_parser(sub)
    return parser


def _add_scan(sub: argparse._SubParsersAction) -> None:
    scan = sub.add_parser("scan", help="扫描文件和文件夹 (scan files and folders)",
                          description="扫描文件和文件夹，输出检查报告（JSON Lines 每个文件一行，或 HTML/CSV/DOCX）。")
    scan.add_argument("paths", nargs="+", metavar="PATH", help="要检查的文件或文件夹")
    scan.add_argument("--format", choices=FORMATS, default="jsonl",
                      help="报告格式（默认 jsonl）；html/csv/docx 时另在旁边写出同名 .jsonl 记录文件")
    scan.add_argument("--output", "-o", default="-", metavar="FILE",
                      help="报告文件（默认 - 即标准输出，仅 jsonl）；文件仅所有者可读写 (0600)，旁边写出 .manifest.json 校验清单")
    scan.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                      help="排除匹配的文件或文件夹，可重复，例如 --exclude '*.iso'")
    scan.add_argument("--max-size", type=parse_size, default=200 * MB, metavar="SIZE",
                      help="超过此大小的文件只记录不解析（默认 200MB）")
    scan.add_argument("--jobs", "-j", type=int, default=max(1, os.cpu_count() or 1), metavar="N",
                      help="并行进程数（默认每个 CPU 核心一个）")
    scan.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                      help="单个文件的处理时限，超时记为错误并继续（默认 60 秒）")
    scan.add_argument("--no-ocr", action="store_true", help="不对图片和无文字层的 PDF 页面做离线文字识别 (OCR)")
    scan.add_argument("--rules", metavar="DIR", default=None,
                      help="使用 DIR 中的标志规则（TOML）代替内置规则；规则有误时退出码为 2")
    add_pack_argument(scan)
    add_keyword_argument(scan)
    scan.add_argument("--pii", action="store_true",
                      help="同时检查个人信息（身份证号、手机号、银行卡号、统一社会信用代码、护照号、电子邮箱；校验位不符的不报），报告中号码遮盖")
    scan.add_argument("--model", metavar="DIR", default=None,
                      help="使用 DIR 中训练的内容分类模型（默认使用随附模型 models/trained/）")
    scan.add_argument("--no-model", action="store_true", help="不做内容分类（不填写 suspected）")
    scan.add_argument("--collect", metavar="DIR", help="把标密和疑似文件复制到 DIR 作为证据（保留时间戳、校验哈希），并写出登记保存清单")
    scan.add_argument("--redact", action="store_true", help="报告中遮盖上下文摘录（保留标志本身和位置）")
    scan.add_argument("--db", metavar="FILE", help="把本次检查记录保存到 SQLite 结果库，便于以后出报告和比较")
    scan.add_argument("--cluster", metavar="ADDRESS",
                      help="把逐个文件的解析分发到 Dask 集群（如 tcp://调度机:8786 或 tls://…；各 worker 须以相同路径挂载共享；此时 --jobs 不起作用）")
    scan.add_argument("--incremental", action="store_true",
                      help="配合 --db：只读取上次完整检查以来新增或改变的文件，其余沿用结果库中的记录（规则或模型变化时全部重读）")
    scan.add_argument("--fingerprint-marked", action="store_true",
                      help="配合 --db：登记检出的标密文件的文字指纹（只存哈希，不存原文），以后的检查可发现其摘抄、汇编 "
                           "(register marked files' fingerprints)")
    scan.add_argument("--resume", action="store_true", help="配合 --db：继续上次被中断的同一检查，已完成的文件不再读取")
    scan.add_argument("--quiet", "-q", action="store_true", help="不显示进度和汇总")
    smb.add_arguments(scan)


def _add_report(sub: argparse._SubParsersAction) -> None:
    rep = sub.add_parser("report", help="由保存的检查记录生成报告 (render a saved scan)",
                         description="由 JSON Lines 记录文件或结果库中的一次检查生成 HTML/CSV/DOCX 报告。")
    rep.add_argument("report", nargs="?", metavar="REPORT.jsonl", help="检查记录文件")
    rep.add_argument("--db", metavar="FILE", help="结果库（代替 REPORT.jsonl）")
    rep.add_argument("--run", type=int, metavar="N", help="结果库中的检查编号（默认最近一次）")
    rep.add_argument("--format", choices=FORMATS[1:], required=True, help="报告格式")
    rep.add_argument("--output", "-o", required=True, metavar="FILE", help="报告文件（0600）")


def _add_verify(sub: argparse._SubParsersAction) -> None:
    ver = sub.add_parser("verify", help="校验报告和原件是否被改动 (verify outputs against a manifest)",
                         description="按校验清单核对报告文件和每条记录；加 --files 时重新计算原件哈希，报告改动或消失的原件。")
    ver.add_argument("manifest", metavar="MANIFEST", help="扫描时写出的 .manifest.json")
    ver.add_argument("--files", action="store_true", help="同时核对被检查的原件")


def _add_diff(sub: argparse._SubParsersAction) -> None:
    diff = sub.add_parser("diff", help="比较结果库中的两次检查 (compare two runs)",
                          description="列出新发现、不再标记、密级变化和已删除的文件；有新发现或密级升高时退出码为 1。")
    diff.add_argument("runs", nargs="*", type=int, metavar="RUN", help="两次检查的编号（默认最近两次完整检查）")
    diff.add_argument("--db", required=True, metavar="FILE", help="结果库")
    diff.add_argument("--format", choices=("jsonl", "html"), default="jsonl", help="输出格式（默认 jsonl）")
    diff.add_argument("--output", "-o", default="-", metavar="FILE", help="输出文件（默认标准输出）")


def _add_watch(sub: argparse._SubParsersAction) -> None:
    w = sub.add_parser("watch", help="监视文件夹，新建或修改的文件写完后立即检查 (watch folders)",
                       description="监视文件夹（递归）：新建、修改或移入的文件在写完（稳定）后检查，每个结果追加一条 JSONL 记录；Ctrl-C 或 SIGTERM 结束。")
    w.add_argument("paths", nargs="+", metavar="FOLDER", help="要监视的文件夹")
    w.add_argument("--output", "-o", default="-", metavar="REPORT.jsonl", help="记录文件（默认标准输出）")
    w.add_argument("--db", metavar="FILE", help="同时写入结果库")
    w.add_argument("--settle", type=float, default=0.5, metavar="SECONDS", help="文件停止变化多久后检查（默认 0.5 秒）")
    w.add_argument("--poll", type=float, default=None, metavar="SECONDS",
                   help="用轮询代替内核通知（网络共享上其他机器的修改只能这样看到）")
    w.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="排除匹配的文件或文件夹")
    w.add_argument("--max-size", type=parse_size, default=200 * MB, metavar="SIZE", help="超过此大小只记录不解析")
    w.add_argument("--jobs", "-j", type=int, default=max(1, os.cpu_count() or 1), metavar="N", help="并行进程数")
    w.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="单个文件的处理时限")
    w.add_argument("--no-ocr", action="store_true", help="不做离线文字识别")
    w.add_argument("--rules", metavar="DIR", default=None, help="标志规则文件夹")
    add_pack_argument(w)
    add_keyword_argument(w)
    w.add_argument("--pii", action="store_true", help="同时检查个人信息（号码遮盖）")
    w.add_argument("--model", metavar="DIR", default=None, help="内容分类模型文件夹")
    w.add_argument("--no-model", action="store_true", help="不做内容分类")
    w.add_argument("--redact", action="store_true", help="遮盖上下文摘录")
    w.add_argument("--quiet", "-q", action="store_true", help="不显示提示")


def _add_train(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="用本单位文件训练内容分类模型 (train the content classifier)",
                           description="用各类文件（任何可扫描的格式）训练内容分类模型；标志会先被屏蔽，模型学习内容而非标志。")
    train.add_argument("--class", dest="classes", action="append", type=_label_dir, default=[],
                       metavar="LABEL=DIR", help="某类文件所在文件夹，LABEL 为 涉密、内部 或 公开；可重复")
    train.add_argument("--from-report", metavar="REPORT.jsonl",
                       help="以扫描报告中带标志的文件为正例（绝密/机密/秘密→涉密，工作秘密/内部/商密→内部）")
    train.add_argument("--out", required=True, metavar="MODEL_DIR", help="模型输出文件夹")
    train.add_argument("--max-fpr", type=float, default=0.03, metavar="RATE",
                       help="阈值使公开文件的误报率不超过此值（交叉验证，默认 0.03）")


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("evaluate", help="评估内容分类模型 (evaluate a model)",
                        description="在留出的评估文件上给出各类别的精确率、召回率和混淆矩阵。")
    ev.add_argument("--model", metavar="MODEL_DIR", default=None, help="模型文件夹（默认随附模型）")
    ev.add_argument("--class", dest="classes", action="append", type=_label_dir, default=[],
                    metavar="LABEL=DIR", help="评估文件所在文件夹；默认使用 corpus/eval/ 与 corpus/public-eval/ 留出集")
    ev.add_argument("--record", action="store_true", help="把留出集上的结果写入模型卡 card.json")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports usage errors by exiting
        return int(exc.code or 0)
    commands = {"scan": _scan, "report": _report, "verify": _verify, "diff": _diff, "watch": _watch,
                "train": _train, "evaluate": _evaluate, "review": review_run.command, "bundle": bundle.command, "fingerprint": fingerprint_cli.command}
    if args.command not in commands:
        parser.print_help(sys.stderr)
        return 2
    return commands[args.command](args)


def _scan(args: argparse.Namespace) -> int:
    from scanner.outputs import Plan, run_scan

    problem = _scan_usage_problem(args) or smb.prepare(args)  # SMB: credentials, server and share checked first
    if problem:
        print(f"docscan: {problem}", file=sys.stderr)
        return 2
    prepared = _prepare(args, cluster=args.cluster)
    if prepared is None:
        return 2
    options, model = prepared
    plan = Plan(args.format, args.output, args.collect, args.redact, args.db, args.incremental, args.resume)
    try:
        tally = run_scan(args.paths, options, plan, model)
    except OSError as exc:
        print(f"docscan: 无法写入输出 (cannot write output): {exc}", file=sys.stderr)
        return 2
    except DocscanError as exc:  # the cluster could not be reached or lost (scanner.cluster.ClusterError)
        print(f"docscan: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("docscan: 已中断，报告中保留已完成的记录 (interrupted)", file=sys.stderr)
        return 2
    if not args.quiet:
        print(tally.summary(), file=sys.stderr)
    return tally.exit_status


def _watch(args: argparse.Namespace) -> int:
    import signal
    import threading

    from scanner.outputs import Plan, run_watch

    bad = [p for p in args.paths if not os.path.isdir(p)]
    if bad or args.settle < 0 or (args.poll is not None and args.poll <= 0) or args.jobs < 1:
        print(f"docscan: 需要已存在的文件夹，--settle >= 0，--poll > 0: {', '.join(map(_safe, bad))}", file=sys.stderr)
        return 2
    prepared = _prepare(args)
    if prepared is None:
        return 2
    options, model = prepared
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        tally = run_watch(args.paths, options, Plan("jsonl", args.output, redact=args.redact, db=args.db), model,
                          stop, args.settle, args.poll)
    except OSError as exc:
        print(f"docscan: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(tally.summary(), file=sys.stderr)
    return tally.exit_status


def _prepare(args: argparse.Namespace, cluster: str | None = None) -> tuple[ScanOptions, dict | None] | None:
    """Load the rules and the model once (a broken one stops the command) and build the options.

    Returns None after printing why when either cannot be used.
    """
    model_dir = os.path.abspath(args.model) if args.model else None
    try:
        model = None if args.no_model else _model_summary(model_dir)
        if args.rules:  # the built-in rules are loaded (and checked) before the first file is read
            _load_rules(args.rules, tuple(args.rule_packs))
        if args.keywords:  # a bad list stops the command before anything is read
            from markings.keywords import validate

            validate([os.path.abspath(k) for k in args.keywords])
    except (RuleError, ModelError) as exc:
        print(f"docscan: {exc}", file=sys.stderr)
        return None
    options = ScanOptions(jobs=args.jobs, timeout=args.timeout, max_size=args.max_size, excludes=tuple(args.exclude),
                          quiet=args.quiet, ocr=not args.no_ocr, classify=not args.no_model, model=model_dir,
                          rules_dir=os.path.abspath(args.rules) if args.rules else None, cluster=cluster,
                          rule_packs=tuple(sorted(set(args.rule_packs))), pii=args.pii, keywords=tuple(os.path.abspath(k) for k in args.keywords),
                          fingerprints=os.path.abspath(args.db) if getattr(args, "db", None) else None,
                          fingerprint_marked=getattr(args, "fingerprint_marked", False))
    return options, model


def _scan_usage_problem(args: argparse.Namespace) -> str | None:
    missing = [p for p in args.paths if not smb.is_smb(p) and not os.path.lexists(p)]
    if missing:
        return f"路径不存在 (no such path): {', '.join(map(_safe, missing))}"
    if args.jobs < 1 or args.timeout <= 0:
        return "--jobs 须 >= 1，--timeout 须 > 0"
    if args.format != "jsonl" and args.output == "-":
        return f"--format {args.format} 需要 --output FILE"
    if args.fingerprint_marked and not args.db:
        return "--fingerprint-marked 需要 --db FILE"
    if (args.incremental or args.resume) and not args.db:
        return "--incremental 和 --resume 需要 --db FILE"
    if args.collect and args.output == "-":
        return "--collect 需要 --output FILE（登记保存清单与校验清单写在文件旁）"
    return None


def _load_rules(folder: str | None, packs: tuple[str, ...] = ()) -> None:
    from markings.rule import load_rules

    try:
        load_rules(folder, packs)
    except RuleError as exc:
        raise RuleError(f"规则文件错误 (rule error): {exc}") from exc


def _model_summary(folder: str | None) -> dict | None:
    """Check the model's files against its card (a changed or broken model stops the scan) and describe
    it for the reports. Only the workers load it: a rescan that reads nothing never pays for it."""
    from models.store import CARD, SHIPPED, verify

    if folder is None and not (SHIPPED / CARD).exists():
        return None
    try:
        card, _ = verify(folder or SHIPPED)
    except ModelError as exc:
        raise ModelError(f"模型无法使用 (model error): {exc}") from exc
    return {"path": folder or str(SHIPPED), "sha256": card.get("sha256"), "threshold": card.get("threshold"),
            "training": {k: card.get("training", {}).get(k) for k in ("documents", "manifest_sha256")}}


def _report(args: argparse.Namespace) -> int:
    from scanner.outputs import render
    from scanner.report import manifest
    from scanner.report.jsonl import read_records

    if bool(args.report) == bool(args.db):
        print("docscan: 请给出 REPORT.jsonl 或 --db FILE 之一", file=sys.stderr)
        return 2
    try:
        if args.db:
            from scanner.store import Store

            store = Store(args.db)
            run_id = args.run or (store.runs()[-1][0] if store.runs() else None)
            if run_id is None:
                raise KeyError("结果库中没有检查记录")
            render(args.format, store.records(run_id), store.run_info(run_id), args.output)
            store.close()
        else:
            run = _run_from_manifest(manifest.manifest_path(args.report))
            render(args.format, read_records(args.report), run, args.output)
    except (OSError, KeyError, ValueError) as exc:
        print(f"docscan: 无法生成报告 (cannot render): {exc}", file=sys.stderr)
        return 2
    return 0


def _run_from_manifest(path: str) -> dict | None:
    import json

    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return json.load(fh).get("run")


def _verify(args: argparse.Namespace) -> int:
    from scanner.report.manifest import verify

    try:
        problems = list(verify(args.manifest, args.files))
    except (OSError, ValueError, KeyError) as exc:
        print(f"docscan: 无法读取校验清单 (cannot read manifest): {exc}", file=sys.stderr)
        return 2
    for line in problems:
        print(_safe(line))
    print("校验通过：报告与清单一致" + ("，原件未改变" if args.files else "") if not problems
          else f"发现 {len(problems)} 处不一致", file=sys.stderr)
    return 1 if problems else 0


def _diff(args: argparse.Namespace) -> int:
    import json

    from scanner.diff import changes, to_html
    from scanner.report.jsonl import open_private
    from scanner.store import Store

    if not os.path.exists(args.db):
        print(f"docscan: 结果库不存在 (no such store): {_safe(args.db)}", file=sys.stderr)
        return 2
    store = Store(args.db)
    completed = [r[0] for r in store.runs(completed_only=True)]
    runs = args.runs or completed[-2:]
    if len(runs) != 2:
        print("docscan: 需要两次检查：请给出两个编号，或先完成两次检查", file=sys.stderr)
        return 2
    items = list(changes(store, runs[0], runs[1]))
    store.close()
    text = (to_html(items, *runs) if args.format == "html"
            else "".join(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in items))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open_private(args.output) as fh:
            fh.write(text)
    alerts = sum(c.alerts for c in items)
    print(f"第 {runs[0]} 次 → 第 {runs[1]} 次：变化 {len(items)} 项，新发现或密级升高 {alerts} 项", file=sys.stderr)
    return 1 if alerts else 0


def _train(args: argparse.Namespace) -> int:
    from models.commands import train_command

    return train_command(args)


def _evaluate(args: argparse.Namespace) -> int:
    from models.commands import evaluate_command

    return evaluate_command(args)


def _safe(text: str) -> str:
    """Text made safe to print on a terminal: control characters and bad bytes escaped."""
    raw = os.fsencode(text).decode("utf-8", errors="backslashreplace")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in raw)


if __name__ == "__main__":
    sys.exit(main())
